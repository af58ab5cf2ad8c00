/**
 * Production is the default of `npm start` and runs on nothing a development default could
 * supply; its back office trusts only its configured origin, sends HSTS, and ends sessions after
 * an absolute lifetime however active they are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import mongoose from 'mongoose';
import request from 'supertest';
import { loadConfig, ConfigError, shownValue } from '../src/config/index.js';
import { testContext } from './support/context.js';
import { createTestUser, csrfFrom, loginAs } from './support/admin.js';

const PUBLIC = 'https://registry.example.gov.cn';
const SECRET = 'production-test-secret-'.padEnd(40, 'x');
const AUDIT_KEY = 'production-test-audit-key-'.padEnd(40, 'k');

/** Runs `npm start`'s entry point with only this environment (plus PATH/HOME); never lets it listen for long. */
function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('production by default', function () {
  this.timeout(120_000);

  it('when `npm start` runs without SESSION_SECRET, AUDIT_HMAC_KEY, PUBLIC_BASE_URL and MONGODB_URI, then it exits 78 with one line naming all four', () => {
    const run = start({});
    assert.equal(run.status, 78, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${run.stderr}`);
    for (const name of ['SESSION_SECRET', 'AUDIT_HMAC_KEY', 'PUBLIC_BASE_URL', 'MONGODB_URI'])
      assert.ok(lines[0]!.includes(name), `${name} is named: ${lines[0]}`);
    assert.match(lines[0]!, /production/);
    assert.match(lines[0]!, /npm run demo/, 'the line says what to use instead');
  });

  it('when only the secret is missing, then only it is named; when the public address is plain http, then that is refused', () => {
    const partial = start({ AUDIT_HMAC_KEY: AUDIT_KEY, PUBLIC_BASE_URL: PUBLIC, MONGODB_URI: 'mongodb://127.0.0.1:1/registry' });
    assert.equal(partial.status, 78);
    assert.match(partial.stderr, /SESSION_SECRET/);
    assert.doesNotMatch(partial.stderr, /PUBLIC_BASE_URL|MONGODB_URI/);
    assert.throws(
      () =>
        loadConfig({
          NODE_ENV: 'production',
          SESSION_SECRET: SECRET,
          AUDIT_HMAC_KEY: AUDIT_KEY,
          PUBLIC_BASE_URL: 'http://registry.example.gov.cn',
          MONGODB_URI: 'mongodb://db/registry',
        }),
      (err: unknown) => err instanceof ConfigError && /must be https/.test(err.message),
    );
    const ok = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: SECRET,
      AUDIT_HMAC_KEY: AUDIT_KEY,
      PUBLIC_BASE_URL: PUBLIC,
      MONGODB_URI: 'mongodb://db/registry',
    });
    assert.equal(ok.NODE_ENV, 'production');
    assert.equal(loadConfig({}).NODE_ENV, 'development', 'scripts other than `npm start` keep the development default');
  });

  it('when a production app answers, then it sends HSTS and upgrade-insecure-requests; development sends neither', async () => {
    const prod = testContext().makeApp({ NODE_ENV: 'production', SESSION_SECRET: SECRET, PUBLIC_BASE_URL: PUBLIC, TRUST_PROXY: true });
    const res = await request(prod).get('/').set('X-Forwarded-Proto', 'https');
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d{7,}/);
    assert.match(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
    const dev = await request(testContext().app).get('/');
    assert.equal(dev.headers['strict-transport-security'], undefined);
  });
});

describe('configuration messages keep secrets', () => {
  it('when a variable holding a password or a key is invalid, then the message names it and says why, without the secret', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ SMTP_URL: 'ftp://alerts:hunter2-smtp-pass@mail.example.gov.cn:465' }, /SMTP_URL "ftp:\/\/alerts:\*\*\*@mail\.example\.gov\.cn:465" is invalid/],
      [{ SESSION_SECRET: 'short-but-secret' }, /SESSION_SECRET \(hidden, 16 characters\) is invalid/],
    ];
    for (const [env, expected] of cases) {
      assert.throws(
        () => loadConfig({ NODE_ENV: 'development', ...env }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, expected);
          assert.doesNotMatch(err.message, /hunter2|short-but-secret/);
          return true;
        },
      );
    }
    assert.equal(shownValue('MONGODB_URI', 'mongodb://app:s3cret@db.internal:27017/registry'), '"mongodb://app:***@db.internal:27017/registry"');
    assert.equal(shownValue('PORT', 'eighty'), '"eighty"');
  });
});

describe('back office: where an unsafe request may come from', function () {
  this.timeout(60_000);
  const prod = () => testContext().makeApp({ NODE_ENV: 'production', SESSION_SECRET: SECRET, PUBLIC_BASE_URL: PUBLIC, TRUST_PROXY: true });

  /** The sign-in page over "https" (a TLS proxy's word): its Secure cookie and token, sent back by hand. */
  async function signInForm(app: ReturnType<typeof prod>) {
    const page = await request(app).get('/admin/login').set('X-Forwarded-Proto', 'https');
    const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []);
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    assert.ok(cookie.startsWith('wbr.sid='), 'the sign-in page started a session');
    return { cookie, token: csrfFrom(page.text) };
  }

  it('when production receives a sign-in from the public origin, then it is accepted; with no Origin, another origin, or a Host that names the attacker, it is refused with 403', async () => {
    const app = prod();
    const { user, password } = await createTestUser('viewer');
    const post = async (headers: Record<string, string>) => {
      const { cookie, token } = await signInForm(app);
      return request(app)
        .post('/admin/login')
        .set({ 'X-Forwarded-Proto': 'https', Cookie: cookie, ...headers })
        .type('form')
        .send({ _csrf: token, email: user.email, password });
    };
    assert.equal((await post({})).status, 403, 'no Origin and no Referer');
    assert.equal((await post({ Origin: 'https://evil.example' })).status, 403, 'another origin');
    assert.equal((await post({ Origin: 'https://evil.example', Host: 'evil.example' })).status, 403, 'a Host header that agrees with the attacker');
    assert.equal((await post({ Origin: 'null' })).status, 403, 'an opaque origin');
    assert.equal((await post({ Referer: `${PUBLIC}/admin/login` })).status, 303, 'a Referer from the public origin');
    assert.equal((await post({ Origin: PUBLIC })).status, 303, 'the public origin');
  });

  it('when development receives a post whose Origin is a non-loopback host named by its own Host header, then it is refused; the loopback address it was opened at is accepted', async () => {
    const { agent, csrf } = await loginAs('viewer');
    const token = await csrf('/admin/account');
    const rebound = await agent
      .post('/admin/logout')
      .set({ Origin: 'http://rebind.example:3000', Host: 'rebind.example:3000' })
      .type('form')
      .send({ _csrf: token });
    assert.equal(rebound.status, 403);
    const local = await agent.post('/admin/logout').set({ Origin: 'http://127.0.0.1:3631', Host: '127.0.0.1:3631' }).type('form').send({ _csrf: token });
    assert.equal(local.status, 303);
  });
});

describe('back office: absolute session lifetime', function () {
  this.timeout(60_000);

  it('when a session signed in longer ago than SESSION_MAX_HOURS keeps being used, then it ends and the sign-in page says why', async () => {
    const { agent, user } = await loginAs('viewer');
    assert.equal((await agent.get('/admin')).status, 200);
    const sessions = mongoose.connection.collection('sessions');
    const moved = await sessions.updateOne({ 'session.userId': user.id }, { $set: { 'session.startedAt': Date.now() - 13 * 3_600_000 } });
    assert.equal(moved.modifiedCount, 1, 'the session was found');
    const after = await agent.get('/admin');
    assert.equal(after.status, 303);
    assert.match(after.headers.location ?? '', /^\/admin\/login/);
    const login = await agent.get(after.headers.location!);
    assert.match(login.text, /最长时限/);
    assert.equal((await agent.get('/admin')).status, 303, 'the old sign-in is gone for good');
    const fresh = await loginAs('viewer');
    assert.equal((await fresh.agent.get('/admin')).status, 200, 'a session within its lifetime is unaffected');
  });
});
