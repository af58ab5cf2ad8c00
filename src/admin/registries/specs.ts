/**
 * What the back office edits, described once: for each entity (brands, trademarks and the four
 * registries) its model, its form fields and their labels. The forms, the entry pages, the
 * history and the conflict page are all built from these descriptions, so a field added here
 * shows up everywhere at once.
 */
import type { Model } from 'mongoose';
import type { EntryDocs } from '../../registries/kinds.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark, type BrandDoc, type TrademarkDoc } from '../../registries/models.js';
import {
  CERTIFICATE_SCOPES,
  DIRECTORY_STATUSES,
  DISTRICTS,
  FAMOUS_STATUSES,
  RECOGNITION_ROUTES,
  SECTORS,
  TIME_HONORED_STATUSES,
  TIME_HONORED_TIERS,
  KINDS,
  type Kind,
} from '../../registries/reference.js';
import { activeValues } from '../../registries/reference-data.js';

/** URL segment under /admin for each editable entity. */
export type EntityKey = 'brands' | 'trademarks' | Kind;

/** Every entity, brands and trademarks first. */
export const ENTITY_KEYS: readonly EntityKey[] = ['brands', 'trademarks', ...KINDS];

/** The lean document of each entity's model. */
export interface EntityDocs extends EntryDocs {
  brands: BrandDoc;
  trademarks: TrademarkDoc;
}

export type FieldType =
  | 'text'
  | 'textarea'
  | 'select'
  | 'date'
  /** A year, month or day ("2011", "2011-06", "2011-06-01"; partial-date.ts), its precision stored beside it. */
  | 'partialDate'
  | 'int'
  | 'number'
  | 'checkbox'
  /** Free words separated by commas, 、 or new lines → string[]. */
  | 'list'
  /** Whole numbers separated by commas, 、 or spaces → number[]. */
  | 'intlist'
  /** A brand chosen by its slug → the brand's ObjectId. */
  | 'brand';

export interface FieldSpec {
  /** Form field name = the model path (dotted for sub-documents: "recognition.date"). */
  name: string;
  type: FieldType;
  /** Select values (stored Chinese terms). */
  options?: readonly string[];
  required?: boolean;
  /** Only on the create form (identity fields, and the first status). */
  createOnly?: boolean;
  /** maxlength for the input. */
  max?: number;
  /** Show the i18n hint `adminreg.hint.<name>` under the label. */
  hint?: boolean;
  /** Select labels by value, where the value is not a registry term (e.g. a record id). */
  optionLabels?: Record<string, string>;
  /** i18n key of the select's empty choice (default "请选择"). */
  emptyLabel?: string;
  /** A select of reference data: the value an entry holds stays offered after it is deactivated. */
  keepValue?: boolean;
  /**
   * The create form starts with today's date, visible and editable: a regulator adding an entry
   * by hand lists it today unless told otherwise (the schema itself invents no date, so an import
   * row without one leaves it 待补充).
   */
  today?: boolean;
}

/**
 * An entity's description. Code that handles every entity alike sees `EntitySpec` (of any
 * `EntityKey`, from specOf), whose model reads the documents of any of them.
 */
export interface EntitySpec<K extends EntityKey = EntityKey> {
  key: K;
  model: Model<EntityDocs[K]>;
  /** Mongoose model name, as the audit trail records it. */
  modelName: string;
  /** Statuses a status change may choose from (none for brands and trademarks). */
  statuses?: readonly string[];
  fields: FieldSpec[];
}

const status = (values: readonly string[]): FieldSpec => ({ name: 'status', type: 'select', options: values, required: true, createOnly: true });

export const SPECS: { readonly [K in EntityKey]: EntitySpec<K> } = {
  brands: {
    key: 'brands',
    model: Brand,
    modelName: 'Brand',
    fields: [
      { name: 'slug', type: 'text', required: true, createOnly: true, max: 80, hint: true },
      { name: 'name', type: 'text', required: true, max: 80 },
      { name: 'nameEn', type: 'text', max: 120 },
      { name: 'company', type: 'text', max: 120 },
      { name: 'creditCode', type: 'text', max: 18, hint: true },
      { name: 'district', type: 'select', options: DISTRICTS },
      { name: 'sector', type: 'select', options: SECTORS },
      { name: 'industry', type: 'text', max: 40 },
      { name: 'keywords', type: 'list', hint: true },
      { name: 'description', type: 'textarea', max: 2000 },
      { name: 'website', type: 'text', max: 300, hint: true },
      { name: 'founded', type: 'int' },
    ],
  },
  trademarks: {
    key: 'trademarks',
    model: Trademark,
    modelName: 'Trademark',
    fields: [
      { name: 'brand', type: 'brand', required: true, createOnly: true, hint: true },
      { name: 'regNo', type: 'text', required: true, createOnly: true, max: 12 },
      { name: 'mark', type: 'text', required: true, max: 80 },
      { name: 'niceClasses', type: 'intlist', required: true, hint: true },
      { name: 'validFrom', type: 'date', required: true },
      { name: 'validTo', type: 'date', required: true },
      { name: 'madrid', type: 'checkbox' },
    ],
  },
  directory: {
    key: 'directory',
    model: DirectoryEntry,
    modelName: 'DirectoryEntry',
    statuses: DIRECTORY_STATUSES,
    fields: [
      { name: 'brand', type: 'brand', required: true, createOnly: true, hint: true },
      { name: 'advantage', type: 'checkbox' },
      { name: 'gi.product', type: 'text', max: 80, hint: true },
      { name: 'gi.area', type: 'text', max: 120 },
      { name: 'listedAt', type: 'partialDate', today: true },
      status(DIRECTORY_STATUSES),
    ],
  },
  famous: {
    key: 'famous',
    model: FamousMark,
    modelName: 'FamousMark',
    statuses: FAMOUS_STATUSES,
    fields: [
      { name: 'brand', type: 'brand', required: true, createOnly: true, hint: true },
      { name: 'trademarkRegNo', type: 'text', required: true, max: 12 },
      { name: 'recognition.date', type: 'partialDate' },
      { name: 'recognition.authority', type: 'text', max: 80 },
      { name: 'recognition.documentNo', type: 'text', max: 80 },
      { name: 'recognition.route', type: 'select', options: RECOGNITION_ROUTES, required: true },
      { name: 'regulator', type: 'text', max: 80 },
      { name: 'nextReviewAt', type: 'date' },
      status(FAMOUS_STATUSES),
    ],
  },
  'time-honored': {
    key: 'time-honored',
    model: TimeHonored,
    modelName: 'TimeHonored',
    statuses: TIME_HONORED_STATUSES,
    fields: [
      { name: 'brand', type: 'brand', required: true, createOnly: true, hint: true },
      { name: 'tier', type: 'select', options: TIME_HONORED_TIERS, required: true },
      { name: 'recognizedYear', type: 'int', required: true },
      { name: 'batch', type: 'text', max: 40 },
      { name: 'heritage', type: 'textarea', max: 500 },
      { name: 'story', type: 'textarea', max: 4000 },
      { name: 'address', type: 'text', max: 200 },
      { name: 'rewardWan', type: 'number' },
      status(TIME_HONORED_STATUSES),
    ],
  },
  certified: {
    key: 'certified',
    model: Certificate,
    modelName: 'Certificate',
    // Levels and statuses are reference data an admin extends (/admin/reference): read each time.
    get statuses() {
      return activeValues('certificate-status');
    },
    fields: [
      { name: 'brand', type: 'brand', required: true, createOnly: true, hint: true },
      { name: 'number', type: 'text', required: true, max: 32 },
      {
        name: 'level',
        type: 'select',
        get options() {
          return activeValues('certificate-level');
        },
        required: true,
        keepValue: true,
      },
      { name: 'scope', type: 'select', options: CERTIFICATE_SCOPES },
      { name: 'product', type: 'text', required: true, max: 120 },
      { name: 'issuedAt', type: 'partialDate' },
      { name: 'validUntil', type: 'date', required: true },
      { name: 'issuer', type: 'text', max: 80 },
      { name: 'standard', type: 'text', max: 80 },
      {
        ...status([]),
        get options() {
          return activeValues('certificate-status');
        },
      },
    ],
  },
};

/** An entity's description; for a key known only at run time, the description of any entity. */
export const specOf = <K extends EntityKey>(key: K): EntitySpec<K> => SPECS[key];

/** The fields a form shows: all of them when creating, the editable ones when editing. */
export function formFields(spec: EntitySpec, mode: 'create' | 'edit'): FieldSpec[] {
  return spec.fields.filter((f) => mode === 'create' || !f.createOnly);
}

/** i18n key of a field's label (top-level or dotted). */
export const fieldLabelKey = (name: string) => `adminreg.field.${name}`;

/** The entity whose audit-trail model name is `modelName`. */
export function specOfModel(modelName: string): EntitySpec | undefined {
  return ENTITY_KEYS.map((k) => specOf(k)).find((s) => s.modelName === modelName);
}
