/**
 * Hostile and malformed input: operator injection, repeated and out-of-range parameters, huge
 * values and bodies, markup in stored data, odd slugs. Each is refused or escaped with a clear
 * answer — never a 500, never a stack trace.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { testContext } from './support/context.js';
import { assertNoStackTrace, createTestBrand, get } from './support/helpers.js';

/** Scripts on a page other than our own files (public/js, by src) and JSON-LD data: what an injection would add. */
const injected = ($: cheerio.CheerioAPI) => $('script').not('[src^="/js/"]').not('[type="application/ld+json"]').length;

/** [query string as sent, the parameter the answer must name] */
const BAD_QUERIES: Array<[string, string]> = [
  ['status[$ne]=x', 'status[$ne]'],
  ['q[$gt]=', 'q[$gt]'],
  ['q=a&q=b', 'q'],
  ['page=-1', 'page'],
  ['page=abc', 'page'],
  ['nice=46', 'nice'],
  [`district=${encodeURIComponent('<script>')}`, 'district'],
  [`q=${'a'.repeat(10_000)}`, 'q'],
  ['pageSize=100000', 'pageSize'],
];

const label = (qs: string) => (qs.length > 40 ? `${qs.slice(0, 12)}…(${qs.length} chars)` : qs);

describe('hostile query parameters on the search API', () => {
  for (const [qs, param] of BAD_QUERIES) {
    it(`when /api/v1/search?${label(qs)}, then 400 JSON naming ${param}`, async () => {
      const res = await get(`/api/v1/search?${qs}`);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      assert.ok(['bad_request', 'validation_failed'].includes(res.body.error.code), res.body.error.code);
      assert.equal(typeof res.body.error.message, 'string');
      assert.ok(res.body.error.message.includes(param), `message names ${param}: ${res.body.error.message}`);
      assert.ok(
        res.body.error.fields.some((f: { field: string }) => f.field === param),
        JSON.stringify(res.body.error.fields),
      );
      assertNoStackTrace(res.text);
      assert.ok(!res.text.includes('<script>'), 'the bad value is not echoed as markup');
    });
  }

  it('when a brand lookup carries an operator in its query, then 400 JSON', async () => {
    const res = await get('/api/v1/brands/cailinji?slug[$ne]=x');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'bad_request');
  });
});

describe('hostile query parameters on pages', () => {
  for (const path of ['/search', '/directory']) {
    for (const [qs, param] of BAD_QUERIES) {
      it(`when ${path}?${label(qs)}, then a 400 HTML page naming ${param}`, async () => {
        const res = await get(`${path}?${qs}`);
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.match(res.headers['content-type'] ?? '', /text\/html/);
        const $ = cheerio.load(res.text);
        assert.equal($('h1').text().trim(), '请求有误');
        const named = $('ul.field-errors code')
          .toArray()
          .map((c) => $(c).text());
        assert.ok(named.includes(param), `names ${param}; got ${JSON.stringify(named)}`);
        assertNoStackTrace(res.text);
        assert.ok(!res.text.includes('<script>'), 'no <script> reflected');
        assert.equal(res.headers['set-cookie'], undefined);
      });
    }
  }

  it('when the search box gets markup, then it is echoed back escaped and never as markup', async () => {
    const q = '"><script>alert(1)</script>';
    const res = await get(`/search?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('<script>alert(1)</script>'));
    const $ = cheerio.load(res.text);
    assert.equal($('form[role="search"] input[name="q"]').val(), q);
    assert.equal(injected($), 0);
    assert.match($('h1').text(), /<script>alert\(1\)<\/script>/, 'shown as text');
  });
});

describe('markup stored in a brand name', () => {
  const name = '<script>alert(1)</script>翡翠蜻蜓';
  const product = '<img src=x onerror=alert(2)>蜻蜓糕';
  let slug: string;

  before(async () => {
    const made = await createTestBrand({
      slugPrefix: 'hostile',
      name,
      company: '武汉<b>粗体</b>实业有限公司',
      certificate: { number: `HOSTILE-${Date.now().toString(36).toUpperCase()}`, product },
    });
    slug = made.slug;
    await testContext().sync.drain();
  });

  it('when its brand page is opened, then the name is shown as text and no script or tag is injected', async () => {
    const res = await get(`/brands/${slug}`);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('<script>alert(1)</script>'), 'no raw script');
    assert.ok(!res.text.includes('<img src=x'), 'no raw img');
    assert.ok(!res.text.includes('<b>粗体</b>'), 'no raw b');
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text().trim(), name);
    assert.equal($('script').not('[type="application/ld+json"]').length, 0);
    assert.equal($('img').length, 0);
    assert.match($('section#certified').text(), /<img src=x onerror=alert\(2\)>蜻蜓糕/);
    const ld = JSON.parse($('script[type="application/ld+json"]').text());
    assert.equal(ld.brand.name, name, 'the JSON-LD carries the name intact');
    assert.equal(ld.name, '武汉<b>粗体</b>实业有限公司', 'and the company name');
  });

  it('when it is found in search results, then highlights and names are escaped', async () => {
    const res = await get('/search?q=翡翠蜻蜓');
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('<script>alert(1)</script>'));
    assert.ok(!res.text.includes('<img src=x'));
    assert.ok(!res.text.includes('<b>粗体</b>'), 'the company is escaped too');
    const $ = cheerio.load(res.text);
    const hits = $('ol.hits li.hit').filter((_, h) => $(h).find('.hit-title a').attr('href') === `/brands/${slug}`);
    assert.equal(hits.length, 1, 'one card for the brand');
    assert.ok(hits.find('.entry-chips a.entry-chip').length >= 2, 'the directory entry and the certificate are both found');
    assert.equal(injected($), 0);
    assert.equal($('img').length, 0);
    assert.ok(
      hits.toArray().some((h) => $(h).text().includes('<script>alert(1)</script>')),
      'shown as text',
    );
    assert.ok(
      $('ol.hits mark')
        .toArray()
        .some((m) => $(m).text() === '翡翠蜻蜓'),
    );
  });

  it('when it is found through the API, then the highlight HTML is escaped around <mark>', async () => {
    const res = await get('/api/v1/search?q=翡翠蜻蜓');
    const hit = res.body.hits.find((h: { slug: string; kind: string }) => h.slug === slug && h.kind === 'directory');
    assert.ok(hit);
    assert.equal(hit.name, name, 'plain JSON value');
    assert.ok(!hit.highlights.name.includes('<script>'));
    assert.match(hit.highlights.name, /&#60;script&#62;.*<mark>翡翠蜻蜓<\/mark>/);
  });

  it('when the home page lists it as recently updated, then it is escaped there too', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('<script>alert(1)</script>'));
    assert.equal(injected(cheerio.load(res.text)), 0);
  });
});

describe('oversized and malformed bodies', () => {
  const big = JSON.stringify({ q: 'x'.repeat(150 * 1024) });

  for (const path of ['/', '/search', '/api/v1/search', '/api/v1/brands/cailinji', '/brands/cailinji', '/no-such-path']) {
    it(`when a ${Math.round(big.length / 1024)} kB JSON body is posted to ${path}, then 413 or 404, never 500`, async () => {
      const res = await request(testContext().app).post(path).set('Content-Type', 'application/json').send(big);
      assert.ok([413, 404].includes(res.status), `got ${res.status}`);
      assertNoStackTrace(res.text);
    });
  }

  it('when a huge form body is posted, then 413 or 404, never 500', async () => {
    const res = await request(testContext().app)
      .post('/search')
      .type('form')
      .send(`q=${'x'.repeat(150 * 1024)}`);
    assert.ok([413, 404].includes(res.status), `got ${res.status}`);
  });

  it('when a form body has too many parameters, then 413, never 500', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&');
    const res = await request(testContext().app).post('/search').type('form').send(many);
    assert.equal(res.status, 413);
    assertNoStackTrace(res.text);
  });

  it('when a JSON body declares an unsupported charset, then a 4xx JSON error, never 500', async () => {
    const res = await request(testContext().app).post('/api/v1/search').set('Content-Type', 'application/json; charset=latin1').send('{"q":"a"}');
    assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}`);
    assert.equal(res.body.error.code, 'bad_request');
  });

  it('when malformed JSON is posted to the API, then a 4xx JSON error, never 500', async () => {
    const res = await request(testContext().app).post('/api/v1/search').set('Content-Type', 'application/json').send('{"q": ');
    assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}`);
    assert.equal(typeof res.body.error.code, 'string');
    assertNoStackTrace(res.text);
  });
});

describe('odd brand slugs', () => {
  const odd = [
    'Cailinji',
    '蔡林记',
    'cailinji%00',
    '..%2F..%2Fetc%2Fpasswd',
    '%24ne',
    "a'or'1'='1",
    '-leading-dash',
    'a'.repeat(200),
    'cailinji.json',
    '%20cailinji',
  ];

  for (const slug of odd) {
    it(`when /brands/${slug.length > 30 ? `${slug.slice(0, 10)}…` : slug} is requested, then 404 page, never 500`, async () => {
      const res = await get(`/brands/${slug}`);
      assert.equal(res.status, 404, `got ${res.status}`);
      assert.match(res.headers['content-type'] ?? '', /text\/html/);
      assertNoStackTrace(res.text);
    });
  }

  it('when the API is asked for odd slugs, then 404 JSON', async () => {
    for (const slug of odd) {
      const res = await get(`/api/v1/brands/${slug}`);
      assert.equal(res.status, 404, `${slug} → ${res.status}`);
      assert.equal(res.body.error.code, 'not_found');
    }
  });

  it('when the path has broken percent-encoding, then a 4xx answer, never 500', async () => {
    for (const path of ['/brands/%E0%A4%A', '/api/v1/brands/%', '/api/v1/certificates/%ZZ']) {
      const res = await get(path);
      assert.ok(res.status === 400 || res.status === 404, `${path} → ${res.status}`);
      assertNoStackTrace(res.text);
    }
  });
});
