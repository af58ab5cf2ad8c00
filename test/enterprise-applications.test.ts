/**
 * Issue #15 item 1, the enterprise's side: registering an account (confirmation mail through the
 * outbox, link confirmed), signing in (lockout), a draft 老字号 application with its fields and
 * documents (typed from their bytes), submission refused while a required document is missing,
 * the frozen version 1 (read-only), a returned application corrected and resubmitted as version 2,
 * and hostile input: wrong bytes, oversized files, path names, another enterprise's files and
 * applications, missing CSRF tokens, operators in query strings, HTML in names.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { Mail } from '../src/alerts/model.js';
import { Application, Enterprise, type ApplicationDoc } from '../src/applications/model.js';
import { registerEnterprise, verifyEnterprise } from '../src/applications/enterprise.js';
import { APPLICATION_ID, createApplication } from '../src/applications/applications.js';
import { AuditEvent } from '../src/audit/index.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { csrfFrom, testEmail, type Agent } from './support/admin.js';
import { testContext } from './support/context.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const PASSWORD = 'correct horse battery staple';

async function tokenFromMail(email: string): Promise<string> {
  const mail = await Mail.findOne({ to: email, kind: 'workflow', _id: /^enterprise-verify:/ })
    .sort({ createdAt: -1 })
    .lean();
  assert.ok(mail, `a confirmation mail was queued for ${email}`);
  const m = /\/apply\/verify\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  assert.ok(m, 'the mail has the confirmation link');
  return m[1]!;
}

async function csrf(agent: Agent, path: string): Promise<string> {
  const res = await agent.get(path);
  assert.equal(res.status, 200, `GET ${path} → ${res.status}`);
  return csrfFrom(res.text);
}

async function signIn(agent: Agent, email: string, password = PASSWORD) {
  // The registration page always has a form (the sign-in page sends a signed-in visitor on).
  const token = await csrf(agent, '/apply/register');
  return agent.post('/apply/login').type('form').send({ _csrf: token, email, password });
}

describe('enterprise accounts and applications (/apply)', function () {
  this.timeout(120_000);
  const app = () => testContext().app;
  const docsDir = () => path.resolve(testContext().config.DATA_DIR, 'documents');

  const emailA = testEmail('ent-a');
  const emailB = testEmail('ent-b');
  const creditA = demoCreditCode(`ent-a-${Date.now()}`);
  const creditB = demoCreditCode(`ent-b-${Date.now()}`);
  let a: Agent;
  let b: Agent;
  let appId = '';
  let licenseFile = '';

  const appPath = () => `/apply/applications/${appId}`;
  const current = async () => (await Application.findById(appId).lean<ApplicationDoc>())!;
  const upload = async (agent: Agent, slot: string, bytes: Buffer, filename: string) => {
    const token = await csrf(agent, appPath());
    return agent
      .post(`${appPath()}/files`)
      .field('_csrf', token)
      .field('slot', slot)
      .attach('file', bytes, { filename, contentType: 'application/octet-stream' });
  };

  it('registers: one answer for every address, the confirmation mail queued, field-named problems', async () => {
    a = request.agent(app());
    const tok2 = await csrf(a, '/apply/register');
    const bad = await a.post('/apply/register').type('form').send({
      _csrf: tok2,
      email: emailA,
      password: 'short',
      company: '',
      creditCode: '91420100ABCDEFGHJ1',
      contactName: '张三',
      phone: '027-1234567',
    });
    assert.equal(bad.status, 400);
    const $bad = cheerio.load(bad.text);
    assert.match($bad('#reg-password-error').text(), /12/);
    assert.match($bad('#reg-company-error').text(), /企业名称/);
    assert.match($bad('#reg-credit-error').text(), /统一社会信用代码/);
    assert.equal($bad('#reg-password').attr('value'), undefined, 'the password is never echoed');

    const tok3 = await csrf(a, '/apply/register');
    const ok = await a.post('/apply/register').type('form').send({
      _csrf: tok3,
      email: emailA,
      password: PASSWORD,
      company: '武汉测试老字号有限公司',
      creditCode: creditA,
      contactName: '张三',
      phone: '027-1234567',
    });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    assert.match(ok.text, /请查收确认邮件/);
    const acct = await Enterprise.findOne({ email: emailA }).lean();
    assert.ok(acct && acct.emailVerifiedAt === null && acct.verifyTokenHash && /^\$argon2id\$/.test(acct.passwordHash));
    assert.ok(acct.verifyExpiresAt!.getTime() - Date.now() > 47 * 3_600_000);
    const token = await tokenFromMail(emailA);
    assert.notEqual(acct.verifyTokenHash, token, 'only the hash of the token is stored');
    assert.ok(await AuditEvent.findOne({ action: 'enterprise_registered', actor: `enterprise:${emailA}` }).lean());

    // The same address again: the same answer (and a mail to the owner, not a second account).
    const tok5 = await csrf(a, '/apply/register');
    const same = await a.post('/apply/register').type('form').send({
      _csrf: tok5,
      email: emailA.toUpperCase(),
      password: PASSWORD,
      company: '别人的公司',
      creditCode: creditA,
      contactName: '李四',
      phone: '027-7654321',
    });
    assert.equal(same.status, 200);
    assert.equal(cheerio.load(same.text)('h1').text(), cheerio.load(ok.text)('h1').text());
    assert.equal(await Enterprise.countDocuments({ email: emailA }), 1);
  });

  it('an unconfirmed account may only resend the mail; the link confirms it; then it signs in', async () => {
    const first = await signIn(a, emailA);
    assert.equal(first.status, 303);
    assert.match(first.headers.location!, /\/apply\/verify\/pending/);
    const dash = await a.get('/apply');
    assert.equal(dash.status, 303);
    assert.match(dash.headers.location!, /\/apply\/verify\/pending/);
    const pending = await a.get('/apply/verify/pending');
    assert.match(pending.text, /尚未确认/);
    const resend = await a
      .post('/apply/verify/resend')
      .type('form')
      .send({ _csrf: csrfFrom(pending.text) });
    assert.equal(resend.status, 200);

    const token = await tokenFromMail(emailA);
    const confirm = await a.get(`/apply/verify?token=${token}`);
    assert.equal(confirm.status, 200);
    const done = await a
      .post('/apply/verify')
      .type('form')
      .send({ _csrf: csrfFrom(confirm.text), token });
    assert.equal(done.status, 200);
    assert.match(done.text, /邮箱已确认/);
    assert.ok((await Enterprise.findOne({ email: emailA }).lean())!.emailVerifiedAt);
    assert.ok(await AuditEvent.findOne({ action: 'enterprise_verified', actor: `enterprise:${emailA}` }).lean());
    const tok6 = await csrf(a, '/apply/verify');
    const reused = await a.post('/apply/verify').type('form').send({ _csrf: tok6, token });
    assert.equal(reused.status, 400, 'a link works once');

    const before = a.jar.getCookie('wbr.ent', { domain: '127.0.0.1', path: '/apply', secure: false, script: false })?.value;
    const signed = await signIn(a, emailA);
    assert.equal(signed.status, 303);
    assert.equal(signed.headers.location, '/apply');
    const cookie = String(signed.headers['set-cookie'] ?? '');
    assert.match(cookie, /wbr\.ent=/);
    assert.match(cookie, /Path=\/apply/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.notEqual(
      before,
      a.jar.getCookie('wbr.ent', { domain: '127.0.0.1', path: '/apply', secure: false, script: false })?.value,
      'a new session at sign-in',
    );
    const home = await a.get('/apply');
    assert.equal(home.status, 200);
    assert.match(home.text, /武汉测试老字号有限公司/);
    assert.ok(await AuditEvent.findOne({ action: 'enterprise_sign_in', actor: `enterprise:${emailA}` }).lean());
  });

  it('locks an account after repeated wrong passwords', async () => {
    const email = testEmail('ent-lock');
    const ctx = testContext();
    await registerEnterprise(
      { audit: ctx.auditTrail, mailer: { send: async () => true }, publicBaseUrl: ctx.config.PUBLIC_BASE_URL },
      {
        email,
        password: PASSWORD,
        company: '锁定测试公司',
        creditCode: demoCreditCode(`lock-${Date.now()}`),
        contactName: '王五',
        phone: '13800000000',
      },
    );
    const agent = request.agent(app());
    for (let i = 0; i < ctx.config.LOGIN_MAX_FAILURES; i++) assert.equal((await signIn(agent, email, 'wrong password here')).status, 401);
    const locked = await signIn(agent, email);
    assert.equal(locked.status, 401, 'even the right password is refused while locked');
    assert.ok((await Enterprise.findOne({ email }).lean())!.lockedUntil);
    assert.ok(await AuditEvent.findOne({ action: 'enterprise_sign_in_failed', actor: `enterprise:${email}`, 'detail.reason': 'locked' }).lean());
  });

  it('registers enterprise B with HTML in its name, shown escaped', async () => {
    b = request.agent(app());
    const tok7 = await csrf(b, '/apply/register');
    const res = await b.post('/apply/register').type('form').send({
      _csrf: tok7,
      email: emailB,
      password: PASSWORD,
      company: '<script>alert(1)</script>乙公司',
      creditCode: creditB,
      contactName: '<b>赵六</b>',
      phone: '13900000000',
    });
    assert.equal(res.status, 200);
    assert.ok(await verifyEnterprise(testContext().auditTrail, await tokenFromMail(emailB)));
    assert.equal((await signIn(b, emailB)).status, 303);
    const home = await b.get('/apply');
    assert.equal(home.status, 200);
    assert.ok(!home.text.includes('<script>alert(1)</script>'));
    assert.match(home.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;乙公司/);
  });

  it('creates a draft, saves partial fields, and stores a PDF by its bytes under a generated key', async () => {
    const form = await a.get('/apply/new?kind=time_honored');
    assert.equal(form.status, 200);
    assert.match(form.text, /武汉老字号/);
    const created = await a
      .post('/apply/new')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), kind: 'time_honored', target: '武汉老字号' });
    assert.equal(created.status, 303, created.text.slice(0, 300));
    appId = created.headers.location!.split('/').pop()!;
    assert.match(appId, APPLICATION_ID);
    const draft = await current();
    assert.equal(draft.status, 'draft');
    assert.equal(draft.fields.company, '武汉测试老字号有限公司', 'prefilled from the account');
    assert.equal(draft.fields.creditCode, creditA);

    const page = await a.get(appPath());
    const $ = cheerio.load(page.text);
    assert.equal($('#app-creditCode').attr('readonly'), 'readonly');
    const saved = await a
      .post(appPath())
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: String(draft.version),
        action: 'save',
        brandName: '老汉口',
        creditCode: '000000000000000000',
        district: '江岸区',
      });
    assert.equal(saved.status, 303);
    const after = await current();
    assert.equal(after.fields.brandName, '老汉口');
    assert.equal(after.fields.creditCode, creditA, 'the credit code comes from the account, not the form');
    assert.ok(await AuditEvent.findOne({ action: 'application_saved', subject: `application:${appId}` }).lean());

    const up = await upload(a, 'license', PDF, '../../etc/passwd.pdf');
    assert.equal(up.status, 303, up.text.slice(0, 400));
    const withFile = await current();
    assert.equal(withFile.files.length, 1);
    const f = withFile.files[0]!;
    licenseFile = f.id;
    assert.equal(f.name, 'passwd.pdf');
    assert.equal(f.type, 'application/pdf');
    assert.equal(f.slot, 'license');
    assert.match(f.sha256, /^[a-f0-9]{64}$/);
    const stored = path.join(docsDir(), 'applications', appId.toLowerCase(), f.id);
    assert.ok(existsSync(stored), 'bytes under applications/<id>/<file id>');
    assert.deepEqual(readFileSync(stored), PDF);
    assert.ok(await AuditEvent.findOne({ action: 'application_file_added', subject: `application:${appId}` }).lean());

    const dl = await a.get(`${appPath()}/files/${f.id}`).buffer(true);
    assert.equal(dl.status, 200);
    assert.match(String(dl.headers['content-disposition']), /^attachment;/);
    assert.equal(dl.headers['x-content-type-options'], 'nosniff');
    assert.equal(dl.headers['content-type'], 'application/pdf');
  });

  it('refuses files whose bytes are not a PDF, JPEG or PNG, and oversized ones', async () => {
    const fake = await upload(a, 'history', Buffer.from('just some text, not a picture'), 'photo.png');
    assert.equal(fake.status, 400);
    assert.match(fake.text, /PDF、JPEG 或 PNG/);
    const fakePdf = await upload(a, 'history', Buffer.from('<html>not a pdf</html>'), 'proof.pdf');
    assert.equal(fakePdf.status, 400);
    const big = await upload(a, 'history', Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 10)]), 'big.pdf');
    assert.equal(big.status, 413);
    assert.equal((await current()).files.length, 1);
  });

  it('submits only with every required field and document, naming what is missing', async () => {
    const draft = await current();
    const page = await a.get(appPath());
    const refused = await a
      .post(appPath())
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: String(draft.version),
        action: 'submit',
        brandName: '老汉口',
        company: '武汉测试老字号有限公司',
        district: '江岸区',
        industry: '餐饮',
        foundedYear: '1898',
        address: '武汉市江岸区中山大道1号',
        heritage: '百年传承的手工技艺。',
        story: '创立于清末的汉口老店。',
      });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /请上传历史沿革证明/);
    assert.equal((await current()).status, 'draft');

    assert.equal((await upload(a, 'history', PDF, '历史沿革.pdf')).status, 303);
    const ready = await current();
    const tok8 = await csrf(a, appPath());
    const submit = await a
      .post(appPath())
      .type('form')
      .send({ _csrf: tok8, version: String(ready.version), action: 'submit', ...ready.fields });
    assert.equal(submit.status, 303, submit.text.slice(0, 400));
    const sub = await current();
    assert.ok(['submitted', 'in_review'].includes(sub.status));
    assert.equal(sub.versions.length, 1);
    assert.equal(sub.versions[0]!.n, 1);
    assert.equal(sub.versions[0]!.files.length, 2);
    assert.equal(sub.versions[0]!.fields.brandName, '老汉口');
    assert.ok(await AuditEvent.findOne({ action: 'application_submitted', subject: `application:${appId}` }).lean());

    // Read-only now: no editing form, a save is refused, files cannot be added or removed.
    const view = await a.get(appPath());
    const $ = cheerio.load(view.text);
    assert.equal($('button[value="submit"]').length, 0);
    assert.match(view.text, /第 1 版/);
    const edit = await a
      .post(appPath())
      .type('form')
      .send({ _csrf: csrfFrom(view.text), version: String(sub.version), action: 'save', brandName: '改了' });
    assert.equal(edit.status, 409);
    assert.equal((await current()).versions[0]!.fields.brandName, '老汉口');
    const rm = await a
      .post(`${appPath()}/files/${licenseFile}/delete`)
      .type('form')
      .send({ _csrf: csrfFrom(view.text) });
    assert.equal(rm.status, 409);
  });

  it('a returned application shows the reasons (never the comment), is corrected and resubmitted as version 2', async () => {
    await Application.updateOne(
      { _id: appId },
      {
        $set: { status: 'returned', step: '' },
        $push: {
          history: {
            step: 'district',
            version: 1,
            decision: 'return',
            reasons: ['请补充历史沿革证明原件扫描件'],
            comment: '内部意见-不应公开',
            actor: 'reviewer@test.example',
            at: new Date(),
          },
        },
        $inc: { version: 1 },
      },
    );
    const page = await a.get(appPath());
    assert.equal(page.status, 200);
    assert.match(page.text, /请补充历史沿革证明原件扫描件/);
    assert.ok(!page.text.includes('内部意见-不应公开'));
    assert.match(page.text, /退回补正/);

    const stale = await a
      .post(appPath())
      .type('form')
      .send({ _csrf: csrfFrom(page.text), version: '1', action: 'save', brandName: '老汉口（补正）' });
    assert.equal(stale.status, 409, 'a form from an older version is a conflict');
    assert.match(stale.text, /已有变动/);

    // Remove the old proof (its bytes stay: version 1 keeps them), upload a new one, resubmit.
    const old = (await current()).files.find((x) => x.slot === 'history')!;
    const rm = await a
      .post(`${appPath()}/files/${old.id}/delete`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    assert.equal(rm.status, 303);
    assert.ok(existsSync(path.join(docsDir(), 'applications', appId.toLowerCase(), old.id)));
    assert.ok(await AuditEvent.findOne({ action: 'application_file_removed', subject: `application:${appId}` }).lean());
    assert.equal((await upload(a, 'history', PDF, '历史沿革-原件.pdf')).status, 303);
    const now = await current();
    const tok9 = await csrf(a, appPath());
    const res = await a
      .post(appPath())
      .type('form')
      .send({ _csrf: tok9, version: String(now.version), action: 'submit', ...now.fields, brandName: '老汉口（补正）' });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    const v2 = await current();
    assert.ok(['submitted', 'in_review'].includes(v2.status));
    assert.equal(v2.versions.length, 2);
    assert.equal(v2.versions[1]!.n, 2);
    assert.equal(v2.versions[1]!.fields.brandName, '老汉口（补正）');
    assert.equal(v2.versions[0]!.fields.brandName, '老汉口', 'version 1 is unchanged');
    // Files of version 1 are still downloadable.
    assert.equal((await a.get(`${appPath()}/files/${old.id}`)).status, 200);
  });

  it('another enterprise can neither open the application nor download its files (404)', async () => {
    assert.equal((await b.get(appPath())).status, 404);
    assert.equal((await b.get(`${appPath()}/files/${licenseFile}`)).status, 404);
    const token = await csrf(b, '/apply');
    assert.equal((await b.post(`${appPath()}/withdraw`).type('form').send({ _csrf: token, version: '1' })).status, 404);
    const anon = await request(app()).get(`${appPath()}/files/${licenseFile}`);
    assert.equal(anon.status, 303);
    assert.match(anon.headers.location!, /^\/apply\/login/);
  });

  it('refuses posts without the CSRF token (403), forms and uploads alike', async () => {
    assert.equal((await a.post('/apply/new').type('form').send({ kind: 'directory' })).status, 403);
    assert.equal((await a.post('/apply/new').type('form').send({ kind: 'directory', _csrf: 'forged' })).status, 403);
    const acct = (await Enterprise.findOne({ email: emailA }).lean())!;
    const owner = { id: String(acct._id), email: acct.email, company: acct.company, creditCode: acct.creditCode };
    const draft = await createApplication(testContext().auditTrail, owner, 'directory', '');
    const up = await a.post(`/apply/applications/${draft._id}/files`).field('slot', 'other').attach('file', PDF, { filename: 'x.pdf' });
    assert.equal(up.status, 403);
    const forged = await a
      .post(`/apply/applications/${draft._id}/files`)
      .field('_csrf', 'forged')
      .field('slot', 'other')
      .attach('file', PDF, { filename: 'x.pdf' });
    assert.equal(forged.status, 403);
    assert.equal((await Application.findById(draft._id).lean())!.files.length, 0);
    assert.equal((await a.post('/apply/logout').type('form').send({})).status, 403);
  });

  it('never answers 500 to operators or arrays in query strings and bodies', async () => {
    for (const p of [
      '/apply/new?kind[$ne]=x',
      '/apply/new?kind=time_honored&kind=famous',
      '/apply/verify?token[$gt]=',
      '/apply/login?next[$ne]=1',
      `/apply/applications/${appId}?done[$ne]=1`,
      '/apply/applications/%24ne',
      `/apply/applications/${appId}/files/%7B%22%24ne%22%3A1%7D`,
    ]) {
      const res = await a.get(p);
      assert.ok(res.status < 500, `${p} → ${res.status}`);
    }
    const token = await csrf(a, '/apply/register');
    const odd = await request(app()).post('/apply/verify').type('form').send('token[$ne]=1');
    assert.ok(odd.status < 500);
    const login = await a.post('/apply/login').type('form').send(`_csrf=${token}&email[$ne]=x&password[$ne]=y`);
    assert.equal(login.status, 401);
  });

  it('renders the form of every kind, in Chinese and English', async () => {
    const acct = (await Enterprise.findOne({ email: emailA }).lean())!;
    const owner = { id: String(acct._id), email: acct.email, company: acct.company, creditCode: acct.creditCode };
    for (const [kind, target, slot] of [
      ['time_honored', '中华老字号', '历史沿革证明'],
      ['certification', '武汉精品', '产品检验报告'],
      ['directory', '', '商标注册证'],
      ['famous', '', '商标注册证'],
    ] as const) {
      const made = await createApplication(testContext().auditTrail, owner, kind, target);
      const zh = await a.get(`/apply/applications/${made._id}`);
      assert.equal(zh.status, 200, `${kind}: ${zh.status}`);
      assert.match(zh.text, new RegExp(slot));
      assert.match(zh.text, /营业执照/);
      const en = await a.get(`/apply/applications/${made._id}?lang=en`);
      assert.equal(en.status, 200);
      assert.match(en.text, /Business licence/);
      const chooser = await a.get(`/apply/new?kind=${kind}&lang=en`);
      assert.equal(chooser.status, 200);
    }
    await assert.rejects(createApplication(testContext().auditTrail, owner, 'time_honored', '不存在的级别'), /target/);
    const dash = await a.get('/apply?lang=en');
    assert.equal(dash.status, 200);
    assert.match(dash.text, /Draft/);
  });

  it('withdraws an application, and signs out', async () => {
    const now = await current();
    const page = await a.get(appPath());
    const res = await a
      .post(`${appPath()}/withdraw`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), version: String(now.version) });
    assert.equal(res.status, 303);
    assert.equal((await current()).status, 'withdrawn');
    assert.ok(await AuditEvent.findOne({ action: 'application_withdrawn', subject: `application:${appId}` }).lean());
    const tok10 = await csrf(a, '/apply');
    const out = await a.post('/apply/logout').type('form').send({ _csrf: tok10 });
    assert.equal(out.status, 303);
    assert.equal((await a.get('/apply')).status, 303);
  });
});
