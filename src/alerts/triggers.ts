/**
 * What produces alerts, and the pass that turns them into mails:
 *
 * - the change log, read from the alerts' own cursor (`alert_cursors`) in (appliedAt, _id)
 *   order: a status change of an entry → an item for each confirmed subscriber of its brand (and,
 *   for a certificate, of that certificate); a new entry (create or bulk insert) → an item for
 *   each confirmed subscriber of its list. The cursor is not a change-log flag: the alerts are a
 *   feature, not a kernel subscriber, and must never hold up compaction or /readyz. A change is
 *   read once the writer has settled it and `settleMs` has passed (so a settle still in flight
 *   at the cursor's edge is not skipped); items are keyed by (change, subscription), so a pass
 *   that crashes before moving the cursor produces nothing twice when it runs again.
 * - a daily pass over confirmed certificate subscriptions: a certificate in force whose
 *   validUntil is within 30 days → one item per (certificate, validUntil, subscription), so a
 *   renewed certificate is announced again, an unrenewed one once.
 * - the regulators' daily digest of due items (counts and first entries, read from the kernel's
 *   models like the back office's due view) to every enabled editor and administrator, one mail
 *   per user and day, each with its own unsubscribe link.
 *
 * `compose` gathers each subscription's waiting items into one mail (a batch id is set on the
 * items first, and the mail's key is that id, so a crash between the two repeats the same mail
 * key and the outbox keeps one).
 */
import mongoose from 'mongoose';
import { User } from '../accounts/model.js';
import { findByIds } from '../platform/db/index.js';
import { Change, onChangeApplied, registerChangeReader, type ChangeDoc } from '../registries/changes.js';
import { entryModel, kindOfModel } from '../registries/kinds.js';
import { Brand, Certificate, FamousMark, TimeHonored, Trademark } from '../registries/models.js';
import type { Kind } from '../registries/reference.js';
import { alertMail, digestMail, unsubscribeHeaders, unsubscribeHref, type DigestGroup } from './mail.js';
import { AlertCursor, AlertItem, Mail, Subscription, type ItemDoc, type ItemPayload, type SubscriptionDoc } from './model.js';
import { enqueueMail } from './outbox.js';

const CURSOR = 'changes';
/** Changes one pass reads at most. */
const BATCH = 500;
/** Entries named in a new-listings item (the rest are counted). */
const NAMED = 20;
const DAY = 86_400_000;
/** Certificates expiring within this many days are announced to their subscribers. */
export const EXPIRY_DAYS = 30;
/** The due view's horizon, for the digest. */
const DUE_DAYS = 90;
/** Mailed items are kept this long (longer than EXPIRY_DAYS, so an expiry is announced once). */
const ITEM_RETENTION_DAYS = 45;
/** Sent mails are kept this long for /admin/outbox. */
const MAIL_RETENTION_DAYS = 90;
/** The digest goes out on the first daily pass after this hour, Beijing time. */
const DIGEST_HOUR = 7;

export interface ProducerLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ProducerOptions {
  base: string;
  secret: string;
  log: ProducerLog;
  /** How long after a change settled it is read (ms). */
  settleMs?: number;
  /** Timer for the change log (writes of other processes) and the composer (ms). */
  pollMs?: number;
  /** How often the daily passes look whether today's work is done (ms). */
  dailyEveryMs?: number;
  /** Told when mails were queued (the sender wakes up). */
  onQueued?: () => void;
}

const isDuplicate = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;

/** Inserts items; ones already there (same trigger, same subscription) are left as they are. */
async function addItems(items: ItemDoc[]): Promise<void> {
  if (!items.length) return;
  try {
    await AlertItem.collection.insertMany(items as never[], { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
    const all = Array.isArray(writeErrors) ? writeErrors : [err];
    if (!all.every((e) => isDuplicate(e) || (typeof e === 'object' && e !== null && 'err' in e && isDuplicate((e as { err: unknown }).err)))) {
      if (!isDuplicate(err)) throw err;
    }
  }
}

/**
 * The confirmed subscriptions of these subjects; with `settledAt`, only those confirmed by then:
 * a change is news only to whoever had subscribed when it happened.
 */
async function confirmedOf(type: SubscriptionDoc['type'], refs: string[], settledAt?: Date) {
  if (!refs.length) return [];
  const subs = await Subscription.find({ type, ref: mongoose.trusted({ $in: refs }), status: 'confirmed' }, { _id: 1, ref: 1, confirmedAt: 1 }).lean<
    Array<Pick<SubscriptionDoc, '_id' | 'ref' | 'confirmedAt'>>
  >();
  return settledAt ? subs.filter((s) => s.confirmedAt && new Date(s.confirmedAt).getTime() <= settledAt.getTime()) : subs;
}

const itemsFor = (trigger: string, subs: Array<Pick<SubscriptionDoc, '_id'>>, payload: ItemPayload, now: Date): ItemDoc[] =>
  subs.map((s) => ({ _id: `${trigger}|${String(s._id)}`, subscription: s._id, payload, batch: null, mailed: false, createdAt: now }));

/** The identifier a status line names: a certificate's number, a famous mark's registration, a tier. */
const identifierOf = (kind: Kind, e: Record<string, unknown>) =>
  String((kind === 'certified' ? e.number : kind === 'famous' ? e.trademarkRegNo : kind === 'time-honored' ? e.tier : '') ?? '');

export class AlertProducer {
  private timer: NodeJS.Timeout | null = null;
  private dailyTimer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private dailyRunning: Promise<void> | null = null;
  private stopped = true;
  private dueAt = 0;
  private unsubscribe: (() => void) | null = null;
  private unregisterReader: (() => void) | null = null;
  private readonly settleMs: number;
  private readonly pollMs: number;
  lastError: string | null = null;

  constructor(private readonly o: ProducerOptions) {
    this.settleMs = o.settleMs ?? 5_000;
    this.pollMs = o.pollMs ?? 15_000;
  }

  /** Starts the cursor at `now` when there is none: alerts are about what happens from here on. */
  async init(now = new Date()): Promise<void> {
    await AlertCursor.updateOne({ _id: CURSOR }, { $setOnInsert: { appliedAt: now, changeId: '', updatedAt: now } }, { upsert: true });
  }

  /** Reads the change log from the cursor and produces items; returns how many changes it read. */
  async changesPass(now = new Date()): Promise<number> {
    await this.init(now);
    const cursor = (await AlertCursor.findById(CURSOR).lean())!;
    const upper = new Date(now.getTime() - this.settleMs);
    const changes = (await Change.collection
      .find({
        appliedAt: { $lte: upper },
        $or: [{ appliedAt: { $gt: cursor.appliedAt } }, { appliedAt: cursor.appliedAt, _id: { $gt: cursor.changeId } }],
      } as never)
      .sort({ appliedAt: 1, _id: 1 })
      .limit(BATCH)
      .toArray()) as unknown as ChangeDoc[];
    if (!changes.length) return 0;
    for (const c of changes) if (c.status === 'applied') await this.produceFor(c, now);
    const last = changes[changes.length - 1]!;
    // Forward only: another instance may have read further already.
    await AlertCursor.collection.updateOne(
      {
        _id: CURSOR,
        $or: [{ appliedAt: { $lt: last.appliedAt } }, { appliedAt: last.appliedAt, changeId: { $lt: last._id } }],
      } as never,
      { $set: { appliedAt: last.appliedAt, changeId: last._id, updatedAt: now } },
    );
    return changes.length;
  }

  private async produceFor(c: ChangeDoc, now: Date): Promise<void> {
    const kind = kindOfModel(c.model);
    if (!kind) return;
    if (c.op === 'update' && c.action === 'status' && c.entryId) {
      const [entry] = await findByIds<Record<string, unknown>>(entryModel(kind), [c.entryId], 'brand number trademarkRegNo tier');
      if (!entry) return;
      const [brand] = await findByIds<{ _id: unknown; slug: string; name: string }>(Brand, [entry.brand], 'slug name');
      if (!brand) return;
      const identifier = identifierOf(kind, entry);
      const settled = c.appliedAt ?? undefined;
      const subs = [
        ...(await confirmedOf('brand', [brand.slug], settled)),
        ...(kind === 'certified' ? await confirmedOf('certificate', [identifier], settled) : []),
      ];
      if (!subs.length) return;
      const payload: ItemPayload = {
        kind: 'status',
        entryKind: kind,
        brandName: brand.name,
        brandSlug: brand.slug,
        identifier,
        from: String(c.before.status ?? ''),
        to: String(c.set.status ?? ''),
        reason: c.reason,
        at: c.at,
      };
      await addItems(itemsFor(`status:${c._id}`, subs, payload, now));
      return;
    }
    if (c.op === 'create' || c.op === 'bulk') {
      const subs = await confirmedOf('list', [kind], c.appliedAt ?? undefined);
      if (!subs.length) return;
      const ids = c.op === 'bulk' ? c.entryIds : c.entryId ? [c.entryId] : [];
      if (!ids.length) return;
      const entries = await findByIds<{ brand: unknown }>(entryModel(kind), ids.slice(0, NAMED), 'brand');
      const brands = await findByIds<{ _id: unknown; slug: string; name: string }>(
        Brand,
        entries.map((e) => e.brand),
        'slug name',
      );
      const payload: ItemPayload = { kind: 'listing', entryKind: kind, count: ids.length, names: brands.map((b) => ({ name: b.name, slug: b.slug })) };
      await addItems(itemsFor(`listing:${c._id}`, subs, payload, now));
    }
  }

  /** Certificates in force expiring within EXPIRY_DAYS, for their confirmed subscribers. */
  async expiryPass(now = new Date()): Promise<number> {
    const subs = await Subscription.find({ type: 'certificate', status: 'confirmed' }, { _id: 1, ref: 1 }).lean<Array<Pick<SubscriptionDoc, '_id' | 'ref'>>>();
    if (!subs.length) return 0;
    const certs = await Certificate.find({
      number: mongoose.trusted({ $in: [...new Set(subs.map((s) => s.ref))] }),
      status: '有效',
      validUntil: mongoose.trusted({ $gte: now, $lte: new Date(now.getTime() + EXPIRY_DAYS * DAY) }),
    })
      .select('number product brand validUntil')
      .lean<Array<{ _id: unknown; number: string; product: string; brand: unknown; validUntil: Date }>>();
    if (!certs.length) return 0;
    const brands = new Map(
      (
        await findByIds<{ _id: unknown; name: string }>(
          Brand,
          certs.map((c) => c.brand),
          'name',
        )
      ).map((b) => [String(b._id), b.name]),
    );
    const items = certs.flatMap((c) =>
      itemsFor(
        `expiry:${String(c._id)}:${new Date(c.validUntil).getTime()}`,
        subs.filter((s) => s.ref === c.number),
        { kind: 'expiry', number: c.number, product: c.product, brandName: brands.get(String(c.brand)) ?? '—', validUntil: c.validUntil },
        now,
      ),
    );
    await addItems(items);
    return items.length;
  }

  /** What the due view counts, from the kernel's models: each group's count and first numbers. */
  private async dueGroups(now: Date): Promise<DigestGroup[]> {
    const horizon = new Date(now.getTime() + DUE_DAYS * DAY);
    // The driver's collections: filters we build ourselves, no sanitising wrapper to satisfy.
    const group = async (zh: string, en: string, coll: mongoose.Collection, filter: Record<string, unknown>, field: string, sort: string) => {
      const [count, first] = await Promise.all([
        coll.countDocuments(filter),
        coll
          .find(filter)
          .project({ [field]: 1 })
          .sort({ [sort]: 1 })
          .limit(5)
          .toArray(),
      ]);
      return { zh, en, count, sample: first.map((x) => String(x[field] ?? '')) };
    };
    return Promise.all([
      group(
        `${DUE_DAYS} 天内到期的证书`,
        `Certificates expiring within ${DUE_DAYS} days`,
        Certificate.collection,
        { status: '有效', validUntil: { $gte: now, $lte: horizon } },
        'number',
        'validUntil',
      ),
      group(
        '已过有效期仍为“有效”的证书',
        'Certificates past valid-until still stored as in force',
        Certificate.collection,
        { status: '有效', validUntil: { $lt: now } },
        'number',
        'validUntil',
      ),
      group(
        `${DUE_DAYS} 天内到期的注册商标`,
        `Trademarks expiring within ${DUE_DAYS} days`,
        Trademark.collection,
        { validTo: { $gte: now, $lte: horizon } },
        'regNo',
        'validTo',
      ),
      group(
        '已过复核日期的驰名商标',
        'Famous marks past their review date',
        FamousMark.collection,
        { status: { $ne: '失效' }, nextReviewAt: { $lt: now } },
        'trademarkRegNo',
        'nextReviewAt',
      ),
      group('复核中的老字号', 'Time-honored brands under review', TimeHonored.collection, { status: '复核中' }, 'tier', 'statusChangedAt'),
    ]);
  }

  /** The digest of the day (Beijing time) to every enabled editor and admin, once a day each. */
  async digestPass(now = new Date(), o: { anyHour?: boolean } = {}): Promise<number> {
    const local = new Date(now.getTime() + 8 * 3_600_000);
    if (!o.anyHour && local.getUTCHours() < DIGEST_HOUR) return 0;
    const today = local.toISOString().slice(0, 10);
    const users = await User.find({ role: mongoose.trusted({ $in: ['editor', 'admin'] }), disabled: mongoose.trusted({ $ne: true }) }, { email: 1 }).lean<
      Array<{ _id: mongoose.Types.ObjectId; email: string }>
    >();
    if (!users.length) return 0;
    const groups = await this.dueGroups(now);
    if (groups.every((g) => g.count === 0)) return 0;
    let queued = 0;
    for (const u of users) {
      // Staff are subscribed by their role; the subscription is what remembers an unsubscribe.
      const sub = await Subscription.findOneAndUpdate(
        { email: u.email, type: 'digest', ref: String(u._id) },
        { $setOnInsert: { email: u.email, type: 'digest', ref: String(u._id), lang: 'zh', status: 'confirmed', confirmedAt: now } },
        { upsert: true, returnDocument: 'after' },
      ).lean<SubscriptionDoc>();
      if (!sub || sub.status !== 'confirmed') continue;
      const href = unsubscribeHref({ base: this.o.base }, this.o.secret, String(sub._id));
      const mail = digestMail({ base: this.o.base, lang: 'zh' }, groups, href, today);
      if (
        await enqueueMail(
          { key: `digest:${String(u._id)}:${today}`, kind: 'digest', to: u.email, ...mail, headers: unsubscribeHeaders(href) },
          this.o.base,
          now,
        )
      )
        queued++;
    }
    return queued;
  }

  /** Gathers each subscription's waiting items into one mail; returns how many mails it queued. */
  async compose(now = new Date()): Promise<number> {
    const waiting = (await AlertItem.collection.distinct('subscription', { mailed: false, batch: null })) as mongoose.Types.ObjectId[];
    for (const sub of waiting) {
      await AlertItem.collection.updateMany(
        { subscription: sub, mailed: false, batch: null },
        { $set: { batch: `alert:${String(sub)}:${new mongoose.Types.ObjectId().toString()}` } },
      );
    }
    const batches = (await AlertItem.collection.distinct('batch', { mailed: false, batch: { $ne: null } })) as string[];
    let queued = 0;
    for (const batch of batches) {
      const items = (await AlertItem.collection.find({ batch }).sort({ createdAt: 1, _id: 1 }).toArray()) as unknown as ItemDoc[];
      const first = items[0];
      if (!first) continue;
      const sub = await Subscription.findById(first.subscription).lean<SubscriptionDoc>();
      // Unsubscribed (or gone) since the items were made: they are dropped, never sent.
      if (sub && sub.status === 'confirmed') {
        const href = unsubscribeHref({ base: this.o.base }, this.o.secret, String(sub._id));
        const name = sub.type === 'brand' ? items.find((i) => i.payload.kind === 'status')?.payload : undefined;
        const mail = alertMail(
          { base: this.o.base, lang: sub.lang },
          sub,
          items.map((i) => i.payload),
          href,
          name && name.kind === 'status' ? name.brandName : undefined,
        );
        if (await enqueueMail({ key: batch, kind: 'alert', to: sub.email, ...mail, headers: unsubscribeHeaders(href) }, this.o.base, now)) queued++;
      }
      await AlertItem.collection.updateMany({ batch }, { $set: { mailed: true } });
    }
    return queued;
  }

  /** The change log until nothing waits, then the composer; returns the mails queued. */
  runOnce(now?: Date): Promise<number> {
    this.running ??= (async () => {
      while ((await this.changesPass(now ?? new Date())) >= BATCH) {
        // A long backlog: keep reading.
      }
      const queued = await this.compose(now);
      if (queued) this.o.onQueued?.();
      return queued;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * Removes what nobody reads any more: items mailed ITEM_RETENTION_DAYS ago, and sent mails after
   * MAIL_RETENTION_DAYS (the admins' outbox history). Dead letters stay until an admin retries them.
   * An item removed while its trigger is still current (a certificate expiring) is not re-announced:
   * the retention is longer than the 30-day window.
   */
  async prune(now = new Date()): Promise<void> {
    await AlertItem.collection.deleteMany({ mailed: true, createdAt: { $lt: new Date(now.getTime() - ITEM_RETENTION_DAYS * DAY) } });
    await Mail.collection.deleteMany({ status: 'sent', createdAt: { $lt: new Date(now.getTime() - MAIL_RETENTION_DAYS * DAY) } });
  }

  /** The daily passes (expiry, digest, pruning), then the composer. Safe to run any number of times a day. */
  daily(now = new Date()): Promise<void> {
    this.dailyRunning ??= (async () => {
      await this.prune(now);
      await this.expiryPass(now);
      const digests = await this.digestPass(now);
      const queued = await this.compose(now);
      if (digests + queued) this.o.onQueued?.();
    })().finally(() => {
      this.dailyRunning = null;
    });
    return this.dailyRunning;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.init();
    // Compaction keeps the changes the alerts have not read yet (a stalled sender loses none).
    this.unregisterReader = registerChangeReader('alerts', async () => (await AlertCursor.findById(CURSOR).select('appliedAt').lean())?.appliedAt ?? null);
    // A change settled here is read once settleMs has passed.
    this.unsubscribe = onChangeApplied(() => this.schedule(this.settleMs + 50));
    this.schedule(this.pollMs);
    const daily = (delay: number) => {
      this.dailyTimer = setTimeout(() => {
        void this.daily()
          .catch((err: unknown) => this.fail(err))
          .finally(() => {
            if (!this.stopped) daily(this.o.dailyEveryMs ?? 3_600_000);
          });
      }, delay);
      this.dailyTimer.unref();
    };
    daily(60_000);
  }

  private fail(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    this.o.log.warn({ err }, 'alerts: a pass failed; will retry');
  }

  /** Sets the timer to `delay`, unless it is already set to fire sooner (so steady writes never starve it). */
  private schedule(delay: number): void {
    if (this.stopped) return;
    const at = Date.now() + delay;
    if (this.timer && this.dueAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce()
        .then(() => {
          this.lastError = null;
        })
        .catch((err: unknown) => this.fail(err))
        .finally(() => this.schedule(this.pollMs));
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unregisterReader?.();
    this.unregisterReader = null;
    if (this.timer) clearTimeout(this.timer);
    if (this.dailyTimer) clearTimeout(this.dailyTimer);
    this.timer = this.dailyTimer = null;
    await Promise.all([this.running?.catch(() => undefined), this.dailyRunning?.catch(() => undefined)]);
  }
}
