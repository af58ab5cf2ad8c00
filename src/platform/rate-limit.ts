/**
 * Named rate limiters whose counters live in MongoDB, so a limit holds across restarts and across
 * several app instances (style rule 11). express-rate-limit does the HTTP side (429, the draft-8
 * `RateLimit` headers); MongoRateLimitStore keeps the counts.
 *
 * Counting is a fixed window per client that opens at the client's first hit: one small document
 * per (limiter, client), `{_id, hits, expiresAt}`, incremented with an upsert + `$inc` and reset
 * when a hit arrives after `expiresAt`. Ended windows are swept: by a TTL index where the server has one (MongoDB), otherwise by
 * a `deleteMany` that an increment triggers at most every few minutes (FerretDB v1 does not
 * implement `expireAfterSeconds`).
 *
 * FerretDB v1 does not apply `$inc` atomically: 20 concurrent increments of one document left it
 * at 3 (measured here, see docs/decisions/0004). So increments of one key are queued in this
 * process and run one after another; a burst from one client through one instance is counted
 * exactly. Only bursts that reach several instances at the same moment can be undercounted there;
 * on MongoDB `$inc` is atomic and every count is exact.
 */
import type { RequestHandler } from 'express';
import { rateLimit, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import mongoose from 'mongoose';
import { AppError } from './errors.js';

/** The collection of window counters (one document per limiter, client and window). */
export const RATE_LIMIT_COLLECTION = 'rate_limits';
const SWEEP_EVERY_MS = 5 * 60_000;

interface CounterDoc {
  _id: string;
  hits: number;
  expiresAt: Date;
}

const isDuplicate = (err: unknown) => (err as { code?: number })?.code === 11000;

/**
 * Runs tasks one after another per key (other keys run in parallel). Used where FerretDB would
 * otherwise lose concurrent read-modify-write updates of one document.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this task, so the map does not grow.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * An express-rate-limit Store over the `rate_limits` collection. One instance per limiter
 * (express-rate-limit refuses to share a store); `prefix` keeps limiters apart in the collection.
 */
export class MongoRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private windowMs = 60_000;
  private readonly queue = new KeyedQueue();
  private lastSweep = 0;
  private indexTried = false;

  /**
   * @param prefix keeps this limiter's keys apart from other limiters' in the collection.
   * @param timeoutMs if set, an increment that takes longer fails (so a fail-open limiter lets
   *   the request through instead of stalling it while the database is unreachable).
   */
  constructor(prefix: string, private readonly timeoutMs?: number, private readonly collectionName = RATE_LIMIT_COLLECTION) {
    this.prefix = prefix;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  // The driver's collection, not mongoose's buffering wrapper: with no connection, fail at once.
  private get collection() {
    const db = mongoose.connection.db;
    if (!db) throw new Error('rate limit: the database is not connected');
    return db.collection<CounterDoc>(this.collectionName);
  }

  async increment(key: string): Promise<IncrementResponse> {
    const work = this.count(this.prefix + key);
    if (!this.timeoutMs) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limit: no answer from the database within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private count(_id: string): Promise<IncrementResponse> {
    this.maybeSweep();
    return this.queue.run(_id, async () => {
      const now = Date.now();
      let doc: CounterDoc | null = null;
      for (let attempt = 0; !doc; attempt++) {
        try {
          doc = await this.collection.findOneAndUpdate(
            { _id },
            { $inc: { hits: 1 }, $setOnInsert: { expiresAt: new Date(now + this.windowMs) } },
            { upsert: true, returnDocument: 'after' },
          );
        } catch (err) {
          // Two instances inserting a client's first hit: the loser increments the winner's.
          if (!isDuplicate(err) || attempt >= 2) throw err;
        }
      }
      if (doc.expiresAt.getTime() <= now) {
        // The client's previous window has ended: this hit opens a new one.
        const expiresAt = new Date(now + this.windowMs);
        await this.collection.updateOne({ _id }, { $set: { hits: 1, expiresAt } });
        return { totalHits: 1, resetTime: expiresAt };
      }
      return { totalHits: doc.hits, resetTime: doc.expiresAt };
    });
  }

  async get(key: string) {
    const doc = await this.collection.findOne({ _id: this.prefix + key });
    return doc && doc.expiresAt.getTime() > Date.now() ? { totalHits: doc.hits, resetTime: doc.expiresAt } : undefined;
  }

  async decrement(key: string): Promise<void> {
    const _id = this.prefix + key;
    await this.queue.run(_id, () =>
      this.collection.updateOne({ _id, hits: { $gt: 0 }, expiresAt: { $gt: new Date() } }, { $inc: { hits: -1 } }),
    );
  }

  async resetKey(key: string): Promise<void> {
    const _id = this.prefix + key;
    await this.queue.run(_id, () => this.collection.deleteOne({ _id }));
  }

  /** Deletes windows that have ended; fire-and-forget, at most every few minutes per store. */
  private maybeSweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS || !mongoose.connection.db) return;
    this.lastSweep = now;
    const coll = this.collection;
    if (!this.indexTried) {
      this.indexTried = true;
      // MongoDB removes ended windows itself; FerretDB v1 answers "not implemented yet".
      coll.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }).catch(() => undefined);
    }
    coll.deleteMany({ expiresAt: { $lt: new Date(now) } }).catch(() => undefined);
  }
}

export interface LimiterOptions {
  /** Names the limiter in the counters' keys ("search", "verify", "login"). */
  name: string;
  windowMs: number;
  limit: number;
  /** The 429 message, Chinese and English. */
  message: string;
  messageEn: string;
  /** Count only requests that end in an error status (e.g. failed sign-ins). */
  skipSuccessfulRequests?: boolean;
  /**
   * When the database cannot be reached: true lets requests through (public pages keep working
   * from the search index), false answers with the error page.
   */
  failOpen?: boolean;
}

/**
 * A per-client limiter over a MongoDB store; over the limit, the error handler's 429 page or JSON
 * (never cached). The key includes the limit, so instances sharing a database share a count only
 * when they enforce the same limit (a changed limit starts afresh; test apps with their own limits
 * do not disturb each other).
 */
export function limiter(o: LimiterOptions): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: o.skipSuccessfulRequests ?? false,
    passOnStoreError: o.failOpen ?? false,
    store: new MongoRateLimitStore(`${o.name}:${o.limit}/${o.windowMs}:`, o.failOpen ? 2000 : undefined),
    handler: (_req, _res, next) => next(new AppError('rate_limited', o.message, { messageEn: o.messageEn })),
  });
}
