/**
 * What the database already holds, as an import needs to know it: brands by natural key (credit
 * code + brand name), trademarks by registration number, entries by their key — each with a
 * fingerprint of the fields the file carries, so an unchanged row is recognised without reading
 * its documents again.
 *
 * The engine asks once per batch of rows (`KeyStore.load`): one indexed `$in` query per natural key
 * (credit code, registration number, certificate number; then entries by brand id and candidate
 * slugs), with only the fields the file carries projected. So a dozen certificates cost a few
 * queries whatever the size of the database, a 500,000-row file never holds the database in memory,
 * and the answers are only as old as the batch.
 */
import mongoose from 'mongoose';
import { mapLimit } from '../platform/concurrency.js';
import type { ReadableModel } from '../platform/db/index.js';
import { isRecord } from '../platform/guards.js';
import { REGISTRIES } from '../registries/kinds.js';
import { Brand, Trademark } from '../registries/models.js';
import { PARTIAL_DATE_PATHS, precisionOr, precisionPathOf } from '../registries/partial-date.js';
import type { Kind } from '../registries/reference.js';
import { slugCandidates } from './slug.js';

/**
 * A copy of a string that shares no memory with the text it was cut from. Cells are slices of the
 * parser's 256 KB chunks; a slice kept as a map key would keep its whole chunk alive (V8 sliced
 * strings), so every string kept for the length of an import goes through here.
 */
export const own = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

export const brandKey = (creditCode: string, name: string) => `${creditCode.trim().toUpperCase()}|${name.trim()}`;

function getPath(doc: unknown, path: string): unknown {
  // Row data keeps nested values under dotted keys ("recognition.date").
  if (isRecord(doc) && !(doc instanceof mongoose.Document) && path in doc) return doc[path];
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v instanceof mongoose.Document) v = v.get(part);
    else if (isRecord(v)) v = v[part];
    else return undefined;
  }
  return v;
}

/** A value in a form that compares equal whether it came from a cell or from the database. */
function norm(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  // Dates are days in every registry (and in the spreadsheet): a time of day never counts as a change.
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : `D${v.toISOString().slice(0, 10)}`;
  if (v instanceof mongoose.Types.ObjectId) return v.toHexString();
  if (Array.isArray(v)) return v.length === 0 ? '' : `[${v.map(norm).join('\u0001')}]`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'object') {
    const plain: unknown = 'toObject' in v && typeof v.toObject === 'function' ? v.toObject() : v;
    const o = isRecord(plain) ? plain : {};
    return `{${Object.keys(o)
      .filter((k) => k !== '_id')
      .sort()
      .map((k) => `${k}=${norm(o[k])}`)
      .join('\u0002')}}`;
  }
  return String(v);
}

/** Characters of hash per path in a fingerprint (36 bits: collisions are negligible per row). */
const PART = 6;

/** Where partial dates keep their precision (listedAtPrecision, …). */
const PRECISION_PATHS = new Set(PARTIAL_DATE_PATHS.map(precisionPathOf));

/**
 * Fingerprint of `paths` of a document (lean object or mongoose document): a short hash per path,
 * concatenated, so two fingerprints can be compared on some of the paths only (sameFingerprint).
 */
export function fingerprint(doc: unknown, paths: readonly string[]): string {
  // A date's precision that is not stored is a day (partial-date.ts): "2011-06-01" read from a cell
  // (precision 'day') is unchanged against a document written before precisions existed.
  const value = (p: string) => (PRECISION_PATHS.has(p) ? precisionOr(getPath(doc, p)) : norm(getPath(doc, p)));
  // join() gives one flat string (+= would keep a tree of small pieces alive in the key maps).
  return paths.map((p) => hash36(`${p}\u0003${value(p)}`)).join('');
}

/** cyrb53 (a fast, well-mixed 53-bit string hash), 36 bits of it as six base-64 characters. */
function hash36(str: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const a = h1 >>> 0;
  const b = h2 >>> 0;
  let out = '';
  for (const v of [a & 0x3f, (a >>> 6) & 0x3f, (a >>> 12) & 0x3f, (a >>> 18) & 0x3f, (a >>> 24) & 0x3f, (b ^ (a >>> 30)) & 0x3f]) out += B64[v];
  return out;
}
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Equal on every path except those whose index is in `skip` (cells left empty: "keep as stored"). */
export function sameFingerprint(a: string, b: string, skip: ReadonlySet<number> = new Set()): boolean {
  if (skip.size === 0) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length / PART; i++) {
    if (skip.has(i)) continue;
    if (a.slice(i * PART, (i + 1) * PART) !== b.slice(i * PART, (i + 1) * PART)) return false;
  }
  return true;
}

export interface KnownBrand {
  id: string;
  fp: string;
}
/** A brand a row may mean, matched by name (identity without a credit code, see `KeyStore.named`). */
export interface Candidate {
  id: string;
  /** The brand's fingerprint (undefined: a brand the import itself creates). */
  fp?: string;
  slug: string;
  creditCode: string;
  company: string;
}
export interface KnownTrademark {
  brandId: string;
  fp: string;
}
export interface KnownEntry {
  id: string;
  brandId: string;
  fp: string;
  status: string;
  /** The entry's tier field (time-honored listings), else ''. */
  tier: string;
}

export interface StorePaths {
  brand: string[];
  trademark: string[];
  entry: string[];
}

/** The natural keys of one row, as the engine read them (already cast like the schema would). */
export interface RowKeys {
  /** brandKey(creditCode, name); '' when either is missing. */
  brand: string;
  creditCode: string;
  name: string;
  /** The company cell ('' when blank or absent). */
  company: string;
  /** The slug cell ('' when the import chooses the slug). */
  slug: string;
  /** Trademark registration number (directory rows), or ''. */
  regNo: string;
  /** Entry key for registries keyed by a number (famous, certified), or ''. */
  entry: string;
  /** Time-honored: the listing id cell (a well-formed ObjectId), or ''. */
  entryId: string;
}

/** The key of a time-honored listing: its brand and its tier. */
export const listingKey = (brandId: string, tier: string) => `${brandId}|${tier}`;

function firstCandidates(name: string, creditCode: string): string[] {
  const it = slugCandidates(name, creditCode);
  return [it.next().value!, it.next().value!];
}

/** Values per `$in` query: short requests, each answered from the field's index. */
const IN_CHUNK = 500;

/** The model's projection for some paths (nested paths project their parent). */
const projection = (paths: string[], extra: string[]) => [...new Set([...extra, ...paths.map((p) => p.split('.')[0]!)])].join(' ');

type Lean = Record<string, unknown> & { _id: mongoose.Types.ObjectId };

/** An id reference as hex (lean documents hold ObjectIds). */
const hex = (id: unknown): string => (id instanceof mongoose.Types.ObjectId ? id.toHexString() : String(id));

/** `find({field: {$in: values}})` in chunks, a few chunks at a time. */
async function findIn(model: ReadableModel, field: string, values: readonly unknown[], select: string, also: Record<string, unknown> = {}): Promise<Lean[]> {
  const unique = [...new Map(values.map((v) => [String(v), v])).values()];
  const parts: unknown[][] = [];
  for (let i = 0; i < unique.length; i += IN_CHUNK) parts.push(unique.slice(i, i + IN_CHUNK));
  // Only the selected fields come back, so the documents are read as field maps.
  const found = await mapLimit(parts, 2, async (part) => model.find({ ...also, [field]: mongoose.trusted({ $in: part }) }, select).lean<Lean[]>());
  return found.flat();
}

/**
 * The database's answers for the batch of rows being checked. `load` replaces them; the other
 * methods answer from memory, except a slug that was not among the batch's candidates (a third
 * choice after two taken ones), which is asked on its own.
 */
export class KeyStore {
  private brands = new Map<string, KnownBrand | 'ambiguous'>();
  private byName = new Map<string, Candidate[]>();
  private marks = new Map<string, KnownTrademark>();
  private entries = new Map<string, KnownEntry>();
  private entriesById = new Map<string, KnownEntry>();
  private listingsOf = new Map<string, KnownEntry[]>();
  private onRegistry = new Set<string>();
  private slugsAsked = new Set<string>();
  private slugsTaken = new Set<string>();
  private readonly keyPath: string;
  private readonly keyTier: string | null;
  private readonly model: ReadableModel;

  constructor(
    readonly kind: Kind,
    readonly paths: StorePaths,
  ) {
    this.keyPath = REGISTRIES[kind].keyPath;
    this.keyTier = REGISTRIES[kind].keyTier;
    this.model = REGISTRIES[kind].model;
  }

  /** Reads what the database holds for these rows' keys (three rounds of indexed `$in` queries). */
  async load(rows: readonly RowKeys[]): Promise<void> {
    const { kind, keyPath, keyTier, paths } = this;
    const brands = new Map<string, KnownBrand | 'ambiguous'>();
    const byName = new Map<string, Candidate[]>();
    const marks = new Map<string, KnownTrademark>();
    const entries = new Map<string, KnownEntry>();
    const entriesById = new Map<string, KnownEntry>();
    const listingsOf = new Map<string, KnownEntry[]>();
    const onRegistry = new Set<string>();
    const entrySelect = projection(paths.entry, ['brand', 'status', keyPath, ...(keyTier ? [keyTier] : [])]);
    const brandSelect = projection(paths.brand, ['name', 'creditCode', 'company', 'slug']);
    const known = (e: Lean): KnownEntry => ({
      id: e._id.toHexString(),
      brandId: hex(e.brand),
      fp: fingerprint(e, paths.entry),
      status: String(e.status ?? ''),
      tier: keyTier ? String(e[keyTier] ?? '') : '',
    });
    const addEntry = (e: Lean) => {
      const k = known(e);
      onRegistry.add(k.brandId);
      if (keyTier) {
        entries.set(listingKey(k.brandId, k.tier), k);
        entriesById.set(k.id, k);
        const list = listingsOf.get(k.brandId) ?? [];
        if (!list.some((x) => x.id === k.id)) list.push(k);
        listingsOf.set(k.brandId, list);
      } else entries.set(keyPath === 'brand' ? k.brandId : norm(e[keyPath]), k);
    };
    const addCandidate = (b: Lean, fp = fingerprint(b, paths.brand)) => {
      const name = String(b.name ?? '');
      const list = byName.get(name) ?? [];
      if (list.some((c) => c.id === b._id.toHexString())) return;
      list.push({
        id: b._id.toHexString(),
        fp,
        slug: String(b.slug ?? ''),
        creditCode: String(b.creditCode ?? ''),
        company: String(b.company ?? ''),
      });
      byName.set(name, list);
    };

    // Round 1: brands by credit code, trademarks by registration number, entries by their number or id.
    const regNos = rows.map((r) => r.regNo).filter(Boolean);
    const entryKeys = keyPath === 'brand' ? [] : rows.map((r) => r.entry).filter(Boolean);
    const entryIds = keyTier ? rows.map((r) => r.entryId).filter(Boolean) : [];
    const [foundBrands, foundMarks, foundEntries, foundById] = await Promise.all([
      findIn(
        Brand,
        'creditCode',
        rows.filter((r) => r.brand).map((r) => r.creditCode),
        brandSelect,
      ),
      kind === 'directory' && regNos.length ? findIn(Trademark, 'regNo', regNos, projection(paths.trademark, ['regNo', 'brand'])) : [],
      entryKeys.length ? findIn(this.model, keyPath, entryKeys, entrySelect) : [],
      entryIds.length
        ? findIn(
            this.model,
            '_id',
            entryIds.map((id) => new mongoose.Types.ObjectId(id)),
            entrySelect,
          )
        : [],
    ]);
    for (const b of foundBrands) {
      const key = brandKey(String(b.creditCode ?? ''), String(b.name ?? ''));
      const fp = fingerprint(b, paths.brand);
      brands.set(key, brands.has(key) ? 'ambiguous' : { id: b._id.toHexString(), fp });
      addCandidate(b, fp);
    }
    for (const t of foundMarks) marks.set(String(t.regNo), { brandId: hex(t.brand), fp: fingerprint(t, paths.trademark) });
    foundEntries.forEach(addEntry);
    foundById.forEach(addEntry);

    // Round 2: brands by name, for rows that give no credit code or whose credit code + name is not
    // known (a brand first imported from a list that gave its name only).
    // A row with a credit code can only mean a brand recorded without one, so only names the
    // registry holds without a credit code are read: a common name is shared by dozens of brands
    // with credit codes in a large registry, and reading them for every new brand of a bulk file
    // would cost more than the rest of the import.
    const anyNames = new Set(rows.filter((r) => r.name && !r.creditCode).map((r) => r.name));
    const misses = rows.filter((r) => r.name && r.brand && !brands.has(r.brand) && !anyNames.has(r.name));
    const uncoded = misses.length ? await this.uncodedNames() : new Set<string>();
    for (const r of misses) if (uncoded.has(r.name)) anyNames.add(r.name);
    const named = anyNames.size ? await findIn(Brand, 'name', [...anyNames], brandSelect) : [];
    for (const b of named) addCandidate(b);

    // Round 3: the entries of the brands found (keyed by brand: directory, time-honored; for the
    // others only whether a brand of a shared name is on the registry), and slugs of the new ones.
    const found = [...byName.values()].flat();
    const shared = [...byName.values()].filter((list) => list.length > 1).flat();
    const brandIds = (keyPath === 'brand' ? found : shared).map((c) => new mongoose.Types.ObjectId(c.id));
    // A new brand's slug is the slug cell, else usually the first or second candidate (slug.ts).
    const isNew = (r: RowKeys) => r.name && !(r.brand && brands.has(r.brand));
    const slugs = [...new Set(rows.filter(isNew).flatMap((r) => (r.slug ? [r.slug] : firstCandidates(r.name, r.creditCode))))];
    const [byBrand, taken] = await Promise.all([
      brandIds.length ? findIn(this.model, 'brand', brandIds, keyPath === 'brand' ? entrySelect : 'brand') : [],
      slugs.length ? findIn(Brand, 'slug', slugs, 'slug') : [],
    ]);
    if (keyPath === 'brand') byBrand.forEach(addEntry);
    else for (const e of byBrand) onRegistry.add(hex(e.brand));
    this.brands = brands;
    this.byName = byName;
    this.marks = marks;
    this.entries = entries;
    this.entriesById = entriesById;
    this.listingsOf = listingsOf;
    this.onRegistry = onRegistry;
    this.slugsAsked = new Set(slugs);
    this.slugsTaken = new Set(taken.map((b) => String(b.slug)));
  }

  /**
   * The names of the brands recorded without a credit code (a published list gave none), read
   * once per import: they are few, and the credit code index answers `creditCode: ''` alone
   * (brands an import creates without a code store '' — engine.ts). Brands this import creates
   * are the engine's to remember.
   */
  private uncoded: Promise<Set<string>> | null = null;
  private uncodedNames(): Promise<Set<string>> {
    this.uncoded ??= findIn(Brand, 'creditCode', [''], 'name').then((found) => new Set(found.map((b) => String(b.name ?? ''))));
    return this.uncoded;
  }

  /** By credit code + name. null: unknown; 'ambiguous': several brands share the key. */
  brand(key: string): KnownBrand | null | 'ambiguous' {
    return this.brands.get(key) ?? null;
  }

  /** The brands in the database with this name (as loaded for the batch). */
  named(name: string): readonly Candidate[] {
    return this.byName.get(name) ?? [];
  }

  /** Whether a brand (found by name in this batch) has an entry in this registry. */
  isOnRegistry(brandId: string): boolean {
    return this.onRegistry.has(brandId);
  }

  trademark(regNo: string): KnownTrademark | null {
    return this.marks.get(regNo) ?? null;
  }

  /**
   * By the registry's key: brand id (directory), listingKey(brand id, tier) (time-honored),
   * registration number, certificate number.
   */
  entry(key: string): KnownEntry | null {
    return this.entries.get(key) ?? null;
  }

  /** A time-honored listing by its id (the file's listing id column). */
  entryById(id: string): KnownEntry | null {
    return this.entriesById.get(id) ?? null;
  }

  /** A brand's time-honored listings. */
  listings(brandId: string): readonly KnownEntry[] {
    return this.listingsOf.get(brandId) ?? [];
  }

  async slugTaken(slug: string): Promise<boolean> {
    if (this.slugsAsked.has(slug)) return this.slugsTaken.has(slug);
    return (await Brand.exists({ slug })) !== null;
  }
}
