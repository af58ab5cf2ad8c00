/**
 * The four registries as mongoose models, plus the brand they hang on and its trademarks.
 *
 * A brand is one document; each registry entry points at it, so a brand on several lists is one
 * brand. Every document carries `version` for optimistic concurrency; the registry service bumps
 * it, claiming each version in the change log first (changes.ts).
 *
 * Validation messages are "中文|English" pairs; see fieldProblemsFrom().
 */
import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';
import { checkCreditCode, CREDIT_CODE_MESSAGES } from './credit-code.js';
import { GI_BOTH, oneOfWords, REASON_TOO_LONG, REVIEW_NOTE_MAX, STATUS_REASON_MAX } from './rules.js';
import { PRECISIONS } from './partial-date.js';
import {
  CERTIFICATE_SCOPES,
  DIRECTORY_STATUSES,
  DISTRICTS,
  FAMOUS_STATUSES,
  PROTECTION_RECORD_KINDS,
  RECOGNITION_ROUTES,
  SECTORS,
  TIME_HONORED_STATUSES,
  TIME_HONORED_TIERS,
  BRAND_SLUG,
} from './reference.js';

/** The unique index that makes a time-honored entry one listing per (brand, tier). */
export const TIME_HONORED_LISTING_INDEX = 'brand_1_tier_1';

const m = (zh: string, en: string) => `${zh}|${en}`;
/** Unique keys of several fields, by model name: the field a clash is reported on, and its message. */
export const COMPOUND_UNIQUE: Readonly<Record<string, { fields: readonly string[]; field: string; message: string }>> = {
  TimeHonored: { fields: ['brand', 'tier'], field: 'tier', message: m('该品牌已有此级别的老字号认定', 'the brand already holds a listing of this tier') },
};
const required = (zh: string, en: string): [true, string] => [true, m(`请填写${zh}`, `${en} is required`)];
const oneOf = (values: readonly string[], zh: string, en: string) => ({ values: [...values], message: m(...oneOfWords(values, zh, en)) });

const bookkeeping = {
  version: { type: Number, default: 1, min: 1 },
};

/**
 * How much of the date beside it is known (partial-date.ts): the date holds the period's first
 * instant; absent means 'day' (documents older than partial dates).
 */
const precision = { type: String, enum: oneOf(PRECISIONS, '日期精度', 'date precision') };

/**
 * The facts a brand or an entry still lacks (field paths), kept by the registry service on every
 * write through the completeness rule (completeness.ts) so the due view can query them; never set
 * by a caller.
 */
const completeness = {
  missing: { type: [String], default: [] },
};

/** The same limit and words as the kernel's rule (rules.ts, reasonLengthProblems). */
const reasonMax: [number, string] = [STATUS_REASON_MAX, m(...REASON_TOO_LONG)];

/** `values` null: the statuses are reference data (a certificate's), checked by the kernel's rule (rules.ts). */
function statusFields(values: readonly string[] | null) {
  return {
    status: { type: String, required: required('状态', 'status'), ...(values ? { enum: oneOf(values, '状态', 'status') } : {}) },
    statusChangedAt: { type: Date, default: () => new Date() },
    statusReason: { type: String, trim: true, maxlength: reasonMax, default: '' },
  };
}

const brandSchema = new Schema(
  {
    slug: {
      type: String,
      required: required('标识', 'slug'),
      unique: true,
      match: [BRAND_SLUG, m('标识只能包含小写字母、数字和连字符', 'slug may only contain a-z, 0-9 and -')],
    },
    name: {
      type: String,
      required: required('品牌名称', 'brand name'),
      trim: true,
      maxlength: [80, m('品牌名称不能超过80个字符', 'brand name is at most 80 characters')],
    },
    nameEn: { type: String, trim: true, maxlength: 120, default: '' },
    // Company, credit code, district, sector and industry may be missing (a published list gives
    // a brand name only): the brand is then 待补充 (completeness.ts), never given invented values.
    company: { type: String, trim: true, maxlength: 120 },
    creditCode: {
      type: String,
      uppercase: true,
      trim: true,
      validate: {
        validator: (v: string | null | undefined) => v === undefined || v === null || v === '' || checkCreditCode(v) === null,
        message: (p: { value: string }) => {
          const problem = checkCreditCode(String(p.value));
          const [zh, en] = problem ? CREDIT_CODE_MESSAGES[problem] : ['', ''];
          return m(zh, `credit code ${en}`);
        },
      },
    },
    district: { type: String, enum: oneOf(DISTRICTS, '所属区', 'district') },
    sector: { type: String, enum: oneOf(SECTORS, '产业', 'sector') },
    industry: { type: String, trim: true, maxlength: 40 },
    keywords: { type: [{ type: String, trim: true, maxlength: 40 }], default: [] },
    description: { type: String, trim: true, maxlength: 2000, default: '' },
    website: {
      type: String,
      trim: true,
      default: '',
      match: [/^(https?:\/\/[^\s<>"]+)?$/, m('网址须以 http:// 或 https:// 开头', 'website must start with http:// or https://')],
    },
    founded: {
      type: Number,
      min: [600, m('创立年份不合理', 'founding year is implausible')],
      max: [2100, m('创立年份不合理', 'founding year is implausible')],
    },
    /** Invented details (credit code, numbers, dates) for demonstration only. */
    demo: { type: Boolean, default: false },
    ...completeness,
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);
// Imports find existing brands by their natural key, credit code + name (src/imports/store.ts).
brandSchema.index({ creditCode: 1 });

const trademarkSchema = new Schema(
  {
    regNo: {
      type: String,
      required: required('商标注册号', 'registration number'),
      unique: true,
      trim: true,
      match: [/^[0-9A-Z]{5,12}$/, m('商标注册号应为5-12位数字或大写字母', 'registration number is 5-12 digits or capital letters')],
    },
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true, index: true },
    mark: { type: String, required: required('商标', 'mark'), trim: true, maxlength: 80 },
    niceClasses: {
      type: [{ type: Number, min: [1, m('尼斯分类应在1-45之间', 'Nice class must be 1-45')], max: [45, m('尼斯分类应在1-45之间', 'Nice class must be 1-45')] }],
      validate: { validator: (v: number[]) => v.length > 0, message: m('至少填写一个尼斯分类', 'at least one Nice class') },
    },
    validFrom: { type: Date, required: required('有效期起', 'valid from') },
    validTo: {
      type: Date,
      required: required('有效期至', 'valid to'),
      validate: {
        validator(this: { validFrom?: Date }, v: Date) {
          return !this.validFrom || v > this.validFrom;
        },
        message: m('有效期至必须晚于有效期起', 'valid-to must be after valid-from'),
      },
    },
    madrid: { type: Boolean, default: false },
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

const directorySchema = new Schema(
  {
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true, unique: true },
    advantage: { type: Boolean, default: false },
    gi: {
      type: new Schema(
        { product: { type: String, trim: true, required: [true, m(...GI_BOTH)] }, area: { type: String, trim: true, required: [true, m(...GI_BOTH)] } },
        { _id: false },
      ),
      default: undefined,
    },
    // No default: a published list without a 列入日期 leaves it missing (待补充, completeness.ts);
    // the back-office create form pre-fills today's date instead (admin/registries/specs.ts).
    listedAt: { type: Date },
    listedAtPrecision: precision,
    ...statusFields(DIRECTORY_STATUSES),
    ...completeness,
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

const protectionRecordSchema = new Schema(
  {
    date: { type: Date, required: true },
    kind: { type: String, required: true, enum: oneOf(PROTECTION_RECORD_KINDS, '记录类型', 'record kind') },
    summary: { type: String, required: true, trim: true, maxlength: 2000 },
    outcome: { type: String, trim: true, maxlength: 1000, default: '' },
    links: {
      type: [
        {
          type: String,
          trim: true,
          maxlength: 500,
          match: [/^https?:\/\/[^\s<>"]+$/, m('附件链接须以 http:// 或 https:// 开头', 'links must start with http:// or https://')],
        },
      ],
      default: [],
    },
    /** A later record that corrects this one points at it; records are never edited in place. */
    corrects: { type: Schema.Types.ObjectId, default: null },
    recordedBy: { type: String, default: '' },
    recordedAt: { type: Date, default: () => new Date() },
  },
  { _id: true },
);

const famousSchema = new Schema(
  {
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true, index: true },
    trademarkRegNo: { type: String, required: required('商标注册号', 'registration number'), unique: true, trim: true },
    recognition: {
      type: new Schema(
        {
          // Date, authority and document may be missing (待补充, completeness.ts); the route may not.
          date: { type: Date },
          datePrecision: precision,
          authority: { type: String, trim: true },
          documentNo: { type: String, trim: true },
          route: { type: String, required: true, enum: oneOf(RECOGNITION_ROUTES, '认定途径', 'route') },
        },
        { _id: false },
      ),
      required: true,
    },
    regulator: { type: String, trim: true, default: '' },
    records: { type: [protectionRecordSchema], default: [] },
    nextReviewAt: { type: Date },
    ...statusFields(FAMOUS_STATUSES),
    ...completeness,
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

/**
 * A 老字号 re-review (复核) and its outcome, a reference-data value (reference-data.ts). Appended,
 * never edited (service.ts appendReview); checked by the kernel's rule (rules.ts reviewProblems).
 */
const reviewSchema = new Schema(
  {
    date: { type: Date, required: true },
    datePrecision: precision,
    outcome: { type: String, required: true, trim: true },
    /** The rectification deadline of a pass with conditions (附条件通过). */
    deadline: { type: Date, default: null },
    note: { type: String, trim: true, maxlength: REVIEW_NOTE_MAX, default: '' },
    recordedBy: { type: String, default: '' },
    recordedAt: { type: Date, default: () => new Date() },
  },
  { _id: true },
);

const timeHonoredSchema = new Schema(
  {
    // One listing per (brand, tier): a brand on the 中华 and 湖北 lists holds two (index below).
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true },
    tier: { type: String, required: required('老字号级别', 'tier'), enum: oneOf(TIME_HONORED_TIERS, '老字号级别', 'tier') },
    recognizedYear: { type: Number, required: required('认定年份', 'year recognised'), min: 1990, max: 2100 },
    batch: { type: String, trim: true, default: '' },
    heritage: { type: String, trim: true, maxlength: 500, default: '' },
    story: { type: String, trim: true, maxlength: 4000, default: '' },
    address: { type: String, trim: true, maxlength: 200, default: '' },
    /** Reward granted, in 万元; absent when not stated (a published list does not say; 0 would claim "none granted"). */
    rewardWan: { type: Number, min: 0 },
    reviews: { type: [reviewSchema], default: [] },
    ...statusFields(TIME_HONORED_STATUSES),
    ...completeness,
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

const certificateSchema = new Schema(
  {
    number: {
      type: String,
      required: required('证书编号', 'certificate number'),
      unique: true,
      trim: true,
      uppercase: true,
      match: [/^[0-9A-Z-]{6,32}$/, m('证书编号应为6-32位数字、大写字母或连字符', 'certificate number is 6-32 digits, capital letters or -')],
    },
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true, index: true },
    // Level and status are reference data an admin extends (reference-data.ts): the kernel's rule
    // checks them against the current lists on every write (rules.ts certificateReferenceProblems).
    level: { type: String, required: required('认定级别', 'level'), trim: true },
    // Scope, issue date and issuing body may be missing (待补充, completeness.ts); number, level,
    // product and validity may not.
    scope: { type: String, enum: oneOf(CERTIFICATE_SCOPES, '认定范围', 'scope') },
    product: { type: String, required: required('认定产品/服务/工程', 'certified product'), trim: true, maxlength: 120 },
    issuedAt: { type: Date },
    issuedAtPrecision: precision,
    validUntil: {
      type: Date,
      required: required('有效期至', 'valid until'),
      validate: {
        // A year- or month-only issue date holds its period's start, so only a validity that ends
        // before anything the period allows is refused ("2024" with 2024-03-31 may be true).
        validator(this: { issuedAt?: Date }, v: Date) {
          return !this.issuedAt || v > this.issuedAt;
        },
        message: m('有效期至必须晚于发证日期', 'valid-until must be after the issue date'),
      },
    },
    issuer: { type: String, trim: true, maxlength: 80 },
    standard: { type: String, trim: true, maxlength: 80, default: '' },
    ...statusFields(null),
    ...completeness,
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

// Indexes beyond the unique keys and `brand` references, each for a filter on a page: the back
// office browses brands by district and sector (and finds one by credit code, indexed above); the
// due view (admin/registries/due.ts) reads date windows, soonest first, and statuses under review.
brandSchema.index({ district: 1, sector: 1 });
trademarkSchema.index({ validTo: 1 });
certificateSchema.index({ status: 1, validUntil: 1 });
famousSchema.index({ nextReviewAt: 1 });
timeHonoredSchema.index({ status: 1, statusChangedAt: 1 });
// The due view's 待补充 queue counts and lists what lacks each fact (completeness.ts).
for (const schema of [brandSchema, directorySchema, famousSchema, timeHonoredSchema, certificateSchema]) schema.index({ missing: 1 });
// A brand holds at most one listing per tier (issue #12 item 3; migrations/item3-listings.ts).
timeHonoredSchema.index({ brand: 1, tier: 1 }, { unique: true, name: TIME_HONORED_LISTING_INDEX });
// Imports match brands without a credit code by name (src/imports/store.ts).
brandSchema.index({ name: 1 });

export type BrandDoc = InferSchemaType<typeof brandSchema> & { _id: mongoose.Types.ObjectId };
export type TrademarkDoc = InferSchemaType<typeof trademarkSchema> & { _id: mongoose.Types.ObjectId };
export type DirectoryDoc = InferSchemaType<typeof directorySchema> & { _id: mongoose.Types.ObjectId };
export type FamousDoc = InferSchemaType<typeof famousSchema> & { _id: mongoose.Types.ObjectId };
export type TimeHonoredDoc = InferSchemaType<typeof timeHonoredSchema> & { _id: mongoose.Types.ObjectId };
export type CertificateDoc = InferSchemaType<typeof certificateSchema> & { _id: mongoose.Types.ObjectId };

function model<T>(name: string, schema: Schema): Model<T> {
  return mongoose.models[name] ?? mongoose.model<T>(name, schema);
}

export const Brand = model<BrandDoc>('Brand', brandSchema);
export const Trademark = model<TrademarkDoc>('Trademark', trademarkSchema);
export const DirectoryEntry = model<DirectoryDoc>('DirectoryEntry', directorySchema);
export const FamousMark = model<FamousDoc>('FamousMark', famousSchema);
export const TimeHonored = model<TimeHonoredDoc>('TimeHonored', timeHonoredSchema);
export const Certificate = model<CertificateDoc>('Certificate', certificateSchema);
