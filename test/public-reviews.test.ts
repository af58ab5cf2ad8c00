/**
 * Issue #12, the last gaps: a 老字号 listing's re-review history is public (brand page in Chinese
 * and English, the timeline, the story page, the API as its OpenAPI document describes it) with
 * its date, outcome and the deadline of a pass with conditions, never who recorded it; and no
 * listing date or reward is invented: a directory row imported without 列入日期 stays without one
 * (待补充 listedAt), a 老字号 row without a reward has none (not 0), while the back office's form for
 * a new directory entry pre-fills today's date.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import * as cheerio from 'cheerio';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bureauDay } from '../src/admin/registries/create-handlers.js';
import { openApiDocument } from '../src/api-docs/openapi.js';
import { exportFilter, exportRows } from '../src/imports/export.js';
import { AuditEvent } from '../src/audit/index.js';
import { runImport, type Problem } from '../src/imports/engine.js';
import { inventedListedAt, step } from '../src/registries/migrations/item12-invented-defaults.js';
import { TimeHonored } from '../src/registries/models.js';
import { appendReview, createEntry } from '../src/registries/service.js';
import { loginAs, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';
import { Brand, createTestBrand, DirectoryEntry, get } from './support/helpers.js';

type Json = Record<string, any>;

const REGULATOR = 'reviewer.zhang@scjg.wuhan.test';

function brandValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema(openApiDocument('http://registry.test'), 'openapi.json');
  const validate = ajv.getSchema('openapi.json#/paths/~1api~1v1~1brands~1{slug}/get/responses/200/content/application~1json/schema');
  assert.ok(validate, 'the brand answer is described');
  return { ajv, validate };
}

describe('public re-review history of 老字号 listings', function () {
  let slug = '';

  before(async () => {
    const made = await createTestBrand({ slugPrefix: 'pub-review', name: '复核公开老字号', directory: false });
    slug = made.slug;
    const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '湖北老字号', recognizedYear: 2014, status: '有效' });
    await appendReview(
      String(th._id),
      Number(th.version),
      { date: '2025-03-12', outcome: '附条件通过', deadline: '2025-09-30', note: '门店招牌须恢复老字号标识' },
      { actor: REGULATOR },
    );
  });

  it('the brand page shows the 附条件通过 review with its deadline, in Chinese, without the regulator', async () => {
    const res = await get(`/brands/${slug}`);
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const rows = $('#time-honored table.th-reviews tbody tr');
    assert.equal(rows.length, 1);
    const cells = rows
      .first()
      .find('td')
      .map((_, td) => $(td).text().trim())
      .get();
    assert.deepEqual(cells, ['2025年3月12日', '附条件通过', '2025年9月30日', '门店招牌须恢复老字号标识']);
    assert.equal(rows.first().find('time').last().attr('datetime'), '2025-09-30');
    assert.match($('#time-honored caption').text(), /复核记录/);
    assert.ok(!res.text.includes(REGULATOR) && !res.text.includes('reviewer.zhang'), 'who recorded it is not shown');
    // The timeline tells it on the date decided, not as a famous-mark protection record.
    assert.match(res.text, /湖北老字号复核：附条件通过（整改期限至2025年9月30日）/);
    assert.doesNotMatch(res.text, /驰名商标保护记录新增一条/);
  });

  it('the English page names the outcome in English (reference data) with its deadline', async () => {
    const res = await get(`/brands/${slug}?lang=en`);
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const cells = $('#time-honored table.th-reviews tbody tr td')
      .map((_, td) => $(td).text().trim())
      .get();
    assert.equal(cells[1], 'Passed with conditions');
    assert.match(cells[2]!, /2025/);
    assert.match(cells[2]!, /Sep|09|30/);
    assert.match($('#time-honored caption').text(), /Re-reviews/);
    assert.ok(!res.text.includes(REGULATOR));
  });

  it('the time-honored feed announces the outcome, without the regulator', async () => {
    const res = await get('/feeds/time-honored.atom');
    assert.equal(res.status, 200);
    assert.match(res.text, /复核公开老字号 · 老字号名录复核：附条件通过（整改期限至2025年9月30日）/);
    assert.ok(!res.text.includes(REGULATOR));
    // The brand's own history tells it once, on the date decided.
    const page = cheerio.load((await get(`/brands/${slug}`)).text);
    assert.equal(page('#history li').filter((_, li) => /复核：附条件通过/.test(page(li).text())).length, 1);
  });

  it('the story page shows the latest outcome', async () => {
    const res = await get(`/time-honored/${slug}/story`);
    assert.equal(res.status, 200);
    assert.match(cheerio.load(res.text)('.story-facts').text(), /最近复核\s*2025年3月12日\s*附条件通过（整改期限至2025年9月30日）/);
  });

  it('the API gives the review in timeHonored and timeHonoredListings, as the OpenAPI document describes, without recordedBy', async () => {
    const res = await get(`/api/v1/brands/${slug}`);
    assert.equal(res.status, 200);
    const body = res.body as Json;
    const { ajv, validate } = brandValidator();
    assert.ok(validate(body), ajv.errorsText(validate.errors));
    const expected = {
      date: '2025-03-12T00:00:00.000Z',
      datePrecision: 'day',
      outcome: '附条件通过',
      deadline: '2025-09-30T00:00:00.000Z',
      note: '门店招牌须恢复老字号标识',
    };
    assert.deepEqual(body.timeHonored.reviews, [expected]);
    assert.deepEqual(body.timeHonoredListings[0].reviews, [expected]);
    assert.equal(body.timeHonored.rewardWan, null, 'a reward nobody stated is null, not 0');
    assert.ok(!res.text.includes('recordedBy') && !res.text.includes(REGULATOR));
  });
});

describe('no invented listing date or reward', function () {
  let dir = '';
  let editor: SignedIn;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'public-reviews-'));
    editor = await loginAs('editor');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const importRows = async (registry: 'directory' | 'time-honored', lines: string[]) => {
    const file = path.join(dir, `${registry}-${Date.now()}.csv`);
    writeFileSync(file, [...lines, ''].join('\n'));
    const problems: Problem[] = [];
    const summary = await runImport({
      registry,
      file,
      fileName: path.basename(file),
      dryRun: false,
      actor: 'test@import',
      audit: testContext().auditTrail,
      onProblem: (p) => void problems.push(p),
    });
    return { summary, problems };
  };

  it('a directory row imported without 列入日期 is stored without listedAt and flagged 待补充 listedAt', async () => {
    const name = `无列入日期${Date.now().toString(36)}`;
    const { summary, problems } = await importRows('directory', ['品牌名称,企业名称,列入日期', `${name},武汉${name}有限公司,`]);
    assert.deepEqual(problems, []);
    assert.equal(summary.created, 1);
    const brand = (await Brand.findOne({ name }).lean())!;
    const entry = (await DirectoryEntry.findOne({ brand: brand._id }).lean())!;
    assert.equal(entry.listedAt, undefined, 'no date is invented');
    assert.ok(entry.missing?.includes('listedAt'), `missing: ${JSON.stringify(entry.missing)}`);
    const api = await get(`/api/v1/brands/${brand.slug}`);
    assert.equal(api.body.directory.listedAt, null);
    assert.ok(api.body.directory.missing.includes('listedAt'));
  });

  it('a 老字号 row without a reward has none stored, and its export cell stays blank', async () => {
    const name = `无奖励${Date.now().toString(36)}`;
    const { problems } = await importRows('time-honored', ['品牌名称,老字号级别,认定年份', `${name},武汉老字号,2019`]);
    assert.deepEqual(problems, []);
    const brand = (await Brand.findOne({ name }).lean())!;
    const listing = (await TimeHonored.findOne({ brand: brand._id }).lean())!;
    assert.equal(listing.rewardWan, undefined);
    const rows: string[][] = [];
    for await (const r of exportRows('time-honored', exportFilter('time-honored', {}))) rows.push(r);
    const h = rows[0]!;
    const row = rows.find((r) => r[h.indexOf('品牌名称')] === name);
    assert.ok(row, 'the listing is exported');
    assert.equal(row[h.indexOf('奖励（万元）')], '', 'not stated: blank, not 0');
    const api = await get(`/api/v1/brands/${brand.slug}`);
    assert.equal(api.body.timeHonoredListings[0].rewardWan, null);
  });

  it('the migration step clears the listing dates the old default invented (a stored reward of 0 is kept), through the audited registry service, and a second run changes nothing', async () => {
    const invented = await createTestBrand({ slugPrefix: 'mig-invented', name: '默认日期迁移', directory: false });
    const given = await createTestBrand({ slugPrefix: 'mig-given', name: '名录日期迁移', directory: false });
    const a = await createEntry<Record<string, unknown>>(DirectoryEntry, { brand: invented.brand._id, status: '在册', listedAt: new Date() });
    const b = await createEntry<Record<string, unknown>>(DirectoryEntry, {
      brand: given.brand._id,
      status: '在册',
      listedAt: new Date(Date.UTC(2011, 0, 1)),
      listedAtPrecision: 'year',
    });
    const zero = await createEntry<Record<string, unknown>>(TimeHonored, {
      brand: invented.brand._id,
      tier: '武汉老字号',
      recognizedYear: 2019,
      status: '有效',
      rewardWan: 0,
    });
    const ten = await createEntry<Record<string, unknown>>(TimeHonored, {
      brand: given.brand._id,
      tier: '武汉老字号',
      recognizedYear: 2019,
      status: '有效',
      rewardWan: 10,
    });
    // The old default, as stored before: a time of day, at creation.
    assert.ok(inventedListedAt((await DirectoryEntry.findById(a._id).lean())!.listedAt, (await DirectoryEntry.findById(a._id).lean())!.createdAt));
    const lines: string[] = [];
    assert.ok((await step.run((l) => void lines.push(l))).changed >= 1, lines.join('\n'));
    const after = (await DirectoryEntry.findById(a._id).lean())!;
    assert.equal(after.listedAt ?? null, null);
    assert.ok(after.missing?.includes('listedAt'));
    assert.equal(after.version, 2, 'written through the registry service');
    assert.equal((await DirectoryEntry.findById(b._id).lean())!.listedAt?.toISOString(), '2011-01-01T00:00:00.000Z', 'a given date stays');
    assert.equal((await TimeHonored.findById(zero._id).lean())!.rewardWan, 0, "a stored 0 may be a regulator's: kept");
    assert.equal((await TimeHonored.findById(ten._id).lean())!.rewardWan, 10);
    const events = await AuditEvent.find({ model: 'DirectoryEntry', entryId: String(a._id), action: 'update' }).lean();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, 'migration');
    assert.equal((await step.run(() => {})).changed, 0, 'idempotent');
  });

  it('the form for a new directory entry pre-fills today (the bureau’s day), visibly and editably', async () => {
    const res = await editor.agent.get('/admin/directory/new');
    assert.equal(res.status, 200);
    const input = cheerio.load(res.text)('input[name="listedAt"]');
    assert.equal(input.length, 1);
    assert.equal(input.attr('value'), bureauDay(new Date()));
    assert.equal(input.attr('readonly'), undefined);
    assert.equal(input.attr('type'), 'text');
    // 16:30 UTC is already the next day in Wuhan.
    assert.equal(bureauDay(new Date('2026-12-04T16:30:00Z')), '2026-12-05');
  });
});
