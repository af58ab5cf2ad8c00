/**
 * Shared pieces of the HTTP benchmarks (bench:verify, bench:pages, bench:soak): the database the
 * bench runs against, a bare Express baseline in its own process, autocannon in its own process,
 * and latency percentiles. Every server listens on 127.0.0.1 and every child is tracked, so a
 * bench that fails or hits its deadline stops all of them (`stopChildren`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalMongo } from '../src/platform/local-mongo.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const children = new Set<ChildProcess>();

/** Remembers a child so stopChildren() ends it; forgets it once it exits. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM to every child still running (a bench's cleanup and deadline). */
export function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

/**
 * Kills everything and exits with code 2 if the bench is still running after `ms`: a stuck run
 * never leaves servers behind. `cleanup` runs first (stop the app, the database).
 */
export function deadline(ms: number, cleanup: () => Promise<void>): void {
  setTimeout(() => {
    console.error(`bench: still running after ${Math.round(ms / 1000)} s; stopping`);
    stopChildren();
    void cleanup().finally(() => process.exit(2));
  }, ms).unref();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`database process exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`database did not accept connections on port ${port} within ${timeoutMs} ms`);
}

export interface BenchDatabase {
  /** mongodb://127.0.0.1:<port>, without a database name. */
  uri: string;
  host: string;
  port: number;
  /** What runs: the launcher's choice, a given FerretDB binary (its file name), or an external URI. */
  engine: string;
  /** True when the bench started it on an empty folder (so it seeds the demo data). */
  fresh: boolean;
  stop(): Promise<void>;
}

/**
 * The database a bench runs against:
 * - `externalUri` (MONGODB_URI): an existing database, left as it is;
 * - `ferretdbBin`: that FerretDB binary, started here with the launcher's flags
 *   (src/platform/local-mongo.ts) on `dataDir` (an existing data folder is reused as it is, so one
 *   copy of a large data set can be measured under two binaries);
 * - otherwise the launcher itself (mongod if installed, else the current FerretDB build) on a
 *   fresh `dataDir`.
 */
export async function startBenchDatabase(opts: { dataDir: string; externalUri?: string; ferretdbBin?: string }): Promise<BenchDatabase> {
  if (opts.externalUri) {
    const u = new URL(opts.externalUri);
    return { uri: opts.externalUri, host: u.hostname, port: Number(u.port || 27017), engine: 'external', fresh: false, stop: async () => {} };
  }
  if (opts.ferretdbBin) {
    const bin = path.resolve(opts.ferretdbBin);
    if (!existsSync(bin)) throw new Error(`--ferretdb-bin ${bin}: no such file`);
    const dir = path.resolve(opts.dataDir);
    const fresh = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    // Same flags as the launcher; the wrapper exits by itself when this process is gone.
    const child = track(
      spawn(bin, ['-listen-addr', `127.0.0.1:${port}`, '-sqlite-dir', dir, '-log-level', 'error'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    await waitForPort(port, child, 30_000);
    const stop = () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => (clearTimeout(timer), resolve()));
        child.kill('SIGTERM');
      });
    return { uri: `mongodb://127.0.0.1:${port}`, host: '127.0.0.1', port, engine: path.basename(bin), fresh, stop };
  }
  const local = await startLocalMongo({ dataDir: opts.dataDir, fresh: true });
  const port = Number(new URL(local.uri).port);
  return { uri: local.uri, host: '127.0.0.1', port, engine: local.engine, fresh: true, stop: () => local.stop() };
}

/**
 * A bare Express app in its own process: one handler answering a fixed HTML string for every GET.
 * `sizes` maps a request URL, as sent (percent-encoded), to the body size in bytes; `*` is the
 * size for any other URL. It is the ceiling the app's pages are compared with.
 */
export function startBareServer(sizes: Record<string, number>): Promise<{ url: string; stop(): void }> {
  const code = `
    const express = require('express');
    const sizes = JSON.parse(process.env.BODY_SIZES);
    const head = '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>bare</title></head><body><main>';
    const tail = '</main></body></html>';
    const bodies = new Map(Object.entries(sizes).map(([u, n]) => [u, head + 'x'.repeat(Math.max(0, n - head.length - tail.length)) + tail]));
    const app = express();
    app.disable('x-powered-by');
    app.use((req, res) => {
      const body = bodies.get(req.originalUrl) ?? bodies.get('*');
      if (body === undefined) return res.status(404).end();
      res.setHeader('Cache-Control', 'public, max-age=60');
      res.type('html').send(body);
    });
    const server = app.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const child = track(
    spawn(process.execPath, ['-e', code], {
      cwd: ROOT,
      env: { ...process.env, BODY_SIZES: JSON.stringify(sizes) },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/PORT (\d+)/);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, stop: () => child.stdin!.end() });
    });
    child.once('exit', (c) => reject(new Error(`bare server exited with ${c}`)));
  });
}

/** One autocannon run, as the benches print it. */
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** autocannon in a separate process (so the load generator does not share the app's event loop), JSON out. */
export function autocannon(url: string, opts: { connections: number; durationS: number }): Promise<LoadResult> {
  const bin = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
  const child = track(
    spawn(process.execPath, [bin, '-c', String(opts.connections), '-d', String(opts.durationS), '-j', url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-500)}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p99: number; p50: number };
        non2xx: number;
        errors: number;
      };
      resolve({ rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

/** One line of a load table: req/s, p50/p99 and what went wrong. */
export function loadRow(name: string, r: LoadResult, width = 34): string {
  return `${name.padEnd(width)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`;
}

/** The p-th percentile (0–100) of some numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** What else runs on the machine while we measure (the load average says how noisy the figures are). */
export async function machineLoad(): Promise<string> {
  const os = await import('node:os');
  return `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${os.cpus().length} cores`;
}
