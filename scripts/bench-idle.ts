/**
 * `npm run bench:idle`: what an idle stack costs. Boots the app as `npm run demo` does (a fresh
 * local database with the demo data), waits until the seed, the first sync and the first
 * statistics count are done, then measures the CPU time of the app process and of the database
 * process over a quiet window (nobody browsing) and prints each as "% of one core".
 *
 *   npm run bench:idle [-- --seconds 60]
 *   MONGODB_URI=mongodb://127.0.0.1:27501/brands_bench npm run bench:idle   (an existing database:
 *     nothing is seeded; give SEARCH_INDEX_PATH an index built by `npm run reindex` to skip the
 *     rebuild at boot; the database process is found by its port, or set BENCH_DB_PID)
 *
 * The target (issue #10): ≤ 1 % of one core for app + database together, at demo size and after
 * 500,000 entries were imported. Timings on a shared machine are indicative: the script prints the
 * load average next to the figures.
 */
import { readdirSync, readFileSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { startLocalMongo, type LocalMongo } from '../src/platform/local-mongo.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
  console.error('usage: npm run bench:idle [-- --seconds N]   (1 ≤ N ≤ 3600)');
  process.exit(64);
}

const external = process.env.MONGODB_URI;
const scratch = mkdtempSync(path.join(tmpdir(), 'bench-idle-'));
const config = loadConfigOrExit({
  LOG_LEVEL: 'warn',
  SEARCH_INDEX_PATH: path.join(scratch, 'search.sqlite'),
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
});
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in ms. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Our own child processes (the local database server). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (list) out.push(...list.split(' ').map(Number));
  }
  return out;
}

/** The process listening on a loopback TCP port, found through its socket's inode. */
function listenerOf(port: number): number | null {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local address is cols[1] ("0100007F:6B3D"), state 0A is LISTEN, inode is cols[9].
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      }
    } catch {
      // a process that ended meanwhile, or one we may not look into
    }
  }
  return null;
}

function databasePid(): number | null {
  if (process.env.BENCH_DB_PID) return Number(process.env.BENCH_DB_PID);
  if (external) return listenerOf(Number(new URL(external).port || 27017));
  return childrenOf(process.pid)[0] ?? null;
}

let mongo: LocalMongo | null = null;
let running: Running | null = null;
try {
  const started = Date.now();
  mongo = await startLocalMongo({ dataDir: path.join(scratch, 'db'), fresh: true, externalUri: external });
  running = await boot(config, { mongoUri: mongo.uri, dbName: external ? undefined : 'brand_registry' });
  if (!external) await seedDemo();
  await running.sync.drain(30 * 60_000);
  // The app's registry counts, counted once before the idle window (as a first visitor would).
  await (await fetch(`${running.url}/stats`)).arrayBuffer();
  const stats = await running.index.stats();
  const dbPid = databasePid();
  console.log(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stats.documents} entries searchable; database ${mongo.engine}${dbPid ? ` (pid ${dbPid})` : ' (process not found: app only)'}`,
  );

  // A few seconds for anything boot left in flight (the first idle passes, pending timers).
  await new Promise((r) => setTimeout(r, 3000));
  const passesBefore = running.sync.passes;
  const app0 = process.cpuUsage();
  const db0 = dbPid ? cpuMsOf(dbPid) : 0;
  const t0 = process.hrtime.bigint();
  const load0 = loadavg()[0]!;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const app = process.cpuUsage(app0);
  const appMs = (app.user + app.system) / 1000;
  const dbMs = dbPid ? cpuMsOf(dbPid) - db0 : NaN;
  const pct = (ms: number) => `${((100 * ms) / wallMs).toFixed(2)} %`;
  console.log(
    `idle for ${(wallMs / 1000).toFixed(1)} s (load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores):`,
  );
  console.log(`  app       ${pct(appMs).padStart(8)} of one core (${appMs.toFixed(0)} ms CPU; ${running.sync.passes - passesBefore} sync passes)`);
  if (dbPid) {
    console.log(`  database  ${pct(dbMs).padStart(8)} of one core (${dbMs.toFixed(0)} ms CPU)`);
    console.log(`  together  ${pct(appMs + dbMs).padStart(8)} of one core (target ≤ 1 %)`);
  }
} catch (err) {
  console.error(`bench:idle failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await running?.stop().catch((err) => console.error(err));
  await mongo?.stop().catch((err) => console.error(err));
  rmSync(scratch, { recursive: true, force: true });
}
process.exit();
