/**
 * What the statistics need besides the four registries: figures a regulator enters (dated
 * observations with their source; every observation is kept, the latest by date is shown) and
 * awards attached to brands (so the award targets can be counted).
 *
 * Both are written only through the registry service (createEntry / updateEntry), so each write
 * has its change-log record and its audit trail like any registry entry.
 * Validation messages are "中文|English" pairs, as in src/registries/models.ts.
 */
import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';
import { isOneOf } from '../platform/guards.js';
import { AWARD_NAMES, FIGURE_KEYS, FIGURES } from './targets.js';

const m = (zh: string, en: string) => `${zh}|${en}`;

/** Observations may be dated today (Beijing time may be a day ahead of UTC), never later. */
const notInFuture = (d: Date) => d.getTime() <= Date.now() + 36 * 3600_000;

const figureSchema = new Schema(
  {
    key: {
      type: String,
      required: [true, m('请选择指标', 'figure is required')],
      enum: { values: [...FIGURE_KEYS], message: m('指标不是可选的值', 'figure is not one of the allowed values') },
    },
    value: {
      type: Number,
      required: [true, m('请填写数值', 'value is required')],
      min: [0, m('数值不能为负数', 'value cannot be negative')],
      validate: [
        {
          validator(this: { key?: string }, v: number) {
            const f = isOneOf(FIGURE_KEYS, this.key) ? FIGURES[this.key] : undefined;
            return !f || v <= f.max;
          },
          message: m('数值超出合理范围', 'value is implausibly large'),
        },
        {
          validator(this: { key?: string }, v: number) {
            const f = isOneOf(FIGURE_KEYS, this.key) ? FIGURES[this.key] : undefined;
            return !f || !f.integer || Number.isInteger(v);
          },
          message: m('该指标的数值应为整数', 'this figure must be a whole number'),
        },
      ],
    },
    /** The date the figure describes ("截至"), not when it was typed in. */
    date: {
      type: Date,
      required: [true, m('请填写统计日期', 'date is required')],
      validate: { validator: notInFuture, message: m('统计日期不能晚于今天', 'the date cannot be in the future') },
    },
    source: {
      type: String,
      trim: true,
      required: [true, m('请填写数据来源', 'source is required')],
      maxlength: [200, m('数据来源不能超过200个字符', 'source is at most 200 characters')],
    },
    sourceUrl: {
      type: String,
      trim: true,
      default: '',
      maxlength: [500, m('来源链接不能超过500个字符', 'source link is at most 500 characters')],
      match: [/^(https?:\/\/[^\s<>"]+)?$/, m('来源链接须以 http:// 或 https:// 开头', 'source link must start with http:// or https://')],
    },
    note: { type: String, trim: true, default: '', maxlength: [500, m('备注不能超过500个字符', 'note is at most 500 characters')] },
    /** Who entered it (the signed-in user's e-mail). */
    enteredBy: { type: String, required: true, trim: true },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);
figureSchema.index({ key: 1, date: -1 });

const awardSchema = new Schema(
  {
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: [true, m('请填写品牌', 'brand is required')], index: true },
    /**
     * The brand and its company as they were when the award was attached: an award is given to a
     * company under its name of the day, and the counts need no join (no $lookup per award).
     */
    brandSlug: { type: String, required: true },
    brandName: { type: String, required: true },
    // The brand may lack them (待补充, src/registries/completeness.ts): then empty, not invented.
    company: { type: String, default: '' },
    creditCode: { type: String, default: '' },
    award: {
      type: String,
      required: [true, m('请选择奖项', 'award is required')],
      enum: { values: [...AWARD_NAMES], message: m(`奖项必须是以下之一：${AWARD_NAMES.join('、')}`, `award must be one of: ${AWARD_NAMES.join(', ')}`) },
    },
    year: {
      type: Number,
      required: [true, m('请填写年度', 'year is required')],
      min: [1990, m('年度应在1990年至今之间', 'year must be between 1990 and this year')],
      validate: [
        { validator: Number.isInteger, message: m('年度应为整数', 'year must be a whole number') },
        { validator: (v: number) => v <= new Date().getUTCFullYear() + 1, message: m('年度应在1990年至今之间', 'year must be between 1990 and this year') },
      ],
    },
    note: { type: String, trim: true, default: '', maxlength: [500, m('备注不能超过500个字符', 'note is at most 500 characters')] },
    /** A wrongly attached award is withdrawn (kept, no longer counted), never deleted. */
    withdrawn: { type: Boolean, default: false },
    withdrawnReason: { type: String, trim: true, default: '', maxlength: 500 },
    enteredBy: { type: String, required: true, trim: true },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);

export type FigureObservationDoc = InferSchemaType<typeof figureSchema> & { _id: mongoose.Types.ObjectId; createdAt: Date; updatedAt: Date };
export type AwardDoc = InferSchemaType<typeof awardSchema> & { _id: mongoose.Types.ObjectId; createdAt: Date; updatedAt: Date };

function model<T>(name: string, schema: Schema): Model<T> {
  return mongoose.models[name] ?? mongoose.model<T>(name, schema);
}

export const FigureObservation = model<FigureObservationDoc>('FigureObservation', figureSchema);
export const Award = model<AwardDoc>('Award', awardSchema);
