/**
 * The registry service: the one write path for pages, API, imports and scripts.
 *
 * Every write is a single-document atomic operation that also bumps `version` and sets
 * `indexPending`, so the search worker will catch the index up even if this process dies right
 * after the write (FerretDB has no multi-document transactions). Updates carry the version they
 * were based on; a stale one is refused with a conflict instead of overwriting.
 */
import mongoose, { type Model } from 'mongoose';
import { AppError, validationFailed, type FieldProblem } from '../platform/errors.js';

type AnyDoc = Record<string, unknown> & { _id: mongoose.Types.ObjectId; version: number };

/** Turns a mongoose ValidationError (messages are "中文|English") into field problems. */
export function fieldProblemsFrom(err: unknown): FieldProblem[] | null {
  if (!(err instanceof mongoose.Error.ValidationError)) return null;
  return Object.entries(err.errors).map(([field, e]) => {
    const raw = e instanceof mongoose.Error.CastError ? `格式不正确|has the wrong type` : e.message;
    const [zh, en] = raw.includes('|') ? raw.split('|', 2) : [raw, raw];
    return { field, message: zh!, messageEn: en! };
  });
}

function duplicateKey(err: unknown, model?: Model<any>): FieldProblem[] | null {
  const e = err as { code?: number; keyValue?: Record<string, unknown>; message?: string };
  if (e?.code !== 11000) return null;
  // FerretDB's E11000 carries no keyValue; every model here has one unique path, so name that.
  const unique = model ? Object.entries(model.schema.paths).filter(([, p]) => (p as { options?: { unique?: unknown } }).options?.unique).map(([k]) => k) : [];
  const field = Object.keys(e.keyValue ?? {})[0] ?? (unique.length === 1 ? unique[0]! : 'id');
  return [{ field, message: '该编号已存在，不能重复', messageEn: 'already exists; it must be unique' }];
}

function translateWriteError(err: unknown, model?: Model<any>): never {
  const problems = fieldProblemsFrom(err) ?? duplicateKey(err, model);
  if (problems) throw validationFailed(problems);
  throw err;
}

/** Creates a document; validation problems become a validation_failed AppError. */
export async function createEntry<T>(model: Model<any>, data: Record<string, unknown>): Promise<T & AnyDoc> {
  try {
    const doc = await model.create({ ...data, version: 1, indexPending: true });
    return doc.toObject() as T & AnyDoc;
  } catch (err) {
    translateWriteError(err, model);
  }
}

/**
 * Applies `changes` to the document `id` if it is still at `expectedVersion`.
 * Throws not_found, conflict (someone saved first) or validation_failed.
 */
export async function updateEntry<T>(
  model: Model<any>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
): Promise<T & AnyDoc> {
  // FerretDB (the local database) does not make the conditional update below atomic, so updates
  // of one document are also serialised within this process.
  return serialised(`${model.modelName}:${String(id)}`, () => applyUpdate<T>(model, id, expectedVersion, changes));
}

const inFlight = new Map<string, Promise<unknown>>();

function serialised<R>(key: string, fn: () => Promise<R>): Promise<R> {
  const run = (inFlight.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => {});
  inFlight.set(key, tail);
  void tail.then(() => {
    if (inFlight.get(key) === tail) inFlight.delete(key);
  });
  return run;
}

async function applyUpdate<T>(
  model: Model<any>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
): Promise<T & AnyDoc> {
  const current = (await model.findById(id).lean()) as (T & AnyDoc) | null;
  if (!current) throw new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });
  if (current.version !== expectedVersion) throw conflict(current.version);
  // Validate the merged document as a whole, so cross-field rules (dates) hold.
  const merged = model.hydrate({ ...current });
  merged.set(changes);
  try {
    await merged.validate();
  } catch (err) {
    translateWriteError(err, model);
  }
  const $set = { ...changes, indexPending: true };
  let updated: (T & AnyDoc) | null;
  try {
    updated = (await model
      .findOneAndUpdate({ _id: current._id, version: expectedVersion }, { $set, $inc: { version: 1 } }, { returnDocument: 'after', runValidators: false })
      .lean()) as (T & AnyDoc) | null;
  } catch (err) {
    translateWriteError(err, model);
  }
  if (!updated) {
    const now = (await model.findById(id).select('version').lean()) as { version: number } | null;
    if (!now) throw new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });
    throw conflict(now.version);
  }
  return updated;
}

function conflict(currentVersion: number): AppError {
  return new AppError('conflict', `该条目已被他人修改（当前版本 ${currentVersion}），请刷新后再改`, {
    messageEn: `Someone else changed this entry (now version ${currentVersion}); reload and try again`,
  });
}

/**
 * Creates the document found by `key`, or updates it when any given field differs. Re-running
 * with the same data changes nothing (no version bump), which makes seeding and imports idempotent.
 */
export async function upsertByKey<T>(
  model: Model<any>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
): Promise<{ doc: T & AnyDoc; action: 'created' | 'updated' | 'unchanged' }> {
  const existing = (await model.findOne(key).lean()) as (T & AnyDoc) | null;
  if (!existing) return { doc: await createEntry(model, { ...key, ...data }), action: 'created' };
  const probe = model.hydrate({ ...existing });
  probe.set(data);
  const changed = probe.modifiedPaths().filter((p: string) => !p.includes('.') || !probe.modifiedPaths().includes(p.split('.')[0]!));
  if (changed.length === 0) return { doc: existing, action: 'unchanged' };
  const changes = Object.fromEntries(changed.map((p: string) => [p, probe.get(p)]));
  return { doc: await updateEntry(model, existing._id, existing.version, changes), action: 'updated' };
}

export interface BulkReport {
  inserted: number;
  /** Rows refused by validation or a unique key, with the reason. */
  rejected: Array<{ index: number; problems: FieldProblem[] }>;
}

/**
 * Inserts many new documents at once (imports, synthetic data): each is validated like a single
 * create, then written with insertMany (unordered) flagged for indexing. Rows that fail validation
 * or hit a unique key are reported, not thrown; the rest are written.
 */
export async function bulkCreate(model: Model<any>, rows: Array<Record<string, unknown>>): Promise<BulkReport> {
  const report: BulkReport = { inserted: 0, rejected: [] };
  const valid: Array<{ index: number; doc: unknown }> = [];
  await Promise.all(
    rows.map(async (row, index) => {
      const doc = new model({ ...row, version: 1, indexPending: true });
      try {
        await doc.validate();
        valid.push({ index, doc });
      } catch (err) {
        const problems = fieldProblemsFrom(err);
        if (!problems) throw err;
        report.rejected.push({ index, problems });
      }
    }),
  );
  valid.sort((a, b) => a.index - b.index);
  if (valid.length === 0) return report;
  try {
    // Already validated and cast above: `lean` skips mongoose's second hydration pass.
    const res = await model.insertMany(valid.map((v) => (v.doc as { toObject(): unknown }).toObject()), { ordered: false, rawResult: true, lean: true });
    report.inserted = (res as { insertedCount?: number }).insertedCount ?? valid.length;
  } catch (err) {
    const e = err as { insertedDocs?: unknown[]; writeErrors?: Array<{ index: number; err?: { errmsg?: string } }>; result?: { insertedCount?: number } };
    if (!e.writeErrors) throw err;
    report.inserted = e.result?.insertedCount ?? e.insertedDocs?.length ?? 0;
    for (const w of e.writeErrors) {
      report.rejected.push({ index: valid[w.index]?.index ?? -1, problems: duplicateKey({ code: 11000 }) ?? [] });
    }
  }
  return report;
}
