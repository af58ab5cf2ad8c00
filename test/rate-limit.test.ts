/**
 * Rate limits that cost no database write per public request (docs/decisions/0008): the public
 * limiters answer the same 429 page, JSON and headers whether they count in memory or in the
 * batched shared store; in memory they write nothing to `rate_limits`; two batched stores (two
 * instances) over one collection agree after a flush; the exact store behind the sign-in limiter
 * counts per clock-aligned window in documents that the ExpirySweeper can remove.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import mongoose from 'mongoose';
import request from 'supertest';
import { ExpirySweeper } from '../src/platform/db/index.js';
import { BatchedRateLimitStore, MongoRateLimitStore, RATE_LIMIT_COLLECTION } from '../src/platform/rate-limit.js';
import { testContext } from './support/context.js';
import { encodeNonAscii } from './support/helpers.js';

const MINUTE = 60_000;
const stamp = Date.now().toString(36);
const SEARCH = encodeNonAscii('/search?q=热干面');
const API_SEARCH = encodeNonAscii('/api/v1/search?q=热干面');
const rateLimits = () => mongoose.connection.db!.collection<{ _id: string; hits: number; expiresAt: Date }>(RATE_LIMIT_COLLECTION);

/**
 * The shared stores count clock-aligned windows: a test that counts a few requests against a
 * real clock starts well inside a window, so they all fall in the same one.
 */
async function awayFromWindowEdge(windowMs: number, marginMs = 3_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** A clock the test moves by hand, starting at the beginning of a minute. */
function manualClock(start = Math.ceil(Date.now() / MINUTE) * MINUTE + 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('rate limits', () => {
  for (const shared of [false, true]) {
    const mode = shared ? 'shared (batched)' : 'in memory';
    it(`when a client goes over the public search limit (${mode}), then 429 with the Chinese page or the JSON error, not cached, with RateLimit headers`, async () => {
      const limited = testContext().makeApp({ RATE_LIMIT_SEARCH_PER_MIN: 3, RATE_LIMIT_SHARED: shared });
      await awayFromWindowEdge(MINUTE);
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(limited).get(i === 1 ? API_SEARCH : SEARCH);
        assert.equal(res.status, 200, `hit ${i + 1}`);
        remaining.push(/r=(\d+)/.exec(String(res.headers.ratelimit))?.[1] ?? '?');
      }
      assert.deepEqual(remaining, ['2', '1', '0'], 'the page and the API share one count');

      const page = await request(limited).get(SEARCH);
      assert.equal(page.status, 429);
      assert.match(page.headers['content-type'] ?? '', /text\/html/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.match(String(page.headers.ratelimit), /r=0; t=\d+/);
      assert.match(String(page.headers['ratelimit-policy']), /q=3; w=60/);
      const $ = cheerio.load(page.text);
      assert.equal($('h1').text().trim(), '请求过于频繁');
      assert.match($('main').text(), /搜索请求过于频繁/);

      const api = await request(limited).get(API_SEARCH).set('Accept', 'application/json');
      assert.equal(api.status, 429);
      assert.match(api.headers['content-type'] ?? '', /application\/json/);
      assert.equal(api.body.error.code, 'rate_limited');
      assert.equal(api.headers['cache-control'], 'no-store');
      assert.ok(api.headers.ratelimit, 'RateLimit header on the API too');
    });
  }

  it('when the shared mode is off, then public searches and certificate checks write nothing to rate_limits', async () => {
    // Limits of their own, so the keys this app would have written under the old store are known.
    const app = testContext().makeApp({ RATE_LIMIT_SEARCH_PER_MIN: 4321, RATE_LIMIT_VERIFY_PER_MIN: 4322 });
    const before = await rateLimits().countDocuments({});
    for (const path of [SEARCH, API_SEARCH, SEARCH, '/verify', '/verify/NOPE-2024-0000', '/api/v1/certificates/NOPE-2024-0000']) {
      const res = await request(app).get(path);
      assert.ok([200, 404].includes(res.status), `${path} → ${res.status}`);
      assert.ok(res.headers.ratelimit, `${path} is limited`);
    }
    const written = await rateLimits()
      .find({ _id: { $regex: '^(search:4321|verify:4322)/' } })
      .toArray();
    assert.deepEqual(written, []);
    assert.equal(await rateLimits().countDocuments({}), before);
  });

  describe('the batched shared store', () => {
    const collection = `rate_limits_batched_${stamp}`;
    const stores: BatchedRateLimitStore[] = [];
    /** One "instance": a store of its own over the shared collection, with a flush timer that never fires during a test. */
    const instance = (prefix: string, now: () => number) => {
      const store = new BatchedRateLimitStore(prefix, { collection, now, syncMs: 60 * MINUTE });
      store.init({ windowMs: MINUTE } as never);
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.shutdown()));
    });

    it('when two instances count one client, then neither writes per request and both agree on the total after each has flushed', async () => {
      const clock = manualClock();
      const a = instance('agree:', clock.now);
      const b = instance('agree:', clock.now);
      const hits = (s: BatchedRateLimitStore) => s.get('10.0.0.7')?.totalHits;
      for (let i = 0; i < 3; i++) a.increment('10.0.0.7');
      for (let i = 0; i < 2; i++) b.increment('10.0.0.7');
      assert.equal(hits(a), 3);
      assert.equal(hits(b), 2);
      const coll = mongoose.connection.db!.collection(collection);
      assert.equal(await coll.countDocuments({}), 0, 'nothing written before a flush');

      await a.flush();
      await b.flush();
      assert.equal(hits(b), 5, "b folded in a's hits with its own send");
      await a.flush();
      assert.equal(hits(a), 5, 'a re-read the total although it had nothing to send');
      const docs = await coll.find({}).toArray();
      assert.equal(docs.length, 1, 'one document per client and window');
      assert.equal(docs[0]!.hits, 5);
      assert.ok(docs[0]!.expiresAt instanceof Date, 'a date field the ExpirySweeper can use');
      assert.equal(docs[0]!.expiresAt.getTime(), Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE);

      assert.equal(a.increment('10.0.0.7').totalHits, 6, 'local hits count on top of the shared total at once');
      await a.flush();
      await b.flush();
      assert.equal(hits(b), 6);
    });

    it('when a decrement follows a hit, then the shared total gives the hit back; a new window starts at 1 on every instance', async () => {
      const clock = manualClock();
      const a = instance('window:', clock.now);
      const b = instance('window:', clock.now);
      a.increment('10.0.0.8');
      a.increment('10.0.0.8');
      a.decrement('10.0.0.8');
      b.increment('10.0.0.8');
      await a.flush();
      await b.flush();
      assert.equal(b.get('10.0.0.8')?.totalHits, 2);

      clock.advance(MINUTE);
      assert.equal(a.get('10.0.0.8'), undefined, 'the ended window counts for nothing');
      const next = a.increment('10.0.0.8');
      assert.equal(next.totalHits, 1);
      assert.equal(next.resetTime!.getTime(), Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE);
      await a.flush();
      b.increment('10.0.0.8');
      await b.flush();
      assert.equal(b.get('10.0.0.8')?.totalHits, 2, 'both instances moved to the same new window');
    });

    it('when a flush cannot reach the collection, then it rejects and the hits stay counted locally for the next one', async () => {
      const clock = manualClock();
      // An invalid collection name: the server refuses every write to it.
      const broken = new BatchedRateLimitStore('broken:', { collection: 'bad$name', now: clock.now, syncMs: 60 * MINUTE });
      broken.init({ windowMs: MINUTE } as never);
      stores.push(broken);
      broken.increment('10.0.0.9');
      broken.increment('10.0.0.9');
      await assert.rejects(broken.flush());
      assert.equal(broken.get('10.0.0.9')?.totalHits, 2);
      assert.equal(broken.increment('10.0.0.9').totalHits, 3);
    });
  });

  describe('the exact shared store (sign-in limiter)', () => {
    const collection = `rate_limits_exact_${stamp}`;

    it('when hits cross into the next window, then the count starts again at 1, and the sweeper removes only the ended window', async () => {
      const clock = manualClock();
      const store = new MongoRateLimitStore('exact:', { collection, now: clock.now });
      store.init({ windowMs: MINUTE } as never);
      assert.equal((await store.increment('10.0.1.1')).totalHits, 1);
      assert.equal((await store.increment('10.0.1.1')).totalHits, 2);
      clock.advance(MINUTE);
      const next = await store.increment('10.0.1.1');
      assert.equal(next.totalHits, 1);
      assert.equal(next.resetTime!.getTime(), Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE);

      const coll = mongoose.connection.db!.collection(collection);
      assert.equal(await coll.countDocuments({}), 2);
      const removed = await new ExpirySweeper([{ collection, field: 'expiresAt' }]).sweepOnce(new Date(clock.now()));
      assert.equal(removed, 1);
      assert.equal((await store.get('10.0.1.1'))?.totalHits, 1, 'the current window is kept');
    });

    it('when a decrement arrives just after its window ended, then the new window does not start below zero', async () => {
      const clock = manualClock();
      const store = new MongoRateLimitStore('exact-dec:', { collection, now: clock.now });
      store.init({ windowMs: MINUTE } as never);
      await store.increment('10.0.1.2');
      clock.advance(MINUTE);
      await store.decrement('10.0.1.2');
      assert.equal((await store.increment('10.0.1.2')).totalHits, 1);
    });
  });
});
