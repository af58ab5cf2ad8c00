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

    describe('results grouped by brand', () => {
      const grouped = (text: string, over: Partial<SearchQuery> = {}) => index.search(q(text, { group: 'brand', ...over }));
      /** Every match of `text` as entries (the demo data's matches fit in one page of 100). */
      const entries = async (text: string, over: Partial<SearchQuery> = {}) => {
        const r = await index.search(q(text, { pageSize: 100, ...over }));
        assert.ok(r.total <= 100, `${text}: ${r.total} entries fit one page`);
        return r.hits;
      };

      it('when a brand holds entries in several registries, then it comes once, carrying each matching entry', async () => {
        for (const [text, slug] of [
          ['蔡林记', 'cailinji'],
          ['马应龙', 'mayinglong'],
        ] as const) {
          const r = await grouped(text);
          assert.ok(r.brands, `${text}: grouped`);
          const ids = r.brands.map((b) => b.slug);
          assert.equal(new Set(ids).size, ids.length, `${text}: each brand once`);
          const card = r.brands.find((b) => b.slug === slug)!;
          assert.ok(card, `${text} → ${slug}`);
          const expected = (await entries(text)).filter((h) => h.doc.slug === slug).map((h) => h.doc.id);
          assert.ok(expected.length >= 3, `${slug} is on several registries`);
          assert.deepEqual(card.entries.map((h) => h.doc.id).sort(), [...expected].sort());
          assert.ok(card.entries.every((h) => h.doc.slug === slug));
          assert.deepEqual(
            r.hits.map((h) => h.doc.slug),
            ids,
            'hits are the brands’ first entries',
          );
        }
      });

      it('when grouped, then the total counts brands and every facet count is the number of cards with that value', async () => {
        for (const text of ['热干面', '武汉精品', '蔡林记', '汤包']) {
          const all = await entries(text);
          const r = await grouped(text, { pageSize: 100 });
          const brandsOf = (pick: (h: (typeof all)[number]) => boolean) => new Set(all.filter(pick).map((h) => h.doc.slug)).size;
          assert.equal(
            r.total,
            brandsOf(() => true),
            `${text}: total`,
          );
          assert.equal(r.brands!.length, r.total);
          for (const [facet, values] of Object.entries(r.facets)) {
            for (const v of values) {
              const want =
                facet === 'kind'
                  ? all.filter((h) => h.doc.kind === v.value).length // choosing a registry lists entries
                  : brandsOf((h) =>
                      facet === 'nice'
                        ? h.doc.niceClasses.includes(Number(v.value))
                        : facet === 'status'
                          ? h.status === v.value
                          : h.doc[facet as 'tier'] === v.value,
                    );
              assert.equal(v.count, want, `${text}: ${facet}=${v.value}`);
            }
          }
        }
      });

      it('when a facet value is chosen on grouped results, then the count it showed is the new number of brands', async () => {
        const before = await grouped('武汉');
        for (const facet of ['tier', 'status', 'district', 'nice'] as const) {
          const value = before.facets[facet]?.[0];
          if (!value) continue;
          const after = await grouped('武汉', { filters: { [facet]: value.value }, pageSize: 100 });
          assert.equal(after.total, value.count, `${facet}=${value.value}`);
          for (const b of after.brands!)
            for (const h of b.entries) {
              if (facet === 'nice') assert.ok(h.doc.niceClasses.includes(Number(value.value)));
              else if (facet === 'status') assert.equal(h.status, value.value);
              else assert.equal(h.doc[facet], value.value);
            }
        }
      });

      it('when a registry is chosen, then its entries are listed, not brands', async () => {
        const r = await grouped('武汉', { filters: { kind: 'certified' } });
        assert.equal(r.brands, undefined);
        assert.ok(r.hits.length > 0 && r.hits.every((h) => h.doc.kind === 'certified'));
        const browse = await grouped('');
        assert.equal(browse.brands, undefined, 'browsing without words lists entries');
      });

      it('when paging brands, then pages do not overlap and together give one big page', async () => {
        const all = (await grouped('武汉', { pageSize: 20 })).brands!.map((b) => b.slug);
        assert.equal(all.length, 20);
        const p1 = (await grouped('武汉', { pageSize: 10, page: 1 })).brands!.map((b) => b.slug);
        const p2 = (await grouped('武汉', { pageSize: 10, page: 2 })).brands!.map((b) => b.slug);
        assert.deepEqual([...p1, ...p2], all);
      });

      it('when relevance is equal, then an entry in force ranks above an expired, suspended or removed one, across and within brands', async () => {
        const base = demo.find((d) => d.kind === 'certified')!;
        const now = Date.now();
        const cert = (id: string, slug: string, status: string, expiresAt: number, updatedAt: number): SearchDoc => ({
          ...base,
          id: `certified:${id}`,
          entryId: id,
          slug,
          name: '琴台雅集',
          title: '琴台雅集',
          nameEn: '',
          company: '武汉琴台雅集测试有限公司',
          keywords: [],
          identifiers: [],
          summary: '',
          status,
          expiresAt,
          updatedAt,
          version: 1,
        });
        const year = 365 * 86_400_000;
        // The newest is the one not in force: recency alone would put it first.
        const made = [
          cert('g1', 'standing-valid', '有效', now + year, now - 3000),
          cert('g2', 'standing-expired', '有效', now - year, now - 2000),
          cert('g3', 'standing-suspended', '暂停', now + year, now - 1000),
          cert('g4', 'standing-mixed', '有效', now - year, now),
          cert('g5', 'standing-mixed', '有效', now + year, now - 4000),
        ];
        await index.upsert(made);
        try {
          const r = await grouped('琴台雅集');
          const order = r.brands!.map((b) => b.slug).filter((s) => s.startsWith('standing-'));
          assert.equal(order.length, 4);
          assert.deepEqual(order.slice(0, 2).sort(), ['standing-mixed', 'standing-valid'], `in force first: ${order.join(', ')}`);
          const mixed = r.brands!.find((b) => b.slug === 'standing-mixed')!;
          assert.deepEqual(
            mixed.entries.map((h) => [h.doc.id, h.status]),
            [
              ['certified:g5', '有效'],
              ['certified:g4', '过期'],
            ],
          );
          const flat = (await index.search(q('琴台雅集'))).hits.map((h) => h.doc.id).filter((id) => made.some((m) => m.id === id));
          assert.deepEqual(flat.slice(-3).sort(), ['certified:g2', 'certified:g3', 'certified:g4'], 'ungrouped too: expired and suspended last');
        } finally {
          await index.remove(made.map((d) => d.id));
        }
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
