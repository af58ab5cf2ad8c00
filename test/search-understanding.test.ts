/**
 * Query understanding (src/search/understand.ts, docs/decisions/0013): the same cases against the
 * embedded engine always and against a real Meilisearch whenever one is at hand, as the contract
 * suite; then through /api/v1/search on the test stack, whose index the real sync worker feeds
 * (the dictionary follows the registries through it).
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import { entryModel } from '../src/registries/kinds.js';
import { KINDS } from '../src/registries/reference.js';
import { buildSearchDocs } from '../src/search/documents.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { Lexicon } from '../src/search/lexicon.js';
import { MeiliSearchIndex } from '../src/search/meili.js';
import type { SearchDoc, SearchIndex, SearchQuery, SearchResult } from '../src/search/port.js';
import { segment, understand } from '../src/search/understand.js';
import { testContext } from './support/context.js';
import { createTestBrand, encodeNonAscii } from './support/helpers.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid } from './support/meili.js';

type Factory = () => Promise<SearchIndex>;
const adapters: Array<[string, Factory]> = [['embedded', async () => new EmbeddedSearchIndex(':memory:')]];
if (meiliLane()) {
  adapters.push([
    'meilisearch',
    async () => {
      const server = await sharedMeili();
      return new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, searchKey: server.searchKey, indexUid: testIndexUid('understanding') });
    },
  ]);
} else {
  console.log(`  query understanding: ${MEILI_SKIPPED}; embedded adapter only`);
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

describe('query understanding: segmentation', () => {
  it('when brand and product are typed together, then they are read as two dictionary words', () => {
    const lx = new Lexicon();
    lx.bump(['五芳斋', '汤圆', '武汉精品', '武汉', '汤包'], 1);
    assert.deepEqual(
      segment('五芳斋汤圆', { lexicon: lx }).map((s) => s.text),
      ['五芳斋', '汤圆'],
    );
    assert.deepEqual(
      segment('五芳斋好吃', { lexicon: lx }).map((s) => [s.text, s.role]),
      [
        ['五芳斋', 'known'],
        ['好吃', 'unknown'],
      ],
      'what the dictionary does not know stays one chunk',
    );
    assert.deepEqual(
      segment('武汉精品', { lexicon: lx }).map((s) => s.text),
      ['武汉精品'],
      'the longest word wins',
    );
    assert.deepEqual(
      segment('灌汤包', { lexicon: lx }).map((s) => s.text),
      ['灌汤包'],
      'one unknown character stays with the word beside it',
    );
  });
  it('when the query only holds words that carry no information, then it is searched as typed', () => {
    assert.deepEqual(understand('武汉', {}).attempts[0]!.query.runs, ['武汉']);
    assert.deepEqual(understand('公司', {}).attempts[0]!.query.runs, ['公司']);
  });
  it('when the user filtered the registry already, then a list word for another registry stays text', () => {
    const u = understand('蔡林记老字号', { kind: 'famous' });
    assert.deepEqual(u.attempts[0]!.filters, { kind: 'famous' });
    assert.deepEqual(u.attempts[0]!.query.runs, ['蔡林记', '老字号']);
  });
});

for (const [name, make] of adapters) {
  describe(`query understanding: ${name}`, function () {
    this.timeout(120_000);
    let index: SearchIndex;
    let demo: SearchDoc[];
    const search = (text: string, over: Partial<SearchQuery> = {}) => index.search(q(text, over));
    const slugs = (r: SearchResult) => r.hits.map((h) => h.doc.slug);
    const finds = async (text: string, slug: string, opts: { first?: boolean } = {}): Promise<SearchResult> => {
      const r = await search(text);
      const got = slugs(r);
      assert.ok(
        opts.first ? got[0] === slug : got.includes(slug),
        `${text} → ${slug}${opts.first ? ' first' : ''}; got ${got.slice(0, 8).join(', ') || 'nothing'}`,
      );
      return r;
    };

    before(async () => {
      demo = [];
      for (const kind of KINDS) demo.push(...(await buildSearchDocs(kind, (await entryModel(kind).find().lean()) as never[])));
      demo = demo.filter((d) => d.demo);
      index = await make();
      await index.init();
      await index.rebuild(async (write) => write(demo));
    });
    after(async () => index?.close());

    it('when brand and product are typed without a space, then the brand is found first, nothing relaxed', async () => {
      for (const [text, slug] of [
        ['马应龙痔疮膏', 'mayinglong'],
        ['五芳斋汤圆', 'wufangzhai'],
        ['黄鹤楼卷烟', 'huanghelou'],
        ['汪玉霞月饼', 'wangyuxia'],
        ['汉口二厂汽水', 'hankouerchang'],
        ['老大兴园鮰鱼', 'laodaxingyuan'],
      ] as const) {
        const r = await finds(text, slug, { first: true });
        assert.equal(r.relaxed, undefined, `${text}: every word matched`);
      }
    });

    it('when the words of a joined query match in different fields, then the brand and its product both count (a highlight each)', async () => {
      const r = await finds('蔡林记面窝', 'cailinji', { first: true });
      const hit = r.hits[0]!;
      assert.ok(hit.highlights.name?.includes('蔡林记'));
      assert.ok(hit.highlights.keywords?.includes('面窝'));
      assert.deepEqual(r.understood?.terms, ['蔡林记', '面窝']);
    });

    it('when the city is typed with the brand (space or pinyin), then it is ignored', async () => {
      for (const text of ['武汉 周黑鸭', 'Wuhan Zhou Hei Ya', '武汉市 蔡林记', 'wuhan cailinji']) {
        const r = await search(text);
        assert.ok(['zhouheiya', 'cailinji'].includes(slugs(r)[0]!), `${text} → ${slugs(r).slice(0, 3).join(', ')}`);
        assert.ok(
          r.understood?.ignored?.some((w) => w === '武汉' || w === '武汉市' || w === 'wuhan'),
          `${text}: city reported as ignored`,
        );
      }
    });

    it('when a company name is cut short inside its legal form, then the brand is found', async () => {
      await finds('武商集团股份', 'wushang', { first: true });
      await finds('马应龙药业集团股份', 'mayinglong', { first: true });
      await finds('蔡林记商贸有限', 'cailinji', { first: true });
      const r = await finds('周黑鸭股份', 'zhouheiya', { first: true });
      assert.deepEqual(r.understood?.ignored, ['股份']);
    });

    it('when the pinyin of a later word of a name is typed joined, then the brand is found', async () => {
      await finds('tianchi', 'mulantianchi', { first: true });
      await finds('daxingyuan', 'laodaxingyuan', { first: true });
      await finds('erchang', 'hankouerchang', { first: true });
      await finds('daqiaoju', 'zhongtiedaqiaoju', { first: true });
    });

    it('when an everyday word is typed for the trade word, then the synonym finds it', async () => {
      await finds('黄鹤楼香烟', 'huanghelou', { first: true });
      await finds('亨达利手表', 'hengdali', { first: true });
      await finds('德华楼包子', 'dehualou', { first: true });
    });

    it('when a certificate number is typed without hyphens or with spaces, then its certificate comes first', async () => {
      const certs = demo.filter((d) => d.kind === 'certified').slice(0, 6);
      for (const cert of certs) {
        const number = cert.identifiers.at(-1)!;
        assert.match(number, /-/);
        for (const typed of [number.replace(/-/g, ''), number.replace(/-/g, ' '), number.replace(/-/g, '').toLowerCase()]) {
          const r = await search(typed);
          assert.equal(r.hits[0]?.doc.id, cert.id, `${typed} → ${cert.id}; got ${r.hits[0]?.doc.id}`);
        }
      }
    });

    it('when a trademark registration number is typed in groups, then its entry comes first', async () => {
      const dir = demo.find((d) => d.kind === 'directory' && d.identifiers.length > 1)!;
      const regNo = dir.identifiers[1]!;
      const spaced = `${regNo.slice(0, 4)} ${regNo.slice(4)}`;
      const r = await search(spaced);
      assert.equal(r.hits[0]?.doc.slug, dir.slug, `${spaced} → ${dir.slug}`);
    });

    it('when a list or tier is named with a brand, then it filters and says so; alone it lists the registry', async () => {
      const th = await search('蔡林记老字号');
      assert.ok(th.hits.length > 0 && th.hits.every((h) => h.doc.kind === 'time-honored' && h.doc.slug === 'cailinji'));
      assert.equal(th.understood?.kind, 'time-honored');
      const ask = await search('四季美是老字号吗');
      assert.ok(ask.hits.length > 0 && ask.hits.every((h) => h.doc.kind === 'time-honored' && h.doc.slug === 'sijimei'));
      assert.ok(ask.understood?.ignored?.includes('吗'));
      const tier = await search('武汉精品热干面', { pageSize: 100 });
      assert.ok(tier.total > 0 && tier.hits.every((h) => h.doc.tier === '武汉精品'));
      assert.ok(slugs(tier).includes('cailinji'));
      assert.equal(tier.understood?.tier, '武汉精品');
      // Named alone, a list is searched by its words, as before (its entries carry them).
      const alone = await search('中华老字号', { pageSize: 100 });
      assert.ok(alone.total > 0 && alone.hits.some((h) => h.doc.tier === '中华老字号'));
      assert.equal(alone.understood?.kind, undefined);
      const district = await search('江汉区', { pageSize: 100 });
      assert.ok(district.total > 0 && district.hits.every((h) => h.doc.district === '江汉区'));
      assert.equal(district.understood?.district, '江汉区');
      const zh = await search('中华老字号 汤包');
      assert.ok(zh.hits.length > 0 && zh.hits.every((h) => h.doc.tier === '中华老字号'));
      assert.ok(slugs(zh).includes('sijimei'));
      const famous = await search('驰名商标', { pageSize: 100 });
      assert.ok(famous.total > 0 && famous.hits.every((h) => h.doc.kind === 'famous'));
      const cert = await search('周黑鸭精品');
      assert.ok(cert.hits.length > 0 && cert.hits.every((h) => h.doc.kind === 'certified' && h.doc.slug === 'zhouheiya'));
    });

    it('when nothing matches every word, then the least informative is left out and the result says which', async () => {
      const r = await finds('蔡林记好吃', 'cailinji', { first: true });
      assert.deepEqual(r.relaxed, { dropped: ['好吃'] });
      // 周黑鸭 is not a time-honored brand: the list filter is lifted, and reported.
      const lifted = await finds('周黑鸭老字号', 'zhouheiya', { first: true });
      assert.deepEqual(lifted.relaxed, { dropped: ['老字号'] });
      assert.equal(lifted.understood?.kind, undefined, 'the lifted filter is not reported as applied');
      // Unknown chunk first, then the more common of two known words.
      const two = await search('五芳斋粽子月饼');
      assert.ok(two.relaxed && two.relaxed.dropped.length === 1, JSON.stringify(two.relaxed));
      assert.ok(two.total > 0);
      const none = await search('蔡林己');
      assert.equal(none.total, 0, 'a wrong character in a one-word query is still not found');
      assert.equal(none.relaxed, undefined);
    });

    it('when the dictionary changes with the entries, then a new brand and product typed together are found, and a removed one no longer splits', async () => {
      const base = demo.find((d) => d.kind === 'directory')!;
      const made: SearchDoc = {
        ...base,
        id: 'directory:understand-1',
        entryId: 'understand-1',
        slug: 'understand-chuweifang',
        name: '楚味坊',
        title: '楚味坊',
        keywords: ['藕粉糕'],
        nameEn: '',
        company: '武汉楚味坊食品有限公司',
        identifiers: [],
        version: 1,
      };
      assert.equal((await search('楚味坊藕粉糕')).total, 0);
      await index.upsert([made]);
      await finds('楚味坊藕粉糕', 'understand-chuweifang', { first: true });
      await index.upsert([{ ...made, version: 2, keywords: ['桂花糕'] }]);
      await finds('楚味坊桂花糕', 'understand-chuweifang', { first: true });
      await index.remove([made.id]);
      assert.equal((await search('楚味坊桂花糕')).total, 0);
    });

    it('when a query is understood, then the ranking promises still hold (exact name before prefix before substring)', async () => {
      const base = demo.find((d) => d.kind === 'directory')!;
      const doc = (id: string, name: string, keywords: string[] = []): SearchDoc => ({
        ...base,
        id: `directory:${id}`,
        entryId: id,
        slug: `urank-${id}`,
        name,
        title: name,
        keywords,
        nameEn: '',
        company: '武汉排序测试有限公司',
        identifiers: [],
        version: 1,
      });
      const made = [doc('u4', '汉阳门花园', ['琴台月']), doc('u3', '古琴台月', []), doc('u2', '琴台月饼家', []), doc('u1', '琴台月', [])];
      await index.upsert(made);
      for (const text of ['琴台月', '武汉 琴台月', '琴台月股份']) {
        const order = slugs(await search(text)).filter((s) => s.startsWith('urank-'));
        assert.deepEqual(order, ['urank-u1', 'urank-u2', 'urank-u3', 'urank-u4'], text);
      }
      await index.remove(made.map((d) => d.id));
    });
  });
}

describe('query understanding through /api/v1/search', function () {
  this.timeout(120_000);
  const api = async (text: string, extra = '') => {
    const res = await request(testContext().app).get(encodeNonAscii(`/api/v1/search?q=${encodeURIComponent(text)}${extra}`));
    assert.equal(res.status, 200, res.text.slice(0, 200));
    return res.body as { hits: Array<{ slug: string; kind: string; highlights: Record<string, string> }>; total: number };
  };

  it('when brand and product, a short company name, a hyphen-less number or a synonym are typed, then the API finds the brand first', async () => {
    for (const [text, slug] of [
      ['马应龙痔疮膏', 'mayinglong'],
      ['德华楼包子', 'dehualou'],
      ['武商集团股份', 'wushang'],
      ['黄鹤楼香烟', 'huanghelou'],
      ['Wuhan Zhou Hei Ya', 'zhouheiya'],
      ['tianchi', 'mulantianchi'],
    ] as const) {
      const body = await api(text);
      assert.equal(
        body.hits[0]?.slug,
        slug,
        `${text} → ${body.hits
          .map((h) => h.slug)
          .slice(0, 5)
          .join(', ')}`,
      );
    }
    const cert = await testContext().index.search(q('WHJP', { filters: { kind: 'certified' } }));
    const number = cert.hits[0]!.doc.identifiers.at(-1)!;
    const body = await api(number.replace(/-/g, ''));
    assert.equal(body.hits[0]?.slug, cert.hits[0]!.doc.slug);
  });

  it('when a brand is created through the registry, then the sync worker teaches the dictionary its name and product', async () => {
    const made = await createTestBrand({ slugPrefix: 'understand-api', name: '鹤鸣轩', keywords: ['桂花酥'] });
    await testContext().sync.drain();
    const body = await api('鹤鸣轩桂花酥');
    assert.equal(body.hits[0]?.slug, made.slug, JSON.stringify(body.hits.slice(0, 3)));
    assert.ok(body.hits[0]!.highlights.keywords?.includes('<mark>桂花酥</mark>'));
  });
});
