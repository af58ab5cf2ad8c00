/**
 * Query analysis shared by the adapters, and highlighting computed in our own code so that every
 * adapter highlights alike.
 */
import { companyCore } from './enrich.js';
import type { Hit, SearchDoc } from './port.js';
import { synonymsOf } from './synonyms.js';
import { bigrams, isCjk, normalize, runs, syllables } from './text.js';

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
  const r = runs(text).map((run) => (isCjk(run) ? companyCore(run) : run)).slice(0, 12);
  const latinRuns = r.filter((x) => !isCjk(x));
  return {
    text,
    compact: text.replace(/\s+/g, ''),
    latin: latinRuns.length === r.length ? latinRuns.join('') : '',
    runs: r,
  };
}

const quote = (t: string) => `"${t.replace(/"/g, '')}"`;

function runExpression(run: string, corrections: ReadonlyMap<string, string[]>): string {
  if (isCjk(run)) {
    const chars = [...run];
    if (chars.length === 1) return `(uni : ${quote(run)})`;
    return `({name text} : ${quote(bigrams(run).join(' '))})`;
  }
  const words = [run, ...(corrections.get(run) ?? [])];
  return `(${words.map((w) => `pinyin : ${quote(w)} * OR ident : ${quote(w)} OR text : ${quote(w)} *`).join(' OR ')})`;
}

/** A term and its synonyms, any of which may match. */
function termExpression(run: string, corrections: ReadonlyMap<string, string[]>): string {
  const alternatives = synonymsOf(run).map((syn) => {
    const parts = runs(syn).map((r) => runExpression(r, corrections));
    return parts.length > 1 ? `(${parts.join(' AND ')})` : parts[0];
  }).filter(Boolean);
  const own = runExpression(run, corrections);
  return alternatives.length ? `(${[own, ...alternatives].join(' OR ')})` : own;
}

/**
 * The FTS5 MATCH expression for a query over the columns name, text, uni, pinyin, ident,
 * or null when the query has nothing searchable. `corrections` adds spelling alternatives for
 * Latin words (one typo), when the adapter found none for the words as typed.
 */
export function ftsExpression(a: AnalyzedQuery, corrections: ReadonlyMap<string, string[]> = new Map()): string | null {
  if (a.runs.length === 0) return null;
  const allLatin = a.latin !== '' && a.runs.length > 1;
  const all = a.runs.map((run) => termExpression(run, corrections)).join(' AND ');
  if (!allLatin) return all;
  // "cai lin ji": the syllables in sequence, or the joined form as a prefix.
  const joined = [a.latin, ...(corrections.get(a.latin) ?? [])].map((w) => `pinyin : ${quote(w)} *`).join(' OR ');
  return `(${all}) OR (pinyin : ${quote(a.runs.join(' '))} *) OR (${joined})`;
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
 * Splits `text` into alternating segments [plain, match, plain, match, …] for the query: Han
 * substrings, Latin substrings, and runs of Han characters whose pinyin (full or initials) the
 * query spells. Returns null when nothing matches.
 */
export function highlight(text: string, a: AnalyzedQuery): string[] | null {
  if (!text || a.runs.length === 0) return null;
  const norm = normalize(text);
  const chars = [...text];
  const normChars = [...norm];
  // Normalisation can change length (NFKC, whitespace); only highlight when it maps 1:1.
  const lower = [...text.toLowerCase()];
  const comparable = normChars.length === chars.length ? normChars : lower.length === chars.length ? lower : null;
  if (!comparable) return null;
  const marked = new Array<boolean>(chars.length).fill(false);
  const hay = comparable.join('');
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

/** Segments → HTML with <mark>, every piece escaped (for the JSON API). */
export function segmentsToHtml(segments: string[]): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return segments.map((s, i) => (i % 2 ? `<mark>${esc(s)}</mark>` : esc(s))).join('');
}

/** A hit with its highlights, computed here so that every adapter highlights alike. */
export function toHit(doc: SearchDoc, status: string, a: AnalyzedQuery): Hit {
  const highlights: Hit['highlights'] = {};
  const fields: Array<[keyof Hit['highlights'], string]> = [['title', doc.title], ['name', doc.name], ['company', doc.company], ['keywords', doc.keywords.join('、')]];
  for (const [field, text] of fields) {
    const segments = highlight(text, a);
    if (segments) highlights[field] = segments;
  }
  return { doc, status, highlights };
}
