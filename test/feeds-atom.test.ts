/**
 * Every kind of Atom feed (all changes, each registry, one brand, a followed search) is Atom 1.0
 * as a feed reader's parser (feedsmith) reads it: feed and entries carry id, title, updated and a
 * link, the feed is as new as its newest entry; a reader whose copy is current gets 304 with no
 * body, by ETag or by date; a change to the brand changes its feed's ETag.
 */
import assert from 'node:assert/strict';
import { parseAtomFeed, parseFeed } from 'feedsmith';
import request from 'supertest';
import { DirectoryEntry } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { KINDS } from '../src/registries/reference.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

describe('Atom feeds, read by a feed parser', function () {
  this.timeout(60_000);

  let slug = '';
  let directory: { _id: unknown; version: number };

  before(async () => {
    const { brand, directory: dir } = await createTestBrand({ slugPrefix: 'atom', name: '订阅解析品牌' });
    slug = String(brand.slug);
    directory = dir as { _id: unknown; version: number };
    await updateEntry(
      DirectoryEntry,
      directory._id as never,
      directory.version,
      { status: '暂停', statusReason: '待核实' },
      { actor: 'atom-test@bureau.example', reason: '待核实' },
    );
    directory.version += 1;
    await testContext().sync.drain();
  });

  const paths = () => [
    '/feeds/changes.atom',
    ...KINDS.map((k) => `/feeds/${k}.atom`),
    `/brands/${slug}/feed.atom`,
    `/brands/${slug}/feed.atom?lang=en`,
    `/search.atom?q=${encodeURIComponent('订阅解析品牌')}&kind=directory`,
    '/search.atom',
  ];

  it('when any feed is fetched, then it parses as Atom 1.0 with ids, titles, dates and links, and is as new as its newest entry', async () => {
    for (const path of paths()) {
      const res = await request(testContext().app).get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers['content-type'] ?? '', /^application\/atom\+xml/, path);
      const detected = parseFeed(res.text);
      assert.equal(detected.format, 'atom', `${path} is detected as Atom`);
      const feed = parseAtomFeed(res.text);
      assert.ok(feed.id, `${path}: feed id`);
      assert.ok(feed.title?.value, `${path}: feed title`);
      assert.ok(feed.updated, `${path}: feed updated`);
      assert.ok(!Number.isNaN(Date.parse(feed.updated)), `${path}: updated is a date`);
      assert.ok(
        feed.links?.some((l) => l.rel === 'self' && l.href),
        `${path}: a self link`,
      );
      const entries = feed.entries ?? [];
      if (path !== '/feeds/famous.atom' && path !== '/feeds/certified.atom') assert.ok(entries.length > 0, `${path}: has entries`);
      for (const e of entries) {
        assert.ok(e.id, `${path}: entry id`);
        assert.ok(e.title?.value, `${path}: entry title`);
        assert.ok(e.updated && !Number.isNaN(Date.parse(e.updated)), `${path}: entry updated`);
        assert.ok(
          e.links?.some((l) => l.href && /^http:\/\/localhost:3000\/brands\//.test(l.href)),
          `${path}: entry link`,
        );
      }
      assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, `${path}: entry ids are unique`);
      if (entries.length) {
        const newest = Math.max(...entries.map((e) => Date.parse(e.updated!)));
        assert.equal(Date.parse(feed.updated), newest, `${path}: feed updated is the newest entry's`);
        assert.equal(res.headers['last-modified'], new Date(newest).toUTCString(), `${path}: Last-Modified`);
      }
    }
    const brand = parseAtomFeed((await request(testContext().app).get(`/brands/${slug}/feed.atom`)).text);
    assert.ok(brand.entries?.some((e) => /状态由“在册”变为“暂停”/.test(e.title?.value ?? '')));
  });

  it('when a reader asks with its ETag or its date, then a current copy gets 304 with no body', async () => {
    for (const path of paths()) {
      const res = await request(testContext().app).get(path);
      const etag = res.headers.etag;
      const lastModified = res.headers['last-modified'];
      assert.ok(etag, `${path}: an ETag`);
      assert.ok(lastModified, `${path}: a Last-Modified`);
      const byTag = await request(testContext().app).get(path).set('If-None-Match', etag);
      assert.equal(byTag.status, 304, `${path}: If-None-Match`);
      assert.equal(byTag.text ?? '', '', `${path}: no body`);
      const byDate = await request(testContext().app).get(path).set('If-Modified-Since', lastModified);
      assert.equal(byDate.status, 304, `${path}: If-Modified-Since`);
      assert.equal(byDate.text ?? '', '', `${path}: no body`);
      const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
      const stale = await request(testContext().app).get(path).set('If-Modified-Since', older);
      assert.equal(stale.status, 200, `${path}: an older copy gets the feed`);
      const otherTag = await request(testContext().app).get(path).set('If-None-Match', 'W/"stale"');
      assert.equal(otherTag.status, 200, `${path}: another ETag gets the feed`);
    }
  });

  it('when the brand changes, then its feed’s ETag changes', async () => {
    const path = `/brands/${slug}/feed.atom`;
    const before = await request(testContext().app).get(path);
    await updateEntry(
      DirectoryEntry,
      directory._id as never,
      directory.version,
      { status: '在册', statusReason: '' },
      { actor: 'atom-test@bureau.example', reason: '已核实' },
    );
    directory.version += 1;
    const after = await request(testContext().app).get(path);
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.etag, before.headers.etag);
    const stale = await request(testContext().app).get(path).set('If-None-Match', before.headers.etag!);
    assert.equal(stale.status, 200, 'the old ETag is no longer current');
    assert.ok(parseAtomFeed(stale.text).entries?.some((e) => /状态由“暂停”变为“在册”/.test(e.title?.value ?? '')));
  });
});
