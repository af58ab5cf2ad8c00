/**
 * Text analysis shared by every search adapter: normalisation (NFKC, traditional → simplified,
 * lower case), CJK n-grams for substring matches, and pinyin (full and initials).
 *
 * Enrichment happens once, here, when a document is built for the index and when a query is
 * parsed, so the embedded engine and Meilisearch see the same searchable fields.
 */
import * as OpenCC from 'opencc-js';
import { pinyin } from 'pinyin-pro';

const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });

const CJK = /\p{Script=Han}/u;
/** A run of Han characters, or a run of Latin letters/digits. */
const RUNS = /\p{Script=Han}+|[\p{L}\p{N}]+/gu;

/** NFKC, traditional → simplified, lower case, single spaces. */
export function normalize(text: string): string {
  return toSimplified(text.normalize('NFKC')).toLowerCase().replace(/\s+/g, ' ').trim();
}

export function isCjk(s: string): boolean {
  return CJK.test(s);
}

/** Han runs and Latin/digit runs of normalised text, in order. */
export function runs(normalized: string): string[] {
  return normalized.match(RUNS) ?? [];
}

/** Overlapping character bigrams of a Han run ("蔡林记" → ["蔡林", "林记"]); a lone character stays. */
export function bigrams(run: string): string[] {
  const chars = [...run];
  if (chars.length < 2) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

const pinyinCache = new Map<string, string[]>();

/** Toneless pinyin syllables of a Han run, one per character. */
export function syllables(run: string): string[] {
  let s = pinyinCache.get(run);
  if (!s) {
    s = pinyin(run, { toneType: 'none', type: 'array', v: true }).map((p) => p.toLowerCase().replace(/[^a-z]/g, ''));
    if (pinyinCache.size > 50_000) pinyinCache.clear();
    pinyinCache.set(run, s);
  }
  return s;
}

export interface PinyinForms {
  /** "cai lin ji" */
  spaced: string;
  /** "cailinji" */
  joined: string;
  /** "clj" */
  initials: string;
}

/** Pinyin forms of a text's Han characters (other characters are skipped). */
export function pinyinForms(text: string): PinyinForms {
  const syl = runs(normalize(text)).filter(isCjk).flatMap(syllables).filter(Boolean);
  return { spaced: syl.join(' '), joined: syl.join(''), initials: syl.map((s) => s[0]).join('') };
}

/**
 * Tokens for an FTS column that must support substring search on Han text: bigrams of each Han
 * run, Latin/digit runs as words. Separate inputs are separated by a marker token so that a phrase
 * never spans two keywords.
 */
export function gramTokens(texts: string[]): string {
  const parts: string[] = [];
  for (const t of texts) {
    const tokens = runs(normalize(t)).flatMap((r) => (isCjk(r) ? bigrams(r) : [r]));
    if (tokens.length) parts.push(tokens.join(' '));
  }
  return parts.join(' zzsep ');
}

/** Single Han characters, each once, for one-character queries. */
export function unigramTokens(texts: string[]): string {
  const set = new Set<string>();
  for (const t of texts) for (const r of runs(normalize(t))) if (isCjk(r)) for (const c of r) set.add(c);
  return [...set].join(' ');
}

/** Pinyin and Latin tokens: per text, spaced syllables, joined and initials, plus Latin words. */
export function pinyinTokens(texts: string[]): string {
  const parts: string[] = [];
  for (const t of texts) {
    const n = normalize(t);
    const f = pinyinForms(n);
    if (f.joined) parts.push(f.spaced, f.joined, f.initials);
    const latin = runs(n).filter((r) => !isCjk(r));
    if (latin.length) parts.push(latin.join(' '), latin.length > 1 ? latin.join('') : '');
  }
  return parts.filter(Boolean).join(' zzsep ');
}

/**
 * Joined pinyin of every later part of a name, from its second syllable on (舒安藠头 →
 * "anjiaotou jiaotou"): a name is often a place or family word plus the product, and people type
 * the product's pinyin joined ("jiaotou"). Two syllables at least (single syllables are already
 * tokens of the spaced form). `spaced`: PinyinForms.spaced of the name.
 */
export function pinyinSuffixes(spaced: string): string[] {
  const syl = spaced.split(' ').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i + 1 < syl.length; i++) out.push(syl.slice(i).join(''));
  return out;
}
