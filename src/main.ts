/**
 * Boot: config → logger → MongoDB → search index (health-checked, rebuilt if empty) → the change
 * log's subscribers and their workers (audit trail, search index) → the expiry sweeper and the
 * change-log compactor → HTTP. SIGINT/SIGTERM close them in reverse order.
 */
import type { Server } from 'node:http';
import { loadConfigOrExit, type Config } from './config/index.js';
import { createApp } from './app.js';
import { SESSION_EXPIRY } from './accounts/session.js';
import { connectDatabase, countAll, disconnectDatabase, ExpirySweeper } from './platform/db/index.js';
import { RATE_LIMIT_EXPIRY } from './platform/rate-limit.js';
import { auditSubscriber } from './audit/index.js';
import { ChangeCompactor, handleInline } from './registries/changes.js';
import { ChangeWorker } from './registries/outbox.js';
import { createLogger, type Logger } from './platform/logger.js';
import { ENTRY_MODELS } from './registries/models.js';
import { createSearchIndex } from './search/index.js';
import type { SearchIndex } from './search/port.js';
import { IndexSync, reindexAll } from './search/sync.js';
import { registryStatsCache } from './registries/counts.js';

export interface Running {
  server: Server;
  index: SearchIndex;
  sync: IndexSync;
  audit: ChangeWorker;
  logger: Logger;
  url: string;
  stop(): Promise<void>;
}

export async function boot(config: Config, opts: { mongoUri: string; dbName?: string; logger?: Logger }): Promise<Running> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const database = await connectDatabase(opts.mongoUri, opts.dbName, {
    // The guard has already closed the connection and failed the operation; this must be seen.
    onCrossedReply: (event) => logger.error({ event }, 'database: crossed reply caught; connection closed'),
  });
  logger.info({ database }, 'database connected');
  const index = await createSearchIndex(config);
  await index.init();
  await index.health();
  const stats = await index.stats();
  const entries = (await Promise.all(Object.values(ENTRY_MODELS).map((m) => countAll(m)))).reduce((a, b) => a + b, 0);
  if (stats.documents === 0 && entries > 0) {
    logger.info({ entries }, 'search index is empty: rebuilding from MongoDB');
    await reindexAll(index);
  }
  // The change log's two subscribers, each with its own worker: either can fall behind (the
  // search engine down, the audit chain's store failing) without holding up the other.
  const auditTrail = auditSubscriber(logger);
  const undoInline = handleInline(auditTrail);
  const audit = new ChangeWorker(auditTrail, logger, { pollMs: config.OUTBOX_POLL_MS });
  audit.start();
  const sync = new IndexSync(index, logger, config.OUTBOX_POLL_MS);
  sync.start();
  const sweeper = new ExpirySweeper([SESSION_EXPIRY, RATE_LIMIT_EXPIRY]);
  await sweeper.start();
  const compactor = new ChangeCompactor(logger);
  compactor.start();
  // Count the registries for /stats in the background, so its first visitor does not wait.
  const statsCache = registryStatsCache(logger);
  statsCache.get().catch(() => {});
  const app = createApp({ config, logger, index, sync, audit, statsCache });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  const url = `http://${config.HOST === '127.0.0.1' || config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await compactor.stop();
      await sweeper.stop();
      await sync.stop();
      await audit.stop();
      undoInline();
      await index.close();
      await disconnectDatabase();
    })());
  return { server, index, sync, audit, logger, url, stop };
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
