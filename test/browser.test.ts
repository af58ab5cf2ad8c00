/**
 * The main public journeys in a real browser: home → search 蔡林记 → brand page, on a phone-sized
 * and a desktop viewport; and a certificate check on a phone (/verify → result, and a number that
 * does not exist) — with axe-core finding no serious or critical accessibility violations.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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
      // bypassCSP only so that axe-core can be injected; the pages' own script (suggest.js) is from 'self'.
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
      assert.match((await page.locator('#results-count').textContent()) ?? '', /共 \d+ 个品牌/, 'one card per brand');
      assert.equal(await page.locator('.hit-title mark').first().textContent(), '蔡林记', 'the match is highlighted');
      v = await seriousViolations(page);
      assert.equal(v.length, 0, `search:\n${describeViolations(v)}`);

      await Promise.all([page.waitForURL(/\/brands\/cailinji/), page.locator('.hit-title a', { hasText: '蔡林记' }).first().click()]);
      assert.match((await page.locator('h1').textContent()) ?? '', /^蔡林记/);
      assert.ok(await page.locator('#time-honored').isVisible(), 'the time-honored panel is shown');
      const jsonLd = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent()) ?? '{}');
      assert.equal(jsonLd.brand.name, '蔡林记');
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

describe('browser: results page and suggestions (Chromium)', function () {
  this.timeout(60_000);
  const stack = useBrowser();
  const phone = { width: 390, height: 844 };
  const desktop = { width: 1280, height: 900 };
  const SHOTS = '/work/screenshots';

  before(() => mkdirSync(SHOTS, { recursive: true }));

  it('when a phone (390×844) searches a word with many hits, then the first result starts within the first screen, after the count and the data stamp, and the page passes axe', async () => {
    const context = await stack.browser.newContext({ viewport: phone, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${stack.base}/search?q=${encodeURIComponent('武汉')}`);
    const total = Number(/\d+/.exec((await page.locator('#results-count').textContent()) ?? '')?.[0]);
    assert.ok(total >= 20, `many hits: ${total}`);
    const first = await page.locator('ol.hits li.hit').first().boundingBox();
    assert.ok(first, 'a first hit');
    assert.ok(first.y + 40 < phone.height, `the first result starts at ${Math.round(first.y)} px (screen ${phone.height})`);
    const count = await page.locator('#results-count').boundingBox();
    const stamp = await page.locator('.data-as-of').boundingBox();
    assert.ok(count && stamp && count.y < first.y && stamp.y < first.y, 'count and stamp above the first hit');
    assert.equal(await page.locator('details.filters-toggle').getAttribute('open'), null, 'filters collapsed on a phone');
    await page.screenshot({ path: `${SHOTS}/search-phone.png` });
    await page.screenshot({ path: `${SHOTS}/search-phone-full.png`, fullPage: true });
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, describeViolations(v));
    await context.close();
  });

  for (const javaScriptEnabled of [false, true]) {
    it(`when the filter toggle is pressed on a phone (JavaScript ${javaScriptEnabled ? 'on' : 'off'}), then the facets open and a facet link narrows the search`, async () => {
      const context = await stack.browser.newContext({ viewport: phone, javaScriptEnabled, locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto(`${stack.base}/search?q=${encodeURIComponent('热干面')}`);
      const facetLink = page.locator('details.filters-toggle details.facet a').first();
      assert.equal(await facetLink.isVisible(), false, 'hidden before');
      await page.locator('details.filters-toggle > summary').click();
      assert.notEqual(await page.locator('details.filters-toggle').getAttribute('open'), null);
      assert.ok(await facetLink.isVisible(), 'facet links shown');
      await Promise.all([page.waitForURL(/[?&](kind|district)=/), facetLink.click()]);
      assert.match((await page.locator('details.filters-toggle > summary').textContent()) ?? '', /已选 1 项/);
      await context.close();
    });
  }

  it('when a desktop (1280px) opens the results with JavaScript, then the filters stand open in a side column beside the hits', async () => {
    const context = await stack.browser.newContext({ viewport: desktop, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${stack.base}/search?q=${encodeURIComponent('热干面')}`);
    await page.waitForFunction(() => document.querySelector('details.filters-toggle')?.hasAttribute('open'));
    const filters = await page.locator('aside.filters').boundingBox();
    const hits = await page.locator('ol.hits').boundingBox();
    assert.ok(filters && hits && filters.x + filters.width <= hits.x, 'filters left of the hits');
    await page.screenshot({ path: `${SHOTS}/search-desktop.png` });
    await context.close();
  });

  it('when a visitor types 蔡林 in the search box, then suggestions appear as a listbox, ArrowDown selects the first and Enter opens it (CSP enforced)', async () => {
    // No bypassCSP: the script must run under the site's own policy.
    const context = await stack.browser.newContext({ viewport: phone, locale: 'zh-CN' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/suggest')) requests.push(r.url());
    });
    await page.goto(`${stack.base}/`);
    const input = page.locator('input#q');
    assert.equal(await input.getAttribute('role'), 'combobox');
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    const listId = await input.getAttribute('aria-controls');
    assert.ok(listId);
    const list = page.locator(`#${listId}`);
    assert.equal(await list.getAttribute('role'), 'listbox');
    assert.equal(await list.isVisible(), false, 'no list before typing');

    await input.click();
    await page.keyboard.type('蔡林', { delay: 30 });
    await list.locator('[role="option"]').first().waitFor({ state: 'visible' });
    assert.equal(await input.getAttribute('aria-expanded'), 'true');
    assert.ok(requests.length <= 2, `debounced: ${requests.length} requests`);
    const labels = await list.locator('.suggestion-label').allTextContents();
    assert.ok(labels.includes('蔡林记'), labels.join(','));
    await page.screenshot({ path: `${SHOTS}/suggest-phone.png` });

    await page.keyboard.press('ArrowDown');
    const first = list.locator('[role="option"]').first();
    assert.equal(await input.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
    assert.equal(await first.getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Escape');
    assert.equal(await list.isVisible(), false, 'Escape closes');
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    assert.equal(await input.getAttribute('aria-activedescendant'), null);

    await page.keyboard.press('ArrowDown');
    assert.ok(await list.isVisible(), 'ArrowDown opens again');
    await Promise.all([page.waitForURL(/\/brands\/cailinji$/), page.keyboard.press('Enter')]);
    assert.match((await page.locator('h1').textContent()) ?? '', /^蔡林记/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('when the suggestions are open, then the page passes axe, and words that match nothing leave the listbox hidden', async () => {
    const context = await stack.browser.newContext({ viewport: phone, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${stack.base}/search?q=${encodeURIComponent('热干面')}`);
    const input = page.locator('input#q');
    await input.fill('');
    await input.click();
    await page.keyboard.type('热干', { delay: 30 });
    const list = page.locator('#q-suggestions');
    await list.locator('[role="option"]').first().waitFor({ state: 'visible' });
    await page.keyboard.press('ArrowDown');
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, describeViolations(v));

    await input.fill('');
    await page.keyboard.type('龘靐齉', { delay: 30 });
    await page.waitForTimeout(600);
    assert.equal(await list.isVisible(), false);
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    // Enter without a chosen suggestion submits the form as without JavaScript.
    await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === '龘靐齉'), page.keyboard.press('Enter')]);
    assert.equal(await page.locator('.did-you-mean').count(), 0);
    await context.close();
  });
});

describe('browser: 老字号 museum and quality products showcase on a phone (Chromium)', function () {
  this.timeout(60_000);
  const stack = useBrowser();
  const phone = { width: 390, height: 844 };

  for (const lang of ['zh', 'en'] as const) {
    it(`when a phone (390×844) opens the museum, a story and the showcase (${lang}), then each page passes axe and fits the screen width`, async () => {
      const context = await stack.browser.newContext({ viewport: phone, bypassCSP: true, locale: 'zh-CN' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const q = lang === 'en' ? '?lang=en' : '';
      for (const path of ['/time-honored/stories', '/time-honored/cailinji/story', '/showcase']) {
        const res = await page.goto(`${stack.base}${path}${q}`);
        assert.equal(res?.status(), 200, path);
        assert.equal(await page.locator('h1').count(), 1, `${path}: one h1`);
        const v = await seriousViolations(page);
        assert.equal(v.length, 0, `${path}:\n${describeViolations(v)}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${path}: no sideways scrolling (${overflow} px)`);
      }
      if (lang === 'zh') {
        // The showcase's filters are plain links: following one narrows the list without script.
        await Promise.all([page.waitForURL(/level=/), page.locator('nav.showcase-filters a', { hasText: '武汉精品' }).click()]);
        assert.ok((await page.locator('.level-badge').count()) > 0);
        assert.deepEqual([...new Set(await page.locator('.level-badge').allTextContents())], ['武汉精品']);
      }
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
