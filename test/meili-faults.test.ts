/**
 * Fault drills on a real Meilisearch (test/support/meili.ts starts one for this file alone,
 * because the drills kill it): the server killed in the middle of an outbox drain, a write the
 * server refuses as a failed task, and the keys — public search uses a search-only key and no
 * response carries the master key. Skipped, with one line, when there is no binary.
 *
 * The drills drain the shared outbox into Meilisearch; afterwards the shared embedded index is
 * rebuilt from MongoDB so the files that run later see every entry.
 */
import type { Express } from 'express';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/platform/logger.js';
import { MeiliSearchIndex, SETTINGS } from '../src/search/meili.js';
import { SearchUnavailableError, type SearchDoc, type SearchIndex, type SearchQuery } from '../src/search/port.js';
import { IndexSync, reindexAll } from '../src/search/sync.js';
import { testContext } from './support/context.js';
import { Certificate, createTestBrand, DirectoryEntry, encodeNonAscii } from './support/helpers.js';
import { MEILI_SKIPPED, meiliBinary, startMeili, testIndexUid, type MeiliServer } from './support/meili.js';

const silent = createLogger('silent');
const q = (text: string): SearchQuery => ({ q: text, filters: {}, sort: 'relevance', page: 1, pageSize: 100, facets: false });

/** Forwards to the adapter; on the `at`-th non-empty upsert it kills the server while that write is in flight. */
class CrashOnUpsert implements SearchIndex {
  readonly name = 'meilisearch';
  /** Sizes of the upserts seen, for the failure message. */
  readonly sizes: number[] = [];
  crashes = 0;
  constructor(
    private readonly inner: SearchIndex,
    private readonly crash: () => Promise<void>,
    private readonly at: number,
  ) {}
  init() {
    return this.inner.init();
  }
  async upsert(docs: SearchDoc[]) {
    this.sizes.push(docs.length);
    if (docs.length === 0 || this.sizes.filter((n) => n > 0).length !== this.at) return this.inner.upsert(docs);
    const write = this.inner.upsert(docs);
    write.catch(() => undefined); // awaited below, after the kill
    this.crashes++;
    await this.crash();
    return write;
  }
  remove(ids: string[]) {
    return this.inner.remove(ids);
  }
  search(query: SearchQuery) {
    return this.inner.search(query);
  }
  versions(ids: string[]) {
    return this.inner.versions(ids);
  }
  rebuild(fill: Parameters<SearchIndex['rebuild']>[0]) {
    return this.inner.rebuild(fill);
  }
  stats() {
    return this.inner.stats();
  }
  health() {
    return this.inner.health();
  }
  close() {
    return this.inner.close();
  }
}

/** Polls `check` every 50 ms until it holds; fails after `ms` (a bound, not a timing assertion). */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function adminFetch(server: MeiliServer, route: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${route}`, {
    ...init,
    headers: { Authorization: `Bearer ${server.masterKey}`, 'Content-Type': 'application/json', ...init.headers },
  });
  return (await res.json()) as { taskUid?: number; status?: string };
}

async function adminTask(server: MeiliServer, route: string, init: RequestInit = {}) {
  const { taskUid } = await adminFetch(server, route, init);
  await until(`task ${taskUid} done`, async () => ['succeeded', 'failed', 'canceled'].includes((await adminFetch(server, `/tasks/${taskUid}`)).status ?? ''));
}

describe('Meilisearch under faults', function () {
  this.timeout(180_000);
  let server: MeiliServer | null = null;
  let meili: MeiliSearchIndex;
  let uid: string;
  let app: Express;
  let sync: IndexSync;

  before(async function () {
    if (!meiliBinary()) {
      console.log(`  Meilisearch fault drills: ${MEILI_SKIPPED}`);
      this.skip();
    }
    server = await startMeili();
    uid = testIndexUid('faults');
    // No search key configured: the adapter must find the server's search-only key itself.
    meili = new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, indexUid: uid });
    await meili.init();
    await testContext().sync.drain();
    await reindexAll(meili);
    sync = new IndexSync(meili, silent, { pollMs: 20, rebuildThreshold: 0 });
    app = createApp({ config: testContext().config, logger: silent, index: meili, sync, auditTrail: testContext().auditTrail });
  });

  after(async function () {
    await sync?.stop();
    await server?.stop();
    if (server) await reindexAll(testContext().index);
  });

  it('when the public searches, then it uses a search-only key and no page or response carries the master key', async () => {
    const s = server!;
    const key = await meili.publicKey();
    assert.notEqual(key, s.masterKey);
    assert.equal(key, s.searchKey, "the server's default search key");
    const as = (k: string, route: string, init: RequestInit = {}) =>
      fetch(`${s.url}${route}`, { ...init, headers: { Authorization: `Bearer ${k}`, 'Content-Type': 'application/json' } });
    assert.equal((await as(key, `/indexes/${uid}/search`, { method: 'POST', body: '{"q":""}' })).status, 200, 'the key searches');
    assert.equal((await as(key, '/keys')).status, 403, 'the key cannot read keys');
    assert.equal((await as(key, `/indexes/${uid}/documents`, { method: 'POST', body: '[{"pk":"x"}]' })).status, 403, 'the key cannot write');

    // Public search needs nothing but that key: with a wrong admin key, searches still work and writes fail.
    const readOnly = new MeiliSearchIndex({ host: s.url, apiKey: 'not-the-master-key-0000', searchKey: key, indexUid: uid });
    assert.ok((await readOnly.search(q('蔡林记'))).hits.some((h) => h.doc.slug === 'cailinji'));
    assert.ok((await readOnly.stats()).documents > 0);
    const [doc] = (await readOnly.search(q('蔡林记'))).hits.map((h) => h.doc);
    await assert.rejects(() => readOnly.upsert([doc!]), /key|authori|invalid/i);
    // A "search key" that can manage keys is an admin key: refused before it serves the public.
    await assert.rejects(() => new MeiliSearchIndex({ host: s.url, apiKey: s.masterKey, searchKey: s.masterKey, indexUid: uid }).init(), /search-only key/);

    for (const path of [
      '/',
      '/search?q=蔡林记',
      '/search?q=cailinji&kind=directory',
      '/api/v1/search?q=蔡林记',
      '/brands/cailinji',
      '/readyz',
      '/search?q=%22',
    ]) {
      const res = await request(app).get(encodeNonAscii(path));
      assert.ok(res.status < 500, `${path} → ${res.status}`);
      assert.ok(!res.text.includes(s.masterKey), `${path} carries the master key`);
      assert.ok(!res.text.includes(key), `${path} carries the search key (searches run on the server)`);
    }
  });

  it('when Meilisearch is killed in the middle of an outbox drain and restarted, then every write reaches it', async () => {
    const s = server!;
    const made = [];
    for (const n of ['甲', '乙', '丙']) {
      // Brand, directory entry and certificate: a pass writes two kinds, so the crash falls between writes.
      made.push(
        await createTestBrand({
          slugPrefix: 'meili-crash',
          name: `断电演练${n}号`,
          certificate: { number: `CRASH-${Date.now().toString(36).toUpperCase()}-${n.charCodeAt(0)}`, product: `演练产品${n}` },
        }),
      );
    }
    const crashing = new CrashOnUpsert(meili, () => s.crash(), 2);
    const drill = new IndexSync(crashing, silent, { pollMs: 20, rebuildThreshold: 0 });
    const outcome = await drill.runOnce().then(
      (n) => `indexed ${n} changes`,
      (err: unknown) => err,
    );
    assert.equal(crashing.crashes, 1, `the server was killed during the second write of the pass (upserts: ${crashing.sizes.join(', ')})`);
    assert.ok(outcome instanceof SearchUnavailableError, `the pass fails when the engine dies: ${String(outcome)}`);
    assert.ok((await drill.lag()) > 0, 'the changes stay in the outbox');

    // While it is down: readiness says so with the lag, search degrades, no key in either.
    const ready = await request(app).get('/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.search.ok, false);
    assert.ok(ready.body.search.lag > 0);
    assert.ok(!ready.text.includes(s.masterKey));
    assert.equal((await request(app).get(encodeNonAscii('/api/v1/search?q=断电演练'))).status, 503);

    await s.restart();
    await drill.drain(60_000);
    assert.equal(await drill.lag(), 0);
    const ids: string[] = [];
    const expected = new Map<string, number>();
    for (const m of made) {
      const dir = await DirectoryEntry.findById(m.directory!._id).lean();
      const cert = await Certificate.findById(m.certificate!._id).lean();
      expected.set(`directory:${dir!._id}`, dir!.version as number);
      expected.set(`certified:${cert!._id}`, cert!.version as number);
    }
    ids.push(...expected.keys());
    assert.deepEqual(await meili.versions(ids), expected, 'every entry written before the crash is held at its saved version');
    const body = (await request(app).get(encodeNonAscii('/api/v1/search?q=断电演练&pageSize=50'))).body as { hits: Array<{ slug: string; kind: string }> };
    for (const m of made) {
      assert.ok(
        body.hits.some((h) => h.slug === m.slug && h.kind === 'directory'),
        `${m.slug} directory entry findable`,
      );
      assert.ok(
        body.hits.some((h) => h.slug === m.slug && h.kind === 'certified'),
        `${m.slug} certificate findable`,
      );
    }
  });

  it('when Meilisearch refuses a write (a failed task), then the worker reports it with the lag, never as a success, and catches up once fixed', async () => {
    const s = server!;
    // An operator recreates the index by hand with another primary key and our settings: reads
    // work, every document addition now fails as a task.
    await adminTask(s, `/indexes/${uid}`, { method: 'DELETE' });
    await adminTask(s, '/indexes', { method: 'POST', body: JSON.stringify({ uid, primaryKey: 'id' }) });
    await adminTask(s, `/indexes/${uid}/settings`, { method: 'PATCH', body: JSON.stringify(SETTINGS) });

    const made = await createTestBrand({ slugPrefix: 'meili-refused', name: '拒收演练号' });
    await assert.rejects(
      () => sync.runOnce(),
      (err: Error) => !(err instanceof SearchUnavailableError) && /task \d+ failed/.test(err.message),
      'a failed task is an error',
    );
    assert.ok((await sync.lag()) > 0, 'nothing was marked indexed');

    sync.start();
    await until('reporting the failure', () => sync.lastError !== null);
    const ready = await request(app).get('/readyz');
    assert.equal(ready.body.search.ok, true, 'the engine itself answers');
    assert.ok(ready.body.search.lag > 0, 'readiness shows the lag');
    assert.match(ready.body.search.syncError, /task \d+ failed/, 'and why');
    await sync.stop();

    // Fixed: the index is dropped and the adapter recreates it; the worker catches up.
    await adminTask(s, `/indexes/${uid}`, { method: 'DELETE' });
    await meili.init();
    sync.start();
    await until('caught up', async () => sync.lastError === null && (await sync.lag()) === 0, 60_000);
    await sync.stop();
    const hits = (await meili.search(q('拒收演练号'))).hits;
    assert.ok(
      hits.some((h) => h.doc.slug === made.slug),
      'the refused write arrived',
    );
    assert.equal((await request(app).get('/readyz')).body.search.syncError, undefined);
  });
});
