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
 * Each event stores the hash of the previous one and its own hash over a canonical JSON of all its
 * fields; verifyChain() recomputes them and names the first event that does not fit.
 */
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { Change, type ChangeDoc, type ChangeSubscriber } from '../registries/changes.js';
import { countAll } from '../platform/db/index.js';
import { canonicalJson, sha256 } from './canonical.js';
import { AuditEvent, GENESIS, seqId, type AuditAction, type AuditEventDoc, type FieldChange } from './model.js';

export { AuditEvent, GENESIS, seqId, type AuditEventDoc, type FieldChange } from './model.js';

const isDuplicate = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;

type EventBody = Omit<AuditEventDoc, '_id' | 'seq' | 'prevHash' | 'hash'>;
type Head = { seq: number; hash: string };

/** The hash of an event: every stored field except the hash itself. */
export function hashEvent(e: Omit<AuditEventDoc, 'hash'>): string {
  const { _id, seq, key, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail } = e;
  return sha256(canonicalJson({ _id, seq, key, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail }));
}

/**
 * The chain's collection, typed. Events are read and written through the driver, not the model,
 * so that what is hashed is exactly what is stored (no schema casting or defaults on the way).
 * The connection hands out the collection the model uses (one per name).
 */
const events = () => AuditEvent.db.collection<AuditEventDoc>(AuditEvent.collection.collectionName);

async function eventAt(seq: number): Promise<AuditEventDoc | null> {
  return events().findOne({ _id: seqId(seq) });
}

/**
 * Appends events at the head of the chain. One writer per process serialises its own appends;
 * writers in other processes race for the next position with an insert on the unique `_id`, and
 * the loser finds the new head (by probing positions, which are direct `_id` lookups) and tries
 * again. The head is cached between appends: it is only a hint, corrected by the next collision.
 */
export class ChainWriter {
  private head: Head | null = null;
  private queue: Promise<unknown> = Promise.resolve();

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

  private async appendNow(body: EventBody): Promise<number> {
    this.head ??= await this.findHead(0);
    for (let attempt = 0; attempt < 100; attempt++) {
      const seq: number = this.head.seq + 1;
      const event: Omit<AuditEventDoc, 'hash'> = { ...body, _id: seqId(seq), seq, prevHash: this.head.hash };
      const doc: AuditEventDoc = { ...event, hash: hashEvent(event) };
      try {
        await events().insertOne(doc);
        this.head = { seq, hash: doc.hash };
        return seq;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        const there = await eventAt(seq);
        if (there?.key === body.key) {
          this.head = { seq, hash: there.hash };
          return seq; // the same event was appended already (a repeated append)
        }
        if (!there) {
          // The position is free, so the clash was on `key`: this event is in the chain already.
          const existing = await events().findOne({ key: body.key }, { projection: { seq: 1 } });
          if (existing) return existing.seq;
          continue;
        }
        // Another writer took the position: learn the new head and try again.
        this.head = await this.findHead(seq);
      }
    }
    throw new Error('audit: could not append to the chain after 100 attempts');
  }

  /** The last position at or after `known` (which exists, or is 0), by exponential then binary probing. */
  private async findHead(known: number): Promise<Head> {
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
    if (lo === 0) return { seq: 0, hash: GENESIS };
    const e = await eventAt(lo);
    return { seq: lo, hash: e!.hash };
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
    const records: unknown[] = Array.isArray(c.set.records) ? c.set.records : [];
    return [{ field: 'records', before: null, after: records[records.length - 1] ?? null }];
  }
  return Object.keys(c.set)
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

export interface ChainReport {
  ok: boolean;
  events: number;
  /** The first event that does not fit, and why. */
  broken?: { seq: number; problem: 'missing' | 'prev_hash' | 'hash'; expected: string; found: string };
  /** Applied changes that have no audit event yet (the sync repairs them; reported, not an error). */
  unaudited: number;
}

/** Walks the chain from the start, recomputing every hash. */
export async function verifyChain(onProgress?: (done: number, total: number) => void): Promise<ChainReport> {
  const total = await countAll(AuditEvent);
  let expectedSeq = 1;
  let prev = GENESIS;
  let n = 0;
  // Read in storage order without sorting, so no server has to sort the whole chain (a server that
  // cannot sort through an index would hold it all in memory): that is insertion order, which is
  // chain order because position n+1 is only ever inserted once n exists. A small buffer absorbs
  // any reordering a storage engine might do.
  const cursor = events().find({}).batchSize(2000);
  const early = new Map<string, AuditEventDoc>();
  let broken: ChainReport['broken'];
  const check = (e: AuditEventDoc): boolean => {
    if (e.prevHash !== prev) {
      broken = { seq: expectedSeq, problem: 'prev_hash', expected: prev, found: e.prevHash };
      return false;
    }
    const h = hashEvent(e);
    if (h !== e.hash) {
      broken = { seq: expectedSeq, problem: 'hash', expected: h, found: e.hash };
      return false;
    }
    prev = e.hash;
    expectedSeq++;
    n++;
    if (onProgress && n % 5000 === 0) onProgress(n, total);
    return true;
  };
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
  const unaudited = await Change.countDocuments({ audited: mongoose.trusted({ $ne: true }), status: 'applied' });
  return { ok: !broken, events: n, ...(broken ? { broken } : {}), unaudited };
}
