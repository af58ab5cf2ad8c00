/**
 * Public answers come from memory for a few seconds, and never hide an edit: a write applied in
 * this process and every search sync pass clear the cache at once.
 */
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createPageCache } from '../src/platform/page-cache.js';
import { Brand } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

function appWith(cache = createPageCache({ ttlMs: 60_000, exclude: ['/private'] })) {
  let renders = 0;
  const app = express();
  app.use((_req, res, next) => (res.setHeader('X-Request-Id', String(Math.random())), next()));
  app.use(cache.middleware);
  app.get('/page', (_req, res) => res.type('html').send(`<p>render ${++renders}</p>`));
  app.get('/json', (_req, res) => res.json({ renders: ++renders }));
  app.get('/private/page', (_req, res) => res.send(`private ${++renders}`));
  app.get('/cookie', (_req, res) => res.cookie('a', 'b').send(`cookie ${++renders}`));
  app.get('/missing', (_req, res) => res.status(404).send(`missing ${++renders}`));
  return { app, cache };
}

describe('page cache', () => {
  it('when a page is asked for twice, then the second answer is the stored body with its own request id and the same ETag', async () => {
    const { app, cache } = appWith();
    const a = await request(app).get('/page');
    const b = await request(app).get('/page');
    assert.equal(b.text, a.text);
    assert.equal(b.headers['content-type'], a.headers['content-type']);
    assert.equal(b.headers.etag, a.headers.etag);
    assert.notEqual(b.headers['x-request-id'], a.headers['x-request-id']);
    assert.deepEqual(cache.stats(), { hits: 1, misses: 1, entries: 1 });
    const c = await request(app).get('/page').set('If-None-Match', a.headers.etag!);
    assert.equal(c.status, 304, 'conditional requests still get 304 from memory');
    assert.deepEqual((await request(app).get('/json')).body, (await request(app).get('/json')).body);
  });

  it('when the cache is invalidated, then the next answer is rendered afresh', async () => {
    const { app, cache } = appWith();
    const a = await request(app).get('/page');
    cache.invalidate();
    const b = await request(app).get('/page');
    assert.notEqual(b.text, a.text);
  });

  it('when an answer is excluded, sets a cookie or is not a 200, then it is never stored', async () => {
    const { app, cache } = appWith();
    for (const p of ['/private/page', '/cookie', '/missing']) {
      const a = await request(app).get(p);
      const b = await request(app).get(p);
      assert.notEqual(b.text, a.text, p);
    }
    assert.equal(cache.stats().entries, 0);
  });

  it('when the ttl is 0, then nothing is stored', async () => {
    const { app } = appWith(createPageCache({ ttlMs: 0 }));
    assert.notEqual((await request(app).get('/page')).text, (await request(app).get('/page')).text);
  });

  it('when a brand is edited through the registry service, then its public page and API show the new value at once', async () => {
    const { slug, brand } = await createTestBrand({ slugPrefix: 'cache', name: '缓存测试甲' });
    await testContext().sync.drain();
    const app = testContext().app;
    assert.match((await request(app).get(`/brands/${slug}`)).text, /缓存测试甲/);
    assert.equal((await request(app).get(`/api/v1/brands/${slug}`)).body.name, '缓存测试甲');
    await updateEntry(Brand, brand._id as never, 1, { name: '缓存测试乙' }, { actor: 'tester', reason: '更名' });
    assert.match((await request(app).get(`/brands/${slug}`)).text, /缓存测试乙/);
    assert.equal((await request(app).get(`/api/v1/brands/${slug}`)).body.name, '缓存测试乙');
    // Search answers follow the index: after the sync pass, the new name is found.
    await testContext().sync.drain();
    const found = await request(app).get(`/api/v1/search?q=${encodeURIComponent('缓存测试乙')}`);
    assert.ok(
      found.body.hits.some((h: { slug: string }) => h.slug === slug),
      'found under the new name after the pass',
    );
  });
});
