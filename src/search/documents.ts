/**
 * Builds search documents from MongoDB, from an allowlist of public fields. The worker and the
 * full reindex both use this, so the index always holds the same shape whoever wrote it.
 */
import mongoose, { type Model } from 'mongoose';
import {
  Brand,
  Trademark,
  type BrandDoc,
  type CertificateDoc,
  type DirectoryDoc,
  type FamousDoc,
  type TimeHonoredDoc,
  type TrademarkDoc,
} from '../registries/models.js';
import { findByIds } from '../platform/db/index.js';
import { REGISTRIES } from '../registries/kinds.js';
import type { Kind } from '../registries/reference.js';
import type { SearchDoc } from './port.js';

/** The entry document of each kind, as lean() reads it. */
interface EntryDocs {
  directory: DirectoryDoc;
  famous: FamousDoc;
  'time-honored': TimeHonoredDoc;
  certified: CertificateDoc;
}
type Stamps = { updatedAt?: Date; createdAt?: Date };
/** An entry of kind K (any kind when K is left open). */
export type Entry<K extends Kind = Kind> = EntryDocs[K] & Stamps;
type SearchBrand = BrandDoc & { updatedAt?: Date };

function firstSentence(text: string, max = 80): string {
  const s = (text.split(/(?<=[。！？])/)[0] ?? '').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const ms = (d: Date | undefined | null) => (d ? new Date(d).getTime() : 0);

/** The fields every kind's document has, from the entry and its brand. */
type BaseDoc = Omit<SearchDoc, 'tier'>;

/** What each kind adds to the base document (the kind decides the entry's type). */
const PER_KIND: { [K in Kind]: (base: BaseDoc, e: Entry<K>, brand: SearchBrand, trademarks: TrademarkDoc[]) => SearchDoc } = {
  directory(base, e, _brand, trademarks) {
    const classes = [...new Set(trademarks.flatMap((t) => t.niceClasses))].sort((a, b) => a - b);
    return {
      ...base,
      tier: REGISTRIES.directory.tierOf(e),
      niceClasses: classes,
      identifiers: [...base.identifiers, ...trademarks.map((t) => t.regNo)],
      // Years in UTC: a year-only or month-only date is stored as its period's UTC start (partial-date.ts).
      year: e.listedAt ? new Date(e.listedAt).getUTCFullYear() : null,
      keywords: e.gi ? [...base.keywords, e.gi.product] : base.keywords,
    };
  },
  famous(base, e, _brand, trademarks) {
    const tm = trademarks.find((t) => t.regNo === e.trademarkRegNo);
    return {
      ...base,
      tier: REGISTRIES.famous.tierOf(e),
      niceClasses: tm ? [...tm.niceClasses] : [],
      identifiers: [...base.identifiers, e.trademarkRegNo],
      year: e.recognition.date ? new Date(e.recognition.date).getUTCFullYear() : null,
    };
  },
  'time-honored'(base, e, brand) {
    return {
      ...base,
      tier: e.tier,
      summary: firstSentence(e.story || brand.description || ''),
      year: e.recognizedYear,
    };
  },
  certified(base, e) {
    return {
      ...base,
      title: e.product,
      tier: e.level,
      // A missing scope or issuer (待补充) is left out, never shown blank.
      summary: [e.level, e.scope, e.issuer].filter(Boolean).join(' · '),
      expiresAt: ms(e.validUntil),
      identifiers: [...base.identifiers, e.number],
      year: e.issuedAt ? new Date(e.issuedAt).getUTCFullYear() : null,
    };
  },
};

export function buildSearchDoc<K extends Kind>(kind: K, entry: Entry<K>, brand: SearchBrand, trademarks: TrademarkDoc[]): SearchDoc {
  const base: BaseDoc = {
    id: `${kind}:${entry._id.toString()}`,
    kind,
    entryId: entry._id.toString(),
    version: entry.version,
    slug: brand.slug,
    name: brand.name,
    nameEn: brand.nameEn ?? '',
    title: brand.name,
    // Missing brand facts (待补充, completeness.ts) are empty here: cards and facets skip them.
    company: brand.company ?? '',
    district: brand.district ?? '',
    sector: brand.sector ?? '',
    industry: brand.industry ?? '',
    keywords: [...(brand.keywords ?? [])],
    summary: firstSentence(brand.description ?? ''),
    status: entry.status,
    expiresAt: null,
    niceClasses: [],
    identifiers: brand.creditCode ? [brand.creditCode] : [],
    year: null,
    updatedAt: Math.max(ms(entry.updatedAt), ms(brand.updatedAt)),
    demo: Boolean(brand.demo),
  };
  return PER_KIND[kind](base, entry, brand, trademarks);
}

/** Where buildSearchDocs finds an entry's brand and the brand's trademarks. */
export interface BrandLookup {
  brands(ids: string[]): Promise<Map<string, SearchBrand>>;
  trademarks(brandIds: string[]): Promise<Map<string, TrademarkDoc[]>>;
}

/** The brand fields search documents are built from (buildSearchDoc reads nothing else). */
const BRAND_FIELDS = 'slug name nameEn company creditCode district sector industry keywords description demo updatedAt';
const TRADEMARK_FIELDS = 'brand regNo niceClasses';
/** Values per `$in`, so that no request carries thousands of ids. */
const IN_CHUNK = 500;

/** Lean documents of `model` whose `field` is one of `values` (an indexed field), in chunks. */
export async function findWhereIn<T>(model: Model<T>, field: string, values: readonly string[], projection: string): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) {
    const part = values.slice(i, i + IN_CHUNK);
    out.push(
      ...(await model
        .find({ [field]: mongoose.trusted({ $in: part }) })
        .select(projection)
        .lean<T[]>()),
    );
  }
  return out;
}

/**
 * Reads just the brands and trademarks a batch of entries needs, by `_id` and by the indexed
 * `brand` field. Memory follows the batch, not the registry: the full rebuild uses it too.
 */
export const storedLookup: BrandLookup = {
  async brands(ids) {
    const docs = await findByIds<SearchBrand>(Brand, ids, BRAND_FIELDS);
    return new Map(docs.map((d) => [d._id.toString(), d]));
  },
  async trademarks(brandIds) {
    const marks = new Map<string, TrademarkDoc[]>(brandIds.map((id) => [id, []]));
    const found = await findWhereIn<TrademarkDoc>(Trademark, 'brand', brandIds, TRADEMARK_FIELDS);
    for (const t of found) marks.get(t.brand.toString())?.push(t);
    return marks;
  },
};

/** Builds the documents for a batch of entries of one kind. */
export async function buildSearchDocs<K extends Kind>(kind: K, entries: Array<Entry<K>>, lookup: BrandLookup = storedLookup): Promise<SearchDoc[]> {
  if (entries.length === 0) return [];
  const brandIds = [...new Set(entries.map((e) => e.brand.toString()))];
  const needsMarks = kind === 'directory' || kind === 'famous';
  const [byId, marksByBrand] = await Promise.all([
    lookup.brands(brandIds),
    needsMarks ? lookup.trademarks(brandIds) : Promise.resolve(new Map<string, TrademarkDoc[]>()),
  ]);
  const docs: SearchDoc[] = [];
  for (const e of entries) {
    const b = byId.get(e.brand.toString());
    if (b) docs.push(buildSearchDoc(kind, e, b, marksByBrand.get(b._id.toString()) ?? []));
  }
  return docs;
}
