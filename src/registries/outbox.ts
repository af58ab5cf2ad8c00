/**
 * The change log's workers: one per subscriber (changes.ts), each reading the settled changes
 * whose flag is still false, handing them to its subscriber and setting the flag. Each worker has
 * its own timer, back-off and last error, so the audit trail keeps being repaired while the search
 * engine is down, and the other way round.
 *
 * Each pass takes up to BATCH changes with the flag unset, rolls forward any whose writer died
 * (pending past the lease: the registry service finishes the write), and hands the settled ones
 * to the subscriber. A crash anywhere means the work is simply done again; several app instances
 * may run passes at once (subscribers are idempotent). A batch that fails is split to find the
 * changes at fault (unless the subscriber says it is down): the others are marked, the ones at
 * fault are named in `lastError` (/readyz) and retried on every pass, so one change the
 * subscriber cannot handle never holds up the rest of the log.
 *
 * When passes run: at once after every change this process settles (`onChangeApplied`), and on a
 * timer for writes made elsewhere (CLI imports, other instances). The timer starts at `pollMs`
 * after activity and backs off to `idleMaxMs` while nothing arrives, so an idle instance costs
 * next to nothing; each pass reads only the waiting changes, through the flag's index.
 */
import { Change, CHANGE_LEASE_MS, markChanges, onChangeApplied, type ChangeDoc, type ChangeSubscriber } from './changes.js';
import { rollForward } from './service.js';

const BATCH = 500;
const MAX_BACKOFF_MS = 30_000;
/** Subscriber calls one pass may spend finding the changes at fault in a failed batch. */
const MAX_CALLS_PER_PASS = 32;
/** How slow the timer gets while idle, unless told otherwise. */
const DEFAULT_IDLE_MAX_MS = 5_000;

export interface WorkerLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ChangeWorkerOptions {
  /** Timer delay right after activity (ms); the delay doubles on each empty pass. */
  pollMs?: number;
  /** Longest timer delay while idle (ms); only writes of other processes wait that long. */
  idleMaxMs?: number;
}

export interface WorkerStatus {
  /** The subscriber's name (e.g. "search index", "audit trail"). */
  name: string;
  /** Changes not handled yet. */
  lag?: number;
  /** When the oldest of them was made: how far behind the subscriber is in time. */
  oldestWaitingAt?: Date | null;
  /** Why the change log could not be counted. */
  countError?: string;
  lastPassAt: Date | null;
  lastPassFailed: boolean;
  error: string | null;
  /** Changes the latest pass could not handle (it handled the rest around them). */
  stuck: string[];
}

export class ChangeWorker {
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
  private readonly passListeners = new Set<(changes: number) => void>();
  /** Why the latest pass failed, or which changes it could not handle (null after a clean pass): /readyz shows it. */
  lastError: string | null = null;
  /** Whether the latest pass failed outright (it handled nothing): the subscriber cannot work. */
  lastPassFailed = false;
  /** The changes the latest pass handled around but could not handle itself, described. */
  private stuck: string | null = null;
  /** Their ids (the back office lists them). */
  stuckIds: string[] = [];
  /** When the latest pass ended without failing outright (null: none yet in this process). */
  lastPassAt: Date | null = null;
  /** Passes run so far (benchmarks report how often an idle worker reads the log). */
  passes = 0;

  constructor(
    protected readonly subscriber: ChangeSubscriber,
    protected readonly log: WorkerLog,
    opts: ChangeWorkerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 500;
    this.idleMaxMs = Math.max(this.pollMs, opts.idleMaxMs ?? DEFAULT_IDLE_MAX_MS);
    this.idleDelay = this.pollMs;
  }

  get name(): string {
    return this.subscriber.name;
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
      void this.tick().then((next) => {
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
      const backoff = Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** this.failures);
      this.log.warn({ err, backoff, subscriber: this.name }, `${this.name}: handling the change log failed; will retry`);
      return backoff;
    }
  }

  /** Called after every pass that handled something. Returns a function that removes the listener. */
  onPass(listener: (changes: number) => void): () => void {
    this.passListeners.add(listener);
    return () => this.passListeners.delete(listener);
  }

  /** One pass; returns how many changes it handled. Passes never overlap within a process. */
  runOnce(): Promise<number> {
    if (!this.running) {
      this.wakesAtPassStart = this.wakes;
      this.passes++;
      this.running = this.pass()
        .then(
          (n) => {
            this.lastPassFailed = false;
            this.lastPassAt = new Date();
            this.lastError = this.stuck;
            if (n > 0) for (const listener of this.passListeners) listener(n);
            return n;
          },
          (err: unknown) => {
            // However the pass was started (timer, drain, a script), /readyz tells why it is behind.
            this.lastPassFailed = true;
            this.lastError = err instanceof Error ? err.message : String(err);
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
    throw new Error(`${this.name} still ${await this.lag()} changes behind after ${timeoutMs} ms`);
  }

  /** How many changes this subscriber has not handled yet. */
  lag(): Promise<number> {
    return Change.countDocuments({ [this.subscriber.flag]: false });
  }

  /** When the oldest change this subscriber has not handled was made (null: none waits). */
  async oldestWaiting(): Promise<Date | null> {
    const oldest = await Change.findOne({ [this.subscriber.flag]: false }, { at: 1 })
      .sort({ at: 1 })
      .lean<Pick<ChangeDoc, 'at'>>();
    return oldest ? new Date(oldest.at) : null;
  }

  /**
   * How this worker stands, for /readyz and the back office: what waits and since when, the
   * latest error, and the changes it keeps failing on. `lag`/`oldestWaitingAt` are undefined when
   * the change log could not be read (`countError` says why) — never silently left out.
   */
  async status(): Promise<WorkerStatus> {
    const out: WorkerStatus = {
      name: this.name,
      lastPassAt: this.lastPassAt,
      lastPassFailed: this.lastPassFailed,
      error: this.lastError,
      stuck: [...this.stuckIds],
    };
    try {
      const [lag, oldest] = await Promise.all([this.lag(), this.oldestWaiting()]);
      out.lag = lag;
      out.oldestWaitingAt = oldest;
    } catch (err) {
      out.countError = errorText(err);
    }
    return out;
  }

  private async pass(): Promise<number> {
    // What the previous pass could not handle is news only while it still waits.
    this.stuck = null;
    this.stuckIds = [];
    const changes = await Change.find({ [this.subscriber.flag]: false })
      .limit(BATCH)
      .lean<ChangeDoc[]>();
    if (changes.length === 0) return 0;
    const now = Date.now();
    const ready: ChangeDoc[] = [];
    for (const c of changes) {
      if (c.status !== 'pending') ready.push(c);
      else if (now - new Date(c.at).getTime() > CHANGE_LEASE_MS) {
        // Its writer went away between claiming and writing: finish the write for it, then read
        // back how it ended (applied, or failed on a duplicate key).
        await rollForward(c);
        const settled = await Change.findById(c._id).lean<ChangeDoc>();
        if (settled && settled.status !== 'pending') ready.push(settled);
      }
      // A younger pending change is still being written; the next pass takes it.
    }
    const todo = ready.filter((c) => !c[this.subscriber.flag]);
    const { failed, error } = todo.length ? await this.handleIsolating(todo, { calls: MAX_CALLS_PER_PASS }) : { failed: [], error: null };
    const stuck = new Set(failed.map((c) => c._id));
    const done = ready.filter((c) => !stuck.has(c._id));
    await markChanges(
      done.map((c) => c._id),
      this.subscriber.flag,
    );
    this.stuckIds = failed.map((c) => c._id);
    if (failed.length) {
      // Nothing handled: a failure like any other (back-off, lastError). Some handled: the rest of
      // the log keeps moving, and the changes at fault are named (logs, /readyz) and retried.
      if (done.length === 0) throw error;
      this.stuck = `${failed.length} change(s) could not be handled (${failed
        .slice(0, 3)
        .map((c) => c._id)
        .join(', ')}${failed.length > 3 ? ', …' : ''}): ${errorText(error)}`;
      this.log.warn({ err: error, changeIds: failed.map((c) => c._id), subscriber: this.name }, `${this.name}: ${this.stuck}`);
    }
    if (done.length) this.log.debug({ changes: done.length, subscriber: this.name }, `${this.name}: caught up`);
    return done.length;
  }

  /**
   * Hands `changes` to the subscriber. When the batch fails and the subscriber does not ask for it to be retried whole,
   * its halves are tried in turn, down to single changes, within a budget of calls per pass: one
   * change the subscriber cannot handle costs about 2·log2(batch) calls and holds up only itself.
   * Returns the changes still not handled and the first error met.
   */
  private async handleIsolating(changes: ChangeDoc[], budget: { calls: number }): Promise<{ failed: ChangeDoc[]; error: unknown }> {
    budget.calls--;
    try {
      await this.subscriber.handle(changes);
      return { failed: [], error: null };
    } catch (err) {
      if (changes.length === 1 || budget.calls <= 0 || this.subscriber.retryWhole?.(err)) return { failed: changes, error: err };
      const mid = Math.ceil(changes.length / 2);
      const first = await this.handleIsolating(changes.slice(0, mid), budget);
      if (first.failed.length && this.subscriber.retryWhole?.(first.error)) return { failed: changes, error: first.error };
      const second = await this.handleIsolating(changes.slice(mid), budget);
      return { failed: [...first.failed, ...second.failed], error: first.failed.length ? first.error : second.error };
    }
  }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
