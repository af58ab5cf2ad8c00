/**
 * `npm run bench:soak [-- flags]`: a long hunt for crossed replies (docs/decisions/0007): many
 * concurrent requests through the whole app while sessions are swept, with every answer checked.
 *
 * 1. a fresh local database with the demo data (the launcher's choice, or `--ferretdb-bin PATH`),
 *    and the wire proxy (src/platform/db/wire-proxy.ts) between the app and it, so a reply that
 *    does not answer its request is seen on the wire even when nothing else shows it;
 * 2. the app booted on 127.0.0.1 through the proxy; a few back-office accounts signed in through
 *    the real form (session cookies);
 * 3. `--requests` requests at `--connections` at a time (plain http keep-alive, a worker pool,
 *    so each body can be read): brand pages, /api/v1/brands/:slug, /search, /verify/:number,
 *    signed-in /admin/due and /admin lists — while the sessions collection is swept every
 *    `--sweep-every` seconds by the data layer's ExpirySweeper (expired sessions are added
 *    before each sweep so that every sweep deletes something);
 * 4. every answer is checked: status < 500, the status expected, and the right facts — a brand
 *    page's h1 and the API's slug/name are the brand asked for, a certificate page shows the
 *    number and brand asked for, a back-office page the account whose cookie was sent.
 *
 * Prints requests, 5xx, wrong answers, wire anomalies (the proxy) and crossed replies (the driver
 * guard, `crossedReplies`), and exits 1 if any is non-zero.
 *
 * `--sweep w0` sweeps with unacknowledged deletes instead (`w: 0`, what connect-mongo's interval
 * sweep sent): with a FerretDB build that answers them (e.g. `--ferretdb-bin
 * .cache/ferretdb/ferretdb-v1.24.2-idx1`) it shows that this bench catches the fault.
 *
 * Flags: --requests N (50000) --connections N (16) --max-seconds S (600) --sweep-every S (3)
 *        --sweep ack|w0 (ack) --ferretdb-bin PATH.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { SESSION_COLLECTION } from '../src/accounts/session.js';
import { createUser } from '../src/accounts/service.js';
import { loadConfig } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { crossedReplies, ExpirySweeper } from '../src/platform/db/index.js';
import { startWireProxy, type WireProxy } from '../src/platform/db/wire-proxy.js';
import { Brand, Certificate } from '../src/registries/models.js';
import { deadline, machineLoad, startBenchDatabase, stopChildren, type BenchDatabase } from './bench-lib.js';

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    connections: { type: 'string', default: '16' },
    'max-seconds': { type: 'string', default: '600' },
    'sweep-every': { type: 'string', default: '3' },
    sweep: { type: 'string', default: 'ack' },
    'ferretdb-bin': { type: 'string' },
  },
});
const REQUESTS = Number(flags.requests);
const CONNECTIONS = Number(flags.connections);
const MAX_SECONDS = Number(flags['max-seconds']);
const SWEEP_EVERY_MS = Number(flags['sweep-every']) * 1000;
const SWEEP = flags.sweep;
if (![REQUESTS, CONNECTIONS, MAX_SECONDS, SWEEP_EVERY_MS].every((v) => Number.isFinite(v) && v > 0) || (SWEEP !== 'ack' && SWEEP !== 'w0')) {
  console.error('usage: npm run bench:soak -- [--requests N] [--connections N] [--max-seconds S] [--sweep-every S] [--sweep ack|w0] [--ferretdb-bin PATH]');
  process.exit(64);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'bench-soak-'));
let db: BenchDatabase | null = null;
let proxy: WireProxy | null = null;
let running: Running | null = null;
const timers: NodeJS.Timeout[] = [];
let sweeper: ExpirySweeper | null = null;

async function cleanup(): Promise<void> {
  for (const t of timers) clearInterval(t);
  await sweeper?.stop().catch(() => {});
  stopChildren();
  await running?.stop().catch(() => {});
  running = null;
  await proxy?.close().catch(() => {});
  await db?.stop().catch(() => {});
  db = null;
  rmSync(scratch, { recursive: true, force: true });
}
// The run itself stops at --max-seconds; the deadline also covers start-up and shutdown.
deadline((MAX_SECONDS + 300) * 1000, cleanup);

// ----- a small HTTP client that keeps the body ------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
let base = '';

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(method: 'GET' | 'POST', p: string, opts: { cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      base + p,
      {
        method,
        agent,
        headers: {
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const decode = (s: string) =>
  s.replace(
    /&(amp|lt|gt|quot|#x27|#39|#x60|#x3D);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'", '#39': "'", '#x60': '`', '#x3D': '=' })[e]!,
  );

/** The brand name in a brand page's h1 (without the English name in its span). */
const brandH1 = (html: string) => decode(html.match(/<h1 id="brand-title">([^<]*)/)?.[1]?.trim() ?? '');
/** The account a back-office page says is signed in. */
const whoEmail = (html: string) => decode(html.match(/<span class="who">([^<·]*)/)?.[1]?.trim() ?? '');
/** What a certificate page says: the number, the verdict, the brand it links to. */
const verdict = (html: string) =>
  [
    html.match(/class="verdict-number">[^<]*<span class="mono">([^<]*)<\/span>/)?.[1],
    html.match(/<span class="verdict-word">([^<]*)<\/span>/)?.[1],
    html.match(/<dd><a href="(\/brands\/[^"]*)">/)?.[1],
  ].join(' | ');

// ----- signing in -----------------------------------------------------------------------------

const cookieOf = (a: Answer) =>
  [a.headers['set-cookie'] ?? []]
    .flat()
    .map((c) => c.split(';')[0])
    .join('; ');

async function signIn(email: string, password: string): Promise<string> {
  const page = await request('GET', '/admin/login');
  const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)?.[1];
  if (page.status !== 200 || !csrf) throw new Error(`GET /admin/login answered ${page.status} without a _csrf field`);
  const res = await request('POST', '/admin/login', { cookie: cookieOf(page), form: { _csrf: decode(csrf), email, password } });
  const cookie = cookieOf(res);
  if (res.status !== 303 || !cookie) throw new Error(`sign-in as ${email} answered ${res.status}`);
  return cookie;
}

// ----- the mix --------------------------------------------------------------------------------

interface Job {
  kind: string;
  path: string;
  cookie?: string;
  /** null when the answer is right; otherwise what is wrong with it. */
  check(a: Answer): string | null;
}

/** Deterministic pseudo-random numbers (a run can be repeated request for request). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function main(): Promise<void> {
  const started = Date.now();
  db = await startBenchDatabase({ dataDir: path.join(scratch, 'db'), ferretdbBin: flags['ferretdb-bin'] });
  const anomalyLines: string[] = [];
  proxy = await startWireProxy({
    target: { host: db.host, port: db.port },
    report: (a) => {
      if (anomalyLines.length < 5)
        anomalyLines.push(`${a.kind} after ${a.command} on connection ${a.connection} (expected ${a.expectedResponseTo}, got ${a.responseTo})`);
    },
  });
  const config = loadConfig({
    NODE_ENV: 'development', // session cookies without https (production sets Secure)
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SEARCH_INDEX_PATH: ':memory:',
    RATE_LIMIT_SEARCH_PER_MIN: '100000',
    RATE_LIMIT_VERIFY_PER_MIN: '1000000',
  });
  running = await boot(config, { mongoUri: proxy.uri, dbName: 'bench_soak' });
  await seedDemo();
  await running.sync.drain();
  base = `http://127.0.0.1:${(running.server.address() as { port: number }).port}`;

  const brands = (await Brand.find().select('slug name').lean()).map((b) => ({ slug: b.slug, name: b.name, id: String(b._id) }));
  const slugById = new Map(brands.map((b) => [b.id, b.slug]));
  const certs = (await Certificate.find().select('number brand').lean()).map((c) => ({ number: c.number, slug: slugById.get(String(c.brand)) }));
  // Each certificate page as it is before the load: the soak must see the same under load.
  const certPages = new Map<string, string>();
  for (const c of certs) {
    const a = await request('GET', `/verify/${encodeURIComponent(c.number)}`);
    if (a.status !== 200) throw new Error(`/verify/${c.number} answered ${a.status} before the load`);
    const v = verdict(a.body);
    if (!v.startsWith(`${c.number} |`) || (c.slug && !v.endsWith(`/brands/${c.slug}`))) throw new Error(`/verify/${c.number} shows ${v} before the load`);
    certPages.set(c.number, v);
  }
  const accounts: Array<{ email: string; cookie: string }> = [];
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    const email = `soak-${role}@bench.local`;
    const password = `soak-${role}-${Math.random().toString(36).slice(2)}-pw`;
    await createUser(running.auditTrail, { email, name: `压测${role}`, role, password }, 'bench-soak');
    accounts.push({ email, cookie: await signIn(email, password) });
  }

  const sessions = mongoose.connection.db!.collection(SESSION_COLLECTION);
  let expiredAdded = 0;
  // Expired sessions before every sweep, so that each sweep really deletes (as in production).
  const addExpired = async () => {
    const past = new Date(Date.now() - 60_000);
    await sessions.insertMany(Array.from({ length: 5 }, () => ({ _id: `soak-expired-${++expiredAdded}` as never, expires: past, session: {} })));
  };
  if (SWEEP === 'ack') {
    sweeper = new ExpirySweeper([{ collection: SESSION_COLLECTION, field: 'expires' }], SWEEP_EVERY_MS);
    await sweeper.start();
    timers.push(setInterval(() => void addExpired().catch(() => {}), SWEEP_EVERY_MS));
  } else {
    // connect-mongo's old interval sweep: unacknowledged (OP_MSG moreToCome).
    timers.push(
      setInterval(() => {
        void addExpired()
          .then(() => sessions.deleteMany({ expires: { $lt: new Date() } }, { writeConcern: { w: 0 } }))
          .catch(() => {});
      }, SWEEP_EVERY_MS),
    );
  }

  const queries = ['热干面', '蔡林记', 'cailinji', '鸭', '武汉', '老字号', 'clj', '精武'];
  const adminLists = ['/admin/brands', '/admin/directory', '/admin/famous', '/admin/time-honored', '/admin/certified', '/admin/brands?q=%E9%B8%AD'];
  const random = rng(10);
  const pickOf = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const expectStatus = (a: Answer, s = 200) => (a.status === s ? null : `status ${a.status}`);
  const signedIn = (email: string) => (a: Answer) =>
    expectStatus(a) ?? (whoEmail(a.body) === email ? null : `page signed in as "${whoEmail(a.body)}", cookie of ${email}`);
  const nextJob = (): Job => {
    const r = random();
    if (r < 0.3) {
      const b = pickOf(brands);
      return {
        kind: 'brand page',
        path: `/brands/${b.slug}`,
        check: (a) => expectStatus(a) ?? (brandH1(a.body) === b.name ? null : `h1 "${brandH1(a.body)}", asked for ${b.slug} (${b.name})`),
      };
    }
    if (r < 0.5) {
      const b = pickOf(brands);
      return {
        kind: 'brand API',
        path: `/api/v1/brands/${b.slug}`,
        check: (a) => {
          const bad = expectStatus(a);
          if (bad) return bad;
          const j = JSON.parse(a.body) as { slug?: string; name?: string };
          return j.slug === b.slug && j.name === b.name ? null : `JSON for ${j.slug} (${j.name}), asked for ${b.slug} (${b.name})`;
        },
      };
    }
    if (r < 0.65) {
      const q = pickOf(queries);
      return {
        kind: 'search',
        path: `/search?q=${encodeURIComponent(q)}`,
        check: (a) => expectStatus(a) ?? (a.body.includes(q) ? null : `page does not name the query ${q}`),
      };
    }
    if (r < 0.8) {
      const c = pickOf(certs);
      const want = certPages.get(c.number)!;
      return {
        kind: 'verify',
        path: `/verify/${encodeURIComponent(c.number)}`,
        check: (a) => expectStatus(a) ?? (verdict(a.body) === want ? null : `shows ${verdict(a.body)}, expected ${want}`),
      };
    }
    const acct = pickOf(accounts);
    if (r < 0.88) return { kind: 'admin due', path: '/admin/due', cookie: acct.cookie, check: signedIn(acct.email) };
    return { kind: 'admin list', path: pickOf(adminLists), cookie: acct.cookie, check: signedIn(acct.email) };
  };

  console.log(
    `database: ${db.engine} behind the wire proxy; ready in ${((Date.now() - started) / 1000).toFixed(1)} s; ${brands.length} brands, ${certs.length} certificates, ${accounts.length} signed-in accounts`,
  );
  console.log(
    `soak: ${REQUESTS} requests, ${CONNECTIONS} at a time, at most ${MAX_SECONDS} s; sessions swept every ${SWEEP_EVERY_MS / 1000} s (${SWEEP === 'ack' ? 'ExpirySweeper, acknowledged deletes' : 'unacknowledged deletes, w: 0'}); ${await machineLoad()}`,
  );

  const byKind = new Map<string, { n: number; wrong: number }>();
  const failures = { status5xx: 0, wrong: 0, network: 0 };
  const examples: string[] = [];
  let issued = 0;
  let done = 0;
  const stopAt = Date.now() + MAX_SECONDS * 1000;
  const t0 = Date.now();
  const progress = setInterval(
    () =>
      process.stderr.write(
        `\r${done}/${REQUESTS} requests, ${failures.status5xx + failures.wrong + failures.network} bad, ${proxy!.anomalies.length} wire anomalies, ${crossedReplies} crossed`,
      ),
    2000,
  );
  timers.push(progress);
  const worker = async () => {
    while (issued < REQUESTS && Date.now() < stopAt) {
      issued++;
      const job = nextJob();
      const k = byKind.get(job.kind) ?? { n: 0, wrong: 0 };
      byKind.set(job.kind, k);
      k.n++;
      let problem: string | null;
      try {
        const a = await request('GET', job.path, { cookie: job.cookie });
        if (a.status >= 500) failures.status5xx++;
        try {
          problem = job.check(a);
        } catch {
          problem = `unreadable answer (status ${a.status}): ${a.body.slice(0, 80)}`;
        }
        if (problem && a.status < 500) failures.wrong++;
      } catch (err) {
        failures.network++;
        problem = (err as Error).message;
      }
      if (problem) {
        k.wrong++;
        if (examples.length < 10) examples.push(`${job.kind} ${job.path}: ${problem}`);
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(progress);
  process.stderr.write('\n');
  for (const t of timers) clearInterval(t);
  timers.length = 0;
  await sweeper?.stop();
  // Expired sessions still there: at most the ones added since the last sweep.
  const leftExpired = await sessions.countDocuments({ expires: { $lt: new Date() } });

  const anomalies = proxy.anomalies.length;
  console.log('');
  console.log(
    `${done} requests in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(0)} req/s)${done < REQUESTS ? ` — stopped at --max-seconds ${MAX_SECONDS}` : ''}`,
  );
  for (const [kind, k] of byKind) console.log(`  ${kind.padEnd(12)} ${String(k.n).padStart(7)} requests, ${k.wrong} wrong`);
  console.log(`sessions: ${expiredAdded} expired sessions added during the run, ${leftExpired} left (those added since the last sweep)`);
  console.log(
    `database commands through the proxy: ${[...proxy.commands.values()].reduce((a, b) => a + b, 0)}, of which delete (the sweeps): ${proxy.commands.get('delete') ?? 0}`,
  );
  console.log('');
  console.log(`5xx answers:                        ${failures.status5xx}`);
  console.log(`wrong answers (status < 500):       ${failures.wrong}`);
  console.log(`client errors (no answer):          ${failures.network}`);
  console.log(`wire anomalies (proxy):             ${anomalies}`);
  console.log(`crossed replies caught (driver):    ${crossedReplies}`);
  for (const l of anomalyLines) console.log(`  wire: ${l}`);
  for (const e of examples) console.log(`  e.g. ${e}`);
  console.log(`(${await machineLoad()})`);
  const bad = failures.status5xx + failures.wrong + failures.network + anomalies + crossedReplies;
  if (bad > 0) throw new Error(`${bad} problems`);
  console.log('no crossed replies, no wrong answers');
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(`soak failed: ${(err as Error).message}`);
    await cleanup();
    process.exit(1);
  });
