/**
 * Certificate verification: what a consumer's typed number means and mistyped-number suggestions.
 * A brand's standing (老字号, famous mark under protection) is the kernel's (registries/standing.ts).
 *
 * Knows nothing of req/res; the routes (routes.ts) and the JSON API call it. The single
 * certificate itself is read by its unique number through getCertificate (registries/queries.ts).
 */
import mongoose from 'mongoose';
import { Certificate } from '../registries/models.js';

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
