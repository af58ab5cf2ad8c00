/**
 * A regulator's day in a real browser (Chromium, phone width): sign in through the form, open an
 * entry, edit a field, save, and see the change on the public brand page; axe-core finds no
 * serious or critical violations on the back-office list, entry and edit pages (also with errors).
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createTestUser } from './support/admin.js';
import { describeViolations, seriousViolations, useBrowser } from './support/browser.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

describe('browser: editing an entry (Chromium)', function () {
  this.timeout(90_000);
  const chromium = useBrowser();

  async function axe(page: Page, what: string) {
    const v = await seriousViolations(page);
    assert.equal(v.length, 0, `${what}:\n${describeViolations(v)}`);
  }

  it('when an editor signs in, edits a brand on a phone and saves, then the public brand page shows the change; list and form pass axe', async () => {
    const { user, password } = await createTestUser('editor');
    const { brand, slug, directory } = await createTestBrand({ slugPrefix: 'browser-edit', name: '浏览器编辑前' });
    await testContext().sync.drain();
    // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
    const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const base = chromium.base;

    await page.goto(`${base}/admin/login?next=${encodeURIComponent('/admin/directory')}`);
    await page.locator('#login-email').fill(user.email);
    await page.locator('#login-password').fill(password);
    await Promise.all([page.waitForURL(/\/admin\/directory/), page.locator('form[action^="/admin/login"] button[type="submit"]').click()]);

    // The list, filtered by name through the form.
    await page.getByLabel('名称、企业或编号').fill('浏览器编辑前');
    await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: '筛选' }).click()]);
    assert.match((await page.locator('#results-count').textContent()) ?? '', /共 1 条结果/);
    await axe(page, 'directory list');
    const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(noScroll, 'the list page does not scroll sideways at 390 px');

    await Promise.all([page.waitForURL(new RegExp(`/admin/directory/${String(directory!._id)}$`)), page.locator('a.adminreg-rowlink').first().click()]);
    await axe(page, 'directory entry');
    await Promise.all([
      page.waitForURL(new RegExp(`/admin/brands/${String(brand._id)}$`)),
      page.locator('.adminreg-links a', { hasText: '浏览器编辑前' }).click(),
    ]);
    await Promise.all([page.waitForURL(/\/edit$/), page.locator('a.adminreg-button', { hasText: '编辑' }).click()]);
    await axe(page, 'edit form');

    // A mistake first: the error is announced beside the field, and passes axe too.
    await page.getByLabel(/^品牌名称/).fill('');
    await page.getByRole('button', { name: '保存' }).click();
    assert.match((await page.locator('#f-name-error').textContent()) ?? '', /必填/);
    await axe(page, 'edit form with errors');

    await page.getByLabel(/^品牌名称/).fill('浏览器编辑后');
    await Promise.all([page.waitForURL(new RegExp(`/admin/brands/${String(brand._id)}$`)), page.getByRole('button', { name: '保存' }).click()]);
    assert.match((await page.locator('.flash').textContent()) ?? '', /已保存/);
    assert.match((await page.locator('h1').textContent()) ?? '', /浏览器编辑后/);

    await Promise.all([page.waitForURL(new RegExp(`/brands/${slug}`)), page.getByRole('link', { name: '查看公众页面' }).click()]);
    assert.match((await page.locator('h1').textContent()) ?? '', /^浏览器编辑后/);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
