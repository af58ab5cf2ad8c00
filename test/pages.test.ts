/**
 * Public pages as documents: what a visitor sees on the home page, search, the four registry lists,
 * a brand page, the English version, the 404 page, and the headers every page carries.
 */
import assert from 'node:assert/strict';
import { testContext } from './support/context.js';
import { assertNoStackTrace, get, hrefUrl, page, pathOf, resultCount, type Doc } from './support/helpers.js';

const KINDS = ['directory', 'famous', 'time-honored', 'certified'] as const;

const apiTotal = async (query: string) => {
  const res = await get(`/api/v1/search?${query}`);
  assert.equal(res.status, 200);
  return res.body.total as number;
};

describe('home page', () => {
  it('when a visitor opens /, then there is a labelled search box that submits q to /search', async () => {
    const { $ } = await page('/');
    assert.equal($('h1').first().text().trim(), '武汉品牌名录');
    const form = $('form[role="search"]');
    assert.equal(form.length, 1);
    assert.equal(form.attr('action'), '/search');
    assert.equal((form.attr('method') ?? 'get').toLowerCase(), 'get');
    const input = form.find('input[name="q"]');
    assert.equal(input.length, 1);
    const id = input.attr('id');
    assert.ok(id);
    const label = $(`label[for="${id}"]`);
    assert.equal(label.length, 1, 'the search box has a <label for>');
    assert.ok(label.text().trim().length > 0);
  });

  it('when a visitor opens /, then each registry shows a count equal to the search index stats and links to its list', async () => {
    const stats = await testContext().index.stats();
    const { $ } = await page('/');
    for (const kind of KINDS) {
      const card = $(`a.count-card.kind-${kind}`);
      assert.equal(card.length, 1, `count card for ${kind}`);
      assert.equal(Number(card.find('.count-n').text()), stats.byKind[kind] ?? 0, `count for ${kind}`);
      assert.equal(card.attr('href'), `/${kind}`);
    }
    assert.ok((stats.byKind.directory ?? 0) > 0);
  });

  it('when a visitor opens /, then featured 中华老字号 brands link to their brand pages and to the full list', async () => {
    const { $ } = await page('/');
    const section = $('section[aria-labelledby="featured-title"]');
    assert.equal(section.length, 1);
    const links = section.find('li.card a[href^="/brands/"]');
    assert.ok(links.length > 0 && links.length <= 6, `featured links: ${links.length}`);
    assert.ok(
      links.toArray().some((a) => $(a).attr('href') === '/brands/cailinji'),
      '蔡林记 is featured',
    );
    section.find('li.card .card-meta').each((_, el) => assert.match($(el).text(), /中华老字号/));
    const more = hrefUrl(section.find('a.more').attr('href'));
    assert.equal(more.pathname, '/time-honored');
    assert.equal(more.searchParams.get('tier'), '中华老字号');
    const { $: list } = await page(pathOf(section.find('a.more').attr('href')));
    assert.ok(resultCount(list) >= links.length);
  });

  it('when a visitor opens /, then a recently updated list shows hits that link to brand pages', async () => {
    const { $ } = await page('/');
    const section = $('section[aria-labelledby="recent-title"]');
    assert.equal(section.find('h2').text().trim(), '最近更新');
    const hits = section.find('li.hit');
    assert.ok(hits.length > 0 && hits.length <= 8, `recent hits: ${hits.length}`);
    hits.each((_, el) => assert.match($(el).find('.hit-title a').attr('href') ?? '', /^\/brands\/[a-z0-9-]+$/));
  });
});

describe('search page', () => {
  it('when a visitor searches 热干面, then the page states the result count and it matches the API total', async () => {
    const { $ } = await page('/search?q=热干面');
    assert.match($('h1').text(), /热干面/);
    // One card per brand (test/search-grouping.test.ts): the count is of brands, as the API's group=brand.
    assert.match($('#results-count').text(), /^共 \d+ 个品牌$/);
    const n = resultCount($);
    assert.ok(n > 0);
    assert.equal(n, await apiTotal('q=热干面&group=brand'));
    assert.equal($('form[role="search"] input[name="q"]').val(), '热干面', 'the box keeps the query');
  });

  it('when a visitor searches 热干面, then the hits mark the matching text with <mark>', async () => {
    const { $ } = await page('/search?q=热干面');
    const hits = $('ol.hits li.hit');
    assert.ok(hits.length > 0);
    const marks = $('ol.hits mark');
    assert.ok(marks.length > 0, 'some <mark> highlights');
    assert.ok(
      marks.toArray().some((m) => $(m).text().includes('热干面')),
      'a highlight contains the query',
    );
    assert.ok(
      hits.toArray().some((h) => $(h).find('.hit-title a').attr('href') === '/brands/cailinji'),
      '蔡林记 is found',
    );
  });

  it('when results have facets, then each facet value is a plain GET link that adds that filter to the current query', async () => {
    const { $ } = await page('/search?q=热干面');
    const facetLinks = $('aside.filters details.facet a');
    assert.ok(facetLinks.length > 0);
    facetLinks.each((_, a) => {
      const u = hrefUrl($(a).attr('href'));
      assert.equal(u.pathname, '/search');
      assert.equal(u.searchParams.get('q'), '热干面', 'keeps the query');
      assert.equal($(a).closest('form').length, 0, 'not inside a form');
    });
    const districtLink = $('aside.filters details.facet')
      .filter((_, d) => $(d).find('summary').text() === '所属区')
      .find('a')
      .first();
    const u = hrefUrl(districtLink.attr('href'));
    const district = u.searchParams.get('district');
    assert.ok(district, 'the district facet link adds district=');
    const facetCount = Number(districtLink.find('.facet-count').text());

    const { $: filtered } = await page(pathOf(districtLink.attr('href')));
    assert.equal(resultCount(filtered), facetCount, 'following the link gives as many results as the facet said');
    filtered('ol.hits li.hit .hit-meta').each((_, el) => assert.ok(filtered(el).text().includes(district)));
  });

  it('when a filter is active, then it is shown with a remove link that drops only that filter', async () => {
    const unfiltered = resultCount((await page('/search?q=热干面')).$);
    const { $ } = await page('/search?q=热干面&district=江汉区');
    const active = $('ul.active-filters');
    assert.equal(active.length, 1);
    assert.match(active.text(), /所属区：江汉区/);
    const remove = active.find('a[aria-label*="江汉区"]');
    assert.equal(remove.length, 1);
    const u = hrefUrl(remove.attr('href'));
    assert.equal(u.searchParams.get('district'), null, 'the remove link drops district');
    assert.equal(u.searchParams.get('q'), '热干面', 'and keeps the query');
    const { $: after } = await page(pathOf(remove.attr('href')));
    assert.equal(resultCount(after), unfiltered);
    assert.equal(after('ul.active-filters').length, 0);
    // The selected facet value is marked and links back to the unfiltered search.
    const selected = $('aside.filters a[aria-current="true"]');
    assert.equal(selected.length, 1);
    assert.equal(hrefUrl(selected.attr('href')).searchParams.get('district'), null);
  });

  it('when results exceed a page (pageSize=5), then pagination links lead to the next page with other hits', async () => {
    const total = await apiTotal('pageSize=5');
    assert.ok(total > 10);
    const { $ } = await page('/search?pageSize=5');
    assert.equal(resultCount($), total);
    assert.equal($('ol.hits li.hit').length, 5);
    const nav = $('nav.pagination');
    assert.equal(nav.length, 1);
    assert.equal(nav.find('a[aria-current="page"]').text().trim(), '1');
    assert.equal(nav.find('a[rel="prev"]').length, 0, 'no previous link on page 1');
    const next = nav.find('a[rel="next"]');
    const u = hrefUrl(next.attr('href'));
    assert.equal(u.searchParams.get('page'), '2');
    assert.equal(u.searchParams.get('pageSize'), '5', 'the page size is kept');
    const lastPage = Math.ceil(total / 5);
    assert.ok(
      nav
        .find('ul a')
        .toArray()
        .some((a) => $(a).text().trim() === String(lastPage)),
      'a link to the last page',
    );

    const { $: p2 } = await page(pathOf(next.attr('href')));
    assert.equal(p2('nav.pagination a[aria-current="page"]').text().trim(), '2');
    assert.equal(p2('ol.hits li.hit').length, 5);
    assert.equal(hrefUrl(p2('nav.pagination a[rel="prev"]').attr('href')).searchParams.get('page'), null, 'previous from 2 is page 1');
    const keys = (d: Doc) =>
      d('ol.hits li.hit')
        .toArray()
        .map((h) => `${d(h).attr('class')}|${d(h).find('.hit-title a').attr('href')}|${d(h).find('.hit-title').text()}`);
    const first = new Set(keys($));
    assert.ok(
      keys(p2).every((k) => !first.has(k)),
      'page 2 shows other hits than page 1',
    );
  });

  it('when the visitor picks a sort, then the sort select offers every order and shows the chosen one', async () => {
    const { $ } = await page('/search?q=热干面&sort=name&district=江汉区');
    const select = $('form.sort-form select[name="sort"]');
    assert.equal(select.length, 1);
    assert.equal($(`label[for="${select.attr('id')}"]`).length, 1, 'the select has a label');
    const options = select
      .find('option')
      .toArray()
      .map((o) => $(o).attr('value'));
    assert.deepEqual(options, ['relevance', 'updated', 'name']);
    assert.equal(select.find('option[selected]').attr('value'), 'name');
    const form = $('form.sort-form');
    assert.equal(form.attr('action'), '/search');
    assert.equal(form.find('input[type="hidden"][name="q"]').val(), '热干面', 'the sort form keeps the query');
    assert.equal(form.find('input[type="hidden"][name="district"]').val(), '江汉区', 'and the filters');
  });

  it('when nothing matches, then the page says so with a hint instead of an empty list', async () => {
    const { $ } = await page('/search?q=zzqqxxyyww');
    assert.equal(resultCount($), 0);
    assert.match($('.empty').text(), /没有找到匹配的条目/);
  });
});

describe('registry list pages', () => {
  for (const kind of KINDS) {
    it(`when a visitor opens /${kind}, then only ${kind} entries are listed and the count matches the index`, async () => {
      const stats = await testContext().index.stats();
      const { $ } = await page(`/${kind}`);
      assert.equal(resultCount($), stats.byKind[kind] ?? 0);
      const hits = $('ol.hits li.hit');
      assert.ok(hits.length > 0);
      hits.each((_, h) => assert.ok($(h).hasClass(`hit-${kind}`), `hit of kind ${kind}: ${$(h).attr('class')}`));
      assert.equal($(`nav.site-nav a[href="/${kind}"]`).attr('aria-current'), 'page');
      assert.equal(
        $('aside.filters summary')
          .toArray()
          .some((s) => $(s).text() === '名录'),
        false,
        'no registry facet on a registry list',
      );
      $('aside.filters a').each((_, a) => assert.equal(hrefUrl($(a).attr('href')).pathname, `/${kind}`));
    });
  }
});

describe('brand page', () => {
  let $: Doc;
  before(async () => {
    $ = (await page('/brands/cailinji')).$;
  });

  it('when a visitor opens /brands/cailinji, then the name, company and credit code are shown', () => {
    assert.match($('h1').text(), /^蔡林记/);
    assert.equal($('.brand-company').text().trim(), '武汉蔡林记商贸有限公司');
    const fact = (label: string) =>
      $('dl.facts')
        .first()
        .find('dt')
        .filter((_, dt) => $(dt).text() === label)
        .next('dd')
        .text()
        .trim();
    assert.equal(fact('权利人/企业'), '武汉蔡林记商贸有限公司');
    assert.match(fact('统一社会信用代码'), /^[0-9A-HJ-NP-RTUW-Y]{18}$/);
  });

  it('when the brand is a 中华老字号, then its tier, recognition year and story are shown', () => {
    const th = $('section#time-honored');
    assert.equal(th.length, 1);
    assert.match(th.text(), /中华老字号/);
    assert.match(th.text(), /2006/);
    assert.match(th.find('p.story').text(), /蔡明纬/);
  });

  it('when the brand has trademarks, then they are listed in a table with registration numbers and Nice classes', () => {
    const table = $('section#directory table');
    assert.equal(table.find('caption').text().trim(), '注册商标');
    const headers = table
      .find('thead th')
      .toArray()
      .map((th) => $(th).text());
    assert.deepEqual(headers, ['注册号', '尼斯分类', '有效期', '马德里国际注册']);
    const rows = table.find('tbody tr');
    assert.equal(rows.length, 3);
    rows.each((_, tr) => assert.match($(tr).find('td').first().text(), /^\d{5,12}$/));
    assert.deepEqual(
      rows
        .toArray()
        .map((tr) => Number($(tr).find('td').eq(1).text()))
        .sort((a, b) => a - b),
      [29, 30, 43],
    );
  });

  it('when the brand is a famous mark, then its recognition and protection status are shown', () => {
    const famous = $('section#famous');
    assert.equal(famous.find('h2').text().trim(), '驰名商标认定');
    assert.match(famous.text(), /重点保护/);
    assert.match(famous.text(), /行政认定/);
    assert.match(famous.text(), /2013年/);
  });

  it('when the brand has certificates, then each shows its number, level and a status badge', () => {
    const certs = $('section#certified li.cert');
    assert.equal(certs.length, 2);
    certs.each((_, li) => {
      assert.match($(li).find('.mono').text(), /^[A-Z]+-\d{4}-\d{4}$/);
      assert.match($(li).find('.status').text().trim(), /^(有效|过期|暂停|撤销)$/);
    });
    assert.match($('section#certified').text(), /蔡林记热干面/);
    assert.match($('section#certified').text(), /湖北精品/);
  });

  it('when the brand is demo data, then the page says its details are invented', () => {
    const note = $('.notice-demo');
    assert.equal(note.length, 1);
    assert.match(note.text(), /演示数据/);
  });

  it('when the brand page is parsed, then its JSON-LD is the company as a schema.org Organization with its brand', () => {
    const scripts = $('script[type="application/ld+json"]');
    assert.equal(scripts.length, 1);
    const ld = JSON.parse(scripts.text());
    assert.equal(ld['@context'], 'https://schema.org');
    assert.equal(ld['@type'], 'Organization');
    assert.equal(ld.name, '武汉蔡林记商贸有限公司');
    assert.match(ld.url, /^https?:\/\/[^/]+\/brands\/cailinji$/);
    assert.equal(ld.brand['@type'], 'Brand');
    assert.equal(ld.brand.name, '蔡林记');
  });

  it('when the brand page is served, then no other script runs on it', () => {
    assert.equal($('script').not('[type="application/ld+json"]').not('[src]').length, 0, 'no inline scripts');
  });
});

describe('English pages (?lang=en)', () => {
  const paths = ['/?lang=en', '/search?q=热干面&lang=en', '/directory?lang=en&pageSize=5', '/brands/cailinji?lang=en', '/no-such-page?lang=en'];

  it('when ?lang=en is given, then the page is html lang="en" with English navigation', async () => {
    const { $ } = await page('/?lang=en');
    assert.equal($('html').attr('lang'), 'en');
    const nav = $('nav.site-nav a')
      .toArray()
      .map((a) => $(a).text().trim());
    assert.deepEqual(nav, [
      'Home',
      'Trademark directory',
      'Famous trademarks',
      'Time-honored brands',
      'Certifications',
      'Verify a certificate',
      'Statistics',
      'Open data',
    ]);
    assert.equal($('h1').first().text().trim(), 'Wuhan Brand Registry');
    assert.ok($('form[role="search"] label').text().startsWith('Search'));
  });

  for (const path of paths) {
    it(`when ${path} is opened, then every site link and form on it keeps lang=en`, async () => {
      const { $ } = await page(path, path.startsWith('/no-such-page') ? 404 : 200);
      assert.equal($('html').attr('lang'), 'en');
      const internal = $('a[href^="/"]').not('a.lang');
      assert.ok(internal.length > 0);
      internal.each((_, a) => {
        assert.equal(hrefUrl($(a).attr('href')).searchParams.get('lang'), 'en', `link ${$(a).attr('href')} keeps lang=en`);
      });
      $('form[method="get"]').each((_, f) => {
        assert.equal($(f).find('input[type="hidden"][name="lang"]').val(), 'en', `form ${$(f).attr('action')} keeps lang=en`);
      });
      // The language switch leads back to Chinese.
      assert.equal(hrefUrl($('a.lang').attr('href')).searchParams.get('lang'), null);
    });
  }

  it('when the brand page is in English, then registry terms are translated', async () => {
    const { $ } = await page('/brands/cailinji?lang=en');
    assert.match($('section#time-honored').text(), /China Time-honored Brand/);
    assert.match($('section#directory h2').text(), /Listed/);
  });
});

describe('404 page', () => {
  it('when a page does not exist, then a 404 page explains it and offers a search form', async () => {
    const { $, res } = await page('/no-such-page', 404);
    assert.equal($('h1').text().trim(), '找不到该页面');
    assert.match($('main').text(), /可以搜索品牌名/);
    const form = $('main form[role="search"]');
    assert.equal(form.attr('action'), '/search');
    assert.equal(form.find('input[name="q"]').length, 1);
    assert.ok($('main a[href="/"]').length > 0, 'a link back home');
    assertNoStackTrace(res.text);
  });

  it('when a brand does not exist, then its page is a 404 with the same help', async () => {
    const { $, res } = await page('/brands/no-such-brand-here', 404);
    assert.match($('main').text(), /找不到该品牌/);
    assert.equal($('main form[role="search"]').length, 1);
    assertNoStackTrace(res.text);
  });
});

describe('security headers on pages', () => {
  for (const path of ['/', '/search?q=蔡林记', '/directory', '/brands/cailinji', '/no-such-page']) {
    it(`when ${path} is served, then a strict CSP is set, X-Powered-By is absent and no cookie is set`, async () => {
      const res = await get(path);
      const csp = res.headers['content-security-policy'] ?? '';
      const scriptSrc = csp
        .split(';')
        .map((d) => d.trim())
        .find((d) => d.startsWith('script-src'));
      assert.equal(scriptSrc, "script-src 'self'");
      assert.ok(!csp.includes('unsafe-inline'), 'no unsafe-inline');
      assert.ok(!csp.includes('unsafe-eval'), 'no unsafe-eval');
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers['x-powered-by'], undefined);
      assert.equal(res.headers['set-cookie'], undefined);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    });
  }
});
