/**
 * Reports: taking one from the public (validated, its subject resolved, a ticket number issued,
 * audited) and a regulator's work on it (status, public reply, notes), with a version check so two
 * regulators never silently overwrite each other. Knows nothing of req/res.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { Brand, Certificate } from '../registries/models.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { Report, ReportClaim, REPORT_KINDS, REPORT_STATUSES, type ReportDoc, type ReportStatus } from './model.js';

/** "JB" + the day + six characters of Crockford base32: unguessable, readable over the phone. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TICKET = /^JB\d{8}-[0-9A-HJKMNP-TV-Z]{6}$/;

export function newTicketNumber(now = new Date()): string {
  const bytes = randomBytes(6);
  const tail = [...bytes].map((b) => ALPHABET[b % 32]).join('');
  const day = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `JB${day}-${tail}`;
}

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** Control characters out, runs of blank lines kept to one: what a person typed, and nothing else. */
const clean = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

const text = (max: number) => z.string().transform(clean).pipe(z.string().max(max));

const reportInput = z.object({
  kind: z.enum(REPORT_KINDS),
  brand: z.string().max(80).optional(),
  certificate: z.string().max(40).optional(),
  description: text(2000).pipe(z.string().min(10)),
  contactName: text(50).optional(),
  contact: text(120).optional(),
});

const FIELD_WORDS: Record<string, [string, string]> = {
  kind: ['请选择反映的问题类型', 'choose what the report is about'],
  description: ['请用 10–2000 字说明问题', 'describe the problem in 10–2000 characters'],
  contactName: ['称呼最多 50 字', 'at most 50 characters'],
  contact: ['联系方式最多 120 字', 'at most 120 characters'],
  brand: ['品牌标识不正确', 'not a brand'],
  certificate: ['证书编号不正确', 'not a certificate number'],
};

export interface NewReport {
  kind: string;
  brand?: string;
  certificate?: string;
  description: string;
  contactName?: string;
  contact?: string;
}

/**
 * Takes a report from the public. The subject (a brand by slug, or a certificate by number) must
 * exist when given; its name is kept with the report. Returns the ticket.
 */
export async function createReport(audit: EventRecorder, input: Record<string, unknown>, now = new Date()): Promise<ReportDoc> {
  const parsed = reportInput.safeParse(input);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'description')))];
    throw validationFailed(fields.map((f) => problem(f, (FIELD_WORDS[f] ?? FIELD_WORDS.description!)[0], (FIELD_WORDS[f] ?? FIELD_WORDS.description!)[1])));
  }
  const v = parsed.data;
  let subjectType: ReportDoc['subjectType'] = 'none';
  let subjectRef = '';
  let subjectName = '';
  if (v.certificate) {
    const number = v.certificate.trim().toUpperCase();
    const c = /^[0-9A-Z-]{1,32}$/.test(number) ? await Certificate.findOne({ number }, { number: 1, product: 1 }).lean() : null;
    // A certificate that does not check out is exactly what a suspected-fake report is about: keep the number as given.
    subjectType = 'certificate';
    subjectRef = number.slice(0, 32);
    subjectName = c ? c.product : '';
    if (!c && v.kind !== 'fake') throw validationFailed([problem('certificate', '查无此证书编号', 'no certificate with this number')]);
  } else if (v.brand) {
    const b = BRAND_SLUG.test(v.brand) ? await Brand.findOne({ slug: v.brand }, { slug: 1, name: 1 }).lean() : null;
    if (!b) throw validationFailed([problem('brand', FIELD_WORDS.brand![0], FIELD_WORDS.brand![1])]);
    subjectType = 'brand';
    subjectRef = b.slug;
    subjectName = b.name;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await Report.create({
        _id: newTicketNumber(now),
        kind: v.kind,
        subjectType,
        subjectRef,
        subjectName,
        description: v.description,
        contactName: v.contactName ?? '',
        contact: v.contact ?? '',
        status: 'received',
      });
      const report = doc.toObject();
      // The reporter is anonymous to the trail; the ticket is its subject.
      await audit.record({ action: 'report_received', actor: 'public', subject: report._id, detail: { kind: v.kind, subjectType, subjectRef }, at: now });
      return report;
    } catch (err) {
      // 30 bits of randomness a day: a clash is rare; try another number.
      if (attempt < 3 && err instanceof Error && 'code' in err && err.code === 11000) continue;
      throw err;
    }
  }
}

/** A ticket for its public status page (no contact, no notes), or null. */
export async function findReport(ticket: string): Promise<ReportDoc | null> {
  const id = ticket.trim().toUpperCase();
  return TICKET.test(id) ? Report.findById(id).lean<ReportDoc>() : null;
}

export interface ReportChange {
  status: string;
  publicReply: string;
  internalNote: string;
}

const changeInput = z.object({
  status: z.enum(REPORT_STATUSES),
  publicReply: text(2000),
  internalNote: text(4000),
});

/**
 * A regulator's step on a ticket. `version` is the one the regulator's form was made from: if the
 * ticket changed since, nothing is written and a conflict is thrown. Closing a ticket (resolved,
 * rejected) needs a public reply — the reporter is owed an answer.
 */
export async function updateReport(audit: EventRecorder, actor: string, ticket: string, version: number, input: Record<string, unknown>): Promise<ReportDoc> {
  const parsed = changeInput.safeParse(input);
  if (!parsed.success) {
    throw validationFailed([...new Set(parsed.error.issues.map((i) => String(i.path[0])))].map((f) => problem(f, '内容不正确或过长', 'invalid or too long')));
  }
  const v = parsed.data;
  const closing: ReportStatus[] = ['resolved', 'rejected'];
  if (closing.includes(v.status) && !v.publicReply) {
    throw validationFailed([problem('publicReply', '办结或不予受理时请填写给反映人的答复', 'a closed ticket needs a reply to the reporter')]);
  }
  const conflict = () =>
    new AppError('conflict', '该工单已被他人修改，请刷新后重试', { messageEn: 'Someone else changed this ticket; reload it and try again' });
  const before = await Report.findById(ticket).lean<ReportDoc>();
  if (!before) throw notFound('工单', 'ticket');
  if (before.version !== version) throw conflict();
  // The next version is claimed by an insert on a unique _id — atomic on every server, where a
  // conditional update is not on all of them — so of two regulators saving at once, one wins.
  await claimVersion(ticket, version, actor, conflict);
  const updated = await Report.findOneAndUpdate({ _id: ticket }, { $set: { ...v, version: version + 1 } }, { returnDocument: 'after' }).lean<ReportDoc>();
  if (!updated) throw notFound('工单', 'ticket');
  const changed = (['status', 'publicReply', 'internalNote'] as const).filter((f) => before[f] !== updated[f]);
  await audit.record({
    action: 'report_update',
    actor,
    subject: ticket,
    detail: { version: updated.version, fields: changed, ...(changed.includes('status') ? { status: { before: before.status, after: updated.status } } : {}) },
  });
  return updated;
}

/** A claim older than this whose ticket never reached its version was left by a save that died half-way. */
const CLAIM_LEASE_MS = 30_000;

async function claimVersion(ticket: string, version: number, actor: string, conflict: () => Error): Promise<void> {
  const id = `${ticket}:${version + 1}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await ReportClaim.create({ _id: id, actor, at: new Date() });
      return;
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 11000)) throw err;
      // Taken: by a save that won (the ticket moved on: a conflict), or by one that died between
      // its claim and its write (the ticket is still at `version` long after): that claim is void.
      const claim = await ReportClaim.findById(id).lean();
      const current = await Report.findById(ticket, { version: 1 }).lean();
      const stale = claim && current?.version === version && Date.now() - new Date(claim.at).getTime() > CLAIM_LEASE_MS;
      if (!stale || attempt > 0) throw conflict();
      await ReportClaim.deleteOne({ _id: id, at: claim.at });
    }
  }
}

/** The back office's queue: newest first, optionally one status. */
export async function listReports(status: ReportStatus | undefined, limit = 100): Promise<ReportDoc[]> {
  return Report.find(status ? { status } : {})
    .sort({ createdAt: -1 })
    .limit(limit)
    .lean<ReportDoc[]>();
}
