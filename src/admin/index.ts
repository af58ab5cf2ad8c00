/**
 * The back office, mounted at /admin. The order below is the security contract every feature
 * router relies on:
 *
 *   no-store + noindex → session → loadUser → CSRF → adminNav → auth routes (sign-in, account,
 *   accounts) → requireRole('viewer') → overview → feature routers
 *
 * so a feature router sees only signed-in users, every unsafe request in it has passed the CSRF
 * and origin checks, and res.locals carries user, csrfToken, adminNav and layout.
 */
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loadUser, requireRole, showFlash } from '../accounts/middleware.js';
import { authRoutes } from '../accounts/routes.js';
import { csrfProtection, sessionMiddleware } from '../accounts/session.js';
import type { EventRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { countAll } from '../platform/db/index.js';

/** Counts in page headers may be 30 s old when counting is slow (changes made here forget them). */
const HEADER_COUNT = { maxAgeMs: 30_000 };
import { registerMessages, t } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { entryModel } from '../registries/kinds.js';
import { Brand } from '../registries/models.js';
import { KINDS } from '../registries/reference.js';
import { adminNav } from './nav.js';

registerMessages({
  'admin.home.title': ['概览', 'Overview'],
  'admin.home.welcome': ['欢迎，{name}。', 'Welcome, {name}.'],
  'admin.home.counts': ['名录条目', 'Registry entries'],
  'admin.home.brands': ['品牌', 'Brands'],
  'admin.home.sections': ['后台功能', 'Sections'],
});

export interface AdminDeps {
  render: Render;
  config: Config;
  logger: Logger;
  /** The audit trail (boot): sign-ins, sign-outs and account changes are recorded through it. */
  auditTrail: EventRecorder;
  /** The back-office features (registries, import, audit…), mounted after the role check. */
  features?: Router[];
}

/** Back-office pages are private: never cached, never indexed. */
function privatePages(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Robots-Tag', 'noindex, nofollow');
    next();
  };
}

/** The /admin router: security middleware, sign-in and accounts, the overview, the features. */
export function adminRoutes({ render, config, logger, auditTrail, features = [] }: AdminDeps): Router {
  const router = Router();
  if (config.NODE_ENV === 'production' && !config.TRUST_PROXY) {
    // Secure cookies are only sent over https: without TLS in front (TRUST_PROXY), nobody can sign in.
    logger.warn('back office: NODE_ENV=production without TRUST_PROXY — session cookies need direct https to this process');
  }
  router.use(privatePages());
  router.use(sessionMiddleware(config));
  router.use(loadUser());
  router.use(csrfProtection(config.PUBLIC_BASE_URL));
  router.use(adminNav());
  router.use(showFlash());
  router.use(authRoutes({ render, config, logger, audit: auditTrail }));
  router.use(requireRole('viewer'));

  router.get('/', async (_req, res) => {
    const lang = res.locals.lang;
    const [brands, ...counts] = await Promise.all([countAll(Brand, HEADER_COUNT), ...KINDS.map((k) => countAll(entryModel(k), HEADER_COUNT))]);
    const user = res.locals.user!; // requireRole('viewer') above
    res.type('html').send(
      render('admin/home', {
        ...res.locals,
        title: t(lang, 'admin.home.title'),
        welcome: t(lang, 'admin.home.welcome', { name: user.name || user.email }),
        brands,
        registries: KINDS.map((kind, i) => ({ kind, label: t(lang, `kind.${kind}`), count: counts[i], href: url(lang, `/admin/${kind}`) })),
        sections: (res.locals.adminNav ?? []).slice(1),
      }),
    );
  });

  for (const feature of features) router.use(feature);
  return router;
}
