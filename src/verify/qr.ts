/**
 * QR codes for certificates: each encodes the certificate's verification URL on the public site
 * (PUBLIC_BASE_URL), so scanning the code on a package opens its result page. Regulators print
 * them on packaging, hence error correction level M and a full quiet zone.
 */
import QRCode from 'qrcode';
import sharp from 'sharp';

/** `${PUBLIC_BASE_URL}/verify/${number}` (number already normalised). */
export function verificationUrl(publicBaseUrl: string, number: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/verify/${encodeURIComponent(number)}`;
}

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/**
 * The QR code as a standalone SVG document (paths only, no script). With a caption (the
 * certificate number), the number is printed under the code, so a printed label can be checked by
 * eye and typed in when a phone cannot scan it.
 */
export async function qrSvg(text: string, caption?: string): Promise<string> {
  const svg = await QRCode.toString(text, { ...OPTIONS, type: 'svg' });
  if (!caption) return svg;
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const inner = /^<svg[^>]*>([\s\S]*)<\/svg>\s*$/.exec(svg)?.[1];
  if (!size || inner === undefined) return svg;
  // The caption sits in the quiet zone's extension: 5 modules high, white like the margin.
  const h = size + 5;
  const escaped = caption.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${h}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${h}" fill="#ffffff"/>${inner}` +
    `<text x="${size / 2}" y="${size + 2}" text-anchor="middle" font-family="ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace" font-size="2.6" fill="#000000">${escaped}</text></svg>`
  );
}

/** Pixels per module of the PNG: large enough to print sharply. */
const PNG_SCALE = 8;

/**
 * The QR code as a PNG, 8 pixels per module. With a caption, it is the captioned SVG above
 * rasterised by sharp (libvips with librsvg, which lays the text out in a system font): the same
 * picture as the SVG, number under the code, with no text drawing of our own. SVG user units are
 * modules, rendered at 72 dpi by default, so `PNG_SCALE × 72` dpi gives 8 pixels per module.
 */
export async function qrPng(text: string, caption?: string): Promise<Buffer> {
  if (!caption) return QRCode.toBuffer(text, { ...OPTIONS, type: 'png', scale: PNG_SCALE });
  const svg = await qrSvg(text, caption);
  return sharp(Buffer.from(svg), { density: 72 * PNG_SCALE })
    .flatten({ background: '#ffffff' })
    .png({ palette: true, colours: 16 })
    .toBuffer();
}
