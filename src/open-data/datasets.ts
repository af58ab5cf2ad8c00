/**
 * The public registries as open data: which columns each download has, what they mean (the field
 * dictionary on /open-data and in docs/open-data.md) and how each is read from an entry joined
 * with its brand. An allowlist: anything not listed here (internal ids, versions, protection
 * record details, the regulator in charge) never leaves.
 */
import { isRecord } from '../platform/guards.js';
import { effectiveStatus } from '../registries/kinds.js';
import type { Kind } from '../registries/reference.js';
import { isoPartial, storedPartial } from '../registries/partial-date.js';

/** 'partialDate': ISO 8601 at the source's precision — "2011", "2011-06" or "2011-06-01" (partial-date.ts). */
export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'partialDate' | 'string[]' | 'integer[]';

/** What the exporter hands to a column: the entry, its brand and (directory) the brand's trademarks. */
export interface JoinedRow {
  /** The entry as the dataset's projection read it: its fields are narrowed where they are used. */
  entry: Record<string, unknown>;
  brand: BrandLite | null;
  trademarks: TrademarkLite[];
}

/** The brand fields the downloads use (read with a projection). */
export interface BrandLite {
  _id: string;
  slug: string;
  name: string;
  nameEn?: string;
  // Missing facts (待补充, src/registries/completeness.ts) are absent: the downloads write null.
  company?: string | null;
  creditCode?: string | null;
  district?: string | null;
  sector?: string | null;
  industry?: string | null;
  keywords?: string[];
  website?: string;
  demo?: boolean;
}

export interface TrademarkLite {
  brand: string;
  regNo: string;
  niceClasses: number[];
  madrid?: boolean;
}

export const BRAND_PROJECTION = {
  slug: 1,
  name: 1,
  nameEn: 1,
  company: 1,
  creditCode: 1,
  district: 1,
  sector: 1,
  industry: 1,
  keywords: 1,
  website: 1,
  demo: 1,
} as const;
export const TRADEMARK_PROJECTION = { brand: 1, regNo: 1, niceClasses: 1, madrid: 1, _id: 0 } as const;

export interface Column {
  key: string;
  zh: string;
  en: string;
  type: ColumnType;
  value(row: JoinedRow, now: Date): unknown;
}

/** A date as YYYY-MM-DD (UTC, as the pages show it), or null. */
export function isoDate(d: unknown): string | null {
  const date = dateOf(d);
  return date === null || Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 10);
}

/** A stored partial date as ISO 8601 at its precision ("2011", "2011-06", "2011-06-01"), or null. */
export function isoPartialDate(d: unknown, precision: unknown): string | null {
  const p = storedPartial(d, precision);
  return p ? isoPartial(p) : null;
}

/** A stored date (a Date, or its text or epoch milliseconds), else null. */
function dateOf(d: unknown): Date | null {
  return d instanceof Date || (typeof d === 'string' && d !== '') || typeof d === 'number' ? new Date(d) : null;
}

const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
/** A field of a sub-document (gi, recognition, a protection record), if it is one. */
const sub = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);
/** The protection records a famous-mark entry was read with. */
const records = (r: JoinedRow): unknown[] => (Array.isArray(r.entry.records) ? r.entry.records : []);
const b = (r: JoinedRow) => r.brand;

const BRAND_COLUMNS: Column[] = [
  {
    key: 'slug',
    zh: '品牌标识（品牌页 /brands/ 后的部分，长期不变）',
    en: 'Brand id (the part after /brands/ in its page address; stable)',
    type: 'string',
    value: (r) => b(r)?.slug ?? null,
  },
  { key: 'name', zh: '品牌名称', en: 'Brand name (Chinese)', type: 'string', value: (r) => b(r)?.name ?? null },
  { key: 'nameEn', zh: '英文名称', en: 'English name', type: 'string', value: (r) => str(b(r)?.nameEn) },
  { key: 'company', zh: '权利人/企业名称', en: 'Owner company', type: 'string', value: (r) => b(r)?.company ?? null },
  { key: 'creditCode', zh: '统一社会信用代码', en: 'Unified social credit code', type: 'string', value: (r) => b(r)?.creditCode ?? null },
  { key: 'district', zh: '所属区', en: 'District', type: 'string', value: (r) => b(r)?.district ?? null },
  {
    key: 'sector',
    zh: '产业（一产/二产/三产）',
    en: 'Sector (一产 primary / 二产 secondary / 三产 tertiary)',
    type: 'string',
    value: (r) => b(r)?.sector ?? null,
  },
  { key: 'industry', zh: '行业类别', en: 'Industry category', type: 'string', value: (r) => b(r)?.industry ?? null },
  { key: 'keywords', zh: '产品与服务关键词', en: 'Products and services (keywords)', type: 'string[]', value: (r) => [...(b(r)?.keywords ?? [])] },
  { key: 'website', zh: '网站', en: 'Website', type: 'string', value: (r) => str(b(r)?.website) },
];

const STATUS_COLUMNS: Column[] = [
  { key: 'statusChangedAt', zh: '状态变更日期', en: 'Date of the last status change', type: 'date', value: (r) => isoDate(r.entry.statusChangedAt) },
  { key: 'statusReason', zh: '状态变更原因', en: 'Reason for the last status change', type: 'string', value: (r) => str(r.entry.statusReason) },
];

const DEMO_COLUMN: Column = {
  key: 'demo',
  zh: '演示数据（true 表示信用代码、编号、日期等为演示用途虚构）',
  en: 'Demonstration data (true: credit code, numbers and dates are invented)',
  type: 'boolean',
  value: (r) => Boolean(b(r)?.demo),
};

export interface Dataset {
  kind: Kind;
  /** i18n key of its title. */
  titleKey: string;
  /** Fields read from the entry collection. */
  entryProjection: Record<string, 0 | 1>;
  /** The directory shows the brand's registered trademarks. */
  withTrademarks: boolean;
  columns: Column[];
}

export const DATASETS: Record<Kind, Dataset> = {
  directory: {
    kind: 'directory',
    titleKey: 'kind.directory',
    entryProjection: { brand: 1, advantage: 1, gi: 1, listedAt: 1, listedAtPrecision: 1, status: 1, statusChangedAt: 1, statusReason: 1, _id: 0 },
    withTrademarks: true,
    columns: [
      ...BRAND_COLUMNS,
      {
        key: 'trademarks',
        zh: '注册商标注册号',
        en: 'Trademark registration numbers',
        type: 'string[]',
        value: (r) => r.trademarks.map((t) => t.regNo).sort(),
      },
      {
        key: 'niceClasses',
        zh: '尼斯分类（1-45）',
        en: 'Nice classes (1-45)',
        type: 'integer[]',
        value: (r) => [...new Set(r.trademarks.flatMap((t) => t.niceClasses))].sort((x, y) => x - y),
      },
      {
        key: 'madrid',
        zh: '马德里国际注册（任一商标）',
        en: 'Madrid international registration (any of its trademarks)',
        type: 'boolean',
        value: (r) => r.trademarks.some((t) => t.madrid),
      },
      { key: 'advantage', zh: '优势商标', en: 'Advantage trademark', type: 'boolean', value: (r) => Boolean(r.entry.advantage) },
      { key: 'gi', zh: '地理标志', en: 'Geographic indication', type: 'boolean', value: (r) => Boolean(r.entry.gi) },
      { key: 'giProduct', zh: '地理标志产品', en: 'GI product', type: 'string', value: (r) => str(sub(r.entry.gi, 'product')) },
      { key: 'giArea', zh: '地理标志地域范围', en: 'GI area', type: 'string', value: (r) => str(sub(r.entry.gi, 'area')) },
      {
        key: 'listedAt',
        zh: '列入名录日期',
        en: 'Date listed',
        type: 'partialDate',
        value: (r) => isoPartialDate(r.entry.listedAt, r.entry.listedAtPrecision),
      },
      { key: 'status', zh: '状态（在册/暂停/移出）', en: 'Status (在册 listed / 暂停 suspended / 移出 removed)', type: 'string', value: (r) => r.entry.status },
      ...STATUS_COLUMNS,
      DEMO_COLUMN,
    ],
  },
  famous: {
    kind: 'famous',
    titleKey: 'kind.famous',
    entryProjection: {
      brand: 1,
      trademarkRegNo: 1,
      recognition: 1,
      status: 1,
      statusChangedAt: 1,
      statusReason: 1,
      nextReviewAt: 1,
      'records.date': 1,
      _id: 0,
    },
    withTrademarks: false,
    columns: [
      ...BRAND_COLUMNS,
      { key: 'trademarkRegNo', zh: '商标注册号', en: 'Trademark registration number', type: 'string', value: (r) => r.entry.trademarkRegNo },
      {
        key: 'recognitionDate',
        zh: '认定日期',
        en: 'Date recognised',
        type: 'partialDate',
        value: (r) => isoPartialDate(sub(r.entry.recognition, 'date'), sub(r.entry.recognition, 'datePrecision')),
      },
      { key: 'recognitionAuthority', zh: '认定机关', en: 'Recognising authority', type: 'string', value: (r) => str(sub(r.entry.recognition, 'authority')) },
      {
        key: 'recognitionDocumentNo',
        zh: '认定文书或案号',
        en: 'Decision or case number',
        type: 'string',
        value: (r) => str(sub(r.entry.recognition, 'documentNo')),
      },
      {
        key: 'recognitionRoute',
        zh: '认定途径（行政认定/司法认定）',
        en: 'Route (行政认定 administrative / 司法认定 judicial)',
        type: 'string',
        value: (r) => str(sub(r.entry.recognition, 'route')),
      },
      {
        key: 'status',
        zh: '保护状态（重点保护/一般保护/失效）',
        en: 'Protection status (重点保护 key / 一般保护 general / 失效 lapsed)',
        type: 'string',
        value: (r) => r.entry.status,
      },
      ...STATUS_COLUMNS,
      { key: 'nextReviewAt', zh: '下次复核日期', en: 'Next review date', type: 'date', value: (r) => isoDate(r.entry.nextReviewAt) },
      {
        key: 'protectionRecords',
        zh: '保护记录条数（详情由监管部门掌握）',
        en: 'Number of protection records (details are kept by the regulator)',
        type: 'integer',
        value: (r) => records(r).length,
      },
      {
        key: 'lastProtectionRecordAt',
        zh: '最近一次保护记录日期',
        en: 'Date of the latest protection record',
        type: 'date',
        value: (r) =>
          isoDate(
            records(r)
              .map((x) => dateOf(sub(x, 'date'))?.getTime() ?? NaN)
              .sort((x, y) => y - x)[0] ?? null,
          ),
      },
      DEMO_COLUMN,
    ],
  },
  'time-honored': {
    kind: 'time-honored',
    titleKey: 'kind.time-honored',
    entryProjection: {
      brand: 1,
      tier: 1,
      recognizedYear: 1,
      batch: 1,
      heritage: 1,
      story: 1,
      address: 1,
      rewardWan: 1,
      status: 1,
      statusChangedAt: 1,
      statusReason: 1,
      _id: 0,
    },
    withTrademarks: false,
    columns: [
      ...BRAND_COLUMNS,
      {
        key: 'tier',
        zh: '老字号级别（中华/湖北/武汉老字号）',
        en: 'Tier (中华 China / 湖北 Hubei / 武汉 Wuhan 老字号)',
        type: 'string',
        value: (r) => r.entry.tier,
      },
      { key: 'recognizedYear', zh: '认定年份', en: 'Year recognised', type: 'integer', value: (r) => r.entry.recognizedYear ?? null },
      { key: 'batch', zh: '认定批次', en: 'Batch', type: 'string', value: (r) => str(r.entry.batch) },
      {
        key: 'heritage',
        zh: '传承技艺（含非遗）',
        en: 'Heritage crafts (incl. intangible cultural heritage)',
        type: 'string',
        value: (r) => str(r.entry.heritage),
      },
      { key: 'story', zh: '品牌故事', en: 'Story', type: 'string', value: (r) => str(r.entry.story) },
      { key: 'address', zh: '地址', en: 'Address', type: 'string', value: (r) => str(r.entry.address) },
      { key: 'rewardWan', zh: '奖励金额（万元）', en: 'Reward granted (10,000 yuan)', type: 'number', value: (r) => r.entry.rewardWan ?? null },
      {
        key: 'status',
        zh: '状态（有效/复核中/已移出）',
        en: 'Status (有效 valid / 复核中 under review / 已移出 removed)',
        type: 'string',
        value: (r) => r.entry.status,
      },
      ...STATUS_COLUMNS,
      DEMO_COLUMN,
    ],
  },
  certified: {
    kind: 'certified',
    titleKey: 'kind.certified',
    entryProjection: {
      brand: 1,
      number: 1,
      level: 1,
      scope: 1,
      product: 1,
      issuedAt: 1,
      issuedAtPrecision: 1,
      validUntil: 1,
      issuer: 1,
      standard: 1,
      status: 1,
      statusChangedAt: 1,
      statusReason: 1,
      _id: 0,
    },
    withTrademarks: false,
    columns: [
      ...BRAND_COLUMNS,
      {
        key: 'number',
        zh: '证书编号（可在 /verify/编号 查验）',
        en: 'Certificate number (check it at /verify/<number>)',
        type: 'string',
        value: (r) => r.entry.number,
      },
      { key: 'level', zh: '认定级别', en: 'Level', type: 'string', value: (r) => r.entry.level },
      {
        key: 'scope',
        zh: '认定范围（产品/服务/工程）',
        en: 'Scope (产品 product / 服务 service / 工程 engineering)',
        type: 'string',
        value: (r) => r.entry.scope,
      },
      { key: 'product', zh: '认定的产品、服务或工程', en: 'Certified product, service or project', type: 'string', value: (r) => r.entry.product },
      { key: 'issuedAt', zh: '发证日期', en: 'Date issued', type: 'partialDate', value: (r) => isoPartialDate(r.entry.issuedAt, r.entry.issuedAtPrecision) },
      { key: 'validUntil', zh: '有效期至', en: 'Valid until', type: 'date', value: (r) => isoDate(r.entry.validUntil) },
      { key: 'issuer', zh: '发证机构', en: 'Issuing body', type: 'string', value: (r) => r.entry.issuer },
      { key: 'standard', zh: '依据标准', en: 'Standard', type: 'string', value: (r) => str(r.entry.standard) },
      {
        key: 'status',
        zh: '状态（有效/暂停/撤销/注销/过期；过期按有效期自动判定）',
        en: 'Status (有效 valid / 暂停 suspended / 撤销 revoked / 注销 cancelled / 过期 expired, derived from valid-until)',
        type: 'string',
        value: (r, now) => (typeof r.entry.status === 'string' ? effectiveStatus('certified', r.entry.status, dateOf(r.entry.validUntil), now) : null),
      },
      STATUS_COLUMNS[0]!,
      {
        key: 'statusReason',
        zh: '暂停、撤销或注销的原因',
        en: 'Reason for a suspension, revocation or cancellation',
        type: 'string',
        value: (r) => (r.entry.status === '暂停' || r.entry.status === '撤销' || r.entry.status === '注销' ? str(r.entry.statusReason) : null),
      },
      DEMO_COLUMN,
    ],
  },
};

/** One row as a plain object of its public columns (JSON values: arrays, booleans, numbers, null). */
export function rowObject(ds: Dataset, row: JoinedRow, now: Date): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of ds.columns) out[c.key] = c.value(row, now);
  return out;
}

/** Separator for list cells in CSV (JSON keeps real arrays). */
export const CSV_LIST_SEPARATOR = '; ';

/**
 * A cell as CSV text. Spreadsheet programs run a cell that begins with = + - @ (or a tab or
 * carriage return) as a formula, so such text gets a leading apostrophe (OWASP "CSV injection").
 */
export function csvCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (Array.isArray(v)) s = v.map((x) => String(x)).join(CSV_LIST_SEPARATOR);
  else if (typeof v === 'boolean') s = v ? 'true' : 'false';
  else s = String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}
