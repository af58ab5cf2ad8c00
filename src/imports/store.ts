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

/**
 * Fingerprint of `paths` of a document (lean object or mongoose document): a short hash per path,
 * concatenated, so two fingerprints can be compared on some of the paths only (sameFingerprint).
 */
export function fingerprint(doc: unknown, paths: readonly string[]): string {
  // join() gives one flat string (+= would keep a tree of small pieces alive in the key maps).
  return paths.map((p) => hash36(`${p}\u0003${norm(getPath(doc, p))}`)).join('');
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
export interface KnownTrademark {
  brandId: string;
  fp: string;
}
export interface KnownEntry {
  id: string;
  brandId: string;
  fp: string;
  status: string;
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
  /** The slug cell ('' when the import chooses the slug). */
  slug: string;
  /** Trademark registration number (directory rows), or ''. */
  regNo: string;
  /** Entry key for registries keyed by a number (famous, certified), or ''. */
  entry: string;
}

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
async function findIn(model: ReadableModel, field: string, values: readonly unknown[], select: string): Promise<Lean[]> {
  const unique = [...new Map(values.map((v) => [String(v), v])).values()];
  const parts: unknown[][] = [];
  for (let i = 0; i < unique.length; i += IN_CHUNK) parts.push(unique.slice(i, i + IN_CHUNK));
  // Only the selected fields come back, so the documents are read as field maps.
  const found = await mapLimit(parts, 2, async (part) => model.find({ [field]: mongoose.trusted({ $in: part }) }, select).lean<Lean[]>());
  return found.flat();
}

/**
 * The database's answers for the batch of rows being checked. `load` replaces them; the other
 * methods answer from memory, except a slug that was not among the batch's candidates (a third
 * choice after two taken ones), which is asked on its own.
 */
export class KeyStore {
  private brands = new Map<string, KnownBrand | 'ambiguous'>();
  private marks = new Map<string, KnownTrademark>();
  private entries = new Map<string, KnownEntry>();
  private slugsAsked = new Set<string>();
  private slugsTaken = new Set<string>();
  private readonly keyPath: string;
  private readonly model: ReadableModel;

  constructor(
    readonly kind: Kind,
    readonly paths: StorePaths,
  ) {
    this.keyPath = REGISTRIES[kind].keyPath;
    this.model = REGISTRIES[kind].model;
  }

  /** Reads what the database holds for these rows' keys (two rounds of indexed `$in` queries). */
  async load(rows: readonly RowKeys[]): Promise<void> {
    const { kind, keyPath, paths } = this;
    const brands = new Map<string, KnownBrand | 'ambiguous'>();
    const marks = new Map<string, KnownTrademark>();
    const entries = new Map<string, KnownEntry>();
    const entrySelect = projection(paths.entry, ['brand', 'status', keyPath]);
    const addEntry = (e: Lean) => {
      const brandId = hex(e.brand);
      entries.set(keyPath === 'brand' ? brandId : norm(e[keyPath]), {
        id: e._id.toHexString(),
        brandId,
        fp: fingerprint(e, paths.entry),
        status: String(e.status ?? ''),
      });
    };

    // Round 1: brands by credit code, trademarks by registration number, entries by their number.
    const regNos = rows.map((r) => r.regNo).filter(Boolean);
    const entryKeys = keyPath === 'brand' ? [] : rows.map((r) => r.entry).filter(Boolean);
    const [foundBrands, foundMarks, foundEntries] = await Promise.all([
      findIn(
        Brand,
        'creditCode',
        rows.filter((r) => r.brand).map((r) => r.creditCode),
        projection(paths.brand, ['name', 'creditCode']),
      ),
      kind === 'directory' && regNos.length ? findIn(Trademark, 'regNo', regNos, projection(paths.trademark, ['regNo', 'brand'])) : [],
      entryKeys.length ? findIn(this.model, keyPath, entryKeys, entrySelect) : [],
    ]);
    for (const b of foundBrands) {
      const key = brandKey(String(b.creditCode ?? ''), String(b.name ?? ''));
      brands.set(key, brands.has(key) ? 'ambiguous' : { id: b._id.toHexString(), fp: fingerprint(b, paths.brand) });
    }
    for (const t of foundMarks) marks.set(String(t.regNo), { brandId: hex(t.brand), fp: fingerprint(t, paths.trademark) });
    foundEntries.forEach(addEntry);

    // Round 2: entries keyed by brand (directory, time-honored) of the brands found; slugs of the others.
    const brandIds = keyPath === 'brand' ? [...brands.values()].flatMap((b) => (b === 'ambiguous' ? [] : [new mongoose.Types.ObjectId(b.id)])) : [];
    // A new brand's slug is the slug cell, else usually the first or second candidate (slug.ts).
    const slugs = [...new Set(rows.filter((r) => r.brand && !brands.has(r.brand)).flatMap((r) => (r.slug ? [r.slug] : firstCandidates(r.name, r.creditCode))))];
    const [byBrand, taken] = await Promise.all([
      brandIds.length ? findIn(this.model, 'brand', brandIds, entrySelect) : [],
      slugs.length ? findIn(Brand, 'slug', slugs, 'slug') : [],
    ]);
    byBrand.forEach(addEntry);
    this.brands = brands;
    this.marks = marks;
    this.entries = entries;
    this.slugsAsked = new Set(slugs);
    this.slugsTaken = new Set(taken.map((b) => String(b.slug)));
  }

  /** null: unknown; 'ambiguous': several brands share the key. */
  brand(key: string): KnownBrand | null | 'ambiguous' {
    return this.brands.get(key) ?? null;
  }

  trademark(regNo: string): KnownTrademark | null {
    return this.marks.get(regNo) ?? null;
  }

  /** By the registry's key: brand id (directory, time-honored), registration number, certificate number. */
  entry(key: string): KnownEntry | null {
    return this.entries.get(key) ?? null;
  }

  async slugTaken(slug: string): Promise<boolean> {
    if (this.slugsAsked.has(slug)) return this.slugsTaken.has(slug);
    return (await Brand.exists({ slug })) !== null;
  }
}
