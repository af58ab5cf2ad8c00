/**
 * Run by test/boot.test.ts in a process of its own (boot owns the process's one mongoose
 * connection, which the test stack shares): boots the real app against the test database, does a
 * little work that starts every background service — public requests through the batched shared
 * rate limiters, an import whose dry run is still running — then calls `stop()` and reports, as
 * one JSON line on stdout, which timers, sockets and child processes it created are still there
 * and what it did after stop() had returned. The test then checks that this process ends by itself.
 *
 * Env: BOOT_PROBE_URI (a MongoDB URI without database), BOOT_PROBE_DB (a database of its own),
 * BOOT_PROBE_ROWS (rows of the import file).
 */
import { createHook } from 'node:async_hooks';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { boot } from '../../src/main.js';
import { demoCreditCode } from '../../src/registries/credit-code.js';

/** Resources that keep work going or keep the process alive: timers, immediates and handles. */
const WATCHED = new Set([
  'Timeout',
  'Immediate',
  'PROCESSWRAP',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'TCPCONNECTWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'PIPECONNECTWRAP',
  'SIGNALWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
  'UDPWRAP',
  'TTYWRAP',
  'WORKER',
  'HTTPCLIENTREQUEST',
]);

export interface ProbeReport {
  /** Watched resources created between boot and the end of stop() and never destroyed. */
  leftover: Array<{ type: string; stack: string }>;
  /** Watched resources created after stop() had returned (the app still at work). */
  afterStop: Array<{ type: string; stack: string }>;
  /** process.getActiveResourcesInfo() counts (referenced resources) before boot and after stop. */
  activeBefore: Record<string, number>;
  activeAfter: Record<string, number>;
  /** The import job left running when stop() was called. */
  jobId: string;
  /** How many watched resources the work created in all (so an empty report means something). */
  created: number;
  stopMs: number;
}

const counts = (types: string[]) => types.reduce<Record<string, number>>((out, t) => ({ ...out, [t]: (out[t] ?? 0) + 1 }), {});

let phase: 'idle' | 'running' | 'stopped' = 'idle';
/** True while the probe makes a timer of its own (those are not the app's). */
let own = false;
const live = new Map<number, { type: string; stack: string }>();
const afterStop: Array<{ type: string; stack: string }> = [];
let created = 0;

/**
 * Node's own cache of the HTTP Date header: a timer every response may start, which ends itself
 * within a second (node:internal/http). It belongs to Node, not to the app.
 */
const nodeDateCache = (stack: string) => /at utcDate \(node:internal\/http:/.test(stack);

const hook = createHook({
  init(asyncId, type) {
    if (phase === 'idle' || own || !WATCHED.has(type)) return;
    const stack = (new Error().stack ?? '').split('\n').slice(2, 14).join('\n');
    if (nodeDateCache(stack)) return;
    const entry = { type, stack };
    if (phase === 'running') {
      live.set(asyncId, entry);
      created++;
    } else afterStop.push(entry);
  },
  destroy(asyncId) {
    live.delete(asyncId);
  },
});

/** A timer of the probe's own. */
const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    own = true;
    setTimeout(resolve, ms);
    own = false;
  });

/** GET on the app over a connection of its own, closed before this resolves. */
function get(port: number, pathname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: encodeURI(pathname), agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => res.socket.once('close', () => resolve(res.statusCode ?? 0)).destroy());
    });
    req.once('error', reject);
  });
}

/** A directory file with `rows` distinct brands (large enough that its dry run is still going at stop). */
function importFile(dir: string, rows: number): string {
  const header =
    '品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,产品关键词,品牌简介,商标注册号,尼斯分类,有效期起,有效期至,马德里,优势商标,地理标志产品,地理标志区域,状态';
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `启动探针${i},武汉启动探针${i}有限公司,${demoCreditCode(`boot-probe-${i}`)},江汉区,二产,食品制造,探针,启动测试的品牌。,${79000000 + i},30,2020-01-01,2030-01-01,否,否,,,在册`,
    );
  }
  // Where an upload lands (src/imports/upload.ts), next to the job's problem file.
  mkdirSync(path.join(dir, 'imports'), { recursive: true });
  const file = path.join(dir, 'imports', 'boot-probe.csv');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

async function main(): Promise<void> {
  const uri = process.env.BOOT_PROBE_URI;
  const dbName = process.env.BOOT_PROBE_DB;
  if (!uri || !dbName) throw new Error('boot-probe: BOOT_PROBE_URI and BOOT_PROBE_DB are required');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'boot-probe-'));
  const file = importFile(dataDir, Number(process.env.BOOT_PROBE_ROWS ?? 20_000));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    SEARCH_INDEX_PATH: ':memory:',
    RATE_LIMIT_SHARED: 'true',
    OUTBOX_POLL_MS: '50',
  });
  void process.stdout; // its pipe is the probe's, opened before the watch starts
  // Loading some packages starts a file read of their own (sharp's libc detection reads a system
  // file): let such reads finish, so the snapshot holds only what lives for the process.
  await new Promise((resolve) => setTimeout(resolve, 200));

  const activeBefore = counts(process.getActiveResourcesInfo());
  hook.enable();
  phase = 'running';
  const running = await boot(config, { mongoUri: uri, dbName });
  const port = Number(new URL(running.url).port);
  // The public limiters (batched: each schedules a flush), the page cache, the stats warm-up.
  for (const p of ['/healthz', '/search?q=热干面', '/api/v1/search?q=汤包', '/verify/NOPE-2024-0000', '/api/v1/certificates/NOPE-2024-0000', '/stats']) {
    const status = await get(port, p);
    if (status >= 500) throw new Error(`boot-probe: GET ${p} → ${status}`);
  }
  // An import whose dry run is still running when stop() is called.
  const job = await running.imports.start({
    registry: 'directory',
    filePath: file,
    fileName: 'boot-probe.csv',
    fileSize: statSync(file).size,
    actor: 'boot-probe',
    waitMs: 0,
  });
  await pause(50);
  const stopStarted = Date.now();
  await running.stop();
  const stopMs = Date.now() - stopStarted;
  phase = 'stopped';
  // Long enough for destroy hooks to run and for anything still scheduled to show itself.
  await pause(300);
  hook.disable();
  const report: ProbeReport = {
    leftover: [...live.values()],
    afterStop,
    activeBefore,
    activeAfter: counts(process.getActiveResourcesInfo()),
    jobId: job._id.toHexString(),
    created,
    stopMs,
  };
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // No process.exit(): the test checks that nothing is left to keep this process alive.
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
