/**
 * A local Meilisearch process for the demo (`npm run demo -- --meili`) and the tests
 * (test/support/meili.ts): the binary from MEILI_BIN, else `../shared/bin/meilisearch` next to
 * the repository, on 127.0.0.1 and a free port, with a random master key (passed by environment,
 * so `ps` does not show it). Production runs its own Meilisearch and sets MEILI_URL instead.
 *
 * Meilisearch does not watch its parent, so it runs under a tiny `sh` wrapper whose stdin is a
 * pipe from this process: when the pipe closes (stop(), or this process dying for any reason,
 * even SIGKILL) the wrapper sends SIGTERM, then SIGKILL after a few seconds. No server outlives
 * the process that started it.
 *
 * Data: a folder given by the caller is kept between runs (the demo's DATA_DIR/meili); without
 * one, a throw-away folder under the OS temp dir is removed when the server stops (tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, isRecord } from './guards.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_TIMEOUT_MS = 30_000;

/**
 * Runs "$@" with stdin from /dev/null, prints its pid, then blocks on its own stdin. EOF (the
 * parent closed the pipe, or died) stops the server: SIGTERM, SIGKILL after 5 s. The server stays
 * this shell's child until `wait` reaps it, so its pid cannot be reused while we signal it. The
 * data folder $1 is removed afterwards unless $2 is "persist" or the parent wrote "keep" first
 * (a restart on the same data).
 */
const WRAPPER = `
dir=$1; persist=$2; shift 2
"$@" </dev/null &
pid=$!
echo "$pid"
read -r keep || keep=
cat >/dev/null
kill -TERM "$pid" 2>/dev/null
( sleep 5; kill -KILL "$pid" 2>/dev/null ) &
killer=$!
wait "$pid"
kill "$killer" 2>/dev/null
[ "$keep" = keep ] || [ "$persist" = persist ] || rm -rf "$dir"
exit 0
`;

/** The Meilisearch binary: MEILI_BIN, else `../shared/bin/meilisearch` beside the repository; null when there is none. */
export function meiliBinary(): string | null {
  const fromEnv = process.env.MEILI_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const shared = path.resolve(REPO_ROOT, '..', 'shared', 'bin', 'meilisearch');
  return existsSync(shared) ? shared : null;
}

/** What to do when there is no binary: the message names both ways out. */
export const NO_MEILI_BINARY = 'no Meilisearch binary: set MEILI_BIN, or MEILI_URL (+ MEILI_MASTER_KEY) for a running server';

/** A running Meilisearch. */
export interface MeiliServer {
  url: string;
  masterKey: string;
  /** The server's default search-only key ("Default Search API Key"). */
  searchKey: string;
  /** e.g. "1.50.0" */
  version: string;
  /** Null for an external server. */
  dbPath: string | null;
  /** The server's pid (null for an external server). */
  pid(): number | null;
  /** kill -9 the server, as a crash would; resolves once it is gone. */
  crash(): Promise<void>;
  /** Starts the server again on the same port, key and data folder; resolves when healthy. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), waits for the exit; removes a throw-away data folder. Idempotent. */
  stop(): Promise<void>;
}

export interface StartMeiliOptions {
  /** The binary (default: {@link meiliBinary}). */
  bin?: string;
  /** A data folder kept between runs; default: a throw-away one removed at stop. */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /** Meilisearch log level (default WARN). */
  logLevel?: 'ERROR' | 'WARN' | 'INFO';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves when GET /health says available; rejects after `timeoutMs` or when `died()` says the process is gone. */
export async function waitHealthy(url: string, timeoutMs = READY_TIMEOUT_MS, died: () => string | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const gone = died();
    if (gone) throw new Error(`Meilisearch exited before it was ready: ${gone}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      const body: unknown = await res.json();
      if (isRecord(body) && body.status === 'available') return;
      last = JSON.stringify(body);
    } catch (err) {
      last = errorMessage(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Meilisearch at ${url} not healthy after ${timeoutMs} ms: ${last}`);
}

async function adminGet<T>(url: string, key: string, route: string): Promise<T> {
  const res = await fetch(`${url}${route}`, { headers: { Authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The server's version and its default search-only key, read with the master key. */
export async function meiliServerInfo(url: string, masterKey: string): Promise<{ version: string; searchKey: string }> {
  const { pkgVersion } = await adminGet<{ pkgVersion: string }>(url, masterKey, '/version');
  const { results } = await adminGet<{ results: Array<{ key: string; actions: string[]; indexes: string[]; name: string | null }> }>(url, masterKey, '/keys');
  const search = results.find((k) => k.actions.length === 1 && k.actions[0] === 'search' && k.indexes.includes('*'));
  if (!search) throw new Error('Meilisearch has no default search key');
  return { version: pkgVersion, searchKey: search.key };
}

function setRef(child: ChildProcess, on: boolean): void {
  // The stdio pipes are sockets at run time (with ref/unref), though typed as plain streams.
  const handles: unknown[] = [child, child.stdin, child.stdout, child.stderr];
  for (const h of handles) {
    const toggle = isRecord(h) ? (on ? h.ref : h.unref) : undefined;
    if (typeof toggle === 'function') toggle.call(h);
  }
}

/** Starts a server from the binary (see the module comment); resolves when it is healthy. */
export async function startMeiliServer(opts: StartMeiliOptions = {}): Promise<MeiliServer> {
  const bin = opts.bin ?? meiliBinary();
  if (!bin) throw new Error(NO_MEILI_BINARY);
  const persist = opts.dataDir !== undefined;
  const dir = persist ? path.resolve(opts.dataDir!) : mkdtempSync(path.join(tmpdir(), 'meili-test-'));
  mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'data.ms');
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const masterKey = randomBytes(24).toString('base64url');
  const args = [
    '--db-path',
    dbPath,
    '--dump-dir',
    path.join(dir, 'dumps'),
    '--snapshot-dir',
    path.join(dir, 'snapshots'),
    '--http-addr',
    `127.0.0.1:${port}`,
    '--no-analytics',
    '--env',
    'development',
    '--log-level',
    opts.logLevel ?? 'WARN',
    '--max-indexing-threads',
    '2',
  ];
  const cleanup = () => {
    if (!persist) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);

  let wrapper: ChildProcess | null = null;
  let serverPid: number | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const launch = async () => {
    stderr = '';
    let exitInfo: string | null = null;
    // cwd in the data folder: nothing the server writes lands in the repository.
    const child = spawn('sh', ['-c', WRAPPER, 'meili-wrapper', dir, persist ? 'persist' : 'temp', bin, ...args], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      // The key goes by environment, not argv, so `ps` does not show it.
      env: { ...process.env, MEILI_MASTER_KEY: masterKey },
    });
    wrapper = child;
    exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exitInfo = `wrapper exit ${code ?? signal}; ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
        resolve();
      }),
    );
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    serverPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) resolve(Number(line));
      });
      child.once('exit', () => reject(new Error(`Meilisearch wrapper exited: ${stderr}`)));
    });
    await waitHealthy(url, READY_TIMEOUT_MS, () => exitInfo);
    // Once up, neither the wrapper nor our pipes keep this process alive (it stops the server when it exits).
    setRef(child, false);
  };

  /** Closes the wrapper's stdin (it then stops the server) and waits for both to exit. */
  const shutdown = async (keepData: boolean) => {
    const w = wrapper;
    if (!w) return;
    wrapper = null;
    setRef(w, true);
    w.stdin?.end(keepData ? 'keep\n' : undefined);
    await exited;
    serverPid = null;
  };

  await launch();
  const info = await meiliServerInfo(url, masterKey).catch(async (err: unknown) => {
    await shutdown(false);
    throw err;
  });
  let stopped = false;
  return {
    url,
    masterKey,
    searchKey: info.searchKey,
    version: info.version,
    dbPath,
    pid: () => serverPid,
    async crash() {
      if (serverPid === null) throw new Error('Meilisearch is not running');
      process.kill(serverPid, 'SIGKILL');
      await shutdown(true);
    },
    async restart() {
      await shutdown(true);
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown(false);
      cleanup();
      process.removeListener('exit', cleanup);
    },
  };
}
