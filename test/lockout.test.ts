/**
 * The sign-in back-off (docs/decisions/0011): failures are counted per (account, source) pair, so
 * an attacker re-sending wrong passwords locks out only its own address, with a back-off that
 * doubles; the per-address limit never refuses a colleague's correct password; an administrator
 * lifts every lock of an account; unknown and known e-mails are backed off alike.
 *
 * Sources are simulated with X-Forwarded-For on apps built with TRUST_PROXY (Express's `req.ip`
 * is then the forwarded address); the growth of the back-off is checked on the service with an
 * injected clock.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { AuditEvent } from '../src/audit/index.js';
import { authenticate, SIGN_IN_THROTTLE_COLLECTION, type LockoutPolicy } from '../src/accounts/service.js';
import { RATE_LIMIT_COLLECTION } from '../src/platform/rate-limit.js';
import { createTestUser, csrfFrom, loginAs, testEmail } from './support/admin.js';
import { testContext } from './support/context.js';

const MINUTE = 60_000;

/** A fresh address from the documentation ranges, different in every call. */
const address = () => `198.51.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 254)}`;

/** Posts the sign-in form from `source` (X-Forwarded-For); `lang` 'en' posts to the English form. */
async function attemptFrom(app: Express, source: string, email: string, password: string, lang: 'zh' | 'en' = 'zh') {
  const agent = request.agent(app);
  const page = await agent.get(lang === 'en' ? '/admin/login?lang=en' : '/admin/login').set('X-Forwarded-For', source);
  assert.equal(page.status, 200);
  return agent
    .post(lang === 'en' ? '/admin/login?lang=en' : '/admin/login')
    .set('X-Forwarded-For', source)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password });
}

const errorText = (res: request.Response) => cheerio.load(res.text)('#login-error').text().trim();
const isLockedPage = (res: request.Response) => cheerio.load(res.text)('#login-error[data-locked]').length === 1;

interface PairState {
  _id: string;
  failures: number;
  locks: number;
  lockedUntil: Date | null;
}
const throttle = () => mongoose.connection.db!.collection<PairState>(SIGN_IN_THROTTLE_COLLECTION);
const pairOf = (email: string, source: string) => throttle().findOne({ _id: `pair:${email}|${source}` });
/** Ends the pair's back-off now, as if its period had passed. */
const endBackoff = (email: string, source: string) =>
  throttle().updateOne({ _id: `pair:${email}|${source}` }, { $set: { lockedUntil: new Date(Date.now() - 1000) } });

const events = (action: string, subject: string) => AuditEvent.find({ action, subject }).sort({ _id: 1 }).lean();

/** The clock-aligned 15-minute window of the address limit: start well inside one. */
async function insideAddressWindow() {
  const left = 15 * MINUTE - (Date.now() % (15 * MINUTE));
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

describe('sign-in lockout: per account and source', () => {
  it('when an attacker keeps re-sending wrong passwords every lock period, then the victim signing in from another address succeeds every time', async () => {
    const app = testContext().makeApp({ TRUST_PROXY: true, LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_MINUTES: 15 });
    const { user, password } = await createTestUser('editor');
    const attacker = address();
    const victim = address();
    for (let round = 0; round < 4; round++) {
      // The first round spends the attacker's tries; each later round starts when its lock ends.
      const tries = round === 0 ? 3 : 1;
      for (let i = 0; i < tries; i++) {
        const res = await attemptFrom(app, attacker, user.email, `wrong-${round}-${i}`);
        assert.equal(res.status, 401);
      }
      const pair = await pairOf(user.email, attacker);
      assert.ok(pair?.lockedUntil && pair.lockedUntil.getTime() > Date.now(), `round ${round}: the attacker's address is backed off`);
      assert.equal(pair.locks, round + 1);
      // Even the right password is refused from the attacker's address while it is backed off…
      const refused = await attemptFrom(app, attacker, user.email, password);
      assert.equal(refused.status, 401);
      assert.ok(isLockedPage(refused));
      // …and the victim, from another address, gets in at once.
      const ok = await attemptFrom(app, victim, user.email, password);
      assert.equal(ok.status, 303, `round ${round}: the victim signs in`);
      assert.equal(ok.headers.location, '/admin');
      await endBackoff(user.email, attacker);
    }
    assert.equal((await events('login', user.email)).length, 4, 'four successful sign-ins of the victim');
    assert.equal((await events('login_lockout', user.email)).length, 4, 'every back-off of the attacker is audited');
  });

  it('when the attacking pair keeps failing, then each back-off is twice as long as the one before, up to the cap', async () => {
    const policy: LockoutPolicy = { maxFailures: 3, lockMinutes: 1, maxLockMinutes: 8, accountFailuresPerHour: 10_000, knownSourceDays: 30 };
    const audit = testContext().auditTrail;
    const { user, password } = await createTestUser('viewer');
    const attacker = address();
    let now = new Date();
    const tick = (ms: number) => (now = new Date(now.getTime() + ms));

    for (let i = 0; i < 2; i++) {
      const r = await authenticate(audit, user.email, `wrong-${i}`, now, policy, { source: attacker });
      assert.deepEqual(r, { ok: false, reason: 'bad_password' }, 'no back-off before the threshold');
    }
    const durations: number[] = [];
    for (let lock = 0; lock < 5; lock++) {
      const started = now;
      const r = await authenticate(audit, user.email, `wrong-lock-${lock}`, now, policy, { source: attacker });
      assert.ok(!r.ok && r.reason === 'bad_password' && r.retryAt, `failure ${lock + 3} backs the pair off`);
      durations.push(r.retryAt.getTime() - started.getTime());
      // During the back-off the password is not judged: the right one is refused too.
      tick(durations.at(-1)! - 1000);
      const during = await authenticate(audit, user.email, password, now, policy, { source: attacker });
      assert.ok(!during.ok && during.reason === 'locked');
      assert.equal(during.retryAt?.getTime(), r.retryAt.getTime());
      // Another address is not affected at any time.
      const other = await authenticate(audit, user.email, password, now, policy, { source: address() });
      assert.equal(other.ok, true);
      tick(2000); // the back-off has ended
    }
    assert.deepEqual(
      durations.map((d) => d / MINUTE),
      [1, 2, 4, 8, 8],
    );
    const lockouts = (await events('login_lockout', user.email)).map((e) => e.detail);
    assert.deepEqual(
      lockouts.map((d) => [d.scope, d.source, d.lock, d.minutes]),
      [1, 2, 4, 8, 8].map((m, i) => ['pair', attacker, i + 1, m]),
    );
    // After the last back-off the right password from the attacker's address works and is forgotten.
    assert.equal((await authenticate(audit, user.email, password, now, policy, { source: attacker })).ok, true);
    assert.equal(await pairOf(user.email, attacker), null);
  });

  it('when a shared office address is over its limit of failures, then a colleague who never failed from it still signs in; the accounts it failed for get 429', async () => {
    const app = testContext().makeApp({ TRUST_PROXY: true, RATE_LIMIT_LOGIN_PER_15MIN: 3, LOGIN_MAX_FAILURES: 5 });
    const a = await createTestUser('editor');
    const b = await createTestUser('viewer');
    const colleague = await createTestUser('viewer');
    const office = address();
    await insideAddressWindow();
    assert.equal((await attemptFrom(app, office, a.user.email, 'wrong-password-a')).status, 401);
    assert.equal((await attemptFrom(app, office, testEmail('typo'), 'whatever-password')).status, 401);
    assert.equal((await attemptFrom(app, office, testEmail('typo'), 'whatever-password')).status, 401);

    // Over the limit now: a colleague who never failed from here still gets in, every time.
    for (let i = 0; i < 2; i++) {
      const ok = await attemptFrom(app, office, colleague.user.email, colleague.password);
      assert.equal(ok.status, 303, 'a correct password from the limited address');
    }
    // An account this address failed for is refused, even with the right password.
    const refused = await attemptFrom(app, office, a.user.email, a.password);
    assert.equal(refused.status, 429);
    assert.ok(refused.headers['retry-after'], 'Retry-After');
    assert.ok(refused.headers.ratelimit, 'RateLimit header');
    assert.match(cheerio.load(refused.text)('main').text(), /登录尝试过于频繁/);
    assert.equal((await events('login_failed', a.user.email)).at(-1)?.detail.reason, 'rate_limited');
    // A fresh guess from here is judged once, counted and slowed down: 429; then not judged again.
    assert.equal((await attemptFrom(app, office, b.user.email, 'wrong-password-b')).status, 429);
    assert.equal((await attemptFrom(app, office, b.user.email, b.password)).status, 429);
    // From another address the same accounts are fine.
    assert.equal((await attemptFrom(app, address(), a.user.email, a.password)).status, 303);
    assert.equal((await attemptFrom(app, address(), b.user.email, b.password)).status, 303);

    const counters = await mongoose.connection
      .db!.collection<{ _id: string; hits: number }>(RATE_LIMIT_COLLECTION)
      .find({ _id: { $regex: `^login:3/900000:${office.replace(/\./g, '\\.')}@` } })
      .toArray();
    assert.deepEqual(
      counters.map((c) => c.hits),
      [6],
      'the failures are counted (3 before the limit, 3 refused), the successes are not',
    );
  });

  it('when an admin unlocks an account, then every lock of it is lifted and audited; an editor gets 403; the action shows only for a locked account', async () => {
    const app = testContext().makeApp({ TRUST_PROXY: true, LOGIN_MAX_FAILURES: 2 });
    const target = await createTestUser('viewer');
    const bystander = await createTestUser('viewer');
    const [src1, src2] = [address(), address()];
    for (const src of [src1, src2]) {
      assert.equal((await attemptFrom(app, src, target.user.email, 'wrong-password-1')).status, 401);
      const locking = await attemptFrom(app, src, target.user.email, 'wrong-password-2');
      assert.ok(isLockedPage(locking), 'the failure that reaches the threshold says when to try again');
    }
    assert.ok(isLockedPage(await attemptFrom(app, src1, target.user.email, target.password)));

    const admin = await loginAs('admin', { app });
    const page = cheerio.load((await admin.agent.get('/admin/users')).text);
    const row = page(`tr[data-user="${target.user.email}"]`);
    assert.match(row.text(), /暂时锁定/);
    assert.equal(row.find('form[data-action="unlock"]').attr('action'), `/admin/users/${target.user.id}/unlock`);
    assert.match(row.find('form[data-action="unlock"] button').text(), /解除锁定/);
    assert.equal(row.find('form[data-action="unlock"] input[name="_csrf"]').length, 1);
    assert.equal(page(`tr[data-user="${bystander.user.email}"] form[data-action="unlock"]`).length, 0, 'no unlock for an account without a lock');

    const editor = await loginAs('editor', { app });
    const forbidden = await editor.agent
      .post(`/admin/users/${target.user.id}/unlock`)
      .type('form')
      .send({ _csrf: await editor.csrf('/admin/account') });
    assert.equal(forbidden.status, 403);
    assert.ok(isLockedPage(await attemptFrom(app, src1, target.user.email, target.password)), 'still locked');
    const noToken = await admin.agent.post(`/admin/users/${target.user.id}/unlock`).type('form').send({});
    assert.equal(noToken.status, 403, 'the CSRF token is required');

    const unlocked = await admin.agent
      .post(`/admin/users/${target.user.id}/unlock`)
      .type('form')
      .send({ _csrf: await admin.csrf('/admin/users') });
    assert.equal(unlocked.status, 303);
    const after = cheerio.load((await admin.agent.get('/admin/users')).text);
    assert.match(after('.flash').text(), /已解除账户.*登录锁定/);
    assert.equal(after(`tr[data-user="${target.user.email}"] form[data-action="unlock"]`).length, 0);
    for (const src of [src1, src2]) assert.equal((await attemptFrom(app, src, target.user.email, target.password)).status, 303);

    const unlocks = await events('account_unlock', target.user.email);
    assert.equal(unlocks.length, 1);
    assert.equal(unlocks[0]!.actor, admin.user.email);
    assert.deepEqual([...(unlocks[0]!.detail.sources as string[])].sort(), [src1, src2].sort());
    const lockouts = await events('login_lockout', target.user.email);
    assert.deepEqual(lockouts.map((e) => e.detail.source).sort(), [src1, src2].sort());
  });

  it('when an unknown e-mail and a known one are backed off from one address, then both answer the same (status, message, Retry-After), in Chinese and English', async () => {
    const app = testContext().makeApp({ TRUST_PROXY: true, LOGIN_MAX_FAILURES: 2, LOGIN_LOCK_MINUTES: 15 });
    const known = await createTestUser('editor');
    const unknown = testEmail('nobody');
    const src = address();
    const run = async (email: string, rightPassword: string) => {
      const first = await attemptFrom(app, src, email, 'wrong-password-1');
      const locking = await attemptFrom(app, src, email, 'wrong-password-2');
      const during = await attemptFrom(app, src, email, rightPassword);
      const english = await attemptFrom(app, src, email, rightPassword, 'en');
      return [first, locking, during, english].map((r) => ({
        status: r.status,
        text: errorText(r).replace(/\d+/g, '#'),
        locked: isLockedPage(r),
        retryAfter: Math.round(Number(r.headers['retry-after'] ?? 0) / 60),
      }));
    };
    const a = await run(known.user.email, known.password);
    const b = await run(unknown, 'some-password-here');
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((x) => [x.status, x.locked]),
      [
        [401, false],
        [401, true],
        [401, true],
        [401, true],
      ],
    );
    assert.match(a[1]!.text, /登录已暂停.*约 # 分钟后.*北京时间 #:# 以后/);
    assert.match(a[3]!.text, /signing in is paused.*about # minutes/);
    assert.equal(a[2]!.retryAfter, 15, 'Retry-After: about 15 minutes');
    assert.doesNotMatch(a[1]!.text, /账户不存在|no account/i);
  });

  it('when an account gets more failures per hour than its ceiling from many addresses, then only addresses it signed in from before are still heard', async () => {
    const policy: LockoutPolicy = { maxFailures: 5, lockMinutes: 15, maxLockMinutes: 60, accountFailuresPerHour: 4, knownSourceDays: 30 };
    const audit = testContext().auditTrail;
    const { user, password } = await createTestUser('viewer');
    const office = address();
    const now = new Date(Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE + 5 * MINUTE); // well inside an hour
    assert.equal((await authenticate(audit, user.email, password, now, policy, { source: office })).ok, true);
    for (let i = 0; i < 4; i++) {
      const r = await authenticate(audit, user.email, `botnet-guess-${i}`, now, policy, { source: address() });
      assert.deepEqual(r, { ok: false, reason: 'bad_password' });
    }
    const stranger = await authenticate(audit, user.email, password, now, policy, { source: address() });
    assert.ok(!stranger.ok && stranger.reason === 'account_throttled', 'a new address is not heard');
    assert.equal(stranger.retryAt?.getTime(), Math.ceil(now.getTime() / (60 * MINUTE)) * 60 * MINUTE, 'until the hour ends');
    assert.equal((await authenticate(audit, user.email, password, now, policy, { source: office })).ok, true, 'the known office address is');
    const lockouts = (await events('login_lockout', user.email)).map((e) => e.detail.scope);
    assert.deepEqual(lockouts, ['account']);
  });
});
