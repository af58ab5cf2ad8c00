/**
 * The Express app factory: no side effects at import; boot (src/main.ts) connects, starts the
 * search sync and listens. Tests build the app from here.
 *
 * The app's background services (the rate limiters' stores, the import jobs) come in as deps, so
 * boot owns and stops them; an app built without them makes its own, which nobody stops (tests).
 * The audit trail comes in too: the app records its events (imports) through it.
 */
import compression from 'compression';
import express, { Router, type Express } from 'express';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EventRecorder } from './audit/index.js';
import { auditRoutes } from './admin/audit-routes.js';
import { referenceAdminRoutes } from './admin/reference.js';
import { auditKeyring } from './audit/keys.js';
import { registryAdminRoutes } from './admin/registries/index.js';
import { apiDocsRoutes } from './api-docs/routes.js';
import { importDir, ImportJobs } from './imports/jobs.js';
import { exportRoutes, importRoutes } from './imports/routes.js';
import { openDataRoutes } from './open-data/routes.js';
import { statsAdminRoutes, statsRoutes } from './stats/routes.js';
import { adminRoutes } from './admin/index.js';
import type { Config } from './config/index.js';
import { forgetCounts, pingDatabase } from './platform/db/index.js';
import { RateLimits } from './platform/rate-limit.js';
import { errorHandler, notFoundHandler, pageContext, requestId, securityHeaders } from './platform/http.js';
import { createPageCache } from './platform/page-cache.js';
import { careMode, careToggle, careVariant } from './platform/care.js';
import { onChangeApplied } from './registries/changes.js';
import { createRenderer } from './platform/views.js';
import { createAssetManifest, staticFiles } from './platform/assets.js';
import { readOnlyCors } from './platform/cors.js';
import { furnitureRoutes, siteFurniture, siteSettings } from './site/furniture.js';
import { sitemapRoutes } from './site/sitemap.js';
import { apiRoutes } from './site/api.js';
import { publicRoutes } from './site/pages.js';
import { feedRoutes } from './site/feeds.js';
import { adminReportRoutes, publicReportRoutes } from './reports/routes.js';
import { Alerts } from './alerts/index.js';
import { adminOutboxRoutes, alertLocals, publicAlertRoutes } from './alerts/routes.js';
import type { SearchIndex } from './search/port.js';
import type { IndexSync } from './search/sync.js';
import type { ChangeWorker } from './registries/outbox.js';
import { registryStatsCache, type RegistryStats } from './registries/counts.js';
import type { SwrCache } from './platform/swr-cache.js';
import { verifyRoutes } from './verify/routes.js';
import { mediaStore, pictureAdminRoutes, publicMediaRoutes } from './media/routes.js';
import { workflowAdmin, workflowRoutes, type WorkflowDeps } from './applications/index.js';
import { LocalMediaStore } from './platform/media-store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A per-client limit per minute (src/platform/rate-limit.ts): counted in memory per instance, or
 * with `RATE_LIMIT_SHARED` in memory and synchronised through MongoDB every few seconds, so a
 * public request never waits for a database write; over it, the error handler's 429 page or JSON
 * (never cached). Public pages fail open if the store fails: search and verification work from
 * the index.
 */
function perMinute(limits: RateLimits, shared: boolean, name: string, limit: number, message: string, messageEn: string) {
  return limits.limiter({ name, windowMs: 60_000, limit, message, messageEn, counting: shared ? 'shared-batched' : 'memory', failOpen: true });
}

export interface AppDeps {
  config: Config;
  logger: Logger;
  index: SearchIndex;
  sync: IndexSync;
  /** The audit trail (boot): where the app records events that are not entry changes. */
  auditTrail: EventRecorder;
  /** The audit trail's change-log worker (boot); /readyz reports its lag. */
  audit?: ChangeWorker;
  /** The registry counts; boot makes one and warms it. A new one otherwise. */
  statsCache?: SwrCache<RegistryStats>;
  /** The stores of the public limiters (boot stops them). */
  rateLimits?: RateLimits;
  /** The back office's import jobs (boot stops them). */
  imports?: ImportJobs;
  /** Aborted when the app stops (boot): the app stops listening for changes and sync passes. */
  signal?: AbortSignal;
  /** The e-mail alerts and their outbox (boot starts and stops them). A new, unstarted one otherwise. */
  alerts?: Alerts;
}

export function createApp({ config, logger, index, sync, auditTrail, audit, statsCache, rateLimits, imports, signal, alerts }: AppDeps): Express {
  const app = express();
  const counts = statsCache ?? registryStatsCache(logger);
  const limits = rateLimits ?? new RateLimits();
  const jobs = imports ?? new ImportJobs({ dir: importDir(config), logger, audit: auditTrail });
  const mailAlerts = alerts ?? new Alerts({ config, log: logger });
  // Uploaded pictures' bytes (a local folder outside the web root by default; src/platform/media-store.ts).
  const media = mediaStore(config);
  const hourly = (name: string, limit: number, message: string, messageEn: string) =>
    limits.limiter({ name, windowMs: 3_600_000, limit, message, messageEn, counting: config.RATE_LIMIT_SHARED ? 'shared-batched' : 'memory', failOpen: true });
  // Static files by content hash (cached a year), and each page's own stylesheets only.
  const assets = createAssetManifest(path.join(ROOT, 'public'), { watch: config.NODE_ENV !== 'production' });
  const render = createRenderer(path.join(ROOT, 'views'), {
    asset: (rel) => assets.url(rel),
    styles: { stats: ['css/stats.css'], 'open-data': ['css/stats.css'], api: ['css/stats.css'] },
  });
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY ? 1 : false);
  app.set('query parser', 'simple');

  app.use(requestId());
  // Text answers compressed (gzip/br as asked, from 1 kB); never an event stream, which must flush as written.
  app.use(
    compression({
      filter: (req, res) => !String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream') && compression.filter(req, res),
    }),
  );
  app.use(securityHeaders(config.NODE_ENV === 'production'));
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  app.use(pageContext(config.PUBLIC_BASE_URL));
  app.use(siteFurniture(siteSettings(config), config.PUBLIC_BASE_URL));
  // Any site's browser app may read the JSON API (GET/HEAD, preflight answered here, before the limits).
  app.use('/api/v1', readOnlyCors());
  // 关怀版: read from its preference cookie on every page; /care is the switch (the only public cookie).
  app.use(careMode());
  app.get('/care', careToggle());

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const database = await pingDatabase();
    const search: {
      ok: boolean;
      engine: string;
      documents?: number;
      lag?: number;
      /** Seconds since the oldest change still waiting for the index was made (0: none waits). */
      lagSeconds?: number;
      maxLag?: number;
      lastPassAt?: string;
      error?: string;
      syncError?: string;
      lagError?: string;
    } = {
      ok: false,
      engine: index.name,
    };
    try {
      await index.health();
      const stats = await index.stats();
      search.ok = true;
      search.documents = stats.documents;
    } catch (err) {
      search.error = err instanceof Error ? err.message : String(err);
    }
    if (database) {
      const now = Date.now();
      await Promise.all([sync.lag(), sync.oldestWaiting()]).then(
        ([lag, oldest]) => {
          search.lag = lag;
          search.lagSeconds = oldest ? Math.max(0, Math.round((now - oldest.getTime()) / 1000)) : 0;
        },
        (err: unknown) => {
          search.lagError = err instanceof Error ? err.message : String(err);
        },
      );
    }
    if (sync.lastPassAt) search.lastPassAt = sync.lastPassAt.toISOString();
    if (config.READY_MAX_LAG > 0) search.maxLag = config.READY_MAX_LAG;
    // The worker's last failure (e.g. a task the engine refused, or changes it could not handle):
    // with the lag, why it is behind.
    if (sync.lastError) search.syncError = sync.lastError;
    // The audit trail's backlog: reported, not a reason to refuse traffic (edits are saved and
    // their events follow), but an operator should see it grow.
    let auditTrail: { lag?: number; error?: string } | undefined;
    if (audit) {
      auditTrail = {};
      if (database) auditTrail.lag = await audit.lag().catch(() => undefined);
      if (audit.lastError) auditTrail.error = audit.lastError;
    }
    // Why this instance should not get traffic, in words an operator can act on. Searches would
    // be answered from an index that misses saved edits when it cannot be written or is far behind.
    const reasons: string[] = [];
    if (!database) reasons.push('database unreachable');
    if (!search.ok) reasons.push('search engine unreachable');
    if (database && search.lag === undefined) reasons.push('search lag unknown: the change log could not be counted');
    if (search.ok && sync.lastPassFailed && (search.lag ?? 1) > 0) reasons.push('search index cannot be written: changes are waiting');
    if (search.maxLag !== undefined && (search.lag ?? 0) > search.maxLag) reasons.push(`search index ${search.lag} changes behind (limit ${search.maxLag})`);
    const ok = reasons.length === 0;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ready' : 'unavailable',
      ...(ok ? {} : { reasons }),
      database: { ok: database },
      search,
      ...(auditTrail ? { audit: auditTrail } : {}),
    });
  });

  app.use(
    ['/search', '/api/v1/search', '/api/v1/suggest'],
    perMinute(
      limits,
      config.RATE_LIMIT_SHARED,
      'search',
      config.RATE_LIMIT_SEARCH_PER_MIN,
      '搜索请求过于频繁，请稍后再试',
      'Too many searches; please wait a minute',
    ),
  );
  // A separate limiter for certificate checks: enumerating numbers is the abuse to stop, through
  // the pages, the QR codes or the API alike.
  app.use(
    ['/verify', '/api/v1/certificates'],
    perMinute(
      limits,
      config.RATE_LIMIT_SHARED,
      'verify',
      config.RATE_LIMIT_VERIFY_PER_MIN,
      '查验请求过于频繁，请一分钟后再试',
      'Too many certificate checks; please wait a minute',
    ),
  );

  // Public answers from memory for a few seconds (after the limits, which still count every
  // request); cleared by every write applied here and every search sync pass.
  const pageCache = createPageCache({
    ttlMs: config.PAGE_CACHE_SECONDS * 1000,
    exclude: ['/admin', '/open-data', '/healthz', '/readyz', '/report', '/media', '/alerts', '/apply', '/notices'],
    // 关怀版 and standard pages are cached apart (src/platform/care.ts).
    variant: careVariant,
  });
  const unsubscribe = [
    onChangeApplied(() => {
      pageCache.invalidate();
      forgetCounts();
    }),
    sync.onIndexed(() => pageCache.invalidate()),
  ];
  signal?.addEventListener('abort', () => unsubscribe.forEach((undo) => undo()), { once: true });
  app.use(pageCache.middleware);
  // The subscribe forms on brand, certificate and list pages: their stateless form token.
  app.use(alertLocals(mailAlerts));

  // The back office: its own session, CSRF and role checks; public pages never get a cookie.
  // The bureau's workflows (applications, review, notices, campaigns): the mail they send goes
  // through the alerts' outbox, handed in as a function; documents live outside the web root.
  const workflow: WorkflowDeps = {
    render,
    config,
    logger,
    audit: auditTrail,
    mailer: { send: (m) => mailAlerts.send(m) },
    documents: new LocalMediaStore(path.resolve(config.DATA_DIR, 'documents')),
    limits: {
      register: hourly('enterprise-register', 10, '注册请求过于频繁，请一小时后再试', 'Too many registrations from here; please try again in an hour'),
      signIn: hourly(
        'enterprise-sign-in',
        Math.max(30, config.RATE_LIMIT_LOGIN_PER_15MIN),
        '登录尝试过于频繁，请稍后再试',
        'Too many sign-in attempts; please try again later',
      ),
      objection: hourly(
        'objection',
        config.RATE_LIMIT_REPORT_PER_HOUR,
        '提交次数过多，请一小时后再试',
        'Too many objections from here; please try again in an hour',
      ),
    },
  };

  app.use(
    '/admin',
    adminRoutes({
      render,
      config,
      logger,
      auditTrail,
      workers: audit ? [sync, audit] : [sync],
      features: [
        registryAdminRoutes({ render, index }),
        Router().use('/import', importRoutes({ render, config, jobs })).use('/export', exportRoutes({ render, config, logger, index })),
        auditRoutes({ render, keys: auditKeyring(config) }),
        referenceAdminRoutes({ render }),
        statsAdminRoutes({ render, logger, cache: counts }),
        adminReportRoutes({ render, audit: auditTrail }),
        adminOutboxRoutes({ render, alerts: mailAlerts }),
        pictureAdminRoutes({ render, config, store: media }),
        workflowAdmin(workflow),
      ],
    }),
  );
  app.use(apiDocsRoutes({ render }));
  app.use(publicMediaRoutes({ store: media }));
  // The data-as-of stamp also says how many saved changes the index does not hold yet.
  const pending = () => sync.lag();
  app.use('/api/v1', apiRoutes({ index, pending }));
  app.use(publicRoutes({ render, index, publicBaseUrl: config.PUBLIC_BASE_URL, pending }));
  app.use(feedRoutes({ publicBaseUrl: config.PUBLIC_BASE_URL, index }));
  app.use(
    publicReportRoutes({
      render,
      config,
      audit: auditTrail,
      // Reports per client per hour: enough for a person, not for a flood.
      limit: limits.limiter({
        name: 'report',
        windowMs: 3_600_000,
        limit: config.RATE_LIMIT_REPORT_PER_HOUR,
        message: '提交次数过多，请一小时后再试',
        messageEn: 'Too many reports from here; please try again in an hour',
        counting: config.RATE_LIMIT_SHARED ? 'shared-batched' : 'memory',
        failOpen: true,
      }),
    }),
  );
  app.use(workflowRoutes(workflow));
  app.use(
    publicAlertRoutes({
      render,
      alerts: mailAlerts,
      config,
      // Subscribe posts per client per hour (each address also gets at most a few confirmations a day).
      limit: limits.limiter({
        name: 'alerts',
        windowMs: 3_600_000,
        limit: 20,
        message: '订阅请求过于频繁，请一小时后再试',
        messageEn: 'Too many subscription requests from here; please try again in an hour',
        counting: config.RATE_LIMIT_SHARED ? 'shared-batched' : 'memory',
        failOpen: true,
      }),
    }),
  );
  app.use(furnitureRoutes({ render, publicBaseUrl: config.PUBLIC_BASE_URL }));
  app.use(sitemapRoutes({ publicBaseUrl: config.PUBLIC_BASE_URL }));
  app.use('/verify', verifyRoutes({ render, index, config, logger }));
  app.use(statsRoutes({ render, logger, cache: counts }));
  app.use(openDataRoutes({ render, logger, cache: counts }));

  // After the routes, so a page request costs no file-system look-up.
  app.use(staticFiles(path.join(ROOT, 'public'), assets, config.NODE_ENV === 'production' ? 300 : 0));
  app.use(notFoundHandler());
  app.use(errorHandler(render, logger));
  return app;
}
