/**
 * Certificate verification: what a consumer's typed number means, mistyped-number suggestions,
 * and a brand's standing (is it a 老字号 or a famous trademark under protection, and since when).
 *
 * Knows nothing of req/res; the routes (routes.ts) and the JSON API call it. The single
 * certificate itself is read by its unique number through getCertificate (registries/queries.ts).
 */
import mongoose from 'mongoose';
import { Brand, Certificate, FamousMark, TimeHonored } from '../registries/models.js';

/** Stored certificate numbers: 6-32 digits, capital letters or hyphens (see models.ts). */
export const CERT_NUMBER_FORMAT = /^[0-9A-Z-]{6,32}$/;
/** What we look up at all: 1-32 of those characters (shorter ones are simply not found). */
const LOOKUP_FORMAT = /^[0-9A-Z-]{1,32}$/;
/** Longest input we even try to normalise; anything longer is refused before any work. */
export const MAX_NUMBER_INPUT = 64;

/**
 * What a consumer typed, as a certificate number would be stored: full-width characters folded
 * (ＷＨＪＰ－２０２３ from a Chinese keyboard), spaces dropped, dashes unified, upper case.
 * Returns null when the result cannot be looked up (wrong characters, longer than 32).
 */
export function normalizeCertNumber(input: string): string | null {
  if (input.length > MAX_NUMBER_INPUT) return null;
  const s = input
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[‐‑‒–—―−﹣]/g, '-')
    .toUpperCase();
  return LOOKUP_FORMAT.test(s) ? s : null;
}

/**
 * Whether free text in the verify box should be treated as a certificate number rather than a
 * product or company name: it has the stored number format and at least one digit (so a pinyin
 * word such as "reganmian" is still searched as a name).
 */
export function looksLikeCertNumber(input: string): string | null {
  const n = normalizeCertNumber(input);
  return n && CERT_NUMBER_FORMAT.test(n) && /\d/.test(n) ? n : null;
}

/** True when a certificate with exactly this (normalised) number exists. Uses the unique index. */
export async function certificateExists(number: string): Promise<boolean> {
  return (await Certificate.exists({ number })) !== null;
}

// ---------------------------------------------------------------------------------------------
// Near misses
// ---------------------------------------------------------------------------------------------

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-';

/**
 * Every string at Damerau–Levenshtein distance 1 from `s` over the certificate alphabet, in the
 * order we prefer to suggest them: two adjacent characters swapped, one character wrong, one
 * character missing from the input, one extra character in the input.
 */
export function editNeighbours(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < s.length; i++) {
    if (s[i] !== s[i + 1]) out.push(s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2));
  }
  for (let i = 0; i < s.length; i++) {
    for (const c of ALPHABET) if (c !== s[i]) out.push(s.slice(0, i) + c + s.slice(i + 1));
  }
  for (let i = 0; i <= s.length; i++) {
    for (const c of ALPHABET) out.push(s.slice(0, i) + c + s.slice(i));
  }
  for (let i = 0; i < s.length; i++) out.push(s.slice(0, i) + s.slice(i + 1));
  return out;
}

export interface NearMiss {
  number: string;
  product: string;
}

/**
 * The set of every certificate number, kept in memory to suggest near misses for a number that
 * was not found.
 *
 * Why candidates and a set, not a scan: a number of length L has about 75·L neighbours at edit
 * distance 1 over our 37-character alphabet (≈ 1,100 for a 14-character number), so generating
 * them and probing a Set costs the same few hundred microseconds whether the registry holds
 * thousands or millions of certificates, while a bounded edit-distance check against every
 * number grows with the registry. The set itself is small (thousands of short strings).
 *
 * Why refresh on demand, not on a timer: only the not-found path needs the set, so it is loaded
 * when first needed and reloaded when older than `maxAgeMs` (one minute), with one load in flight
 * at a time; there is no timer to own, and a request that finds its certificate never pays for
 * it. Suggestions are then re-read from MongoDB by number, so a stale set can at worst miss a
 * brand-new number — it never shows a product name that is out of date.
 */
export class CertificateNumbers {
  private numbers: Set<string> | null = null;
  private loadedAt = 0;
  private loading: Promise<Set<string>> | null = null;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;

  constructor(opts: { maxAgeMs?: number; clock?: () => number } = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.clock = opts.clock ?? Date.now;
  }

  /** The current set, reloading it from MongoDB when it is older than maxAgeMs. */
  async current(): Promise<Set<string>> {
    if (this.numbers && this.clock() - this.loadedAt < this.maxAgeMs) return this.numbers;
    this.loading ??= (async () => {
      try {
        const rows = await Certificate.find({}, { number: 1, _id: 0 }).lean();
        this.numbers = new Set(rows.map((r) => r.number));
        this.loadedAt = this.clock();
        return this.numbers;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * Up to `limit` existing certificates one edit away from `number` (already normalised),
   * with only what their public page shows in a list: the number and the product.
   */
  async nearMisses(number: string, limit = 3): Promise<NearMiss[]> {
    const set = await this.current();
    const found: string[] = [];
    for (const candidate of new Set(editNeighbours(number))) {
      if (candidate !== number && set.has(candidate)) found.push(candidate);
      if (found.length === limit) break;
    }
    if (!found.length) return [];
    // sanitizeFilter is on (db.ts): an operator we build ourselves from known numbers is marked trusted.
    const rows = await Certificate.find({ number: mongoose.trusted({ $in: found }) }, { number: 1, product: 1, _id: 0 }).lean();
    const product = new Map(rows.map((r) => [r.number, r.product]));
    return found.filter((n) => product.has(n)).map((n) => ({ number: n, product: product.get(n)! }));
  }
}

// ---------------------------------------------------------------------------------------------
// Brand standing
// ---------------------------------------------------------------------------------------------

/** Famous-trademark statuses under which the mark is protected. */
const FAMOUS_PROTECTED = ['重点保护', '一般保护'];

/**
 * Whether a brand is currently a 中华/湖北/武汉老字号 and whether it holds a famous trademark
 * under protection, and since when. The same summary for the brand page, the verify page and
 * the certificate API.
 */
export interface BrandStanding {
  timeHonored: {
    tier: string;
    recognizedYear: number;
    status: string;
    /** 有效 (listed); 复核中 is still listed but under review; 已移出 is not current. */
    current: boolean;
    statusChangedAt: Date | null;
  } | null;
  famous: {
    /** The strongest status among the brand's marks (重点保护 before 一般保护 before 失效). */
    status: string;
    current: boolean;
    /** Earliest recognition date among the marks with that status. */
    since: Date;
    statusChangedAt: Date | null;
    trademarkRegNos: string[];
  } | null;
}

interface StandingInput {
  timeHonored: { tier: string; recognizedYear: number; status: string; statusChangedAt?: Date | null } | null;
  famous: Array<{ trademarkRegNo: string; recognition: { date: Date }; status: string; statusChangedAt?: Date | null }>;
}

/** Brand standing from what the brand profile already holds (no further queries). */
export function brandStanding(p: StandingInput): BrandStanding {
  const th = p.timeHonored;
  const rank = (s: string) => (s === '重点保护' ? 0 : s === '一般保护' ? 1 : 2);
  const best = [...p.famous].sort((a, b) => rank(a.status) - rank(b.status))[0];
  const same = best ? p.famous.filter((f) => f.status === best.status) : [];
  const since = same.map((f) => new Date(f.recognition.date)).sort((a, b) => a.getTime() - b.getTime())[0];
  return {
    timeHonored: th && {
      tier: th.tier,
      recognizedYear: th.recognizedYear,
      status: th.status,
      current: th.status === '有效' || th.status === '复核中',
      statusChangedAt: th.statusChangedAt ?? null,
    },
    famous: best && since ? {
      status: best.status,
      current: FAMOUS_PROTECTED.includes(best.status),
      since,
      statusChangedAt: same.map((f) => f.statusChangedAt ?? null).find(Boolean) ?? null,
      trademarkRegNos: same.map((f) => f.trademarkRegNo),
    } : null,
  };
}

/** Brand standing for a brand by slug (three small indexed reads), or null for an unknown brand. */
export async function loadBrandStanding(slug: string): Promise<BrandStanding | null> {
  const brand = await Brand.findOne({ slug }, { _id: 1 }).lean();
  if (!brand) return null;
  const [timeHonored, famous] = await Promise.all([
    TimeHonored.findOne({ brand: brand._id }, { tier: 1, recognizedYear: 1, status: 1, statusChangedAt: 1 }).lean(),
    FamousMark.find({ brand: brand._id }, { trademarkRegNo: 1, recognition: 1, status: 1, statusChangedAt: 1 }).lean(),
  ]);
  return brandStanding({
    timeHonored: timeHonored ? { ...timeHonored, statusChangedAt: timeHonored.statusChangedAt ?? null } : null,
    famous: famous.map((f) => ({ ...f, statusChangedAt: f.statusChangedAt ?? null })),
  });
}

/**
 * loadBrandStanding with a short in-process memory, for the verify result page.
 *
 * The verdict itself is always read fresh by number; the standing is the slow-changing part of
 * the page (a 老字号 or famous-mark decision changes a few times a year) and costs three indexed
 * reads, two of them after the first. Remembering it for the page's own max-age (60 s) adds no
 * staleness that a shared cache in front of us could not already add. Bounded: when full, the
 * memory is simply dropped and refilled.
 */
export class BrandStandingCache {
  private readonly entries = new Map<string, { at: number; value: BrandStanding | null }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(opts: { ttlMs?: number; maxEntries?: number; clock?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.clock = opts.clock ?? Date.now;
  }

  async get(slug: string): Promise<BrandStanding | null> {
    const now = this.clock();
    const hit = this.entries.get(slug);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = await loadBrandStanding(slug);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(slug, { at: now, value });
    return value;
  }
}

/** Brand standing as JSON for the API: Chinese labels plus stable booleans. */
export function standingJson(s: BrandStanding | null) {
  if (!s) return null;
  return {
    timeHonored: s.timeHonored && {
      tier: s.timeHonored.tier,
      status: s.timeHonored.status,
      current: s.timeHonored.current,
      recognizedYear: s.timeHonored.recognizedYear,
    },
    famousTrademark: s.famous && {
      status: s.famous.status,
      current: s.famous.current,
      protectedSince: s.famous.since,
      statusChangedAt: s.famous.current ? null : s.famous.statusChangedAt,
      trademarkRegNos: s.famous.trademarkRegNos,
    },
  };
}
