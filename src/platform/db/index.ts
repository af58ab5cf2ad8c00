/**
 * The data layer: the one place that knows which server the app talks to.
 *
 * `connectDatabase` detects the server at connect time — MongoDB, or FerretDB (the local stack's
 * server, docs/decisions/0001 and 0007) — and the few operations whose best form differs live
 * here: counting a whole collection, expiring documents by a date field, and atomic increments.
 * On MongoDB they use `estimatedDocumentCount`, TTL indexes and `$inc`; on FerretDB, collection
 * statistics, a sweeper owned by boot, and increments queued per key in this process. Domain code
 * calls these and never names the server.
 *
 * Many-by-id reads and bulk marks (`findByIds`, `updateByIds`) are `$in` and `updateMany` on both:
 * the local FerretDB build pushes `$in` and equality down to its indexes (scripts/ferretdb/_overlay).
 * They only cut long id lists into chunks, so no request carries thousands of ids.
 *
 * Every pooled connection is guarded against crossed replies (reply-guard.ts).
 */
import mongoose, { type UpdateQuery } from 'mongoose';
import { KeyedQueue } from '../concurrency.js';
import { errorCode } from '../guards.js';
import { guardedConnectionOption, onCrossedReply, type CrossedReply } from './reply-guard.js';

// Query filters built from user input never carry operators (mongoose ≥ 9 query-injection fix).
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
mongoose.set('autoIndex', false);

export type ServerKind = 'mongodb' | 'ferretdb';

export interface ServerInfo {
  kind: ServerKind;
  /** The server's own version (FerretDB's, not the MongoDB version it emulates). */
  version: string;
}

/** What a server does natively; the branches of this layer follow from it. */
export interface Capabilities {
  /** `expireAfterSeconds` indexes remove documents by themselves. */
  ttlIndexes: boolean;
  /** `$inc` on one document is atomic under concurrency. */
  atomicIncrement: boolean;
  /** `count` of a whole collection reads metadata instead of every document. */
  cheapFullCount: boolean;
}

/** Tells the server from its `buildInfo` reply. */
export function detectServer(buildInfo: Record<string, unknown>): ServerInfo {
  if (typeof buildInfo.ferretdbVersion === 'string') return { kind: 'ferretdb', version: buildInfo.ferretdbVersion };
  return { kind: 'mongodb', version: typeof buildInfo.version === 'string' ? buildInfo.version : 'unknown' };
}

export function capabilitiesOf(kind: ServerKind): Capabilities {
  return kind === 'mongodb'
    ? { ttlIndexes: true, atomicIncrement: true, cheapFullCount: true }
    : { ttlIndexes: false, atomicIncrement: false, cheapFullCount: false };
}

let server: ServerInfo | null = null;

/** The server detected by connectDatabase. */
export function serverInfo(): ServerInfo {
  if (!server) throw new Error('database: not connected (connectDatabase first)');
  return server;
}

export interface ConnectOptions {
  /** Told of every crossed reply the guard caught (the connection is already closed). */
  onCrossedReply?: (event: CrossedReply) => void;
}

/** Connects mongoose (guarded connections), detects the server, creates every model's indexes. */
export async function connectDatabase(uri: string, dbName?: string, opts: ConnectOptions = {}): Promise<ServerInfo> {
  if (opts.onCrossedReply) onCrossedReply(opts.onCrossedReply);
  await mongoose.connect(uri, { dbName, serverSelectionTimeoutMS: 10_000, ...guardedConnectionOption });
  server = detectServer(await mongoose.connection.db!.admin().command({ buildInfo: 1 }));
  await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
  return server;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
  server = null;
}

/** Round trip to the server, for /readyz. */
export async function pingDatabase(): Promise<boolean> {
  try {
    const db = mongoose.connection.db;
    if (!db) return false;
    await db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

/** How many ids one `$in` carries at most. */
const ID_CHUNK = 500;

function chunks<T>(items: readonly T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/*
 * The helpers below take any model. A mongoose `Model<T>` is invariant in `T` (a Model<BrandDoc>
 * is no Model<unknown>), so each is typed by the few calls it makes, which every model has.
 */

/** A query that reads plain documents; the caller names their shape, as with mongoose's `lean<T>()`. */
export interface LeanQuery {
  lean<R>(): PromiseLike<R> & { cursor(options?: { batchSize?: number }): AsyncIterable<R extends readonly (infer E)[] ? E : never> };
}

/** A model read with a filter and a projection (every mongoose model). */
export interface ReadableModel {
  find(filter: Record<string, unknown>, projection?: string | Record<string, 0 | 1>): LeanQuery;
}

/** A model updated many documents at a time (every mongoose model). */
export interface UpdatableModel {
  updateMany(filter: Record<string, unknown>, update: UpdateQuery<unknown>): PromiseLike<{ matchedCount: number }>;
}

/** A model whose whole collection can be counted (every mongoose model). */
export interface CountableModel {
  estimatedDocumentCount(): PromiseLike<number>;
  readonly collection: { readonly collectionName: string };
  readonly db: mongoose.Connection;
}

/** The documents with these ids (lean, in no particular order; missing ids are simply absent). */
export async function findByIds<T = Record<string, unknown>>(
  model: ReadableModel,
  ids: readonly unknown[],
  projection?: string | Record<string, 0 | 1>,
): Promise<T[]> {
  const out: T[] = [];
  for (const part of chunks([...new Set(ids.map(String))])) {
    out.push(...(await model.find({ _id: mongoose.trusted({ $in: part }) }, projection || undefined).lean<T[]>()));
  }
  return out;
}

/** Applies one update to every document with these ids; returns how many matched. */
export async function updateByIds(model: UpdatableModel, ids: readonly unknown[], update: UpdateQuery<unknown>): Promise<number> {
  let matched = 0;
  for (const part of chunks([...new Set(ids.map(String))])) {
    const res = await model.updateMany({ _id: mongoose.trusted({ $in: part }) }, update);
    matched += res.matchedCount;
  }
  return matched;
}

const counted = new Map<string, { n: number; at: number }>();

/**
 * The number of documents in a collection, without reading them. With `maxAgeMs`, a count taken
 * that recently may be answered again where counting is not cheap (page headers of the back
 * office: FerretDB's statistics walk every page of the table, 1.5 s at 500,000 brands); any change
 * applied in this process forgets it (`forgetCounts`, wired by the app).
 */
export async function countAll(model: CountableModel, opts: { maxAgeMs?: number } = {}): Promise<number> {
  if (capabilitiesOf(serverInfo().kind).cheapFullCount) return model.estimatedDocumentCount();
  const name = model.collection.collectionName;
  const seen = counted.get(name);
  if (opts.maxAgeMs && seen && Date.now() - seen.at < opts.maxAgeMs) return seen.n;
  // FerretDB counts a whole collection by reading every document; its statistics know the count.
  const stats = await model.db.db!.command({ collStats: name });
  const n = typeof stats.count === 'number' ? stats.count : await model.estimatedDocumentCount();
  counted.set(name, { n, at: Date.now() });
  return n;
}

/** Forgets every remembered count (a change was applied). */
export function forgetCounts(): void {
  counted.clear();
}

const increments = new KeyedQueue();

/**
 * `$inc` of one document, upserted, returning the document after the update. Atomic on MongoDB; on
 * FerretDB (whose `$inc` is a read-modify-write) increments of one key are queued in this process,
 * which is exact for the single-instance local stack.
 */
export async function incrementOne<T extends { _id: unknown }>(
  collection: string,
  _id: string | mongoose.Types.ObjectId,
  inc: Record<string, number>,
  setOnInsert: Record<string, unknown> = {},
): Promise<T> {
  const run = async () => {
    const coll = mongoose.connection.db!.collection<T>(collection);
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await coll.findOneAndUpdate(
          { _id } as never,
          { $inc: inc, ...(Object.keys(setOnInsert).length ? { $setOnInsert: setOnInsert } : {}) } as never,
          { upsert: true, returnDocument: 'after' },
        );
        return doc as T;
      } catch (err) {
        // Two writers inserting the first increment: the loser increments the winner's document.
        if (errorCode(err) !== 11000 || attempt >= 2) throw err;
      }
    }
  };
  return capabilitiesOf(serverInfo().kind).atomicIncrement ? run() : increments.run(`${collection}:${_id}`, run);
}

/** A collection whose documents end at the date in `field` (sessions, rate-limit windows). */
export interface Expiring {
  collection: string;
  field: string;
}

/**
 * Removes documents whose end date has passed. On MongoDB, `start()` creates TTL indexes and the
 * server does the rest; on FerretDB it sweeps every `everyMs` with acknowledged deletes (never
 * `w: 0`, docs/decisions/0007). Owned by boot: `stop()` leaves no timer behind.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly targets: readonly Expiring[],
    private readonly everyMs = 10 * 60_000,
  ) {}

  async start(): Promise<void> {
    const db = mongoose.connection.db!;
    if (capabilitiesOf(serverInfo().kind).ttlIndexes) {
      await Promise.all(this.targets.map((t) => db.collection(t.collection).createIndex({ [t.field]: 1 }, { expireAfterSeconds: 0 })));
      return;
    }
    this.timer = setInterval(() => void this.sweepOnce().catch(() => undefined), this.everyMs);
    this.timer.unref();
  }

  /** One sweep now; returns how many documents it removed. */
  sweepOnce(now = new Date()): Promise<number> {
    this.running ??= (async () => {
      const db = mongoose.connection.db!;
      let removed = 0;
      for (const t of this.targets) {
        const res = await db.collection(t.collection).deleteMany({ [t.field]: { $lt: now } });
        removed += res.deletedCount;
      }
      return removed;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

export { crossedReplies, type CrossedReply } from './reply-guard.js';
