/**
 * Who is asking, and may they: loadUser() reads the session and re-reads the account on every
 * request (a disabled account or a changed role takes effect at once), requireRole() guards a
 * route, actorOf() names the user for writes. Also the session helpers the auth routes share.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ROLE_RANK, type Role } from './roles.js';
import { AppError } from '../platform/errors.js';
import { sameSitePath } from '../platform/origin.js';
import { registerMessages, t } from '../platform/i18n.js';
import { publicUser, type PublicUser } from './model.js';
import { findSessionUser } from './service.js';

/** What identity puts on res.locals: who is signed in, the CSRF token forms carry, a one-time message. */
declare module 'express-serve-static-core' {
  interface Locals {
    user?: PublicUser;
    csrfToken?: string;
    flash?: string;
  }
}

declare module 'express-session' {
  interface SessionData {
    /** The signed-in account. */
    userId?: string;
    /** When this session signed in (ms); a password changed after it ends the session. */
    authAt?: number;
    /** When this session began (ms, set by regenerateSession at sign-in): its absolute lifetime runs from here. */
    startedAt?: number;
    /** A message for the next page: an i18n key and its variables. */
    flash?: { key: string; vars?: Record<string, string | number> };
  }
}

/** The signed-in user, or undefined. */
export function currentUser(res: Response): PublicUser | undefined {
  return res.locals.user;
}

/** The actor recorded with writes: the signed-in user's e-mail, e.g. "editor@example.gov.cn". */
export function actorOf(res: Response): string {
  const user = currentUser(res);
  if (!user) throw new AppError('unauthorized', '请先登录', { messageEn: 'Please sign in' });
  return user.email;
}

/** A fresh, empty session in place of the current one (the old one is deleted from the store). */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.startedAt = Date.now();
      resolve();
    }),
  );
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => (req.session ? req.session.destroy((err) => (err ? reject(err) : resolve())) : resolve()));
}

registerMessages({
  'accounts.session.ended': [
    '登录已超过 {hours} 小时的最长时限，请重新登录。',
    'You were signed in for the longest allowed time ({hours} hours); please sign in again.',
  ],
});

/**
 * Sets res.locals.user from the session. An account that is gone, disabled, or whose password
 * changed after this session signed in ends the session here (it is replaced by an empty one);
 * so does a session older than `maxHours` (SESSION_MAX_HOURS), however active it has been — the
 * idle timeout alone would let a session that keeps being used roll on for ever.
 */
export function loadUser(o: { maxHours: number }): RequestHandler {
  const maxMs = o.maxHours * 3_600_000;
  return async (req, res, next) => {
    const id = req.session?.userId;
    if (!id) return next();
    const started = req.session.startedAt ?? req.session.authAt ?? 0;
    if (Date.now() - started > maxMs) {
      await regenerateSession(req);
      flash(req, 'accounts.session.ended', { hours: o.maxHours });
      return next();
    }
    const user = await findSessionUser(id);
    const changedAt = user?.passwordChangedAt ? new Date(user.passwordChangedAt).getTime() : 0;
    if (!user || user.disabled || (req.session.authAt ?? 0) < changedAt) {
      await regenerateSession(req);
      return next();
    }
    res.locals.user = publicUser(user);
    next();
  };
}

/**
 * A path to return to after signing in, only if it is a back-office path on this site
 * ("/admin…", no scheme, no host, no "//" or backslash tricks); otherwise null.
 */
export function safeNext(value: unknown): string | null {
  const u = sameSitePath(value);
  if (!u) return null;
  if (u.pathname !== '/admin' && !u.pathname.startsWith('/admin/')) return null;
  if (u.pathname.startsWith('/admin/login') || u.pathname.startsWith('/admin/logout')) return null;
  return u.pathname + u.search;
}

/**
 * Route guard. Signed out → 303 to the sign-in page (a GET comes back to where it was); signed in
 * with a lower role → 403. Roles include the ones below them (admin > editor > viewer).
 */
export function requireRole(role: Role): RequestHandler {
  return (req, res, next) => {
    const user = currentUser(res);
    if (!user) {
      const back = req.method === 'GET' ? safeNext(req.originalUrl) : null;
      const params = new URLSearchParams();
      if (back) params.set('next', back);
      if (res.locals.lang === 'en') params.set('lang', 'en');
      const qs = params.toString();
      res.redirect(303, `/admin/login${qs ? `?${qs}` : ''}`);
      return;
    }
    if (ROLE_RANK[user.role] < ROLE_RANK[role]) {
      next(
        new AppError('forbidden', `您的账户（${t('zh', `admin.role.${user.role}`)}）无权访问此页面或执行此操作`, {
          messageEn: `Your account (${t('en', `admin.role.${user.role}`)}) may not open this page or do this`,
        }),
      );
      return;
    }
    next();
  };
}

/** Leaves a message for the next page the user sees (after a redirect): an i18n key. */
export function flash(req: Request, key: string, vars?: Record<string, string | number>): void {
  req.session.flash = vars ? { key, vars } : { key };
}

/** Moves a waiting message into res.locals.flash (shown once by the admin layout). */
export function showFlash(): RequestHandler {
  return (req, res, next) => {
    const f = req.session?.flash;
    if (f && req.method === 'GET') {
      res.locals.flash = t(res.locals.lang, f.key, f.vars ?? {});
      delete req.session.flash;
    }
    next();
  };
}
