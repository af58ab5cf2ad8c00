/**
 * The enterprises' sessions under /apply: their own express-session (cookie `wbr.ent`, path /apply,
 * HttpOnly, SameSite=Lax, Secure in production; stored in `enterprise_sessions`), so they never
 * meet the back office's `wbr.sid` (path /admin, collection `sessions`). CSRF is the back office's
 * synchronizer token (the same csrf-sync token kept in this session) plus the Origin/Referer check;
 * a multipart upload (…/files) checks its token itself, first field first (src/platform/upload.ts).
 *
 * loadEnterprise puts the signed-in, verified account on `res.locals.enterprise`; an account that
 * has not confirmed its address yet is `res.locals.pendingEnterprise` (it may only resend the mail).
 */
import MongoStore from 'connect-mongo';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import mongoose from 'mongoose';
import { timingSafeEqual } from 'node:crypto';
import { regenerateSession } from '../accounts/middleware.js';
import { csrfRefused, csrfToken } from '../accounts/session.js';
import type { Expiring } from '../platform/db/index.js';
import { isRecord } from '../platform/guards.js';
import { originOf, sameSitePath, trustedSource } from '../platform/origin.js';
import type { WorkflowDeps } from './deps.js';
import { findSessionEnterprise } from './enterprise.js';

export const ENTERPRISE_COOKIE = 'wbr.ent';
export const ENTERPRISE_COOKIE_PATH = '/apply';
export const ENTERPRISE_SESSION_COLLECTION = 'enterprise_sessions';
/** For boot's ExpirySweeper (like SESSION_EXPIRY). */
export const ENTERPRISE_SESSION_EXPIRY: Expiring = { collection: ENTERPRISE_SESSION_COLLECTION, field: 'expires' };
const DEVELOPMENT_SECRET = 'wbr-development-only-enterprise-session-secret-do-not-use';

/** The signed-in enterprise, as routes see it. */
export interface SignedInEnterprise {
  id: string;
  email: string;
  company: string;
  creditCode: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    enterprise?: SignedInEnterprise;
    /** Signed in, address not confirmed yet. */
    pendingEnterprise?: SignedInEnterprise;
  }
}

declare module 'express-session' {
  interface SessionData {
    /** The signed-in enterprise account (/apply sessions only). */
    enterpriseId?: string;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The multipart uploads whose token the route checks itself (documents of an application or a self-report). */
const MULTIPART_PATHS = /^\/(applications\/[^/]+|campaigns\/[^/]+\/[^/]+)\/files$/;

function tokensMatch(received: unknown, stored: unknown): boolean {
  if (typeof received !== 'string' || typeof stored !== 'string') return false;
  const a = Buffer.from(received);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenFromRequest(req: Request): unknown {
  const body: unknown = req.body;
  if (isRecord(body) && typeof body._csrf === 'string') return body._csrf;
  return req.headers['x-csrf-token'];
}

function sessionMiddleware(deps: WorkflowDeps): RequestHandler {
  const { config } = deps;
  const production = config.NODE_ENV === 'production';
  if (production && !config.SESSION_SECRET) throw new Error('enterprise sessions: SESSION_SECRET is required in production');
  const db = mongoose.connection.db;
  if (!db) throw new Error('enterprise sessions: connect the database before building the app');
  const store = MongoStore.create({
    client: mongoose.connection.getClient(),
    dbName: db.databaseName,
    collectionName: ENTERPRISE_SESSION_COLLECTION,
    ttl: config.SESSION_IDLE_MINUTES * 60,
    autoRemove: 'disabled',
    touchAfter: 60,
    stringify: false,
  });
  return session({
    name: ENTERPRISE_COOKIE,
    // A secret of its own: a back-office cookie value can never pass for an enterprise one.
    secret: `enterprise:${config.SESSION_SECRET ?? DEVELOPMENT_SECRET}`,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.TRUST_PROXY,
    cookie: { httpOnly: true, sameSite: 'lax', secure: production, path: ENTERPRISE_COOKIE_PATH, maxAge: config.SESSION_IDLE_MINUTES * 60_000 },
  });
}

/** Every GET gets the session's token for its forms; every unsafe request needs a trusted source and that token. */
function csrfMiddleware(deps: WorkflowDeps): RequestHandler {
  const production = deps.config.NODE_ENV === 'production';
  const publicOrigin = originOf(deps.config.PUBLIC_BASE_URL) ?? deps.config.PUBLIC_BASE_URL;
  return (req, res, next) => {
    if (!UNSAFE.has(req.method)) {
      res.locals.csrfToken = csrfToken(req);
      return next();
    }
    if (!trustedSource(req, publicOrigin, production) || !req.session) return next(csrfRefused());
    const stored = req.session.csrfToken;
    if (MULTIPART_PATHS.test(req.path) && req.is('multipart/form-data') && req.headers['x-csrf-token'] === undefined) {
      res.locals.csrfCheck = (token) => tokensMatch(token, stored);
      res.locals.csrfToken = stored ?? undefined;
      return next();
    }
    if (!tokensMatch(tokenFromRequest(req), stored)) return next(csrfRefused());
    res.locals.csrfToken = stored ?? undefined;
    next();
  };
}

/** Reads the session's account on every request: a disabled account, a changed password or a session past SESSION_MAX_HOURS ends it. */
function loadEnterprise(deps: WorkflowDeps): RequestHandler {
  const maxMs = deps.config.SESSION_MAX_HOURS * 3_600_000;
  return async (req, res, next) => {
    res.setHeader('Cache-Control', 'private, no-store');
    const id = req.session?.enterpriseId;
    if (!id) return next();
    const started = req.session.startedAt ?? req.session.authAt ?? 0;
    const account = Date.now() - started > maxMs ? null : await findSessionEnterprise(id);
    const changedAt = account ? account.passwordChangedAt.getTime() : 0;
    if (!account || account.disabled || (req.session.authAt ?? 0) < changedAt) {
      await regenerateSession(req);
      res.locals.csrfToken = csrfToken(req);
      return next();
    }
    const who = { id: String(account._id), email: account.email, company: account.company, creditCode: account.creditCode };
    if (account.emailVerifiedAt) res.locals.enterprise = who;
    else res.locals.pendingEnterprise = who;
    next();
  };
}

/** The session, CSRF and identity handlers of /apply, in order. */
export function enterpriseSession(deps: WorkflowDeps): RequestHandler[] {
  return [sessionMiddleware(deps), csrfMiddleware(deps), loadEnterprise(deps)];
}

/** The signed-in enterprise, or undefined. */
export const enterpriseOf = (res: Response): SignedInEnterprise | undefined => res.locals.enterprise;

/** The audit actor of a signed-in enterprise: `enterprise:<email>`. */
export const enterpriseActor = (e: Pick<SignedInEnterprise, 'email'>): string => `enterprise:${e.email}`;

/** A path under /apply to return to after signing in (never the sign-in or sign-out pages), else null. */
export function safeApplyNext(value: unknown): string | null {
  const u = sameSitePath(value);
  if (!u) return null;
  if (u.pathname !== '/apply' && !u.pathname.startsWith('/apply/')) return null;
  if (/^\/apply\/(login|logout|register|verify)/.test(u.pathname)) return null;
  return u.pathname + u.search;
}

/**
 * Route guard. Signed out → 303 /apply/login?next=… (a GET comes back where it was); signed in
 * with an unconfirmed address → 303 /apply/verify/pending (check your mail, resend).
 */
export function requireEnterprise(): RequestHandler {
  return (req, res, next) => {
    if (res.locals.enterprise) return next();
    const params = new URLSearchParams();
    if (res.locals.pendingEnterprise) {
      if (res.locals.lang === 'en') params.set('lang', 'en');
      const qs = params.toString();
      res.redirect(303, `/apply/verify/pending${qs ? `?${qs}` : ''}`);
      return;
    }
    const back = req.method === 'GET' ? safeApplyNext(req.originalUrl) : null;
    if (back) params.set('next', back);
    if (res.locals.lang === 'en') params.set('lang', 'en');
    const qs = params.toString();
    res.redirect(303, `/apply/login${qs ? `?${qs}` : ''}`);
  };
}
