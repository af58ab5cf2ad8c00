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
import { loadConfigOrExit, type Config } from './config/index.js';
import { createApp } from './app.js';
import { SESSION_EXPIRY } from './accounts/session.js';
import { connectDatabase, countAll, disconnectDatabase, ExpirySweeper } from './platform/db/index.js';
import { RATE_LIMIT_EXPIRY, RateLimits } from './platform/rate-limit.js';
import { auditSubscriber, type AuditTrail } from './audit/index.js';
import { ChangeCompactor, handleInline } from './registries/changes.js';
import { ChangeWorker } from './registries/outbox.js';
import { createLogger, type Logger } from './platform/logger.js';
import { ALL_REGISTRIES } from './registries/kinds.js';
import { createSearchIndex } from './search/index.js';
import type { SearchIndex } from './search/port.js';
import { IndexSync, reindexAll } from './search/sync.js';
import { registryStatsCache } from './registries/counts.js';
import { importDir, ImportJobs } from './imports/jobs.js';

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

export async function boot(config: Config, opts: { mongoUri: string; dbName?: string; logger?: Logger }): Promise<Running> {
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
    const index = await createSearchIndex(config);
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
    const auditTrail = auditSubscriber(logger);
    undo.push(handleInline(auditTrail));
    const audit = new ChangeWorker(auditTrail, logger, { pollMs: config.OUTBOX_POLL_MS });
    undo.push(() => audit.stop());
    audit.start();
    const sync = new IndexSync(index, logger, config.OUTBOX_POLL_MS);
    undo.push(() => sync.stop());
    sync.start();
    const sweeper = new ExpirySweeper([SESSION_EXPIRY, RATE_LIMIT_EXPIRY]);
    undo.push(() => sweeper.stop());
    await sweeper.start();
    const compactor = new ChangeCompactor(logger);
    undo.push(() => compactor.stop());
    compactor.start();
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
    const app = createApp({ config, logger, index, sync, auditTrail, audit, statsCache, rateLimits, imports, signal: closing.signal });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, () => resolve(s));
      s.once('error', reject);
    });
    undo.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
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

/** `npm start`: production entry point; needs MONGODB_URI. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.MONGODB_URI) {
    console.error('config: MONGODB_URI is required for `npm start` (use `npm run demo` for the local stack)');
    process.exit(78);
  }
  const running = await boot(config, { mongoUri: config.MONGODB_URI });
  running.logger.info({ url: running.url, search: running.index.name }, 'listening');
  const shutdown = async (signal: string) => {
    running.logger.info({ signal }, 'shutting down');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
