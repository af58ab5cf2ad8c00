/**
 * Issue #12 item 4: recognition levels, certificate statuses and 老字号 re-review outcomes are
 * reference data an admin extends (audited), not code enums. An admin adds 武汉名品 and the import
 * accepts it afterwards (refused before, naming the field and the allowed values); editors cannot
 * add; the addition is in the audit trail; 注销 is a status that shows publicly; a 附条件通过
 * re-review needs its rectification deadline and, past it, appears in the due view; 不通过 removes
 * the listing with its reason; English pages show the English name the admin gave.
 *
 * The values added here stay in the shared test database, as they would in production: values in
 * use are never deleted (later files re-import certificates that hold them).
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dueView } from '../src/admin/registries/due.js';
import { AuditEvent } from '../src/audit/index.js';
import { runImport, type Problem } from '../src/imports/engine.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { TimeHonored } from '../src/registries/models.js';
import { activeValues, knownValues, ReferenceValue } from '../src/registries/reference-data.js';
import { appendReview, changeStatus, createEntry, setReferenceValueActive, updateEntry } from '../src/registries/service.js';
import { step } from '../src/registries/migrations/item4-reference-data.js';
import { createTestUser, csrfFrom, loginAs, type SignedIn } from './support/admin.js';
import { describeViolations, seriousViolations, useBrowser } from './support/browser.js';
import { testContext } from './support/context.js';
import { Brand, Certificate, createTestBrand, get } from './support/helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'reference-data-test-'));

after(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = '证书编号,品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,认定级别,认定范围,认定产品,发证日期,有效期至,发证机构';
function certificateCsv(name: string, number: string, level: string): string {
  const file = path.join(tmp, name);
  const code = demoCreditCode(`ref-${number}`);
  writeFileSync(
    file,
    [
      HEADER,
      `${number},江城名品测试,武汉江城名品测试有限公司,${code},江汉区,二产,食品制造,${level},产品,名品糕点,2022-05-01,2027-04-30,武汉市市场监督管理局`,
    ].join('\n'),
  );
  return file;
}

async function importCsv(file: string, dryRun: boolean) {
  const problems: Problem[] = [];
  const summary = await runImport({
    registry: 'certified',
    file,
    fileName: path.basename(file),
    dryRun,
    actor: 'test@import',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return { summary, problems };
}

/** Adds a value through the admin page; returns the response. */
async function addThroughPage(who: SignedIn, list: string, value: string, nameEn: string) {
  const token = await who.csrf('/admin/reference');
  return who.agent.post('/admin/reference').type('form').send({ _csrf: token, list, value, nameEn });
}

describe('reference data: levels, statuses and re-review outcomes an admin extends', function () {
  this.timeout(60_000);
  let admin: SignedIn;
  let editor: SignedIn;

  before(async () => {
    admin = await loginAs('admin');
    editor = await loginAs('editor');
  });

  it('the migration step stores the built-ins once (a second run changes nothing)', async () => {
    const first = await step.run(() => {});
    const second = await step.run(() => {});
    assert.ok(first.changed >= 0);
    assert.equal(second.changed, 0);
    const stored = await ReferenceValue.find({ builtIn: true }).lean();
    assert.ok(stored.some((d) => d.list === 'certificate-status' && d.value === '注销'));
    assert.ok(stored.some((d) => d.list === 'review-outcome' && d.value === '附条件通过'));
    assert.ok(!stored.some((d) => d.value === '武汉名品'), '武汉名品 is not built in: an admin adds it');
  });

  it('an admin adds 武汉名品: the import refuses it before (naming the field and the allowed values) and accepts it afterwards, audited', async () => {
    const file = certificateCsv('mingpin.csv', 'WHMP-2022-0001', '武汉名品');
    const before = await importCsv(file, true);
    assert.equal(before.summary.rejected, 1);
    const p = before.problems.find((x) => x.column === '认定级别');
    assert.ok(p, `a problem on 认定级别: ${JSON.stringify(before.problems)}`);
    assert.match(p.message, /武汉名品/);
    assert.match(p.message, /认定级别必须是以下之一：中国精品、湖北精品、武汉精品/);
    assert.match(p.messageEn, /level must be one of: /);

    const res = await addThroughPage(admin, 'certificate-level', '武汉名品', 'Wuhan Famous Product');
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.ok(activeValues('certificate-level').includes('武汉名品'));

    const dry = await importCsv(file, true);
    assert.deepEqual(dry.problems, []);
    assert.equal(dry.summary.created, 1);
    const real = await importCsv(file, false);
    assert.equal(real.summary.created, 1, JSON.stringify(real.problems));
    const cert = await Certificate.findOne({ number: 'WHMP-2022-0001' }).lean();
    assert.equal(cert?.level, '武汉名品');

    const events = await AuditEvent.find({ model: 'ReferenceValue', action: 'create', actor: admin.user.email }).lean();
    assert.ok(
      events.some((e) => e.changes.some((c) => c.field === 'value' && c.after === '武汉名品')),
      'the addition is in the audit trail with its actor',
    );
    const audit = await admin.agent.get('/admin/audit');
    assert.equal(audit.status, 200);
    assert.match(audit.text, /参考数据/, 'the audit page names what was changed');
    const page = cheerio.load((await admin.agent.get('/admin/reference')).text);
    const row = page('table[data-list="certificate-level"] tr[data-value="武汉名品"]');
    assert.equal(row.length, 1);
    assert.match(row.text(), /Wuhan Famous Product/);
    assert.match(row.text(), new RegExp(admin.user.email.replace(/[.]/g, '\\.')));
  });

  it('the new level shows its English name on English pages, and the admin form offers it', async () => {
    const cert = (await Certificate.findOne({ number: 'WHMP-2022-0001' }).lean())!;
    const brand = await Brand.findById(cert.brand).lean();
    const en = await get(`/brands/${brand!.slug}?lang=en`);
    assert.equal(en.status, 200);
    assert.match(en.text, /Wuhan Famous Product/);
    const zh = await get(`/brands/${brand!.slug}`);
    assert.match(zh.text, /武汉名品/);
    // Search filters follow the lists too (a tier the lists do not hold is a 400).
    assert.equal((await get(`/search?tier=${encodeURIComponent('武汉名品')}`)).status, 200);
    assert.equal((await get(`/api/v1/search?tier=${encodeURIComponent('武汉名品')}`)).status, 200);
    assert.equal((await get(`/api/v1/search?tier=${encodeURIComponent('不存在的级别')}`)).status, 400);
    const form = cheerio.load((await editor.agent.get('/admin/certified/new')).text);
    assert.ok(form('select[name="level"] option[value="武汉名品"]').length === 1, 'the create form offers the added level');
  });

  it('an editor can neither see the page nor add a value; a viewer neither', async () => {
    assert.equal((await editor.agent.get('/admin/reference')).status, 403);
    const home = await editor.agent.get('/admin');
    const token = csrfFrom(home.text.includes('_csrf') ? home.text : (await editor.agent.get('/admin/account')).text);
    const res = await editor.agent
      .post('/admin/reference')
      .type('form')
      .send({ _csrf: token, list: 'certificate-level', value: '江城百臻', nameEn: 'Jiangcheng Baizhen' });
    assert.equal(res.status, 403);
    assert.equal(await ReferenceValue.exists({ value: '江城百臻' }), null);
    assert.doesNotMatch(home.text, /href="\/admin\/reference"/, 'the navigation hides the link from editors');
    assert.match((await admin.agent.get('/admin')).text, /href="\/admin\/reference"/, 'and shows it to admins');
    const viewer = await loginAs('viewer');
    assert.equal((await viewer.agent.get('/admin/reference')).status, 403);
  });

  it('an addition needs CSRF, a value of at most 20 characters not in the list, and an English name', async () => {
    const noToken = await admin.agent.post('/admin/reference').type('form').send({ list: 'certificate-level', value: '江城百臻', nameEn: 'x' });
    assert.equal(noToken.status, 403);
    const cases: Array<[string, string, RegExp]> = [
      ['', 'Empty', /请填写值/],
      ['一二三四五六七八九十一二三四五六七八九十一', 'Too long', /值不能超过20个字符/],
      ['武汉精品', 'Duplicate', /“武汉精品”已在列表中/],
      ['江城百臻', '', /请填写英文名称/],
    ];
    for (const [value, nameEn, message] of cases) {
      const res = await addThroughPage(admin, 'certificate-level', value, nameEn);
      assert.equal(res.status, 400, `${value}/${nameEn}`);
      assert.match(cheerio.load(res.text)('#list-certificate-level .field-error').text(), message);
    }
    assert.equal(await ReferenceValue.exists({ value: '江城百臻' }), null);
  });

  it('a deactivated value is no longer offered or accepted for new entries, and entries holding it keep it', async () => {
    const res = await addThroughPage(admin, 'certificate-level', '江城百臻', 'Jiangcheng Baizhen');
    assert.equal(res.status, 303);
    const { brand } = await createTestBrand({ slugPrefix: 'ref-baizhen', name: '百臻测试', directory: false });
    const cert = await createEntry<Record<string, unknown>>(Certificate, {
      number: 'JCBZ-2024-0001',
      brand: brand._id,
      level: '江城百臻',
      scope: '产品',
      product: '百臻产品',
      issuedAt: new Date(Date.UTC(2024, 0, 1)),
      validUntil: new Date(Date.UTC(2099, 0, 1)),
      issuer: '武汉市市场监督管理局',
      status: '有效',
    });
    const doc = (await ReferenceValue.findOne({ value: '江城百臻' }).lean())!;
    await setReferenceValueActive(String(doc._id), doc.version, false, { actor: admin.user.email });
    assert.ok(!activeValues('certificate-level').includes('江城百臻'));
    assert.ok(knownValues('certificate-level').includes('江城百臻'));
    await assert.rejects(
      createEntry(Certificate, { ...cert, _id: undefined, number: 'JCBZ-2024-0002', version: undefined }),
      (err: { fields?: Array<{ field: string }> }) => Boolean(err.fields?.some((f) => f.field === 'level')),
    );
    // The certificate holding it can still change status.
    const changed = await changeStatus(Certificate, String(cert._id), cert.version, '暂停', '抽查整改', { actor: 'test' });
    assert.equal(changed.status, '暂停');
    assert.equal(changed.level, '江城百臻');
    const create = cheerio.load((await editor.agent.get('/admin/certified/new')).text);
    assert.equal(create('select[name="level"] option[value="江城百臻"]').length, 0, 'no longer offered for a new certificate');
    const edit = cheerio.load((await editor.agent.get(`/admin/certified/${String(cert._id)}/edit`)).text);
    assert.equal(edit('select[name="level"] option[value="江城百臻"]').attr('selected'), 'selected', 'the certificate holding it keeps it');
    const built = (await ReferenceValue.findOne({ value: '武汉精品' }).lean())!;
    await assert.rejects(setReferenceValueActive(String(built._id), built.version, false, { actor: 'test' }), /validation|内置/i);
  });

  it('注销 is a certificate status: set with a reason, shown on the brand page and the certificate check', async () => {
    const { slug, certificate } = await createTestBrand({
      slugPrefix: 'ref-cancel',
      name: '注销测试',
      directory: false,
      certificate: { number: 'ZX-2025-0001', product: '注销测试产品' },
    });
    await changeStatus(Certificate, String(certificate!._id), Number(certificate!.version), '注销', '企业申请注销证书', { actor: 'test' });
    const zh = await get(`/brands/${slug}`);
    assert.match(zh.text, /注销/);
    assert.match(zh.text, /企业申请注销证书/);
    const en = await get(`/brands/${slug}?lang=en`);
    assert.match(en.text, /Cancelled/);
    const verify = await get('/verify/ZX-2025-0001');
    assert.match(verify.text, /已注销/);
  });

  describe('re-reviews of a time-honored listing', () => {
    let entryId = '';
    let slug = '';
    before(async () => {
      const made = await createTestBrand({ slugPrefix: 'ref-review', name: '复核测试老字号', directory: false });
      slug = made.slug;
      const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '武汉老字号', recognizedYear: 2014, status: '复核中' });
      entryId = String(th._id);
    });

    const post = async (values: Record<string, string>) => {
      const pagePath = `/admin/time-honored/${entryId}`;
      const $ = cheerio.load((await editor.agent.get(pagePath)).text);
      const form = $('form[action$="/reviews"]');
      assert.equal(form.length, 1, 'editors see the re-review form');
      const fields = Object.fromEntries(Object.entries(values).map(([k, v]) => [`review.${k}`, v]));
      return editor.agent
        .post(`${pagePath}/reviews`)
        .type('form')
        .send({ _csrf: form.find('input[name="_csrf"]').val(), version: form.find('input[name="version"]').val(), ...fields });
    };

    it('附条件通过 without a deadline is refused; with one it is recorded and, past the deadline, is in the due view', async () => {
      const refused = await post({ date: '2026-01-10', outcome: '附条件通过', deadline: '', note: '门店标识整改' });
      assert.equal(refused.status, 400);
      assert.match(cheerio.load(refused.text)('#f-review-deadline-error').text(), /附条件通过须填写整改期限/);
      assert.equal((await TimeHonored.findById(entryId).lean())!.reviews.length, 0);

      const ok = await post({ date: '2026-01-10', outcome: '附条件通过', deadline: '2026-06-30', note: '门店标识整改' });
      assert.equal(ok.status, 303, ok.text.slice(0, 400));
      const th = (await TimeHonored.findById(entryId).lean())!;
      assert.equal(th.reviews.length, 1);
      assert.equal(th.reviews[0]!.outcome, '附条件通过');
      assert.equal(th.reviews[0]!.deadline?.toISOString().slice(0, 10), '2026-06-30');
      assert.equal(th.reviews[0]!.recordedBy, editor.user.email);
      assert.equal(th.status, '有效', 'a pass ends the review in progress');

      const inDue = (v: Awaited<ReturnType<typeof dueView>>) => v.groups.find((g) => g.key === 'th-rectification')!.items.some((i) => i.href.includes(entryId));
      assert.equal(inDue(await dueView('zh', new Date('2026-06-15T00:00:00Z'))), false, 'not before the deadline');
      assert.equal(inDue(await dueView('zh', new Date('2026-07-01T00:00:00Z'))), true, 'after the deadline');
      const due = await editor.agent.get('/admin/due');
      assert.match(cheerio.load(due.text)('#due-th-rectification').text(), /复核测试老字号/);

      // The record is in the entry's history (audited), and the page lists it.
      const page = cheerio.load((await editor.agent.get(`/admin/time-honored/${entryId}`)).text);
      assert.match(page('#reviews').text(), /附条件通过/);
      assert.match(page('#reviews').text(), /已过整改期限/);
    });

    it('不通过 needs a reason and removes the listing with it, shown publicly; reviews cannot be rewritten', async () => {
      const noReason = await post({ date: '2026-11-20', outcome: '不通过', deadline: '', note: '' });
      assert.equal(noReason.status, 400);
      const th0 = (await TimeHonored.findById(entryId).lean())!;
      await assert.rejects(appendReview(entryId, th0.version, { date: '2026-11', outcome: '不存在的结果' }, { actor: 'test' }), /validation|不是可选/);
      const res = await post({ date: '2026-11-20', outcome: '不通过', deadline: '', note: '逾期未完成整改' });
      assert.equal(res.status, 303);
      const th = (await TimeHonored.findById(entryId).lean())!;
      assert.equal(th.status, '已移出');
      assert.match(th.statusReason, /逾期未完成整改/);
      assert.equal(th.reviews.length, 2);
      const publicPage = await get(`/brands/${slug}`);
      assert.match(publicPage.text, /逾期未完成整改/);
      const inDue = (await dueView('zh', new Date('2026-12-01T00:00:00Z'))).groups.find((g) => g.key === 'th-rectification')!;
      assert.ok(!inDue.items.some((i) => i.href.includes(entryId)), 'a later outcome takes it off the due view');
      await assert.rejects(updateEntry(TimeHonored, entryId, th.version, { reviews: [] }, { actor: 'test' }), /validation|只能追加/);
    });

    it('a pass on a listing in force is recorded as an appended review in the audit trail', async () => {
      const made = await createTestBrand({ slugPrefix: 'ref-pass', name: '复核通过老字号', directory: false });
      const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '湖北老字号', recognizedYear: 2016, status: '有效' });
      const saved = await appendReview<Record<string, unknown>>(
        String(th._id),
        Number(th.version),
        { date: '2025', outcome: '通过' },
        { actor: 'reviewer@test' },
      );
      assert.equal(saved.status, '有效');
      const events = await AuditEvent.find({ model: 'TimeHonored', entryId: String(th._id), action: 'record' }).lean();
      assert.equal(events.length, 1);
      const change = events[0]!.changes[0]!;
      assert.equal(change.field, 'reviews');
      assert.equal((change.after as { outcome?: string } | null)?.outcome, '通过');
      assert.equal((change.after as { datePrecision?: string } | null)?.datePrecision, 'year');
    });

    it('the form is not offered to viewers, and a viewer cannot post a review', async () => {
      const viewer = await loginAs('viewer');
      const $ = cheerio.load((await viewer.agent.get(`/admin/time-honored/${entryId}`)).text);
      assert.equal($('form[action$="/reviews"]').length, 0);
      const token = $('input[name="_csrf"]').first().val() ?? csrfFrom((await viewer.agent.get('/admin/account')).text);
      const res = await viewer.agent
        .post(`/admin/time-honored/${entryId}/reviews`)
        .type('form')
        .send({ _csrf: token, version: '1', 'review.date': '2026-01-01', 'review.outcome': '通过' });
      assert.equal(res.status, 403);
    });
  });
});

describe('browser: the reference-data page and the re-review form (Chromium)', function () {
  this.timeout(90_000);
  const chromium = useBrowser();

  it('an admin adds a value by keyboard-reachable forms, errors are announced by the field, and both pages pass axe', async () => {
    const { user, password } = await createTestUser('admin');
    const made = await createTestBrand({ slugPrefix: 'ref-browser', name: '浏览器复核老字号', directory: false });
    const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '湖北老字号', recognizedYear: 2016, status: '有效' });
    // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
    const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const base = chromium.base;
    await page.goto(`${base}/admin/login?next=${encodeURIComponent('/admin/reference')}`);
    await page.locator('#login-email').fill(user.email);
    await page.locator('#login-password').fill(password);
    await Promise.all([page.waitForURL(/\/admin\/reference/), page.locator('form[action^="/admin/login"] button[type="submit"]').click()]);
    const axe = async (what: string) => {
      const v = await seriousViolations(page);
      assert.equal(v.length, 0, `${what}:\n${describeViolations(v)}`);
    };
    await axe('reference page');

    // A duplicate first: the message is beside the field.
    const form = page.locator('#list-review-outcome form.admin-form');
    await form.getByLabel('值（中文）').fill('通过');
    await form.getByLabel('英文名称').fill('Passed again');
    await form.getByRole('button', { name: '新增' }).click();
    assert.match((await page.locator('#review-outcome-value-error').textContent()) ?? '', /已在列表中/);
    await axe('reference page with an error');

    await page.goto(`${base}/admin/time-honored/${String(th._id)}`);
    await page.getByLabel(/^复核结果/).selectOption('附条件通过');
    await page.getByLabel(/^复核日期/).fill('2026-03');
    await page.getByRole('button', { name: '记录复核' }).click();
    assert.match((await page.locator('#f-review-deadline-error').textContent()) ?? '', /附条件通过须填写整改期限/);
    await axe('entry page with a refused re-review');
    await context.close();
  });
});
