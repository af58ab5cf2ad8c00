/**
 * Synonym groups are a value of each search index (src/search/synonyms.ts), made from the config
 * by createSearchIndex: two indexes in one process with different SEARCH_SYNONYMS_FILEs each
 * expand queries with their own groups, and neither leaks into the other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDocs } from '../src/search/documents.js';
import { createSearchIndex } from '../src/search/index.js';
import type { SearchDoc, SearchIndex } from '../src/search/port.js';
import { Synonyms } from '../src/search/synonyms.js';

const ids = async (index: SearchIndex, q: string) =>
  (await index.search({ q, filters: {}, sort: 'relevance', page: 1, pageSize: 1000, facets: false })).hits.map((h) => h.doc.id).sort();

describe('synonym groups per search index', function () {
  this.timeout(60_000);
  const open: SearchIndex[] = [];
  let noodles: SearchIndex;
  let defaults: SearchIndex;

  before(async () => {
    const demo: SearchDoc[] = [];
    for (const kind of KINDS) demo.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
    const dir = mkdtempSync(path.join(tmpdir(), 'synonyms-'));
    const file = path.join(dir, 'noodles.json');
    writeFileSync(file, JSON.stringify([['碱面', '热干面']]));
    const make = async (env: Record<string, string>) => {
      const index = await createSearchIndex(loadConfig({ NODE_ENV: 'test', SEARCH_INDEX_PATH: ':memory:', ...env }));
      open.push(index);
      await index.init();
      await index.rebuild(async (write) => write(demo.filter((d) => d.demo)));
      return index;
    };
    noodles = await make({ SEARCH_SYNONYMS_FILE: file });
    defaults = await make({});
  });
  after(async () => {
    for (const index of open) await index.close();
  });

  it('when two indexes in one process have different synonym files, then each expands queries with its own groups only', async () => {
    const direct = await ids(defaults, '热干面');
    assert.ok(direct.length > 0, 'the demo data has 热干面');
    assert.deepEqual(await ids(noodles, '碱面'), direct, 'the file’s group: 碱面 finds 热干面');
    assert.deepEqual(await ids(defaults, '碱面'), [], 'the defaults know no 碱面');

    const viaDefaults = await ids(defaults, '灌汤包');
    assert.ok(viaDefaults.length > 0, 'the default group: 灌汤包 finds 汤包');
    assert.ok((await ids(noodles, '灌汤包')).length < viaDefaults.length, 'a file replaces the default groups');
  });

  it('when a synonyms file is malformed, then creating the index fails and names the setting', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'synonyms-')), 'bad.json');
    writeFileSync(file, JSON.stringify([['alone']]));
    await assert.rejects(
      () => createSearchIndex(loadConfig({ NODE_ENV: 'test', SEARCH_INDEX_PATH: ':memory:', SEARCH_SYNONYMS_FILE: file })),
      /SEARCH_SYNONYMS_FILE/,
    );
  });

  it('when a term is in several groups, then its synonyms are the other terms of all of them, normalised, once each', () => {
    const s = new Synonyms([
      ['Ａ糕', '米糕'],
      ['米糕', '发糕', 'a糕'],
    ]);
    assert.deepEqual(s.of('米糕'), ['a糕', '发糕']);
    assert.deepEqual(s.of('a糕'), ['米糕', '发糕']);
    assert.deepEqual(s.of('其他'), []);
    assert.deepEqual(s.terms(), ['a糕', '米糕', '发糕']);
  });
});
