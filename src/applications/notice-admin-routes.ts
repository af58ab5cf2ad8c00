/**
 * The back office's side of public notices (公示), objections (异议) and the working-day calendar
 * (mounted inside /admin, behind its session, CSRF check and roles):
 *
 *   GET  /notices, POST /notices                       batches; a new draft batch
 *   GET  /notices/<id>, POST /notices/<id>             a batch; edit a draft
 *   POST /notices/<id>/entries                         add / remove a waiting application (a draft's)
 *   POST /notices/<id>/publish                         publish from a start day
 *   GET  /objections[?status=], /objections/<receipt>  the queue (open first) and one objection
 *   POST /objections/<receipt>                         resolve: upheld / dismissed, with the resolution
 *   GET  /objections/<receipt>/files/<file>            an attachment (download only)
 *   GET  /calendar[?year=], POST /calendar, POST /calendar/remove   the working-day calendar
 *
 * Everyone signed in reads; batches and objections are worked by editors holding the notice step's
 * duty (administrators hold every duty); the calendar is changed by administrators only. Each load
 * of the notice pages first ends the notices whose period is over (closeEndedNotices).
 */
import { Router, type Request, type Response } from 'express';
import mongoose from 'mongoose';
import { actorOf, currentUser, flash, requireRole } from '../accounts/middleware.js';
import { roleAtLeast } from '../accounts/roles.js';
import { accountDuties } from '../accounts/service.js';
import { AppError, notFound, type FieldProblem } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { formatDate, formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import { beijingDate, listCalendarYear, removeCalendarDay, setCalendarDay } from './calendar.js';
import type { WorkflowDeps } from './deps.js';
import { sendDocument } from './documents.js';
import { APPLICATION_KINDS, Enterprise, OBJECTION_STATUSES, type ApplicationKind, type NoticeDoc } from './model.js';
import { noticeDates, publicEntries, objectionDocumentKey } from './notice-routes.js';
import {
  addEntry,
  closeEndedNotices,
  createNotice,
  findNotice,
  findObjection,
  listNotices,
  listObjections,
  noticeStepOf,
  openObjectionCounts,
  publishNotice,
  removeEntry,
  resolveObjection,
  updateNotice,
  waitingApplications,
  WORKING_DAYS_DEFAULT,
  WORKING_DAYS_MAX,
  WORKING_DAYS_MIN,
} from './notices.js';

registerMessages({
  'adminNotices.title': ['公示批次', 'Notice batches'],
  'adminNotices.new': ['新建公示批次', 'New notice batch'],
  'adminNotices.none': ['还没有公示批次。', 'No notice batches yet.'],
  'adminNotices.th.id': ['编号', 'No.'],
  'adminNotices.th.title': ['标题', 'Title'],
  'adminNotices.th.kind': ['类别', 'Kind'],
  'adminNotices.th.status': ['状态', 'Status'],
  'adminNotices.th.period': ['公示期', 'Period'],
  'adminNotices.th.entries': ['条目', 'Entries'],
  'adminNotices.th.open': ['待处理异议', 'Open objections'],
  'adminNotices.field.title': ['标题', 'Title'],
  'adminNotices.field.kind': ['申报类别', 'Kind of application'],
  'adminNotices.field.batch': ['批次名称（如“2026年第三批”）', 'Batch name (e.g. 2026年第三批)'],
  'adminNotices.field.workingDays': ['公示期（工作日，{min}–{max}）', 'Notice period (working days, {min}–{max})'],
  'adminNotices.field.startsOn': ['开始日期（今天或以后）', 'Start day (today or later)'],
  'adminNotices.create': ['创建', 'Create'],
  'adminNotices.save': ['保存', 'Save'],
  'adminNotices.status.draft': ['草稿', 'draft'],
  'adminNotices.status.running': ['公示中', 'running'],
  'adminNotices.status.ended': ['已结束', 'ended'],
  'adminNotices.entries': ['本批次名单', 'In this batch'],
  'adminNotices.entries.none': ['本批次还没有申报。', 'No applications in this batch yet.'],
  'adminNotices.waiting': ['等待编入公示的申报（{kind}）', 'Applications waiting for a notice ({kind})'],
  'adminNotices.waiting.none': ['没有等待公示的申报。', 'No applications are waiting.'],
  'adminNotices.add': ['编入', 'Add'],
  'adminNotices.remove': ['移出', 'Remove'],
  'adminNotices.publish': ['发布公示', 'Publish'],
  'adminNotices.publish.hint': [
    '发布后公示期按工作日历计算（含开始日），名单不能再调整；期满后无未处理异议的申报进入“决定”环节。',
    'Once published the period runs by the working-day calendar (the start day included) and the list is fixed; when it ends, applications without open objections move on to the decision step.',
  ],
  'adminNotices.publicPage': ['公众页面', 'Public page'],
  'adminNotices.th.application': ['申报编号', 'Application'],
  'adminNotices.th.brand': ['品牌', 'Brand'],
  'adminNotices.th.company': ['企业', 'Company'],
  'adminNotices.th.action': ['操作', 'Action'],
  'adminNotices.created': ['公示批次已创建。', 'The notice batch was created.'],
  'adminNotices.saved': ['已保存。', 'Saved.'],
  'adminNotices.published': ['公示已发布。', 'The notice is published.'],
  'adminNotices.conflict': [
    '保存前该批次已被他人修改。下面是最新内容，请核对后再操作。',
    'Someone else changed this batch first. The latest state is below; check it and try again.',
  ],
  'adminNotices.readOnly': [
    '您可以查看；编入、发布和处理异议需要具有公示环节职责的编辑。',
    'You may read; adding, publishing and resolving need an editor holding the notice step’s duty.',
  ],
  'adminObjections.title': ['公示异议', 'Objections'],
  'adminObjections.none': ['没有异议。', 'No objections.'],
  'adminObjections.filter': ['状态', 'Status'],
  'adminObjections.all': ['全部', 'All'],
  'adminObjections.th.receipt': ['回执号', 'Receipt'],
  'adminObjections.th.notice': ['公示', 'Notice'],
  'adminObjections.th.application': ['所涉申报', 'Application'],
  'adminObjections.th.status': ['状态', 'Status'],
  'adminObjections.th.at': ['提交时间', 'Sent'],
  'adminObjections.name': ['异议人', 'Objector'],
  'adminObjections.contact': ['联系方式（不公开）', 'Contact (never published)'],
  'adminObjections.contact.hidden': ['（联系方式仅编辑和管理员可见）', '(shown to editors and administrators only)'],
  'adminObjections.grounds': ['异议事实和理由', 'Facts and grounds'],
  'adminObjections.files': ['证明材料', 'Evidence'],
  'adminObjections.files.none': ['未附材料。', 'No attachments.'],
  'adminObjections.resolve': ['处理异议', 'Resolve'],
  'adminObjections.outcome': ['处理结果', 'Outcome'],
  'adminObjections.resolution': ['处理意见（将显示在异议人的回执页）', 'Resolution (shown on the objector’s receipt page)'],
  'adminObjections.submit': ['保存处理结果', 'Save the outcome'],
  'adminObjections.upheldNote': [
    '“维持异议”不直接决定申报结果：异议全部处理完毕且公示期满后，申报进入“决定”环节，由审核人员作出决定时考虑异议。',
    'Upholding an objection does not decide the application: once every objection is resolved and the notice has ended, it moves to the decision step, where the reviewers weigh it.',
  ],
  'adminObjections.resolved': ['异议已处理。', 'The objection was resolved.'],
  'adminObjections.resolvedMoved': ['异议已处理；该申报已进入“决定”环节。', 'The objection was resolved; the application moved on to the decision step.'],
  'adminObjections.conflict': [
    '保存前该异议已被他人处理或修改。下面是最新内容。',
    'Someone else resolved or changed this objection first. The latest state is below.',
  ],
  'adminObjections.resolvedBy': ['处理人', 'Resolved by'],
  'adminObjections.resolvedAt': ['处理时间', 'Resolved at'],
  'adminCalendar.title': ['工作日历', 'Working-day calendar'],
  'adminCalendar.intro': [
    '周一至周五为工作日，周六、周日休息；在此登记工作日上的法定节假日和周末的调休上班日（以国务院办公厅每年公布的安排为准）。',
    'Monday to Friday are working days; record public holidays on weekdays and make-up workdays on weekends here (as the State Council publishes each year).',
  ],
  'adminCalendar.year': ['年份', 'Year'],
  'adminCalendar.show': ['查看', 'Show'],
  'adminCalendar.none': ['该年份未登记特殊日期。', 'No special days recorded for this year.'],
  'adminCalendar.th.date': ['日期', 'Date'],
  'adminCalendar.th.weekday': ['星期', 'Weekday'],
  'adminCalendar.th.kind': ['类型', 'Kind'],
  'adminCalendar.th.name': ['名称', 'Name'],
  'adminCalendar.kind.holiday': ['节假日（休息）', 'Holiday (day off)'],
  'adminCalendar.kind.workday': ['调休上班', 'Make-up workday'],
  'adminCalendar.add': ['登记特殊日期', 'Record a day'],
  'adminCalendar.field.date': ['日期', 'Date'],
  'adminCalendar.field.kind': ['类型', 'Kind'],
  'adminCalendar.field.name': ['名称（如“国庆节”）', 'Name (e.g. 国庆节)'],
  'adminCalendar.save': ['登记', 'Record'],
  'adminCalendar.remove': ['删除', 'Remove'],
  'adminCalendar.saved': ['工作日历已更新。', 'The calendar was updated.'],
  'adminCalendar.adminOnly': ['仅管理员可修改工作日历。', 'Only administrators change the calendar.'],
});

const WEEKDAYS: Record<Lang, string[]> = {
  zh: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const body = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});

function errorsByField(lang: Lang, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

const badFilter = (field: string) =>
  new AppError('bad_request', '查询条件不正确', { messageEn: 'Unknown filter', fields: [{ field, message: '取值不正确', messageEn: 'not a known value' }] });

const kindLabel = (lang: Lang, k: string) => t(lang, `notices.kind.${k}`);

export function noticeAdminRoutes(deps: WorkflowDeps): Router {
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));

  /** May the signed-in user work notices of `kind` (editor, holding the notice step's duty)? */
  async function mayWork(res: Response, kind: ApplicationKind): Promise<boolean> {
    const user = currentUser(res);
    if (!user || !roleAtLeast(user.role, 'editor')) return false;
    if (user.role === 'admin') return true;
    const step = await noticeStepOf(kind);
    return (await accountDuties(user.id)).includes(step.duty);
  }
  async function assertMayWork(res: Response, kind: ApplicationKind) {
    if (!(await mayWork(res, kind)))
      throw new AppError('forbidden', '需要具有公示环节职责的编辑权限', { messageEn: 'This needs an editor holding the notice step’s duty' });
  }

  /** Ends what is over before showing anything (a cheap query when nothing is). */
  const closeOver = () => closeEndedNotices(deps.audit);

  // ─── Batches ─────────────────────────────────────────────────────────────────────────────────

  const listPage = async (res: Response, status: number, o: { values?: Record<string, unknown>; errors?: Record<string, string> } = {}) => {
    const lang = res.locals.lang;
    await closeOver();
    const notices = await listNotices();
    const counts = await openObjectionCounts(notices.flatMap((n) => n.entries));
    const user = currentUser(res)!;
    const v = o.values ?? {};
    page(res, status, 'admin/notices', {
      title: t(lang, 'adminNotices.title'),
      canCreate: roleAtLeast(user.role, 'editor'),
      action: url(lang, '/admin/notices'),
      kinds: APPLICATION_KINDS.map((k) => ({ value: k, label: kindLabel(lang, k), selected: k === str(v.kind) })),
      values: { title: str(v.title) ?? '', batch: str(v.batch) ?? '', workingDays: str(v.workingDays) ?? String(WORKING_DAYS_DEFAULT) },
      wdMin: WORKING_DAYS_MIN,
      wdMax: WORKING_DAYS_MAX,
      wdLabel: t(lang, 'adminNotices.field.workingDays', { min: WORKING_DAYS_MIN, max: WORKING_DAYS_MAX }),
      errors: o.errors ?? {},
      rows: notices.map((n) => ({
        id: n._id,
        href: url(lang, `/admin/notices/${n._id}`),
        title: n.title,
        batch: n.batch,
        kind: kindLabel(lang, n.kind),
        status: n.status,
        statusLabel: t(lang, `adminNotices.status.${n.status}`),
        period: n.startsOn && n.endsOn ? `${formatDate(lang, n.startsOn)} – ${formatDate(lang, n.endsOn)}` : '',
        entries: n.entries.length,
        open: n.entries.reduce((s, id) => s + (counts.get(id) ?? 0), 0),
      })),
    });
  };

  router.get('/notices', requireRole('viewer'), async (_req, res) => listPage(res, 200));

  router.post('/notices', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const b = body(req);
    const kind = APPLICATION_KINDS.find((k) => k === b.kind);
    if (kind) await assertMayWork(res, kind);
    try {
      const n = await createNotice(deps.audit, actorOf(res), { title: b.title, kind: b.kind, batch: b.batch, workingDays: b.workingDays });
      flash(req, 'adminNotices.created');
      res.redirect(303, url(lang, `/admin/notices/${n._id}`));
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return listPage(res, 400, { values: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
  });

  const detailPage = async (
    res: Response,
    status: number,
    id: string,
    o: { values?: Record<string, unknown>; errors?: Record<string, string>; conflict?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    await closeOver();
    const n = await findNotice(id);
    if (!n) throw notFound('公示批次', 'notice');
    const canWork = await mayWork(res, n.kind);
    const entries = await publicEntries(lang, n);
    const counts = await openObjectionCounts(n.entries);
    const waiting = n.status === 'draft' ? await waitingApplications(n.kind) : [];
    const companies = new Map(
      (
        await Enterprise.find({ _id: mongoose.trusted({ $in: waiting.map((a) => a.enterprise) }) }, { company: 1 }).lean<
          Array<{ _id: unknown; company: string }>
        >()
      ).map((e) => [String(e._id), e.company]),
    );
    const v = o.values ?? {};
    page(res, status, 'admin/notice', {
      title: `${n._id} ${n.title}`,
      notice: n,
      kind: kindLabel(lang, n.kind),
      statusLabel: t(lang, `adminNotices.status.${n.status}`),
      ...noticeDates(lang, n),
      isDraft: n.status === 'draft',
      canWork,
      conflict: o.conflict ?? false,
      errors: o.errors ?? {},
      editAction: url(lang, `/admin/notices/${n._id}`),
      entriesAction: url(lang, `/admin/notices/${n._id}/entries`),
      publishAction: url(lang, `/admin/notices/${n._id}/publish`),
      publicHref: n.status === 'draft' ? null : url(lang, `/notices/${n._id}`),
      values: {
        title: str(v.title) ?? n.title,
        batch: str(v.batch) ?? n.batch,
        workingDays: str(v.workingDays) ?? String(n.workingDays),
        startsOn: str(v.startsOn) ?? beijingDate(new Date()),
      },
      wdMin: WORKING_DAYS_MIN,
      wdMax: WORKING_DAYS_MAX,
      wdLabel: t(lang, 'adminNotices.field.workingDays', { min: WORKING_DAYS_MIN, max: WORKING_DAYS_MAX }),
      today: beijingDate(new Date()),
      entries: entries.map((e) => ({
        ...e,
        href: url(lang, `/admin/applications/${e.id}`),
        open: counts.get(e.id) ?? 0,
        objectionsHref: url(lang, '/admin/objections', { application: e.id }),
      })),
      waitingTitle: t(lang, 'adminNotices.waiting', { kind: kindLabel(lang, n.kind) }),
      waiting: waiting.map((a) => {
        const fields = a.versions.at(-1)?.fields ?? {};
        const company = (typeof fields.company === 'string' && fields.company) || companies.get(String(a.enterprise)) || '';
        const brand = [fields.brandName, fields.brand, fields.name].find((x): x is string => typeof x === 'string' && x.trim() !== '') ?? company;
        return { id: a._id, href: url(lang, `/admin/applications/${a._id}`), brand, company, target: a.target };
      }),
    });
  };

  router.get('/notices/:id', requireRole('viewer'), async (req, res) => detailPage(res, 200, String(req.params.id)));

  /** Runs a write on a batch; validation and conflicts re-show the page with what was typed. */
  async function noticeWrite(req: Request, res: Response, write: (n: NoticeDoc, b: Record<string, unknown>) => Promise<unknown>, done: string) {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const b = body(req);
    const n = await findNotice(id);
    if (!n) throw notFound('公示批次', 'notice');
    await assertMayWork(res, n.kind);
    try {
      await write(n, b);
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return detailPage(res, 409, id, { values: b, conflict: true });
      if (err instanceof AppError && err.code === 'validation_failed') return detailPage(res, 400, id, { values: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    flash(req, done);
    res.redirect(303, url(lang, `/admin/notices/${id}`));
  }

  router.post('/notices/:id', requireRole('editor'), (req, res) =>
    noticeWrite(
      req,
      res,
      (n, b) => updateNotice(deps.audit, actorOf(res), n._id, b.version, { title: b.title, batch: b.batch, workingDays: b.workingDays }),
      'adminNotices.saved',
    ),
  );

  router.post('/notices/:id/entries', requireRole('editor'), (req, res) =>
    noticeWrite(
      req,
      res,
      (n, b) =>
        b.op === 'remove'
          ? removeEntry(deps.audit, actorOf(res), n._id, b.version, b.application)
          : addEntry(deps.audit, actorOf(res), n._id, b.version, b.application),
      'adminNotices.saved',
    ),
  );

  router.post('/notices/:id/publish', requireRole('editor'), (req, res) =>
    noticeWrite(req, res, (n, b) => publishNotice(deps.audit, actorOf(res), n._id, b.version, b.startsOn), 'adminNotices.published'),
  );

  // ─── Objections ──────────────────────────────────────────────────────────────────────────────

  router.get('/objections', requireRole('viewer'), async (req, res) => {
    const lang = res.locals.lang;
    await closeOver();
    const status = str(req.query.status) ?? '';
    const application = str(req.query.application) ?? '';
    if (status && !(OBJECTION_STATUSES as readonly string[]).includes(status)) throw badFilter('status');
    if (application && !/^[A-Z]{2}\d{8}-[0-9A-Z]{6}$/.test(application)) throw badFilter('application');
    const rows = await listObjections({ status: status || undefined, application: application || undefined });
    page(res, 200, 'admin/objections', {
      title: t(lang, 'adminObjections.title'),
      statuses: OBJECTION_STATUSES.map((s) => ({ value: s, label: t(lang, `objection.status.${s}`), selected: s === status })),
      application,
      rows: rows.map((o) => ({
        receipt: o._id,
        href: url(lang, `/admin/objections/${o._id}`),
        notice: o.notice,
        noticeHref: url(lang, `/admin/notices/${o.notice}`),
        application: o.application,
        applicationHref: url(lang, `/admin/applications/${o.application}`),
        state: o.status,
        stateLabel: t(lang, `objection.status.${o.status}`),
        at: formatTime(lang, o.createdAt),
      })),
    });
  });

  const objectionPage = async (
    res: Response,
    status: number,
    receipt: string,
    o: { values?: Record<string, unknown>; errors?: Record<string, string>; conflict?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    const ob = await findObjection(receipt);
    if (!ob) throw notFound('异议', 'objection');
    const n = await findNotice(ob.notice);
    const canWork = n ? await mayWork(res, n.kind) : false;
    const v = o.values ?? {};
    const entry = n ? (await publicEntries(lang, { ...n, entries: [ob.application] }))[0] : undefined;
    page(res, status, 'admin/objection', {
      title: t(lang, 'objection.receipt.title', { receipt: ob._id }),
      ob,
      stateLabel: t(lang, `objection.status.${ob.status}`),
      isOpen: ob.status === 'open',
      at: formatTime(lang, ob.createdAt),
      resolvedAt: ob.resolvedAt ? formatTime(lang, ob.resolvedAt) : '',
      notice: n ? { id: n._id, title: n.title, href: url(lang, `/admin/notices/${n._id}`), statusLabel: t(lang, `adminNotices.status.${n.status}`) } : null,
      entry,
      applicationHref: url(lang, `/admin/applications/${ob.application}`),
      files: ob.files.map((f) => ({ ...f, href: url(lang, `/admin/objections/${ob._id}/files/${f.id}`), kb: Math.max(1, Math.round(f.size / 1024)) })),
      canWork,
      // Personal data: only for those who work the objections (editors and administrators).
      contact: roleAtLeast(currentUser(res)!.role, 'editor') ? ob.contact : null,
      action: url(lang, `/admin/objections/${ob._id}`),
      outcomes: (['upheld', 'dismissed'] as const).map((k) => ({ value: k, label: t(lang, `objection.status.${k}`), checked: str(v.outcome) === k })),
      resolution: str(v.resolution) ?? '',
      errors: o.errors ?? {},
      conflict: o.conflict ?? false,
    });
  };

  router.get('/objections/:receipt', requireRole('viewer'), async (req, res) => objectionPage(res, 200, String(req.params.receipt)));

  router.get('/objections/:receipt/files/:file', requireRole('viewer'), async (req, res) => {
    const ob = await findObjection(String(req.params.receipt));
    const file = ob?.files.find((f) => f.id === req.params.file);
    if (!ob || !file) throw notFound('材料', 'document');
    await sendDocument(res, deps.documents, objectionDocumentKey(ob._id, file.id), file);
  });

  router.post('/objections/:receipt', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const receipt = String(req.params.receipt);
    const b = body(req);
    const ob = await findObjection(receipt);
    if (!ob) throw notFound('异议', 'objection');
    const n = await findNotice(ob.notice);
    if (n) await assertMayWork(res, n.kind);
    let moved: boolean;
    try {
      ({ moved } = await resolveObjection(deps.audit, actorOf(res), receipt, b.version, { outcome: b.outcome, resolution: b.resolution }));
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return objectionPage(res, 409, receipt, { values: b, conflict: true });
      if (err instanceof AppError && err.code === 'validation_failed')
        return objectionPage(res, 400, receipt, { values: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    flash(req, moved ? 'adminObjections.resolvedMoved' : 'adminObjections.resolved');
    res.redirect(303, url(lang, `/admin/objections/${receipt}`));
  });

  // ─── The working-day calendar ────────────────────────────────────────────────────────────────

  const calendarPage = async (
    res: Response,
    status: number,
    yearText: string | undefined,
    o: { values?: Record<string, unknown>; errors?: Record<string, string> } = {},
  ) => {
    const lang = res.locals.lang;
    const thisYear = Number(beijingDate(new Date()).slice(0, 4));
    const yt = yearText ?? String(thisYear);
    if (!/^\d{4}$/.test(yt) || Number(yt) < 2000 || Number(yt) > 2100) throw badFilter('year');
    const year = Number(yt);
    const days = await listCalendarYear(year);
    const user = currentUser(res)!;
    const v = o.values ?? {};
    page(res, status, 'admin/calendar', {
      title: t(lang, 'adminCalendar.title'),
      year,
      years: [thisYear - 1, thisYear, thisYear + 1, ...(year < thisYear - 1 || year > thisYear + 1 ? [year] : [])]
        .sort()
        .map((y) => ({ value: y, selected: y === year })),
      canEdit: user.role === 'admin',
      action: url(lang, '/admin/calendar'),
      removeAction: url(lang, '/admin/calendar/remove'),
      kinds: (['holiday', 'workday'] as const).map((k) => ({ value: k, label: t(lang, `adminCalendar.kind.${k}`), checked: str(v.kind) === k })),
      values: { date: str(v.date) ?? '', name: str(v.name) ?? '' },
      errors: o.errors ?? {},
      rows: days.map((d) => ({
        iso: d._id,
        text: formatDate(lang, new Date(`${d._id}T00:00:00Z`)),
        weekday: WEEKDAYS[lang][new Date(`${d._id}T00:00:00Z`).getUTCDay()],
        kind: d.kind,
        kindLabel: t(lang, `adminCalendar.kind.${d.kind}`),
        name: d.name,
      })),
    });
  };

  router.get('/calendar', requireRole('viewer'), async (req, res) => calendarPage(res, 200, str(req.query.year)));

  router.post('/calendar', requireRole('admin'), async (req, res) => {
    const lang = res.locals.lang;
    const b = body(req);
    try {
      await setCalendarDay(deps.audit, actorOf(res), { date: b.date, kind: b.kind, name: b.name });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        const y = str(b.date)?.slice(0, 4);
        return calendarPage(res, 400, y && /^\d{4}$/.test(y) ? y : undefined, { values: b, errors: errorsByField(lang, err.fields) });
      }
      throw err;
    }
    flash(req, 'adminCalendar.saved');
    res.redirect(303, url(lang, '/admin/calendar', { year: String(b.date).slice(0, 4) }));
  });

  router.post('/calendar/remove', requireRole('admin'), async (req, res) => {
    const lang = res.locals.lang;
    const b = body(req);
    await removeCalendarDay(deps.audit, actorOf(res), b.date);
    flash(req, 'adminCalendar.saved');
    res.redirect(303, url(lang, '/admin/calendar', { year: String(b.date).slice(0, 4) }));
  });

  return router;
}
