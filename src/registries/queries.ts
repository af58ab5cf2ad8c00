/**
 * Read models for public pages and the API: everything public about a brand, one certificate.
 * They return plain allowlisted objects (never mongoose documents) — nothing private leaks.
 */
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark, type BrandDoc, type CertificateDoc, type TimeHonoredDoc } from './models.js';
import { effectiveStatus, sortListings } from './kinds.js';
import { missingFields } from './completeness.js';
import { precisionOr, type Precision } from './partial-date.js';
import { registerMessages } from '../platform/i18n.js';

// The brand page's notices for entries whose status the public must notice (暂停, 移出, 已移出,
// 撤销, 复核中, 失效, 过期), each with its date and reason (views/brand.hbs).
registerMessages({
  'adminreg.public.notice': ['{what}：{status}', '{what}: {status}'],
  'adminreg.public.expired': ['已于{d}到期', 'expired on {d}'],
});

export interface PublicCertificate {
  number: string;
  level: string;
  /** Scope, issue date and issuer may be missing (待补充, completeness.ts): null, never invented. */
  scope: string | null;
  product: string;
  issuedAt: Date | null;
  /** How much of issuedAt is known (partial-date.ts); 'day' for documents older than partial dates. */
  issuedAtPrecision: Precision;
  validUntil: Date;
  issuer: string | null;
  standard: string;
  /** Stored status. */
  storedStatus: string;
  /** What the public sees: 过期 once validUntil has passed. */
  status: string;
  statusChangedAt: Date | null;
  statusReason: string;
  brand: { slug: string; name: string; company: string | null } | null;
  demo: boolean;
  /** The facts the certificate lacks (待补充, completeness.ts), as field names. */
  missing: string[];
}

function publicCertificate(c: CertificateDoc, brand: Pick<BrandDoc, 'slug' | 'name' | 'company' | 'demo'> | null, now: Date): PublicCertificate {
  return {
    number: c.number,
    level: c.level,
    scope: c.scope ?? null,
    product: c.product,
    issuedAt: c.issuedAt ?? null,
    issuedAtPrecision: precisionOr(c.issuedAtPrecision),
    validUntil: c.validUntil,
    issuer: c.issuer ?? null,
    standard: c.standard ?? '',
    storedStatus: c.status,
    status: effectiveStatus('certified', c.status, c.validUntil, now),
    statusChangedAt: c.statusChangedAt ?? null,
    statusReason: c.statusReason ?? '',
    brand: brand ? { slug: brand.slug, name: brand.name, company: brand.company ?? null } : null,
    demo: Boolean(brand?.demo),
    missing: missingFields('certified', c),
  };
}

/** Everything public about one brand, or null. */
export async function getBrandProfile(slug: string, now = new Date()) {
  const brand = await Brand.findOne({ slug }).lean();
  if (!brand) return null;
  const [trademarks, directory, famous, listings, certificates] = await Promise.all([
    Trademark.find({ brand: brand._id }).sort({ regNo: 1 }).lean(),
    DirectoryEntry.findOne({ brand: brand._id }).lean(),
    FamousMark.find({ brand: brand._id }).lean(),
    TimeHonored.find({ brand: brand._id }).lean(),
    Certificate.find({ brand: brand._id }).sort({ issuedAt: -1 }).lean(),
  ]);
  // A brand on several time-honored lists holds a listing per tier; the first is its principal one.
  const timeHonoredListings = sortListings(listings);
  const updated = [brand, directory, ...listings, ...famous, ...certificates].map((d) => d?.updatedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
  return {
    slug: brand.slug,
    name: brand.name,
    nameEn: brand.nameEn,
    // A fact the brand lacks is null and named in `missing` (待补充, completeness.ts), never invented.
    company: brand.company || null,
    creditCode: brand.creditCode || null,
    district: brand.district || null,
    sector: brand.sector || null,
    industry: brand.industry || null,
    missing: missingFields('brand', brand),
    keywords: brand.keywords,
    description: brand.description,
    website: brand.website,
    founded: brand.founded ?? null,
    demo: brand.demo,
    updatedAt: new Date(updated),
    /** The brand's own id and its entries' ids by model name (as the change log and the audit trail name them), for its history. */
    entryRefs: [
      { model: 'Brand', id: String(brand._id) },
      ...trademarks.map((x) => ({ model: 'Trademark', id: String(x._id) })),
      ...(directory ? [{ model: 'DirectoryEntry', id: String(directory._id) }] : []),
      ...famous.map((x) => ({ model: 'FamousMark', id: String(x._id) })),
      ...timeHonoredListings.map((x) => ({ model: 'TimeHonored', id: String(x._id) })),
      ...certificates.map((x) => ({ model: 'Certificate', id: String(x._id) })),
    ],
    trademarks: trademarks.map((t) => ({
      regNo: t.regNo,
      mark: t.mark,
      niceClasses: t.niceClasses,
      validFrom: t.validFrom,
      validTo: t.validTo,
      madrid: t.madrid,
    })),
    directory: directory && {
      status: directory.status,
      statusChangedAt: directory.statusChangedAt,
      statusReason: directory.statusReason,
      advantage: directory.advantage,
      gi: directory.gi ?? null,
      listedAt: directory.listedAt ?? null,
      missing: missingFields('directory', directory),
      listedAtPrecision: precisionOr(directory.listedAtPrecision),
    },
    famous: famous.map((f) => ({
      trademarkRegNo: f.trademarkRegNo,
      recognition: {
        ...f.recognition,
        date: f.recognition.date ?? null,
        authority: f.recognition.authority ?? null,
        documentNo: f.recognition.documentNo ?? null,
        datePrecision: precisionOr(f.recognition.datePrecision),
      },
      regulator: f.regulator || null,
      missing: missingFields('famous', f),
      status: f.status,
      statusChangedAt: f.statusChangedAt,
      statusReason: f.statusReason,
      nextReviewAt: f.nextReviewAt ?? null,
      // The ledger's protection records are the regulators'; the public sees how many and when.
      recordCount: f.records.length,
      lastRecordAt: f.records.length ? f.records[f.records.length - 1]!.date : null,
    })),
    /** The principal listing (sortListings), or null. */
    timeHonored: timeHonoredListings.map(publicListing)[0] ?? null,
    /** Every listing: 中华老字号 2024 · 湖北老字号 2014. */
    timeHonoredListings: timeHonoredListings.map(publicListing),
    certificates: certificates.map((c) => publicCertificate(c, brand, now)),
  };
}

/** A time-honored listing as the public sees it. */
function publicListing(timeHonored: TimeHonoredDoc) {
  return {
    tier: timeHonored.tier,
    recognizedYear: timeHonored.recognizedYear,
    batch: timeHonored.batch || null,
    heritage: timeHonored.heritage,
    story: timeHonored.story,
    address: timeHonored.address || null,
    // Absent when the list does not state a reward: null, never an invented 0 ("none granted").
    rewardWan: timeHonored.rewardWan ?? null,
    status: timeHonored.status,
    statusChangedAt: timeHonored.statusChangedAt,
    statusReason: timeHonored.statusReason,
    missing: missingFields('time-honored', timeHonored),
    reviews: (timeHonored.reviews ?? []).map(publicReview),
  };
}

/** A listing's re-review (复核) as the public sees it, oldest first as recorded. */
export interface PublicReview {
  date: Date;
  /** How much of the date is known (partial-date.ts). */
  datePrecision: Precision;
  /** A reference-data value (通过 / 附条件通过 / 不通过 or one an admin added). */
  outcome: string;
  /** The rectification deadline of a pass with conditions (附条件通过), else null. */
  deadline: Date | null;
  note: string;
}

/** Who recorded a review and when are the bureau's bookkeeping: regulators' identities are not public. */
function publicReview(r: TimeHonoredDoc['reviews'][number]): PublicReview {
  return { date: r.date, datePrecision: precisionOr(r.datePrecision), outcome: r.outcome, deadline: r.deadline ?? null, note: r.note ?? '' };
}

export type BrandProfile = NonNullable<Awaited<ReturnType<typeof getBrandProfile>>>;

/** One certificate by its unique number (upper-cased), with its brand, or null. */
export async function getCertificate(number: string, now = new Date()): Promise<PublicCertificate | null> {
  const c = await Certificate.findOne({ number: number.trim().toUpperCase() }).lean();
  if (!c) return null;
  const brand = await Brand.findById(c.brand).lean();
  return publicCertificate(c, brand, now);
}
