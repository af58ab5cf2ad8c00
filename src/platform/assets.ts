/**
 * Static files with long-lived caching: a manifest of public/'s files and a content hash for each,
 * computed at start. Views link `{{asset "css/site.css"}}` → `/css/site.css?v=<hash>`; a request
 * whose `v` is the file's current hash may be kept a year (`immutable`), since any change to the
 * file changes its address. Without it (or with a stale one) the answer is cached briefly only.
 *
 * Outside production a file edited while the server runs is hashed again on its next use (its
 * modification time changed), so a developer never gets yesterday's stylesheet marked immutable.
 */
import express, { type RequestHandler } from 'express';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Entry {
  hash: string;
  mtimeMs: number;
}

export interface AssetManifest {
  /** The file's current content hash (10 hex digits), or null if public/ has no such file. */
  hash(rel: string): string | null;
  /** The address to link: `/css/site.css?v=<hash>` (the bare path for an unknown file). */
  url(rel: string): string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 10);
const toRel = (rel: string) => rel.replace(/\\/g, '/').replace(/^\/+/, '');

export function createAssetManifest(publicDir: string, opts: { watch?: boolean } = {}): AssetManifest {
  const entries = new Map<string, Entry>();
  for (const file of walk(publicDir)) {
    entries.set(toRel(path.relative(publicDir, file)), { hash: digest(file), mtimeMs: statSync(file).mtimeMs });
  }
  const hash = (rel: string): string | null => {
    const key = toRel(rel);
    const entry = entries.get(key);
    if (!entry) return null;
    if (opts.watch) {
      try {
        const file = path.join(publicDir, key);
        const mtimeMs = statSync(file).mtimeMs;
        if (mtimeMs !== entry.mtimeMs) entries.set(key, { hash: digest(file), mtimeMs });
      } catch {
        return null;
      }
    }
    return entries.get(key)!.hash;
  };
  return {
    hash,
    url(rel) {
      const h = hash(rel);
      return h ? `/${toRel(rel)}?v=${h}` : `/${toRel(rel)}`;
    },
  };
}

/**
 * express.static over public/ with the caching above: immutable for the current hash, otherwise
 * `shortMaxAge` seconds (0: revalidate every time).
 */
export function staticFiles(publicDir: string, manifest: AssetManifest, shortMaxAge: number): RequestHandler {
  return express.static(publicDir, {
    index: false,
    cacheControl: false,
    setHeaders(res, filePath) {
      const v = res.req.query.v;
      const current = manifest.hash(path.relative(publicDir, filePath));
      res.setHeader('Cache-Control', current && v === current ? IMMUTABLE : shortMaxAge > 0 ? `public, max-age=${shortMaxAge}` : 'no-cache');
    },
  });
}
