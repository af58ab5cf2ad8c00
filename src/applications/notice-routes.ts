/**
 * Public notices (公示) for everyone, and objections from the public (issue #15 item 3).
 *
 *   GET  /notices                               running and past batches
 *   GET  /notices/<id>                          a batch: its 公示期 and entries (public facts only)
 *   GET  /notices/<id>/objection/<application>  the objection form for one entry (while running)
 *   POST /notices/<id>/objection/<application>  multipart: name, contact, grounds, ≤ 3 attachments → 303 receipt
 *   GET  /notices/objections/<receipt>, /notices/objections?receipt=…  the receipt's status page
 *
 * Public pages set no cookie: the form's CSRF defence is stateless like the reports' form
 * (src/platform/form-token.ts), its token must come before any file in the body (nothing is stored
 * otherwise), posts are rate limited per client, and a hidden field people never fill catches bots.
 * An entry shows only what the notice publishes: brand, company, kind and target — never contact
 * data or documents. An objector's contact is never shown back.
 */
import { Router, type Request, type Response } from 'express';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import { Writable } from 'node:stream';
import type { Config } from '../config/index.js';
import { AppError, notFound, type FieldProblem } from '../platform/errors.js';
import { checkFormToken, formToken } from '../platform/form-token.js';
import { errorCode } from '../platform/guards.js';
import { formatDate, formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import { originOf, trustedSource } from '../platform/origin.js';
import { url } from '../platform/views.js';
import { beijingDate } from './calendar.js';
import type { WorkflowDeps } from './deps.js';
import { cleanDocumentName, DOCUMENT_MAX_MB, documentKey, sniffDocumentType } from './documents.js';
import { Application, Enterprise, type ApplicationDoc, type ApplicationFile, type NoticeDoc } from './model.js';
import {
  checkObjectionInput,
  fileObjection,
  findNotice,
  findObjection,
  GROUNDS_MAX,
  GROUNDS_MIN,
  listNotices,
  newReceipt,
  noticeOver,
  OBJECTION_FILES_MAX,
  objectionTarget,
  RECEIPT,
  takingObjections,
} from './notices.js';

registerMessages({
  'notices.title': ['公示公告', 'Public notices'],
  'notices.intro': [
    '拟认定、拟列入名录的申报在作出决定前向社会公示。公示期内，任何单位和个人对公示对象有异议的，可以实名提出并附证明材料。',
    'Applications the bureau intends to approve are published for public notice before a decision. During the notice period anyone may object, under their own name, with supporting evidence.',
  ],
  'notices.running': ['正在公示', 'Running'],
  'notices.past': ['往期公示', 'Past notices'],
  'notices.none': ['暂无公示。', 'No notices.'],
  'notices.period': ['公示期', 'Notice period'],
  'notices.period.range': ['{start}至{end}', '{start} to {end}'],
  'notices.workingDays': ['{n} 个工作日', '{n} working days'],
  'notices.batch': ['批次', 'Batch'],
  'notices.kind': ['类别', 'Kind'],
  'notices.entries': ['公示名单', 'Entries'],
  'notices.th.brand': ['品牌', 'Brand'],
  'notices.th.company': ['企业名称', 'Company'],
  'notices.th.kind': ['申报事项', 'Applied for'],
  'notices.th.objection': ['异议', 'Objection'],
  'notices.object': ['提出异议', 'Object'],
  'notices.object.label': ['对“{brand}”提出异议', 'Object to “{brand}”'],
  'notices.state.running': ['公示中', 'running'],
  'notices.state.ended': ['已结束', 'ended'],
  'notices.state.upcoming': ['即将开始', 'upcoming'],
  'notices.closed': ['公示期已结束，不再受理异议。', 'The notice period has ended; objections are no longer taken.'],
  'notices.notYet': ['公示尚未开始，开始后方可提出异议。', 'The notice has not begun; objections are taken once it starts.'],
  'notices.reference': ['公示内容以武汉市市场监督管理局发布的正式文件为准。', 'The bureau’s official publications prevail.'],
  'notices.kind.time_honored': ['老字号认定', 'Time-honored brand'],
  'notices.kind.certification': ['精品认定', 'Certification'],
  'notices.kind.directory': ['列入商标品牌名录', 'Brand directory'],
  'notices.kind.famous': ['驰名商标保护', 'Famous-mark protection'],
  'objection.title': ['提出异议', 'File an objection'],
  'objection.subject': ['异议对象', 'Objecting to'],
  'objection.intro': [
    '请如实填写并提供证据。您的联系方式仅供工作人员核实，不会公开。提交后您会得到一个回执号，可凭号查看处理结果。',
    'Please be truthful and give evidence. Your contact details are only for the staff to follow up and are never published. You get a receipt number to follow the outcome.',
  ],
  'objection.name': ['姓名或单位名称', 'Your name or organisation'],
  'objection.contact': ['联系方式', 'How to reach you'],
  'objection.contact.hint': ['电话或邮箱，仅供工作人员联系核实，不会公开。', 'Phone or e-mail, only for the staff to follow up; never published.'],
  'objection.grounds': ['异议事实和理由', 'Facts and grounds'],
  'objection.grounds.hint': ['{min}–{max} 字。', '{min}–{max} characters.'],
  'objection.files': ['证明材料（选填）', 'Evidence (optional)'],
  'objection.files.hint': ['最多 {n} 个文件，PDF、JPEG 或 PNG，每个不超过 {mb} MB。', 'Up to {n} files: PDF, JPEG or PNG, at most {mb} MB each.'],
  'objection.submit': ['提交异议', 'Send the objection'],
  'objection.errors': ['请修改下面标出的内容。', 'Please correct the fields marked below.'],
  'objection.again': [
    '页面停留过久或提交过快，请确认内容后重新提交（附件需重新选择）。',
    'The page was open too long or sent too fast; check the text and send it again (choose the attachments again).',
  ],
  'objection.filesAgain': ['如有附件，请重新选择。', 'Choose any attachments again.'],
  'objection.honeypot': ['请勿填写此项', 'Leave this empty'],
  'objection.receipt.title': ['异议回执 {receipt}', 'Objection receipt {receipt}'],
  'objection.receipt.new': [
    '已收到您的异议。请记下回执号，凭号可随时查看处理结果。',
    'Your objection has been received. Keep the receipt number to follow it.',
  ],
  'objection.receipt.state': ['处理状态', 'Status'],
  'objection.receipt.notice': ['所涉公示', 'Notice'],
  'objection.receipt.at': ['提交时间', 'Sent'],
  'objection.receipt.files': ['附件数', 'Attachments'],
  'objection.receipt.resolution': ['处理意见', 'Resolution'],
  'objection.receipt.noResolution': ['正在核查，暂无处理意见。', 'Being looked into; no resolution yet.'],
  'objection.status.open': ['核查中', 'Being looked into'],
  'objection.status.upheld': ['维持异议', 'Upheld'],
  'objection.status.dismissed': ['异议不成立', 'Dismissed'],
  'objection.lookup': ['查询异议处理结果', 'Follow an objection'],
  'objection.lookup.receipt': ['回执号', 'Receipt number'],
  'objection.lookup.submit': ['查询', 'Look up'],
  'objection.notFound': ['查无此回执，请核对回执号（如 YY20261204-7K4QXM）', 'No such receipt; check the number (like YY20261204-7K4QXM)'],
});

const FORM = 'objection';
export const ATTACHMENT_MAX_MB = DOCUMENT_MAX_MB;
const ATTACHMENT_MAX = ATTACHMENT_MAX_MB * 1024 * 1024;
/** Bytes of an over-limit body still read (and discarded) to answer politely. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

const formSecret = (config: Pick<Config, 'SESSION_SECRET'>) => `objection-form:${config.SESSION_SECRET ?? 'wbr-development-only-form-secret'}`;

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const first = (fields: Record<string, unknown>, ...names: string[]) => names.map((n) => str(fields[n])).find(Boolean) ?? '';

function errorsByField(lang: Lang, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

/** The store key of an objection's attachment: `objections/<receipt, lower-cased>/<file id>`. */
export const objectionDocumentKey = (receipt: string, fileId: string) => documentKey(receipt, fileId, 'objections');

/** The display name of an uploaded file: no folder, no control characters, at most 120 characters. */
const displayName = (name: string | null | undefined) =>
  [
    ...String(name ?? '')
      .split(/[\\/]/)
      .pop()!
      .replace(/[\u0000-\u001f\u007f"<>]/g, ''),
  ]
    .slice(-120)
    .join('')
    .trim() || 'document';

/** The published facts of an entry: from the latest submitted version (never contact data or documents). */
export async function publicEntries(lang: Lang, n: NoticeDoc) {
  const apps = await Application.find({ _id: mongoose.trusted({ $in: n.entries }) }, { kind: 1, target: 1, enterprise: 1, versions: 1 }).lean<
    ApplicationDoc[]
  >();
  const ents = await Enterprise.find({ _id: mongoose.trusted({ $in: apps.map((a) => a.enterprise) }) }, { company: 1 }).lean<
    Array<{ _id: unknown; company: string }>
  >();
  const companyOf = new Map(ents.map((e) => [String(e._id), e.company]));
  const byId = new Map(apps.map((a) => [a._id, a]));
  return n.entries
    .map((id) => byId.get(id))
    .filter((a): a is ApplicationDoc => Boolean(a))
    .map((a) => {
      const fields = a.versions.at(-1)?.fields ?? {};
      const company = first(fields, 'company') || companyOf.get(String(a.enterprise)) || '';
      return {
        id: a._id,
        brand: first(fields, 'brandName', 'brand', 'name') || company,
        company,
        kind: t(lang, `notices.kind.${a.kind}`),
        target: a.target,
      };
    });
}

/** A notice's dates for a page. */
export function noticeDates(lang: Lang, n: NoticeDoc, now = new Date()) {
  const state = n.status === 'ended' || noticeOver(n, now) ? 'ended' : takingObjections(n, now) ? 'running' : 'upcoming';
  return {
    start: n.startsOn ? { iso: beijingDate(n.startsOn), text: formatDate(lang, n.startsOn) } : null,
    end: n.endsOn ? { iso: beijingDate(n.endsOn), text: formatDate(lang, n.endsOn) } : null,
    state,
    stateLabel: t(lang, `notices.state.${state}`),
  };
}

interface ObjectionUpload {
  fields: Record<string, string>;
  files: Array<{ path: string; name: string; size: number }>;
  tokenOk: boolean;
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

function drain(req: Request): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded || req.destroyed) return resolve();
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > DRAIN_LIMIT) {
        req.socket.destroy();
        resolve();
      }
    });
    for (const e of ['end', 'close', 'error']) req.once(e, () => resolve());
    req.resume();
  });
}

class TokenFirst extends Error {}

const tooLarge = () =>
  new AppError('payload_too_large', `附件超过上限（每个 ${ATTACHMENT_MAX_MB} MB，最多 ${OBJECTION_FILES_MAX} 个）`, {
    messageEn: `An attachment is over the limit (${ATTACHMENT_MAX_MB} MB each, at most ${OBJECTION_FILES_MAX})`,
    fields: [
      {
        field: 'files',
        message: `每个附件不超过 ${ATTACHMENT_MAX_MB} MB，最多 ${OBJECTION_FILES_MAX} 个`,
        messageEn: `at most ${OBJECTION_FILES_MAX} files of ${ATTACHMENT_MAX_MB} MB each`,
      },
    ],
  });

/**
 * Parses the objection form (multipart, ≤ 3 files) with formidable into `dir`. A file that arrives
 * before a valid `_form` token is never written. The caller deletes the files.
 */
async function receiveObjectionForm(req: Request, dir: string, checkToken: (v: string) => boolean): Promise<ObjectionUpload> {
  if (!req.is('multipart/form-data')) {
    // A plain urlencoded post (no attachments), already parsed by the app.
    const body: Record<string, string> = {};
    if (req.body && typeof req.body === 'object')
      for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) if (typeof v === 'string') body[k] = v;
    return { fields: body, files: [], tokenOk: checkToken(body._form ?? '') };
  }
  if (Number(req.headers['content-length'] ?? 0) > OBJECTION_FILES_MAX * ATTACHMENT_MAX + DRAIN_LIMIT) {
    req.headers.connection = 'close';
    throw tooLarge();
  }
  await mkdir(dir, { recursive: true });
  const specifier = 'formidable';
  const { default: formidable, multipart } = (await import(specifier)) as { default: (opts: Record<string, unknown>) => FormidableForm; multipart: unknown };
  let tokenOk = false;
  const form = formidable({
    uploadDir: dir,
    maxFiles: OBJECTION_FILES_MAX,
    maxFileSize: ATTACHMENT_MAX,
    maxTotalFileSize: OBJECTION_FILES_MAX * ATTACHMENT_MAX,
    maxFields: 20,
    maxFieldsSize: 64 * 1024,
    allowEmptyFiles: true,
    minFileSize: 0,
    enabledPlugins: [multipart],
    filename: () => `${randomUUID()}.upload`,
    fileWriteStreamHandler: (file: FormidableFile) =>
      tokenOk ? createWriteStream(file.filepath) : new Writable({ construct: (done) => done(new TokenFirst('a file came before a valid form token')) }),
  });
  const typed: Record<string, string> = {};
  form.on('field', (name, value) => {
    if (name === '_form' && !tokenOk) tokenOk = checkToken(value);
    if (typeof value === 'string' && !(name in typed)) typed[name] = value;
  });
  const begun: string[] = [];
  form.on('fileBegin', (_n, f) => {
    if (tokenOk) begun.push(f.filepath);
  });
  let parsed: Awaited<ReturnType<FormidableForm['parse']>>;
  try {
    parsed = await form.parse(req);
  } catch (err) {
    await Promise.all(begun.map((p) => unlink(p).catch(() => {})));
    await drain(req);
    // What was typed survives a token that came too early or too late (the page re-shows it).
    if (!tokenOk) return { fields: typed, files: [], tokenOk: false };
    const code = errorCode(err);
    if (code === 1009 || code === 1016) throw tooLarge();
    if (code === 1015)
      throw new AppError('bad_request', `最多 ${OBJECTION_FILES_MAX} 个附件`, {
        messageEn: `At most ${OBJECTION_FILES_MAX} attachments`,
        fields: [{ field: 'files', message: `最多 ${OBJECTION_FILES_MAX} 个附件`, messageEn: `at most ${OBJECTION_FILES_MAX} attachments` }],
      });
    throw new AppError('bad_request', '提交的表单格式不正确', { messageEn: 'The form is malformed', cause: err });
  }
  const [rawFields, rawFiles] = parsed;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawFields)) if (Array.isArray(v) && typeof v[0] === 'string') fields[k] = v[0];
  const files = Object.values(rawFiles)
    .flatMap((f) => f ?? [])
    .map((f) => ({ path: path.resolve(f.filepath), name: displayName(f.originalFilename), size: f.size }));
  return { fields, files, tokenOk };
}

export function noticeRoutes(deps: WorkflowDeps): Router {
  const router = Router();
  const secret = formSecret(deps.config);
  const uploadDir = path.join(deps.config.DATA_DIR, 'uploads');
  const production = deps.config.NODE_ENV === 'production';
  const publicOrigin = originOf(deps.config.PUBLIC_BASE_URL) ?? deps.config.PUBLIC_BASE_URL;

  const page = (res: Response, status: number, view: string, data: Record<string, unknown>, o: { indexable?: boolean } = {}) => {
    res.setHeader('Cache-Control', o.indexable ? 'public, max-age=60' : 'no-store');
    if (!o.indexable) res.setHeader('X-Robots-Tag', 'noindex');
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, noindex: !o.indexable, styles: ['css/report.css'], ...data }));
  };

  router.get('/notices', async (_req, res) => {
    const lang = res.locals.lang;
    const now = new Date();
    const all = await listNotices({ publicOnly: true });
    const rows = all.map((n) => ({
      id: n._id,
      href: url(lang, `/notices/${n._id}`),
      title: n.title,
      batch: n.batch,
      count: n.entries.length,
      ...noticeDates(lang, n, now),
    }));
    page(
      res,
      200,
      'notices/list',
      {
        title: t(lang, 'notices.title'),
        running: rows.filter((r) => r.state !== 'ended'),
        past: rows.filter((r) => r.state === 'ended'),
        lookupAction: url(lang, '/notices/objections'),
      },
      { indexable: true },
    );
  });

  router.get('/notices/objections', (req, res) => {
    const receipt = str(req.query.receipt).toUpperCase();
    if (!RECEIPT.test(receipt)) throw new AppError('not_found', t('zh', 'objection.notFound'), { messageEn: t('en', 'objection.notFound') });
    res.redirect(303, url(res.locals.lang, `/notices/objections/${receipt}`));
  });

  router.get('/notices/objections/:receipt', async (req, res) => {
    const lang = res.locals.lang;
    const ob = await findObjection(String(req.params.receipt));
    if (!ob) throw new AppError('not_found', t('zh', 'objection.notFound'), { messageEn: t('en', 'objection.notFound') });
    const n = await findNotice(ob.notice);
    page(res, 200, 'notices/receipt', {
      title: t(lang, 'objection.receipt.title', { receipt: ob._id }),
      receipt: ob._id,
      isNew: req.query.new === '1',
      state: ob.status,
      stateLabel: t(lang, `objection.status.${ob.status}`),
      notice: n ? { title: n.title, href: url(lang, `/notices/${n._id}`) } : null,
      at: formatTime(lang, ob.createdAt),
      files: ob.files.length,
      resolution: ob.status === 'open' ? '' : ob.resolution,
    });
  });

  router.get('/notices/:id', async (req, res) => {
    const lang = res.locals.lang;
    const n = await findNotice(String(req.params.id));
    if (!n || n.status === 'draft') throw notFound('公示', 'notice');
    const now = new Date();
    const dates = noticeDates(lang, n, now);
    const open = takingObjections(n, now);
    const entries = (await publicEntries(lang, n)).map((e) => ({
      ...e,
      objectHref: open ? url(lang, `/notices/${n._id}/objection/${e.id}`) : null,
      objectLabel: t(lang, 'notices.object.label', { brand: e.brand }),
    }));
    page(
      res,
      200,
      'notices/detail',
      {
        title: n.title,
        notice: {
          id: n._id,
          title: n.title,
          batch: n.batch,
          kind: t(lang, `notices.kind.${n.kind}`),
          workingDays: t(lang, 'notices.workingDays', { n: n.workingDays }),
        },
        ...dates,
        open,
        entries,
        listHref: url(lang, '/notices'),
      },
      { indexable: true },
    );
  });

  /** The entry an objection form is for, or 404; `closed` when the notice takes no objections now. */
  async function entryOf(lang: Lang, id: string, appId: string) {
    const n = await findNotice(id);
    if (!n || n.status === 'draft' || !n.entries.includes(appId)) throw notFound('公示条目', 'notice entry');
    const entry = (await publicEntries(lang, { ...n, entries: [appId] }))[0];
    if (!entry) throw notFound('公示条目', 'notice entry');
    return { n, entry };
  }

  const formPage = async (
    res: Response,
    status: number,
    id: string,
    appId: string,
    o: { values?: Record<string, string>; errors?: Record<string, string>; again?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    const { n, entry } = await entryOf(lang, id, appId);
    const now = new Date();
    const dates = noticeDates(lang, n, now);
    const v = o.values ?? {};
    page(res, status, 'notices/objection', {
      title: t(lang, 'objection.title'),
      notice: { id: n._id, title: n.title, href: url(lang, `/notices/${n._id}`) },
      ...dates,
      entry,
      open: takingObjections(n, now),
      action: url(lang, `/notices/${n._id}/objection/${entry.id}`),
      formToken: formToken(secret, FORM),
      values: { name: v.name ?? '', contact: v.contact ?? '', grounds: v.grounds ?? '' },
      errors: o.errors ?? {},
      hasErrors: Boolean(o.errors && Object.keys(o.errors).length),
      again: o.again ?? false,
      filesAgain: Boolean(o.values) && !o.again,
      groundsHint: t(lang, 'objection.grounds.hint', { min: GROUNDS_MIN, max: GROUNDS_MAX }),
      filesHint: t(lang, 'objection.files.hint', { n: OBJECTION_FILES_MAX, mb: ATTACHMENT_MAX_MB }),
      groundsMin: GROUNDS_MIN,
      groundsMax: GROUNDS_MAX,
    });
  };

  router.get('/notices/:id/objection/:application', async (req, res) => formPage(res, 200, String(req.params.id), String(req.params.application)));

  router.post('/notices/:id/objection/:application', deps.limits.objection, async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const appId = String(req.params.application);
    const refusal = () =>
      new AppError('forbidden', '页面已过期或请求来源不可信，请刷新页面后重新填写', {
        messageEn: 'The page has expired or the request came from an untrusted origin; reload the page and fill it in again',
      });
    if (!trustedSource(req, publicOrigin, production)) {
      await drain(req);
      throw refusal();
    }
    // The notice must exist and take objections now (before a byte of an attachment is read).
    try {
      await objectionTarget(id, appId);
    } catch (err) {
      await drain(req);
      throw err;
    }
    const seen: { verdict: ReturnType<typeof checkFormToken> } = { verdict: 'invalid' };
    const checkToken = (v: string) => {
      seen.verdict = checkFormToken(secret, FORM, v);
      return seen.verdict === 'ok';
    };
    let upload: ObjectionUpload;
    try {
      upload = await receiveObjectionForm(req, uploadDir, checkToken);
    } catch (err) {
      if (err instanceof AppError && err.fields.length) return formPage(res, err.status, id, appId, { errors: errorsByField(lang, err.fields) });
      throw err;
    }
    const cleanup = () => Promise.all(upload.files.map((f) => unlink(f.path).catch(() => {})));
    try {
      const b = upload.fields;
      if (!upload.tokenOk) {
        // Nothing typed is lost when the page was merely open too long, or sent too fast.
        if (seen.verdict === 'expired' || seen.verdict === 'too_fast') return await formPage(res, 400, id, appId, { values: b, again: true });
        throw refusal();
      }
      if (str(b.website)) throw new AppError('bad_request', '无法提交', { messageEn: 'Cannot send this' });
      const problems: FieldProblem[] = [];
      try {
        checkObjectionInput({ name: b.name, contact: b.contact, grounds: b.grounds });
      } catch (err) {
        if (err instanceof AppError && err.code === 'validation_failed') problems.push(...err.fields);
        else throw err;
      }
      const chosen = upload.files.filter((f) => f.size > 0);
      const files: Array<{ meta: ApplicationFile; bytes: Buffer }> = [];
      for (const f of chosen) {
        const bytes = await readFile(f.path);
        const type = sniffDocumentType(bytes);
        if (!type) {
          problems.push({
            field: 'files',
            message: `“${f.name}”不是 PDF、JPEG 或 PNG 文件（按文件内容判断）`,
            messageEn: `“${f.name}” is not a PDF, JPEG or PNG file (judged by its content)`,
          });
          continue;
        }
        files.push({
          bytes,
          meta: {
            id: randomBytes(8).toString('hex'),
            name: cleanDocumentName(f.name, type),
            type,
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            slot: 'objection',
            uploadedAt: new Date(),
          },
        });
      }
      if (problems.length) return await formPage(res, 400, id, appId, { values: b, errors: errorsByField(lang, problems) });
      const receipt = newReceipt();
      for (const f of files) await deps.documents.put(objectionDocumentKey(receipt, f.meta.id), f.bytes);
      try {
        await fileObjection(deps.audit, {
          notice: id,
          application: appId,
          input: { name: b.name, contact: b.contact, grounds: b.grounds },
          files: files.map((f) => f.meta),
          receipt,
        });
      } catch (err) {
        await deps.documents.removePrefix(`objections/${receipt.toLowerCase()}`).catch(() => {});
        if (err instanceof AppError && err.code === 'validation_failed')
          return await formPage(res, 400, id, appId, { values: b, errors: errorsByField(lang, err.fields) });
        throw err;
      }
      res.redirect(303, url(lang, `/notices/objections/${receipt}`, { new: 1 }));
    } finally {
      await cleanup();
    }
  });

  return router;
}
