/**
 * Cross-cutting HTTP pieces: security headers, language, request ids, the 404 and the error
 * handler (HTML or JSON by route; never a stack trace to the client).
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from './errors.js';
import { isRecord } from './guards.js';
import { parseLang, registerMessages, t, type Lang } from './i18n.js';
import type { Render } from './views.js';
import { url } from './views.js';

/** What pageContext puts on res.locals for every view (features add their own, e.g. accounts). */
declare module 'express-serve-static-core' {
  interface Locals {
    lang: Lang;
    htmlLang: 'en' | 'zh-Hans';
    path: string;
    baseUrl: string;
    otherLangUrl: string;
    nav: NavLink[];
  }
  interface Request {
    /** Set by requestId(); echoed in X-Request-Id, logs and error pages. */
    id?: string;
  }
}

export interface NavLink {
  href: string;
  label: string;
  current: boolean;
}

export function securityHeaders(production: boolean): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: production,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
  // None of these headers depends on the request (no nonces, no per-request directives), so
  // helmet runs once here and each response gets the headers it set (and loses those it removed)
  // without going through its dozen middlewares per request.
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => set.push([name, String(value)]),
    removeHeader: (name: string) => removed.push(name),
  };
  let done = false;
  headers({} as Request, recorder as unknown as Response, () => (done = true));
  if (!done) throw new Error('securityHeaders: helmet did not finish synchronously');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}

/** Page language and a few values every view needs, on res.locals. */
export function pageContext(publicBaseUrl: string): RequestHandler {
  return (req, res, next) => {
    const lang = parseLang(typeof req.query.lang === 'string' ? req.query.lang : undefined);
    res.locals.lang = lang;
    res.locals.htmlLang = lang === 'en' ? 'en' : 'zh-Hans';
    res.locals.path = req.path;
    res.locals.baseUrl = publicBaseUrl;
    // The same page in the other language, keeping every other parameter.
    const q = req.originalUrl.indexOf('?');
    if (q < 0) {
      // No parameters (most requests): the same answer without parsing an empty query.
      res.locals.otherLangUrl = lang === 'zh' ? `${req.path}?lang=en` : req.path;
    } else {
      const params = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      params.delete('lang');
      if (lang === 'zh') params.set('lang', 'en');
      const qs = params.toString();
      res.locals.otherLangUrl = qs ? `${req.path}?${qs}` : req.path;
    }
    res.locals.nav = navLinks(lang, req.path);
    next();
  };
}

const NAV: ReadonlyArray<readonly [string, string]> = [
  ['/', 'nav.home'],
  ['/directory', 'nav.directory'],
  ['/famous', 'nav.famous'],
  ['/time-honored', 'nav.timeHonored'],
  ['/certified', 'nav.certified'],
  ['/verify', 'nav.verify'],
  ['/stats', 'nav.stats'],
  ['/open-data', 'nav.openData'],
];

/** Per language, the links with none current, then one list per nav path (the pages that are current). */
const navMemo = new Map<string, NavLink[]>();

/** The site navigation (the same few lists every request: built once per language and page, read-only). */
function navLinks(lang: Lang, current: string): NavLink[] {
  const key = NAV.some(([p]) => p === current) ? `${lang} ${current}` : lang;
  let links = navMemo.get(key);
  if (!links) {
    links = NAV.map(([p, k]) => Object.freeze({ href: url(lang, p), label: t(lang, k), current: p === current }));
    Object.freeze(links);
    navMemo.set(key, links);
  }
  return links;
}

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

export const isApi = (req: Request) => req.path.startsWith('/api/');

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(new AppError('not_found', '找不到该页面', { messageEn: 'No such page' }));
  };
}

/** Maps body-parser and other framework errors to AppError; anything else stays unknown (500). */
function normalize(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  // Matched by name so the platform layer does not depend on the search module.
  if (isRecord(err) && err.name === 'SearchUnavailableError') {
    return new AppError('search_unavailable', '搜索服务暂时不可用，请稍后再试', {
      messageEn: 'Search is temporarily unavailable; please try again shortly',
      cause: err,
    });
  }
  if (!isRecord(err)) return null;
  const { type, status, expose } = err;
  if (type === 'entity.too.large' || type === 'parameters.too.many')
    return new AppError('payload_too_large', '提交的内容过大', { messageEn: 'Request body too large' });
  if (
    type === 'entity.parse.failed' ||
    type === 'encoding.unsupported' ||
    type === 'charset.unsupported' ||
    (status === 400 && (expose || err instanceof URIError))
  ) {
    return new AppError('bad_request', '请求格式不正确', { messageEn: 'Malformed request' });
  }
  if (status === 404) return new AppError('not_found', '找不到该页面', { messageEn: 'No such page' });
  return null;
}

registerMessages({
  'error.401.title': ['需要登录', 'Sign-in required'],
  'error.403.title': ['禁止访问', 'Forbidden'],
  'error.409.title': ['与现有内容冲突', 'Conflict with existing data'],
  'error.413.title': ['提交的内容过大', 'Request too large'],
});

/** Each status's page title (anything else: 400 or 500 by class). */
const ERROR_TITLES: Partial<Record<number, string>> = {
  401: 'error.401.title',
  403: 'error.403.title',
  404: 'error.404.title',
  409: 'error.409.title',
  413: 'error.413.title',
  429: 'error.429.title',
  503: 'error.503.title',
};

export function errorHandler(render: Render, logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const id = req.id ?? '';
    const known = normalize(err);
    const appErr = known ?? new AppError('internal', '服务出错了', { messageEn: 'Internal error', cause: err });
    if (!known || appErr.status >= 500) logger.error({ err, reqId: id, url: req.originalUrl }, 'request failed');
    else logger.debug({ code: appErr.code, reqId: id }, 'request refused');
    if (res.headersSent) return;
    res.status(appErr.status);
    res.setHeader('Cache-Control', 'no-store');
    // Unset when the request failed before pageContext ran.
    const lang: Lang = res.locals.lang ?? 'zh';
    if (isApi(req)) {
      res.json({
        error: {
          code: appErr.code,
          message: lang === 'en' ? appErr.messageEn : appErr.message,
          ...(appErr.fields.length ? { fields: appErr.fields } : {}),
          requestId: id,
        },
      });
      return;
    }
    const titleKey = ERROR_TITLES[appErr.status] ?? (appErr.status >= 500 ? 'error.500.title' : 'error.400.title');
    try {
      res.type('html').send(
        render('error', {
          ...res.locals,
          lang,
          title: t(lang, titleKey),
          // An error page is no page of its own: no canonical address, not indexed.
          canonicalUrl: '',
          noindex: true,
          status: appErr.status,
          message: appErr.status >= 500 ? t(lang, 'error.500.help') : lang === 'en' ? appErr.messageEn : appErr.message,
          fields: appErr.fields.map((f) => ({ field: f.field, message: lang === 'en' ? f.messageEn : f.message })),
          is404: appErr.status === 404,
          is429: appErr.status === 429,
          requestId: id,
        }),
      );
    } catch (viewErr) {
      // The error view itself failed: a minimal page with nothing from the request in it.
      logger.error({ err: viewErr, reqId: id }, 'error view failed');
      res
        .type('html')
        .send(
          `<!doctype html><meta charset="utf-8"><title>${appErr.status}</title><h1>${appErr.status}</h1><p>Request id: ${id.replace(/[^a-f0-9-]/g, '')}</p>`,
        );
    }
  };
}
