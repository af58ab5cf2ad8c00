/**
 * What makes a record publishable and what makes it complete, one rule per registry kind (and one
 * for the brand the entries hang on), as pure functions like rules.ts.
 *
 * The bureau's published lists give less than the registry normally carries: a 老字号 list gives
 * a brand name, a tier and a year; a 精品 list a number, a level, a product and a validity; no list
 * gives a credit code or a sector. A record with the least a published list gives is
 * *publishable* and may be saved; what it still lacks of the facts the registry normally carries
 * is listed as *missing*, the record is 待补充 (to be completed), and the public sees
 * "信息待补充" where a missing value would be shown — never an invented one.
 *
 * The registry service applies the rule on every write (service.ts): it refuses an unpublishable
 * record with the rule's problems and stores the missing fields on the document (`missing`), so
 * forms, import and API get the same answer and the due view can query it.
 *
 * A brand's rule covers the brand's own facts, an entry's rule the entry's: a 老字号 entry is not
 * incomplete because its brand lacks a credit code; the brand is.
 */
import type { FieldProblem } from '../platform/errors.js';
import type { Kind } from './reference.js';

/** What a rule is about: a brand, or an entry of one of the four registries. */
export type Subject = 'brand' | Kind;

export const SUBJECTS: readonly Subject[] = ['brand', 'directory', 'famous', 'time-honored', 'certified'];

/** One fact a record carries: its field path and its label in both languages. */
export interface Fact {
  readonly field: string;
  readonly label: string;
  readonly labelEn: string;
}

/** A missing fact, as a page lists it. */
export type MissingField = Fact;

/** The rule's answer for a record. */
export interface Completeness {
  /** Why the record cannot be published (saved): a required fact is absent. Empty when publishable. */
  problems: FieldProblem[];
  /** The facts the record still lacks, in the rule's order. Empty when complete. */
  missing: MissingField[];
}

interface Rule {
  /** The least a published list gives: without these the record is refused. */
  readonly publishable: readonly Fact[];
  /** What else the registry normally carries: without these the record is 待补充. */
  readonly complete: readonly Fact[];
}

const fact = (field: string, label: string, labelEn: string): Fact => ({ field, label, labelEn });

/**
 * The rules. Publishable is what every published list of the kind gives; complete is what a
 * regulator's own record holds besides. Status is publishable for every kind: a new entry gets
 * its kind's default (kinds.ts), and a famous mark must say which protection it has.
 */
export const RULES: Readonly<Record<Subject, Rule>> = {
  brand: {
    publishable: [fact('name', '品牌名称', 'brand name')],
    complete: [
      fact('company', '企业名称', 'company name'),
      fact('creditCode', '统一社会信用代码', 'credit code'),
      fact('district', '所属区', 'district'),
      fact('sector', '产业', 'sector'),
      fact('industry', '行业类别', 'industry'),
    ],
  },
  directory: {
    publishable: [fact('brand', '品牌', 'brand'), fact('status', '状态', 'status')],
    complete: [fact('listedAt', '列入日期', 'date listed')],
  },
  famous: {
    publishable: [
      fact('brand', '品牌', 'brand'),
      fact('trademarkRegNo', '商标注册号', 'registration number'),
      fact('recognition.route', '认定途径', 'route'),
      fact('status', '状态', 'status'),
    ],
    complete: [
      fact('recognition.date', '认定日期', 'recognition date'),
      fact('recognition.authority', '认定机关', 'authority'),
      fact('recognition.documentNo', '文书或案号', 'document number'),
      fact('regulator', '责任监管部门', 'regulator in charge'),
    ],
  },
  'time-honored': {
    publishable: [
      fact('brand', '品牌', 'brand'),
      fact('tier', '老字号级别', 'tier'),
      fact('recognizedYear', '认定年份', 'year recognised'),
      fact('status', '状态', 'status'),
    ],
    complete: [fact('batch', '批次', 'batch'), fact('address', '地址', 'address')],
  },
  certified: {
    publishable: [
      fact('brand', '品牌', 'brand'),
      fact('number', '证书编号', 'certificate number'),
      fact('level', '认定级别', 'level'),
      fact('product', '认定产品/服务/工程', 'certified product'),
      fact('validUntil', '有效期至', 'valid until'),
      fact('status', '状态', 'status'),
    ],
    complete: [fact('scope', '认定范围', 'scope'), fact('issuedAt', '发证日期', 'issue date'), fact('issuer', '发证机构', 'issuing body')],
  },
};

/** The value at a dotted path of a plain record. */
function at(record: Record<string, unknown>, path: string): unknown {
  let v: unknown = record;
  for (const key of path.split('.')) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Whether a value states a fact: not absent, not blank, not an invalid date, not an empty list. */
export function isGiven(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.trim() !== '';
  if (typeof v === 'number') return Number.isFinite(v);
  if (v instanceof Date) return !Number.isNaN(v.getTime());
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** The rule's answer for a record of `subject`, as it would be stored. */
export function completenessOf(subject: Subject, record: Record<string, unknown>): Completeness {
  const rule = RULES[subject];
  return {
    problems: rule.publishable
      .filter((f) => !isGiven(at(record, f.field)))
      .map((f) => ({ field: f.field, message: `请填写${f.label}`, messageEn: `${f.labelEn} is required` })),
    missing: rule.complete.filter((f) => !isGiven(at(record, f.field))),
  };
}

/** The missing fields' paths, as stored in `missing`. */
export const missingFields = (subject: Subject, record: Record<string, unknown>): string[] => completenessOf(subject, record).missing.map((f) => f.field);

/** The fields a subject may lack (its complete facts' paths). */
export const completeFields = (subject: Subject): string[] => RULES[subject].complete.map((f) => f.field);

/** A complete fact of `subject` by its path, or undefined for a field the rule does not list. */
export const factOf = (subject: Subject, field: string): Fact | undefined => RULES[subject].complete.find((f) => f.field === field);

/** The labels of stored missing fields, in the rule's order (unknown fields, from an older rule, are dropped). */
export function missingLabels(subject: Subject, fields: readonly string[] | null | undefined): MissingField[] {
  const stored = new Set(fields ?? []);
  return RULES[subject].complete.filter((f) => stored.has(f.field));
}

/** The subject whose rule a model's documents obey: brands and the four registries' entries. */
export function subjectOfModel(modelName: string, kindOf: (modelName: string) => Kind | undefined): Subject | undefined {
  return modelName === 'Brand' ? 'brand' : kindOf(modelName);
}

/**
 * The bucket counts by district, sector or industry put brands in that do not state one
 * (src/registries/counts.ts): they are counted, under this value, never guessed into another.
 */
export const UNSTATED = '未填写';

/** What the public sees where a missing value would be shown. */
export const TO_BE_COMPLETED: readonly [string, string] = ['信息待补充', 'details to be completed'];
