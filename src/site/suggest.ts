/**
 * Suggestions as the visitor types (GET /api/v1/suggest, public/js/suggest.js) and "did you mean"
 * when a search finds nothing. Suggestions read the SearchIndex's bounded lookup (lookup(): no
 * counting, a fixed number of candidates, the dictionary's completions by how many entries use
 * them), "did you mean" its search(), so every adapter (embedded, Meilisearch) suggests what it
 * would find:
 *
 * - brands: the hits' brand names → the brand page;
 * - products: dictionary words that start with the typed text, most used first, then the hits'
 *   keywords that contain it (or whose pinyin starts with it) → a search;
 * - certificates: certificate numbers that start with the typed text → /verify/<number>.
 *
 * A query needs at least one Han character or two Latin letters/digits: a single letter prefix
 * matches most of the index and tells the visitor nothing (an empty list is answered instead).
 */
import { LRUCache } from 'lru-cache';
import { pinyin } from 'pinyin-pro';
import { registerMessages, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import type { Hit, PrefixLookup, SearchIndex, SearchQuery } from '../search/port.js';

registerMessages({
  'suggest.brand': ['品牌', 'Brand'],
  'suggest.product': ['产品', 'Product'],
  'suggest.certificate': ['证书', 'Certificate'],
  'suggest.label': ['搜索建议', 'Suggestions'],
  'suggest.didYouMean': ['您是不是要找：', 'Did you mean: '],
});

export const SUGGEST_LIMIT = 8;
export const SUGGEST_MAX_LENGTH = 50;

export type SuggestionType = 'brand' | 'product' | 'certificate';

export interface Suggestion {
  type: SuggestionType;
  /** What the list shows (and what a product suggestion searches for). */
  label: string;
  /** A second, quieter line: the company, the brand of a product, the certified product. */
  detail: string;
  /** Where choosing it goes: a brand page, a search or a certificate check. */
  href: string;
}

const HAN = /\p{Script=Han}/u;
const CERT_LIKE = /^[0-9A-Za-z-]+$/;

/** The query as suggestions compare it: trimmed, inner spaces collapsed. */
export function normalizeSuggestQuery(q: string): string {
  return q.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

/** True when the query is long enough to suggest anything for (≥ 1 Han char or ≥ 2 Latin letters/digits). */
export function suggestable(q: string): boolean {
  if (HAN.test(q)) return true;
  return (q.match(/[0-9A-Za-z]/g) ?? []).length >= 2;
}

const query = (q: string, pageSize: number): SearchQuery => ({ q, filters: {}, sort: 'relevance', page: 1, pageSize, facets: false });

const pinyinCache = new Map<string, { full: string; initials: string }>();
/** Toneless pinyin of a text, joined ("热干面" → "reganmian", initials "rgm"). */
function pinyinOf(text: string): { full: string; initials: string } {
  let p = pinyinCache.get(text);
  if (!p) {
    const syllables = pinyin(text, { toneType: 'none', type: 'array', v: true }).map((s) => s.toLowerCase().replace(/[^a-z0-9]/g, ''));
    p = { full: syllables.join(''), initials: syllables.map((s) => s[0] ?? '').join('') };
    if (pinyinCache.size > 20_000) pinyinCache.clear();
    pinyinCache.set(text, p);
  }
  return p;
}

/** Whether a keyword (product) matches the typed text: contains it, or its pinyin starts with it. */
function keywordMatches(keyword: string, q: string): boolean {
  if (keyword.includes(q)) return true;
  if (HAN.test(q)) return false;
  const latin = q.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!latin) return false;
  if (keyword.toLowerCase().replace(/\s+/g, '').startsWith(latin)) return true;
  const p = pinyinOf(keyword);
  return p.full.startsWith(latin) || p.initials.startsWith(latin);
}

/** The certificate number of a certified hit (the last identifier, as the result list shows it). */
const certNumber = (h: Hit): string | null => (h.doc.kind === 'certified' ? (h.doc.identifiers[h.doc.identifiers.length - 1] ?? null) : null);

/** Up to `limit` suggestions for what has been typed so far (empty when too short). */
export async function suggest(index: SearchIndex, rawQ: string, lang: Lang, limit = SUGGEST_LIMIT): Promise<Suggestion[]> {
  const q = normalizeSuggestQuery(rawQ);
  if (!suggestable(q)) return [];
  // The port's bounded lookup when the adapter has one: nothing counted, the dictionary's most
  // used completions; else one page of a search (which counts and ranks every match).
  if (!index.lookup) return suggestionsFromHits((await index.search(query(q, 20))).hits, q, lang, limit);
  const { hits, words } = await index.lookup(q, { limit: 20, words: limit });
  return suggestionsFromHits(hits, q, lang, limit, words);
}

/**
 * suggest() behind a short in-process memory (TTL `ttlMs`, default 30 s; concurrent identical
 * requests share one lookup). Typing produces the same short prefixes again and again; with the
 * port's bounded lookup even the broadest (one Han character, two letters) stay cheap, and the
 * memory spares the engine the repeats. Suggestions may therefore lag an edit by up to `ttlMs` —
 * as they may anyway in a browser or CDN (Cache-Control: max-age=60).
 */
export function createSuggester(index: SearchIndex, o: { ttlMs?: number; max?: number } = {}) {
  const memo = new LRUCache<string, Promise<Suggestion[]>>({ max: o.max ?? 5000, ttl: o.ttlMs ?? 30_000 });
  return (rawQ: string, lang: Lang, limit = SUGGEST_LIMIT): Promise<Suggestion[]> => {
    const q = normalizeSuggestQuery(rawQ);
    if (!suggestable(q)) return Promise.resolve([]);
    const key = `${lang}\u0000${limit}\u0000${q}`;
    let p = memo.get(key);
    if (!p) {
      p = suggest(index, q, lang, limit);
      memo.set(key, p);
      // A failed search (engine unavailable) is not remembered.
      p.catch(() => memo.delete(key));
    }
    return p;
  };
}

/**
 * Suggestions from a lookup's (or a search's) hits and, when given, the dictionary words that
 * complete the text (PrefixLookup.words, most used first): those come first among products, so
 * that one typed character offers what most entries are about. A word that is a suggested
 * brand's name is not offered again as a product.
 */
export function suggestionsFromHits(hits: Hit[], q: string, lang: Lang, limit = SUGGEST_LIMIT, words: PrefixLookup['words'] = []): Suggestion[] {
  const certs: Suggestion[] = [];
  const brands: Suggestion[] = [];
  const products: Suggestion[] = [];
  const seenBrands = new Set<string>();
  const seenProducts = new Set<string>(hits.map((h) => h.doc.name));
  const upper = q.toUpperCase();
  for (const { term } of words) {
    if (seenProducts.has(term)) continue;
    seenProducts.add(term);
    // The detail names a brand that has the word, when one is among the hits.
    const of = hits.find((h) => h.doc.keywords.includes(term) || h.doc.title === term);
    products.push({ type: 'product', label: term, detail: of?.doc.name ?? '', href: url(lang, '/search', { q: term }) });
  }
  for (const h of hits) {
    const number = certNumber(h);
    if (number && CERT_LIKE.test(q) && number.toUpperCase().startsWith(upper)) {
      certs.push({ type: 'certificate', label: number, detail: `${h.doc.title} · ${h.doc.name}`, href: url(lang, `/verify/${encodeURIComponent(number)}`) });
    }
    if (!seenBrands.has(h.doc.slug)) {
      seenBrands.add(h.doc.slug);
      const name = lang === 'en' && h.doc.nameEn ? `${h.doc.nameEn} ${h.doc.name}` : h.doc.name;
      brands.push({ type: 'brand', label: name, detail: h.doc.company, href: url(lang, `/brands/${h.doc.slug}`) });
    }
    // A certified product (a certificate's title, e.g. 蔡林记速食热干面) is a product too.
    const titles = h.doc.kind === 'certified' && h.doc.title !== h.doc.name ? [h.doc.title] : [];
    for (const k of [...titles, ...h.doc.keywords]) {
      if (seenProducts.has(k) || !keywordMatches(k, q)) continue;
      seenProducts.add(k);
      products.push({ type: 'product', label: k, detail: h.doc.name, href: url(lang, '/search', { q: k }) });
    }
  }
  // Certificates first (a typed number means exactly one thing), then brands with room kept for
  // a few products; whichever list runs short leaves its places to the other.
  const out = certs.slice(0, 3);
  const productRoom = Math.min(products.length, 3);
  const brandTake = Math.max(0, Math.min(brands.length, limit - out.length - productRoom));
  out.push(...brands.slice(0, brandTake));
  out.push(...products.slice(0, Math.max(0, limit - out.length)));
  return out.slice(0, limit);
}

/** Damerau-free Levenshtein distance over code points (short strings only). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** How far a candidate is from the query: by characters, and by pinyin (homophones are common typos). */
function distance(q: string, candidate: string): number {
  const byChars = editDistance(q.toLowerCase(), candidate.toLowerCase()) / Math.max([...q].length, 1);
  const qp = HAN.test(q) ? pinyinOf(q).full : q.toLowerCase().replace(/[^a-z0-9]/g, '');
  const cp = pinyinOf(candidate).full;
  const byPinyin = qp && cp ? editDistance(qp, cp) / Math.max(qp.length, 1) : 1;
  return Math.min(byChars, byPinyin);
}

/** Shorter forms of a query to look for near matches with: its pinyin, each run, the query minus an end. */
function variants(q: string): string[] {
  const out: string[] = [];
  const runs = q.match(/\p{Script=Han}+|[0-9A-Za-z]+/gu) ?? [];
  if (HAN.test(q)) out.push(pinyinOf(q.replace(/\s+/g, '')).full);
  if (runs.length > 1) out.push(...runs);
  const chars = [...q.replace(/\s+/g, '')];
  const min = HAN.test(q) ? 2 : 3;
  for (let n = chars.length - 1; n >= min; n--) out.push(chars.slice(0, n).join(''));
  if (chars.length > min) out.push(chars.slice(1).join(''));
  return [...new Set(out)].filter((v) => v && v !== q && suggestable(v));
}

export interface DidYouMean {
  /** The suggested search words. */
  q: string;
  /** The search page for them (a link: the visitor chooses; never a redirect). */
  href: string;
}

/**
 * For a search that found nothing: the closest known brand name or product to what was typed,
 * found by searching shorter forms of the query (its pinyin, each run, a character less). Null
 * when nothing is near enough. At most seven searches, only on empty result pages.
 */
export async function didYouMean(index: SearchIndex, rawQ: string, lang: Lang): Promise<DidYouMean | null> {
  const q = normalizeSuggestQuery(rawQ);
  if (!suggestable(q) || [...q].length > SUGGEST_MAX_LENGTH) return null;
  let best = null as { text: string; d: number } | null;
  for (const v of variants(q).slice(0, 6)) {
    const { hits } = await index.search(query(v, 5));
    for (const h of hits) {
      for (const candidate of [h.doc.name, h.doc.title, ...h.doc.keywords]) {
        if (!candidate || candidate === q) continue;
        const d = distance(q, candidate);
        if (d <= 0.5 && (!best || d < best.d)) best = { text: candidate, d };
      }
    }
    if (best) break;
  }
  if (!best) return null;
  // Only offer what would find something.
  const check = await index.search(query(best.text, 1));
  if (check.total === 0) return null;
  return { q: best.text, href: url(lang, '/search', { q: best.text }) };
}
