/**
 * `npx tsx scripts/bench-db.ts [--bin PATH] [--dir DIR] [--reuse] [SIZES…]`: times `_id` point
 * operations on the local FerretDB (decision 0001), to check that they use the `_id` index, and the
 * look-ups the build pushes down to field indexes (decision 0007): equality on a string, an
 * ObjectId reference and a boolean flag, `$in` of ids, a count, and a two-sided date range.
 * Run it with `--bin .cache/ferretdb/ferretdb-v1.24.2-idx1` for the build before the pushdown.
 *
 * For each size (default 1000 20000 100000) it starts the binary (default FERRETDB_BIN, which is
 * built if missing) on a fresh data folder, inserts that many documents into one collection with
 * string `_id`s and one with ObjectIds (insertMany in batches of 1,000, then 200 single
 * insertOne), and reports the median of findOne / updateOne / deleteOne by `_id`. Lookups stop
 * after ~4 s per kind, so a scanning build still finishes.
 *
 * `--dir DIR --reuse` keeps DIR and skips the inserts when the collections are already there:
 * fill DIR with one binary, then measure it with another (an old data folder under a new build).
 *
 * `--uri mongodb://HOST:PORT` measures a server that is already running (e.g. FerretDB on its
 * PostgreSQL backend, decision 0016) instead of starting the binary: each size uses a database
 * `bench_db_<size>` there, dropped afterwards unless --reuse.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureFerretDB } from '../src/platform/local-mongo.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const externalUri = flag('--uri');
const bin = externalUri ? 'external' : (flag('--bin') ?? ensureFerretDB((l) => console.log(l)));
const fixedDir = flag('--dir');
const reuse = args.includes('--reuse');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
if (sizes.length === 0) sizes.push(1000, 20000, 100000);

function doc(i: number) {
  return {
    name: `品牌 ${i}`,
    nameEn: `Brand ${i}`,
    status: i % 7 === 0 ? 'revoked' : 'active',
    district: ['江岸区', '江汉区', '硚口区', '汉阳区', '武昌区'][i % 5],
    summary: 'x'.repeat(300),
    version: 1,
    createdAt: new Date(1_700_000_000_000 + i * 1000),
    slug: `slug-${i}`,
    owner: new mongoose.Types.ObjectId((Math.floor(i / 4) + 1).toString(16).padStart(24, '0')),
    pending: i % 2000 === 0,
    validTo: new Date(Date.UTC(2026, 0, 1) + (i % 3650) * 86_400_000),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Runs op on ids (in order) until all are done or ~4 s passed; returns [median ms, count]. */
async function timeEach<T>(ids: T[], op: (id: T) => Promise<unknown>): Promise<[number, number]> {
  const times: number[] = [];
  const deadline = Date.now() + 4000;
  for (const id of ids) {
    const t = performance.now();
    await op(id);
    times.push(performance.now() - t);
    if (Date.now() > deadline && times.length >= 5) break;
  }
  return [median(times), times.length];
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function run(size: number): Promise<void> {
  const dir = fixedDir ? path.resolve(fixedDir) : mkdtempSync(path.join(os.tmpdir(), 'bench-db-'));
  if (!reuse) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = externalUri
    ? null
    : spawn(bin, ['-listen-addr', `127.0.0.1:${port}`, '-sqlite-dir', dir, '-log-level', 'error'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
  const uri = externalUri ? `${externalUri.replace(/\/+$/, '')}/bench_db_${size}` : `mongodb://127.0.0.1:${port}/bench`;
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 30_000 });
  try {
    await conn.asPromise();
    const db = conn.db!;
    // `_id` is a string in one collection and an ObjectId in the other.
    type Row = { _id: string | mongoose.Types.ObjectId } & ReturnType<typeof doc>;
    const kinds = [
      { label: 'string _id', coll: db.collection<Row>('s'), id: (i: number): Row['_id'] => `k${String(i).padStart(7, '0')}` },
      { label: 'ObjectId  ', coll: db.collection<Row>('o'), id: (i: number): Row['_id'] => new mongoose.Types.ObjectId(i.toString(16).padStart(24, '0')) },
    ];
    const line: string[] = [`${externalUri ?? path.basename(bin)} n=${size}`];
    for (const k of kinds) {
      const have = await k.coll.estimatedDocumentCount();
      if (!(reuse && have >= size)) {
        await k.coll.deleteMany({});
        let t = performance.now();
        for (let start = 0; start < size; start += 1000) {
          const batch = [];
          for (let i = start; i < Math.min(size, start + 1000); i++) batch.push({ _id: k.id(i), ...doc(i) });
          await k.coll.insertMany(batch);
        }
        const bulkRate = size / ((performance.now() - t) / 1000);
        t = performance.now();
        for (let i = size; i < size + 200; i++) await k.coll.insertOne({ _id: k.id(i), ...doc(i) });
        const oneMs = (performance.now() - t) / 200;
        line.push(`  ${k.label} insertMany ${bulkRate.toFixed(0)} docs/s, insertOne ${oneMs.toFixed(2)} ms`);
      }
      // Spread over the whole collection, deterministic.
      const pick = Array.from({ length: 200 }, (_, j) => k.id((j * 7919) % size));
      const [find, nf] = await timeEach(pick, async (id) => {
        if (!(await k.coll.findOne({ _id: id }))) throw new Error(`missing ${String(id)}`);
      });
      const [miss, nm] = await timeEach(pick.slice(0, 50), () => k.coll.findOne({ _id: `absent-${String(pick[0])}` }));
      const [upd, nu] = await timeEach(pick.slice(0, 50), async (id) => {
        const r = await k.coll.updateOne({ _id: id }, { $inc: { version: 1 } });
        if (r.modifiedCount !== 1) throw new Error('update missed');
      });
      const deleted = pick.slice(100, 130);
      const [del, nd] = await timeEach(deleted, (id) => k.coll.deleteOne({ _id: id }));
      // Put them back, so a --reuse run with another binary finds every document.
      for (const id of deleted) await k.coll.updateOne({ _id: id }, { $setOnInsert: doc(0) }, { upsert: true });
      line.push(
        `  ${k.label} findOne ${find.toFixed(2)} ms (${nf}), miss ${miss.toFixed(2)} ms (${nm}), ` +
          `updateOne ${upd.toFixed(2)} ms (${nu}), deleteOne ${del.toFixed(2)} ms (${nd})`,
      );
    }
    // Field look-ups, on the string-_id collection (indexes as the app's models declare them).
    const c = kinds[0]!.coll;
    await Promise.all([c.createIndex({ slug: 1 }), c.createIndex({ owner: 1 }), c.createIndex({ pending: 1 }), c.createIndex({ validTo: 1 })]);
    const picks = Array.from({ length: 50 }, (_, j) => (j * 7919) % size);
    const horizon = [new Date(Date.UTC(2027, 0, 1)), new Date(Date.UTC(2027, 3, 1))] as const;
    const ops: Array<[string, (i: number) => Promise<unknown>]> = [
      ['find {slug}', (i) => c.findOne({ slug: `slug-${i}` })],
      ['find {owner: ObjectId} (4 docs)', (i) => c.find({ owner: doc(i).owner }).toArray()],
      ['find {pending: true}.limit(500)', () => c.find({ pending: true }).limit(500).toArray()],
      [
        'find {_id: {$in: 100 ids}}',
        (i) => c.find({ _id: { $in: Array.from({ length: 100 }, (_, j) => kinds[0]!.id((i + j * 13) % size) as string) } }).toArray(),
      ],
      ['countDocuments {pending: true}', () => c.countDocuments({ pending: true })],
      [
        'find {validTo: 90-day range}.limit(200)',
        () =>
          c
            .find({ validTo: { $gte: horizon[0], $lte: horizon[1] } })
            .limit(200)
            .toArray(),
      ],
    ];
    for (const [label, op] of ops) {
      const [ms, n] = await timeEach(picks, op);
      line.push(`  ${label.padEnd(40)} ${ms.toFixed(2)} ms (${n})`);
    }
    console.log(line.join('\n'));
  } finally {
    if (externalUri && !reuse) await conn.db?.dropDatabase().catch(() => {});
    await conn.close();
    child?.kill('SIGTERM');
    if (!fixedDir) rmSync(dir, { recursive: true, force: true });
  }
}

for (const n of sizes) await run(n);
