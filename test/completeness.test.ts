/**
 * Issue #12 item 1: incomplete but honest records. The completeness rule per registry kind
 * (src/registries/completeness.ts); a brand or entry saved through the service without the facts a
 * published list lacks is stored with them in `missing`, shown to the public as 信息待补充 and as
 * null + `missing` by the API; an unpublishable entry is refused naming the field; filling a fact
 * removes it from `missing` and from the due view's 待补充 counts; the migration step computes
 * `missing` for documents written before; a signed-in regulator sees the queue in a browser.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runImport, type Problem } from '../src/imports/engine.js';
import * as cheerio from 'cheerio';
import type mongoose from 'mongoose';
import { completenessOf, missingFields, SUBJECTS } from '../src/registries/completeness.js';
import { computeRegistryStats } from '../src/registries/counts.js';
import { Brand, Certificate, FamousMark, TimeHonored } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { fillMissing, step } from '../src/registries/migrations/item1-missing-fields.js';
import { AppError } from '../src/platform/errors.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { loginAs, createTestUser } from './support/admin.js';
import { useBrowser, seriousViolations, describeViolations } from './support/browser.js';
import { testContext } from './support/context.js';
import { get, page } from './support/helpers.js';

type Stored = Record<string, unknown> & { _id: mongoose.Types.ObjectId; version: number; missing?: string[] };

let seq = 0;
const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

/** A brand saved the way a published 老字号 list gives it: a name, nothing else. */
async function bareBrand(name: string, extra: Record<string, unknown> = {}) {
  return createEntry<Stored>(Brand, { slug: uniq('cmp'), name, ...extra });
}

/** The problems of a refused write, or fails when it was not refused. */
async function refused(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError && err.code === 'validation_failed', `a validation failure, not ${String(err)}`);
    return err.fields ?? [];
  }
  assert.fail('the write was accepted');
}

/** The due view's 待补充 counts per field key ("brand:creditCode" → 12). */
async function dueCounts(agent: Awaited<ReturnType<typeof loginAs>>['agent']) {
  const res = await agent.get('/admin/due');
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const $ = cheerio.load(res.text);
  const counts = new Map<string, number>();
  $('#due-to-complete .adminreg-due-fields a[data-field]').each((_, a) => {
    counts.set(String($(a).attr('data-field')), Number($(a).find('.adminreg-count').text()));
  });
  return { counts, $ };
}

describe('completeness rule (issue #12 item 1)', () => {
  it('when a brand gives only its name, then it is publishable and lacks company, credit code, district, sector and industry', () => {
    const r = completenessOf('brand', { name: '蔡林记' });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.missing.map((f) => f.field),
      ['company', 'creditCode', 'district', 'sector', 'industry'],
    );
    assert.equal(r.missing[1]!.label, '统一社会信用代码');
    assert.equal(r.missing[1]!.labelEn, 'credit code');
    const blank = completenessOf('brand', { name: '  ' });
    assert.deepEqual(
      blank.problems.map((p) => [p.field, p.message, p.messageEn]),
      [['name', '请填写品牌名称', 'brand name is required']],
    );
  });

  it('when a brand states every fact, then nothing is missing; blank strings count as missing', () => {
    const full = { name: 'x', company: '某公司', creditCode: '91420100MA4K0000XX', district: '江汉区', sector: '三产', industry: '餐饮' };
    assert.deepEqual(missingFields('brand', full), []);
    assert.deepEqual(missingFields('brand', { ...full, sector: '', industry: '   ' }), ['sector', 'industry']);
  });

  it('when a 老字号 entry gives tier and year only, then it is publishable and lacks batch and address; without the year it is refused', () => {
    const listed = completenessOf('time-honored', { brand: 'b', tier: '湖北老字号', recognizedYear: 2014, status: '有效', batch: '' });
    assert.deepEqual(listed.problems, []);
    assert.deepEqual(
      listed.missing.map((f) => f.field),
      ['batch', 'address'],
    );
    const noYear = completenessOf('time-honored', { brand: 'b', tier: '湖北老字号', status: '有效' });
    assert.deepEqual(
      noYear.problems.map((p) => p.field),
      ['recognizedYear'],
    );
  });

  it('when a certificate gives number, level, product and validity, then it is publishable and lacks scope, issue date and issuer', () => {
    const cert = { brand: 'b', number: 'HBJP-2024-1', level: '湖北精品', product: '热干面', validUntil: new Date('2027-01-01'), status: '有效' };
    const r = completenessOf('certified', cert);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.missing.map((f) => f.field),
      ['scope', 'issuedAt', 'issuer'],
    );
    const { validUntil: _v, product: _p, ...without } = cert;
    assert.deepEqual(
      completenessOf('certified', without).problems.map((p) => p.field),
      ['product', 'validUntil'],
    );
    assert.deepEqual(missingFields('certified', { ...cert, issuedAt: new Date('invalid') }), ['scope', 'issuedAt', 'issuer'], 'an invalid date is no date');
  });

  it('when a famous mark gives its registration number and route, then it lacks the recognition date, authority, document and regulator; without the number it is refused', () => {
    const mark = { brand: 'b', trademarkRegNo: '1234567', recognition: { route: '行政认定' }, status: '重点保护' };
    const r = completenessOf('famous', mark);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.missing.map((f) => f.field),
      ['recognition.date', 'recognition.authority', 'recognition.documentNo', 'regulator'],
    );
    assert.deepEqual(
      completenessOf('famous', { ...mark, trademarkRegNo: '', recognition: {} }).problems.map((p) => p.field),
      ['trademarkRegNo', 'recognition.route'],
    );
  });

  it('when a directory entry has its listing date, then it is complete; every subject has a rule', () => {
    assert.deepEqual(missingFields('directory', { brand: 'b', status: '在册', listedAt: new Date() }), []);
    assert.deepEqual(missingFields('directory', { brand: 'b', status: '在册' }), ['listedAt']);
    assert.deepEqual([...SUBJECTS], ['brand', 'directory', 'famous', 'time-honored', 'certified']);
  });
});

describe('incomplete records through the service, pages and API (issue #12 item 1)', () => {
  it('when a brand is saved without credit code and sector, then they are stored in missing, the public page says 信息待补充 and the API gives null + missing', async () => {
    const brand = await bareBrand('待补充老店', { company: '武汉待补充老店有限公司', district: '江汉区', industry: '餐饮' });
    const stored = (await Brand.findById(brand._id).lean())!;
    assert.deepEqual(stored.missing, ['creditCode', 'sector']);
    assert.equal(stored.creditCode, undefined, 'no credit code invented');
    assert.equal(stored.sector, undefined, 'no sector invented');

    const { $ } = await page(`/brands/${String(brand.slug)}`);
    const fact = (dt: string) =>
      $('dl.facts > div')
        .filter((_, d) => $(d).find('dt').text() === dt)
        .find('dd')
        .text()
        .trim();
    assert.equal(fact('统一社会信用代码'), '信息待补充');
    assert.match(fact('产业'), /^信息待补充 · 餐饮$/);
    assert.equal(fact('所属区'), '江汉区');
    const ld = JSON.parse($('script[type="application/ld+json"]').first().text() || '{}') as Record<string, unknown>;
    assert.equal(ld.identifier, undefined, 'JSON-LD skips the missing credit code');
    assert.ok(!JSON.stringify(ld).includes('""'), 'JSON-LD carries no empty values');

    const en = await page(`/brands/${String(brand.slug)}?lang=en`);
    assert.match(en.$('dl.facts').first().text(), /details to be completed/);

    const api = await get(`/api/v1/brands/${String(brand.slug)}`);
    assert.equal(api.status, 200);
    assert.equal(api.body.creditCode, null);
    assert.equal(api.body.sector, null);
    assert.equal(api.body.company, '武汉待补充老店有限公司');
    assert.deepEqual(api.body.missing, ['creditCode', 'sector']);
  });

  it('when a brand with an invalid credit code is saved, then the checksum still refuses it', async () => {
    const good = demoCreditCode(uniq('bad'));
    const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const problems = await refused(bareBrand('坏代码', { creditCode: bad }));
    assert.ok(
      problems.some((p) => p.field === 'creditCode'),
      JSON.stringify(problems),
    );
  });

  it('when a certificate without its validity is saved, then it is refused naming the field; with it, it is saved as 待补充', async () => {
    const brand = await bareBrand('缺有效期');
    const cert = { brand: brand._id, number: uniq('CMP').toUpperCase().slice(0, 30), level: '湖北精品', product: '鱼糕', status: '有效' };
    const problems = await refused(createEntry(Certificate, cert));
    assert.deepEqual(
      problems.map((p) => [p.field, p.message]),
      [['validUntil', '请填写有效期至']],
    );
    const saved = await createEntry<Stored>(Certificate, { ...cert, validUntil: new Date('2028-06-01') });
    assert.deepEqual(saved.missing, ['scope', 'issuedAt', 'issuer']);
    const api = await get(`/api/v1/certificates/${cert.number}`);
    assert.equal(api.status, 200);
    assert.equal(api.body.issuedAt, null);
    assert.equal(api.body.issuer, null);
    assert.deepEqual(api.body.missing, ['scope', 'issuedAt', 'issuer']);
  });

  it('when a missing fact is filled later, then it leaves missing and the due view counts one less; the queue links to the record', async () => {
    const { agent } = await loginAs('viewer');
    const before = await dueCounts(agent);
    const brand = await bareBrand('后补代码', { company: '武汉后补代码有限公司', district: '武昌区', industry: '食品制造', sector: '二产' });
    const th = await createEntry<Stored>(TimeHonored, {
      brand: brand._id,
      tier: '武汉老字号',
      recognizedYear: 2019,
      batch: '第3批',
      address: '武昌区某路',
      status: '有效',
    });
    assert.deepEqual(th.missing, []);
    const after = await dueCounts(agent);
    const n = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
    assert.equal(n(after.counts, 'brand:creditCode'), n(before.counts, 'brand:creditCode') + 1, 'one more brand without a credit code');
    assert.equal(n(after.counts, 'brand:sector'), n(before.counts, 'brand:sector'), 'the sector was given');
    assert.match(after.$('#due-to-complete-title').text(), /待补充/);

    // Narrowed to the field, the queue lists the brand with what it lacks, linking to its page.
    const narrowed = await agent.get('/admin/due?missing=brand:creditCode');
    assert.equal(narrowed.status, 200);
    const $n = cheerio.load(narrowed.text);
    const item = $n('#due-to-complete .adminreg-due-list li').filter((_, li) => $n(li).find('a').text() === '后补代码');
    assert.equal(item.length, 1, 'the brand is listed');
    assert.equal(item.find('a').attr('href'), `/admin/brands/${String(brand._id)}`);
    assert.match(item.text(), /缺少：统一社会信用代码/);
    const entry = await agent.get(`/admin/brands/${String(brand._id)}`);
    assert.match(cheerio.load(entry.text)('.adminreg-to-complete').text(), /统一社会信用代码/);
    const list = await agent.get('/admin/brands?missing=creditCode');
    assert.equal(list.status, 200);
    assert.ok(list.text.includes('后补代码'), 'the brand list filters 待补充 by field');
    assert.equal((await agent.get('/admin/due?missing=brand:nonsense')).status, 400, 'an unknown field is refused');

    const filled = await updateEntry<Stored>(Brand, brand._id, brand.version, { creditCode: demoCreditCode(uniq('fill')) });
    assert.deepEqual(filled.missing, []);
    const later = await dueCounts(agent);
    assert.equal(n(later.counts, 'brand:creditCode'), n(before.counts, 'brand:creditCode'), 'back to the count before');
    const entryAfter = await agent.get(`/admin/brands/${String(brand._id)}`);
    assert.equal(cheerio.load(entryAfter.text)('.adminreg-to-complete').length, 0, 'no 待补充 panel once complete');
  });

  it('when a value is cleared on edit, then it is stored absent (never "") and named in missing', async () => {
    const brand = await bareBrand('清空行业', { company: '武汉清空行业有限公司', district: '江岸区', sector: '三产', industry: '餐饮' });
    const cleared = await updateEntry<Stored>(Brand, brand._id, brand.version, { industry: '' });
    assert.ok(cleared.industry === undefined || cleared.industry === null, `stored ${JSON.stringify(cleared.industry)}`);
    assert.deepEqual(cleared.missing, ['creditCode', 'industry']);
  });

  it('when an editor creates a brand through the form with only slug and name, then it is saved as 待补充 with blanks stored absent (the credit code as an empty string)', async () => {
    const editor = await loginAs('editor');
    const slug = uniq('form-bare');
    const token = await editor.csrf('/admin/brands/new');
    const res = await editor.agent
      .post('/admin/brands/new')
      .type('form')
      .send({ _csrf: token, slug, name: '表单待补充', company: '', creditCode: '', district: '', sector: '', industry: '' });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    const stored = (await Brand.findOne({ slug }).lean())!;
    assert.deepEqual(stored.missing, ['company', 'creditCode', 'district', 'sector', 'industry']);
    for (const f of ['company', 'district', 'sector', 'industry'] as const) assert.equal(stored[f], undefined, `${f} is stored absent`);
    // The one blank kept: the import finds brands without a code by `creditCode: ''` on its index.
    assert.equal(stored.creditCode, '', 'a missing credit code is stored as the empty string');
    const entry = await editor.agent.get(`/admin/brands/${String(stored._id)}`);
    const panel = cheerio.load(entry.text)('.adminreg-to-complete li');
    assert.deepEqual(
      panel.toArray().map((li) => cheerio.load(li).text()),
      ['企业名称', '统一社会信用代码', '所属区', '产业', '行业类别'],
    );
  });

  it('when a registry list is filtered to 待补充 by a field, then it lists the entries lacking it and not the complete ones', async () => {
    const viewer = await loginAs('viewer');
    const brand = await bareBrand('列表待补充');
    const lacking = await createEntry<Stored>(Certificate, {
      brand: brand._id,
      number: uniq('LST').toUpperCase().slice(0, 30),
      level: '武汉精品',
      product: '列表鸭脖',
      validUntil: new Date('2029-01-01'),
      status: '有效',
    });
    const complete = await createEntry<Stored>(Certificate, {
      brand: brand._id,
      number: uniq('LSC').toUpperCase().slice(0, 30),
      level: '武汉精品',
      scope: '产品',
      product: '列表齐全',
      issuedAt: new Date('2024-01-01'),
      issuer: '武汉市市场监督管理局',
      validUntil: new Date('2029-01-01'),
      status: '有效',
    });
    assert.deepEqual(complete.missing, []);
    const res = await viewer.agent.get('/admin/certified?missing=issuedAt');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const $ = cheerio.load(res.text);
    const hrefs = $('a.adminreg-rowlink')
      .toArray()
      .map((a) => $(a).attr('href'));
    assert.ok(hrefs.includes(`/admin/certified/${String(lacking._id)}`), 'the certificate without an issue date is listed');
    assert.ok(!hrefs.includes(`/admin/certified/${String(complete._id)}`), 'the complete one is not');
    assert.equal($('#filter-missing option[selected]').attr('value'), 'issuedAt');
    assert.equal((await viewer.agent.get('/admin/certified?missing=creditCode')).status, 400, "a brand's field is not a certificate's");
  });

  it('when a brand without company or district is found by search, then its card skips them instead of showing blanks', async () => {
    const name = `搜索待补充${seq}`;
    const brand = await bareBrand(name);
    await createEntry(TimeHonored, { brand: brand._id, tier: '武汉老字号', recognizedYear: 2016, status: '有效' });
    await testContext().sync.drain();
    const { $ } = await page(`/search?q=${encodeURIComponent(name)}`);
    assert.equal($('.hit-title').first().text().trim(), name, 'the card is found');
    assert.equal($('.hit-meta').first().text().trim(), '', 'no company, no district, no separators');
    assert.equal($('a[href*="district="]').length, 0, 'no blank district facet');
    const api = await get(`/api/v1/search?q=${encodeURIComponent(name)}`);
    assert.deepEqual(api.body.facets.district, [], 'the API has no blank facet value either');
  });

  it('when brands do not state their district or sector, then the counts put them under 未填写, after the listed values', async () => {
    await bareBrand('统计待补充');
    const stats = await computeRegistryStats();
    const last = (rows: Array<{ value: string; brands: number }>) => rows[rows.length - 1]!;
    assert.equal(last(stats.byDistrict).value, '未填写');
    assert.ok(last(stats.byDistrict).brands >= 1);
    assert.equal(last(stats.bySector).value, '未填写');
    assert.equal(
      stats.byDistrict.reduce((n, r) => n + r.brands, 0),
      stats.brands,
      'every brand is counted once, none left out',
    );
    assert.ok(!stats.byDistrict.some((r) => r.value === '' || r.value === undefined));
  });

  it('when a 老字号 list is imported as published (brand, company or blank, tier, year), then no row is refused and the brands are 待补充', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'completeness-'));
    try {
      const a = `导入老店${seq}`;
      const b = `导入无企业${seq}`;
      const file = path.join(dir, 'list.csv');
      writeFileSync(file, ['品牌名称,企业名称,老字号级别,认定年份', `${a},武汉${a}有限公司,湖北老字号,2014年`, `${b},,武汉老字号,2019`, ''].join('\n'));
      const problems: Problem[] = [];
      const summary = await runImport({
        registry: 'time-honored',
        file,
        fileName: 'list.csv',
        dryRun: false,
        actor: 'test@import',
        audit: testContext().auditTrail,
        onProblem: (p) => void problems.push(p),
      });
      assert.deepEqual(problems, []);
      assert.equal(summary.rejected, 0);
      assert.equal(summary.created, 2);
      const withCompany = (await Brand.findOne({ name: a }).lean())!;
      assert.deepEqual(withCompany.missing, ['creditCode', 'district', 'sector', 'industry']);
      const bare = (await Brand.findOne({ name: b }).lean())!;
      assert.deepEqual(bare.missing, ['company', 'creditCode', 'district', 'sector', 'industry']);
      const listing = (await TimeHonored.findOne({ brand: bare._id }).lean())!;
      assert.deepEqual(listing.missing, ['batch', 'address']);
      // A row without the year is refused in its column, by the rule.
      const noYear = path.join(dir, 'no-year.csv');
      writeFileSync(noYear, ['品牌名称,老字号级别,认定年份', `缺年份${seq},武汉老字号,`, ''].join('\n'));
      const refusedRows: Problem[] = [];
      await runImport({
        registry: 'time-honored',
        file: noYear,
        fileName: 'no-year.csv',
        dryRun: true,
        actor: 'test',
        audit: testContext().auditTrail,
        onProblem: (p) => void refusedRows.push(p),
      });
      assert.deepEqual(
        refusedRows.map((p) => [p.row, p.column, p.message]),
        [[2, '认定年份', '请填写认定年份']],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the migration step runs on documents written before, then it computes missing once and a second run changes nothing', async () => {
    const brand = await bareBrand('迁移前', { company: '武汉迁移前有限公司' });
    const mark = await createEntry<Stored>(FamousMark, {
      brand: brand._id,
      trademarkRegNo: String(Date.now()).slice(-9),
      recognition: { route: '司法认定', date: new Date('2010-05-01') },
      status: '一般保护',
    });
    // As written before item 1: no `missing` stored.
    await Brand.collection.updateOne({ _id: brand._id }, { $unset: { missing: '' } });
    // …and one whose stored list is stale (a fact filled in behind the service's back).
    await FamousMark.collection.updateOne({ _id: mark._id }, { $set: { missing: ['recognition.date', 'regulator'] } });
    const first = await fillMissing('brand', Brand as never, () => {});
    assert.ok(first >= 1, `changed ${first}`);
    assert.deepEqual((await Brand.findById(brand._id).lean())!.missing, ['creditCode', 'district', 'sector', 'industry']);
    await fillMissing('famous', FamousMark as never, () => {});
    assert.deepEqual((await FamousMark.findById(mark._id).lean())!.missing, ['recognition.authority', 'recognition.documentNo', 'regulator']);
    const version = (await Brand.findById(brand._id).lean())!.version;
    assert.equal(version, brand.version, 'no version written');
    await step.run(() => {});
    const again = await step.run(() => {});
    assert.equal(again.changed, 0, 'the second run changes nothing');
  });
});

describe('browser: the 待补充 queue in /admin/due (Chromium)', function () {
  this.timeout(90_000);
  const chromium = useBrowser();

  it('when a signed-in regulator opens the due view, then the 待补充 queue shows counts per missing field and links to the entry', async () => {
    const { user, password } = await createTestUser('viewer');
    const brand = await bareBrand('浏览器待补充');
    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'zh-CN' });
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${chromium.base}/admin/login?next=${encodeURIComponent('/admin/due')}`);
    await tab.locator('#login-email').fill(user.email);
    await tab.locator('#login-password').fill(password);
    await Promise.all([tab.waitForURL(/\/admin\/due/), tab.locator('form[action^="/admin/login"] button[type="submit"]').click()]);

    const queue = tab.locator('#due-to-complete');
    assert.match((await queue.locator('h2').textContent()) ?? '', /待补充/);
    const creditCode = queue.locator('a[data-field="brand:creditCode"]');
    assert.match((await creditCode.textContent()) ?? '', /统一社会信用代码\s*\d+/);
    assert.ok(Number(await creditCode.locator('.adminreg-count').textContent()) >= 1);
    const v = await seriousViolations(tab);
    assert.equal(v.length, 0, describeViolations(v));

    await Promise.all([tab.waitForURL(/missing=brand/), creditCode.click()]);
    const link = queue.locator('.adminreg-due-list a', { hasText: '浏览器待补充' });
    await Promise.all([tab.waitForURL(new RegExp(`/admin/brands/${String(brand._id)}$`)), link.click()]);
    assert.match((await tab.locator('.adminreg-to-complete').textContent()) ?? '', /统一社会信用代码/);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
