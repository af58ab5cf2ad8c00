/**
 * `npm run bench:search [-- --count 500000 --runs 30 --engine embedded|meili]`: a benchmark, not a test.
 * `--keep FILE` leaves the built index at FILE; `--reuse FILE` measures an index built earlier
 * (skips the corpus and indexing, so no docs/s is printed); both embedded only.
 *
 * `--engine meili` runs the same corpus and mix on Meilisearch: the binary (MEILI_BIN, else
 * ../shared/bin/meilisearch) started on 127.0.0.1 with throw-away data, the corpus loaded through
 * the adapter's rebuild (fresh index, then swap, as `npm run reindex`), and the engine's RSS read
 * from /proc/<pid>/status (VmHWM: its peak) besides this process's own; then the transport alone:
 * an empty round trip, and one raw search with the adapter's headers and with the client's defaults.
 *
 * Builds a synthetic corpus of N directory entries plus the demo data, indexes it into the
 * embedded adapter (a SQLite file in a temp folder), and prints indexing throughput, query latency
 * p50/p95/p99 for a fixed mix of queries, peak RSS and the time to reopen the index (restart).
 * Suggestions (the port's bounded lookup through src/site/suggest.ts) are part of the mix, labelled
 * "suggest …" (their hits column: how many suggestions).
 * Search documents are built by the same code the app uses (buildSearchDoc); the demo data comes
 * from a fresh local database through the registry service.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seedDemo } from '../src/demo/seed.js';
import { syntheticRow } from '../src/demo/synthetic.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { startLocalMongo } from '../src/platform/local-mongo.js';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDoc, buildSearchDocs } from '../src/search/documents.js';
import { readFileSync } from 'node:fs';
import { startMeiliServer, type MeiliServer } from '../src/platform/meili-server.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { Meilisearch } from 'meilisearch';
import { MeiliSearchIndex, REQUEST_HEADERS } from '../src/search/meili.js';
import type { SearchDoc, SearchIndex, SearchQuery } from '../src/search/port.js';
import { suggest } from '../src/site/suggest.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '500000' },
    runs: { type: 'string', default: '30' },
    keep: { type: 'string' },
    reuse: { type: 'string' },
    engine: { type: 'string', default: 'embedded' },
  },
});
const ENGINE = values.engine;
if (ENGINE !== 'embedded' && ENGINE !== 'meili') throw new Error(`--engine ${ENGINE}: embedded or meili`);
if (ENGINE === 'meili' && (values.keep || values.reuse)) throw new Error('--keep and --reuse are for the embedded engine');
const COUNT = Number(values.count);
const RUNS = Number(values.runs);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-search-'));
const file = path.join(dir, 'index.sqlite');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

console.log(
  `bench:search — ${new Date().toISOString()} — ${ENGINE} — ${values.reuse ? `index ${values.reuse}` : `${COUNT} synthetic entries + demo data`}, ${RUNS} runs per query`,
);

let index: SearchIndex;
let meili: MeiliServer | null = null;
const openIndex = async (): Promise<SearchIndex> => {
  if (!meili) return new EmbeddedSearchIndex(file);
  return new MeiliSearchIndex({ host: meili.url, apiKey: meili.masterKey, searchKey: meili.searchKey, indexUid: 'bench' });
};
/** Peak and current RSS of the Meilisearch process (kB figures from /proc). */
const engineRss = (): string => {
  const pid = meili?.pid();
  if (!pid) return '';
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(/^\S+:\s+(\d+)/m.exec(status.split('\n').find((l) => l.startsWith(k)) ?? '')?.[1] ?? 0);
  return `Meilisearch RSS: peak (VmHWM) ${mb(kb('VmHWM') * 1024)}, now ${mb(kb('VmRSS') * 1024)}`;
};
const dataSize = (): string => {
  if (!meili?.dbPath) return '';
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else n += statSync(p).size;
    }
  };
  walk(meili.dbPath);
  return `; data folder ${mb(n)}`;
};
let built = '';
let indexingRss = '';
if (values.reuse) {
  if (!existsSync(values.reuse)) throw new Error(`--reuse ${values.reuse}: no such file`);
  copyFileSync(values.reuse, file);
} else {
  // Demo data through the real write path, then its search documents.
  const mongo = await startLocalMongo({ dataDir: path.join(dir, 'db'), fresh: true });
  await connectDatabase(mongo.uri, 'bench');
  await seedDemo();
  const demoDocs: SearchDoc[] = [];
  for (const kind of KINDS) demoDocs.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
  await disconnectDatabase();
  await mongo.stop();

  if (ENGINE === 'meili') meili = await startMeiliServer();
  index = await openIndex();
  await index.init();
  const BATCH = 5000;
  const corpus = async (write: (docs: SearchDoc[]) => Promise<void>) => {
    await write(demoDocs);
    for (let i = 0; i < COUNT; i += BATCH) {
      const docs: SearchDoc[] = [];
      for (let k = i; k < Math.min(COUNT, i + BATCH); k++) {
        const r = syntheticRow(k);
        docs.push(
          buildSearchDoc(
            'directory',
            { ...r.directory, version: 1, updatedAt: new Date(Date.UTC(2025, 0, 1) + k) } as never,
            { ...r.brand, version: 1 } as never,
            [r.trademark as never],
          ),
        );
      }
      await write(docs);
      process.stderr.write(progressLine(Math.min(COUNT, i + BATCH), COUNT, t0, 'docs'));
    }
  };
  const t0 = Date.now();
  // Meilisearch: through the rebuild (fresh index, then swap), as `npm run reindex` loads it.
  if (meili) await index.rebuild(corpus);
  else await corpus((docs) => index.upsert(docs));
  process.stderr.write('\n');
  const indexSecs = (Date.now() - t0) / 1000;
  await index.close();
  const size = meili ? dataSize() : `; index file ${mb(statSync(file).size)}`;
  if (meili) indexingRss = ` — while indexing: ${engineRss()}`;
  built = `indexing${meili ? ' (rebuild + swap)' : ''}: ${COUNT + demoDocs.length} docs in ${indexSecs.toFixed(1)} s = ${Math.round((COUNT + demoDocs.length) / indexSecs)} docs/s${size}`;
}

const r0 = Date.now();
if (meili) await meili.restart();
index = await openIndex();
await index.init();
const first = await index.search({ q: '蔡林记', filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: true });
const restartMs = Date.now() - r0;
if (!first.hits.some((h) => h.doc.slug === 'cailinji')) throw new Error('sanity: 蔡林记 not found');

const base: Omit<SearchQuery, 'q'> = { filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: true };
const MIX: Array<[string, SearchQuery]> = [
  ['exact name 蔡林记', { ...base, q: '蔡林记' }],
  ['substring 黑鸭', { ...base, q: '黑鸭' }],
  ['product 热干面', { ...base, q: '热干面' }],
  ['pinyin cailinji', { ...base, q: 'cailinji' }],
  ['initials clj', { ...base, q: 'clj' }],
  ['traditional 蔡林記', { ...base, q: '蔡林記' }],
  ['identifier regNo', { ...base, q: '9000123456' }],
  ['filtered 热干面 @江汉区', { ...base, q: '热干面', filters: { district: '江汉区' } }],
  ['single char 鸭', { ...base, q: '鸭' }],
  ['city name 武汉', { ...base, q: '武汉' }],
  ['common 食品', { ...base, q: '食品' }],
  ['common char 福', { ...base, q: '福' }],
  ['common 江城 page 5', { ...base, q: '江城', page: 5 }],
  ['empty + facets', { ...base, q: '' }],
  ['empty, kind=time-honored', { ...base, q: '', filters: { kind: 'time-honored' }, sort: 'name' }],
  // Query understanding (docs/decisions/0013): joined words, several terms, relaxation.
  ['joined brand+product 五芳斋汤圆', { ...base, q: '五芳斋汤圆' }],
  ['joined synthetic 荆楚禾社米粉', { ...base, q: '荆楚禾社米粉' }],
  ['multi-term 武汉 汉口 鸭脖', { ...base, q: '武汉 汉口 鸭脖' }],
  ['relaxed 荆楚禾社好吃', { ...base, q: '荆楚禾社好吃' }],
  ['relaxed common 热干面好吃', { ...base, q: '热干面好吃' }],
  ['list word 蔡林记老字号', { ...base, q: '蔡林记老字号' }],
  ['spaced regNo 90000 12345', { ...base, q: '90000 12345' }],
  ['pinyin + city Wuhan Zhou Hei Ya', { ...base, q: 'Wuhan Zhou Hei Ya' }],
  // Grouped by brand, as the results page asks (one card per brand, facet counts in brands).
  ['brands 蔡林记', { ...base, q: '蔡林记', group: 'brand' }],
  ['brands 热干面', { ...base, q: '热干面', group: 'brand' }],
  ['brands 热干面 @江汉区', { ...base, q: '热干面', filters: { district: '江汉区' }, group: 'brand' }],
  ['brands 武汉', { ...base, q: '武汉', group: 'brand' }],
  ['brands 食品', { ...base, q: '食品', group: 'brand' }],
  ['brands 福', { ...base, q: '福', group: 'brand' }],
  ['brands 江城 page 5', { ...base, q: '江城', page: 5, group: 'brand' }],
  ['brands 五芳斋汤圆', { ...base, q: '五芳斋汤圆', group: 'brand' }],
];

/** Outside the fixed mix (not in ALL): a typo, pinyin prefixes, a character matching 100,000+ entries, other sorts. */
const EXTRA: Array<[string, SearchQuery]> = [
  ['typo cailinjj', { ...base, q: 'cailinjj' }],
  ['pinyin prefix jiangcheng', { ...base, q: 'jiangcheng' }],
  ['initials jc', { ...base, q: 'jc' }],
  ['character 汉 (100k+ matches)', { ...base, q: '汉' }],
  ['食品 by update', { ...base, q: '食品', sort: 'updated' }],
  ['食品 by name', { ...base, q: '食品', sort: 'name' }],
  ['directory by name', { ...base, q: '', filters: { kind: 'directory' }, sort: 'name' }],
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * RUNS rounds over a list of queries, each round running every query once: a burst of load from
 * another process then slows several queries once rather than one query many times.
 */
async function measure(list: Array<[string, SearchQuery]>): Promise<number[]> {
  // A different "now" each run, so no result could come from a cache of this exact query.
  return measureRuns(
    list.map(([label, q]): Run => [
      label,
      async (i) => {
        const r = await index.search({ ...q, now: new Date(Date.now() + i * 61_000) });
        return `${r.estimated ? '~' : ''}${r.relaxed ? 'r' : ''}${r.total}`;
      },
    ]),
  );
}

/** A labelled thing to time: run `i` answers what the table shows in its hits column. */
type Run = [string, (i: number) => Promise<string>];

async function measureRuns(list: Run[]): Promise<number[]> {
  const times = list.map(() => [] as number[]);
  const totals = list.map(() => '');
  for (let i = 0; i < RUNS; i++) {
    for (const [n, [, run]] of list.entries()) {
      const s = process.hrtime.bigint();
      totals[n] = await run(i);
      times[n]!.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  for (const [n, [label]] of list.entries()) {
    const t = times[n]!.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(30)} ${totals[n]!.padStart(8)}  ${pct(t, 50).toFixed(1).padStart(7)}  ${pct(t, 95).toFixed(1).padStart(7)}  ${pct(t, 99).toFixed(1).padStart(7)}`,
    );
  }
  return times.flat();
}

// Warm-up: one unmeasured run of each query, so the figures are steady state (JIT-compiled code,
// index pages mapped). The first run of a large query after a restart costs 2–5× more.
for (const [, q] of [...MIX, ...EXTRA]) await index.search(q);

/**
 * Suggestions as GET /api/v1/suggest computes them (src/site/suggest.ts suggest(): the port's
 * bounded lookup, no memory), the broadest prefixes of bench:suggest's mix; in ALL.
 */
const SUGGEST = ['蔡', '热', '汉', '食品', 'cai', 'jc', 'WH', 'WHJP-2023'];
const suggestRuns = SUGGEST.map((text): Run => [`suggest ${text}`, async () => String((await suggest(index, text, 'zh')).length)]);
for (const [, run] of suggestRuns) await run(0);

console.log('\nquery                              hits    p50 ms   p95 ms   p99 ms');
const all = [...(await measure(MIX)), ...(await measureRuns(suggestRuns))].sort((a, b) => a - b);
console.log(
  `${'ALL'.padEnd(30)} ${''.padStart(8)}  ${pct(all, 50).toFixed(1).padStart(7)}  ${pct(all, 95).toFixed(1).padStart(7)}  ${pct(all, 99).toFixed(1).padStart(7)}`,
);
console.log('\nextra (not in ALL; ~ = estimated total, r = relaxed)');
await measure(EXTRA);
if (meili) {
  // The transport alone (docs/decisions/0009, "Transport"): an empty round trip, and one search
  // request sent raw through the official client, with the adapter's headers and with the
  // client's defaults (compressed, chunked replies: the ~40 ms Nagle/delayed-ACK stall).
  const roundTrips = async (fn: () => Promise<unknown>): Promise<string> => {
    const t: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = process.hrtime.bigint();
      await fn();
      t.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    t.sort((a, b) => a - b);
    return `p50 ${pct(t, 50).toFixed(1)}  p95 ${pct(t, 95).toFixed(1)}  p99 ${pct(t, 99).toFixed(1)} ms`;
  };
  const raw = (headers: boolean) =>
    new Meilisearch({ host: meili!.url, apiKey: meili!.searchKey, ...(headers ? { requestInit: { headers: { ...REQUEST_HEADERS } } } : {}) });
  const one = { queries: [{ indexUid: 'bench', q: '"热干 干面"', hitsPerPage: 20, facets: ['kind', 'district'] }] };
  const [tuned, plain] = [raw(true), raw(false)];
  await tuned.multiSearch(one);
  await plain.multiSearch(one);
  console.log('\ntransport (raw client requests, not in ALL)');
  console.log(`${'adapter health()'.padEnd(44)} ${await roundTrips(() => index.health())}`);
  console.log(`${'multiSearch 热干面, Accept-Encoding identity'.padEnd(44)} ${await roundTrips(() => tuned.multiSearch(one))}`);
  console.log(`${'multiSearch 热干面, client defaults (gzip)'.padEnd(44)} ${await roundTrips(() => plain.multiSearch(one))}`);
}
if (built) console.log(`\n${built}${indexingRss}`);
console.log(`restart: ${meili ? 'server restart' : 'reopen'} + first query ${restartMs} ms`);
console.log(`peak RSS${meili ? ' of this process' : ''}: ${mb(process.resourceUsage().maxRSS * 1024)}`);
if (meili) console.log(`after the restart and the queries: ${engineRss()}`);
await index.close();
await meili?.stop();
// --keep FILE: leave the built index there for profiling.
if (values.keep) renameSync(file, values.keep);
rmSync(dir, { recursive: true, force: true });
