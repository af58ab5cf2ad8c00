/**
 * The reviewers' back office for applications (issue #15 item 2), mounted inside /admin:
 *
 *   GET  /admin/applications[?status&kind&step&overdue&mine&page]   the queue, soonest due first
 *   GET  /admin/applications/:id                                    the application, its versions and history
 *   POST /admin/applications/:id/decision                           a step decision (duty holders, editor+)
 *   GET  /admin/applications/:id/files/:fileId                      a document, as an attachment (viewer+)
 *   GET  /admin/chains, POST /admin/chains/:kind                    the review chains (admins edit)
 */
import { Router, type Request, type Response } from 'express';
import mongoose from 'mongoose';
import { actorOf, currentUser, flash, requireRole } from '../accounts/middleware.js';
import { DUTIES, roleAtLeast } from '../accounts/roles.js';
import { dutyHolders } from '../accounts/service.js';
import { AppError, notFound, type FieldProblem } from '../platform/errors.js';
import { isOneOf, isRecord } from '../platform/guards.js';
import { formatDate, formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import type { WorkflowDeps } from './deps.js';
import { FIELDS_BY_KIND, SLOTS_BY_KIND } from './applications.js';
import { documentKey, sendDocument } from './documents.js';
import {
  APPLICATION_KINDS,
  APPLICATION_STATUSES,
  Application,
  Enterprise,
  Objection,
  type ApplicationDoc,
  type ApplicationFile,
  type ApplicationKind,
  type ChainStep,
  type ReviewChainDoc,
} from './model.js';
import { ACTIVE_STATUSES, allChains, chainOf, decideStep, deciderOf, mayDecide, registerSubmitHook, updateChain, type StepInput } from './review.js';

registerMessages({
  'workflow.queue.title': ['申报审核', 'Applications'],
  'review.chains.title': ['审核链', 'Review chains'],
  'review.chains.link': ['查看审核链', 'Review chains'],
  'review.chains.intro': [
    '每类申报的审核步骤。步骤的顺序和类型固定；管理员可修改名称、负责职责和工作日时限。',
    'The review steps of each kind of application. Their order and type are fixed; administrators may change names, duties and working days.',
  ],
  'review.chains.kind': ['{kind}的审核链（版本 {version}）', 'Review chain for {kind} (version {version})'],
  'review.chains.step': ['步骤', 'Step'],
  'review.chains.type': ['类型', 'Type'],
  'review.chains.nameZh': ['名称', 'Name'],
  'review.chains.nameEn': ['英文名称', 'English name'],
  'review.chains.duty': ['负责职责', 'Duty'],
  'review.chains.days': ['时限（工作日）', 'Working days'],
  'review.chains.save': ['保存审核链', 'Save the chain'],
  'review.chains.saved': ['审核链已保存。', 'The review chain was saved.'],
  'review.chains.conflict': ['审核链已被他人修改，请查看当前内容后再改。', 'Someone else changed this chain; check it and try again.'],
  'review.chains.updatedBy': ['最后修改：{who}，{at}', 'Last changed by {who}, {at}'],
  'review.stepType.review': ['审核', 'review'],
  'review.stepType.notice': ['公示', 'public notice'],
  'review.stepType.decision': ['决定', 'decision'],
  'review.kind.time_honored': ['老字号认定', 'Time-honored brand'],
  'review.kind.certification': ['精品认定', 'Certification'],
  'review.kind.directory': ['商标品牌名录', 'Directory'],
  'review.kind.famous': ['驰名商标保护', 'Famous mark'],
  'review.status.draft': ['草稿', 'draft'],
  'review.status.submitted': ['已提交', 'submitted'],
  'review.status.in_review': ['审核中', 'in review'],
  'review.status.returned': ['退回补正', 'returned'],
  'review.status.notice': ['公示中', 'in public notice'],
  'review.status.approved': ['已通过', 'approved'],
  'review.status.rejected': ['未通过', 'refused'],
  'review.status.withdrawn': ['已撤回', 'withdrawn'],
  'review.decision.pass': ['通过', 'Pass'],
  'review.decision.return': ['退回补正', 'Return for corrections'],
  'review.decision.reject': ['不通过', 'Refuse'],
  'review.filter.status': ['状态', 'Status'],
  'review.filter.active': ['办理中（默认）', 'In progress (default)'],
  'review.filter.all': ['全部', 'All'],
  'review.filter.kind': ['类别', 'Kind'],
  'review.filter.step': ['环节', 'Step'],
  'review.filter.any': ['不限', 'Any'],
  'review.filter.overdue': ['仅看逾期', 'Overdue only'],
  'review.filter.mine': ['仅看我的职责', 'My duties only'],
  'review.filter.submit': ['筛选', 'Filter'],
  'review.counts': ['各环节待办', 'Waiting at each step'],
  'review.th.id': ['申报编号', 'Application'],
  'review.th.company': ['企业', 'Enterprise'],
  'review.th.kind': ['类别', 'Kind'],
  'review.th.status': ['状态', 'Status'],
  'review.th.step': ['环节', 'Step'],
  'review.th.due': ['时限', 'Due'],
  'review.overdue': ['逾期', 'overdue'],
  'review.overdueDays': ['逾期 {n} 天', 'overdue by {n} days'],
  'review.dueIn': ['{n} 天后到期', 'due in {n} days'],
  'review.dueToday': ['今日到期', 'due today'],
  'review.none': ['没有符合条件的申报。', 'No applications match.'],
  'review.total': ['共 {n} 件', '{n} applications'],
  'review.prev': ['上一页', 'Previous page'],
  'review.next': ['下一页', 'Next page'],
  'review.page': ['第 {page} 页', 'Page {page}'],
  'review.detail.title': ['申报 {id}', 'Application {id}'],
  'review.detail.enterprise': ['申报企业', 'Enterprise'],
  'review.detail.creditCode': ['统一社会信用代码', 'Credit code'],
  'review.detail.email': ['联系邮箱', 'E-mail'],
  'review.detail.target': ['申报级别', 'Level applied for'],
  'review.detail.step': ['当前环节', 'Current step'],
  'review.detail.due': ['本环节时限', 'Step due'],
  'review.detail.submitted': ['提交时间', 'Submitted'],
  'review.detail.decided': ['决定时间', 'Decided'],
  'review.detail.listing': ['已列入', 'Listed'],
  'review.detail.fields': ['申报内容（第 {n} 版）', 'What was submitted (version {n})'],
  'review.detail.files': ['材料', 'Documents'],
  'review.detail.noFiles': ['没有材料。', 'No documents.'],
  'review.detail.download': ['下载', 'Download'],
  'review.detail.versions': ['此前版本', 'Earlier versions'],
  'review.detail.version': ['第 {n} 版，{at} 提交', 'Version {n}, submitted {at}'],
  'review.detail.changes': ['与下一版相比修改的内容', 'Changed in the next version'],
  'review.detail.noChanges': ['内容未改（可能只更换了材料）', 'No field changed (documents may have)'],
  'review.detail.before': ['原内容', 'Before'],
  'review.detail.after': ['修改为', 'After'],
  'review.detail.field': ['字段', 'Field'],
  'review.detail.history': ['审核记录', 'History'],
  'review.detail.noHistory': ['尚无审核记录。', 'No decisions yet.'],
  'review.detail.hStep': ['环节', 'Step'],
  'review.detail.hVersion': ['版本', 'Version'],
  'review.detail.hDecision': ['决定', 'Decision'],
  'review.detail.hReasons': ['理由', 'Reasons'],
  'review.detail.hComment': ['内部意见', 'Internal comment'],
  'review.detail.hActor': ['审核人', 'Reviewer'],
  'review.detail.hAt': ['时间', 'When'],
  'review.detail.objections': ['未处理的异议', 'Open objections'],
  'review.form.title': ['作出决定：{step}', 'Decide: {step}'],
  'review.form.decision': ['审核决定', 'Decision'],
  'review.form.reasons': ['理由（每行一条；退回补正和不通过必填，将告知企业）', 'Reasons (one a line; required to return or refuse; the enterprise sees them)'],
  'review.form.comment': ['内部意见（企业不可见）', 'Internal comment (not shown to the enterprise)'],
  'review.form.submit': ['提交决定', 'Submit the decision'],
  'review.form.errors': ['请更正下列问题后再提交。', 'Please correct the problems below.'],
  'review.form.conflict': ['该申报已被他人处理或已更新，请查看当前状态后再决定。', 'Someone else acted on this application; check its state and decide again.'],
  'review.decided': ['已记录决定。', 'The decision was recorded.'],
  'review.readonly': [
    '本环节须由持有“{duty}”职责的编辑或管理员决定：{who}',
    'This step is decided by an editor or administrator holding the “{duty}” duty: {who}',
  ],
  'review.readonly.nobody': ['（暂无人持有该职责）', '(nobody holds it yet)'],
  'review.noticeWait': ['该申报正在等待编入公示批次。', 'This application waits to be put in a public-notice batch.'],
  'review.duty.district': ['区级初审', 'district check'],
  'review.duty.city': ['市级审核', 'city review'],
  'review.duty.expert': ['专家评审', 'expert assessment'],
});

const PAGE_SIZE = 20;
const DAY = 86_400_000;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const body = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});
const stepName = (lang: Lang, s: Pick<ChainStep, 'nameZh' | 'nameEn'> | undefined, key: string) => (s ? (lang === 'en' ? s.nameEn : s.nameZh) : key);
const APP_ID = /^SB\d{8}-[0-9A-Z]{6}$/;
const FILE_ID = /^[0-9a-f]{16}$/;

function errorsByField(lang: Lang, problems: FieldProblem[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems ?? []) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

function badFilter(field: string): AppError {
  return new AppError('bad_request', '筛选条件不正确', {
    messageEn: 'Unknown filter value',
    fields: [{ field, message: '取值不正确', messageEn: 'unknown value' }],
  });
}

/** A stored field's value as text (values are strings mostly; anything else is shown as JSON). */
function fieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** A field's label as the enterprise's form gives it (applications.ts FIELDS_BY_KIND), else its name. */
function fieldLabel(lang: Lang, kind: ApplicationKind, name: string): string {
  if (name === 'target') return t(lang, 'review.detail.target');
  const def = FIELDS_BY_KIND[kind].find((f) => f.name === name);
  return def ? (lang === 'en' ? def.en : def.zh) : name;
}

function slotLabel(lang: Lang, kind: ApplicationKind, key: string): string {
  const def = SLOTS_BY_KIND[kind].find((s) => s.key === key);
  return def ? (lang === 'en' ? def.en : def.zh) : key;
}

function dueText(lang: Lang, due: Date | null, now: Date): { text: string; overdue: boolean } | null {
  if (!due) return null;
  const days = Math.ceil((due.getTime() - now.getTime()) / DAY);
  if (due.getTime() < now.getTime()) {
    const late = Math.max(1, Math.floor((now.getTime() - due.getTime()) / DAY));
    return { text: t(lang, 'review.overdueDays', { n: late }), overdue: true };
  }
  return { text: days <= 0 ? t(lang, 'review.dueToday') : t(lang, 'review.dueIn', { n: days }), overdue: false };
}

export function workflowAdminRoutes(deps: WorkflowDeps): Router {
  registerSubmitHook(deps.audit);
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));

  // ─── The queue ───────────────────────────────────────────────────────────────────────────────

  router.get('/applications', requireRole('viewer'), async (req, res) => {
    const lang = res.locals.lang;
    const now = new Date();
    const q = req.query;
    const status = str(q.status) ?? '';
    const kind = str(q.kind) ?? '';
    const step = str(q.step) ?? '';
    const overdue = str(q.overdue) === '1';
    const mine = str(q.mine) === '1';
    const pageText = str(q.page) ?? '1';
    if (status && status !== 'all' && (status === 'draft' || !isOneOf(APPLICATION_STATUSES, status))) throw badFilter('status');
    if (kind && !isOneOf(APPLICATION_KINDS, kind)) throw badFilter('kind');
    if (step && !/^[a-z][a-z0-9_]{1,30}$/.test(step)) throw badFilter('step');
    if (!/^\d{1,4}$/.test(pageText) || Number(pageText) < 1) throw badFilter('page');
    const pageNo = Number(pageText);

    const chains = await allChains();
    const chainByKind = new Map(chains.map((c) => [c._id, c]));
    const stepKeys = [...new Set(chains.flatMap((c) => c.steps.map((s) => s.key)))];
    const stepOf = (k: string, key: string) => chainByKind.get(k as ReviewChainDoc['_id'])?.steps.find((s) => s.key === key);

    const filter: Record<string, unknown> = {
      status: status === 'all' ? mongoose.trusted({ $ne: 'draft' }) : status ? status : mongoose.trusted({ $in: [...ACTIVE_STATUSES] }),
    };
    if (kind) filter.kind = kind;
    if (step) filter.step = step;
    if (overdue) filter.stepDueAt = mongoose.trusted({ $lt: now });
    if (mine) {
      const { duties } = await deciderOf(currentUser(res)!);
      // Steps whose duty I hold, per kind (the chains may differ by kind).
      const or = chains
        .map((c) => ({ kind: c._id, keys: c.steps.filter((s) => duties.includes(s.duty)).map((s) => s.key) }))
        .filter((c) => c.keys.length > 0)
        .map((c) => ({ kind: c.kind, step: mongoose.trusted({ $in: c.keys }) }));
      filter.$or = or.length ? or : [{ _id: null }];
    }
    const total = await Application.countDocuments(filter);
    const rows = await Application.find(filter, { fields: 0, files: 0, versions: 0, history: 0 })
      .sort({ stepDueAt: 1, submittedAt: 1, _id: 1 })
      .skip((pageNo - 1) * PAGE_SIZE)
      .limit(PAGE_SIZE)
      .lean<ApplicationDoc[]>();
    const companies = new Map(
      (
        await Enterprise.find({ _id: mongoose.trusted({ $in: rows.map((r) => r.enterprise) }) }, { company: 1 }).lean<
          Array<{ _id: unknown; company: string }>
        >()
      ).map((e) => [String(e._id), e.company]),
    );
    const counts = await Promise.all(
      stepKeys.map(async (key) => {
        const first = chains.map((c) => c.steps.find((s) => s.key === key)).find(Boolean);
        const n = await Application.countDocuments({ status: mongoose.trusted({ $in: ['in_review', 'notice'] }), step: key });
        return { key, name: stepName(lang, first, key), n, href: url(lang, '/admin/applications', { step: key }), current: key === step };
      }),
    );
    const base = {
      status: status || undefined,
      kind: kind || undefined,
      step: step || undefined,
      overdue: overdue ? '1' : undefined,
      mine: mine ? '1' : undefined,
    };
    page(res, 200, 'admin/applications', {
      title: t(lang, 'workflow.queue.title'),
      chainsHref: url(lang, '/admin/chains'),
      statuses: APPLICATION_STATUSES.filter((s) => s !== 'draft').map((s) => ({ value: s, label: t(lang, `review.status.${s}`), selected: s === status })),
      allSelected: status === 'all',
      kinds: APPLICATION_KINDS.map((k) => ({ value: k, label: t(lang, `review.kind.${k}`), selected: k === kind })),
      steps: counts.map((c) => ({ value: c.key, label: c.name, selected: c.key === step })),
      overdue,
      mine,
      counts,
      total,
      rows: rows.map((r) => {
        const due = dueText(lang, r.stepDueAt, now);
        return {
          id: r._id,
          href: url(lang, `/admin/applications/${r._id}`),
          company: companies.get(String(r.enterprise)) ?? '',
          kind: t(lang, `review.kind.${r.kind}`),
          target: r.target,
          state: r.status,
          status: t(lang, `review.status.${r.status}`),
          step: r.step ? stepName(lang, stepOf(r.kind, r.step), r.step) : '—',
          due: due?.text ?? '—',
          overdue: due?.overdue ?? false,
        };
      }),
      pageNo,
      prevHref: pageNo > 1 ? url(lang, '/admin/applications', { ...base, page: pageNo - 1 }) : null,
      nextHref: pageNo * PAGE_SIZE < total ? url(lang, '/admin/applications', { ...base, page: pageNo + 1 }) : null,
    });
  });

  // ─── One application ─────────────────────────────────────────────────────────────────────────

  const detailPage = async (
    res: Response,
    status: number,
    id: string,
    o: { typed?: Record<string, unknown>; conflict?: boolean; errors?: Record<string, string> } = {},
  ) => {
    const lang = res.locals.lang;
    const now = new Date();
    const app = APP_ID.test(id) ? await Application.findById(id).lean<ApplicationDoc>() : null;
    if (!app || app.status === 'draft') throw notFound('申报', 'application');
    const chain = await chainOf(app.kind);
    const step = chain.steps.find((s) => s.key === app.step);
    const ent = await Enterprise.findById(app.enterprise, { company: 1, creditCode: 1, email: 1 }).lean<{
      company: string;
      creditCode: string;
      email: string;
    }>();
    const decider = await deciderOf(currentUser(res)!);
    const decidable = app.status === 'in_review' && step !== undefined && step.type !== 'notice';
    const canDecide = decidable && mayDecide(decider, step);
    const latest = app.versions.at(-1);
    const fileRow = (f: ApplicationFile) => ({
      name: f.name,
      slot: slotLabel(lang, app.kind, f.slot),
      type: f.type,
      size: `${Math.max(1, Math.round(f.size / 1024))} KB`,
      href: url(lang, `/admin/applications/${app._id}/files/${f.id}`),
    });
    const versions = app.versions.slice(0, -1).map((v, i) => {
      const next = app.versions[i + 1]!;
      const keys = [...new Set([...Object.keys(v.fields ?? {}), ...Object.keys(next.fields ?? {})])];
      const changes = keys
        .filter((k) => fieldText(v.fields?.[k]) !== fieldText(next.fields?.[k]))
        .map((k) => ({ field: fieldLabel(lang, app.kind, k), before: fieldText(v.fields?.[k]), after: fieldText(next.fields?.[k]) }));
      return { title: t(lang, 'review.detail.version', { n: v.n, at: formatTime(lang, v.submittedAt) }), changes, files: v.files.map(fileRow) };
    });
    let readonly: string | null = null;
    if (decidable && !canDecide && step) {
      const who = (await dutyHolders())
        .filter((u) => u.duties.includes(step.duty) && roleAtLeast(u.role, 'editor'))
        .map((u) => (u.name ? `${u.name}（${u.email}）` : u.email));
      readonly = t(lang, 'review.readonly', {
        duty: t(lang, `review.duty.${step.duty}`),
        who: who.length ? who.slice(0, 20).join('、') : t(lang, 'review.readonly.nobody'),
      });
    }
    const objections =
      step?.type === 'decision'
        ? await Objection.find({ application: app._id, status: 'open' }, { _id: 1, name: 1, createdAt: 1 })
            .limit(50)
            .lean<Array<{ _id: string; name: string; createdAt: Date }>>()
        : [];
    const typed = o.typed ?? {};
    const due = dueText(lang, app.stepDueAt, now);
    page(res, status, 'admin/applications-detail', {
      title: t(lang, 'review.detail.title', { id: app._id }),
      id: app._id,
      backHref: url(lang, '/admin/applications'),
      kind: t(lang, `review.kind.${app.kind}`),
      target: app.target,
      state: app.status,
      status: t(lang, `review.status.${app.status}`),
      company: ent?.company ?? '',
      creditCode: ent?.creditCode ?? '',
      email: ent?.email ?? '',
      step: app.step ? stepName(lang, step, app.step) : '',
      due: app.stepDueAt ? `${formatDate(lang, new Date(app.stepDueAt.getTime() + 8 * 3600_000))}（${due?.text ?? ''}）` : '',
      overdue: due?.overdue ?? false,
      submittedAt: app.submittedAt ? formatTime(lang, app.submittedAt) : '',
      decidedAt: app.decidedAt ? formatTime(lang, app.decidedAt) : '',
      listing: app.listing ? { text: `${app.listing.model} ${app.listing.id}`, href: url(lang, `/brands/${app.listing.brandSlug}`) } : null,
      latestN: latest?.n ?? 0,
      fields: Object.entries(latest?.fields ?? {}).map(([k, v]) => ({ name: fieldLabel(lang, app.kind, k), value: fieldText(v) })),
      files: (latest?.files ?? []).map(fileRow),
      versions: versions.reverse(),
      history: app.history.map((h) => ({
        step: stepName(
          lang,
          chain.steps.find((s) => s.key === h.step),
          h.step,
        ),
        version: h.version,
        decision: t(lang, `review.decision.${h.decision}`),
        reasons: h.reasons,
        comment: h.comment,
        actor: h.actor,
        at: formatTime(lang, h.at),
      })),
      noticeWait: app.status === 'in_review' && step?.type === 'notice',
      objections: objections.map((x) => ({ id: x._id, name: x.name, at: formatTime(lang, x.createdAt) })),
      canDecide,
      readonly,
      formTitle: step ? t(lang, 'review.form.title', { step: stepName(lang, step, app.step) }) : '',
      action: url(lang, `/admin/applications/${app._id}/decision`),
      version: app.version,
      decisions: (['pass', 'return', 'reject'] as const).map((d) => ({
        value: d,
        label: t(lang, `review.decision.${d}`),
        checked: d === (str(typed.decision) ?? 'pass'),
      })),
      reasons: str(typed.reasons) ?? '',
      comment: str(typed.comment) ?? '',
      conflict: o.conflict ?? false,
      errors: o.errors ?? {},
      hasErrors: Object.keys(o.errors ?? {}).length > 0,
      // What the registry refused (the listing's fields, e.g. a tier the brand already holds).
      listingProblems: Object.entries(o.errors ?? {})
        .filter(([field]) => !['decision', 'reasons', 'comment'].includes(field))
        .map(([field, message]) => ({ field, message })),
    });
  };

  router.get('/applications/:id', requireRole('viewer'), async (req, res) => detailPage(res, 200, String(req.params.id)));

  router.post('/applications/:id/decision', requireRole('viewer'), async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    if (!APP_ID.test(id)) throw notFound('申报', 'application');
    const b = body(req);
    const user = currentUser(res)!;
    if (!roleAtLeast(user.role, 'editor')) throw new AppError('forbidden', '只读账户不能作出审核决定', { messageEn: 'Viewers cannot decide' });
    try {
      await decideStep(deps, await deciderOf(user), id, { version: b.version, decision: b.decision, reasons: b.reasons, comment: b.comment });
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return detailPage(res, 409, id, { typed: b, conflict: true });
      if (err instanceof AppError && err.code === 'validation_failed') return detailPage(res, 400, id, { typed: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    deps.logger.debug({ application: id, actor: actorOf(res) }, 'review: decision recorded');
    flash(req, 'review.decided');
    res.redirect(303, url(lang, `/admin/applications/${id}`));
  });

  router.get('/applications/:id/files/:fileId', requireRole('viewer'), async (req, res) => {
    const id = String(req.params.id);
    const fileId = String(req.params.fileId);
    if (!APP_ID.test(id) || !FILE_ID.test(fileId)) throw notFound('材料', 'document');
    const app = await Application.findById(id, { status: 1, versions: 1 }).lean<ApplicationDoc>();
    if (!app || app.status === 'draft') throw notFound('材料', 'document');
    // Reviewers see what was submitted (any version), never the working copy.
    const file = app.versions.flatMap((v) => v.files).find((f) => f.id === fileId);
    if (!file) throw notFound('材料', 'document');
    await sendDocument(res, deps.documents, documentKey(app._id, file.id), file);
  });

  // ─── The chains ──────────────────────────────────────────────────────────────────────────────

  const chainsPage = async (
    res: Response,
    status: number,
    o: { kind?: string; typed?: Record<string, unknown>; errors?: Record<string, string>; conflict?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    const canEdit = roleAtLeast(currentUser(res)!.role, 'admin');
    const chains = await allChains();
    page(res, status, 'admin/chains', {
      title: t(lang, 'review.chains.title'),
      canEdit,
      chains: chains.map((c) => {
        const mineTyped = o.kind === c._id ? (o.typed ?? {}) : null;
        const errs = o.kind === c._id ? (o.errors ?? {}) : {};
        return {
          kind: c._id,
          heading: t(lang, 'review.chains.kind', { kind: t(lang, `review.kind.${c._id}`), version: c.version }),
          action: url(lang, `/admin/chains/${c._id}`),
          version: c.version,
          conflict: o.kind === c._id && (o.conflict ?? false),
          hasErrors: Object.keys(errs).length > 0,
          updated: t(lang, 'review.chains.updatedBy', { who: c.updatedBy, at: formatTime(lang, c.updatedAt) }),
          steps: c.steps.map((s, i) => ({
            i,
            key: s.key,
            type: t(lang, `review.stepType.${s.type}`),
            nameZh: (mineTyped && str(mineTyped[`nameZh_${i}`])) ?? s.nameZh,
            nameEn: (mineTyped && str(mineTyped[`nameEn_${i}`])) ?? s.nameEn,
            days: (mineTyped && str(mineTyped[`days_${i}`])) ?? String(s.days),
            dutyLabel: t(lang, `review.duty.${s.duty}`),
            duties: DUTIES.map((d) => ({
              value: d,
              label: t(lang, `review.duty.${d}`),
              selected: d === ((mineTyped && str(mineTyped[`duty_${i}`])) ?? s.duty),
            })),
            errNameZh: errs[`nameZh_${i}`],
            errNameEn: errs[`nameEn_${i}`],
            errDuty: errs[`duty_${i}`],
            errDays: errs[`days_${i}`],
          })),
        };
      }),
    });
  };

  router.get('/chains', requireRole('viewer'), async (_req, res) => chainsPage(res, 200));

  router.post('/chains/:kind', requireRole('admin'), async (req, res) => {
    const lang = res.locals.lang;
    const kind = String(req.params.kind);
    if (!isOneOf(APPLICATION_KINDS, kind)) throw notFound('审核链', 'review chain');
    const b = body(req);
    const versionText = str(b.version) ?? '';
    if (!/^\d{1,9}$/.test(versionText)) throw new AppError('bad_request', '缺少版本号', { messageEn: 'The form has no version' });
    const steps: StepInput[] = Array.from({ length: 10 }, (_, i) => ({
      nameZh: b[`nameZh_${i}`],
      nameEn: b[`nameEn_${i}`],
      duty: b[`duty_${i}`],
      days: b[`days_${i}`],
    }));
    try {
      await updateChain(deps.audit, currentUser(res)!, kind, Number(versionText), steps);
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return chainsPage(res, 409, { kind, conflict: true });
      if (err instanceof AppError && err.code === 'validation_failed') return chainsPage(res, 400, { kind, typed: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    flash(req, 'review.chains.saved');
    res.redirect(303, url(lang, '/admin/chains'));
  });

  return router;
}
