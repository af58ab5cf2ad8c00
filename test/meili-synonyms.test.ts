/**
 * The Meilisearch adapter's synonyms, checked without a server: synonym group terms become
 * index-time tokens (src/search/synonym-tokens.ts), and a document carries a term's token exactly
 * when the embedded engine finds that document for the term. Also the query mapping and the
 * settings that make the tokens behave (no typos on them, none on numbers). With a real
 * Meilisearch at hand (test/support/meili.ts), the same terms are searched on it too.
 */
import assert from 'node:assert/strict';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDocs } from '../src/search/documents.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { MeiliSearchIndex, meiliQuery, SETTINGS, toMeiliDoc } from '../src/search/meili.js';
import type { SearchDoc } from '../src/search/port.js';
import { analyzeQuery } from '../src/search/query.js';
import { synonymToken } from '../src/search/synonym-tokens.js';
import { DEFAULT_SYNONYMS } from '../src/search/synonyms.js';
import { normalize } from '../src/search/text.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid } from './support/meili.js';

describe('Meilisearch synonyms (index-time tokens)', function () {
  this.timeout(60_000);
  let demo: SearchDoc[];
  let index: EmbeddedSearchIndex;

  before(async () => {
    demo = [];
    for (const kind of KINDS) demo.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
    demo = demo.filter((d) => d.demo);
    index = new EmbeddedSearchIndex(':memory:');
    await index.init();
    await index.rebuild(async (write) => write(demo));
  });
  after(async () => index?.close());

  it('when a synonym group term is searched, then the documents carrying its token are exactly those the embedded engine finds', async () => {
    const meiliDocs = demo.map((d) => toMeiliDoc(d));
    let compared = 0;
    for (const term of new Set(DEFAULT_SYNONYMS.flat().map(normalize))) {
      const token = synonymToken(term);
      const viaToken = meiliDocs
        .filter((d) => `${d.synName} ${d.synText}`.split(' ').includes(token))
        .map((d) => d.id)
        .sort();
      const embedded = (await index.search({ q: term, filters: {}, sort: 'relevance', page: 1, pageSize: 1000, facets: false })).hits
        .map((h) => h.doc.id)
        .sort();
      assert.deepEqual(viaToken, embedded, `${term}: token ${token}`);
      if (embedded.length) compared++;
    }
    assert.ok(compared >= 4, `several groups match demo data (${compared})`);
  });

  it('when a query term belongs to a synonym group, then Meilisearch gets its token; other Han runs stay bigram phrases', () => {
    assert.equal(meiliQuery(analyzeQuery('灌汤包')), synonymToken('灌汤包'));
    assert.equal(meiliQuery(analyzeQuery('小笼包')), synonymToken('小笼包'));
    assert.equal(meiliQuery(analyzeQuery('热干面 cailinji')), '"热干 干面" cailinji');
    assert.equal(meiliQuery(analyzeQuery('蔡林记 豆皮')), `"蔡林 林记" ${synonymToken('豆皮')}`);
    assert.match(synonymToken('鸭颈'), /^zsyn[a-z]{7}$/);
    assert.notEqual(synonymToken('鸭颈'), synonymToken('鸭脖'));
  });

  it('when settings are applied, then synonym tokens take no typos, numbers take none, and Meilisearch synonyms stay empty', () => {
    for (const attr of ['synName', 'synText']) {
      assert.ok(SETTINGS.searchableAttributes?.includes(attr), attr);
      assert.ok(SETTINGS.typoTolerance?.disableOnAttributes?.includes(attr), attr);
    }
    assert.equal(SETTINGS.typoTolerance?.disableOnNumbers, true);
    assert.deepEqual(SETTINGS.synonyms, {});
  });

  const lane = meiliLane();
  if (!lane) console.log(`  Meilisearch synonyms: ${MEILI_SKIPPED}; server case not run`);
  (lane ? it : it.skip)('when a synonym group term is searched on Meilisearch, then it finds exactly what the embedded engine finds', async function () {
    this.timeout(120_000);
    const server = await sharedMeili();
    const meili = new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, searchKey: server.searchKey, indexUid: testIndexUid('synonyms') });
    await meili.init();
    await meili.rebuild(async (write) => write(demo));
    let compared = 0;
    for (const term of new Set(DEFAULT_SYNONYMS.flat().map(normalize))) {
      const query = { q: term, filters: {}, sort: 'relevance' as const, page: 1, pageSize: 1000, facets: false };
      const embedded = (await index.search(query)).hits.map((h) => h.doc.id).sort();
      const onMeili = (await meili.search(query)).hits.map((h) => h.doc.id).sort();
      assert.deepEqual(onMeili, embedded, term);
      if (embedded.length) compared++;
    }
    assert.ok(compared >= 4, `several groups match demo data (${compared})`);
  });
});
