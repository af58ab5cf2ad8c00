/**
 * Periodic re-review campaigns (复核, issue #15 item 4). A campaign covers one 老字号 tier: opening
 * it snapshots that tier's listings still on the list and makes one SelfReport per listing. The
 * enterprise behind a listing (the brand's credit code = the enterprise account's) writes a
 * self-report with documents until closesOn; reviewers then record each listing's outcome, which
 * is a re-review on the listing itself (registry service appendReview: 附条件通过 with a deadline,
 * 不通过 with a reason that removes the listing publicly). Every step is audited.
 */
import mongoose from 'mongoose';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { registerMessages } from '../platform/i18n.js';
import { Brand, TimeHonored } from '../registries/models.js';
import { activeValues } from '../registries/reference-data.js';
import { CONDITIONAL_PASS, REVIEW_FAILED, TIME_HONORED_STATUSES, TIME_HONORED_TIERS, type TimeHonoredTier } from '../registries/reference.js';
import { REVIEW_NOTE_MAX, parseDay, reviewProblems } from '../registries/rules.js';
import { appendReview } from '../registries/service.js';
import { documentKey } from './documents.js';
import { enterpriseActor } from './enterprise-session.js';
import { Campaign, SelfReport, type ApplicationFile, type CampaignDoc, type SelfReportDoc } from './model.js';

registerMessages({
  'audit.action.campaign_opened': ['开启复核', 'Re-review campaign opened'],
  'audit.action.campaign_closed': ['结束复核', 'Re-review campaign closed'],
  'audit.action.self_report_submitted': ['提交复核自查报告', 'Re-review self-report submitted'],
  'audit.action.self_report_file': ['复核自查材料变更', 'Re-review self-report documents changed'],
  'audit.action.campaign_outcome': ['记录复核结果', 'Re-review outcome recorded'],
});

/** The URL part of each tier in a campaign id. */
export const TIER_SLUG: Readonly<Record<TimeHonoredTier, string>> = { 中华老字号: 'china', 湖北老字号: 'hubei', 武汉老字号: 'wuhan' };
export const CAMPAIGN_ID = /^\d{4}-(china|hubei|wuhan)-\d{1,3}$/;
export const LISTING_ID = /^[0-9a-f]{24}$/;
export const TEXT_MIN = 10;
export const TEXT_MAX = 4000;
export const MAX_FILES = 5;
const DAY = 86_400_000;
/** Beijing time, the bureau's clock: campaign days are its calendar days. */
const CST = 8 * 3600_000;
const REMOVED = TIME_HONORED_STATUSES[2];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** Today in Beijing as a day (00:00 UTC of that date), like the stored opensOn / closesOn. */
export function todayOf(now: Date): Date {
  const d = new Date(now.getTime() + CST);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** Self-reports may be written while the campaign is open, from opensOn to the end of closesOn (Beijing). */
export function isEditable(c: Pick<CampaignDoc, 'status' | 'opensOn' | 'closesOn'>, now: Date): boolean {
  const today = todayOf(now).getTime();
  return c.status === 'open' && c.opensOn.getTime() <= today && today <= c.closesOn.getTime();
}

/** The store key of a self-report document. */
export function campaignDocumentKey(campaign: string, listing: string, fileId: string): string {
  return documentKey(listing, fileId, `campaigns/${campaign.toLowerCase()}`);
}

// ─── Opening and closing ────────────────────────────────────────────────────────────────────────

export interface CampaignInput {
  title?: unknown;
  tier?: unknown;
  opensOn?: unknown;
  closesOn?: unknown;
}

export function campaignProblems(input: CampaignInput, now: Date): FieldProblem[] {
  const out: FieldProblem[] = [];
  const title = str(input.title).trim();
  if (!title) out.push(problem('title', '请填写复核名称', 'the title is required'));
  else if (title.length > 100) out.push(problem('title', '复核名称不能超过100个字符', 'the title is at most 100 characters'));
  const tier = str(input.tier);
  if (!tier) out.push(problem('tier', '请选择老字号级别', 'choose the tier'));
  else if (!(TIME_HONORED_TIERS as readonly string[]).includes(tier)) out.push(problem('tier', '老字号级别不正确', 'unknown tier'));
  const opensOn = parseDay(str(input.opensOn) || null);
  const closesOn = parseDay(str(input.closesOn) || null);
  if (!str(input.opensOn)) out.push(problem('opensOn', '请填写开始日期', 'the opening day is required'));
  else if (!opensOn) out.push(problem('opensOn', '开始日期格式应为 YYYY-MM-DD，且须为真实日期', 'the opening day must be a real date as YYYY-MM-DD'));
  else if (opensOn.getTime() < todayOf(now).getTime() - 365 * DAY)
    out.push(problem('opensOn', '开始日期不能早于一年前', 'the opening day cannot be more than a year ago'));
  if (!str(input.closesOn)) out.push(problem('closesOn', '请填写截止日期', 'the closing day is required'));
  else if (!closesOn) out.push(problem('closesOn', '截止日期格式应为 YYYY-MM-DD，且须为真实日期', 'the closing day must be a real date as YYYY-MM-DD'));
  else if (closesOn.getTime() < todayOf(now).getTime()) out.push(problem('closesOn', '截止日期不能早于今天', 'the closing day cannot be in the past'));
  else if (opensOn && closesOn.getTime() < opensOn.getTime())
    out.push(problem('closesOn', '截止日期不能早于开始日期', 'the closing day cannot be before the opening day'));
  else if (opensOn && closesOn.getTime() - opensOn.getTime() > 366 * DAY)
    out.push(problem('closesOn', '复核期不能超过一年', 'a campaign lasts at most a year'));
  return out;
}

/** Opens a campaign: the tier's listings still on the list, each with an empty self-report. */
export async function openCampaign(audit: EventRecorder, actor: string, input: CampaignInput, now = new Date()): Promise<CampaignDoc> {
  const problems = campaignProblems(input, now);
  if (problems.length) throw validationFailed(problems);
  const tier = str(input.tier) as TimeHonoredTier;
  const opensOn = parseDay(str(input.opensOn))!;
  const closesOn = parseDay(str(input.closesOn))!;
  const listings = (
    await TimeHonored.find({ tier, status: mongoose.trusted({ $ne: REMOVED }) }, { _id: 1 })
      .sort({ _id: 1 })
      .lean<Array<{ _id: unknown }>>()
  ).map((l) => String(l._id));
  const prefix = `${opensOn.getUTCFullYear()}-${TIER_SLUG[tier]}-`;
  const taken = (await Campaign.find({ tier }, { _id: 1 }).lean<Array<{ _id: string }>>())
    .filter((c) => c._id.startsWith(prefix))
    .map((c) => Number(c._id.slice(prefix.length)) || 0);
  let n = Math.max(0, ...taken) + 1;
  let campaign: CampaignDoc | null = null;
  for (let tries = 0; !campaign && tries < 5; tries++, n++) {
    try {
      campaign = (
        await Campaign.create({ _id: `${prefix}${n}`, title: str(input.title).trim(), tier, opensOn, closesOn, status: 'open', listings, openedBy: actor })
      ).toObject();
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
  if (!campaign) throw new AppError('conflict', '同时开启的复核过多，请重试', { messageEn: 'Too many campaigns opened at once; try again' });
  if (listings.length) {
    await SelfReport.insertMany(
      listings.map((l) => ({
        _id: `${campaign._id}:${l}`,
        campaign: campaign._id,
        listing: l,
        enterprise: null,
        text: '',
        files: [],
        submittedAt: null,
        outcome: '',
        outcomeAt: null,
        version: 1,
      })),
    );
  }
  await audit.record({
    action: 'campaign_opened',
    actor,
    subject: `campaign:${campaign._id}`,
    detail: { tier, title: campaign.title, opensOn: str(input.opensOn), closesOn: str(input.closesOn), listings: listings.length },
  });
  return campaign;
}

export async function closeCampaign(audit: EventRecorder, actor: string, id: string, version: unknown): Promise<void> {
  const v = versionOf(version);
  const found = CAMPAIGN_ID.test(id) ? await Campaign.findById(id, { status: 1, version: 1 }).lean<CampaignDoc>() : null;
  if (!found) throw notFound('复核', 'campaign');
  if (found.status === 'closed' || found.version !== v) throw conflict();
  const done = await Campaign.updateOne({ _id: id, version: v, status: 'open' }, { $set: { status: 'closed' }, $inc: { version: 1 } });
  if (done.modifiedCount !== 1) throw conflict();
  const reports = await SelfReport.countDocuments({ campaign: id, submittedAt: mongoose.trusted({ $ne: null }) });
  await audit.record({ action: 'campaign_closed', actor, subject: `campaign:${id}`, detail: { reported: reports } });
}

function versionOf(v: unknown): number {
  const s = typeof v === 'number' ? String(v) : str(v);
  if (!/^\d{1,9}$/.test(s)) throw new AppError('bad_request', '缺少版本号', { messageEn: 'The form has no version' });
  return Number(s);
}

const conflict = () => new AppError('conflict', '内容已被他人修改，请查看当前内容后再提交', { messageEn: 'Someone else changed this; check it and try again' });

// ─── The enterprise's side ──────────────────────────────────────────────────────────────────────

export interface EnterpriseIdentity {
  id: string;
  creditCode: string;
}

export interface EnterpriseListing {
  campaign: CampaignDoc;
  listing: string;
  brand: { name: string; slug: string };
  tier: string;
  report: SelfReportDoc;
}

/** The listings of brands with the enterprise's credit code (none without a valid code). */
async function listingsOfEnterprise(ent: EnterpriseIdentity): Promise<Map<string, { name: string; slug: string; tier: string }>> {
  const code = str(ent.creditCode).toUpperCase();
  if (!/^[0-9A-Z]{18}$/.test(code)) return new Map();
  const brands = await Brand.find({ creditCode: code }, { name: 1, slug: 1 }).limit(200).lean<Array<{ _id: unknown; name: string; slug: string }>>();
  if (!brands.length) return new Map();
  const byId = new Map(brands.map((b) => [String(b._id), b]));
  const listings = await TimeHonored.find(
    { brand: mongoose.trusted({ $in: brands.map((b) => b._id as mongoose.Types.ObjectId) }) },
    { brand: 1, tier: 1 },
  ).lean<Array<{ _id: unknown; brand: unknown; tier: string }>>();
  return new Map(
    listings.flatMap((l) => {
      const b = byId.get(String(l.brand));
      return b ? [[String(l._id), { name: b.name, slug: b.slug, tier: l.tier }] as const] : [];
    }),
  );
}

/** The open campaigns (opened already) that cover the enterprise's listings, one row per listing. */
export async function enterpriseCampaigns(ent: EnterpriseIdentity, now = new Date()): Promise<EnterpriseListing[]> {
  const mine = await listingsOfEnterprise(ent);
  if (!mine.size) return [];
  const ids = [...mine.keys()];
  const campaigns = await Campaign.find({ status: 'open', opensOn: mongoose.trusted({ $lte: todayOf(now) }), listings: mongoose.trusted({ $in: ids }) })
    .sort({ closesOn: 1, _id: 1 })
    .limit(50)
    .lean<CampaignDoc[]>();
  const reportIds = campaigns.flatMap((c) => ids.filter((l) => c.listings.includes(l)).map((l) => `${c._id}:${l}`));
  const reports = new Map((await SelfReport.find({ _id: mongoose.trusted({ $in: reportIds }) }).lean<SelfReportDoc[]>()).map((r) => [r._id, r]));
  return campaigns.flatMap((c) =>
    ids
      .filter((l) => c.listings.includes(l) && reports.has(`${c._id}:${l}`))
      .map((l) => {
        const m = mine.get(l)!;
        return { campaign: c, listing: l, brand: { name: m.name, slug: m.slug }, tier: m.tier, report: reports.get(`${c._id}:${l}`)! };
      }),
  );
}

/** One of the enterprise's self-reports; anything else (another's listing, a bad id, a campaign not yet open) is a 404. */
export async function enterpriseReport(ent: EnterpriseIdentity, campaignId: string, listingId: string, now = new Date()): Promise<EnterpriseListing> {
  const missing = () => notFound('复核自查', 'self-report');
  if (!CAMPAIGN_ID.test(campaignId) || !LISTING_ID.test(listingId)) throw missing();
  const mine = await listingsOfEnterprise(ent);
  const m = mine.get(listingId);
  if (!m) throw missing();
  const campaign = await Campaign.findById(campaignId).lean<CampaignDoc>();
  if (!campaign || !campaign.listings.includes(listingId) || campaign.opensOn.getTime() > todayOf(now).getTime()) throw missing();
  const report = await SelfReport.findById(`${campaignId}:${listingId}`).lean<SelfReportDoc>();
  if (!report) throw missing();
  return { campaign, listing: listingId, brand: { name: m.name, slug: m.slug }, tier: m.tier, report };
}

function assertEditable(r: EnterpriseListing, now: Date): void {
  if (!isEditable(r.campaign, now) || r.report.outcome)
    throw new AppError('forbidden', '复核自查已截止或已有复核结果，不能再修改', {
      messageEn: 'The self-report is closed or already decided and can no longer be changed',
    });
}

export function selfReportProblems(text: string): FieldProblem[] {
  const n = [...text].length;
  if (!n) return [problem('text', '请填写自查报告', 'the self-report is required')];
  if (n < TEXT_MIN) return [problem('text', `自查报告至少${TEXT_MIN}个字`, `the self-report needs at least ${TEXT_MIN} characters`)];
  if (n > TEXT_MAX) return [problem('text', `自查报告不能超过${TEXT_MAX}个字`, `the self-report is at most ${TEXT_MAX} characters`)];
  return [];
}

/** Saves (submits, or edits until closesOn) the self-report's text. */
export async function submitSelfReport(
  audit: EventRecorder,
  ent: EnterpriseIdentity & { email: string },
  campaignId: string,
  listingId: string,
  input: { version: unknown; text: unknown },
  now = new Date(),
): Promise<SelfReportDoc> {
  const r = await enterpriseReport(ent, campaignId, listingId, now);
  assertEditable(r, now);
  const v = versionOf(input.version);
  const text = str(input.text).replace(/\r\n/g, '\n').trim();
  const problems = selfReportProblems(text);
  if (problems.length) throw validationFailed(problems);
  if (r.report.version !== v) throw conflict();
  const first = !r.report.submittedAt;
  const updated = await SelfReport.findOneAndUpdate(
    { _id: r.report._id, version: v, outcome: '' },
    { $set: { text, submittedAt: now, enterprise: new mongoose.Types.ObjectId(ent.id) }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<SelfReportDoc>();
  if (!updated) throw conflict();
  await audit.record({
    action: 'self_report_submitted',
    actor: enterpriseActor(ent),
    subject: `self-report:${r.report._id}`,
    detail: { campaign: campaignId, listing: listingId, first, files: updated.files.length, length: [...text].length },
  });
  return updated;
}

/** Adds a stored document to the self-report (at most MAX_FILES). */
export async function addSelfReportFile(
  audit: EventRecorder,
  ent: EnterpriseIdentity & { email: string },
  r: EnterpriseListing,
  version: unknown,
  file: ApplicationFile,
  now = new Date(),
): Promise<SelfReportDoc> {
  assertEditable(r, now);
  const v = versionOf(version);
  if (r.report.version !== v) throw conflict();
  if (r.report.files.length >= MAX_FILES) throw validationFailed([problem('file', `最多上传${MAX_FILES}份材料`, `at most ${MAX_FILES} documents`)]);
  const updated = await SelfReport.findOneAndUpdate(
    { _id: r.report._id, version: v, outcome: '' },
    { $push: { files: file }, $set: { enterprise: new mongoose.Types.ObjectId(ent.id) }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<SelfReportDoc>();
  if (!updated) throw conflict();
  await audit.record({
    action: 'self_report_file',
    actor: enterpriseActor(ent),
    subject: `self-report:${r.report._id}`,
    detail: { added: { id: file.id, name: file.name, type: file.type, size: file.size, sha256: file.sha256 } },
  });
  return updated;
}

export async function removeSelfReportFile(
  audit: EventRecorder,
  ent: EnterpriseIdentity & { email: string },
  r: EnterpriseListing,
  version: unknown,
  fileId: string,
  now = new Date(),
): Promise<void> {
  assertEditable(r, now);
  const v = versionOf(version);
  const file = r.report.files.find((f) => f.id === fileId);
  if (!file) throw notFound('材料', 'document');
  if (r.report.version !== v) throw conflict();
  const done = await SelfReport.updateOne({ _id: r.report._id, version: v, outcome: '' }, { $pull: { files: { id: fileId } }, $inc: { version: 1 } });
  if (done.modifiedCount !== 1) throw conflict();
  await audit.record({
    action: 'self_report_file',
    actor: enterpriseActor(ent),
    subject: `self-report:${r.report._id}`,
    detail: { removed: { id: file.id, name: file.name } },
  });
}

// ─── The back office ────────────────────────────────────────────────────────────────────────────

export const FILTERS = ['all', 'pending', 'reported', 'decided'] as const;
export type CampaignFilter = (typeof FILTERS)[number];

export interface CampaignRow {
  listing: string;
  brand: { name: string; slug: string } | null;
  listingStatus: string;
  listingVersion: number;
  report: SelfReportDoc;
}

export interface CampaignCounts {
  total: number;
  reported: number;
  pending: number;
  decided: number;
}

export async function campaignDetail(id: string, filter: CampaignFilter): Promise<{ campaign: CampaignDoc; rows: CampaignRow[]; counts: CampaignCounts }> {
  const campaign = CAMPAIGN_ID.test(id) ? await Campaign.findById(id).lean<CampaignDoc>() : null;
  if (!campaign) throw notFound('复核', 'campaign');
  const reports = await SelfReport.find({ campaign: id }).lean<SelfReportDoc[]>();
  const counts: CampaignCounts = {
    total: reports.length,
    reported: reports.filter((r) => r.submittedAt).length,
    pending: reports.filter((r) => !r.submittedAt).length,
    decided: reports.filter((r) => r.outcome).length,
  };
  const shown = reports.filter((r) =>
    filter === 'pending' ? !r.submittedAt : filter === 'reported' ? !!r.submittedAt : filter === 'decided' ? !!r.outcome : true,
  );
  const listings = await TimeHonored.find({ _id: mongoose.trusted({ $in: shown.map((r) => r.listing) }) }, { brand: 1, status: 1, version: 1 }).lean<
    Array<{ _id: unknown; brand: unknown; status: string; version: number }>
  >();
  const byListing = new Map(listings.map((l) => [String(l._id), l]));
  const brands = new Map(
    (
      await Brand.find({ _id: mongoose.trusted({ $in: listings.map((l) => l.brand as mongoose.Types.ObjectId) }) }, { name: 1, slug: 1 }).lean<
        Array<{ _id: unknown; name: string; slug: string }>
      >()
    ).map((b) => [String(b._id), { name: b.name, slug: b.slug }]),
  );
  const order = new Map(campaign.listings.map((l, i) => [l, i]));
  const rows = shown
    .map((report) => {
      const l = byListing.get(report.listing);
      return {
        listing: report.listing,
        brand: l ? (brands.get(String(l.brand)) ?? null) : null,
        listingStatus: l?.status ?? '',
        listingVersion: l?.version ?? 0,
        report,
      };
    })
    .sort((a, b) => (order.get(a.listing) ?? 0) - (order.get(b.listing) ?? 0));
  return { campaign, rows, counts };
}

export interface OutcomeInput {
  /** The listing's version the form was made from. */
  version?: unknown;
  outcome?: unknown;
  deadline?: unknown;
  note?: unknown;
}

/**
 * Records a listing's outcome: a re-review on the listing through the registry service (dated
 * today, the campaign named in its note), then the self-report's outcome. The registry checks
 * the listing's version; a self-report decided already is a conflict.
 */
export async function recordOutcome(audit: EventRecorder, actor: string, campaignId: string, listingId: string, input: OutcomeInput, now = new Date()) {
  if (!CAMPAIGN_ID.test(campaignId) || !LISTING_ID.test(listingId)) throw notFound('复核对象', 'listing');
  const campaign = await Campaign.findById(campaignId, { title: 1, listings: 1 }).lean<CampaignDoc>();
  const report = await SelfReport.findById(`${campaignId}:${listingId}`).lean<SelfReportDoc>();
  if (!campaign || !report) throw notFound('复核对象', 'listing');
  const outcome = str(input.outcome);
  const deadline = str(input.deadline).trim();
  const reason = str(input.note).trim();
  const day = todayOf(now);
  const dayText = day.toISOString().slice(0, 10);
  const prefix = `${campaign.title}（${campaign._id}）`;
  // The reviewer's words are checked as the reviewer gave them; the campaign is then named in the note.
  const problems = reviewProblems(
    { date: dayText, outcome, deadline: deadline || null, note: reason },
    activeValues('review-outcome'),
    new Date(day.getTime() + DAY - 1),
  );
  const room = REVIEW_NOTE_MAX - [...prefix].length - 1;
  if (!problems.some((p) => p.field === 'note') && [...reason].length > room)
    problems.push(problem('note', `说明不能超过${room}个字符（复核名称计入）`, `the note is at most ${room} characters (the campaign's name counts)`));
  if (problems.length) throw validationFailed(problems);
  const v = versionOf(input.version);
  if (report.outcome) throw conflict();
  // A failed review's reason is the removal reason shown publicly: the reviewer's words first.
  const note = outcome === REVIEW_FAILED ? `${reason}（${prefix}）` : reason ? `${prefix}：${reason}` : prefix;
  await appendReview(
    listingId,
    v,
    { date: dayText, outcome, deadline: outcome === CONDITIONAL_PASS ? deadline : null, note },
    // Dated by the bureau's calendar: just after Beijing midnight that day is still ahead of UTC.
    { actor, now: new Date(Math.max(now.getTime(), day.getTime())) },
  );
  const done = await SelfReport.updateOne({ _id: report._id, outcome: '' }, { $set: { outcome, outcomeAt: now }, $inc: { version: 1 } });
  if (done.modifiedCount !== 1) throw conflict();
  await audit.record({
    action: 'campaign_outcome',
    actor,
    subject: `self-report:${report._id}`,
    detail: { campaign: campaignId, listing: listingId, outcome, deadline: outcome === CONDITIONAL_PASS ? deadline : null },
  });
}
