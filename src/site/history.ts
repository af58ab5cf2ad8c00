/**
 * A brand's public history: when it was listed where, and what changed since — status changes
 * with their reasons, tier and level changes, renewals — in words a citizen reads, newest first.
 *
 * Two sources. The listing facts come from the entries themselves (listed on, recognised in,
 * issued on: the dates the bureau decided, not the day someone typed them in, and present also for
 * entries that arrived by a bulk import). What changed afterwards comes from the audit trail's
 * events for those entries. Only allowlisted fields are ever shown, and never who made a change:
 * the trail's actors are the bureau's staff.
 */
import type { AuditEventDoc, FieldChange } from '../audit/index.js';
import { publicEventsOf } from '../audit/public-events.js';
import { formatDate, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { isoPartial, precisionOr, type Precision } from '../registries/partial-date.js';
import type { BrandProfile } from '../registries/queries.js';
import type { Kind } from '../registries/reference.js';
import { reviewView, type ReviewView } from './reviews.js';

registerMessages({
  'history.title': ['变更记录', 'History'],
  'history.intro': ['本品牌在各名录中的认定与状态变化，按时间由近及远排列。', "This brand's listings and status changes, newest first."],
  'history.listed.directory': ['列入商标品牌名录', 'Listed in the trademark directory'],
  'history.listed.famous': ['认定为驰名商标（注册商标第{regNo}号，{route}）', 'Recognised as a famous trademark (registration {regNo}, {route})'],
  'history.listed.time-honored': ['认定为{tier}（{year}年{batch}）', 'Recognised as {tier} ({year})'],
  // English omits the product: it is Chinese data, shown with its certificate on the page.
  'history.listed.certified': ['获{level}认定：{product}（证书 {number}）', 'Certified {level} (certificate {number})'],
  'history.ended.certified': ['证书 {number} 到期', 'Certificate {number} expired'],
  'history.ended.trademark': ['注册商标第{regNo}号到期，未续展', 'Trademark registration {regNo} ended, not renewed'],
  'history.status': ['{registry}：状态由“{before}”变为“{after}”', '{registry}: status changed from “{before}” to “{after}”'],
  'history.tier': ['{registry}：级别由“{before}”变为“{after}”', '{registry}: tier changed from “{before}” to “{after}”'],
  'history.level': ['{registry}：认定级别由“{before}”变为“{after}”', '{registry}: level changed from “{before}” to “{after}”'],
  'history.renewed': ['{registry}：有效期延至 {date}', '{registry}: valid until {date}'],
  'history.record': ['驰名商标保护记录新增一条', 'A protection record was added to the famous-mark ledger'],
  'history.updated': ['{registry}：更新了{fields}', '{registry}: {fields} updated'],
  'history.reason': ['原因', 'Reason'],
  'history.none': ['暂无记录。', 'Nothing recorded yet.'],
  'history.subscribe': ['订阅变更（Atom）', 'Follow changes (Atom feed)'],
  'history.kind.brand': ['品牌信息', 'Brand details'],
  'history.kind.trademark': ['注册商标', 'Registered trademark'],
});

/** Model names as the change log and the audit trail name them → the registry a citizen knows. */
export const REGISTRY_OF: Record<string, Kind | 'brand' | 'trademark'> = {
  Brand: 'brand',
  Trademark: 'trademark',
  DirectoryEntry: 'directory',
  FamousMark: 'famous',
  TimeHonored: 'time-honored',
  Certificate: 'certified',
};

/** Fields whose change is told (with their labels); everything else — bookkeeping, staff notes — is not. */
const FIELD_LABELS: Record<string, [string, string]> = {
  name: ['品牌名称', 'name'],
  nameEn: ['英文名称', 'English name'],
  company: ['企业名称', 'company'],
  district: ['所属区', 'district'],
  industry: ['行业', 'industry'],
  keywords: ['产品关键词', 'product keywords'],
  description: ['品牌简介', 'description'],
  website: ['网站', 'website'],
  founded: ['创立年份', 'year founded'],
  mark: ['商标', 'mark'],
  niceClasses: ['尼斯分类', 'Nice classes'],
  madrid: ['马德里注册', 'Madrid registration'],
  advantage: ['优势商标', 'advantage mark'],
  gi: ['地理标志', 'geographical indication'],
  heritage: ['非遗项目', 'intangible heritage'],
  story: ['品牌故事', 'story'],
  address: ['地址', 'address'],
  product: ['产品', 'product'],
  scope: ['认定范围', 'scope'],
  standard: ['执行标准', 'standard'],
  recognizedYear: ['认定年份', 'year recognised'],
  batch: ['批次', 'batch'],
};
/** Changes told in their own words (with before → after). */
const TOLD = new Set(['status', 'tier', 'level', 'validUntil', 'validTo', 'records']);

export interface HistoryLine {
  at: Date;
  /** The date as the page shows it (a year alone where the source gives only the year). */
  when: string;
  /** For <time datetime>: YYYY-MM-DD, or YYYY. */
  iso: string;
  text: string;
  reason: string;
}

const text = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** The review an event appended (its change holds the review, or the whole list after it), as shown. */
function appendedReview(lang: Lang, c: FieldChange | undefined): ReviewView | null {
  const after: unknown = Array.isArray(c?.after) ? c.after.at(-1) : c?.after;
  if (!after || typeof after !== 'object' || !('outcome' in after) || !('date' in after)) return null;
  const r = after as { date: string | Date; datePrecision?: unknown; outcome: unknown; deadline?: string | Date | null };
  return reviewView(lang, {
    date: new Date(r.date),
    datePrecision: precisionOr(r.datePrecision),
    outcome: String(r.outcome),
    deadline: r.deadline ? new Date(r.deadline) : null,
    note: '',
  });
}

/** What one event tells the public: zero or more lines (an update touching only bookkeeping tells nothing). */
export function linesOf(lang: Lang, e: AuditEventDoc, o: { reviews?: boolean } = {}): Array<{ text: string; reason: string }> {
  const kind = REGISTRY_OF[e.model ?? ''];
  if (!kind) return [];
  const registry = t(lang, kind === 'brand' || kind === 'trademark' ? `history.kind.${kind}` : `kind.${kind}`);
  const changes: FieldChange[] = Array.isArray(e.changes) ? e.changes : [];
  const by = new Map(changes.map((c) => [c.field, c]));
  const out: Array<{ text: string; reason: string }> = [];
  const reason = e.reason ?? '';
  // A 老字号 re-review appended (its outcome; a brand's own history tells it from the listing, on the
  // date decided: `reviews: false`). A famous mark's protection records are the regulators': the
  // public learns only that one was added.
  const review = o.reviews === false ? null : appendedReview(lang, by.get('reviews'));
  if (e.action === 'record') {
    if (kind !== 'time-honored') return [{ text: t(lang, 'history.record'), reason: '' }];
    if (!review) return [];
  }
  if (review) out.push({ text: t(lang, 'review.line', { tier: registry, outcome: review.summary }), reason: e.action === 'record' ? '' : reason });
  if (e.action === 'create') {
    const after = (f: string) => text(by.get(f)?.after);
    if (kind === 'directory') return [{ text: t(lang, 'history.listed.directory'), reason: '' }];
    if (kind === 'famous') {
      const recognition = by.get('recognition')?.after;
      const route = recognition && typeof recognition === 'object' && 'route' in recognition ? String(recognition.route) : '';
      return [{ text: t(lang, 'history.listed.famous', { regNo: after('trademarkRegNo'), route: label(lang, route) }), reason: '' }];
    }
    if (kind === 'time-honored')
      return [{ text: t(lang, 'history.listed.time-honored', { tier: label(lang, after('tier')), year: after('recognizedYear'), batch: '' }), reason: '' }];
    if (kind === 'certified') {
      return [
        { text: t(lang, 'history.listed.certified', { level: label(lang, after('level')), product: after('product'), number: after('number') }), reason: '' },
      ];
    }
    return [];
  }
  const status = by.get('status');
  if (status && status.before !== status.after) {
    out.push({ text: t(lang, 'history.status', { registry, before: label(lang, text(status.before)), after: label(lang, text(status.after)) }), reason });
  }
  for (const [field, key] of [
    ['tier', 'history.tier'],
    ['level', 'history.level'],
  ] as const) {
    const c = by.get(field);
    if (c && c.before !== c.after)
      out.push({ text: t(lang, key, { registry, before: label(lang, text(c.before)), after: label(lang, text(c.after)) }), reason });
  }
  const until = by.get('validUntil') ?? by.get('validTo');
  if (until && until.after && new Date(String(until.after)).getTime() > new Date(String(until.before ?? 0)).getTime()) {
    out.push({ text: t(lang, 'history.renewed', { registry, date: formatDate(lang, String(until.after)) }), reason: '' });
  }
  const others = changes.filter((c) => !TOLD.has(c.field) && FIELD_LABELS[c.field] && JSON.stringify(c.before) !== JSON.stringify(c.after));
  if (others.length) {
    const fields = others.map((c) => FIELD_LABELS[c.field]![lang === 'en' ? 1 : 0]).join(lang === 'en' ? ', ' : '、');
    out.push({ text: t(lang, 'history.updated', { registry, fields }), reason: out.length ? '' : reason });
  }
  return out;
}

/** The listing facts the entries carry themselves, each with its date. */
function listingLines(lang: Lang, p: BrandProfile, now: Date): Array<{ at: Date; text: string; date?: string; iso?: string }> {
  const out: Array<{ at: Date; text: string; date?: string; iso?: string }> = [];
  // A listing, recognition or issue date is shown as given (2011年, 2011年6月) and sorted at its start.
  const given = (d: Date | string, precision: Precision) =>
    precision === 'day' ? {} : { date: formatDate(lang, d, precision), iso: isoPartial({ date: new Date(d), precision }) };
  if (p.directory?.listedAt)
    out.push({ at: new Date(p.directory.listedAt), text: t(lang, 'history.listed.directory'), ...given(p.directory.listedAt, p.directory.listedAtPrecision) });
  // A recognition without its date (待补充) has no place on the timeline.
  for (const f of p.famous.filter((x) => x.recognition.date)) {
    out.push({
      at: new Date(f.recognition.date!),
      text: t(lang, 'history.listed.famous', { regNo: f.trademarkRegNo, route: label(lang, f.recognition.route) }),
      ...given(f.recognition.date!, f.recognition.datePrecision),
    });
  }
  // Each time-honored listing (a brand on the 中华 and the 湖北 list was recognised twice).
  for (const th of p.timeHonoredListings) {
    const batch = th.batch ? `，${th.batch}` : '';
    // A recognition the list gives by year only: sorted by its year, shown as the year.
    out.push({
      at: new Date(Date.UTC(th.recognizedYear, 0, 1)),
      date: lang === 'en' ? String(th.recognizedYear) : `${th.recognizedYear}年`,
      text: t(lang, 'history.listed.time-honored', { tier: label(lang, th.tier), year: th.recognizedYear, batch }),
    });
    // Its re-reviews, each on the date decided: "中华老字号复核：附条件通过（整改期限至2025年6月30日）".
    for (const r of th.reviews) {
      const v = reviewView(lang, r);
      out.push({ at: v.at, text: t(lang, 'review.line', { tier: label(lang, th.tier), outcome: v.summary }), ...given(r.date, r.datePrecision) });
    }
  }
  for (const c of p.certificates) {
    // A certificate without its issue date (待补充) has no listing line, only its end.
    if (c.issuedAt)
      out.push({
        at: new Date(c.issuedAt),
        text: t(lang, 'history.listed.certified', { level: label(lang, c.level), product: c.product, number: c.number }),
        ...given(c.issuedAt, c.issuedAtPrecision),
      });
    if (new Date(c.validUntil).getTime() < now.getTime())
      out.push({ at: new Date(c.validUntil), text: t(lang, 'history.ended.certified', { number: c.number }) });
  }
  for (const tm of p.trademarks) {
    if (new Date(tm.validTo).getTime() < now.getTime()) out.push({ at: new Date(tm.validTo), text: t(lang, 'history.ended.trademark', { regNo: tm.regNo }) });
  }
  return out;
}

/** The public history of a brand, newest first (at most `limit` lines). */
export async function brandHistory(lang: Lang, p: BrandProfile, o: { now?: Date; limit?: number } = {}): Promise<HistoryLine[]> {
  const now = o.now ?? new Date();
  const limit = o.limit ?? 50;
  const events = await publicEventsOf(p.entryRefs, limit);
  const lines: Array<{ at: Date; text: string; reason: string; date?: string; iso?: string }> = [
    ...listingLines(lang, p, now).map((l) => ({ ...l, reason: '' })),
    // Re-reviews are told from the listings, on the dates decided (listingLines), not again from their events.
    ...events.flatMap((e) => linesOf(lang, e, { reviews: false }).map((l) => ({ ...l, at: new Date(e.at) }))),
  ];
  return lines
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, limit)
    .map((l) => ({
      at: l.at,
      text: l.text,
      reason: l.reason,
      when: l.date ?? formatDate(lang, l.at),
      iso: l.iso ?? (l.date ? String(l.at.getUTCFullYear()) : l.at.toISOString().slice(0, 10)),
    }));
}
