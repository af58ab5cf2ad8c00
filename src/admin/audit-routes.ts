/**
 * /admin/audit: the audit trail for people — newest events first, filterable by action and actor,
 * each change with its field-level before/after — and, for admins only, the chain check on demand
 * (POST /admin/audit/verify, CSRF-protected like every back-office form): the same check as
 * `npm run audit:verify` without the anchor file, incremental from the last position a check found
 * intact (a checkpoint signed with the chain's key), or from the start with "full re-check".
 */
import { Router, type Request, type Response } from 'express';
import mongoose from 'mongoose';
import { z } from 'zod';
import {
  AuditEvent,
  defaultKeyring,
  loadCheckpoint,
  saveCheckpoint,
  verifyChain,
  type AuditEventDoc,
  type AuditKeyring,
  type ChainReport,
} from '../audit/index.js';
import { requireRole } from '../accounts/middleware.js';
import { AppError } from '../platform/errors.js';
import { formatDate, formatTime, label as termLabel, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { REGISTRIES } from '../registries/kinds.js';
import { KINDS } from '../registries/reference.js';

registerMessages({
  'audit.title': ['审计日志', 'Audit trail'],
  'audit.intro': [
    '每一次新增、修改、状态变更、导入与登录都记录在此，按时间倒序。事件前后相连（哈希链），任何事后改动都能被发现。',
    'Every create, update, status change, import and sign-in, newest first. Events are hash-chained, so any later alteration is detectable.',
  ],
  'audit.filter.action': ['操作', 'Action'],
  'audit.filter.actor': ['操作人', 'Actor'],
  'audit.filter.all': ['全部', 'All'],
  'audit.filter.apply': ['筛选', 'Filter'],
  'audit.col.seq': ['序号', 'No.'],
  'audit.col.at': ['时间', 'Time'],
  'audit.col.actor': ['操作人', 'Actor'],
  'audit.col.action': ['操作', 'Action'],
  'audit.col.subject': ['对象', 'Subject'],
  'audit.col.details': ['内容', 'Details'],
  'audit.none': ['没有符合条件的事件。', 'No events match.'],
  'audit.yes': ['是', 'yes'],
  'audit.no': ['否', 'no'],
  'audit.model.Brand': ['品牌', 'Brand'],
  'audit.model.Trademark': ['商标', 'Trademark'],
  'audit.reason': ['原因', 'Reason'],
  'audit.verify': ['校验哈希链', 'Check the hash chain'],
  'audit.verify.full': ['完整重新校验', 'Full re-check'],
  'audit.verify.adminOnly': ['只有管理员可以校验哈希链。', 'Only admins can check the hash chain.'],
  'audit.verify.ok': ['哈希链完整：已校验 {n} 条事件（第 1 至 {head} 条）。', 'The chain is intact: {n} events checked (1 to {head}).'],
  'audit.verify.okIncremental': [
    '哈希链完整：自上次校验（第 {from} 条）以来新增的 {n} 条事件已校验，当前共 {head} 条。',
    'The chain is intact: the {n} events since the last check (at {from}) were checked; {head} in all.',
  ],
  'audit.verify.broken': ['哈希链在第 {seq} 条事件处断开（{problem}）。请立即报告。', 'The chain is broken at event {seq} ({problem}). Report this at once.'],
  'audit.verify.missing': [
    '有 {n} 项标记为已审计的修改在哈希链中没有对应事件（首项：{change}）。请立即报告。',
    '{n} change(s) marked audited have no event in the chain (first: {change}). Report this at once.',
  ],
  'audit.verify.unaudited': ['另有 {n} 项已保存的修改正在补记审计事件。', '{n} saved change(s) are still getting their audit event.'],
  'audit.action.chain_rekeyed': ['哈希链启用密钥', 'Chain keyed'],
  'audit.action.key_rotated': ['更换哈希链密钥', 'Chain key rotated'],
  'audit.more': ['更早的事件', 'Older events'],
  'audit.newer': ['较新的事件', 'Newer events'],
  'audit.action.create': ['新增', 'Created'],
  'audit.action.update': ['修改', 'Updated'],
  'audit.action.status': ['状态变更', 'Status change'],
  'audit.action.record': ['追加保护记录', 'Protection record'],
  'audit.action.import': ['导入', 'Import'],
  'audit.action.login': ['登录', 'Sign-in'],
  'audit.action.login_failed': ['登录失败', 'Failed sign-in'],
  'audit.action.login_lockout': ['登录锁定', 'Sign-in lockout'],
  'audit.action.account_unlock': ['解除登录锁定', 'Sign-in lock lifted'],
  'audit.action.logout': ['退出', 'Sign-out'],
  'audit.action.password_change': ['修改密码', 'Password change'],
  'audit.action.account_create': ['创建账户', 'Account created'],
  'audit.action.account_update': ['账户变更', 'Account changed'],
  'audit.action.figure_entry': ['录入统计数据', 'Figure entered'],
});

const ACTIONS = [
  'create',
  'update',
  'status',
  'record',
  'import',
  'login',
  'login_failed',
  'login_lockout',
  'account_unlock',
  'logout',
  'password_change',
  'account_create',
  'account_update',
  'figure_entry',
  'chain_rekeyed',
  'key_rotated',
] as const;
const PAGE = 50;

const query = z.object({
  action: z
    .enum(ACTIONS)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  actor: z.string().trim().max(120).optional(),
  before: z.coerce.number().int().min(1).optional(),
  lang: z.string().optional(),
});

const MAX_VALUE = 160;
const clip = (s: string) => (s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * A field's label in the page language: the back office's field labels (src/admin/registries,
 * the same words as the forms), tried for the full path, then for its last part; else the name.
 */
function fieldLabel(lang: Lang, field: string, parent?: string): string {
  const keys = [...(parent ? [`adminreg.field.${parent}.${field}`, `adminreg.field.record.${field}`] : []), `adminreg.field.${field}`];
  for (const key of keys) {
    const text = t(lang, key);
    if (text !== key) return text;
  }
  return field;
}

/** A date as a date, a moment as Beijing time of day. */
function showTime(lang: Lang, d: Date): string {
  if (Number.isNaN(d.getTime())) return '—';
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0;
  return midnight ? formatDate(lang, d) : formatTime(lang, d);
}

/** A value in people's words: dates, yes/no, lists and nested fields with their labels (escaped by the template). */
function show(lang: Lang, v: unknown, field?: string): string {
  if (v === null || v === undefined || v === '') return '—';
  if (v instanceof Date) return showTime(lang, v);
  if (typeof v === 'boolean') return t(lang, v ? 'audit.yes' : 'audit.no');
  if (typeof v === 'string') return clip(ISO_TIME.test(v) ? showTime(lang, new Date(v)) : termLabel(lang, v));
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length ? clip(v.map((x) => show(lang, x, field)).join(lang === 'en' ? ', ' : '、')) : '—';
  if (typeof v === 'object') {
    const hex = (v as { toHexString?: () => string }).toHexString;
    if (typeof hex === 'function') return hex.call(v);
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined && x !== '')
      .map(([k, x]) => `${fieldLabel(lang, k, field)}${lang === 'en' ? ': ' : '：'}${show(lang, x, field)}`);
    return parts.length ? clip(parts.join(lang === 'en' ? '; ' : '；')) : '—';
  }
  return clip(String(v));
}

/** A model's name in the page language: the registry it keeps, or brand / trademark. */
function modelLabel(lang: Lang, model: string): string {
  const kind = KINDS.find((k) => REGISTRIES[k].modelName === model);
  if (kind) return t(lang, `kind.${kind}`);
  const key = `audit.model.${model}`;
  const text = t(lang, key);
  return text === key ? model : text;
}

function eventView(lang: Lang, e: AuditEventDoc) {
  const label = t(lang, `audit.action.${e.action}`);
  const at = new Date(e.at);
  return {
    seq: e.seq,
    atIso: Number.isNaN(at.getTime()) ? '' : at.toISOString(),
    atText: formatTime(lang, at),
    actor: e.actor,
    action: label.startsWith('audit.') ? e.action : label,
    subject: e.model ? `${modelLabel(lang, e.model)} ${e.entryId ?? ''}${e.version ? ` v${e.version}` : ''}` : (e.subject ?? ''),
    reason: e.reason,
    changes: (e.changes ?? []).slice(0, 20).map((c) => ({
      field: c.field,
      label: fieldLabel(lang, c.field),
      isNew: c.before === null || c.before === undefined,
      before: show(lang, c.before, c.field),
      after: show(lang, c.after, c.field),
    })),
    detail: Object.keys(e.detail ?? {}).length ? show(lang, e.detail) : '',
  };
}

type Check = { ok: boolean; message: string; unaudited: string };

/** The outcome of a chain check, in words. */
function checkView(lang: Lang, report: ChainReport): Check {
  const cl = report.changeLog;
  const problems = [
    ...(report.broken ? [t(lang, 'audit.verify.broken', { seq: report.broken.seq, problem: report.broken.problem })] : []),
    ...(cl && (cl.missing || cl.mismatched) ? [t(lang, 'audit.verify.missing', { n: cl.missing + cl.mismatched, change: cl.first?.change ?? '' })] : []),
  ];
  const head = report.head?.seq ?? 0;
  return {
    ok: report.ok,
    message: problems.length
      ? problems.join(' ')
      : report.from
        ? t(lang, 'audit.verify.okIncremental', { n: report.events, from: report.from, head })
        : t(lang, 'audit.verify.ok', { n: report.events, head }),
    unaudited: report.unaudited ? t(lang, 'audit.verify.unaudited', { n: report.unaudited }) : '',
  };
}

const verifyBody = z.object({ full: z.enum(['1', 'true', 'on']).optional() });

export function auditRoutes(deps: { render: Render; keys?: AuditKeyring }): Router {
  const router = Router();
  const keys = () => deps.keys ?? defaultKeyring();

  const page = async (req: Request, res: Response, check: Check | null) => {
    const lang = res.locals.lang;
    const parsed = query.safeParse(req.method === 'GET' ? req.query : {});
    if (!parsed.success) throw new AppError('bad_request', '筛选条件不正确', { messageEn: 'Invalid filter' });
    const { action, actor, before } = parsed.data;
    const filter: Record<string, unknown> = {};
    if (action) filter.action = action;
    if (actor) filter.actor = actor.toLowerCase();
    if (before) filter.seq = mongoose.trusted({ $lt: before });
    const events = await AuditEvent.find(filter)
      .sort({ seq: -1 })
      .limit(PAGE + 1)
      .lean<AuditEventDoc[]>();
    const more = events.length > PAGE;
    const shown = events.slice(0, PAGE);
    res.type('html').send(
      deps.render('admin/audit', {
        ...res.locals,
        title: t(lang, 'audit.title'),
        events: shown.map((e) => eventView(lang, e)),
        actions: ACTIONS.map((a) => ({ value: a, label: t(lang, `audit.action.${a}`), selected: a === action })),
        actor: actor ?? '',
        olderHref: more ? url(lang, '/admin/audit', { action, actor, before: shown[shown.length - 1]!.seq }) : null,
        newestHref: before ? url(lang, '/admin/audit', { action, actor }) : null,
        verifyAction: url(lang, '/admin/audit/verify'),
        canVerify: res.locals.user?.role === 'admin',
        check,
      }),
    );
  };

  router.get('/audit', requireRole('viewer'), (req, res) => page(req, res, null));

  // The chain check recomputes hashes over the chain: admins only, and incremental by default.
  router.post('/audit/verify', requireRole('admin'), async (req, res) => {
    const parsed = verifyBody.safeParse(req.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', '请求不正确', { messageEn: 'Invalid request' });
    const ring = keys();
    const from = parsed.data.full ? null : await loadCheckpoint(ring);
    const report = await verifyChain({ keys: ring, from });
    if (!report.broken && report.head) await saveCheckpoint(report.head, ring);
    await page(req, res, checkView(res.locals.lang, report));
  });

  return router;
}
