/**
 * Public notices (公示) and objections (异议), issue #15 item 3. Knows nothing of req/res.
 *
 *   createNotice   a draft batch of one application kind, id "<year>-<n>"
 *   addEntry / removeEntry   an application waiting at the notice step (in_review, step 'notice',
 *                  notice null) joins a draft batch (its `notice` is set, so no other batch takes it)
 *   publishNotice  startsOn (today or later, Beijing), endsOn = the workingDays-th working day
 *                  counting startsOn; status running; the applications' status becomes 'notice'
 *   closeEndedNotices  after endsOn: ended; each application without an open objection moves to
 *                  the decision step; the others wait until their last objection is resolved
 *   fileObjection / resolveObjection   the public's objections and the reviewers' resolutions
 *
 * Every write names the version its form was made from (a stale one is a conflict) and is audited.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { registerMessages } from '../platform/i18n.js';
import { addWorkingDays, beijingDate, beijingDay, isWorkingDay, parseDate } from './calendar.js';
import {
  APPLICATION_KINDS,
  Application,
  DEFAULT_CHAIN,
  Notice,
  Objection,
  ReviewChain,
  type ApplicationDoc,
  type ApplicationFile,
  type ApplicationKind,
  type ChainStep,
  type NoticeDoc,
  type ObjectionDoc,
} from './model.js';

registerMessages({
  'audit.action.notice_created': ['创建公示批次', 'Notice batch created'],
  'audit.action.notice_updated': ['调整公示批次', 'Notice batch changed'],
  'audit.action.notice_published': ['发布公示', 'Notice published'],
  'audit.action.notice_ended': ['公示期满', 'Notice ended'],
  'audit.action.application_notice': ['申报公示进程', 'Application in public notice'],
  'audit.action.objection_filed': ['收到公示异议', 'Objection filed'],
  'audit.action.objection_resolved': ['处理公示异议', 'Objection resolved'],
});

export const WORKING_DAYS_MIN = 5;
export const WORKING_DAYS_MAX = 15;
export const WORKING_DAYS_DEFAULT = 7;
export const GROUNDS_MIN = 10;
export const GROUNDS_MAX = 4000;
export const RESOLUTION_MAX = 2000;
export const OBJECTION_FILES_MAX = 3;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** An objection's receipt: "YY" (异议) + the Beijing day + six Crockford base32 characters. */
export const RECEIPT = /^YY\d{8}-[0-9A-HJKMNP-TV-Z]{6}$/;
export const NOTICE_ID = /^\d{4}-\d{1,3}$/;

export function newReceipt(now = new Date()): string {
  const tail = [...randomBytes(6)].map((b) => ALPHABET[b % 32]).join('');
  return `YY${beijingDate(now).replace(/-/g, '')}-${tail}`;
}

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** Control characters out (newlines kept), trimmed. */
export const cleanText = (s: unknown): string =>
  typeof s === 'string'
    ? s
        .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
        .replace(/\r\n?/g, '\n')
        .trim()
    : '';
const oneLine = (s: unknown) => cleanText(s).replace(/\s+/g, ' ');
const chars = (s: string) => [...s].length;

const conflict = (what: string, whatEn: string) =>
  new AppError('conflict', `该${what}已被他人修改，请刷新后重试`, { messageEn: `Someone else changed this ${whatEn}; reload it and try again` });

function versionOf(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new AppError('bad_request', '缺少版本号', { messageEn: 'The form has no version' });
  return n;
}

// ─── The chain's notice and decision steps ─────────────────────────────────────────────────────

async function stepsOf(kind: ApplicationKind): Promise<readonly ChainStep[]> {
  const chain = await ReviewChain.findById(kind).lean<{ steps: ChainStep[] }>();
  return chain?.steps?.length ? chain.steps : DEFAULT_CHAIN;
}

export async function noticeStepOf(kind: ApplicationKind): Promise<ChainStep> {
  return (await stepsOf(kind)).find((s) => s.type === 'notice') ?? DEFAULT_CHAIN.find((s) => s.type === 'notice')!;
}

async function decisionStepOf(kind: ApplicationKind): Promise<ChainStep> {
  return (await stepsOf(kind)).find((s) => s.type === 'decision') ?? DEFAULT_CHAIN.find((s) => s.type === 'decision')!;
}

// ─── Reads ──────────────────────────────────────────────────────────────────────────────────────

export const findNotice = (id: string) => (NOTICE_ID.test(id) ? Notice.findById(id).lean<NoticeDoc>() : Promise.resolve(null));
export const findObjection = (receipt: string) => (RECEIPT.test(receipt) ? Objection.findById(receipt).lean<ObjectionDoc>() : Promise.resolve(null));

export async function listNotices(o: { publicOnly?: boolean } = {}): Promise<NoticeDoc[]> {
  const filter: Record<string, unknown> = o.publicOnly ? { status: mongoose.trusted({ $in: ['running', 'ended'] }) } : {};
  return Notice.find(filter).sort({ startsOn: -1, createdAt: -1 }).limit(500).lean<NoticeDoc[]>();
}

/** Applications of `kind` waiting at the notice step for a batch. */
export async function waitingApplications(kind: ApplicationKind): Promise<ApplicationDoc[]> {
  const step = await noticeStepOf(kind);
  return Application.find({ kind, status: 'in_review', step: step.key, notice: null }).sort({ stepDueAt: 1 }).limit(500).lean<ApplicationDoc[]>();
}

/** Open objections per application id. */
export async function openObjectionCounts(applicationIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!applicationIds.length) return out;
  const rows = await Objection.find({ application: mongoose.trusted({ $in: applicationIds }), status: 'open' }, { application: 1 }).lean<
    Array<{ application: string }>
  >();
  for (const r of rows) out.set(r.application, (out.get(r.application) ?? 0) + 1);
  return out;
}

/** The last day of a running notice has passed (Beijing days). */
export const noticeOver = (n: Pick<NoticeDoc, 'endsOn'>, now: Date) => Boolean(n.endsOn && beijingDay(now).getTime() > n.endsOn.getTime());
/** Objections are taken from startsOn through endsOn. */
export const takingObjections = (n: Pick<NoticeDoc, 'status' | 'startsOn' | 'endsOn'>, now: Date) =>
  n.status === 'running' && Boolean(n.startsOn && n.startsOn.getTime() <= beijingDay(now).getTime()) && !noticeOver(n, now);

// ─── Batches ────────────────────────────────────────────────────────────────────────────────────

export interface NoticeInput {
  title: unknown;
  kind: unknown;
  batch: unknown;
  workingDays: unknown;
}

function parseNoticeInput(input: NoticeInput) {
  const problems: FieldProblem[] = [];
  const title = oneLine(input.title);
  const batch = oneLine(input.batch);
  const kind = APPLICATION_KINDS.find((k) => k === input.kind);
  const wdRaw = input.workingDays === undefined || input.workingDays === '' ? WORKING_DAYS_DEFAULT : Number(input.workingDays);
  if (!title || chars(title) > 100) problems.push(problem('title', '请填写标题（最多 100 字）', 'give a title (at most 100 characters)'));
  if (!kind) problems.push(problem('kind', '请选择申报类别', 'choose the kind of application'));
  if (chars(batch) > 40) problems.push(problem('batch', '批次最多 40 字（如“2026年第三批”）', 'at most 40 characters (like 2026年第三批)'));
  if (!Number.isInteger(wdRaw) || wdRaw < WORKING_DAYS_MIN || wdRaw > WORKING_DAYS_MAX)
    problems.push(
      problem('workingDays', `公示期须为 ${WORKING_DAYS_MIN}–${WORKING_DAYS_MAX} 个工作日`, `${WORKING_DAYS_MIN}–${WORKING_DAYS_MAX} working days`),
    );
  if (problems.length || !kind) throw validationFailed(problems);
  return { title, batch, kind, workingDays: wdRaw };
}

/** A new draft batch: "<year>-<n>", n one more than the year's highest. */
export async function createNotice(audit: EventRecorder, actor: string, input: NoticeInput, now = new Date()): Promise<NoticeDoc> {
  const v = parseNoticeInput(input);
  const year = beijingDate(now).slice(0, 4);
  for (let attempt = 0; attempt < 20; attempt++) {
    const ids = await Notice.find({ _id: mongoose.trusted({ $regex: `^${year}-` }) }, { _id: 1 }).lean<Array<{ _id: string }>>();
    const n = Math.max(0, ...ids.map((r) => Number(r._id.split('-')[1]) || 0)) + 1 + attempt;
    const id = `${year}-${n}`;
    try {
      const doc = await Notice.create({ _id: id, ...v, status: 'draft', entries: [], version: 1 });
      await audit.record({ action: 'notice_created', actor, subject: `notice:${id}`, detail: { ...v } });
      return doc.toObject();
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && err.code === 11000) continue;
      throw err;
    }
  }
  throw new Error('no free notice id');
}

/** Changes a draft's title, batch name or length. */
export async function updateNotice(audit: EventRecorder, actor: string, id: string, version: unknown, input: Omit<NoticeInput, 'kind'>): Promise<NoticeDoc> {
  const n = await findNotice(id);
  if (!n) throw notFound('公示批次', 'notice');
  const v = parseNoticeInput({ ...input, kind: n.kind });
  if (n.status !== 'draft') throw new AppError('conflict', '公示已发布，不能再修改', { messageEn: 'The notice is published and cannot be changed' });
  const doc = await Notice.findOneAndUpdate(
    { _id: id, version: versionOf(version), status: 'draft' },
    { $set: { title: v.title, batch: v.batch, workingDays: v.workingDays }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<NoticeDoc>();
  if (!doc) throw conflict('公示批次', 'notice');
  await audit.record({ action: 'notice_updated', actor, subject: `notice:${id}`, detail: { title: v.title, batch: v.batch, workingDays: v.workingDays } });
  return doc;
}

async function draftFor(id: string, version: unknown): Promise<NoticeDoc> {
  const n = await findNotice(id);
  if (!n) throw notFound('公示批次', 'notice');
  if (n.status !== 'draft') throw new AppError('conflict', '公示已发布，不能再调整名单', { messageEn: 'The notice is published; its list cannot change' });
  if (n.version !== versionOf(version)) throw conflict('公示批次', 'notice');
  return n;
}

/** Puts a waiting application (of the batch's kind) into a draft batch. */
export async function addEntry(audit: EventRecorder, actor: string, id: string, version: unknown, applicationId: unknown): Promise<NoticeDoc> {
  const n = await draftFor(id, version);
  const appId = typeof applicationId === 'string' ? applicationId.trim() : '';
  const step = await noticeStepOf(n.kind);
  const app = appId
    ? await Application.findOneAndUpdate(
        { _id: appId, kind: n.kind, status: 'in_review', step: step.key, notice: null },
        { $set: { notice: id }, $inc: { version: 1 } },
        { returnDocument: 'after' },
      ).lean<ApplicationDoc>()
    : null;
  if (!app)
    throw validationFailed([problem('application', '该申报不在等待公示的名单中（或类别不符）', 'that application is not waiting for a notice of this kind')]);
  const doc = await Notice.findOneAndUpdate(
    { _id: id, version: n.version, status: 'draft' },
    { $addToSet: { entries: app._id }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<NoticeDoc>();
  if (!doc) {
    await Application.updateOne({ _id: app._id, notice: id, status: 'in_review' }, { $set: { notice: null }, $inc: { version: 1 } });
    throw conflict('公示批次', 'notice');
  }
  await audit.record({ action: 'notice_updated', actor, subject: `notice:${id}`, detail: { added: app._id } });
  await audit.record({ action: 'application_notice', actor, subject: `application:${app._id}`, detail: { notice: id, event: 'added' } });
  return doc;
}

/** Takes an application out of a draft batch (it waits for another). */
export async function removeEntry(audit: EventRecorder, actor: string, id: string, version: unknown, applicationId: unknown): Promise<NoticeDoc> {
  const n = await draftFor(id, version);
  const appId = typeof applicationId === 'string' ? applicationId.trim() : '';
  if (!n.entries.includes(appId)) throw validationFailed([problem('application', '该申报不在本批次中', 'that application is not in this batch')]);
  const doc = await Notice.findOneAndUpdate(
    { _id: id, version: n.version, status: 'draft' },
    { $pull: { entries: appId }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<NoticeDoc>();
  if (!doc) throw conflict('公示批次', 'notice');
  await Application.updateOne({ _id: appId, notice: id, status: 'in_review' }, { $set: { notice: null }, $inc: { version: 1 } });
  await audit.record({ action: 'notice_updated', actor, subject: `notice:${id}`, detail: { removed: appId } });
  await audit.record({ action: 'application_notice', actor, subject: `application:${appId}`, detail: { notice: id, event: 'removed' } });
  return doc;
}

/** The last day of a notice that starts on `startsOn` (a Beijing day) and runs `workingDays` working days inclusive. */
export async function noticeEnd(startsOn: Date, workingDays: number): Promise<Date> {
  // A start on a non-working day does not count as one of the days.
  const extra = (await isWorkingDay(startsOn)) ? workingDays - 1 : workingDays;
  return beijingDay(await addWorkingDays(startsOn, extra));
}

/** Publishes a draft: from `startsOn` ("YYYY-MM-DD", today or later; default today). */
export async function publishNotice(
  audit: EventRecorder,
  actor: string,
  id: string,
  version: unknown,
  startsOnInput: unknown,
  now = new Date(),
): Promise<NoticeDoc> {
  const n = await draftFor(id, version);
  const today = beijingDay(now);
  const startsOn = startsOnInput === undefined || startsOnInput === '' ? today : parseDate(startsOnInput);
  const problems: FieldProblem[] = [];
  if (!startsOn) problems.push(problem('startsOn', '请填写正确的开始日期（如 2026-12-04）', 'enter a real start date (like 2026-12-04)'));
  else if (startsOn.getTime() < today.getTime()) problems.push(problem('startsOn', '开始日期不能早于今天', 'the start cannot be before today'));
  else if (startsOn.getTime() > today.getTime() + 366 * 86_400_000)
    problems.push(problem('startsOn', '开始日期不能晚于一年后', 'the start must be within a year'));
  if (!n.entries.length) problems.push(problem('entries', '批次中还没有申报', 'the batch has no applications yet'));
  if (problems.length || !startsOn) throw validationFailed(problems);
  const endsOn = await noticeEnd(startsOn, n.workingDays);
  const doc = await Notice.findOneAndUpdate(
    { _id: id, version: n.version, status: 'draft' },
    { $set: { status: 'running', startsOn, endsOn, publishedBy: actor }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<NoticeDoc>();
  if (!doc) throw conflict('公示批次', 'notice');
  await Application.updateMany(
    { _id: mongoose.trusted({ $in: doc.entries }), notice: id, status: 'in_review' },
    { $set: { status: 'notice', stepDueAt: endsOn }, $inc: { version: 1 } },
  );
  await audit.record({
    action: 'notice_published',
    actor,
    subject: `notice:${id}`,
    detail: { startsOn: beijingDate(startsOn), endsOn: beijingDate(endsOn), workingDays: doc.workingDays, entries: doc.entries },
  });
  for (const appId of doc.entries)
    await audit.record({
      action: 'application_notice',
      actor,
      subject: `application:${appId}`,
      detail: { notice: id, event: 'published', endsOn: beijingDate(endsOn) },
    });
  return doc;
}

/** Moves an application whose notice ended, with no open objection, on to the decision step. */
async function moveToDecision(audit: EventRecorder, actor: string, appId: string, now: Date): Promise<boolean> {
  const app = await Application.findOne({ _id: appId, status: 'notice' }).lean<ApplicationDoc>();
  if (!app) return false;
  if (await Objection.exists({ application: appId, status: 'open' })) return false;
  const step = await decisionStepOf(app.kind);
  const stepDueAt = await addWorkingDays(now, step.days);
  const r = await Application.updateOne(
    { _id: appId, status: 'notice', version: app.version },
    { $set: { status: 'in_review', step: step.key, stepDueAt, remindedAt: null }, $inc: { version: 1 } },
  );
  if (r.modifiedCount !== 1) return false;
  await audit.record({
    action: 'application_notice',
    actor,
    subject: `application:${appId}`,
    detail: { notice: app.notice, event: 'to_decision', step: step.key },
  });
  return true;
}

/** Ends every running notice whose last day is before `now`'s Beijing day. Returns the ids ended. */
export async function closeEndedNotices(audit: EventRecorder, now = new Date()): Promise<string[]> {
  const today = beijingDay(now);
  const due = await Notice.find({ status: 'running', endsOn: mongoose.trusted({ $lt: today }) }).lean<NoticeDoc[]>();
  const ended: string[] = [];
  for (const n of due) {
    const doc = await Notice.findOneAndUpdate(
      { _id: n._id, status: 'running' },
      { $set: { status: 'ended' }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    ).lean<NoticeDoc>();
    if (!doc) continue; // another process ended it
    const moved: string[] = [];
    const held: string[] = [];
    for (const appId of doc.entries) ((await moveToDecision(audit, 'system', appId, now)) ? moved : held).push(appId);
    await audit.record({ action: 'notice_ended', actor: 'system', subject: `notice:${n._id}`, detail: { endsOn: beijingDate(n.endsOn!), moved, held } });
    ended.push(n._id);
  }
  return ended;
}

// ─── Objections ─────────────────────────────────────────────────────────────────────────────────

export interface ObjectionInput {
  name: unknown;
  contact: unknown;
  grounds: unknown;
}

/** Checks an objection's fields (before any attachment is stored). */
export function checkObjectionInput(input: ObjectionInput): { name: string; contact: string; grounds: string } {
  const name = oneLine(input.name);
  const contact = oneLine(input.contact);
  const grounds = cleanText(input.grounds).replace(/\n{3,}/g, '\n\n');
  const problems: FieldProblem[] = [];
  if (!name || chars(name) > 50) problems.push(problem('name', '请填写姓名或单位名称（最多 50 字）', 'give your name or organisation (at most 50 characters)'));
  if (!contact || chars(contact) > 120)
    problems.push(problem('contact', '请填写联系方式（电话或邮箱，最多 120 字）', 'give a phone number or e-mail (at most 120 characters)'));
  if (chars(grounds) < GROUNDS_MIN || chars(grounds) > GROUNDS_MAX)
    problems.push(
      problem(
        'grounds',
        `请用 ${GROUNDS_MIN}–${GROUNDS_MAX} 字写明异议的事实和理由`,
        `state the facts and grounds in ${GROUNDS_MIN}–${GROUNDS_MAX} characters`,
      ),
    );
  if (problems.length) throw validationFailed(problems);
  return { name, contact, grounds };
}

const closedRefusal = () =>
  new AppError('conflict', '该公示已结束或尚未开始，不再受理异议', { messageEn: 'This notice is not open for objections (it has ended or not begun)' });

/** Where the objection on `notice` / `application` may go, or throws (not found / closed). */
export async function objectionTarget(noticeId: string, applicationId: string, now = new Date()): Promise<NoticeDoc> {
  const n = await findNotice(noticeId);
  if (!n || n.status === 'draft' || !n.entries.includes(applicationId)) throw notFound('公示条目', 'notice entry');
  if (!takingObjections(n, now)) throw closedRefusal();
  return n;
}

/** Files an objection from the public (the attachments are stored already). Returns it with its receipt. */
export async function fileObjection(
  audit: EventRecorder,
  o: { notice: string; application: string; input: ObjectionInput; files: ApplicationFile[]; receipt?: string },
  now = new Date(),
): Promise<ObjectionDoc> {
  const v = checkObjectionInput(o.input);
  await objectionTarget(o.notice, o.application, now);
  if (o.files.length > OBJECTION_FILES_MAX)
    throw validationFailed([problem('files', `最多 ${OBJECTION_FILES_MAX} 个附件`, `at most ${OBJECTION_FILES_MAX} attachments`)]);
  const doc = await Objection.create({
    _id: o.receipt ?? newReceipt(now),
    notice: o.notice,
    application: o.application,
    ...v,
    files: o.files,
    status: 'open',
    version: 1,
  });
  await audit.record({
    action: 'objection_filed',
    actor: 'public',
    subject: `objection:${doc._id}`,
    detail: { notice: o.notice, application: o.application, files: o.files.length },
  });
  return doc.toObject();
}

export const RESOLUTIONS = ['upheld', 'dismissed'] as const;

/**
 * Resolves an open objection: upheld (维持异议) or dismissed (异议不成立), with the text the
 * objector reads. Neither decides the application (the decision step does); when it was the
 * application's last open objection and its notice has ended, the application moves on to the
 * decision step.
 */
export async function resolveObjection(
  audit: EventRecorder,
  actor: string,
  receipt: string,
  version: unknown,
  input: { outcome: unknown; resolution: unknown },
  now = new Date(),
): Promise<{ objection: ObjectionDoc; moved: boolean }> {
  const ob = await findObjection(receipt);
  if (!ob) throw notFound('异议', 'objection');
  const v = versionOf(version);
  const outcome = RESOLUTIONS.find((r) => r === input.outcome);
  const resolution = cleanText(input.resolution);
  const problems: FieldProblem[] = [];
  if (!outcome) problems.push(problem('outcome', '请选择处理结果', 'choose an outcome'));
  if (!resolution || chars(resolution) > RESOLUTION_MAX)
    problems.push(problem('resolution', `请填写处理意见（最多 ${RESOLUTION_MAX} 字）`, `write the resolution (at most ${RESOLUTION_MAX} characters)`));
  if (problems.length || !outcome) throw validationFailed(problems);
  if (ob.status !== 'open') throw new AppError('conflict', '该异议已处理', { messageEn: 'This objection was resolved already' });
  const doc = await Objection.findOneAndUpdate(
    { _id: receipt, version: v, status: 'open' },
    { $set: { status: outcome, resolution, resolvedBy: actor, resolvedAt: now }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<ObjectionDoc>();
  if (!doc) throw conflict('异议', 'objection');
  await audit.record({
    action: 'objection_resolved',
    actor,
    subject: `objection:${receipt}`,
    detail: { outcome, application: doc.application, notice: doc.notice },
  });
  const n = await findNotice(doc.notice);
  const moved = n?.status === 'ended' ? await moveToDecision(audit, actor, doc.application, now) : false;
  return { objection: doc, moved };
}

export async function listObjections(o: { status?: string; application?: string } = {}): Promise<ObjectionDoc[]> {
  const filter: Record<string, unknown> = {};
  if (o.status) filter.status = o.status;
  if (o.application) filter.application = o.application;
  const rows = await Objection.find(filter).sort({ createdAt: -1 }).limit(1000).lean<ObjectionDoc[]>();
  // Open first, then the newest.
  return rows.sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open'));
}
