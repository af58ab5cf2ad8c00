/**
 * QR codes for certificates: each encodes the certificate's verification URL on the public site
 * (PUBLIC_BASE_URL), so scanning the code on a package opens its result page. Regulators print
 * them on packaging, hence error correction level M and a full quiet zone.
 */
import QRCode from 'qrcode';

/** `${PUBLIC_BASE_URL}/verify/${number}` (number already normalised). */
export function verificationUrl(publicBaseUrl: string, number: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/verify/${encodeURIComponent(number)}`;
}

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/** The QR code as a standalone SVG document (paths only, no script). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { ...OPTIONS, type: 'svg' });
}

/** The QR code as a PNG, 8 pixels per module: large enough to print sharply. */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...OPTIONS, type: 'png', scale: 8 });
}
