/**
 * Read models for public pages and the API: everything public about a brand, one certificate.
 * They return plain allowlisted objects (never mongoose documents) — nothing private leaks.
 */
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark, type BrandDoc, type CertificateDoc } from './models.js';
import { effectiveStatus } from './kinds.js';
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
  scope: string;
  product: string;
  issuedAt: Date;
  validUntil: Date;
  issuer: string;
  standard: string;
  /** Stored status. */
  storedStatus: string;
  /** What the public sees: 过期 once validUntil has passed. */
  status: string;
  statusChangedAt: Date | null;
  statusReason: string;
  brand: { slug: string; name: string; company: string } | null;
  demo: boolean;
}

function publicCertificate(c: CertificateDoc, brand: Pick<BrandDoc, 'slug' | 'name' | 'company' | 'demo'> | null, now: Date): PublicCertificate {
  return {
    number: c.number,
    level: c.level,
    scope: c.scope,
    product: c.product,
    issuedAt: c.issuedAt,
    validUntil: c.validUntil,
    issuer: c.issuer,
    standard: c.standard ?? '',
    storedStatus: c.status,
    status: effectiveStatus('certified', c.status, c.validUntil, now),
    statusChangedAt: c.statusChangedAt ?? null,
    statusReason: c.statusReason ?? '',
    brand: brand ? { slug: brand.slug, name: brand.name, company: brand.company } : null,
    demo: Boolean(brand?.demo),
  };
}

/** Everything public about one brand, or null. */
export async function getBrandProfile(slug: string, now = new Date()) {
  const brand = await Brand.findOne({ slug }).lean();
  if (!brand) return null;
  const [trademarks, directory, famous, timeHonored, certificates] = await Promise.all([
    Trademark.find({ brand: brand._id }).sort({ regNo: 1 }).lean(),
    DirectoryEntry.findOne({ brand: brand._id }).lean(),
    FamousMark.find({ brand: brand._id }).lean(),
    TimeHonored.findOne({ brand: brand._id }).lean(),
    Certificate.find({ brand: brand._id }).sort({ issuedAt: -1 }).lean(),
  ]);
  const updated = [brand, directory, timeHonored, ...famous, ...certificates].map((d) => d?.updatedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
  return {
    slug: brand.slug,
    name: brand.name,
    nameEn: brand.nameEn,
    company: brand.company,
    creditCode: brand.creditCode,
    district: brand.district,
    sector: brand.sector,
    industry: brand.industry,
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
      ...(timeHonored ? [{ model: 'TimeHonored', id: String(timeHonored._id) }] : []),
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
      listedAt: directory.listedAt,
    },
    famous: famous.map((f) => ({
      trademarkRegNo: f.trademarkRegNo,
      recognition: f.recognition,
      status: f.status,
      statusChangedAt: f.statusChangedAt,
      statusReason: f.statusReason,
      nextReviewAt: f.nextReviewAt ?? null,
      // The ledger's protection records are the regulators'; the public sees how many and when.
      recordCount: f.records.length,
      lastRecordAt: f.records.length ? f.records[f.records.length - 1]!.date : null,
    })),
    timeHonored: timeHonored && {
      tier: timeHonored.tier,
      recognizedYear: timeHonored.recognizedYear,
      batch: timeHonored.batch,
      heritage: timeHonored.heritage,
      story: timeHonored.story,
      address: timeHonored.address,
      rewardWan: timeHonored.rewardWan,
      status: timeHonored.status,
      statusChangedAt: timeHonored.statusChangedAt,
      statusReason: timeHonored.statusReason,
    },
    certificates: certificates.map((c) => publicCertificate(c, brand, now)),
  };
}

export type BrandProfile = NonNullable<Awaited<ReturnType<typeof getBrandProfile>>>;

/** One certificate by its unique number (upper-cased), with its brand, or null. */
export async function getCertificate(number: string, now = new Date()): Promise<PublicCertificate | null> {
  const c = await Certificate.findOne({ number: number.trim().toUpperCase() }).lean();
  if (!c) return null;
  const brand = await Brand.findById(c.brand).lean();
  return publicCertificate(c, brand, now);
}
