/**
 * Run by test/shutdown.test.ts in a process of its own: boots the real app against the test
 * database with the real signal handling of `npm start` (exitOnSignals), and — with
 * SHUTDOWN_PROBE_STALL=1 — a search index whose writes never finish, then saves an entry so the
 * search sync's pass is stuck in the middle of a write. It prints `{"stalled":true}` (or
 * `{"ready":true}`) on stdout and waits for the test's SIGINT; the log (pino JSON) goes to stdout
 * as well.
 *
 * Env: SHUTDOWN_PROBE_URI (a MongoDB URI without database), SHUTDOWN_PROBE_DB,
 * SHUTDOWN_PROBE_STALL, SHUTDOWN_TIMEOUT_SECONDS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { boot, exitOnSignals } from '../../src/main.js';
import { demoCreditCode } from '../../src/registries/credit-code.js';
import { Brand, DirectoryEntry } from '../../src/registries/models.js';
import { createEntry } from '../../src/registries/service.js';
import { EmbeddedSearchIndex } from '../../src/search/embedded.js';
import type { SearchIndex } from '../../src/search/port.js';

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** The embedded index, except that a write never ends (as with a search engine that stopped answering). */
function stallingIndex(onStall: () => void): SearchIndex {
  const inner = new EmbeddedSearchIndex(':memory:');
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'upsert') {
        return () => {
          onStall();
          return new Promise<void>(() => {});
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const uri = process.env.SHUTDOWN_PROBE_URI;
  const dbName = process.env.SHUTDOWN_PROBE_DB;
  if (!uri || !dbName) throw new Error('shutdown-probe: SHUTDOWN_PROBE_URI and SHUTDOWN_PROBE_DB are required');
  const stall = process.env.SHUTDOWN_PROBE_STALL === '1';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shutdown-probe-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    SEARCH_INDEX_PATH: ':memory:',
    OUTBOX_POLL_MS: '50',
    SHUTDOWN_TIMEOUT_SECONDS: process.env.SHUTDOWN_TIMEOUT_SECONDS ?? '2',
  });
  let stalled = false;
  const index = stall
    ? stallingIndex(() => {
        if (!stalled) say({ stalled: true });
        stalled = true;
      })
    : undefined;
  const running = await boot(config, { mongoUri: uri, dbName, index });
  exitOnSignals(running, { timeoutMs: config.SHUTDOWN_TIMEOUT_SECONDS * 1000 });
  if (stall) {
    const slug = `shutdown-probe-${Date.now().toString(36)}`;
    const brand = await createEntry<Record<string, unknown>>(Brand, {
      slug,
      name: '停机探针',
      company: '武汉停机探针有限公司',
      creditCode: demoCreditCode(slug),
      district: '江汉区',
      sector: '二产',
      industry: '食品制造',
      keywords: [],
      description: '停机测试的品牌。',
    });
    // A directory entry: a search document, so the sync's next pass writes to the index.
    await createEntry<Record<string, unknown>>(DirectoryEntry, { brand: brand._id, status: '在册' });
  } else {
    say({ ready: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
