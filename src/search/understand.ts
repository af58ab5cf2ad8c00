/**
 * Query understanding, shared by every adapter (docs/decisions/0013-query-understanding.md).
 *
 * A query is read into:
 * - **terms**: each Han run segmented into dictionary words (lexicon.ts: the registries' own
 *   brand, product, company, industry and list words), with what the dictionary does not know
 *   kept together as one unknown chunk (matched as a phrase of bigrams, as before). "马应龙痔疮膏"
 *   → 马应龙 · 痔疮膏; each term may match in a different field.
 * - **filters** from words that say what the user wants to know rather than what to find:
 *   老字号 / 中华老字号 / 驰名商标 / 精品 / 武汉精品 / a district (江汉区) become registry, tier or
 *   district filters — only on facets the user has not filtered already.
 * - **ignored** words: the city (武汉, wuhan), legal forms, whole or cut short (股份, 有限公司),
 *   and question words (是…吗, 有没有). Alone, a query of such words is searched as typed.
 *
 * and then into **attempts**, tried in order until one finds something: every term (strict);
 * for a Latin/digit query in several pieces, the pieces joined as one identifier ("9000 123456");
 * then relaxed, one item left out at a time — an unknown chunk first, then the filters read from
 * words, then the dictionary word most documents use (the least informative), later words before
 * earlier ones on ties — as Meilisearch's matching strategy `last`, but by information. The
 * adapter reports the left-out words in `SearchResult.relaxed`.
 */
import type { Lexicon } from './lexicon.js';
import { MAX_TERM } from './lexicon.js';
import type { FacetName, QueryUnderstood } from './port.js';
import type { AnalyzedQuery } from './query.js';
import { analyzeQuery } from './query.js';
import type { Synonyms } from './synonyms.js';
import { isCjk, normalize, runs } from './text.js';
import { DISTRICTS, type Kind } from '../registries/reference.js';

type Filters = Partial<Record<FacetName, string>>;

/** Words that name a registry or a tier: filters, not text. */
const INTENTS: ReadonlyMap<string, { kind: Kind; tier?: string }> = new Map([
  ['老字号', { kind: 'time-honored' }],
  ['百年老店', { kind: 'time-honored' }],
  ['中华老字号', { kind: 'time-honored', tier: '中华老字号' }],
  ['湖北老字号', { kind: 'time-honored', tier: '湖北老字号' }],
  ['武汉老字号', { kind: 'time-honored', tier: '武汉老字号' }],
  ['驰名商标', { kind: 'famous' }],
  ['中国驰名商标', { kind: 'famous' }],
  ['精品', { kind: 'certified' }],
  ['武汉精品', { kind: 'certified', tier: '武汉精品' }],
  ['湖北精品', { kind: 'certified', tier: '湖北精品' }],
  ['中国精品', { kind: 'certified', tier: '中国精品' }],
  ['商标品牌名录', { kind: 'directory' }],
  ['品牌名录', { kind: 'directory' }],
]);

/** The city: every entry is in Wuhan. */
const CITY = new Set(['武汉', '武汉市', '湖北省武汉市', 'wuhan', 'wuhanshi']);
/** Legal forms, whole or cut short (the index holds company names without them, enrich.ts companyCore). */
const LEGAL = new Set(['股份有限公司', '有限责任公司', '有限公司', '股份公司', '集团公司', '责任公司', '公司', '股份有限', '股份', '有限责任', '有限']);
/** Question and filler words ("蔡林记是老字号吗"). */
const FILLER = new Set(['是', '吗', '呢', '吧', '的', '么', '是不是', '是否', '有没有', '算不算', '属于', '哪些', '哪家', '什么', '请问', '查询', '查一下']);

type Role = 'intent' | 'district' | 'city' | 'legal' | 'filler' | 'known' | 'unknown';

interface Segment {
  text: string;
  role: Role;
}

const DISTRICT_SET: ReadonlySet<string> = new Set(DISTRICTS);

/** The words the segmenter knows: the adapter's dictionary and its synonym groups (a group term stays whole, so its synonyms apply). */
export interface Vocabulary {
  lexicon?: Lexicon;
  synonyms?: Synonyms;
}

function roleOf(word: string, vocab: Vocabulary): Role | null {
  if (INTENTS.has(word)) return 'intent';
  if (DISTRICT_SET.has(word)) return 'district';
  if (CITY.has(word)) return 'city';
  if (LEGAL.has(word)) return 'legal';
  if (FILLER.has(word)) return 'filler';
  if ([...word].length >= 2 && (vocab.lexicon?.has(word) || (vocab.synonyms?.of(word).length ?? 0) > 0)) return 'known';
  return null;
}

/**
 * Segments one Han run: the reading with the fewest characters outside known words, then the
 * fewest pieces (so the longest words win: 武汉精品 is one word, not 武汉 + 精品). Characters
 * outside known words stay together as one unknown chunk.
 */
export function segment(run: string, vocab: Vocabulary = {}): Segment[] {
  const chars = [...run];
  const n = chars.length;
  // best[i]: the best reading of chars[0..i): [unknown chars, pieces], and how it ends.
  const best: Array<{ unknown: number; pieces: number; from: number; role: Role | null }> = [{ unknown: 0, pieces: 0, from: -1, role: null }];
  for (let i = 1; i <= n; i++) {
    const prev = best[i - 1]!;
    // One character outside any word (it joins the unknown chunk before it: no new piece then).
    let choice = { unknown: prev.unknown + 1, pieces: prev.pieces + (prev.role === 'unknown' ? 0 : 1), from: i - 1, role: 'unknown' as Role | null };
    for (let j = Math.max(0, i - MAX_TERM); j < i; j++) {
      const role = roleOf(chars.slice(j, i).join(''), vocab);
      if (!role) continue;
      const b = best[j]!;
      const cand = { unknown: b.unknown, pieces: b.pieces + 1, from: j, role };
      if (cand.unknown < choice.unknown || (cand.unknown === choice.unknown && cand.pieces < choice.pieces)) choice = cand;
    }
    best.push(choice);
  }
  const backwards: Segment[] = [];
  for (let i = n; i > 0;) {
    const b = best[i]!;
    backwards.push({ text: chars.slice(b.from, i).join(''), role: b.role ?? 'unknown' });
    i = b.from;
  }
  const pieces = joinUnknown(backwards.reverse());
  // One unknown character beside a dictionary word is most likely part of a longer word the
  // dictionary lacks (灌 + 汤包 is 灌汤包): it stays with that word, as one unknown chunk.
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.role !== 'unknown' || [...p.text].length !== 1) continue;
    const j = pieces[i + 1]?.role === 'known' ? i + 1 : pieces[i - 1]?.role === 'known' ? i - 1 : -1;
    if (j < 0) continue;
    const [a, b] = j > i ? [p, pieces[j]!] : [pieces[j]!, p];
    pieces.splice(Math.min(i, j), 2, { text: a.text + b.text, role: 'unknown' });
    i = Math.min(i, j) - 1;
  }
  return joinUnknown(pieces);
}

/** Adjacent unknown pieces as one chunk. */
function joinUnknown(pieces: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (p.role === 'unknown' && last?.role === 'unknown') last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

/** One way of running the query: its terms, its filters, and what it left out of the query as typed. */
export interface Attempt {
  query: AnalyzedQuery;
  /** The user's filters plus those read from words. */
  filters: Filters;
  /** Words of the query left out to relax it (empty for the strict attempt). */
  dropped: string[];
}

export interface Understanding {
  /** Tried in order; the first that finds something is the result. */
  attempts: Attempt[];
  /** What was read from the words (for SearchResult.understood), or undefined when nothing. */
  understood?: QueryUnderstood;
}

const MAX_RELAXATIONS = 4;

/** A query built from terms, as analyzeQuery would build it from "t1 t2 …". */
export function queryOf(terms: string[]): AnalyzedQuery {
  const latin = terms.filter((t) => !isCjk(t));
  return { text: terms.join(' '), compact: terms.join(''), latin: latin.length === terms.length ? latin.join('') : '', runs: [...terms] };
}

interface Term {
  text: string;
  /** Lower is left out first. */
  keep: number;
  pos: number;
}

/**
 * Reads a query (see the module comment). `filters`: the user's own filters (never overridden).
 * `vocab`: the adapter's dictionary and synonym groups (without them, only the fixed word lists are known).
 */
export function understand(q: string, filters: Filters, vocab: Vocabulary = {}): Understanding {
  const lexicon = vocab.lexicon;
  const plain = analyzeQuery(q);
  if (plain.runs.length === 0) return { attempts: [{ query: plain, filters, dropped: [] }] };
  const text = normalize(q).slice(0, 100);
  const segments: Segment[] = [];
  for (const run of runs(text).slice(0, 12)) {
    if (isCjk(run)) segments.push(...segment(run, vocab));
    else segments.push({ text: run, role: CITY.has(run) ? 'city' : 'known' });
  }

  const read: Filters = {};
  const words: string[] = [];
  const ignored: string[] = [];
  const terms: Term[] = [];
  const asText = (s: Segment) => {
    const pos = terms.length;
    if (!isCjk(s.text)) {
      // Identifiers (digits) are kept longest; other Latin words go from the end, after unknown Han.
      terms.push({ text: s.text, keep: /\d/.test(s.text) ? 5 : 2, pos });
    } else if (s.role === 'unknown') terms.push({ text: s.text, keep: 0, pos });
    else terms.push({ text: s.text, keep: 3 + 1 / (1 + (lexicon?.count(s.text) ?? 0)), pos });
  };
  for (const s of segments) {
    if (s.role === 'intent') {
      const intent = INTENTS.get(s.text)!;
      const want: Filters = intent.tier ? { kind: intent.kind, tier: intent.tier } : { kind: intent.kind };
      const facets = Object.keys(want) as FacetName[];
      // Already what the user chose: nothing to add. Another choice (the user's or an earlier word's): plain text.
      if (facets.every((f) => (filters[f] ?? read[f]) === want[f])) {
        if (facets.some((f) => read[f] === want[f])) words.push(s.text);
        else ignored.push(s.text);
      } else if (facets.every((f) => filters[f] === undefined && read[f] === undefined)) {
        Object.assign(read, want);
        words.push(s.text);
      } else asText(s);
    } else if (s.role === 'district') {
      if (filters.district === undefined && read.district === undefined) {
        read.district = s.text;
        words.push(s.text);
      } else if ((filters.district ?? read.district) === s.text) ignored.push(s.text);
      else asText(s);
    } else if (s.role === 'city' || s.role === 'legal' || s.role === 'filler') ignored.push(s.text);
    else asText(s);
  }

  // Only ignorable words (武汉, 公司): search them as typed, as before.
  if (terms.length === 0 && words.length === 0) return { attempts: [{ query: plain, filters, dropped: [] }] };
  // A list or tier named alone (老字号, 中华老字号, 驰名商标): searched as text, as before — its
  // entries carry the list words (enrich.ts listTerms) and the word's synonyms count. A district
  // alone stays a filter: districts are not searchable text.
  if (terms.length === 0) {
    const listWords = words.filter((w) => INTENTS.has(w));
    if (listWords.length) {
      for (const w of listWords) terms.push({ text: w, keep: 3, pos: terms.length });
      words.splice(0, words.length, ...words.filter((w) => !INTENTS.has(w)));
      delete read.kind;
      delete read.tier;
    }
  }

  const strictFilters = { ...filters, ...read };
  const strict = queryOf(terms.map((t) => t.text));
  const attempts: Attempt[] = [{ query: strict, filters: strictFilters, dropped: [] }];

  // "9000 123456", "WHJP 2023 6677": the pieces of one identifier.
  if (terms.length > 1 && terms.every((t) => !isCjk(t.text))) {
    const joined = terms.map((t) => t.text).join('');
    if (/\d/.test(joined) && joined.length >= 6) attempts.push({ query: queryOf([joined]), filters: strictFilters, dropped: [] });
  }

  // Relaxation: unknown chunks, then the filters read from words, then common words.
  type Item = { keep: number; pos: number; term?: Term; filters?: true };
  const items: Item[] = terms.map((t) => ({ keep: t.keep, pos: t.pos, term: t }));
  if (words.length && terms.length) items.push({ keep: 1, pos: terms.length, filters: true });
  items.sort((a, b) => a.keep - b.keep || b.pos - a.pos);
  const left = new Set(terms);
  let withFilters = words.length > 0;
  const dropped: string[] = [];
  for (const item of items) {
    if (attempts.length > MAX_RELAXATIONS + 1) break;
    if (item.filters) {
      withFilters = false;
      dropped.push(...words);
    } else {
      // Keep at least one term: dropping the last would list a whole registry.
      if (left.size <= 1) break;
      left.delete(item.term!);
      dropped.push(item.term!.text);
    }
    const kept = terms.filter((t) => left.has(t)).map((t) => t.text);
    attempts.push({ query: queryOf(kept), filters: withFilters ? strictFilters : filters, dropped: [...dropped] });
  }

  const segmented = terms.length !== plain.runs.length || terms.some((t, i) => t.text !== plain.runs[i]);
  let understood: QueryUnderstood | undefined;
  if (words.length || ignored.length || segmented) {
    understood = { terms: terms.map((t) => t.text) };
    if (read.kind) understood.kind = read.kind as Kind;
    if (read.tier) understood.tier = read.tier;
    if (read.district) understood.district = read.district;
    if (words.length) understood.words = words;
    if (ignored.length) understood.ignored = ignored;
  }
  return { attempts, understood };
}

/** The SearchResult fields that report how the query was read and relaxed, for the attempt that answered. */
export function resultNotes(u: Understanding, attempt: Attempt): { relaxed?: { dropped: string[] }; understood?: QueryUnderstood } {
  const out: { relaxed?: { dropped: string[] }; understood?: QueryUnderstood } = {};
  if (attempt.dropped.length) out.relaxed = { dropped: [...attempt.dropped] };
  if (u.understood) {
    const understood: QueryUnderstood = { ...u.understood, terms: [...attempt.query.runs] };
    // Filters lifted by the relaxation are no longer what the result shows.
    if (understood.kind !== undefined && attempt.filters.kind !== understood.kind) delete understood.kind;
    if (understood.tier !== undefined && attempt.filters.tier !== understood.tier) delete understood.tier;
    if (understood.district !== undefined && attempt.filters.district !== understood.district) delete understood.district;
    out.understood = understood;
  }
  return out;
}
