/**
 * The HTTP server around the app, with its limits set here rather than left to Node's defaults:
 * how long a client may take to send its headers (slow-loris), its whole request (uploads are
 * the long ones) and an idle keep-alive connection; how large and how many headers may be.
 *
 * A request the HTTP parser refuses never reaches Express. Node's own answer to it is a 400 or
 * 431 followed by an immediate destroy of the socket; when the client is still sending (a 100 KB
 * URL), the unread bytes make the kernel answer with a reset, and the client sees "connection
 * reset" instead of the status. Here the answer is written, the sending side is half-closed, and
 * the rest of what the client sends is read and dropped (bounded in time) before the socket closes.
 */
import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestListener } from 'node:http';

export interface ServerLimits {
  /** Largest request head (request line + headers), bytes. */
  maxHeaderSize: number;
  maxHeadersCount: number;
  /** A client must have sent all its headers within this (ms). */
  headersTimeoutMs: number;
  /** …and its whole request, body included (ms): a 200 MB upload over a slow line is the longest. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** How often Node looks for connections past the headers/request timeouts (ms; its default is 30 s). */
  checkIntervalMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  maxHeaderSize: 16 * 1024,
  maxHeadersCount: 100,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 10 * 60_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 5_000,
};

/** How long a refused client may go on sending before its connection is closed regardless (ms). */
const DRAIN_MS = 2_000;

const REFUSALS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_URI_OVERFLOW: [414, 'URI Too Long'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/** Answers a request the parser refused with its status, then lets the client finish sending before closing. */
function refuse(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const [status, reason] = REFUSALS[err.code ?? ''] ?? [400, 'Bad Request'];
  const body = `${status} ${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.on('error', () => socket.destroy());
  socket.resume();
}

/** An HTTP server for `app` with these limits (not yet listening). */
export function createHttpServer(app: RequestListener, limits: ServerLimits = SERVER_LIMITS): Server {
  const server = http.createServer({ maxHeaderSize: limits.maxHeaderSize, connectionsCheckingInterval: limits.checkIntervalMs }, app);
  server.maxHeadersCount = limits.maxHeadersCount;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on('clientError', refuse);
  return server;
}

/** Listens on host:port; resolves once it does (rejects when the address is taken). */
export function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops accepting connections and closes idle ones; requests in flight may finish until
 * `graceMs`, then their connections are closed too. Resolves when the server has closed.
 */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
