/**
 * Public notices (公示) and objections (issue #15 item 3): the working-day calendar (holidays and
 * make-up workdays change the count), a batch made and published in the back office, its public
 * page (dates, entries, never contact data), an objection filed from the public with a PDF, its
 * receipt page, hostile input, and the end of the notice: the application without an objection
 * moves on to the decision step at once, the one with an open objection when it is resolved.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { addWorkingDays, isWorkingDay, refreshCalendar, workingDaysBetween } from '../src/applications/calendar.js';
import { Application, CalendarDay, Enterprise, Notice, Objection, type ApplicationDoc } from '../src/applications/model.js';
import { closeEndedNotices, noticeEnd } from '../src/applications/notices.js';
import { AuditEvent } from '../src/audit/index.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { loginAs, testEmail, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const newAppId = () => `SB20261204-${Array.from(randomBytes(6), (b) => CROCKFORD[b % 32]).join('')}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const bj = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** An application of the enterprise's, waiting at the notice step (as the expert step leaves it). */
async function waitingApplication(brandName: string) {
  const seed = randomBytes(4).toString('hex');
  const ent = await Enterprise.create({
    email: testEmail('notice-ent'),
    passwordHash: 'not-used-here',
    company: `武汉公示测试${seed}有限公司`,
    creditCode: demoCreditCode(`notice-${seed}`),
    contactName: '联系人甲',
    phone: '13912345678',
    emailVerifiedAt: new Date(),
  });
  const fields = { brandName, contactName: '联系人乙', phone: '13800001111', email: 'secret-contact@test.example', story: '始创于清光绪年间。' };
  const id = newAppId();
  await Application.create({
    _id: id,
    enterprise: ent._id,
    kind: 'time_honored',
    target: '武汉老字号',
    status: 'in_review',
    step: 'notice',
    notice: null,
    fields,
    versions: [{ n: 1, submittedAt: new Date(), fields, files: [] }],
    submittedAt: new Date(),
  });
  return { id, ent };
}

const load = async (id: string) => (await Application.findById(id).lean<ApplicationDoc>())!;

async function formOf(agent: SignedIn['agent'], path: string, selector: string) {
  const page = await agent.get(path);
  assert.equal(page.status, 200, `GET ${path} → ${page.status}: ${page.text.slice(0, 300)}`);
  const $ = cheerio.load(page.text);
  const form = $(selector).first();
  assert.equal(form.length, 1, `${path} has ${selector}`);
  return { $, csrf: String(form.find('input[name="_csrf"]').val()), version: String(form.find('input[name="version"]').val() ?? '') };
}

describe('public notices and objections', function () {
  this.timeout(90_000);
  const app = () => testContext().app;

  describe('the working-day calendar', () => {
    // 2031-06-06 is a Friday; 06-07 Saturday; 06-09 Monday; 06-10 Tuesday.
    const friday = new Date('2031-06-06T02:00:00Z'); // 10:00 in Beijing
    after(async () => {
      for (const d of ['2031-06-07', '2031-06-09']) await CalendarDay.deleteOne({ _id: d });
      refreshCalendar();
    });

    it('when a weekday is a holiday and a Saturday a make-up workday, then adding working days follows them', async () => {
      assert.equal(bj(await addWorkingDays(friday, 1)), '2031-06-09', 'plain week: Friday + 1 → Monday');
      assert.equal(await workingDaysBetween(friday, new Date('2031-06-10T02:00:00Z')), 2);

      const { agent, csrf } = await loginAs('admin');
      const token = await csrf('/admin/calendar?year=2031');
      const wrong = await agent.post('/admin/calendar').type('form').send({ _csrf: token, date: '2031-06-07', kind: 'holiday', name: '周六' });
      assert.equal(wrong.status, 400, 'a holiday on a Saturday is refused');
      assert.match(cheerio.load(wrong.text)('#c-date-error').text(), /周末/);
      const holiday = await agent.post('/admin/calendar').type('form').send({ _csrf: token, date: '2031-06-09', kind: 'holiday', name: '测试假日' });
      assert.equal(holiday.status, 303, holiday.text.slice(0, 300));
      assert.equal(bj(await addWorkingDays(friday, 1)), '2031-06-10', 'the Monday holiday is skipped');
      assert.equal(await isWorkingDay(new Date('2031-06-09T02:00:00Z')), false);

      const makeUp = await agent.post('/admin/calendar').type('form').send({ _csrf: token, date: '2031-06-07', kind: 'workday', name: '调休上班' });
      assert.equal(makeUp.status, 303);
      assert.equal(bj(await addWorkingDays(friday, 1)), '2031-06-07', 'the make-up Saturday counts');
      assert.equal(bj(await addWorkingDays(friday, 2)), '2031-06-10');
      assert.equal(await workingDaysBetween(friday, new Date('2031-06-10T02:00:00Z')), 2, 'Saturday and Tuesday');
      // The notice counts its start day: 5 working days from Friday 06-06 end on Thursday 06-12.
      assert.equal(bj(await noticeEnd(new Date('2031-06-06T00:00:00Z'), 5)), '2031-06-12');

      const listed = await agent.get('/admin/calendar?year=2031');
      assert.match(listed.text, /测试假日/);
      assert.match(listed.text, /调休上班/);
      assert.ok((await AuditEvent.countDocuments({ action: 'calendar_update', subject: 'calendar:2031-06-09' })) >= 1);

      const editor = await loginAs('editor');
      const page = await editor.agent.get('/admin/calendar?year=2031');
      assert.equal(page.status, 200, 'editors read the calendar');
      assert.equal(cheerio.load(page.text)('form[method="post"][action="/admin/calendar"]').length, 0, 'without the form');
      const refused = await editor.agent
        .post('/admin/calendar')
        .type('form')
        .send({ _csrf: csrfOf(page.text), date: '2031-06-11', kind: 'holiday', name: 'x' });
      assert.equal(refused.status, 403);
      assert.ok((await agent.get('/admin/calendar?year[$ne]=1')).status < 500, 'an operator is never a 500');
      assert.equal((await agent.get('/admin/calendar?year=abc')).status, 400);
    });
  });

  describe('a batch from draft to decision', () => {
    let admin: SignedIn;
    let noticeId = '';
    let withObjection = '';
    let without = '';
    let token = '';
    let receipt = '';

    before(async () => {
      admin = await loginAs('admin');
      withObjection = (await waitingApplication('异议测试老字号')).id;
      without = (await waitingApplication('无异议测试老字号')).id;
    });

    it('when an admin makes a batch, adds two waiting applications and publishes it, then the public page lists them with the dates and no contact data', async () => {
      const { csrf } = await formOf(admin.agent, '/admin/notices', 'form[action="/admin/notices"]');
      const bad = await admin.agent.post('/admin/notices').type('form').send({ _csrf: csrf, title: '', kind: 'time_honored', workingDays: '30' });
      assert.equal(bad.status, 400);
      const $bad = cheerio.load(bad.text);
      assert.ok($bad('#n-title-error').text() && $bad('#n-days-error').text(), 'title and working days named');

      const made = await admin.agent
        .post('/admin/notices')
        .type('form')
        .send({ _csrf: csrf, title: '2026年武汉老字号拟认定名单公示', kind: 'time_honored', batch: '2026年第三批', workingDays: '7' });
      assert.equal(made.status, 303, made.text.slice(0, 300));
      noticeId = String(made.headers.location).split('/').pop()!;
      assert.match(noticeId, /^\d{4}-\d+$/);
      assert.equal((await Notice.findById(noticeId).lean())?.status, 'draft');

      for (const id of [withObjection, without]) {
        const f = await formOf(admin.agent, `/admin/notices/${noticeId}`, `form:has(input[name="application"][value="${id}"])`);
        const added = await admin.agent
          .post(`/admin/notices/${noticeId}/entries`)
          .type('form')
          .send({ _csrf: f.csrf, version: f.version, op: 'add', application: id });
        assert.equal(added.status, 303, added.text.slice(0, 300));
        assert.equal((await load(id)).notice, noticeId);
      }
      // A stale version (the form before the second add) is a conflict.
      const stale = await admin.agent.post(`/admin/notices/${noticeId}/publish`).type('form').send({ _csrf: csrf, version: '1', startsOn: '' });
      assert.equal(stale.status, 409);
      const past = await formOf(admin.agent, `/admin/notices/${noticeId}`, `form[action="/admin/notices/${noticeId}/publish"]`);
      const early = await admin.agent
        .post(`/admin/notices/${noticeId}/publish`)
        .type('form')
        .send({ _csrf: past.csrf, version: past.version, startsOn: '2020-01-01' });
      assert.equal(early.status, 400, 'a start before today is refused');
      assert.ok(cheerio.load(early.text)('#p-start-error').text());

      const pub = await formOf(admin.agent, `/admin/notices/${noticeId}`, `form[action="/admin/notices/${noticeId}/publish"]`);
      const published = await admin.agent.post(`/admin/notices/${noticeId}/publish`).type('form').send({ _csrf: pub.csrf, version: pub.version, startsOn: '' });
      assert.equal(published.status, 303, published.text.slice(0, 300));
      const notice = (await Notice.findById(noticeId).lean())!;
      assert.equal(notice.status, 'running');
      assert.equal(bj(notice.startsOn!), bj(new Date()));
      assert.equal(notice.endsOn!.getTime(), (await noticeEnd(notice.startsOn!, 7)).getTime());
      for (const id of [withObjection, without]) assert.equal((await load(id)).status, 'notice');

      const list = await request(app()).get('/notices');
      assert.equal(list.status, 200);
      assert.match(list.text, /2026年武汉老字号拟认定名单公示/);
      const page = await request(app()).get(`/notices/${noticeId}`);
      assert.equal(page.status, 200);
      const $ = cheerio.load(page.text);
      assert.equal($('.notice-period time').first().attr('datetime'), bj(notice.startsOn!));
      assert.equal($('.notice-period time').eq(1).attr('datetime'), bj(notice.endsOn!));
      assert.match($('.notice-period').text(), /\d{4}年\d{1,2}月\d{1,2}日至\d{4}年\d{1,2}月\d{1,2}日/);
      assert.match(page.text, /异议测试老字号/);
      assert.match(page.text, /无异议测试老字号/);
      assert.match(page.text, /武汉公示测试/);
      for (const secret of ['13912345678', '13800001111', 'secret-contact@test.example', '联系人甲', '联系人乙'])
        assert.ok(!page.text.includes(secret), `the public page never shows ${secret}`);
      assert.equal($(`a[href="/notices/${noticeId}/objection/${withObjection}"]`).length, 1, 'an objection link per entry');
      assert.equal(await AuditEvent.countDocuments({ action: 'notice_published', subject: `notice:${noticeId}` }), 1);
      assert.equal((await AuditEvent.countDocuments({ action: 'application_notice', subject: `application:${without}` })) >= 2, true);
    });

    it('when someone files an objection with a PDF, then they get a receipt whose page never shows their contact; hostile posts are refused', async () => {
      const formPath = `/notices/${noticeId}/objection/${withObjection}`;
      const form = await request(app()).get(formPath);
      assert.equal(form.status, 200);
      assert.equal(([] as string[]).concat(form.headers['set-cookie'] ?? []).length, 0, 'the public form sets no cookie');
      token = String(cheerio.load(form.text)('input[name="_form"]').val());
      await pause(1_100);

      const noToken = await request(app()).post(formPath).field('name', '张三').field('contact', '13700000000').field('grounds', '没有令牌的异议不应被受理。');
      assert.equal(noToken.status, 403, 'a post without the form token is refused');

      const hostileGrounds = '<script>alert(1)</script>该企业创立年份与史料记载不符。';
      const fake = await request(app())
        .post(formPath)
        .field('_form', token)
        .field('name', '张三')
        .field('contact', '13700000000')
        .field('grounds', hostileGrounds)
        .attach('files', Buffer.from('<html>not a pdf</html>'), { filename: 'evidence.pdf', contentType: 'application/pdf' });
      assert.equal(fake.status, 400, fake.text.slice(0, 300));
      const $fake = cheerio.load(fake.text);
      assert.match($fake('#objection-files-error').text(), /evidence\.pdf/, 'the refusal names the file and the field');
      assert.equal($fake('#objection-files').attr('aria-invalid'), 'true');
      assert.ok(!fake.text.includes('<script>alert(1)</script>'), 'what was typed comes back escaped');
      assert.equal($fake('#objection-grounds').text(), hostileGrounds);

      const short = await request(app()).post(formPath).field('_form', token).field('name', '张三').field('contact', '13700000000').field('grounds', '太短');
      assert.equal(short.status, 400);
      assert.ok(cheerio.load(short.text)('#objection-grounds-error').text());

      const bot = await request(app())
        .post(formPath)
        .field('_form', token)
        .field('name', 'bot')
        .field('contact', 'x')
        .field('grounds', '机器人会填写隐藏字段的内容。')
        .field('website', 'http://spam');
      assert.equal(bot.status, 400);

      const filed = await request(app())
        .post(formPath)
        .field('_form', token)
        .field('name', '张三')
        .field('contact', '13700000000')
        .field('grounds', hostileGrounds)
        .attach('files', PDF, { filename: '史料证明.pdf', contentType: 'application/pdf' });
      assert.equal(filed.status, 303, filed.text.slice(0, 300));
      const location = String(filed.headers.location);
      receipt = location.split('/').pop()!.split('?')[0]!;
      assert.match(receipt, /^YY\d{8}-[0-9A-HJKMNP-TV-Z]{6}$/);
      const ob = (await Objection.findById(receipt).lean())!;
      assert.equal(ob.status, 'open');
      assert.equal(ob.files.length, 1);
      assert.equal(ob.files[0]!.type, 'application/pdf');
      assert.equal((await AuditEvent.findOne({ action: 'objection_filed', subject: `objection:${receipt}` }).lean())?.actor, 'public');

      const receiptPage = await request(app()).get(location);
      assert.equal(receiptPage.status, 200);
      assert.match(receiptPage.text, /核查中/);
      assert.ok(!receiptPage.text.includes('13700000000'), 'the receipt page never shows the contact');
      const lookup = await request(app()).get(`/notices/objections?receipt=${receipt.toLowerCase()}`);
      assert.equal(lookup.status, 303);

      for (const path of [
        '/notices?status[$ne]=x',
        '/notices/objections?receipt[$ne]=1',
        '/notices/objections/YY20260101-%24ne',
        `/notices/${noticeId}?x[$gt]=`,
        '/notices/2026-1%27%3E%3Cscript%3E',
        `/notices/${noticeId}/objection/%7B%22%24ne%22%3A1%7D`,
      ]) {
        const res = await request(app()).get(path);
        assert.ok(res.status < 500, `${path} → ${res.status}`);
      }
      const opPost = await request(app()).post(formPath).type('form').send(`_form=${token}&name[$ne]=x&contact=1&grounds=xxxxxxxxxxxxxxxx`);
      assert.ok(opPost.status === 400, `an operator in the body → ${opPost.status}`);
      assert.ok((await admin.agent.get('/admin/objections?status[$ne]=open')).status < 500);
      assert.equal((await admin.agent.get('/admin/objections?status=nonsense')).status, 400);
    });

    it('when the notice ends, then the application without an objection moves to the decision step at once and the other when its objection is resolved', async () => {
      const notice = (await Notice.findById(noticeId).lean())!;
      const later = new Date(notice.endsOn!.getTime() + 36 * 3_600_000); // the day after the last day, Beijing noon
      const ended = await closeEndedNotices(testContext().auditTrail, later);
      assert.ok(ended.includes(noticeId));
      assert.equal((await Notice.findById(noticeId).lean())?.status, 'ended');
      const moved = await load(without);
      assert.equal(moved.status, 'in_review');
      assert.equal(moved.step, 'decision');
      assert.ok(moved.stepDueAt && moved.stepDueAt.getTime() > later.getTime());
      const held = await load(withObjection);
      assert.equal(held.status, 'notice', 'an open objection holds it');
      assert.equal(held.step, 'notice');
      assert.equal(await AuditEvent.countDocuments({ action: 'notice_ended', subject: `notice:${noticeId}` }), 1);

      // The form is closed now, even with a token from when it was open.
      const closedPost = await request(app())
        .post(`/notices/${noticeId}/objection/${without}`)
        .field('_form', token)
        .field('name', '李四')
        .field('contact', '13600000000')
        .field('grounds', '公示期满后提交的异议不应被受理。');
      assert.equal(closedPost.status, 409);
      assert.match(closedPost.text, /不再受理异议/);
      const closedForm = await request(app()).get(`/notices/${noticeId}/objection/${without}`);
      assert.equal(cheerio.load(closedForm.text)('form[enctype="multipart/form-data"]').length, 0);
      assert.match(closedForm.text, /公示期已结束/);

      // The back office: the queue, the objection with its attachment, the resolution.
      const queue = await admin.agent.get('/admin/objections');
      assert.equal(queue.status, 200);
      assert.match(queue.text, new RegExp(receipt));
      const detail = await admin.agent.get(`/admin/objections/${receipt}`);
      assert.equal(detail.status, 200);
      assert.ok(detail.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'grounds are escaped');
      assert.ok(!detail.text.includes('<script>alert(1)'));
      assert.match(detail.text, /不直接决定申报结果/);
      const $d = cheerio.load(detail.text);
      const href = String($d('a[download]').attr('href'));
      const file = await admin.agent.get(href).buffer(true);
      assert.equal(file.status, 200);
      assert.match(String(file.headers['content-disposition']), /^attachment;/);
      assert.equal(file.headers['x-content-type-options'], 'nosniff');
      assert.ok(Buffer.compare(file.body as Buffer, PDF) === 0, 'the stored bytes come back');
      const noticePage = await admin.agent.get(`/admin/notices/${noticeId}`);
      assert.equal(noticePage.status, 200);
      assert.equal(cheerio.load(noticePage.text)(`a[href="/admin/objections?application=${withObjection}"]`).text(), '1', 'open objections per entry');

      const csrf = String($d('form[action] input[name="_csrf"]').first().val());
      const version = String($d('input[name="version"]').val());
      const empty = await admin.agent.post(`/admin/objections/${receipt}`).type('form').send({ _csrf: csrf, version, outcome: 'upheld', resolution: '' });
      assert.equal(empty.status, 400);
      assert.ok(cheerio.load(empty.text)('#o-resolution-error').text(), 'the resolution is required');
      const stale = await admin.agent
        .post(`/admin/objections/${receipt}`)
        .type('form')
        .send({ _csrf: csrf, version: '99', outcome: 'upheld', resolution: '经核查，异议成立。' });
      assert.equal(stale.status, 409);
      const done = await admin.agent
        .post(`/admin/objections/${receipt}`)
        .type('form')
        .send({ _csrf: csrf, version, outcome: 'upheld', resolution: '经核查，异议成立，将在决定时考虑。' });
      assert.equal(done.status, 303, done.text.slice(0, 300));
      const after = await load(withObjection);
      assert.equal(after.status, 'in_review');
      assert.equal(after.step, 'decision', 'its last objection resolved, it moves on');
      assert.equal(await AuditEvent.countDocuments({ action: 'objection_resolved', subject: `objection:${receipt}` }), 1);

      for (const path of ['/notices', `/notices/${noticeId}`, `/notices/objections/${receipt}`]) {
        const en = await request(app()).get(`${path}?lang=en`);
        assert.equal(en.status, 200, `${path} in English`);
      }
      for (const path of ['/admin/notices', `/admin/notices/${noticeId}`, '/admin/objections', `/admin/objections/${receipt}`, '/admin/calendar']) {
        const en = await admin.agent.get(`${path}?lang=en`);
        assert.equal(en.status, 200, `${path} in English`);
      }
      const viewer = await loginAs('viewer');
      const read = await viewer.agent.get(`/admin/objections/${receipt}`);
      assert.equal(read.status, 200);
      assert.equal(cheerio.load(read.text)('textarea[name="resolution"]').length, 0, 'viewers read only');
      assert.ok(!read.text.includes('13700000000'), 'nor see the contact');
      assert.ok(detail.text.includes('13700000000'), 'admins see the contact');
      assert.equal((await request(app()).get('/')).text.includes('href="/notices"'), true, 'the footer links the notices');
      const receiptPage = await request(app()).get(`/notices/objections/${receipt}`);
      assert.match(receiptPage.text, /维持异议/);
      assert.match(receiptPage.text, /经核查，异议成立/);
      assert.ok(!receiptPage.text.includes('13700000000'));
    });
  });
});

function csrfOf(html: string): string {
  return String(cheerio.load(html)('input[name="_csrf"]').first().val());
}
