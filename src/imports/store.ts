/**
 * What the database already holds, as an import needs to know it: brands by natural key (credit
 * code + brand name), trademarks by registration number, entries by their key — each with a
 * fingerprint of the fields the file carries, so an unchanged row is recognised without reading
 * its documents again. Two ways to know it:
 *
 * - `preloadStore` streams each collection once (projection of the needed fields only) into
 *   compact maps of strings. For big files: no per-row query, and FerretDB's `$in` (a full scan
 *   per query) is never used. About 150 bytes per brand.
 * - `pointStore` asks per key with indexed equality queries: for a small file against a big
 *   database (a dozen certificates must not wait for 500,000 brands to stream by). It needs an
 *   index on Brand.creditCode; without one the engine uses the preload.
 */
import mongoose, { type Model } from 'mongoose';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark } from '../registries/models.js';
import type { Kind } from '../registries/reference.js';

export const ENTRY_MODEL: Record<Kind, Model<any>> = {
  directory: DirectoryEntry,
  famous: FamousMark,
  'time-honored': TimeHonored,
  certified: Certificate,
};

/** The entry field that identifies it (besides _id). Directory and time-honored: one per brand. */
export const ENTRY_KEY_PATH: Record<Kind, string> = {
  directory: 'brand',
  famous: 'trademarkRegNo',
  'time-honored': 'brand',
  certified: 'number',
};

/**
 * A copy of a string that shares no memory with the text it was cut from. Cells are slices of the
 * parser's 256 KB chunks; a slice kept as a map key would keep its whole chunk alive (V8 sliced
 * strings), so every string kept for the length of an import goes through here.
 */
export const own = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

export const brandKey = (creditCode: string, name: string) => `${creditCode.trim().toUpperCase()}|${name.trim()}`;

function getPath(doc: unknown, path: string): unknown {
  // Row data keeps nested values under dotted keys ("recognition.date").
  if (doc && typeof doc === 'object' && !(doc instanceof mongoose.Document) && path in (doc as object)) return (doc as Record<string, unknown>)[path];
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v === null || v === undefined) return undefined;
    v = typeof (v as { get?: unknown }).get === 'function' && v instanceof mongoose.Document ? (v as mongoose.Document).get(part) : (v as Record<string, unknown>)[part];
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
    const o = typeof (v as { toObject?: unknown }).toObject === 'function' ? (v as { toObject(): Record<string, unknown> }).toObject() : (v as Record<string, unknown>);
    return `{${Object.keys(o).filter((k) => k !== '_id').sort().map((k) => `${k}=${norm(o[k])}`).join('\u0002')}}`;
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

export interface KnownBrand { id: string; fp: string }
export interface KnownTrademark { brandId: string; fp: string }
export interface KnownEntry { id: string; brandId: string; fp: string; status: string }

export interface KeyStore {
  readonly mode: 'preload' | 'point';
  /** null: unknown; 'ambiguous': several brands share the key. */
  brand(key: string): Promise<KnownBrand | null | 'ambiguous'>;
  slugTaken(slug: string): Promise<boolean>;
  trademark(regNo: string): Promise<KnownTrademark | null>;
  /** By the registry's key: brand id (directory, time-honored), registration number, certificate number. */
  entry(key: string): Promise<KnownEntry | null>;
}

export interface StorePaths {
  brand: string[];
  trademark: string[];
  entry: string[];
}

const SEP = '\t';

/** The model's projection for some paths (nested paths project their parent). */
const projection = (paths: string[], extra: string[]) => [...new Set([...extra, ...paths.map((p) => p.split('.')[0]!)])].join(' ');

/** Streams the collections once; afterwards every question is answered from memory. */
export async function preloadStore(kind: Kind, paths: StorePaths, onProgress?: (what: string, n: number) => void): Promise<KeyStore> {
  const brands = new Map<string, string>();
  const slugs = new Set<string>();
  let n = 0;
  for await (const b of Brand.find().select(projection(paths.brand, ['name', 'creditCode', 'slug'])).lean().cursor({ batchSize: 5000 })) {
    const doc = b as { _id: mongoose.Types.ObjectId; name: string; creditCode: string; slug: string };
    const key = brandKey(doc.creditCode ?? '', doc.name ?? '');
    brands.set(own(key), brands.has(key) ? 'ambiguous' : own(`${doc._id.toHexString()}${SEP}${fingerprint(doc, paths.brand)}`));
    slugs.add(own(doc.slug));
    if (++n % 20000 === 0) onProgress?.('brands', n);
  }
  const marks = new Map<string, string>();
  if (kind === 'directory') {
    for await (const t of Trademark.find().select(projection(paths.trademark, ['regNo', 'brand'])).lean().cursor({ batchSize: 5000 })) {
      const doc = t as { brand: mongoose.Types.ObjectId; regNo: string };
      marks.set(own(doc.regNo), own(`${doc.brand.toHexString()}${SEP}${fingerprint(doc, paths.trademark)}`));
      if (++n % 20000 === 0) onProgress?.('trademarks', n);
    }
  }
  const entries = new Map<string, string>();
  const keyPath = ENTRY_KEY_PATH[kind];
  for await (const e of ENTRY_MODEL[kind].find().select(projection(paths.entry, ['brand', 'status', keyPath])).lean().cursor({ batchSize: 5000 })) {
    const doc = e as Record<string, unknown> & { _id: mongoose.Types.ObjectId; brand: mongoose.Types.ObjectId; status: string };
    entries.set(own(norm(doc[keyPath])), own([doc._id.toHexString(), doc.brand.toHexString(), fingerprint(doc, paths.entry), doc.status].join(SEP)));
    if (++n % 20000 === 0) onProgress?.('entries', n);
  }
  return {
    mode: 'preload',
    async brand(key) {
      const v = brands.get(key);
      if (!v) return null;
      if (v === 'ambiguous') return v;
      const [id, fp] = v.split(SEP) as [string, string];
      return { id, fp };
    },
    async slugTaken(slug) {
      return slugs.has(slug);
    },
    async trademark(regNo) {
      const v = marks.get(regNo);
      if (!v) return null;
      const [brandId, fp] = v.split(SEP) as [string, string];
      return { brandId, fp };
    },
    async entry(key) {
      const v = entries.get(key);
      if (!v) return null;
      const [id, brandId, fp, status] = v.split(SEP) as [string, string, string, string];
      return { id, brandId, fp, status };
    },
  };
}

/** Whether Brand has an index that starts with creditCode (needed for point look-ups). */
export function brandsIndexedByCreditCode(): boolean {
  return Brand.schema.indexes().some(([fields]) => Object.keys(fields)[0] === 'creditCode')
    || Boolean((Brand.schema.path('creditCode') as { options?: { index?: unknown } } | undefined)?.options?.index);
}

/** Indexed equality queries per key. */
export function pointStore(kind: Kind, paths: StorePaths): KeyStore {
  const keyPath = ENTRY_KEY_PATH[kind];
  return {
    mode: 'point',
    async brand(key) {
      const sep = key.indexOf('|');
      const creditCode = key.slice(0, sep);
      const name = key.slice(sep + 1);
      const found = await Brand.find({ creditCode }).select(projection(paths.brand, ['name', 'creditCode'])).limit(50).lean();
      const same = found.filter((b) => (b as { name: string }).name === name);
      if (same.length === 0) return null;
      if (same.length > 1) return 'ambiguous';
      const b = same[0] as { _id: mongoose.Types.ObjectId };
      return { id: b._id.toHexString(), fp: fingerprint(b, paths.brand) };
    },
    async slugTaken(slug) {
      return (await Brand.exists({ slug })) !== null;
    },
    async trademark(regNo) {
      const t = (await Trademark.findOne({ regNo }).select(projection(paths.trademark, ['regNo', 'brand'])).lean()) as { brand: mongoose.Types.ObjectId } | null;
      return t ? { brandId: t.brand.toHexString(), fp: fingerprint(t, paths.trademark) } : null;
    },
    async entry(key) {
      const filter = keyPath === 'brand' ? { brand: new mongoose.Types.ObjectId(key) } : { [keyPath]: key };
      const e = (await ENTRY_MODEL[kind].findOne(filter).select(projection(paths.entry, ['brand', 'status', keyPath])).lean()) as
        | (Record<string, unknown> & { _id: mongoose.Types.ObjectId; brand: mongoose.Types.ObjectId; status: string })
        | null;
      return e ? { id: e._id.toHexString(), brandId: e.brand.toHexString(), fp: fingerprint(e, paths.entry), status: e.status } : null;
    },
  };
}
