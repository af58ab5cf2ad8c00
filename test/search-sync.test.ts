/**
 * The sync worker reacts to this process's writes at once instead of polling fast, fans brand and
 * trademark changes out to the entries that show them, and the change log does not grow forever:
 * settled changes past the retention are compacted without weakening the version claims.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { AuditEvent } from '../src/audit/index.js';
import { Change, CHANGE_RETENTION_MS, changeId, compactChanges, registerChangeReader, type ChangeDoc } from '../src/registries/changes.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { Brand, Trademark } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { createLogger } from '../src/platform/logger.js';
import { IndexSync } from '../src/search/sync.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const DAY = 24 * 3600_000;
const search = async (q: string) => testContext().index.search({ q, filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: false });

/** Waits for `check` to hold, giving up (and failing) after `limitMs`. */
async function eventually(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what} did not happen within ${limitMs} ms`);
}

/** A settled change written straight into the log, at a date of our choosing. */
function probeChange(id: string, model: string, at: Date, over: Partial<ChangeDoc> = {}) {
  return {
    _id: id,
    model,
    entryId: new mongoose.Types.ObjectId(),
    version: 2,
    op: 'update',
    set: { name: 'x' },
    before: { name: 'y' },
    entryIds: [],
    actor: 'tester',
    reason: '',
    at,
    status: 'applied',
    appliedAt: at,
    error: '',
    indexed: true,
    audited: true,
    ...over,
  };
}

describe('search sync and change-log compaction', () => {
  describe('waking on writes', () => {
    let worker: IndexSync | null = null;
    afterEach(async () => {
      await worker?.stop();
      worker = null;
    });

    it('when the worker runs with a slow timer and this process writes, then the write is indexed without waiting for the timer', async () => {
      const { index, sync } = testContext();
      await sync.drain();
      // Ten minutes between polls: only the write's own notification can explain a quick pass.
      worker = new IndexSync(index, createLogger('silent'), { pollMs: 600_000, idleMaxMs: 600_000 });
      worker.start();
      await eventually(async () => (await worker!.lag()) === 0, 20_000, 'the first pass');
      const { brand } = await createTestBrand({ slugPrefix: 'wake', name: '唤醒测试品牌' });
      await eventually(async () => (await search('唤醒测试品牌')).hits.some((h) => h.doc.slug === brand.slug), 20_000, 'indexing of the new brand');
      assert.equal((await Change.findById(changeId('Brand', brand._id, 1)).lean())!.indexed, true);
    });
  });

  it('when a trademark gets another Nice class, then the directory entry showing it is reindexed with the class', async () => {
    const { sync } = testContext();
    const { brand } = await createTestBrand({ slugPrefix: 'fanout', name: '扇出测试品牌' });
    const tm = await createEntry<{ _id: mongoose.Types.ObjectId; version: number }>(Trademark, {
      regNo: `FO${Date.now().toString().slice(-8)}`,
      brand: brand._id,
      mark: '扇出',
      niceClasses: [29],
      validFrom: new Date(Date.UTC(2020, 0, 1)),
      validTo: new Date(Date.UTC(2030, 0, 1)),
    });
    await sync.drain();
    const classes = async () => (await search('扇出测试品牌')).hits.find((h) => h.doc.kind === 'directory' && h.doc.slug === brand.slug)?.doc.niceClasses;
    assert.deepEqual(await classes(), [29]);
    await updateEntry(Trademark, tm._id, tm.version, { niceClasses: [29, 35] });
    await sync.drain();
    assert.deepEqual(await classes(), [29, 35]);
  });

  describe('compaction', () => {
    // Changes dated January 2020, compacted "as of" February: nothing else in the test database
    // is that old, so the shared stack is left alone.
    const now = new Date(Date.UTC(2020, 1, 10));
    const old = (day: number) => new Date(Date.UTC(2020, 0, day));

    it('when settled changes are indexed, audited and past the retention, then they are deleted and everything still needed stays', async () => {
      const tag = `Probe${Date.now().toString(36)}`;
      const docs = [
        probeChange(`${tag}:a`, tag, old(2)),
        probeChange(`${tag}:b`, tag, old(3), { status: 'failed' }),
        probeChange(`${tag}:newest`, tag, old(4)),
        probeChange(`${tag}:pending`, tag, old(2), { status: 'pending', appliedAt: null, indexed: false, audited: false }),
        probeChange(`${tag}:unindexed`, tag, old(2), { indexed: false }),
        probeChange(`${tag}:unaudited`, tag, old(2), { audited: false }),
        probeChange(`${tag}:recent`, tag, new Date(now.getTime() - 2 * DAY)),
      ];
      await Change.collection.insertMany(docs as never[]);
      let left: Set<string>;
      let report: Awaited<ReturnType<typeof compactChanges>>;
      try {
        report = await compactChanges({ olderThan: 30 * DAY, now });
        left = new Set((await Change.find({ model: tag }).select('_id').lean()).map((c) => c._id));
      } finally {
        // The probes name no real model: the shared worker must never see them.
        await Change.deleteMany({ model: tag });
      }
      assert.deepEqual([...left].sort(), [`${tag}:newest`, `${tag}:pending`, `${tag}:recent`, `${tag}:unaudited`, `${tag}:unindexed`].sort());
      assert.ok(report.removed >= 2, 'the old applied and failed changes were removed');
      assert.equal(CHANGE_RETENTION_MS, 30 * DAY, 'the default retention is the documented 30 days');
    });

    it('when another reader of the log (the e-mail alerts) has not read old changes yet, then compaction keeps them until it has', async () => {
      const tag = `Reader${Date.now().toString(36)}`;
      const docs = [probeChange(`${tag}:read`, tag, old(2)), probeChange(`${tag}:unread`, tag, old(4)), probeChange(`${tag}:newest`, tag, old(6))];
      await Change.collection.insertMany(docs as never[]);
      // The reader stopped between the two: it has taken in `read`, not `unread`.
      let position: Date | null = old(3);
      const unregister = registerChangeReader(`test-${tag}`, () => Promise.resolve(position));
      try {
        await compactChanges({ olderThan: 30 * DAY, now });
        const left = async () => new Set((await Change.find({ model: tag }).select('_id').lean()).map((c) => c._id));
        assert.deepEqual([...(await left())].sort(), [`${tag}:newest`, `${tag}:unread`].sort(), 'the read one goes, the unread one stays');
        position = old(5);
        await compactChanges({ olderThan: 30 * DAY, now });
        assert.deepEqual([...(await left())], [`${tag}:newest`], 'once read, it goes too');
      } finally {
        unregister();
        await Change.deleteMany({ model: tag });
      }
    });

    it('when the claims of old versions are compacted away, then a writer based on an old version is still refused and the current one still writes', async () => {
      const { sync } = testContext();
      const slug = `compact-${Date.now().toString(36)}`;
      const ctx = (day: number) => ({ actor: 'tester', now: old(day) });
      const brand = await createEntry<{ _id: mongoose.Types.ObjectId; version: number }>(
        Brand,
        {
          slug,
          name: '压缩测试品牌',
          company: '武汉压缩测试有限公司',
          creditCode: demoCreditCode(slug),
          district: '江汉区',
          sector: '二产',
          industry: '食品制造',
          keywords: [],
          description: '压缩测试。',
        },
        ctx(2),
      );
      const id = brand._id;
      for (let v = 1; v <= 3; v++) await updateEntry(Brand, id, v, { description: `第${v}次修改。` }, { ...ctx(3 + v), reason: '测试' });
      const current = 4;
      await sync.drain();
      const eventsBefore = await AuditEvent.countDocuments({ entryId: String(id) });

      await compactChanges({ olderThan: 30 * DAY, now });
      for (let v = 1; v < current; v++) assert.equal(await Change.exists({ _id: changeId('Brand', id, v) }), null, `claim of version ${v} compacted`);
      assert.ok(await Change.exists({ _id: changeId('Brand', id, current) }), 'the newest Brand change stays (last-changed dates)');
      assert.equal(await AuditEvent.countDocuments({ entryId: String(id) }), eventsBefore, 'the audit trail keeps every event');

      await assert.rejects(
        () => updateEntry(Brand, id, 2, { description: '过时的修改。' }),
        (err: { code?: string }) => err.code === 'conflict',
        'a writer based on a compacted version is refused by the version check',
      );
      assert.equal((await Brand.findById(id).lean())!.version, current, 'and wrote nothing');
      const next = await updateEntry<{ version: number }>(Brand, id, current, { description: '当前版本的修改。' });
      assert.equal(next.version, current + 1);
      await sync.drain();
    });
  });
});
