/**
 * The "due" view: what needs a regulator's attention now. Certificates and trademarks expiring
 * within 90 days, certificates already past valid-until but still stored as 有效 (the public sees
 * them as 过期; someone should renew or close them), famous marks past their review date, and
 * time-honored brands under review.
 *
 * Each group shows its full count and at most LIMIT entries, soonest first. Dates are compared to
 * an injected `now`, so the view is testable without waiting for time to pass.
 */
import mongoose from 'mongoose';
import { mapLimit } from '../../platform/concurrency.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { Brand, Certificate, FamousMark, TimeHonored, Trademark } from '../../registries/models.js';

export const DUE_DAYS = 90;
const LIMIT = 200;
const DAY = 86_400_000;

type BrandRef = { _id: unknown; name: string; slug: string };

async function brandsOf(ids: unknown[]): Promise<Map<string, BrandRef>> {
  const unique = [...new Set(ids.map(String))];
  // Point look-ups: FerretDB scans for $in (docs/decisions/0001).
  const found = await mapLimit(unique, 8, (id) => Brand.findById(id).select('name slug').lean());
  return new Map(found.filter(Boolean).map((b) => [String(b!._id), b as unknown as BrandRef]));
}

const days = (d: Date, now: Date) => Math.ceil((new Date(d).getTime() - now.getTime()) / DAY);

/** The four groups, each with a count and its first entries. */
export async function dueView(lang: Lang, now: Date) {
  const horizon = new Date(now.getTime() + DUE_DAYS * DAY);
  // sanitizeFilter is on: operators we build ourselves are marked trusted.
  const certExpiringFilter = { status: '有效', validUntil: mongoose.trusted({ $gte: now, $lte: horizon }) };
  const certExpiredFilter = { status: '有效', validUntil: mongoose.trusted({ $lt: now }) };
  const tmFilter = { validTo: mongoose.trusted({ $gte: now, $lte: horizon }) };
  const famousFilter = { status: mongoose.trusted({ $ne: '失效' }), nextReviewAt: mongoose.trusted({ $lt: now }) };
  const thFilter = { status: '复核中' };

  // One read per group, counted and ordered here: FerretDB answers a range filter by scanning the
  // collection (docs/decisions/0001), so a separate count would scan it twice.
  const [certExpiringAll, certExpiredAll, marksAll, famousAll, thAll] = await Promise.all([
    Certificate.find(certExpiringFilter).select('number product brand validUntil status').lean(),
    Certificate.find(certExpiredFilter).select('number product brand validUntil status').lean(),
    Trademark.find(tmFilter).select('regNo mark brand validTo').lean(),
    FamousMark.find(famousFilter).select('trademarkRegNo brand nextReviewAt status').lean(),
    TimeHonored.find(thFilter).select('tier brand status statusChangedAt statusReason').lean(),
  ]);
  const first = <T>(list: T[], at: (x: T) => unknown) =>
    [...list].sort((a, b) => new Date(at(a) as Date).getTime() - new Date(at(b) as Date).getTime()).slice(0, LIMIT);
  const [certExpiringN, certExpiredN, marksN, famousN, thN] = [certExpiringAll.length, certExpiredAll.length, marksAll.length, famousAll.length, thAll.length];
  const certExpiring = first(certExpiringAll, (c) => c.validUntil);
  const certExpired = first(certExpiredAll, (c) => c.validUntil);
  const marks = first(marksAll, (m) => m.validTo);
  const famous = first(famousAll, (f) => f.nextReviewAt);
  const th = first(thAll, (x) => x.statusChangedAt ?? 0);
  const brands = await brandsOf([...certExpiring, ...certExpired, ...marks, ...famous, ...th].map((x) => x.brand));
  const brandName = (id: unknown) => brands.get(String(id))?.name ?? '—';
  const href = (path: string) => url(lang, path);

  return {
    days: DUE_DAYS,
    groups: [
      {
        key: 'cert-expiring', count: certExpiringN,
        items: certExpiring.map((c) => ({
          href: href(`/admin/certified/${String(c._id)}`), title: c.product, brand: brandName(c.brand), number: c.number,
          date: c.validUntil, days: days(c.validUntil, now),
        })),
      },
      {
        key: 'cert-expired', count: certExpiredN,
        items: certExpired.map((c) => ({
          href: href(`/admin/certified/${String(c._id)}`), title: c.product, brand: brandName(c.brand), number: c.number,
          date: c.validUntil, days: days(c.validUntil, now),
        })),
      },
      {
        key: 'trademarks', count: marksN,
        items: marks.map((m) => ({
          href: href(`/admin/trademarks/${String(m._id)}`), title: m.mark, brand: brandName(m.brand), number: m.regNo,
          date: m.validTo, days: days(m.validTo, now),
        })),
      },
      {
        key: 'famous-review', count: famousN,
        items: famous.map((f) => ({
          href: href(`/admin/famous/${String(f._id)}`), title: brandName(f.brand), brand: label(lang, f.status), number: f.trademarkRegNo,
          date: f.nextReviewAt ?? null, days: f.nextReviewAt ? days(f.nextReviewAt, now) : null,
        })),
      },
      {
        key: 'th-review', count: thN,
        items: th.map((x) => ({
          href: href(`/admin/time-honored/${String(x._id)}`), title: brandName(x.brand), brand: label(lang, x.tier), number: '',
          date: x.statusChangedAt ?? null, days: null, reason: x.statusReason ?? '',
        })),
      },
    ].map((g) => ({
      ...g,
      more: g.count > g.items.length,
      items: g.items.map((i) => ({
        ...i,
        whenText: i.days === null ? '' : i.days >= 0 ? t(lang, 'adminreg.due.inDays', { n: i.days }) : t(lang, 'adminreg.due.daysAgo', { n: -i.days }),
      })),
    })),
  };
}
