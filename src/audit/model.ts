/**
 * Audit events: an append-only, hash-chained sequence (keyed: HMAC-SHA256, src/audit/keys.ts).
 *
 * `_id` is the position in the chain as a zero-padded decimal string ("000000000001"; strings sort
 * like the numbers, and every server looks a string `_id` up through its primary index).
 * Appending claims the next position with an insert on that unique `_id` — an insert against a
 * unique index is atomic on every server, where a conditional update is not on all of them — so
 * two writers can never both extend the chain from the same head: the loser
 * learns the new head and tries again. `key` is unique too and names what the event records
 * (`change:<changeId>` or `event:<uuid>`), so repeating an append after a crash adds nothing.
 */
import mongoose, { Schema, type Model } from 'mongoose';

export type AuditAction =
  | 'create'
  | 'update'
  | 'status'
  | 'record'
  | 'import'
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'password_change'
  | 'account_create'
  | 'account_update'
  | 'figure_entry'
  | 'chain_rekeyed'
  | 'key_rotated'
  | (string & {});

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface AuditEventDoc {
  _id: string;
  /** The position as a number (the same as _id), for people and for range queries. */
  seq: number;
  key: string;
  prevHash: string;
  hash: string;
  /**
   * The id of the key the hash was made with (src/audit/keys.ts). Absent on events written before
   * the chain was keyed: those carry a plain SHA-256 and come before the `chain_rekeyed` marker.
   */
  keyId?: string;
  at: Date;
  actor: string;
  action: AuditAction;
  /** For entry changes: the model and entry, and the version the change produced. */
  model: string | null;
  entryId: string | null;
  version: number | null;
  /** Free-form subject for other events (an account, a registry name). */
  subject: string | null;
  reason: string;
  changes: FieldChange[];
  detail: Record<string, unknown>;
}

const auditSchema = new Schema<AuditEventDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true },
    key: { type: String, required: true, unique: true },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
    keyId: { type: String },
    at: { type: Date, required: true },
    actor: { type: String, required: true },
    action: { type: String, required: true },
    model: { type: String, default: null },
    entryId: { type: String, default: null },
    version: { type: Number, default: null },
    subject: { type: String, default: null },
    reason: { type: String, default: '' },
    changes: { type: Schema.Types.Mixed, default: [] },
    detail: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false, collection: 'audit_events' },
);
auditSchema.index({ entryId: 1 });
// The audit page lists events newest first, optionally by action or actor (admin/audit-routes.ts).
auditSchema.index({ seq: -1 });
auditSchema.index({ action: 1, seq: -1 });
auditSchema.index({ actor: 1, seq: -1 });

// Defined once per process (a second import, as under a test runner's reload, gets the same model).
export const AuditEvent: Model<AuditEventDoc> = mongoose.models.AuditEvent
  ? mongoose.model<AuditEventDoc>('AuditEvent')
  : mongoose.model<AuditEventDoc>('AuditEvent', auditSchema);

/** prevHash of the first event. */
export const GENESIS = '0'.repeat(64);

/** The `_id` of position `seq`. */
export const seqId = (seq: number) => String(seq).padStart(12, '0');
