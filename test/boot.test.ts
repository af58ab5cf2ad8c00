/**
 * Boot owns every background service: `boot().stop()` leaves no timer, socket or child process
 * behind. The real boot runs in a process of its own (test/support/boot-probe.ts), because it
 * connects and disconnects the process's one mongoose connection, which this run's stack shares;
 * it uses this run's database server, a database of its own and the embedded search engine.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import mongoose from 'mongoose';
import { testContext } from './support/context.js';
import type { ProbeReport } from './support/boot-probe.js';

/** How long the probe may take to boot, work and stop, and then to end by itself. */
const PROBE_MS = 90_000;
const EXIT_MS = 5_000;

interface ProbeRun {
  report: ProbeReport | null;
  code: number | null;
  /** The probe had printed its report but did not end by itself within EXIT_MS. */
  hung: boolean;
  stderr: string;
}

/** Runs the probe; kills it when it does not end by itself soon after its report. */
function runProbe(env: Record<string, string>): Promise<ProbeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/boot-probe.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    let exitTimer: NodeJS.Timeout | undefined;
    const overall = setTimeout(() => child.kill('SIGKILL'), PROBE_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!exitTimer && stdout.includes('\n')) {
        exitTimer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, EXIT_MS);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(overall);
      clearTimeout(exitTimer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      resolve({ report: line ? (JSON.parse(line) as ProbeReport) : null, code, hung, stderr });
    });
  });
}

const describeLeft = (items: ProbeReport['leftover']) => items.map((r) => `${r.type}\n${r.stack}`).join('\n---\n');

describe('boot', function () {
  this.timeout(PROBE_MS + 10_000);
  const probeDb = () => `${testContext().dbName}_boot`;
  after(async () => {
    const dbName = probeDb();
    await mongoose.connection.useDb(dbName, { useCache: false }).dropDatabase();
  });

  it('when the booted app has served rate-limited requests and an import is running, then stop() ends them and leaves no timer, socket or child behind', async () => {
    const dbName = probeDb();
    const run = await runProbe({ BOOT_PROBE_URI: testContext().mongo.uri, BOOT_PROBE_DB: dbName, BOOT_PROBE_ROWS: '20000' });
    assert.ok(run.report, `the probe reported (exit ${run.code}):\n${run.stderr.slice(-3000)}`);
    const r = run.report;
    assert.ok(r.created > 20, `the work created timers and sockets to watch (${r.created})`);
    assert.equal(r.leftover.length, 0, `created between boot and stop and never destroyed:\n${describeLeft(r.leftover)}`);
    assert.equal(r.afterStop.length, 0, `created after stop() returned:\n${describeLeft(r.afterStop)}`);
    assert.deepEqual(r.activeAfter, r.activeBefore, 'the same referenced resources as before boot');
    assert.equal(run.hung, false, `the process ended by itself within ${EXIT_MS} ms of stop()`);
    assert.equal(run.code, 0, run.stderr.slice(-3000));

    // The import was still running at stop(): it was interrupted and says so, not left "checking".
    const job = await mongoose.connection
      .useDb(dbName, { useCache: false })
      .collection('import_jobs')
      .findOne({ _id: new mongoose.Types.ObjectId(r.jobId) });
    assert.ok(job, 'the job was stored');
    assert.equal(job.state, 'failed');
    assert.equal(job.error, 'import.error.interrupted');
  });
});
