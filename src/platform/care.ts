/**
 * 关怀版 (elder-friendly mode): larger type, stronger contrast and bigger targets, chosen by the
 * visitor and kept in a preference cookie. It works without JavaScript: the header link is a plain
 * GET to /care, which sets or clears the cookie and redirects back to the page it came from.
 *
 * The cookie is the only one a public visitor ever gets, and only from /care itself. Pages read it
 * server-side (careMode) to add a class on <html> and the care stylesheet; since the same URL then
 * has two variants, public pages say `Vary: Cookie` and the page cache keys by careVariant().
 */
import type { Request, RequestHandler } from 'express';
import { registerMessages, t } from './i18n.js';
import { sameSitePath } from './origin.js';

export const CARE_COOKIE = 'wbr.care';
const ONE_YEAR_S = 365 * 24 * 3600;

registerMessages({
  'care.on': ['关怀版', 'Large text'],
  'care.off': ['标准版', 'Standard view'],
  'care.onLabel': ['切换到关怀版（大字体、高对比度）', 'Switch to large text and high contrast'],
  'care.offLabel': ['切换回标准版', 'Switch back to the standard view'],
});

declare module 'express-serve-static-core' {
  interface Locals {
    /** The visitor chose 关怀版 (cookie wbr.care=1). */
    care: boolean;
    /** The header link that switches the mode and comes back here. */
    careToggleUrl: string;
    careToggleText: string;
    careToggleLabel: string;
  }
}

/** Whether the request carries wbr.care=1 (read from the raw Cookie header; no parser needed). */
export function careOn(req: Request): boolean {
  const header = req.headers.cookie;
  if (!header) return false;
  return header.split(';').some((part) => {
    const eq = part.indexOf('=');
    return eq > 0 && part.slice(0, eq).trim() === CARE_COOKIE && part.slice(eq + 1).trim() === '1';
  });
}

/** The page cache's variant key: '' for standard pages, 'care' for 关怀版. */
export const careVariant = (req: Request): string => (careOn(req) ? 'care' : '');

/**
 * A same-site public path to return to after the switch, or null: like the back office's
 * safeNext (src/accounts/middleware.ts) but for public pages — never another origin (`//x`,
 * `https://x`, backslashes, control characters), never the back office or the toggle itself.
 */
export function safeBack(value: unknown): string | null {
  const u = sameSitePath(value);
  if (!u) return null;
  const p = u.pathname;
  if (p === '/admin' || p.startsWith('/admin/') || p === '/care' || p.startsWith('/care/')) return null;
  return p + u.search;
}

/** Pages (not the API, the back office or files such as CSS and QR images) differ by the mode. */
const variesByCare = (p: string) => !/^\/(api|admin|css|js)(\/|$)/.test(p) && !/\.[a-z0-9]+$/i.test(p);

/** Puts the mode and the header switch on res.locals; public pages vary by the cookie. */
export function careMode(): RequestHandler {
  return (req, res, next) => {
    const on = careOn(req);
    const lang = res.locals.lang ?? 'zh';
    res.locals.care = on;
    const params = new URLSearchParams({ on: on ? '0' : '1', back: req.originalUrl });
    // Like every site link on an English page, it keeps lang=en (the switch itself ignores it).
    if (lang === 'en') params.set('lang', 'en');
    res.locals.careToggleUrl = `/care?${params.toString()}`;
    res.locals.careToggleText = t(lang, on ? 'care.off' : 'care.on');
    res.locals.careToggleLabel = t(lang, on ? 'care.offLabel' : 'care.onLabel');
    if (variesByCare(req.path)) res.vary('Cookie');
    next();
  };
}

/** GET /care?on=1|0&back=/path: sets (or clears) the preference cookie and goes back. */
export function careToggle(): RequestHandler {
  return (req, res) => {
    const on = req.query.on === '1';
    res.setHeader('Cache-Control', 'no-store');
    res.cookie(CARE_COOKIE, on ? '1' : '', {
      path: '/',
      sameSite: 'lax',
      httpOnly: true,
      secure: req.secure,
      maxAge: on ? ONE_YEAR_S * 1000 : 0,
    });
    res.redirect(303, safeBack(req.query.back) ?? '/');
  };
}
