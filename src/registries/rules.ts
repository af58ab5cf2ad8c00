/**
 * The registries' domain rules as pure functions. Each returns the problems it finds — a field, a
 * Chinese message and an English one, in the words users see — and never throws or reads the
 * database.
 *
 * The registry service enforces them on every write (service.ts). The back-office forms and the
 * import's dry run call the same functions before anything is written, and only map the problems
 * onto form fields or spreadsheet columns: a rule is written once, here.
 *
 * What a single field allows (enums, lengths, formats, date order) is said by the mongoose schemas
 * (models.ts) and reaches every writer through validation; this file holds the rules that span
 * fields or depend on the stored entry.
 */
import type { FieldProblem } from '../platform/errors.js';
import { dayOf, parsePartialDate, type PartialDate } from './partial-date.js';
import { CONDITIONAL_PASS, PROTECTION_RECORD_KINDS, REVIEW_FAILED } from './reference.js';

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

// ----- status changes (动态管理) ---------------------------------------------------------------

/** The longest reason a status may be kept with. */
export const STATUS_REASON_MAX = 500;

/** "<what> must be one of: …" in both languages; the schemas' enums (models.ts) say it in the same words. */
export function oneOfWords(values: readonly string[], zh: string, en: string): [string, string] {
  return [`${zh}必须是以下之一：${values.join('、')}`, `${en} must be one of: ${values.join(', ')}`];
}

/** A status that is not one of the kind's. */
export function statusValueProblems(statuses: readonly string[], status: string): FieldProblem[] {
  if (statuses.includes(status)) return [];
  const [zh, en] = oneOfWords(statuses, '状态', 'status');
  return [problem('status', zh, en)];
}

/** What is said when a reason is too long (the schema's maxlength says it in the same words). */
export const REASON_TOO_LONG: readonly [string, string] = [`原因不能超过${STATUS_REASON_MAX}个字符`, `the reason is at most ${STATUS_REASON_MAX} characters`];

/** A reason kept with a status: at most 500 characters. */
export function reasonLengthProblems(reason: string): FieldProblem[] {
  return reason.trim().length > STATUS_REASON_MAX ? [problem('statusReason', ...REASON_TOO_LONG)] : [];
}

/**
 * A status change needs a reason, of at most 500 characters. `change` names the old and new status
 * in the message, for a user who does not see the stored status beside it (a spreadsheet row).
 */
export function statusReasonProblems(reason: string | undefined, change?: { from: string; to: string }): FieldProblem[] {
  if (reason && reason.trim()) return reasonLengthProblems(reason);
  return [
    change
      ? problem(
          'statusReason',
          `状态由“${change.from}”改为“${change.to}”，请填写状态原因`,
          `status changes from ${change.from} to ${change.to}: a status reason is required`,
        )
      : problem('statusReason', '请填写状态变更原因', 'a reason for the status change is required'),
  ];
}

/**
 * An explicit status change (the entry page's form, changeStatus): a new status, one of the kind's
 * and not the current one, with a reason.
 */
export function statusChangeProblems(statuses: readonly string[], change: { from: string; to: string; reason: string }): FieldProblem[] {
  const { from, to, reason } = change;
  const status = !to
    ? [problem('status', '请选择新状态', 'choose the new status')]
    : statusValueProblems(statuses, to).length
      ? statusValueProblems(statuses, to)
      : to === from
        ? [problem('status', '新状态与当前状态相同', 'the new status is the current status')]
        : [];
  return [...status, ...statusReasonProblems(reason)];
}

// ----- geographic indications ------------------------------------------------------------------

/** A geographic indication: a product and the area it comes from. */
export interface GeographicIndication {
  product: string;
  area: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * A geographic indication from whatever holds its two parts (a form, a spreadsheet row, a stored
 * entry): both parts, one of them, or — when both are empty or it is absent — none at all.
 */
export function giOf(value: unknown): GeographicIndication | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const product = text('product' in value ? value.product : undefined);
  const area = text('area' in value ? value.area : undefined);
  return product || area ? { product, area } : undefined;
}

/** What is said when one part of a geographic indication is missing. */
export const GI_BOTH: readonly [string, string] = ['填写地理标志时须同时填写产品和地域', 'a geographic indication needs both a product and an area'];

/** A geographic indication is a product and an area together, or nothing. */
export function giProblems(value: unknown): FieldProblem[] {
  const gi = giOf(value);
  if (!gi) return [];
  const both = (field: string) => problem(field, ...GI_BOTH);
  return [...(gi.product ? [] : [both('gi.product')]), ...(gi.area ? [] : [both('gi.area')])];
}

// ----- the famous-mark ledger's protection records ---------------------------------------------

/** A protection record as its writer gives it (the service stamps who recorded it and when). */
export interface ProtectionRecordInput {
  /** A Date, or a day as YYYY-MM-DD. */
  date: Date | string | null | undefined;
  kind: string;
  summary: string;
  outcome?: string;
  links?: string[];
  /** The _id of an earlier record this one corrects. */
  corrects?: string | { toString(): string } | null;
}

/** A day as a Date (00:00 UTC; dates are days), from a Date or YYYY-MM-DD; null when missing or not a real date (2024-02-30). */
export function parseDay(d: ProtectionRecordInput['date']): Date | null {
  if (d instanceof Date) return Number.isNaN(d.getTime()) ? null : d;
  const day = d ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(d) : null;
  if (!day) return null;
  const [y, m, dd] = [Number(day[1]), Number(day[2]), Number(day[3])];
  const date = new Date(Date.UTC(y, m - 1, dd));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === dd ? date : null;
}

/** An attachment link: an http(s) URL of at most 500 characters, nothing that could break out of an attribute. */
export function isHttpUrl(s: string): boolean {
  if (s.length > 500 || /[\s<>"]/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A protection record to append: a real date, one of the record kinds, a summary, short enough
 * texts, at most 20 http(s) links, and — when it corrects one — a record the ledger holds
 * (`recordIds`, the ids of the entry's records).
 */
export function protectionRecordProblems(record: ProtectionRecordInput, recordIds: readonly string[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!record.date) out.push(problem('date', '请填写日期', 'the date is required'));
  else if (!parseDay(record.date)) out.push(problem('date', '日期格式应为 YYYY-MM-DD，且须为真实日期', 'must be a real date as YYYY-MM-DD'));
  const kinds: readonly string[] = PROTECTION_RECORD_KINDS;
  if (!record.kind) out.push(problem('kind', '请选择记录类型', 'choose the kind of record'));
  else if (!kinds.includes(record.kind)) out.push(problem('kind', ...oneOfWords(kinds, '记录类型', 'kind')));
  const summary = record.summary.trim();
  if (!summary) out.push(problem('summary', '请填写摘要', 'the summary is required'));
  else if (summary.length > 2000) out.push(problem('summary', '摘要不能超过2000个字符', 'the summary is at most 2000 characters'));
  if ((record.outcome ?? '').trim().length > 1000) out.push(problem('outcome', '结果不能超过1000个字符', 'the outcome is at most 1000 characters'));
  const links = record.links ?? [];
  if (links.length > 20) out.push(problem('links', '最多20个链接', 'at most 20 links'));
  const bad = links.find((l) => !isHttpUrl(l));
  if (bad !== undefined)
    out.push(problem('links', `链接须以 http:// 或 https:// 开头：${bad.slice(0, 60)}`, `links must start with http:// or https://: ${bad.slice(0, 60)}`));
  const corrects = record.corrects ? String(record.corrects) : '';
  if (corrects && !recordIds.includes(corrects)) out.push(problem('corrects', '所更正的记录不存在', 'the record to correct does not exist'));
  return out;
}

/**
 * A famous mark's protection records and a 老字号's re-reviews are only ever appended: no write may
 * set them wholesale.
 */
export function appendOnlyProblems(modelName: string, changes: Record<string, unknown>): FieldProblem[] {
  if (modelName === 'FamousMark' && 'records' in changes)
    return [problem('records', '保护记录只能追加，不能修改或删除', 'protection records can only be appended, never edited or removed')];
  if (modelName === 'TimeHonored' && 'reviews' in changes)
    return [problem('reviews', '复核记录只能追加，不能修改或删除', 're-review records can only be appended, never edited or removed')];
  return [];
}

// ----- reference data (levels, statuses, re-review outcomes an admin extends) ------------------

/** The values each reference field may take now (src/registries/reference-data.ts keeps them). */
export interface ReferenceChoices {
  certificateLevels: readonly string[];
  certificateStatuses: readonly string[];
  reviewOutcomes: readonly string[];
}

/**
 * A value of a reference list: one of the values that may be chosen now, or the value the entry
 * already holds (a deactivated value stays on the entries that have it). Empty is the schema's
 * business (required). The message names the field and lists the allowed values.
 */
export function referenceValueProblems(
  field: string,
  words: readonly [zh: string, en: string],
  allowed: readonly string[],
  value: unknown,
  stored?: unknown,
): FieldProblem[] {
  if (value === undefined || value === null || value === '') return [];
  const v = String(value);
  if (allowed.includes(v) || (stored !== undefined && stored !== null && v === String(stored))) return [];
  const [zh, en] = oneOfWords(allowed, ...words);
  return [problem(field, `“${v.slice(0, 40)}”不是可选的值。${zh}`, `"${v.slice(0, 40)}" is not allowed: ${en}`)];
}

/** A certificate's level and status, against the reference lists (`stored`: the entry before an update). */
export function certificateReferenceProblems(
  entry: Record<string, unknown>,
  choices: ReferenceChoices,
  stored?: Record<string, unknown> | null,
): FieldProblem[] {
  return [
    ...referenceValueProblems('level', ['认定级别', 'level'], choices.certificateLevels, entry.level, stored?.level),
    ...referenceValueProblems('status', ['状态', 'status'], choices.certificateStatuses, entry.status, stored?.status),
  ];
}

/** The longest value an admin may add to a reference list, and its English name. */
export const REFERENCE_VALUE_MAX = 20;
export const REFERENCE_NAME_EN_MAX = 80;

/**
 * A value an admin adds to a reference list: a term of at most 20 characters that the list does
 * not hold yet (deactivated values included: reactivate one instead), with an English name.
 */
export function referenceValueInputProblems(input: { value: string; nameEn: string }, existing: ReadonlyArray<{ value: string }>): FieldProblem[] {
  const out: FieldProblem[] = [];
  const value = input.value.trim();
  const nameEn = input.nameEn.trim();
  if (!value) out.push(problem('value', '请填写值（中文名称）', 'the value (Chinese name) is required'));
  else if ([...value].length > REFERENCE_VALUE_MAX)
    out.push(problem('value', `值不能超过${REFERENCE_VALUE_MAX}个字符`, `the value is at most ${REFERENCE_VALUE_MAX} characters`));
  else if (/[\u0000-\u001f<>"|]/.test(value))
    out.push(problem('value', '值不能包含控制字符或 < > " |', 'the value may not contain control characters or < > " |'));
  else if (existing.some((e) => e.value === value)) out.push(problem('value', `“${value}”已在列表中`, `"${value}" is already in the list`));
  if (!nameEn) out.push(problem('nameEn', '请填写英文名称', 'the English name is required'));
  else if (nameEn.length > REFERENCE_NAME_EN_MAX)
    out.push(problem('nameEn', `英文名称不能超过${REFERENCE_NAME_EN_MAX}个字符`, `the English name is at most ${REFERENCE_NAME_EN_MAX} characters`));
  else if (/[\u0000-\u001f<>|]/.test(nameEn))
    out.push(problem('nameEn', '英文名称不能包含控制字符或 < > |', 'the English name may not contain control characters or < > |'));
  return out;
}

/** An entry's values from reference lists (a certificate's level and status; other models have none). */
export function referenceProblems(
  modelName: string,
  entry: Record<string, unknown>,
  choices: ReferenceChoices,
  stored?: Record<string, unknown> | null,
): FieldProblem[] {
  return modelName === 'Certificate' ? certificateReferenceProblems(entry, choices, stored) : [];
}

// ----- 老字号 re-reviews (复核) -------------------------------------------------------------------

/** A date given as a year, a month or a day (partial-date.ts; a Date is a day); null when not a real date. */
export function reviewDateOf(d: Date | string | null | undefined): PartialDate | null {
  if (d instanceof Date) return dayOf(d);
  const parsed = parsePartialDate(d ?? '');
  return 'value' in parsed ? parsed.value : null;
}

/** A re-review as its writer gives it (the service stamps who recorded it and when). */
export interface ReviewInput {
  /** When the review concluded: a year, a month or a day (2024, 2024-06, 2024-06-01, 2024年6月). */
  date: Date | string | null | undefined;
  outcome: string;
  /** The rectification deadline (附条件通过 only), YYYY-MM-DD. */
  deadline?: Date | string | null;
  /** The conditions, or — for 不通过 — the reason the listing is removed. */
  note?: string;
}

/** A review's note; a failed review's becomes the removal reason, prefixed, within the status reason's 500. */
export const REVIEW_NOTE_MAX = 400;

/**
 * A re-review to append: a real date not in the future, one of the outcomes, a deadline after the
 * review date exactly when the outcome is 附条件通过, and — for 不通过, which removes the listing — the
 * reason, shown publicly with the removal.
 */
export function reviewProblems(review: ReviewInput, outcomes: readonly string[], now: Date): FieldProblem[] {
  const out: FieldProblem[] = [];
  const date = review.date ? reviewDateOf(review.date) : null;
  if (!review.date) out.push(problem('date', '请填写复核日期', 'the review date is required'));
  else if (!date)
    out.push(
      problem('date', '复核日期应写成 2024、2024-06 或 2024-06-01，且须为真实日期', 'the review date must be a real date as 2024, 2024-06 or 2024-06-01'),
    );
  else if (date.date.getTime() > now.getTime()) out.push(problem('date', '复核日期不能晚于今天', 'the review date cannot be in the future'));
  if (!review.outcome) out.push(problem('outcome', '请选择复核结果', 'choose the outcome'));
  else out.push(...referenceValueProblems('outcome', ['复核结果', 'outcome'], outcomes, review.outcome));
  const deadline = review.deadline ? parseDay(review.deadline) : null;
  if (review.outcome === CONDITIONAL_PASS) {
    if (!review.deadline) out.push(problem('deadline', '附条件通过须填写整改期限', 'a pass with conditions needs a rectification deadline'));
    else if (!deadline) out.push(problem('deadline', '整改期限格式应为 YYYY-MM-DD，且须为真实日期', 'the deadline must be a real date as YYYY-MM-DD'));
    else if (date && deadline.getTime() <= date.date.getTime())
      out.push(problem('deadline', '整改期限须晚于复核日期', 'the deadline must be after the review date'));
  } else if (review.deadline) {
    out.push(problem('deadline', '只有附条件通过才填写整改期限', 'only a pass with conditions has a rectification deadline'));
  }
  const note = (review.note ?? '').trim();
  if (note.length > REVIEW_NOTE_MAX) out.push(problem('note', `说明不能超过${REVIEW_NOTE_MAX}个字符`, `the note is at most ${REVIEW_NOTE_MAX} characters`));
  else if (review.outcome === REVIEW_FAILED && !note)
    out.push(problem('note', '复核不通过将移出名录，请填写原因（公开显示）', 'a failed review removes the listing: give the reason (shown publicly)'));
  return out;
}

// ----- every write -----------------------------------------------------------------------------

/**
 * The rules an entry obeys as a whole, checked on the entry as it would be stored after a create
 * or an update: the reason kept with its status, a directory entry's geographic indication, and a
 * certificate's level and status against the reference lists (`choices`; `stored`, the entry
 * before an update, whose values stay acceptable once deactivated).
 */
export function entryProblems(
  modelName: string,
  entry: Record<string, unknown>,
  choices?: ReferenceChoices,
  stored?: Record<string, unknown> | null,
): FieldProblem[] {
  return [
    ...(typeof entry.statusReason === 'string' ? reasonLengthProblems(entry.statusReason) : []),
    ...(modelName === 'DirectoryEntry' ? giProblems(entry.gi) : []),
    ...(choices ? referenceProblems(modelName, entry, choices, stored) : []),
  ];
}

/** True when a problem on `a` and one on `b` are about the same value ("gi" and "gi.area"). */
export const sameField = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/** Rule problems first, then the schema's on fields no rule has spoken about. */
export function mergeProblems(rules: FieldProblem[], schema: FieldProblem[]): FieldProblem[] {
  return [...rules, ...schema.filter((s) => !rules.some((r) => sameField(r.field, s.field)))];
}
