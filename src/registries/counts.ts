/**
 * Counts over the four registries and the brands they hang on: by registry, tier or level,
 * status, district, sector, industry and year of listing.
 *
 * Every figure needs every document of its collection, so this reads each collection once, as a
 * cursor over a few projected fields, and counts in JavaScript rather than in aggregation
 * pipelines: one plain read that every server answers alike (the local stack's server implements
 * `$group` with `$sum` but not `$year`, `$lookup`, `$max` or `$cond`), memory stays flat whatever
 * the size (only counters and the brand ids of the small registries are kept), and the cost is one
 * scan per collection. It is meant to run behind StatsCache, never per request.
 *
 * District, sector and industry live on the brand. Brands are counted once each; the famous,
 * time-honored and certificate columns (thousands of entries, not millions) count entries by
 * their brand's district, through a map of those brands' ids built before the brand scan.
 * Directory entries are not broken down by district: nearly every brand is in the directory, and
 * joining 500,000 entries to their brands would need the whole brand list in memory.
 */
import type { ReadableModel } from '../platform/db/index.js';
import { SwrCache } from '../platform/swr-cache.js';
import { Change } from './changes.js';
import { UNSTATED } from './completeness.js';
import { EXPIRED, effectiveStatus, REGISTRIES } from './kinds.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored } from './models.js';
import { DISTRICTS, KINDS, SECTORS, type Kind } from './reference.js';

export interface Count {
  value: string;
  count: number;
}

export interface RegistryCounts {
  kind: Kind;
  /** Entries (time-honored: listings — a brand on two lists counts twice). */
  total: number;
  /** Brands with at least one entry (each once). */
  brands: number;
  /** Tier or level: directory 地理标志/优势商标/商标品牌 (as search shows them), famous route, 老字号 tier, certificate level. */
  byTier: Count[];
  /** Status as the public sees it (certificates: 过期 derived from validUntil). */
  byStatus: Count[];
  /** Year of listing → entries (directory listedAt, famous recognition date, 老字号 recognizedYear, certificate issue date). */
  byYear: Record<number, number>;
}

/** The registries whose entries are counted per district (small lists). */
export const DISTRICT_KINDS = ['famous', 'time-honored', 'certified'] as const;
export type DistrictKind = (typeof DISTRICT_KINDS)[number];

export interface AreaRow {
  /** District, sector or industry. */
  value: string;
  /** Brands (each once). */
  brands: number;
  famous: number;
  'time-honored': number;
  certified: number;
}

export interface RegistryStats {
  computedAt: Date;
  /** How long the counting took (the cache uses it to decide how often to recount). */
  durationMs: number;
  brands: number;
  /** Brands flagged as invented demonstration data. */
  demoBrands: number;
  registries: Record<Kind, RegistryCounts>;
  byDistrict: AreaRow[];
  bySector: AreaRow[];
  /** Industry categories, most brands first. */
  byIndustry: Array<{ value: string; sector: string; brands: number }>;
  /** Every year that has an entry in some registry, ascending. */
  years: number[];
  /** Directory entries with a geographic indication and status 在册. */
  giListed: number;
  /** The latest validUntil already passed by a certificate stored as 有效 (it turned 过期 then, with no write). */
  lastExpiry: Date | null;
  /** Certificates in effect (有效 and not past validUntil), by level. */
  validCertificatesByLevel: Record<string, number>;
  /** When each registry (or a brand or trademark shown in it) last changed, from the change log. */
  lastChange: Record<Kind, Date | null>;
}

type Tally = Map<string, number>;
const bump = (m: Tally, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
/** Known values first in their reference order (zeros included), then anything else found. */
function counts(m: Tally, order: readonly string[]): Count[] {
  const known = order.map((value) => ({ value, count: m.get(value) ?? 0 }));
  const extra = [...m.entries()].filter(([k]) => !order.includes(k)).map(([value, count]) => ({ value, count }));
  return [...known, ...extra];
}
const yearOf = (d: unknown): number | null => {
  if (!d || (!(d instanceof Date) && typeof d !== 'string' && typeof d !== 'number')) return null;
  const t = new Date(d).getTime();
  return Number.isNaN(t) ? null : new Date(t).getUTCFullYear();
};

async function scan<T>(model: ReadableModel, projection: Record<string, 0 | 1>, each: (doc: T) => void): Promise<void> {
  for await (const doc of model.find({}, projection).lean<T[]>().cursor({ batchSize: 2000 })) each(doc);
}

/** Which kinds a change to this model shows in (a brand shows in every list it is on). */
export const KINDS_OF_MODEL: Record<string, Kind[]> = {
  DirectoryEntry: ['directory'],
  FamousMark: ['famous'],
  TimeHonored: ['time-honored'],
  Certificate: ['certified'],
  Brand: [...KINDS],
  Trademark: ['directory', 'famous'],
};

/** The latest applied change per registry, from one pass over the change log. */
export async function lastChanges(): Promise<Record<Kind, Date | null>> {
  const out: Record<Kind, Date | null> = { directory: null, famous: null, 'time-honored': null, certified: null };
  for await (const c of Change.find({ status: 'applied' }, { model: 1, at: 1 }).lean().cursor({ batchSize: 2000 })) {
    const at = new Date(c.at);
    for (const k of KINDS_OF_MODEL[c.model] ?? []) if (!out[k] || out[k]!.getTime() < at.getTime()) out[k] = at;
  }
  return out;
}

/** Counts everything in one pass per collection. `now` decides which certificates have expired. */
export async function computeRegistryStats(now = new Date()): Promise<RegistryStats> {
  const started = Date.now();
  const years = new Set<number>();
  const perBrand = new Map<string, Record<DistrictKind, number>>();
  const attach = (brand: unknown, kind: DistrictKind) => {
    const id = String(brand);
    const row = perBrand.get(id) ?? { famous: 0, 'time-honored': 0, certified: 0 };
    row[kind]++;
    perBrand.set(id, row);
  };
  const registry = (kind: Kind) => ({ kind, total: 0, tier: new Map<string, number>(), status: new Map<string, number>(), year: new Map<number, number>() });
  const addYear = (r: ReturnType<typeof registry>, y: number | null) => {
    if (y === null) return;
    r.year.set(y, (r.year.get(y) ?? 0) + 1);
    years.add(y);
  };

  const dir = registry('directory');
  let giListed = 0;
  await scan<{ status: string; advantage?: boolean; gi?: unknown; listedAt?: Date }>(
    DirectoryEntry,
    { status: 1, advantage: 1, gi: 1, listedAt: 1, _id: 0 },
    (e) => {
      dir.total++;
      bump(dir.tier, REGISTRIES.directory.tierOf(e));
      bump(dir.status, e.status);
      addYear(dir, yearOf(e.listedAt));
      if (e.gi && e.status === '在册') giListed++;
    },
  );

  const fam = registry('famous');
  await scan<{ status: string; brand: unknown; recognition?: { route?: string; date?: Date } }>(
    FamousMark,
    { status: 1, brand: 1, 'recognition.route': 1, 'recognition.date': 1, _id: 0 },
    (e) => {
      fam.total++;
      bump(fam.tier, e.recognition?.route ?? '');
      bump(fam.status, e.status);
      addYear(fam, yearOf(e.recognition?.date));
      attach(e.brand, 'famous');
    },
  );

  const th = registry('time-honored');
  await scan<{ status: string; brand: unknown; tier: string; recognizedYear?: number }>(
    TimeHonored,
    { status: 1, brand: 1, tier: 1, recognizedYear: 1, _id: 0 },
    (e) => {
      th.total++;
      bump(th.tier, e.tier);
      bump(th.status, e.status);
      addYear(th, typeof e.recognizedYear === 'number' ? e.recognizedYear : null);
      attach(e.brand, 'time-honored');
    },
  );

  const cert = registry('certified');
  const validByLevel: Tally = new Map();
  let lastExpiry: Date | null = null;
  await scan<{ status: string; brand: unknown; level: string; validUntil: Date; issuedAt?: Date }>(
    Certificate,
    { status: 1, brand: 1, level: 1, validUntil: 1, issuedAt: 1, _id: 0 },
    (e) => {
      cert.total++;
      const status = effectiveStatus('certified', e.status, new Date(e.validUntil), now);
      bump(cert.tier, e.level);
      bump(cert.status, status);
      addYear(cert, yearOf(e.issuedAt));
      if (status === '有效') bump(validByLevel, e.level);
      else if (status === EXPIRED) {
        const until = new Date(e.validUntil);
        if (!lastExpiry || until.getTime() > lastExpiry.getTime()) lastExpiry = until;
      }
      attach(e.brand, 'certified');
    },
  );

  const area = () => new Map<string, AreaRow>();
  const districts = area();
  const sectors = area();
  const industries = new Map<string, { value: string; sector: string; brands: number }>();
  const row = (m: Map<string, AreaRow>, value: string) => {
    let r = m.get(value);
    if (!r) m.set(value, (r = { value, brands: 0, famous: 0, 'time-honored': 0, certified: 0 }));
    return r;
  };
  let brands = 0;
  let demoBrands = 0;
  await scan<{ _id: unknown; district?: string | null; sector?: string | null; industry?: string | null; demo?: boolean }>(
    Brand,
    { district: 1, sector: 1, industry: 1, demo: 1 },
    (raw) => {
      // A brand that does not state its district, sector or industry (待补充) is counted under
      // 未填写, after the listed values: never left out of the total, never guessed.
      const b = { ...raw, district: raw.district || UNSTATED, sector: raw.sector || UNSTATED, industry: raw.industry || UNSTATED };
      brands++;
      if (b.demo) demoBrands++;
      const d = row(districts, b.district);
      const s = row(sectors, b.sector);
      d.brands++;
      s.brands++;
      const ind = industries.get(b.industry) ?? { value: b.industry, sector: b.sector, brands: 0 };
      ind.brands++;
      industries.set(b.industry, ind);
      const own = perBrand.get(String(b._id));
      if (own) {
        for (const k of DISTRICT_KINDS) {
          d[k] += own[k];
          s[k] += own[k];
        }
      }
    },
  );
  const ordered = (m: Map<string, AreaRow>, order: readonly string[]) => [
    ...order.map((v) => m.get(v) ?? { value: v, brands: 0, famous: 0, 'time-honored': 0, certified: 0 }),
    ...[...m.values()].filter((r) => !order.includes(r.value)),
  ];

  // Brands per registry: the small registries' brands from their per-brand tallies; a brand has one directory entry.
  const brandsOn = (k: Kind) => (k === 'directory' ? dir.total : [...perBrand.values()].filter((row) => row[k as DistrictKind] > 0).length);
  const finish = (r: ReturnType<typeof registry>, tiers: readonly string[], statuses: readonly string[]): RegistryCounts => ({
    kind: r.kind,
    total: r.total,
    brands: brandsOn(r.kind),
    byTier: counts(r.tier, tiers),
    byStatus: counts(r.status, statuses),
    byYear: Object.fromEntries([...r.year.entries()].sort((a, b) => a[0] - b[0])),
  });

  const lastChange = await lastChanges();
  return {
    computedAt: now,
    durationMs: Date.now() - started,
    brands,
    demoBrands,
    registries: {
      directory: finish(dir, REGISTRIES.directory.tiers, REGISTRIES.directory.shownStatuses),
      famous: finish(fam, REGISTRIES.famous.tiers, REGISTRIES.famous.shownStatuses),
      'time-honored': finish(th, REGISTRIES['time-honored'].tiers, REGISTRIES['time-honored'].shownStatuses),
      certified: finish(cert, REGISTRIES.certified.tiers, REGISTRIES.certified.shownStatuses),
    },
    byDistrict: ordered(districts, DISTRICTS),
    bySector: ordered(sectors, SECTORS),
    byIndustry: [...industries.values()].sort((a, b) => b.brands - a.brands || a.value.localeCompare(b.value, 'zh-Hans-CN')),
    years: [...years].sort((a, b) => a - b),
    giListed,
    lastExpiry,
    validCertificatesByLevel: Object.fromEntries(validByLevel),
    lastChange,
  };
}

/**
 * The registry counts as the app serves them: recounted at most every minute (longer when counting
 * is slow), the previous counts kept while a recount fails. Boot makes one and gives it to every
 * page that shows counts (/stats, /admin/stats, /open-data).
 */
export function registryStatsCache(logger?: { warn(obj: object, msg: string): void }): SwrCache<RegistryStats> {
  return new SwrCache(() => computeRegistryStats(), {
    minTtlMs: 60_000,
    onError: (err) => logger?.warn({ err }, 'statistics: recount failed; keeping the previous counts'),
  });
}
