/**
 * A registered trademark past its end date without renewal is shown as ended, and a famous-mark
 * standing resting on it is no longer announced as protection: the brand page, the certificate
 * API's standing and the due view all say so, and a renewal (a later end date) restores it.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { FamousMark, Trademark } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { loadBrandStanding, standingJson } from '../src/registries/standing.js';
import { loginAs } from './support/admin.js';
import { seriousViolations, useBrowser } from './support/browser.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const DAY = 86_400_000;

async function famousBrandWithEndedMark() {
  const { brand } = await createTestBrand({ slugPrefix: 'tm-ended', name: '到期驰名品牌' });
  const regNo = `7${String(Date.now()).slice(-8)}`;
  const now = Date.now();
  const tm = await createEntry<{ _id: unknown; version: number }>(Trademark, {
    regNo,
    brand: brand._id,
    mark: '到期驰名',
    niceClasses: [30],
    validFrom: new Date(now - 3650 * DAY),
    validTo: new Date(now - 20 * DAY),
  });
  const famous = await createEntry<{ _id: unknown }>(FamousMark, {
    brand: brand._id,
    trademarkRegNo: regNo,
    status: '重点保护',
    recognition: { date: new Date('2012-06-01'), authority: '国家工商行政管理总局商标局', documentNo: '商标驰字〔2012〕7号', route: '行政认定' },
  });
  return { brand, regNo, tm, famous };
}

describe('trademark validity drives standing', function () {
  this.timeout(60_000);

  it('when every registration behind a famous mark has ended unrenewed, then the brand page flags it for review instead of announcing 重点保护, and marks the registration as ended', async () => {
    const { brand, regNo } = await famousBrandWithEndedMark();
    const res = await request(testContext().app).get(`/brands/${String(brand.slug)}`);
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const standing = $('section.standing').text();
    assert.match(standing, new RegExp(`注册商标第${regNo}号已于.*到期，未见续展，保护状态待核实`));
    assert.doesNotMatch(standing, /驰名商标：重点保护，自/, 'not announced as protected');
    const row = $('td.mono')
      .filter((_, td) => $(td).text() === regNo)
      .closest('tr');
    assert.match(row.text(), /已到期，未续展/);
    const en = await request(testContext().app).get(`/brands/${String(brand.slug)}?lang=en`);
    assert.match(en.text, /has not been renewed; its protection is being reviewed/);
  });

  it('when the standing is read for the API, then current is false and the ended registration is named; after a renewal it is current again', async () => {
    const { brand, regNo, tm } = await famousBrandWithEndedMark();
    const before = standingJson(await loadBrandStanding(String(brand.slug)))!;
    assert.equal(before.famousTrademark?.current, false);
    assert.equal(before.famousTrademark?.status, '重点保护', 'the ledger status itself is kept');
    assert.equal(before.famousTrademark?.registrationEnded?.regNo, regNo);
    await updateEntry(Trademark, tm._id as never, tm.version, { validTo: new Date(Date.now() + 3650 * DAY) }, { actor: 'test', reason: '续展' });
    const after = standingJson(await loadBrandStanding(String(brand.slug)))!;
    assert.equal(after.famousTrademark?.current, true);
    assert.equal(after.famousTrademark?.registrationEnded, null);
  });

  it('when a regulator opens the due view, then the famous mark and the ended registration are queued; a renewal takes both off', async () => {
    const { regNo, tm, famous } = await famousBrandWithEndedMark();
    const { agent } = await loginAs('viewer');
    const $ = cheerio.load((await agent.get('/admin/due')).text);
    assert.ok($(`#due-famous-mark-ended a[href="/admin/famous/${String(famous._id)}"]`).length, 'the famous mark is queued');
    assert.match($('#due-famous-mark-ended').text(), new RegExp(regNo));
    assert.ok($(`#due-trademarks-ended a[href="/admin/trademarks/${String(tm._id)}"]`).length, 'the registration in its grace period is queued');
    await updateEntry(Trademark, tm._id as never, tm.version, { validTo: new Date(Date.now() + 3650 * DAY) }, { actor: 'test', reason: '续展' });
    const $after = cheerio.load((await agent.get('/admin/due')).text);
    assert.equal($after(`#due-famous-mark-ended a[href="/admin/famous/${String(famous._id)}"]`).length, 0);
    assert.equal($after(`#due-trademarks-ended a[href="/admin/trademarks/${String(tm._id)}"]`).length, 0);
  });
});

describe('trademark validity drives standing, in the browser', function () {
  this.timeout(90_000);
  const chrome = useBrowser();

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1280, height: 900 },
  ]) {
    it(`when a citizen opens the brand page of a famous mark whose registrations all ended (${viewport.width}×${viewport.height}), then the warning is in view of the standing, the ended registration is marked, and axe finds nothing serious`, async () => {
      const { brand, regNo } = await famousBrandWithEndedMark();
      const page = await chrome.browser.newPage({ viewport });
      try {
        await page.goto(`${chrome.base}/brands/${String(brand.slug)}`);
        const standing = page.locator('section.standing');
        await standing.waitFor();
        assert.match(await standing.innerText(), new RegExp(`注册商标第${regNo}号已于.*到期，未见续展，保护状态待核实`));
        assert.doesNotMatch(await standing.innerText(), /驰名商标：重点保护，自/);
        assert.ok(await standing.isVisible(), 'the standing with its warning is shown');
        const row = page.locator('tr', { has: page.locator('td.mono', { hasText: regNo }) });
        assert.match(await row.innerText(), /已到期，未续展/);
        assert.deepEqual(await seriousViolations(page), []);
      } finally {
        await page.close();
      }
    });
  }
});
