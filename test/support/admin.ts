/**
 * Signing in for back-office tests: a fresh account per call (unique e-mail) created through the
 * accounts service, signed in through the real form (GET the page → its _csrf token → POST).
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Role } from '../../src/accounts/roles.js';
import type { PublicUser } from '../../src/accounts/model.js';
import { createUser } from '../../src/accounts/service.js';
import { testContext } from './context.js';

export type Agent = ReturnType<typeof request.agent>;

export interface SignedIn {
  /** A supertest agent carrying the session cookie. */
  agent: Agent;
  /** GETs a page with the agent and returns its form's _csrf token. */
  csrf(path: string): Promise<string>;
  user: PublicUser;
  password: string;
}

let seq = 0;

/** A unique address for a test account. */
export function testEmail(prefix = 'user'): string {
  return `${prefix}-${Date.now().toString(36)}-${++seq}-${randomBytes(2).toString('hex')}@test.example`;
}

/** The first _csrf field of an HTML page, or throws with the page's start. */
export function csrfFrom(html: string): string {
  const token = cheerio.load(html)('input[name="_csrf"]').first().val();
  assert.ok(typeof token === 'string' && token.length > 0, `page has a _csrf field: ${html.slice(0, 200)}`);
  return token;
}

/** Creates an account with this role (and any password) through the service. */
export async function createTestUser(role: Role, o: { email?: string; password?: string; name?: string } = {}) {
  const password = o.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const user = await createUser(testContext().auditTrail, { email: o.email ?? testEmail(role), role, name: o.name ?? `测试${role}`, password }, 'test-setup');
  return { user, password };
}

/** Signs an existing account in through the form; asserts the redirect that means success. */
export async function signIn(app: Express, email: string, password: string): Promise<Agent> {
  const agent = request.agent(app);
  const page = await agent.get('/admin/login');
  assert.equal(page.status, 200, `GET /admin/login → ${page.status}`);
  const res = await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password });
  assert.equal(res.status, 303, `sign-in as ${email} → ${res.status}: ${res.text.slice(0, 300)}`);
  return agent;
}

/**
 * A new account with `role`, signed in: `const { agent, csrf } = await loginAs('editor')`, then
 * `agent.post(path).type('form').send({ _csrf: await csrf(formPage), … })`.
 */
export async function loginAs(role: Role, opts: { app?: Express; email?: string; password?: string } = {}): Promise<SignedIn> {
  const app = opts.app ?? testContext().app;
  const { user, password } = await createTestUser(role, opts);
  const agent = await signIn(app, user.email, password);
  const csrf = async (path: string) => {
    const res = await agent.get(path);
    assert.equal(res.status, 200, `GET ${path} → ${res.status}`);
    return csrfFrom(res.text);
  };
  return { agent, csrf, user, password };
}
