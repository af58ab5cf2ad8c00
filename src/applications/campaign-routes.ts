/**
 * Re-review campaigns (复核, issue #15 item 4): the back office and the enterprises' side.
 *
 * Back office (mounted inside /admin):
 *   GET  /admin/campaigns                                        campaigns, and the form to open one (editors)
 *   POST /admin/campaigns                                        open a campaign
 *   GET  /admin/campaigns/:id[?show=pending|reported|decided]    its listings, self-reports and outcomes
 *   POST /admin/campaigns/:id/close                              close it
 *   POST /admin/campaigns/:id/listings/:listing/outcome          record a listing's outcome (appendReview)
 *   GET  /admin/campaigns/:id/listings/:listing/files/:fileId    a self-report document (attachment)
 *
 * Enterprises (mounted inside /apply, signed in):
 *   GET  /apply/campaigns                                        the open campaigns covering their listings
 *   GET  /apply/campaigns/:id/:listing                           the self-report form
 *   POST /apply/campaigns/:id/:listing                           submit / edit the text (until closesOn)
 *   POST /apply/campaigns/:id/:listing/files                     add a document (multipart, one file)
 *   POST /apply/campaigns/:id/:listing/files/:fileId/delete      remove a document
 *   GET  /apply/campaigns/:id/:listing/files/:fileId             a document of their own
 */
import { Router, type Request, type Response } from 'express';
import { actorOf, currentUser, flash, requireRole } from '../accounts/middleware.js';
import { roleAtLeast } from '../accounts/roles.js';
import { AppError, notFound, type FieldProblem } from '../platform/errors.js';
import { isOneOf, isRecord } from '../platform/guards.js';
import { formatDate, formatTime, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import { activeValues } from '../registries/reference-data.js';
import { CONDITIONAL_PASS, REVIEW_FAILED, TIME_HONORED_TIERS } from '../registries/reference.js';
import {
  CAMPAIGN_ID,
  FILTERS,
  LISTING_ID,
  MAX_FILES,
  TEXT_MAX,
  TEXT_MIN,
  addSelfReportFile,
  campaignDetail,
  campaignDocumentKey,
  closeCampaign,
  enterpriseCampaigns,
  enterpriseReport,
  isEditable,
  openCampaign,
  recordOutcome,
  removeSelfReportFile,
  submitSelfReport,
  todayOf,
  type EnterpriseListing,
} from './campaigns.js';
import type { WorkflowDeps } from './deps.js';
import { receiveDocument, sendDocument } from './documents.js';
import { enterpriseOf, requireEnterprise } from './enterprise-session.js';
import { Campaign, SelfReport, type ApplicationFile, type CampaignDoc } from './model.js';

registerMessages({
  'campaign.title': ['老字号复核', 'Time-honored re-reviews'],
  'campaign.intro': [
    '开启复核后，该级别在册的老字号均须在截止日期前提交自查报告；复核结果记入各老字号的复核记录，不通过的移出名录并公开原因。',
    'Once a campaign opens, every listing of that tier files a self-report by the closing day; outcomes are recorded on each listing, and a failed one is removed with the reason shown publicly.',
  ],
  'campaign.none': ['尚无复核。', 'No campaigns yet.'],
  'campaign.th.id': ['编号', 'Campaign'],
  'campaign.th.title': ['名称', 'Title'],
  'campaign.th.tier': ['级别', 'Tier'],
  'campaign.th.period': ['自查期', 'Self-report period'],
  'campaign.th.status': ['状态', 'Status'],
  'campaign.th.listings': ['复核对象', 'Listings'],
  'campaign.status.open': ['进行中', 'open'],
  'campaign.status.closed': ['已结束', 'closed'],
  'campaign.open.title': ['开启复核', 'Open a campaign'],
  'campaign.open.submit': ['开启复核', 'Open the campaign'],
  'campaign.open.done': ['复核已开启。', 'The campaign was opened.'],
  'campaign.field.title': ['复核名称', 'Title'],
  'campaign.field.tier': ['老字号级别', 'Tier'],
  'campaign.field.opensOn': ['开始日期', 'Opens on'],
  'campaign.field.closesOn': ['自查截止日期', 'Self-reports due by'],
  'campaign.hint.date': ['格式 YYYY-MM-DD（北京时间）。', 'As YYYY-MM-DD (Beijing time).'],
  'campaign.choose': ['请选择', 'Choose'],
  'campaign.errors': ['请更正下列问题后再提交。', 'Please correct the problems below.'],
  'campaign.conflict': ['内容已被他人修改，请查看当前内容后再提交。', 'Someone else changed this; check it and try again.'],
  'campaign.period': ['{from} 至 {to}', '{from} to {to}'],
  'campaign.detail.title': ['复核 {id}', 'Campaign {id}'],
  'campaign.detail.back': ['返回复核列表', 'Back to the campaigns'],
  'campaign.detail.openedBy': ['开启人', 'Opened by'],
  'campaign.progress': ['进度', 'Progress'],
  'campaign.count.total': ['复核对象 {n} 个', '{n} listings'],
  'campaign.count.reported': ['已提交自查 {n} 个', '{n} self-reports in'],
  'campaign.count.pending': ['未提交 {n} 个', '{n} not in'],
  'campaign.count.decided': ['已作出结果 {n} 个', '{n} decided'],
  'campaign.filter': ['显示', 'Show'],
  'campaign.filter.all': ['全部', 'All'],
  'campaign.filter.pending': ['未提交', 'Not reported'],
  'campaign.filter.reported': ['已提交', 'Reported'],
  'campaign.filter.decided': ['已作出结果', 'Decided'],
  'campaign.filter.submit': ['筛选', 'Filter'],
  'campaign.th.brand': ['品牌', 'Brand'],
  'campaign.th.report': ['自查报告', 'Self-report'],
  'campaign.th.outcome': ['复核结果', 'Outcome'],
  'campaign.report.none': ['未提交', 'not submitted'],
  'campaign.report.in': ['已提交（{at}）', 'submitted ({at})'],
  'campaign.report.files': ['材料', 'Documents'],
  'campaign.report.noFiles': ['没有材料。', 'No documents.'],
  'campaign.listing.removed': ['已移出名录', 'removed from the list'],
  'campaign.listing.gone': ['（该条目已不存在）', '(this listing no longer exists)'],
  'campaign.outcome.none': ['尚未作出', 'not yet decided'],
  'campaign.outcome.legend': ['记录复核结果：{brand}', 'Record the outcome: {brand}'],
  'campaign.outcome.outcome': ['复核结果', 'Outcome'],
  'campaign.outcome.deadline': ['整改期限（附条件通过必填，YYYY-MM-DD）', 'Rectification deadline (for a pass with conditions, YYYY-MM-DD)'],
  'campaign.outcome.note': ['说明（不通过必填，作为移出原因公开显示）', 'Note (required for a failed review: the removal reason, shown publicly)'],
  'campaign.outcome.submit': ['记录结果', 'Record the outcome'],
  'campaign.outcome.done': ['复核结果已记录。', 'The outcome was recorded.'],
  'campaign.close.submit': ['结束本次复核', 'Close this campaign'],
  'campaign.close.hint': [
    '结束后企业不能再提交或修改自查报告；复核结果仍可记录。',
    'Once closed, enterprises can no longer submit or change self-reports; outcomes may still be recorded.',
  ],
  'campaign.close.done': ['复核已结束。', 'The campaign was closed.'],
  'campaign.download': ['下载', 'Download'],
  'campaign.text': ['自查报告', 'Self-report'],
  // The enterprise's side.
  'campaign.ent.title': ['复核自查', 'Re-review self-reports'],
  'campaign.ent.intro': [
    '贵企业的老字号正在复核。请在截止日期前提交自查报告和证明材料；截止前可以修改。',
    'Your time-honored listing is being re-reviewed. File a self-report with supporting documents by the closing day; you may change it until then.',
  ],
  'campaign.ent.none': ['目前没有需要贵企业提交自查报告的复核。', 'No re-review currently needs a self-report from your enterprise.'],
  'campaign.ent.due': ['截止 {d}', 'due {d}'],
  'campaign.ent.open': ['填写自查报告', 'Write the self-report'],
  'campaign.ent.view': ['查看', 'View'],
  'campaign.ent.formTitle': ['自查报告：{brand}（{tier}）', 'Self-report: {brand} ({tier})'],
  'campaign.ent.campaign': ['复核', 'Campaign'],
  'campaign.ent.closes': ['截止日期', 'Due by'],
  'campaign.ent.state': ['状态', 'Status'],
  'campaign.ent.text': ['自查报告（{min}–{max} 字）', 'Self-report ({min}–{max} characters)'],
  'campaign.ent.textHint': [
    '说明老字号认定条件的保持情况：经营状况、传统技艺传承、品牌使用、有无违法违规等。',
    'How the listing’s conditions are kept: the business, the heritage and its transmission, use of the brand, any violations.',
  ],
  'campaign.ent.submit': ['提交自查报告', 'Submit the self-report'],
  'campaign.ent.saved': ['自查报告已提交。截止日期前仍可修改。', 'The self-report was submitted. You may change it until the closing day.'],
  'campaign.ent.files': ['证明材料（最多 {n} 份，PDF、JPEG 或 PNG）', 'Supporting documents (up to {n}: PDF, JPEG or PNG)'],
  'campaign.ent.file': ['选择文件', 'Choose a file'],
  'campaign.ent.upload': ['上传材料', 'Upload'],
  'campaign.ent.uploaded': ['材料已上传。', 'The document was uploaded.'],
  'campaign.ent.remove': ['删除', 'Remove'],
  'campaign.ent.removed': ['材料已删除。', 'The document was removed.'],
  'campaign.ent.full': ['已达材料数量上限。', 'The document limit is reached.'],
  'campaign.ent.closed': ['本次复核的自查已截止，不能再修改。', 'Self-reports for this campaign are closed and can no longer be changed.'],
  'campaign.ent.decided': ['复核结果：{outcome}', 'Outcome: {outcome}'],
  'campaign.ent.back': ['返回复核列表', 'Back to the re-reviews'],
});

const FILE_ID = /^[0-9a-f]{16}$/;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const bodyOf = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});
const day = (d: Date) => d.toISOString().slice(0, 10);

function errorsByField(lang: Lang, problems: FieldProblem[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems ?? []) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

const period = (lang: Lang, c: CampaignDoc) => t(lang, 'campaign.period', { from: formatDate(lang, c.opensOn), to: formatDate(lang, c.closesOn) });

// ─── Back office ────────────────────────────────────────────────────────────────────────────────

export function campaignAdminRoutes(deps: WorkflowDeps): Router {
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));
  const mayEdit = (res: Response) => roleAtLeast(currentUser(res)!.role, 'editor');

  const listPage = async (res: Response, status: number, o: { typed?: Record<string, unknown>; errors?: Record<string, string> } = {}) => {
    const lang = res.locals.lang;
    // A campaign holds at most a tier's listings (hundreds): their count is read with them.
    const campaigns = await Campaign.find({}).sort({ createdAt: -1 }).limit(100).lean<CampaignDoc[]>();
    const typed = o.typed ?? {};
    const today = day(todayOf(new Date()));
    page(res, status, 'admin/campaigns', {
      title: t(lang, 'campaign.title'),
      rows: campaigns.map((c) => ({
        id: c._id,
        href: url(lang, `/admin/campaigns/${c._id}`),
        title: c.title,
        tier: label(lang, c.tier),
        period: period(lang, c),
        status: t(lang, `campaign.status.${c.status}`),
        state: c.status,
        listings: c.listings.length,
      })),
      canEdit: mayEdit(res),
      action: url(lang, '/admin/campaigns'),
      tiers: TIME_HONORED_TIERS.map((x) => ({ value: x, label: label(lang, x), selected: x === str(typed.tier) })),
      values: { title: str(typed.title) ?? '', opensOn: str(typed.opensOn) ?? today, closesOn: str(typed.closesOn) ?? '' },
      errors: o.errors ?? {},
      hasErrors: Object.keys(o.errors ?? {}).length > 0,
    });
  };

  router.get('/campaigns', requireRole('viewer'), async (_req, res) => listPage(res, 200));

  router.post('/campaigns', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const b = bodyOf(req);
    let c: CampaignDoc;
    try {
      c = await openCampaign(deps.audit, actorOf(res), { title: b.title, tier: b.tier, opensOn: b.opensOn, closesOn: b.closesOn });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return listPage(res, 400, { typed: b, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    flash(req, 'campaign.open.done');
    res.redirect(303, url(lang, `/admin/campaigns/${c._id}`));
  });

  const detailPage = async (
    req: Request,
    res: Response,
    status: number,
    o: { listing?: string; typed?: Record<string, unknown>; errors?: Record<string, string>; conflict?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const show = str(req.query.show) ?? 'all';
    if (!isOneOf(FILTERS, show))
      throw new AppError('bad_request', '筛选条件不正确', {
        messageEn: 'Unknown filter value',
        fields: [{ field: 'show', message: '取值不正确', messageEn: 'unknown value' }],
      });
    const { campaign, rows, counts } = await campaignDetail(id, show);
    const canEdit = mayEdit(res);
    const outcomes = activeValues('review-outcome');
    page(res, status, 'admin/campaign', {
      title: t(lang, 'campaign.detail.title', { id: campaign._id }),
      id: campaign._id,
      campaignTitle: campaign.title,
      tier: label(lang, campaign.tier),
      period: period(lang, campaign),
      status: t(lang, `campaign.status.${campaign.status}`),
      open: campaign.status === 'open',
      openedBy: campaign.openedBy,
      backHref: url(lang, '/admin/campaigns'),
      counts: [
        { key: 'total', text: t(lang, 'campaign.count.total', { n: counts.total }) },
        { key: 'reported', text: t(lang, 'campaign.count.reported', { n: counts.reported }) },
        { key: 'pending', text: t(lang, 'campaign.count.pending', { n: counts.pending }) },
        { key: 'decided', text: t(lang, 'campaign.count.decided', { n: counts.decided }) },
      ],
      filterAction: url(lang, `/admin/campaigns/${campaign._id}`),
      filters: FILTERS.map((f) => ({ value: f, label: t(lang, `campaign.filter.${f}`), selected: f === show })),
      canEdit,
      closeAction: url(lang, `/admin/campaigns/${campaign._id}/close`),
      version: campaign.version,
      conflict: o.conflict ?? false,
      rows: rows.map((r) => {
        const mine = o.listing === r.listing;
        const typed = mine ? (o.typed ?? {}) : {};
        const errors = mine ? (o.errors ?? {}) : {};
        return {
          listing: r.listing,
          brand: r.brand?.name ?? t(lang, 'campaign.listing.gone'),
          brandHref: r.brand ? url(lang, `/brands/${r.brand.slug}`) : null,
          removed: r.listingStatus === '已移出',
          reported: !!r.report.submittedAt,
          reportText: r.report.submittedAt ? t(lang, 'campaign.report.in', { at: formatTime(lang, r.report.submittedAt) }) : t(lang, 'campaign.report.none'),
          text: r.report.text,
          files: r.report.files.map((f) => ({
            name: f.name,
            size: `${Math.max(1, Math.round(f.size / 1024))} KB`,
            href: url(lang, `/admin/campaigns/${campaign._id}/listings/${r.listing}/files/${f.id}`),
          })),
          outcome: r.report.outcome ? label(lang, r.report.outcome) : '',
          outcomeClass: r.report.outcome === REVIEW_FAILED ? 'bad' : r.report.outcome === CONDITIONAL_PASS ? 'warn' : 'ok',
          outcomeAt: r.report.outcomeAt ? formatTime(lang, r.report.outcomeAt) : '',
          form:
            canEdit && !r.report.outcome && r.brand && r.listingStatus !== '已移出'
              ? {
                  action: url(lang, `/admin/campaigns/${campaign._id}/listings/${r.listing}/outcome`),
                  legend: t(lang, 'campaign.outcome.legend', { brand: r.brand.name }),
                  version: r.listingVersion,
                  outcomes: outcomes.map((x) => ({ value: x, label: label(lang, x), checked: x === str(typed.outcome) })),
                  deadline: str(typed.deadline) ?? '',
                  note: str(typed.note) ?? '',
                  errors,
                  hasErrors: Object.keys(errors).length > 0,
                  conflict: mine && (o.conflict ?? false),
                }
              : null,
        };
      }),
    });
  };

  router.get('/campaigns/:id', requireRole('viewer'), async (req, res) => detailPage(req, res, 200));

  router.post('/campaigns/:id/close', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    try {
      await closeCampaign(deps.audit, actorOf(res), id, bodyOf(req).version);
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return detailPage(req, res, 409, { conflict: true });
      throw err;
    }
    flash(req, 'campaign.close.done');
    res.redirect(303, url(lang, `/admin/campaigns/${id}`));
  });

  router.post('/campaigns/:id/listings/:listing/outcome', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const b = bodyOf(req);
    try {
      await recordOutcome(deps.audit, actorOf(res), id, listing, { version: b.version, outcome: b.outcome, deadline: b.deadline, note: b.note });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed')
        return detailPage(req, res, 400, { listing, typed: b, errors: errorsByField(lang, err.fields) });
      if (err instanceof AppError && err.code === 'conflict') return detailPage(req, res, 409, { listing, typed: b, conflict: true });
      throw err;
    }
    flash(req, 'campaign.outcome.done');
    res.redirect(303, url(lang, `/admin/campaigns/${id}`));
  });

  router.get('/campaigns/:id/listings/:listing/files/:fileId', requireRole('viewer'), async (req, res) => {
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const fileId = String(req.params.fileId);
    if (!CAMPAIGN_ID.test(id) || !LISTING_ID.test(listing) || !FILE_ID.test(fileId)) throw notFound('材料', 'document');
    const report = await SelfReport.findById(`${id}:${listing}`, { files: 1 }).lean<{ files: ApplicationFile[] }>();
    const file = report?.files.find((f) => f.id === fileId);
    if (!file) throw notFound('材料', 'document');
    await sendDocument(res, deps.documents, campaignDocumentKey(id, listing, file.id), file);
  });

  return router;
}

// ─── Enterprises ────────────────────────────────────────────────────────────────────────────────

export function campaignEnterpriseRoutes(deps: WorkflowDeps): Router {
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));
  const guard = requireEnterprise();

  router.get('/campaigns', guard, async (_req, res) => {
    const lang = res.locals.lang;
    const now = new Date();
    const rows = await enterpriseCampaigns(enterpriseOf(res)!, now);
    page(res, 200, 'apply/campaigns', {
      title: t(lang, 'campaign.ent.title'),
      rows: rows.map((r) => ({
        campaign: r.campaign.title,
        brand: r.brand.name,
        tier: label(lang, r.tier),
        due: t(lang, 'campaign.ent.due', { d: formatDate(lang, r.campaign.closesOn) }),
        state: r.report.outcome
          ? label(lang, r.report.outcome)
          : r.report.submittedAt
            ? t(lang, 'campaign.report.in', { at: formatTime(lang, r.report.submittedAt) })
            : t(lang, 'campaign.report.none'),
        href: url(lang, `/apply/campaigns/${r.campaign._id}/${r.listing}`),
        editable: isEditable(r.campaign, now) && !r.report.outcome,
      })),
    });
  });

  const formPage = async (
    req: Request,
    res: Response,
    status: number,
    o: { r?: EnterpriseListing; typed?: string; errors?: Record<string, string>; conflict?: boolean; notice?: string } = {},
  ) => {
    const lang = res.locals.lang;
    const now = new Date();
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const r = o.r ?? (await enterpriseReport(enterpriseOf(res)!, id, listing, now));
    const editable = isEditable(r.campaign, now) && !r.report.outcome;
    const base = `/apply/campaigns/${r.campaign._id}/${r.listing}`;
    const saved = str(req.query.done);
    const notice = o.notice ?? (saved && ['saved', 'uploaded', 'removed'].includes(saved) ? t(lang, `campaign.ent.${saved}`) : '');
    page(res, status, 'apply/campaign-report', {
      title: t(lang, 'campaign.ent.formTitle', { brand: r.brand.name, tier: label(lang, r.tier) }),
      campaign: r.campaign.title,
      closes: formatDate(lang, r.campaign.closesOn),
      state: r.report.submittedAt ? t(lang, 'campaign.report.in', { at: formatTime(lang, r.report.submittedAt) }) : t(lang, 'campaign.report.none'),
      outcome: r.report.outcome ? t(lang, 'campaign.ent.decided', { outcome: label(lang, r.report.outcome) }) : '',
      editable,
      notice,
      conflict: o.conflict ?? false,
      errors: o.errors ?? {},
      hasErrors: Object.keys(o.errors ?? {}).length > 0,
      action: url(lang, base),
      uploadAction: url(lang, `${base}/files`),
      version: r.report.version,
      text: o.typed ?? r.report.text,
      textLabel: t(lang, 'campaign.ent.text', { min: TEXT_MIN, max: TEXT_MAX }),
      textMax: TEXT_MAX,
      filesLabel: t(lang, 'campaign.ent.files', { n: MAX_FILES }),
      full: r.report.files.length >= MAX_FILES,
      files: r.report.files.map((f) => ({
        name: f.name,
        size: `${Math.max(1, Math.round(f.size / 1024))} KB`,
        href: url(lang, `${base}/files/${f.id}`),
        removeAction: url(lang, `${base}/files/${f.id}/delete`),
      })),
      backHref: url(lang, '/apply/campaigns'),
    });
  };

  router.get('/campaigns/:id/:listing', guard, async (req, res) => formPage(req, res, 200));

  const again = (res: Response, base: string, done: string) => res.redirect(303, url(res.locals.lang, base, { done }));

  router.post('/campaigns/:id/:listing', guard, async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const b = bodyOf(req);
    try {
      await submitSelfReport(deps.audit, enterpriseOf(res)!, id, listing, { version: b.version, text: b.text });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed')
        return formPage(req, res, 400, { typed: str(b.text) ?? '', errors: errorsByField(lang, err.fields) });
      if (err instanceof AppError && err.code === 'conflict') return formPage(req, res, 409, { typed: str(b.text) ?? '', conflict: true });
      throw err;
    }
    again(res, `/apply/campaigns/${id}/${listing}`, 'saved');
  });

  router.post('/campaigns/:id/:listing/files', guard, async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const ent = enterpriseOf(res)!;
    // 404 before reading a byte of someone else's listing.
    const r = await enterpriseReport(ent, id, listing);
    if (r.report.files.length >= MAX_FILES) {
      return formPage(req, res, 400, { r, errors: { file: lang === 'en' ? `at most ${MAX_FILES} documents` : `最多上传${MAX_FILES}份材料` } });
    }
    let received;
    try {
      received = await receiveDocument(req, deps, { owner: listing, area: `campaigns/${id}` });
    } catch (err) {
      if (err instanceof AppError && (err.code === 'payload_too_large' || err.code === 'validation_failed')) {
        return formPage(req, res, err.status, { r, errors: errorsByField(lang, err.fields) });
      }
      throw err;
    }
    if (!received.file)
      return formPage(req, res, 400, { r, errors: errorsByField(lang, [{ field: 'file', message: '请选择一个文件', messageEn: 'choose a file' }]) });
    try {
      await addSelfReportFile(deps.audit, ent, r, received.fields.version, received.file);
    } catch (err) {
      // The stored bytes stay unreferenced (the store removes folders only); nothing links to them.
      if (err instanceof AppError && err.code === 'validation_failed') return formPage(req, res, 400, { r, errors: errorsByField(lang, err.fields) });
      if (err instanceof AppError && err.code === 'conflict') return formPage(req, res, 409, { conflict: true });
      throw err;
    }
    again(res, `/apply/campaigns/${id}/${listing}`, 'uploaded');
  });

  router.post('/campaigns/:id/:listing/files/:fileId/delete', guard, async (req, res) => {
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const fileId = String(req.params.fileId);
    const ent = enterpriseOf(res)!;
    const r = await enterpriseReport(ent, id, listing);
    if (!FILE_ID.test(fileId)) throw notFound('材料', 'document');
    try {
      await removeSelfReportFile(deps.audit, ent, r, bodyOf(req).version, fileId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return formPage(req, res, 409, { conflict: true });
      throw err;
    }
    // The bytes are kept (the store removes folders only), unreachable once the report no longer lists them.
    again(res, `/apply/campaigns/${id}/${listing}`, 'removed');
  });

  router.get('/campaigns/:id/:listing/files/:fileId', guard, async (req, res) => {
    const id = String(req.params.id);
    const listing = String(req.params.listing);
    const fileId = String(req.params.fileId);
    const r = await enterpriseReport(enterpriseOf(res)!, id, listing);
    const file = FILE_ID.test(fileId) ? r.report.files.find((f) => f.id === fileId) : undefined;
    if (!file) throw notFound('材料', 'document');
    await sendDocument(res, deps.documents, campaignDocumentKey(id, listing, file.id), file);
  });

  return router;
}
