/**
 * Reports from the public (纠错与举报): a form on every brand and certificate page, a ticket number
 * and a public status page, and the back-office queue where regulators answer — without cookies on
 * public pages, with a stateless CSRF defence, rate limits, and no lost or silently overwritten reply.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { AuditEvent } from '../src/audit/index.js';
import { Report, ReportClaim } from '../src/reports/model.js';
import { updateReport } from '../src/reports/service.js';
import { loginAs } from './support/admin.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The form page for a brand, its token, and a moment's pause (a form sent within a second is refused as a script's). */
async function openForm(app: ReturnType<typeof testContext>['app'], slug: string) {
  const page = await request(app).get(`/report?brand=${slug}`);
  assert.equal(page.status, 200);
  assert.equal(([] as string[]).concat(page.headers['set-cookie'] ?? []).length, 0, 'the public form sets no cookie');
  const $ = cheerio.load(page.text);
  await pause(1_100);
  return { $, token: String($('input[name="_form"]').val()) };
}

async function send(app: ReturnType<typeof testContext>['app'], fields: Record<string, string>, headers: Record<string, string> = {}) {
  return request(app).post('/report').set(headers).type('form').send(fields);
}

describe('reports from the public', function () {
  this.timeout(60_000);
  const app = () => testContext().app;

  it('when a citizen reports an error on a brand, then they get a ticket whose public page shows its state but not their contact', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'report', name: '纠错测试品牌' });
    const brandPage = cheerio.load((await request(app()).get(`/brands/${String(brand.slug)}`)).text);
    assert.equal(brandPage('.report-link a').attr('href'), `/report?brand=${String(brand.slug)}`, 'the brand page links to the form');
    const { $, token } = await openForm(app(), String(brand.slug));
    assert.match($('.report-subject').text(), /纠错测试品牌/);
    assert.equal($('meta[name="robots"]').length, 0, 'the blank form holds nothing typed: it may be indexed');
    const res = await send(app(), {
      _form: token,
      brand: String(brand.slug),
      kind: 'error',
      description: '该品牌的企业名称已于今年变更，名录仍是旧名称。',
      contactName: '张先生',
      contact: 'zhang@example.cn',
    });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const location = res.headers.location!;
    const ticket = /\/report\/(JB\d{8}-[0-9A-Z]{6})\?new=1$/.exec(location)?.[1];
    assert.ok(ticket, location);
    const status = await request(app()).get(location);
    assert.equal(status.status, 200);
    assert.match(status.text, /已收到您的反映/);
    assert.match(status.text, /已收到/);
    assert.match(status.text, /纠错测试品牌/);
    assert.doesNotMatch(status.text, /zhang@example\.cn|张先生/, 'contact details are never public');
    assert.equal(status.headers['cache-control'], 'no-store');
    assert.equal(status.headers['x-robots-tag'], 'noindex');
    assert.equal(cheerio.load(status.text)('meta[name="robots"]').attr('content'), 'noindex');
    const stored = await Report.findById(ticket).lean();
    assert.equal(stored?.contact, 'zhang@example.cn');
    assert.equal(await AuditEvent.countDocuments({ action: 'report_received', subject: ticket }), 1);
    const looked = await request(app()).get(`/report/status?ticket=${ticket.toLowerCase()}`);
    assert.equal(looked.status, 303);
    assert.equal(looked.headers.location, `/report/${ticket}`);
  });

  it('when the description is too short, the page is sent too fast, or the token is forged or from another site, then nothing is stored and what was typed comes back', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'report-bad', name: '纠错校验品牌' });
    const before = await Report.countDocuments();
    const { token } = await openForm(app(), String(brand.slug));
    const short = await send(app(), { _form: token, brand: String(brand.slug), kind: 'error', description: '太短', contact: '13800000000' });
    assert.equal(short.status, 400);
    const $ = cheerio.load(short.text);
    assert.match($('#report-description-error').text(), /10–2000/);
    assert.equal($('#report-contact').val(), '13800000000', 'the contact typed is kept');
    assert.equal($('#report-description').text(), '太短');
    const fresh = cheerio
      .load((await request(app()).get(`/report?brand=${String(brand.slug)}`)).text)('input[name="_form"]')
      .val();
    const tooFast = await send(app(), {
      _form: String(fresh),
      brand: String(brand.slug),
      kind: 'fake',
      description: '在某超市买到的产品包装与官方不同，疑似假冒。',
    });
    assert.equal(tooFast.status, 400);
    assert.match(tooFast.text, /提交过快|重新提交/);
    assert.match(tooFast.text, /疑似假冒。/, 'the description comes back');
    const forged = await send(app(), { _form: `${Date.now() - 5000}.forged`, kind: 'error', description: '伪造的令牌不应被接受的一条反映。' });
    assert.equal(forged.status, 403);
    const crossSite = await send(app(), { _form: token, kind: 'error', description: '来自其他网站的提交不应被接受。' }, { Origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    const bot = await send(app(), { _form: token, kind: 'error', description: '机器人会填写隐藏的字段内容。', website: 'http://spam.example' });
    assert.equal(bot.status, 400);
    const hostile = await request(app()).post('/report').type('form').send(`_form=${token}&kind[$ne]=x&description=<script>alert(1)</script>xxxxxxxx`);
    assert.ok(hostile.status === 400, `operators in a form are refused, not a 500 (${hostile.status})`);
    assert.doesNotMatch(hostile.text, /<script>alert/);
    assert.equal(await Report.countDocuments(), before, 'nothing was stored');
  });

  it('when one client sends more reports than RATE_LIMIT_REPORT_PER_HOUR, then the next is refused with 429', async () => {
    const limited = testContext().makeApp({ RATE_LIMIT_REPORT_PER_HOUR: 2 });
    const { brand } = await createTestBrand({ slugPrefix: 'report-limit', name: '限流测试品牌' });
    const { token } = await openForm(limited, String(brand.slug));
    const fields = { _form: token, brand: String(brand.slug), kind: 'other', description: '同一客户端在一小时内的多次反映。' };
    assert.equal((await send(limited, fields)).status, 303);
    assert.equal((await send(limited, fields)).status, 303);
    const third = await send(limited, fields);
    assert.equal(third.status, 429);
  });
});

describe('reports in the back office', function () {
  this.timeout(60_000);
  const app = () => testContext().app;

  async function ticket() {
    const { brand } = await createTestBrand({ slugPrefix: 'report-admin', name: '工单办理品牌' });
    const { token } = await openForm(app(), String(brand.slug));
    const res = await send(app(), {
      _form: token,
      brand: String(brand.slug),
      kind: 'fake',
      description: '网店销售的同名产品疑似假冒，请核查。',
      contact: '13900000000',
    });
    return /\/report\/(JB[^?]+)/.exec(res.headers.location!)![1]!;
  }

  it('when a viewer opens a ticket, then the contact is hidden and there is no form; an editor sees both, and closing needs a reply that then shows publicly', async () => {
    const id = await ticket();
    const viewer = await loginAs('viewer');
    const list = cheerio.load((await viewer.agent.get('/admin/reports?status=received')).text);
    assert.ok(list(`a[href="/admin/reports/${id}"]`).length, 'the new ticket is in the queue');
    const vPage = cheerio.load((await viewer.agent.get(`/admin/reports/${id}`)).text);
    assert.doesNotMatch(vPage.text(), /13900000000/);
    assert.equal(vPage('form textarea[name="publicReply"]').length, 0);
    const viewerToken = await viewer.csrf('/admin/account');
    const refused = await viewer.agent
      .post(`/admin/reports/${id}`)
      .type('form')
      .send({ _csrf: viewerToken, version: '1', status: 'rejected', publicReply: 'x', internalNote: '' });
    assert.equal(refused.status, 403, 'a viewer may not work tickets');
    assert.match(refused.text, /无权/);

    const editor = await loginAs('editor');
    const path = `/admin/reports/${id}`;
    const page = cheerio.load((await editor.agent.get(path)).text);
    assert.match(page.text(), /13900000000/);
    const form = page('form.admin-form').last();
    const base = { _csrf: String(form.find('input[name="_csrf"]').val()), version: String(form.find('input[name="version"]').val()) };
    const noReply = await editor.agent
      .post(path)
      .type('form')
      .send({ ...base, status: 'resolved', publicReply: '', internalNote: '已转执法' });
    assert.equal(noReply.status, 400);
    assert.match(noReply.text, /请填写给反映人的答复/);
    const ok = await editor.agent
      .post(path)
      .type('form')
      .send({ ...base, status: 'resolved', publicReply: '经核查，该网店已下架涉嫌假冒的产品。', internalNote: '已转执法' });
    assert.equal(ok.status, 303);
    const pub = await request(app()).get(`/report/${id}`);
    assert.match(pub.text, /已办结/);
    assert.match(pub.text, /已下架涉嫌假冒的产品/);
    assert.doesNotMatch(pub.text, /已转执法/, 'internal notes stay internal');
    assert.equal(await AuditEvent.countDocuments({ action: 'report_update', subject: id }), 1);
  });

  it('when two editors save the same ticket from the same version, then the second gets a conflict with their text kept, not a silent overwrite', async () => {
    const id = await ticket();
    const a = await loginAs('editor');
    const b = await loginAs('editor');
    const path = `/admin/reports/${id}`;
    const formOf = async (who: typeof a) => {
      const $ = cheerio.load((await who.agent.get(path)).text);
      const f = $('form.admin-form').last();
      return { _csrf: String(f.find('input[name="_csrf"]').val()), version: String(f.find('input[name="version"]').val()) };
    };
    const fa = await formOf(a);
    const fb = await formOf(b);
    assert.equal(
      (
        await a.agent
          .post(path)
          .type('form')
          .send({ ...fa, status: 'in_progress', publicReply: '', internalNote: '甲先处理' })
      ).status,
      303,
    );
    const second = await b.agent
      .post(path)
      .type('form')
      .send({ ...fb, status: 'rejected', publicReply: '乙的答复', internalNote: '乙' });
    assert.equal(second.status, 409);
    assert.match(second.text, /已被他人修改/);
    assert.match(cheerio.load(second.text)('textarea[name="publicReply"]').text(), /乙的答复/, 'the second editor’s text is kept');
    const stored = await Report.findById(id).lean();
    assert.equal(stored?.status, 'in_progress');
    assert.equal(stored?.internalNote, '甲先处理');
  });

  it('when a ticket number is unknown or malformed, then the status page is a 404', async () => {
    assert.equal((await request(app()).get('/report/JB20200101-AAAAAA')).status, 404);
    assert.equal((await request(app()).get('/report/../../etc/passwd')).status, 404);
    assert.equal((await request(app()).get('/report/status?ticket=nope')).status, 404);
  });
});

describe('reports: a save that died half-way', function () {
  this.timeout(60_000);

  it('when a claim was left without its write long ago, then the next save from that version succeeds instead of a conflict for ever', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'report-stale', name: '半途工单品牌' });
    const { token } = await openForm(testContext().app, String(brand.slug));
    const res = await send(testContext().app, { _form: token, brand: String(brand.slug), kind: 'other', description: '一条用于测试半途保存的反映。' });
    const id = /\/report\/(JB[^?]+)/.exec(res.headers.location!)![1]!;
    // A save claimed version 2 a minute ago and died before writing the ticket.
    await ReportClaim.create({ _id: `${id}:2`, actor: 'crashed@bureau.example', at: new Date(Date.now() - 60_000) });
    const updated = await updateReport(testContext().auditTrail, 'editor@bureau.example', id, 1, {
      status: 'in_progress',
      publicReply: '',
      internalNote: '接手',
    });
    assert.equal(updated.version, 2);
    assert.equal(updated.status, 'in_progress');
  });
});
