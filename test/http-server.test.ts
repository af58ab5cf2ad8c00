/**
 * The HTTP server's own limits and its shutdown: refusals the parser makes are answered, not
 * reset; a slow client is cut off; SIGINT during a stuck search-sync pass ends the process
 * within SHUTDOWN_TIMEOUT_SECONDS (test/support/shutdown-probe.ts, the real signal handling).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Server } from 'node:http';
import mongoose from 'mongoose';
import { closeServer, createHttpServer, listen, SERVER_LIMITS } from '../src/platform/http-server.js';
import { testContext } from './support/context.js';

/** Sends `head` (and keeps the socket open) and collects what the server answers until it closes. */
function rawRequest(port: number, head: string, o: { slow?: boolean } = {}): Promise<{ text: string; reset: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let reset = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => void (text += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => resolve({ text, reset }));
    socket.on('connect', () => {
      if (o.slow)
        socket.write(head.slice(0, 20)); // and then nothing more
      else socket.write(head);
    });
    setTimeout(() => socket.destroy(), 8_000).unref();
  });
}

describe('HTTP server limits', function () {
  this.timeout(60_000);
  let server: Server;
  let port: number;
  before(async () => {
    server = await listen(createHttpServer(testContext().app, { ...SERVER_LIMITS, headersTimeoutMs: 600, checkIntervalMs: 200 }), 0, '127.0.0.1');
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => closeServer(server, 100));

  it('when a URL of 100 KB arrives, then every time the answer is a 431, never a reset connection', async () => {
    const head = `GET /search?q=${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    for (let i = 0; i < 20; i++) {
      const { text, reset } = await rawRequest(port, head);
      assert.match(text, /^HTTP\/1\.1 431 /, `attempt ${i + 1}: ${reset ? 'connection reset' : JSON.stringify(text.slice(0, 80))}`);
    }
  });

  it('when a request carries more than the allowed headers, then it is refused with 431 and the server still answers the next request', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(60)}`).join('\r\n');
    const { text } = await rawRequest(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${many}\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
    const ok = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.match(ok.text, /^HTTP\/1\.1 200 /);
  });

  it('when a client sends its headers too slowly, then it gets a 408 and the connection is closed', async () => {
    const started = Date.now();
    const { text } = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { slow: true });
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 5_000, `cut off after ${Date.now() - started} ms`);
  });

  it('when the production limits are read, then they are explicit and bounded', () => {
    const s = createHttpServer(testContext().app);
    assert.equal(s.headersTimeout, 20_000);
    assert.equal(s.requestTimeout, 600_000);
    assert.equal(s.keepAliveTimeout, 5_000);
    assert.equal(s.maxHeadersCount, 100);
  });
});

interface ProbeExit {
  code: number | null;
  /** From SIGINT to the process's exit (ms). */
  ms: number;
  log: Array<Record<string, unknown>>;
  stderr: string;
}

/** Starts the shutdown probe, waits for its signal line, sends SIGINT and times the exit. */
function signalProbe(env: Record<string, string>, waitFor: 'stalled' | 'ready'): Promise<ProbeExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/shutdown-probe.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalledAt = 0;
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!signalledAt && stdout.includes(`{"${waitFor}":true}`)) {
        signalledAt = Date.now();
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(kill);
      const log = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, ms: signalledAt ? Date.now() - signalledAt : -1, log, stderr });
    });
  });
}

describe('shutdown', function () {
  this.timeout(120_000);
  const probeDb = () => `${testContext().dbName}_shutdown`;
  after(() => mongoose.connection.useDb(probeDb(), { useCache: false }).dropDatabase());

  it('when SIGINT arrives while a search-sync pass is stuck in a write, then the process exits within SHUTDOWN_TIMEOUT_SECONDS and says what it abandoned', async () => {
    const run = await signalProbe(
      { SHUTDOWN_PROBE_URI: testContext().mongo.uri, SHUTDOWN_PROBE_DB: probeDb(), SHUTDOWN_PROBE_STALL: '1', SHUTDOWN_TIMEOUT_SECONDS: '2' },
      'stalled',
    );
    assert.ok(run.ms >= 0, `the pass stalled and the probe was signalled:\n${run.stderr.slice(-2000)}`);
    assert.ok(run.ms < 2_000 + 1_500, `exited ${run.ms} ms after SIGINT (bound 2 s)`);
    assert.equal(run.code, 1, 'a shutdown past its bound is not a clean exit');
    assert.ok(
      run.log.some((l) => typeof l.msg === 'string' && l.msg.includes('exiting anyway')),
      'the log says the bound was reached',
    );
    // The stuck change was not marked: the next process indexes it.
    const pending = await mongoose.connection.useDb(probeDb(), { useCache: false }).collection('changes').countDocuments({ indexed: false });
    assert.ok(pending >= 1, 'the abandoned change still waits for the index');
  });

  it('when SIGINT arrives with nothing in flight, then the process stops everything and exits 0 well within the bound', async () => {
    const run = await signalProbe({ SHUTDOWN_PROBE_URI: testContext().mongo.uri, SHUTDOWN_PROBE_DB: probeDb(), SHUTDOWN_TIMEOUT_SECONDS: '10' }, 'ready');
    assert.ok(run.ms >= 0, run.stderr.slice(-2000));
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.ok(run.ms < 10_000, `exited ${run.ms} ms after SIGINT`);
    assert.ok(run.log.some((l) => l.msg === 'stopped'));
  });
});
