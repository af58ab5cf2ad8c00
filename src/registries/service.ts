/**
 * The registry service: the one write path for pages, API, imports and scripts.
 *
 * Every write first claims its version in the change log (changes.ts), then writes the entry,
 * then marks the change settled, which hands it to the log's subscribers (the audit trail at once,
 * the search index a moment later). The claim (an insert on a unique _id) makes optimistic
 * concurrency hold across processes on any server, including ones whose conditional updates are
 * not atomic; a crash between any two steps is repaired by the subscribers' workers (outbox.ts).
 *
 * The domain rules are written once, in rules.ts, and enforced here on every write, so the UI, the
 * API, imports and scripts obey them alike: a status change needs a reason (and stamps its date),
 * a famous mark's protection records are only ever appended and each is checked, a geographic
 * indication is a product and an area together. The forms and the import's dry run call the same
 * functions to report problems before they write.
 *
 * The completeness rule (completeness.ts) runs on every write of a brand or an entry: a record
 * without the least a published list gives is refused with the rule's problems, and the facts it
 * still lacks are stored in its `missing` list (待补充), recomputed from the document as stored.
 */
import mongoose, { type Model } from 'mongoose';
import { AppError, validationFailed, type FieldProblem } from '../platform/errors.js';
import { completeFields, completenessOf, missingFields, subjectOfModel } from './completeness.js';
import { Change, CHANGE_LEASE_MS, changeId, changeSettled, claimChange, markSettled, type ChangeClaim, type ChangeDoc } from './changes.js';
import { kindOfModel, REGISTRIES } from './kinds.js';
import { activeValues, ReferenceValue, referenceChoices, referenceItems, refreshReferenceData, type ReferenceList } from './reference-data.js';
import { COMPOUND_UNIQUE, FamousMark, TimeHonored } from './models.js';
import { CONDITIONAL_PASS, REVIEW_FAILED, TIME_HONORED_STATUSES } from './reference.js';
import {
  appendOnlyProblems,
  entryProblems,
  mergeProblems,
  protectionRecordProblems,
  parseDay,
  referenceValueInputProblems,
  reviewDateOf,
  reviewProblems,
  type ReviewInput,
  statusChangeProblems,
  statusReasonProblems,
  type ProtectionRecordInput,
} from './rules.js';

export type { ProtectionRecordInput, ReviewInput } from './rules.js';

type AnyDoc = Record<string, unknown> & { _id: mongoose.Types.ObjectId; version: number };

/**
 * Any model whose documents read as `T`: T is inferred from the model (mongoose's castObject
 * returns its raw document type), or named by a caller that reads only a few fields. The service
 * handles every model alike through the model registered under that name, documents as records.
 */
export type EntryModel<T> = Pick<Model<T>, 'modelName' | 'castObject'>;

/** The registered model behind `model`, its documents as plain records. */
const registered = (model: EntryModel<unknown>): Model<AnyDoc> => mongoose.model<AnyDoc>(model.modelName);

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
    const [zh = raw, en = raw] = raw.includes('|') ? raw.split('|', 2) : [raw, raw];
    return { field, message: zh, messageEn: en };
  });
}

/** What a failed write may carry, read without trusting its shape. */
function errorFacts(err: unknown): { code?: unknown; keyValue?: unknown; writeErrors?: unknown; message: string } {
  if (!err || typeof err !== 'object') return { message: String(err) };
  return {
    code: 'code' in err ? err.code : undefined,
    keyValue: 'keyValue' in err ? err.keyValue : undefined,
    writeErrors: 'writeErrors' in err ? err.writeErrors : undefined,
    message: err instanceof Error ? err.message : String(err),
  };
}

const isDuplicate = (err: unknown) => errorFacts(err).code === 11000;
const shortMessage = (err: unknown) => errorFacts(err).message.slice(0, 200);

/** The model's unique fields besides _id (not every server's E11000 says which key clashed). */
function uniqueFields(model: Model<AnyDoc>): string[] {
  const unique: string[] = [];
  model.schema.eachPath((k, p) => {
    if (k !== '_id' && p.options.unique) unique.push(k);
  });
  return unique;
}

function duplicateKey(err: unknown, model?: Model<AnyDoc>): FieldProblem[] | null {
  if (!isDuplicate(err)) return null;
  const { keyValue } = errorFacts(err);
  const unique = model ? uniqueFields(model) : [];
  const clashed = keyValue && typeof keyValue === 'object' ? Object.keys(keyValue)[0] : undefined;
  // A key of several fields (a brand's time-honored listing per tier) is reported on the field that tells them apart.
  const compound = model ? COMPOUND_UNIQUE[model.modelName] : undefined;
  if (compound && (!clashed || compound.fields.includes(clashed))) {
    const [zh = '', en = ''] = compound.message.split('|', 2);
    return [{ field: compound.field, message: zh, messageEn: en }];
  }
  const field = clashed ?? (unique.length === 1 && unique[0] ? unique[0] : 'id');
  return [{ field, message: '该编号已存在，不能重复', messageEn: 'already exists; it must be unique' }];
}

function translateWriteError(err: unknown, model?: Model<AnyDoc>): never {
  const problems = fieldProblemsFrom(err) ?? duplicateKey(err, model);
  if (problems) throw validationFailed(problems);
  throw err;
}

/**
 * A brand recorded without a credit code stores '' — the one exception to "absent, never blank":
 * the import looks such brands up by an equality on the credit code index (imports/store.ts),
 * which the local server answers from the index only for a plain string value.
 */
const NO_CREDIT_CODE = '';

/**
 * The completeness rule on a brand or an entry as it would be stored: a blank fact is absent (a
 * missing value is never stored as ""), `missing` lists what the document lacks, and the problems
 * that make it unpublishable are returned. Other models (trademarks, statistics) have no rule.
 */
function applyCompleteness(modelName: string, doc: mongoose.Document): FieldProblem[] {
  const subject = subjectOfModel(modelName, kindOfModel);
  if (!subject) return [];
  for (const field of completeFields(subject)) {
    const v: unknown = doc.get(field);
    if (typeof v === 'string' && v.trim() === '') doc.set(field, field === 'creditCode' && subject === 'brand' ? NO_CREDIT_CODE : undefined);
  }
  const { problems, missing } = completenessOf(subject, plain(doc));
  doc.set(
    'missing',
    missing.map((f) => f.field),
  );
  return problems;
}

/** The `missing` list of a row the caller built and validated itself (bulkCreate's `validated`). */
function withMissing(modelName: string, row: Record<string, unknown>): Record<string, unknown> {
  const subject = subjectOfModel(modelName, kindOfModel);
  return subject ? { ...row, missing: missingFields(subject, row) } : row;
}

/**
 * Checks a document as it would be stored: the completeness rule, the domain rules (rules.ts) and
 * the schema, every problem at once (a rule's message wins over the schema's on the same field).
 */
async function check(model: Model<AnyDoc>, doc: mongoose.Document, rules: FieldProblem[], stored: Record<string, unknown> | null = null): Promise<void> {
  rules = [...rules, ...applyCompleteness(model.modelName, doc)];
  let schema: FieldProblem[] = [];
  try {
    await doc.validate();
  } catch (err) {
    const problems = fieldProblemsFrom(err);
    if (!problems) translateWriteError(err, model);
    schema = problems;
  }
  const all = mergeProblems([...rules, ...entryProblems(model.modelName, plain(doc), referenceChoices(), stored)], schema);
  if (all.length) throw validationFailed(all);
}

function conflict(currentVersion: number): AppError {
  return new AppError('conflict', `该条目已被他人修改（当前版本 ${currentVersion}），请刷新后再改`, {
    messageEn: `Someone else changed this entry (now version ${currentVersion}); reload and try again`,
  });
}

const notFound = () => new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });

/** A document as a plain object, references as ids. */
const plain = (doc: mongoose.Document): Record<string, unknown> => doc.toObject<Record<string, unknown>>({ depopulate: true, versionKey: false });

/** Values as stored: plain objects, no mongoose wrappers, top-level keys only (no "." in keys). */
function topLevel(doc: mongoose.Document, paths: string[]): Record<string, unknown> {
  const obj = plain(doc);
  const keys = [...new Set(paths.map((p) => p.split('.')[0] ?? p))].filter((k) => !['_id', 'version', 'createdAt', 'updatedAt'].includes(k));
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
  // Any model the change log names (registries, brands, statistics): looked up by that name.
  const model = mongoose.model<AnyDoc>(change.model);
  if (change.op === 'bulk') {
    await settle(change._id, 'applied');
    return;
  }
  if (change.op === 'create') {
    const { entryId } = change;
    if (!entryId) {
      await settle(change._id, 'failed', 'entry missing');
      return;
    }
    if (!(await model.exists({ _id: entryId }))) {
      try {
        await model.collection.insertOne({ ...change.set, _id: entryId, version: 1, createdAt: change.at, updatedAt: change.at });
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        await settle(change._id, 'failed', 'duplicate key');
        return;
      }
    }
    await settle(change._id, 'applied');
    return;
  }
  const current = await model.findById(change.entryId).select('version').lean<{ version: number }>();
  if (current && current.version === change.version - 1) {
    await model.updateOne({ _id: change.entryId, version: change.version - 1 }, { $set: { ...change.set, version: change.version, updatedAt: change.at } });
  }
  await settle(change._id, current ? 'applied' : 'failed', current ? '' : 'entry missing');
}

/** A claim that blocks us: roll it forward if its writer has clearly gone away. */
async function repairStaleClaim(id: string, now: Date): Promise<void> {
  const c = await Change.findById(id).lean<ChangeDoc>();
  if (c && c.status === 'pending' && now.getTime() - new Date(c.at).getTime() > CHANGE_LEASE_MS) await rollForward(c);
}

/** Creates a document; validation problems become a validation_failed AppError. */
export async function createEntry<T>(entryModel: EntryModel<T>, data: Record<string, unknown>, ctx: WriteContext = {}): Promise<T & AnyDoc> {
  const model = registered(entryModel);
  const now = ctx.now ?? new Date();
  const doc = new model({ ...data, version: 1 });
  await check(model, doc, []);
  const set = topLevel(doc, Object.keys(plain(doc)));
  const id = changeId(model.modelName, doc._id, 1);
  await claim({
    _id: id,
    model: model.modelName,
    entryId: doc._id,
    version: 1,
    op: 'create',
    set,
    before: {},
    actor: ctx.actor ?? 'system',
    reason: ctx.reason ?? '',
    at: now,
  });
  try {
    await doc.save({ validateBeforeSave: false });
  } catch (err) {
    await settle(id, 'failed', shortMessage(err));
    translateWriteError(err, model);
  }
  await settle(id, 'applied');
  return doc.toObject<T & AnyDoc>();
}

/**
 * Applies `changes` to the document `id` if it is still at `expectedVersion`.
 * Throws not_found, conflict (someone saved first) or validation_failed.
 *
 * A change of `status` needs `ctx.reason`; the service stamps statusChangedAt and statusReason.
 * A famous mark's protection records cannot be changed here (appendProtectionRecord adds one).
 */
export async function updateEntry<T>(
  model: EntryModel<T>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  const appendOnly = appendOnlyProblems(model.modelName, changes);
  if (appendOnly.length) throw validationFailed(appendOnly);
  return applyUpdate<T>(registered(model), id, expectedVersion, changes, ctx, 'update');
}

/**
 * Changes an entry's status (动态管理): the new status is one of its kind's and not the current one,
 * and the reason is required and kept with the date.
 */
export async function changeStatus<T>(
  model: EntryModel<T>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  status: string,
  reason: string,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  const kind = kindOfModel(model.modelName);
  const rules = (current: AnyDoc) =>
    kind ? statusChangeProblems(REGISTRIES[kind].statuses, { from: String(current.status ?? ''), to: status, reason }) : statusReasonProblems(reason);
  return applyUpdate<T>(registered(model), id, expectedVersion, { status }, { ...ctx, reason: reason.trim() }, 'update', rules);
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
  const current = await FamousMark.findById(id).select('records version').lean<{ records: Array<{ _id: mongoose.Types.ObjectId }>; version: number }>();
  if (!current) throw notFound();
  const problems = protectionRecordProblems(
    record,
    current.records.map((r) => String(r._id)),
  );
  if (problems.length) throw validationFailed(problems);
  const now = ctx.now ?? new Date();
  const added = {
    _id: new mongoose.Types.ObjectId(),
    date: parseDay(record.date),
    kind: record.kind,
    summary: record.summary,
    outcome: record.outcome ?? '',
    links: record.links ?? [],
    corrects: record.corrects ? String(record.corrects) : null,
    recordedBy: ctx.actor ?? 'system',
    recordedAt: now,
  };
  return applyUpdate<T>(registered(FamousMark), id, expectedVersion, { records: [...current.records, added] }, ctx, 'record');
}

async function applyUpdate<T>(
  model: Model<AnyDoc>,
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  changes: Record<string, unknown>,
  ctx: WriteContext,
  action: 'update' | 'record',
  rules: (current: AnyDoc) => FieldProblem[] = () => [],
): Promise<T & AnyDoc> {
  const now = ctx.now ?? new Date();
  const current = await model.findById(id).lean<T & AnyDoc>();
  if (!current) throw notFound();
  if (current.version !== expectedVersion) throw conflict(current.version);
  const problems = rules(current);
  let kind: 'update' | 'status' | 'record' = action;
  if ('status' in changes && changes.status !== current.status && model.schema.path('status')) {
    problems.push(...statusReasonProblems(ctx.reason).filter((p) => !problems.some((q) => q.field === p.field)));
    changes = { ...changes, statusChangedAt: now, statusReason: ctx.reason?.trim() ?? '' };
    kind = 'status';
  }
  // Validate the merged document as a whole, so cross-field rules (dates) hold.
  const merged = model.hydrate({ ...current });
  merged.set(changes);
  await check(model, merged, problems, current);
  const set = topLevel(merged, merged.modifiedPaths());
  if (Object.keys(set).length === 0) return current;
  const before = Object.fromEntries(Object.keys(set).map((k) => [k, current[k] ?? null]));
  const version = expectedVersion + 1;
  const cid = changeId(model.modelName, current._id, version);
  const claimed = await claim({
    _id: cid,
    model: model.modelName,
    entryId: current._id,
    version,
    op: 'update',
    action: kind,
    set,
    before,
    actor: ctx.actor ?? 'system',
    reason: ctx.reason ?? '',
    at: now,
  });
  if (!claimed) {
    await repairStaleClaim(cid, now);
    throw conflict(version);
  }
  try {
    // We own this version: no other writer touches the entry until our change is applied.
    await model.updateOne({ _id: current._id }, { $set: { ...set, version, updatedAt: now } }, { runValidators: false, timestamps: false });
  } catch (err) {
    await settle(cid, 'failed', shortMessage(err));
    translateWriteError(err, model);
  }
  await settle(cid, 'applied');
  const saved = await model.findById(current._id).lean<T & AnyDoc>();
  if (!saved) throw notFound();
  return saved;
}

/**
 * Creates the document found by `key`, or updates it when any given field differs. Re-running
 * with the same data changes nothing (no version bump), which makes seeding and imports idempotent.
 */
export async function upsertByKey<T>(
  entryModel: EntryModel<T>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
  ctx?: WriteContext,
): Promise<{ doc: T & AnyDoc; action: 'created' | 'updated' | 'unchanged' }>;
/** A model of a registry kind known only at run time (`REGISTRIES[kind].model`): its document as a record. */
export async function upsertByKey(
  entryModel: EntryModel<unknown>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
  ctx?: WriteContext,
): Promise<{ doc: AnyDoc; action: 'created' | 'updated' | 'unchanged' }>;
export async function upsertByKey<T>(
  entryModel: EntryModel<T>,
  key: Record<string, unknown>,
  data: Record<string, unknown>,
  ctx: WriteContext = {},
): Promise<{ doc: T & AnyDoc; action: 'created' | 'updated' | 'unchanged' }> {
  const model = registered(entryModel);
  const existing = await model.findOne(key).lean<T & AnyDoc>();
  if (!existing) return { doc: await createEntry<T>(entryModel, { ...key, ...data }, ctx), action: 'created' };
  const probe = model.hydrate({ ...existing });
  probe.set(data);
  if (probe.modifiedPaths().length === 0) return { doc: existing, action: 'unchanged' };
  const changes = topLevel(probe, probe.modifiedPaths());
  return { doc: await updateEntry<T>(entryModel, existing._id, existing.version, changes, ctx), action: 'updated' };
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
export async function bulkCreate(
  entryModel: EntryModel<unknown>,
  rows: Array<Record<string, unknown>>,
  ctx: WriteContext = {},
  opts: BulkOptions = {},
): Promise<BulkReport> {
  const model = registered(entryModel);
  const report: BulkReport = { inserted: 0, rejected: [] };
  const valid: Array<{ index: number; doc: Record<string, unknown> & { _id: mongoose.Types.ObjectId } }> = [];
  if (opts.validated) {
    rows.forEach((row, index) => {
      const { _id } = row;
      if (!(_id instanceof mongoose.Types.ObjectId) || row.version !== 1) throw new Error('bulkCreate: validated rows need their _id and version 1');
      valid.push({ index, doc: { ...withMissing(model.modelName, row), _id } });
    });
  } else {
    await Promise.all(
      rows.map(async (row, index) => {
        const doc = new model({ ...row, version: 1 });
        const publishable = applyCompleteness(model.modelName, doc);
        let schema: FieldProblem[] = [];
        try {
          await doc.validate();
        } catch (err) {
          const problems = fieldProblemsFrom(err);
          if (!problems) throw err;
          schema = problems;
        }
        const problems = mergeProblems([...publishable, ...entryProblems(model.modelName, plain(doc), referenceChoices())], schema);
        if (problems.length) report.rejected.push({ index, problems });
        else valid.push({ index, doc: { ...plain(doc), _id: doc._id } });
      }),
    );
  }
  valid.sort((a, b) => a.index - b.index);
  if (valid.length === 0) return report;
  const cid = `bulk:${model.modelName}:${new mongoose.Types.ObjectId().toString()}`;
  await claim({
    _id: cid,
    model: model.modelName,
    entryId: null,
    version: 0,
    op: 'bulk',
    set: {},
    before: {},
    entryIds: valid.map((v) => v.doc._id),
    actor: ctx.actor ?? 'system',
    reason: ctx.reason ?? '',
    at: ctx.now ?? new Date(),
  });
  try {
    // Already validated and cast above: `lean` skips mongoose's second hydration pass.
    await model.insertMany(
      valid.map((v) => v.doc),
      { ordered: false, lean: true },
    );
    report.inserted = valid.length;
  } catch (err) {
    const { writeErrors } = errorFacts(err);
    if (!Array.isArray(writeErrors)) {
      await settle(cid, 'failed', shortMessage(err));
      throw err;
    }
    report.inserted = valid.length - writeErrors.length;
    for (const w of writeErrors) {
      const index = w && typeof w === 'object' && 'index' in w && typeof w.index === 'number' ? w.index : -1;
      report.rejected.push({ index: valid[index]?.index ?? -1, problems: duplicateKey({ code: 11000 }, model) ?? [] });
    }
  }
  await settle(cid, 'applied');
  return report;
}

// ----- 老字号 re-reviews -----------------------------------------------------------------------

const [TH_VALID, TH_UNDER_REVIEW, TH_REMOVED] = TIME_HONORED_STATUSES;

/**
 * Appends a re-review (复核) to a time-honored listing; reviews are never edited in place. The
 * outcome is one of the reference list's (附条件通过 with its rectification deadline). The listing's
 * status follows in the same write: 不通过 removes it (已移出, the note as the public reason); a pass
 * ends a review in progress (复核中 → 有效).
 */
export async function appendReview<T>(
  id: string | mongoose.Types.ObjectId,
  expectedVersion: number,
  review: ReviewInput,
  ctx: WriteContext = {},
): Promise<T & AnyDoc> {
  const current = await TimeHonored.findById(id)
    .select('reviews status version')
    .lean<{ reviews: Array<Record<string, unknown>>; status: string; version: number }>();
  if (!current) throw notFound();
  const now = ctx.now ?? new Date();
  const problems = reviewProblems(review, activeValues('review-outcome'), now);
  if (problems.length) throw validationFailed(problems);
  const date = reviewDateOf(review.date)!;
  const note = (review.note ?? '').trim();
  const added = {
    _id: new mongoose.Types.ObjectId(),
    date: date.date,
    datePrecision: date.precision,
    outcome: review.outcome,
    deadline: review.outcome === CONDITIONAL_PASS ? parseDay(review.deadline ?? null) : null,
    note,
    recordedBy: ctx.actor ?? 'system',
    recordedAt: now,
  };
  const changes: Record<string, unknown> = { reviews: [...(current.reviews ?? []), added] };
  let reason = ctx.reason ?? '';
  if (review.outcome === REVIEW_FAILED && current.status !== TH_REMOVED) {
    changes.status = TH_REMOVED;
    reason = `复核不通过：${note}`;
  } else if (review.outcome !== REVIEW_FAILED && current.status === TH_UNDER_REVIEW) {
    changes.status = TH_VALID;
    reason = `复核${review.outcome}${note ? `：${note}` : ''}`;
  }
  return applyUpdate<T>(registered(TimeHonored), id, expectedVersion, changes, { ...ctx, reason }, 'record');
}

// ----- reference data (levels, statuses, outcomes an admin extends) ----------------------------

/**
 * Adds a value to a reference list (an admin, /admin/reference): checked by the kernel's rule,
 * written like any entry (so the change log and the audit trail have it), then this process's
 * cache is refreshed, so the next validation here accepts it.
 */
export async function addReferenceValue(list: ReferenceList, input: { value: string; nameEn: string }, ctx: WriteContext = {}) {
  // Other processes may have added values since this one last refreshed.
  await refreshReferenceData();
  const items = referenceItems(list);
  const problems = referenceValueInputProblems(input, items);
  if (problems.length) throw validationFailed(problems);
  const order = Math.max(-1, ...items.map((i) => i.order)) + 1;
  const doc = await createEntry(
    ReferenceValue,
    { list, value: input.value.trim(), nameEn: input.nameEn.trim(), order, active: true, builtIn: false, addedBy: ctx.actor ?? 'system' },
    ctx,
  );
  await refreshReferenceData();
  return doc;
}

/**
 * Deactivates an added value (no new entry may choose it; the entries that hold it keep it) or
 * makes it active again. Built-in values stay active; nothing is ever deleted.
 */
export async function setReferenceValueActive(id: string, expectedVersion: number, active: boolean, ctx: WriteContext = {}) {
  const current = await ReferenceValue.findById(id).select('builtIn').lean<{ builtIn?: boolean }>();
  if (!current) throw notFound();
  if (current.builtIn) throw validationFailed([{ field: 'active', message: '内置值不能停用', messageEn: 'a built-in value cannot be deactivated' }]);
  const doc = await updateEntry(ReferenceValue, id, expectedVersion, { active }, ctx);
  await refreshReferenceData();
  return doc;
}
