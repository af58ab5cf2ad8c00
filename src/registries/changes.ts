/**
 * The change log: one document per write, inserted BEFORE the entry is written. This module owns
 * the `Change` schema and every write to it; nothing else in the app writes a change.
 *
 * Its `_id` is `<Model>:<entryId>:<version>`, so claiming a version is an insert on a unique key,
 * which every server makes atomic without transactions. Whoever inserts the claim owns that
 * version; a second writer based on the same version gets a duplicate key and is told of the
 * conflict.
 *
 * The same documents are an outbox with one flag per subscriber: the search index (`indexed`) and
 * the audit trail (`audited`) each take the settled changes whose flag is still false, do their
 * work, and have the log set their flag (`markChanges`). Subscribers are registered at boot
 * (outbox.ts runs one worker per subscriber), so either can be down without stopping the other.
 * A writer that dies after claiming leaves a `pending` change holding the intended values; after a
 * lease a worker (or the next writer) rolls it forward. So a crash between any two steps loses
 * nothing, without multi-document transactions.
 *
 * Two things keep the log cheap to live with: the service tells the workers about every settled
 * change (`changeSettled`), so they need not poll fast; and changes that every subscriber has
 * handled are deleted once they are older than a retention (`compactChanges`).
 */
import mongoose, { Schema, type Model } from 'mongoose';
import { updateByIds } from '../platform/db/index.js';

export type ChangeStatus = 'pending' | 'applied' | 'failed';

export interface ChangeDoc {
  _id: string;
  /** Mongoose model name: Brand, Trademark, DirectoryEntry, FamousMark, TimeHonored, Certificate. */
  model: string;
  entryId: mongoose.Types.ObjectId | null;
  /** Version the entry has after this change. */
  version: number;
  op: 'create' | 'update' | 'bulk';
  /** What the change means to a regulator, for the audit trail: a plain update, a status change, an appended record. */
  action?: 'update' | 'status' | 'record';
  /** Top-level fields written (the whole document for a create). */
  set: Record<string, unknown>;
  /** Their values before (update only). */
  before: Record<string, unknown>;
  /** For op 'bulk': the entries inserted together. */
  entryIds: mongoose.Types.ObjectId[];
  actor: string;
  reason: string;
  at: Date;
  status: ChangeStatus;
  appliedAt: Date | null;
  error: string;
  indexed: boolean;
  /** Its audit event is in the chain (src/audit). */
  audited?: boolean;
}

const changeSchema = new Schema<ChangeDoc>(
  {
    _id: { type: String, required: true },
    model: { type: String, required: true },
    entryId: { type: Schema.Types.ObjectId, default: null },
    version: { type: Number, required: true },
    op: { type: String, required: true, enum: ['create', 'update', 'bulk'] },
    action: { type: String, enum: ['update', 'status', 'record'] },
    set: { type: Schema.Types.Mixed, default: {} },
    before: { type: Schema.Types.Mixed, default: {} },
    entryIds: { type: [Schema.Types.ObjectId], default: [] },
    actor: { type: String, default: 'system' },
    reason: { type: String, default: '' },
    at: { type: Date, required: true },
    status: { type: String, required: true, enum: ['pending', 'applied', 'failed'] },
    appliedAt: { type: Date, default: null },
    error: { type: String, default: '' },
    indexed: { type: Boolean, default: false },
    audited: { type: Boolean, default: false },
  },
  { versionKey: false, minimize: false, strict: 'throw' },
);
changeSchema.index({ indexed: 1 });
changeSchema.index({ audited: 1 });
changeSchema.index({ entryId: 1 });
// Compaction finds old changes by date range, reading only what it deletes.
changeSchema.index({ at: 1 });
// The e-mail alerts read the log in the order changes settled, from a cursor of their own (src/alerts).
changeSchema.index({ appliedAt: 1 });

export const Change: Model<ChangeDoc> = mongoose.models.Change ?? mongoose.model<ChangeDoc>('Change', changeSchema);

export const changeId = (model: string, entryId: unknown, version: number) => `${model}:${String(entryId)}:${version}`;

/** How long a claimed change may stay pending before someone else rolls it forward. */
export const CHANGE_LEASE_MS = 15_000;

/** A flag of the change log: what one subscriber has done with a change. */
export type ChangeFlag = 'indexed' | 'audited';

/**
 * Something that must see every settled change once: the search index, the audit trail. `handle`
 * gets settled changes (applied or failed, never pending) whose flag is false, and must be
 * idempotent: after a crash the same change comes again. Once it returns, the log sets the flag.
 */
export interface ChangeSubscriber {
  /** For logs and /readyz. */
  readonly name: string;
  readonly flag: ChangeFlag;
  handle(changes: ChangeDoc[]): Promise<void>;
  /**
   * Also handle each change the moment this process settles it, before the write returns (the
   * audit trail: an edit is in the history as soon as it is saved). A failure there never fails
   * the write; the subscriber's worker retries.
   */
  readonly inline?: boolean;
  /** Told when inline handling failed (it is retried by the worker). */
  onInlineError?(err: unknown, changeId: string): void;
  /**
   * Whether a batch that failed with `err` is to be retried whole later rather than split: when
   * the subscriber cannot work at all just now (its engine is down), or when the batch was handled
   * as one costly unit (a full rebuild). Otherwise the worker splits a failed batch to find the
   * changes at fault, so that one change it cannot handle holds up only itself.
   */
  retryWhole?(err: unknown): boolean;
}

/** Told the id of each change this process has just settled (the workers wake up). */
export type ChangeListener = (changeId: string) => void;

const listeners = new Set<ChangeListener>();
const inlineSubscribers = new Set<ChangeSubscriber>();

/**
 * Calls `listener` after every change this process settles, so a worker can run at once instead
 * of polling fast. Writes made by other processes are not seen here: the workers' timers still
 * pick those up. Returns the function that unsubscribes.
 */
export function onChangeApplied(listener: ChangeListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Registers a subscriber that handles changes as they settle (boot; returns the undo). */
export function handleInline(subscriber: ChangeSubscriber): () => void {
  inlineSubscribers.add(subscriber);
  return () => inlineSubscribers.delete(subscriber);
}

const isDuplicate = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;

/** What a writer states when it claims a version; the log fills in the bookkeeping fields. */
export type ChangeClaim = Omit<ChangeDoc, 'status' | 'appliedAt' | 'error' | 'indexed' | 'entryIds' | 'audited'> & { entryIds?: ChangeDoc['entryIds'] };

/** Inserts the change as pending; false when someone else holds that version (a duplicate id). */
export async function claimChange(change: ChangeClaim): Promise<boolean> {
  try {
    await Change.collection.insertOne({ entryIds: [], ...change, status: 'pending', appliedAt: null, error: '', indexed: false, audited: false } as never);
    return true;
  } catch (err) {
    if (isDuplicate(err)) return false;
    throw err;
  }
}

/** Records how a claimed change ended. */
export async function markSettled(id: string, status: 'applied' | 'failed', error = ''): Promise<void> {
  await Change.updateOne({ _id: id }, { $set: { status, appliedAt: new Date(), error } });
}

/** Sets a subscriber's flag on changes it has handled (the workers; only this module writes). */
export async function markChanges(ids: readonly string[], flag: ChangeFlag): Promise<void> {
  if (ids.length) await updateByIds(Change, [...ids], { $set: { [flag]: true } });
}

/**
 * A change was settled (registry service only): the inline subscribers handle it, then the
 * listeners are told. Neither can fail the write: what an inline subscriber could not do, its
 * worker does later; a listener is a wake-up call that the timers back up.
 */
export async function changeSettled(id: string): Promise<void> {
  try {
    if (inlineSubscribers.size === 0) return;
    const c = await Change.findById(id).lean<ChangeDoc>();
    if (!c || c.status === 'pending') return;
    for (const sub of inlineSubscribers) {
      if (c[sub.flag]) continue;
      try {
        await sub.handle([c]);
        await markChanges([c._id], sub.flag);
      } catch (err) {
        sub.onInlineError?.(err, c._id);
      }
    }
  } catch {
    // The change could not be read back: the workers' next pass handles it.
  } finally {
    for (const listener of listeners) {
      try {
        listener(id);
      } catch {
        // A listener is a wake-up call; the timer poll covers anything it missed.
      }
    }
  }
}

/** How long settled changes stay in the log once every subscriber has handled them. */
export const CHANGE_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * The earliest `at` compaction looks at: no change of this registry predates it. A range closed on
 * both ends is what an index on `at` answers directly on every server we run.
 */
const LOG_EPOCH = new Date('2020-01-01T00:00:00Z');

const DELETE_CHUNK = 500;

export interface CompactOptions {
  /** Changes whose `at` is older than this many ms are removed (default CHANGE_RETENTION_MS). */
  olderThan?: number;
  /** Injectable clock (tests). */
  now?: Date;
}

export interface CompactReport {
  /** Changes deleted. */
  removed: number;
  /** Old changes kept: still pending, not yet indexed or audited, or the newest of their model. */
  kept: number;
}

/**
 * Deletes settled changes older than the retention that are indexed and audited: nothing reads
 * them any more. The search index holds their result, and the audit event holds their actor,
 * reason and field-level before/after (src/audit), which is the permanent record. Pending changes
 * are never removed (the sync rolls them forward first), nor unindexed or unaudited ones.
 *
 * Removing a change also removes its version claim (`<Model>:<id>:<version>`). That is safe:
 * a claim for version k only ever stops a writer based on version k-1, and a writer is based on
 * k-1 only if it read the entry while the entry was at k-1, that is before change k was applied,
 * more than the retention ago. Writers claim milliseconds after reading (the service re-reads the
 * entry on every write and compares the version the client sent, so a form loaded a month ago is
 * refused by that comparison, not by the claim). A writer stalled between its read and its claim
 * for longer than the retention is the only case left open, and 30 days is far beyond anything
 * the CHANGE_LEASE_MS roll-forward already assumes about stalled writers.
 *
 * The newest old change of each model is kept, so "last changed" dates (src/stats) survive a quiet
 * month; it is removed as soon as a newer one of that model is old enough to be compacted instead.
 */
/** How far a reader of the change log has read: the `appliedAt` of the last change it has taken in, or null. */
export type ChangeReaderPosition = () => Promise<Date | null>;

const readers = new Map<string, ChangeReaderPosition>();

/**
 * Registers a reader of the change log besides its two subscribers (whose flags are on each
 * change): e.g. the e-mail alerts, which keep a cursor of their own. Compaction keeps every change
 * a registered reader has not read yet, however old, so a reader that stalls loses nothing.
 * Registering a name again replaces its position function.
 */
export function registerChangeReader(name: string, position: ChangeReaderPosition): () => void {
  readers.set(name, position);
  return () => {
    if (readers.get(name) === position) readers.delete(name);
  };
}

/** The earliest position of the registered readers (null: none holds anything back). */
async function readersHold(): Promise<Date | null> {
  const positions = await Promise.all([...readers.values()].map((position) => position()));
  const times = positions.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}

export async function compactChanges(opts: CompactOptions = {}): Promise<CompactReport> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - (opts.olderThan ?? CHANGE_RETENTION_MS));
  if (cutoff <= LOG_EPOCH) return { removed: 0, kept: 0 };
  const held = await readersHold();
  const old = await Change.find({ at: mongoose.trusted({ $gte: LOG_EPOCH, $lt: cutoff }) })
    .select('_id model at status indexed audited appliedAt')
    .lean<Array<Pick<ChangeDoc, '_id' | 'model' | 'at' | 'status' | 'indexed' | 'audited' | 'appliedAt'>>>();
  // A change applied after a registered reader's position is still to be read by it.
  const unread = (c: Pick<ChangeDoc, 'appliedAt'>) => held !== null && (!c.appliedAt || new Date(c.appliedAt).getTime() > held.getTime());
  const newest = new Map<string, { id: string; at: number }>();
  for (const c of old) {
    if (c.status !== 'applied') continue;
    const at = new Date(c.at).getTime();
    const cur = newest.get(c.model);
    if (!cur || cur.at < at) newest.set(c.model, { id: c._id, at });
  }
  const keep = new Set([...newest.values()].map((n) => n.id));
  const doomed = old.filter((c) => c.status !== 'pending' && c.indexed && c.audited && !keep.has(c._id) && !unread(c)).map((c) => c._id);
  let removed = 0;
  for (let i = 0; i < doomed.length; i += DELETE_CHUNK) {
    const part = doomed.slice(i, i + DELETE_CHUNK);
    // By _id alone: indexed, audited and settled only ever become true, so what qualified still does.
    const res = await Change.deleteMany({ _id: mongoose.trusted({ $in: part }) });
    removed += res.deletedCount;
  }
  return { removed, kept: old.length - removed };
}

/**
 * Runs compactChanges on a slow timer. Owned by boot: `start()` after the sync worker, `stop()`
 * before disconnecting; it leaves no timer behind. Several instances may run it at once (deletes
 * of the same ids are harmless).
 */
export class ChangeCompactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CompactReport> | null = null;
  lastError: string | null = null;
  lastReport: CompactReport | null = null;

  constructor(
    private readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
    private readonly opts: { everyMs?: number; firstAfterMs?: number; olderThan?: number } = {},
  ) {}

  start(): void {
    const every = this.opts.everyMs ?? 6 * 3600_000;
    // Not at boot itself: the first run waits until start-up work (a rebuild, the seed) is done.
    const first = this.opts.firstAfterMs ?? 10 * 60_000;
    const loop = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce().finally(() => {
          if (this.timer) loop(every);
        });
      }, delay);
      this.timer.unref();
    };
    loop(first);
  }

  /** One compaction now (never two at once in this process). */
  runOnce(): Promise<CompactReport> {
    this.running ??= compactChanges({ olderThan: this.opts.olderThan })
      .then((report) => {
        this.lastError = null;
        this.lastReport = report;
        if (report.removed > 0) this.log.info({ ...report }, 'change log compacted');
        return report;
      })
      .catch((err: Error) => {
        this.lastError = err.message;
        this.log.warn({ err }, 'change log compaction failed; will retry at the next run');
        return { removed: 0, kept: 0 };
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
