/**
 * Keeps the search index caught up with MongoDB: the change log's `indexed` subscriber
 * (registries/changes.ts), run by a change-log worker (registries/outbox.ts).
 *
 * For each batch of settled changes it re-reads the entries they touch and indexes their saved
 * state (an adapter never replaces a newer version with an older one). Brand and trademark changes
 * fan out to the entries that show them. A large backlog of bulk inserts is cheaper to absorb
 * with a full rebuild than entry by entry, so the subscriber switches to one. The audit trail is
 * another subscriber with its own worker: a search outage does not hold it up.
 */
import { countAll, findByIds } from '../platform/db/index.js';
import { Change, markChanges, type ChangeDoc, type ChangeSubscriber } from '../registries/changes.js';
import { entryModel, kindOfModel, REGISTRIES } from '../registries/kinds.js';
import { Brand, Trademark } from '../registries/models.js';
import { ChangeWorker, type ChangeWorkerOptions, type WorkerLog } from '../registries/outbox.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { buildSearchDocs, findWhereIn, type Entry } from './documents.js';
import { SearchUnavailableError, type SearchDoc, type SearchIndex } from './port.js';

/** Entries per search-document batch in a full rebuild: what one batch of look-ups covers. */
const REBUILD_BATCH = 2000;

/** Models whose changes alter search documents of entries that point at them. */
const FAN_OUT_MODELS = new Set([Brand.modelName, Trademark.modelName]);

export interface IndexSyncOptions extends ChangeWorkerOptions {
  /** Bulk-inserted rows waiting at which a pass rebuilds the whole index instead (0: never). */
  rebuildThreshold?: number;
}

/** A full rebuild the subscriber chose (a large backlog) failed: the batch is retried whole. */
class RebuildFailed extends Error {
  constructor(cause: unknown) {
    super(`rebuilding the search index failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RebuildFailed';
  }
}

/** The search index as a subscriber of the change log. */
export function searchSubscriber(
  index: SearchIndex,
  log: Pick<WorkerLog, 'warn'> & { info(obj: object, msg: string): void },
  rebuildThreshold = 20_000,
): ChangeSubscriber {
  return {
    name: 'search index',
    flag: 'indexed',
    // An outage, or a failed full rebuild: splitting the batch would not help (and would rebuild again).
    retryWhole: (err) => err instanceof SearchUnavailableError || err instanceof RebuildFailed,
    async handle(changes) {
      const bulkRows = changes.reduce((n, c) => n + (c.op === 'bulk' && kindOfModel(c.model) ? c.entryIds.length : 0), 0);
      if (rebuildThreshold > 0 && bulkRows >= rebuildThreshold) {
        log.info({ bulkRows }, 'large backlog of bulk inserts: rebuilding the search index');
        await reindexAll(index).catch((err: unknown) => {
          throw err instanceof SearchUnavailableError ? err : new RebuildFailed(err);
        });
        return;
      }
      await indexChanges(index, changes);
    },
  };
}

/** Indexes the saved state of everything these changes touch (and removes what is gone). */
async function indexChanges(index: SearchIndex, changes: ChangeDoc[]): Promise<void> {
  const targets = new Map<Kind, Set<string>>(KINDS.map((k) => [k, new Set<string>()]));
  const add = (kind: Kind, id: unknown) => targets.get(kind)!.add(String(id));
  const brandsShownEverywhere = new Set<string>();
  const trademarkChanges: ChangeDoc[] = [];
  for (const c of changes) {
    const kind = kindOfModel(c.model);
    if (kind) {
      if (c.op === 'bulk') c.entryIds.forEach((id) => add(kind, id));
      else add(kind, c.entryId);
      continue;
    }
    // Bulk-created brands and trademarks have no entries yet: those arrive with their own changes.
    // Other models (figures, awards…) are not in the search index at all.
    if (c.op === 'bulk' || !c.entryId || !FAN_OUT_MODELS.has(c.model)) continue;
    if (c.model === Brand.modelName) brandsShownEverywhere.add(String(c.entryId));
    else trademarkChanges.push(c);
  }
  const brandsShownWithMarks = new Set<string>();
  if (trademarkChanges.length) {
    const marks = await findByIds<{ _id: unknown; brand: unknown }>(
      Trademark,
      trademarkChanges.map((c) => c.entryId),
      'brand',
    );
    const brandOf = new Map(marks.map((t) => [String(t._id), String(t.brand)]));
    for (const c of trademarkChanges) {
      // A trademark gone since keeps the brand it was written with.
      const brand = brandOf.get(String(c.entryId)) ?? c.set.brand;
      if (brand) brandsShownWithMarks.add(String(brand));
    }
  }
  for (const kind of KINDS) {
    const brands = new Set(brandsShownEverywhere);
    if (REGISTRIES[kind].showsMarks) brandsShownWithMarks.forEach((b) => brands.add(b));
    if (brands.size === 0) continue;
    const shown = await findWhereIn(entryModel(kind), 'brand', [...brands], '_id');
    shown.forEach((e: { _id: unknown }) => add(kind, e._id));
  }

  for (const kind of KINDS) {
    const ids = [...targets.get(kind)!];
    if (ids.length === 0) continue;
    const entries = await findByIds<Entry>(entryModel(kind), ids);
    const found = new Set(entries.map((e) => String(e._id)));
    const gone = ids.filter((id) => !found.has(id)).map((id) => `${kind}:${id}`);
    if (entries.length) await index.upsert(await buildSearchDocs(kind, entries));
    if (gone.length) await index.remove(gone);
  }
}

/**
 * The worker that keeps the search index caught up (boot starts one per process; tests and
 * scripts drain it). Its lag is the number of changes not yet indexed.
 */
export class IndexSync extends ChangeWorker {
  constructor(index: SearchIndex, log: WorkerLog & { info(obj: object, msg: string): void }, opts: IndexSyncOptions | number = {}) {
    const o = typeof opts === 'number' ? { pollMs: opts } : opts;
    super(searchSubscriber(index, log, o.rebuildThreshold ?? 20_000), log, o);
  }

  /** Called after every pass that indexed something (the public page cache starts afresh then). */
  onIndexed(listener: (changes: number) => void): () => void {
    return this.onPass(listener);
  }
}

/**
 * Rebuilds the whole index from MongoDB into a fresh index, then swaps it in. Changes applied
 * before the rebuild started are marked indexed afterwards (the rebuild read their result); their
 * audit events are the audit worker's business.
 *
 * Entries are streamed; each batch reads only the brands and trademarks it shows, so memory
 * stays that of one batch whatever the size of the registries.
 */
export async function reindexAll(index: SearchIndex, onProgress?: (done: number, total: number) => void): Promise<number> {
  const startedAt = new Date(Date.now() - 1000);
  const totals = await Promise.all(KINDS.map((k) => countAll(entryModel(k))));
  const total = totals.reduce((a, b) => a + b, 0);
  let done = 0;
  await index.rebuild(async (write) => {
    // One batch ahead: the database reads the next batch's brands and trademarks while the index
    // writes this one, so the two processes work side by side. At most two batches are held.
    let ahead: { docs: Promise<SearchDoc[]>; size: number } | null = null;
    const writeAhead = async () => {
      if (!ahead) return;
      const { docs, size } = ahead;
      ahead = null;
      await write(await docs);
      done += size;
      onProgress?.(done, total);
    };
    for (const kind of KINDS) {
      let batch: Entry[] = [];
      const flush = async () => {
        const docs = buildSearchDocs(kind, batch);
        docs.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
        await writeAhead();
        ahead = { docs, size: batch.length };
        batch = [];
      };
      for await (const e of entryModel(kind).find().lean<Entry[]>().cursor({ batchSize: REBUILD_BATCH })) {
        batch.push(e);
        if (batch.length >= REBUILD_BATCH) await flush();
      }
      if (batch.length) await flush();
    }
    await writeAhead();
  });
  const waiting = await Change.find({ indexed: false }).select('_id status appliedAt').lean<Array<Pick<ChangeDoc, '_id' | 'status' | 'appliedAt'>>>();
  const covered = waiting.filter((c) => c.status !== 'pending' && c.appliedAt && new Date(c.appliedAt) <= startedAt);
  await markChanges(
    covered.map((c) => c._id),
    'indexed',
  );
  return done;
}
