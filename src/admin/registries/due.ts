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
import { onChangeApplied } from '../../registries/changes.js';
import { label, registerMessages, t, type Lang } from '../../platform/i18n.js';
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

registerMessages({
  'adminreg.due.counted': [
    '部分计数截至 {time}（本机的修改即时计入；其他进程一分钟内的写入可能尚未计入）',
    'Some counts as of {time} (edits made here count at once; writes by other processes within the last minute may not yet)',
  ],
});

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
 * A group of the view: the entries of `model` matching `base` whose `by` date lies in the group's
 * window, which moves with `now` (`from` ≤ date, date < or ≤ `to`; a missing side is open).
 */
interface Group<T> {
  key: string;
  model: Model<T>;
  base: Record<string, unknown>;
  fields: string;
  by: keyof T & string;
  from?: (now: number) => number;
  to?: { at: (now: number) => number; inclusive: boolean };
}

/**
 * Large groups remembered between visits. Counting a group means reading every match (the local
 * server decodes each matching document to count and sort it: ~1.1 s of its CPU for the 8,382
 * trademarks expiring within 90 days at 500,000 entries), so a group that matched at least
 * `minSize` entries is kept in memory, read over a window widened by `spanMs` ahead, and every
 * view within that span cuts its exact window out of it: the count and the first entries are the
 * same as a fresh read's. It is forgotten when this process applies a change to that registry
 * (onChangeApplied), and after `ttlMs` in any case, which bounds how long a write made by another
 * process (an import, a second instance) can be missing from the counts; the view then says when
 * it counted (`countedAt`). Small groups are read on every view, as before.
 */
export const dueMemo = { minSize: 1000, spanMs: 60_000, ttlMs: 60_000, hits: 0, reads: 0 };

interface Remembered {
  model: string;
  /** The `now` the read was made for; it serves any `now` in [at, at + spanMs]. */
  at: number;
  /** Wall-clock time of the read. */
  readAt: number;
  docs: unknown[];
}

const remembered = new Map<string, Remembered>();
/** Per registry (model name): bumped by every change applied here, so a read racing a write is not kept. */
const generations = new Map<string, number>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  onChangeApplied((id) => {
    const model = id.slice(0, id.indexOf(':'));
    generations.set(model, (generations.get(model) ?? 0) + 1);
    for (const [key, r] of remembered) if (r.model === model) remembered.delete(key);
  });
}

/** Forgets every remembered group (tests, and anyone who knows the registries changed elsewhere). */
export function forgetDue(): void {
  remembered.clear();
}

/** The group's full count and its first LIMIT entries, soonest first (entries without the date first). */
async function firstOf<T>(g: Group<T>, now: Date): Promise<{ count: number; items: T[]; countedAt: Date | null }> {
  listen();
  const t = now.getTime();
  const at = (x: T) => dateOf(x[g.by])?.getTime() ?? 0;
  let r = remembered.get(g.key);
  if (r && !(r.at <= t && t <= r.at + dueMemo.spanMs && Date.now() - r.readAt <= dueMemo.ttlMs)) {
    remembered.delete(g.key);
    r = undefined;
  }
  let docs: T[];
  if (r) {
    dueMemo.hits++;
    docs = r.docs as T[];
  } else {
    dueMemo.reads++;
    // One read through the group's index (models.ts), over the window of every `now` the read
    // may serve: from(t) … to(t + spanMs). Counting and sorting here reads each match once (a
    // count plus a sorted, limited read reads every match twice on a server that has to read
    // them to count and to sort: measured at 500,000 on the local stack, 1.3 s of server CPU for
    // one read, 1.9 s for the pair).
    const range: Record<string, Date> = {};
    if (g.from) range.$gte = new Date(g.from(t));
    if (g.to) range.$lte = new Date(g.to.at(t + dueMemo.spanMs));
    const filter = { ...g.base, ...(g.from || g.to ? { [g.by]: mongoose.trusted(range) } : {}) } as QueryFilter<T>;
    const generation = generations.get(g.model.modelName) ?? 0;
    const readAt = Date.now();
    docs = (await g.model.find(filter).select(g.fields).lean<T[]>()).sort((a, b) => at(a) - at(b));
    if (docs.length >= dueMemo.minSize && generation === (generations.get(g.model.modelName) ?? 0)) {
      remembered.set(g.key, { model: g.model.modelName, at: t, readAt, docs });
    }
  }
  // The exact window for `now`, cut out of what was read.
  const lo = g.from ? g.from(t) : -Infinity;
  const hi = g.to ? g.to.at(t) : Infinity;
  const inclusive = g.to?.inclusive ?? true;
  const within =
    g.from || g.to
      ? docs.filter((x) => {
          const d = dateOf(x[g.by])?.getTime();
          return d !== undefined && d >= lo && (inclusive ? d <= hi : d < hi);
        })
      : docs;
  return { count: within.length, items: within.slice(0, LIMIT), countedAt: r ? new Date(r.readAt) : null };
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
  // sanitizeFilter is on: operators we build ourselves are marked trusted.
  const horizon = (n: number) => n + DUE_DAYS * DAY;
  const today = (n: number) => n;
  const certFields = 'number product brand validUntil status';
  const markFields = 'regNo mark brand validTo';
  const group = <T>(g: Group<T>) => g;
  const groups = {
    certExpiring: group<CertificateDoc>({
      key: 'cert-expiring',
      model: Certificate,
      base: { status: '有效' },
      fields: certFields,
      by: 'validUntil',
      from: today,
      to: { at: horizon, inclusive: true },
    }),
    certExpired: group<CertificateDoc>({
      key: 'cert-expired',
      model: Certificate,
      base: { status: '有效' },
      fields: certFields,
      by: 'validUntil',
      to: { at: today, inclusive: false },
    }),
    marks: group<TrademarkDoc>({
      key: 'trademarks',
      model: Trademark,
      base: {},
      fields: markFields,
      by: 'validTo',
      from: today,
      to: { at: horizon, inclusive: true },
    }),
    famous: group<FamousDoc>({
      key: 'famous-review',
      model: FamousMark,
      base: { status: mongoose.trusted({ $ne: '失效' }) },
      fields: 'trademarkRegNo brand nextReviewAt status',
      by: 'nextReviewAt',
      to: { at: today, inclusive: false },
    }),
    th: group<TimeHonoredDoc>({
      key: 'th-review',
      model: TimeHonored,
      base: { status: '复核中' },
      fields: 'tier brand status statusChangedAt statusReason',
      by: 'statusChangedAt',
    }),
    ended: group<TrademarkDoc>({
      key: 'trademarks-ended',
      model: Trademark,
      base: {},
      fields: markFields,
      by: 'validTo',
      from: (n: number) => n - GRACE_DAYS * DAY,
      to: { at: today, inclusive: false },
    }),
  };

  const [
    { count: certExpiringN, items: certExpiring, countedAt: c1 },
    { count: certExpiredN, items: certExpired, countedAt: c2 },
    { count: marksN, items: marks, countedAt: c3 },
    { count: famousN, items: famous, countedAt: c4 },
    { count: thN, items: th, countedAt: c5 },
    { count: endedN, items: ended, countedAt: c6 },
    famousEnded,
    rectification,
  ] = await Promise.all([
    firstOf<CertificateDoc>(groups.certExpiring, now),
    firstOf<CertificateDoc>(groups.certExpired, now),
    firstOf<TrademarkDoc>(groups.marks, now),
    firstOf<FamousDoc>(groups.famous, now),
    firstOf<TimeHonoredDoc>(groups.th, now),
    firstOf<TrademarkDoc>(groups.ended, now),
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

  // The oldest remembered count shown (null: every group was read for this view).
  const countedAt = [c1, c2, c3, c4, c5, c6].reduce<Date | null>((a, c) => (c && (!a || c < a) ? c : a), null);
  return {
    days: DUE_DAYS,
    countedAt,
    countedAtText: countedAt
      ? t(lang, 'adminreg.due.counted', { time: countedAt.toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }) })
      : '',
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
