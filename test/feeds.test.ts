/**
 * Atom feeds of public changes: all registries, one registry, one brand. Valid Atom with the
 * newest change first, `updated` from the newest entry, 304 for a reader whose copy is current,
 * and never who made a change.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { DirectoryEntry } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const xml = (text: string) => cheerio.load(text, { xml: true });

describe('Atom feeds', function () {
  this.timeout(60_000);

  async function suspendedBrand() {
    const { brand, directory } = await createTestBrand({ slugPrefix: 'feed', name: '订阅测试品牌' });
    const dir = directory as { _id: unknown; version: number };
    await updateEntry(
      DirectoryEntry,
      dir._id as never,
      dir.version,
      { status: '暂停', statusReason: '待核实' },
      { actor: 'feed-regulator@bureau.example', reason: '待核实' },
    );
    return brand;
  }

  it('when a directory entry is suspended, then the all-changes and the directory feeds carry it first, as valid Atom, without the regulator', async () => {
    const brand = await suspendedBrand();
    for (const path of ['/feeds/changes.atom', '/feeds/directory.atom']) {
      const res = await request(testContext().app).get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers['content-type'] ?? '', /^application\/atom\+xml/);
      const $ = xml(res.text);
      assert.equal($('feed').attr('xmlns'), 'http://www.w3.org/2005/Atom');
      const first = $('entry').first();
      assert.match(first.find('title').text(), /订阅测试品牌 · 商标品牌名录：状态由“在册”变为“暂停”/, path);
      assert.match(first.find('summary').text(), /原因：待核实/);
      assert.equal(first.find('link').attr('href'), `http://localhost:3000/brands/${String(brand.slug)}`);
      assert.equal($('feed > updated').text(), first.find('updated').text(), 'the feed is as new as its newest entry');
      for (const el of ['id', 'title', 'updated']) assert.ok($(`feed > ${el}`).text(), `feed has ${el}`);
      assert.doesNotMatch(res.text, /feed-regulator@/);
    }
    const certified = await request(testContext().app).get('/feeds/certified.atom');
    assert.doesNotMatch(certified.text, /订阅测试品牌 · 商标品牌名录/, 'another registry’s feed does not carry it');
  });

  it('when a brand feed is read, then it holds the page’s history lines, and a reader with the current ETag gets 304', async () => {
    const brand = await suspendedBrand();
    const path = `/brands/${String(brand.slug)}/feed.atom`;
    const res = await request(testContext().app).get(path);
    assert.equal(res.status, 200);
    const titles = xml(res.text)('entry > title')
      .toArray()
      .map((e) => cheerio.load(e, { xml: true }).text());
    assert.ok(
      titles.some((t) => /状态由“在册”变为“暂停”/.test(t)),
      titles.join(' | '),
    );
    assert.ok(titles.some((t) => /列入商标品牌名录/.test(t)));
    const etag = res.headers.etag;
    assert.ok(etag, 'an ETag');
    const again = await request(testContext().app).get(path).set('If-None-Match', etag);
    assert.equal(again.status, 304);
    const en = await request(testContext().app).get(`${path}?lang=en`);
    assert.match(en.text, /xml:lang="en"/);
    assert.match(en.text, /status changed from/);
  });

  it('when a search is followed as a feed, then its entries are what the search finds, newest change first, with the search page as its alternate', async () => {
    const brand = await suspendedBrand();
    await testContext().sync.drain();
    const res = await request(testContext().app).get(`/search.atom?q=${encodeURIComponent('订阅测试品牌')}&kind=directory`);
    assert.equal(res.status, 200);
    const $ = xml(res.text);
    assert.match($('feed > title').text(), /“订阅测试品牌”的最新变化/);
    assert.equal($('feed > link[rel="alternate"]').attr('href'), `http://localhost:3000/search?q=${encodeURIComponent('订阅测试品牌')}&kind=directory`);
    const first = $('entry').first();
    assert.match(first.find('title').text(), /订阅测试品牌 · 商标品牌名录：暂停/);
    assert.equal(first.find('link').attr('href'), `http://localhost:3000/brands/${String(brand.slug)}`);
    const bad = await request(testContext().app).get('/search.atom?kind=nope');
    assert.equal(bad.status, 400, 'the search parameters are validated as on the page');
  });

  it('when a feed is asked for an unknown registry or brand, then it is a 404', async () => {
    assert.equal((await request(testContext().app).get('/feeds/nope.atom')).status, 404);
    assert.equal((await request(testContext().app).get('/brands/no-such-brand-xyz/feed.atom')).status, 404);
  });
});
