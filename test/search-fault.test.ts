/**
 * When the search engine is down: a regulator's edit still succeeds, public search degrades with a
 * clear message (never a 500 or a stack trace), readiness says so with the lag, and once the engine
 * is back the outbox catches the index up and the edit is findable.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/platform/logger.js';
import { Brand } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { SearchUnavailableError, type SearchIndex } from '../src/search/port.js';
import { IndexSync } from '../src/search/sync.js';
import { loginAs } from './support/admin.js';
import { testContext } from './support/context.js';
import { assertNoStackTrace, createTestBrand, encodeNonAscii } from './support/helpers.js';

/** Wraps a real adapter; while `down`, every call fails the way an unreachable engine does. */
class FlakyIndex implements SearchIndex {
  readonly name = 'flaky';
  down = false;
  constructor(private readonly inner: SearchIndex) {}
  private guard(): void {
    if (this.down) throw new SearchUnavailableError('connect ECONNREFUSED 127.0.0.1:7700 (simulated)');
  }
  async init() {
    this.guard();
    return this.inner.init();
  }
  async upsert(d: Parameters<SearchIndex['upsert']>[0]) {
    this.guard();
    return this.inner.upsert(d);
  }
  async remove(ids: string[]) {
    this.guard();
    return this.inner.remove(ids);
  }
  async search(q: Parameters<SearchIndex['search']>[0]) {
    this.guard();
    return this.inner.search(q);
  }
  async versions(ids: string[]) {
    this.guard();
    return this.inner.versions(ids);
  }
  async rebuild(f: Parameters<SearchIndex['rebuild']>[0]) {
    this.guard();
    return this.inner.rebuild(f);
  }
  async stats() {
    this.guard();
    return this.inner.stats();
  }
  async health() {
    this.guard();
    return this.inner.health();
  }
  async close() {}
}

describe('search engine unavailable', () => {
  it('when the engine is down, then edits succeed, search degrades clearly, and after recovery the edit is findable', async () => {
    const { index, config, sync: sharedSync, auditTrail } = testContext();
    await sharedSync.drain();
    const flaky = new FlakyIndex(index);
    const logger = createLogger('silent');
    const sync = new IndexSync(flaky, logger, { pollMs: 20 });
    const app = createApp({ config, logger, index: flaky, sync, auditTrail });
    const { brand } = await createTestBrand({ slugPrefix: 'fault', name: '停机前品牌' });
    await sync.drain();

    flaky.down = true;
    // A regulator's edit goes through the registry service and succeeds.
    const edited = await updateEntry<{ name: string; version: number }>(
      Brand,
      brand._id as never,
      brand.version as number,
      { name: '停机中改名品牌' },
      { actor: 'regulator@test', reason: '更名' },
    );
    assert.equal(edited.name, '停机中改名品牌');
    await assert.rejects(() => sync.runOnce(), SearchUnavailableError, 'the worker cannot index yet');
    assert.ok((await sync.lag()) > 0, 'the change waits in the outbox');

    const page = await request(app).get(encodeNonAscii('/search?q=停机中改名品牌'));
    assert.equal(page.status, 503);
    assert.match(page.text, /搜索服务暂时不可用/);
    assertNoStackTrace(page.text);
    const api = await request(app).get(encodeNonAscii('/api/v1/search?q=停机'));
    assert.equal(api.status, 503);
    assert.equal(api.body.error.code, 'search_unavailable');
    const ready = await request(app).get('/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.search.ok, false);
    assert.ok(ready.body.search.lag > 0, 'readiness reports the lag');
    const brandPage = await request(app).get(`/brands/${brand.slug}`);
    assert.equal(brandPage.status, 200, 'brand pages read MongoDB and keep working');
    assert.match(brandPage.text, /停机中改名品牌/);
    const home = await request(app).get('/');
    assert.equal(home.status, 200, 'the home page still renders');
    assert.match(home.text, /搜索服务暂时不可用/);

    flaky.down = false;
    await sync.drain();
    assert.equal(await sync.lag(), 0);
    const after = await request(app).get(encodeNonAscii('/api/v1/search?q=停机中改名品牌'));
    assert.equal(after.status, 200);
    assert.ok(
      after.body.hits.some((h: { slug: string }) => h.slug === brand.slug),
      'the edit is findable after recovery',
    );
  });

  it('when the index cannot be written, then /readyz answers 503 and says why, and is ready again once it catches up', async () => {
    const { index, config, auditTrail, sync: shared } = testContext();
    await shared.drain();
    // The engine answers (health, stats, search) but refuses every write, as with a bad setting.
    const refuse = async (): Promise<never> => {
      throw new Error('task 42 failed: invalid settings (simulated)');
    };
    const refusing: SearchIndex = {
      name: index.name,
      init: () => index.init(),
      upsert: refuse,
      remove: refuse,
      search: (query) => index.search(query),
      versions: (ids) => index.versions(ids),
      rebuild: refuse,
      stats: () => index.stats(),
      health: () => index.health(),
      close: async () => {},
    };
    const logger = createLogger('silent');
    const sync = new IndexSync(refusing, logger, { pollMs: 20, rebuildThreshold: 0 });
    const app = createApp({ config, logger, index: refusing, sync, auditTrail });
    await createTestBrand({ slugPrefix: 'unwritable', name: '写入失败品牌' });
    await assert.rejects(() => sync.runOnce(), /task \d+ failed/);

    const ready = await request(app).get('/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.search.ok, true, 'the engine itself answers');
    assert.ok(ready.body.search.lag > 0);
    assert.match(ready.body.search.syncError, /task \d+ failed/);
    assert.ok(
      ready.body.reasons.some((r: string) => /cannot be written/.test(r)),
      JSON.stringify(ready.body.reasons),
    );
    assert.equal(typeof ready.body.search.lagSeconds, 'number', 'how long the oldest change has waited');

    // The back office's overview shows the same, in words a regulator can pass on.
    const { agent } = await loginAs('viewer', { app });
    const $ = cheerio.load((await agent.get('/admin')).text);
    const worker = $('.sync-worker').first();
    assert.ok(worker.hasClass('sync-failing'), worker.attr('class'));
    assert.equal(worker.attr('role'), 'alert');
    assert.match(worker.text(), /失败，正在重试/);
    assert.match(worker.find('.sync-error').text(), /task 42 failed/);
    assert.ok(Number(worker.find('.sync-lag').text().replace(/,/g, '')) > 0);

    await shared.drain(); // the real index takes the waiting changes
    await sync.runOnce(); // and this worker's next pass finds nothing left to fail on
    const again = await request(app).get('/readyz');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.reasons, undefined);
    assert.equal(again.body.search.lagSeconds, 0);
    assert.ok(again.body.search.lastPassAt, 'when the worker last got through');
    const $ok = cheerio.load((await agent.get('/admin')).text);
    assert.ok($ok('.sync-worker').first().hasClass('sync-ok'), $ok('.sync-worker').first().text());
  });

  it('when more changes wait than READY_MAX_LAG, then /readyz answers 503 with the lag and the limit', async () => {
    const { sync, makeApp } = testContext();
    await sync.drain();
    const app = makeApp({ READY_MAX_LAG: 1 });
    await createTestBrand({ slugPrefix: 'behind', name: '积压品牌' }); // a brand and its directory entry: 2 changes
    const behind = await request(app).get('/readyz');
    assert.equal(behind.status, 503);
    assert.equal(behind.body.search.maxLag, 1);
    assert.ok(behind.body.search.lag >= 2);
    assert.ok(
      behind.body.reasons.some((r: string) => /changes behind \(limit 1\)/.test(r)),
      JSON.stringify(behind.body.reasons),
    );
    await sync.drain();
    assert.equal((await request(app).get('/readyz')).status, 200);
  });
});
