/**
 * The search dictionary: the words the registries themselves are made of — brand names, product
 * names and keywords, companies without city and legal form, industries, list words (老字号,
 * 驰名商标, 武汉精品…) — each with the number of indexed documents that use it. Query
 * understanding (understand.ts) segments a query into these words ("马应龙痔疮膏" → 马应龙 ·
 * 痔疮膏) and, when nothing matches every word, drops the most common one first.
 *
 * Adapter-independent: each adapter keeps one Lexicon in step with the documents it indexes
 * (termsOfDoc() of every document written, and of every document replaced or removed when the
 * engine can tell), so the dictionary follows the registries through the search sync without a
 * separate feed. The embedded engine persists the counts beside its index; Meilisearch reads them
 * back from its documents when the adapter starts (see the adapters).
 */
import { companyCore, listTerms } from './enrich.js';
import type { SearchDoc } from './port.js';
import { isCjk, normalize, runs } from './text.js';

/** Longest dictionary word, in characters (longer names are still found as phrases). */
export const MAX_TERM = 16;

/** The Han words a document contributes to the dictionary (normalised, two characters or more, each once). */
export function termsOfDoc(d: SearchDoc): string[] {
  const out = new Set<string>();
  const add = (text: string) => {
    for (const r of runs(normalize(text))) {
      const n = [...r].length;
      if (isCjk(r) && n >= 2 && n <= MAX_TERM) out.add(r);
    }
  };
  for (const t of [d.name, d.title, companyCore(d.company), d.industry, ...d.keywords, ...listTerms(d)]) add(t);
  return [...out];
}

/** A dictionary word and how many indexed documents use it. */
export interface WordCount {
  term: string;
  count: number;
}

export class Lexicon {
  private readonly counts = new Map<string, number>();
  /**
   * The terms by their first character, for completions: a prefix reads only its character's
   * terms (a few thousand at 500,000 entries for the commonest) instead of the whole dictionary,
   * and a write moves a term in or out without re-sorting anything.
   */
  private readonly byFirst = new Map<string, Set<string>>();

  /** How many indexed documents use `term` (0: not a dictionary word). */
  count(term: string): number {
    return this.counts.get(term) ?? 0;
  }

  has(term: string): boolean {
    return (this.counts.get(term) ?? 0) > 0;
  }

  get size(): number {
    return this.counts.size;
  }

  /** Adds `delta` uses of each term (negative when documents are replaced or removed). */
  bump(terms: Iterable<string>, delta: number): void {
    for (const t of terms) {
      const before = this.counts.get(t) ?? 0;
      const n = before + delta;
      if (n > 0) this.counts.set(t, n);
      else this.counts.delete(t);
      if (before > 0 === n > 0) continue;
      const first = String.fromCodePoint(t.codePointAt(0)!);
      let set = this.byFirst.get(first);
      if (n > 0) {
        if (!set) this.byFirst.set(first, (set = new Set()));
        set.add(t);
      } else if (set) {
        set.delete(t);
        if (set.size === 0) this.byFirst.delete(first);
      }
    }
  }

  /**
   * The `limit` most used terms that start with `prefix` and are longer than it (most used
   * first, then shorter, then in code-point order): the completions of what has been typed.
   * Nothing is counted at query time — the counts are the dictionary's own.
   */
  complete(prefix: string, limit: number): WordCount[] {
    if (!prefix || limit <= 0) return [];
    const set = this.byFirst.get(String.fromCodePoint(prefix.codePointAt(0)!));
    if (!set) return [];
    const best: WordCount[] = [];
    const before = (x: WordCount, y: WordCount) => y.count - x.count || x.term.length - y.term.length || (x.term < y.term ? -1 : x.term > y.term ? 1 : 0);
    for (const term of set) {
      if (term.length <= prefix.length || !term.startsWith(prefix)) continue;
      const w = { term, count: this.counts.get(term)! };
      if (best.length === limit && before(w, best[limit - 1]!) >= 0) continue;
      // Insertion into a short sorted list: `limit` is a handful.
      let i = best.length < limit ? best.length : limit - 1;
      best[i] = w;
      while (i > 0 && before(best[i]!, best[i - 1]!) < 0) {
        [best[i], best[i - 1]] = [best[i - 1]!, best[i]!];
        i--;
      }
    }
    return best;
  }

  addDocs(docs: Iterable<SearchDoc>): void {
    for (const d of docs) this.bump(termsOfDoc(d), 1);
  }

  removeDocs(docs: Iterable<SearchDoc>): void {
    for (const d of docs) this.bump(termsOfDoc(d), -1);
  }

  /** Every term with its count (for persisting). */
  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }

  clear(): void {
    this.counts.clear();
    this.byFirst.clear();
  }
}
