/**
 * The furniture of the site and its delivery: footer (主办单位, contact, statements, reference-only
 * notice), the privacy and accessibility statements, page and error titles, compression, hashed
 * static files, CORS on the read-only API, robots.txt and the streamed sitemap, canonical links
 * and descriptions, the brand page's JSON-LD, bilingual parameter errors, and the audit page in
 * people's terms.
 */
import * as cheerio from 'cheerio';
import express from 'express';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { AppError } from '../src/platform/errors.js';
import { errorHandler, notFoundHandler, pageContext } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createRenderer } from '../src/platform/views.js';
import { changeStatus } from '../src/registries/service.js';
import { Brand } from '../src/registries/models.js';
import { loginAs } from './support/admin.js';
import { testContext } from './support/context.js';
import { createTestBrand, DirectoryEntry, get, page } from './support/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('site furniture: footer and statements', () => {
  for (const p of ['/', '/directory', '/brands/cailinji', '/verify', '/stats', '/open-data', '/api']) {
    it(`when ${p} is opened, then the footer names the operator and contact, links the statements, says it is for reference only, and has no /readyz link`, async () => {
      const { $ } = await page(p);
      const footer = $('footer.site-footer');
      assert.match(footer.text(), /主办单位：武汉市市场监督管理局/);
      assert.match(footer.text(), /联系方式：12315/);
      assert.match(footer.text(), /本站信息仅供参考，以登记机关公布的为准/);
      assert.equal(footer.find('a[href="/privacy"]').text().trim(), '隐私声明');
      assert.equal(footer.find('a[href="/accessibility"]').text().trim(), '无障碍声明');
      assert.equal($('a[href*="readyz"]').length, 0, 'no operator endpoint for citizens');
    });
  }

  it('when the page is English, then the footer is too and its links keep lang=en', async () => {
    const { $ } = await page('/?lang=en');
    const footer = $('footer.site-footer');
    assert.match(footer.text(), /Operated by Wuhan Administration for Market Regulation/);
    assert.match(footer.text(), /For reference only/);
    assert.equal(footer.find('a[href="/privacy?lang=en"]').text().trim(), 'Privacy statement');
    assert.equal(footer.find('a[href="/accessibility?lang=en"]').text().trim(), 'Accessibility statement');
  });

  it('when another operator is configured, then the footer names it', async () => {
    const app = testContext().makeApp({ SITE_OPERATOR: '某市市场监督管理局', SITE_CONTACT: '027-00000000', SITE_CONTACT_EMAIL: 'brands@example.gov.cn' });
    const res = await request(app).get('/privacy');
    const $ = cheerio.load(res.text);
    assert.match($('footer').text(), /主办单位：某市市场监督管理局/);
    assert.match($('footer').text(), /027-00000000/);
    assert.equal($('footer a[href="mailto:brands@example.gov.cn"]').length, 1);
    assert.match($('main').text(), /某市市场监督管理局/);
  });

  it('when /privacy is opened in Chinese and English, then it says what is kept: no tracking, cookies only for the back office and 关怀版', async () => {
    const { $ } = await page('/privacy');
    assert.equal($('h1').text().trim(), '隐私声明');
    assert.match($('title').text(), /^隐私声明 · 武汉品牌名录$/);
    assert.match($('main').text(), /不使用统计分析、广告或任何跟踪代码/);
    assert.match($('main').text(), /wbr\.sid/);
    assert.match($('main').text(), /wbr\.care/);
    const { $: en } = await page('/privacy?lang=en');
    assert.equal(en('h1').text().trim(), 'Privacy statement');
    assert.match(en('main').text(), /no tracking code/);
    assert.equal(en('html').attr('lang'), 'en');
  });

  it('when /accessibility is opened in Chinese and English, then it lists the measures and how to report a problem', async () => {
    const { $ } = await page('/accessibility');
    assert.equal($('h1').text().trim(), '无障碍声明');
    assert.match($('main').text(), /GB\/T 37668-2019/);
    assert.match($('main').text(), /反馈问题/);
    assert.match($('main').text(), /12315/);
    const { $: en } = await page('/accessibility?lang=en');
    assert.equal(en('h1').text().trim(), 'Accessibility statement');
    assert.match(en('main').text(), /Report a problem/);
  });

  it('when the home page is opened, then its title names the site once', async () => {
    const { $ } = await page('/');
    const title = $('title').text();
    assert.equal(title.split('武汉品牌名录').length - 1, 1, title);
    assert.match(title, /武汉市市场监督管理局/);
    const { $: en } = await page('/?lang=en');
    assert.equal(en('title').text().split('Wuhan Brand Registry').length - 1, 1);
  });
});

describe('error page titles', () => {
  // The error handler on its own, with causes that are hard to provoke on the real app (403, 500, 503).
  const errorsApp = () => {
    const app = express();
    app.use(pageContext('http://localhost:3000'));
    app.get('/forbidden', () => {
      throw new AppError('forbidden', '无权访问', { messageEn: 'Not allowed' });
    });
    app.get('/boom', () => {
      throw new Error('internal detail');
    });
    app.get('/unavailable', () => {
      throw new AppError('search_unavailable', '搜索服务暂时不可用', { messageEn: 'Search unavailable' });
    });
    app.get('/bad', () => {
      throw new AppError('bad_request', '请求格式不正确', { messageEn: 'Malformed request' });
    });
    app.use(notFoundHandler());
    app.use(errorHandler(createRenderer(path.join(ROOT, 'views')), createLogger('silent')));
    return app;
  };

  const cases: Array<[string, number, string, string]> = [
    ['/forbidden', 403, '禁止访问', 'Forbidden'],
    ['/boom', 500, '服务出错了', 'Something went wrong'],
    ['/unavailable', 503, '服务暂时不可用', 'Service temporarily unavailable'],
    ['/bad', 400, '请求有误', 'Bad request'],
    ['/nope', 404, '找不到该页面', 'Page not found'],
  ];
  for (const [p, status, zh, en] of cases) {
    it(`when a page answers ${status}, then its <title> and heading say ${zh} / ${en}, with no canonical link`, async () => {
      const app = errorsApp();
      const res = await request(app).get(p);
      assert.equal(res.status, status);
      const $ = cheerio.load(res.text);
      assert.equal($('title').text(), `${zh} · 武汉品牌名录`);
      assert.equal($('h1').text().trim(), zh);
      assert.equal($('link[rel="canonical"]').length, 0);
      assert.equal($('meta[name="robots"]').attr('content'), 'noindex');
      const resEn = await request(app).get(`${p}?lang=en`);
      assert.equal(cheerio.load(resEn.text)('title').text(), `${en} · Wuhan Brand Registry`);
    });
  }

  it('when a viewer opens an admin-only page on the real app, then the 403 page is titled 禁止访问', async () => {
    const { agent } = await loginAs('viewer');
    const res = await agent.get('/admin/users');
    assert.equal(res.status, 403);
    assert.match(cheerio.load(res.text)('title').text(), /^禁止访问 · /);
  });

  it('when a client goes over the search limit, then the 429 page is titled 请求过于频繁', async () => {
    const app = testContext().makeApp({ RATE_LIMIT_SEARCH_PER_MIN: 1 });
    await request(app).get('/search?q=furniture-limit');
    const res = await request(app).get('/search?q=furniture-limit-2');
    assert.equal(res.status, 429);
    assert.match(cheerio.load(res.text)('title').text(), /^请求过于频繁 · 武汉品牌名录$/);
  });
});

describe('delivery: compression and static files', () => {
  it('when HTML and CSS are asked for with Accept-Encoding gzip or br, then they come compressed', async () => {
    const html = await request(testContext().app).get('/').set('Accept-Encoding', 'gzip');
    assert.equal(html.status, 200);
    assert.equal(html.headers['content-encoding'], 'gzip');
    assert.match(html.headers.vary ?? '', /Accept-Encoding/i);
    const css = await request(testContext().app).get('/css/site.css').set('Accept-Encoding', 'br');
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-encoding'], 'br');
  });

  it('when a tiny answer or no Accept-Encoding, then it is sent as is', async () => {
    const tiny = await request(testContext().app).get('/healthz').set('Accept-Encoding', 'gzip');
    assert.equal(tiny.headers['content-encoding'], undefined);
    const plain = await request(testContext().app).get('/').set('Accept-Encoding', 'identity');
    assert.equal(plain.headers['content-encoding'], undefined);
  });

  it('when a page links its stylesheets, then they carry a content hash that is cached immutable, and the bare path only briefly', async () => {
    const { $ } = await page('/');
    const href = $('link[rel="stylesheet"]').first().attr('href') ?? '';
    assert.match(href, /^\/css\/site\.css\?v=[0-9a-f]{10}$/);
    const hashed = await get(href);
    assert.equal(hashed.status, 200);
    assert.equal(hashed.headers['cache-control'], 'public, max-age=31536000, immutable');
    const bare = await get('/css/site.css');
    assert.equal(bare.status, 200);
    assert.doesNotMatch(bare.headers['cache-control'] ?? '', /immutable/);
    assert.match(bare.headers['cache-control'] ?? '', /no-cache|max-age=\d{1,4}\b/);
    const stale = await get('/css/site.css?v=0000000000');
    assert.doesNotMatch(stale.headers['cache-control'] ?? '', /immutable/);
  });

  it('when pages are opened, then stats.css is linked on the statistics, open data and API pages only', async () => {
    const sheets = async (p: string) =>
      (await page(p))
        .$('link[rel="stylesheet"]')
        .toArray()
        .map((l) => l.attribs.href ?? '');
    for (const p of ['/', '/directory', '/brands/cailinji', '/verify', '/privacy']) {
      assert.ok(!(await sheets(p)).some((h) => h.includes('stats.css')), `${p} does not load stats.css`);
    }
    for (const p of ['/stats', '/open-data', '/api']) {
      assert.ok(
        (await sheets(p)).some((h) => /^\/css\/stats\.css\?v=/.test(h)),
        `${p} loads stats.css`,
      );
    }
  });
});

describe('CORS on the read-only API', () => {
  it('when another site GETs /api/v1/*, then the answer allows any origin without credentials', async () => {
    for (const p of ['/api/v1/search?q=蔡林记', '/api/v1/brands/cailinji', '/api/v1/openapi.json', '/api/v1/brands/nope-nope']) {
      const res = await get(p).set('Origin', 'https://app.example.org');
      assert.equal(res.headers['access-control-allow-origin'], '*', p);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, p);
      assert.match(res.headers['access-control-expose-headers'] ?? '', /ETag/);
    }
  });

  it('when a browser sends a preflight, then 204 allows GET, HEAD and OPTIONS and the conditional headers', async () => {
    const res = await request(testContext().app)
      .options('/api/v1/brands/cailinji')
      .set('Origin', 'https://app.example.org')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'if-none-match');
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    assert.match(res.headers['access-control-allow-headers'] ?? '', /If-None-Match/);
  });

  it('when the back office, a public page or a non-GET API request is made, then there are no CORS headers', async () => {
    for (const res of [
      await get('/admin/login').set('Origin', 'https://app.example.org'),
      await request(testContext().app).options('/admin/login').set('Origin', 'https://app.example.org').set('Access-Control-Request-Method', 'POST'),
      await get('/').set('Origin', 'https://app.example.org'),
      await request(testContext().app).post('/api/v1/search').set('Origin', 'https://app.example.org'),
    ]) {
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
  });
});

describe('bilingual parameter errors', () => {
  for (const p of ['/api/v1/search?q=x&lang=fr', '/api/v1/brands/cailinji?lang=fr', '/api/v1/certificates/WHJP-2024-0001?lang=fr']) {
    it(`when ${p} is requested, then 400 names lang in Chinese and English`, async () => {
      const res = await get(p);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_failed');
      const field = (res.body.error.fields as Array<{ field: string; message: string; messageEn: string }>).find((f) => f.field === 'lang');
      assert.ok(field, JSON.stringify(res.body));
      assert.equal(field.message, '语言应为 zh 或 en');
      assert.equal(field.messageEn, 'must be zh or en');
      assert.match(res.body.error.message, /语言应为 zh 或 en/);
    });
  }

  it('when lang=en or zh is given to brand and certificate endpoints, then they answer 200', async () => {
    assert.equal((await get('/api/v1/brands/cailinji?lang=en')).status, 200);
    assert.equal((await get('/api/v1/brands/cailinji?lang=zh')).status, 200);
  });
});

describe('findability: robots.txt, sitemap, canonical links, descriptions, JSON-LD', () => {
  it('when /robots.txt is fetched, then it allows public pages, keeps crawlers out of the back office and the JSON API, and names the sitemap', async () => {
    const res = await get('/robots.txt');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /text\/plain/);
    assert.match(res.text, /^User-agent: \*$/m);
    assert.match(res.text, /^Allow: \/$/m);
    assert.match(res.text, /^Disallow: \/admin$/m);
    assert.match(res.text, /^Disallow: \/api\/v1\/$/m);
    // A search for words alone is open to crawlers; any second parameter (filters, page, lang) is not.
    assert.match(res.text, /^Disallow: \/search$/m);
    assert.match(res.text, /^Allow: \/search\?q=$/m);
    assert.match(res.text, /^Disallow: \/search\?q=\*&$/m);
    assert.match(res.text, /^Sitemap: http:\/\/localhost:3000\/sitemap\.xml$/m);
  });

  it('when /sitemap.xml is fetched, then it is a streamed sitemap index whose brand part lists every brand with lastmod', async () => {
    const index = await get('/sitemap.xml')
      .buffer(true)
      .parse((res, cb) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => cb(null, data));
      });
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'] ?? '', /application\/xml/);
    assert.equal(index.headers['transfer-encoding'], 'chunked');
    const $ = cheerio.load(index.body as string, { xml: true });
    assert.equal($('sitemapindex').length, 1);
    const locs = $('sitemap > loc')
      .toArray()
      .map((l) => $(l).text());
    assert.ok(locs.includes('http://localhost:3000/sitemap-pages.xml'), locs.join(' '));
    const brandParts = locs.filter((l) => /\/sitemap-brands-\d+\.xml$/.test(l));
    const brands = await Brand.countDocuments({});
    assert.equal(brandParts.length, Math.ceil(brands / 50_000));

    const part = await get(new URL(brandParts[0]!).pathname)
      .buffer(true)
      .parse((res, cb) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => cb(null, data));
      });
    assert.equal(part.status, 200);
    assert.equal(part.headers['transfer-encoding'], 'chunked');
    const p$ = cheerio.load(part.body as string, { xml: true });
    const urls = p$('urlset > url');
    assert.equal(urls.length, Math.min(brands, 50_000));
    assert.ok(
      p$('url > loc')
        .toArray()
        .some((l) => p$(l).text() === 'http://localhost:3000/brands/cailinji'),
    );
    assert.match(p$('url > lastmod').first().text(), /^\d{4}-\d{2}-\d{2}T/);
    assert.equal((await get('/sitemap-brands-99.xml')).status, 404);

    const pages = await get('/sitemap-pages.xml')
      .buffer(true)
      .parse((res, cb) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => cb(null, data));
      });
    const s$ = cheerio.load(pages.body as string, { xml: true });
    const pageLocs = s$('url > loc')
      .toArray()
      .map((l) => s$(l).text());
    assert.ok(pageLocs.includes('http://localhost:3000/time-honored'));
    assert.ok(pageLocs.includes('http://localhost:3000/privacy'));
  });

  it('when pages are opened, then each has its own absolute canonical link, hreflang alternates and description', async () => {
    const seen = new Map<string, string>();
    for (const p of ['/', '/directory', '/time-honored', '/brands/cailinji', '/verify', '/privacy']) {
      const { $ } = await page(p);
      const canonical = $('link[rel="canonical"]').attr('href');
      assert.equal(canonical, `http://localhost:3000${p}`);
      assert.equal($('link[rel="alternate"][hreflang="en"]').attr('href'), `http://localhost:3000${p}?lang=en`);
      assert.equal($('link[rel="alternate"][hreflang="zh-Hans"]').attr('href'), `http://localhost:3000${p}`);
      const description = $('meta[name="description"]').attr('content') ?? '';
      assert.ok(description.length > 10, `${p}: ${description}`);
      assert.ok(![...seen.values()].includes(description), `${p} repeats the description of another page: ${description}`);
      seen.set(p, description);
    }
    assert.match(seen.get('/brands/cailinji')!, /蔡林记.*武汉蔡林记商贸有限公司.*中华老字号/);
  });

  it('when a list is opened with tracking, sort and page-size parameters, then the canonical link keeps only what changes the list', async () => {
    const { $ } = await page('/directory?district=江汉区&sort=name&pageSize=50&utm_source=news&page=1');
    assert.equal($('link[rel="canonical"]').attr('href'), `http://localhost:3000/directory?district=${encodeURIComponent('江汉区')}`);
    const { $: en } = await page('/directory?lang=en&page=2');
    assert.equal(en('link[rel="canonical"]').attr('href'), 'http://localhost:3000/directory?page=2&lang=en');
  });

  it('when the brand page is parsed, then its JSON-LD is an Organization with its Brand, awards for its standings and sameAs for an official site', async () => {
    const { $ } = await page('/brands/cailinji');
    const ld = JSON.parse($('script[type="application/ld+json"]').text());
    assert.equal(ld['@type'], 'Organization');
    assert.equal(ld.owner, undefined, 'owner is not a schema.org property of Organization');
    assert.equal(ld.url, 'http://localhost:3000/brands/cailinji');
    assert.equal(ld.brand['@type'], 'Brand');
    assert.equal(ld.brand.name, '蔡林记');
    assert.equal(ld.brand.award, undefined, 'award belongs on the Organization');
    assert.ok(Array.isArray(ld.award) && ld.award.some((a: string) => /中华老字号/.test(a)), JSON.stringify(ld.award));
    assert.equal(ld.identifier.propertyID, '统一社会信用代码');

    const { slug, brand } = await createTestBrand({ slugPrefix: 'ldsite', name: '官网品牌' });
    await Brand.updateOne({ _id: brand._id }, { $set: { website: 'https://www.example.com/' } });
    const { $: site } = await page(`/brands/${slug}`);
    const ld2 = JSON.parse(site('script[type="application/ld+json"]').text());
    assert.deepEqual(ld2.sameAs, ['https://www.example.com/']);
  });
});

describe('the audit page in people’s terms', () => {
  it('when a status change and an edit are shown, then the time of day (Beijing), Chinese field labels and before → after appear, escaped', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'auditlabels', name: '审计标签品牌' });
    await changeStatus(DirectoryEntry, directory!._id as never, 1, '暂停', '标签测试<script>', { actor: 'labels@example.gov.cn' });
    const { agent } = await loginAs('viewer');
    const res = await agent.get('/admin/audit?actor=labels@example.gov.cn');
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('标签测试<script>'), 'values are escaped');
    const $ = cheerio.load(res.text);
    const row = $('.audit-table tbody tr').first();
    assert.match(row.find('time').text(), /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
    const status = row.find('li[data-field="status"]');
    assert.equal(status.find('.field-label').text(), '状态');
    assert.match(status.text(), /在册\s*→\s*暂停/);
    assert.ok(!/[{}"]/.test(row.find('.field-changes').text()), 'no raw JSON');

    const en = cheerio.load((await agent.get('/admin/audit?actor=labels@example.gov.cn&lang=en')).text);
    const enRow = en('.audit-table tbody tr').first();
    assert.match(enRow.find('time').text(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    assert.equal(enRow.find('li[data-field="status"] .field-label').text(), 'Status');
  });

  it('when an entry with nested fields and dates is edited, then each nested part is labelled and dates read as dates', async () => {
    const { agent } = await loginAs('viewer');
    const res = await agent.get('/admin/audit?action=create');
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const text = $('.field-changes').text();
    assert.ok(!/"[a-zA-Z]+":/.test(text), 'no JSON keys');
    assert.ok(!/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text), 'no ISO timestamps');
  });
});
