/**
 * Reports from the public (纠错与举报): the form linked from every brand and certificate page, the
 * ticket's public status page, and the back office's queue where regulators work the tickets.
 *
 *   GET  /report?brand=<slug> | ?certificate=<number>   the form (works without JavaScript)
 *   POST /report                                          → 303 /report/<ticket>
 *   GET  /report/<ticket>, /report/status?ticket=…        the public status page
 *   GET  /admin/reports[?status=…], /admin/reports/<ticket>, POST /admin/reports/<ticket>
 *
 * Public pages set no cookie, so the form's CSRF defence is stateless (src/platform/form-token.ts);
 * posts are rate limited per client; a hidden field that people never fill catches simple bots.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { actorOf, currentUser, flash, requireRole } from '../accounts/middleware.js';
import { ROLE_RANK } from '../accounts/roles.js';
import type { EventRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { AppError, notFound, type FieldProblem } from '../platform/errors.js';
import { formPostVerdict, formToken } from '../platform/form-token.js';
import { isRecord } from '../platform/guards.js';
import { formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { Brand, Certificate } from '../registries/models.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { REPORT_KINDS, REPORT_STATUSES, type ReportDoc } from './model.js';
import { createReport, findReport, listReports, TICKET, updateReport } from './service.js';

registerMessages({
  'report.title': ['纠错与举报', 'Report an error or a suspected fake'],
  'report.intro': [
    '发现名录信息有误，或怀疑产品、证书是假冒的，请告诉我们。提交后您会得到一个工单号，可随时凭号查看办理进度。',
    'Tell us if an entry is wrong, or if you suspect a product or a certificate is fake. You get a ticket number to follow the case at any time.',
  ],
  'report.reference': [
    '本名录信息仅供参考，以商标注册机关、认定机关公布的信息为准。',
    'This registry is for reference; the publications of the registering and recognising authorities prevail.',
  ],
  'report.cta.brand': ['信息有误或疑似假冒？告诉我们', 'Something wrong, or a suspected fake? Tell us'],
  'report.cta.certificate': ['证书信息有误或疑似伪造？告诉我们', 'Certificate details wrong, or a suspected forgery? Tell us'],
  'report.subject': ['反映对象', 'About'],
  'report.subject.brand': ['品牌：{name}', 'Brand: {name}'],
  'report.subject.certificate': ['证书：{number}', 'Certificate: {number}'],
  'report.subject.none': ['未指定（请在说明中写明）', 'Not given (say in the description)'],
  'report.kind': ['问题类型', 'What is it about'],
  'report.kind.error': ['名录信息有误', 'An entry is wrong'],
  'report.kind.fake': ['疑似假冒（产品或证书）', 'Suspected fake (product or certificate)'],
  'report.kind.other': ['其他', 'Something else'],
  'report.description': ['情况说明', 'Description'],
  'report.description.hint': ['10–2000 字。请写明哪里有误、在哪里看到或买到，便于核实。', '10–2000 characters: what is wrong, where you saw or bought it.'],
  'report.contactName': ['称呼（选填）', 'Your name (optional)'],
  'report.contact': ['联系方式（选填）', 'How to reach you (optional)'],
  'report.contact.hint': ['电话或邮箱，仅供工作人员联系核实，不会公开。', 'Phone or e-mail, only for the staff to follow up; never published.'],
  'report.submit': ['提交', 'Send'],
  'report.errors': ['请修改下面标出的内容。', 'Please correct the fields marked below.'],
  'report.again': ['页面停留过久或提交过快，请确认内容后重新提交。', 'The page was open too long or sent too fast; check the text and send it again.'],
  'report.honeypot': ['请勿填写此项', 'Leave this empty'],
  'report.status.title': ['工单 {ticket}', 'Ticket {ticket}'],
  'report.status.new': ['已收到您的反映。请记下工单号，凭号可随时查看办理进度。', 'Your report has been received. Keep the ticket number to follow it.'],
  'report.status.state': ['办理状态', 'Status'],
  'report.status.received': ['已收到', 'Received'],
  'report.status.in_progress': ['办理中', 'In progress'],
  'report.status.resolved': ['已办结', 'Resolved'],
  'report.status.rejected': ['不予受理', 'Not taken up'],
  'report.status.at': ['提交时间', 'Sent'],
  'report.status.updated': ['最近更新', 'Last updated'],
  'report.status.reply': ['答复', 'Reply'],
  'report.status.noReply': ['暂无答复。', 'No reply yet.'],
  'report.lookup': ['查询办理进度', 'Follow a ticket'],
  'report.lookup.ticket': ['工单号', 'Ticket number'],
  'report.lookup.submit': ['查询', 'Look up'],
  'report.notFound': ['查无此工单，请核对工单号（如 JB20261203-7K4QXM）', 'No such ticket; check the number (like JB20261203-7K4QXM)'],
  'report.limited': ['提交次数过多，请一小时后再试', 'Too many reports from here; please try again in an hour'],
  'reports.title': ['纠错与举报', 'Reports'],
  'reports.filter': ['状态', 'Status'],
  'reports.all': ['全部', 'All'],
  'reports.none': ['没有工单。', 'No tickets.'],
  'reports.th.ticket': ['工单号', 'Ticket'],
  'reports.th.kind': ['类型', 'Kind'],
  'reports.th.subject': ['对象', 'About'],
  'reports.th.status': ['状态', 'Status'],
  'reports.th.at': ['提交时间', 'Sent'],
  'reports.contact': ['反映人', 'Reporter'],
  'reports.contact.hidden': ['（联系方式仅编辑和管理员可见）', '(contact details are shown to editors and administrators only)'],
  'reports.anonymous': ['未留联系方式', 'No contact given'],
  'reports.publicReply': ['给反映人的答复（公开显示在工单页）', 'Reply to the reporter (shown on the ticket page)'],
  'reports.internalNote': ['内部备注（不公开）', 'Internal note (never published)'],
  'reports.save': ['保存', 'Save'],
  'reports.saved': ['工单已更新。', 'The ticket was updated.'],
  'reports.conflict': [
    '保存前该工单已被他人修改。下面是最新内容，您填写的内容保留在表单中，请核对后再保存。',
    'Someone else changed this ticket before you saved. The latest state is below and your text is still in the form; check it and save again.',
  ],
  'audit.action.report_received': ['收到纠错举报', 'Report received'],
  'audit.action.report_update': ['办理纠错举报', 'Report worked on'],
});

const FORM = 'report';

/** The form's key: the session secret's job (signing), with a development default like the session's. */
const formSecret = (config: Pick<Config, 'SESSION_SECRET'>) => `report-form:${config.SESSION_SECRET ?? 'wbr-development-only-form-secret'}`;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const body = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});

function errorsByField(lang: Lang, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

/** The subject the form is about, from ?brand= or ?certificate= (unknown ones are dropped, not trusted). */
async function subjectOf(lang: Lang, q: { brand?: string; certificate?: string }) {
  if (q.brand && BRAND_SLUG.test(q.brand)) {
    const b = await Brand.findOne({ slug: q.brand }, { name: 1, slug: 1 }).lean();
    if (b) return { field: 'brand', value: b.slug, text: t(lang, 'report.subject.brand', { name: b.name }) };
  }
  if (q.certificate && /^[0-9A-Za-z-]{1,32}$/.test(q.certificate)) {
    const number = q.certificate.toUpperCase();
    const c = await Certificate.findOne({ number }, { number: 1 }).lean();
    // A number that does not check out may be just what a suspected-fake report is about.
    return { field: 'certificate', value: number, text: t(lang, 'report.subject.certificate', { number }), unknown: !c };
  }
  return null;
}

const kindsOf = (lang: Lang, selected: string | undefined) =>
  REPORT_KINDS.map((k) => ({ value: k, label: t(lang, `report.kind.${k}`), selected: k === selected }));

export interface ReportRoutesDeps {
  render: Render;
  config: Pick<Config, 'SESSION_SECRET' | 'PUBLIC_BASE_URL' | 'NODE_ENV'>;
  audit: EventRecorder;
  /** Per-client limit on posts (the app's limiter). */
  limit: RequestHandler;
}

/** The public form and status pages. */
export function publicReportRoutes(deps: ReportRoutesDeps): Router {
  const router = Router();
  const secret = formSecret(deps.config);
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) => {
    // What a person typed, and the ticket pages, are nobody's to cache or index. The blank form
    // (GET /report, at most a brand or certificate picked) holds nothing typed: it may be found
    // (its canonical address is /report); it is still not cached, for its form token.
    const indexable = view === 'report' && status === 200;
    res.setHeader('Cache-Control', 'no-store');
    if (!indexable) res.setHeader('X-Robots-Tag', 'noindex');
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, noindex: !indexable, styles: ['css/report.css'], ...data }));
  };

  const formPage = async (res: Response, status: number, o: { values?: Record<string, unknown>; errors?: Record<string, string>; again?: boolean } = {}) => {
    const lang = res.locals.lang;
    const v = o.values ?? {};
    const subject = await subjectOf(lang, { brand: str(v.brand), certificate: str(v.certificate) });
    page(res, status, 'report', {
      title: t(lang, 'report.title'),
      action: url(lang, '/report'),
      formToken: formToken(secret, FORM),
      subject,
      kinds: kindsOf(lang, str(v.kind) ?? (subject?.unknown ? 'fake' : undefined)),
      values: { description: str(v.description) ?? '', contactName: str(v.contactName) ?? '', contact: str(v.contact) ?? '' },
      errors: o.errors ?? {},
      hasErrors: Boolean(o.errors && Object.keys(o.errors).length),
      again: o.again ?? false,
      lookupAction: url(lang, '/report/status'),
    });
  };

  router.get('/report', async (req, res) => {
    const q = req.query;
    await formPage(res, 200, { values: { brand: str(q.brand), certificate: str(q.certificate), kind: str(q.kind) } });
  });

  router.post('/report', deps.limit, async (req, res) => {
    const lang = res.locals.lang;
    const b = body(req);
    const verdict = formPostVerdict(req, { secret, form: FORM, publicBaseUrl: deps.config.PUBLIC_BASE_URL, production: deps.config.NODE_ENV === 'production' });
    if (verdict === 'invalid') {
      throw new AppError('forbidden', '页面已过期或请求来源不可信，请刷新页面后重新填写', {
        messageEn: 'The page has expired or the request came from an untrusted origin; reload the page and fill it in again',
      });
    }
    // Nothing typed is lost: a page open too long, or sent too fast, comes back filled in.
    if (verdict !== 'ok') return formPage(res, 400, { values: b, again: true });
    if (str(b.website)) throw new AppError('bad_request', '无法提交', { messageEn: 'Cannot send this' });
    try {
      const report = await createReport(deps.audit, {
        kind: b.kind,
        brand: str(b.brand) || undefined,
        certificate: str(b.certificate) || undefined,
        description: b.description,
        contactName: str(b.contactName) || undefined,
        contact: str(b.contact) || undefined,
      });
      res.redirect(303, url(lang, `/report/${report._id}`, { new: 1 }));
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return formPage(res, 400, { values: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
  });

  router.get('/report/status', (req, res) => {
    const ticket = str(req.query.ticket)?.trim().toUpperCase() ?? '';
    if (!TICKET.test(ticket)) throw new AppError('not_found', t('zh', 'report.notFound'), { messageEn: t('en', 'report.notFound') });
    res.redirect(303, url(res.locals.lang, `/report/${ticket}`));
  });

  router.get('/report/:ticket', async (req, res) => {
    const lang = res.locals.lang;
    const report = await findReport(String(req.params.ticket));
    if (!report) throw new AppError('not_found', t('zh', 'report.notFound'), { messageEn: t('en', 'report.notFound') });
    page(res, 200, 'report-status', {
      title: t(lang, 'report.status.title', { ticket: report._id }),
      ticket: report._id,
      isNew: req.query.new === '1',
      kind: t(lang, `report.kind.${report.kind}`),
      subject: subjectText(lang, report),
      state: report.status,
      stateLabel: t(lang, `report.status.${report.status}`),
      at: formatTime(lang, report.createdAt),
      updated: formatTime(lang, report.updatedAt),
      reply: report.publicReply,
    });
  });

  return router;
}

function subjectText(lang: Lang, r: Pick<ReportDoc, 'subjectType' | 'subjectRef' | 'subjectName'>): string {
  if (r.subjectType === 'brand') return t(lang, 'report.subject.brand', { name: r.subjectName || r.subjectRef });
  if (r.subjectType === 'certificate') return t(lang, 'report.subject.certificate', { number: r.subjectRef });
  return t(lang, 'report.subject.none');
}

const statusParam = z
  .enum(REPORT_STATUSES)
  .optional()
  .or(z.literal('').transform(() => undefined));

/** The back office's queue and a ticket's page (mounted under /admin, behind its session and CSRF checks). */
export function adminReportRoutes(deps: { render: Render; audit: EventRecorder }): Router {
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));

  router.get('/reports', requireRole('viewer'), async (req, res) => {
    const lang = res.locals.lang;
    const parsed = statusParam.safeParse(req.query.status);
    if (!parsed.success)
      throw new AppError('bad_request', '状态不正确', {
        messageEn: 'Unknown status',
        fields: [{ field: 'status', message: '状态不正确', messageEn: 'unknown status' }],
      });
    const reports = await listReports(parsed.data);
    page(res, 200, 'admin/reports', {
      title: t(lang, 'reports.title'),
      statuses: REPORT_STATUSES.map((s) => ({ value: s, label: t(lang, `report.status.${s}`), selected: s === parsed.data })),
      rows: reports.map((r) => ({
        ticket: r._id,
        href: url(lang, `/admin/reports/${r._id}`),
        kind: t(lang, `report.kind.${r.kind}`),
        subject: subjectText(lang, r),
        state: r.status,
        stateLabel: t(lang, `report.status.${r.status}`),
        at: formatTime(lang, r.createdAt),
      })),
    });
  });

  const ticketPage = async (
    res: Response,
    status: number,
    ticket: string,
    o: { typed?: Record<string, unknown>; conflict?: boolean; errors?: Record<string, string> } = {},
  ) => {
    const lang = res.locals.lang;
    const r = await findReport(ticket);
    if (!r) throw notFound('工单', 'ticket');
    const user = currentUser(res)!;
    const canEdit = ROLE_RANK[user.role] >= ROLE_RANK.editor;
    const typed = o.typed ?? {};
    page(res, status, 'admin/report', {
      title: t(lang, 'report.status.title', { ticket: r._id }),
      ticket: r._id,
      action: url(lang, `/admin/reports/${r._id}`),
      kind: t(lang, `report.kind.${r.kind}`),
      subject: subjectText(lang, r),
      subjectHref:
        r.subjectType === 'brand' ? url(lang, `/brands/${r.subjectRef}`) : r.subjectType === 'certificate' ? url(lang, `/verify/${r.subjectRef}`) : null,
      description: r.description,
      at: formatTime(lang, r.createdAt),
      updated: formatTime(lang, r.updatedAt),
      stateLabel: t(lang, `report.status.${r.status}`),
      // Personal data: only for those who work the tickets.
      contact: canEdit ? { name: r.contactName, value: r.contact, none: !r.contactName && !r.contact } : null,
      canEdit,
      version: r.version,
      statuses: REPORT_STATUSES.map((s) => ({ value: s, label: t(lang, `report.status.${s}`), selected: s === (str(typed.status) ?? r.status) })),
      publicReply: str(typed.publicReply) ?? r.publicReply,
      internalNote: str(typed.internalNote) ?? r.internalNote,
      currentReply: r.publicReply,
      conflict: o.conflict ?? false,
      errors: o.errors ?? {},
    });
  };

  router.get('/reports/:ticket', requireRole('viewer'), async (req, res) => ticketPage(res, 200, String(req.params.ticket)));

  router.post('/reports/:ticket', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const ticket = String(req.params.ticket);
    const b = body(req);
    const version = Number(b.version);
    if (!Number.isSafeInteger(version) || version < 1) throw new AppError('bad_request', '缺少版本号', { messageEn: 'The form has no version' });
    try {
      await updateReport(deps.audit, actorOf(res), ticket, version, {
        status: b.status,
        publicReply: str(b.publicReply) ?? '',
        internalNote: str(b.internalNote) ?? '',
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return ticketPage(res, 409, ticket, { typed: b, conflict: true });
      if (err instanceof AppError && err.code === 'validation_failed')
        return ticketPage(res, 400, ticket, { typed: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    flash(req, 'reports.saved');
    res.redirect(303, url(lang, `/admin/reports/${ticket}`));
  });

  return router;
}
