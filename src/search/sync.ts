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
 */
import type { Model } from 'mongoose';
import type { Logger } from 'pino';
import { auditPending } from '../audit/index.js';
import { mapLimit } from '../platform/concurrency.js';
import { Change, CHANGE_LEASE_MS, type ChangeDoc } from '../registries/changes.js';
import { ENTRY_MODELS, Trademark } from '../registries/models.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { rollForward } from '../registries/service.js';
import { buildSearchDocs, preloadLookup } from './documents.js';
import type { SearchIndex } from './port.js';

const BATCH = 500;
const MAX_BACKOFF_MS = 30_000;

const KIND_OF_MODEL: Record<string, Kind> = {
  DirectoryEntry: 'directory', FamousMark: 'famous', TimeHonored: 'time-honored', Certificate: 'certified',
};
/** Models whose changes alter search documents of entries that point at them. */
const FAN_OUT_MODELS = new Set(['Brand', 'Trademark']);

export interface IndexSyncOptions {
  pollMs?: number;
  /** Bulk-inserted rows waiting at which a pass rebuilds the whole index instead (0: never). */
  rebuildThreshold?: number;
}

export class IndexSync {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private failures = 0;
  private stopped = true;
  private readonly pollMs: number;
  private readonly rebuildThreshold: number;
  lastError: string | null = null;

  constructor(
    private readonly index: SearchIndex,
    private readonly log: Pick<Logger, 'warn' | 'info' | 'debug'>,
    opts: IndexSyncOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { pollMs: opts } : opts;
    this.pollMs = o.pollMs ?? 500;
    this.rebuildThreshold = o.rebuildThreshold ?? 20_000;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick().then((next) => this.schedule(next));
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<number> {
    try {
      const n = await this.runOnce();
      this.failures = 0;
      this.lastError = null;
      return n > 0 ? 0 : this.pollMs;
    } catch (err) {
      this.failures++;
      this.lastError = (err as Error).message;
      const backoff = Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** this.failures);
      this.log.warn({ err, backoff }, 'search index sync failed; will retry');
      return backoff;
    }
  }

  /** One pass; returns how many changes it indexed. Passes never overlap within a process. */
  runOnce(): Promise<number> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
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
      let brandId: unknown = c.entryId;
      if (c.model === 'Trademark') {
        const tm = await Trademark.findById(c.entryId).select('brand').lean();
        brandId = tm?.brand ?? (c.set as { brand?: unknown }).brand;
        if (!brandId) continue;
      }
      for (const kind of KINDS) {
        if (c.model === 'Trademark' && kind !== 'directory' && kind !== 'famous') continue;
        const ids = await ENTRY_MODELS[kind].find({ brand: brandId }).select('_id').lean();
        ids.forEach((e) => add(kind, e._id));
      }
    }

    for (const kind of KINDS) {
      const ids = [...targets.get(kind)!];
      if (ids.length === 0) continue;
      const model = ENTRY_MODELS[kind] as Model<any>;
      const entries: unknown[] = [];
      const gone: string[] = [];
      // Point lookups: FerretDB scans the whole collection for $in.
      await mapLimit(ids, 8, async (id) => {
        const e = await model.findById(id).lean();
        if (e) entries.push(e);
        else gone.push(`${kind}:${id}`);
      });
      if (entries.length) await this.index.upsert(await buildSearchDocs(kind, entries as never[]));
      if (gone.length) await this.index.remove(gone);
    }

    // A change is marked indexed only once it has its audit event: this is where a writer that
    // crashed after saving but before auditing gets repaired.
    await auditPending(ready);
    await mapLimit(ready, 8, (c) => Change.updateOne({ _id: c._id }, { $set: { indexed: true } }));
    this.log.debug({ changes: ready.length }, 'search index caught up');
    return ready.length;
  }
}

/**
 * Rebuilds the whole index from MongoDB into a fresh index, then swaps it in. Changes applied
 * before the rebuild started are marked indexed afterwards (the rebuild read their result).
 */
export async function reindexAll(index: SearchIndex, onProgress?: (done: number, total: number) => void): Promise<number> {
  const startedAt = new Date(Date.now() - 1000);
  const totals = await Promise.all(KINDS.map((k) => ENTRY_MODELS[k].estimatedDocumentCount()));
  const total = totals.reduce((a, b) => a + b, 0);
  let done = 0;
  const lookup = await preloadLookup();
  await index.rebuild(async (write) => {
    for (const kind of KINDS) {
      let batch: unknown[] = [];
      const flush = async () => {
        await write(await buildSearchDocs(kind, batch as never[], lookup));
        done += batch.length;
        batch = [];
        onProgress?.(done, total);
      };
      for await (const e of ENTRY_MODELS[kind].find().lean().cursor({ batchSize: 5000 })) {
        batch.push(e);
        if (batch.length >= 2000) await flush();
      }
      if (batch.length) await flush();
    }
  });
  // Mark by _id, one by one: FerretDB's updateMany re-scans the collection for every document it
  // updates (minutes for the 750 bulk changes of a 500,000-row load), while _id lookups are direct.
  const waiting = (await Change.find({ indexed: false }).select('_id status appliedAt audited').lean()) as ChangeDoc[];
  const covered = waiting.filter((c) => c.status !== 'pending' && c.appliedAt && new Date(c.appliedAt) <= startedAt);
  await auditPending(covered);
  await mapLimit(covered, 8, (c) => Change.updateOne({ _id: c._id }, { $set: { indexed: true } }));
  return done;
}
