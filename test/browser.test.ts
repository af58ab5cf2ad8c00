/**
 * The main public journey in a real browser: home → search 蔡林记 → brand page, on a phone-sized
 * and a desktop viewport, with axe-core finding no serious or critical accessibility violations.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { describeViolations, hasChromium, launch, seriousViolations, serve } from './support/browser.js';

describe('browser: search journey (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serve>>;

  before(async function () {
    if (!hasChromium()) {
      console.log('    skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)');
      this.skip();
    }
    browser = await launch();
    site = await serve();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  for (const viewport of [{ width: 390, height: 844 }, { width: 1280, height: 900 }]) {
    it(`when a visitor searches 蔡林记 from the home page (${viewport.width}px), then the brand page opens and every page passes axe`, async () => {
      // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
      const context = await browser.newContext({ viewport, bypassCSP: true, locale: 'zh-CN' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${site.base}/`);
      assert.equal(await page.locator('h1').first().textContent(), '武汉品牌名录');
      let v = await seriousViolations(page);
      assert.equal(v.length, 0, `home:\n${describeViolations(v)}`);

      await page.getByLabel('搜索品牌、企业、产品、拼音或证书编号').fill('蔡林记');
      await Promise.all([page.waitForURL(/\/search\?q=/), page.keyboard.press('Enter')]);
      assert.match(await page.locator('h1').textContent() ?? '', /蔡林记/);
      assert.match(await page.locator('#results-count').textContent() ?? '', /共 \d+ 条结果/);
      assert.equal(await page.locator('.hit-title mark').first().textContent(), '蔡林记', 'the match is highlighted');
      v = await seriousViolations(page);
      assert.equal(v.length, 0, `search:\n${describeViolations(v)}`);

      await Promise.all([page.waitForURL(/\/brands\/cailinji/), page.locator('.hit-title a', { hasText: '蔡林记' }).first().click()]);
      assert.match(await page.locator('h1').textContent() ?? '', /^蔡林记/);
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
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const res = await page.goto(`${site.base}/brands/no-such-brand`);
    assert.equal(res?.status(), 404);
    assert.ok(await page.locator('form[role="search"]').isVisible());
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, describeViolations(v));
    await context.close();
  });
});
