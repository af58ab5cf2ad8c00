/**
 * Results grouped by brand, through the page and /api/v1/search, on the demo data: a brand on
 * several registries is one card carrying each of its standings with a link into each entry; the
 * count and every facet count count what choosing them shows (brands; entries for a registry,
 * whose results list entries); at equal relevance a brand whose certificate is in force ranks
 * above one whose certificate has expired.
 */
import assert from 'node:assert/strict';
import { Certificate } from '../src/registries/models.js';
import { createEntry } from '../src/registries/service.js';
import { testContext } from './support/context.js';
import { createTestBrand, get, hrefUrl, page, pathOf, resultCount, type Doc } from './support/helpers.js';

const cards = ($: Doc) => $('ol.hits > li.brand-hit');
const card = ($: Doc, slug: string) => cards($).filter((_, li) => $(li).find('.hit-title a').attr('href')?.split('?')[0] === `/brands/${slug}`);
const standings = ($: Doc, slug: string) =>
  card($, slug)
    .find('ul.entry-chips a.entry-chip')
    .toArray()
    .map((a) => ({ text: $(a).text().replace(/\s+/g, ' ').trim(), href: $(a).attr('href') ?? '' }));

type ApiBrand = {
  slug: string;
  name: string;
  url: string;
  entries: Array<{ kind: string; tier: string; status: string; year: number | null; validUntil: string | null; identifier: string | null; url: string }>;
};

const apiSearch = async (query: string) => {
  const res = await get(`/api/v1/search?${query}`);
  assert.equal(res.status, 200, `${query} → ${res.status} ${res.text.slice(0, 200)}`);
  return res.body as {
    group?: string;
    brands?: ApiBrand[];
    hits?: Array<Record<string, unknown>>;
    total: number;
    facets: Record<string, Array<{ value: string; count: number }>>;
  };
};

describe('search results grouped by brand', () => {
  before(async () => testContext().sync.drain());

  describe('the results page', () => {
    it('when 蔡林记 is searched, then it is one card with its 老字号, 驰名商标, directory and certificate standings, each linking to its entry', async () => {
      const { $ } = await page('/search?q=蔡林记');
      assert.equal(card($, 'cailinji').length, 1, 'one card');
      assert.equal($('ol.hits li.hit:not(.brand-hit)').length, 0, 'no entry cards');
      const s = standings($, 'cailinji');
      const texts = s.map((x) => x.text);
      assert.ok(
        texts.some((x) => /^中华老字号 2006 有效$/.test(x)),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => /^驰名商标 2013 重点保护$/.test(x)),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => /^商标品牌 · 优势商标 在册$/.test(x)),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => /^武汉精品 蔡林记速食热干面 (有效 有效期至|过期 )\d{4}年\d{1,2}月\d{1,2}日/.test(x)),
        texts.join(' | '),
      );
      const hrefs = s.map((x) => x.href);
      for (const kind of ['time-honored', 'famous', 'directory']) assert.ok(hrefs.includes(`/brands/cailinji#${kind}`), `${kind}: ${hrefs.join(' ')}`);
      const certs = await Certificate.find({ product: /^蔡林记/ }).lean();
      for (const c of certs) assert.ok(hrefs.includes(`/verify/${c.number}`), `certificate ${c.number} links to its check`);
      for (const href of hrefs) assert.equal((await get(href.split('#')[0]!)).status, 200, href);
    });

    it('when 马应龙 is searched, then the brand appears once and the count says brands', async () => {
      const { $ } = await page('/search?q=马应龙');
      assert.equal(card($, 'mayinglong').length, 1);
      assert.ok(standings($, 'mayinglong').length >= 4, 'directory, famous, 老字号 and certificate');
      assert.match($('#results-count').text(), /^共 \d+ 个品牌$/);
      assert.equal(resultCount($), cards($).length);
      const slugs = cards($)
        .toArray()
        .map((li) => $(li).find('.hit-title a').attr('href'));
      assert.equal(new Set(slugs).size, slugs.length, 'every brand once');
    });

    it('when the page is in English, then the standings and the count read in English', async () => {
      const { $ } = await page('/search?q=蔡林记&lang=en');
      assert.match($('#results-count').text(), /^\d+ brands?$/);
      const texts = standings($, 'cailinji').map((x) => x.text);
      assert.ok(
        texts.some((x) => x.startsWith('China Time-honored Brand 2006')),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => x.startsWith('Famous mark 2013')),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => /valid until \d{4}-\d{2}-\d{2}|expired \d{4}-\d{2}-\d{2}/.test(x)),
        texts.join(' | '),
      );
      assert.ok(
        standings($, 'cailinji').every((x) => x.href.includes('lang=en')),
        'links keep the language',
      );
    });

    it('when a facet value is followed, then the page shows as many results as its count said (brands; entries for a registry)', async () => {
      const { $ } = await page('/search?q=热干面');
      const links = $('aside.filters details.facet a').toArray();
      assert.ok(links.length > 4);
      for (const a of links) {
        const href = $(a).attr('href');
        const count = Number($(a).find('.facet-count').text());
        const { $: next } = await page(pathOf(href));
        assert.equal(resultCount(next), count, `${href}`);
        const registry = hrefUrl(href).searchParams.get('kind');
        if (registry) assert.equal(cards(next).length, 0, `${href}: a registry lists entries`);
        else assert.equal(cards(next).length, Math.min(count, 20), `${href}: brand cards`);
      }
    });

    it('when a registry is chosen, then entries are listed one per card as before', async () => {
      const { $ } = await page('/search?q=蔡林记&kind=certified');
      assert.equal(cards($).length, 0);
      assert.ok($('ol.hits li.hit-certified').length >= 2, 'each certificate its own card');
    });

    it('when two brands match equally, then the one whose certificate is in force comes before the one whose certificate expired', async () => {
      const name = '琉璃雁塔';
      const valid = await createTestBrand({
        slugPrefix: 'grouping-valid',
        name,
        directory: false,
        certificate: { number: `WHJP-G${Date.now() % 1e6}-1`, product: '琉璃雁塔糕点' },
      });
      const expired = await createTestBrand({ slugPrefix: 'grouping-expired', name, directory: false });
      // Created last, so recency alone would put it first.
      await createEntry<Record<string, unknown>>(Certificate, {
        number: `WHJP-G${Date.now() % 1e6}-2`,
        brand: expired.brand._id,
        level: '武汉精品',
        scope: '产品',
        product: '琉璃雁塔糕点',
        issuedAt: new Date(Date.UTC(2020, 0, 15)),
        validUntil: new Date(Date.UTC(2023, 0, 15)),
        issuer: '武汉市市场监督管理局',
        status: '有效',
      });
      await testContext().sync.drain();
      const { $ } = await page(`/search?q=${name}`);
      const order = cards($)
        .toArray()
        .map((li) => $(li).find('.hit-title a').attr('href'));
      assert.deepEqual(order.slice(0, 2), [`/brands/${valid.slug}`, `/brands/${expired.slug}`]);
      assert.match(standings($, expired.slug)[0]!.text, /过期 2023年1月15日到期/);
      const body = await apiSearch(`q=${encodeURIComponent(name)}&group=brand`);
      assert.deepEqual(
        body.brands!.slice(0, 2).map((b) => b.slug),
        [valid.slug, expired.slug],
      );
    });
  });

  describe('GET /api/v1/search?group=brand', () => {
    it('when group=brand, then each brand comes once with its entries, their standing and links; total counts brands', async () => {
      const body = await apiSearch(`q=${encodeURIComponent('蔡林记')}&group=brand`);
      assert.equal(body.group, 'brand');
      assert.equal(body.hits, undefined, 'brands instead of hits');
      const slugs = body.brands!.map((b) => b.slug);
      assert.equal(new Set(slugs).size, slugs.length);
      assert.equal(body.total, body.brands!.length);
      const cai = body.brands!.find((b) => b.slug === 'cailinji')!;
      assert.equal(cai.url, '/brands/cailinji');
      const kinds = new Set(cai.entries.map((e) => e.kind));
      for (const k of ['directory', 'famous', 'time-honored', 'certified']) assert.ok(kinds.has(k), k);
      const th = cai.entries.find((e) => e.kind === 'time-honored')!;
      assert.deepEqual([th.tier, th.year, th.status, th.url], ['中华老字号', 2006, '有效', '/brands/cailinji#time-honored']);
      for (const c of cai.entries.filter((e) => e.kind === 'certified')) {
        assert.ok(c.validUntil && !Number.isNaN(Date.parse(c.validUntil)));
        assert.equal(c.url, `/verify/${c.identifier}`);
      }
      const famous = cai.entries.find((e) => e.kind === 'famous')!;
      assert.match(famous.identifier ?? '', /^\d+$/, 'the famous mark’s registration number');
    });

    it('when group is not given, then the answer is one hit per entry as before; an unknown group is a 400 naming it', async () => {
      const body = await apiSearch(`q=${encodeURIComponent('蔡林记')}`);
      assert.equal(body.group, undefined);
      assert.ok(body.hits!.filter((h) => h.slug === 'cailinji').length >= 4, 'one hit per entry');
      const bad = await get('/api/v1/search?q=x&group=brands');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /group/);
    });

    it('when grouped facet counts are followed, then each gives that many brands (a registry: that many entries)', async () => {
      const body = await apiSearch(`q=${encodeURIComponent('武汉精品')}&group=brand&pageSize=100`);
      for (const [facet, values] of Object.entries(body.facets)) {
        for (const v of values.slice(0, 3)) {
          const next = await apiSearch(`q=${encodeURIComponent('武汉精品')}&group=brand&pageSize=100&${facet}=${encodeURIComponent(v.value)}`);
          assert.equal(next.total, v.count, `${facet}=${v.value}`);
          assert.equal((next.brands ?? next.hits)!.length, Math.min(v.count, 100));
        }
      }
    });
  });
});
