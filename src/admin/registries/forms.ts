/**
 * Form shape: what a submitted form may contain and how its strings become model values.
 *
 * Every field is read from an allowlist (the entity's FieldSpec list), must be one plain string
 * (an array or object where a string is expected is refused with a message, never a 500), and is
 * converted with zod (dates, numbers, checkboxes, lists). Domain rules — enums, the credit-code
 * check digit, date order, uniqueness — stay with the mongoose schemas, and the rules across
 * fields (a geographic indication's two parts) with the kernel's rules.ts, both reached through
 * the registry service; their "中文|English" messages come back as field problems.
 *
 * What the user typed is always kept as strings (`values`) so a refused form comes back filled in.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import type { FieldProblem } from '../../platform/errors.js';
import { parseDay as dayOf, giOf, giProblems } from '../../registries/rules.js';
import { fieldProblemsFrom } from '../../registries/service.js';
import { Brand } from '../../registries/models.js';
import { isRecord } from '../../platform/guards.js';
import { isoPartial, parsePartialDate, precisionPathOf, storedPartial, type PartialDate } from '../../registries/partial-date.js';
import { getPath } from './narrow.js';
import { fieldLabelKey, formFields, type EntitySpec, type FieldSpec } from './specs.js';
import { label as termLabel, t, type Lang } from '../../platform/i18n.js';

/** Raw form values as typed, by field name. */
export type FormValues = Record<string, string>;

export interface ParsedForm {
  values: FormValues;
  /** Model data (dotted names folded into sub-documents). */
  data: Record<string, unknown>;
  problems: FieldProblem[];
}

const p = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

/** Splits a typed list on commas (half or full width), 、, semicolons and new lines. */
export function splitList(s: string): string[] {
  return s
    .split(/[,，、;；\n\r]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** "2025-03-01" → that day at 00:00 UTC (dates are days; the site formats them in UTC). */
export const parseDay = (s: string): Date | null => dayOf(s);

export function dayString(d: unknown): string {
  if (!(d instanceof Date) && typeof d !== 'string' && typeof d !== 'number') return '';
  const date = new Date(d);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 10);
}

const intSchema = z.coerce.number().int().min(-1_000_000).max(1_000_000);
const numberSchema = z.coerce.number().finite().min(-1e9).max(1e9);

/** Reads one plain string field from a body; a non-string is a shape problem. */
function plain(body: Record<string, unknown>, name: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : null;
}

function setPath(target: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split('.');
  let obj = target;
  for (const part of parts.slice(0, -1)) {
    const next = obj[part];
    if (isRecord(next)) obj = next;
    else {
      const made: Record<string, unknown> = {};
      obj[part] = made;
      obj = made;
    }
  }
  obj[parts[parts.length - 1]!] = value;
}

/**
 * Parses a submitted form for `spec` (create or edit). Unknown fields are ignored; a brand is
 * looked up by its slug. Returns the typed values, the model data and the shape problems.
 */
export async function parseForm(spec: EntitySpec, body: Record<string, unknown>, mode: 'create' | 'edit'): Promise<ParsedForm> {
  const values: FormValues = {};
  const data: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const f of formFields(spec, mode)) {
    const raw = plain(body, f.name);
    if (raw === null) {
      values[f.name] = '';
      problems.push(p(f.name, '格式不正确，应为一段文字', 'must be a single text value'));
      continue;
    }
    values[f.name] = f.type === 'checkbox' ? (raw ? '1' : '') : raw;
    const s = raw.trim();
    if (f.max && s.length > f.max * 4 && f.type !== 'list') {
      // Far over the limit: refuse before anything else looks at it (the schema has the exact rule).
      problems.push(p(f.name, `不能超过${f.max}个字符`, `must be at most ${f.max} characters`));
      continue;
    }
    if (f.required && s === '' && f.type !== 'checkbox') {
      problems.push(p(f.name, '此项为必填项', 'is required'));
      continue;
    }
    const converted = await convert(f, s);
    if ('problem' in converted) {
      problems.push({ ...converted.problem, field: f.name });
      continue;
    }
    if (f.type === 'partialDate' && isPartialValue(converted.value)) {
      // The period's start, and beside it how much of it is known (partial-date.ts).
      setPath(data, f.name, converted.value.date);
      setPath(data, precisionPathOf(f.name), converted.value.precision);
    } else setPath(data, f.name, converted.value);
  }
  // A geographic indication is a product and an area together, or nothing (rules.ts).
  if (spec.key === 'directory' && !problems.some((x) => x.field.startsWith('gi.'))) {
    problems.push(...giProblems(data.gi));
    data.gi = giOf(data.gi);
  }
  return { values, data, problems };
}

type Converted = { value: unknown } | { problem: FieldProblem };

const isPartialValue = (v: unknown): v is PartialDate => isRecord(v) && v.date instanceof Date && typeof v.precision === 'string';

async function convert(f: FieldSpec, s: string): Promise<Converted> {
  switch (f.type) {
    case 'checkbox':
      return { value: s !== '' };
    case 'date': {
      if (s === '') return { value: undefined };
      const d = parseDay(s);
      return d ? { value: d } : { problem: p(f.name, '日期格式应为 YYYY-MM-DD，且须为真实日期', 'must be a real date as YYYY-MM-DD') };
    }
    case 'partialDate': {
      const r = parsePartialDate(s);
      if ('empty' in r) return { value: undefined };
      return 'problem' in r ? { problem: p(f.name, ...r.problem) } : { value: r.value };
    }
    case 'int': {
      if (s === '') return { value: undefined };
      // A year may be written with its unit and in full-width digits ("１９２７年").
      const r = intSchema.safeParse(s.normalize('NFKC').replace(/\s*年$/, ''));
      return r.success ? { value: r.data } : { problem: p(f.name, '应为整数', 'must be a whole number') };
    }
    case 'number': {
      if (s === '') return { value: undefined };
      const r = numberSchema.safeParse(s);
      return r.success ? { value: r.data } : { problem: p(f.name, '应为数字', 'must be a number') };
    }
    case 'list': {
      const items = splitList(s);
      if (items.length > 50) return { problem: p(f.name, '最多填写50项', 'at most 50 items') };
      const long = items.find((x) => x.length > 40);
      if (long) return { problem: p(f.name, `每项不能超过40个字符：${long.slice(0, 20)}…`, `each item is at most 40 characters: ${long.slice(0, 20)}…`) };
      return { value: items };
    }
    case 'intlist': {
      const items = s.split(/[,，、;；\s]+/).filter(Boolean);
      if (items.length > 45) return { problem: p(f.name, '最多填写45项', 'at most 45 items') };
      const nums = items.map((x) => intSchema.safeParse(x));
      if (nums.some((r) => !r.success))
        return { problem: p(f.name, '应为以逗号分隔的整数，如 29, 30', 'must be whole numbers separated by commas, e.g. 29, 30') };
      return { value: [...new Set(nums.flatMap((r) => (r.success ? [r.data] : [])))] };
    }
    case 'brand': {
      if (s === '') return { value: undefined };
      const slug = s.toLowerCase();
      const brand = /^[a-z0-9][a-z0-9-]{0,79}$/.test(slug) ? await Brand.findOne({ slug }).select('_id').lean() : null;
      return brand ? { value: brand._id } : { problem: p(f.name, `找不到标识为“${s.slice(0, 40)}”的品牌`, `no brand with the slug "${s.slice(0, 40)}"`) };
    }
    case 'select':
      if (s === '') return { value: undefined };
      // The schema enum says which values are allowed, in the same words as an import would.
      return { value: s };
    default:
      return { value: s };
  }
}

/** A stored document as form values (the edit form's starting point). */
export function formValuesOf(spec: EntitySpec, doc: Record<string, unknown>, mode: 'create' | 'edit', brandSlug = ''): FormValues {
  const values: FormValues = {};
  for (const f of formFields(spec, mode)) {
    const v = getPath(doc, f.name);
    // A partial date is shown as given: "2011", "2011-06", "2011-06-01".
    const p = f.type === 'partialDate' ? storedPartial(v, getPath(doc, precisionPathOf(f.name))) : null;
    values[f.name] = p ? isoPartial(p) : formValue(f, v, brandSlug);
  }
  return values;
}

function formValue(f: FieldSpec, v: unknown, brandSlug: string): string {
  if (v === undefined || v === null) return '';
  switch (f.type) {
    case 'checkbox':
      return v ? '1' : '';
    case 'date':
      return dayString(v);
    case 'list':
      return Array.isArray(v) ? v.join('、') : String(v);
    case 'intlist':
      return Array.isArray(v) ? v.join(', ') : String(v);
    case 'brand':
      return brandSlug;
    default:
      return String(v);
  }
}

/**
 * Moves problems reported on model paths ("niceClasses.2", "recognition", "gi") onto the form
 * field that shows them; problems on no form field stay general.
 */
export function problemsByField(fields: FieldSpec[], problems: FieldProblem[]): { byField: Map<string, FieldProblem[]>; general: FieldProblem[] } {
  const byField = new Map<string, FieldProblem[]>();
  const general: FieldProblem[] = [];
  for (const pr of problems) {
    const target =
      fields.find((f) => f.name === pr.field) ?? fields.find((f) => pr.field.startsWith(`${f.name}.`)) ?? fields.find((f) => f.name.startsWith(`${pr.field}.`));
    if (target) byField.set(target.name, [...(byField.get(target.name) ?? []), pr]);
    else general.push(pr);
  }
  return { byField, general };
}

/** The id attribute of a field's control (dots are awkward in CSS selectors and fragments). */
export const fieldId = (name: string) => `f-${name.replace(/\./g, '-')}`;

/** A select's choices: a `keepValue` field also offers the value it holds (a deactivated level stays on its entry). */
const optionsOf = (f: FieldSpec, value: string): readonly string[] =>
  f.keepValue && value && !(f.options ?? []).includes(value) ? [...(f.options ?? []), value] : (f.options ?? []);

/** View model of a form: fields with values, options, hints and messages wired by aria-describedby. */
export function formView(lang: Lang, fields: FieldSpec[], values: FormValues, problems: FieldProblem[]) {
  const { byField, general } = problemsByField(fields, problems);
  const msg = (x: FieldProblem) => (lang === 'en' ? x.messageEn : x.message);
  const labelOf = (name: string) => t(lang, fieldLabelKey(name));
  const rows = fields.map((f) => {
    const id = fieldId(f.name);
    const errors = (byField.get(f.name) ?? []).map(msg);
    const hint = f.hint ? t(lang, `adminreg.hint.${f.name}`) : f.type === 'partialDate' ? t(lang, 'adminreg.hint.partialDate') : '';
    const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
    const value = values[f.name] ?? '';
    return {
      id,
      name: f.name,
      label: labelOf(f.name),
      type: f.type,
      inputType: f.type === 'date' ? 'date' : 'text',
      inputMode: f.type === 'int' ? 'numeric' : f.type === 'number' ? 'decimal' : '',
      isTextarea: f.type === 'textarea' || f.type === 'list',
      isSelect: f.type === 'select',
      isCheckbox: f.type === 'checkbox',
      required: Boolean(f.required),
      max: f.max ?? '',
      value,
      checked: f.type === 'checkbox' && value !== '',
      options: optionsOf(f, value).map((o) => ({ value: o, label: f.optionLabels?.[o] ?? termLabel(lang, o), selected: o === value })),
      emptyLabel: t(lang, f.emptyLabel ?? 'adminreg.form.choose'),
      hint,
      hintId: `${id}-hint`,
      errorId: `${id}-error`,
      error: errors.join('；'),
      describedBy,
    };
  });
  return {
    fields: rows,
    general: general.map((g) => `${g.field}: ${msg(g)}`),
    summary: [...byField.entries()].map(([name, list]) => ({ href: `#${fieldId(name)}`, label: labelOf(name), message: list.map(msg).join('；') })),
    hasProblems: problems.length > 0,
  };
}

/** True when `id` is a MongoDB ObjectId in its 24-hex form. */
export const isObjectId = (id: string) => /^[a-f0-9]{24}$/.test(id) && mongoose.isValidObjectId(id);

/**
 * The schema's own problems with a form that already has shape problems, so the user sees every
 * message at once (read-only: nothing is written). Fields with a shape problem are left out.
 */
export async function domainProblems(spec: EntitySpec, parsed: ParsedForm, current?: Record<string, unknown>): Promise<FieldProblem[]> {
  const doc = current ? spec.model.hydrate({ ...current }) : new spec.model({ ...parsed.data, version: 1 });
  if (current) doc.set(parsed.data);
  try {
    await doc.validate();
    return [];
  } catch (err) {
    const shaped = parsed.problems.map((x) => x.field);
    const near = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
    return (fieldProblemsFrom(err) ?? []).filter((x) => !shaped.some((f) => near(x.field, f)));
  }
}

/** A typed value as the model would store it, for comparing with what is saved. */
export function normalise(v: string, type: string): string {
  if (type === 'list') return splitList(v).join('、');
  if (type === 'intlist')
    return v
      .split(/[,，、;；\s]+/)
      .filter(Boolean)
      .map(Number)
      .join(',');
  if (type === 'checkbox') return v ? '1' : '';
  if (type === 'partialDate') {
    const r = parsePartialDate(v);
    return 'value' in r ? isoPartial(r.value) : v.trim();
  }
  return v.trim();
}

/**
 * Keeps only the fields the user changed: a top-level field whose form values all read as the
 * saved ones is left out, so saving an untouched form makes no new version, and a stored time of
 * day (a `listedAt` the old schema default wrote) is not cut to midnight by a date input that shows only the day.
 */
export function changedOnly(spec: EntitySpec, parsed: ParsedForm, saved: FormValues): Record<string, unknown> {
  const fields = formFields(spec, 'edit');
  const changed = fields.filter((f) => normalise(parsed.values[f.name] ?? '', f.type) !== normalise(saved[f.name] ?? '', f.type));
  // A partial date's precision travels with it ("listedAt" → "listedAtPrecision").
  const changedTop = new Set(changed.flatMap((f) => [f.name, ...(f.type === 'partialDate' ? [precisionPathOf(f.name)] : [])]).map((n) => n.split('.')[0]!));
  return Object.fromEntries(Object.entries(parsed.data).filter(([k]) => changedTop.has(k)));
}
