/**
 * `npm run bench:pages [-- flags]`: the public pages under load, each next to a bare Express
 * handler answering the same number of bytes (issue #10's targets: home and /verify/:number at
 * least 50 % of bare req/s, the search page and a brand page at least 30 %; a brand page by slug
 * p95 ≤ 50 ms one request at a time).
 *
 * 1. the database: a fresh local one with the demo data (the launcher's choice, or each
 *    `--ferretdb-bin PATH` in turn, one pass per binary — so an older FerretDB build can be
 *    measured beside the current one in one run; the app code is the same in both passes); or
 *    MONGODB_URI, an existing database, used as it is (no seeding);
 * 2. the whole app booted in this process on 127.0.0.1 (NODE_ENV=production, embedded search in
 *    memory, or the SEARCH_INDEX_PATH file when set — with an existing database, a file built
 *    once by `npm run reindex` saves minutes of indexing at boot);
 * 3. a bare Express child process, and autocannon in another child process with --connections
 *    connections from one address: per page, the app and then the bare handler, the same
 *    duration each, so both see the same background load on a shared machine;
 * 4. brand pages one request at a time (p50/p95/p99).
 *
 * Flags: --duration S (12) --warmup S (2) --connections N (20) --sequential N (200)
 *        --rounds N (3: app and bare alternate in N turns of S/N seconds each)
 *        --ferretdb-bin PATH (repeatable) --data-dir DIR --db NAME --max-minutes M (20).
 * `--ferretdb-bin PATH --data-dir DIR --db NAME` runs that binary on an existing data folder
 * (e.g. a copy of a large data set) instead of a fresh one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { createUser } from '../src/accounts/service.js';
import type { EventRecorder } from '../src/audit/index.js';
import { loadConfig } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { Brand, Certificate } from '../src/registries/models.js';
import {
  autocannon,
  deadline,
  loadRow,
  machineLoad,
  percentile,
  startBareServer,
  startBenchDatabase,
  stopChildren,
  type BenchDatabase,
  type LoadResult,
} from './bench-lib.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    sequential: { type: 'string', default: '200' },
    'ferretdb-bin': { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    db: { type: 'string', default: 'bench_pages' },
    'max-minutes': { type: 'string', default: '20' },
  },
});
const DURATION_S = Number(flags.duration);
const WARMUP_S = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);
const ROUNDS = Math.max(1, Math.floor(Number(flags.rounds)));
const SEQUENTIAL = Number(flags.sequential);
const EXTERNAL_URI = process.env.MONGODB_URI || undefined;
const INDEX_PATH = process.env.SEARCH_INDEX_PATH || ':memory:';
const RATE_LIMITS = { RATE_LIMIT_SEARCH_PER_MIN: '100000', RATE_LIMIT_VERIFY_PER_MIN: '1000000' };
for (const [name, v] of [
  ['--duration', DURATION_S],
  ['--warmup', WARMUP_S],
  ['--connections', CONNECTIONS],
  ['--sequential', SEQUENTIAL],
] as const) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`bench: ${name} must be a non-negative number`);
    process.exit(64);
  }
}
if (flags['data-dir'] && !flags['ferretdb-bin']) {
  // Without a binary the launcher would start on the folder fresh, i.e. wipe it.
  console.error('bench: --data-dir needs --ferretdb-bin (the binary to run on that folder)');
  process.exit(64);
}
if (EXTERNAL_URI && flags['ferretdb-bin']) {
  console.error('bench: MONGODB_URI and --ferretdb-bin exclude each other');
  process.exit(64);
}

/** A page of the issue's list and the share of bare req/s it must reach. */
interface Target {
  name: string;
  path: string;
  minRatio: number;
}

interface PassResult {
  engine: string;
  rows: Array<{ target: Target; bytes: number; app: LoadResult; bare: LoadResult }>;
  sequential: Array<{ name: string; n: number; p50: number; p95: number; p99: number; max: number; maxP95?: number }>;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'bench-pages-'));
let db: BenchDatabase | null = null;
let running: Running | null = null;

async function cleanup(): Promise<void> {
  stopChildren();
  await running?.stop().catch(() => {});
  running = null;
  await db?.stop().catch(() => {});
  db = null;
  rmSync(scratch, { recursive: true, force: true });
}
deadline(Number(flags['max-minutes']) * 60_000, cleanup);

const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Turns of one page as one result: req/s over the whole time, the median p50, the worst p99. */
function combine(runs: LoadResult[], seconds: number): LoadResult {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    rps: sum((r) => r.requests) / seconds,
    p50: percentile(
      runs.map((r) => r.p50),
      50,
    ),
    p99: Math.max(...runs.map((r) => r.p99)),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}

/** Times `n` GETs one after another, cycling through `paths`; every answer must be 200. */
async function sequential(
  base: string,
  paths: string[],
  n: number,
  cookie?: string,
): Promise<{ n: number; p50: number; p95: number; p99: number; max: number }> {
  const init = cookie ? { headers: { cookie, ...OVER_HTTPS } } : {};
  for (const p of paths) await (await fetch(base + p, init)).arrayBuffer(); // warm
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = paths[i % paths.length]!;
    const t = performance.now();
    const res = await fetch(base + p, init);
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
  }
  return { n, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), max: Math.max(...times) };
}

/** Back-office pages and their targets (issue #10): the due view ≤ 1 s, list pages ≤ 300 ms. */
const ADMIN_PAGES: Array<{ path: string; maxP95: number }> = [
  { path: '/admin/due', maxP95: 1000 },
  { path: '/admin', maxP95: 300 },
  { path: '/admin/brands', maxP95: 300 },
  { path: '/admin/directory', maxP95: 300 },
  { path: '/admin/famous', maxP95: 300 },
  { path: '/admin/time-honored', maxP95: 300 },
  { path: '/admin/certified', maxP95: 300 },
];

/** What a TLS-terminating proxy adds (the app trusts it for the bench). */
const OVER_HTTPS = { 'x-forwarded-proto': 'https' };

/** The public address the bench's production config names: the origin its sign-in comes from. */
const BENCH_ORIGIN = 'https://registry.bench.invalid';

/** Signs a viewer in through the login form; returns the session cookie. */
async function signIn(base: string, audit: EventRecorder): Promise<string> {
  const email = `bench-viewer-${Date.now()}@example.org`;
  const password = 'bench-pages-viewer-password-1';
  await createUser(audit, { email, name: '压测查看员', role: 'viewer', password }, 'bench-pages');
  const page = await fetch(`${base}/admin/login`, { headers: OVER_HTTPS });
  const html = await page.text();
  const csrf = html
    .match(/name="_csrf" value="([^"]+)"/)?.[1]
    ?.replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
  const jar = (r: Response) =>
    r.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  if (!csrf) throw new Error('/admin/login has no _csrf field');
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...OVER_HTTPS, cookie: jar(page), 'content-type': 'application/x-www-form-urlencoded', origin: BENCH_ORIGIN },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  const cookie = jar(res);
  if (res.status !== 303 || !cookie) throw new Error(`sign-in answered ${res.status}`);
  return cookie;
}

async function pass(ferretdbBin: string | undefined, label: string, n: number): Promise<PassResult> {
  const started = Date.now();
  const dataDir = flags['data-dir'] ?? path.join(scratch, `pass-${n}`);
  db = await startBenchDatabase({ dataDir, externalUri: EXTERNAL_URI, ferretdbBin });
  const config = loadConfig({
    NODE_ENV: 'production',
    // Production requires the audit chain's key; a fixed one is fine for a throw-away bench database.
    AUDIT_HMAC_KEY: 'bench-only-audit-hmac-key-not-for-any-deployment',
    SESSION_SECRET: 'bench-pages-only-secret-not-for-any-deployment',
    PUBLIC_BASE_URL: BENCH_ORIGIN,
    MONGODB_URI: db.uri,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SEARCH_INDEX_PATH: INDEX_PATH,
    // As behind a TLS-terminating proxy: production session cookies are Secure, so the back-office
    // part of the bench signs in as if over https (X-Forwarded-Proto).
    TRUST_PROXY: 'true',
    ...RATE_LIMITS,
  });
  running = await boot(config, { mongoUri: db.uri, dbName: EXTERNAL_URI ? undefined : flags.db });
  if (db.fresh) await seedDemo();
  await running.sync.drain();
  const docs = await running.index.stats();
  const port = (running.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;

  const now = new Date();
  // Sorted here, not by the server: every pass (and binary) measures the same certificate.
  const valid = (await Certificate.find({ status: '有效' }).select('number validUntil').lean())
    .filter((c) => c.validUntil > now)
    .sort((x, y) => (x.number < y.number ? -1 : 1))[0];
  // cailinji is the demo's best-known brand; an existing database without it gets its first brands.
  const demoSlugs = ['cailinji', 'sijimei', 'wangyuxia', 'jingwu', 'wufangzhai'];
  const slugs = (
    await Brand.find({ slug: mongoose.trusted({ $in: demoSlugs }) })
      .select('slug')
      .lean()
  ).map((b) => b.slug);
  if (slugs.length === 0) slugs.push(...(await Brand.find().select('slug').limit(5).lean()).map((b) => b.slug));
  if (slugs.length === 0) throw new Error('the database has no brands');
  const brandSlug = slugs.includes('cailinji') ? 'cailinji' : slugs[0]!;

  const targets: Target[] = [
    { name: 'home /', path: '/', minRatio: 0.5 },
    ...(valid ? [{ name: `/verify/${valid.number}`, path: `/verify/${encodeURIComponent(valid.number)}`, minRatio: 0.5 }] : []),
    { name: '/search?q=热干面', path: `/search?q=${encodeURIComponent('热干面')}`, minRatio: 0.3 },
    { name: `/brands/${brandSlug}`, path: `/brands/${brandSlug}`, minRatio: 0.3 },
  ];
  if (!valid) console.log('note: no valid certificate in this database; /verify/:number is left out');
  const sizes: Record<string, number> = {};
  for (const t of targets) {
    const res = await fetch(base + t.path);
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${t.path} answered ${res.status}`);
    sizes[t.path] = body.byteLength;
  }
  const bare = await startBareServer(sizes);
  console.log('');
  console.log(
    `== ${label}: database ${db.engine}, ${docs.documents} entries searchable, ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${await machineLoad()})`,
  );

  const rows: PassResult['rows'] = [];
  const load = { connections: CONNECTIONS, durationS: DURATION_S / ROUNDS };
  if (WARMUP_S > 0) await autocannon(bare.url + targets[0]!.path, { connections: CONNECTIONS, durationS: WARMUP_S });
  for (const t of targets) {
    if (WARMUP_S > 0) await autocannon(base + t.path, { connections: CONNECTIONS, durationS: WARMUP_S });
    // App and bare in turns of DURATION/ROUNDS seconds: a burst of load from another process
    // then hits both sides about equally instead of one whole run.
    const appRuns: LoadResult[] = [];
    const bareRuns: LoadResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      appRuns.push(await autocannon(base + t.path, load));
      bareRuns.push(await autocannon(bare.url + t.path, load));
    }
    const app = combine(appRuns, DURATION_S);
    const b = combine(bareRuns, DURATION_S);
    rows.push({ target: t, bytes: sizes[t.path]!, app, bare: b });
    console.log(loadRow(`${t.name} (app)`, app, 40));
    console.log(loadRow(`  bare Express, ${sizes[t.path]} bytes`, b, 40));
  }
  bare.stop();

  const brandPaths = slugs.map((s) => `/brands/${s}`);
  const seq: PassResult['sequential'] = [
    { name: `brand page (${slugs.length} slugs)`, maxP95: 50, ...(await sequential(base, brandPaths, SEQUENTIAL)) },
    // A query string the page ignores makes every request a miss of the public page cache: what
    // a brand page costs when it is rendered from the database.
    {
      name: `brand page, uncached (${slugs.length} slugs)`,
      maxP95: 50,
      ...(await sequential(
        base,
        Array.from({ length: SEQUENTIAL }, (_, i) => `${brandPaths[i % brandPaths.length]}?bench=${i}`),
        SEQUENTIAL,
      )),
    },
    {
      name: `/api/v1/brands/:slug (${slugs.length} slugs)`,
      ...(await sequential(
        base,
        slugs.map((s) => `/api/v1/brands/${s}`),
        SEQUENTIAL,
      )),
    },
  ];
  // The other pages one at a time too: what one request costs, apart from queueing under load.
  for (const t of targets.filter((x) => !x.path.startsWith('/brands/'))) {
    seq.push({ name: t.name, ...(await sequential(base, [t.path], Math.ceil(SEQUENTIAL / 2))) });
  }
  // The back office, signed in as a viewer: what a regulator waits for on each screen.
  const cookie = await signIn(base, running.auditTrail);
  for (const a of ADMIN_PAGES) {
    seq.push({ name: `${a.path} (signed in)`, maxP95: a.maxP95, ...(await sequential(base, [a.path], Math.max(10, Math.ceil(SEQUENTIAL / 10)), cookie)) });
  }
  for (const x of seq) console.log(`one at a time: ${x.name}: ${x.n} requests, p50 ${ms(x.p50)}, p95 ${ms(x.p95)}, p99 ${ms(x.p99)}`);
  console.log(`(${await machineLoad()})`);

  await running.stop();
  running = null;
  await db.stop();
  db = null;
  return { engine: label, rows, sequential: seq };
}

function report(results: PassResult[]): boolean {
  let ok = true;
  console.log('');
  console.log(
    `load: autocannon in a child process, ${CONNECTIONS} connections from one address, ${DURATION_S} s per page and side after a ${WARMUP_S} s warm-up,`,
  );
  console.log(`      in ${ROUNDS} alternating turns (app, bare, app, …) so both see the same background load on this shared machine;`);
  console.log('      req/s over all turns, p50 the median of the turns, p99 the worst turn.');
  console.log(
    `rate limits raised for the bench: ${Object.entries(RATE_LIMITS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  console.log(
    '      (the defaults, 120 searches and 60 certificate checks per client per minute, would answer 429; every request is still counted in the database)',
  );
  for (const r of results) {
    console.log('');
    console.log(`${r.engine}:`);
    console.log(
      `  ${'page'.padEnd(30)} ${'app req/s'.padStart(9)} ${'bare req/s'.padStart(10)} ${'ratio'.padStart(6)} ${'target'.padStart(7)}  app p50/p99 ms   errors`,
    );
    for (const row of r.rows) {
      const ratio = row.app.rps / row.bare.rps;
      const bad = row.app.non2xx + row.app.errors;
      const pass = ratio >= row.target.minRatio && bad === 0;
      ok &&= pass;
      console.log(
        `  ${row.target.name.padEnd(30)} ${row.app.rps.toFixed(0).padStart(9)} ${row.bare.rps.toFixed(0).padStart(10)} ${(ratio * 100).toFixed(0).padStart(5)}% ${`≥${row.target.minRatio * 100}%`.padStart(7)}  ${`${row.app.p50}/${row.app.p99}`.padStart(13)}   ${String(bad).padStart(6)}  ${pass ? 'ok' : 'BELOW TARGET'}`,
      );
    }
    for (const s of r.sequential) {
      const pass = s.maxP95 === undefined || s.p95 <= s.maxP95;
      ok &&= pass;
      console.log(
        `  sequential ${s.name}: ${s.n} requests, p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)}${s.maxP95 !== undefined ? ` (target p95 ≤ ${s.maxP95} ms: ${pass ? 'ok' : 'ABOVE'})` : ''}`,
      );
    }
  }
  return ok;
}

async function main(): Promise<void> {
  const bins = flags['ferretdb-bin'] ?? [undefined];
  const results: PassResult[] = [];
  for (const [i, bin] of bins.entries()) {
    const label = bin ? path.basename(bin) : EXTERNAL_URI ? 'MONGODB_URI' : 'local database';
    results.push(await pass(bin, bins.length > 1 ? `${label} (pass ${i + 1})` : label, i));
  }
  const ok = report(results);
  console.log('');
  console.log(ok ? 'every page met its target' : 'some pages missed their target (see above)');
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanup();
    process.exit(1);
  });
