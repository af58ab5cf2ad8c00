/**
 * Reference data an admin extends: the recognition levels (认定级别), the certificate statuses and
 * the outcomes of a 老字号 re-review, each a list of values (the stored Chinese term, its English
 * name, an order, whether it may still be chosen, built-in or added by whom).
 *
 * The built-ins (reference.ts) are the lists' defaults: they hold before the collection is seeded
 * (migration step item4-reference-data writes them) and are never deactivated. Values an admin
 * adds (/admin/reference) are written through the registry service (service.ts addReferenceValue,
 * setReferenceValueActive), so each addition is in the change log and the audit trail like any
 * other write.
 *
 * Validation reads the lists synchronously (the kernel's rules, a form's options, the import), so
 * every process keeps them in memory: this module's cache, refreshed after each write the service
 * makes here, on every reference-data change this process settles, and on a timer for the writes
 * of other processes (`ReferenceRefresher`, started by boot).
 */
import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';
import { label, registerTermSource } from '../platform/i18n.js';
import { onChangeApplied } from './changes.js';
import { CERTIFICATE_LEVELS, CERTIFICATE_STATUSES, REVIEW_OUTCOMES } from './reference.js';
import { REFERENCE_NAME_EN_MAX, REFERENCE_VALUE_MAX, type ReferenceChoices } from './rules.js';

/** The lists, by their stable machine name (URLs, the collection). */
export const REFERENCE_LISTS = ['certificate-level', 'certificate-status', 'review-outcome'] as const;
export type ReferenceList = (typeof REFERENCE_LISTS)[number];

export const isReferenceList = (v: unknown): v is ReferenceList => typeof v === 'string' && (REFERENCE_LISTS as readonly string[]).includes(v);

/**
 * English names of the built-in values: the i18n catalogue's (levels and statuses have been terms
 * there since before they were data), and here the outcomes it does not hold.
 */
const OUTCOMES_EN: Readonly<Record<string, string>> = {
  通过: 'Passed',
  附条件通过: 'Passed with conditions',
  不通过: 'Failed',
};

const builtIns = (values: readonly string[]) => values.map((value) => ({ value, nameEn: OUTCOMES_EN[value] ?? label('en', value) }));

/** The built-in values of each list, in order, with their English names. */
export const BUILT_IN_REFERENCE: Readonly<Record<ReferenceList, ReadonlyArray<{ value: string; nameEn: string }>>> = {
  'certificate-level': builtIns(CERTIFICATE_LEVELS),
  'certificate-status': builtIns(CERTIFICATE_STATUSES),
  'review-outcome': builtIns(REVIEW_OUTCOMES),
};

const referenceValueSchema = new Schema(
  {
    list: { type: String, required: true, enum: [...REFERENCE_LISTS] },
    value: { type: String, required: true, trim: true, maxlength: REFERENCE_VALUE_MAX },
    nameEn: { type: String, required: true, trim: true, maxlength: REFERENCE_NAME_EN_MAX },
    order: { type: Number, required: true, min: 0 },
    active: { type: Boolean, default: true },
    builtIn: { type: Boolean, default: false },
    /** Who added it ('system' for the built-ins). */
    addedBy: { type: String, default: 'system' },
    version: { type: Number, default: 1, min: 1 },
  },
  { timestamps: true, versionKey: false, strict: 'throw' },
);
referenceValueSchema.index({ list: 1, value: 1 }, { unique: true });

export type ReferenceValueDoc = InferSchemaType<typeof referenceValueSchema> & { _id: mongoose.Types.ObjectId };

export const ReferenceValue: Model<ReferenceValueDoc> =
  mongoose.models.ReferenceValue ?? mongoose.model<ReferenceValueDoc>('ReferenceValue', referenceValueSchema);

/** One value as the cache holds it. */
export interface ReferenceItem {
  /** The stored document's id, or null for a built-in not yet seeded. */
  id: string | null;
  version: number;
  list: ReferenceList;
  value: string;
  nameEn: string;
  order: number;
  active: boolean;
  builtIn: boolean;
  addedBy: string;
}

const builtInItems = (list: ReferenceList): ReferenceItem[] =>
  BUILT_IN_REFERENCE[list].map((b, order) => ({ id: null, version: 0, list, ...b, order, active: true, builtIn: true, addedBy: 'system' }));

let cache: Record<ReferenceList, ReferenceItem[]> = {
  'certificate-level': builtInItems('certificate-level'),
  'certificate-status': builtInItems('certificate-status'),
  'review-outcome': builtInItems('review-outcome'),
};
let englishByTerm = new Map<string, string>();

function rebuildEnglish(): void {
  englishByTerm = new Map(REFERENCE_LISTS.flatMap((l) => cache[l].map((i) => [i.value, i.nameEn] as const)));
}
rebuildEnglish();
// Stored values shown in English: the catalogue first, then the reference data's English names.
registerTermSource((term) => englishByTerm.get(term));

/** Every value of a list (deactivated ones too), in order. */
export function referenceItems(list: ReferenceList): readonly ReferenceItem[] {
  return cache[list];
}

/** The values that may be chosen now (new entries, changes), in order. */
export function activeValues(list: ReferenceList): readonly string[] {
  return cache[list].filter((i) => i.active).map((i) => i.value);
}

/** Every value the list has ever held (deactivated ones stay on the entries that have them). */
export function knownValues(list: ReferenceList): readonly string[] {
  return cache[list].map((i) => i.value);
}

/** What the kernel's rules need (rules.ts): the active values of every list (`known`: every value ever held, for comparisons with stored entries). */
export function referenceChoices(which: 'active' | 'known' = 'active'): ReferenceChoices {
  const of = which === 'active' ? activeValues : knownValues;
  return { certificateLevels: of('certificate-level'), certificateStatuses: of('certificate-status'), reviewOutcomes: of('review-outcome') };
}

/**
 * Reads the lists from the database into the cache: the stored values in order, with every
 * built-in present (a built-in not yet seeded keeps its default place).
 */
export async function refreshReferenceData(): Promise<void> {
  const stored = await ReferenceValue.find({}).lean<ReferenceValueDoc[]>();
  const next = {} as Record<ReferenceList, ReferenceItem[]>;
  for (const list of REFERENCE_LISTS) {
    const items: ReferenceItem[] = stored
      .filter((d) => d.list === list)
      .map((d) => ({
        id: String(d._id),
        version: d.version,
        list,
        value: d.value,
        nameEn: d.nameEn,
        order: d.order,
        active: d.builtIn ? true : d.active !== false,
        builtIn: Boolean(d.builtIn),
        addedBy: d.addedBy ?? '',
      }));
    for (const b of builtInItems(list)) if (!items.some((i) => i.value === b.value)) items.push(b);
    next[list] = items.sort((a, b) => a.order - b.order || Number(b.builtIn) - Number(a.builtIn));
  }
  cache = next;
  rebuildEnglish();
}

/** The built-ins as stored documents (the migration step inserts those missing). */
export function builtInDocuments(): Array<Pick<ReferenceValueDoc, 'list' | 'value' | 'nameEn' | 'order' | 'active' | 'builtIn' | 'addedBy'>> {
  return REFERENCE_LISTS.flatMap((list) =>
    builtInItems(list).map(({ value, nameEn, order }) => ({ list, value, nameEn, order, active: true, builtIn: true, addedBy: 'system' })),
  );
}

/**
 * Keeps this process's cache current (owned by boot): a refresh whenever this process settles a
 * reference-data change, and every `everyMs` for the changes other processes make.
 */
export class ReferenceRefresher {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  lastError: string | null = null;

  constructor(
    private readonly log: { warn(obj: object, msg: string): void },
    private readonly everyMs = 30_000,
  ) {}

  /** Loads the lists once, then keeps them current. */
  async start(): Promise<void> {
    await this.refresh();
    this.unsubscribe = onChangeApplied((changeId) => {
      if (changeId.startsWith(`${ReferenceValue.modelName}:`)) void this.refresh();
    });
    this.timer = setInterval(() => void this.refresh(), this.everyMs);
    this.timer.unref();
  }

  /** One refresh now (never two at once). */
  refresh(): Promise<void> {
    this.running ??= refreshReferenceData()
      .then(() => {
        this.lastError = null;
      })
      .catch((err: unknown) => {
        // The previous lists stay in force: validation never runs against an empty list.
        this.lastError = err instanceof Error ? err.message : String(err);
        this.log.warn({ err }, 'reference data: refresh failed; the previous lists stay in force');
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.running;
  }
}
