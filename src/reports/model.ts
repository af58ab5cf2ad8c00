/**
 * Reports from the public: an error in a registry entry, a suspected fake (a product sold under a
 * listed brand or a certificate that does not check out), or something else. Each gets a ticket
 * number the reporter keeps to follow it on a public status page; regulators work the tickets in
 * the back office. Reports are not registry entries: they change no public record by themselves,
 * so they are written here (with a version for concurrent edits) and their steps are audited.
 */
import mongoose, { Schema, type Model } from 'mongoose';

export const REPORT_KINDS = ['error', 'fake', 'other'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_STATUSES = ['received', 'in_progress', 'resolved', 'rejected'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const REPORT_SUBJECTS = ['brand', 'certificate', 'none'] as const;
export type ReportSubject = (typeof REPORT_SUBJECTS)[number];

export interface ReportDoc {
  /** The ticket number, e.g. "JB20261203-7K4QXM": the reporter's key to the status page. */
  _id: string;
  kind: ReportKind;
  subjectType: ReportSubject;
  /** The brand's slug or the certificate's number. */
  subjectRef: string;
  /** The subject's name when the report was made (it may be renamed or removed later). */
  subjectName: string;
  description: string;
  /** Optional: how the bureau may reach the reporter. Never shown publicly. */
  contactName: string;
  contact: string;
  status: ReportStatus;
  /** What the bureau tells the reporter (and anyone with the number). */
  publicReply: string;
  /** Regulators' own notes. */
  internalNote: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const reportSchema = new Schema<ReportDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true, enum: REPORT_KINDS },
    subjectType: { type: String, required: true, enum: REPORT_SUBJECTS },
    subjectRef: { type: String, default: '' },
    subjectName: { type: String, default: '' },
    description: { type: String, required: true, maxlength: 2000 },
    contactName: { type: String, default: '', maxlength: 50 },
    contact: { type: String, default: '', maxlength: 120 },
    status: { type: String, required: true, enum: REPORT_STATUSES, default: 'received' },
    publicReply: { type: String, default: '', maxlength: 2000 },
    internalNote: { type: String, default: '', maxlength: 4000 },
    version: { type: Number, required: true, default: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'reports' },
);
// The back office's queue: by status, newest first.
reportSchema.index({ status: 1, createdAt: -1 });
reportSchema.index({ createdAt: -1 });

export const Report: Model<ReportDoc> = mongoose.models.Report ?? mongoose.model<ReportDoc>('Report', reportSchema);

/** One claimed version of a ticket (`<ticket>:<version>`): the insert that makes a regulator's save the only one for that version. */
interface ClaimDoc {
  _id: string;
  actor: string;
  at: Date;
}
const claimSchema = new Schema<ClaimDoc>(
  { _id: { type: String, required: true }, actor: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false, collection: 'report_claims' },
);
export const ReportClaim: Model<ClaimDoc> = mongoose.models.ReportClaim ?? mongoose.model<ClaimDoc>('ReportClaim', claimSchema);
