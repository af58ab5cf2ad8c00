/**
 * The back office, mounted at /admin. The order below is the security contract every feature
 * router relies on:
 *
 *   no-store + noindex → session → flash → loadUser → CSRF → adminNav → auth routes (sign-in, account,
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
import { formatNumber, formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import type { ChangeWorker } from '../registries/outbox.js';
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
  'admin.sync.title': ['后台同步', 'Background sync'],
  'admin.sync.intro': [
    '每项修改都先保存在数据库中，再由后台任务写入搜索索引和审计记录。这里显示它们是否跟上。',
    'Every edit is saved in the database first; background workers then write it to the search index and the audit trail. This shows whether they keep up.',
  ],
  'admin.sync.worker.search': ['搜索索引', 'Search index'],
  'admin.sync.worker.audit': ['审计记录', 'Audit trail'],
  'admin.sync.state.ok': ['正常，已跟上', 'Up to date'],
  'admin.sync.state.behind': ['处理中', 'Catching up'],
  'admin.sync.state.stuck': ['部分修改无法处理', 'Some changes cannot be handled'],
  'admin.sync.state.failing': ['失败，正在重试', 'Failing; retrying'],
  'admin.sync.state.unknown': ['无法读取修改记录', 'The change log cannot be read'],
  'admin.sync.waiting': ['待处理修改', 'Changes waiting'],
  'admin.sync.since': ['最早一条等待自', 'Oldest waiting since'],
  'admin.sync.lastPass': ['上次成功处理', 'Last successful pass'],
  'admin.sync.never': ['本次启动后尚无', 'None since this start'],
  'admin.sync.error': ['最近的错误', 'Latest error'],
  'admin.sync.stuck': ['无法处理的修改编号', 'Changes that cannot be handled'],
  'admin.sync.stuckHint': [
    '其余修改不受影响，仍在正常处理；这些修改会在每轮重试。请将编号和错误告知技术人员。',
    'The other changes are unaffected and keep moving; these are retried on every pass. Report the ids and the error to the technical staff.',
  ],
});

/** One worker's standing on the overview: a state a person can read, and the facts behind it. */
async function workerView(lang: Lang, worker: ChangeWorker) {
  const st = await worker.status();
  const state = st.lag === undefined ? 'unknown' : st.lastPassFailed && st.lag > 0 ? 'failing' : st.stuck.length ? 'stuck' : st.lag > 0 ? 'behind' : 'ok';
  return {
    label: t(lang, worker.name === 'search index' ? 'admin.sync.worker.search' : 'admin.sync.worker.audit'),
    state,
    stateLabel: t(lang, `admin.sync.state.${state}`),
    alert: state === 'failing' || state === 'stuck' || state === 'unknown',
    lag: st.lag === undefined ? '—' : formatNumber(st.lag),
    since: st.oldestWaitingAt ? formatTime(lang, st.oldestWaitingAt) : '',
    lastPass: st.lastPassAt ? formatTime(lang, st.lastPassAt) : t(lang, 'admin.sync.never'),
    error: st.error ?? st.countError ?? '',
    stuck: st.stuck.slice(0, 20),
  };
}

export interface AdminDeps {
  render: Render;
  config: Config;
  logger: Logger;
  /** The audit trail (boot): sign-ins, sign-outs and account changes are recorded through it. */
  auditTrail: EventRecorder;
  /** The back-office features (registries, import, audit…), mounted after the role check. */
  features?: Router[];
  /** The change log's workers (search index, audit trail): the overview shows how they stand. */
  workers?: ChangeWorker[];
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
export function adminRoutes({ render, config, logger, auditTrail, features = [], workers = [] }: AdminDeps): Router {
  const router = Router();
  if (config.NODE_ENV === 'production' && !config.TRUST_PROXY) {
    // Secure cookies are only sent over https: without TLS in front (TRUST_PROXY), nobody can sign in.
    logger.warn('back office: NODE_ENV=production without TRUST_PROXY — session cookies need direct https to this process');
  }
  router.use(privatePages());
  router.use(sessionMiddleware(config));
  // Before loadUser: a message loadUser leaves (a session that reached its lifetime) is for the next page.
  router.use(showFlash());
  router.use(loadUser({ maxHours: config.SESSION_MAX_HOURS }));
  // The spreadsheet and picture uploads read their own multipart bodies, token first (src/platform/upload.ts).
  router.use(
    csrfProtection({
      publicBaseUrl: config.PUBLIC_BASE_URL,
      production: config.NODE_ENV === 'production',
      multipartPaths: ['/import/upload', '/pictures/upload'],
    }),
  );
  router.use(adminNav());
  router.use(authRoutes({ render, config, logger, audit: auditTrail }));
  router.use(requireRole('viewer'));

  router.get('/', async (_req, res) => {
    const lang = res.locals.lang;
    const [[brands, ...counts], sync] = await Promise.all([
      Promise.all([countAll(Brand, HEADER_COUNT), ...KINDS.map((k) => countAll(entryModel(k), HEADER_COUNT))]),
      Promise.all(workers.map((w) => workerView(lang, w))),
    ]);
    const user = res.locals.user!; // requireRole('viewer') above
    res.type('html').send(
      render('admin/home', {
        ...res.locals,
        title: t(lang, 'admin.home.title'),
        welcome: t(lang, 'admin.home.welcome', { name: user.name || user.email }),
        brands,
        registries: KINDS.map((kind, i) => ({ kind, label: t(lang, `kind.${kind}`), count: counts[i], href: url(lang, `/admin/${kind}`) })),
        sections: (res.locals.adminNav ?? []).slice(1),
        sync,
      }),
    );
  });

  for (const feature of features) router.use(feature);
  return router;
}
