/**
 * Handlers of an entry's own page and the writes made from it: the page itself (read by every
 * role), a status change with its reason (动态管理) for each registry kind, and a protection
 * record appended to the famous-mark ledger (appended, never edited).
 */
import type { Model } from 'mongoose';
import { actorOf } from '../../accounts/middleware.js';
import type { FieldProblem } from '../../platform/errors.js';
import { PROTECTION_RECORD_KINDS, type Kind } from '../../registries/reference.js';
import { appendProtectionRecord, changeStatus } from '../../registries/service.js';
import { bodyOf, entryPath, isAppError, load, saved, str, versionOf, type AdminContext, type Handler } from './context.js';
import { conflictPage } from './conflict-page.js';
import { entryPage } from './entry-page.js';
import { parseDay } from './forms.js';
import { SPECS, type EntityKey } from './specs.js';

/** GET /<key>/:id */
export function showEntry(ctx: AdminContext, key: EntityKey): Handler {
  const spec = SPECS[key];
  return async function showEntry(req, res) {
    const doc = await load(spec, String(req.params.id));
    await entryPage(ctx, res, spec, doc, {});
  };
}

/** POST /<kind>/:id/status */
export function statusSubmit(ctx: AdminContext, kind: Kind): Handler {
  const spec = SPECS[kind];
  return async function statusSubmit(req, res) {
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const status = str(body, 'status', problems).trim();
    const reason = str(body, 'statusReason', problems).trim();
    const values = { status, statusReason: reason };
    if (!problems.some((p) => p.field === 'status')) {
      if (!status) problems.push({ field: 'status', message: '请选择新状态', messageEn: 'choose the new status' });
      else if (!spec.statuses!.includes(status)) problems.push({ field: 'status', message: `状态必须是以下之一：${spec.statuses!.join('、')}`, messageEn: `status must be one of: ${spec.statuses!.join(', ')}` });
      else if (status === doc.status) problems.push({ field: 'status', message: '新状态与当前状态相同', messageEn: 'the new status is the current status' });
    }
    if (!problems.some((p) => p.field === 'statusReason')) {
      if (!reason) problems.push({ field: 'statusReason', message: '请填写状态变更原因', messageEn: 'a reason for the status change is required' });
      else if (reason.length > 500) problems.push({ field: 'statusReason', message: '原因不能超过500个字符', messageEn: 'the reason is at most 500 characters' });
    }
    if (problems.length) return entryPage(ctx, res, spec, doc, { statusForm: { values, problems }, status: 400 });
    try {
      await changeStatus(spec.model as Model<any>, String(doc._id), version, status, reason, { actor: actorOf(res), reason, now: ctx.now() });
      saved(req, res, entryPath(kind, doc._id));
    } catch (err) {
      if (isAppError(err, 'validation_failed')) return entryPage(ctx, res, spec, doc, { statusForm: { values, problems: err.fields }, status: 400 });
      if (isAppError(err, 'conflict')) return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: values, mode: 'status' });
      throw err;
    }
  };
}

/** POST /famous/:id/records */
export function recordSubmit(ctx: AdminContext): Handler {
  const spec = SPECS.famous;
  return async function recordSubmit(req, res) {
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const read = (name: string) => str(body, `record.${name}`, problems).replace(/^\s+|\s+$/g, '');
    const values = { date: read('date'), kind: read('kind'), summary: read('summary'), outcome: read('outcome'), links: read('links'), corrects: read('corrects') };
    const problem = (field: string, message: string, messageEn: string) => {
      if (!problems.some((p) => p.field === `record.${field}` || p.field === field)) problems.push({ field, message, messageEn });
    };
    // str() names shape problems with the form name; report them on the short name.
    for (const p of problems) p.field = p.field.replace(/^record\./, '');
    const date = parseDay(values.date);
    if (!values.date) problem('date', '请填写日期', 'the date is required');
    else if (!date) problem('date', '日期格式应为 YYYY-MM-DD，且须为真实日期', 'must be a real date as YYYY-MM-DD');
    if (!values.kind) problem('kind', '请选择记录类型', 'choose the kind of record');
    else if (!(PROTECTION_RECORD_KINDS as readonly string[]).includes(values.kind)) problem('kind', `记录类型必须是以下之一：${PROTECTION_RECORD_KINDS.join('、')}`, `kind must be one of: ${PROTECTION_RECORD_KINDS.join(', ')}`);
    if (!values.summary) problem('summary', '请填写摘要', 'the summary is required');
    else if (values.summary.length > 2000) problem('summary', '摘要不能超过2000个字符', 'the summary is at most 2000 characters');
    if (values.outcome.length > 1000) problem('outcome', '结果不能超过1000个字符', 'the outcome is at most 1000 characters');
    const links = values.links.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
    if (links.length > 20) problem('links', '最多20个链接', 'at most 20 links');
    const bad = links.find((l) => !isHttpUrl(l));
    if (bad) problem('links', `链接须以 http:// 或 https:// 开头：${bad.slice(0, 60)}`, `links must start with http:// or https://: ${bad.slice(0, 60)}`);
    const records = (doc.records ?? []) as Array<{ _id: unknown }>;
    if (values.corrects && !records.some((r) => String(r._id) === values.corrects)) problem('corrects', '所更正的记录不存在', 'the record to correct does not exist');
    if (problems.length) return entryPage(ctx, res, spec, doc, { recordForm: { values, problems }, status: 400 });
    try {
      await appendProtectionRecord(String(doc._id), version, {
        date: date!, kind: values.kind, summary: values.summary, outcome: values.outcome, links,
        ...(values.corrects ? { corrects: values.corrects } : {}),
      } as never, { actor: actorOf(res), now: ctx.now() });
      saved(req, res, entryPath('famous', doc._id), '#records');
    } catch (err) {
      if (isAppError(err, 'validation_failed')) {
        const mapped = err.fields.map((p) => ({ ...p, field: p.field.replace(/^records\.\d+\./, '') }));
        return entryPage(ctx, res, spec, doc, { recordForm: { values, problems: mapped }, status: 400 });
      }
      if (isAppError(err, 'conflict')) {
        return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: { summary: values.summary }, mode: 'record' });
      }
      throw err;
    }
  };
}

function isHttpUrl(s: string): boolean {
  if (s.length > 500 || /[\s<>"]/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
