/**
 * Reading and writing cell values. Cells arrive as strings (CSV) or as what exceljs gives
 * (string, number, boolean, Date, rich text, formula results); each column type turns them into
 * the value the model expects, or a problem in Chinese and English. Range and enum rules are NOT
 * here: they live in the mongoose schemas and are applied to the parsed values (rows.ts).
 */
import { isRecord } from '../platform/guards.js';
import { dayOf, isoPartial, parsePartialDate, storedPartial, UNREADABLE, type PartialDate } from '../registries/partial-date.js';
import type { CellType } from './formats.js';

export type Cell = string | number | boolean | Date | null;
export type Parsed = { value: unknown } | { problem: [zh: string, en: string] };

/** Characters a spreadsheet treats as the start of a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * An exported CSV cell starting with = + - @ gets a leading apostrophe so Excel shows it as text
 * instead of running it; importing removes that apostrophe again, so the round trip is exact.
 */
export function neutralizeFormula(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

function unneutralize(s: string): string {
  return s.length > 1 && s[0] === "'" && FORMULA_START.test(s.slice(1)) ? s.slice(1) : s;
}

/** exceljs cell values (rich text, hyperlinks, formulas, errors) as a plain value. */
export function fromExcel(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (isRecord(v)) {
    const o = v;
    if (Array.isArray(o.richText)) return o.richText.map((r: unknown) => String((isRecord(r) ? r.text : undefined) ?? '')).join('');
    // A formula: only its cached result counts; the formula itself is never kept or evaluated.
    if ('formula' in o || 'sharedFormula' in o) return fromExcel(o.result ?? null);
    if ('text' in o) return fromExcel(o.text);
    if ('error' in o) return null;
  }
  return String(v);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as YYYY-MM-DD (UTC, as stored). */
export function formatDay(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The cell as trimmed text (numbers without exponent, dates as YYYY-MM-DD). */
export function cellText(c: Cell): string {
  if (c === null) return '';
  if (c instanceof Date) return Number.isNaN(c.getTime()) ? '' : formatDay(c);
  if (typeof c === 'number') return Number.isInteger(c) ? c.toFixed(0) : String(c);
  if (typeof c === 'boolean') return c ? '是' : '否';
  return unneutralize(c.replace(/^\uFEFF/, '').trim());
}

function utcDay(y: number, m: number, d: number): Date | null {
  if (y < 1000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
}

/** Days since 1899-12-30: how Excel counts dates (a date typed into a text-formatted CSV column). */
function fromExcelSerial(n: number): Date | null {
  if (!Number.isInteger(n) || n < 1 || n > 2_958_465) return null;
  return new Date(Date.UTC(1899, 11, 30) + n * 86_400_000);
}

const DATE_PROBLEM: [string, string] = ['日期无法识别，应写成 2024-01-31', 'date not understood; write it as 2024-01-31'];

export function parseDate(c: Cell): Parsed {
  if (c instanceof Date) {
    if (Number.isNaN(c.getTime())) return { problem: DATE_PROBLEM };
    return { value: new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate())) };
  }
  if (typeof c === 'number') {
    const d = fromExcelSerial(c);
    return d ? { value: d } : { problem: DATE_PROBLEM };
  }
  const s = cellText(c);
  if (!s) return { value: undefined };
  let m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00(?:\.000)?)?Z?)?$/.exec(s);
  if (m) {
    const d = utcDay(Number(m[1]), Number(m[2]), Number(m[3]));
    return d ? { value: d } : { problem: DATE_PROBLEM };
  }
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) {
    const d = utcDay(Number(m[1]), Number(m[2]), Number(m[3]));
    return d ? { value: d } : { problem: DATE_PROBLEM };
  }
  if (/^\d{5}$/.test(s)) {
    const d = fromExcelSerial(Number(s));
    if (d) return { value: d };
  }
  return { problem: DATE_PROBLEM };
}

/**
 * A listing, recognition or issue date as a list publishes it: a year, a year and month, or a day
 * (partial-date.ts), read into `{date, precision}`. A spreadsheet date cell is a day; a whole
 * number 1000-2999 is a year (a "2011" cell Excel turned into a number), other whole numbers are
 * Excel day serials, as for parseDate.
 */
export function parsePartialDateCell(c: Cell): Parsed {
  if (c instanceof Date) {
    const d = dayOf(c);
    return d ? { value: d } : { problem: UNREADABLE };
  }
  if (typeof c === 'number') {
    if (Number.isInteger(c) && c >= 1000 && c <= 2999) return parsePartialDateCell(String(c));
    const d = fromExcelSerial(c);
    return d ? { value: { date: d, precision: 'day' } satisfies PartialDate } : { problem: UNREADABLE };
  }
  const s = cellText(c);
  if (/^\d{5}$/.test(s)) {
    const d = fromExcelSerial(Number(s));
    if (d) return { value: { date: d, precision: 'day' } satisfies PartialDate };
  }
  const r = parsePartialDate(s);
  if ('empty' in r) return { value: undefined };
  return r;
}

const TRUE = new Set(['是', 'y', 'yes', 'true', '1', '√', '✓', '✔', '有']);
const FALSE = new Set(['否', 'n', 'no', 'false', '0', '×', '✗', '无', '']);

export function parseBool(c: Cell): Parsed {
  if (typeof c === 'boolean') return { value: c };
  const s = cellText(c).toLowerCase();
  if (TRUE.has(s)) return { value: true };
  if (FALSE.has(s)) return { value: false };
  return { problem: ['应填写“是”或“否”', 'must be 是 (yes) or 否 (no)'] };
}

/** Numbers above this lose digits in a spreadsheet: a long number typed into a number cell. */
const SAFE = Number.MAX_SAFE_INTEGER;

export function parseInt10(c: Cell): Parsed {
  if (typeof c === 'number') {
    return Number.isInteger(c) && Math.abs(c) <= SAFE ? { value: c } : { problem: ['应为整数', 'must be a whole number'] };
  }
  // Full-width digits (１９２７年) read as digits; a trailing 年 is the unit of a year ("1927年").
  const s = cellText(c)
    .normalize('NFKC')
    .replace(/\s*年$/, '');
  if (!s) return { value: undefined };
  return /^-?\d{1,15}$/.test(s) ? { value: Number(s) } : { problem: ['应为整数', 'must be a whole number'] };
}

export function parseNumber(c: Cell): Parsed {
  if (typeof c === 'number') return Number.isFinite(c) ? { value: c } : { problem: ['应为数字', 'must be a number'] };
  const s = cellText(c)
    .replace(/万元$|万$/, '')
    .replace(/,/g, '');
  if (!s) return { value: undefined };
  return /^-?\d+(\.\d+)?$/.test(s) ? { value: Number(s) } : { problem: ['应为数字', 'must be a number'] };
}

/** Keywords: separated by 、 , ， ; ； | or new lines. */
export function parseKeywords(c: Cell): Parsed {
  const s = cellText(c);
  const list = [
    ...new Set(
      s
        .split(/[、,，;；|\n]+/)
        .map((k) => k.trim())
        .filter(Boolean),
    ),
  ];
  return { value: list };
}

/** Nice classes: whole numbers separated by ; , 、 or spaces ("29;30"). Range is the schema's. */
export function parseIntList(c: Cell): Parsed {
  if (typeof c === 'number')
    return Number.isInteger(c) ? { value: [c] } : { problem: ['应为整数，多个用分号分隔，如 29;30', 'whole numbers separated by ; e.g. 29;30'] };
  const s = cellText(c);
  if (!s) return { value: [] };
  const parts = s.split(/[;；,，、\s/]+/).filter(Boolean);
  if (!parts.every((p) => /^\d{1,3}$/.test(p))) return { problem: ['应为整数，多个用分号分隔，如 29;30', 'whole numbers separated by ; e.g. 29;30'] };
  return { value: [...new Set(parts.map(Number))] };
}

/** Text cells: trimmed; a number that lost digits in a number-formatted cell is refused. */
export function parseText(c: Cell): Parsed {
  if (typeof c === 'number' && Number.isInteger(c) && Math.abs(c) > SAFE) {
    return { problem: ['数字位数过长已丢失精度，请把该列设为“文本”格式后重新填写', 'the number lost digits; format the column as Text and type it again'] };
  }
  return { value: cellText(c) };
}

export function parseCell(type: CellType, c: Cell): Parsed {
  switch (type) {
    case 'date':
      return parseDate(c);
    case 'partialDate':
      return parsePartialDateCell(c);
    case 'bool':
      return parseBool(c);
    case 'int':
      return parseInt10(c);
    case 'number':
      return parseNumber(c);
    case 'keywords':
      return parseKeywords(c);
    case 'intList':
      return parseIntList(c);
    case 'text':
    case 'status':
    case 'reason':
      return parseText(c);
  }
}

/** A stored value as the cell text an import reads back to the same value. */
export function formatCell(type: CellType, v: unknown): string {
  if (v === null || v === undefined) return '';
  switch (type) {
    case 'date':
      return v instanceof Date || typeof v === 'string' || typeof v === 'number' ? formatDay(new Date(v)) : '';
    case 'partialDate': {
      // As given: "2011", "2011-06", "2011-06-01" (a bare stored date is a day).
      const p = isRecord(v) && 'date' in v ? storedPartial(v.date, v.precision) : storedPartial(v, 'day');
      return p ? isoPartial(p) : '';
    }
    case 'bool':
      return v ? '是' : '否';
    case 'keywords':
      return Array.isArray(v) ? v.join('、') : String(v);
    case 'intList':
      return Array.isArray(v) ? v.join(';') : String(v);
    default:
      return String(v);
  }
}
