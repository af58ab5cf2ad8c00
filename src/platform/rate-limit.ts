/**
 * Named rate limiters. express-rate-limit does the HTTP side (the 429 through the error handler,
 * the draft-8 `RateLimit` headers, fail-open on store errors); where the counts live is chosen per
 * limiter (docs/decisions/0008):
 *
 * - `memory` — express-rate-limit's own MemoryStore, per instance: no database work per request.
 *   The public limiters (search, certificate checks) use it unless `RATE_LIMIT_SHARED=true`.
 * - `shared-batched` — BatchedRateLimitStore: counts in memory, and every few seconds sends each
 *   key's new hits to MongoDB in one `$inc` and takes back everyone's total, so several instances
 *   agree within a few seconds. For public limiters behind a load balancer.
 * - `shared-exact` — MongoRateLimitStore: one `$inc` per hit, exact across instances and restarts.
 *   For the sign-in limiter, which counts failures only (low volume, security-relevant).
 *
 * The shared stores count fixed windows aligned to the clock (a window of `windowMs` starts at
 * every multiple of `windowMs`), so instances agree on when a window ends without talking, and a
 * new window is a new document rather than a reset of the old one. One document per limiter,
 * client and window: `{_id: "<limiter>:<limit>/<windowMs>:<client>@<window start>", hits,
 * expiresAt}`; ended windows are never read again and boot removes them with an ExpirySweeper
 * over RATE_LIMIT_EXPIRY.
 *
 * The memory and batched stores hold timers (a clean-up interval, a pending flush), so their
 * limiters are made through a RateLimits that boot owns and stops. The exact store holds none:
 * `exactLimiter` needs no owner.
 */
import type { RequestHandler } from 'express';
import { MemoryStore, rateLimit, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import mongoose from 'mongoose';
import { mapLimit } from './concurrency.js';
import { incrementOne, type Expiring } from './db/index.js';
import { AppError } from './errors.js';

/** The collection of window counters (one document per limiter, client and window). */
export const RATE_LIMIT_COLLECTION = 'rate_limits';

/** For boot's ExpirySweeper: a window's document ends at `expiresAt`. */
export const RATE_LIMIT_EXPIRY: Expiring = { collection: RATE_LIMIT_COLLECTION, field: 'expiresAt' };

/** How often a batched store sends its counts, by default. */
export const DEFAULT_SYNC_MS = 5_000;

/** How many keys one flush sends at once (each is one round trip). */
const FLUSH_PARALLEL = 16;
/** How many ids one read of other instances' counts carries. */
const READ_CHUNK = 500;

interface CounterDoc {
  _id: string;
  hits: number;
  expiresAt: Date;
}

/** Shared by both stores: where a key's current window lives and when it ends. */
interface Window {
  id: string;
  resetTime: Date;
}

export interface SharedStoreOptions {
  /** Another collection than RATE_LIMIT_COLLECTION (tests). */
  collection?: string;
  /** The clock, in ms (tests move it across windows). */
  now?: () => number;
}

abstract class WindowedStore {
  readonly localKeys = false;
  protected windowMs = 60_000;
  protected readonly collectionName: string;
  protected readonly now: () => number;

  constructor(
    readonly prefix: string,
    opts: SharedStoreOptions,
  ) {
    this.collectionName = opts.collection ?? RATE_LIMIT_COLLECTION;
    this.now = opts.now ?? Date.now;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  protected windowOf(key: string, now = this.now()): Window {
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    return { id: `${this.prefix}${key}@${start}`, resetTime: new Date(start + this.windowMs) };
  }

  // The driver's collection, not mongoose's buffering wrapper: with no connection, fail at once.
  protected get collection() {
    const db = mongoose.connection.db;
    if (!db) throw new Error('rate limit: the database is not connected');
    return db.collection<CounterDoc>(this.collectionName);
  }
}

/**
 * An express-rate-limit Store that writes every hit to MongoDB (`incrementOne`, so a burst through
 * one instance is counted exactly on either server). One instance per limiter (express-rate-limit
 * refuses to share a store); `prefix` keeps limiters apart in the collection.
 */
export class MongoRateLimitStore extends WindowedStore implements Store {
  private readonly timeoutMs: number | undefined;

  /**
   * @param prefix keeps this limiter's keys apart from other limiters' in the collection.
   * @param opts.timeoutMs if set, an increment that takes longer fails (so a fail-open limiter
   *   lets the request through instead of stalling it while the database is unreachable).
   */
  constructor(prefix: string, opts: SharedStoreOptions & { timeoutMs?: number } = {}) {
    super(prefix, opts);
    this.timeoutMs = opts.timeoutMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const w = this.windowOf(key);
    const doc = await this.withTimeout(incrementOne<CounterDoc>(this.collectionName, w.id, { hits: 1 }, { expiresAt: w.resetTime }));
    return { totalHits: doc.hits, resetTime: w.resetTime };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const w = this.windowOf(key);
    const doc = await this.collection.findOne({ _id: w.id });
    return doc ? { totalHits: doc.hits, resetTime: w.resetTime } : undefined;
  }

  async decrement(key: string): Promise<void> {
    const w = this.windowOf(key);
    const doc = await incrementOne<CounterDoc>(this.collectionName, w.id, { hits: -1 }, { expiresAt: w.resetTime });
    // The request's hit was counted in a window that has just ended: nothing to give back here,
    // and a new window must not start below zero.
    if (doc.hits < 0) await incrementOne(this.collectionName, w.id, { hits: 1 });
  }

  async resetKey(key: string): Promise<void> {
    await this.collection.deleteOne({ _id: this.windowOf(key).id });
  }

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    if (!this.timeoutMs) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limit: no answer from the database within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** One key's window as this instance sees it. */
interface Tally extends Window {
  /** Everyone's hits as of this instance's last flush (its own sent hits included). */
  shared: number;
  /** Hits being sent by the flush in progress. */
  sending: number;
  /** Hits counted here since (negative after more decrements than hits). */
  pending: number;
}

const totalOf = (t: Tally) => t.shared + t.sending + t.pending;

/**
 * An express-rate-limit Store for several instances that costs no database write per request.
 * Each instance counts in memory and answers at once from `shared + local` hits; a flush sends
 * each key's local hits to MongoDB in one `incrementOne` and reads back the total, which folds the
 * other instances' hits into this instance's view. Keys seen this window but not hit since the
 * last flush are re-read in one `$in` query per 500 keys.
 *
 * So a client spread over N instances can get past the limit by what the other instances counted
 * in the last `syncMs` — the price of not writing per request. A client on one instance is
 * limited exactly. Hits not yet sent when their window ends are dropped: they no longer count.
 *
 * A flush is scheduled (one timer) only while there are hits to send, so an idle store holds no
 * timer; `shutdown()` (RateLimits.stop, at boot's stop) sends what is left and schedules nothing
 * more.
 */
export class BatchedRateLimitStore extends WindowedStore implements Store {
  private readonly syncMs: number;
  private readonly tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(prefix: string, opts: SharedStoreOptions & { syncMs?: number } = {}) {
    super(prefix, opts);
    this.syncMs = opts.syncMs ?? DEFAULT_SYNC_MS;
  }

  increment(key: string): IncrementResponse {
    const w = this.windowOf(key);
    let t = this.tallies.get(w.id);
    if (!t) {
      t = { ...w, shared: 0, sending: 0, pending: 0 };
      this.tallies.set(w.id, t);
    }
    t.pending++;
    this.schedule();
    return { totalHits: totalOf(t), resetTime: t.resetTime };
  }

  get(key: string): ClientRateLimitInfo | undefined {
    const t = this.tallies.get(this.windowOf(key).id);
    return t ? { totalHits: totalOf(t), resetTime: t.resetTime } : undefined;
  }

  decrement(key: string): void {
    const t = this.tallies.get(this.windowOf(key).id);
    if (!t || totalOf(t) <= 0) return;
    t.pending--;
    this.schedule();
  }

  async resetKey(key: string): Promise<void> {
    const id = this.windowOf(key).id;
    this.tallies.delete(id);
    await this.collection.deleteOne({ _id: id });
  }

  /**
   * Sends this instance's new hits and takes in everyone's. Flushes run one at a time; a failed
   * send keeps its hits for the next flush and rejects.
   */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.sync());
    this.chain = run
      .catch(() => undefined)
      .finally(() => {
        if ([...this.tallies.values()].some((t) => t.pending !== 0)) this.schedule();
      });
    return run;
  }

  /** Stops scheduling flushes and sends what is left. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined);
    }, this.syncMs);
  }

  private async sync(): Promise<void> {
    const now = this.now();
    // An ended window matters to no one (every instance has moved on at the same moment).
    for (const [id, t] of this.tallies) if (t.resetTime.getTime() <= now) this.tallies.delete(id);
    const toSend: Tally[] = [];
    const toRead: Tally[] = [];
    for (const t of this.tallies.values()) (t.pending !== 0 ? toSend : toRead).push(t);

    let failure: unknown;
    await mapLimit(toSend, FLUSH_PARALLEL, async (t) => {
      t.sending = t.pending;
      t.pending = 0;
      try {
        const doc = await incrementOne<CounterDoc>(this.collectionName, t.id, { hits: t.sending }, { expiresAt: t.resetTime });
        t.shared = doc.hits;
      } catch (err) {
        t.pending += t.sending;
        failure ??= err;
      } finally {
        t.sending = 0;
      }
    });

    for (let i = 0; i < toRead.length; i += READ_CHUNK) {
      const part = toRead.slice(i, i + READ_CHUNK);
      const docs = await this.collection.find({ _id: { $in: part.map((t) => t.id) } }, { projection: { hits: 1 } }).toArray();
      const hits = new Map(docs.map((d) => [d._id, d.hits]));
      // Every tally here was sent once; no document means the key was reset (or swept).
      for (const t of part) t.shared = hits.get(t.id) ?? 0;
    }
    if (failure) throw failure;
  }
}

/** Where a limiter keeps its counts (see the module comment). */
export type Counting = 'memory' | 'shared-batched' | 'shared-exact';

export interface LimiterOptions {
  /** Names the limiter in the counters' keys ("search", "verify", "login"). */
  name: string;
  windowMs: number;
  limit: number;
  /** The 429 message, Chinese and English. */
  message: string;
  messageEn: string;
  counting: Counting;
  /** Count only requests that end in an error status (e.g. failed sign-ins). */
  skipSuccessfulRequests?: boolean;
  /**
   * When the store fails (the database cannot be reached): true lets requests through (public
   * pages keep working from the search index), false answers with the error page.
   */
  failOpen?: boolean;
}

/** An express-rate-limit middleware over `store`. */
function limiterOver(o: LimiterOptions, store: Store): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: o.skipSuccessfulRequests ?? false,
    passOnStoreError: o.failOpen ?? false,
    store,
    handler: (_req, _res, next) => next(new AppError('rate_limited', o.message, { messageEn: o.messageEn })),
  });
}

/** The shared stores' keys: the limit is part of them (see `RateLimits.limiter`). */
const prefixOf = (o: LimiterOptions) => `${o.name}:${o.limit}/${o.windowMs}:`;

const exactStore = (o: LimiterOptions) => new MongoRateLimitStore(prefixOf(o), o.failOpen ? { timeoutMs: 2000 } : {});

/**
 * The limiters of one app and the stores behind them. Boot makes one and stops it after the
 * server: `stop()` ends the memory stores' clean-up intervals and sends the batched stores'
 * pending hits, after which their stores schedule nothing more.
 */
export class RateLimits {
  private readonly stores: Store[] = [];
  private stopped = false;

  /**
   * A per-client limiter; over the limit, the error handler's 429 page or JSON (never cached). In
   * the shared stores the key includes the limit, so instances sharing a database share a count
   * only when they enforce the same limit (a changed limit starts afresh).
   */
  limiter(o: LimiterOptions): RequestHandler {
    if (this.stopped) throw new Error('rate limits: stopped; make a new RateLimits');
    const store = o.counting === 'shared-batched' ? new BatchedRateLimitStore(prefixOf(o)) : o.counting === 'shared-exact' ? exactStore(o) : new MemoryStore();
    this.stores.push(store);
    return limiterOver(o, store);
  }

  /** Stops every store made here (once); a batched store sends what it has not sent yet. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.stores.splice(0).map((s) => s.shutdown?.()));
  }
}

/**
 * A limiter counted exactly in MongoDB (one write per hit; the sign-in limiter): its store holds
 * no timer, so it needs no owner to stop it.
 */
export function exactLimiter(o: Omit<LimiterOptions, 'counting'>): RequestHandler {
  const options: LimiterOptions = { ...o, counting: 'shared-exact' };
  return limiterOver(options, exactStore(options));
}
