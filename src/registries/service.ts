/**
 * The registry service: the one write path for pages, API, imports and scripts.
 *
 * Every write first claims its version in the change log (changes.ts), then writes the entry,
 * then marks the change settled, which hands it to the log's subscribers (the audit trail at once,
 * the search index a moment later). The claim (an insert on a unique _id) makes optimistic
 * concurrency hold across processes on any server, including ones whose conditional updates are
 * not atomic; a crash between any two steps is repaired by the subscribers' workers (outbox.ts).
 *
 * Dynamic management rules live here, so the UI, the API, imports and scripts obey them alike:
 * a status change needs a reason (and stamps its date), and protection records of a famous mark
 * are only ever appended.
 */
import mongoose, { type Model } from 'mongoose';
import { AppError, validationFailed, type FieldProblem } from '../platform/errors.js';
import { Change, CHANGE_LEASE_MS, changeId, changeSettled, claimChange, markSettled, type ChangeClaim, type ChangeDoc } from './changes.js';

type AnyDoc = Record<string, unknown> & { _id: mongoose.Types.ObjectId; version: number };

/** Who writes and why; recorded with the change. */
export interface WriteContext {
  actor?: string;
  reason?: string;
  /** Injectable clock (tests). */
  now?: Date;
}

/** Turns a mongoose ValidationError (messages are "中文|English") into field problems. */
export function fieldProblemsFrom(err: unknown): FieldProblem[] | null {
  if (!(err instanceof mongoose.Error.ValidationError)) return null;
  return Object.entries(err.errors).map(([field, e]) => {
    const raw = e instanceof mongoose.Error.CastError ? `格式不正确|has the wrong type` : e.message;
    const [zh, en] = raw.includes('|') ? raw.split('|', 2) : [raw, raw];
    return { field, message: zh!, messageEn: en! };
  });
}

const isDuplicate = (err: unknown) => (err as { code?: number })?.code === 11000;

/** The model's unique fields besides _id (not every server's E11000 says which key clashed). */
function uniqueFields(model: Model<any>): string[] {
  return Object.entries(model.schema.paths)
    .filter(([k, p]) => k !== '_id' && (p as { options?: { unique?: unknown } }).options?.unique)
    .map(([k]) => k);
}

function duplicateKey(err: unknown, model?: Model<any>): FieldProblem[] | null {
  if (!isDuplicate(err)) return null;
  const e = err as { keyValue?: Record<string, unknown> };
  const unique = model ? uniqueFields(model) : [];
  const field = Object.keys(e.keyValue ?? {})[0] ?? (unique.length === 1 ? unique[0]! : 'id');
  return [{ field, message: '该编号已存在，不能重复', messageEn: 'already exists; it must be unique' }];
}

function translateWriteError(err: unknown, model?: Model<any>): never {
  const problems = fieldProblemsFrom(err) ?? duplicateKey(err, model);
  if (problems) throw validationFailed(problems);
  throw err;
}

function conflict(currentVersion: number): AppError {
  return new AppError('conflict', `该条目已被他人修改（当前版本 ${currentVersion}），请刷新后再改`, {
    messageEn: `Someone else changed this entry (now version ${currentVersion}); reload and try again`,
  });
}

const notFound = () => new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });

/** Values as stored: plain objects, no mongoose wrappers, top-level keys only (no "." in keys). */
function topLevel(doc: mongoose.Document, paths: string[]): Record<string, unknown> {
  const obj = doc.toObject({ depopulate: true, versionKey: false }) as Record<string, unknown>;
  const keys = [...new Set(paths.map((p) => p.split('.')[0]!))].filter((k) => !['_id', 'version', 'createdAt', 'updatedAt'].includes(k));
  return Object.fromEntries(keys.map((k) => [k, obj[k] ?? null]));
}

const claim = (change: ChangeClaim) => claimChange(change);

/**
 * Marks the change settled and hands it to the change log's subscribers. Once the entry is
 * written the write has succeeded: a subscriber that fails here (the audit trail) is retried by
 * its worker, never reported to the writer as a failed save.
 */
async function settle(id: string, status: 'applied' | 'failed', error = ''): Promise<void> {
  await markSettled(id, status, error);
  await changeSettled(id);
}

/**
 * Writes a pending change into its entry (the claimant died, or is slow). Safe to repeat: it only
 * writes while the entry is still at the previous version, with the values the change recorded.
 */
export async function rollForward(change: ChangeDoc): Promise<void> {
  const model = mongoose.model(change.model);
  if (change.op === 'bulk') {
    await settle(change._id, 'applied');
    return;
  }
  if (change.op === 'create') {
    const exists = await model.exists({ _id: change.entryId });
    if (!exists) {
      try {
        await model.collection.insertOne({ ...change.set, _id: change.entryId, version: 1, createdAt: change.at, updatedAt: change.at } as never);
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        await settle(change._id, 'failed', 'duplicate key');
        return;
      }
    }
    await settle(change._id, 'applied');
    return;
  }
  const current = (await model.findById(change.entryId).select('version').lean()) as { version: number } | null;
  if (current && current.version === change.version - 1) {
    await model.updateOne({ _id: change.entryId, version: change.version - 1 }, { $set: { ...change.set, version: change.version, updatedAt: change.at } });
  }
  await settle(change._id, current ? 'applied' : 'failed', current ? '' : 'entry missing');
}

/** A claim that blocks us: roll it forward if its writer has clearly gone away. */
async function repairStaleClaim(id: string, now: Date): Promise<void> {
  const c = (await Change.findById(id).lean()) as ChangeDoc | null;
  if (c && c.status === 'pending' && now.getTime() - new Date(c.at).getTime() > CHANGE_LEASE_MS) await rollForward(c);
}

/** Creates a document; validation problems become a validation_failed AppError. */
export async function createEntry<T>(model: Model<any>, data: Record<string, unknown>, ctx: WriteContext = {}): Promise<T & AnyDoc> {
  const now = ctx.now ?? new Date();
  const doc = new model({ ...data, version: 1 });
  try {
    await doc.validate();
  } catch (err) {
    translateWriteError(err, model);
  }
  const set = topLevel(doc, Object.keys(doc.toObject()));
  const id = changeId(model.modelName, doc._id, 1);
  await claim({ _id: id, model: model.modelName, entryId: doc._id, version: 1, op: 'create', set, before: {}, actor: ctx.actor ?? 'system', reason: ctx.reason ?? '', at: now });
  try {
    await doc.save({ validateBeforeSave: false });
  } catch (err) {
    await settle(id, 'failed', (err as Error).message.slice(0, 200));
    translateWriteError(err, model);
  }
  await settle(id, 'applied');
  return doc.toObject() as T & AnyDoc;
}

const statusReasonMissing = () =>
  validationFailed([{ field: 'statusReason', message: '请填写状态变更原因', messageEn: 'a status change needs a reason' }]);

/**
 * Applies `changes` to the document `id` if it is still at `expectedVersion`.
 * Throws not_found, conflict (someone saved first) or validation_failed.
 *
 * A change of `status` needs `ctx.reason`; the service stamps statusChangedAt and statusReason.
 * A famous mark's protection records cannot be changed here (appendProtectionRecord adds one).
 */
export async function updateEntry<T>(
  model: Model<any>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  if (model.modelName === 'FamousMark' && 'records' in changes) {
    throw validationFailed([{ field: 'records', message: '保护记录只能追加，不能修改或删除', messageEn: 'protection records can only be appended, never edited or removed' }]);
  }
  return applyUpdate<T>(model, id, expectedVersion, changes, ctx, 'update');
}

/** Changes an entry's status; the reason is required and kept with the date. */
export async function changeStatus<T>(
  model: Model<any>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  status: string,
  reason: string,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  if (!reason || !reason.trim()) throw statusReasonMissing();
  return applyUpdate<T>(model, id, expectedVersion, { status }, { ...ctx, reason: reason.trim() }, 'update');
}

export interface ProtectionRecordInput {
  date: Date | string;
  kind: string;
  summary: string;
  outcome?: string;
  links?: string[];
  /** The _id of an earlier record this one corrects. */
  corrects?: string | mongoose.Types.ObjectId | null;
}

/**
 * Appends a protection record to a famous-mark ledger entry. Records are never edited in place:
 * a mistake is corrected by a later record that names the one it corrects.
 */
export async function appendProtectionRecord<T>(
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  record: ProtectionRecordInput,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  const model = mongoose.model('FamousMark') as Model<any>;
  const current = (await model.findById(id).select('records version').lean()) as { records: Array<{ _id: mongoose.Types.ObjectId }>; version: number } | null;
  if (!current) throw notFound();
  if (record.corrects && !current.records.some((r) => String(r._id) === String(record.corrects))) {
    throw validationFailed([{ field: 'corrects', message: '要更正的记录不存在', messageEn: 'the record to correct does not exist' }]);
  }
  const now = ctx.now ?? new Date();
  const added = {
    _id: new mongoose.Types.ObjectId(),
    date: record.date,
    kind: record.kind,
    summary: record.summary,
    outcome: record.outcome ?? '',
    links: record.links ?? [],
    corrects: record.corrects ?? null,
    recordedBy: ctx.actor ?? 'system',
    recordedAt: now,
  };
  return applyUpdate<T>(model, id, expectedVersion, { records: [...current.records, added] }, ctx, 'record');
}

async function applyUpdate<T>(
  model: Model<any>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
  ctx: WriteContext,
  action: 'update' | 'record',
): Promise<T & AnyDoc> {
  const now = ctx.now ?? new Date();
  const current = (await model.findById(id).lean()) as (T & AnyDoc) | null;
  if (!current) throw notFound();
  if (current.version !== expectedVersion) throw conflict(current.version);
  const cur = current as Record<string, unknown>;
  let kind: 'update' | 'status' | 'record' = action;
  if ('status' in changes && changes.status !== cur.status && 'status' in model.schema.paths) {
    if (!ctx.reason || !ctx.reason.trim()) throw statusReasonMissing();
    changes = { ...changes, statusChangedAt: now, statusReason: ctx.reason.trim() };
    kind = 'status';
  }
  // Validate the merged document as a whole, so cross-field rules (dates) hold.
  const merged = model.hydrate({ ...current });
  merged.set(changes);
  try {
    await merged.validate();
  } catch (err) {
    translateWriteError(err, model);
  }
  const set = topLevel(merged, merged.modifiedPaths());
  if (Object.keys(set).length === 0) return current;
  const before = Object.fromEntries(Object.keys(set).map((k) => [k, cur[k] ?? null]));
  const version = expectedVersion + 1;
  const cid = changeId(model.modelName, current._id, version);
  const claimed = await claim({ _id: cid, model: model.modelName, entryId: current._id, version, op: 'update', action: kind, set, before, actor: ctx.actor ?? 'system', reason: ctx.reason ?? '', at: now });
  if (!claimed) {
    await repairStaleClaim(cid, now);
    throw conflict(version);
  }
  try {
    // We own this version: no other writer touches the entry until our change is applied.
    await model.updateOne({ _id: current._id }, { $set: { ...set, version, updatedAt: now } }, { runValidators: false, timestamps: false });
  } catch (err) {
    await settle(cid, 'failed', (err as Error).message.slice(0, 200));
    translateWriteError(err, model);
  }
  await settle(cid, 'applied');
  return (await model.findById(current._id).lean()) as T & AnyDoc;
}

/**
 * Creates the document found by `key`, or updates it when any given field differs. Re-running
 * with the same data changes nothing (no version bump), which makes seeding and imports idempotent.
 */
export async function upsertByKey<T>(
  model: Model<any>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
  ctx: WriteContext = {},
): Promise<{ doc: T & AnyDoc; action: 'created' | 'updated' | 'unchanged' }> {
  const existing = (await model.findOne(key).lean()) as (T & AnyDoc) | null;
  if (!existing) return { doc: await createEntry<T>(model, { ...key, ...data }, ctx), action: 'created' };
  const probe = model.hydrate({ ...existing });
  probe.set(data);
  if (probe.modifiedPaths().length === 0) return { doc: existing, action: 'unchanged' };
  const changes = topLevel(probe, probe.modifiedPaths());
  return { doc: await updateEntry<T>(model, existing._id, existing.version, changes, ctx), action: 'updated' };
}

export interface BulkReport {
  inserted: number;
  /** Rows refused by validation or a unique key, with the reason. */
  rejected: Array<{ index: number; problems: FieldProblem[] }>;
}

export interface BulkOptions {
  /**
   * The rows are documents of this model that the caller has just built and validated, as
   * `doc.toObject()` (the import checks every row before it writes, with the same schema): they
   * are inserted as they are instead of being validated a second time.
   */
  validated?: boolean;
}

/**
 * Inserts many new documents at once (imports, synthetic data): each is validated like a single
 * create (unless `opts.validated`), then written with one unordered insertMany, recorded as one bulk
 * change listing the inserted ids. Rows that fail validation or hit a unique key are reported, not thrown.
 */
export async function bulkCreate(model: Model<any>, rows: Array<Record<string, unknown>>, ctx: WriteContext = {}, opts: BulkOptions = {}): Promise<BulkReport> {
  const report: BulkReport = { inserted: 0, rejected: [] };
  const valid: Array<{ index: number; doc: Record<string, unknown> & { _id: mongoose.Types.ObjectId } }> = [];
  if (opts.validated) {
    rows.forEach((row, index) => {
      if (!(row._id instanceof mongoose.Types.ObjectId) || row.version !== 1) throw new Error('bulkCreate: validated rows need their _id and version 1');
      valid.push({ index, doc: row as Record<string, unknown> & { _id: mongoose.Types.ObjectId } });
    });
  } else {
    await Promise.all(
      rows.map(async (row, index) => {
        const doc = new model({ ...row, version: 1 });
        try {
          await doc.validate();
          valid.push({ index, doc: doc.toObject() });
        } catch (err) {
          const problems = fieldProblemsFrom(err);
          if (!problems) throw err;
          report.rejected.push({ index, problems });
        }
      }),
    );
  }
  valid.sort((a, b) => a.index - b.index);
  if (valid.length === 0) return report;
  const cid = `bulk:${model.modelName}:${new mongoose.Types.ObjectId().toString()}`;
  await claim({
    _id: cid, model: model.modelName, entryId: null, version: 0, op: 'bulk', set: {}, before: {},
    entryIds: valid.map((v) => v.doc._id), actor: ctx.actor ?? 'system', reason: ctx.reason ?? '', at: ctx.now ?? new Date(),
  });
  try {
    // Already validated and cast above: `lean` skips mongoose's second hydration pass.
    await model.insertMany(valid.map((v) => v.doc), { ordered: false, lean: true });
    report.inserted = valid.length;
  } catch (err) {
    const e = err as { writeErrors?: Array<{ index: number }>; insertedDocs?: unknown[] };
    if (!e.writeErrors) {
      await settle(cid, 'failed', (err as Error).message.slice(0, 200));
      throw err;
    }
    report.inserted = valid.length - e.writeErrors.length;
    for (const w of e.writeErrors) {
      report.rejected.push({ index: valid[w.index]?.index ?? -1, problems: duplicateKey({ code: 11000 }, model) ?? [] });
    }
  }
  await settle(cid, 'applied');
  return report;
}
