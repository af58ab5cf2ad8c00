/**
 * The bureau's working-day calendar (工作日历): Monday to Friday are working days, Saturday and
 * Sunday are not, except for the days an administrator records — a public holiday on a weekday
 * (法定节假日) or a make-up workday on a weekend (调休上班). No official dates are built in: the
 * State Council publishes them each year and the bureau enters them at /admin/calendar.
 *
 * Dates are Beijing calendar days (Asia/Shanghai, UTC+8, no daylight saving): a Date means the
 * day it falls on in Beijing. The recorded days are cached in memory, reloaded on every write here
 * and at most 60 seconds after the last load (so another process's writes show up within a minute).
 */
import mongoose from 'mongoose';
import type { EventRecorder } from '../audit/index.js';
import { validationFailed, type FieldProblem } from '../platform/errors.js';
import { registerMessages } from '../platform/i18n.js';
import { CalendarDay, type CalendarDayDoc } from './model.js';

registerMessages({
  'audit.action.calendar_update': ['修改工作日历', 'Working-day calendar changed'],
});

const BEIJING_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const TTL_MS = 60_000;
/** A guard against a loop that never ends (no calendar has a year without working days). */
const MAX_SCAN_DAYS = 3_660;

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** "YYYY-MM-DD" of the Beijing day `d` falls on. */
export function beijingDate(d: Date): string {
  return new Date(d.getTime() + BEIJING_MS).toISOString().slice(0, 10);
}

/** The Beijing day `d` falls on, as the UTC midnight of that date (how notices store days). */
export function beijingDay(d: Date): Date {
  return new Date(`${beijingDate(d)}T00:00:00.000Z`);
}

/** A "YYYY-MM-DD" that is a real date, as its UTC midnight; else null. */
export function parseDate(s: unknown): Date | null {
  if (typeof s !== 'string' || !DATE_PATTERN.test(s)) return null;
  const d = new Date(`${s}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? d : null;
}

let cache: Map<string, CalendarDayDoc['kind']> | null = null;
let loadedAt = 0;
let loading: Promise<Map<string, CalendarDayDoc['kind']>> | null = null;

async function days(): Promise<Map<string, CalendarDayDoc['kind']>> {
  if (cache && Date.now() - loadedAt < TTL_MS) return cache;
  loading ??= CalendarDay.find({}, { _id: 1, kind: 1 })
    .lean<Array<Pick<CalendarDayDoc, '_id' | 'kind'>>>()
    .then((rows) => {
      cache = new Map(rows.map((r) => [r._id, r.kind]));
      loadedAt = Date.now();
      return cache;
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

/** Forgets the cache (after a write, or a test that wrote CalendarDay directly). */
export function refreshCalendar(): void {
  cache = null;
  loadedAt = 0;
}

const isWeekend = (ymd: string) => {
  const wd = new Date(`${ymd}T00:00:00.000Z`).getUTCDay();
  return wd === 0 || wd === 6;
};

function working(map: Map<string, CalendarDayDoc['kind']>, ymd: string): boolean {
  const special = map.get(ymd);
  if (special === 'holiday') return false;
  if (special === 'workday') return true;
  return !isWeekend(ymd);
}

/** Is the Beijing day `date` falls on a working day? */
export async function isWorkingDay(date: Date): Promise<boolean> {
  return working(await days(), beijingDate(date));
}

/**
 * The moment `days` working days after `from`: the same time of day, on the `days`-th working day
 * after `from`'s Beijing day (`from`'s own day is not counted). 0 (or less) gives `from` itself.
 */
export async function addWorkingDays(from: Date, days_: number): Promise<Date> {
  const map = await days();
  const d = new Date(from.getTime());
  let left = Math.floor(days_);
  for (let scanned = 0; left > 0; scanned++) {
    if (scanned > MAX_SCAN_DAYS) throw new Error('calendar: no working days found');
    d.setTime(d.getTime() + DAY_MS);
    if (working(map, beijingDate(d))) left--;
  }
  return d;
}

/**
 * Working days after `from`'s Beijing day up to and including `to`'s: 0 for the same day, negative
 * (counting back) when `to` is before `from`. E.g. Friday → next Monday is 1.
 */
export async function workingDaysBetween(from: Date, to: Date): Promise<number> {
  const map = await days();
  const a = beijingDay(from).getTime();
  const b = beijingDay(to).getTime();
  const sign = b >= a ? 1 : -1;
  const [lo, hi] = sign > 0 ? [a, b] : [b, a];
  let n = 0;
  for (let t = lo + DAY_MS; t <= hi; t += DAY_MS) if (working(map, new Date(t).toISOString().slice(0, 10))) n++;
  return sign * n;
}

// ─── Administration ─────────────────────────────────────────────────────────────────────────────

export async function listCalendarYear(year: number): Promise<CalendarDayDoc[]> {
  const all = await CalendarDay.find({ _id: mongoose.trusted({ $gte: `${year}-01-01`, $lte: `${year}-12-31` }) })
    .sort({ _id: 1 })
    .lean<CalendarDayDoc[]>();
  return all;
}

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** Records (or replaces) one special day. A holiday must fall on a weekday, a make-up workday on a weekend. */
export async function setCalendarDay(audit: EventRecorder, actor: string, input: { date: unknown; kind: unknown; name: unknown }): Promise<CalendarDayDoc> {
  const problems: FieldProblem[] = [];
  const date = parseDate(input.date);
  const ymd = date ? date.toISOString().slice(0, 10) : '';
  const kind = input.kind === 'holiday' || input.kind === 'workday' ? input.kind : null;
  const name = typeof input.name === 'string' ? input.name.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '';
  if (!date) problems.push(problem('date', '请填写正确的日期（如 2026-10-01）', 'enter a real date (like 2026-10-01)'));
  else if (date.getUTCFullYear() < 2000 || date.getUTCFullYear() > 2100)
    problems.push(problem('date', '日期须在 2000–2100 年之间', 'the year must be 2000–2100'));
  if (!kind) problems.push(problem('kind', '请选择节假日或调休上班日', 'choose a holiday or a make-up workday'));
  if (!name || [...name].length > 30) problems.push(problem('name', '请填写名称（最多 30 字，如“国庆节”）', 'give a name (at most 30 characters)'));
  if (date && kind === 'holiday' && isWeekend(ymd))
    problems.push(problem('date', '该日本是周末，无需登记为节假日', 'that day is a weekend already; no need to record a holiday'));
  if (date && kind === 'workday' && !isWeekend(ymd))
    problems.push(problem('date', '调休上班日须是周六或周日', 'a make-up workday must be a Saturday or a Sunday'));
  if (problems.length || !kind) throw validationFailed(problems);
  const before = await CalendarDay.findById(ymd).lean<CalendarDayDoc>();
  const doc = await CalendarDay.findOneAndUpdate(
    { _id: ymd },
    { $set: { kind, name, updatedBy: actor } },
    { upsert: true, returnDocument: 'after' },
  ).lean<CalendarDayDoc>();
  refreshCalendar();
  await audit.record({
    action: 'calendar_update',
    actor,
    subject: `calendar:${ymd}`,
    detail: { date: ymd, kind, name, before: before ? { kind: before.kind, name: before.name } : null },
  });
  return doc!;
}

/** Removes a recorded day (it becomes what its weekday says). False when there was none. */
export async function removeCalendarDay(audit: EventRecorder, actor: string, date: unknown): Promise<boolean> {
  const d = parseDate(date);
  if (!d) throw validationFailed([problem('date', '日期不正确', 'not a date')]);
  const ymd = d.toISOString().slice(0, 10);
  const before = await CalendarDay.findOneAndDelete({ _id: ymd }).lean<CalendarDayDoc>();
  refreshCalendar();
  if (!before) return false;
  await audit.record({
    action: 'calendar_update',
    actor,
    subject: `calendar:${ymd}`,
    detail: { date: ymd, removed: { kind: before.kind, name: before.name } },
  });
  return true;
}
