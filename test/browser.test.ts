/**
 * The main public journeys in a real browser: home → search 蔡林记 → brand page, on a phone-sized
 * and a desktop viewport; and a certificate check on a phone (/verify → result, and a number that
 * does not exist) — with axe-core finding no serious or critical accessibility violations.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { Certificate } from '../src/registries/models.js';
import { describeViolations, seriousViolations, useBrowser } from './support/browser.js';

describe('browser: search journey (Chromium)', function () {
  this.timeout(60_000);
  const stack = useBrowser();

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1280, height: 900 },
  ]) {
    it(`when a visitor searches 蔡林记 from the home page (${viewport.width}px), then the brand page opens and every page passes axe`, async () => {
      // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
      const context = await stack.browser.newContext({ viewport, bypassCSP: true, locale: 'zh-CN' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${stack.base}/`);
      assert.equal(await page.locator('h1').first().textContent(), '武汉品牌名录');
      let v = await seriousViolations(page);
      assert.equal(v.length, 0, `home:\n${describeViolations(v)}`);

      await page.getByLabel('搜索品牌、企业、产品、拼音或证书编号').fill('蔡林记');
      await Promise.all([page.waitForURL(/\/search\?q=/), page.keyboard.press('Enter')]);
      assert.match((await page.locator('h1').textContent()) ?? '', /蔡林记/);
      assert.match((await page.locator('#results-count').textContent()) ?? '', /共 \d+ 条结果/);
      assert.equal(await page.locator('.hit-title mark').first().textContent(), '蔡林记', 'the match is highlighted');
      v = await seriousViolations(page);
      assert.equal(v.length, 0, `search:\n${describeViolations(v)}`);

      await Promise.all([page.waitForURL(/\/brands\/cailinji/), page.locator('.hit-title a', { hasText: '蔡林记' }).first().click()]);
      assert.match((await page.locator('h1').textContent()) ?? '', /^蔡林记/);
      assert.ok(await page.locator('#time-honored').isVisible(), 'the time-honored panel is shown');
      const jsonLd = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent()) ?? '{}');
      assert.equal(jsonLd.name, '蔡林记');
      v = await seriousViolations(page);
      assert.equal(v.length, 0, `brand:\n${describeViolations(v)}`);

      // The English switch keeps the visitor on the same page.
      await Promise.all([page.waitForURL(/lang=en/), page.locator('a.lang').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      v = await seriousViolations(page);
      assert.equal(v.length, 0, `brand (en):\n${describeViolations(v)}`);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  it('when the 404 page is opened, then it passes axe and offers a search', async () => {
    const context = await stack.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const res = await page.goto(`${stack.base}/brands/no-such-brand`);
    assert.equal(res?.status(), 404);
    assert.ok(await page.locator('form[role="search"]').isVisible());
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, describeViolations(v));
    await context.close();
  });
});

describe('browser: certificate check on a phone (Chromium)', function () {
  this.timeout(60_000);
  const stack = useBrowser();

  const phone = { width: 390, height: 844 };

  it('when a visitor types a valid certificate number on /verify and presses Enter, then the 有效 result opens and both pages pass axe', async () => {
    // A certificate that is in effect: stored as 有效 and not past its valid-until date
    // (sanitizeFilter is on, src/platform/db.ts: an operator we build ourselves is marked trusted).
    const cert = await Certificate.findOne({ status: '有效', validUntil: mongoose.trusted({ $gt: new Date() }) })
      .sort({ number: 1 })
      .lean();
    assert.ok(cert, 'the register has a certificate in effect');
    // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
    const context = await stack.browser.newContext({ viewport: phone, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.base}/verify`);
    assert.equal((await page.locator('h1').first().textContent())?.trim(), '证书查验');
    let v = await seriousViolations(page);
    assert.equal(v.length, 0, `verify:\n${describeViolations(v)}`);

    await page.getByLabel('证书编号、产品名称或企业名称').first().fill(cert.number);
    await Promise.all([page.waitForURL(new RegExp(`/verify/${cert.number}$`)), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, `/verify/${cert.number}`);
    assert.equal((await page.locator('h1 .verdict-word').textContent())?.trim(), '有效');
    assert.match((await page.locator('.verdict-lead').textContent()) ?? '', /真实、有效的/);
    assert.equal(await page.locator('.verdict-number .mono').textContent(), cert.number);
    assert.ok(await page.locator('.verdict-word').isVisible(), 'the verdict is on screen');
    v = await seriousViolations(page);
    assert.equal(v.length, 0, `result:\n${describeViolations(v)}`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('when a visitor opens the page of a number that does not exist, then it says 查无此证 and passes axe', async () => {
    const context = await stack.browser.newContext({ viewport: phone, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const number = 'NOPE-2024-0000';
    assert.equal(await Certificate.exists({ number }), null, 'the number is really not in the register');
    const res = await page.goto(`${stack.base}/verify/${number}`);
    assert.equal(res?.status(), 404);
    assert.equal((await page.locator('h1 .verdict-word').textContent())?.trim(), '查无此证');
    assert.match((await page.locator('.verdict-lead').textContent()) ?? '', new RegExp(number));
    assert.ok(await page.locator('section.report').isVisible(), 'how to report it is shown');
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, `not found:\n${describeViolations(v)}`);
    await context.close();
  });
});
