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
import { GI_BOTH, oneOfWords, REASON_TOO_LONG, STATUS_REASON_MAX } from './rules.js';
import {
  CERTIFICATE_LEVELS,
  CERTIFICATE_SCOPES,
  CERTIFICATE_STATUSES,
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

const m = (zh: string, en: string) => `${zh}|${en}`;
const required = (zh: string, en: string): [true, string] => [true, m(`请填写${zh}`, `${en} is required`)];
const oneOf = (values: readonly string[], zh: string, en: string) => ({ values: [...values], message: m(...oneOfWords(values, zh, en)) });

const bookkeeping = {
  version: { type: Number, default: 1, min: 1 },
};

/** The same limit and words as the kernel's rule (rules.ts, reasonLengthProblems). */
const reasonMax: [number, string] = [STATUS_REASON_MAX, m(...REASON_TOO_LONG)];

function statusFields(values: readonly string[]) {
  return {
    status: { type: String, required: required('状态', 'status'), enum: oneOf(values, '状态', 'status') },
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
    company: { type: String, required: required('企业名称', 'company name'), trim: true, maxlength: 120 },
    creditCode: {
      type: String,
      required: required('统一社会信用代码', 'credit code'),
      uppercase: true,
      trim: true,
      validate: {
        validator: (v: string) => checkCreditCode(v) === null,
        message: (p: { value: string }) => {
          const problem = checkCreditCode(String(p.value));
          const [zh, en] = problem ? CREDIT_CODE_MESSAGES[problem] : ['', ''];
          return m(zh, `credit code ${en}`);
        },
      },
    },
    district: { type: String, required: required('所属区', 'district'), enum: oneOf(DISTRICTS, '所属区', 'district') },
    sector: { type: String, required: required('产业', 'sector'), enum: oneOf(SECTORS, '产业', 'sector') },
    industry: { type: String, required: required('行业类别', 'industry'), trim: true, maxlength: 40 },
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
    listedAt: { type: Date, default: () => new Date() },
    ...statusFields(DIRECTORY_STATUSES),
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
          date: { type: Date, required: required('认定日期', 'recognition date') },
          authority: { type: String, required: required('认定机关', 'authority'), trim: true },
          documentNo: { type: String, required: required('文书或案号', 'document number'), trim: true },
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
    ...bookkeeping,
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

const timeHonoredSchema = new Schema(
  {
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: true, unique: true },
    tier: { type: String, required: required('老字号级别', 'tier'), enum: oneOf(TIME_HONORED_TIERS, '老字号级别', 'tier') },
    recognizedYear: { type: Number, required: required('认定年份', 'year recognised'), min: 1990, max: 2100 },
    batch: { type: String, trim: true, default: '' },
    heritage: { type: String, trim: true, maxlength: 500, default: '' },
    story: { type: String, trim: true, maxlength: 4000, default: '' },
    address: { type: String, trim: true, maxlength: 200, default: '' },
    /** Reward granted, in 万元. */
    rewardWan: { type: Number, min: 0, default: 0 },
    ...statusFields(TIME_HONORED_STATUSES),
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
    level: { type: String, required: required('认定级别', 'level'), enum: oneOf(CERTIFICATE_LEVELS, '认定级别', 'level') },
    scope: { type: String, required: required('认定范围', 'scope'), enum: oneOf(CERTIFICATE_SCOPES, '认定范围', 'scope') },
    product: { type: String, required: required('认定产品/服务/工程', 'certified product'), trim: true, maxlength: 120 },
    issuedAt: { type: Date, required: required('发证日期', 'issue date') },
    validUntil: {
      type: Date,
      required: required('有效期至', 'valid until'),
      validate: {
        validator(this: { issuedAt?: Date }, v: Date) {
          return !this.issuedAt || v > this.issuedAt;
        },
        message: m('有效期至必须晚于发证日期', 'valid-until must be after the issue date'),
      },
    },
    issuer: { type: String, required: required('发证机构', 'issuing body'), trim: true, maxlength: 80 },
    standard: { type: String, trim: true, maxlength: 80, default: '' },
    ...statusFields(CERTIFICATE_STATUSES),
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
