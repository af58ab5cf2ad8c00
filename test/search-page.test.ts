/**
 * The results page, phone first: the count and the "数据更新于" stamp come before the first hit,
 * the filters sit behind one <details> toggle (works without JavaScript) that says how many are
 * active, a search that finds nothing offers "did you mean" as a link, and the pages with a
 * search box load the suggest script (the form itself needs none).
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { testContext } from './support/context.js';
import { createTestBrand, get, hrefUrl, page, pathOf, resultCount } from './support/helpers.js';

/** Position of the first match of a selector in the page's document order (-1 if absent). */
const order = ($: Awaited<ReturnType<typeof page>>['$'], selector: string): number => {
  const all = $('*').toArray();
  const el = $(selector).first().get(0);
  return el ? all.indexOf(el) : -1;
};

describe('search page: results first', () => {
  it('when 热干面 is searched, then the count and the data stamp come before the first hit, and the filters before the hits too but collapsed', async () => {
    const { $ } = await page('/search?q=热干面');
    const count = order($, '#results-count');
    const stamp = order($, '.data-as-of time');
    const toggle = order($, 'details.filters-toggle');
    const firstHit = order($, 'ol.hits li.hit');
    assert.ok(firstHit > 0, 'there are hits');
    assert.ok(count > 0 && count < firstHit, 'count above the first hit');
    assert.ok(stamp > 0 && stamp < firstHit, 'stamp above the first hit');
    assert.ok(toggle > 0 && toggle < firstHit, 'the toggle above the hits');
    // Changes other tests just saved may still be on their way to the index: then the stamp says so.
    assert.match($('.data-as-of').text(), /^数据更新于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}( · 另有 \d+ 条刚保存的修改正在写入搜索，稍后可见)?$/);
    const iso = $('.data-as-of time').attr('datetime');
    assert.ok(iso && !Number.isNaN(Date.parse(iso)), 'a machine-readable datetime');
  });

  it('when the stamp is shown, then it is the newest updatedAt among the indexed entries (not the time of the request)', async () => {
    const newest = await testContext().index.search({ q: '', filters: {}, sort: 'updated', page: 1, pageSize: 1, facets: false });
    const { $ } = await page('/search?q=汤包');
    const shown = Date.parse($('.data-as-of time').attr('datetime') ?? '');
    // Remembered for up to 30 s, so it may be a little older than the newest change right now.
    assert.ok(shown <= newest.hits[0]!.doc.updatedAt, 'never newer than the index');
    assert.ok(newest.hits[0]!.doc.updatedAt - shown < 10 * 60_000, 'and close to it');
  });

  it('when the page is read without JavaScript, then the filters are one closed <details> with a <summary>, holding every facet as plain links', async () => {
    const { $ } = await page('/search?q=热干面');
    const toggle = $('aside.filters > details.filters-toggle');
    assert.equal(toggle.length, 1, 'one toggle');
    assert.equal(toggle.attr('open'), undefined, 'closed: results first on a phone');
    assert.equal(toggle.children('summary').length, 1);
    assert.match(toggle.children('summary').text(), /筛选/);
    assert.equal(toggle.children('summary').find('.filters-active').length, 0, 'no filter active: no count');
    assert.ok(toggle.find('details.facet a[href^="/search?"]').length > 0, 'facet links inside the toggle');
    assert.equal($('aside.filters').attr('aria-labelledby'), 'filters-title');
    assert.equal($('#filters-title').length, 1);
  });

  it('when filters are active, then the toggle says how many and the active filters are listed above the hits', async () => {
    const { $ } = await page('/search?q=热干面&district=江汉区&kind=time-honored');
    assert.match($('details.filters-toggle > summary .filters-active').text(), /已选 2 项/);
    assert.equal($('ul.active-filters li a[aria-label]').length, 2);
    assert.ok(order($, 'ul.active-filters') < order($, 'ol.hits li.hit'));
    const en = await page('/search?q=热干面&district=江汉区&lang=en');
    assert.match(en.$('details.filters-toggle > summary').text(), /Filters\s+1 selected/);
    assert.match(en.$('.data-as-of').text(), /^Data as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}( · \d+ changes just saved are still being indexed)?$/);
  });

  it('when a list page is opened, then it has the same layout (count, stamp, toggle)', async () => {
    const { $ } = await page('/time-honored');
    assert.ok(resultCount($) > 0);
    assert.equal($('details.filters-toggle').length, 1);
    assert.equal($('.data-as-of time').length, 1);
  });
});

describe('search page: did you mean', () => {
  it('when a misspelt brand (蔡林纪) finds nothing, then the page offers 蔡林记 as a link, not a redirect', async () => {
    const { $, res } = await page('/search?q=蔡林纪');
    assert.equal(res.status, 200, 'no redirect');
    if (resultCount($) > 0) return; // the engine understood it by itself: nothing to correct
    const link = $('.empty .did-you-mean a');
    assert.equal(link.length, 1, $('.empty').text());
    assert.equal(link.text(), '蔡林记');
    const href = hrefUrl(link.attr('href'));
    assert.equal(href.pathname, '/search');
    assert.equal(href.searchParams.get('q'), '蔡林记');
    const { $: next } = await page(pathOf(link.attr('href')));
    assert.ok(resultCount(next) > 0, 'the suggestion finds something');
  });

  it('when misspelt pinyin (cailinjj) finds nothing, then a close brand is offered', async () => {
    const { $ } = await page('/search?q=cailinjj');
    if (resultCount($) > 0) return; // spelling correction in the engine found it
    assert.equal($('.did-you-mean a').text(), '蔡林记');
  });

  it('when words near nothing known find nothing, then no suggestion is made', async () => {
    const { $ } = await page(`/search?q=${encodeURIComponent('龘靐齉')}`);
    assert.equal(resultCount($), 0);
    assert.equal($('.did-you-mean').length, 0);
  });

  it('when something is found, then there is no did-you-mean', async () => {
    const { $ } = await page('/search?q=蔡林记');
    assert.ok(resultCount($) > 0);
    assert.equal($('.did-you-mean').length, 0);
  });
});

describe('search page: suggestions as you type (markup)', () => {
  it('when the home and search pages are opened, then they load /js/suggest.js deferred and mark the search box for it', async () => {
    for (const path of ['/', '/search?q=热干面']) {
      const { $ } = await page(path);
      const script = $('script[src^="/js/suggest.js"]');
      assert.equal(script.length, 1, path);
      assert.ok(script.attr('defer') !== undefined, 'deferred');
      assert.equal($('script:not([src]):not([type="application/ld+json"])').length, 0, 'no inline script');
      assert.equal($('input#q').attr('data-suggest'), '/api/v1/suggest');
      // Without the script, the box is a plain search field in a GET form.
      assert.equal($('input#q').attr('role'), undefined);
      assert.equal($('form[role="search"]').attr('method'), 'get');
    }
    const { $: brand } = await page('/brands/cailinji');
    assert.equal(brand('script[src^="/js/suggest.js"]').length, 0, 'pages without a search box do not load it');
  });

  it('when /js/suggest.js is fetched, then it is JavaScript that uses no eval and writes data with textContent only', async () => {
    const res = await get('/js/suggest.js');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /javascript/);
    assert.doesNotMatch(res.text, /\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    assert.match(res.text, /AbortController/);
    assert.match(res.text, /aria-activedescendant/);
  });
});

describe('search page: what the query understanding says', () => {
  it('when a result was relaxed and filters were read from the words, then the view model says which words were left out and shows the filters', async () => {
    const { searchViewModel } = await import('../src/search/view-model.js');
    const { parseSearchParams } = await import('../src/search/params.js');
    const { params, search } = parseSearchParams({ q: '老字号 热干面 龘' });
    const vm = searchViewModel('zh', '/search', params, search, {
      hits: [],
      total: 0,
      facets: {},
      relaxed: { dropped: ['龘'] },
      understood: { kind: 'time-honored', district: '江汉区', words: ['老字号'] },
    });
    assert.equal(vm.relaxed, '未找到同时包含全部词语的结果，已放宽：去掉了 龘');
    assert.deepEqual(vm.understood, [
      { title: '名录', label: '老字号名录' },
      { title: '所属区', label: '江汉区' },
    ]);
    const en = searchViewModel('en', '/search', params, search, { hits: [], total: 0, facets: {}, relaxed: { dropped: ['a', 'b'] } });
    assert.match(en.relaxed ?? '', /left out a, b/);
    assert.deepEqual(en.understood, []);
  });

  it('when the engine relaxes a query on the real page, then the notice is shown above the hits', async () => {
    const { $ } = await page('/search?q=蔡林记 龘靐齉');
    if (!$('.query-relaxed').length) return; // this engine does not relax queries (yet)
    assert.match($('.query-relaxed').text(), /已放宽：去掉了/);
    assert.ok(order($, '.query-relaxed') < order($, 'ol.hits li.hit'));
  });
});

describe('search: how fresh the data is', function () {
  this.timeout(60_000);

  it('when saved changes are not indexed yet, then the API and the page say how many, beside the data-as-of time', async () => {
    const { sync, makeApp } = testContext();
    await sync.drain();
    await createTestBrand({ slugPrefix: 'fresh', name: '新鲜度品牌' });
    const app = makeApp(); // its own 30-second memory of the stamp
    const api = await request(app).get('/api/v1/search?q=热干面');
    assert.equal(api.status, 200);
    assert.ok(api.body.pendingChanges >= 2, `pending: ${api.body.pendingChanges}`);
    assert.ok(!Number.isNaN(Date.parse(api.body.dataAsOf)), 'dataAsOf is a time');
    const page = cheerio.load((await request(app).get(`/search?q=${encodeURIComponent('热干面')}`)).text);
    assert.match(page('.data-as-of').text(), /数据更新于.*另有 \d+ 条刚保存的修改正在写入搜索/);
    await sync.drain();
    const later = await request(makeApp()).get('/api/v1/search?q=热干面');
    assert.equal(later.body.pendingChanges, 0);
  });
});
