/**
 * Applicants' documents (营业执照, 历史沿革证明, 商标注册证 …): received one file per request through
 * the platform's upload parser (src/platform/upload.ts, streamed to disk with a size limit), typed
 * from their bytes — never from the name or the browser's word — and kept in the document store
 * (deps.documents, outside the web root) under a key the app makes itself. Served back only as
 * attachments, to whoever the caller has checked may see them.
 */
import type { Request, Response } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { csrfRefused } from '../accounts/session.js';
import { AppError, notFound, validationFailed } from '../platform/errors.js';
import type { MediaStore } from '../platform/media-store.js';
import { receiveUpload } from '../platform/upload.js';
import type { WorkflowDeps } from './deps.js';
import type { ApplicationFile } from './model.js';

/** Per file, unless the caller says otherwise. */
export const DOCUMENT_MAX_MB = 10;
/** Documents per application (working copy). */
export const MAX_DOCUMENTS = 20;

export type DocumentType = ApplicationFile['type'];

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the bytes are: a PDF (%PDF-), a JPEG (FF D8 FF) or a PNG (its 8-byte signature); null otherwise. */
export function sniffDocumentType(buf: Buffer): DocumentType | null {
  if (buf.length >= 5 && buf.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG)) return 'image/png';
  return null;
}

const EXTENSION: Record<DocumentType, string> = { 'application/pdf': '.pdf', 'image/jpeg': '.jpg', 'image/png': '.png' };

/**
 * A file name fit for display and Content-Disposition: no folder part, no control characters or
 * characters that mean something in a header or HTML, at most 120 characters, and an extension
 * that says what the bytes are.
 */
export function cleanDocumentName(raw: string, type: DocumentType): string {
  let base = String(raw ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f"<>*?|:]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  const ext = EXTENSION[type];
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const own = dot > 0 ? base.slice(dot).toLowerCase() : '';
  const fits = own === ext || (type === 'image/jpeg' && own === '.jpeg');
  base = [...(stem || 'document')].slice(0, 120 - (fits ? own : ext).length).join('') + (fits ? own : ext);
  return base;
}

/** The store key of a document: `<area>/<owner, lower-cased>/<file id>` (e.g. applications/sb20261204-7k4qxm/0f3a…). */
export function documentKey(owner: string, fileId: string, area = 'applications'): string {
  const o = owner.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
  if (!/^[a-f0-9]{16}$/.test(fileId)) throw new Error(`documents: bad file id ${JSON.stringify(fileId)}`);
  return `${area}/${o}/${fileId}`;
}

export interface ReceiveOptions {
  /** Whose document it is (an application's number): the store key's folder. */
  owner: string;
  /** The document slots the form may name in its `slot` field; absent: any slot is 'other'. */
  slots?: readonly string[];
  /** Per-file limit in MB (default DOCUMENT_MAX_MB). */
  maxMb?: number;
  /** The store key's first part (default 'applications'). */
  area?: string;
}

/**
 * Receives one document from a multipart form (`_csrf` first when the session's CSRF check is
 * deferred to here, then `slot` and other fields, then `file`). Returns the form's fields and the
 * stored file's record (bytes already in deps.documents), or `file: null` when the form had none.
 * A file whose bytes are not a PDF, JPEG or PNG, or that is empty, is refused (validation_failed
 * on `file`); one over the limit is payload_too_large (413).
 */
export async function receiveDocument(
  req: Request,
  deps: Pick<WorkflowDeps, 'config' | 'documents'>,
  opts: ReceiveOptions,
): Promise<{ fields: Record<string, string>; file: ApplicationFile | null }> {
  const maxMb = opts.maxMb ?? DOCUMENT_MAX_MB;
  const check = req.res?.locals.csrfCheck;
  const upload = await receiveUpload(req, {
    dir: path.join(deps.config.DATA_DIR, 'uploads'),
    maxBytes: maxMb * 1024 * 1024,
    maxMb,
    token: check ? { check, refusal: csrfRefused } : undefined,
    tooLarge: { zh: `文件超过 ${maxMb} MB 的上限`, en: `The file is larger than the ${maxMb} MB limit` },
  });
  if (!upload.file) return { fields: upload.fields, file: null };
  let bytes: Buffer;
  try {
    bytes = await readFile(upload.file.path);
  } finally {
    await unlink(upload.file.path).catch(() => undefined);
  }
  const slotRaw = upload.fields.slot ?? 'other';
  if (opts.slots && !opts.slots.includes(slotRaw)) {
    throw validationFailed([{ field: 'slot', message: '材料类别不正确', messageEn: 'unknown document slot' }]);
  }
  if (bytes.length === 0) throw validationFailed([{ field: 'file', message: '文件是空的', messageEn: 'the file is empty' }]);
  const type = sniffDocumentType(bytes);
  if (!type) {
    throw validationFailed([
      {
        field: 'file',
        message: '文件内容不是 PDF、JPEG 或 PNG（按文件内容判断，与扩展名无关）',
        messageEn: 'the file is not a PDF, JPEG or PNG (judged by its content, whatever its name says)',
      },
    ]);
  }
  const id = randomBytes(8).toString('hex');
  await deps.documents.put(documentKey(opts.owner, id, opts.area), bytes);
  return {
    fields: upload.fields,
    file: {
      id,
      name: cleanDocumentName(upload.file.name, type),
      type,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      slot: opts.slots ? slotRaw : 'other',
      uploadedAt: new Date(),
    },
  };
}

/** RFC 5987 / 6266: an ASCII fallback and the UTF-8 name. */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_');
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/** Sends a stored document as a download (never rendered inline, never sniffed, never cached by others). */
export async function sendDocument(res: Response, store: MediaStore, key: string, file: Pick<ApplicationFile, 'name' | 'type'>): Promise<void> {
  const bytes = await store.get(key);
  if (!bytes) throw notFound('文件', 'file');
  res.setHeader('Content-Type', file.type);
  res.setHeader('Content-Disposition', disposition(file.name));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.status(200).end(bytes);
}

/** The refusal of an upload to an application that already has MAX_DOCUMENTS files. */
export const tooManyDocuments = (max = MAX_DOCUMENTS): AppError =>
  validationFailed([
    { field: 'file', message: `每份申报最多 ${max} 个文件，请先删除不需要的文件`, messageEn: `at most ${max} files per application; remove one first` },
  ]);
