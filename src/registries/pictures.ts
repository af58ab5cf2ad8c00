/**
 * Pictures of a brand (the 老字号 story pages show them): one record per picture with its alt
 * text, credit, caption and order, and the sizes its variants were made at. The bytes are not
 * here: they are in the media store (src/platform/media-store.ts) under `pictures/<id>/`.
 *
 * A picture is a record like any registry entry: written only through the registry service
 * (service.ts), so every upload, edit and removal claims a version in the change log and the
 * audit trail records it. Removal keeps the record (`removedAt`, audited) and drops the bytes.
 * Pictures hang on the brand, not on one 老字号 entry: a brand listed at several tiers has one
 * story and one set of pictures.
 */
import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';
import { SERVED_FORMATS, type ServedFormat } from '../platform/images.js';

const m = (zh: string, en: string) => `${zh}|${en}`;

export const ALT_MAX = 120;
export const CREDIT_MAX = 120;
export const CAPTION_MAX = 200;
export const ORDER_MAX = 999;

const pictureSchema = new Schema(
  {
    brand: { type: Schema.Types.ObjectId, ref: 'Brand', required: [true, m('请选择品牌', 'brand is required')], index: true },
    alt: {
      type: String,
      trim: true,
      required: [true, m('请填写替代文字（向看不到图片的读者描述图片内容）', 'alt text is required (describe the picture for readers who cannot see it)')],
      maxlength: [ALT_MAX, m(`替代文字不能超过${ALT_MAX}个字符`, `alt text is at most ${ALT_MAX} characters`)],
    },
    credit: {
      type: String,
      trim: true,
      required: [true, m('请填写图片来源/版权', 'credit (source / copyright) is required')],
      maxlength: [CREDIT_MAX, m(`图片来源/版权不能超过${CREDIT_MAX}个字符`, `credit is at most ${CREDIT_MAX} characters`)],
    },
    caption: {
      type: String,
      trim: true,
      default: '',
      maxlength: [CAPTION_MAX, m(`图片说明不能超过${CAPTION_MAX}个字符`, `caption is at most ${CAPTION_MAX} characters`)],
    },
    order: {
      type: Number,
      default: 0,
      min: [0, m(`排序应为 0 到 ${ORDER_MAX} 的整数`, `order is a whole number from 0 to ${ORDER_MAX}`)],
      max: [ORDER_MAX, m(`排序应为 0 到 ${ORDER_MAX} 的整数`, `order is a whole number from 0 to ${ORDER_MAX}`)],
      validate: { validator: Number.isInteger, message: m(`排序应为 0 到 ${ORDER_MAX} 的整数`, `order is a whole number from 0 to ${ORDER_MAX}`) },
    },
    /** The widths its variants were made at (each in every served format), narrowest first. */
    widths: { type: [Number], required: true },
    /** Of the widest variant; the page scales it (width/height attributes keep the layout still). */
    width: { type: Number, required: true, min: 1 },
    height: { type: Number, required: true, min: 1 },
    /** What the uploaded file was (read from its bytes), and its SHA-256, for the audit trail. */
    sourceType: { type: String, required: true, enum: ['jpeg', 'png', 'webp'] },
    sourceSha256: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    sourceBytes: { type: Number, required: true, min: 1 },
    removedAt: { type: Date, default: null },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);
pictureSchema.index({ brand: 1, removedAt: 1, order: 1 });

export type PictureDoc = InferSchemaType<typeof pictureSchema> & { _id: mongoose.Types.ObjectId };
export const Picture: Model<PictureDoc> = mongoose.models.Picture ?? mongoose.model<PictureDoc>('Picture', pictureSchema);

/** A picture's folder in the media store. */
export const picturePrefix = (id: string | mongoose.Types.ObjectId) => `pictures/${String(id)}`;
/** A variant's file extension (and the URL's). */
export const EXTENSION: Record<ServedFormat, string> = { webp: 'webp', jpeg: 'jpg' };
/** Its key in the media store. */
export const variantKey = (id: string | mongoose.Types.ObjectId, width: number, format: ServedFormat) => `${picturePrefix(id)}/${width}.${EXTENSION[format]}`;
/**
 * Its public address: stable (the bytes under one address never change — an edit changes words,
 * not pixels), so it is cached for a year.
 */
export const variantUrl = (id: string | mongoose.Types.ObjectId, width: number, format: ServedFormat) =>
  `/media/pictures/${String(id)}/${width}.${EXTENSION[format]}`;

/** A brand's pictures that are shown, in their order (then oldest first). */
export async function picturesOf(brandId: string | mongoose.Types.ObjectId, limit = 50): Promise<PictureDoc[]> {
  return Picture.find({ brand: brandId, removedAt: null }).sort({ order: 1, createdAt: 1 }).limit(limit).lean<PictureDoc[]>();
}

/** For a <picture>: one srcset per format (webp first) and the fallback <img> attributes. */
export function pictureSources(p: Pick<PictureDoc, '_id' | 'widths' | 'width' | 'height'>) {
  const widths = [...p.widths].sort((a, b) => a - b);
  const srcset = (f: ServedFormat) => widths.map((w) => `${variantUrl(p._id, w, f)} ${w}w`).join(', ');
  const middle = widths[Math.min(1, widths.length - 1)]!;
  return {
    sources: SERVED_FORMATS.filter((f) => f !== 'jpeg').map((f) => ({ type: `image/${f}`, srcset: srcset(f) })),
    srcset: srcset('jpeg'),
    src: variantUrl(p._id, middle, 'jpeg'),
    width: p.width,
    height: p.height,
  };
}
