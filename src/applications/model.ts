/**
 * The bureau's workflows (issue #15 items 1–4): enterprise accounts, applications (申报) with their
 * documents and frozen versions, the review chain as data, public notices (公示) with objections,
 * and periodic re-review campaigns (复核). None of these are registry entries: they are written with
 * plain mongoose here, each step audited (EventRecorder), and a decided application becomes a
 * listing only through the registry service (src/registries/service.ts), like any other write.
 *
 * Ownership of the transitions (docs/decisions/0022-applications-workflow.md):
 *   enterprise (enterprise.ts / applications.ts): draft → submitted; returned → submitted (a new version)
 *   reviewers  (review.ts / notices.ts):           submitted → in_review → … → notice → decided
 *
 * Every document that two people may change at once carries `version`; a write names the version
 * its form was made from and gets a conflict otherwise.
 */
import mongoose, { Schema, type Model } from 'mongoose';
import { EMAIL_PATTERN } from '../accounts/model.js';
import { DUTIES, type Duty } from '../accounts/roles.js';

// ─── Enterprise accounts ────────────────────────────────────────────────────────────────────────

export interface EnterpriseDoc {
  _id: mongoose.Types.ObjectId;
  email: string;
  /** argon2id PHC string (accounts/service.ts hashPassword). */
  passwordHash: string;
  /** The company's registered name (企业名称). */
  company: string;
  /** Unified social credit code, check digit verified (registries/credit-code.ts). */
  creditCode: string;
  contactName: string;
  phone: string;
  /** Null until the address is confirmed: an unverified account may sign in only to resend the mail. */
  emailVerifiedAt: Date | null;
  /** sha256 of the pending verification token, and when it stops working. */
  verifyTokenHash: string | null;
  verifyExpiresAt: Date | null;
  failedLogins: number;
  lockedUntil: Date | null;
  passwordChangedAt: Date;
  disabled: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const enterpriseSchema = new Schema<EnterpriseDoc>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true, maxlength: 254, match: EMAIL_PATTERN },
    passwordHash: { type: String, required: true },
    company: { type: String, required: true, trim: true, maxlength: 100 },
    creditCode: { type: String, required: true, trim: true, uppercase: true, index: true },
    contactName: { type: String, trim: true, maxlength: 50, default: '' },
    phone: { type: String, trim: true, maxlength: 30, default: '' },
    emailVerifiedAt: { type: Date, default: null },
    verifyTokenHash: { type: String, default: null, index: true },
    verifyExpiresAt: { type: Date, default: null },
    failedLogins: { type: Number, default: 0, min: 0 },
    lockedUntil: { type: Date, default: null },
    passwordChangedAt: { type: Date, default: () => new Date() },
    disabled: { type: Boolean, default: false },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'enterprises' },
);

export const Enterprise: Model<EnterpriseDoc> = mongoose.models.Enterprise ?? mongoose.model<EnterpriseDoc>('Enterprise', enterpriseSchema);

// ─── Applications ───────────────────────────────────────────────────────────────────────────────

/** What an enterprise may apply for: a 老字号 tier, a certification level, the directory, famous-mark protection. */
export const APPLICATION_KINDS = ['time_honored', 'certification', 'directory', 'famous'] as const;
export type ApplicationKind = (typeof APPLICATION_KINDS)[number];

/**
 * draft      — the enterprise is filling it in (editable, never seen by reviewers)
 * submitted  — frozen as a version, waiting for the chain's first step
 * in_review  — some step of the chain holds it (`step`)
 * returned   — a step sent it back (退回补正) with reasons; the enterprise corrects and resubmits
 * notice     — in a running public notice batch (公示); objections may be filed
 * approved   — decided 通过 and listed (`listing` points at the registry entry)
 * rejected   — decided 不通过 at some step (reasons kept and shown to the enterprise)
 * withdrawn  — the enterprise withdrew it before a decision
 */
export const APPLICATION_STATUSES = ['draft', 'submitted', 'in_review', 'returned', 'notice', 'approved', 'rejected', 'withdrawn'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** 通过 / 退回补正 / 不通过. */
export const STEP_DECISIONS = ['pass', 'return', 'reject'] as const;
export type StepDecision = (typeof STEP_DECISIONS)[number];

/** An uploaded document: bytes in the document store under `key` (never a name the applicant sent). */
export interface ApplicationFile {
  /** Random id (16 hex), also the last part of the store key `applications/<application>/<id>`. */
  id: string;
  /** The applicant's file name, cleaned for display and Content-Disposition (no path parts). */
  name: string;
  /** What the bytes are (checked from them): application/pdf, image/jpeg, image/png. */
  type: 'application/pdf' | 'image/jpeg' | 'image/png';
  size: number;
  sha256: string;
  /** Which required document it stands for (e.g. 'license', 'history', 'other'). */
  slot: string;
  uploadedAt: Date;
}

/** A submitted, frozen copy of what the enterprise sent. Never changed after it is written. */
export interface ApplicationVersion {
  n: number;
  submittedAt: Date;
  fields: Record<string, unknown>;
  files: ApplicationFile[];
}

/** One decision on one step of the chain. Appended, never edited. */
export interface StepRecord {
  /** The chain step's key, e.g. 'district'. */
  step: string;
  /** Which application version it decided on. */
  version: number;
  decision: StepDecision;
  /** Why it was returned or refused: one line per reason, shown to the enterprise. */
  reasons: string[];
  /** Reviewers' comment (internal; not shown to the enterprise). */
  comment: string;
  actor: string;
  at: Date;
}

export interface ApplicationDoc {
  /** "SB" + the day + six Crockford base32 characters, e.g. "SB20261204-7K4QXM". */
  _id: string;
  enterprise: mongoose.Types.ObjectId;
  kind: ApplicationKind;
  /** The tier (中华/湖北/武汉老字号), level (武汉精品…), or '' for the directory and famous marks. */
  target: string;
  status: ApplicationStatus;
  /** The working copy the enterprise edits (draft, returned). Field names per kind: see FIELDS_BY_KIND in applications.ts. */
  fields: Record<string, unknown>;
  /** The working copy's files (draft, returned). */
  files: ApplicationFile[];
  /** Every submission, oldest first. `versions.at(-1)` is what reviewers see. */
  versions: ApplicationVersion[];
  /** The chain step now holding it (in_review, notice), else ''. */
  step: string;
  /** When the current step is due (working days from when it arrived), else null. */
  stepDueAt: Date | null;
  /** When the last reminder for the current step went out (reminders are once a day at most). */
  remindedAt: Date | null;
  history: StepRecord[];
  /** The notice batch it is (or was) in. */
  notice: string | null;
  /** The registry entry a decision made: its model name and _id. */
  listing: { model: string; id: string; brandSlug: string } | null;
  submittedAt: Date | null;
  decidedAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const fileSchema = new Schema<ApplicationFile>(
  {
    id: { type: String, required: true },
    name: { type: String, required: true, maxlength: 120 },
    type: { type: String, required: true, enum: ['application/pdf', 'image/jpeg', 'image/png'] },
    size: { type: Number, required: true, min: 1 },
    sha256: { type: String, required: true },
    slot: { type: String, required: true, maxlength: 40 },
    uploadedAt: { type: Date, required: true },
  },
  { _id: false },
);

const applicationSchema = new Schema<ApplicationDoc>(
  {
    _id: { type: String, required: true },
    enterprise: { type: Schema.Types.ObjectId, required: true, ref: 'Enterprise' },
    kind: { type: String, required: true, enum: APPLICATION_KINDS },
    target: { type: String, default: '', trim: true, maxlength: 40 },
    status: { type: String, required: true, enum: APPLICATION_STATUSES, default: 'draft' },
    fields: { type: Schema.Types.Mixed, default: {} },
    files: { type: [fileSchema], default: [] },
    versions: {
      type: [
        new Schema<ApplicationVersion>({ n: Number, submittedAt: Date, fields: Schema.Types.Mixed, files: [fileSchema] }, { _id: false, minimize: false }),
      ],
      default: [],
    },
    step: { type: String, default: '' },
    stepDueAt: { type: Date, default: null },
    remindedAt: { type: Date, default: null },
    history: {
      type: [
        new Schema<StepRecord>(
          {
            step: String,
            version: Number,
            decision: { type: String, enum: STEP_DECISIONS },
            reasons: [String],
            comment: String,
            actor: String,
            at: Date,
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    notice: { type: String, default: null },
    listing: { type: new Schema({ model: String, id: String, brandSlug: String }, { _id: false }), default: null },
    submittedAt: { type: Date, default: null },
    decidedAt: { type: Date, default: null },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, minimize: false, strict: 'throw', collection: 'applications' },
);
// The enterprise's own list; the reviewers' queue by status and step, soonest due first.
applicationSchema.index({ enterprise: 1, createdAt: -1 });
applicationSchema.index({ status: 1, step: 1, stepDueAt: 1 });
applicationSchema.index({ notice: 1 });

export const Application: Model<ApplicationDoc> = mongoose.models.Application ?? mongoose.model<ApplicationDoc>('Application', applicationSchema);

// ─── The review chain, as data ──────────────────────────────────────────────────────────────────

/** Back-office duties a reviewer holds (users.duties); admins hold all of them. */
export { DUTIES, type Duty } from '../accounts/roles.js';

/**
 * One step of a chain. `type` says what happens there: a `review` step is decided by a reviewer
 * holding `duty`; the `notice` step is the public notice (公示) — the application waits in a batch,
 * and leaves it when the batch ends with every objection resolved; the `decision` step (决定) makes
 * the listing on 通过.
 */
export interface ChainStep {
  key: string;
  nameZh: string;
  nameEn: string;
  type: 'review' | 'notice' | 'decision';
  duty: Duty;
  /** Working days a reviewer has for this step (stepDueAt). */
  days: number;
}

export interface ReviewChainDoc {
  /** The application kind it serves. */
  _id: ApplicationKind;
  steps: ChainStep[];
  version: number;
  updatedBy: string;
  updatedAt: Date;
}

const reviewChainSchema = new Schema<ReviewChainDoc>(
  {
    _id: { type: String, required: true, enum: APPLICATION_KINDS },
    steps: {
      type: [
        new Schema<ChainStep>(
          {
            key: { type: String, required: true, match: /^[a-z][a-z0-9_]{1,30}$/ },
            nameZh: { type: String, required: true, maxlength: 20 },
            nameEn: { type: String, required: true, maxlength: 40 },
            type: { type: String, required: true, enum: ['review', 'notice', 'decision'] },
            duty: { type: String, required: true, enum: DUTIES },
            days: { type: Number, required: true, min: 1, max: 90 },
          },
          { _id: false },
        ),
      ],
      required: true,
    },
    version: { type: Number, default: 1 },
    updatedBy: { type: String, default: 'system' },
    updatedAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false, strict: 'throw', collection: 'review_chains' },
);

export const ReviewChain: Model<ReviewChainDoc> = mongoose.models.ReviewChain ?? mongoose.model<ReviewChainDoc>('ReviewChain', reviewChainSchema);

/** The chain every kind starts with (an admin may change steps, names and days; review.ts). */
export const DEFAULT_CHAIN: readonly ChainStep[] = [
  { key: 'district', nameZh: '区级初审', nameEn: 'District check', type: 'review', duty: 'district', days: 10 },
  { key: 'city', nameZh: '市级审核', nameEn: 'City review', type: 'review', duty: 'city', days: 10 },
  { key: 'expert', nameZh: '专家评审', nameEn: 'Expert assessment', type: 'review', duty: 'expert', days: 15 },
  { key: 'notice', nameZh: '公示', nameEn: 'Public notice', type: 'notice', duty: 'city', days: 7 },
  { key: 'decision', nameZh: '决定', nameEn: 'Decision', type: 'decision', duty: 'city', days: 5 },
];

// ─── Public notices (公示) and objections ────────────────────────────────────────────────────────

export const NOTICE_STATUSES = ['draft', 'running', 'ended'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

export interface NoticeDoc {
  /** A readable id used in URLs: "<year>-<n>", e.g. "2026-3". */
  _id: string;
  title: string;
  kind: ApplicationKind;
  /** The batch the listings get (e.g. "2026年第三批"). */
  batch: string;
  /** Calendar days (Asia/Shanghai dates stored as UTC midnight of that date). */
  startsOn: Date | null;
  endsOn: Date | null;
  workingDays: number;
  status: NoticeStatus;
  /** The applications in it (ids), in the order shown. */
  entries: string[];
  publishedBy: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const noticeSchema = new Schema<NoticeDoc>(
  {
    _id: { type: String, required: true, match: /^\d{4}-\d{1,3}$/ },
    title: { type: String, required: true, trim: true, maxlength: 100 },
    kind: { type: String, required: true, enum: APPLICATION_KINDS },
    batch: { type: String, trim: true, maxlength: 40, default: '' },
    startsOn: { type: Date, default: null },
    endsOn: { type: Date, default: null },
    workingDays: { type: Number, required: true, min: 5, max: 15 },
    status: { type: String, required: true, enum: NOTICE_STATUSES, default: 'draft' },
    entries: { type: [String], default: [] },
    publishedBy: { type: String, default: '' },
    version: { type: Number, default: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'notices' },
);
noticeSchema.index({ status: 1, startsOn: -1 });

export const Notice: Model<NoticeDoc> = mongoose.models.Notice ?? mongoose.model<NoticeDoc>('Notice', noticeSchema);

export const OBJECTION_STATUSES = ['open', 'upheld', 'dismissed'] as const;
export type ObjectionStatus = (typeof OBJECTION_STATUSES)[number];

export interface ObjectionDoc {
  /** "YY" + the day + six Crockford base32 characters: the objector's receipt. */
  _id: string;
  notice: string;
  application: string;
  name: string;
  /** Never shown publicly. */
  contact: string;
  grounds: string;
  files: ApplicationFile[];
  status: ObjectionStatus;
  /** The reviewers' resolution, told to the objector on the receipt page. */
  resolution: string;
  resolvedBy: string;
  resolvedAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const objectionSchema = new Schema<ObjectionDoc>(
  {
    _id: { type: String, required: true },
    notice: { type: String, required: true },
    application: { type: String, required: true },
    name: { type: String, required: true, trim: true, maxlength: 50 },
    contact: { type: String, required: true, trim: true, maxlength: 120 },
    grounds: { type: String, required: true, maxlength: 4000 },
    files: { type: [fileSchema], default: [] },
    status: { type: String, required: true, enum: OBJECTION_STATUSES, default: 'open' },
    resolution: { type: String, default: '', maxlength: 2000 },
    resolvedBy: { type: String, default: '' },
    resolvedAt: { type: Date, default: null },
    version: { type: Number, default: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'objections' },
);
objectionSchema.index({ application: 1, status: 1 });
objectionSchema.index({ status: 1, createdAt: -1 });

export const Objection: Model<ObjectionDoc> = mongoose.models.Objection ?? mongoose.model<ObjectionDoc>('Objection', objectionSchema);

// ─── The working-day calendar ───────────────────────────────────────────────────────────────────

/** A day that is not what its weekday says: a public holiday on a weekday, or a make-up workday (调休) on a weekend. */
export interface CalendarDayDoc {
  /** "YYYY-MM-DD" (Asia/Shanghai). */
  _id: string;
  kind: 'holiday' | 'workday';
  name: string;
  updatedBy: string;
}

const calendarDaySchema = new Schema<CalendarDayDoc>(
  {
    _id: { type: String, required: true, match: /^\d{4}-\d{2}-\d{2}$/ },
    kind: { type: String, required: true, enum: ['holiday', 'workday'] },
    name: { type: String, required: true, trim: true, maxlength: 30 },
    updatedBy: { type: String, default: '' },
  },
  { versionKey: false, strict: 'throw', collection: 'calendar_days' },
);

export const CalendarDay: Model<CalendarDayDoc> = mongoose.models.CalendarDay ?? mongoose.model<CalendarDayDoc>('CalendarDay', calendarDaySchema);

// ─── Re-review campaigns (复核) ──────────────────────────────────────────────────────────────────

export const CAMPAIGN_STATUSES = ['open', 'closed'] as const;

export interface CampaignDoc {
  /** "<year>-<tier slug>-<n>", e.g. "2026-wuhan-1". */
  _id: string;
  title: string;
  /** The list under re-review: a 老字号 tier. */
  tier: string;
  opensOn: Date;
  /** Self-reports are due by this day. */
  closesOn: Date;
  status: (typeof CAMPAIGN_STATUSES)[number];
  /** The listings in scope when it opened (TimeHonored _ids as strings). */
  listings: string[];
  openedBy: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const campaignSchema = new Schema<CampaignDoc>(
  {
    _id: { type: String, required: true },
    title: { type: String, required: true, trim: true, maxlength: 100 },
    tier: { type: String, required: true },
    opensOn: { type: Date, required: true },
    closesOn: { type: Date, required: true },
    status: { type: String, required: true, enum: CAMPAIGN_STATUSES, default: 'open' },
    listings: { type: [String], default: [] },
    openedBy: { type: String, default: '' },
    version: { type: Number, default: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'review_campaigns' },
);

export const Campaign: Model<CampaignDoc> = mongoose.models.Campaign ?? mongoose.model<CampaignDoc>('Campaign', campaignSchema);

/** One listed enterprise's part in a campaign: its self-report, then the outcome recorded on the listing. */
export interface SelfReportDoc {
  /** "<campaign>:<listing id>". */
  _id: string;
  campaign: string;
  listing: string;
  enterprise: mongoose.Types.ObjectId | null;
  /** What the enterprise reports on keeping the listing's conditions. */
  text: string;
  files: ApplicationFile[];
  submittedAt: Date | null;
  /** Set when a reviewer recorded the outcome (registry service appendReview). */
  outcome: string;
  outcomeAt: Date | null;
  version: number;
}

const selfReportSchema = new Schema<SelfReportDoc>(
  {
    _id: { type: String, required: true },
    campaign: { type: String, required: true },
    listing: { type: String, required: true },
    enterprise: { type: Schema.Types.ObjectId, default: null },
    text: { type: String, default: '', maxlength: 4000 },
    files: { type: [fileSchema], default: [] },
    submittedAt: { type: Date, default: null },
    outcome: { type: String, default: '' },
    outcomeAt: { type: Date, default: null },
    version: { type: Number, default: 1 },
  },
  { versionKey: false, strict: 'throw', collection: 'review_self_reports' },
);
selfReportSchema.index({ campaign: 1, listing: 1 });
selfReportSchema.index({ enterprise: 1 });

export const SelfReport: Model<SelfReportDoc> = mongoose.models.SelfReport ?? mongoose.model<SelfReportDoc>('SelfReport', selfReportSchema);
