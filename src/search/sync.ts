/**
 * Keeps the search index caught up with MongoDB.
 *
 * The change record is the entry itself: every write sets `indexPending: true` in the same
 * single-document update that changes it. This worker finds pending documents, indexes the saved
 * version, then clears the flag only if the version is still the one it indexed — so a crash at
 * any point just means the work is done again (upserts are idempotent by id + version), and
 * several app instances can run it at once. A brand or trademark change fans out by marking the
 * brand's entries pending before its own flag is cleared.
 */
import mongoose, { type Model } from 'mongoose';
import type { Logger } from 'pino';
import { Brand, Trademark, ENTRY_MODELS } from '../registries/models.js';
import { KINDS } from '../registries/reference.js';
import { buildSearchDocs } from './documents.js';
import type { SearchIndex } from './port.js';

const BATCH = 2000;
const MAX_BACKOFF_MS = 30_000;

export class IndexSync {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private failures = 0;
  private stopped = true;
  lastError: string | null = null;

  constructor(
    private readonly index: SearchIndex,
    private readonly log: Pick<Logger, 'warn' | 'info' | 'debug'>,
    private readonly pollMs = 500,
  ) {}

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
      this.tick().then((delayNext) => this.schedule(delayNext));
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

  /** One pass; returns how many documents it handled. Passes never overlap within a process. */
  runOnce(): Promise<number> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Runs passes until nothing is pending (tests, scripts). */
  async drain(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      if ((await this.runOnce()) === 0 && (await this.lag()) === 0) return;
    }
  }

  private async pass(): Promise<number> {
    let handled = 0;
    // Fan out brand and trademark changes to the entries that show them.
    const brands = await Brand.find({ indexPending: true }).select('_id version').sort({ updatedAt: 1 }).limit(BATCH).lean();
    for (const b of brands) {
      await Promise.all(Object.values(ENTRY_MODELS).map((m) => (m as Model<any>).updateMany({ brand: b._id }, { $set: { indexPending: true } })));
      await Brand.updateOne({ _id: b._id, version: b.version }, { $set: { indexPending: false } });
      handled++;
    }
    const marks = await Trademark.find({ indexPending: true }).select('_id brand version').limit(BATCH).lean();
    for (const t of marks) {
      await ENTRY_MODELS.directory.updateMany({ brand: t.brand }, { $set: { indexPending: true } });
      await ENTRY_MODELS.famous.updateMany({ brand: t.brand }, { $set: { indexPending: true } });
      await Trademark.updateOne({ _id: t._id, version: t.version }, { $set: { indexPending: false } });
      handled++;
    }
    for (const kind of KINDS) {
      const model = ENTRY_MODELS[kind];
      const pending = await model.find({ indexPending: true }).sort({ updatedAt: 1 }).limit(BATCH).lean();
      if (pending.length === 0) continue;
      const docs = await buildSearchDocs(kind, pending as never[]);
      await this.index.upsert(docs);
      // Clear only what we indexed: a newer write keeps its flag and is picked up next pass.
      await clearPending(model, pending as Array<{ _id: unknown; version: number }>);
      handled += pending.length;
      this.log.debug({ kind, count: pending.length }, 'indexed');
    }
    return handled;
  }

  /** How many changes the index has not caught up with yet. */
  async lag(): Promise<number> {
    const counts = await Promise.all(
      [Brand, Trademark, ...Object.values(ENTRY_MODELS)].map((m) => (m as Model<any>).countDocuments({ indexPending: true })),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}

/**
 * Clears `indexPending` on the given entries, but only where the version is still the indexed one.
 * One updateMany per distinct version keeps this to a query or two per batch.
 */
async function clearPending(model: Model<any>, entries: Array<{ _id: unknown; version: number }>): Promise<void> {
  const byVersion = new Map<number, unknown[]>();
  for (const e of entries) {
    const list = byVersion.get(e.version) ?? [];
    list.push(e._id);
    byVersion.set(e.version, list);
  }
  for (const [version, ids] of byVersion) {
    await model.updateMany({ _id: mongoose.trusted({ $in: ids }), version }, { $set: { indexPending: false } });
  }
}

/** Rebuilds the whole index from MongoDB into a fresh index, then swaps it in. */
export async function reindexAll(index: SearchIndex, onProgress?: (done: number, total: number) => void): Promise<number> {
  const totals = await Promise.all(KINDS.map((k) => ENTRY_MODELS[k]!.estimatedDocumentCount()));
  const total = totals.reduce((a, b) => a + b, 0);
  let done = 0;
  await index.rebuild(async (write) => {
    for (const kind of KINDS) {
      const model = ENTRY_MODELS[kind];
      let batch: unknown[] = [];
      const flush = async () => {
        await write(await buildSearchDocs(kind, batch as never[]));
        done += batch.length;
        batch = [];
        onProgress?.(done, total);
      };
      for await (const e of model.find().sort({ _id: 1 }).lean().cursor({ batchSize: 2000 })) {
        batch.push(e);
        if (batch.length >= 2000) await flush();
      }
      if (batch.length) await flush();
    }
  });
  return done;
}
