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
 * BENCH_MONGODB_URI=mongodb://HOST:PORT uses a running server instead (database bench_verify,
 * dropped first; e.g. FerretDB on PostgreSQL, decision 0016).
 *
 * Everything listens on 127.0.0.1 only and stops by itself (an overall deadline kills it all).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { startLocalMongo, type LocalMongo } from '../src/platform/local-mongo.js';
import { Certificate } from '../src/registries/models.js';
import { autocannon as runAutocannon, deadline, loadRow, startBareServer, stopChildren, type LoadResult } from './bench-lib.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DEADLINE_MS = 5 * 60_000;

let mongo: LocalMongo | null = null;
let running: Running | null = null;
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-verify-'));

async function cleanup(): Promise<void> {
  stopChildren();
  await running?.stop().catch(() => {});
  await mongo?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}

deadline(DEADLINE_MS, cleanup);

const autocannon = (url: string): Promise<LoadResult> => runAutocannon(url, { connections: CONNECTIONS, durationS: DURATION_S });

async function main(): Promise<void> {
  const started = Date.now();
  mongo = await startLocalMongo({ dataDir: path.join(dataDir, 'db'), fresh: true, externalUri: process.env.BENCH_MONGODB_URI || undefined });
  const config = loadConfig({
    NODE_ENV: 'production',
    // Production requires the audit chain's key; a fixed one is fine for a throw-away bench database.
    AUDIT_HMAC_KEY: 'bench-only-audit-hmac-key-not-for-any-deployment',
    SESSION_SECRET: 'bench-verify-only-secret-not-for-any-deployment',
    PUBLIC_BASE_URL: 'https://registry.bench.invalid',
    MONGODB_URI: mongo.uri,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SEARCH_INDEX_PATH: ':memory:',
    RATE_LIMIT_VERIFY_PER_MIN: '1000000',
    RATE_LIMIT_SEARCH_PER_MIN: '100000',
  });
  if (mongo.engine === 'external') {
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(mongo.uri);
    await client.db('bench_verify').dropDatabase();
    await client.close();
  }
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
  const bare = await startBareServer({ '*': bytes });
  const bareUrl = `${bare.url}/verify/${cert.number}`;
  console.log(`database: ${mongo.engine}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s; page ${bytes} bytes`);
  console.log(`load: autocannon in a separate process, ${CONNECTIONS} connections, ${DURATION_S} s each, loopback`);

  const app = await autocannon(appUrl);
  // The same app without a database read: separates our HTTP + rendering cost from the reads.
  const form = await autocannon(`http://127.0.0.1:${port}/verify`);
  const base = await autocannon(bareUrl);
  bare.stop();

  console.log('');
  console.log(loadRow(`/verify/${cert.number} (app)`, app));
  console.log(loadRow('/verify form (app, no database)', form));
  console.log(loadRow('bare Express, same-size HTML', base));
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
