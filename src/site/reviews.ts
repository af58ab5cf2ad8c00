/**
 * A 老字号 listing's re-reviews (复核) as the public pages show them: the brand page's history of
 * each listing, the story page's latest outcome, the timeline's lines. Date as given (2024年 where
 * the decision gives only the year), the outcome in the reader's language (reference data names it
 * in English, i18n label() falls back to it), the rectification deadline of a pass with conditions
 * (附条件通过), the note. Never who recorded it: regulators' identities are not public.
 */
import { formatDate, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { isoPartial } from '../registries/partial-date.js';
import type { PublicReview } from '../registries/queries.js';

registerMessages({
  'review.title': ['复核记录', 'Re-reviews'],
  'review.date': ['复核日期', 'Date'],
  'review.outcome': ['复核结果', 'Outcome'],
  'review.deadline': ['整改期限', 'Rectification deadline'],
  'review.note': ['说明', 'Note'],
  'review.latest': ['最近复核', 'Latest re-review'],
  'review.until': ['整改期限至{d}', 'to rectify by {d}'],
  'review.line': ['{tier}复核：{outcome}', '{tier} re-review: {outcome}'],
});

export interface ReviewView {
  at: Date;
  when: string;
  iso: string;
  outcome: string;
  outcomeLabel: string;
  /** Empty unless the outcome carries a deadline (附条件通过). */
  deadlineText: string;
  deadlineIso: string;
  note: string;
  /** One line: "附条件通过（整改期限至2025年6月30日）". */
  summary: string;
}

export function reviewView(lang: Lang, r: PublicReview): ReviewView {
  const date = new Date(r.date);
  const deadline = r.deadline ? new Date(r.deadline) : null;
  const outcomeLabel = label(lang, r.outcome);
  const deadlineText = deadline ? formatDate(lang, deadline) : '';
  const until = deadlineText ? t(lang, 'review.until', { d: deadlineText }) : '';
  return {
    at: date,
    when: formatDate(lang, date, r.datePrecision),
    iso: isoPartial({ date, precision: r.datePrecision }),
    outcome: r.outcome,
    outcomeLabel,
    deadlineText,
    deadlineIso: deadline ? isoPartial({ date: deadline, precision: 'day' }) : '',
    note: r.note,
    summary: until ? (lang === 'en' ? `${outcomeLabel} (${until})` : `${outcomeLabel}（${until}）`) : outcomeLabel,
  };
}

/** A listing's reviews, newest decision first (recorded order breaks ties). */
export function reviewViews(lang: Lang, reviews: readonly PublicReview[]): ReviewView[] {
  return reviews
    .map((r, i) => ({ v: reviewView(lang, r), i }))
    .sort((a, b) => b.v.at.getTime() - a.v.at.getTime() || b.i - a.i)
    .map((x) => x.v);
}
