/**
 * Issue #15 item 4: periodic re-review campaigns (复核). An editor opens a campaign for 武汉老字号
 * (the demo data's listings and this file's own); the enterprise whose credit code is a listed
 * brand's sees it and files a self-report with a PDF, editable until the closing day, version
 * checked; another enterprise gets a 404. Reviewers see every listing with its report status and
 * documents, filter and count them, and record outcomes as re-reviews on the listing: 附条件通过
 * needs a deadline, 不通过 needs a reason and removes the listing, shown on the public brand page.
 *
 * Outcomes are recorded only on this file's own listings, so the demo data stays as it was.
 */
import assert from 'node:assert/strict';
import express from 'express';
import { campaignEnterpriseRoutes } from '../src/applications/campaign-routes.js';
import type { WorkflowDeps } from '../src/applications/deps.js';
import { errorHandler, pageContext } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createRenderer } from '../src/platform/views.js';
import mongoose from 'mongoose';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { AuditEvent } from '../src/audit/index.js';
import path from 'node:path';
import { hashPassword } from '../src/accounts/service.js';
import { LocalMediaStore } from '../src/platform/media-store.js';
import {
  campaignDocumentKey,
  enterpriseCampaigns,
  enterpriseReport,
  openCampaign,
  submitSelfReport,
  addSelfReportFile,
  todayOf,
  TIER_SLUG,
} from '../src/applications/campaigns.js';
import { Campaign, Enterprise, SelfReport } from '../src/applications/model.js';
import { Brand, TimeHonored } from '../src/registries/models.js';
import { createEntry } from '../src/registries/service.js';
import { createTestUser, csrfFrom, loginAs, testEmail, type SignedIn } from './support/admin.js';
import { describeViolations, seriousViolations, serve, useBrowser } from './support/browser.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { testContext } from './support/context.js';
import { createTestBrand, get } from './support/helpers.js';

const DAY = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);
const PASSWORD = 'campaign-test-password-1';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

async function listedBrand(name: string) {
  const made = await createTestBrand({ slugPrefix: 'campaign', name, directory: false });
  const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '武汉老字号', recognizedYear: 2018, status: '有效' });
  return { slug: made.slug, creditCode: String(made.brand.creditCode), listing: String(th._id), brandId: made.brand._id };
}

async function enterpriseFor(creditCode: string, company = '复核测试企业有限公司') {
  const email = testEmail('ent');
  const ent = await Enterprise.create({
    email,
    passwordHash: await hashPassword(PASSWORD),
    company,
    creditCode,
    emailVerifiedAt: new Date(),
  });
  return { id: String(ent._id), email, company, creditCode };
}

/**
 * The enterprise routes as /apply mounts them, with the signed-in enterprise given by the test
 * (header x-test-enterprise, an Enterprise id) in place of the enterprise session, which is
 * another module's; the rest (body parsing, page context, renderer, error pages) as the app has it.
 */
function enterpriseHarness() {
  const ctx = testContext();
  const logger = createLogger('silent');
  const render = createRenderer(path.resolve('views'));
  const deps: WorkflowDeps = {
    render,
    config: ctx.config,
    logger,
    audit: ctx.auditTrail,
    mailer: { send: async () => true },
    documents: new LocalMediaStore(path.resolve(ctx.config.DATA_DIR, 'documents')),
    limits: { register: (_q, _s, n) => n(), signIn: (_q, _s, n) => n(), objection: (_q, _s, n) => n() },
  };
  const app = express();
  app.set('query parser', 'simple');
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  app.use(pageContext(ctx.config.PUBLIC_BASE_URL));
  app.use(async (req, res, next) => {
    const id = req.headers['x-test-enterprise'];
    const e = typeof id === 'string' ? await Enterprise.findById(id).lean() : null;
    if (e) (res.locals as Record<string, unknown>).enterprise = { id: String(e._id), email: e.email, company: e.company, creditCode: e.creditCode };
    res.locals.csrfToken = 'test-token';
    next();
  });
  app.use('/apply', campaignEnterpriseRoutes(deps));
  app.use(errorHandler(render, logger));
  return app;
}

describe('Re-review campaigns (复核)', function () {
  this.timeout(120_000);

  let editor: SignedIn;
  let campaignId = '';
  let kept: Awaited<ReturnType<typeof listedBrand>>;
  let conditional: Awaited<ReturnType<typeof listedBrand>>;
  let failed: Awaited<ReturnType<typeof listedBrand>>;
  let ent: Awaited<ReturnType<typeof enterpriseFor>>;
  let other: Awaited<ReturnType<typeof enterpriseFor>>;
  const today = day(todayOf(new Date()));
  const closes = day(new Date(todayOf(new Date()).getTime() + 30 * DAY));

  before(async () => {
    editor = await loginAs('editor');
    kept = await listedBrand('复核自查老字号');
    conditional = await listedBrand('复核附条件老字号');
    failed = await listedBrand('复核不通过老字号');
    ent = await enterpriseFor(kept.creditCode);
    other = await enterpriseFor(demoCreditCode('campaign-unrelated-enterprise'), '无关企业有限公司');
  });

  it('when an editor opens a campaign for 武汉老字号, then it snapshots the tier’s listings (demo data included) with a self-report each, audited', async () => {
    const form = await editor.agent.get('/admin/campaigns');
    assert.equal(form.status, 200);
    assert.match(cheerio.load(form.text)('nav').text(), /复核/, 'the back-office nav links the campaigns');
    const bad = await editor.agent
      .post('/admin/campaigns')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), title: '', tier: '不存在', opensOn: '2026-02-30', closesOn: '' });
    assert.equal(bad.status, 400);
    const $bad = cheerio.load(bad.text);
    for (const id of ['#c-title-error', '#c-tier-error', '#c-opens-error', '#c-closes-error']) assert.ok($bad(id).text().trim(), id);
    const res = await editor.agent
      .post('/admin/campaigns')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), title: '2026年武汉老字号复核', tier: '武汉老字号', opensOn: today, closesOn: closes });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    campaignId = decodeURIComponent(String(res.headers.location)).split('/').pop()!;
    assert.match(campaignId, new RegExp(`^\\d{4}-${TIER_SLUG['武汉老字号']}-\\d+$`));
    const c = (await Campaign.findById(campaignId).lean())!;
    const active = await TimeHonored.find({ tier: '武汉老字号', status: mongoose.trusted({ $ne: '已移出' }) }, { _id: 1, brand: 1 }).lean();
    assert.equal(c.listings.length, active.length);
    for (const l of [kept, conditional, failed]) assert.ok(c.listings.includes(l.listing));
    const wushang = await Brand.findOne({ slug: 'wushang' }, { _id: 1 }).lean();
    const wushangListing = active.find((a) => String(a.brand) === String(wushang!._id));
    assert.ok(wushangListing && c.listings.includes(String(wushangListing._id)), 'a demo listing (武商) is in scope');
    assert.equal(await SelfReport.countDocuments({ campaign: campaignId }), c.listings.length);
    const ev = await AuditEvent.findOne({ action: 'campaign_opened', subject: `campaign:${campaignId}` }).lean();
    assert.equal(ev?.actor, editor.user.email);
    assert.equal(ev?.detail.listings, c.listings.length);
    const viewer = await loginAs('viewer');
    const refused = await viewer.agent
      .post('/admin/campaigns')
      .type('form')
      .send({ _csrf: await viewer.csrf('/admin/campaigns'), title: 'x', tier: '武汉老字号', opensOn: today, closesOn: closes });
    assert.equal(refused.status, 403);
  });

  it('when the listed enterprise writes its self-report with a PDF, then it is saved, version-checked, editable and audited; another enterprise gets a 404', async () => {
    const mine = await enterpriseCampaigns(ent);
    const row = mine.find((r) => r.campaign._id === campaignId);
    assert.ok(row, 'the campaign covers its listing');
    assert.equal(row.listing, kept.listing);
    assert.equal(mine.filter((r) => r.campaign._id === campaignId).length, 1, 'only its own listings');
    assert.deepEqual(
      (await enterpriseCampaigns(other)).filter((r) => r.campaign._id === campaignId),
      [],
    );
    await assert.rejects(enterpriseReport(other, campaignId, kept.listing), (e: { status?: number }) => e.status === 404);
    await assert.rejects(
      submitSelfReport(testContext().auditTrail, other, campaignId, kept.listing, { version: 1, text: '不是我的老字号，但想提交。' }),
      (e: { status?: number }) => e.status === 404,
    );

    const audit = testContext().auditTrail;
    await assert.rejects(submitSelfReport(audit, ent, campaignId, kept.listing, { version: 1, text: '太短' }), /至少10个字/);
    let r = await enterpriseReport(ent, campaignId, kept.listing);
    const file = {
      id: 'a1b2c3d4e5f60718',
      name: '自查报告.pdf',
      type: 'application/pdf' as const,
      size: PDF.length,
      sha256: 'x'.repeat(64),
      slot: 'self-report',
      uploadedAt: new Date(),
    };
    await addSelfReportFile(audit, ent, r, r.report.version, file);
    r = await enterpriseReport(ent, campaignId, kept.listing);
    const saved = await submitSelfReport(audit, ent, campaignId, kept.listing, {
      version: r.report.version,
      text: '本企业经营正常，传统技艺由第四代传人传承，品牌使用规范，无违法违规记录。',
    });
    assert.ok(saved.submittedAt);
    assert.equal(String(saved.enterprise), ent.id);
    await assert.rejects(
      submitSelfReport(audit, ent, campaignId, kept.listing, { version: r.report.version, text: '用旧版本再提交一次，应当冲突。' }),
      (e: { code?: string }) => e.code === 'conflict',
    );
    const edited = await submitSelfReport(audit, ent, campaignId, kept.listing, { version: saved.version, text: '修改后的自查报告：经营正常，技艺传承有序。' });
    assert.match(edited.text, /修改后的自查报告/);
    const events = await AuditEvent.find({ action: 'self_report_submitted', subject: `self-report:${campaignId}:${kept.listing}` }).lean();
    assert.equal(events.length, 2);
    assert.equal(events[0]!.actor, `enterprise:${ent.email}`);
    // The document's bytes, as the upload route stores them, for the reviewers' download.
    await new LocalMediaStore(path.resolve(testContext().config.DATA_DIR, 'documents')).put(campaignDocumentKey(campaignId, kept.listing, file.id), PDF);
  });

  it('when the listed enterprise uses /apply/campaigns, then it lists the campaign, takes a PDF and the report; another enterprise gets 404s', async () => {
    const app = enterpriseHarness();
    const as = (e: { id: string }) => ({ 'x-test-enterprise': e.id });
    const list = await request(app).get('/apply/campaigns').set(as(ent));
    assert.equal(list.status, 200, list.text.slice(0, 300));
    const link = cheerio.load(list.text)(`a[href="/apply/campaigns/${campaignId}/${kept.listing}"]`);
    assert.equal(link.length, 1, 'the campaign is listed with its listing');
    assert.match(list.text, /复核自查老字号/);
    const otherList = await request(app).get('/apply/campaigns').set(as(other));
    assert.doesNotMatch(otherList.text, new RegExp(campaignId));
    const formPath = `/apply/campaigns/${campaignId}/${kept.listing}`;
    assert.equal((await request(app).get(formPath).set(as(other))).status, 404);
    assert.equal((await request(app).post(formPath).set(as(other)).type('form').send({ version: '1', text: '冒名提交的自查报告内容。' })).status, 404);
    assert.equal(
      (
        await request(app)
          .post(`${formPath}/files`)
          .set(as(other))
          .field('version', '1')
          .attach('file', PDF, { filename: 'x.pdf', contentType: 'application/pdf' })
      ).status,
      404,
    );

    const form = await request(app).get(formPath).set(as(ent));
    assert.equal(form.status, 200);
    const version = () =>
      SelfReport.findById(`${campaignId}:${kept.listing}`)
        .lean()
        .then((r) => String(r!.version));
    const notPdf = await request(app)
      .post(`${formPath}/files`)
      .set(as(ent))
      .field('version', await version())
      .attach('file', Buffer.from('<html>not a pdf</html>'), { filename: 'fake.pdf', contentType: 'application/pdf' });
    assert.equal(notPdf.status, 400);
    assert.match(cheerio.load(notPdf.text)('#sr-file-error').text(), /PDF、JPEG 或 PNG/);
    const up = await request(app)
      .post(`${formPath}/files`)
      .set(as(ent))
      .field('version', await version())
      .attach('file', PDF, { filename: '经营情况说明.pdf', contentType: 'application/pdf' });
    assert.equal(up.status, 303, up.text.slice(0, 300));
    const short = await request(app)
      .post(formPath)
      .set(as(ent))
      .type('form')
      .send({ version: await version(), text: '太短了' });
    assert.equal(short.status, 400);
    assert.match(cheerio.load(short.text)('#sr-text-error').text(), /至少10个字/);
    const stale = await request(app).post(formPath).set(as(ent)).type('form').send({ version: '1', text: '用旧表单提交的自查报告内容。' });
    assert.equal(stale.status, 409);
    const ok = await request(app)
      .post(formPath)
      .set(as(ent))
      .type('form')
      .send({ version: await version(), text: '通过网页提交的自查报告：经营正常，技艺传承有序。' });
    assert.equal(ok.status, 303);
    const page = cheerio.load((await request(app).get(formPath).set(as(ent))).text);
    assert.match(page('#report-state').text(), /已提交/);
    const fileLink = page('.files a').filter((_, a) => /经营情况说明/.test(cheerio.load(a).text()));
    assert.equal(fileLink.length, 1);
    const doc = await request(app).get(fileLink.attr('href')!).set(as(ent)).buffer(true);
    assert.equal(doc.status, 200);
    assert.ok(Buffer.from(doc.body as Buffer).equals(PDF));
    const bad = await request(app)
      .post(formPath)
      .set(as(ent))
      .type('form')
      .send({ version: await version(), 'text[$ne]': 'x' });
    assert.equal(bad.status, 400, 'hostile fields are a validation error, never a 500');
  });

  it('when the enterprise signs in at /apply/login, then its session lists the campaign and takes a document and the report (CSRF-checked)', async () => {
    const agent = request.agent(testContext().app);
    const login = await agent.get('/apply/login');
    assert.equal(login.status, 200);
    const signedIn = await agent
      .post('/apply/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email: ent.email, password: PASSWORD });
    assert.equal(signedIn.status, 303, signedIn.text.slice(0, 300));
    const list = await agent.get('/apply/campaigns');
    assert.equal(list.status, 200);
    const formPath = `/apply/campaigns/${campaignId}/${kept.listing}`;
    assert.equal(cheerio.load(list.text)(`a[href="${formPath}"]`).length, 1);
    const form = await agent.get(formPath);
    assert.equal(form.status, 200);
    const $ = cheerio.load(form.text);
    const token = csrfFrom(form.text);
    const version = String($('input[name="version"]').first().val());
    const noToken = await agent.post(`${formPath}/files`).field('version', version).attach('file', PDF, { filename: 'a.pdf', contentType: 'application/pdf' });
    assert.equal(noToken.status, 403, 'an upload without the form token is refused');
    const up = await agent
      .post(`${formPath}/files`)
      .field('_csrf', token)
      .field('version', version)
      .attach('file', PDF, { filename: '登录后上传.pdf', contentType: 'application/pdf' });
    assert.equal(up.status, 303, up.text.slice(0, 300));
    const again = await agent.get(formPath);
    const v2 = String(cheerio.load(again.text)('input[name="version"]').first().val());
    assert.equal((await agent.post(formPath).type('form').send({ version: v2, text: '没有令牌的自查报告提交。' })).status, 403);
    const ok = await agent
      .post(formPath)
      .type('form')
      .send({ _csrf: csrfFrom(again.text), version: v2, text: '登录后提交的自查报告：经营正常，技艺传承有序。' });
    assert.equal(ok.status, 303);
    const r = (await SelfReport.findById(`${campaignId}:${kept.listing}`).lean())!;
    assert.match(r.text, /登录后提交的自查报告/);
    assert.ok(r.files.some((f) => f.name === '登录后上传.pdf'));
    const stranger = request.agent(testContext().app);
    const otherLogin = await stranger.get('/apply/login');
    await stranger
      .post('/apply/login')
      .type('form')
      .send({ _csrf: csrfFrom(otherLogin.text), email: other.email, password: PASSWORD });
    assert.equal((await stranger.get(formPath)).status, 404, 'another enterprise’s session gets a 404');
  });

  it('when signed out, then /apply/campaigns sends to the enterprise sign-in', async () => {
    const res = await request(testContext().app).get('/apply/campaigns');
    assert.equal(res.status, 303);
    assert.match(String(res.headers.location), /^\/apply\/login/);
  });

  it('when reviewers open the campaign, then every listing shows its brand, report status and documents, with filters and counts', async () => {
    const res = await editor.agent.get(`/admin/campaigns/${campaignId}`);
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const c = (await Campaign.findById(campaignId).lean())!;
    assert.match($('#count-total').text(), new RegExp(`复核对象 ${c.listings.length} 个`));
    assert.match($('#count-reported').text(), /已提交自查 1 个/);
    assert.match($('#count-pending').text(), new RegExp(`未提交 ${c.listings.length - 1} 个`));
    assert.match($('#count-decided').text(), /已作出结果 0 个/);
    assert.equal($('article.campaign-listing').length, c.listings.length);
    const mine = $(`#listing-${kept.listing}`);
    assert.match(mine.text(), /复核自查老字号/);
    assert.match(mine.find('.report-state').text(), /已提交/);
    assert.match(mine.text(), /登录后提交的自查报告/);
    const href = mine.find('.files a').attr('href')!;
    const doc = await editor.agent.get(href).buffer(true);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['content-type'], 'application/pdf');
    assert.match(String(doc.headers['content-disposition']), /^attachment;.*filename\*=UTF-8''/);
    assert.equal(doc.headers['x-content-type-options'], 'nosniff');
    assert.match($(`#listing-${conditional.listing} .report-state`).text(), /未提交/);

    const reported = cheerio.load((await editor.agent.get(`/admin/campaigns/${campaignId}?show=reported`)).text);
    assert.equal(reported('article.campaign-listing').length, 1);
    const pending = cheerio.load((await editor.agent.get(`/admin/campaigns/${campaignId}?show=pending`)).text);
    assert.equal(pending('article.campaign-listing').length, c.listings.length - 1);
    assert.equal((await editor.agent.get(`/admin/campaigns/${campaignId}?show=nope`)).status, 400);
    assert.ok([200, 400].includes((await editor.agent.get(`/admin/campaigns/${campaignId}?show[$ne]=x`)).status), 'operators in the query never 500');
    assert.equal((await editor.agent.get('/admin/campaigns/2026-nope-1')).status, 404);
    assert.equal((await editor.agent.get(`/admin/campaigns/${campaignId}/listings/${kept.listing}/files/0000000000000000`)).status, 404);
  });

  const outcome = async (listing: string, fields: Record<string, string>) => {
    const page = await editor.agent.get(`/admin/campaigns/${campaignId}`);
    const th = (await TimeHonored.findById(listing).lean())!;
    return editor.agent
      .post(`/admin/campaigns/${campaignId}/listings/${listing}/outcome`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), version: String(th.version), ...fields });
  };

  it('when 附条件通过 is recorded, then it needs a deadline, and the review on the listing names the campaign', async () => {
    const noDeadline = await outcome(conditional.listing, { outcome: '附条件通过', deadline: '', note: '门店招牌须规范' });
    assert.equal(noDeadline.status, 400);
    assert.match(cheerio.load(noDeadline.text)(`#listing-${conditional.listing} .field-error`).text(), /附条件通过须填写整改期限/);
    const deadline = day(new Date(Date.now() + 60 * DAY));
    const ok = await outcome(conditional.listing, { outcome: '附条件通过', deadline, note: '门店招牌须规范' });
    assert.equal(ok.status, 303, ok.text.slice(0, 300));
    const th = (await TimeHonored.findById(conditional.listing).lean())!;
    const last = th.reviews.at(-1)!;
    assert.equal(last.outcome, '附条件通过');
    assert.equal(day(last.deadline!), deadline);
    assert.match(last.note, new RegExp(campaignId));
    assert.equal(last.recordedBy, editor.user.email);
    assert.equal((await SelfReport.findById(`${campaignId}:${conditional.listing}`).lean())!.outcome, '附条件通过');
    const again = await outcome(conditional.listing, { outcome: '通过', deadline: '', note: '' });
    assert.equal(again.status, 409, 'an outcome is recorded once');
  });

  it('when 不通过 is recorded, then it needs a reason, removes the listing, and the public brand page shows the reason', async () => {
    const noReason = await outcome(failed.listing, { outcome: '不通过', deadline: '', note: '' });
    assert.equal(noReason.status, 400);
    assert.equal((await TimeHonored.findById(failed.listing).lean())!.status, '有效');
    const ok = await outcome(failed.listing, { outcome: '不通过', deadline: '', note: '已停止经营传统产品' });
    assert.equal(ok.status, 303);
    const th = (await TimeHonored.findById(failed.listing).lean())!;
    assert.equal(th.status, '已移出');
    assert.match(th.statusReason, /已停止经营传统产品/);
    const publicPage = await get(`/brands/${failed.slug}`);
    assert.equal(publicPage.status, 200);
    assert.match(publicPage.text, /已停止经营传统产品/);
    assert.match(publicPage.text, /已移出/);
    const okPass = await outcome(kept.listing, { outcome: '通过', deadline: '', note: '' });
    assert.equal(okPass.status, 303);

    const $ = cheerio.load((await editor.agent.get(`/admin/campaigns/${campaignId}`)).text);
    assert.match($('#count-decided').text(), /已作出结果 3 个/);
    assert.match($(`#listing-${failed.listing}`).text(), /已移出名录/);
    const decided = cheerio.load((await editor.agent.get(`/admin/campaigns/${campaignId}?show=decided`)).text);
    assert.equal(decided('article.campaign-listing').length, 3);
    const events = await AuditEvent.find({ action: 'campaign_outcome', 'detail.campaign': campaignId }).lean();
    assert.equal(events.length, 3);
  });

  it('when the campaign is closed, then self-reports can no longer change, and a stale close is a conflict', async () => {
    const page = await editor.agent.get(`/admin/campaigns/${campaignId}`);
    const c = (await Campaign.findById(campaignId).lean())!;
    const res = await editor.agent
      .post(`/admin/campaigns/${campaignId}/close`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), version: String(c.version) });
    assert.equal(res.status, 303);
    assert.equal((await Campaign.findById(campaignId).lean())!.status, 'closed');
    assert.ok(await AuditEvent.findOne({ action: 'campaign_closed', subject: `campaign:${campaignId}` }).lean());
    const stale = await editor.agent
      .post(`/admin/campaigns/${campaignId}/close`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), version: String(c.version) });
    assert.equal(stale.status, 409);
    assert.deepEqual(
      (await enterpriseCampaigns(ent)).filter((r) => r.campaign._id === campaignId),
      [],
      'a closed campaign is no longer listed for the enterprise',
    );
    const r = await SelfReport.findById(`${campaignId}:${kept.listing}`).lean();
    await assert.rejects(
      submitSelfReport(testContext().auditTrail, ent, campaignId, kept.listing, { version: r!.version, text: '截止后再修改自查报告。' }),
      (e: { status?: number }) => e.status === 403,
    );
  });

  it('when the service is asked directly, then a campaign without listings still opens and hostile ids are 404s', async () => {
    const c = await openCampaign(testContext().auditTrail, 'test', { title: '中华老字号复核', tier: '中华老字号', opensOn: today, closesOn: closes });
    assert.ok(c._id.includes('-china-'));
    await assert.rejects(enterpriseReport(ent, '../../etc', kept.listing), (e: { status?: number }) => e.status === 404);
    await assert.rejects(enterpriseReport(ent, campaignId, 'x'.repeat(24)), (e: { status?: number }) => e.status === 404);
  });
});

describe('Re-review campaigns in a browser', function () {
  this.timeout(120_000);
  const chromium = useBrowser();

  it('the back-office and enterprise pages pass axe, with errors announced beside their fields', async () => {
    const made = await createTestBrand({ slugPrefix: 'campaign-axe', name: '复核无障碍老字号', directory: false });
    const th = await createEntry<Record<string, unknown>>(TimeHonored, { brand: made.brand._id, tier: '湖北老字号', recognizedYear: 2017, status: '有效' });
    const ent = await enterpriseFor(String(made.brand.creditCode));
    const today = day(todayOf(new Date()));
    const c = await openCampaign(testContext().auditTrail, 'axe-test', {
      title: '湖北老字号复核（无障碍）',
      tier: '湖北老字号',
      opensOn: today,
      closesOn: today,
    });
    const { user, password } = await createTestUser('editor');
    // bypassCSP only so that axe-core can be injected; the pages themselves run no script.
    const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const axe = async (what: string) => {
      const v = await seriousViolations(page);
      assert.equal(v.length, 0, `${what}:\n${describeViolations(v)}`);
    };
    await page.goto(`${chromium.base}/admin/login?next=${encodeURIComponent('/admin/campaigns')}`);
    await page.locator('#login-email').fill(user.email);
    await page.locator('#login-password').fill(password);
    await Promise.all([page.waitForURL(/\/admin\/campaigns/), page.locator('form[action^="/admin/login"] button[type="submit"]').click()]);
    await page.getByLabel('复核名称').fill('');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '开启复核' }).click()]);
    assert.match(await page.locator('#c-title-error').innerText(), /请填写复核名称/);
    await axe('campaign list with errors');
    await page.goto(`${chromium.base}/admin/campaigns/${c._id}`);
    const form = page.locator(`#listing-${String(th._id)} form`);
    await form.getByLabel('附条件通过', { exact: true }).check();
    await Promise.all([page.waitForLoadState('load'), form.getByRole('button', { name: '记录结果' }).click()]);
    assert.match(await page.locator(`#listing-${String(th._id)} .field-error`).innerText(), /整改期限/);
    await axe('campaign page with an outcome error');
    await context.close();

    const site = await serve(enterpriseHarness());
    try {
      const entContext = await chromium.browser.newContext({
        viewport: { width: 390, height: 844 },
        bypassCSP: true,
        locale: 'zh-CN',
        extraHTTPHeaders: { 'x-test-enterprise': ent.id },
      });
      const p = await entContext.newPage();
      await p.goto(`${site.base}/apply/campaigns/${c._id}/${String(th._id)}`);
      await p.getByLabel(/自查报告（/).fill('短');
      await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: '提交自查报告' }).click()]);
      assert.match(await p.locator('#sr-text-error').innerText(), /至少10个字/);
      const v = await seriousViolations(p);
      assert.equal(v.length, 0, `self-report form:\n${describeViolations(v)}`);
      await entContext.close();
    } finally {
      await site.close();
    }
  });
});
