/**
 * A brand's standing: whether it is currently a 中华/湖北/武汉老字号 and whether it holds a famous
 * trademark under protection, and since when. Domain knowledge the brand page, the certificate
 * check and the JSON API share, so it lives in the kernel: the summary (`brandStanding`), how it is
 * read (`loadBrandStanding`, `BrandStandingCache`), and how it reads in words (`standingView`) and
 * as JSON (`standingJson`).
 */
import mongoose from 'mongoose';
import { formatDate, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { comparePartial, storedPartial, type Precision } from './partial-date.js';
import { sortListings } from './kinds.js';
import { Brand, FamousMark, TimeHonored, Trademark } from './models.js';

/** Famous-trademark statuses under which the mark is protected. */
const FAMOUS_PROTECTED = ['重点保护', '一般保护'];

registerMessages({
  'brand.tm.ended': ['已到期，未续展', 'ended, not renewed'],
  'standing.famous.markExpired': [
    '驰名商标：注册商标第{regNo}号已于{date}到期，未见续展，保护状态待核实',
    'Famous trademark: registration {regNo} ended on {date} and has not been renewed; its protection is being reviewed',
  ],
});

/** A registered trademark past its end date: the registration lapses unless renewed (its record's validTo moves on). */
export const markExpired = (tm: { validTo: Date | string }, now: Date) => new Date(tm.validTo).getTime() < now.getTime();

/**
 * Whether a brand is currently a 中华/湖北/武汉老字号 and whether it holds a famous trademark
 * under protection, and since when. The same summary for the brand page, the verify page and
 * the certificate API.
 */
export interface BrandStanding {
  timeHonored: {
    tier: string;
    recognizedYear: number;
    status: string;
    /** 有效 (listed); 复核中 is still listed but under review; 已移出 is not current. */
    current: boolean;
    statusChangedAt: Date | null;
  } | null;
  famous: {
    /** The strongest status among the brand's marks (重点保护 before 一般保护 before 失效). */
    status: string;
    /** Protected, and its registration has not ended unrenewed. */
    current: boolean;
    /**
     * The status says protected, but every registration behind it has passed its end date
     * without renewal: not announced as protected; flagged for a regulator (the due view).
     */
    markExpired: { regNo: string; validTo: Date } | null;
    /** Earliest recognition date among the marks with that status; null when none states one (待补充). */
    since: Date | null;
    /** How much of `since` is known (partial-date.ts): "自2011年认定起", never an invented 1 January. */
    sincePrecision: Precision;
    statusChangedAt: Date | null;
    trademarkRegNos: string[];
  } | null;
}

interface StandingInput {
  timeHonored: { tier: string; recognizedYear: number; status: string; statusChangedAt?: Date | null } | null;
  famous: Array<{ trademarkRegNo: string; recognition: { date?: Date | null; datePrecision?: string | null }; status: string; statusChangedAt?: Date | null }>;
  /** The brand's registered trademarks (at least those of its famous marks), for their end dates. */
  trademarks?: Array<{ regNo: string; validTo: Date | string }>;
}

/**
 * Brand standing from what the brand profile already holds (no further queries). A famous mark
 * whose registration in the trademark registry has ended unrenewed ranks after every protected
 * one: its status is kept, but it is no longer announced as protection.
 */
export function brandStanding(p: StandingInput, now = new Date()): BrandStanding {
  const th = p.timeHonored;
  const ended = new Map((p.trademarks ?? []).filter((tm) => markExpired(tm, now)).map((tm) => [tm.regNo, new Date(tm.validTo)]));
  const lapsed = (f: { status: string; trademarkRegNo: string }) => FAMOUS_PROTECTED.includes(f.status) && ended.has(f.trademarkRegNo);
  const rank = (f: { status: string; trademarkRegNo: string }) => (lapsed(f) ? 2 : f.status === '重点保护' ? 0 : f.status === '一般保护' ? 1 : 3);
  const best = [...p.famous].sort((a, b) => rank(a) - rank(b))[0];
  const same = best ? p.famous.filter((f) => rank(f) === rank(best) && f.status === best.status) : [];
  const bestEnded =
    best && lapsed(best)
      ? same.map((f) => ({ regNo: f.trademarkRegNo, validTo: ended.get(f.trademarkRegNo)! })).sort((a, b) => b.validTo.getTime() - a.validTo.getTime())[0]
      : undefined;
  const since = same
    .flatMap((f) => {
      const d = storedPartial(f.recognition.date, f.recognition.datePrecision);
      return d ? [d] : [];
    })
    .sort(comparePartial)[0];
  return {
    timeHonored: th && {
      tier: th.tier,
      recognizedYear: th.recognizedYear,
      status: th.status,
      current: th.status === '有效' || th.status === '复核中',
      statusChangedAt: th.statusChangedAt ?? null,
    },
    famous: best
      ? {
          status: best.status,
          current: FAMOUS_PROTECTED.includes(best.status) && !bestEnded,
          markExpired: bestEnded ?? null,
          since: since?.date ?? null,
          sincePrecision: since?.precision ?? 'day',
          statusChangedAt: same.map((f) => f.statusChangedAt ?? null).find(Boolean) ?? null,
          trademarkRegNos: same.map((f) => f.trademarkRegNo),
        }
      : null,
  };
}

/** Brand standing for a brand by slug (three small indexed reads), or null for an unknown brand. */
export async function loadBrandStanding(slug: string): Promise<BrandStanding | null> {
  const brand = await Brand.findOne({ slug }, { _id: 1 }).lean();
  if (!brand) return null;
  const [listings, famous] = await Promise.all([
    TimeHonored.find({ brand: brand._id }, { tier: 1, recognizedYear: 1, status: 1, statusChangedAt: 1 }).lean(),
    FamousMark.find({ brand: brand._id }, { trademarkRegNo: 1, recognition: 1, status: 1, statusChangedAt: 1 }).lean(),
  ]);
  // The registrations behind the famous marks (a handful at most), for their end dates.
  const trademarks = famous.length
    ? await Trademark.find({ regNo: mongoose.trusted({ $in: famous.map((f) => f.trademarkRegNo) }) }, { regNo: 1, validTo: 1 }).lean()
    : [];
  // A brand on several lists stands by its principal listing (the highest current tier).
  const timeHonored = sortListings(listings)[0];
  return brandStanding({
    timeHonored: timeHonored ? { ...timeHonored, statusChangedAt: timeHonored.statusChangedAt ?? null } : null,
    famous: famous.map((f) => ({ ...f, statusChangedAt: f.statusChangedAt ?? null })),
    trademarks,
  });
}

/**
 * loadBrandStanding with a short in-process memory, for the verify result page.
 *
 * The verdict itself is always read fresh by number; the standing is the slow-changing part of
 * the page (a 老字号 or famous-mark decision changes a few times a year) and costs three indexed
 * reads, two of them after the first. Remembering it for the page's own max-age (60 s) adds no
 * staleness that a shared cache in front of us could not already add. Bounded: when full, the
 * memory is simply dropped and refilled.
 */
export class BrandStandingCache {
  private readonly entries = new Map<string, { at: number; value: BrandStanding | null }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(opts: { ttlMs?: number; maxEntries?: number; clock?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.clock = opts.clock ?? Date.now;
  }

  async get(slug: string): Promise<BrandStanding | null> {
    const now = this.clock();
    const hit = this.entries.get(slug);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = await loadBrandStanding(slug);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(slug, { at: now, value });
    return value;
  }
}

/** Brand standing as JSON for the API: Chinese labels plus stable booleans. */
export function standingJson(s: BrandStanding | null) {
  if (!s) return null;
  return {
    timeHonored: s.timeHonored && {
      tier: s.timeHonored.tier,
      status: s.timeHonored.status,
      current: s.timeHonored.current,
      recognizedYear: s.timeHonored.recognizedYear,
    },
    famousTrademark: s.famous && {
      status: s.famous.status,
      current: s.famous.current,
      /** The registration behind the standing ended unrenewed: protection under review. */
      registrationEnded: s.famous.markExpired && { regNo: s.famous.markExpired.regNo, validTo: s.famous.markExpired.validTo },
      protectedSince: s.famous.since,
      statusChangedAt: s.famous.current ? null : s.famous.statusChangedAt,
      trademarkRegNos: s.famous.trademarkRegNos,
    },
  };
}

/**
 * Brand standing as a few lines, each with a tone, an icon and its words: whether the brand is a
 * 中华/湖北/武汉老字号 and whether it holds a famous trademark under protection, and since when.
 */
export function standingView(lang: Lang, s: BrandStanding | null) {
  if (!s) return null;
  const items: Array<{ tone: 'ok' | 'info' | 'bad' | 'none'; icon: string; text: string }> = [];
  const th = s.timeHonored;
  if (th && th.status === '有效') {
    items.push({ tone: 'ok', icon: '✓', text: t(lang, 'standing.th.current', { tier: label(lang, th.tier), year: th.recognizedYear }) });
  } else if (th && th.status === '复核中') {
    items.push({ tone: 'info', icon: '!', text: t(lang, 'standing.th.review', { tier: label(lang, th.tier), year: th.recognizedYear }) });
  } else if (th) {
    items.push({ tone: 'bad', icon: '✕', text: t(lang, 'standing.th.removed', { tier: label(lang, th.tier) }) });
  } else {
    items.push({ tone: 'none', icon: '–', text: t(lang, 'standing.th.none') });
  }
  const f = s.famous;
  if (f?.markExpired) {
    items.push({
      tone: 'info',
      icon: '!',
      text: t(lang, 'standing.famous.markExpired', { regNo: f.markExpired.regNo, date: formatDate(lang, f.markExpired.validTo) }),
    });
  } else if (f && f.current) {
    items.push({
      tone: 'ok',
      icon: '✓',
      text: t(lang, 'standing.famous.current', { status: label(lang, f.status), date: formatDate(lang, f.since, f.sincePrecision) }),
    });
  } else if (f) {
    items.push({ tone: 'bad', icon: '✕', text: t(lang, 'standing.famous.lapsed') });
  } else {
    items.push({ tone: 'none', icon: '–', text: t(lang, 'standing.famous.none') });
  }
  return { items };
}
