/**
 * Back-office accounts and their security: sign-in and the redirect for signed-out visitors, the
 * lockout, the login rate limit, CSRF tokens and the origin check, roles, disabling an account,
 * changing a password, the session cookie and where sessions are kept, and the audit events.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import mongoose from 'mongoose';
import request from 'supertest';
import { User } from '../src/accounts/model.js';
import { AuditEvent } from '../src/audit/index.js';
import { SIGN_IN_THROTTLE_COLLECTION } from '../src/accounts/service.js';
import { MongoRateLimitStore, RATE_LIMIT_COLLECTION } from '../src/platform/rate-limit.js';
import { createTestUser, csrfFrom, loginAs, signIn, testEmail } from './support/admin.js';
import { testContext } from './support/context.js';
import { assertNoStackTrace } from './support/helpers.js';

const app = () => testContext().app;
const cookiesOf = (res: request.Response): string[] => {
  const raw = res.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
};
const sessionCookie = (res: request.Response) => cookiesOf(res).find((c) => c.startsWith('wbr.sid='));

/** GET the sign-in page with a fresh agent; returns the agent and the form's token. */
async function loginForm(target = app(), path = '/admin/login') {
  const agent = request.agent(target);
  const res = await agent.get(path);
  assert.equal(res.status, 200);
  return { agent, token: csrfFrom(res.text), res };
}

async function attempt(target: ReturnType<typeof app>, email: string, password: string) {
  const { agent, token } = await loginForm(target);
  return agent.post('/admin/login').type('form').send({ _csrf: token, email, password });
}

const events = (action: string, subject: string) => AuditEvent.find({ action, subject }).sort({ _id: 1 }).lean();

/** The back-off state of an (e-mail, source) pair; supertest's requests come from 127.0.0.1. */
const pairs = () => mongoose.connection.db!.collection<{ _id: string; failures: number; locks: number; lockedUntil: Date | null }>(SIGN_IN_THROTTLE_COLLECTION);
const localPair = (email: string) => `pair:${email}|127.0.0.1`;

describe('back office: signing in', () => {
  it('when a signed-out visitor opens back-office pages, then each redirects (303) to the sign-in page with a safe next and sets no cookie', async () => {
    for (const path of ['/admin', '/admin/', '/admin/users', '/admin/account', '/admin/directory', '/admin/audit?page=2', '/admin/no-such-page']) {
      const res = await request(app()).get(path);
      assert.equal(res.status, 303, `${path} → ${res.status}`);
      const location = new URL(res.headers.location ?? '', 'http://x.invalid');
      assert.equal(location.pathname, '/admin/login', path);
      assert.equal(location.searchParams.get('next'), path === '/admin/' ? '/admin/' : path);
      assert.equal(sessionCookie(res), undefined, `${path} sets no session cookie`);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-robots-tag'], 'noindex, nofollow');
    }
  });

  it('when the sign-in page is opened, then it has labelled e-mail and password fields, a CSRF token and an HttpOnly SameSite=Lax cookie on /admin', async () => {
    const { res } = await loginForm();
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text().trim(), '登录管理后台');
    for (const name of ['email', 'password']) {
      const id = $(`form input[name="${name}"]`).attr('id');
      assert.ok(id, `${name} has an id`);
      assert.equal($(`label[for="${id}"]`).length, 1, `${name} has a label`);
    }
    assert.equal($('form').attr('method'), 'post');
    const cookie = sessionCookie(res);
    assert.ok(cookie, 'the sign-in page starts a session (for its CSRF token)');
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
    assert.match(cookie, /;\s*Path=\/admin(;|$)/i);
    assert.doesNotMatch(cookie, /;\s*Secure/i, 'not Secure outside production');
    const en = await request(app()).get('/admin/login?lang=en');
    assert.equal(cheerio.load(en.text)('h1').text().trim(), 'Sign in to the back office');
  });

  it('when the right password is given, then 303 to /admin, the overview shows the registries, and the session is stored in MongoDB', async () => {
    const { user, password } = await createTestUser('viewer');
    const { agent, token, res: page } = await loginForm();
    const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: user.email.toUpperCase(), password });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin');
    const before = sessionCookie(page)!.split(';')[0];
    const after = sessionCookie(res)?.split(';')[0];
    assert.ok(after && after !== before, 'a new session id at sign-in (no session fixation)');
    const home = await agent.get('/admin');
    assert.equal(home.status, 200);
    const $ = cheerio.load(home.text);
    assert.equal($('h1').text().trim(), '概览');
    assert.equal($('a.count-card').length, 4);
    assert.ok(Number($('a.count-card.kind-directory .count-n').text()) > 0);
    assert.match($('.admin-user .who').text(), new RegExp(user.email.replace(/[.]/g, '\\.')));
    const sessions = await mongoose.connection.collection('sessions').find({ 'session.userId': user.id }).toArray();
    assert.equal(sessions.length, 1, 'one stored session for this user');
    assert.ok(sessions[0]!.expires instanceof Date && sessions[0]!.expires.getTime() > Date.now());
  });

  it('when the password is wrong or the e-mail unknown, then the same 401 message, the e-mail kept and no password echoed', async () => {
    const { user } = await createTestUser('editor');
    const wrong = await attempt(app(), user.email, 'definitely-not-it');
    const unknown = await attempt(app(), testEmail('nobody'), 'definitely-not-it');
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      const $ = cheerio.load(res.text);
      assert.match($('#login-error').text(), /邮箱或密码不正确/);
      assert.equal($('input[name="password"]').attr('value'), undefined, 'password not echoed');
      assert.ok(!res.text.includes('definitely-not-it'));
    }
    assert.equal(cheerio.load(wrong.text)('input[name="email"]').val(), user.email);
    assert.equal(cheerio.load(wrong.text)('#login-error').text(), cheerio.load(unknown.text)('#login-error').text());
    const failed = await events('login_failed', user.email);
    assert.equal(failed.at(-1)?.detail.reason, 'bad_password');
  });

  it('when fields are missing or sent as arrays, then 400 with a message beside the field, never a 500', async () => {
    const { agent, token } = await loginForm();
    const empty = await agent.post('/admin/login').type('form').send({ _csrf: token, email: '', password: '' });
    assert.equal(empty.status, 400);
    const $ = cheerio.load(empty.text);
    assert.match($('#login-email-error').text(), /请填写邮箱/);
    assert.match($('#login-password-error').text(), /请填写密码/);
    const arrays = await agent.post('/admin/login').type('form').send(`_csrf=${token}&email=a%40b.cn&email=c%40d.cn&password=x`);
    assert.equal(arrays.status, 400);
    assertNoStackTrace(arrays.text);
    const operator = await agent.post('/admin/login').type('form').send(`_csrf=${token}&email[$ne]=x&password[$ne]=x`);
    assert.equal(operator.status, 400);
  });

  it('when next points off the back office, then sign-in ignores it; a back-office next is followed', async () => {
    const { user, password } = await createTestUser('viewer');
    for (const next of [
      '//evil.example/admin',
      'https://evil.example/admin',
      '/\\evil.example',
      '/admin/../search',
      'javascript:alert(1)',
      '/admin/login',
      '/search',
    ]) {
      const { agent, token, res: page } = await loginForm(app(), `/admin/login?next=${encodeURIComponent(next)}`);
      assert.equal(cheerio.load(page.text)('input[name="next"]').length, 0, `${next} is not kept in the form`);
      const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: user.email, password, next });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/admin', `next=${next}`);
    }
    const { agent, token } = await loginForm(app(), '/admin/login?next=%2Fadmin%2Faccount');
    const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: user.email, password, next: '/admin/account' });
    assert.equal(res.headers.location, '/admin/account');
  });

  it('when an account is created, then its password is stored as an argon2id hash and nowhere in clear', async () => {
    const { user, password } = await createTestUser('viewer');
    const doc = await User.findById(user.id).lean();
    const [, algorithm, version, params, salt, hash] = doc!.passwordHash.split('$');
    assert.equal(algorithm, 'argon2id');
    assert.equal(version, 'v=19');
    assert.deepEqual(params!.split(',').sort(), ['m=19456', 'p=1', 't=2']);
    assert.ok(salt!.length >= 22 && hash!.length >= 43, 'a 16-byte salt and a 32-byte hash');
    assert.ok(!JSON.stringify(doc).includes(password));
  });
});

describe('back office: lockout and rate limit', () => {
  it('when N wrong passwords in a row from one address, then even the right one is refused from it, with when to try again, until the back-off ends', async () => {
    const locking = testContext().makeApp({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_MINUTES: 15, RATE_LIMIT_LOGIN_PER_15MIN: 10_000 });
    const { user, password } = await createTestUser('editor');
    for (let i = 0; i < 2; i++) assert.equal((await attempt(locking, user.email, `wrong-password-${i}`)).status, 401);
    const third = await attempt(locking, user.email, 'wrong-password-2');
    assert.equal(third.status, 401);
    assert.match(cheerio.load(third.text)('#login-error').text(), /登录已暂停。请在约 15 分钟后/);
    const locked = await pairs().findOne({ _id: localPair(user.email) });
    assert.ok(locked?.lockedUntil && locked.lockedUntil.getTime() > Date.now() + 14 * 60_000, 'this address is backed off for 15 minutes');
    const refused = await attempt(locking, user.email, password);
    assert.equal(refused.status, 401, 'the right password is not judged from a backed-off address');
    assert.match(cheerio.load(refused.text)('#login-error').text(), /登录已暂停.*请在约 1[45] 分钟后.*再试/);
    assert.equal((await events('login_failed', user.email)).at(-1)?.detail.reason, 'locked');
    // The back-off ends: put its end in the past instead of waiting 15 minutes.
    await pairs().updateOne({ _id: localPair(user.email) }, { $set: { lockedUntil: new Date(Date.now() - 1000) } });
    assert.equal((await attempt(locking, user.email, password)).status, 303);
    assert.equal(await pairs().findOne({ _id: localPair(user.email) }), null, 'a success forgets the pair');
  });

  it('when parallel wrong passwords arrive at once, then every one is counted and the account locks', async () => {
    const locking = testContext().makeApp({ LOGIN_MAX_FAILURES: 5, RATE_LIMIT_LOGIN_PER_15MIN: 10_000 });
    const { user } = await createTestUser('editor');
    const forms = await Promise.all(Array.from({ length: 5 }, () => loginForm(locking)));
    await Promise.all(
      forms.map(({ agent, token }, i) =>
        agent
          .post('/admin/login')
          .type('form')
          .send({ _csrf: token, email: user.email, password: `parallel-${i}` }),
      ),
    );
    const doc = await pairs().findOne({ _id: localPair(user.email) });
    assert.ok(doc?.lockedUntil && doc.lockedUntil.getTime() > Date.now(), 'backed off after 5 parallel failures');
  });

  it('when more parallel guesses arrive than the limit allows, then only the limit is judged on the password and the rest are refused as locked', async () => {
    const locking = testContext().makeApp({ LOGIN_MAX_FAILURES: 3, RATE_LIMIT_LOGIN_PER_15MIN: 10_000 });
    const { user } = await createTestUser('editor');
    const forms = await Promise.all(Array.from({ length: 8 }, () => loginForm(locking)));
    const answers = await Promise.all(
      forms.map(({ agent, token }, i) =>
        agent
          .post('/admin/login')
          .type('form')
          .send({ _csrf: token, email: user.email, password: `burst-guess-${i}` }),
      ),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(8).fill(401),
    );
    const reasons = (await events('login_failed', user.email)).map((e) => e.detail.reason).sort();
    assert.deepEqual(reasons, [...Array(3).fill('bad_password'), ...Array(5).fill('locked')]);
  });

  it('when a client exceeds the failed sign-ins per 15 minutes, then 429 with a page for the account it failed for, and successful sign-ins do not count', async () => {
    const limited = testContext().makeApp({ RATE_LIMIT_LOGIN_PER_15MIN: 2, LOGIN_MAX_FAILURES: 100 });
    const { user, password } = await createTestUser('viewer');
    // The count is kept per clock-aligned 15-minute window: start well inside one.
    const left = 15 * 60_000 - (Date.now() % (15 * 60_000));
    if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    for (let i = 0; i < 3; i++) await signIn(limited, user.email, password);
    assert.equal((await attempt(limited, user.email, 'wrong-one-1')).status, 401);
    assert.equal((await attempt(limited, user.email, 'wrong-one-2')).status, 401);
    const res = await attempt(limited, user.email, password);
    assert.equal(res.status, 429);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(res.headers.ratelimit, 'RateLimit header');
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text().trim(), '请求过于频繁');
    assert.match($('main').text(), /登录尝试过于频繁/);
    // Counted in MongoDB at every failure (so every instance sees it): the two failures and the
    // refused attempt; the successful sign-ins gave their hits back.
    const counters = await mongoose.connection
      .db!.collection<{ _id: string; hits: number }>(RATE_LIMIT_COLLECTION)
      .find({ _id: { $regex: '^login:2/900000:' } })
      .toArray();
    assert.deepEqual(
      counters.map((c) => c.hits),
      [3],
    );
  });

  it('when 20 increments of one key run at once, then the MongoDB store counts all 20 and a decrement gives one back (FerretDB loses concurrent $inc otherwise)', async () => {
    const store = new MongoRateLimitStore(`test-${Date.now()}:`);
    store.init({ windowMs: 60_000 } as never);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.increment('10.0.0.1')));
    assert.deepEqual(
      results.map((r) => r.totalHits).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal((await store.get('10.0.0.1'))?.totalHits, 20);
    await store.decrement('10.0.0.1');
    assert.equal((await store.get('10.0.0.1'))?.totalHits, 19);
    await store.resetKey('10.0.0.1');
    assert.equal(await store.get('10.0.0.1'), undefined);
  });
});

describe('back office: CSRF and origin checks', () => {
  it('when an admin action is posted without a token or with a forged one, then 403 and nothing changes', async () => {
    const { agent } = await loginAs('admin');
    const email = testEmail('csrf');
    const body = { email, name: '伪造', role: 'admin', password: 'a-long-enough-password' };
    const missing = await agent.post('/admin/users').type('form').send(body);
    const forged = await agent
      .post('/admin/users')
      .type('form')
      .send({ ...body, _csrf: 'f'.repeat(64) });
    const header = await agent.post('/admin/users').set('x-csrf-token', 'nope').type('form').send(body);
    for (const res of [missing, forged, header]) {
      assert.equal(res.status, 403);
      assert.match(cheerio.load(res.text)('main').text(), /页面已过期或请求来源不可信/);
    }
    assert.equal(await User.countDocuments({ email }), 0);
  });

  it('when a token from another session is used, then 403', async () => {
    const a = await loginAs('admin');
    const b = await loginAs('admin');
    const tokenOfB = await b.csrf('/admin/users');
    const res = await a.agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: tokenOfB, email: testEmail('x'), role: 'viewer', password: 'a-long-enough-password' });
    assert.equal(res.status, 403);
  });

  it("when a valid token comes with a foreign Origin or Referer, then 403; this site's origin passes", async () => {
    const { agent, csrf, user, password } = await loginAs('viewer');
    const token = await csrf('/admin/account');
    const change = { _csrf: token, currentPassword: password, newPassword: 'new-password-over-12', confirmPassword: 'new-password-over-12' };
    for (const [name, value] of [
      ['Origin', 'https://evil.example'],
      ['Origin', 'null'],
      ['Referer', 'https://evil.example/page'],
      ['Referer', 'not a url'],
    ] as const) {
      const res = await agent.post('/admin/account').set(name, value).type('form').send(change);
      assert.equal(res.status, 403, `${name}: ${value}`);
    }
    await signIn(app(), user.email, password); // the password did not change
    const own = await agent.post('/admin/account').set('Origin', 'http://localhost:3000').type('form').send(change);
    assert.equal(own.status, 303, 'PUBLIC_BASE_URL is trusted');
  });

  it('when the token is sent in the x-csrf-token header, then it is accepted', async () => {
    const { agent, csrf } = await loginAs('viewer');
    const res = await agent.post('/admin/logout').set('x-csrf-token', await csrf('/admin/account'));
    assert.equal(res.status, 303);
  });
});

describe('back office: roles and accounts', () => {
  it('when a viewer or editor opens the accounts page or posts account actions, then 403 and nothing changes', async () => {
    const target = await createTestUser('viewer');
    for (const role of ['viewer', 'editor'] as const) {
      const { agent, csrf } = await loginAs(role);
      assert.equal((await agent.get('/admin/users')).status, 403);
      const token = await csrf('/admin/account');
      const email = testEmail('viewer-made');
      const posts = [
        agent.post('/admin/users').type('form').send({ _csrf: token, email, role: 'admin', password: 'a-long-enough-password' }),
        agent.post(`/admin/users/${target.user.id}/role`).type('form').send({ _csrf: token, role: 'admin' }),
        agent.post(`/admin/users/${target.user.id}/disabled`).type('form').send({ _csrf: token, disabled: '1' }),
      ];
      for (const res of await Promise.all(posts)) assert.equal(res.status, 403);
      assert.equal(await User.countDocuments({ email }), 0);
      const doc = await User.findById(target.user.id).lean();
      assert.equal(doc!.role, 'viewer');
      assert.equal(doc!.disabled, false);
      const $ = cheerio.load((await agent.get('/admin')).text);
      assert.equal($('nav a[href="/admin/users"]').length, 0, 'no link to a page they may not open');
    }
  });

  it('when an admin creates an account with a bad e-mail and short password, then 400 with messages beside the fields and what was typed kept (not the password)', async () => {
    const { agent, csrf } = await loginAs('admin');
    const res = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: await csrf('/admin/users'), email: 'not-an-email', name: '王小明', role: 'editor', password: 'short' });
    assert.equal(res.status, 400);
    const $ = cheerio.load(res.text);
    assert.match($('#new-email-error').text(), /邮箱格式不正确/);
    assert.match($('#new-password-error').text(), /至少需要12个字符/);
    assert.equal($('#new-email').val(), 'not-an-email');
    assert.equal($('#new-name').val(), '王小明');
    assert.equal($('#new-role option[selected]').val(), 'editor');
    assert.equal($('#new-password').attr('value'), undefined);
  });

  it('when an admin creates an account, changes its role and disables it, then each takes effect, is audited, and the disabled session stops at once', async () => {
    const admin = await loginAs('admin');
    const email = testEmail('made-by-admin');
    const created = await admin.agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: await admin.csrf('/admin/users'), email, name: '李编辑', role: 'viewer', password: 'initial-password-1' });
    assert.equal(created.status, 303);
    const list = await admin.agent.get('/admin/users');
    const $ = cheerio.load(list.text);
    assert.match($('.flash').text(), new RegExp(`已创建账户`));
    const row = $(`tr[data-user="${email}"]`);
    assert.equal(row.length, 1);
    const id = String((await User.findOne({ email }).lean())!._id);

    const member = await signIn(app(), email, 'initial-password-1');
    assert.equal((await member.get('/admin')).status, 200);

    const token = await admin.csrf('/admin/users');
    assert.equal((await admin.agent.post(`/admin/users/${id}/role`).type('form').send({ _csrf: token, role: 'editor' })).status, 303);
    assert.equal((await User.findById(id).lean())!.role, 'editor');
    assert.match(
      cheerio
        .load((await member.get('/admin')).text)('.admin-user .who')
        .text(),
      /编辑/,
      'the new role shows at the next request',
    );

    assert.equal((await admin.agent.post(`/admin/users/${id}/disabled`).type('form').send({ _csrf: token, disabled: '1' })).status, 303);
    const after = await member.get('/admin');
    assert.equal(after.status, 303, "the disabled account's session no longer works");
    assert.match(after.headers.location ?? '', /^\/admin\/login/);
    assert.equal((await attempt(app(), email, 'initial-password-1')).status, 401);
    assert.equal((await events('login_failed', email)).at(-1)?.detail.reason, 'disabled');

    const audit = await AuditEvent.find({ subject: email }).sort({ _id: 1 }).lean();
    assert.deepEqual(
      audit.map((e) => e.action),
      ['account_create', 'login', 'account_update', 'account_update', 'login_failed'],
    );
    assert.equal(audit[0]!.actor, admin.user.email);
    assert.deepEqual(audit[2]!.detail, { field: 'role', before: 'viewer', after: 'editor' });
    assert.deepEqual(audit[3]!.detail, { field: 'disabled', before: false, after: true });
  });

  it('when an admin tries to disable themselves or change their own role, then 400 and nothing changes', async () => {
    const { agent, csrf, user } = await loginAs('admin');
    const token = await csrf('/admin/users');
    assert.equal((await agent.post(`/admin/users/${user.id}/disabled`).type('form').send({ _csrf: token, disabled: '1' })).status, 400);
    assert.equal((await agent.post(`/admin/users/${user.id}/role`).type('form').send({ _csrf: token, role: 'viewer' })).status, 400);
    const doc = await User.findById(user.id).lean();
    assert.equal(doc!.disabled, false);
    assert.equal(doc!.role, 'admin');
    assert.equal((await agent.post('/admin/users/not-an-id/role').type('form').send({ _csrf: token, role: 'viewer' })).status, 404);
  });
});

describe('back office: own account and sign-out', () => {
  it('when a user changes their password, then the new one works, the old one does not, and their other sessions end', async () => {
    const { agent, csrf, user, password } = await loginAs('editor');
    const other = await signIn(app(), user.email, password);
    const token = await csrf('/admin/account');

    const wrong = await agent
      .post('/admin/account')
      .type('form')
      .send({ _csrf: token, currentPassword: 'not-the-password', newPassword: 'short', confirmPassword: 'short' });
    assert.equal(wrong.status, 400);
    const $w = cheerio.load(wrong.text);
    assert.match($w('#current-password-error').text(), /当前密码不正确/);
    assert.match($w('#new-password-error').text(), /至少需要12个字符/);
    assert.equal($w('input[type="password"][value]').length, 0, 'no password echoed');
    const asEmail = await agent
      .post('/admin/account')
      .type('form')
      .send({ _csrf: token, currentPassword: password, newPassword: user.email, confirmPassword: user.email });
    assert.match(cheerio.load(asEmail.text)('#new-password-error').text(), /不能与邮箱相同/);
    const mismatch = await agent
      .post('/admin/account')
      .type('form')
      .send({ _csrf: token, currentPassword: password, newPassword: 'a-brand-new-password', confirmPassword: 'a-different-one-x' });
    assert.match(cheerio.load(mismatch.text)('#confirm-password-error').text(), /不一致/);

    const ok = await agent
      .post('/admin/account')
      .type('form')
      .send({ _csrf: token, currentPassword: password, newPassword: 'a-brand-new-password', confirmPassword: 'a-brand-new-password' });
    assert.equal(ok.status, 303);
    const page = await agent.get('/admin/account');
    assert.equal(page.status, 200, 'this session continues');
    assert.match(cheerio.load(page.text)('.flash').text(), /密码已修改/);
    assert.equal((await other.get('/admin')).status, 303, 'the other session ended');
    assert.equal((await attempt(app(), user.email, password)).status, 401);
    await signIn(app(), user.email, 'a-brand-new-password');
    assert.equal((await events('password_change', user.email)).length, 1);
  });

  it('when a user signs out, then the session is deleted, the cookie cleared, and the old cookie no longer works', async () => {
    const { agent, csrf, user } = await loginAs('viewer');
    const before = await mongoose.connection.collection('sessions').countDocuments({ 'session.userId': user.id });
    assert.equal(before, 1);
    const res = await agent
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: await csrf('/admin') });
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', /^\/admin\/login\?bye=1/);
    assert.match(sessionCookie(res) ?? '', /Expires=Thu, 01 Jan 1970/);
    assert.equal(await mongoose.connection.collection('sessions').countDocuments({ 'session.userId': user.id }), 0);
    assert.equal((await agent.get('/admin')).status, 303);
    assert.equal((await events('logout', user.email)).length, 1);
    assert.equal((await events('login', user.email)).length, 1);
  });
});

describe('back office: cookies in production and public pages', () => {
  it('when NODE_ENV is production behind a TLS proxy, then the session cookie is Secure, HttpOnly and SameSite=Lax', async () => {
    const prod = testContext().makeApp({ NODE_ENV: 'production', SESSION_SECRET: 'a'.repeat(40), TRUST_PROXY: true });
    const res = await request(prod).get('/admin/login').set('X-Forwarded-Proto', 'https');
    const cookie = sessionCookie(res);
    assert.ok(cookie);
    assert.match(cookie, /;\s*Secure/i);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
  });

  it('when public pages are opened, then none sets a cookie', async () => {
    for (const path of ['/', `/search?q=${encodeURIComponent('热干面')}`, '/directory', '/verify', '/brands/cailinji', '/no-such-page', '/api/v1/search?q=x']) {
      const res = await request(app()).get(path);
      assert.equal(cookiesOf(res).length, 0, `${path} sets no cookie`);
    }
  });
});
