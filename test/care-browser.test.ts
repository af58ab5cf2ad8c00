/**
 * 关怀版 (elder-friendly mode) in a real browser, on a phone and a desktop viewport: the header
 * switch works without JavaScript, the pages then have 20 px text, 44 px targets and pass axe
 * (AAA contrast included); the standard pages have no text below 16 px on a phone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describeViolations, seriousViolations, useBrowser, type AxeViolation } from './support/browser.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's enhanced (WCAG AAA, 7:1) contrast rule, which its default run leaves out. */
async function enhancedContrast(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe.run({ runOnly: { type: 'rule', values: ['color-contrast-enhanced'] } }),
  )) as { violations: AxeViolation[] };
  return result.violations;
}

/** Visible elements with text of their own whose computed font size is below `min` px. */
function smallText(page: Page, min: number): Promise<string[]> {
  return page.evaluate((minPx) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (el.closest('.visually-hidden, [aria-hidden="true"], script, style, .skip')) continue;
      const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < minPx - 0.01) out.push(`${el.tagName.toLowerCase()}.${el.className} ${size}px “${(el.textContent ?? '').trim().slice(0, 30)}”`);
    }
    return out;
  }, min);
}

/** Visible links and controls of the header, navigation, lists, facets and forms smaller than 44 × 44 px. */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const sel =
      '.site-header a, .site-nav a, main button, main input:not([type=hidden]), main select, main summary, .facet a, .pagination a, .active-filters a, .list-tags a, .hit-title a, .card a, .more';
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.height < 43.5 || r.width < 43.5)
        out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.width)}×${Math.round(r.height)} “${(el.textContent ?? '').trim().slice(0, 20)}”`);
    }
    return out;
  });
}

describe('browser: 关怀版 (Chromium)', function () {
  this.timeout(90_000);
  const stack = useBrowser();

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1280, height: 900 },
  ]) {
    it(`when a visitor switches to 关怀版 (${viewport.width}px), then pages have 20 px text, 44 px targets, AAA contrast and pass axe, and 标准版 switches back`, async () => {
      // bypassCSP only so that axe-core can be injected; the pages themselves need no script.
      const context = await stack.browser.newContext({ viewport, bypassCSP: true, locale: 'zh-CN', javaScriptEnabled: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      if (viewport.width < 600) {
        for (const path of ['/', '/brands/cailinji', '/verify', '/time-honored']) {
          await page.goto(`${stack.base}${path}`);
          assert.deepEqual(await smallText(page, 16), [], `standard mode, ${path}: no text below 16 px on a phone`);
        }
      }
      await page.goto(`${stack.base}/search?q=${encodeURIComponent('热干面')}`);
      if (viewport.width < 600) assert.deepEqual(await smallText(page, 16), [], 'standard mode: no text below 16 px on a phone');
      assert.equal(await page.locator('html').getAttribute('class'), null);

      await Promise.all([page.waitForURL(/\/search\?q=/), page.locator('a.care-toggle').click()]);
      assert.equal(new URL(page.url()).searchParams.get('q'), '热干面', 'back on the same page');
      assert.equal(await page.locator('html').getAttribute('class'), 'care');
      assert.equal((await page.locator('a.care-toggle').textContent())?.trim(), '标准版');

      for (const path of ['/search?q=%E7%83%AD%E5%B9%B2%E9%9D%A2', '/', '/brands/cailinji', '/time-honored', '/verify', '/brands/cailinji?lang=en']) {
        await page.goto(`${stack.base}${path}`);
        assert.equal(await page.locator('html').getAttribute('class'), 'care', path);
        const base = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
        assert.ok(base >= 20, `${path}: base text ${base}px`);
        assert.deepEqual(await smallText(page, 20), [], `${path}: text below 20 px`);
        assert.deepEqual(await smallTargets(page), [], `${path}: targets below 44 px`);
        const v = await seriousViolations(page);
        assert.equal(v.length, 0, `${path}:\n${describeViolations(v)}`);
        const aaa = await enhancedContrast(page);
        assert.equal(aaa.length, 0, `${path} (AAA contrast):\n${describeViolations(aaa)}`);
      }

      await Promise.all([page.waitForURL(/\/brands\/cailinji/), page.locator('a.care-toggle').click()]);
      assert.equal(await page.locator('html').getAttribute('class'), null, 'back to 标准版');
      assert.equal((await page.locator('a.care-toggle').textContent())?.trim(), 'Large text');
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
