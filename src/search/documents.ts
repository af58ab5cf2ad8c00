/**
 * Builds search documents from MongoDB, from an allowlist of public fields. The worker and the
 * full reindex both use this, so the index always holds the same shape whoever wrote it.
 */
// Filters built here are our own (ids from MongoDB), so operators are marked trusted for sanitizeFilter.
import mongoose from 'mongoose';
import {
  Brand, Trademark, ENTRY_MODELS,
  type BrandDoc, type CertificateDoc, type DirectoryDoc, type FamousDoc, type TimeHonoredDoc, type TrademarkDoc,
} from '../registries/models.js';
import type { Kind } from '../registries/reference.js';
import type { SearchDoc } from './port.js';

type Id = mongoose.Types.ObjectId;
type Entry = (DirectoryDoc | FamousDoc | TimeHonoredDoc | CertificateDoc) & { _id: Id; updatedAt?: Date; createdAt?: Date };

function firstSentence(text: string, max = 80): string {
  const s = (text.split(/(?<=[。！？])/)[0] ?? '').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const ms = (d: Date | undefined | null) => (d ? new Date(d).getTime() : 0);

export function buildSearchDoc(kind: Kind, entry: Entry, brand: BrandDoc & { updatedAt?: Date }, trademarks: TrademarkDoc[]): SearchDoc {
  const base = {
    id: `${kind}:${entry._id.toString()}`,
    kind,
    entryId: entry._id.toString(),
    version: entry.version,
    slug: brand.slug,
    name: brand.name,
    nameEn: brand.nameEn ?? '',
    title: brand.name,
    company: brand.company,
    district: brand.district,
    sector: brand.sector,
    industry: brand.industry,
    keywords: [...(brand.keywords ?? [])],
    summary: firstSentence(brand.description ?? ''),
    status: (entry as { status: string }).status,
    expiresAt: null as number | null,
    niceClasses: [] as number[],
    identifiers: [brand.creditCode],
    year: null as number | null,
    updatedAt: Math.max(ms(entry.updatedAt), ms(brand.updatedAt)),
    demo: Boolean(brand.demo),
  };
  switch (kind) {
    case 'directory': {
      const e = entry as DirectoryDoc;
      const classes = [...new Set(trademarks.flatMap((t) => t.niceClasses))].sort((a, b) => a - b);
      return {
        ...base,
        tier: e.gi ? '地理标志' : e.advantage ? '优势商标' : '商标品牌',
        niceClasses: classes,
        identifiers: [...base.identifiers, ...trademarks.map((t) => t.regNo)],
        year: e.listedAt ? new Date(e.listedAt).getFullYear() : null,
        keywords: e.gi ? [...base.keywords, e.gi.product] : base.keywords,
      };
    }
    case 'famous': {
      const e = entry as FamousDoc;
      const tm = trademarks.find((t) => t.regNo === e.trademarkRegNo);
      return {
        ...base,
        tier: e.recognition.route,
        niceClasses: tm ? [...tm.niceClasses] : [],
        identifiers: [...base.identifiers, e.trademarkRegNo],
        year: new Date(e.recognition.date).getFullYear(),
      };
    }
    case 'time-honored': {
      const e = entry as TimeHonoredDoc;
      return {
        ...base,
        tier: e.tier,
        summary: firstSentence(e.story || brand.description || ''),
        year: e.recognizedYear,
      };
    }
    case 'certified': {
      const e = entry as CertificateDoc;
      return {
        ...base,
        title: e.product,
        tier: e.level,
        summary: `${e.level} · ${e.scope} · ${e.issuer}`,
        expiresAt: ms(e.validUntil),
        identifiers: [...base.identifiers, e.number],
        keywords: [...base.keywords, e.product],
        year: new Date(e.issuedAt).getFullYear(),
      };
    }
  }
}

/** Builds the documents for a batch of entries of one kind, loading brands and trademarks in bulk. */
export async function buildSearchDocs(kind: Kind, entries: Entry[]): Promise<SearchDoc[]> {
  if (entries.length === 0) return [];
  const brandIds = [...new Set(entries.map((e) => e.brand.toString()))];
  const brands = (await Brand.find({ _id: mongoose.trusted({ $in: brandIds }) }).lean()) as Array<BrandDoc & { updatedAt?: Date }>;
  const byId = new Map(brands.map((b) => [b._id.toString(), b]));
  const needsMarks = kind === 'directory' || kind === 'famous';
  const marks = needsMarks ? ((await Trademark.find({ brand: mongoose.trusted({ $in: brandIds }) }).lean()) as TrademarkDoc[]) : [];
  const marksByBrand = new Map<string, TrademarkDoc[]>();
  for (const t of marks) {
    const k = t.brand.toString();
    marksByBrand.set(k, [...(marksByBrand.get(k) ?? []), t]);
  }
  const docs: SearchDoc[] = [];
  for (const e of entries) {
    const b = byId.get(e.brand.toString());
    if (b) docs.push(buildSearchDoc(kind, e, b, marksByBrand.get(b._id.toString()) ?? []));
  }
  return docs;
}

export { ENTRY_MODELS };
