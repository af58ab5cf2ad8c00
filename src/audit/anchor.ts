/**
 * Anchors: the head of the audit chain (position, hash, time) exported outside the database at
 * intervals and at shutdown, so that someone who holds both database access and the key — who
 * could rewrite the chain consistently, or drop its newest events — is still caught: the chain
 * must contain every anchored position with exactly the anchored hash (docs/decisions/0012).
 *
 * Each anchor is one signed line, written twice: to the process log (pino: `{ anchor }`, "audit
 * anchor"), which a log shipper carries off the host, and appended to a JSON-lines file
 * (AUDIT_ANCHOR_FILE) an operator can copy elsewhere. `sig` is an HMAC-SHA256 of the line's other
 * fields with the chain's current key, so a forged line in a copied file is recognised.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from './canonical.js';
import { AuditEvent, eventAt, findHead, type Head } from './index.js';
import { defaultKeyring, hmac, keyById, sameDigest, type AuditKeyring } from './keys.js';

export interface Anchor {
  /** The database whose chain this is (one file may hold the anchors of several). */
  db: string;
  seq: number;
  hash: string;
  /** When the anchor was taken (ISO). */
  at: string;
  /** The key `sig` was made with. */
  keyId: string;
  sig: string;
}

const anchorText = (a: Omit<Anchor, 'sig'>) => canonicalJson({ db: a.db, seq: a.seq, hash: a.hash, at: a.at, keyId: a.keyId });

/** A signed anchor of this head (of the chain in database `db`: by default the connected one). */
export function signAnchor(head: Pick<Head, 'seq' | 'hash'>, keys: AuditKeyring, db = AuditEvent.db.name, at = new Date()): Anchor {
  const body = { db, seq: head.seq, hash: head.hash, at: at.toISOString(), keyId: keys.current.id };
  return { ...body, sig: hmac(keys.current, anchorText(body)) };
}

/** Whether the anchor's signature fits a key of the keyring. */
export function anchorSignatureOk(a: Anchor, keys: AuditKeyring): boolean {
  const key = keyById(keys, a.keyId);
  return Boolean(key) && sameDigest(a.sig, hmac(key!, anchorText(a)));
}

const isAnchor = (v: unknown): v is Anchor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Anchor).db === 'string' &&
  typeof (v as Anchor).seq === 'number' &&
  typeof (v as Anchor).hash === 'string' &&
  typeof (v as Anchor).at === 'string' &&
  typeof (v as Anchor).keyId === 'string' &&
  typeof (v as Anchor).sig === 'string';

/**
 * The latest anchor of an anchor file (the line with the highest position; of database `db` only,
 * when given), or null when the file does not exist or holds none. Throws on a line that is not
 * an anchor.
 */
export async function latestAnchor(file: string, db?: string): Promise<Anchor | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let latest: Anchor | null = null;
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON line`);
    }
    if (!isAnchor(parsed)) throw new Error(`${file}:${i + 1}: not an audit anchor`);
    if (db !== undefined && parsed.db !== db) continue;
    if (!latest || parsed.seq >= latest.seq) latest = parsed;
  }
  return latest;
}

export interface AnchorServiceOptions {
  file: string;
  everyMs: number;
  keys?: AuditKeyring;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Exports the head every `everyMs` and once more at stop(). Owned by boot: start() after the
 * audit worker, stop() before it; stop() clears the timer, waits for a write in flight and leaves
 * nothing behind. A head that has not moved since the last anchor is not written again.
 */
export class AnchorService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Anchor | null> | null = null;
  private last: { seq: number; hash: string } | null = null;
  private stopped = false;
  lastError: string | null = null;

  constructor(private readonly opts: AnchorServiceOptions) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.anchorNow().finally(() => {
          if (this.timer && !this.stopped) loop();
        });
      }, this.opts.everyMs);
    };
    loop();
  }

  /** Writes an anchor of the current head now (unless it was anchored already); returns it. */
  anchorNow(): Promise<Anchor | null> {
    this.running ??= this.write().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async write(): Promise<Anchor | null> {
    try {
      const head = await findHead(0);
      if (head.seq === 0 || (this.last && this.last.seq === head.seq && this.last.hash === head.hash)) return null;
      const anchor = signAnchor(head, this.opts.keys ?? defaultKeyring());
      await mkdir(path.dirname(path.resolve(this.opts.file)), { recursive: true });
      await appendFile(this.opts.file, `${JSON.stringify(anchor)}\n`, 'utf8');
      this.opts.log.info({ anchor }, 'audit anchor');
      this.last = { seq: head.seq, hash: head.hash };
      this.lastError = null;
      return anchor;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.opts.log.warn({ err }, 'audit: writing the anchor failed; retried at the next interval');
      return null;
    }
  }

  /** Stops the timer and writes a last anchor (the shutdown one). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.anchorNow();
  }
}

/** The anchor file of a configuration: AUDIT_ANCHOR_FILE, else DATA_DIR/audit-anchors.jsonl. */
export function anchorFileOf(settings: { AUDIT_ANCHOR_FILE?: string; DATA_DIR: string }): string {
  return settings.AUDIT_ANCHOR_FILE ?? path.join(settings.DATA_DIR, 'audit-anchors.jsonl');
}

export interface AnchorCheck {
  ok: boolean;
  /** What does not fit: a forged or unknown-key line, a chain that ends before the anchor, another hash there. */
  problem?: 'signature' | 'truncated' | 'hash';
  /** Where the chain ends, when it ends before the anchor. */
  chainEnds?: number;
}

/**
 * Checks the chain against an anchor: the line must be signed with a key of the keyring, and the
 * chain must hold the anchored position with exactly the anchored hash (so it cannot have lost
 * its newest events, nor been rewritten up to there, since the anchor was taken).
 */
export async function checkAnchor(anchor: Anchor, keys: AuditKeyring = defaultKeyring()): Promise<AnchorCheck> {
  if (!anchorSignatureOk(anchor, keys)) return { ok: false, problem: 'signature' };
  const there = await eventAt(anchor.seq);
  if (!there) return { ok: false, problem: 'truncated', chainEnds: (await findHead(0)).seq };
  if (!sameDigest(there.hash, anchor.hash)) return { ok: false, problem: 'hash' };
  return { ok: true };
}
