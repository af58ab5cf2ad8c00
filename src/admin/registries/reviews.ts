/**
 * A 老字号 listing's re-reviews (复核) on its entry page: the list, oldest first, and the form that
 * appends one (editors). Reviews are appended through the registry service (appendReview), never
 * edited; the outcomes are reference data (/admin/reference).
 */
import type { FieldProblem } from '../../platform/errors.js';
import { label, registerMessages, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { formatPartial, precisionOr } from '../../registries/partial-date.js';
import { activeValues } from '../../registries/reference-data.js';
import { CONDITIONAL_PASS, REVIEW_FAILED } from '../../registries/reference.js';
import { REVIEW_NOTE_MAX } from '../../registries/rules.js';
import { isRecord } from '../../platform/guards.js';
import { formView } from './forms.js';
import { dateOf } from './narrow.js';
import type { FieldSpec } from './specs.js';

registerMessages({
  'adminreg.reviews.title': ['复核记录', 'Re-reviews'],
  'adminreg.reviews.appendOnly': [
    '复核记录只能追加，不能修改或删除。复核不通过将同时把本条目移出名录，原因公开显示。',
    'Re-reviews are appended, never edited. A failed review also removes this listing, with the reason shown publicly.',
  ],
  'adminreg.reviews.none': ['尚无复核记录。', 'No re-reviews yet.'],
  'adminreg.reviews.append': ['记录复核结果', 'Record a re-review'],
  'adminreg.reviews.submit': ['记录复核', 'Record re-review'],
  'adminreg.reviews.deadline': ['整改期限：{d}', 'Rectification deadline: {d}'],
  'adminreg.reviews.overdue': ['已过整改期限', 'Past its deadline'],
  'adminreg.reviews.by': ['记录人：{actor}', 'recorded by {actor}'],
  'adminreg.field.reviews': ['复核记录', 'Re-reviews'],
  'adminreg.due.th-rectification': ['附条件通过、已过整改期限的老字号', 'Time-honored brands passed with conditions, past the rectification deadline'],
  'adminreg.field.review.date': ['复核日期', 'Review date'],
  'adminreg.field.review.outcome': ['复核结果', 'Outcome'],
  'adminreg.field.review.deadline': ['整改期限', 'Rectification deadline'],
  'adminreg.field.review.note': ['说明（不通过时为移出原因）', 'Note (for a failed review, the reason for removal)'],
  'adminreg.hint.review.deadline': ['仅“附条件通过”填写，格式 YYYY-MM-DD。', 'Only for “passed with conditions”, as YYYY-MM-DD.'],
});

/** A stored review, read field by field. */
export interface ReviewView {
  date?: Date;
  datePrecision: string;
  outcome: string;
  deadline?: Date;
  note: string;
  recordedBy: string;
  recordedAt?: Date;
}

/** A time-honored entry's reviews (entries of other kinds have none). */
export function reviewsOf(doc: Record<string, unknown>): ReviewView[] {
  const reviews = doc.reviews;
  if (!Array.isArray(reviews)) return [];
  return reviews.filter(isRecord).map((r) => ({
    date: dateOf(r.date),
    datePrecision: typeof r.datePrecision === 'string' ? r.datePrecision : 'day',
    outcome: typeof r.outcome === 'string' ? r.outcome : '',
    deadline: dateOf(r.deadline),
    note: typeof r.note === 'string' ? r.note : '',
    recordedBy: typeof r.recordedBy === 'string' ? r.recordedBy : '',
    recordedAt: dateOf(r.recordedAt),
  }));
}

/** The reviews as the entry page lists them, oldest first; the last 附条件通过 past its deadline is marked. */
export function reviewsView(lang: Lang, reviews: ReviewView[], now: Date) {
  return reviews.map((r, i) => ({
    n: i + 1,
    dateText: r.date ? formatPartial(lang, { date: r.date, precision: precisionOr(r.datePrecision) }) : '—',
    outcome: label(lang, r.outcome),
    outcomeClass: r.outcome === REVIEW_FAILED ? 'bad' : r.outcome === CONDITIONAL_PASS ? 'warn' : 'ok',
    deadline: r.deadline ?? null,
    overdue: i === reviews.length - 1 && r.outcome === CONDITIONAL_PASS && r.deadline !== undefined && r.deadline.getTime() < now.getTime(),
    note: r.note,
    recordedBy: r.recordedBy,
    recordedAt: r.recordedAt ?? null,
  }));
}

/** The "record a re-review" form (field names carry "review." so their ids never clash with the status form's). */
export function reviewFormView(lang: Lang, id: string, version: number, values: Record<string, string> | undefined, problems: FieldProblem[]) {
  const v = values ?? { date: '', outcome: '', deadline: '', note: '' };
  const fields: FieldSpec[] = [
    { name: 'review.date', type: 'partialDate', required: true },
    { name: 'review.outcome', type: 'select', options: activeValues('review-outcome'), required: true },
    { name: 'review.deadline', type: 'date', hint: true },
    { name: 'review.note', type: 'textarea', max: REVIEW_NOTE_MAX },
  ];
  return {
    action: url(lang, `/admin/time-honored/${id}/reviews`),
    version,
    ...formView(
      lang,
      fields,
      Object.fromEntries(Object.entries(v).map(([k, x]) => [`review.${k}`, x])),
      problems.map((p) => ({ ...p, field: `review.${p.field}` })),
    ),
  };
}

/** The page's review section: the list and, for editors, the form. */
export function reviewSection(
  lang: Lang,
  doc: Record<string, unknown>,
  editable: boolean,
  now: Date,
  form?: { values: Record<string, string>; problems: FieldProblem[] },
) {
  return {
    showReviews: true,
    reviews: reviewsView(lang, reviewsOf(doc), now),
    reviewForm: editable ? reviewFormView(lang, String(doc._id), Number(doc.version), form?.values, form?.problems ?? []) : null,
    reviewsHint: t(lang, 'adminreg.reviews.appendOnly'),
  };
}
