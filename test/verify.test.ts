/**
 * Certificate verification: /verify (one field), /verify/:number (one verdict per status, read by
 * number from MongoDB), near-miss suggestions, QR codes that decode to the verification URL, the
 * per-client rate limit, hostile input, English, and the certificate API's matching facts.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import request from 'supertest';
import { label } from '../src/platform/i18n.js';
import { Certificate } from '../src/registries/models.js';
import { changeStatus, createEntry, updateEntry } from '../src/registries/service.js';
import { editNeighbours, normalizeCertNumber } from '../src/verify/service.js';
import { testContext } from './support/context.js';
import { assertNoStackTrace, createTestBrand, encodeNonAscii, hrefUrl } from './support/helpers.js';

// jsqr is CommonJS with an ES-style default in its typings; `.default` is the decoder either way.
const jsQR = jsqr.default;
const BASE_URL = 'https://brands.example.test';
const stamp = Date.now().toString(36).toUpperCase();
/** Certificate numbers made for this file: distinct, far from the demo numbers. */
const NUM = {
  valid: `VQ-${stamp}-101`,
  expired: `VQ-${stamp}-202`,
  suspended: `VQ-${stamp}-303`,
  revoked: `VQ-${stamp}-404`,
};
const PRODUCT = '核验样例蜜汁莲藕';
const COMPANY = '武汉核验样例食品有限公司';
const DAY = 24 * 3600 * 1000;

let app: Express;
let slug: string;
const get = (path: string) => request(app).get(encodeNonAscii(path));
async function html(path: string, status: number) {
  const res = await get(path);
  assert.equal(res.status, status, `${path} → ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /text\/html/);
  assertNoStackTrace(res.text);
  return { $: cheerio.load(res.text), res };
}
const verdict = ($: cheerio.CheerioAPI) => $('h1 .verdict-word').text().trim();
const fact = ($: cheerio.CheerioAPI, dt: string) =>
  $('dl.verify-facts dt')
    .filter((_, e) => $(e).text() === dt)
    .next('dd')
    .text()
    .trim();

describe('certificate verification', () => {
  before(async () => {
    const ctx = testContext();
    app = ctx.makeApp({ RATE_LIMIT_VERIFY_PER_MIN: 100_000, PUBLIC_BASE_URL: BASE_URL });
    const made = await createTestBrand({
      slugPrefix: 'verify',
      name: '核验样例',
      company: COMPANY,
      certificate: { number: NUM.valid, product: PRODUCT },
    });
    slug = made.slug;
    const now = Date.now();
    const cert = (number: string, extra: Record<string, unknown>) =>
      createEntry(Certificate, {
        number,
        brand: made.brand._id,
        level: '武汉精品',
        scope: '产品',
        product: `${PRODUCT}礼盒`,
        issuedAt: new Date(Date.UTC(2022, 2, 1)),
        validUntil: new Date(Date.UTC(2099, 0, 1)),
        issuer: '武汉市市场监督管理局',
        standard: 'T/WHPP 001-2022',
        status: '有效',
        ...extra,
      });
    // Expired by date alone: the stored status stays 有效.
    await cert(NUM.expired, { validUntil: new Date(now - 10 * DAY) });
    await cert(NUM.suspended, { status: '暂停', statusChangedAt: new Date(Date.UTC(2025, 5, 2)), statusReason: '抽检不合格，限期整改' });
    await cert(NUM.revoked, { status: '撤销', statusChangedAt: new Date(Date.UTC(2025, 8, 9)), statusReason: '冒用认定标志' });
    await ctx.sync.drain();
  });

  describe('/verify/:number: one verdict per status', () => {
    it('when the certificate is valid, then a large 有效 with an icon and every fact, cacheable for a minute', async () => {
      const { $, res } = await html(`/verify/${NUM.valid}`, 200);
      assert.equal(res.headers['cache-control'], 'public, max-age=60');
      assert.equal(verdict($), '有效');
      assert.equal($('h1 .verdict-icon').text().trim(), '✓', 'an icon as well as the colour');
      assert.ok($('.verdict').hasClass('verdict-ok'));
      assert.match($('.verdict-lead').text(), /真实、有效的武汉精品/);
      assert.equal($('.verdict-number .mono').text(), NUM.valid);
      assert.match($('.verdict-checked').text(), /^查验时间：\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）$/, 'when the verdict was given');
      assert.equal(fact($, '认定产品'), PRODUCT);
      assert.equal(fact($, '级别'), '武汉精品 · 产品');
      assert.equal(fact($, '权利人/企业'), COMPANY);
      assert.equal(fact($, '发证日期'), '2025年1月15日');
      assert.equal(fact($, '有效期至'), '2099年1月15日');
      assert.equal(fact($, '发证机构'), '武汉市市场监督管理局');
      assert.equal(
        $('dl.verify-facts dt')
          .filter((_, e) => $(e).text() === '品牌')
          .next('dd')
          .find('a')
          .attr('href'),
        `/brands/${slug}`,
      );
      assert.equal($('dl.verify-facts dt').filter((_, e) => $(e).text() === '公开原因').length, 0, 'no reason for a valid certificate');
      assert.equal(res.headers['set-cookie'], undefined);
    });

    it('when a 有效 certificate is past its valid-until date, then 已过期 with the date, with no edit needed', async () => {
      const stored = await Certificate.findOne({ number: NUM.expired }).lean();
      assert.equal(stored?.status, '有效', 'the stored status was never edited');
      const { $ } = await html(`/verify/${NUM.expired}`, 200);
      assert.equal(verdict($), '已过期');
      assert.ok($('.verdict').hasClass('verdict-warn'));
      assert.equal($('h1 .verdict-icon').text().trim(), '!');
      assert.match($('.verdict-lead').text(), /到期，现已失效/);
      assert.equal(fact($, '标准'), 'T/WHPP 001-2022');
    });

    it('when the certificate is suspended, then 已暂停 with the status date and the public reason', async () => {
      const { $ } = await html(`/verify/${NUM.suspended}`, 200);
      assert.equal(verdict($), '已暂停');
      assert.match($('.verdict-lead').text(), /自2025年6月2日起暂停/);
      assert.equal(fact($, '状态变更日期'), '2025年6月2日');
      assert.equal(fact($, '公开原因'), '抽检不合格，限期整改');
    });

    it('when the certificate is revoked, then 已撤销 with the date and the public reason, marked bad', async () => {
      const { $ } = await html(`/verify/${NUM.revoked}`, 200);
      assert.equal(verdict($), '已撤销');
      assert.ok($('.verdict').hasClass('verdict-bad'));
      assert.equal($('h1 .verdict-icon').text().trim(), '✕');
      assert.match($('.verdict-lead').text(), /已于2025年9月9日撤销/);
      assert.equal(fact($, '公开原因'), '冒用认定标志');
    });

    it('when the number does not exist, then 404 查无此证 saying the product is not certified and how to report it', async () => {
      const { $, res } = await html('/verify/NOPE-2024-0000', 404);
      assert.equal(verdict($), '查无此证');
      assert.equal($('title').text().startsWith('查无此证'), true);
      assert.match($('.verdict-lead').text(), /NOPE-2024-0000/);
      assert.match($('.verdict-caveat').text(), /本库数据更新于 .*新颁发的证书录入本库可能有延迟/, 'not found here is not the same as never issued');
      assert.match($('.verdict-checked').text(), /查验时间/);
      assert.match($('.verdict-lead').text(), /并没有以该编号获得认定/);
      const report = $('section.report');
      assert.match(report.text(), /12315/);
      assert.match(report.text(), /www\.12315\.cn/);
      assert.match(report.text(), /武汉市市场监督管理局/);
      assert.equal(report.find('a[href="tel:12315"]').length, 1);
      assert.equal(res.headers['cache-control'], 'public, max-age=60');
    });

    it('when the number is typed in lower case or with spaces, then it redirects to the canonical number', async () => {
      const res = await get(`/verify/${NUM.valid.toLowerCase()}`);
      assert.equal(res.status, 301);
      assert.equal(res.headers.location, `/verify/${NUM.valid}`);
    });

    it('when the brand is a 中华老字号 and a protected famous mark, then the result says so and since when', async () => {
      const demo = await Certificate.findOne({ product: '蔡林记热干面' }).lean();
      assert.ok(demo);
      const { $ } = await html(`/verify/${demo.number}`, 200);
      const standing = $('section.standing');
      assert.equal(standing.find('h2').text().trim(), '品牌身份');
      const items = standing
        .find('li')
        .toArray()
        .map((li) => $(li).text().replace(/\s+/g, ' ').trim());
      assert.ok(
        items.some((t) => /中华老字号：2006年认定，现仍在名录中/.test(t)),
        items.join(' | '),
      );
      assert.ok(
        items.some((t) => /驰名商标：重点保护，自2013年\d+月\d+日认定起受保护/.test(t)),
        items.join(' | '),
      );
      assert.ok(
        standing
          .find('li .standing-icon')
          .toArray()
          .every((i) => $(i).text().trim().length > 0),
        'an icon on every line',
      );
    });

    it('when the brand is neither, then the result says plainly it is not a 老字号 and not a famous mark', async () => {
      const { $ } = await html(`/verify/${NUM.valid}`, 200);
      const text = $('section.standing').text();
      assert.match(text, /不是中华、湖北或武汉老字号/);
      assert.match(text, /不是驰名商标/);
    });
  });

  describe("a certificate's own history", () => {
    const historyOf = ($: cheerio.CheerioAPI) =>
      $('.cert-history .history-list li')
        .toArray()
        .map((li) => ({
          iso: $(li).find('time').attr('datetime') ?? '',
          text: $(li).find('.history-text').text(),
          reason: $(li).find('.history-reason').text(),
        }));

    it('when a certificate is suspended, restored, renewed and revoked, then its result page lists each with its date and reason, newest first', async () => {
      const number = `VQ-${stamp}-HIST`;
      const c = await createEntry(Certificate, {
        number,
        brand: (await Certificate.findOne({ number: NUM.valid }).lean())!.brand,
        level: '武汉精品',
        scope: '产品',
        product: `${PRODUCT}历史`,
        issuedAt: new Date(Date.UTC(2021, 3, 6)),
        validUntil: new Date(Date.UTC(2098, 0, 1)),
        issuer: '武汉市市场监督管理局',
        status: '有效',
      });
      const at = (d: string) => ({ actor: 'history@test', now: new Date(d) });
      await changeStatus(Certificate, c._id, 1, '暂停', '抽检不合格', at('2025-03-01T02:00:00Z'));
      await changeStatus(Certificate, c._id, 2, '有效', '整改复查合格', at('2025-04-10T02:00:00Z'));
      await updateEntry(Certificate, c._id, 3, { validUntil: new Date(Date.UTC(2099, 5, 30)) }, at('2025-05-20T02:00:00Z'));
      await changeStatus(Certificate, c._id, 4, '撤销', '冒用认定标志', at('2025-09-09T02:00:00Z'));

      const { $ } = await html(`/verify/${number}`, 200);
      assert.deepEqual(historyOf($), [
        { iso: '2025-09-09', text: '撤销', reason: '原因：冒用认定标志' },
        { iso: '2025-05-20', text: '续期：有效期延至 2099年6月30日', reason: '' },
        { iso: '2025-04-10', text: '恢复有效', reason: '原因：整改复查合格' },
        { iso: '2025-03-01', text: '暂停', reason: '原因：抽检不合格' },
        { iso: '2021-04-06', text: '颁发（武汉精品）', reason: '' },
      ]);
      const en = await html(`/verify/${number}?lang=en`, 200);
      assert.deepEqual(
        historyOf(en.$).map((l) => l.text),
        ['Revoked', 'Renewed: valid until 2099-06-30', 'Restored', 'Suspended', `Issued (${label('en', '武汉精品')})`],
      );
      assert.equal(en.$('.cert-history h2').text(), 'Certificate history');
    });

    it('when a certificate has expired by date, then its history says when its validity ended', async () => {
      const { $ } = await html(`/verify/${NUM.expired}`, 200);
      const lines = historyOf($);
      assert.equal(lines[0]!.text, '有效期届满');
      assert.equal(lines.at(-1)!.text, '颁发（武汉精品）');
    });
  });

  describe('near-miss suggestions', () => {
    const suggestions = async (typed: string) => {
      const { $ } = await html(`/verify/${typed}`, 404);
      return $('.near-misses li')
        .toArray()
        .map((li) => ({
          number: $(li).find('.mono').text(),
          text: $(li).text(),
          href: $(li).find('a').attr('href'),
        }));
    };
    const assertOffers = (list: Awaited<ReturnType<typeof suggestions>>, number: string) => {
      const hit = list.find((s) => s.number === number);
      assert.ok(hit, `suggests ${number}; got ${JSON.stringify(list)}`);
      assert.equal(hit.href, `/verify/${number}`);
      assert.ok(list.length <= 3);
      return hit;
    };

    it('when one character is wrong, then the real number is offered with its product and nothing more', async () => {
      const typed = `${NUM.valid.slice(0, -1)}9`;
      const list = await suggestions(typed);
      const hit = assertOffers(list, NUM.valid);
      assert.match(hit.text, new RegExp(PRODUCT));
      assert.ok(!hit.text.includes(COMPANY), 'the company is not revealed in a suggestion');
    });

    it('when two adjacent characters are swapped, then the real number is offered', async () => {
      const typed = `QV${NUM.valid.slice(2)}`;
      assertOffers(await suggestions(typed), NUM.valid);
    });

    it('when a character is missing or extra, then the real number is offered', async () => {
      assertOffers(await suggestions(NUM.valid.replace('-', '')), NUM.valid);
      assertOffers(await suggestions(`${NUM.valid}7`), NUM.valid);
    });

    it('when nothing is within one edit, then no suggestions are shown', async () => {
      assert.deepEqual(await suggestions('ZZZZ-0000-ZZZZ'), []);
    });

    it('when edit neighbours are generated, then they cover swaps, substitutions, insertions and deletions', () => {
      const n = editNeighbours('AB1');
      for (const s of ['BA1', 'A1B', 'XB1', 'AB9', 'AB', 'A1', 'AB12', '-AB1']) assert.ok(n.includes(s), s);
      assert.ok(!n.includes('AB1'.split('').reverse().join('')), 'no distance-2 strings');
    });
  });

  describe('/verify: one field', () => {
    it('when the page is opened, then it has one labelled GET field and the header links to it', async () => {
      const { $ } = await html('/verify', 200);
      assert.equal($('h1').text().trim(), '证书查验');
      const form = $('form.verify-form');
      assert.equal(form.attr('method'), 'get');
      assert.equal(form.attr('action'), '/verify');
      assert.equal(form.find('input[name="q"]').length, 1);
      assert.equal($(`label[for="${form.find('input[name="q"]').attr('id')}"]`).length, 1);
      assert.equal($('nav.site-nav a[href="/verify"]').attr('aria-current'), 'page');
    });

    it('when a real certificate number is entered, then 303 to its result page', async () => {
      const res = await get(`/verify?q=${encodeURIComponent(` ${NUM.valid.toLowerCase()} `)}`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/verify/${NUM.valid}`);
    });

    it('when a full-width number is entered from a Chinese keyboard, then it is found too', () => {
      assert.equal(normalizeCertNumber('ＷＨＪＰ－２０２３－０００１'), 'WHJP-2023-0001');
    });

    it('when a product word is entered, then matching certificates are listed, each linking to its result', async () => {
      const { $ } = await html('/verify?q=热干面', 200);
      const hits = $('ol.verify-hits li');
      assert.ok(hits.length >= 2, `found ${hits.length}`);
      hits.each((_, li) => {
        const href = $(li).find('a').attr('href') ?? '';
        assert.match(href, /^\/verify\/[0-9A-Z-]+$/);
        assert.equal($(li).find('a .mono').text(), href.slice('/verify/'.length));
        assert.match($(li).find('.status').text().trim(), /^(有效|已过期|已暂停|已撤销)$/);
      });
      assert.ok(hits.toArray().some((li) => $(li).text().includes('蔡林记热干面')));
    });

    it('when a company name is entered, then its certificates are listed', async () => {
      const { $ } = await html(`/verify?q=${encodeURIComponent(COMPANY)}`, 200);
      const numbers = $('ol.verify-hits li a .mono')
        .toArray()
        .map((m) => $(m).text());
      for (const n of Object.values(NUM)) assert.ok(numbers.includes(n), `${n} in ${numbers.join(',')}`);
    });

    it('when a number-like string does not exist, then it says so and offers the near misses', async () => {
      const { $ } = await html(`/verify?q=${NUM.valid.slice(0, -1)}8`, 200);
      assert.match($('.verify-miss').text(), /没有编号为 .* 的证书/);
      assert.ok(
        $('.verify-miss .near-misses a')
          .toArray()
          .some((a) => $(a).attr('href') === `/verify/${NUM.valid}`),
      );
    });
  });

  describe('QR codes', () => {
    it("when the PNG is decoded with a QR reader, then it is the certificate's verification URL on PUBLIC_BASE_URL", async () => {
      const res = await get(`/verify/${NUM.valid}/qr.png`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.match(res.headers['cache-control'] ?? '', /^public, max-age=\d+$/);
      assert.ok(Buffer.isBuffer(res.body));
      const png = PNG.sync.read(res.body as Buffer);
      const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      assert.ok(code, 'a QR code is found in the image');
      assert.equal(code.data, `${BASE_URL}/verify/${NUM.valid}`);
    });

    it('when the PNG is fetched, then the number is printed under the code as in the SVG, and the code still scans', async () => {
      const res = await get(`/verify/${NUM.valid}/qr.png`);
      const png = PNG.sync.read(res.body as Buffer);
      // 8 px per module; the caption band adds 5 modules under the square code.
      assert.equal(png.height - png.width, 5 * 8, `${png.width} × ${png.height}`);
      const dark = (x: number, y: number) => png.data[(y * png.width + x) * 4]! < 128;
      const band = { top: png.width, bottom: png.height };
      const xs: number[] = [];
      for (let y = band.top; y < band.bottom; y++) for (let x = 0; x < png.width; x++) if (dark(x, y)) xs.push(x);
      assert.ok(xs.length > 200, `glyphs drawn in the caption band (${xs.length} dark pixels)`);
      const [left, right] = [Math.min(...xs), Math.max(...xs)];
      assert.ok(Math.abs((left + right) / 2 - png.width / 2) < 16, 'the caption is centred under the code');
      // One glyph per character, roughly: a 14-character number spans well over half the code.
      assert.ok(right - left > png.width * 0.5, `the caption spans ${right - left} of ${png.width} px`);
      const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      assert.equal(code?.data, `${BASE_URL}/verify/${NUM.valid}`);
    });

    it('when the SVG is fetched, then it is an SVG image with no script', async () => {
      const res = await get(`/verify/${NUM.valid}/qr.svg`);
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^image\/svg\+xml/);
      const svg = (res.body as Buffer).toString('utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.ok(!/<script/i.test(svg));
      assert.match(svg, new RegExp(`<text[^>]*>${NUM.valid}</text>`), 'the number is printed under the code');
    });

    it('when the number is unknown, then both QR codes are 404', async () => {
      for (const f of ['svg', 'png']) assert.equal((await get(`/verify/NOPE-2024-0000/qr.${f}`)).status, 404);
    });

    it('when a result page is shown, then it links to both QR codes', async () => {
      const { $ } = await html(`/verify/${NUM.valid}`, 200);
      assert.equal($(`a[href="/verify/${NUM.valid}/qr.svg"]`).length, 1);
      assert.equal($(`a[href="/verify/${NUM.valid}/qr.png"]`).length, 1);
    });
  });

  describe('rate limit on /verify', () => {
    it('when a client makes a 4th check within a minute at a limit of 3, then 429 with the Chinese page, not cached', async () => {
      const limited = testContext().makeApp({ RATE_LIMIT_VERIFY_PER_MIN: 3 });
      for (const path of ['/verify', `/verify/${NUM.valid}`, '/verify/NOPE-2024-0000']) {
        const res = await request(limited).get(path);
        assert.ok([200, 404].includes(res.status), `${path} → ${res.status}`);
      }
      const res = await request(limited).get(`/verify/${NUM.revoked}`);
      assert.equal(res.status, 429);
      assert.match(res.headers['content-type'] ?? '', /text\/html/);
      const $ = cheerio.load(res.text);
      assert.equal($('h1').text().trim(), '请求过于频繁');
      assert.match($('main').text(), /查验请求过于频繁/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal((await request(limited).get(`/api/v1/certificates/${NUM.valid}`)).status, 429, 'the API shares the limit');
      assert.equal((await request(limited).get(`/search?q=${encodeURIComponent('热干面')}`)).status, 200, 'search has its own limiter');
    });
  });

  describe('hostile input on /verify', () => {
    const cases: Array<[string, number[]]> = [
      [`/verify/${'A'.repeat(10_000)}`, [400]],
      [`/verify/${'9'.repeat(33)}`, [400]],
      ['/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E', [400]],
      ['/verify/%24ne', [400]],
      [`/verify?q=${'W'.repeat(10_000)}`, [400]],
      ['/verify?q[$ne]=', [400]],
      ['/verify?q=a&q=b', [400]],
      [`/verify/${NUM.valid}?number[$ne]=x`, [400]],
      [`/verify/${NUM.valid}/qr.png?x=1&x=2`, [400]],
      ['/verify/ABC', [404]],
      [`/verify?q=${encodeURIComponent('"><script>alert(1)</script>')}`, [200]],
    ];
    for (const [path, statuses] of cases) {
      const name = path.length > 50 ? `${path.slice(0, 20)}…(${path.length} chars)` : path;
      it(`when ${name} is requested, then ${statuses.join(' or ')} with a clear page, never 500 or a stack trace`, async () => {
        const res = await get(path);
        assert.ok(statuses.includes(res.status), `${name} → ${res.status}`);
        assertNoStackTrace(res.text);
        assert.ok(!res.text.includes('<script>alert(1)</script>'), 'no markup reflected');
        const $ = cheerio.load(res.text);
        assert.equal($('script').length, 0);
        if (res.status === 400) assert.equal($('h1').text().trim(), '请求有误');
      });
    }
  });

  describe('English (?lang=en)', () => {
    it('when a valid result is opened in English, then the verdict, facts and links are English and keep lang=en', async () => {
      const { $ } = await html(`/verify/${NUM.valid}?lang=en`, 200);
      assert.equal($('html').attr('lang'), 'en');
      assert.equal(verdict($), 'Valid');
      assert.match($('.verdict-lead').text(), /genuine, current Wuhan Quality Product certificate/);
      assert.equal(fact($, 'Valid until'), '2099-01-15');
      assert.match($('section.standing').text(), /Not a famous trademark/);
      $('a[href^="/"]')
        .not('a.lang')
        .each((_, a) => {
          assert.equal(hrefUrl($(a).attr('href')).searchParams.get('lang'), 'en', `link ${$(a).attr('href')} keeps lang=en`);
        });
      assert.equal($('form.verify-form input[name="lang"]').val(), 'en');
    });

    it('when an unknown number is opened in English, then it says plainly the product is NOT certified', async () => {
      const { $ } = await html('/verify/NOPE-2024-0000?lang=en', 404);
      assert.equal(verdict($), 'No such certificate');
      assert.match($('.verdict-lead').text(), /is NOT certified under it/);
      assert.match($('section.report').text(), /12315/);
    });

    it('when the revoked result is opened in English, then it says Revoked with the date', async () => {
      const { $ } = await html(`/verify/${NUM.revoked}?lang=en`, 200);
      assert.equal(verdict($), 'Revoked');
      assert.match($('.verdict-lead').text(), /revoked on 2025-09-09/);
    });
  });

  describe('links to /verify from the registry', () => {
    it('when /certified is listed, then each certificate number links to its result page', async () => {
      const res = await request(testContext().app).get('/certified');
      const $ = cheerio.load(res.text);
      const hits = $('ol.hits li.hit');
      assert.ok(hits.length > 0);
      hits.each((_, h) => {
        const a = $(h).find('.hit-meta a.mono');
        assert.equal(a.length, 1);
        assert.equal(a.attr('href'), `/verify/${a.text()}`);
      });
    });

    it('when the brand page lists certificates, then each number links to /verify and the standing is near the top', async () => {
      const res = await request(testContext().app).get('/brands/cailinji');
      const $ = cheerio.load(res.text);
      const links = $('section#certified li.cert .mono a');
      assert.equal(links.length, 2);
      links.each((_, a) => assert.equal($(a).attr('href'), `/verify/${$(a).text()}`));
      const standing = $('article.brand-page > section.standing');
      assert.equal(standing.length, 1);
      assert.ok(standing.index() < $('article.brand-page > section.panel').first().index(), 'before the registry sections');
      assert.match(standing.text(), /中华老字号：2006年认定/);
    });
  });

  describe('GET /api/v1/certificates/:number matches the page', () => {
    it('when a demo certificate of a 中华老字号 is asked for, then the JSON carries the brand standing', async () => {
      const demo = await Certificate.findOne({ product: '蔡林记热干面' }).lean();
      assert.ok(demo);
      const res = await get(`/api/v1/certificates/${demo.number}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.brand.slug, 'cailinji');
      assert.deepEqual(
        {
          tier: res.body.brandStanding.timeHonored.tier,
          current: res.body.brandStanding.timeHonored.current,
          year: res.body.brandStanding.timeHonored.recognizedYear,
        },
        { tier: '中华老字号', current: true, year: 2006 },
      );
      assert.equal(res.body.brandStanding.famousTrademark.current, true);
      assert.match(res.body.brandStanding.famousTrademark.protectedSince, /^2013-/);
    });

    it('when each test certificate is asked for, then status, statusCode and reason agree with its page', async () => {
      const expect = {
        valid: ['有效', null],
        expired: ['过期', null],
        suspended: ['暂停', '抽检不合格，限期整改'],
        revoked: ['撤销', '冒用认定标志'],
      } as const;
      for (const [code, [status, reason]] of Object.entries(expect)) {
        const res = await get(`/api/v1/certificates/${NUM[code as keyof typeof NUM]}`);
        assert.equal(res.status, 200);
        assert.equal(res.body.statusCode, code);
        assert.equal(res.body.status, status);
        assert.equal(res.body.statusReason, reason);
        assert.equal(res.body.brand.company, COMPANY);
        assert.deepEqual(res.body.brandStanding, { timeHonored: null, famousTrademark: null });
      }
    });
  });
});
