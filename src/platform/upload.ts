/**
 * Receiving a one-file multipart upload (spreadsheet imports, pictures): streamed to disk by a
 * maintained parser (formidable) with a size limit — never held in memory, never hand-parsed.
 * Over the limit, the rest of the request is read and discarded (up to a bound) so the browser
 * gets the 413 page instead of a reset connection; a partial file is deleted.
 *
 * The parser sits behind this one function, so swapping it (busboy, multer) touches only here.
 */
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import path from 'node:path';
import { AppError } from './errors.js';
import { errorCode } from './guards.js';

export interface Upload {
  fields: Record<string, string>;
  file: { path: string; name: string; size: number } | null;
}

interface FormidableFile {
  filepath: string;
  originalFilename?: string | null;
  size: number;
}
interface FormidableForm {
  on(event: 'fileBegin', cb: (name: string, file: FormidableFile) => void): void;
  on(event: 'field', cb: (name: string, value: string) => void): void;
  parse(req: Request): Promise<[Record<string, string[] | undefined>, Record<string, FormidableFile[] | undefined>]>;
}

/** Bytes of an over-limit request we still read (and discard) to answer it politely. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

function waitForEnd(req: Request): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded || req.destroyed) return resolve();
    let drained = 0;
    const done = () => resolve();
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > DRAIN_LIMIT) {
        req.socket.destroy();
        resolve();
      }
    });
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}

/** The file's own name without any folder part or control characters, for messages and the audit trail. */
function cleanName(raw: string | null | undefined): string {
  const base = String(raw ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return base.slice(0, 200) || 'upload';
}

/**
 * The CSRF token of a form whose body only this parser reads: the `_csrf` field must come before
 * any file and match, or nothing is stored and `refusal()` is thrown. The token never travels in
 * the URL, where logs and histories would keep it.
 */
export interface UploadToken {
  check(token: string | undefined): boolean;
  refusal(): Error;
}

/** Thrown inside the parser when a file starts before a valid token: stops it before a byte is stored. */
class TokenMissing extends Error {}

/**
 * Parses a multipart upload into `dir`. Throws payload_too_large (413) over `maxBytes` and
 * bad_request for anything that is not one well-formed multipart form with at most one file.
 */
export async function receiveUpload(
  req: Request,
  o: { dir: string; maxBytes: number; maxMb: number; token?: UploadToken; tooLarge?: { zh: string; en: string } },
): Promise<Upload> {
  if (!req.is('multipart/form-data')) {
    throw new AppError('bad_request', '请通过上传表单提交文件（multipart/form-data）', {
      messageEn: 'Send the file with the upload form (multipart/form-data)',
    });
  }
  await mkdir(o.dir, { recursive: true });
  const tooLarge = () =>
    new AppError('payload_too_large', o.tooLarge?.zh ?? `文件超过 ${o.maxMb} MB 的上限`, {
      messageEn: o.tooLarge?.en ?? `The file is larger than the ${o.maxMb} MB limit`,
      fields: [{ field: 'file', message: `超过 ${o.maxMb} MB 的上限`, messageEn: `is larger than ${o.maxMb} MB` }],
    });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > o.maxBytes + DRAIN_LIMIT) {
    // Not worth reading: answer and close the connection.
    req.headers.connection = 'close';
    throw tooLarge();
  }
  // formidable: a maintained multipart parser (a direct dependency; see docs/decisions/0005-spreadsheets.md).
  // A variable specifier: the package ships no type declarations (the shape we use is typed below).
  const specifier = 'formidable';
  const { default: formidable, multipart } = (await import(specifier)) as {
    default: (opts: Record<string, unknown>) => FormidableForm;
    multipart: unknown;
  };
  const form = formidable({
    uploadDir: o.dir,
    maxFiles: 1,
    maxFileSize: o.maxBytes,
    maxTotalFileSize: o.maxBytes,
    maxFields: 20,
    maxFieldsSize: 64 * 1024,
    allowEmptyFiles: true,
    minFileSize: 0,
    enabledPlugins: [multipart],
    filename: () => `${randomUUID()}.upload`,
    // Our own write stream, so a file that arrives before its form's token is never stored.
    fileWriteStreamHandler: (file: FormidableFile) =>
      tokenOk
        ? createWriteStream(file.filepath)
        : new Writable({
            construct: (done) => done(new TokenMissing('a file came before a valid CSRF token')),
          }),
  });
  let tokenOk = !o.token;
  form.on('field', (name, value) => {
    if (name === '_csrf' && o.token && !tokenOk) tokenOk = o.token.check(value);
  });
  const begun: string[] = [];
  form.on('fileBegin', (_name, file) => {
    if (tokenOk) begun.push(file.filepath);
  });
  let parsed: Awaited<ReturnType<FormidableForm['parse']>>;
  try {
    parsed = await form.parse(req);
  } catch (err) {
    await Promise.all(begun.map((p) => unlink(p).catch(() => {})));
    const code = errorCode(err);
    await waitForEnd(req);
    if (o.token && !tokenOk) throw o.token.refusal();
    if (code === 1009 || code === 1016) throw tooLarge();
    if (code === 1002) throw new AppError('bad_request', '上传已中断', { messageEn: 'The upload was interrupted' });
    if (code === 1015) throw new AppError('bad_request', '一次只能上传一个文件', { messageEn: 'Upload one file at a time' });
    throw new AppError('bad_request', '上传的表单格式不正确', { messageEn: 'The upload form is malformed', cause: err });
  }
  const [rawFields, files] = parsed;
  if (o.token && !tokenOk) {
    // A form without its token (and without a file, or the parser would have stopped above).
    await Promise.all(begun.map((p) => unlink(p).catch(() => {})));
    throw o.token.refusal();
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawFields)) if (Array.isArray(v) && typeof v[0] === 'string') fields[k] = v[0];
  const all = Object.values(files).flatMap((f) => f ?? []);
  const f = all[0];
  return {
    fields,
    file: f ? { path: path.resolve(f.filepath), name: cleanName(f.originalFilename), size: f.size } : null,
  };
}
