/**
 * A real Meilisearch server for tests. Process management lives in src/platform/meili-server.ts
 * (shared with `npm run demo -- --meili`): the binary from MEILI_BIN, else `../shared/bin/meilisearch`
 * next to the repository, on 127.0.0.1 on a free port with a random master key and a throw-away
 * data folder under the OS temp dir, stopped by the test that started it (or, if the test process
 * dies, by the wrapper it runs under). No server outlives the test run.
 *
 * MEILI_URL (with MEILI_MASTER_KEY) selects an external server instead; fault drills, which must
 * kill the process, always start their own.
 */
import { randomBytes } from 'node:crypto';
import { meiliBinary, meiliServerInfo, startMeiliServer, waitHealthy, type MeiliServer } from '../../src/platform/meili-server.js';

export { meiliBinary, waitHealthy, type MeiliServer };

/** Where the Meilisearch lane gets its server: an external MEILI_URL, the binary, or nowhere. */
export function meiliLane(): 'external' | 'binary' | null {
  if (process.env.MEILI_URL) return 'external';
  return meiliBinary() ? 'binary' : null;
}

/** The one line a suite prints when it runs without Meilisearch. */
export const MEILI_SKIPPED = 'Meilisearch lane skipped: no binary (set MEILI_BIN, or MEILI_URL for an external server)';

/** Starts a fresh server from the binary with throw-away data. */
export async function startMeili(opts: { bin?: string } = {}): Promise<MeiliServer> {
  if (!opts.bin && !meiliBinary()) throw new Error(MEILI_SKIPPED);
  return startMeiliServer(opts);
}

/** An external server from MEILI_URL / MEILI_MASTER_KEY (MEILI_SEARCH_KEY, else its default search key). */
async function externalMeili(): Promise<MeiliServer> {
  const url = process.env.MEILI_URL!.replace(/\/+$/, '');
  const masterKey = process.env.MEILI_MASTER_KEY ?? '';
  await waitHealthy(url, 10_000);
  const info = await meiliServerInfo(url, masterKey);
  const unsupported = async () => {
    throw new Error('an external Meilisearch (MEILI_URL) cannot be crashed or restarted by tests');
  };
  return {
    url,
    masterKey,
    searchKey: process.env.MEILI_SEARCH_KEY ?? info.searchKey,
    version: info.version,
    dbPath: null,
    pid: () => null,
    crash: unsupported,
    restart: unsupported,
    stop: async () => undefined,
  };
}

let shared: Promise<MeiliServer> | null = null;

/**
 * The server the Meilisearch lane's suites share within one test run (started on first use,
 * stopped by a root `after` hook, or by the wrapper if the run dies). Each suite uses its own
 * index uid. External when MEILI_URL is set.
 */
export function sharedMeili(): Promise<MeiliServer> {
  if (!shared) {
    shared = process.env.MEILI_URL ? externalMeili() : startMeili();
    shared.then(
      (s) => console.log(`  Meilisearch lane: v${s.version} at ${s.url}${s.dbPath ? '' : ' (external)'}`),
      () => undefined,
    );
  }
  return shared;
}

/** A unique index uid for a suite. */
export function testIndexUid(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

// Root hook (mocha runs a top-level `after` once, after every suite): stop the shared server.
if (typeof after === 'function') {
  after(async function () {
    this.timeout(15_000);
    if (shared) await (await shared.catch(() => null))?.stop();
    shared = null;
  });
}
