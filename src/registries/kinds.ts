/**
 * One descriptor per registry kind: what every feature needs to know about a registry — its model,
 * the key that identifies an entry, its statuses and the one a new entry gets, its tiers and how an
 * entry's tier is derived, whether its search documents show the brand's trademarks, its effective
 * (public) status, and its public list page. Features read this table instead of keeping their own.
 */
import type { Model } from 'mongoose';
import { Certificate, DirectoryEntry, FamousMark, TimeHonored, type CertificateDoc, type DirectoryDoc, type FamousDoc, type TimeHonoredDoc } from './models.js';
import {
  DIRECTORY_STATUSES,
  DIRECTORY_TIERS,
  FAMOUS_STATUSES,
  KINDS,
  RECOGNITION_ROUTES,
  TIME_HONORED_STATUSES,
  TIME_HONORED_TIERS,
  type Kind,
} from './reference.js';
import { activeValues, knownValues } from './reference-data.js';

/** The status no one stores: a valid certificate whose validity has ended reads 过期. */
export const EXPIRED = '过期';
/** The stored status of a certificate in force (until its validUntil). */
export const VALID = '有效';

/** The lean document of each kind's entries. */
export interface EntryDocs {
  directory: DirectoryDoc;
  famous: FamousDoc;
  'time-honored': TimeHonoredDoc;
  certified: CertificateDoc;
}

/** The fields each kind's tier is derived from (lists and search read entries with projections). */
export interface TierFields {
  directory: { gi?: unknown; advantage?: boolean | null };
  famous: { recognition: { route: string } };
  'time-honored': { tier: string };
  certified: { level: string };
}

/**
 * A registry's descriptor: `Doc`, the documents of its model; `TierOf`, what `tierOf` reads. Code
 * that handles the four alike sees `RegistryKind<EntryDocs[Kind]>` (registryOf), whose model reads
 * any kind's documents and whose `tierOf` takes nothing (use the `tierOf(kind, entry)` function).
 */
export interface RegistryKind<Doc, TierOf = never> {
  readonly kind: Kind;
  /** The entries' collection. */
  readonly model: Model<Doc>;
  /** The model's name, as the change log records it. */
  readonly modelName: string;
  /** The entry field that identifies it besides `_id`. */
  readonly keyPath: 'brand' | 'trademarkRegNo' | 'number';
  /** Directory: at most one entry per brand (time-honored: one per brand and tier, see `keyTier`). */
  readonly onePerBrand: boolean;
  /**
   * Time-honored: the tier that, with the brand, identifies an entry — a brand on the 中华 and the
   * 湖北 list holds one listing for each (unique {brand, tier}). Null for the other registries.
   */
  readonly keyTier: 'tier' | null;
  /** The statuses an entry may be stored with. */
  readonly statuses: readonly string[];
  /** The statuses the public may see (a certificate adds 过期). */
  readonly shownStatuses: readonly string[];
  /** The status an entry gets when its source states none (famous marks must say which protection). */
  readonly defaultStatus: string | undefined;
  /** Tiers (levels, routes) in the order lists show them. */
  readonly tiers: readonly string[];
  /** The tier an entry shows in lists, search and counts. */
  tierOf(entry: TierOf): string;
  /** Whether a search document of this kind lists the brand's trademarks (their classes, numbers). */
  readonly showsMarks: boolean;
  /** The public list page. */
  readonly listPath: string;
}

const directory: RegistryKind<EntryDocs['directory'], TierFields['directory']> = {
  kind: 'directory',
  model: DirectoryEntry,
  modelName: DirectoryEntry.modelName,
  keyPath: 'brand',
  onePerBrand: true,
  keyTier: null,
  statuses: DIRECTORY_STATUSES,
  shownStatuses: DIRECTORY_STATUSES,
  defaultStatus: DIRECTORY_STATUSES[0],
  tiers: DIRECTORY_TIERS,
  tierOf: (e) => (e.gi ? '地理标志' : e.advantage ? '优势商标' : '商标品牌'),
  showsMarks: true,
  listPath: '/directory',
};

const famous: RegistryKind<EntryDocs['famous'], TierFields['famous']> = {
  kind: 'famous',
  model: FamousMark,
  modelName: FamousMark.modelName,
  keyPath: 'trademarkRegNo',
  onePerBrand: false,
  keyTier: null,
  statuses: FAMOUS_STATUSES,
  shownStatuses: FAMOUS_STATUSES,
  defaultStatus: undefined,
  tiers: RECOGNITION_ROUTES,
  tierOf: (e) => e.recognition.route,
  showsMarks: true,
  listPath: '/famous',
};

const timeHonored: RegistryKind<EntryDocs['time-honored'], TierFields['time-honored']> = {
  kind: 'time-honored',
  model: TimeHonored,
  modelName: TimeHonored.modelName,
  keyPath: 'brand',
  onePerBrand: false,
  keyTier: 'tier',
  statuses: TIME_HONORED_STATUSES,
  shownStatuses: TIME_HONORED_STATUSES,
  defaultStatus: TIME_HONORED_STATUSES[0],
  tiers: TIME_HONORED_TIERS,
  tierOf: (e) => e.tier,
  showsMarks: false,
  listPath: '/time-honored',
};

const certified: RegistryKind<EntryDocs['certified'], TierFields['certified']> = {
  kind: 'certified',
  model: Certificate,
  modelName: Certificate.modelName,
  keyPath: 'number',
  onePerBrand: false,
  keyTier: null,
  // Levels and statuses are reference data an admin extends: read from its cache each time.
  get statuses() {
    return activeValues('certificate-status');
  },
  get shownStatuses() {
    return [...knownValues('certificate-status'), EXPIRED];
  },
  defaultStatus: VALID,
  get tiers() {
    return knownValues('certificate-level');
  },
  tierOf: (e) => e.level,
  showsMarks: false,
  listPath: '/certified',
};

/** Each kind's descriptor, typed by its kind. */
export type Registries = { readonly [K in Kind]: RegistryKind<EntryDocs[K], TierFields[K]> };

/** The four registries, by kind. */
export const REGISTRIES: Registries = { directory, famous, 'time-honored': timeHonored, certified };

/** A kind's descriptor, for code that handles the four alike (a `Kind` gives a model of any kind's documents). */
export const registryOf = <K extends Kind>(kind: K): RegistryKind<EntryDocs[K]> => REGISTRIES[kind];

/** The entries' collection of a kind (for a `Kind` not known statically, documents of any kind). */
export const entryModel = <K extends Kind>(kind: K): Model<EntryDocs[K]> => REGISTRIES[kind].model;

/** The four descriptors in the order of KINDS. */
export const ALL_REGISTRIES: readonly RegistryKind<EntryDocs[Kind]>[] = KINDS.map(registryOf);

const BY_MODEL = new Map<string, Kind>(ALL_REGISTRIES.map((r) => [r.modelName, r.kind]));

/** The kind whose entries a model holds, or undefined for brands, trademarks and the rest. */
export const kindOfModel = (modelName: string): Kind | undefined => BY_MODEL.get(modelName);

/**
 * A brand's time-honored listings in the order pages show them: current ones (有效, 复核中) before
 * removed ones, then by tier (中华, 湖北, 武汉), then the earlier recognition. The first is the
 * brand's principal listing (its standing, the story page).
 */
export function sortListings<T extends { tier: string; status: string; recognizedYear?: number | null }>(listings: readonly T[]): T[] {
  const removed = (l: T) => (l.status === TIME_HONORED_STATUSES[2] ? 1 : 0);
  const rank = (l: T) => {
    const i = (TIME_HONORED_TIERS as readonly string[]).indexOf(l.tier);
    return i < 0 ? TIME_HONORED_TIERS.length : i;
  };
  return [...listings].sort((a, b) => removed(a) - removed(b) || rank(a) - rank(b) || (a.recognizedYear ?? 0) - (b.recognizedYear ?? 0));
}

/** A kind's tier for an entry, whatever the kind. */
export function tierOf(kind: Kind, entry: unknown): string {
  return (REGISTRIES[kind].tierOf as (e: unknown) => string)(entry);
}

/**
 * The status the public sees. Only certificates change on their own: a valid one whose validity
 * has ended reads 过期, with no edit needed. `validUntil` as a date or epoch milliseconds.
 */
export function effectiveStatus(kind: Kind, status: string, validUntil: Date | number | null | undefined, now: Date | number = Date.now()): string {
  if (kind !== 'certified' || status !== VALID || validUntil === null || validUntil === undefined) return status;
  const until = typeof validUntil === 'number' ? validUntil : validUntil.getTime();
  return until < (typeof now === 'number' ? now : now.getTime()) ? EXPIRED : status;
}
