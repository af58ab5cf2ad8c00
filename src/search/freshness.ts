/**
 * How fresh the search index is, for the "data as of" stamp on search and list pages and in the
 * search API: the time of the newest change the index already holds, and how many saved changes
 * it does not hold yet (the sync's lag). Read at most every `ttlMs`, so a busy page costs one
 * small query per interval.
 */
import type { SearchIndex } from './port.js';

export interface Freshness {
  /** The newest indexed entry's last change (null: an empty index). */
  asOf: Date | null;
  /** Saved changes the index does not reflect yet (0 when unknown). */
  pending: number;
}

export function freshness(index: SearchIndex, pending?: () => Promise<number>, ttlMs = 30_000): () => Promise<Freshness> {
  let memo: { at: number; value: Freshness } | null = null;
  return async () => {
    if (memo && Date.now() - memo.at < ttlMs) return memo.value;
    const [r, lag] = await Promise.all([
      index.search({ q: '', filters: {}, sort: 'updated', page: 1, pageSize: 1, facets: false }),
      pending ? pending().catch(() => 0) : Promise.resolve(0),
    ]);
    const newest = r.hits[0]?.doc.updatedAt;
    memo = { at: Date.now(), value: { asOf: typeof newest === 'number' && newest > 0 ? new Date(newest) : null, pending: lag } };
    return memo.value;
  };
}
