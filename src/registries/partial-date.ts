/**
 * Partial dates: a year, a year and month, or a day — as published lists give them ("2011年",
 * "2011年6月", "2011-06-01").
 *
 * Storage: the date field keeps the first instant (UTC) of the period, so every existing query,
 * index and sort on it still works, and a sibling `<path>Precision` ("listedAtPrecision",
 * "recognition.datePrecision", "issuedAtPrecision") says how much of it is known. A missing
 * precision means 'day' (documents written before partial dates existed).
 *
 * Order and filters (docs/decisions/0019-partial-dates.md):
 * - sorting uses the period's start, so "2011" sorts at 1 January 2011, before "2011-06" and
 *   "2011-06-01"; equal starts order the less precise first (comparePartial);
 * - statistics by year and the search index's year read the start's year, which is the period's year;
 * - a filter "before X" / "until X" that must not claim more than is known uses periodEnd():
 *   "2011" is certainly before X only when X ≥ 2012-01-01; the start answers "possibly before".
 *
 * Pure: no database, no request. Messages are [Chinese, English] pairs.
 */
import { formatDate, type Lang } from '../platform/i18n.js';

export const PRECISIONS = ['year', 'month', 'day'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface PartialDate {
  /** First instant of the period, UTC midnight. */
  date: Date;
  precision: Precision;
}

export type PartialParse = { value: PartialDate } | { empty: true } | { problem: [zh: string, en: string] };

/** Model paths that hold a partial date; each has its precision at `precisionPathOf(path)`. */
export const PARTIAL_DATE_PATHS = ['listedAt', 'recognition.date', 'issuedAt'] as const;

/** Where a partial date's precision is stored: next to it, "<path>Precision". */
export const precisionPathOf = (path: string): string => `${path}Precision`;

export const isPrecision = (v: unknown): v is Precision => typeof v === 'string' && (PRECISIONS as readonly string[]).includes(v);

/** A stored precision (absent on documents older than partial dates: those are days). */
export const precisionOr = (v: unknown): Precision => (isPrecision(v) ? v : 'day');

/** Years a registry date may fall in (the same bounds the import has always used for days). */
const MIN_YEAR = 1000;
const MAX_YEAR = 2999;

export const UNREADABLE: [string, string] = [
  '日期无法识别，应写成 2011、2011-06 或 2011-06-01（也可写 2011年6月1日）',
  'date not understood; write it as 2011, 2011-06 or 2011-06-01',
];

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Text as typed or published: full-width digits and punctuation become ASCII (NFKC), spaces go,
 * and the separators people use (- / . 年 月) are all accepted.
 */
function normalise(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/^\uFEFF/, '');
}

const YEAR = /^(\d{4})年?$/;
const MONTH = /^(\d{4})(?:[-/.]|年)(\d{1,2})月?$/;
const DAY = /^(\d{4})(?:[-/.]|年)(\d{1,2})(?:[-/.]|月)(\d{1,2})日?(?:T00:00(?::00(?:\.000)?)?Z?)?$/;
const COMPACT_DAY = /^(\d{4})(\d{2})(\d{2})$/;

function yearProblem(y: number, typed: string): [string, string] | null {
  if (y >= MIN_YEAR && y <= MAX_YEAR) return null;
  return [`${typed}：年份${y}不合理`, `${typed}: the year ${y} is implausible`];
}

/** The period a year, month or day names, or why it is not one. */
export function partialDate(y: number, m: number | null, d: number | null, typed = ''): PartialParse {
  const shown = typed || [y, m, d].filter((x) => x !== null).join('-');
  const bad = yearProblem(y, shown);
  if (bad) return { problem: bad };
  if (m === null) return { value: { date: new Date(Date.UTC(y, 0, 1)), precision: 'year' } };
  if (m < 1 || m > 12) return { problem: [`${shown}：${m}月不是真实的月份`, `${shown}: ${m} is not a real month`] };
  if (d === null) return { value: { date: new Date(Date.UTC(y, m - 1, 1)), precision: 'month' } };
  const date = new Date(Date.UTC(y, m - 1, d));
  if (d < 1 || date.getUTCMonth() !== m - 1) {
    return { problem: [`${shown}：${y}年${m}月没有${d}日`, `${shown}: ${d} is not a day of ${y}-${pad(m)}`] };
  }
  return { value: { date, precision: 'day' } };
}

/** Parses "2011", "2011年", "2011年6月", "2011-06", "2011/6", "2011.6", "2011年6月1日", "2011-06-01", "20110601". */
export function parsePartialDate(text: string): PartialParse {
  const s = normalise(text);
  if (!s) return { empty: true };
  const typed = text.trim();
  let m = YEAR.exec(s);
  if (m) return partialDate(Number(m[1]), null, null, typed);
  m = MONTH.exec(s);
  if (m) return partialDate(Number(m[1]), Number(m[2]), null, typed);
  m = DAY.exec(s) ?? COMPACT_DAY.exec(s);
  if (m) return partialDate(Number(m[1]), Number(m[2]), Number(m[3]), typed);
  return { problem: UNREADABLE };
}

/** A Date (a spreadsheet date cell, a stored value) as the day it falls on in UTC. */
export function dayOf(d: Date): PartialDate | null {
  if (Number.isNaN(d.getTime())) return null;
  return { date: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())), precision: 'day' };
}

/** A stored date and precision as a partial date (null when no date is stored). */
export function storedPartial(date: unknown, precision: unknown): PartialDate | null {
  if (!(date instanceof Date) && typeof date !== 'string' && typeof date !== 'number') return null;
  if (date === '') return null;
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? null : { date: d, precision: precisionOr(precision) };
}

/** ISO 8601 at its precision: "2011", "2011-06", "2011-06-01" (export cells, form values, open data, <time datetime>). */
export function isoPartial(p: PartialDate): string {
  const y = String(p.date.getUTCFullYear());
  if (p.precision === 'year') return y;
  const ym = `${y}-${pad(p.date.getUTCMonth() + 1)}`;
  return p.precision === 'month' ? ym : `${ym}-${pad(p.date.getUTCDate())}`;
}

/** As given, in the page language: 2011年 / 2011年6月 / 2011年6月1日; 2011 / 2011-06 / 2011-06-01. */
export function formatPartial(lang: Lang, p: PartialDate): string {
  return formatDate(lang, p.date, p.precision);
}

/** The first instant after the period (exclusive end): 2011 → 2012-01-01, 2011-06 → 2011-07-01, a day → the next day. */
export function periodEnd(p: PartialDate): Date {
  const y = p.date.getUTCFullYear();
  const m = p.date.getUTCMonth();
  if (p.precision === 'year') return new Date(Date.UTC(y + 1, 0, 1));
  if (p.precision === 'month') return new Date(Date.UTC(y, m + 1, 1));
  return new Date(Date.UTC(y, m, p.date.getUTCDate() + 1));
}

/** Is the period wholly before `x` (its end at or before x)? "2011" is certainly before 2012-01-01, not before 2011-06-01. */
export const certainlyBefore = (p: PartialDate, x: Date): boolean => periodEnd(p).getTime() <= x.getTime();

const RANK: Record<Precision, number> = { year: 0, month: 1, day: 2 };

/** Order by the period's start, then precision: a year before its first month before its first day. */
export const comparePartial = (a: PartialDate, b: PartialDate): number => a.date.getTime() - b.date.getTime() || RANK[a.precision] - RANK[b.precision];
