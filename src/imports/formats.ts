/**
 * The spreadsheet format of each registry: its columns (Chinese header, English aliases, where the
 * value goes, how it is read and written) and its natural key. docs/import-format.md describes
 * the same thing for people; the template files are generated from here, so they cannot drift.
 *
 * One row format per registry:
 * - directory: one row per trademark (brand + trademark + directory entry); a brand with several
 *   trademarks has several rows that repeat the brand columns;
 * - famous: one row per famous mark (brand + ledger entry; protection records are kept in the
 *   back office, not imported);
 * - time-honored: one row per listing (a brand on the 中华 and the 湖北 list has a row in each
 *   list's file, and one listing each);
 * - certified: one row per certificate.
 */
import { demoCreditCode } from '../registries/credit-code.js';
import type { Kind } from '../registries/reference.js';

/** How a cell is read (import) and written (export). */
/** 'date' is a day (legal end dates); 'partialDate' a year, month or day whose precision is stored at `<path>Precision`. */
export type CellType = 'text' | 'int' | 'number' | 'date' | 'partialDate' | 'bool' | 'keywords' | 'intList' | 'status' | 'reason';

/** Which document a column belongs to. */
export type Target = 'brand' | 'trademark' | 'entry';

export interface Column {
  /** The Chinese header, as in the template and exports. */
  header: string;
  /** English header (accepted on import; shown in the English docs). */
  en: string;
  /** Further accepted header spellings (compared without case, spaces, _ - . and brackets). */
  aliases?: string[];
  target: Target;
  /** Mongoose path on the target model; "gi.product" etc. for nested values. */
  path: string;
  type: CellType;
  /** The column must be in the header row. */
  required?: boolean;
  /** Value in the template's example row. */
  example: string;
}

export interface RegistryFormat {
  kind: Kind;
  /** What identifies a row's registry entry, for the docs and the job page. */
  key: { zh: string; en: string };
  columns: Column[];
}

const BRAND_COLUMNS: Column[] = [
  {
    header: '品牌名称',
    en: 'Brand name',
    aliases: ['brand', 'name', '品牌'],
    target: 'brand',
    path: 'name',
    type: 'text',
    required: true,
    example: '江城福记',
  },
  { header: '英文名称', en: 'English name', aliases: ['nameEn', 'name en'], target: 'brand', path: 'nameEn', type: 'text', example: 'Jiangcheng Fuji' },
  {
    header: '企业名称',
    en: 'Company',
    aliases: ['company name', 'owner', '权利人', '企业'],
    target: 'brand',
    path: 'company',
    type: 'text',
    example: '武汉江城福记食品有限公司',
  },
  {
    header: '统一社会信用代码',
    en: 'Credit code',
    aliases: ['unified social credit code', 'creditCode', 'uscc', '信用代码'],
    target: 'brand',
    path: 'creditCode',
    type: 'text',
    // Published lists give none: a brand is then matched by name + company or name + list (engine.ts).
    example: demoCreditCode('import-template', '420103'),
  },
  { header: '所属区', en: 'District', aliases: ['区', '所在区'], target: 'brand', path: 'district', type: 'text', example: '江汉区' },
  { header: '产业', en: 'Sector', aliases: ['产业类别'], target: 'brand', path: 'sector', type: 'text', example: '二产' },
  { header: '行业类别', en: 'Industry', aliases: ['行业', 'industry category'], target: 'brand', path: 'industry', type: 'text', example: '食品制造' },
  {
    header: '产品关键词',
    en: 'Keywords',
    aliases: ['products', 'products or services', '产品', '产品或服务', '关键词'],
    target: 'brand',
    path: 'keywords',
    type: 'keywords',
    example: '热干面、芝麻酱',
  },
  {
    header: '品牌简介',
    en: 'Description',
    aliases: ['简介', '描述'],
    target: 'brand',
    path: 'description',
    type: 'text',
    example: '以热干面和芝麻酱为主营的武汉食品企业。',
  },
  { header: '网站', en: 'Website', aliases: ['网址', 'url'], target: 'brand', path: 'website', type: 'text', example: 'https://example.com' },
  { header: '创立年份', en: 'Founded', aliases: ['founded year', '创立'], target: 'brand', path: 'founded', type: 'int', example: '1998' },
  { header: '品牌标识', en: 'Slug', aliases: ['标识'], target: 'brand', path: 'slug', type: 'text', example: '' },
];

const STATUS_COLUMNS = (example: string): Column[] => [
  { header: '状态', en: 'Status', target: 'entry', path: 'status', type: 'status', example },
  { header: '状态原因', en: 'Status reason', aliases: ['reason', '原因', '状态变更原因'], target: 'entry', path: 'statusReason', type: 'reason', example: '' },
];

export const FORMATS: Record<Kind, RegistryFormat> = {
  directory: {
    kind: 'directory',
    key: { zh: '品牌：统一社会信用代码 + 品牌名称；商标：商标注册号', en: 'brand: credit code + brand name; trademark: registration number' },
    columns: [
      ...BRAND_COLUMNS,
      {
        header: '商标注册号',
        en: 'Registration number',
        aliases: ['regNo', 'reg no', 'trademark number', '注册号'],
        target: 'trademark',
        path: 'regNo',
        type: 'text',
        example: '30123456',
      },
      { header: '商标', en: 'Mark', aliases: ['trademark', '商标名称'], target: 'trademark', path: 'mark', type: 'text', example: '江城福记' },
      {
        header: '尼斯分类',
        en: 'Nice classes',
        aliases: ['nice', 'nice class', '类别', '国际分类'],
        target: 'trademark',
        path: 'niceClasses',
        type: 'intList',
        example: '29;30',
      },
      { header: '有效期起', en: 'Valid from', aliases: ['validFrom', '注册日期'], target: 'trademark', path: 'validFrom', type: 'date', example: '2015-03-14' },
      {
        header: '有效期至',
        en: 'Valid to',
        aliases: ['validTo', 'valid until', '到期日期'],
        target: 'trademark',
        path: 'validTo',
        type: 'date',
        example: '2035-03-13',
      },
      { header: '马德里', en: 'Madrid', aliases: ['madrid registration', '马德里国际注册'], target: 'trademark', path: 'madrid', type: 'bool', example: '否' },
      { header: '优势商标', en: 'Advantage trademark', aliases: ['advantage'], target: 'entry', path: 'advantage', type: 'bool', example: '是' },
      {
        header: '地理标志产品',
        en: 'GI product',
        aliases: ['gi product', 'geographic indication product'],
        target: 'entry',
        path: 'gi.product',
        type: 'text',
        example: '',
      },
      {
        header: '地理标志区域',
        en: 'GI area',
        aliases: ['gi area', 'geographic indication area'],
        target: 'entry',
        path: 'gi.area',
        type: 'text',
        example: '',
      },
      {
        header: '列入日期',
        en: 'Listed on',
        aliases: ['listedAt', 'listed at', 'listed'],
        target: 'entry',
        path: 'listedAt',
        type: 'partialDate',
        example: '2024-06-01',
      },
      ...STATUS_COLUMNS('在册'),
    ],
  },
  famous: {
    kind: 'famous',
    key: { zh: '商标注册号', en: 'registration number' },
    columns: [
      ...BRAND_COLUMNS,
      {
        header: '商标注册号',
        en: 'Registration number',
        aliases: ['regNo', 'reg no', 'trademarkRegNo', '注册号'],
        target: 'entry',
        path: 'trademarkRegNo',
        type: 'text',
        required: true,
        example: '30123456',
      },
      {
        header: '认定日期',
        en: 'Recognition date',
        aliases: ['recognised on', 'recognized on'],
        target: 'entry',
        path: 'recognition.date',
        type: 'partialDate',
        example: '2013-09-01',
      },
      {
        header: '认定机关',
        en: 'Authority',
        aliases: ['recognition authority'],
        target: 'entry',
        path: 'recognition.authority',
        type: 'text',
        example: '国家知识产权局',
      },
      {
        header: '认定文号',
        en: 'Document number',
        aliases: ['document no', 'case number', '文书或案号', '案号'],
        target: 'entry',
        path: 'recognition.documentNo',
        type: 'text',
        example: '商标驰字〔2013〕123号',
      },
      { header: '认定途径', en: 'Route', aliases: ['recognition route'], target: 'entry', path: 'recognition.route', type: 'text', example: '行政认定' },
      {
        header: '监管责任人',
        en: 'Regulator',
        aliases: ['regulator in charge', '负责人', '责任单位'],
        target: 'entry',
        path: 'regulator',
        type: 'text',
        example: '江汉区市场监督管理局',
      },
      {
        header: '下次复核日期',
        en: 'Next review',
        aliases: ['next review date', 'nextReviewAt'],
        target: 'entry',
        path: 'nextReviewAt',
        type: 'date',
        example: '2026-09-01',
      },
      ...STATUS_COLUMNS('重点保护'),
    ],
  },
  'time-honored': {
    kind: 'time-honored',
    key: { zh: '品牌 + 老字号级别（或记录编号）', en: 'the brand + the tier (or the listing id)' },
    columns: [
      ...BRAND_COLUMNS,
      { header: '老字号级别', en: 'Tier', aliases: ['级别', '老字号类别'], target: 'entry', path: 'tier', type: 'text', example: '武汉老字号' },
      {
        header: '认定年份',
        en: 'Year recognised',
        aliases: ['recognized year', 'recognised year', 'year'],
        target: 'entry',
        path: 'recognizedYear',
        type: 'int',
        example: '2019',
      },
      { header: '批次', en: 'Batch', target: 'entry', path: 'batch', type: 'text', example: '第三批' },
      {
        // Written by exports; names the listing a row updates. Blank: the brand's listing of the row's tier.
        header: '记录编号',
        en: 'Listing id',
        aliases: ['listing id', 'listingId', 'entry id'],
        target: 'entry',
        path: '_id',
        type: 'text',
        example: '',
      },
      { header: '传承技艺', en: 'Heritage', aliases: ['非遗'], target: 'entry', path: 'heritage', type: 'text', example: '' },
      { header: '品牌故事', en: 'Story', target: 'entry', path: 'story', type: 'text', example: '' },
      { header: '地址', en: 'Address', target: 'entry', path: 'address', type: 'text', example: '武汉市江汉区中山大道' },
      {
        header: '奖励（万元）',
        en: 'Reward (10k yuan)',
        aliases: ['奖励', 'reward', 'rewardWan', '奖励万元'],
        target: 'entry',
        path: 'rewardWan',
        type: 'number',
        example: '10',
      },
      ...STATUS_COLUMNS('有效'),
    ],
  },
  certified: {
    kind: 'certified',
    key: { zh: '证书编号', en: 'certificate number' },
    columns: [
      ...BRAND_COLUMNS,
      {
        header: '证书编号',
        en: 'Certificate number',
        aliases: ['certificate no', 'number', '编号'],
        target: 'entry',
        path: 'number',
        type: 'text',
        required: true,
        example: 'WHJP-2024-0101',
      },
      { header: '认定级别', en: 'Level', aliases: ['级别'], target: 'entry', path: 'level', type: 'text', example: '武汉精品' },
      { header: '认定范围', en: 'Scope', aliases: ['范围'], target: 'entry', path: 'scope', type: 'text', example: '产品' },
      {
        header: '认定产品',
        en: 'Certified product',
        aliases: ['product', '认定产品/服务/工程', '产品/服务/工程'],
        target: 'entry',
        path: 'product',
        type: 'text',
        example: '江城福记热干面',
      },
      {
        header: '发证日期',
        en: 'Issued on',
        aliases: ['issue date', 'issuedAt'],
        target: 'entry',
        path: 'issuedAt',
        type: 'partialDate',
        example: '2024-05-20',
      },
      { header: '有效期至', en: 'Valid until', aliases: ['validUntil', 'valid to'], target: 'entry', path: 'validUntil', type: 'date', example: '2027-05-19' },
      {
        header: '发证机构',
        en: 'Issuing body',
        aliases: ['issuer', '发证单位'],
        target: 'entry',
        path: 'issuer',
        type: 'text',
        example: '武汉市市场监督管理局',
      },
      { header: '标准', en: 'Standard', aliases: ['执行标准'], target: 'entry', path: 'standard', type: 'text', example: 'T/WHPP 012-2022' },
      ...STATUS_COLUMNS('有效'),
    ],
  },
};

/** Header text compared loosely: case, spaces, _ - . / and brackets (ASCII or full width) ignored. */
export function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-.·/()（）[\]【】:：*＊]/g, '');
}

export interface HeaderMap {
  /** Column spec per position in the file (null: unknown or empty header). */
  byIndex: Array<Column | null>;
  /** The header text as written in the file, per column spec path. */
  headerOf: Map<string, string>;
  /** Columns present, in file order. */
  present: Column[];
  /** Header texts the format does not know. */
  unknown: string[];
  /** Columns that must be in the file but are not. */
  missing: Column[];
  /** Header texts that name the same column twice. */
  duplicate: string[];
}

/** Matches the file's header row to the registry's columns. */
export function mapHeader(format: RegistryFormat, header: string[]): HeaderMap {
  const lookup = new Map<string, Column>();
  for (const c of format.columns) {
    for (const name of [c.header, c.en, c.path, ...(c.aliases ?? [])]) {
      const k = normalizeHeader(name);
      if (!lookup.has(k)) lookup.set(k, c);
    }
  }
  const byIndex: Array<Column | null> = [];
  const headerOf = new Map<string, string>();
  const unknown: string[] = [];
  const duplicate: string[] = [];
  for (const raw of header) {
    const text = String(raw ?? '')
      .replace(/^\uFEFF/, '')
      .trim();
    if (!text) {
      byIndex.push(null);
      continue;
    }
    const col = lookup.get(normalizeHeader(text)) ?? null;
    if (!col) unknown.push(text);
    else if (headerOf.has(col.path)) {
      duplicate.push(text);
      byIndex.push(null);
      continue;
    } else headerOf.set(col.path, text);
    byIndex.push(col);
  }
  const present = byIndex.filter((c): c is Column => c !== null);
  const missing = format.columns.filter((c) => c.required && !headerOf.has(c.path));
  return { byIndex, headerOf, present, unknown, missing, duplicate };
}
