/**
 * Query analysis shared by the adapters, and highlighting computed in our own code so that every
 * adapter highlights alike.
 */
import { companyCore } from './enrich.js';
import type { Hit, SearchDoc } from './port.js';
import type { Synonyms } from './synonyms.js';
import { bigrams, isCjk, normalize, pinyinTokens, runs, syllables } from './text.js';

export interface AnalyzedQuery {
  /** Normalised query. */
  text: string;
  /** Normalised, spaces removed: compared with names and identifiers. */
  compact: string;
  /** Latin/digit runs joined: compared with pinyin ("cai lin ji" → "cailinji"). */
  latin: string;
  /** Han runs and Latin/digit runs, in order. */
  runs: string[];
}

const MAX_QUERY = 100;

export function analyzeQuery(q: string): AnalyzedQuery {
  const text = normalize(q).slice(0, MAX_QUERY);
  // Company boilerplate is not indexed (enrich.ts companyCore); match what is.
  const r = runs(text)
    .map((run) => (isCjk(run) ? companyCore(run) : run))
    .slice(0, 12);
  const latinRuns = r.filter((x) => !isCjk(x));
  return {
    text,
    compact: text.replace(/\s+/g, ''),
    latin: latinRuns.length === r.length ? latinRuns.join('') : '',
    runs: r,
  };
}

const quote = (t: string) => `"${t.replace(/"/g, '')}"`;

/**
 * A Latin word matches pinyin and text as a prefix (`prefix`), identifiers whole. Words with
 * digits never as a prefix: no pinyin has digits, and a prefix of a number expands to every
 * registration number starting with it (all share FTS5's vocabulary), which cost ~12 ms.
 */
function runExpression(run: string, corrections: ReadonlyMap<string, string[]>, prefix = true): string {
  if (isCjk(run)) {
    const chars = [...run];
    if (chars.length === 1) return `(uni : ${quote(run)})`;
    return `({name text} : ${quote(bigrams(run).join(' '))})`;
  }
  const words = [run, ...(corrections.get(run) ?? [])];
  const star = prefix && !/\d/.test(run) ? ' *' : '';
  return `(${words.map((w) => `pinyin : ${quote(w)}${star} OR ident : ${quote(w)} OR text : ${quote(w)}${star}`).join(' OR ')})`;
}

/** A term and its synonyms, any of which may match. */
function termExpression(run: string, synonyms: Synonyms, corrections: ReadonlyMap<string, string[]>, prefix = true): string {
  const alternatives = synonyms
    .of(run)
    .map((syn) => {
      const parts = runs(syn).map((r) => runExpression(r, corrections));
      return parts.length > 1 ? `(${parts.join(' AND ')})` : parts[0];
    })
    .filter(Boolean);
  const own = runExpression(run, corrections, prefix);
  return alternatives.length ? `(${[own, ...alternatives].join(' OR ')})` : own;
}

/**
 * The FTS5 MATCH expression for a query over the columns name, text, uni, pinyin, ident,
 * or null when the query has nothing searchable. A term in a synonym group also matches its
 * synonyms. `corrections` adds spelling alternatives for Latin words (one typo), when the
 * adapter found none for the words as typed.
 */
export function ftsExpression(a: AnalyzedQuery, synonyms: Synonyms, corrections: ReadonlyMap<string, string[]> = new Map()): string | null {
  if (a.runs.length === 0) return null;
  const allLatin = a.latin !== '' && a.runs.length > 1;
  // Several Latin words: whole words, but for a last word of three letters or more (a prefix, as
  // Meilisearch's last word); the joined form below, a prefix, covers a syllable being typed
  // ("zhou hei y"). A prefix on short words ("cai* lin* ji*") read the posting lists of
  // thousands of pinyin words (~90 ms at 100,000 entries).
  const last = a.runs[a.runs.length - 1]!;
  const lastPrefix = !allLatin || last.length >= 3;
  const all = a.runs.map((run, i) => termExpression(run, synonyms, corrections, !allLatin || (i === a.runs.length - 1 && lastPrefix))).join(' AND ');
  if (!allLatin) return all;
  // "cai lin ji": the syllables in sequence, or the joined form as a prefix.
  const digits = /\d/.test(a.latin);
  const joined = [a.latin, ...(corrections.get(a.latin) ?? [])].map((w) => `pinyin : ${quote(w)}${digits ? '' : ' *'}`).join(' OR ');
  return `(${all}) OR (pinyin : ${quote(a.runs.join(' '))}${lastPrefix && !digits ? ' *' : ''}) OR (${joined})`;
}

/**
 * Spelling alternatives at Damerau-Levenshtein distance 1 (one letter wrong, missing, extra, or
 * two adjacent swapped) — only for Latin words of five letters or more, as in Meilisearch's
 * default; a one-character CJK typo only adds noise.
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // transposition
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1); // deletion / insertion
}

export const TYPO_MIN_LENGTH = 5;

/**
 * The words of a query that tolerate one typo: Latin words (and the joined Latin query) of
 * TYPO_MIN_LENGTH letters or more, without digits — a number one digit off is another
 * registration or certificate, not a misspelling (Meilisearch: typoTolerance.disableOnNumbers).
 */
export function typoWords(a: AnalyzedQuery): string[] {
  const words = new Set(a.runs.filter((r) => !isCjk(r)));
  if (a.latin) words.add(a.latin);
  return [...words].filter((w) => w.length >= TYPO_MIN_LENGTH && !/\d/.test(w));
}

/**
 * Other forms of the query whose matches the engines also return, for highlighting: the query
 * with one term replaced by each of its synonyms (the adapter's `Synonyms`), as ftsExpression and the
 * Meilisearch adapter expand it.
 */
export function highlightVariants(a: AnalyzedQuery, synonyms: Synonyms): AnalyzedQuery[] {
  const out: AnalyzedQuery[] = [];
  a.runs.forEach((run, i) => {
    for (const syn of synonyms.of(run)) out.push(analyzeQuery([...a.runs.slice(0, i), syn, ...a.runs.slice(i + 1)].join(' ')));
  });
  return out;
}

/**
 * The query as this document matched it with one typo: each Latin word of five letters or more
 * that no pinyin or Latin token of the document starts with is replaced by the token prefix
 * within one edit of it (what the engines' typo tolerance matched). Derived from the document,
 * so every adapter highlights typo matches alike without knowing the engine's corrections.
 */
export function typoVariants(doc: SearchDoc, a: AnalyzedQuery): AnalyzedQuery[] {
  const words = typoWords(a);
  if (words.length === 0) return [];
  const tokens = [
    ...new Set(
      pinyinTokens([doc.name, doc.title, doc.nameEn, ...doc.keywords])
        .split(' ')
        .filter((t) => t && t !== 'zzsep'),
    ),
  ];
  const out: AnalyzedQuery[] = [];
  for (const w of words) {
    if (tokens.some((t) => t.startsWith(w))) continue;
    const fixes = new Set<string>();
    for (const t of tokens) {
      for (const len of [w.length - 1, w.length, w.length + 1]) {
        if (len <= t.length && withinOneEdit(w, t.slice(0, len))) fixes.add(t.slice(0, len));
      }
    }
    for (const fix of fixes) {
      const i = a.runs.indexOf(w);
      out.push(analyzeQuery(i >= 0 ? [...a.runs.slice(0, i), fix, ...a.runs.slice(i + 1)].join(' ') : fix));
    }
  }
  return out;
}

/**
 * Splits `text` into alternating segments [plain, match, plain, match, …] for the query (and
 * its variants: synonyms, typo corrections): Han substrings, Latin substrings, and runs of Han
 * characters whose pinyin (full or initials) the query spells. Returns null when nothing matches.
 */
export function highlight(text: string, queries: AnalyzedQuery | AnalyzedQuery[]): string[] | null {
  const list = (Array.isArray(queries) ? queries : [queries]).filter((q) => q.runs.length > 0);
  if (!text || list.length === 0) return null;
  const norm = normalize(text);
  const chars = [...text];
  const normChars = [...norm];
  // Normalisation can change length (NFKC, whitespace); only highlight when it maps 1:1.
  const lower = [...text.toLowerCase()];
  const comparable = normChars.length === chars.length ? normChars : lower.length === chars.length ? lower : null;
  if (!comparable) return null;
  const marked = new Array<boolean>(chars.length).fill(false);
  const hay = comparable.join('');
  for (const a of list) mark(marked, hay, comparable, a);
  if (!marked.some(Boolean)) return null;
  const segments: string[] = [''];
  let inMatch = false;
  chars.forEach((c, i) => {
    if (marked[i] !== inMatch) {
      segments.push('');
      inMatch = marked[i]!;
    }
    segments[segments.length - 1] += c;
  });
  return segments;
}

/** Marks the characters of `hay` (one entry per character in `comparable`) that `a` matches. */
function mark(marked: boolean[], hay: string, comparable: string[], a: AnalyzedQuery): void {
  for (const run of a.runs) {
    const needle = [...run];
    let from = 0;
    for (;;) {
      const idx = hay.indexOf(run, from);
      if (idx < 0) break;
      const start = [...hay.slice(0, idx)].length;
      for (let i = start; i < start + needle.length; i++) marked[i] = true;
      from = idx + run.length;
    }
  }
  if (a.latin) {
    // Pinyin: find the Han runs whose syllables (or initials) the query spells from their start.
    const syl = comparable.map((c) => (isCjk(c) ? (syllables(c)[0] ?? '') : ''));
    for (let i = 0; i < syl.length; i++) {
      if (!syl[i]) continue;
      let full = '';
      let ini = '';
      for (let j = i; j < syl.length && syl[j]; j++) {
        full += syl[j];
        ini += syl[j]![0];
        if (full === a.latin || ini === a.latin || (j > i && full.startsWith(a.latin) && full.length - a.latin.length < syl[j]!.length)) {
          for (let k = i; k <= j; k++) marked[k] = true;
          break;
        }
        if (!a.latin.startsWith(full) && !a.latin.startsWith(ini)) break;
      }
    }
  }
}

/** Segments → HTML with <mark>, every piece escaped (for the JSON API). */
export function segmentsToHtml(segments: string[]): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return segments.map((s, i) => (i % 2 ? `<mark>${esc(s)}</mark>` : esc(s))).join('');
}

/**
 * A hit with its highlights, computed here so that every adapter highlights alike. `also`: the
 * query's synonym variants (highlightVariants, computed once per query). `typos`: whether the
 * engine may have matched with a typo (then typo variants are derived per document; the
 * embedded engine knows, and skips this when the words matched as typed).
 */
export function toHit(doc: SearchDoc, status: string, a: AnalyzedQuery, also: AnalyzedQuery[] = [], typos = true): Hit {
  const queries = typos ? [a, ...also, ...typoVariants(doc, a)] : [a, ...also];
  const highlights: Hit['highlights'] = {};
  const fields: Array<[keyof Hit['highlights'], string]> = [
    ['title', doc.title],
    ['name', doc.name],
    ['company', doc.company],
    ['keywords', doc.keywords.join('、')],
  ];
  for (const [field, text] of fields) {
    const segments = highlight(text, queries);
    if (segments) highlights[field] = segments;
  }
  return { doc, status, highlights };
}
