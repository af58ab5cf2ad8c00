/**
 * The SearchIndex contract: what every adapter promises, run against the embedded engine always
 * and against a real Meilisearch whenever one is at hand (test/support/meili.ts: the binary from
 * MEILI_BIN or ../shared/bin, or an external MEILI_URL). Each suite gets a fresh index filled by
 * rebuild() with the demo data's search documents (built from the database by the app's code).
 * It asserts recall sets and the ranking rules we promise, not incidental order.
 */
import assert from 'node:assert/strict';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDocs } from '../src/search/documents.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { MeiliSearchIndex } from '../src/search/meili.js';
import type { SearchDoc, SearchIndex, SearchQuery } from '../src/search/port.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid } from './support/meili.js';

type Factory = () => Promise<SearchIndex>;
const adapters: Array<[string, Factory]> = [['embedded', async () => new EmbeddedSearchIndex(':memory:')]];
if (meiliLane()) {
  adapters.push([
    'meilisearch',
    async () => {
      const server = await sharedMeili();
      return new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, searchKey: server.searchKey, indexUid: testIndexUid('contract') });
    },
  ]);
} else {
  console.log(`  SearchIndex contract: ${MEILI_SKIPPED}; embedded adapter only`);
}

const q = (text: string, over: Partial<SearchQuery> = {}): SearchQuery => ({
  q: text,
  filters: {},
  sort: 'relevance',
  page: 1,
  pageSize: 50,
  facets: true,
  ...over,
});

for (const [name, make] of adapters) {
  describe(`SearchIndex contract: ${name}`, function () {
    this.timeout(120_000);
    let index: SearchIndex;
    let demo: SearchDoc[];
    const slugs = async (text: string, over: Partial<SearchQuery> = {}) => (await index.search(q(text, over))).hits.map((h) => h.doc.slug);
    const finds = async (text: string, slug: string) =>
      assert.ok((await slugs(text)).includes(slug), `${text} → ${slug}; got ${(await slugs(text)).slice(0, 8).join(', ')}`);

    before(async () => {
      demo = [];
      for (const kind of KINDS) demo.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
      demo = demo.filter((d) => d.demo);
      index = await make();
      await index.init();
      await index.rebuild(async (write) => write(demo));
    });
    after(async () => index?.close());

    describe('findability', () => {
      it('when any contiguous part of a Chinese name is searched, then the brand is found', async () => {
        await finds('黑鸭', 'zhouheiya');
        await finds('林记', 'cailinji');
        await finds('通城', 'laotongcheng');
      });
      it('when a product keyword or a part of the company name is searched, then the brand is found', async () => {
        await finds('热干面', 'cailinji');
        await finds('豆皮', 'laotongcheng');
        await finds('四季美餐饮', 'sijimei');
      });
      it('when the full company name is typed, then the brand is found (city prefix and legal form included)', async () => {
        await finds('武汉四季美餐饮管理有限公司', 'sijimei');
      });
      it('when pinyin is typed in full, spaced, as initials or in capitals, then the brand is found', async () => {
        for (const text of ['cailinji', 'cai lin ji', 'clj', 'CaiLinJi', 'cailin']) await finds(text, 'cailinji');
        await finds('zhouheiya', 'zhouheiya');
      });
      it('when traditional characters are typed, then simplified entries are found', async () => {
        await finds('蔡林記', 'cailinji');
        await finds('周黑鴨', 'zhouheiya');
      });
      it('when a pinyin word has one typo, then the brand is still found', async () => {
        await finds('cailinjj', 'cailinji');
        await finds('zhouheiay', 'zhouheiya');
      });
      it('when a Chinese name has a wrong character, then it is not found (no typo tolerance on CJK)', async () => {
        assert.ok(!(await slugs('蔡林己')).includes('cailinji'));
      });
      it('when a synonym is searched, then entries with the other term are found', async () => {
        await finds('灌汤包', 'sijimei');
        await finds('鸭颈', 'zhouheiya');
      });
      it('when the list is named (老字号, 驰名商标), then its entries are found', async () => {
        const th = await index.search(q('老字号', { pageSize: 100 }));
        assert.ok(th.hits.some((h) => h.doc.kind === 'time-honored'));
        const famous = await index.search(q('驰名商标', { pageSize: 100 }));
        assert.ok(famous.hits.length > 0 && famous.hits.every((h) => h.doc.kind === 'famous'));
      });
    });

    describe('identifiers and ranking', () => {
      it('when a certificate number, a registration number or a credit code is searched, then its entry comes first', async () => {
        const cert = demo.find((d) => d.kind === 'certified' && d.slug === 'cailinji')!;
        const number = cert.identifiers[cert.identifiers.length - 1]!;
        assert.equal((await index.search(q(number))).hits[0]?.doc.id, cert.id);
        assert.equal((await index.search(q(number.toLowerCase()))).hits[0]?.doc.id, cert.id, 'case does not matter');
        const dir = demo.find((d) => d.kind === 'directory' && d.identifiers.length > 1)!;
        assert.equal((await index.search(q(dir.identifiers[1]!))).hits[0]?.doc.slug, dir.slug);
        const credit = (await index.search(q(dir.identifiers[0]!))).hits;
        assert.ok(credit.length > 0 && credit.every((h) => h.doc.slug === dir.slug), 'a credit code finds only its brand');
      });

      it('when names match exactly, by prefix, by substring or only by keyword, then they rank in that order', async () => {
        const base = demo.find((d) => d.kind === 'directory')!;
        const doc = (id: string, name: string, keywords: string[] = []): SearchDoc => ({
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
        });
        const made = [doc('r4', '汉阳门花园', ['琴台月']), doc('r3', '古琴台月', []), doc('r2', '琴台月饼家', []), doc('r1', '琴台月', [])];
        await index.upsert(made);
        const order = (await slugs('琴台月')).filter((s) => s.startsWith('rank-'));
        assert.deepEqual(order, ['rank-r1', 'rank-r2', 'rank-r3', 'rank-r4']);
        await index.remove(made.map((d) => d.id));
        assert.equal((await slugs('琴台月')).filter((s) => s.startsWith('rank-')).length, 0, 'removed documents are gone');
      });

      it('when a hit matches, then highlights mark what matched', async () => {
        const hit = (await index.search(q('林记'))).hits.find((h) => h.doc.slug === 'cailinji')!;
        assert.deepEqual(hit.highlights.name, ['蔡', '林记']);
        const py = (await index.search(q('clj'))).hits.find((h) => h.doc.slug === 'cailinji')!;
        assert.deepEqual(py.highlights.name, ['', '蔡林记'], 'pinyin initials highlight the characters they spell');
      });
    });

    describe('facets, filters, sort, pagination', () => {
      it('when browsing everything, then the registry facet adds up to the total and matches stats()', async () => {
        const r = await index.search(q(''));
        const stats = await index.stats();
        assert.equal(r.total, stats.documents);
        assert.equal(
          r.facets.kind!.reduce((s, v) => s + v.count, 0),
          r.total,
        );
        for (const v of r.facets.kind!) assert.equal(v.count, stats.byKind[v.value]);
      });
      it('when a facet value is chosen, then every hit has it and the count it showed is the new total', async () => {
        for (const [facet, query] of [
          ['district', ''],
          ['sector', ''],
          ['tier', '武汉'],
          ['status', ''],
          ['nice', ''],
        ] as const) {
          const before = await index.search(q(query));
          const value = before.facets[facet]![0]!;
          const after = await index.search(q(query, { filters: { [facet]: value.value }, pageSize: 100 }));
          assert.equal(after.total, value.count, `${facet}=${value.value}`);
          for (const h of after.hits) {
            if (facet === 'nice') assert.ok(h.doc.niceClasses.includes(Number(value.value)));
            else if (facet === 'status') assert.equal(h.status, value.value);
            else assert.equal(h.doc[facet], value.value);
          }
        }
      });
      it('when filters combine with a registry, then the other facets still count within it', async () => {
        const r = await index.search(q('', { filters: { kind: 'time-honored' } }));
        assert.equal(
          r.facets.tier!.reduce((s, v) => s + v.count, 0),
          r.total,
        );
        assert.ok(r.facets.kind!.length > 1, 'the registry facet still offers the other registries');
      });
      it('when sorted by update or by name, then the hits come in that order', async () => {
        const upd = (await index.search(q('', { sort: 'updated', pageSize: 30 }))).hits.map((h) => h.doc.updatedAt);
        assert.deepEqual(
          upd,
          [...upd].sort((a, b) => b - a),
        );
        const names = (await index.search(q('', { sort: 'name', pageSize: 30, filters: { kind: 'time-honored' } }))).hits.map((h) => h.doc.slug);
        assert.equal(names.length, 30);
      });
      it('when paging, then pages do not overlap and together give the same hits as one big page', async () => {
        const all = (await index.search(q('', { pageSize: 40 }))).hits.map((h) => h.doc.id);
        const p1 = (await index.search(q('', { pageSize: 20, page: 1 }))).hits.map((h) => h.doc.id);
        const p2 = (await index.search(q('', { pageSize: 20, page: 2 }))).hits.map((h) => h.doc.id);
        assert.deepEqual([...p1, ...p2], all);
        const far = await index.search(q('', { pageSize: 20, page: 400 }));
        assert.equal(far.hits.length, 0);
        assert.ok(far.total > 0);
      });
    });

    describe('writes', () => {
      it('when an older version arrives after a newer one, then the newer one is kept', async () => {
        const d = demo.find((x) => x.slug === 'sijimei' && x.kind === 'time-honored')!;
        await index.upsert([{ ...d, version: d.version + 5, summary: '新版本' }]);
        await index.upsert([{ ...d, version: d.version + 1, summary: '旧版本' }]);
        assert.equal((await index.versions([d.id])).get(d.id), d.version + 5);
        const hit = (await index.search(q('四季美'))).hits.find((h) => h.doc.id === d.id)!;
        assert.equal(hit.doc.summary, '新版本');
      });
      it('when a valid certificate passes its date, then it shows and filters as 过期 without a write', async () => {
        const cert = demo.find((d) => d.kind === 'certified' && d.status === '有效')!;
        const later = new Date(cert.expiresAt! + 86_400_000);
        const before = new Date(cert.expiresAt! - 86_400_000);
        const find = async (now: Date) => (await index.search(q(cert.identifiers.at(-1)!, { now }))).hits.find((h) => h.doc.id === cert.id)!;
        assert.equal((await find(before)).status, '有效');
        assert.equal((await find(later)).status, '过期');
        const expired = await index.search(q('', { now: later, filters: { kind: 'certified', status: '过期' }, pageSize: 100 }));
        assert.ok(expired.hits.some((h) => h.doc.id === cert.id));
      });
      it('when documents are removed, then stats and searches no longer see them', async () => {
        const before = await index.stats();
        const victim = demo.find((d) => d.slug === 'laotongcheng' && d.kind === 'directory')!;
        await index.remove([victim.id, 'directory:does-not-exist']);
        const after = await index.stats();
        assert.equal(after.documents, before.documents - 1);
        assert.ok(!(await index.search(q('老通城'))).hits.some((h) => h.doc.id === victim.id));
        await index.upsert([victim]);
      });
    });
  });
}
