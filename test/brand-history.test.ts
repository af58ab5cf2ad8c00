/**
 * The brand page's public history: listing facts from the entries, status and tier changes with
 * their reasons from the audit trail, in the page's language — and never who made a change.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { DirectoryEntry, TimeHonored } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

describe('brand page history', function () {
  this.timeout(60_000);

  it('when a listed brand is suspended and restored, and its time-honored tier changes, then the page tells each change newest first with its reason and no staff address', async () => {
    const { brand, directory } = await createTestBrand({ slugPrefix: 'history', name: '沿革品牌' });
    const th = await createEntry<{ _id: unknown; version: number }>(TimeHonored, {
      brand: brand._id,
      tier: '武汉老字号',
      recognizedYear: 2014,
      batch: '2014（第2批）',
      status: '有效',
    });
    const actor = 'regulator-history@bureau.example';
    const dir = directory as { _id: unknown; version: number };
    const suspended = await updateEntry<{ version: number }>(
      DirectoryEntry,
      dir._id as never,
      dir.version,
      { status: '暂停', statusReason: '商标续展待核实' },
      { actor, reason: '商标续展待核实' },
    );
    await updateEntry(DirectoryEntry, dir._id as never, suspended.version, { status: '在册', statusReason: '' }, { actor, reason: '已完成续展' });
    await updateEntry(TimeHonored, th._id as never, th.version, { tier: '湖北老字号' }, { actor, reason: '升级为湖北老字号' });

    const res = await request(testContext().app).get(`/brands/${String(brand.slug)}`);
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const lines = $('#history .history-list li')
      .toArray()
      .map((li) => $(li).text().replace(/\s+/g, ' ').trim());
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const restored = at(/商标品牌名录：状态由“暂停”变为“在册”.*已完成续展/);
    const paused = at(/商标品牌名录：状态由“在册”变为“暂停”.*商标续展待核实/);
    const tier = at(/老字号名录：级别由“武汉老字号”变为“湖北老字号”/);
    const listed = at(/列入商标品牌名录/);
    const recognised = at(/^2014年 认定为/);
    for (const [name, i] of Object.entries({ restored, paused, tier, listed, recognised })) assert.ok(i >= 0, `${name} is told: ${lines.join(' | ')}`);
    assert.ok(tier < restored && restored < paused, `newest first: ${lines.join(' | ')}`);
    assert.ok(recognised > paused, 'the 2014 recognition comes after this year’s changes');
    assert.doesNotMatch(res.text, /regulator-history@/, 'who made a change is not public');
    assert.equal($('#history time').first().attr('datetime')?.length, 10);

    const en = cheerio.load((await request(testContext().app).get(`/brands/${String(brand.slug)}?lang=en`)).text);
    assert.match(en('#history').text(), /status changed from “Suspended” to “Listed”|status changed from “.+” to “.+”/);
    assert.match(en('#history h2').text(), /History/);
  });

  it('when the brand API is read, then the internal entry ids behind the history are not in it', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'history-api', name: '接口沿革品牌' });
    const res = await request(testContext().app).get(`/api/v1/brands/${String(brand.slug)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.entryRefs, undefined);
  });
});
