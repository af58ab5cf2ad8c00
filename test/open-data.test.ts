/**
 * Open data: the /open-data page, downloads that parse back to the same entries (CSV with
 * csv-parse, JSON, NDJSON), the public-field allowlist, conditional GETs, and the exporter
 * streaming 100,000 entries with memory that does not grow with the count.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { parse as parseCsv } from 'csv-parse/sync';
import express, { type Express } from 'express';
import mongoose from 'mongoose';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import request from 'supertest';
import { DATASETS, csvCell, type BrandLite, type TrademarkLite } from '../src/open-data/datasets.js';
import { joinedRows, serialize, type ExportSources } from '../src/open-data/export.js';
import { openDataRoutes } from '../src/open-data/routes.js';
import { errorHandler, notFoundHandler, pageContext, requestId, securityHeaders } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createRenderer } from '../src/platform/views.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { SwrCache } from '../src/platform/swr-cache.js';
import { computeRegistryStats, type RegistryStats } from '../src/registries/counts.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function openDataApp(cache: SwrCache<RegistryStats>): Express {
  const render = createRenderer(path.join(ROOT, 'views'));
  const logger = createLogger('silent');
  const app = express();
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(securityHeaders(false));
  app.use(pageContext(testContext().config.PUBLIC_BASE_URL));
  app.use(openDataRoutes({ render, cache, logger }));
  app.use(notFoundHandler());
  app.use(errorHandler(render, logger));
  return app;
}

/** Collects a binary body (supertest would otherwise decode JSON/CSV its own way). */
const raw = (req: request.Test) =>
  req.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

describe('open data: page and downloads', function () {
  this.timeout(120_000);
  const cache = new SwrCache(() => computeRegistryStats(), { minTtlMs: 60_000 });
  let app: Express;
  let hostile: Record<string, any>;
  let plain: Record<string, any>;

  before(async () => {
    app = openDataApp(cache);
    const mk = (slug: string, name: string, keywords: string[]) =>
      createEntry<Record<string, any>>(Brand, {
        slug,
        name,
        company: `武汉开放数据${tag}有限公司`,
        creditCode: demoCreditCode(slug),
        district: '青山区',
        sector: '二产',
        industry: '开放数据测试',
        keywords,
        description: '开放数据测试品牌。',
      });
    hostile = await mk(`od-${tag}-1`, '=HYPERLINK("http://evil.example")', ['+cmd', '@sum', '普通,带逗号', '引号"内容']);
    plain = await mk(`od-${tag}-2`, '开放数据样例', ['热干面']);
    await createEntry(DirectoryEntry, {
      brand: hostile._id,
      status: '在册',
      gi: { product: '青山-特产', area: '青山区' },
      listedAt: new Date(Date.UTC(2021, 2, 4)),
    });
    await createEntry(DirectoryEntry, { brand: plain._id, status: '暂停', listedAt: new Date(Date.UTC(2020, 0, 2)), statusReason: '企业申请暂停' });
    const regBase = String(Date.now() % 1e7).padStart(7, '0');
    await createEntry(Trademark, {
      regNo: `8${regBase}1`,
      brand: plain._id,
      mark: '开放数据样例',
      niceClasses: [30, 43],
      validFrom: new Date(Date.UTC(2015, 0, 1)),
      validTo: new Date(Date.UTC(2035, 0, 1)),
      madrid: true,
    });
    await createEntry(Trademark, {
      regNo: `8${regBase}2`,
      brand: plain._id,
      mark: '开放数据',
      niceClasses: [29],
      validFrom: new Date(Date.UTC(2016, 0, 1)),
      validTo: new Date(Date.UTC(2036, 0, 1)),
    });
    await createEntry(Certificate, {
      number: `OD-${tag}`.toUpperCase().slice(0, 32),
      brand: plain._id,
      level: '武汉精品',
      scope: '产品',
      product: '开放数据样例产品',
      issuedAt: new Date(Date.UTC(2014, 0, 1)),
      validUntil: new Date(Date.UTC(2019, 0, 1)),
      issuer: '武汉市市场监督管理局',
      status: '有效',
      statusReason: '内部备注',
    });
  });

  const download = async (file: string, headers: Record<string, string> = {}) => {
    let req = request(app).get(`/open-data/${file}`);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return raw(req);
  };

  it('when /open-data is opened, then each registry has CSV, JSON and NDJSON links, its row count, last change, field dictionary and the licence', async () => {
    cache.invalidate();
    const res = await request(app).get('/open-data');
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text().trim(), '开放数据');
    assert.match($('.licence').text(), /请注明来源：武汉市市场监督管理局/);
    assert.match($('.licence').text(), /演示/, 'the licence says it is placeholder text');
    const stats = (await cache.get()).value;
    for (const kind of ['directory', 'famous', 'time-honored', 'certified'] as const) {
      const item = $(`#dataset-${kind}`);
      assert.deepEqual(
        item
          .find('.opendata-links a')
          .map((_, a) => $(a).attr('href'))
          .get(),
        ['csv', 'json', 'ndjson'].map((f) => `/open-data/${kind}.${f}`),
      );
      assert.match(item.find('.opendata-rows').text(), new RegExp(`^${stats.registries[kind].total.toLocaleString('en-US')} 条$`));
      assert.ok(item.find('.opendata-changed').text().length > 0);
      const fields = $(`#fields-${kind} tbody th code`)
        .map((_, c) => $(c).text())
        .get();
      assert.deepEqual(
        fields,
        DATASETS[kind].columns.map((c) => c.key),
      );
      assert.ok($(`#fields-${kind} caption`).text().length > 0);
    }
    assert.equal($('[style]').length, 0);
  });

  it('when the directory is downloaded as CSV, then it is streamed (chunked, no Content-Length), UTF-8 with a BOM, and parses back to the same entries', async () => {
    const res = await download('directory.csv');
    assert.equal(res.status, 200);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    assert.match(res.headers['content-type'] ?? '', /^text\/csv; charset=utf-8/);
    assert.match(res.headers['content-disposition'] ?? '', /attachment; filename="wuhan-directory\.csv"/);
    const body = res.body as Buffer;
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const rows = parseCsv(body, { bom: true, columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(
      Object.keys(rows[0]!),
      DATASETS.directory.columns.map((c) => c.key),
    );
    assert.equal(rows.length, await DirectoryEntry.countDocuments());

    const bySlug = new Map(rows.map((r) => [r.slug, r]));
    const p = bySlug.get(plain.slug)!;
    assert.equal(p.name, '开放数据样例');
    assert.equal(p.company, plain.company);
    assert.equal(p.creditCode, plain.creditCode);
    assert.equal(p.district, '青山区');
    assert.equal(p.status, '暂停');
    assert.equal(p.statusReason, '企业申请暂停');
    assert.equal(p.listedAt, '2020-01-02');
    assert.deepEqual(p.trademarks!.split('; ').length, 2);
    assert.equal(p.niceClasses, '29; 30; 43');
    assert.equal(p.madrid, 'true');
    assert.equal(p.gi, 'false');
    const h = bySlug.get(hostile.slug)!;
    assert.equal(h.name, `'=HYPERLINK("http://evil.example")`, 'a formula is neutralised');
    assert.equal(h.keywords, `'+cmd; @sum; 普通,带逗号; 引号"内容`, 'the first list item starts the cell');
    assert.equal(h.giProduct, '青山-特产');
    assert.equal(h.gi, 'true');
    assert.equal(h.listedAt, '2021-03-04');
    // Every row is a real entry: compare a count per status with the database.
    const suspended = rows.filter((r) => r.status === '暂停').length;
    assert.equal(suspended, await DirectoryEntry.countDocuments({ status: '暂停' }));
  });

  it('when a registry is downloaded as JSON or NDJSON, then it parses to the same entries with typed values and only public fields', async () => {
    const json = await download('directory.json');
    assert.equal(json.status, 200);
    assert.equal(json.headers['transfer-encoding'], 'chunked');
    const arr = JSON.parse((json.body as Buffer).toString('utf8')) as Array<Record<string, unknown>>;
    assert.equal(arr.length, await DirectoryEntry.countDocuments());
    const h = arr.find((r) => r.slug === hostile.slug)!;
    assert.equal(h.name, '=HYPERLINK("http://evil.example")', 'JSON keeps the text as it is');
    assert.deepEqual(h.keywords, ['+cmd', '@sum', '普通,带逗号', '引号"内容']);
    const p = arr.find((r) => r.slug === plain.slug)!;
    assert.deepEqual(p.niceClasses, [29, 30, 43]);
    assert.equal(p.madrid, true);
    assert.equal(p.demo, false);
    for (const row of arr)
      assert.deepEqual(
        Object.keys(row),
        DATASETS.directory.columns.map((c) => c.key),
      );

    const nd = await download('certified.ndjson');
    assert.equal(nd.status, 200);
    const lines = (nd.body as Buffer)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, await Certificate.countDocuments());
    const cert = lines.find((r) => r.slug === plain.slug)!;
    assert.equal(cert.status, '过期', 'expiry is derived');
    assert.equal(cert.statusReason, null, 'reasons are public for suspensions and revocations only');
    assert.equal(cert.validUntil, '2019-01-01');

    for (const kind of ['famous', 'time-honored'] as const) {
      const res = await download(`${kind}.json`);
      const rows = JSON.parse((res.body as Buffer).toString('utf8')) as Array<Record<string, unknown>>;
      const model = kind === 'famous' ? FamousMark : TimeHonored;
      assert.equal(rows.length, await (model as mongoose.Model<any>).countDocuments(), kind);
      for (const row of rows) {
        assert.deepEqual(
          Object.keys(row),
          DATASETS[kind].columns.map((c) => c.key),
        );
        for (const banned of ['_id', 'brand', 'version', 'records', 'regulator']) assert.ok(!(banned in row), `${kind}: no ${banned}`);
        assert.match(String(row.slug), /^[a-z0-9][a-z0-9-]*$/, 'every entry found its brand');
      }
    }
  });

  it('when a download is asked for again with its ETag or Last-Modified, then the answer is 304; after a change it is a full answer again', async () => {
    cache.invalidate();
    await cache.get();
    const first = await download('famous.csv');
    assert.equal(first.status, 200);
    const etag = first.headers.etag;
    const lastModified = first.headers['last-modified'];
    assert.match(etag ?? '', /^W\/".+"$/);
    assert.ok(lastModified && !Number.isNaN(Date.parse(lastModified)));
    const again = await download('famous.csv', { 'If-None-Match': etag! });
    assert.equal(again.status, 304);
    assert.equal((again.body as Buffer).length, 0);
    const since = await download('famous.csv', { 'If-Modified-Since': lastModified! });
    assert.equal(since.status, 304);
    const otherFormat = await download('famous.json', { 'If-None-Match': etag! });
    assert.equal(otherFormat.status, 200, 'each format has its own ETag');

    // Its own famous mark (not a demo one: the demo data must stay as seeded).
    const { brand } = await createTestBrand({ slugPrefix: 'od-famous', name: `开放数据驰名${tag}`, directory: false });
    const entry = await createEntry<{ _id: unknown; version: number }>(
      FamousMark,
      {
        brand: brand._id,
        trademarkRegNo: `OD${Date.now().toString().slice(-8)}`,
        status: '一般保护',
        recognition: { date: new Date('2012-05-01'), authority: '国家知识产权局', documentNo: `OD-${tag}`, route: '行政认定' },
      },
      { actor: 'open-data-test' },
    );
    await updateEntry(FamousMark, entry._id as never, entry.version, { regulator: `开放数据测试${tag}` }, { actor: 'open-data-test' });
    cache.invalidate();
    await cache.get();
    const changed = await download('famous.csv', { 'If-None-Match': etag! });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.ok(!(changed.body as Buffer).toString('utf8').includes(`开放数据测试${tag}`), 'the regulator in charge is not published');
  });

  it('when an unknown file or a HEAD request is made, then 404 or headers only', async () => {
    assert.equal((await request(app).get('/open-data/brands.csv')).status, 404);
    assert.equal((await request(app).get('/open-data/directory.xlsx')).status, 404);
    assert.equal((await request(app).get('/open-data/directory.csv?x[$ne]=1')).status, 400);
    const head = await request(app).head('/open-data/time-honored.csv');
    assert.equal(head.status, 200);
    assert.match(head.headers['content-type'] ?? '', /text\/csv/);
  });

  it('when the export fails before the first byte, or too many run at once, then an ordinary error page comes back (not an attachment)', async () => {
    const render = createRenderer(path.join(ROOT, 'views'));
    const logger = createLogger('silent');
    const build = (opts: Partial<Parameters<typeof openDataRoutes>[0]>) => {
      const a = express();
      a.use(pageContext(testContext().config.PUBLIC_BASE_URL));
      a.use(openDataRoutes({ render, cache, logger, ...opts }));
      a.use(errorHandler(render, logger));
      return a;
    };
    const broken = build({
      sources: () => ({
        entries: async function* () {
          yield* [];
        },
        // eslint-disable-next-line require-yield -- a source that fails before its first row
        brands: async function* () {
          throw new Error('database went away');
        },
        estimatedEntries: async () => 10,
      }),
    });
    const failed = await request(broken).get('/open-data/famous.csv');
    assert.equal(failed.status, 500);
    assert.equal(failed.headers['content-disposition'], undefined);
    assert.ok(!String(failed.headers.etag ?? '').includes('od1-'), 'not the download validator');
    assert.match(failed.headers['cache-control'] ?? '', /no-store/);
    assert.ok(!failed.text.includes('database went away'), 'no internals');

    const busy = await request(build({ maxConcurrentExports: 0 })).get('/open-data/famous.csv');
    assert.equal(busy.status, 429);
    assert.equal(busy.headers['retry-after'], '30');
    assert.equal(busy.headers['content-disposition'], undefined);
  });

  it('when a cell starts with a formula character, then it is prefixed; other cells are untouched', () => {
    assert.deepEqual(['=1+1', '+1', '-1', '@x', '\tx', 'a=b', '', null, ['-a', 'b'], true, 3].map(csvCell), [
      "'=1+1",
      "'+1",
      "'-1",
      "'@x",
      "'\tx",
      'a=b',
      '',
      '',
      "'-a; b",
      'true',
      '3',
    ]);
  });
});

describe('open data: streaming 100,000 entries', function () {
  this.timeout(180_000);

  it('when 100,000 directory entries are exported, then every row comes out and the heap stays flat (no growth with the count)', async () => {
    const N = 100_000;
    const id = (i: number) => `b${String(i).padStart(8, '0')}`;
    async function* brands(): AsyncGenerator<BrandLite> {
      for (let i = 0; i < N; i++) {
        yield {
          _id: id(i),
          slug: `syn-${i}`,
          name: `江城品牌${i}`,
          company: `武汉江城品牌${i}有限公司`,
          creditCode: '91420100MA4K000000',
          district: '江汉区',
          sector: '三产',
          industry: '餐饮',
          keywords: ['热干面', '豆皮'],
          website: '',
          demo: true,
        };
      }
    }
    async function* trademarks(): AsyncGenerator<TrademarkLite> {
      for (let i = 0; i < N; i++) yield { brand: id(i), regNo: `9${String(i).padStart(9, '0')}`, niceClasses: [30, 43], madrid: i % 50 === 0 };
    }
    // Entries in a different order from their brands (every 7th first), as after years of edits.
    async function* entries(): AsyncGenerator<Record<string, any>> {
      for (let r = 0; r < 7; r++) {
        for (let i = r; i < N; i += 7)
          yield {
            brand: id(i),
            status: i % 40 ? '在册' : '暂停',
            advantage: i % 12 === 0,
            listedAt: new Date(Date.UTC(2019 + (i % 6), i % 12, 1)),
            statusChangedAt: new Date(Date.UTC(2020, 0, 1)),
            statusReason: '',
          };
      }
    }
    const sources: ExportSources = { brands, trademarks, entries, estimatedEntries: async () => N };

    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const baseline = heap();
    const samples: Array<{ rows: number; heap: number }> = [];
    let rows = 0;
    let bytes = 0;
    let missingBrands = 0;
    const ds = DATASETS.directory;
    const joined = (async function* () {
      for await (const row of joinedRows(ds, sources)) {
        if (!row.brand || row.trademarks.length !== 1) missingBrands++;
        rows++;
        if (rows % 20_000 === 0) samples.push({ rows, heap: heap() });
        yield row;
      }
    })();
    let lines = 0;
    for await (const chunk of serialize(ds, joined, 'csv')) {
      bytes += Buffer.byteLength(chunk);
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lines++;
    }
    assert.equal(rows, N);
    assert.equal(lines, N + 1, 'a header and one line per entry');
    assert.equal(missingBrands, 0, 'every entry joined its brand and trademark');
    assert.ok(bytes > N * 100, `about ${Math.round(bytes / 1e6)} MB written`);

    const growth = samples.map((s) => Math.round((s.heap - baseline) / 1e6));
    // 100,000 joined rows held at once take about 85 MB; the stream holds one batch (under 1 MB measured).
    assert.ok(Math.max(...growth) < 40, `heap growth stays under 40 MB while streaming (MB at each 20,000 rows: ${growth})`);
    const first = samples[0]!.heap;
    const last = samples[samples.length - 1]!.heap;
    assert.ok(last - first < 15e6, `no growth with the count: ${Math.round((last - first) / 1e6)} MB between 20,000 and 100,000 rows`);
  });
});
