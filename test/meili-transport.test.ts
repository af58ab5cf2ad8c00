/**
 * How the Meilisearch adapter talks HTTP to a real server (docs/decisions/0009, "Transport").
 * Node's fetch asks for compressed replies by default; Meilisearch then streams them chunked,
 * headers and body as two TCP segments, and with Nagle on its side and delayed ACKs on ours most
 * searches stalled ~40 ms. The fix is a mechanism, so this checks the mechanism, not a timing:
 * a relay between the adapter and the server reads the raw HTTP both ways and checks that every
 * request asks for an uncompressed reply and every reply is one plain Content-Length body, and
 * that sequential searches reuse one kept-alive connection. (The latency itself is printed by
 * `npm run bench:search -- --engine meili`.)
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { MeiliSearchIndex, REQUEST_HEADERS } from '../src/search/meili.js';
import type { SearchDoc, SearchQuery } from '../src/search/port.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid, type MeiliServer } from './support/meili.js';

/** One HTTP message head: the start line and lower-cased headers. */
interface Head {
  line: string;
  headers: Map<string, string>;
}

/**
 * Splits one direction of an HTTP/1.1 connection into message heads, skipping bodies framed by
 * Content-Length or chunked encoding. Throws on anything else (a reply framed by closing the
 * connection has no place on a kept-alive one).
 */
function heads(bytes: Buffer): Head[] {
  const out: Head[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`incomplete HTTP head at byte ${at}`);
    const [line, ...fields] = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const headers = new Map(
      fields.map((f) => {
        const colon = f.indexOf(':');
        return [f.slice(0, colon).trim().toLowerCase(), f.slice(colon + 1).trim()] as const;
      }),
    );
    out.push({ line: line!, headers });
    at = end + 4;
    if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      for (;;) {
        const eol = bytes.indexOf('\r\n', at);
        const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else if (headers.has('content-length')) {
      at += Number(headers.get('content-length'));
    } else if (!/^(GET|HEAD|DELETE) /.test(line!) && !/^HTTP\/1\.1 (204|304)/.test(line!)) {
      throw new Error(`message without framing: ${line}`);
    }
  }
  return out;
}

/** A TCP relay to the server that keeps every byte each way, per connection. */
class Relay {
  readonly connections: Array<{ up: Buffer[]; down: Buffer[] }> = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  /** Where the relay listens, once started. */
  url = '';

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      const record = { up: [] as Buffer[], down: [] as Buffer[] };
      this.connections.push(record);
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d) => {
        record.up.push(d);
        upstream.write(d);
      });
      upstream.on('data', (d) => {
        record.down.push(d);
        client.write(d);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  requests(): Head[] {
    return this.connections.flatMap((c) => heads(Buffer.concat(c.up)));
  }

  replies(): Head[] {
    return this.connections.flatMap((c) => heads(Buffer.concat(c.down)));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const doc = (n: number): SearchDoc => ({
  id: `directory:t${n}`,
  kind: 'directory',
  entryId: `t${n}`,
  version: 1,
  slug: `brand-${n}`,
  name: `江城热干面${n}号`,
  nameEn: '',
  title: `江城热干面${n}号`,
  company: '武汉江城餐饮管理有限公司',
  district: '江汉区',
  sector: '三产',
  industry: '餐饮',
  keywords: ['热干面', '豆皮'],
  summary: '武汉热干面老店，芝麻酱现磨。'.repeat(4),
  tier: '普通',
  status: '有效',
  expiresAt: null,
  niceClasses: [43, 30],
  identifiers: [`9000${String(n).padStart(6, '0')}`],
  year: 2020,
  updatedAt: Date.UTC(2025, 0, 1) + n,
  demo: true,
});
const search: SearchQuery = { q: '热干面', filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: true };

describe('Meilisearch adapter transport', function () {
  this.timeout(60_000);
  let server: MeiliServer;
  let relay: Relay;
  let meili: MeiliSearchIndex;
  let uid: string;

  before(async function () {
    if (!meiliLane()) {
      console.log(`  Meilisearch transport: ${MEILI_SKIPPED}`);
      this.skip();
    }
    server = await sharedMeili();
    relay = new Relay(new URL(server.url));
    uid = testIndexUid('transport');
    meili = new MeiliSearchIndex({ host: await relay.start(), apiKey: server.masterKey, searchKey: server.searchKey, indexUid: uid });
    await meili.init();
    // Enough hits that a search reply is several kB, as the public ones are.
    await meili.upsert(Array.from({ length: 40 }, (_, i) => doc(i)));
  });
  after(async () => {
    await meili?.close();
    await relay?.stop();
  });

  it('when fetch asks with its default headers, then Meilisearch compresses and streams the reply (what the adapter avoids)', async () => {
    const plain = new Relay(new URL(server.url));
    try {
      const res = await fetch(new URL('/multi-search', await plain.start()), {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.searchKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ queries: [{ indexUid: uid, q: '热干面', hitsPerPage: 20 }] }),
      });
      assert.equal(res.status, 200, await res.text());
      const [sent] = plain.requests();
      const [got] = plain.replies();
      assert.match(sent!.headers.get('accept-encoding') ?? '', /gzip/);
      assert.equal(got!.headers.get('content-encoding'), 'gzip', got!.line);
      assert.equal(got!.headers.get('transfer-encoding'), 'chunked');
    } finally {
      await plain.stop();
    }
  });

  it('when the adapter searches, writes and polls tasks, then every request asks for identity and every reply has a plain Content-Length body', async () => {
    for (let i = 0; i < 10; i++) await meili.search({ ...search, page: 1 + (i % 2) });
    await meili.upsert([doc(100)]);
    await meili.stats();
    assert.ok((await meili.search(search)).total >= 40);

    const requests = relay.requests();
    const replies = relay.replies();
    assert.ok(requests.length >= 15, `${requests.length} requests seen`);
    assert.equal(replies.length, requests.length);
    for (const r of requests) assert.equal(r.headers.get('accept-encoding'), REQUEST_HEADERS['Accept-Encoding'], r.line);
    for (const r of replies) {
      assert.equal(r.headers.get('content-encoding') ?? 'identity', 'identity', r.line);
      assert.equal(r.headers.get('transfer-encoding'), undefined, r.line);
      assert.match(r.headers.get('content-length') ?? '', /^\d+$/, r.line);
    }
  });

  it('when searches follow each other, then they reuse one kept-alive connection', async () => {
    await meili.search(search);
    const from = relay.connections.length;
    const seen = relay.requests().length;
    for (let i = 0; i < 20; i++) await meili.search(search);
    assert.equal(relay.requests().length - seen, 20);
    assert.equal(relay.connections.length, from, 'no new connection for 20 sequential searches');
  });
});
