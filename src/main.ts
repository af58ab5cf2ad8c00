/**
 * Boot: config → logger → MongoDB → search index (health-checked, rebuilt if empty) → the change
 * log's subscribers and their workers (audit trail, search index) → the expiry sweeper and the
 * change-log compactor → the app's services (rate-limit stores, import jobs) → HTTP.
 * SIGINT/SIGTERM close them in reverse order.
 *
 * Boot owns every background service of the process: each is made here from the config, handed
 * to the app as a dependency and stopped by `Running.stop()`, which leaves no timer, socket or
 * child process behind (test/boot.test.ts).
 */
import type { Server } from 'node:http';
import { closeServer, createHttpServer, listen } from './platform/http-server.js';
import { loadConfigOrExit, type Config } from './config/index.js';
import { createApp } from './app.js';
import { SESSION_EXPIRY } from './accounts/session.js';
import { SIGN_IN_THROTTLE_EXPIRY } from './accounts/service.js';
import { pendingMigrations, runMigrations } from './registries/migrations/index.js';
import { connectDatabase, countAll, disconnectDatabase, ExpirySweeper } from './platform/db/index.js';
import { RATE_LIMIT_EXPIRY, RateLimits } from './platform/rate-limit.js';
import { auditKeyring, auditSubscriber, ChainWriter, type AuditTrail } from './audit/index.js';
import { AnchorService, anchorFileOf } from './audit/anchor.js';
import { ChangeCompactor, handleInline } from './registries/changes.js';
import { ChangeWorker } from './registries/outbox.js';
import { createLogger, type Logger } from './platform/logger.js';
import { ALL_REGISTRIES } from './registries/kinds.js';
import { ReferenceRefresher } from './registries/reference-data.js';
import { createSearchIndex } from './search/index.js';
import type { SearchIndex } from './search/port.js';
import { IndexSync, reindexAll } from './search/sync.js';
import { registryStatsCache } from './registries/counts.js';
import { importDir, ImportJobs } from './imports/jobs.js';
import { Alerts, SUBSCRIPTION_EXPIRY } from './alerts/index.js';
import { ENTERPRISE_SESSION_EXPIRY } from './applications/enterprise-session.js';
import { WorkflowReminders } from './applications/index.js';

export interface Running {
  server: Server;
  index: SearchIndex;
  sync: IndexSync;
  audit: ChangeWorker;
  /** The audit trail: scripts that boot record their own events (demo accounts) through it. */
  auditTrail: AuditTrail;
  /** The back office's import jobs (stopped before the workers: they write through the service). */
  imports: ImportJobs;
  /** The stores of the public rate limiters. */
  rateLimits: RateLimits;
  logger: Logger;
  url: string;
  stop(): Promise<void>;
}

export interface BootOptions {
  mongoUri: string;
  dbName?: string;
  logger?: Logger;
  /** The search index to use instead of the configured one (tests wrap it to slow it down). */
  index?: SearchIndex;
  /**
   * Pending migration steps (src/registries/migrations): `run` them before serving (the demo, whose
   * database outlives versions), or only `warn` (the default: a deployment migrates as its own step).
   */
  migrations?: 'run' | 'warn';
}

export async function boot(config: Config, opts: BootOptions): Promise<Running> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  // What stop() undoes, pushed as each piece starts and undone last first — also when a later
  // step of boot fails, so a failed boot leaves nothing running either.
  const undo: Array<() => unknown> = [];
  const unwind = async () => {
    let failure: unknown;
    for (const step of undo.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        failure ??= err; // the rest still stop; the first failure is reported
      }
    }
    if (failure) throw failure;
  };
  try {
    undo.push(() => disconnectDatabase());
    const database = await connectDatabase(opts.mongoUri, opts.dbName, {
      // The guard has already closed the connection and failed the operation; this must be seen.
      onCrossedReply: (event) => logger.error({ event }, 'database: crossed reply caught; connection closed'),
    });
    logger.info({ database }, 'database connected');
    if (opts.migrations === 'run') await runMigrations((line) => logger.info(`migrate: ${line}`));
    else {
      const pending = await pendingMigrations();
      if (pending.length) logger.warn({ pending }, 'database: migration steps pending; run `npm run migrate`');
    }
    // Levels, certificate statuses and re-review outcomes that admins added, kept current in memory
    // (validation reads them synchronously; other processes' additions arrive on the timer).
    const referenceData = new ReferenceRefresher(logger);
    undo.push(() => referenceData.stop());
    await referenceData.start();
    const index = opts.index ?? (await createSearchIndex(config));
    undo.push(() => index.close());
    await index.init();
    await index.health();
    const stats = await index.stats();
    const entries = (await Promise.all(ALL_REGISTRIES.map((r) => countAll(r.model)))).reduce((a, b) => a + b, 0);
    if (stats.documents === 0 && entries > 0) {
      logger.info({ entries }, 'search index is empty: rebuilding from MongoDB');
      await reindexAll(index);
    }
    // The change log's two subscribers, each with its own worker: either can fall behind (the
    // search engine down, the audit chain's store failing) without holding up the other. The
    // audit trail also records the events that are not entry changes: it is handed to the app and
    // the import jobs, so one appender serialises everything this process adds to the chain.
    // The chain's key (AUDIT_HMAC_KEY; production requires it) and its anchors outside the database.
    const auditKeys = auditKeyring(config);
    if (auditKeys.development) logger.info('audit: AUDIT_HMAC_KEY is not set; the chain is keyed with the fixed development key (not tamper-proof)');
    const auditTrail = auditSubscriber(logger, new ChainWriter(auditKeys));
    undo.push(handleInline(auditTrail));
    const audit = new ChangeWorker(auditTrail, logger, { pollMs: config.OUTBOX_POLL_MS });
    undo.push(() => audit.stop());
    audit.start();
    const anchor = new AnchorService({ file: anchorFileOf(config), everyMs: config.AUDIT_ANCHOR_SECONDS * 1000, keys: auditKeys, log: logger });
    undo.push(() => anchor.stop());
    anchor.start();
    const sync = new IndexSync(index, logger, config.OUTBOX_POLL_MS);
    undo.push(() => sync.stop());
    sync.start();
    const sweeper = new ExpirySweeper([SESSION_EXPIRY, ENTERPRISE_SESSION_EXPIRY, RATE_LIMIT_EXPIRY, SIGN_IN_THROTTLE_EXPIRY, SUBSCRIPTION_EXPIRY]);
    undo.push(() => sweeper.stop());
    await sweeper.start();
    const compactor = new ChangeCompactor(logger);
    undo.push(() => compactor.stop());
    compactor.start();
    // E-mail alerts: their change-log cursor, daily passes and the mail outbox's sender
    // (docs/decisions/0018). Stopped before the workers; a mail being sent is left to its lease.
    const alerts = new Alerts({ config, log: logger, pollMs: Math.max(config.OUTBOX_POLL_MS, 5_000) });
    undo.push(() => alerts.stop());
    await alerts.start();
    // Reminders to reviewers about application steps nearly due (src/applications/reminders.ts).
    const reminders = new WorkflowReminders({ mailer: { send: (m) => alerts.send(m) }, logger, base: config.PUBLIC_BASE_URL });
    undo.push(() => reminders.stop());
    reminders.start();
    // Count the registries for /stats in the background, so its first visitor does not wait.
    const statsCache = registryStatsCache(logger);
    const warming = statsCache.get().catch(() => {});
    undo.push(() => warming);
    // The app's own services. Aborting `closing` removes the app's change listeners.
    const closing = new AbortController();
    undo.push(() => closing.abort());
    const rateLimits = new RateLimits();
    undo.push(() => rateLimits.stop());
    const imports = new ImportJobs({ dir: importDir(config), logger, audit: auditTrail });
    undo.push(() => imports.stop());
    const app = createApp({ config, logger, index, sync, auditTrail, audit, statsCache, rateLimits, imports, signal: closing.signal, alerts });
    // Timeouts, header limits and polite refusals (431 for a 100 KB URL) in src/platform/http-server.ts.
    const server = await listen(createHttpServer(app), config.PORT, config.HOST);
    // Requests in flight get half the shutdown bound to finish; then their connections are closed.
    undo.push(() => closeServer(server, (config.SHUTDOWN_TIMEOUT_SECONDS * 1000) / 2));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
    const url = `http://${config.HOST === '127.0.0.1' || config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
    // In reverse: HTTP → import jobs → rate-limit stores → app listeners → the stats warm-up →
    // compactor → sweeper → search sync → audit worker → inline audit → search index → MongoDB.
    let stopping: Promise<void> | null = null;
    const stop = () => (stopping ??= unwind());
    return { server, index, sync, audit, auditTrail, imports, rateLimits, logger, url, stop };
  } catch (err) {
    await unwind().catch((cause: unknown) => logger.error({ err: cause }, 'boot: cleaning up after a failed start failed too'));
    throw err;
  }
}

/**
 * SIGINT/SIGTERM: stop in reverse order (HTTP first: no new connections, requests in flight may
 * finish), and exit 0 when everything stopped within `timeoutMs`. Past it, the process exits 1
 * anyway, saying so: what was abandoned is safe to abandon — a change a worker had not marked is
 * handled again by the next process, an interrupted import resumes from its file. A second signal
 * exits at once.
 */
export function exitOnSignals(running: Pick<Running, 'stop' | 'logger'>, o: { timeoutMs: number; exit?: (code: number) => void }): () => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      running.logger.warn({ signal }, 'second signal: exiting now');
      return exit(1);
    }
    shuttingDown = true;
    running.logger.info({ signal, timeoutMs: o.timeoutMs }, 'shutting down');
    const started = Date.now();
    const deadline = setTimeout(() => {
      running.logger.error({ timeoutMs: o.timeoutMs }, 'shutdown: still busy after the bound; exiting anyway (unfinished work resumes on the next start)');
      exit(1);
    }, o.timeoutMs);
    running.stop().then(
      () => {
        clearTimeout(deadline);
        running.logger.info({ ms: Date.now() - started }, 'stopped');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        running.logger.error({ err }, 'shutdown: a service failed to stop');
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * `npm start`: the production entry point. Production is its default (NODE_ENV unset), so it
 * refuses to start without SESSION_SECRET, PUBLIC_BASE_URL and MONGODB_URI (src/config).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({ NODE_ENV: 'production', ...process.env });
  if (!config.MONGODB_URI) {
    console.error('config: MONGODB_URI is required for `npm start` (use `npm run demo` for the local stack)');
    process.exit(78);
  }
  const running = await boot(config, { mongoUri: config.MONGODB_URI });
  running.logger.info({ url: running.url, search: running.index.name, mode: config.NODE_ENV }, 'listening');
  exitOnSignals(running, { timeoutMs: config.SHUTDOWN_TIMEOUT_SECONDS * 1000 });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
