/**
 * A diagnostic TCP proxy for the MongoDB wire protocol: it sits between a driver and a server,
 * forwards every byte, and checks that each reply answers the request it follows. It is how the
 * crossed replies of the local server were found (docs/decisions/0007-data-layer.md), and the
 * regression test and `npm run bench:soak` keep it in front of the server to prove there are none.
 *
 * Rules it checks, per client connection (the driver never pipelines: one request, one reply):
 * - a reply's `responseTo` must be the `requestID` of the oldest request still waiting for one;
 * - a request sent with OP_MSG's `moreToCome` flag (an unacknowledged write, `w: 0`) gets no reply;
 * - a reply that itself carries `moreToCome` (exhaust) is followed by one answering that reply.
 *
 * Not for production: it parses headers only (16 bytes + OP_MSG flags and the command's name),
 * and it exists to observe, or to inject faults in tests.
 */
import net from 'node:net';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MORE_TO_COME = 1 << 1;

export interface WireAnomaly {
  kind: 'reply-to-no-reply-request' | 'unexpected-reply';
  /** The command whose request the reply claims to answer, or the one that was expected. */
  command: string;
  expectedResponseTo: number | null;
  responseTo: number;
  /** Client connection number, from 1. */
  connection: number;
}

export interface WireProxyOptions {
  /** Upstream server, e.g. 127.0.0.1:27017. */
  target: { host: string; port: number };
  /**
   * What to do with a reply the client must not see. `forward` passes it on (to reproduce what a
   * driver connected directly would get); `drop` swallows replies to moreToCome requests (what
   * MongoDB itself does: it never sends them).
   */
  onAnomaly?: 'forward' | 'drop';
  /** Called for every anomaly as it happens. */
  report?: (a: WireAnomaly) => void;
  /**
   * Test hook: called for each reply before it is forwarded; return extra bytes to inject after it
   * (e.g. a copy of the reply, to simulate a server that answers twice).
   */
  injectAfterReply?: (reply: Buffer, command: string) => Buffer | null;
}

export interface WireProxy {
  /** mongodb://127.0.0.1:<port> of the proxy. */
  uri: string;
  port: number;
  anomalies: WireAnomaly[];
  /** Requests forwarded, by command name. */
  commands: Map<string, number>;
  close(): Promise<void>;
}

/** Splits a byte stream into whole wire messages. */
class MessageReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32LE(0);
      if (len < 16 || this.buf.length < len) break;
      out.push(this.buf.subarray(0, len));
      this.buf = this.buf.subarray(len);
    }
    return out;
  }
}

/** The name of the command in an OP_MSG or OP_QUERY request (its first key). */
function commandName(msg: Buffer): string {
  const opCode = msg.readInt32LE(12);
  let doc = -1;
  if (opCode === OP_MSG) {
    if (msg[20] === 0) doc = 21; // section kind 0 right after the flags
  } else if (opCode === OP_QUERY) {
    const nameEnd = msg.indexOf(0, 20);
    doc = nameEnd + 1 + 8;
  }
  if (doc < 0 || doc + 6 > msg.length) return `op${opCode}`;
  const keyStart = doc + 5;
  const keyEnd = msg.indexOf(0, keyStart);
  return keyEnd > keyStart ? msg.toString('utf8', keyStart, keyEnd) : `op${opCode}`;
}

function moreToCome(msg: Buffer): boolean {
  return msg.readInt32LE(12) === OP_MSG && (msg.readUInt32LE(16) & MORE_TO_COME) !== 0;
}

/** Starts the proxy on 127.0.0.1 with a free port. */
export async function startWireProxy(opts: WireProxyOptions): Promise<WireProxy> {
  const anomalies: WireAnomaly[] = [];
  const commands = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((client) => {
    const n = ++connections;
    const upstream = net.connect(opts.target.port, opts.target.host);
    sockets.add(client).add(upstream);
    const pending: { id: number; command: string }[] = [];
    const noReply = new Map<number, string>();
    /** After an exhaust reply, the next one answers that reply's own id. */
    let exhaustFrom: { id: number; command: string } | null = null;
    const fromClient = new MessageReader();
    const fromServer = new MessageReader();

    client.on('data', (chunk) => {
      for (const msg of fromClient.push(chunk)) {
        const id = msg.readInt32LE(4);
        const command = commandName(msg);
        commands.set(command, (commands.get(command) ?? 0) + 1);
        if (moreToCome(msg)) noReply.set(id, command);
        else pending.push({ id, command });
        upstream.write(msg);
      }
    });
    upstream.on('data', (chunk) => {
      for (const msg of fromServer.push(chunk)) {
        const responseTo = msg.readInt32LE(8);
        const opCode = msg.readInt32LE(12);
        const expected = exhaustFrom ?? pending[0] ?? null;
        let forward = true;
        let command = expected?.command ?? '?';
        if (expected && responseTo === expected.id) {
          if (!exhaustFrom) pending.shift();
          exhaustFrom = opCode === OP_MSG && moreToCome(msg) ? { id: msg.readInt32LE(4), command } : null;
        } else {
          const noReplyCommand = noReply.get(responseTo);
          const a: WireAnomaly = {
            kind: noReplyCommand !== undefined ? 'reply-to-no-reply-request' : 'unexpected-reply',
            command: noReplyCommand ?? command,
            expectedResponseTo: expected?.id ?? null,
            responseTo,
            connection: n,
          };
          command = a.command;
          anomalies.push(a);
          opts.report?.(a);
          if (noReplyCommand !== undefined) noReply.delete(responseTo);
          if (opts.onAnomaly === 'drop' && a.kind === 'reply-to-no-reply-request') forward = false;
        }
        if (!forward) continue;
        client.write(msg);
        if (opCode === OP_MSG || opCode === OP_REPLY) {
          const extra = opts.injectAfterReply?.(msg, command);
          if (extra) client.write(extra);
        }
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    port,
    anomalies,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
