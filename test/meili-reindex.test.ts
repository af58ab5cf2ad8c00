/**
 * Reindex-and-swap on a real Meilisearch while edits keep coming (issue #16): `reindexAll` (what
 * `npm run reindex` runs) fills a fresh index and swaps it in, while the registry service keeps
 * saving certificates and a worker keeps draining the outbox into the live index. Afterwards no
 * edit is lost, and the public never saw a half-built index: every search during the rebuild
 * counted at least the entries the old index held.
 *
 * The interleaving is made certain, not left to timing: after every batch the rebuild writes,
 * a round of edits is saved and indexed before the next batch (so edits land in the old index
 * while the new one is half full), and a second set of certificates is edited in a free-running
 * loop for the whole rebuild, swap included. Skipped, with one line, when there is no binary.
 */
import mongoose from 'mongoose';
import assert from 'node:assert/strict';
import { createLogger } from '../src/platform/logger.js';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { updateEntry } from '../src/registries/service.js';
import { MeiliSearchIndex } from '../src/search/meili.js';
import type { SearchDoc, SearchIndex, SearchQuery } from '../src/search/port.js';
import { IndexSync, reindexAll } from '../src/search/sync.js';
import { testContext } from './support/context.js';
import { Certificate, createTestBrand } from './support/helpers.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid } from './support/meili.js';

const silent = createLogger('silent');
const all: SearchQuery = { q: '', filters: {}, sort: 'relevance', page: 1, pageSize: 0, facets: false };
const byText = (q: string): SearchQuery => ({ q, filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: false });

/** The adapter, with a hook run after each batch the rebuild writes into the fresh index. */
class HookedRebuild implements SearchIndex {
  readonly name = 'meilisearch';
  batches = 0;
  constructor(
    private readonly inner: SearchIndex,
    private readonly afterBatch: () => Promise<void>,
  ) {}
  init() {
    return this.inner.init();
  }
  upsert(docs: SearchDoc[]) {
    return this.inner.upsert(docs);
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
    return this.inner.rebuild((write) =>
      fill(async (docs) => {
        await write(docs);
        this.batches++;
        await this.afterBatch();
      }),
    );
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

async function entriesInMongo(): Promise<number> {
  let n = 0;
  for (const k of KINDS) n += await entryModel(k).countDocuments();
  return n;
}

describe('Meilisearch: reindex and swap while edits keep coming', function () {
  this.timeout(180_000);
  let meili: MeiliSearchIndex;
  let sync: IndexSync;

  before(async function () {
    if (!meiliLane()) {
      console.log(`  Meilisearch reindex drill: ${MEILI_SKIPPED}`);
      this.skip();
    }
    const server = await sharedMeili();
    meili = new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, searchKey: server.searchKey, indexUid: testIndexUid('reindex') });
    await meili.init();
    await testContext().sync.drain();
    await reindexAll(meili);
    // This worker owns the outbox during the drill: every edit reaches Meilisearch through it.
    sync = new IndexSync(meili, silent, { pollMs: 20, rebuildThreshold: 0 });
  });

  after(async function () {
    await sync?.stop();
    // The drill's worker marked its changes indexed: give the shared embedded index them too.
    if (meili) await reindexAll(testContext().index);
  });

  it('when npm run reindex swaps in a fresh index during edits, then no edit is lost and every search counts the whole old index', async () => {
    const stamp = Date.now().toString(36).toUpperCase();
    const make = async (set: string, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const made = await createTestBrand({
          slugPrefix: `meili-reindex-${set.toLowerCase()}`,
          name: `换版演练${set}${i}号`,
          certificate: { number: `REINDEX-${stamp}-${set}${i}`, product: `换版产品${set}${i}初版` },
        });
        out.push(made.certificate!._id);
      }
      return out;
    };
    const stepped = await make('A', 3);
    const looped = await make('B', 3);
    await sync.drain();
    const before = (await meili.search(all)).total;
    assert.equal(before, await entriesInMongo(), 'the live index starts complete');

    /** Last product name saved per certificate id. */
    const last = new Map<string, string>();
    let edits = 0;
    const edit = async (id: unknown, label: string) => {
      const cert = await Certificate.findById(id).lean();
      const product = `换版产品${label}第${cert!.version as number}版`;
      await updateEntry(Certificate, String(id), cert!.version as number, { product }, { actor: 'reindex-drill' });
      last.set(String(id), product);
      edits++;
    };

    /** Resolves once the live index holds these certificates at their saved versions (the loop keeps the outbox busy, so no drain). */
    const indexed = async (certs: unknown[]) => {
      const want = new Map(
        (await Certificate.find({ _id: mongoose.trusted({ $in: certs.map(String) }) }).lean()).map((c) => [`certified:${c._id}`, c.version as number]),
      );
      const deadline = Date.now() + 30_000;
      for (;;) {
        const held = await meili.versions([...want.keys()]);
        if ([...want].every(([id, v]) => held.get(id) === v)) return;
        if (Date.now() > deadline) throw new Error(`edits not indexed after 30 s: want ${JSON.stringify([...want])}, held ${JSON.stringify([...held])}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // Searches while the rebuild runs: the smallest count any of them saw.
    let rebuilding = true;
    let smallest = Infinity;
    let searches = 0;
    const watcher = (async () => {
      while (rebuilding) {
        smallest = Math.min(smallest, (await meili.search(all)).total);
        searches++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const looping = (async () => {
      for (let round = 0; rebuilding && round < 500; round++) {
        for (const [i, id] of looped.entries()) await edit(id, `B${i}`);
      }
    })();

    const hooked = new HookedRebuild(meili, async () => {
      // The fresh index is part-filled here: edits now go to the old one (and are replayed).
      for (const [i, id] of stepped.entries()) await edit(id, `A${i}`);
      await indexed(stepped);
      const live = (await meili.search(all)).total;
      assert.ok(live >= before, `mid-rebuild the public sees ${live} entries, the old index held ${before}`);
    });
    sync.start();
    try {
      await reindexAll(hooked);
    } finally {
      rebuilding = false;
      await Promise.all([watcher, looping]);
    }
    await sync.drain();
    await sync.stop();

    console.log(
      `    drill: ${edits} edits saved, ${searches} searches during the rebuild (smallest count ${smallest}, old index ${before}), ${hooked.batches} batches`,
    );
    assert.ok(hooked.batches >= 2, `the rebuild wrote several batches (${hooked.batches})`);
    assert.ok(searches > 0, 'searches ran during the rebuild');
    assert.ok(smallest >= before, `the smallest count a search saw during the rebuild: ${smallest}, the old index held ${before}`);
    assert.equal((await meili.search(all)).total, await entriesInMongo(), 'after the swap the index holds every entry');

    // Every edited certificate: held at its saved version, and found by its last product name only.
    const ids = [...stepped, ...looped].map(String);
    const saved = await Certificate.find({ _id: mongoose.trusted({ $in: ids }) }).lean();
    const expected = new Map(saved.map((c) => [`certified:${c._id}`, c.version as number]));
    assert.ok(edits >= stepped.length * 2, `edits were saved during the rebuild (${edits})`);
    assert.deepEqual(await meili.versions([...expected.keys()]), expected, 'every edited entry is held at its last version');
    for (const c of saved) {
      assert.equal(c.product, last.get(String(c._id)));
      const hits = (await meili.search(byText(c.product))).hits;
      assert.equal(hits[0]?.doc.id, `certified:${c._id}`, `${c.product} finds its certificate first`);
      assert.equal(hits[0]?.doc.title, c.product);
    }
    assert.equal(await sync.lag(), 0);
  });
});
