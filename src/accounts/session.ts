/**
 * Back-office sessions and CSRF protection. Both are mounted only under /admin, so public pages
 * never set a cookie.
 *
 * Sessions: express-session with connect-mongo over mongoose's own MongoClient (collection
 * `sessions`). Ended sessions are removed by boot's ExpirySweeper (src/platform/db: a TTL index
 * where the server has them, acknowledged sweeps elsewhere) — never by connect-mongo's own
 * interval sweep, whose unacknowledged (`w: 0`) delete crossed every later reply on a pooled
 * connection of the local server (docs/decisions/0007). An ended session is never served in
 * between, because connect-mongo only reads sessions whose `expires` lies ahead.
 *
 * CSRF: a synchronizer token (csrf-sync) kept in the session, sent back in the `_csrf` form field
 * or the `x-csrf-token` header; plus an Origin/Referer check on every unsafe method.
 */
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import mongoose from 'mongoose';
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Expiring } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { originOf, trustedSource } from '../platform/origin.js';

export const SESSION_COOKIE = 'wbr.sid';
export const SESSION_COLLECTION = 'sessions';
/** Where a stored session's end is: boot's ExpirySweeper removes sessions past it. */
export const SESSION_EXPIRY: Expiring = { collection: SESSION_COLLECTION, field: 'expires' };
/** Cookie path: the browser sends the session cookie to the back office only. */
export const SESSION_COOKIE_PATH = '/admin';
/** Only for development and tests; loadConfig() requires SESSION_SECRET in production. */
const DEVELOPMENT_SECRET = 'wbr-development-only-session-secret-do-not-use-in-production';

type SessionConfig = Pick<Config, 'NODE_ENV' | 'SESSION_SECRET' | 'SESSION_IDLE_MINUTES' | 'TRUST_PROXY'>;

/**
 * The session middleware: cookie `wbr.sid` (HttpOnly, SameSite=Lax, Secure in production, path
 * /admin), a rolling idle timeout of SESSION_IDLE_MINUTES, nothing stored until there is
 * something to keep. Needs the mongoose connection to be open (boot connects before createApp).
 */
export function sessionMiddleware(config: SessionConfig): RequestHandler {
  const production = config.NODE_ENV === 'production';
  if (production && !config.SESSION_SECRET) {
    throw new Error('sessions: SESSION_SECRET is required in production (at least 32 random characters)');
  }
  const db = mongoose.connection.db;
  if (!db) throw new Error('sessions: connect the database (connectDatabase) before building the app');
  const idleMs = config.SESSION_IDLE_MINUTES * 60_000;
  const store = MongoStore.create({
    client: mongoose.connection.getClient(),
    dbName: db.databaseName,
    collectionName: SESSION_COLLECTION,
    ttl: config.SESSION_IDLE_MINUTES * 60,
    // Expiry is SESSION_EXPIRY's, swept by boot (see above); connect-mongo starts no timer.
    autoRemove: 'disabled',
    // A session that only gets read is re-saved at most once a minute; its cookie still rolls.
    touchAfter: 60,
    stringify: false,
  });
  return session({
    name: SESSION_COOKIE,
    secret: config.SESSION_SECRET ?? DEVELOPMENT_SECRET,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    // Secure cookies behind a TLS-terminating proxy need the proxy's word that the request was https.
    proxy: config.TRUST_PROXY,
    cookie: { httpOnly: true, sameSite: 'lax', secure: production, path: SESSION_COOKIE_PATH, maxAge: idleMs },
  });
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Where a request's CSRF token may be: the urlencoded/JSON body's `_csrf` or the `x-csrf-token` header — never the URL. */
function tokenFromRequest(req: Request): string | undefined {
  const body: unknown = req.body;
  if (isRecord(body) && typeof body._csrf === 'string') return body._csrf;
  const header = req.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  return undefined;
}

const csrf = csrfSync({ size: 32, getTokenFromRequest: tokenFromRequest });

/** The session's CSRF token, created if it has none (this makes the session worth saving). */
export function csrfToken(req: Request): string {
  return csrf.generateToken(req);
}

function tokensMatch(received: string | undefined, stored: unknown): boolean {
  if (typeof received !== 'string' || typeof stored !== 'string') return false;
  const a = Buffer.from(received);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The refusal of an unsafe request without a trusted source and the session's token (also used by routes that check it themselves). */
export const csrfRefused = (): AppError =>
  new AppError('forbidden', '页面已过期或请求来源不可信，请刷新页面后重试', {
    messageEn: 'The page has expired or the request came from an untrusted origin; reload the page and try again',
  });

export interface CsrfOptions {
  publicBaseUrl: string;
  production: boolean;
  /**
   * Paths (below the router) whose multipart bodies the route parses itself: their token is the
   * form's first field, checked by the route with `res.locals.csrfCheck` before any file is
   * stored (src/imports/upload.ts). Any other multipart request needs the header.
   */
  multipartPaths?: readonly string[];
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set for an accepted multipart path: does this token match the session's? */
    csrfCheck?: (token: string | undefined) => boolean;
  }
}

/**
 * CSRF protection for everything under /admin. Safe methods pass and get res.locals.csrfToken
 * when the session already has a token or a user (a signed-out visitor gets a session only from
 * the sign-in page); unsafe methods need a trusted origin and the session's token.
 */
export function csrfProtection(o: CsrfOptions): RequestHandler {
  const publicOrigin = originOf(o.publicBaseUrl) ?? o.publicBaseUrl;
  const deferred = new Set(o.multipartPaths ?? []);
  return (req, res, next) => {
    if (!UNSAFE.has(req.method)) {
      if (req.session && (req.session.csrfToken || res.locals.user)) res.locals.csrfToken = csrfToken(req);
      return next();
    }
    if (!trustedSource(req, publicOrigin, o.production) || !req.session) return next(csrfRefused());
    const stored = csrf.getTokenFromState(req);
    if (deferred.has(req.path) && req.is('multipart/form-data') && req.headers['x-csrf-token'] === undefined) {
      res.locals.csrfCheck = (token) => tokensMatch(token, stored);
      res.locals.csrfToken = stored ?? undefined;
      return next();
    }
    if (!tokensMatch(tokenFromRequest(req), stored)) return next(csrfRefused());
    res.locals.csrfToken = stored ?? undefined;
    next();
  };
}
