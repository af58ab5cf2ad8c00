/**
 * The "due" view: what needs a regulator's attention now. Certificates and trademarks expiring
 * within 90 days, certificates already past valid-until but still stored as 有效 (the public sees
 * them as 过期; someone should renew or close them), famous marks past their review date, famous
 * marks whose registration ended unrenewed (no longer announced as protected), trademarks in
 * their renewal grace period (the least time left first), time-honored brands under review, and
 * time-honored brands passed with conditions whose rectification deadline has passed.
 *
 * Each group shows its full count and at most LIMIT entries, soonest first. Dates are compared to
 * an injected `now`, so the view is testable without waiting for time to pass.
 */
import mongoose, { type Model, type QueryFilter } from 'mongoose';
import { findByIds } from '../../platform/db/index.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { dateOf } from './narrow.js';
import {
  Brand,
  Certificate,
  FamousMark,
  TimeHonored,
  Trademark,
  type CertificateDoc,
  type FamousDoc,
  type TimeHonoredDoc,
  type TrademarkDoc,
} from '../../registries/models.js';
import { CONDITIONAL_PASS } from '../../registries/reference.js';

export const DUE_DAYS = 90;
/**
 * A registration past its end date may still be renewed within six months (the grace period of
 * Art. 40 of the Trademark Law); the due view lists the marks inside it, newest first.
 */
export const GRACE_DAYS = 183;
const LIMIT = 200;
const DAY = 86_400_000;

type BrandRef = { _id: unknown; name: string; slug: string };

async function brandsOf(ids: unknown[]): Promise<Map<string, BrandRef>> {
  const found = await findByIds<BrandRef>(Brand, ids, 'name slug');
  return new Map(found.map((b) => [String(b._id), b]));
}

/**
 * A group's full count and its first LIMIT entries, soonest first (entries without the date first),
 * from one read through the group's index (models.ts). A group is a date window, so it stays small
 * whatever the registry's size: 90 days of a 10-year trademark term is about 1/40 of the marks,
 * some thousands of small projected documents at 500,000. Counting and sorting them here reads each
 * once. A count plus a sorted, limited read would save a few milliseconds on a server that counts
 * and sorts through its index, and reads every match twice on one that has to read them to count
 * and to sort (measured at 500,000 on the local stack: 1.3 s of server CPU for one read, 1.9 s
 * for the pair).
 */
async function firstOf<T>(model: Model<T>, filter: QueryFilter<T>, fields: string, by: keyof T & string) {
  const all = await model.find(filter).select(fields).lean<T[]>();
  const at = (x: T) => dateOf(x[by])?.getTime() ?? 0;
  return { count: all.length, items: all.sort((a, b) => at(a) - at(b)).slice(0, LIMIT) };
}

/**
 * Famous marks still announced as protected whose registration in the trademark registry has
 * ended unrenewed (src/registries/standing.ts no longer calls them protected): a regulator should
 * confirm a renewal or change the status. Famous marks are few (hundreds), so all protected ones
 * are read, then their registrations by number.
 */
async function famousWithEndedMarks(now: Date) {
  const protectedMarks = await FamousMark.find({ status: mongoose.trusted({ $in: ['重点保护', '一般保护'] }) })
    .select('trademarkRegNo brand status')
    .lean<Array<Pick<FamousDoc, 'trademarkRegNo' | 'brand' | 'status'> & { _id: unknown }>>();
  if (!protectedMarks.length) return { count: 0, items: [] };
  const endedMarks = await Trademark.find({
    regNo: mongoose.trusted({ $in: protectedMarks.map((f) => f.trademarkRegNo) }),
    validTo: mongoose.trusted({ $lt: now }),
  })
    .select('regNo validTo')
    .lean<Array<Pick<TrademarkDoc, 'regNo' | 'validTo'>>>();
  const endedAt = new Map(endedMarks.map((m) => [m.regNo, m.validTo]));
  const items = protectedMarks
    .filter((f) => endedAt.has(f.trademarkRegNo))
    .map((f) => ({ ...f, validTo: endedAt.get(f.trademarkRegNo)! }))
    .sort((a, b) => new Date(a.validTo).getTime() - new Date(b.validTo).getTime());
  return { count: items.length, items: items.slice(0, LIMIT) };
}

/**
 * 老字号 listings whose latest re-review (by review date) passed with conditions (附条件通过) and whose
 * rectification deadline has passed with no later outcome: a regulator should check the
 * rectification and record the next outcome. Listings with a deadline are few; the latest review
 * of each is found here.
 */
async function rectificationOverdue(now: Date) {
  type Review = { date: Date; outcome: string; deadline?: Date | null; recordedAt?: Date };
  const found = await TimeHonored.find({ 'reviews.deadline': mongoose.trusted({ $lt: now }), status: mongoose.trusted({ $ne: '已移出' }) })
    .select('tier brand reviews')
    .lean<Array<{ _id: unknown; tier: string; brand: unknown; reviews: Review[] }>>();
  const at = (d: Date | null | undefined) => (d ? new Date(d).getTime() : 0);
  const items = found
    .flatMap((x) => {
      const latest = [...x.reviews].sort((a, b) => at(a.date) - at(b.date) || at(a.recordedAt) - at(b.recordedAt)).at(-1);
      return latest && latest.outcome === CONDITIONAL_PASS && latest.deadline && at(latest.deadline) < now.getTime()
        ? [{ ...x, deadline: latest.deadline }]
        : [];
    })
    .sort((a, b) => at(a.deadline) - at(b.deadline));
  return { count: items.length, items: items.slice(0, LIMIT) };
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
  const graceStart = new Date(now.getTime() - GRACE_DAYS * DAY);
  const tmEndedFilter = { validTo: mongoose.trusted({ $gte: graceStart, $lt: now }) };

  const [
    { count: certExpiringN, items: certExpiring },
    { count: certExpiredN, items: certExpired },
    { count: marksN, items: marks },
    { count: famousN, items: famous },
    { count: thN, items: th },
    { count: endedN, items: ended },
    famousEnded,
    rectification,
  ] = await Promise.all([
    firstOf<CertificateDoc>(Certificate, certExpiringFilter, 'number product brand validUntil status', 'validUntil'),
    firstOf<CertificateDoc>(Certificate, certExpiredFilter, 'number product brand validUntil status', 'validUntil'),
    firstOf<TrademarkDoc>(Trademark, tmFilter, 'regNo mark brand validTo', 'validTo'),
    firstOf<FamousDoc>(FamousMark, famousFilter, 'trademarkRegNo brand nextReviewAt status', 'nextReviewAt'),
    firstOf<TimeHonoredDoc>(TimeHonored, thFilter, 'tier brand status statusChangedAt statusReason', 'statusChangedAt'),
    firstOf<TrademarkDoc>(Trademark, tmEndedFilter, 'regNo mark brand validTo', 'validTo'),
    famousWithEndedMarks(now),
    rectificationOverdue(now),
  ]);
  const brands = await brandsOf(
    [...certExpiring, ...certExpired, ...marks, ...famous, ...th, ...ended, ...famousEnded.items, ...rectification.items].map((x) => x.brand),
  );
  const brandName = (id: unknown) => brands.get(String(id))?.name ?? '—';
  const href = (path: string) => url(lang, path);
  // One line of a group: what, whose, its number, and the date the group is about.
  const certItem = (c: Pick<CertificateDoc, 'product' | 'brand' | 'number' | 'validUntil'> & { _id: unknown }) => ({
    href: href(`/admin/certified/${String(c._id)}`),
    title: c.product,
    brand: brandName(c.brand),
    number: c.number,
    date: c.validUntil,
    days: days(c.validUntil, now),
  });
  const markItem = (m: Pick<TrademarkDoc, 'mark' | 'brand' | 'regNo' | 'validTo'> & { _id: unknown }) => ({
    href: href(`/admin/trademarks/${String(m._id)}`),
    title: m.mark,
    brand: brandName(m.brand),
    number: m.regNo,
    date: m.validTo,
    days: days(m.validTo, now),
  });
  const famousItem = (f: Pick<FamousDoc, 'brand' | 'status' | 'trademarkRegNo'> & { _id: unknown }, date: Date | null) => ({
    href: href(`/admin/famous/${String(f._id)}`),
    title: brandName(f.brand),
    brand: label(lang, f.status),
    number: f.trademarkRegNo,
    date,
    days: date ? days(date, now) : null,
  });

  return {
    days: DUE_DAYS,
    groups: [
      {
        key: 'cert-expiring',
        count: certExpiringN,
        items: certExpiring.map(certItem),
      },
      {
        key: 'cert-expired',
        count: certExpiredN,
        items: certExpired.map(certItem),
      },
      {
        key: 'trademarks',
        count: marksN,
        items: marks.map(markItem),
      },
      {
        key: 'famous-review',
        count: famousN,
        items: famous.map((f) => famousItem(f, f.nextReviewAt ?? null)),
      },
      {
        key: 'famous-mark-ended',
        count: famousEnded.count,
        items: famousEnded.items.map((f) => famousItem(f, f.validTo)),
      },
      {
        key: 'trademarks-ended',
        count: endedN,
        items: ended.map(markItem),
      },
      {
        key: 'th-review',
        count: thN,
        items: th.map((x) => ({
          href: href(`/admin/time-honored/${String(x._id)}`),
          title: brandName(x.brand),
          brand: label(lang, x.tier),
          number: '',
          date: x.statusChangedAt ?? null,
          days: null,
          reason: x.statusReason ?? '',
        })),
      },
      {
        key: 'th-rectification',
        count: rectification.count,
        items: rectification.items.map((x) => ({
          href: href(`/admin/time-honored/${String(x._id)}#reviews`),
          title: brandName(x.brand),
          brand: label(lang, x.tier),
          number: '',
          date: x.deadline,
          days: days(x.deadline, now),
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
