/**
 * Loads the demo data set through the registry service. It only fills in what is missing: every
 * record is keyed by a natural key (brand slug, trademark registration number, certificate number,
 * the brand for its directory and time-honored entries) and a record that exists is never written
 * — so `npm run demo` can restart on its database and a regulator's edits survive; the report says
 * how much was skipped. Identifiers and dates that the hand-written data leaves out are derived
 * deterministically from the slug. Brands are flagged `demo`, and their pages say so.
 */
import mongoose from 'mongoose';
import { demoCreditCode } from '../registries/credit-code.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark } from '../registries/models.js';
import { TIME_HONORED_REWARD, type District } from '../registries/reference.js';
import { appendProtectionRecord, appendReview, createEntry, type EntryModel } from '../registries/service.js';
import { DEMO_BRANDS } from './brands.js';
import type { DemoBrand } from './types.js';

const DISTRICT_CODES: Partial<Record<District, string>> = {
  江岸区: '420102',
  江汉区: '420103',
  硚口区: '420104',
  汉阳区: '420105',
  武昌区: '420106',
  青山区: '420107',
  洪山区: '420111',
  东西湖区: '420112',
  汉南区: '420113',
  蔡甸区: '420114',
  江夏区: '420115',
  黄陂区: '420116',
  新洲区: '420117',
};

/** Deterministic pseudo-random integer in [min, max] from a string. */
export function pick(seed: string, min: number, max: number): number {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
  return min + (h % (max - min + 1));
}

const date = (y: number, seed: string) => new Date(Date.UTC(y, pick(`${seed}m`, 0, 11), pick(`${seed}d`, 1, 28)));

const CERT_PREFIX: Record<string, string> = {
  中国精品: 'ZGJP',
  湖北精品: 'HBJP',
  武汉精品: 'WHJP',
  绿色食品: 'LB',
  有机农产品: 'YJNCP',
  农产品地理标志: 'AGI',
  名特优新农产品: 'MTYX',
};

export function demoRegNo(slug: string, nice: number): string {
  return String(pick(`${slug}#${nice}`, 1_000_000, 59_999_999));
}

export function demoCertNumber(b: DemoBrand, i: number): string {
  const c = b.certificates![i]!;
  return `${CERT_PREFIX[c.level] ?? 'CERT'}-${c.year}-${String(pick(`${b.slug}@${i}`, 1, 9999)).padStart(4, '0')}`;
}

export type SeedRecord = 'brand' | 'trademark' | 'directory' | 'famous' | 'time-honored' | 'certificate';

export interface SeedReport {
  /** Records written (they were missing). */
  created: number;
  /** Records that already existed and were left as they are (a regulator may have edited them). */
  skipped: number;
  /** The same counts by kind of record. */
  byRecord: Record<SeedRecord, { created: number; skipped: number }>;
  /** What was created, as "created <what> <brand slug>" (diagnostics for a re-seed that writes something). */
  changed: string[];
}

export interface SeedProgress {
  brands: number;
  totalBrands: number;
  report: SeedReport;
  /** "demo data: 40/96 brands · 152 created, 0 skipped" */
  line: string;
}

export interface SeedOptions {
  /** Called about every tenth of the brands and after the last one. */
  onProgress?: (p: SeedProgress) => void;
  /** Today, for the terms of the demo's trademark registrations (tests pin it). */
  now?: Date;
}

/** "312 created, 0 skipped" / "0 created, 312 skipped (brand 96, trademark 120, …)". */
export function seedSummary(r: SeedReport): string {
  const parts = (Object.entries(r.byRecord) as Array<[SeedRecord, { created: number; skipped: number }]>)
    .filter(([, c]) => c.skipped > 0)
    .map(([what, c]) => `${what} ${c.skipped}`);
  return `${r.created} created, ${r.skipped} skipped${parts.length ? ` as they exist already (${parts.join(', ')})` : ''}`;
}

type Stored<T> = T & { _id: mongoose.Types.ObjectId; version: number; records: unknown[] };

/** Creates the record unless one with this key exists: an existing record is never changed. */
async function fillMissing<T>(
  entryModel: EntryModel<T>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
): Promise<{ doc: Stored<T>; action: 'created' | 'skipped' }> {
  const existing = await mongoose.model<Record<string, unknown>>(entryModel.modelName).findOne(key).lean();
  if (existing) return { doc: existing as unknown as Stored<T>, action: 'skipped' };
  return { doc: (await createEntry<T>(entryModel, { ...key, ...data })) as Stored<T>, action: 'created' };
}

/**
 * A few deterministic status changes so the demo shows dynamic management: one suspended
 * directory entry, one time-honored brand under review, one suspended and one revoked certificate.
 */
/** Ten years from `d` (a registration's term, Art. 39 of the Trademark Law). */
const tenYears = (d: Date) => new Date(Date.UTC(d.getUTCFullYear() + 10, d.getUTCMonth(), d.getUTCDate()));

/** The term a mark first registered on `first` is in now, renewed every ten years since. */
function currentTerm(first: Date, now: Date): { from: Date; to: Date } {
  let from = first;
  while (tenYears(from).getTime() <= now.getTime()) from = tenYears(from);
  return { from, to: tenYears(from) };
}

/** A term that ended `days` ago. */
function endedTerm(now: Date, days: number): { from: Date; to: Date } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days));
  return { from: new Date(Date.UTC(to.getUTCFullYear() - 10, to.getUTCMonth(), to.getUTCDate())), to };
}

const SPECIAL = {
  directorySuspended: 2,
  timeHonoredReview: 5,
  /** A listing re-reviewed as 附条件通过, its rectification deadline ahead: the public re-review table. */
  timeHonoredConditional: 1,
  certSuspended: 3,
  certRevoked: 7,
};

export async function seedDemo(brands: DemoBrand[] = DEMO_BRANDS, opts: SeedOptions = {}): Promise<SeedReport> {
  const none = () => ({ created: 0, skipped: 0 });
  const report: SeedReport = {
    created: 0,
    skipped: 0,
    byRecord: { brand: none(), trademark: none(), directory: none(), famous: none(), 'time-honored': none(), certificate: none() },
    changed: [],
  };
  const now = opts.now ?? new Date();
  let current = '';
  const count = (a: 'created' | 'skipped', what: SeedRecord) => {
    report[a]++;
    report.byRecord[what][a]++;
    if (a === 'created') report.changed.push(`${a} ${what} ${current}`.trim());
  };
  const step = Math.max(1, Math.ceil(brands.length / 10));
  let dirIndex = 0;
  let thIndex = 0;
  let certIndex = 0;
  for (const [n, b] of brands.entries()) {
    if (n > 0 && n % step === 0) progress(n);
    const { doc: brand, action } = await fillMissing(
      Brand,
      { slug: b.slug },
      {
        name: b.name,
        nameEn: b.nameEn ?? '',
        company: b.company,
        creditCode: demoCreditCode(b.slug, DISTRICT_CODES[b.district] ?? '420100'),
        district: b.district,
        sector: b.sector,
        industry: b.industry,
        keywords: b.keywords,
        description: b.description,
        website: b.website ?? '',
        founded: b.founded,
        demo: true,
      },
    );
    current = b.slug;
    count(action, 'brand');
    const regNos: string[] = [];
    if (b.directory) {
      const suspended = dirIndex++ === SPECIAL.directorySuspended;
      const classes = [...new Set(b.directory.niceClasses)].slice(0, 4);
      for (const [i, nice] of classes.entries()) {
        const regNo = demoRegNo(b.slug, nice);
        regNos.push(regNo);
        // The suspended entry's first mark ended 40 days ago, unrenewed (its grace period: the due
        // view lists it); every other mark has been renewed up to its current term.
        const term = suspended && i === 0 ? endedTerm(now, 40) : currentTerm(date(pick(`${b.slug}${nice}y`, 2008, 2020), `${regNo}f`), now);
        const r = await fillMissing(
          Trademark,
          { regNo },
          {
            brand: brand._id,
            mark: b.name,
            niceClasses: [nice],
            validFrom: term.from,
            validTo: term.to,
            madrid: Boolean(b.directory.madrid && i === 0),
          },
        );
        count(r.action, 'trademark');
      }
      const listedAt = date(pick(`${b.slug}l`, 2019, 2024), `${b.slug}l`);
      const r = await fillMissing(
        DirectoryEntry,
        { brand: brand._id },
        {
          advantage: Boolean(b.directory.advantage),
          ...(b.directory.gi ? { gi: b.directory.gi } : {}),
          listedAt,
          status: suspended ? '暂停' : '在册',
          statusReason: suspended ? '商标专用权续展待核实（演示）' : '',
          statusChangedAt: suspended ? date(2025, `${b.slug}s`) : listedAt,
        },
      );
      count(r.action, 'directory');
    }
    if (b.famous) {
      const f = b.famous;
      const regNo = regNos[0] ?? demoRegNo(b.slug, 0);
      const judicial = f.route === '司法认定';
      const recDate = date(f.year, `${b.slug}r`);
      const r = await fillMissing(
        FamousMark,
        { trademarkRegNo: regNo },
        {
          brand: brand._id,
          recognition: {
            date: recDate,
            authority: judicial ? '武汉市中级人民法院' : f.year >= 2018 ? '国家知识产权局' : '国家工商行政管理总局商标局',
            documentNo: judicial ? `（${f.year}）鄂01民初${pick(`${b.slug}n`, 100, 9999)}号` : `商标驰字〔${f.year}〕第${pick(`${b.slug}n`, 10, 999)}号`,
            route: f.route,
          },
          regulator: '武汉市市场监督管理局知识产权保护处',
          nextReviewAt: date(2026 + pick(`${b.slug}v`, 0, 1), `${b.slug}v`),
          status: f.level,
          statusChangedAt: recDate,
        },
      );
      count(r.action, 'famous');
      if (r.action === 'created' && r.doc.records.length === 0) {
        const demo = { actor: 'demo' };
        const v2 = await appendProtectionRecord<{ version: number }>(
          r.doc._id,
          r.doc.version,
          { date: date(2024, `${b.slug}p1`), kind: '监测', summary: '电商平台商标使用监测，未发现明显侵权链接（演示记录）', outcome: '持续监测' },
          demo,
        );
        await appendProtectionRecord(
          r.doc._id,
          v2.version,
          { date: date(2025, `${b.slug}p2`), kind: '侵权案件', summary: '协查外地仿冒包装线索一起（演示记录）', outcome: '已移送属地查处' },
          demo,
        );
      }
    }
    if (b.timeHonored) {
      const th = b.timeHonored;
      const review = thIndex++ === SPECIAL.timeHonoredReview;
      const r = await fillMissing(
        TimeHonored,
        { brand: brand._id },
        {
          tier: th.tier,
          recognizedYear: th.year,
          batch: `第${pick(`${b.slug}b`, 1, 4)}批`,
          heritage: th.heritage ?? '',
          story: th.story,
          address: th.address,
          rewardWan: TIME_HONORED_REWARD[th.tier],
          status: review ? '复核中' : '有效',
          statusReason: review ? '经营场所变更，按规定开展复核（演示）' : '',
          statusChangedAt: review ? date(2025, `${b.slug}c`) : date(th.year, `${b.slug}c`),
        },
      );
      count(r.action, 'time-honored');
      if (r.action === 'created' && thIndex - 1 === SPECIAL.timeHonoredConditional) {
        const deadline = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 4, 1));
        await appendReview(
          r.doc._id,
          r.doc.version,
          { date: '2025-06', outcome: '附条件通过', deadline, note: '门店招牌未规范使用老字号标识，限期整改（演示记录）' },
          { actor: 'demo' },
        );
      }
    }
    for (const [i, c] of (b.certificates ?? []).entries()) {
      const issuedAt = date(c.year, `${b.slug}@${i}i`);
      // Five years' validity: the certificates issued in 2019-2020 have expired by now, the rest are current.
      const validUntil = new Date(Date.UTC(c.year + 5, issuedAt.getUTCMonth(), issuedAt.getUTCDate()));
      const n = certIndex++;
      const status = n === SPECIAL.certSuspended ? '暂停' : n === SPECIAL.certRevoked ? '撤销' : '有效';
      const r = await fillMissing(
        Certificate,
        { number: demoCertNumber(b, i) },
        {
          brand: brand._id,
          level: c.level,
          scope: c.scope,
          product: c.product,
          issuedAt,
          validUntil,
          issuer: c.issuer,
          standard: c.standard ?? '',
          status,
          statusReason:
            status === '暂停' ? '监督抽查不合格，责令整改期间暂停（演示）' : status === '撤销' ? '生产条件发生重大变化，不再符合认定条件（演示）' : '',
          statusChangedAt: status === '有效' ? issuedAt : date(2025, `${b.slug}@${i}s`),
        },
      );
      count(r.action, 'certificate');
    }
  }
  progress(brands.length);
  return report;

  function progress(done: number) {
    opts.onProgress?.({
      brands: done,
      totalBrands: brands.length,
      report,
      line: `demo data: ${done}/${brands.length} brands · ${report.created} created, ${report.skipped} skipped`,
    });
  }
}
