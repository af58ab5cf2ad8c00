/**
 * The local MongoDB-compatible server for the demo stack, the tests and CI.
 *
 * Order of preference: MONGODB_URI when set; a real `mongod` on the PATH; otherwise FerretDB
 * v1.24.2 on SQLite, built once from the Go module proxy into `.cache/ferretdb/` (see
 * scripts/ferretdb/ and docs/decisions/0001), with one patched file so that `_id` lookups use the
 * `_id` index. Child processes are stopped on `stop()` and also exit by themselves when this
 * process dies, so nothing is left orphaned.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRecord } from './guards.js';

export const FERRETDB_VERSION = 'v1.24.2';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRAPPER_DIR = path.join(ROOT, 'scripts', 'ferretdb');
/**
 * Our patch level on top of FerretDB, part of the binary's name: bump it whenever a file in
 * scripts/ferretdb/_overlay/ changes, so that cached binaries (and running stacks using them) are
 * left alone and the new build gets a new name.
 */
export const FERRETDB_PATCH_LEVEL = 'p4';
export const FERRETDB_BIN = path.join(ROOT, '.cache', 'ferretdb', `ferretdb-${FERRETDB_VERSION}-${FERRETDB_PATCH_LEVEL}`);

/**
 * Files of the FerretDB module replaced at build time (`go build -overlay`), with the SHA-256 of
 * the original each patch was written against: a different original (another version, a changed
 * module) stops the build instead of silently mixing sources.
 */
const FERRETDB_PATCHES = [
  {
    // IDColumn spelled like the `_id` index expression, so `_id` lookups stop scanning the table.
    original: 'internal/backends/sqlite/metadata/metadata.go',
    originalSha256: '2a831ed534120b6adf5c819fbfc002894efe54ee03490d8526b977653e73c527',
    patched: '_overlay/metadata.go',
  },
  {
    // No reply to a moreToCome (w: 0) request: the extra reply crossed every later reply on that
    // pooled connection (docs/decisions/0007).
    original: 'internal/clientconn/conn.go',
    originalSha256: '1e007b07e8e871a0000d4060e60230f3043f246c150521a6ac15c83dad4275d0',
    patched: '_overlay/conn.go',
  },
  {
    // Equality and $in filters on top-level fields pushed down to SQL, so indexes answer them.
    original: 'internal/backends/sqlite/collection.go',
    originalSha256: '7b65c249d047b4ec47d1e6833e945ac7d2613ab2ca3032c64ee526311bd04177',
    patched: '_overlay/collection.go',
  },
];

export interface LocalMongo {
  /** Connection string without a database name, e.g. mongodb://127.0.0.1:41234 */
  uri: string;
  /** What is running: "external", "mongod" or "ferretdb". */
  engine: 'external' | 'mongod' | 'ferretdb';
  stop(): Promise<void>;
}

export interface LocalMongoOptions {
  /** Folder for the database files; created if missing. */
  dataDir: string;
  /** Wipe dataDir first (tests). */
  fresh?: boolean;
  /** MONGODB_URI, if the operator set one. */
  externalUri?: string;
  log?: (line: string) => void;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`database process exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`database did not accept connections on port ${port} within ${timeoutMs} ms`);
}

/** Builds the FerretDB binary if it is not cached yet. Throws with what to install if it cannot. */
export function ensureFerretDB(log: (line: string) => void = () => {}): string {
  if (existsSync(FERRETDB_BIN)) return FERRETDB_BIN;
  if (!onPath('go')) {
    throw new Error(
      'No database: MONGODB_URI is not set, no `mongod` is on the PATH, and Go is not installed to build FerretDB. ' +
        'Install Go ≥ 1.24 (e.g. `apt-get install golang-go`) or set MONGODB_URI.',
    );
  }
  log(`building FerretDB ${FERRETDB_VERSION}-${FERRETDB_PATCH_LEVEL} with Go (first run only, a few minutes)…`);
  mkdirSync(path.dirname(FERRETDB_BIN), { recursive: true });
  const tmp = `${FERRETDB_BIN}.tmp-${process.pid}`;
  // Scratch space of this build only, so concurrent first runs do not trip over each other.
  const work = `${FERRETDB_BIN}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  try {
    const moduleDir = ferretDBSource(env);
    // Go refuses overlays of files inside the module cache, so the build uses a copy of the
    // FerretDB module (3.4 MB; its dependencies still come from the cache) through a `replace`
    // in a generated go.mod; the committed scripts/ferretdb/go.mod stays untouched.
    const copy = path.join(work, 'FerretDB');
    cpSync(moduleDir, copy, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', copy]); // module-cache files are read-only; lets rmSync clean up
    const overlay: Record<string, string> = {};
    for (const p of FERRETDB_PATCHES) {
      const original = path.join(copy, p.original);
      const sum = createHash('sha256').update(readFileSync(original)).digest('hex');
      if (sum !== p.originalSha256) {
        throw new Error(
          `FerretDB's ${p.original} is not the file scripts/ferretdb/${p.patched} was written for ` +
            `(sha256 ${sum}); update the patch and FERRETDB_PATCHES in src/platform/local-mongo.ts.`,
        );
      }
      overlay[original] = path.join(WRAPPER_DIR, p.patched);
    }
    const overlayFile = path.join(work, 'overlay.json');
    writeFileSync(overlayFile, JSON.stringify({ Replace: overlay }, null, 2));
    const modFile = path.join(work, 'go.mod');
    writeFileSync(modFile, `${readFileSync(path.join(WRAPPER_DIR, 'go.mod'), 'utf8')}\nreplace github.com/FerretDB/FerretDB => ${JSON.stringify(copy)}\n`);
    cpSync(path.join(WRAPPER_DIR, 'go.sum'), path.join(work, 'go.sum'));
    const res = spawnSync('go', ['build', '-trimpath', `-modfile=${modFile}`, `-overlay=${overlayFile}`, '-o', tmp, '.'], {
      cwd: WRAPPER_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    if (res.status !== 0) throw new Error(`building FerretDB failed (go build exited ${res.status})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Rename is atomic: a concurrent launcher never runs a half-written binary.
  spawnSync('mv', ['-f', tmp, FERRETDB_BIN]);
  return FERRETDB_BIN;
}

/**
 * Downloads FerretDB's module into the Go module cache if needed (checked against
 * scripts/ferretdb/go.sum) and returns its directory there.
 */
function ferretDBSource(env: NodeJS.ProcessEnv): string {
  const res = spawnSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], {
    cwd: WRAPPER_DIR,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let info: { Dir?: string; Error?: string } = {};
  try {
    const parsed: unknown = JSON.parse(res.stdout);
    if (isRecord(parsed))
      info = { Dir: typeof parsed.Dir === 'string' ? parsed.Dir : undefined, Error: typeof parsed.Error === 'string' ? parsed.Error : undefined };
  } catch {
    // fall through: reported below with the exit status
  }
  if (res.status !== 0 || !info.Dir) {
    throw new Error(`downloading FerretDB ${FERRETDB_VERSION} failed: ${info.Error ?? `go mod download exited ${res.status}`}`);
  }
  return info.Dir;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** Starts (or adopts) the database server. */
export async function startLocalMongo(opts: LocalMongoOptions): Promise<LocalMongo> {
  const log = opts.log ?? (() => {});
  if (opts.externalUri) {
    return { uri: opts.externalUri, engine: 'external', stop: async () => {} };
  }
  if (opts.fresh) rmSync(opts.dataDir, { recursive: true, force: true });
  const port = await freePort();
  let child: ChildProcess;
  let engine: LocalMongo['engine'];
  if (onPath('mongod')) {
    const dir = path.join(opts.dataDir, 'mongod');
    mkdirSync(dir, { recursive: true });
    engine = 'mongod';
    child = spawn('mongod', ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  } else {
    const bin = ensureFerretDB(log);
    const dir = path.resolve(opts.dataDir, 'ferretdb');
    mkdirSync(dir, { recursive: true });
    engine = 'ferretdb';
    // The wrapper watches its parent and exits when this process is gone (scripts/ferretdb/main.go).
    child = spawn(bin, ['-listen-addr', `127.0.0.1:${port}`, '-sqlite-dir', dir, '-log-level', 'error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  await waitForPort(port, child, 30_000);
  log(`${engine} listening on 127.0.0.1:${port}`);
  return { uri: `mongodb://127.0.0.1:${port}`, engine, stop: () => stopChild(child) };
}

/** The database `npm run demo` keeps its data in on the local server (DATA_DIR/db). */
export const DEMO_DB_NAME = 'brand_registry';

/** The database a connection string names ("mongodb://host/db?…" → "db"), or null. */
export function dbNameOf(uri: string): string | null {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  return name ? decodeURIComponent(name) : null;
}

/** A MONGODB_URI that names no database (and no --db was given): the scripts refuse it. */
export class NoDatabaseNameError extends Error {
  constructor() {
    super('config: MONGODB_URI names no database (mongodb://host/<database>); add it, or pass --db <name> where the script takes one');
    this.name = 'NoDatabaseNameError';
  }
}

export interface ScriptDatabase {
  uri: string;
  /** Passed to connectDatabase: undefined when the URI names it. */
  dbName: string | undefined;
  /** The local server this process started (stop it at the end), or null. */
  mongo: LocalMongo | null;
  /** For a line on stderr: which database the script works on. */
  description: string;
}

/**
 * Which database a command-line script (seed:demo, reindex, import, user:create, audit:verify)
 * works on: MONGODB_URI when set — it must name its database, unless `dbName` is given — else the
 * local demo stack's (DATA_DIR/db, database brand_registry), whose server this starts.
 */
export async function scriptDatabase(opts: { uri?: string; dataDir: string; dbName?: string; log?: (line: string) => void }): Promise<ScriptDatabase> {
  if (opts.uri) {
    const named = dbNameOf(opts.uri);
    if (!opts.dbName && !named) throw new NoDatabaseNameError();
    return { uri: opts.uri, dbName: opts.dbName, mongo: null, description: `database ${opts.dbName ?? named} (MONGODB_URI)` };
  }
  const dataDir = path.join(opts.dataDir, 'db');
  const mongo = await startLocalMongo({ dataDir, log: opts.log });
  const dbName = opts.dbName ?? DEMO_DB_NAME;
  return { uri: mongo.uri, dbName, mongo, description: `MONGODB_URI is not set: the local demo database ${dbName} in ${dataDir}` };
}
