/**
 * The change log: one document per write, inserted BEFORE the entry is written.
 *
 * Its `_id` is `<Model>:<entryId>:<version>`, so claiming a version is an insert on a unique key —
 * the one write FerretDB v1 makes atomic (its conditional updates are not: two
 * `updateOne({_id, version: 1})` can both succeed). Whoever inserts the claim owns that version;
 * a second writer based on the same version gets a duplicate key and is told of the conflict.
 *
 * The same documents are the search outbox: the sync worker indexes what they point at and then
 * marks them `indexed` — after making sure each has its audit event (src/audit), so the audit trail
 * is repaired by the same pass that keeps search in step. A writer that dies after claiming leaves a `pending` change holding the
 * intended values; after a lease the worker (or the next writer) rolls it forward. So a crash
 * between any two steps loses nothing, without multi-document transactions.
 */
import mongoose, { Schema, type Model } from 'mongoose';

export type ChangeStatus = 'pending' | 'applied' | 'failed';

export interface ChangeDoc {
  _id: string;
  /** Mongoose model name: Brand, Trademark, DirectoryEntry, FamousMark, TimeHonored, Certificate. */
  model: string;
  entryId: mongoose.Types.ObjectId | null;
  /** Version the entry has after this change. */
  version: number;
  op: 'create' | 'update' | 'bulk';
  /** What the change means to a regulator, for the audit trail: a plain update, a status change, an appended record. */
  action?: 'update' | 'status' | 'record';
  /** Top-level fields written (the whole document for a create). */
  set: Record<string, unknown>;
  /** Their values before (update only). */
  before: Record<string, unknown>;
  /** For op 'bulk': the entries inserted together. */
  entryIds: mongoose.Types.ObjectId[];
  actor: string;
  reason: string;
  at: Date;
  status: ChangeStatus;
  appliedAt: Date | null;
  error: string;
  indexed: boolean;
  /** Its audit event is in the chain (src/audit). The sync audits before it marks a change indexed. */
  audited?: boolean;
}

const changeSchema = new Schema<ChangeDoc>(
  {
    _id: { type: String, required: true },
    model: { type: String, required: true },
    entryId: { type: Schema.Types.ObjectId, default: null },
    version: { type: Number, required: true },
    op: { type: String, required: true, enum: ['create', 'update', 'bulk'] },
    action: { type: String, enum: ['update', 'status', 'record'] },
    set: { type: Schema.Types.Mixed, default: {} },
    before: { type: Schema.Types.Mixed, default: {} },
    entryIds: { type: [Schema.Types.ObjectId], default: [] },
    actor: { type: String, default: 'system' },
    reason: { type: String, default: '' },
    at: { type: Date, required: true },
    status: { type: String, required: true, enum: ['pending', 'applied', 'failed'] },
    appliedAt: { type: Date, default: null },
    error: { type: String, default: '' },
    indexed: { type: Boolean, default: false },
    audited: { type: Boolean, default: false },
  },
  { versionKey: false, minimize: false, strict: 'throw' },
);
changeSchema.index({ indexed: 1 });
changeSchema.index({ entryId: 1 });

export const Change: Model<ChangeDoc> =
  (mongoose.models.Change as Model<ChangeDoc>) ?? mongoose.model<ChangeDoc>('Change', changeSchema);

export const changeId = (model: string, entryId: unknown, version: number) => `${model}:${String(entryId)}:${version}`;

/** How long a claimed change may stay pending before someone else rolls it forward. */
export const CHANGE_LEASE_MS = 15_000;
