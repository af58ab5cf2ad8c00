/**
 * Nothing is lost between MongoDB and the search index: every write claims its version in the
 * change log first, so a writer that dies half-way is finished by the sync worker, and the index
 * catches up with writes made while nobody was indexing.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { Change, CHANGE_LEASE_MS, changeId } from '../src/registries/changes.js';
import { Brand, DirectoryEntry } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { reindexAll } from '../src/search/sync.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const search = async (q: string) => testContext().index.search({ q, filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: false });

describe('change log and search sync', () => {
  it('when a write is made, then its change is recorded with before/after values and indexed after a sync pass', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'log', name: '日志甲品牌' });
    await testContext().sync.drain();
    const updated = await updateEntry<{ version: number }>(Brand, brand._id as never, 1, { name: '日志乙品牌' }, { actor: 'tester', reason: '更名' });
    const change = await Change.findById(changeId('Brand', brand._id, 2)).lean();
    assert.ok(change, 'a change claimed version 2');
    assert.equal(change!.status, 'applied');
    assert.equal(change!.actor, 'tester');
    assert.equal(change!.reason, '更名');
    assert.deepEqual(change!.set, { name: '日志乙品牌' });
    assert.deepEqual(change!.before, { name: '日志甲品牌' });
    assert.equal(updated.version, 2);
    assert.equal(change!.indexed, false, 'not indexed until the worker runs');
    await testContext().sync.drain();
    assert.equal((await Change.findById(change!._id).lean())!.indexed, true);
    const hits = (await search('日志乙品牌')).hits.filter((h) => h.doc.slug === brand.slug);
    assert.ok(hits.length > 0, 'the new name is findable');
    // The old name no longer matches; a search for it may still show the brand only by leaving words out, and says so.
    const old = await search('日志甲品牌');
    assert.ok(old.relaxed || old.hits.every((h) => h.doc.slug !== brand.slug), `the old name is not: ${JSON.stringify(old.relaxed)}`);
  });

  it('when a writer claims a version and dies before writing the entry, then the worker rolls the change forward after the lease', async () => {
    const { brand, directory } = await createTestBrand({ slugPrefix: 'crash', name: '断电测试品牌' });
    await testContext().sync.drain();
    // Simulate the crash: the change is claimed (intent recorded) but the entry was never written.
    const at = new Date(Date.now() - CHANGE_LEASE_MS - 1000);
    await Change.collection.insertOne({
      _id: changeId('DirectoryEntry', directory!._id, 2),
      model: 'DirectoryEntry',
      entryId: directory!._id,
      version: 2,
      op: 'update',
      set: { status: '暂停', statusReason: '断电前的修改', statusChangedAt: at },
      before: { status: '在册' },
      entryIds: [],
      actor: 'tester',
      reason: '断电前的修改',
      at,
      status: 'pending',
      appliedAt: null,
      error: '',
      indexed: false,
    } as never);
    const meanwhile = await DirectoryEntry.findById(directory!._id).lean();
    assert.equal(meanwhile!.version, 1, 'the entry itself was not written');
    await assert.rejects(
      () => updateEntry(DirectoryEntry, directory!._id as mongoose.Types.ObjectId, 1, { statusReason: '另一位的修改' }),
      (err: { code?: string }) => err.code === 'conflict',
      'a second writer cannot take the claimed version',
    );
    await testContext().sync.drain();
    const after = await DirectoryEntry.findById(directory!._id).lean();
    assert.equal(after!.version, 2);
    assert.equal(after!.status, '暂停');
    assert.equal(after!.statusReason, '断电前的修改');
    const hit = (await search(brand.name as string)).hits.find((h) => h.doc.kind === 'directory' && h.doc.slug === brand.slug);
    assert.ok(hit, 'the entry is in the index');
    assert.equal(hit!.status, '暂停', 'with the rolled-forward status');
  });

  it('when changes pile up while the worker is stopped, then one drain catches the index up and lag returns to 0', async () => {
    const { sync } = testContext();
    await sync.drain();
    const made = await Promise.all([1, 2, 3].map((i) => createTestBrand({ slugPrefix: 'backlog', name: `积压品牌${i}号` })));
    assert.ok((await sync.lag()) >= 3, 'lag counts the waiting changes');
    await sync.drain();
    assert.equal(await sync.lag(), 0);
    for (const m of made) assert.ok((await search(m.brand.name as string)).hits.some((h) => h.doc.slug === m.brand.slug));
  });

  it('when the index is rebuilt from MongoDB, then pending changes are covered and lag returns to 0', async () => {
    const { sync, index } = testContext();
    await sync.drain();
    const { brand } = await createTestBrand({ slugPrefix: 'rebuild', name: '重建索引品牌' });
    await new Promise((r) => setTimeout(r, 1100)); // the rebuild covers changes applied before it started
    assert.ok((await sync.lag()) > 0);
    const before = await index.stats();
    const n = await reindexAll(index);
    assert.equal(n, before.documents + 1, 'every entry was read, the new one included');
    assert.equal(await sync.lag(), 0, 'the changes the rebuild read are marked indexed');
    assert.ok((await search('重建索引品牌')).hits.some((h) => h.doc.slug === brand.slug));
  });
});
