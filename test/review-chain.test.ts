/**
 * The review chain (issue #15 item 2): an application submitted by an enterprise goes through the
 * chain's steps, each decided by a reviewer holding the step's duty; a return goes back to the
 * enterprise with reasons and comes back to the step that returned it; the decision step is
 * blocked by an open objection and, on 通过, makes the listing through the registry service.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import path from 'node:path';
import pino from 'pino';
import { User, type PublicUser } from '../src/accounts/model.js';
import { setDuties } from '../src/accounts/service.js';
import { Mail } from '../src/alerts/model.js';
import { Application, Enterprise, Notice, Objection, ReviewChain, type ApplicationDoc } from '../src/applications/model.js';
import { submitHooks } from '../src/applications/applications.js';
import { documentKey } from '../src/applications/documents.js';
import { WorkflowReminders } from '../src/applications/reminders.js';
import { enterChain } from '../src/applications/review.js';
import type { WorkflowMail } from '../src/applications/deps.js';
import { AuditEvent } from '../src/audit/index.js';
import { LocalMediaStore } from '../src/platform/media-store.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { Brand, TimeHonored } from '../src/registries/models.js';
import { createTestUser, signIn, testEmail, type Agent } from './support/admin.js';
import { describeViolations, seriousViolations, useBrowser } from './support/browser.js';
import { testContext } from './support/context.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const appId = () => `SB20261204-${Array.from(randomBytes(6), (b) => CROCKFORD[b % 32]).join('')}`;

interface Reviewer {
  agent: Agent;
  user: PublicUser;
}

let admin: PublicUser;
let adminPassword = '';

async function reviewer(role: 'editor' | 'viewer', duties: string[]): Promise<Reviewer> {
  const { user, password } = await createTestUser(role);
  if (duties.length) await setDuties(testContext().auditTrail, admin, user.id, duties);
  return { agent: await signIn(testContext().app, user.email, password), user };
}

async function submittedApplication(o: { brandName: string; stepDueAt?: Date } = { brandName: '' }) {
  const seed = randomBytes(4).toString('hex');
  const ent = await Enterprise.create({
    email: testEmail('ent'),
    passwordHash: 'not-used-here',
    company: `武汉申报测试${seed}有限公司`,
    creditCode: demoCreditCode(`apply-${seed}`),
    emailVerifiedAt: new Date(),
  });
  const fields = { brandName: o.brandName || `申报测试${seed}`, heritage: '传统手工技艺', story: '始创于清光绪年间。', address: '武汉市江汉区测试路1号' };
  const id = appId();
  await Application.create({
    _id: id,
    enterprise: ent._id,
    kind: 'time_honored',
    target: '武汉老字号',
    status: 'submitted',
    fields,
    versions: [{ n: 1, submittedAt: new Date(), fields, files: [] }],
    submittedAt: new Date(),
  });
  await enterChain(testContext().auditTrail, id);
  return { id, ent, fields };
}

const load = async (id: string) => (await Application.findById(id).lean<ApplicationDoc>())!;

/** GETs the application's page and POSTs a decision from its form (its _csrf and version). */
async function decide(r: Reviewer, id: string, decision: string, reasons = '', o: { version?: number } = {}) {
  const page = await r.agent.get(`/admin/applications/${id}`);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const $ = cheerio.load(page.text);
  const csrf = String($('input[name="_csrf"]').first().val() ?? '');
  const version = o.version ?? Number($('input[name="version"]').val() ?? (await load(id)).version);
  return r.agent
    .post(`/admin/applications/${id}/decision`)
    .type('form')
    .send({ _csrf: csrf, version: String(version), decision, reasons, comment: '内部意见' });
}

describe('the review chain', function () {
  this.timeout(120_000);
  let district: Reviewer;
  let city: Reviewer;
  let expert: Reviewer;
  let nobody: Reviewer;

  before(async () => {
    ({ user: admin, password: adminPassword } = await createTestUser('admin'));
    district = await reviewer('editor', ['district']);
    city = await reviewer('editor', ['city']);
    expert = await reviewer('editor', ['expert']);
    nobody = await reviewer('editor', []);
  });

  it('when an application goes through the chain, then returns, resubmission, steps, an objection and the decision behave as the bureau works', async () => {
    const brandName = `申报测试老字号${randomBytes(3).toString('hex')}`;
    const { id, ent } = await submittedApplication({ brandName });
    let app = await load(id);
    assert.equal(app.status, 'in_review');
    assert.equal(app.step, 'district');
    assert.ok(app.stepDueAt && app.stepDueAt > new Date(), 'the step has a due date');

    // The queue lists it, at the district step.
    const queue = await district.agent.get('/admin/applications?mine=1');
    assert.equal(queue.status, 200);
    assert.ok(cheerio.load(queue.text)(`tr[data-application="${id}"]`).length, 'the queue lists it for the district reviewer');

    // District returns it with reasons: the enterprise is mailed the reasons.
    const ret = await decide(district, id, 'return', '营业执照复印件不清晰\n缺少历史沿革材料');
    assert.equal(ret.status, 303, ret.text.slice(0, 500));
    app = await load(id);
    assert.equal(app.status, 'returned');
    assert.deepEqual(app.history.at(-1)?.reasons, ['营业执照复印件不清晰', '缺少历史沿革材料']);
    const mail = await Mail.findOne({ to: ent.email }).lean();
    assert.ok(mail, 'a mail is queued to the enterprise');
    assert.match(mail.text, /营业执照复印件不清晰/);
    assert.match(mail.text, new RegExp(`/apply/applications/${id}`));
    const stepEvent = await AuditEvent.findOne({ action: 'application_step', subject: `application:${id}` }).lean();
    assert.equal(stepEvent?.actor, district.user.email);

    // Return without reasons is refused, field-named (on a fresh application).
    const other = await submittedApplication();
    const noReason = await decide(district, other.id, 'return', '   ');
    assert.equal(noReason.status, 400);
    assert.match(noReason.text, /须填写理由/);

    // The enterprise resubmits (version 2): back at the step that returned it.
    const fields2 = { ...app.fields, story: '始创于清光绪年间，历史沿革见附件。' };
    await Application.updateOne(
      { _id: id },
      {
        $set: { status: 'submitted', fields: fields2 },
        $push: { versions: { n: 2, submittedAt: new Date(), fields: fields2, files: [] } },
        $inc: { version: 1 },
      },
    );
    // Through the hook the enterprise side calls after each submission (registered by review.ts).
    assert.ok(submitHooks.length > 0, 'the chain registered its submit hook');
    for (const hook of submitHooks) await hook(id);
    app = await load(id);
    assert.equal(app.status, 'in_review');
    assert.equal(app.step, 'district');
    const detail = await district.agent.get(`/admin/applications/${id}`);
    assert.match(detail.text, /历史沿革见附件/, 'the latest version is shown');
    assert.match(cheerio.load(detail.text)('details').text(), /品牌故事/, 'the earlier version shows what changed, by its label');

    // Someone without the duty may not decide it, and sees who may.
    const forbidden = await decide(nobody, id, 'pass');
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.text, /没有该审核步骤的职责/);
    assert.match((await nobody.agent.get(`/admin/applications/${id}`)).text, new RegExp(district.user.email.replace(/[.]/g, '\\.')));
    const wrongDuty = await decide(city, id, 'pass');
    assert.equal(wrongDuty.status, 403);

    // A stale form is a conflict.
    const stale = await decide(district, id, 'pass', '', { version: app.version - 1 });
    assert.equal(stale.status, 409);
    assert.equal((await load(id)).step, 'district');

    // District, city, expert pass: it waits at the notice step.
    assert.equal((await decide(district, id, 'pass')).status, 303);
    assert.equal((await load(id)).step, 'city');
    assert.equal((await decide(city, id, 'pass')).status, 303);
    assert.equal((await load(id)).step, 'expert');
    assert.equal((await decide(expert, id, 'pass')).status, 303);
    app = await load(id);
    assert.equal(app.status, 'in_review');
    assert.equal(app.step, 'notice');
    assert.equal(app.notice, null);
    assert.equal((await decide(city, id, 'pass')).status, 403, 'nobody decides the notice step from this form');

    // The notice ran (H2b's part, simulated): it moves to the decision step.
    const noticeId = `2026-${100 + Math.floor(Math.random() * 899)}`;
    await Notice.deleteOne({ _id: noticeId });
    await Notice.create({ _id: noticeId, title: '测试公示', kind: 'time_honored', batch: '2026年第一批', workingDays: 5, status: 'ended', entries: [id] });
    await Application.updateOne({ _id: id }, { $set: { step: 'decision', notice: noticeId }, $inc: { version: 1 } });

    // An open objection blocks the decision, named.
    const objectionId = `YY20261204-${Array.from(randomBytes(6), (b) => CROCKFORD[b % 32]).join('')}`;
    await Objection.create({ _id: objectionId, notice: noticeId, application: id, name: '异议人', contact: 'x@example.cn', grounds: '该品牌创立年份不实' });
    const blocked = await decide(city, id, 'pass');
    assert.equal(blocked.status, 400);
    assert.match(blocked.text, new RegExp(objectionId));
    assert.equal((await load(id)).status, 'in_review');

    // Resolved (dismissed): the decision lists the brand.
    await Objection.updateOne({ _id: objectionId }, { $set: { status: 'dismissed', resolvedAt: new Date(), resolvedBy: city.user.email } });
    const passed = await decide(city, id, 'pass');
    assert.equal(passed.status, 303, passed.text.slice(0, 800));
    app = await load(id);
    assert.equal(app.status, 'approved');
    assert.ok(app.decidedAt);
    assert.equal(app.listing?.model, 'TimeHonored');
    const listing = await TimeHonored.findById(app.listing.id).lean();
    assert.ok(listing);
    assert.equal(listing.tier, '武汉老字号');
    assert.equal(listing.batch, '2026年第一批');
    const brand = await Brand.findById(listing.brand).lean();
    assert.equal(brand?.name, brandName);
    assert.equal(brand?.slug, app.listing.brandSlug);
    let created = null;
    for (let i = 0; i < 50 && !created; i++) {
      created = await AuditEvent.findOne({ model: 'TimeHonored', entryId: String(listing._id) }).lean();
      if (!created) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(created?.actor, city.user.email, 'the audit names the reviewer');
    const approvedMail = await Mail.find({ to: ent.email }).lean();
    assert.equal(approvedMail.length, 2, 'the enterprise is told of the return and of the approval');
  });

  it('when the registry refuses the listing (the brand already holds the tier), then the problem is shown and the application stays undecided', async () => {
    const brandName = `重复老字号${randomBytes(3).toString('hex')}`;
    const a = await submittedApplication({ brandName });
    const b = await submittedApplication({ brandName });
    // Same brand: the second enterprise's brand is found by name + company only, so give both the same company.
    const entA = await Enterprise.findById((await load(a.id)).enterprise).lean();
    await Enterprise.updateOne({ _id: (await load(b.id)).enterprise }, { $set: { company: entA!.company, creditCode: entA!.creditCode } });
    for (const x of [a.id, b.id]) await Application.updateOne({ _id: x }, { $set: { step: 'decision' }, $inc: { version: 1 } });
    assert.equal((await decide(city, a.id, 'pass')).status, 303);
    const refused = await decide(city, b.id, 'pass');
    assert.equal(refused.status, 400);
    assert.match(refused.text, /已有此级别的老字号认定/);
    assert.equal((await load(b.id)).status, 'in_review');
  });

  it('when an admin changes a chain, then it is version-checked and audited; viewers only read it', async () => {
    const agent = await signIn(testContext().app, admin.email, adminPassword);
    const page = await agent.get('/admin/chains');
    assert.equal(page.status, 200);
    const $ = cheerio.load(page.text);
    const form = $('form[action="/admin/chains/directory"]');
    const fields: Record<string, string> = {};
    form.find('input, select').each((_, el) => {
      const name = $(el).attr('name');
      if (name) fields[name] = String($(el).is('select') ? $(el).find('option[selected]').attr('value') : $(el).val());
    });
    const version = Number(fields.version);
    const res = await agent
      .post('/admin/chains/directory')
      .type('form')
      .send({ ...fields, days_0: '12' });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    const chain = await ReviewChain.findById('directory').lean();
    assert.equal(chain?.steps[0]?.days, 12);
    assert.equal(chain?.version, version + 1);
    assert.ok(await AuditEvent.findOne({ action: 'review_chain_update', actor: admin.email }).lean());
    const stale = await agent
      .post('/admin/chains/directory')
      .type('form')
      .send({ ...fields, days_0: '11' });
    assert.equal(stale.status, 409);
    const bad = await agent
      .post('/admin/chains/directory')
      .type('form')
      .send({ ...fields, version: String(version + 1), days_0: '999', duty_1: 'boss' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /工作日须为1-90的整数/);
    // Back to the default.
    await agent
      .post('/admin/chains/directory')
      .type('form')
      .send({ ...fields, version: String(version + 1), days_0: '10' });
    const viewer = await reviewer('viewer', []);
    const read = await viewer.agent.get('/admin/chains');
    assert.equal(read.status, 200);
    assert.equal(cheerio.load(read.text)('form[action^="/admin/chains/"]').length, 0, 'viewers see no form');
    const csrf = String(
      cheerio
        .load((await viewer.agent.get('/admin/account')).text)('input[name="_csrf"]')
        .first()
        .val(),
    );
    assert.equal(
      (
        await viewer.agent
          .post('/admin/chains/directory')
          .type('form')
          .send({ ...fields, _csrf: csrf })
      ).status,
      403,
    );
  });

  it('when an admin sets review duties on the accounts page, then they are stored, shown and audited; unknown duties are refused', async () => {
    const agent = await signIn(testContext().app, admin.email, adminPassword);
    const { user } = await createTestUser('editor');
    const page = await agent.get('/admin/users');
    const $ = cheerio.load(page.text);
    assert.equal($(`form[action="/admin/users/${user.id}/duties"] input[name="duties"]`).length, 3);
    const csrf = String($('input[name="_csrf"]').first().val());
    const res = await agent.post(`/admin/users/${user.id}/duties`).type('form').send(`_csrf=${csrf}&duties=district&duties=expert`);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.deepEqual((await User.findById(user.id).lean())?.duties, ['district', 'expert']);
    const event = await AuditEvent.findOne({ action: 'account_update', subject: user.email }).sort({ _id: -1 }).lean();
    assert.deepEqual(event?.detail, { field: 'duties', before: [], after: ['district', 'expert'] });
    const after = cheerio.load((await agent.get('/admin/users')).text);
    assert.equal(after(`form[action="/admin/users/${user.id}/duties"] input[value="expert"]`).attr('checked'), 'checked');
    const bad = await agent.post(`/admin/users/${user.id}/duties`).type('form').send(`_csrf=${csrf}&duties=boss`);
    assert.equal(bad.status, 400);
    const none = await agent.post(`/admin/users/${user.id}/duties`).type('form').send(`_csrf=${csrf}`);
    assert.equal(none.status, 303);
    assert.deepEqual((await User.findById(user.id).lean())?.duties, []);
    // A viewer may not decide anything, whatever duties they hold.
    const viewer = await reviewer('viewer', ['district']);
    const { id } = await submittedApplication();
    assert.equal((await decide(viewer, id, 'pass')).status, 403);
  });

  it('when a reviewer downloads a submitted document, then it comes as an attachment; working-copy files and bad ids are 404', async () => {
    const { id } = await submittedApplication();
    const fileId = randomBytes(8).toString('hex');
    const bytes = Buffer.from('%PDF-1.4\n% test document\n%%EOF\n');
    const store = new LocalMediaStore(path.resolve(testContext().config.DATA_DIR, 'documents'));
    await store.put(documentKey(id, fileId), bytes);
    const file = { id: fileId, name: '营业执照.pdf', type: 'application/pdf', size: bytes.length, sha256: 'x', slot: 'license', uploadedAt: new Date() };
    await Application.updateOne({ _id: id }, { $set: { 'versions.0.files': [file] } });
    const page = cheerio.load((await nobody.agent.get(`/admin/applications/${id}`)).text);
    const href = page(`a[href$="/files/${fileId}"]`).attr('href');
    assert.equal(href, `/admin/applications/${id}/files/${fileId}`);
    const res = await nobody.agent.get(href).buffer(true);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-disposition']), /^attachment;.*filename\*=UTF-8''/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(Buffer.compare(res.body as Buffer, bytes), 0);
    const other = randomBytes(8).toString('hex');
    await Application.updateOne({ _id: id }, { $set: { files: [{ ...file, id: other }] } });
    assert.equal((await nobody.agent.get(`/admin/applications/${id}/files/${other}`)).status, 404, 'the working copy is not the reviewers’');
    assert.equal((await nobody.agent.get(`/admin/applications/${id}/files/..%2F..%2Fetc`)).status, 404);
  });

  it('when hostile filters reach the queue, then it answers 400, never 500', async () => {
    for (const q of ['status[$ne]=x', 'status=draft', 'kind=nope', 'page=0', 'page=abc', 'step=$where', 'status=in_review&status=approved']) {
      const res = await district.agent.get(`/admin/applications?${q}`);
      assert.ok(res.status === 400 || res.status === 200, `${q} → ${res.status}`);
    }
    assert.equal((await district.agent.get('/admin/applications?status=in_review&overdue=1&kind=time_honored&step=district')).status, 200);
    assert.equal((await district.agent.get('/admin/applications/SB00000000-AAAAAA')).status, 404);
    const en = await district.agent.get('/admin/applications?lang=en');
    assert.equal(en.status, 200);
    assert.match(en.text, /In progress \(default\)/);
    assert.doesNotMatch(en.text, /review\.[a-z]+\.[a-z]/, 'no message key is shown untranslated');
    assert.equal((await district.agent.get('/admin/applications/%24ne')).status, 404);
  });

  it('when steps are due or overdue, then each reviewer gets one reminder mail a day listing them', async () => {
    const { id } = await submittedApplication();
    await Application.updateOne({ _id: id }, { $set: { stepDueAt: new Date(Date.now() - 86_400_000) } });
    const sent: WorkflowMail[] = [];
    const keys = new Set<string>();
    const mailer = {
      send: async (m: WorkflowMail) => {
        if (keys.has(m.key)) return false;
        keys.add(m.key);
        sent.push(m);
        return true;
      },
    };
    const reminders = new WorkflowReminders({ mailer, logger: pino({ level: 'silent' }), base: 'https://brands.example' });
    const now = new Date();
    await reminders.runOnce(now);
    const mine = sent.filter((m) => m.to === district.user.email);
    assert.equal(mine.length, 1, 'one mail for the district reviewer');
    assert.match(mine[0]!.text, new RegExp(id));
    assert.match(mine[0]!.key, new RegExp(`^workflow-reminder:${district.user.id}:\\d{4}-\\d{2}-\\d{2}$`));
    assert.equal(sent.filter((m) => m.to === city.user.email && m.text.includes(id)).length, 0, 'the city reviewer is not reminded of a district step');
    assert.ok((await load(id)).remindedAt, 'the application remembers it was reminded');
    const before = sent.length;
    await reminders.runOnce(new Date(now.getTime() + 60_000));
    assert.equal(sent.filter((m) => m.to === district.user.email).length, 1, 'not again the same day');
    assert.ok(sent.length - before >= 0);
  });
});

describe('browser: the reviewers’ pages (Chromium)', function () {
  this.timeout(90_000);
  const chromium = useBrowser();

  it('when a reviewer opens the queue, an application with an error and the chains, then axe finds no serious violation and the decision works without script', async () => {
    const { user, password } = await createTestUser('admin');
    const { id } = await submittedApplication();
    const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, locale: 'zh-CN', javaScriptEnabled: true });
    const page = await context.newPage();
    const axe = async (what: string) => {
      const v = await seriousViolations(page);
      assert.equal(v.length, 0, `${what}:\n${describeViolations(v)}`);
    };
    await page.goto(`${chromium.base}/admin/login?next=${encodeURIComponent('/admin/applications')}`);
    await page.locator('#login-email').fill(user.email);
    await page.locator('#login-password').fill(password);
    await Promise.all([page.waitForURL(/\/admin\/applications/), page.locator('form[action^="/admin/login"] button[type="submit"]').click()]);
    await axe('queue');
    await page.goto(`${chromium.base}/admin/applications/${id}`);
    await page.getByRole('radio', { name: '退回补正' }).check();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '提交决定' }).click()]);
    assert.match((await page.locator('#d-reasons-error').textContent()) ?? '', /须填写理由/);
    await axe('application with an error');
    await page.locator('#d-reasons').fill('缺少营业执照');
    await Promise.all([page.waitForURL(new RegExp(`/admin/applications/${id}$`)), page.getByRole('button', { name: '提交决定' }).click()]);
    assert.equal((await load(id)).status, 'returned');
    await axe('application after a decision');
    await page.goto(`${chromium.base}/admin/chains`);
    await axe('chains');
    await context.close();
  });
});
