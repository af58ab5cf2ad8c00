/**
 * The audit trail: who changed what, when and why, in a hash chain an inspector can check.
 *
 * Entry changes come from the change log (registries/changes.ts), whose `audited` subscriber this
 * is (`auditSubscriber`): each change is appended the moment the registry service settles it, and
 * the audit worker (registries/outbox.ts, started by boot) appends any settled change still
 * unaudited — so a writer that crashes between saving and auditing, or an append that failed, is
 * repaired by the worker's next pass, and a saved change never stays without its event. Other
 * events (sign-ins, imports, account changes) are recorded directly, through an `EventRecorder`
 * handed to the code that records them.
 *
 * The chain's appender (ChainWriter) belongs to the audit trail boot makes (`auditSubscriber`),
 * not to this module: two apps in one process each have their own. Boot hands that trail, as the
 * recorder, to the app, the accounts and the import jobs, so the trail's inline handling, its
 * worker and its recorded events share one appender that serialises their appends. A script that
 * does not boot records through a ChainWriter of its own, which races any other process's appender
 * for each position like every writer does.
 *
 * Each event stores the hash of the previous one and its own hash: an HMAC-SHA256, with the key
 * from AUDIT_HMAC_KEY, over the previous hash and a canonical JSON of all its fields (keys.ts;
 * docs/decisions/0012). verifyChain() recomputes them, names the first event that does not fit and
 * cross-checks the change log; anchor.ts exports the head outside the database, so removing the
 * newest events is caught too.
 */
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { Change, type ChangeDoc, type ChangeSubscriber } from '../registries/changes.js';
import { countAll } from '../platform/db/index.js';
import { canonicalJson, sha256 } from './canonical.js';
import { defaultKeyring, hmac, keyById, sameDigest, type AuditKey, type AuditKeyring } from './keys.js';
import { AuditEvent, GENESIS, seqId, type AuditAction, type AuditEventDoc, type FieldChange } from './model.js';

export { AuditEvent, GENESIS, seqId, type AuditEventDoc, type FieldChange } from './model.js';
export { auditKeyring, defaultKeyring, keyIdOf, DEVELOPMENT_AUDIT_KEY, type AuditKey, type AuditKeyring } from './keys.js';

const isDuplicate = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;

type EventBody = Omit<AuditEventDoc, '_id' | 'seq' | 'prevHash' | 'hash' | 'keyId'>;
/** The head of the chain: its position, hash and key id (null: a legacy, unkeyed event; position 0: empty). */
export type Head = { seq: number; hash: string; keyId: string | null; at?: Date };

/** Every stored field of an event except the hash, as a canonical JSON. */
function eventText(e: Omit<AuditEventDoc, 'hash'>): string {
  const { _id, seq, key, keyId, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail } = e;
  return canonicalJson({ _id, seq, key, keyId, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail });
}

/**
 * The hash of a keyed event: HMAC-SHA256 with the key over the previous hash and the canonical
 * event (which names its key id, so an event cannot be moved under another key).
 */
export function hashEvent(e: Omit<AuditEventDoc, 'hash'>, key: AuditKey): string {
  return hmac(key, `${e.prevHash}\n${eventText(e)}`);
}

/** The hash of an event written before the chain was keyed (no keyId): plain SHA-256 of the canonical event. */
export function legacyHashEvent(e: Omit<AuditEventDoc, 'hash'>): string {
  return sha256(eventText(e));
}

/** The proof, in a `key_rotated` event, that the holder of the retired key linked the new one. */
const rotationProof = (oldKey: AuditKey, prevHash: string, newId: string) => hmac(oldKey, `key_rotated\n${prevHash}\n${newId}`);

/**
 * The chain's collection, typed. Events are read and written through the driver, not the model,
 * so that what is hashed is exactly what is stored (no schema casting or defaults on the way).
 * The connection hands out the collection the model uses (one per name).
 */
const events = () => AuditEvent.db.collection<AuditEventDoc>(AuditEvent.collection.collectionName);

/** The event at a position, as stored. */
export async function eventAt(seq: number): Promise<AuditEventDoc | null> {
  return events().findOne({ _id: seqId(seq) });
}

/** The last position at or after `known` (which exists, or is 0), by exponential then binary probing. */
export async function findHead(known = 0): Promise<Head> {
  let lo = known;
  let step = 1;
  let hi = known + step;
  while (await eventAt(hi)) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  // lo exists (or is 0), hi does not: the head is the last existing position between them.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await eventAt(mid)) lo = mid;
    else hi = mid;
  }
  if (lo === 0) return { seq: 0, hash: GENESIS, keyId: null };
  const e = await eventAt(lo);
  return { seq: lo, hash: e!.hash, keyId: e!.keyId ?? null, at: e!.at };
}

/**
 * Appends events at the head of the chain. One writer per process serialises its own appends;
 * writers in other processes race for the next position with an insert on the unique `_id`, and
 * the loser finds the new head (by probing positions, which are direct `_id` lookups) and tries
 * again. The head is cached between appends: it is only a hint, corrected by the next collision.
 *
 * Every event is hashed with the keyring's current key. When the head was written otherwise — by
 * the legacy unkeyed scheme, or under a key since retired — the writer first appends the event
 * that links the chains (`chain_rekeyed` or `key_rotated`), under the current key.
 */
export class ChainWriter {
  private head: Head | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly keys: AuditKeyring = defaultKeyring()) {}

  /** Appends one event; returns its position (or the position of an earlier event with the same key). */
  append(body: EventBody): Promise<number> {
    const run = this.queue.then(() => this.appendNow(body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Records an event that is not an entry change; returns its position. A ChainWriter is an EventRecorder. */
  record(e: RecordEventInput): Promise<number> {
    return this.append(eventBody(e));
  }

  /** The event that must come before the next one under the current key, if any. */
  private linkAfter(head: Head): EventBody | null {
    const { current } = this.keys;
    if (head.seq === 0 || head.keyId === current.id) return null;
    const base = { at: new Date(), actor: 'system', model: null, entryId: null, version: null, subject: null, changes: [] };
    if (head.keyId === null) {
      return {
        ...base,
        key: `rekey:${head.hash}`,
        action: 'chain_rekeyed',
        reason: 'audit chain keyed (HMAC-SHA256); earlier events keep their SHA-256',
        detail: { legacyEvents: head.seq, legacyHead: head.hash, keyId: current.id },
      };
    }
    const old = keyById(this.keys, head.keyId);
    return {
      ...base,
      key: `rotate:${head.hash}`,
      action: 'key_rotated',
      reason: 'audit chain key rotated',
      detail: { from: head.keyId, to: current.id, ...(old ? { proof: rotationProof(old, head.hash, current.id) } : {}) },
    };
  }

  private async appendNow(body: EventBody): Promise<number> {
    this.head ??= await findHead(0);
    const keyId = this.keys.current.id;
    for (let attempt = 0; attempt < 100; attempt++) {
      const link = this.linkAfter(this.head);
      const next = link ?? body;
      const seq: number = this.head.seq + 1;
      const event: Omit<AuditEventDoc, 'hash'> = { ...next, _id: seqId(seq), seq, keyId, prevHash: this.head.hash };
      const doc: AuditEventDoc = { ...event, hash: hashEvent(event, this.keys.current) };
      try {
        await events().insertOne(doc);
        this.head = { seq, hash: doc.hash, keyId, at: doc.at };
        if (link) continue; // the chains are linked: now the event itself
        return seq;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        const there = await eventAt(seq);
        if (there?.key === next.key) {
          this.head = { seq, hash: there.hash, keyId: there.keyId ?? null, at: there.at };
          if (link) continue;
          return seq; // the same event was appended already (a repeated append)
        }
        if (!there) {
          if (link) {
            // Another writer linked the chains already and moved on: learn the head.
            this.head = await findHead(this.head.seq);
            continue;
          }
          // The position is free, so the clash was on `key`: this event is in the chain already.
          const existing = await events().findOne({ key: next.key }, { projection: { seq: 1 } });
          if (existing) return existing.seq;
          continue;
        }
        // Another writer took the position: learn the new head and try again.
        this.head = await findHead(seq);
      }
    }
    throw new Error('audit: could not append to the chain after 100 attempts');
  }
}

/** An event that is not an entry change: a sign-in, an account change, an import. */
export interface RecordEventInput {
  action: AuditAction;
  actor: string;
  subject?: string;
  reason?: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

/**
 * Where events that are not entry changes are recorded: the audit trail boot makes (handed to the
 * app, the accounts and the import jobs), or a script's own ChainWriter.
 */
export interface EventRecorder {
  /** Appends the event to the chain; returns its position. */
  record(e: RecordEventInput): Promise<number>;
}

/** The event body of an event that is not an entry change. */
function eventBody(e: RecordEventInput): EventBody {
  return {
    key: `event:${randomUUID()}`,
    at: e.at ?? new Date(),
    actor: e.actor || 'unknown',
    action: e.action,
    model: null,
    entryId: null,
    version: null,
    subject: e.subject ?? null,
    reason: e.reason ?? '',
    changes: [],
    detail: e.detail ?? {},
  };
}

/** Field-level before/after of a change, as the audit event keeps it. */
function fieldChanges(c: ChangeDoc): FieldChange[] {
  if (c.op === 'bulk') return [];
  if (c.action === 'record') {
    // The list appended to: a famous mark's protection records, or a 老字号's re-reviews.
    const field = 'reviews' in c.set ? 'reviews' : 'records';
    const list: unknown = c.set[field];
    return [{ field, before: null, after: Array.isArray(list) ? (list[list.length - 1] ?? null) : null }];
  }
  // `missing` (待补充) is derived from the other fields by the registry service: not a change of its own.
  return Object.keys(c.set)
    .filter((field) => field !== 'missing')
    .sort()
    .map((field) => ({ field, before: c.op === 'create' ? null : (c.before[field] ?? null), after: c.set[field] ?? null }));
}

/** The audit action of a change. */
function actionOf(c: ChangeDoc): AuditAction {
  if (c.op === 'bulk') return 'import';
  if (c.op === 'create') return 'create';
  return c.action ?? 'update';
}

/**
 * Appends the event for an applied change (idempotent: keyed by the change id). A failed change
 * wrote nothing and gets no event.
 */
async function appendChangeEvent(writer: ChainWriter, c: ChangeDoc): Promise<void> {
  if (c.status !== 'applied') return;
  const ids = c.entryIds.map(String);
  await writer.append({
    key: `change:${c._id}`,
    at: new Date(c.at),
    actor: c.actor || 'system',
    action: actionOf(c),
    model: c.model,
    entryId: c.entryId ? String(c.entryId) : null,
    version: c.op === 'bulk' ? null : c.version,
    subject: null,
    reason: c.reason ?? '',
    changes: fieldChanges(c),
    detail: c.op === 'bulk' ? { count: ids.length, first: ids[0] ?? null, last: ids[ids.length - 1] ?? null, idsSha256: sha256(ids.join(',')) } : {},
  });
}

/**
 * The audit trail: the change log's audit subscriber, and the recorder of the other events; both
 * append through the trail's one appender.
 */
export interface AuditTrail extends ChangeSubscriber, EventRecorder {}

/**
 * The audit trail as a subscriber of the change log: inline, so an edit is in its history when
 * the save returns; what fails there is appended by the audit worker's next pass. It owns the
 * chain's appender (`writer`: a new one unless given), which its inline handling, its worker
 * and record() share, so their appends are serialised. Made by boot, one per app, and handed as
 * the recorder to whatever records events.
 */
export function auditSubscriber(log: { warn(obj: object, msg: string): void }, writer = new ChainWriter()): AuditTrail {
  return {
    name: 'audit trail',
    flag: 'audited',
    inline: true,
    async handle(changes) {
      for (const c of changes) await appendChangeEvent(writer, c);
    },
    onInlineError(err, changeId) {
      log.warn({ err, changeId }, 'audit: appending a saved change failed; the audit worker will retry');
    },
    record: (e) => writer.record(e),
  };
}

export interface HistoryItem {
  seq: number;
  at: Date;
  actor: string;
  action: AuditAction;
  version: number | null;
  reason: string;
  changes: FieldChange[];
}

/** One entry's history, newest first. */
export async function historyOf(model: string, entryId: string, limit = 200): Promise<HistoryItem[]> {
  const found = await AuditEvent.find({ entryId: String(entryId) }).lean<AuditEventDoc[]>();
  return found
    .filter((e) => e.model === model)
    .sort((a, b) => b.seq - a.seq)
    .slice(0, limit)
    .map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, version: e.version, reason: e.reason, changes: e.changes }));
}

/** Where a check starts from: a position already verified and the hash it had then. */
export interface Checkpoint {
  seq: number;
  hash: string;
}

export type BreakProblem =
  /** A position is empty (an event deleted, or the sequence altered). */
  | 'missing'
  /** The event's link to its predecessor does not match (an earlier event altered or removed). */
  | 'prev_hash'
  /** The event's content no longer matches its hash (altered, or re-hashed without the key). */
  | 'hash'
  /** The event names a key this process does not hold (AUDIT_HMAC_PREVIOUS_KEYS lacks it). */
  | 'unknown_key'
  /** An unkeyed (legacy) event after the chain was keyed, or a chain with no keyed event at all. */
  | 'unkeyed'
  /** The key changes without a valid `key_rotated` event, or legacy events end without the `chain_rekeyed` marker. */
  | 'key_change'
  /** The event at the checkpoint an incremental check starts from is gone or changed. */
  | 'checkpoint';

export interface ChainReport {
  ok: boolean;
  /** Events checked by this run (after `from`). */
  events: number;
  /** The position the check started after (0: from the start). */
  from: number;
  /** The last event that fits (null: none checked and no checkpoint). */
  head: { seq: number; hash: string; at: Date | null } | null;
  /** Events before the `chain_rekeyed` marker, verified with the legacy SHA-256 rule. */
  legacy: number;
  /** The first event that does not fit, and why. */
  broken?: { seq: number; problem: BreakProblem; expected: string; found: string };
  /** The cross-check with the change log (absent when skipped). */
  changeLog?: ChangeLogReport;
  /** Applied changes that have no audit event yet (the sync repairs them; reported, not an error). */
  unaudited: number;
}

export interface VerifyOptions {
  keys?: AuditKeyring;
  /** Start after this verified position (incremental); the event there must still have this hash. */
  from?: Checkpoint | null;
  onProgress?: (done: number, total: number) => void;
  /** Cross-check the change log (default true). */
  changeLog?: boolean;
}

/**
 * Walks the chain (from the start, or after a checkpoint), recomputing every hash with the key
 * each event names, checks that keys only change through a `key_rotated` event and that legacy
 * events only precede the `chain_rekeyed` marker, then cross-checks the change log.
 */
export async function verifyChain(opts: VerifyOptions | ((done: number, total: number) => void) = {}): Promise<ChainReport> {
  const o: VerifyOptions = typeof opts === 'function' ? { onProgress: opts } : opts;
  const keys = o.keys ?? defaultKeyring();
  const total = await countAll(AuditEvent);
  let expectedSeq = 1;
  let prev = GENESIS;
  /** The key id of the previous event: undefined before the first, null for a legacy event. */
  let prevKey: string | null | undefined;
  let prevAt: Date | null = null;
  let keyed = false;
  let legacy = 0;
  let n = 0;
  let broken: ChainReport['broken'];
  const from = o.from && o.from.seq > 0 ? o.from : null;
  if (from) {
    const at = await eventAt(from.seq);
    if (!at || !sameDigest(at.hash, from.hash)) {
      broken = { seq: from.seq, problem: 'checkpoint', expected: from.hash, found: at ? at.hash : 'no event' };
    } else {
      expectedSeq = from.seq + 1;
      prev = at.hash;
      prevKey = at.keyId ?? null;
      prevAt = at.at;
      keyed = Boolean(at.keyId);
    }
  }
  const fail = (problem: BreakProblem, expected: string, found: string) => {
    broken = { seq: expectedSeq, problem, expected, found };
    return false;
  };
  const check = (e: AuditEventDoc): boolean => {
    if (e.prevHash !== prev) return fail('prev_hash', prev, e.prevHash);
    if (!e.keyId) {
      if (keyed) return fail('unkeyed', 'an event under a key', 'an unkeyed event after the chain was keyed');
      const h = legacyHashEvent(e);
      if (!sameDigest(h, e.hash)) return fail('hash', h, e.hash);
      legacy++;
    } else {
      const key = keyById(keys, e.keyId);
      if (!key) return fail('unknown_key', `one of ${[keys.current, ...keys.previous].map((k) => k.id).join(', ')}`, `key ${e.keyId}`);
      const h = hashEvent(e, key);
      if (!sameDigest(h, e.hash)) return fail('hash', h, e.hash);
      if (prevKey === null && e.action !== 'chain_rekeyed') return fail('key_change', 'the chain_rekeyed marker after the legacy events', `${e.action} event`);
      if (prevKey && prevKey !== e.keyId) {
        const d = e.detail ?? {};
        if (e.action !== 'key_rotated' || d.from !== prevKey || d.to !== e.keyId) {
          return fail('key_change', `a key_rotated event from ${prevKey} to ${e.keyId}`, `${e.action} event`);
        }
        const old = keyById(keys, prevKey);
        if (old && typeof d.proof === 'string' && !sameDigest(d.proof, rotationProof(old, e.prevHash, e.keyId))) {
          return fail('key_change', 'a rotation proof made with the retired key', 'a proof that does not fit');
        }
      }
      keyed = true;
    }
    prev = e.hash;
    prevKey = e.keyId ?? null;
    prevAt = e.at;
    expectedSeq++;
    n++;
    if (o.onProgress && n % 5000 === 0) o.onProgress(n, total - (from?.seq ?? 0));
    return true;
  };
  if (!broken) {
    // Read in storage order without sorting, so no server has to sort the whole chain (a server that
    // cannot sort through an index would hold it all in memory): that is insertion order, which is
    // chain order because position n+1 is only ever inserted once n exists. A small buffer absorbs
    // any reordering a storage engine might do.
    const cursor = events()
      .find(from ? { _id: { $gt: seqId(from.seq) } } : {})
      .batchSize(2000);
    const early = new Map<string, AuditEventDoc>();
    outer: for await (const raw of cursor) {
      early.set(String(raw._id), raw);
      for (let next = early.get(seqId(expectedSeq)); next; next = early.get(seqId(expectedSeq))) {
        early.delete(next._id);
        if (!check(next)) break outer;
      }
      if (early.size > 10_000) break;
    }
    if (!broken && early.size > 0) {
      const found = Math.min(...[...early.keys()].map(Number));
      broken = { seq: expectedSeq, problem: 'missing', expected: `event ${expectedSeq}`, found: `event ${found}` };
    }
    await cursor.close();
  }
  // A chain of legacy events only is not protected by any key (anyone could have rewritten it).
  if (!broken && !keyed && legacy > 0) {
    broken = { seq: expectedSeq, problem: 'unkeyed', expected: 'the chain_rekeyed marker (start the app once to append it)', found: 'end of chain' };
  }
  const lastSeq = expectedSeq - 1;
  const head = lastSeq > 0 ? { seq: lastSeq, hash: prev, at: prevAt } : null;
  const changeLog = o.changeLog === false ? undefined : await checkChangeLog();
  const unaudited = await Change.countDocuments({ audited: mongoose.trusted({ $ne: true }), status: 'applied' });
  const ok = !broken && (!changeLog || (changeLog.missing === 0 && changeLog.mismatched === 0));
  return { ok, events: n, from: from?.seq ?? 0, head, legacy, ...(broken ? { broken } : {}), ...(changeLog ? { changeLog } : {}), unaudited };
}

export interface ChangeLogReport {
  /** Applied changes marked audited that were checked. */
  checked: number;
  /** Of those, how many have no event in the chain. */
  missing: number;
  /** Of those, how many have an event that records another entry, version or actor. */
  mismatched: number;
  /** The first change at fault. */
  first?: { change: string; problem: 'no_event' | 'mismatch' };
}

/**
 * Cross-checks the change log: every applied change marked audited must have its event
 * (`change:<id>`), recording the same model, entry, version and actor. The other direction holds
 * only as far as the log keeps its changes: compaction deletes old audited changes, whose events
 * then stand alone by design (docs/decisions/0012).
 */
export async function checkChangeLog(): Promise<ChangeLogReport> {
  const report: ChangeLogReport = { checked: 0, missing: 0, mismatched: 0 };
  const cursor = Change.find({ audited: true, status: 'applied' })
    .select('_id model entryId version actor op')
    .lean<Array<Pick<ChangeDoc, '_id' | 'model' | 'entryId' | 'version' | 'actor' | 'op'>>>()
    .cursor({ batchSize: 500 });
  let batch: Array<Pick<ChangeDoc, '_id' | 'model' | 'entryId' | 'version' | 'actor' | 'op'>> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const found = await events()
      .find({ key: { $in: batch.map((c) => `change:${c._id}`) } }, { projection: { key: 1, model: 1, entryId: 1, version: 1, actor: 1 } })
      .toArray();
    const byKey = new Map(found.map((e) => [e.key, e]));
    for (const c of batch) {
      report.checked++;
      const e = byKey.get(`change:${c._id}`);
      const problem = !e
        ? 'no_event'
        : e.model !== c.model ||
            e.entryId !== (c.entryId ? String(c.entryId) : null) ||
            e.version !== (c.op === 'bulk' ? null : c.version) ||
            e.actor !== (c.actor || 'system')
          ? 'mismatch'
          : null;
      if (!problem) continue;
      if (problem === 'no_event') report.missing++;
      else report.mismatched++;
      report.first ??= { change: c._id, problem };
    }
    batch = [];
  };
  for await (const c of cursor) {
    batch.push(c);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return report;
}

/** The last position an admin's check found intact, signed with the key so it cannot be forged in the database. */
interface CheckpointDoc {
  _id: string;
  seq: number;
  hash: string;
  at: Date;
  keyId: string;
  sig: string;
}

const checkpoints = () => AuditEvent.db.collection<CheckpointDoc>('audit_checkpoints');
const checkpointText = (c: Pick<CheckpointDoc, 'seq' | 'hash' | 'at'>) => canonicalJson({ seq: c.seq, hash: c.hash, at: c.at });

/**
 * The last verified position, or null when none was saved or its signature does not fit (then the
 * next check starts from the beginning: someone with database access cannot make it skip events).
 */
export async function loadCheckpoint(keys: AuditKeyring = defaultKeyring()): Promise<(Checkpoint & { at: Date }) | null> {
  const doc = await checkpoints().findOne({ _id: 'verified' });
  if (!doc) return null;
  const key = keyById(keys, doc.keyId);
  if (!key || !sameDigest(doc.sig, hmac(key, checkpointText(doc)))) return null;
  return { seq: doc.seq, hash: doc.hash, at: doc.at };
}

/** Remembers a verified position for the next incremental check. */
export async function saveCheckpoint(c: Checkpoint, keys: AuditKeyring = defaultKeyring()): Promise<void> {
  const at = new Date();
  const sig = hmac(keys.current, checkpointText({ seq: c.seq, hash: c.hash, at }));
  await checkpoints().replaceOne({ _id: 'verified' }, { seq: c.seq, hash: c.hash, at, keyId: keys.current.id, sig }, { upsert: true });
}
