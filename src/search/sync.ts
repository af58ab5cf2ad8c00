/**
 * Keeps the search index caught up with MongoDB, reading the change log (registries/changes.ts)
 * as its outbox.
 *
 * Each pass takes changes not yet indexed, rolls forward any whose writer died (pending past the
 * lease), re-reads the entries they touch and indexes their saved state (an adapter never replaces
 * a newer version with an older one), then marks the changes indexed. A crash anywhere means the
 * work is simply done again; several app instances may run passes at once. Brand and trademark
 * changes fan out to the entries that show them. A large backlog of bulk inserts is cheaper to
 * absorb with a full rebuild than entry by entry, so the worker switches to one.
 *
 * When passes run: at once after every change this process settles (the registry service tells
 * us, `onChangeApplied`), and on a timer for writes made elsewhere (CLI imports, other instances).
 * The timer starts at `pollMs` after activity and backs off to `idleMaxMs` while nothing arrives,
 * so an idle instance costs next to nothing; each pass reads only the waiting changes.
 */
import type { Model } from 'mongoose';
import type { Logger } from 'pino';
import { auditPending } from '../audit/index.js';
import { countAll, findByIds, updateByIds } from '../platform/db/index.js';
import { Change, CHANGE_LEASE_MS, onChangeApplied, type ChangeDoc } from '../registries/changes.js';
import { ENTRY_MODELS, Trademark } from '../registries/models.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { rollForward } from '../registries/service.js';
import { buildSearchDocs, findWhereIn } from './documents.js';
import type { SearchDoc, SearchIndex } from './port.js';

const BATCH = 500;
/** Entries per search-document batch in a full rebuild: what one batch of look-ups covers. */
const REBUILD_BATCH = 2000;
const MAX_BACKOFF_MS = 30_000;
/** How slow the timer gets while idle, unless told otherwise. */
const DEFAULT_IDLE_MAX_MS = 5_000;

const KIND_OF_MODEL: Record<string, Kind> = {
  DirectoryEntry: 'directory', FamousMark: 'famous', TimeHonored: 'time-honored', Certificate: 'certified',
};
/** Models whose changes alter search documents of entries that point at them. */
const FAN_OUT_MODELS = new Set(['Brand', 'Trademark']);
/** The kinds whose search documents show a brand's trademarks. */
const KINDS_WITH_MARKS: readonly Kind[] = ['directory', 'famous'];

export interface IndexSyncOptions {
  /** Timer delay right after activity (ms); the delay doubles on each empty pass. */
  pollMs?: number;
  /** Longest timer delay while idle (ms); only writes of other processes wait that long. */
  idleMaxMs?: number;
  /** Bulk-inserted rows waiting at which a pass rebuilds the whole index instead (0: never). */
  rebuildThreshold?: number;
}

export class IndexSync {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private failures = 0;
  private stopped = true;
  private ticking = false;
  private idleDelay: number;
  /** Wake-ups received, and how many had been received when the latest pass started. */
  private wakes = 0;
  private wakesAtPassStart = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly pollMs: number;
  private readonly idleMaxMs: number;
  private readonly rebuildThreshold: number;
  lastError: string | null = null;
  private readonly indexedListeners = new Set<(changes: number) => void>();
  /** Passes run so far (benchmarks report how often an idle worker reads the log). */
  passes = 0;

  constructor(
    private readonly index: SearchIndex,
    private readonly log: Pick<Logger, 'warn' | 'info' | 'debug'>,
    opts: IndexSyncOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { pollMs: opts } : opts;
    this.pollMs = o.pollMs ?? 500;
    this.idleMaxMs = Math.max(this.pollMs, o.idleMaxMs ?? DEFAULT_IDLE_MAX_MS);
    this.idleDelay = this.pollMs;
    this.rebuildThreshold = o.rebuildThreshold ?? 20_000;
  }

  /** Starts the timer and listens for this process's writes. Owned by boot (stop() undoes it). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = onChangeApplied(() => this.wake());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** A change was settled here: run a pass now (or right after the one in flight). */
  private wake(): void {
    this.wakes++;
    this.idleDelay = this.pollMs;
    if (!this.stopped && !this.ticking) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = true;
      this.tick().then((next) => {
        this.ticking = false;
        this.schedule(next);
      });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<number> {
    try {
      const n = await this.runOnce();
      this.failures = 0;
      this.lastError = null;
      // A wake-up during the pass may be about a change the pass had already looked past.
      if (n > 0 || this.wakes !== this.wakesAtPassStart) {
        this.idleDelay = this.pollMs;
        return 0;
      }
      const delay = this.idleDelay;
      this.idleDelay = Math.min(this.idleMaxMs, this.idleDelay * 2);
      return delay;
    } catch (err) {
      this.failures++;
      this.lastError = (err as Error).message;
      const backoff = Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** this.failures);
      this.log.warn({ err, backoff }, 'search index sync failed; will retry');
      return backoff;
    }
  }

  /**
   * Called after every pass that indexed something (the public page cache starts afresh then).
   * Returns a function that removes the listener.
   */
  onIndexed(listener: (changes: number) => void): () => void {
    this.indexedListeners.add(listener);
    return () => this.indexedListeners.delete(listener);
  }

  /** One pass; returns how many changes it indexed. Passes never overlap within a process. */
  runOnce(): Promise<number> {
    if (!this.running) {
      this.wakesAtPassStart = this.wakes;
      this.passes++;
      this.running = this.pass()
        .then(
          (n) => {
            this.lastError = null;
            if (n > 0) for (const listener of this.indexedListeners) listener(n);
            return n;
          },
          (err: unknown) => {
            // However the pass was started (timer, drain, a script), /readyz tells why it is behind.
            this.lastError = (err as Error).message;
            throw err;
          },
        )
        .finally(() => {
          this.running = null;
        });
    }
    return this.running;
  }

  /** Runs passes until nothing is waiting (tests, scripts); gives up after `timeoutMs`. */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const n = await this.runOnce();
      if (n === 0) {
        if ((await this.lag()) === 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    throw new Error(`search index still ${await this.lag()} changes behind after ${timeoutMs} ms`);
  }

  /** How many changes the index has not caught up with yet. */
  lag(): Promise<number> {
    return Change.countDocuments({ indexed: false });
  }

  private async pass(): Promise<number> {
    const changes = (await Change.find({ indexed: false }).limit(BATCH).lean()) as ChangeDoc[];
    if (changes.length === 0) return 0;

    const bulkRows = changes.reduce((n, c) => n + (c.op === 'bulk' && KIND_OF_MODEL[c.model] ? c.entryIds.length : 0), 0);
    if (this.rebuildThreshold > 0 && bulkRows >= this.rebuildThreshold) {
      this.log.info({ bulkRows }, 'large backlog of bulk inserts: rebuilding the search index');
      await reindexAll(this.index);
      return changes.length;
    }

    const now = Date.now();
    const ready: ChangeDoc[] = [];
    for (const c of changes) {
      if (c.status !== 'pending') ready.push(c);
      else if (now - new Date(c.at).getTime() > CHANGE_LEASE_MS) {
        // Its writer went away between claiming and writing: finish the write for it.
        await rollForward(c);
        ready.push(c);
      }
      // A younger pending change is still being written; the next pass takes it.
    }
    if (ready.length === 0) return 0;

    const targets = new Map<Kind, Set<string>>(KINDS.map((k) => [k, new Set<string>()]));
    const add = (kind: Kind, id: unknown) => targets.get(kind)!.add(String(id));
    const brandsShownEverywhere = new Set<string>();
    const trademarkChanges: ChangeDoc[] = [];
    for (const c of ready) {
      const kind = KIND_OF_MODEL[c.model];
      if (kind) {
        if (c.op === 'bulk') c.entryIds.forEach((id) => add(kind, id));
        else add(kind, c.entryId);
        continue;
      }
      // Bulk-created brands and trademarks have no entries yet: those arrive with their own changes.
      // Other models (figures, awards…) are not in the search index at all.
      if (c.op === 'bulk' || !c.entryId || !FAN_OUT_MODELS.has(c.model)) continue;
      if (c.model === 'Brand') brandsShownEverywhere.add(String(c.entryId));
      else trademarkChanges.push(c);
    }
    const brandsShownWithMarks = new Set<string>();
    if (trademarkChanges.length) {
      const marks = (await findByIds(Trademark as Model<any>, trademarkChanges.map((c) => c.entryId), 'brand')) as Array<{ _id: unknown; brand: unknown }>;
      const brandOf = new Map(marks.map((t) => [String(t._id), String(t.brand)]));
      for (const c of trademarkChanges) {
        // A trademark gone since keeps the brand it was written with.
        const brand = brandOf.get(String(c.entryId)) ?? (c.set as { brand?: unknown }).brand;
        if (brand) brandsShownWithMarks.add(String(brand));
      }
    }
    for (const kind of KINDS) {
      const brands = new Set(brandsShownEverywhere);
      if (KINDS_WITH_MARKS.includes(kind)) brandsShownWithMarks.forEach((b) => brands.add(b));
      if (brands.size === 0) continue;
      const shown = await findWhereIn(ENTRY_MODELS[kind] as Model<any>, 'brand', [...brands], '_id');
      shown.forEach((e: { _id: unknown }) => add(kind, e._id));
    }

    for (const kind of KINDS) {
      const ids = [...targets.get(kind)!];
      if (ids.length === 0) continue;
      const entries = (await findByIds(ENTRY_MODELS[kind] as Model<any>, ids)) as Array<{ _id: unknown }>;
      const found = new Set(entries.map((e) => String(e._id)));
      const gone = ids.filter((id) => !found.has(id)).map((id) => `${kind}:${id}`);
      if (entries.length) await this.index.upsert(await buildSearchDocs(kind, entries as never[]));
      if (gone.length) await this.index.remove(gone);
    }

    // A change is marked indexed only once it has its audit event: this is where a writer that
    // crashed after saving but before auditing gets repaired.
    await auditPending(ready);
    await updateByIds(Change, ready.map((c) => c._id), { $set: { indexed: true } });
    this.log.debug({ changes: ready.length }, 'search index caught up');
    return ready.length;
  }
}

/**
 * Rebuilds the whole index from MongoDB into a fresh index, then swaps it in. Changes applied
 * before the rebuild started are marked indexed afterwards (the rebuild read their result).
 *
 * Entries are streamed; each batch reads only the brands and trademarks it shows, so memory
 * stays that of one batch whatever the size of the registries.
 */
export async function reindexAll(index: SearchIndex, onProgress?: (done: number, total: number) => void): Promise<number> {
  const startedAt = new Date(Date.now() - 1000);
  const totals = await Promise.all(KINDS.map((k) => countAll(ENTRY_MODELS[k] as Model<any>)));
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
      let batch: unknown[] = [];
      const flush = async () => {
        const docs = buildSearchDocs(kind, batch as never[]);
        docs.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
        await writeAhead();
        ahead = { docs, size: batch.length };
        batch = [];
      };
      for await (const e of ENTRY_MODELS[kind].find().lean().cursor({ batchSize: REBUILD_BATCH })) {
        batch.push(e);
        if (batch.length >= REBUILD_BATCH) await flush();
      }
      if (batch.length) await flush();
    }
    await writeAhead();
  });
  const waiting = (await Change.find({ indexed: false }).select('_id status appliedAt audited').lean()) as ChangeDoc[];
  const covered = waiting.filter((c) => c.status !== 'pending' && c.appliedAt && new Date(c.appliedAt) <= startedAt);
  await auditPending(covered);
  await updateByIds(Change, covered.map((c) => c._id), { $set: { indexed: true } });
  return done;
}
