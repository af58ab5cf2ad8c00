/**
 * `npm run bench:verify`: how fast is /verify/:number, and what do we add over bare Express?
 *
 * 1. starts a fresh local database (the launcher, a temp dir), seeds the demo data and boots the
 *    whole app on 127.0.0.1, port 0 (embedded search in memory, rate limit out of the way);
 * 2. starts a bare Express handler in a child process on loopback that answers a static HTML
 *    string of the same size as the real result page;
 * 3. runs autocannon from another child process against each in turn (10 connections, 10 s) and
 *    prints requests/s and p99 latency for both, and the ratio. The /verify form page (same app,
 *    no database read) is measured too, to tell our HTTP + rendering cost from the reads.
 *
 * Everything listens on 127.0.0.1 only and stops by itself (an overall deadline kills it all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { startLocalMongo, type LocalMongo } from '../src/platform/local-mongo.js';
import { Certificate } from '../src/registries/models.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DEADLINE_MS = 5 * 60_000;

interface Result {
  rps: number;
  p99: number;
  p50: number;
  requests: number;
  non2xx: number;
  errors: number;
}

const children = new Set<ChildProcess>();
let mongo: LocalMongo | null = null;
let running: Running | null = null;
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-verify-'));

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await running?.stop().catch(() => {});
  await mongo?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}

const deadline = setTimeout(() => {
  console.error(`bench: still running after ${DEADLINE_MS / 1000} s; stopping`);
  void cleanup().finally(() => process.exit(2));
}, DEADLINE_MS);
deadline.unref();

/** A bare Express app in its own process: one handler, a fixed HTML string, loopback only. */
function startBareServer(bytes: number): Promise<{ url: string; child: ChildProcess }> {
  const code = `
    const express = require('express');
    const size = Number(process.env.BODY_BYTES);
    const head = '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>bare</title></head><body><main>';
    const tail = '</main></body></html>';
    const body = head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
    const app = express();
    app.disable('x-powered-by');
    app.get('/verify/:number', (_req, res) => { res.setHeader('Cache-Control', 'public, max-age=60'); res.type('html').send(body); });
    const server = app.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: { ...process.env, BODY_BYTES: String(bytes) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/PORT (\d+)/);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, child });
    });
    child.once('exit', (c) => reject(new Error(`bare server exited with ${c}`)));
  });
}

/** autocannon in a second process, JSON out. */
function autocannon(url: string): Promise<Result> {
  const bin = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
  const child = spawn(process.execPath, [bin, '-c', String(CONNECTIONS), '-d', String(DURATION_S), '-j', url], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-500)}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number }; latency: { p99: number; p50: number }; non2xx: number; errors: number;
      };
      resolve({ rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  mongo = await startLocalMongo({ dataDir: path.join(dataDir, 'db'), fresh: true });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SEARCH_INDEX_PATH: ':memory:',
    RATE_LIMIT_VERIFY_PER_MIN: '1000000',
    RATE_LIMIT_SEARCH_PER_MIN: '100000',
  });
  running = await boot(config, { mongoUri: mongo.uri, dbName: 'bench_verify' });
  await seedDemo();
  await running.sync.drain();
  const cert = (await Certificate.find({ status: '有效' }).sort({ number: 1 }).lean()).find((c) => c.validUntil > new Date());
  if (!cert) throw new Error('no valid certificate in the demo data');
  const port = (running.server.address() as { port: number }).port;
  const appUrl = `http://127.0.0.1:${port}/verify/${cert.number}`;
  const probe = await fetch(appUrl);
  const page = await probe.text();
  if (probe.status !== 200) throw new Error(`${appUrl} answered ${probe.status}`);
  const bytes = Buffer.byteLength(page);
  const bare = await startBareServer(bytes);
  const bareUrl = `${bare.url}/verify/${cert.number}`;
  console.log(`database: ${mongo.engine}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s; page ${bytes} bytes`);
  console.log(`load: autocannon in a separate process, ${CONNECTIONS} connections, ${DURATION_S} s each, loopback`);

  const app = await autocannon(appUrl);
  // The same app without a database read: separates our HTTP + rendering cost from the reads.
  const form = await autocannon(`http://127.0.0.1:${port}/verify`);
  const base = await autocannon(bareUrl);
  bare.child.stdin!.end();

  const row = (name: string, r: Result) =>
    `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`;
  console.log('');
  console.log(row(`/verify/${cert.number} (app)`, app));
  console.log(row('/verify form (app, no database)', form));
  console.log(row('bare Express, same-size HTML', base));
  console.log('');
  console.log(`ratio app/bare: ${(app.rps / base.rps).toFixed(3)} of the throughput, p99 ${(app.p99 / Math.max(base.p99, 1)).toFixed(1)}× the latency`);
  if (app.non2xx || app.errors) throw new Error('the app answered errors under load');
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(`bench failed: ${(err as Error).message}`);
    await cleanup();
    process.exit(1);
  });
