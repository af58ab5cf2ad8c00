/**
 * One test stack per run: a fresh local MongoDB-compatible database (through the same launcher as
 * `npm run demo`), the demo data loaded through the registry service, the real embedded search
 * engine (in memory) kept in sync by the real worker, and the app from its factory. The stack owns
 * the services it hands to each app (rate-limit stores, import jobs) and stops them at the end.
 */
import type { Express } from 'express';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { seedDemo } from '../../src/demo/seed.js';
import { connectDatabase, disconnectDatabase } from '../../src/platform/db/index.js';
import { startLocalMongo, type LocalMongo } from '../../src/platform/local-mongo.js';
import { createLogger } from '../../src/platform/logger.js';
import { EmbeddedSearchIndex } from '../../src/search/embedded.js';
import { IndexSync } from '../../src/search/sync.js';
import { auditSubscriber, type AuditTrail } from '../../src/audit/index.js';
import { importDir, ImportJobs } from '../../src/imports/jobs.js';
import { RateLimits } from '../../src/platform/rate-limit.js';
import { handleInline } from '../../src/registries/changes.js';
import { ChangeWorker } from '../../src/registries/outbox.js';

export interface TestContext {
  app: Express;
  config: Config;
  index: EmbeddedSearchIndex;
  sync: IndexSync;
  /** The audit trail: the change log's inline subscriber, and the recorder the apps and tests record other events through. */
  auditTrail: AuditTrail;
  /** The audit trail's change-log worker (not started: tests drain it). */
  audit: ChangeWorker;
  undoInline: () => void;
  mongo: LocalMongo;
  dbName: string;
  /** Stops what the apps built here started (their rate-limit stores and import jobs). */
  stopApps(): Promise<void>;
  /** Builds another app on the same stack with different settings. */
  makeApp(overrides?: Partial<Config>): Express;
}

let ctx: TestContext | null = null;

export function testContext(): TestContext {
  if (!ctx) throw new Error('test stack not started (test/support/global.ts)');
  return ctx;
}

export async function startTestStack(): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'brand-registry-test-'));
  const mongo = await startLocalMongo({ dataDir, fresh: true, externalUri: process.env.TEST_MONGODB_URI });
  const dbName = `test_${Date.now().toString(36)}`;
  await connectDatabase(mongo.uri, dbName);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SEARCH_INDEX_PATH: ':memory:',
    RATE_LIMIT_SEARCH_PER_MIN: '100000',
    RATE_LIMIT_LOGIN_PER_15MIN: '100000',
  });
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const index = new EmbeddedSearchIndex(':memory:');
  await index.init();
  const auditTrail = auditSubscriber(logger);
  const undoInline = handleInline(auditTrail);
  const audit = new ChangeWorker(auditTrail, logger, { pollMs: 50 });
  const sync = new IndexSync(index, logger, 50);
  await seedDemo();
  // Generous: on a loaded machine the first pass over the demo data's changes can take a while.
  await sync.drain(180_000);
  const rateLimits = new RateLimits();
  const jobs = new Map<string, ImportJobs>();
  const closing = new AbortController();
  const makeApp = (overrides: Partial<Config> = {}) => {
    const appConfig = { ...config, ...overrides };
    const dir = importDir(appConfig);
    const imports = jobs.get(dir) ?? new ImportJobs({ dir, logger, audit: auditTrail });
    jobs.set(dir, imports);
    return createApp({ config: appConfig, logger, index, sync, auditTrail, audit, rateLimits, imports, signal: closing.signal });
  };
  const stopApps = async () => {
    await Promise.all([...jobs.values()].map((j) => j.stop()));
    await rateLimits.stop();
    closing.abort();
  };
  ctx = { app: makeApp(), config, index, sync, auditTrail, audit, undoInline, mongo, dbName, makeApp, stopApps };
  return ctx;
}

export async function stopTestStack(): Promise<void> {
  if (!ctx) return;
  await ctx.stopApps();
  await ctx.sync.stop();
  await ctx.audit.stop();
  ctx.undoInline();
  await ctx.index.close();
  await disconnectDatabase();
  await ctx.mongo.stop();
  ctx = null;
}
