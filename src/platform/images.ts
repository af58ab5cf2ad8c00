/**
 * Pictures uploaded by regulators, made safe and small to serve: the type is read from the bytes
 * (never the file name or the browser's word), the picture is decoded and re-encoded by sharp
 * (libvips; docs/decisions/0017-pictures.md) at a few widths as WebP with a JPEG fallback, turned
 * upright by its EXIF orientation and stripped of every metadata block (EXIF with GPS, XMP, IPTC,
 * ICC beyond sRGB): what is served is only pixels we encoded.
 */
import sharp from 'sharp';

export type ImageType = 'jpeg' | 'png' | 'webp';

/** The formats served, in the order a <picture> offers them. */
export const SERVED_FORMATS = ['webp', 'jpeg'] as const;
export type ServedFormat = (typeof SERVED_FORMATS)[number];

/** The widths made of every picture (no wider than its source). */
export const PICTURE_WIDTHS = [480, 960, 1600] as const;

/** A picture larger than this many pixels is refused before it is decoded (a decompression bomb). */
const MAX_INPUT_PIXELS = 60_000_000;

/** What the first bytes say a file is: JPEG (FF D8 FF), PNG (its 8-byte signature), WebP (RIFF….WEBP); else null. */
export function sniffImageType(head: Buffer): ImageType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

export interface ImageVariant {
  width: number;
  height: number;
  format: ServedFormat;
  bytes: Buffer;
}

export interface ProcessedImage {
  /** Of the largest variant. */
  width: number;
  height: number;
  variants: ImageVariant[];
}

/** Thrown when the bytes have an image signature but cannot be decoded (truncated, corrupt, too large). */
export class UnreadableImageError extends Error {}

/** The widths to make for a source `width` pixels wide: each of `widths`, none wider than the source. */
export function variantWidths(width: number, widths: readonly number[] = PICTURE_WIDTHS): number[] {
  return [...new Set(widths.map((w) => Math.min(w, width)))].sort((a, b) => a - b);
}

/**
 * Decodes `input` and encodes it at each width as WebP and JPEG, upright and without metadata
 * (sharp drops metadata unless asked to keep it). Transparency is flattened onto white for JPEG.
 */
export async function processImage(input: Buffer, widths: readonly number[] = PICTURE_WIDTHS): Promise<ProcessedImage> {
  const open = () => sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS });
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await open().metadata();
  } catch (err) {
    throw new UnreadableImageError(err instanceof Error ? err.message : String(err));
  }
  if (!meta.width || !meta.height) throw new UnreadableImageError('no dimensions');
  // EXIF orientations 5–8 are quarter turns: the upright picture is as wide as the source is high.
  const uprightWidth = (meta.orientation ?? 1) >= 5 ? meta.height : meta.width;
  const targets = variantWidths(uprightWidth, widths);
  const variants: ImageVariant[] = [];
  try {
    // Decoded once, upright, at the widest size served; every variant is made from those pixels.
    const base = await open()
      .rotate()
      .resize({ width: targets[targets.length - 1]!, withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } };
    for (const w of targets) {
      const resized = () => sharp(base.data, raw).resize({ width: w, withoutEnlargement: true });
      const webp = await resized().webp({ quality: 80 }).toBuffer({ resolveWithObject: true });
      const jpeg = await resized().flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true }).toBuffer({ resolveWithObject: true });
      variants.push({ width: webp.info.width, height: webp.info.height, format: 'webp', bytes: webp.data });
      variants.push({ width: jpeg.info.width, height: jpeg.info.height, format: 'jpeg', bytes: jpeg.data });
    }
  } catch (err) {
    throw new UnreadableImageError(err instanceof Error ? err.message : String(err));
  }
  const largest = variants[variants.length - 1]!;
  return { width: largest.width, height: largest.height, variants };
}
