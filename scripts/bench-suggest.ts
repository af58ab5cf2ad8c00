/**
 * `npm run bench:suggest [-- --count 500000 --runs 30]`: a benchmark, not a test. Suggestions as
 * you type (src/site/suggest.ts, GET /api/v1/suggest) and "did you mean" measured in-process on
 * the embedded engine, over the same corpus as `npm run bench:search` (N synthetic directory
 * entries plus the demo data; `--reuse FILE` measures an index built earlier, e.g. by
 * `npm run bench:search -- --keep FILE`; `--keep FILE` leaves this run's index there). Target: p95 under 15 ms at 500,000 entries.
 *
 * The mix is what a visitor produces while typing: one Han character, growing prefixes of names
 * and products, pinyin and initials, certificate-number prefixes. One Latin letter is answered
 * with an empty list without a search (src/site/suggest.ts suggestable()), so it is not measured.
 * `--search` measures the fallback instead (one page of search(), as before the port's lookup).
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
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
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import type { SearchDoc, SearchIndex } from '../src/search/port.js';
import { createSuggester, didYouMean, suggest } from '../src/site/suggest.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '500000' },
    runs: { type: 'string', default: '30' },
    reuse: { type: 'string' },
    keep: { type: 'string' },
    search: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const RUNS = Number(values.runs);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-suggest-'));
const file = path.join(dir, 'index.sqlite');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

console.log(
  `bench:suggest — ${new Date().toISOString()} — embedded${values.search ? ' (search() fallback)' : ' (lookup)'} — ${values.reuse ? `index ${values.reuse}` : `${COUNT} synthetic entries + demo data`}, ${RUNS} runs per query`,
);

let built = '';
if (values.reuse) {
  if (!existsSync(values.reuse)) throw new Error(`--reuse ${values.reuse}: no such file`);
  copyFileSync(values.reuse, file);
} else {
  const mongo = await startLocalMongo({ dataDir: path.join(dir, 'db'), fresh: true });
  await connectDatabase(mongo.uri, 'bench');
  await seedDemo();
  const demoDocs: SearchDoc[] = [];
  for (const kind of KINDS) demoDocs.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
  await disconnectDatabase();
  await mongo.stop();
  const index = new EmbeddedSearchIndex(file);
  await index.init();
  const t0 = Date.now();
  await index.upsert(demoDocs);
  const BATCH = 5000;
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
    await index.upsert(docs);
    process.stderr.write(progressLine(Math.min(COUNT, i + BATCH), COUNT, t0, 'docs'));
  }
  process.stderr.write('\n');
  await index.close();
  built = `indexing: ${COUNT + demoDocs.length} docs in ${((Date.now() - t0) / 1000).toFixed(1)} s; index file ${mb(statSync(file).size)}`;
}

const engine = new EmbeddedSearchIndex(file);
await engine.init();
// --search: the same index without its lookup (suggest() then falls back to search()).
const index: SearchIndex = values.search ? bindAll(engine) : engine;
if (!(await suggest(index, '蔡林', 'zh')).some((s) => s.href === '/brands/cailinji')) throw new Error('sanity: 蔡林 does not suggest 蔡林记');

const MIX = [
  '蔡',
  '蔡林',
  '蔡林记',
  '热',
  '热干',
  '热干面',
  '汉',
  '武汉',
  '鸭',
  '黑鸭',
  '食品',
  'ca',
  'cai',
  'cail',
  'cailinji',
  'clj',
  'rg',
  'jc',
  'WH',
  'WHJP',
  'WHJP-2023',
  '90001',
];
const MISSPELT = ['蔡林纪', '四季没', '汤抱', 'cailinjj', '龘靐齉'];

/** The index's methods bound to it, all but lookup(): suggest() then falls back to search(). */
function bindAll(i: EmbeddedSearchIndex): SearchIndex {
  return {
    name: i.name,
    init: () => i.init(),
    upsert: (d) => i.upsert(d),
    remove: (ids) => i.remove(ids),
    search: (q) => i.search(q),
    versions: (ids) => i.versions(ids),
    rebuild: (fill) => i.rebuild(fill),
    stats: () => i.stats(),
    health: () => i.health(),
    close: () => i.close(),
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(list: string[], fn: (q: string) => Promise<string>): Promise<number[]> {
  const times = list.map(() => [] as number[]);
  const shown = list.map(() => '');
  for (let i = 0; i < RUNS; i++) {
    for (const [n, q] of list.entries()) {
      const s = process.hrtime.bigint();
      shown[n] = await fn(q);
      times[n]!.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  for (const [n, q] of list.entries()) {
    const t = times[n]!.sort((a, b) => a - b);
    console.log(
      `${q.padEnd(14)} ${shown[n]!.padEnd(28).slice(0, 28)} ${pct(t, 50).toFixed(1).padStart(7)}  ${pct(t, 95).toFixed(1).padStart(7)}  ${pct(t, 99).toFixed(1).padStart(7)}`,
    );
  }
  return times.flat();
}

// Warm-up, unmeasured.
for (const q of MIX) await suggest(index, q, 'zh');

console.log('\nsuggest        first suggestions              p50 ms   p95 ms   p99 ms');
const all = (
  await measure(MIX, async (q) => {
    const items = await suggest(index, q, 'zh');
    return `${items.length}: ${items
      .slice(0, 2)
      .map((i) => i.label)
      .join(' ')}`;
  })
).sort((a, b) => a - b);
console.log(
  `${'ALL'.padEnd(14)} ${''.padEnd(28)} ${pct(all, 50).toFixed(1).padStart(7)}  ${pct(all, 95).toFixed(1).padStart(7)}  ${pct(all, 99).toFixed(1).padStart(7)}`,
);

// What the API answers with (createSuggester): the same mix through the 30 s memory, as when
// visitors type the same prefixes; the first round fills it.
const memo = createSuggester(index);
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const q of MIX) {
    const s = process.hrtime.bigint();
    await memo(q, 'zh');
    warm.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
}
warm.sort((a, b) => a - b);
console.log(
  `${'ALL, memory'.padEnd(14)} ${'(as the API: 30 s memory)'.padEnd(28)} ${pct(warm, 50).toFixed(1).padStart(7)}  ${pct(warm, 95).toFixed(1).padStart(7)}  ${pct(warm, 99).toFixed(1).padStart(7)}`,
);

console.log('\ndid you mean (empty result pages only; not in ALL)');
await measure(MISSPELT, async (q) => (await didYouMean(index, q, 'zh'))?.q ?? '—');

if (built) console.log(`\n${built}`);
console.log(`peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)}`);
await engine.close();
if (values.keep) renameSync(file, values.keep);
rmSync(dir, { recursive: true, force: true });
