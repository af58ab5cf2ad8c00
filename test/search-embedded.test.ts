/**
 * The embedded engine beyond the shared contract: highlights of synonym and typo matches, and
 * the large-result paths (recency within a rank tier above the bm25 limit; sampled, flagged
 * estimates above the exact limit), exercised on the demo data by lowering those limits.
 */
import assert from 'node:assert/strict';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDocs } from '../src/search/documents.js';
import { charBits, DocColumns } from '../src/search/columns.js';
import { EmbeddedSearchIndex, oneEditAway } from '../src/search/embedded.js';
import type { SearchDoc, SearchIndex, SearchQuery } from '../src/search/port.js';
import { withinOneEdit } from '../src/search/query.js';

const q = (text: string, over: Partial<SearchQuery> = {}): SearchQuery => ({
  q: text,
  filters: {},
  sort: 'relevance',
  page: 1,
  pageSize: 50,
  facets: true,
  ...over,
});

describe('embedded search engine', function () {
  this.timeout(60_000);
  let demo: SearchDoc[];
  const open: SearchIndex[] = [];
  const make = async (limits: { bm25?: number; exact?: number; brandExact?: number } = {}) => {
    const index = new EmbeddedSearchIndex(':memory:', limits);
    await index.init();
    await index.rebuild(async (write) => write(demo));
    open.push(index);
    return index;
  };

  before(async () => {
    demo = [];
    for (const kind of KINDS) demo.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
    demo = demo.filter((d) => d.demo);
  });
  after(async () => {
    for (const index of open) await index.close();
  });

  describe('highlights', () => {
    it('when a synonym matched, then the synonym is highlighted', async () => {
      const index = await make();
      const sijimei = (await index.search(q('灌汤包'))).hits.find((h) => h.doc.slug === 'sijimei')!;
      assert.deepEqual(sijimei.highlights.keywords, ['', '汤包', '、小笼', '汤包', '、虾仁', '汤包']);
      const zhy = (await index.search(q('鸭颈'))).hits.find((h) => h.doc.slug === 'zhouheiya')!;
      assert.deepEqual(zhy.highlights.keywords?.slice(0, 2), ['', '鸭脖']);
    });
    it('when a pinyin word matched with one typo, then the characters it spells are highlighted', async () => {
      const index = await make();
      const hit = (await index.search(q('cailinjj'))).hits.find((h) => h.doc.slug === 'cailinji')!;
      assert.deepEqual(hit.highlights.name, ['', '蔡林记']);
      const zhy = (await index.search(q('zhouheiay'))).hits.find((h) => h.doc.slug === 'zhouheiya')!;
      assert.deepEqual(zhy.highlights.name, ['', '周黑鸭']);
    });
    it('when a number is one digit off, then it is not corrected (no typos on numbers)', async () => {
      const index = await make();
      const dir = demo.find((d) => d.kind === 'directory' && d.identifiers.length > 1 && /^\d{6,}$/.test(d.identifiers[1]!))!;
      const regNo = dir.identifiers[1]!;
      const off = regNo.slice(0, -1) + String((Number(regNo.at(-1)) + 1) % 10);
      const ids = (await index.search(q(off))).hits.map((h) => h.doc.identifiers);
      assert.ok(!ids.some((list) => list.includes(regNo)), `${off} must not find ${regNo}`);
    });
  });

  describe('in-memory columns', () => {
    it('when names are replaced and removed many times, then the arena keeps each live name and its rank tier', () => {
      const cols = new DocColumns();
      const row = (name: string, title = name) => ({ grp: 1, updatedAt: 1, expiresAt: null, nameNorm: name, titleNorm: title, py: 'py', ini: 'p' });
      for (let round = 0; round < 300; round++) {
        for (let r = 1; r <= 20; r++) cols.set(r, row(`${'长'.repeat(500)}${round}号${r}`, r % 2 ? `琴台${r}` : `${'长'.repeat(500)}${round}号${r}`));
        cols.delete(20);
      }
      for (let r = 1; r < 20; r++) {
        assert.equal(cols.name(r), `${'长'.repeat(500)}299号${r}`);
        const tier = (q: string) => cols.nameTier(r, q, charBits(q));
        assert.equal(tier(`${'长'.repeat(500)}299号${r}`), 1, 'exact name');
        assert.equal(tier('号长'), 0, 'not in the name');
        assert.equal(tier('长长'), 2, 'prefix');
        assert.equal(tier(`299号${r}`), 3, 'substring');
        if (r % 2) assert.equal(tier(`琴台${r}`), 1, 'exact title');
      }
      assert.equal(cols.grp(20), 0, 'removed');
      cols.set(40, row('琴台月'));
      cols.set(41, row('琴台月饼家', '琴台月'));
      const short = (r: number, q: string) => cols.nameTier(r, q, charBits(q));
      assert.deepEqual(
        ['琴台月', '琴台', '台月', '月', '月饼', '琴台月饼'].map((q) => short(40, q)),
        [1, 2, 3, 3, 0, 0],
        'names of four characters or fewer',
      );
      assert.deepEqual(
        ['琴台月', '琴台月饼', '饼家', '琴台月饼家'].map((q) => short(41, q)),
        [1, 2, 3, 1],
        'a title other than the name',
      );
      cols.set(30, { ...row('蔡林记'), py: 'cailinji', ini: 'clj' });
      cols.set(31, { ...row('菜林'), py: 'cailin', ini: 'cl' });
      assert.deepEqual(
        ['cailinji', 'clj', 'cailin', 'cl', 'cai', 'lin'].map((q) => cols.pinyinTier(30, q)),
        [4, 4, 5, 5, 5, 0],
      );
      assert.ok(cols.compareByName(31, 30) < 0 && cols.compareByName(30, 31) > 0, 'cailin before cailinji');
      cols.set(32, { ...row('蔡林'), py: 'cailin', ini: 'cl' });
      assert.ok(cols.compareByName(31, 32) < 0, 'same pinyin: by name (菜 U+83DC before 蔡 U+8521)');
    });
  });

  describe('typo candidates', () => {
    it('when a word is spelled out one edit away, then every candidate is within one edit and keeps the first letter', () => {
      const list = oneEditAway('cailinjj');
      assert.ok(list.includes('cailinji') && list.includes('cailinj') && list.includes('cailinjji') && list.includes('cailijnj'));
      for (const w of list) assert.ok(withinOneEdit('cailinjj', w) && w[0] === 'c', w);
    });
  });

  describe('large result sets (limits lowered)', () => {
    it('when more matches than the bm25 limit, then rank tiers still order exact, prefix, substring, keyword', async () => {
      const index = await make({ bm25: 0 });
      const base = demo.find((d) => d.kind === 'directory')!;
      const doc = (id: string, name: string, keywords: string[] = [], updatedAt = base.updatedAt): SearchDoc => ({
        ...base,
        id: `directory:${id}`,
        entryId: id,
        slug: `rank-${id}`,
        name,
        title: name,
        keywords,
        nameEn: '',
        company: '武汉排序测试有限公司',
        identifiers: [],
        version: 1,
        updatedAt,
      });
      // The keyword-only match is the most recent: recency must not lift it above a name match.
      await index.upsert([doc('r4', '汉阳门花园', ['琴台月'], base.updatedAt + 9e6), doc('r3', '古琴台月'), doc('r2', '琴台月饼家'), doc('r1', '琴台月')]);
      const order = (await index.search(q('琴台月'))).hits.map((h) => h.doc.slug).filter((s) => s.startsWith('rank-'));
      assert.deepEqual(order, ['rank-r1', 'rank-r2', 'rank-r3', 'rank-r4']);
      const cert = demo.find((d) => d.kind === 'certified')!;
      assert.equal((await index.search(q(cert.identifiers.at(-1)!))).hits[0]?.doc.id, cert.id);
    });

    it('when more matches than the bm25 limit, then totals, facets and sorted pages equal the scored path', async () => {
      const scored = await make();
      const fast = await make({ bm25: 0 });
      const queries = [
        q('武汉'),
        q('汤包'),
        q('老字号'),
        q('cai'),
        q('武汉', { filters: { kind: 'directory' } }),
        q('武汉', { sort: 'updated', pageSize: 10 }),
        q('武汉', { sort: 'name', pageSize: 10, page: 2 }),
        q('鸭', { filters: { status: '有效' } }),
      ];
      for (const query of queries) {
        const a = await scored.search(query);
        const b = await fast.search(query);
        assert.equal(b.total, a.total, query.q);
        assert.deepEqual(b.facets, a.facets, query.q);
        if (query.sort !== 'relevance')
          assert.deepEqual(
            b.hits.map((h) => h.doc.id),
            a.hits.map((h) => h.doc.id),
            `${query.q} ${query.sort}`,
          );
        assert.ok(!a.estimated && !b.estimated);
      }
    });

    it('when more matches than the exact limit, then total and facets are estimated from a sample and flagged', async () => {
      const exact = await make();
      const sampled = await make({ bm25: 0, exact: 5 });
      const a = await exact.search(q('武汉'));
      const b = await sampled.search(q('武汉'));
      assert.ok(a.total > 5);
      assert.equal(a.estimated, undefined, 'exact results carry no flag');
      assert.equal(b.estimated, true);
      assert.ok(b.total > 5, 'the estimate is above the sample');
      assert.ok(b.hits.length > 0 && b.hits.length <= 5);
      const sum = b.facets.kind!.reduce((s, v) => s + v.count, 0);
      assert.ok(Math.abs(sum - b.total) <= b.facets.kind!.length, 'scaled facet counts add up to the estimate');
    });

    it('when grouped by brand with more matches than the brand limit, then brand counts are estimated and flagged, the page and registry counts exact', async () => {
      const exact = await make();
      const capped = await make({ brandExact: 3 });
      const a = await exact.search(q('武汉', { group: 'brand' }));
      const b = await capped.search(q('武汉', { group: 'brand' }));
      assert.ok(a.total > 3);
      assert.equal(a.estimated, undefined, 'under the limit, brand counts are exact');
      assert.equal(b.estimated, true);
      assert.ok(b.total >= 3, `estimate ${b.total}`);
      assert.deepEqual(
        b.brands!.map((x) => x.slug),
        a.brands!.map((x) => x.slug),
        'the page reads every match',
      );
      assert.deepEqual(b.facets.kind, a.facets.kind, 'registry counts (entries) stay exact');
    });
  });
});
