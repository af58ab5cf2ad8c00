/**
 * `npm run bench:import [-- --count 500000 --reimport]`: a benchmark, not a test.
 *
 * 1. writes N synthetic directory rows (src/demo/synthetic.ts: brand + trademark + entry) to a
 *    CSV file in the import format, in a temp folder;
 * 2. starts a fresh local database there (the same launcher as the demo and the tests);
 * 3. runs the dry run (parse + validate + key look-ups), then the real import through the
 *    registry service, and with --reimport a second dry run of the same file against the filled
 *    database (every row must come out unchanged);
 * 4. catches the search index up as the app's sync worker would (a backlog of bulk inserts that
 *    large makes it rebuild the index from the database), into an embedded index in the temp folder;
 * 5. prints rows/s per phase, where the time went (read, lookup, check, write steps) and the peak
 *    RSS of this process.
 *
 * BENCH_MONGODB_URI=mongodb://HOST:PORT runs it against a server that is already running (e.g.
 * FerretDB on PostgreSQL, decision 0016): the database bench_import there is dropped first and
 * left filled afterwards; the database CPU column then counts only child processes (none).
 */
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticRow } from '../src/demo/synthetic.js';
import { ChainWriter } from '../src/audit/index.js';
import { runImport, type ImportSummary } from '../src/imports/engine.js';
import { FORMATS } from '../src/imports/formats.js';
import { formatCell, neutralizeFormula } from '../src/imports/values.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { startLocalMongo } from '../src/platform/local-mongo.js';
import { createLogger } from '../src/platform/logger.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { IndexSync } from '../src/search/sync.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '500000' }, batch: { type: 'string', default: '2000' }, reimport: { type: 'boolean', default: false } },
});
const COUNT = Number(values.count);
const BATCH = Number(values.batch);
if (!Number.isInteger(COUNT) || COUNT < 1 || COUNT > 1_000_000) {
  console.error('usage: npm run bench:import -- --count N   (1 ≤ N ≤ 1,000,000) [--batch 2000] [--reimport]');
  process.exit(64);
}
const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
const file = path.join(dir, 'directory.csv');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const rss = () => process.resourceUsage().maxRSS * 1024;

/**
 * CPU seconds used so far by this process and by the database server it started (Linux /proc).
 * The machine is shared: wall time depends on the neighbours, CPU time much less.
 */
function cpuSeconds(): { node: number; db: number } {
  const u = process.cpuUsage();
  let db = 0;
  const USER_HZ = 100;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid || !/\((ferretdb|mongod)/.test(stat)) continue;
      db += (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    } catch {
      // The process ended while we looked.
    }
  }
  return { node: (u.user + u.system) / 1e6, db };
}
const cpuSince = (c0: { node: number; db: number }) => {
  const c = cpuSeconds();
  return `CPU: node ${(c.node - c0.node).toFixed(0)} s, database ${(c.db - c0.db).toFixed(0)} s · load average ${loadavg()[0]!.toFixed(1)}`;
};
console.log(`bench:import — ${new Date().toISOString()} — ${COUNT} synthetic directory rows, batches of ${BATCH}`);

// 1. The file: the directory format without the slug column (the import derives slugs from pinyin).
const columns = FORMATS.directory.columns.filter((c) => c.path !== 'slug' && c.path !== 'statusReason');
const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const out = createWriteStream(file);
out.write(`\uFEFF${columns.map((c) => c.header).join(',')}\r\n`);
let t = Date.now();
for (let i = 0; i < COUNT; i++) {
  const r = syntheticRow(i);
  const src = { brand: r.brand, trademark: r.trademark, entry: r.directory } as Record<string, Record<string, unknown>>;
  const cells = columns.map((c) => {
    const v = c.path.includes('.')
      ? (src[c.target]![c.path.split('.')[0]!] as Record<string, unknown> | undefined)?.[c.path.split('.')[1]!]
      : src[c.target]![c.path];
    return quote(neutralizeFormula(formatCell(c.type, v)));
  });
  if (!out.write(`${cells.join(',')}\r\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
console.log(`file: ${mb(statSync(file).size)} written in ${((Date.now() - t) / 1000).toFixed(1)} s`);

// 2. A fresh database.
const mongo = await startLocalMongo({ dataDir: path.join(dir, 'db'), fresh: true, externalUri: process.env.BENCH_MONGODB_URI || undefined });
if (mongo.engine === 'external') {
  const { MongoClient } = await import('mongodb');
  const client = await MongoClient.connect(mongo.uri);
  await client.db('bench_import').dropDatabase();
  await client.close();
}
await connectDatabase(mongo.uri, 'bench_import');
console.log(`database: ${mongo.engine}`);

// The import event goes to the chain through a writer of the bench's own (nothing else runs here).
const audit = new ChainWriter();

async function phase(label: string, dryRun: boolean): Promise<ImportSummary> {
  const started = Date.now();
  const c0 = cpuSeconds();
  let last = 0;
  let problems = 0;
  const s = await runImport({
    registry: 'directory',
    file,
    fileName: 'bench-directory.csv',
    dryRun,
    actor: 'bench',
    audit,
    batchSize: BATCH,
    onProblem: (p) => {
      if (++problems <= 5) process.stderr.write(`\n  problem: row ${p.row} ${p.column}: ${p.message}\n`);
    },
    onProgress: (p) => {
      if (Date.now() - last < 500) return;
      last = Date.now();
      process.stderr.write(progressLine(p.rows, COUNT, started, `rows · ${p.phase}`));
    },
  });
  process.stderr.write('\n');
  const secs = (Date.now() - started) / 1000;
  console.log(
    `${label.padEnd(22)} ${String(s.rows).padStart(7)} rows in ${secs.toFixed(1).padStart(6)} s = ${String(Math.round(s.rows / secs)).padStart(6)} rows/s` +
      ` · created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected}` +
      ` · peak RSS so far ${mb(rss())}`,
  );
  console.log(`${''.padEnd(22)} ${cpuSince(c0)}`);
  console.log(
    `${''.padEnd(22)} seconds per step: ${Object.entries(s.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}` + (dryRun ? '' : ` (writes overlap with reading and checking the next batch)`),
  );
  return s;
}

const dry = await phase('dry run (parse+check)', true);
const real = await phase('import (write)', false);

// What the running app's sync worker does after the import: catch the search index up.
const index = new EmbeddedSearchIndex(path.join(dir, 'search.sqlite'));
await index.init();
t = Date.now();
const c1 = cpuSeconds();
await new IndexSync(index, createLogger('silent')).drain(60 * 60_000);
const indexSecs = (Date.now() - t) / 1000;
console.log(
  `${'search index caught up'.padEnd(22)} ${String(real.created).padStart(7)} rows in ${indexSecs.toFixed(1).padStart(6)} s = ${String(Math.round(real.created / indexSecs)).padStart(6)} rows/s · peak RSS so far ${mb(rss())}`,
);
console.log(`${''.padEnd(22)} ${cpuSince(c1)}`);
console.log(`${'import + index'.padEnd(22)} ${(real.seconds + indexSecs).toFixed(1)} s`);
await index.close();
if (values.reimport) await phase('re-import dry run', true);
console.log(`\npeak RSS: ${mb(rss())}`);
if (dry.rejected || real.rejected || real.created !== COUNT) console.log('WARNING: not every row was created');
await disconnectDatabase();
await mongo.stop();
rmSync(dir, { recursive: true, force: true });
