/**
 * A short-lived cache of public GET responses (home, lists, search, brand pages, certificate
 * results, the read-only API), so a burst of readers — a news story linking the 老字号 list — is
 * answered from memory instead of rendering the same page from the search index and MongoDB again.
 *
 * Freshness: every entry belongs to a generation; `invalidate()` starts a new one. The app calls it
 * whenever this process applies a change to the registries and whenever the search sync indexes
 * changes (which also covers writes made by other processes), so a regulator's edit is never hidden
 * behind the cache. `ttlMs` bounds what remains: a write elsewhere that this process has not
 * indexed yet is reflected within that time.
 *
 * What is stored: 200 answers without Set-Cookie, up to `maxBodyBytes`, keyed by method-independent
 * URL (path + query, which includes `lang`) and the request's variant (关怀版). Only the headers that describe the body are replayed;
 * per-request headers (request id, rate-limit counts, security headers) are set afresh by the
 * middleware that runs before this one. Conditional requests still get 304 (express compares the
 * replayed ETag / Last-Modified).
 */
import type { Request, RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';

/** Response headers that belong to the body and are replayed on a hit. */
const REPLAYED = ['content-type', 'etag', 'last-modified', 'cache-control', 'content-language', 'vary', 'link', 'content-disposition'];

interface Entry {
  generation: number;
  body: Buffer;
  headers: Array<[string, string]>;
}

export interface PageCacheOptions {
  /** How long an entry may be served at most, in ms; 0 turns the cache off. */
  ttlMs: number;
  /** Memory bound for all bodies together. */
  maxBytes?: number;
  /** Larger bodies are not stored. */
  maxBodyBytes?: number;
  /** Paths never cached (prefixes). */
  exclude?: string[];
  /**
   * The variant of a URL this request gets (e.g. 'care' for 关怀版, src/platform/care.ts): part
   * of the key, so one variant is never served to a visitor who asked for another.
   */
  variant?: (req: Request) => string;
}

export interface PageCache {
  middleware: RequestHandler;
  /** Starts a new generation: nothing stored before is served again. */
  invalidate(): void;
  /** Hits and misses since start, for /readyz and benchmarks. */
  stats(): { hits: number; misses: number; entries: number };
}

export function createPageCache(o: PageCacheOptions): PageCache {
  const maxBodyBytes = o.maxBodyBytes ?? 512 * 1024;
  const exclude = o.exclude ?? [];
  const cache = new LRUCache<string, Entry>({
    maxSize: o.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (e) => e.body.length + 200,
    ttl: Math.max(1, o.ttlMs),
  });
  let generation = 0;
  let hits = 0;
  let misses = 0;

  const store = (key: string, res: Response, body: unknown, gen: number) => {
    if (res.statusCode !== 200 || res.getHeader('set-cookie') !== undefined) return;
    const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : null;
    if (!buf || buf.length > maxBodyBytes) return;
    const headers: Array<[string, string]> = [];
    for (const h of REPLAYED) {
      const v = res.getHeader(h);
      if (v !== undefined) headers.push([h, String(v)]);
    }
    // A change may have arrived while this page was being built: keep it only if none did.
    if (gen === generation) cache.set(key, { generation: gen, body: buf, headers });
  };

  const middleware: RequestHandler = (req, res, next) => {
    if (o.ttlMs <= 0 || (req.method !== 'GET' && req.method !== 'HEAD') || exclude.some((p) => req.path.startsWith(p))) return next();
    const v = o.variant?.(req) ?? '';
    const key = v ? `${v}\u0000${req.originalUrl}` : req.originalUrl;
    const hit = cache.get(key);
    if (hit && hit.generation === generation) {
      hits++;
      for (const [h, v] of hit.headers) res.setHeader(h, v);
      res.status(200).send(hit.body);
      return;
    }
    misses++;
    const gen = generation;
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      // res.json and res.render end in res.send with a string; res.send(Buffer) for images.
      if (req.method === 'GET') store(key, res, body, gen);
      return send(body);
    };
    next();
  };

  return {
    middleware,
    invalidate: () => {
      generation++;
      cache.clear();
    },
    stats: () => ({ hits, misses, entries: cache.size }),
  };
}
