/**
 * The change log has one owner and two subscribers, the audit trail and the search index, each
 * with its own worker and flag: a regulator's edit is saved whatever either of them is doing, and
 * each catches up on its own once it can.
 */
import assert from 'node:assert/strict';
import { AuditEvent } from '../src/audit/index.js';
import { createLogger } from '../src/platform/logger.js';
import { Change, changeId } from '../src/registries/changes.js';
import { Brand } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { SearchUnavailableError, type SearchIndex } from '../src/search/port.js';
import { IndexSync } from '../src/search/sync.js';
import { testContext } from './support/context.js';
import { createTestBrand, insertCrashedChange } from './support/helpers.js';

/** An index whose writes fail as an unreachable engine's do. */
function downIndex(inner: SearchIndex): SearchIndex {
  const fail = async () => {
    throw new SearchUnavailableError('connect ECONNREFUSED 127.0.0.1:7700 (simulated)');
  };
  return {
    ...inner,
    name: 'down',
    init: fail,
    upsert: fail,
    remove: fail,
    rebuild: fail,
    versions: fail,
    search: fail,
    stats: fail,
    health: fail,
    close: async () => {},
  };
}

/** An index that refuses (as a bad document would be refused) any batch holding the brand `slug`. */
function refusing(inner: SearchIndex, slug: string): SearchIndex {
  return {
    name: 'refusing',
    init: () => inner.init(),
    upsert: async (docs) => {
      if (docs.some((d) => d.slug === slug)) throw new Error(`document rejected: ${slug} (simulated)`);
      return inner.upsert(docs);
    },
    remove: (ids) => inner.remove(ids),
    versions: (ids) => inner.versions(ids),
    search: (q) => inner.search(q),
    rebuild: (fill) => inner.rebuild(fill),
    stats: () => inner.stats(),
    health: () => inner.health(),
    close: async () => {},
  };
}

describe('change log: one owner, independent subscribers', () => {
  it('when one change cannot be indexed, then the rest of its batch is indexed, the change at fault is named, and it is retried', async () => {
    const { index, sync: shared } = testContext();
    await shared.drain();
    const made = [];
    for (const n of [1, 2, 3, 4, 5]) made.push(await createTestBrand({ slugPrefix: `poison${n}`, name: `毒批次品牌${n}` }));
    const bad = made[2]!;
    const sync = new IndexSync(refusing(index, bad.slug), createLogger('silent'), { pollMs: 20, rebuildThreshold: 0 });

    const handled = await sync.runOnce();
    assert.ok(handled >= 8, `the good brands' changes are handled (${handled})`);
    for (const m of made) {
      const ids = [changeId('Brand', m.brand._id, 1), changeId('DirectoryEntry', m.directory!._id, 1)];
      const flags = await Promise.all(ids.map(async (id) => (await Change.findById(id).lean())?.indexed));
      assert.deepEqual(flags, [m === bad ? false : true, m === bad ? false : true], m.slug);
    }
    assert.match(sync.lastError ?? '', /could not be handled/);
    assert.ok(sync.lastError!.includes(changeId('Brand', bad.brand._id, 1)) || sync.lastError!.includes(changeId('DirectoryEntry', bad.directory!._id, 1)));
    const found = await index.search({ q: '毒批次品牌', filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: false });
    assert.deepEqual(
      found.hits.map((h) => h.doc.slug).sort(),
      made
        .filter((m) => m !== bad)
        .map((m) => m.slug)
        .sort(),
    );

    // Once the document is accepted again, the change at fault is indexed like any other.
    await shared.drain();
    assert.equal((await Change.findById(changeId('DirectoryEntry', bad.directory!._id, 1)).lean())!.indexed, true);
  });

  it('when the audit store fails during an edit, then the edit is saved, search still catches up, and the audit worker appends the event later', async () => {
    const { sync, audit, index } = testContext();
    const { brand } = await createTestBrand({ slugPrefix: 'auditdown', name: '审计故障品牌' });
    await sync.drain();
    await audit.drain();

    const insertOne = AuditEvent.collection.insertOne.bind(AuditEvent.collection);
    AuditEvent.collection.insertOne = (async () => {
      throw new Error('audit store unavailable (simulated)');
    }) as never;
    let edited: { name: string; version: number };
    try {
      edited = await updateEntry<{ name: string; version: number }>(
        Brand,
        brand._id as never,
        brand.version as number,
        { name: '审计故障后改名' },
        { actor: 'editor@test', reason: '更名' },
      );
      // The search index is another subscriber: it does not wait for the audit trail.
      await sync.drain();
      await assert.rejects(() => audit.runOnce(), /audit store unavailable/);
    } finally {
      AuditEvent.collection.insertOne = insertOne;
    }
    assert.equal(edited.name, '审计故障后改名');
    assert.equal((await Brand.findById(brand._id).lean())!.name, '审计故障后改名', 'the edit is saved');
    const id = changeId('Brand', brand._id, edited.version);
    assert.equal((await Change.findById(id).lean())!.indexed, true, 'search caught up without the audit trail');
    assert.equal(
      (await index.search({ q: '审计故障后改名', filters: {}, sort: 'relevance', page: 1, pageSize: 5, facets: false })).hits[0]?.doc.slug,
      brand.slug,
    );
    assert.equal(await AuditEvent.countDocuments({ key: `change:${id}` }), 0, 'no event while the store was down');

    await audit.drain();
    const event = await AuditEvent.findOne({ key: `change:${id}` }).lean();
    assert.equal(event?.actor, 'editor@test');
    assert.deepEqual(
      event!.changes.find((c) => c.field === 'name'),
      { field: 'name', before: '审计故障品牌', after: '审计故障后改名' },
    );
    assert.equal((await Change.findById(id).lean())!.audited, true);
  });

  it('when the search engine is down, then the audit worker still repairs a change whose writer crashed before auditing it', async () => {
    const { index, audit, sync: shared } = testContext();
    const { directory } = await createTestBrand({ slugPrefix: 'searchdown', name: '搜索故障审计品牌' });
    await shared.drain();
    const sync = new IndexSync(downIndex(index), createLogger('silent'), { pollMs: 20, rebuildThreshold: 0 });
    const id = await insertCrashedChange(directory!._id, { reason: '断电前' });

    await assert.rejects(() => sync.runOnce(), SearchUnavailableError);
    await audit.drain();
    const after = (await Change.findById(id).lean())!;
    assert.equal(after.audited, true, 'audited although search is down');
    assert.equal(after.indexed, false, 'still waiting for the search index');
    assert.equal((await AuditEvent.findOne({ key: `change:${id}` }).lean())?.actor, 'crash@test');
    await shared.drain();
    assert.equal((await Change.findById(id).lean())!.indexed, true);
  });
});
