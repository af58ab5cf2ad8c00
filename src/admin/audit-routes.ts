/**
 * /admin/audit: the audit trail for people — newest events first, filterable by action and actor,
 * each change with its field-level before/after, and the chain check on demand (the same check as
 * `npm run audit:verify`).
 */
import { Router } from 'express';
import mongoose from 'mongoose';
import { z } from 'zod';
import { AuditEvent, verifyChain, type AuditEventDoc } from '../audit/index.js';
import { requireRole } from '../accounts/middleware.js';
import { AppError } from '../platform/errors.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';

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
  'audit.reason': ['原因', 'Reason'],
  'audit.verify': ['校验哈希链', 'Check the hash chain'],
  'audit.verify.ok': ['哈希链完整：已校验 {n} 条事件。', 'The chain is intact: {n} events checked.'],
  'audit.verify.broken': ['哈希链在第 {seq} 条事件处断开（{problem}）。请立即报告。', 'The chain is broken at event {seq} ({problem}). Report this at once.'],
  'audit.verify.unaudited': ['另有 {n} 项已保存的修改正在补记审计事件。', '{n} saved change(s) are still getting their audit event.'],
  'audit.more': ['更早的事件', 'Older events'],
  'audit.newer': ['较新的事件', 'Newer events'],
  'audit.action.create': ['新增', 'Created'],
  'audit.action.update': ['修改', 'Updated'],
  'audit.action.status': ['状态变更', 'Status change'],
  'audit.action.record': ['追加保护记录', 'Protection record'],
  'audit.action.import': ['导入', 'Import'],
  'audit.action.login': ['登录', 'Sign-in'],
  'audit.action.login_failed': ['登录失败', 'Failed sign-in'],
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
  'logout',
  'password_change',
  'account_create',
  'account_update',
  'figure_entry',
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

/** A value as a short, readable string (values are escaped by the template). */
function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 160 ? `${s.slice(0, 157)}…` : s;
  }
  const s = String(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

function eventView(lang: Lang, e: AuditEventDoc) {
  const label = t(lang, `audit.action.${e.action}`);
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: label.startsWith('audit.') ? e.action : label,
    subject: e.model ? `${e.model} ${e.entryId ?? ''}${e.version ? ` v${e.version}` : ''}` : (e.subject ?? ''),
    reason: e.reason,
    changes: (e.changes ?? []).slice(0, 20).map((c) => ({ field: c.field, before: show(c.before), after: show(c.after) })),
    detail: Object.keys(e.detail ?? {}).length ? show(e.detail) : '',
  };
}

export function auditRoutes(deps: { render: Render }): Router {
  const router = Router();

  router.get('/audit', requireRole('viewer'), async (req, res) => {
    const lang = res.locals.lang;
    const parsed = query.safeParse(req.query);
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
    let check: { ok: boolean; message: string; unaudited: string } | null = null;
    if (req.query.verify === '1') {
      const report = await verifyChain();
      check = {
        ok: report.ok,
        message: report.ok
          ? t(lang, 'audit.verify.ok', { n: report.events })
          : t(lang, 'audit.verify.broken', { seq: report.broken!.seq, problem: report.broken!.problem }),
        unaudited: report.unaudited ? t(lang, 'audit.verify.unaudited', { n: report.unaudited }) : '',
      };
    }
    res.type('html').send(
      deps.render('admin/audit', {
        ...res.locals,
        title: t(lang, 'audit.title'),
        events: shown.map((e) => eventView(lang, e)),
        actions: ACTIONS.map((a) => ({ value: a, label: t(lang, `audit.action.${a}`), selected: a === action })),
        actor: actor ?? '',
        olderHref: more ? url(lang, '/admin/audit', { action, actor, before: shown[shown.length - 1]!.seq }) : null,
        newestHref: before ? url(lang, '/admin/audit', { action, actor }) : null,
        verifyHref: url(lang, '/admin/audit', { action, actor, verify: 1 }),
        check,
      }),
    );
  });

  return router;
}
