/**
 * The data layer can be trusted: no reply of the database is ever served as the answer to another
 * request, equality look-ups are answered by indexes on the local server, and the layer picks the
 * right operations for the server it talks to.
 *
 * The crossed replies seen under load came from an unacknowledged write (`w: 0`, OP_MSG
 * moreToCome): the local server answered it anyway, and every later reply on that pooled
 * connection was one behind (docs/decisions/0007). The first test reproduces exactly that on a
 * connection of its own; the mixed-load test drives the whole app with such writes in between.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import request from 'supertest';
import { SESSION_COLLECTION } from '../src/accounts/session.js';
import { capabilitiesOf, countAll, crossedReplies, detectServer, ExpirySweeper, findByIds, serverInfo, updateByIds } from '../src/platform/db/index.js';
import { guardedConnectionOption } from '../src/platform/db/reply-guard.js';
import { startWireProxy, type WireProxy } from '../src/platform/db/wire-proxy.js';
import { Brand, Certificate } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { loginAs } from './support/admin.js';
import { testContext } from './support/context.js';

const target = () => {
  const u = new URL(testContext().mongo.uri);
  return { host: u.hostname, port: Number(u.port) };
};

/** A client of its own through a proxy, one pooled connection, so every request shares it. */
async function clientThrough(proxy: WireProxy, guarded: boolean): Promise<MongoClient> {
  const client = new MongoClient(proxy.uri, { maxPoolSize: 1, directConnection: true, ...(guarded ? guardedConnectionOption : {}) });
  await client.connect();
  return client;
}

describe('data layer', () => {
  describe('replies always answer their own request', () => {
    let proxy: WireProxy;
    afterEach(async () => proxy?.close());

    it('when an unacknowledged write (w: 0) is followed by reads on the same connection, then each read gets its own document and the server sends no reply to the write', async () => {
      proxy = await startWireProxy({ target: target(), onAnomaly: 'forward' });
      // Unguarded on purpose: this checks the server, not the driver's guard.
      const client = await clientThrough(proxy, false);
      try {
        const db = client.db(testContext().dbName);
        const coll = db.collection<{ _id: string; name: string }>('wire_check');
        await coll.insertMany([
          { _id: 'a', name: '甲' },
          { _id: 'b', name: '乙' },
          { _id: 'gone', name: '丙' },
        ]);
        // What connect-mongo's interval sweep sent.
        await coll.deleteMany({ _id: 'gone' }, { writeConcern: { w: 0 } });
        for (const id of ['a', 'b', 'a', 'b']) {
          const doc = await coll.findOne({ _id: id });
          assert.equal(doc?._id, id, `find ${id} answered with ${JSON.stringify(doc)}`);
        }
        assert.deepEqual(proxy.anomalies, [], 'no reply the client did not ask for');
        assert.equal(proxy.commands.get('delete'), 1);
      } finally {
        await client.close();
      }
    });

    it('when a server answers one request twice, then the guard closes that connection and the next read still gets its own document', async () => {
      let duplicate = true;
      proxy = await startWireProxy({
        target: target(),
        // The first reply to a find is sent twice, as a misbehaving server would.
        injectAfterReply: (reply, command) => (command === 'find' && duplicate ? ((duplicate = false), Buffer.from(reply)) : null),
      });
      const client = await clientThrough(proxy, true);
      const before = crossedReplies;
      try {
        const coll = client.db(testContext().dbName).collection<{ _id: string; name: string }>('wire_check2');
        await coll.insertMany([
          { _id: 'x', name: '甲' },
          { _id: 'y', name: '乙' },
        ]);
        assert.equal((await coll.findOne({ _id: 'x' }))?._id, 'x');
        // The duplicate is waiting on the connection: without the guard this read would get x.
        assert.equal((await coll.findOne({ _id: 'y' }))?._id, 'y', 'the read is retried on a fresh connection');
        assert.equal((await coll.findOne({ _id: 'x' }))?._id, 'x');
        assert.equal(crossedReplies - before, 1, 'the guard caught the extra reply once');
      } finally {
        await client.close();
      }
    });

    it('when public pages, the API, signed-in back-office pages, edits, the sync worker and unacknowledged writes run at once, then no answer is a 5xx and every brand answer is the brand asked for', async function () {
      this.timeout(120_000);
      const ctx = testContext();
      // Certificate checks are limited per client; this test is one client asking often.
      const app = ctx.makeApp({ RATE_LIMIT_VERIFY_PER_MIN: 100_000 });
      const { agent } = await loginAs('viewer', { app });
      const brands = (await Brand.find({ slug: mongoose.trusted({ $in: ['cailinji', 'sijimei', 'wangyuxia', 'jingwu', 'wufangzhai'] }) })
        .select('slug name')
        .lean()) as Array<{ slug: string; name: string }>;
      assert.equal(brands.length, 5, 'demo brands present');
      const cert = (await Certificate.findOne({ status: '有效' }).select('number').lean()) as { number: string };
      const edited = (await Brand.findOne({ slug: 'jingwu' }).lean()) as { _id: unknown; version: number; description: string };
      const before = crossedReplies;
      const failures: string[] = [];
      let served = 0;
      let stop = false;

      const publicJob = async (i: number) => {
        const b = brands[i % brands.length]!;
        switch (i % 4) {
          case 0: {
            const res = await request(app).get(`/brands/${b.slug}`);
            const h1 = cheerio.load(res.text)('h1').first().text();
            if (res.status !== 200 || !h1.includes(b.name)) failures.push(`/brands/${b.slug} → ${res.status} "${h1}"`);
            break;
          }
          case 1: {
            const res = await request(app).get(`/api/v1/brands/${b.slug}`);
            if (res.status !== 200 || res.body.slug !== b.slug || res.body.name !== b.name)
              failures.push(`/api/v1/brands/${b.slug} → ${res.status} ${String(res.body.slug)}`);
            break;
          }
          case 2: {
            const res = await request(app).get(`/verify/${cert.number}`);
            if (res.status !== 200 || !res.text.includes(cert.number)) failures.push(`/verify/${cert.number} → ${res.status}`);
            break;
          }
          default: {
            const res = await request(app).get(`/search?q=${encodeURIComponent(b.name)}`);
            if (res.status >= 500) failures.push(`/search → ${res.status}`);
          }
        }
      };
      const adminJob = async (i: number) => {
        const path = ['/admin/due', '/admin/brands', '/admin/directory', '/admin'][i % 4]!;
        const res = await agent.get(path);
        if (res.status !== 200) failures.push(`${path} → ${res.status}`);
      };
      const background = (async () => {
        const db = mongoose.connection.db!;
        let version = edited.version;
        for (let n = 0; !stop; n++) {
          // An unacknowledged write on the app's own pool, between everything else.
          await db.collection(SESSION_COLLECTION).deleteMany({ expires: { $lt: new Date(0) } }, { writeConcern: { w: 0 } });
          if (n % 5 === 0) {
            const saved = await updateEntry<{ version: number }>(
              Brand,
              edited._id as never,
              version,
              { description: `${edited.description}（${n}）` },
              { actor: 'load-test', reason: '并发测试' },
            );
            version = saved.version;
            await ctx.sync.runOnce();
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        await updateEntry(Brand, edited._id as never, version, { description: edited.description }, { actor: 'load-test', reason: '恢复' });
      })();

      const workers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < 320; i += 8) {
          await (w % 4 === 3 ? adminJob(i) : publicJob(i));
          served++;
        }
      });
      await Promise.all(workers);
      stop = true;
      await background;
      await ctx.sync.drain();
      assert.deepEqual(failures, [], `${failures.length} of ${served} answers were wrong`);
      assert.equal(crossedReplies - before, 0, 'no crossed reply reached the guard');
    });
  });

  describe('server detection and operations', () => {
    it('when the server is FerretDB or MongoDB, then the layer tells them apart from buildInfo and picks native TTL, $inc and counts only on MongoDB', () => {
      assert.deepEqual(detectServer({ version: '7.0.77', ferretdbVersion: 'v1.24.2' }), { kind: 'ferretdb', version: 'v1.24.2' });
      assert.deepEqual(detectServer({ version: '8.0.4', gitVersion: 'abc' }), { kind: 'mongodb', version: '8.0.4' });
      assert.deepEqual(capabilitiesOf('mongodb'), { ttlIndexes: true, atomicIncrement: true, cheapFullCount: true });
      assert.deepEqual(capabilitiesOf('ferretdb'), { ttlIndexes: false, atomicIncrement: false, cheapFullCount: false });
      assert.equal(serverInfo().kind, testContext().mongo.engine === 'mongod' ? 'mongodb' : 'ferretdb');
    });

    it('when many documents are read or marked by id, then $in answers with exactly those documents', async () => {
      const all = (await Brand.find().select('_id slug').limit(30).lean()) as Array<{ _id: unknown; slug: string }>;
      const wanted = all.slice(0, 25);
      const found = await findByIds(Brand, [...wanted.map((b) => b._id), new mongoose.Types.ObjectId()], 'slug');
      assert.deepEqual(found.map((b) => String(b._id)).sort(), wanted.map((b) => String(b._id)).sort());
      const coll = mongoose.connection.db!.collection('mark_check');
      await coll.insertMany(Array.from({ length: 1200 }, (_, i) => ({ _id: `m${i}` as never, marked: false })));
      const ids = Array.from({ length: 1100 }, (_, i) => `m${i}`);
      const MarkCheck = (mongoose.models.MarkCheck ??
        mongoose.model('MarkCheck', new mongoose.Schema({ _id: String, marked: Boolean }), 'mark_check')) as unknown as mongoose.Model<any>;
      assert.equal(await updateByIds(MarkCheck, ids, { $set: { marked: true } }), 1100, 'chunks of ids all applied');
      assert.equal(await coll.countDocuments({ marked: true }), 1100);
      assert.equal(await countAll(MarkCheck), 1200);
    });

    it('when a session has ended, then one sweep removes it and keeps the live ones', async () => {
      const coll = mongoose.connection.db!.collection(SESSION_COLLECTION);
      await coll.insertMany([
        { _id: 'sweep-ended' as never, expires: new Date(Date.now() - 60_000), session: {} },
        { _id: 'sweep-live' as never, expires: new Date(Date.now() + 600_000), session: {} },
      ]);
      const sweeper = new ExpirySweeper([{ collection: SESSION_COLLECTION, field: 'expires' }], 60_000);
      await sweeper.start();
      try {
        if (!capabilitiesOf(serverInfo().kind).ttlIndexes) assert.ok((await sweeper.sweepOnce()) >= 1);
        else await sweeper.sweepOnce();
        assert.equal(await coll.countDocuments({ _id: 'sweep-ended' as never }), 0);
        assert.equal(await coll.countDocuments({ _id: 'sweep-live' as never }), 1);
      } finally {
        await sweeper.stop();
      }
    });
  });

  describe('equality look-ups use indexes on the local server', () => {
    const plan = async (collection: string, filter: Record<string, unknown>) => {
      // Statistics asked for first (countAll does): they must not talk SQLite out of the index.
      await mongoose.connection.db!.command({ collStats: collection });
      const res = await mongoose.connection.db!.command({ explain: { find: collection, filter } });
      return JSON.stringify(res.queryPlanner ?? res);
    };
    before(function () {
      if (serverInfo().kind !== 'ferretdb') this.skip();
    });

    for (const [collection, filter] of [
      ['brands', { slug: 'cailinji' }],
      ['certificates', { number: 'WHJP-2023-0001' }],
      ['trademarks', { regNo: '12345678' }],
      ['brands', { creditCode: '91420100MA4KX0000X' }],
      ['changes', { indexed: false }],
      ['sessions', { _id: 'abc' }],
      ['trademarks', { brand: new mongoose.Types.ObjectId() }],
      ['trademarks', { validTo: { $gte: new Date('2026-01-01'), $lte: new Date('2026-04-01') } }],
    ] as const) {
      it(`when ${collection} are looked up by ${Object.keys(filter).join(', ')}, then the query plan searches an index instead of scanning`, async () => {
        const p = await plan(collection, filter as Record<string, unknown>);
        assert.match(p, /SEARCH \S+ USING (COVERING )?INDEX/, p);
        assert.doesNotMatch(p, /SCAN /, p);
      });
    }
  });
});
