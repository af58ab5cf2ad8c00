/**
 * 关怀版 (elder-friendly mode): the /care switch sets a preference cookie and goes back only to a
 * same-site public page; pages carry the care class and stylesheet with the cookie and not
 * without; the page cache never serves one variant to the other; no other public page sets a cookie.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { safeBack } from '../src/platform/care.js';
import { testContext } from './support/context.js';

const CARE = 'wbr.care=1';
const cookiesOf = (res: request.Response): string[] => {
  const raw = res.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : [];
};

describe('关怀版 (care mode)', () => {
  it('when a visitor follows the 关怀版 switch, then it sets wbr.care=1 for a year (Path=/, SameSite=Lax, HttpOnly) and goes back to the page', async () => {
    const res = await request(testContext().app).get('/care?on=1&back=%2Fsearch%3Fq%3D%E7%83%AD%E5%B9%B2%E9%9D%A2%26lang%3Den');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/search?q=%E7%83%AD%E5%B9%B2%E9%9D%A2&lang=en');
    assert.equal(res.headers['cache-control'], 'no-store');
    const [cookie, ...more] = cookiesOf(res);
    assert.equal(more.length, 0);
    assert.ok(cookie, 'a cookie is set');
    assert.match(cookie, /^wbr\.care=1;/);
    assert.match(cookie, /;\s*Max-Age=31536000/i);
    assert.match(cookie, /;\s*Path=\/(;|$)/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
    assert.match(cookie, /;\s*HttpOnly/i);
  });

  it('when a visitor switches back to 标准版, then the cookie is cleared', async () => {
    const res = await request(testContext().app).get('/care?on=0&back=/famous').set('Cookie', CARE);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/famous');
    const [cookie] = cookiesOf(res);
    assert.match(cookie ?? '', /^wbr\.care=;/);
    assert.match(cookie ?? '', /;\s*Max-Age=0/i);
  });

  for (const back of ['//evil.com', 'https://evil.com', '/\\evil.com', 'evil.com', '/\r\nSet-Cookie: x=1', '/admin/users', '/care?on=1', '']) {
    it(`when the switch is asked to go back to ${JSON.stringify(back)}, then it goes home instead`, async () => {
      const res = await request(testContext().app).get(`/care?on=1&back=${encodeURIComponent(back)}`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/');
    });
  }

  it('when safeBack is given paths, then only same-site public paths pass', () => {
    assert.equal(safeBack('/brands/cailinji?lang=en'), '/brands/cailinji?lang=en');
    assert.equal(safeBack('/'), '/');
    for (const bad of ['//evil.com', '///evil.com', 'https://evil.com', '/\\evil.com', '\\\\evil.com', '/a\nb', '/admin', '/admin/x', '/care', 42, null]) {
      assert.equal(safeBack(bad), null, String(bad));
    }
  });

  it('when a page is opened with the cookie, then it has the care class, stylesheet and a 标准版 link; without it, none of them and a 关怀版 link', async () => {
    const app = testContext().app;
    for (const path of ['/', '/search?q=%E7%83%AD%E5%B9%B2%E9%9D%A2', '/brands/cailinji', '/time-honored', '/verify', '/stats', '/open-data']) {
      const plain = cheerio.load((await request(app).get(path)).text);
      assert.equal(plain('html').hasClass('care'), false, `${path} standard`);
      assert.equal(plain('link[href*="/css/care"]').length, 0, `${path}: no care stylesheet`);
      const toggle = plain('a.care-toggle');
      assert.equal(toggle.text().trim(), '关怀版', `${path}: the switch`);
      const href = new URL(toggle.attr('href') ?? '', 'http://x.invalid');
      assert.equal(href.pathname, '/care');
      assert.equal(href.searchParams.get('on'), '1');
      assert.equal(href.searchParams.get('back'), path, `${path}: the switch comes back here`);

      const cared = await request(app).get(path).set('Cookie', `other=x; ${CARE}`);
      assert.equal(cared.status, 200, path);
      const $ = cheerio.load(cared.text);
      assert.equal($('html').hasClass('care'), true, `${path} care`);
      assert.equal($('link[href*="/css/care"]').length, 1, `${path}: care stylesheet`);
      assert.equal($('a.care-toggle').text().trim(), '标准版');
      assert.match(cared.headers.vary ?? '', /cookie/i, `${path}: Vary: Cookie`);
    }
    const en = cheerio.load((await request(app).get('/?lang=en')).text);
    assert.equal(en('a.care-toggle').text().trim(), 'Large text');
  });

  it('when the cookie holds something else, then the page is the standard one', async () => {
    const res = await request(testContext().app).get('/').set('Cookie', 'wbr.care=0; xwbr.care=1');
    assert.equal(cheerio.load(res.text)('html').hasClass('care'), false);
  });

  it('when the page cache holds one variant, then the other variant is never served from it', async () => {
    const app = testContext().makeApp({ PAGE_CACHE_SECONDS: 60 });
    for (let round = 0; round < 2; round++) {
      for (const path of ['/famous?lang=en', '/brands/cailinji']) {
        const a = cheerio.load((await request(app).get(path)).text);
        const b = cheerio.load((await request(app).get(path).set('Cookie', CARE)).text);
        const c = cheerio.load((await request(app).get(path)).text);
        assert.equal(a('html').hasClass('care'), false, `${path} round ${round}`);
        assert.equal(b('html').hasClass('care'), true, `${path} round ${round}`);
        assert.equal(c('html').hasClass('care'), false, `${path} round ${round}`);
      }
    }
  });

  it('when public pages are opened (in either mode), then none of them sets a cookie', async () => {
    const app = testContext().app;
    for (const path of [
      '/',
      '/search?q=abc',
      '/directory',
      '/famous',
      '/time-honored',
      '/certified',
      '/brands/cailinji',
      '/verify',
      '/stats',
      '/open-data',
      '/api',
      '/no-such-page',
    ]) {
      for (const cookie of [undefined, CARE]) {
        const req = request(app).get(path);
        const res = await (cookie ? req.set('Cookie', cookie) : req);
        assert.deepEqual(cookiesOf(res), [], `${path} (${cookie ?? 'standard'}) sets no cookie`);
      }
    }
  });
});
