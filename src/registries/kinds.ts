/**
 * One descriptor per registry kind: what every feature needs to know about a registry — its model,
 * the key that identifies an entry, its statuses and the one a new entry gets, its tiers and how an
 * entry's tier is derived, whether its search documents show the brand's trademarks, its effective
 * (public) status, and its public list page. Features read this table instead of keeping their own.
 */
import type { Model } from 'mongoose';
import { Certificate, DirectoryEntry, FamousMark, TimeHonored, type CertificateDoc, type DirectoryDoc, type FamousDoc, type TimeHonoredDoc } from './models.js';
import {
  CERTIFICATE_DISPLAY_STATUSES,
  CERTIFICATE_LEVELS,
  CERTIFICATE_STATUSES,
  DIRECTORY_STATUSES,
  DIRECTORY_TIERS,
  FAMOUS_STATUSES,
  KINDS,
  RECOGNITION_ROUTES,
  TIME_HONORED_STATUSES,
  TIME_HONORED_TIERS,
  type Kind,
} from './reference.js';

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
  /** Directory and time-honored: at most one entry per brand. */
  readonly onePerBrand: boolean;
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
  onePerBrand: true,
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
  statuses: CERTIFICATE_STATUSES,
  shownStatuses: CERTIFICATE_DISPLAY_STATUSES,
  defaultStatus: CERTIFICATE_STATUSES[0],
  tiers: CERTIFICATE_LEVELS,
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
