/**
 * Query analysis shared by the adapters, and highlighting computed in our own code so that every
 * adapter highlights alike.
 */
import { companyCore } from './enrich.js';
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

/**
 * The FTS5 MATCH expression for a query over the columns name, text, uni, pinyin, ident,
 * or null when the query has nothing searchable.
 */
export function ftsExpression(a: AnalyzedQuery): string | null {
  if (a.runs.length === 0) return null;
  const allLatin = a.latin !== '' && a.runs.length > 1;
  const parts = a.runs.map((run) => {
    if (isCjk(run)) {
      const chars = [...run];
      if (chars.length === 1) return `(uni : ${quote(run)})`;
      return `({name text} : ${quote(bigrams(run).join(' '))})`;
    }
    return `(pinyin : ${quote(run)} * OR ident : ${quote(run)} OR text : ${quote(run)} *)`;
  });
  const all = parts.join(' AND ');
  if (!allLatin) return all;
  // "cai lin ji": the syllables in sequence, or the joined form as a prefix.
  return `(${all}) OR (pinyin : ${quote(a.runs.join(' '))} *) OR (pinyin : ${quote(a.latin)} *)`;
}

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
