/**
 * Entering figures and attaching awards, and reading them back. Writes go through the registry
 * service (change log + audit trail); this module knows nothing of req/res: routes hand it plain
 * form values and get AppErrors with field problems back.
 */
import mongoose from 'mongoose';
import { AppError, validationFailed, type FieldProblem } from '../platform/errors.js';
import { isOneOf } from '../platform/guards.js';
import { Brand } from '../registries/models.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { createEntry, updateEntry, type WriteContext } from '../registries/service.js';
import { Award, FigureObservation, type AwardDoc, type FigureObservationDoc } from './models.js';
import { AWARD_NAMES, FIGURE_KEYS, type AwardName, type FigureKey } from './targets.js';

/** Raw form values: whatever arrived in the body (strings, or hostile arrays/objects). */
export type FormInput = Record<string, unknown>;

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** A plain string field, or a problem (arrays, objects and `$` tricks are refused, not coerced). */
function text(input: FormInput, field: string, problems: FieldProblem[], max = 2000): string {
  const v = input[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    problems.push(problem(field, '格式不正确', 'has the wrong type'));
    return '';
  }
  if (v.length > max) {
    problems.push(problem(field, `不能超过${max}个字符`, `must be at most ${max} characters`));
    return '';
  }
  return v.trim();
}

/** "500,000", "500 000", "60%" and full-width digits are all numbers to a person typing them. */
export function parseNumber(raw: string): number | null {
  const s = raw.replace(/[０-９．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[,，\s%％]/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** YYYY-MM-DD (as <input type="date"> sends it) → UTC midnight, or null. */
export function parseDate(raw: string): Date | null {
  const mt = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (!mt) return null;
  const d = new Date(Date.UTC(Number(mt[1]), Number(mt[2]) - 1, Number(mt[3])));
  return d.getUTCMonth() === Number(mt[2]) - 1 && d.getUTCDate() === Number(mt[3]) ? d : null;
}

/** The form fields of a figure observation, parsed; problems are thrown as validation_failed. */
export function parseFigureForm(input: FormInput) {
  const problems: FieldProblem[] = [];
  const key = text(input, 'key', problems, 64);
  const rawValue = text(input, 'value', problems, 40);
  const rawDate = text(input, 'date', problems, 20);
  const data: Record<string, unknown> = {
    source: text(input, 'source', problems, 400),
    sourceUrl: text(input, 'sourceUrl', problems, 600),
    note: text(input, 'note', problems, 1000),
  };
  if (!key) problems.push(problem('key', '请选择指标', 'figure is required'));
  else if (!isOneOf(FIGURE_KEYS, key)) problems.push(problem('key', '指标不是可选的值', 'figure is not one of the allowed values'));
  else data.key = key;
  if (!rawValue) problems.push(problem('value', '请填写数值', 'value is required'));
  else {
    const value = parseNumber(rawValue);
    if (value === null) problems.push(problem('value', '请填写数字，如 523000 或 61.5', 'must be a number, e.g. 523000 or 61.5'));
    else data.value = value;
  }
  if (!rawDate) problems.push(problem('date', '请填写统计日期', 'date is required'));
  else {
    const date = parseDate(rawDate);
    if (!date) problems.push(problem('date', '日期格式应为 年-月-日，如 2025-06-30', 'date must be YYYY-MM-DD, e.g. 2025-06-30'));
    else data.date = date;
  }
  if (!data.source && !problems.some((p) => p.field === 'source')) problems.push(problem('source', '请填写数据来源', 'source is required'));
  if (problems.length) throw validationFailed(problems);
  return data;
}

/**
 * Records one observation of a figure (history is kept: nothing is overwritten). To correct a
 * value, enter it again with the same date: the later entry wins among equal dates.
 */
export async function recordFigure(input: FormInput, ctx: WriteContext & { actor: string }): Promise<FigureObservationDoc> {
  const data = parseFigureForm(input);
  return createEntry<FigureObservationDoc>(FigureObservation, { ...data, enteredBy: ctx.actor }, { ...ctx, reason: ctx.reason || '录入指标数据' });
}

/** Attaches an award to a brand named by its slug. Refuses a second identical award (brand, award, year). */
export async function attachAward(input: FormInput, ctx: WriteContext & { actor: string }): Promise<AwardDoc> {
  const problems: FieldProblem[] = [];
  const slug = text(input, 'brand', problems, 100).toLowerCase();
  const awardText = text(input, 'award', problems, 40);
  const rawYear = text(input, 'year', problems, 10);
  const note = text(input, 'note', problems, 1000);
  let award: AwardName | undefined;
  if (!awardText) problems.push(problem('award', '请选择奖项', 'award is required'));
  else if (!isOneOf(AWARD_NAMES, awardText)) problems.push(problem('award', '奖项不是可选的值', 'award is not one of the allowed values'));
  else award = awardText;
  let year: number | undefined;
  if (!rawYear) problems.push(problem('year', '请填写年度', 'year is required'));
  else if (!/^\d{4}$/.test(rawYear)) problems.push(problem('year', '年度应为四位数字，如 2024', 'year must be four digits, e.g. 2024'));
  else year = Number(rawYear);
  let brand: { _id: mongoose.Types.ObjectId; slug: string; name: string; company?: string | null; creditCode?: string | null } | null = null;
  if (!slug) problems.push(problem('brand', '请填写品牌标识', 'brand is required'));
  else if (!BRAND_SLUG.test(slug))
    problems.push(
      problem(
        'brand',
        '品牌标识只能包含小写字母、数字和连字符（见品牌页网址 /brands/…）',
        'a brand id is lower-case letters, digits and hyphens (see the brand page address /brands/…)',
      ),
    );
  else {
    brand = await Brand.findOne({ slug }).select('slug name company creditCode').lean();
    if (!brand) problems.push(problem('brand', `找不到标识为“${slug}”的品牌`, `no brand with the id "${slug}"`));
  }
  if (!problems.length && brand && award && year !== undefined) {
    const same = await Award.findOne({ brand: brand._id, award, year, withdrawn: false }).select('_id').lean();
    if (same) problems.push(problem('award', `该品牌已登记${year}年度的${award}`, `this brand already has this award for ${year}`));
  }
  // Every path that leaves `award` unset has added a problem.
  if (problems.length || !brand || !award) throw validationFailed(problems);
  return createEntry<AwardDoc>(
    Award,
    {
      brand: brand._id,
      brandSlug: brand.slug,
      brandName: brand.name,
      company: brand.company ?? '',
      creditCode: brand.creditCode ?? '',
      award,
      year,
      note,
      enteredBy: ctx.actor,
    },
    { ...ctx, reason: ctx.reason || '登记奖项' },
  );
}

/** Withdraws a wrongly attached award: kept with the reason, no longer counted. */
export async function withdrawAward(id: string, input: FormInput, ctx: WriteContext & { actor: string }): Promise<AwardDoc> {
  const problems: FieldProblem[] = [];
  const reason = text(input, 'reason', problems, 500);
  const rawVersion = text(input, 'version', problems, 10);
  if (!reason) problems.push(problem('reason', '请填写撤回原因', 'a reason is required'));
  if (!/^\d{1,9}$/.test(rawVersion)) problems.push(problem('version', '版本号缺失，请刷新页面后重试', 'version missing; reload the page and try again'));
  if (problems.length) throw validationFailed(problems);
  if (!mongoose.isValidObjectId(id) || !/^[0-9a-f]{24}$/.test(id)) throw new AppError('not_found', '找不到该奖项记录', { messageEn: 'No such award record' });
  return updateEntry<AwardDoc>(Award, id, Number(rawVersion), { withdrawn: true, withdrawnReason: reason }, { ...ctx, reason });
}

export interface FigureSummary {
  key: FigureKey;
  latest: FigureObservationDoc | null;
  /** Every observation, newest date first (equal dates: the later entry first). */
  history: FigureObservationDoc[];
}

const byDateThenEntry = (a: FigureObservationDoc, b: FigureObservationDoc) =>
  new Date(b.date).getTime() - new Date(a.date).getTime() || new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime();

/** Every figure with its latest observation and history (a small collection: read whole). */
export async function figureSummaries(): Promise<Record<FigureKey, FigureSummary>> {
  const all: FigureObservationDoc[] = await FigureObservation.find().lean();
  const summary = (key: FigureKey): FigureSummary => {
    const history = all.filter((o) => o.key === key).sort(byDateThenEntry);
    return { key, latest: history[0] ?? null, history };
  };
  return {
    registeredTrademarks: summary('registeredTrademarks'),
    internationalTrademarks: summary('internationalTrademarks'),
    brandEconomyShare: summary('brandEconomyShare'),
    internationalStandards: summary('internationalStandards'),
    nationalStandards: summary('nationalStandards'),
  };
}

/** Awards, newest year first; withdrawn ones only when asked (the back office shows them). */
export async function listAwards(opts: { includeWithdrawn?: boolean } = {}): Promise<AwardDoc[]> {
  const filter = opts.includeWithdrawn ? {} : { withdrawn: false };
  const all: AwardDoc[] = await Award.find(filter).lean();
  return all.sort((a, b) => b.year - a.year || a.award.localeCompare(b.award) || a.brandSlug.localeCompare(b.brandSlug));
}
