/**
 * A value that is expensive to compute (the registry counts scan every collection), kept for a
 * while and refreshed in the background.
 *
 * - The first caller waits for the computation; callers at the same time share it.
 * - Once the value is older than its lifetime, the next caller still gets it at once and starts
 *   one refresh in the background (stale-while-revalidate), so no visitor waits for a recount.
 * - The lifetime is at least `minTtlMs` and at least `slowFactor` times the last computation's
 *   duration: when counting takes 20 s, the database is not kept busy recounting every minute.
 * - A failed background refresh keeps the old value (and is reported through `onError`); the next
 *   caller after the lifetime tries again.
 */
export interface CachedValue<T> {
  value: T;
  /** When the value was computed. */
  at: Date;
  /** How long until a request triggers a recount, in seconds (for the page's wording). */
  ttlSeconds: number;
}

export interface SwrCacheOptions {
  minTtlMs?: number;
  slowFactor?: number;
  clock?: () => number;
  onError?: (err: unknown) => void;
}

export class SwrCache<T> {
  private current: { value: T; at: number; ttlMs: number } | null = null;
  private pending: Promise<void> | null = null;
  private readonly minTtlMs: number;
  private readonly slowFactor: number;
  private readonly clock: () => number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly compute: () => Promise<T>,
    opts: SwrCacheOptions = {},
  ) {
    this.minTtlMs = opts.minTtlMs ?? 60_000;
    this.slowFactor = opts.slowFactor ?? 5;
    this.clock = opts.clock ?? Date.now;
    this.onError = opts.onError ?? (() => {});
  }

  private refresh(): Promise<void> {
    this.pending ??= (async () => {
      const started = this.clock();
      try {
        const value = await this.compute();
        const took = this.clock() - started;
        this.current = { value, at: started, ttlMs: Math.max(this.minTtlMs, took * this.slowFactor) };
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  async get(): Promise<CachedValue<T>> {
    if (!this.current) await this.refresh();
    else if (this.clock() - this.current.at >= this.current.ttlMs && !this.pending) this.refresh().catch(this.onError);
    const c = this.current!;
    return { value: c.value, at: new Date(c.at), ttlSeconds: Math.round(c.ttlMs / 1000) };
  }

  /**
   * The value if there is one, without waiting: a cold cache starts computing in the background
   * and answers null (for callers that can do without, e.g. validators on a download).
   */
  peek(): CachedValue<T> | null {
    if (!this.current || this.clock() - this.current.at >= this.current.ttlMs) {
      if (!this.pending) this.refresh().catch(this.onError);
    }
    const c = this.current;
    return c ? { value: c.value, at: new Date(c.at), ttlSeconds: Math.round(c.ttlMs / 1000) } : null;
  }

  /** Forgets the value: the next caller recomputes (and waits). */
  invalidate(): void {
    this.current = null;
  }
}
