/**
 * The enterprise's side of an application (申报): the fields and documents each kind needs, drafts
 * (partial ones allowed), submission (a frozen version), correction after a return, withdrawal.
 * Reviewers' transitions are review.ts's; a submission calls the `submitHooks` so the chain can
 * take the application in (review.ts pushes its handler there).
 *
 * Every write names the version its form was made from (`version`) and is one conditional update:
 * a stale form gets a conflict, a foreign or unknown application a 404.
 */
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { isOneOf } from '../platform/guards.js';
import { registerMessages } from '../platform/i18n.js';
import type { MediaStore } from '../platform/media-store.js';
import { activeValues } from '../registries/reference-data.js';
import { CERTIFICATE_SCOPES, DISTRICTS, TIME_HONORED_TIERS } from '../registries/reference.js';
import { documentKey, MAX_DOCUMENTS, tooManyDocuments } from './documents.js';
import { Application, APPLICATION_KINDS, type ApplicationDoc, type ApplicationFile, type ApplicationKind, type ApplicationStatus } from './model.js';

registerMessages({
  'audit.action.application_created': ['创建申报', 'Application created'],
  'audit.action.application_saved': ['保存申报', 'Application saved'],
  'audit.action.application_file_added': ['上传申报材料', 'Application document added'],
  'audit.action.application_file_removed': ['删除申报材料', 'Application document removed'],
  'audit.action.application_submitted': ['提交申报', 'Application submitted'],
  'audit.action.application_withdrawn': ['撤回申报', 'Application withdrawn'],
});

/** Runs after each (re)submission with the application's number: review.ts's "enter the chain" handler. */
export const submitHooks: Array<(id: string) => Promise<void>> = [];

/** "SB20261204-7K4QXM". */
export const APPLICATION_ID = /^SB\d{8}-[0-9A-HJKMNP-TV-Z]{6}$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** "SB" + the Asia/Shanghai day + "-" + six Crockford base32 characters. */
export function newApplicationNumber(now = new Date()): string {
  const tail = [...randomBytes(6)].map((b) => CROCKFORD[b % 32]).join('');
  const day = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `SB${day}-${tail}`;
}

// ─── What each kind needs ───────────────────────────────────────────────────────────────────────

export interface FieldDef {
  name: string;
  zh: string;
  en: string;
  type: 'text' | 'textarea' | 'select' | 'year';
  required: boolean;
  max: number;
  /** select: the values. */
  options?: readonly string[];
  /** Taken from the account, not from the form. */
  fromAccount?: 'company' | 'creditCode';
  readonly?: boolean;
  hintZh?: string;
  hintEn?: string;
}

export interface SlotDef {
  key: string;
  zh: string;
  en: string;
  required: boolean;
}

const f = (name: string, zh: string, en: string, type: FieldDef['type'], required: boolean, max: number, more: Partial<FieldDef> = {}): FieldDef => ({
  name,
  zh,
  en,
  type,
  required,
  max,
  ...more,
});

const COMMON: FieldDef[] = [
  f('brandName', '品牌名称', 'Brand name', 'text', true, 60),
  f('company', '申报企业', 'Company', 'text', true, 100, { fromAccount: 'company' }),
  f('creditCode', '统一社会信用代码', 'Unified social credit code', 'text', true, 18, { fromAccount: 'creditCode', readonly: true }),
  f('district', '所在区', 'District', 'select', true, 20, { options: DISTRICTS }),
  f('industry', '所属行业', 'Industry', 'text', true, 40),
];

export const FIELDS_BY_KIND: Readonly<Record<ApplicationKind, readonly FieldDef[]>> = {
  time_honored: [
    ...COMMON,
    f('foundedYear', '创立年份', 'Year founded', 'year', true, 4, { hintZh: '如 1898', hintEn: 'e.g. 1898' }),
    f('address', '经营地址', 'Business address', 'text', true, 200),
    f('heritage', '传承技艺与历史沿革', 'Heritage and history', 'textarea', true, 4000),
    f('story', '品牌故事', 'Brand story', 'textarea', true, 4000),
  ],
  certification: [
    ...COMMON,
    f('product', '申报产品（服务）', 'Product or service', 'text', true, 100),
    f('scope', '认证范围', 'Scope', 'select', true, 10, { options: CERTIFICATE_SCOPES }),
    f('description', '产品说明', 'Description', 'textarea', false, 4000),
  ],
  directory: [
    ...COMMON,
    f('trademarkNo', '商标注册号', 'Trademark registration number', 'text', true, 20),
    f('description', '品牌简介', 'About the brand', 'textarea', false, 4000),
  ],
  famous: [
    ...COMMON,
    f('trademarkNo', '商标注册号', 'Trademark registration number', 'text', true, 20),
    f('niceClass', '核定使用类别（尼斯分类）', 'Nice class', 'text', true, 2, { hintZh: '1–45', hintEn: '1–45' }),
    f('reputation', '知名度与保护情况', 'Reputation and protection', 'textarea', true, 4000),
  ],
};

const LICENSE: SlotDef = { key: 'license', zh: '营业执照', en: 'Business licence', required: true };
const OTHER: SlotDef = { key: 'other', zh: '其他材料', en: 'Other documents', required: false };

export const SLOTS_BY_KIND: Readonly<Record<ApplicationKind, readonly SlotDef[]>> = {
  time_honored: [LICENSE, { key: 'history', zh: '历史沿革证明', en: 'Proof of history', required: true }, OTHER],
  certification: [LICENSE, { key: 'quality', zh: '产品检验报告', en: 'Product test report', required: true }, OTHER],
  directory: [LICENSE, { key: 'trademark', zh: '商标注册证', en: 'Trademark registration certificate', required: true }, OTHER],
  famous: [LICENSE, { key: 'trademark', zh: '商标注册证', en: 'Trademark registration certificate', required: true }, OTHER],
};

/** What an application of this kind may aim at: the 老字号 tier, the certification level, or nothing. */
export function targetsOf(kind: ApplicationKind): readonly string[] {
  if (kind === 'time_honored') return TIME_HONORED_TIERS;
  if (kind === 'certification') return activeValues('certificate-level');
  return [];
}

export const EDITABLE: readonly ApplicationStatus[] = ['draft', 'returned'];
/** Before a decision the enterprise may withdraw. */
export const WITHDRAWABLE: readonly ApplicationStatus[] = ['draft', 'submitted', 'in_review', 'returned', 'notice'];

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });
const clean = (s: string, multiline: boolean) =>
  (multiline ? s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\r\n?/g, '\n') : s.replace(/[\u0000-\u001f\u007f]/g, '')).trim();

export interface Owner {
  id: string;
  email: string;
  company: string;
  creditCode: string;
}

const actorOf = (o: Owner) => `enterprise:${o.email}`;
const ownerId = (o: Owner) => new mongoose.Types.ObjectId(o.id);

/**
 * The working copy's fields from a form: known fields only, strings cleaned, lengths and choices
 * checked (problems per field); the account's fields come from the account. Empty is allowed here
 * (drafts may be partial): `missingProblems` checks what submitting needs.
 */
export function readFields(kind: ApplicationKind, form: Record<string, string>, owner: Owner): { fields: Record<string, string>; problems: FieldProblem[] } {
  const fields: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  const year = new Date().getUTCFullYear();
  for (const d of FIELDS_BY_KIND[kind]) {
    if (d.fromAccount === 'creditCode') {
      fields[d.name] = owner.creditCode;
      continue;
    }
    const raw = typeof form[d.name] === 'string' ? form[d.name]! : d.fromAccount ? owner[d.fromAccount] : '';
    const v = clean(raw, d.type === 'textarea');
    fields[d.name] = [...v].slice(0, d.max).join('');
    if (!v) continue;
    if ([...v].length > d.max) problems.push(problem(d.name, `${d.zh}不能超过${d.max}个字符`, `${d.en} is at most ${d.max} characters`));
    else if (d.type === 'select' && d.options && !d.options.includes(v)) problems.push(problem(d.name, `请选择${d.zh}`, `choose a ${d.en.toLowerCase()}`));
    else if (d.type === 'year' && (!/^\d{4}$/.test(v) || Number(v) < 1000 || Number(v) > year))
      problems.push(problem(d.name, `${d.zh}应为 1000–${year} 之间的四位年份`, `${d.en} must be a year between 1000 and ${year}`));
    else if (d.name === 'niceClass' && (!/^\d{1,2}$/.test(v) || Number(v) < 1 || Number(v) > 45))
      problems.push(problem(d.name, `${d.zh}应为 1–45`, `${d.en} must be 1–45`));
    else if (d.name === 'trademarkNo' && !/^[0-9A-Za-z]{1,20}$/.test(v))
      problems.push(problem(d.name, `${d.zh}只能包含数字和字母`, `${d.en} may only contain digits and letters`));
  }
  return { fields, problems };
}

/** What a submission lacks: every required field, the target, every required document slot. */
export function missingProblems(app: Pick<ApplicationDoc, 'kind' | 'target' | 'fields' | 'files'>): FieldProblem[] {
  const out: FieldProblem[] = [];
  const targets = targetsOf(app.kind);
  if (targets.length && !targets.includes(app.target)) out.push(problem('target', '请选择申报级别', 'choose what you apply for'));
  for (const d of FIELDS_BY_KIND[app.kind]) {
    const v = app.fields[d.name];
    if (d.required && (typeof v !== 'string' || v.trim() === '')) out.push(problem(d.name, `请填写${d.zh}`, `${d.en} is required`));
  }
  for (const s of SLOTS_BY_KIND[app.kind]) {
    if (s.required && !app.files.some((x) => x.slot === s.key)) out.push(problem(`slot.${s.key}`, `请上传${s.zh}`, `upload the ${s.en.toLowerCase()}`));
  }
  return out;
}

// ─── Reading ────────────────────────────────────────────────────────────────────────────────────

/** The enterprise's applications, newest first. */
export async function listMine(owner: Owner): Promise<ApplicationDoc[]> {
  return Application.find({ enterprise: ownerId(owner) })
    .sort({ createdAt: -1 })
    .limit(200)
    .lean<ApplicationDoc[]>();
}

/** One of the enterprise's applications; another's (or an unknown number) is not found. */
export async function findMine(owner: Owner, id: unknown): Promise<ApplicationDoc> {
  if (typeof id !== 'string' || !APPLICATION_ID.test(id)) throw notFound('申报', 'application');
  const app = await Application.findOne({ _id: id, enterprise: ownerId(owner) }).lean<ApplicationDoc>();
  if (!app) throw notFound('申报', 'application');
  return app;
}

/** A file of the application: the working copy's or any submitted version's. */
export function fileOf(app: ApplicationDoc, fileId: unknown): ApplicationFile | null {
  if (typeof fileId !== 'string' || !/^[a-f0-9]{16}$/.test(fileId)) return null;
  return app.files.find((x) => x.id === fileId) ?? app.versions.flatMap((v) => v.files).find((x) => x.id === fileId) ?? null;
}

const conflict = () =>
  new AppError('conflict', '该申报在您打开页面后已有变动，请查看最新内容后重试', {
    messageEn: 'The application changed after you opened this page; check the latest state and try again',
  });

const notEditable = () => new AppError('conflict', '该申报已提交，当前不能修改', { messageEn: 'The application has been submitted and cannot be changed now' });

const parseVersion = (v: unknown): number => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : typeof v === 'number' ? v : -1);

/** Why a conditional write found nothing: 404, not editable, or stale. */
async function refusal(owner: Owner, id: string, statuses: readonly ApplicationStatus[]): Promise<AppError> {
  const app = await findMine(owner, id);
  if (!statuses.includes(app.status)) return notEditable();
  return conflict();
}

// ─── Writing ────────────────────────────────────────────────────────────────────────────────────

/** A new draft of `kind` (target checked if given), its fields started from the account. */
export async function createApplication(audit: EventRecorder, owner: Owner, kind: unknown, target: unknown, now = new Date()): Promise<ApplicationDoc> {
  if (!isOneOf(APPLICATION_KINDS, kind)) throw validationFailed([problem('kind', '请选择申报类别', 'choose the kind of application')]);
  const targets = targetsOf(kind);
  const t = typeof target === 'string' ? target.trim() : '';
  if (targets.length ? !targets.includes(t) : t !== '') throw validationFailed([problem('target', '请选择申报级别', 'choose what you apply for')]);
  const { fields } = readFields(kind, {}, owner);
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await Application.create({ _id: newApplicationNumber(now), enterprise: ownerId(owner), kind, target: t, status: 'draft', fields, files: [] });
      await audit.record({ action: 'application_created', actor: actorOf(owner), subject: `application:${doc._id}`, detail: { kind, target: t }, at: now });
      return doc.toObject();
    } catch (err) {
      if (attempt < 3 && err instanceof Error && 'code' in err && err.code === 11000) continue;
      throw err;
    }
  }
}

/** Saves the working copy (draft or returned). Field problems → validation_failed (nothing saved). */
export async function saveApplication(audit: EventRecorder, owner: Owner, id: string, form: Record<string, string>, now = new Date()): Promise<ApplicationDoc> {
  const app = await findMine(owner, id);
  if (!EDITABLE.includes(app.status)) throw notEditable();
  const { fields, problems } = readFields(app.kind, form, owner);
  const targets = targetsOf(app.kind);
  let target = app.target;
  if (targets.length && typeof form.target === 'string') {
    if (!targets.includes(form.target)) problems.push(problem('target', '请选择申报级别', 'choose what you apply for'));
    else target = form.target;
  }
  if (problems.length) throw validationFailed(problems);
  const saved = await Application.findOneAndUpdate(
    { _id: app._id, enterprise: app.enterprise, version: parseVersion(form.version), status: mongoose.trusted({ $in: EDITABLE }) },
    { $set: { fields, target }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ApplicationDoc>();
  if (!saved) throw await refusal(owner, id, EDITABLE);
  await audit.record({ action: 'application_saved', actor: actorOf(owner), subject: `application:${app._id}`, detail: { version: saved.version }, at: now });
  return saved;
}

/** Freezes the working copy as the next version and hands it to the chain (submitHooks). */
export async function submitApplication(
  audit: EventRecorder,
  owner: Owner,
  id: string,
  version: unknown,
  o: { now?: Date; onHookError?: (err: unknown) => void } = {},
): Promise<ApplicationDoc> {
  const now = o.now ?? new Date();
  const app = await findMine(owner, id);
  if (!EDITABLE.includes(app.status)) throw notEditable();
  if (app.version !== parseVersion(version)) throw conflict();
  const missing = missingProblems(app);
  if (missing.length) throw validationFailed(missing);
  const n = app.versions.length + 1;
  const frozen = { n, submittedAt: now, fields: { ...app.fields, target: app.target }, files: app.files.map((x) => ({ ...x })) };
  const saved = await Application.findOneAndUpdate(
    { _id: app._id, enterprise: app.enterprise, version: app.version, status: app.status },
    { $set: { status: 'submitted', step: '', stepDueAt: null, submittedAt: now }, $push: { versions: frozen }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ApplicationDoc>();
  if (!saved) throw await refusal(owner, id, EDITABLE);
  await audit.record({
    action: 'application_submitted',
    actor: actorOf(owner),
    subject: `application:${app._id}`,
    detail: { kind: app.kind, target: app.target, n, files: frozen.files.length, resubmitted: app.status === 'returned' },
    at: now,
  });
  // The submission stands whatever a hook does: a failed hook is reported, and the application
  // waits as 'submitted' for the chain to take it in.
  for (const hook of submitHooks) {
    try {
      await hook(app._id);
    } catch (err) {
      if (!o.onHookError) throw err;
      o.onHookError(err);
    }
  }
  return (await Application.findById(app._id).lean<ApplicationDoc>()) ?? saved;
}

/** Withdraws an application not yet decided. */
export async function withdrawApplication(audit: EventRecorder, owner: Owner, id: string, version: unknown, now = new Date()): Promise<ApplicationDoc> {
  const app = await findMine(owner, id);
  if (!WITHDRAWABLE.includes(app.status))
    throw new AppError('conflict', '该申报已有决定，不能撤回', { messageEn: 'The application has been decided and cannot be withdrawn' });
  const saved = await Application.findOneAndUpdate(
    { _id: app._id, enterprise: app.enterprise, version: parseVersion(version), status: mongoose.trusted({ $in: WITHDRAWABLE }) },
    { $set: { status: 'withdrawn', step: '', stepDueAt: null }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ApplicationDoc>();
  if (!saved) throw await refusal(owner, id, WITHDRAWABLE);
  await audit.record({ action: 'application_withdrawn', actor: actorOf(owner), subject: `application:${app._id}`, detail: { from: app.status }, at: now });
  return saved;
}

/** The application a document may be added to now (editable, below MAX_DOCUMENTS), before its bytes are read. */
export async function checkCanAddFile(owner: Owner, id: string): Promise<ApplicationDoc> {
  const app = await findMine(owner, id);
  if (!EDITABLE.includes(app.status)) throw notEditable();
  if (app.files.length >= MAX_DOCUMENTS) throw tooManyDocuments();
  return app;
}

/** Adds a stored document to the working copy (its bytes are removed again if the application changed meanwhile). */
export async function addFile(
  audit: EventRecorder,
  store: MediaStore,
  owner: Owner,
  id: string,
  file: ApplicationFile,
  now = new Date(),
): Promise<ApplicationDoc> {
  const saved = await Application.findOneAndUpdate(
    { _id: id, enterprise: ownerId(owner), status: mongoose.trusted({ $in: EDITABLE }), [`files.${MAX_DOCUMENTS - 1}`]: mongoose.trusted({ $exists: false }) },
    { $push: { files: file }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ApplicationDoc>();
  if (!saved) {
    await store.removePrefix(documentKey(id, file.id)).catch(() => undefined);
    const app = await findMine(owner, id);
    throw EDITABLE.includes(app.status) ? tooManyDocuments() : notEditable();
  }
  await audit.record({
    action: 'application_file_added',
    actor: actorOf(owner),
    subject: `application:${id}`,
    detail: { file: file.id, slot: file.slot, name: file.name, type: file.type, size: file.size, sha256: file.sha256 },
    at: now,
  });
  return saved;
}

/** Removes a document from the working copy; its bytes go unless a submitted version keeps them. */
export async function removeFile(
  audit: EventRecorder,
  store: MediaStore,
  owner: Owner,
  id: string,
  fileId: unknown,
  now = new Date(),
): Promise<ApplicationDoc> {
  const app = await findMine(owner, id);
  if (!EDITABLE.includes(app.status)) throw notEditable();
  const file = typeof fileId === 'string' ? app.files.find((x) => x.id === fileId) : undefined;
  if (!file) throw notFound('文件', 'file');
  const saved = await Application.findOneAndUpdate(
    { _id: app._id, enterprise: app.enterprise, status: mongoose.trusted({ $in: EDITABLE }) },
    { $pull: { files: { id: file.id } }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ApplicationDoc>();
  if (!saved) throw notEditable();
  if (!app.versions.some((v) => v.files.some((x) => x.id === file.id))) await store.removePrefix(documentKey(app._id, file.id)).catch(() => undefined);
  await audit.record({
    action: 'application_file_removed',
    actor: actorOf(owner),
    subject: `application:${app._id}`,
    detail: { file: file.id, slot: file.slot, name: file.name },
    at: now,
  });
  return saved;
}
