/**
 * The alerts' collections. None of them is a registry entry (no change log, no search):
 *
 * - `alert_subscriptions`: who wants to hear about what (a brand, a certificate, a list, or the
 *   regulators' daily digest), double opt-in: `pending` until the address confirms, with only the
 *   SHA-256 of the confirmation token stored and an `expiresAt` after which boot's sweeper removes
 *   it; `confirmed`; `unsubscribed` (kept, so a later alert finds it off).
 * - `alert_items`: what a subscription is to be told, one document per (trigger, subscription),
 *   its `_id` naming both, so producing the same trigger twice is one item. Items are gathered
 *   into one mail per subscription per pass (`batch`, then `mailed`).
 * - `alert_mails`: the outbox. Every mail is a document first (rendered subject, text and html,
 *   the recipient, a stable Message-ID, its `_id` the idempotency key), then the sender claims,
 *   sends and marks it (src/alerts/outbox.ts, docs/decisions/0018-mail-outbox.md).
 * - `alert_cursors`: how far the alerts have read the change log.
 */
import mongoose, { Schema, type Model } from 'mongoose';
import type { Expiring } from '../platform/db/index.js';
import { KINDS, type Kind } from '../registries/reference.js';

export const TARGET_TYPES = ['brand', 'certificate', 'list', 'digest'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export const SUBSCRIPTION_STATUSES = ['pending', 'confirmed', 'unsubscribed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export interface SubscriptionDoc {
  _id: mongoose.Types.ObjectId;
  email: string;
  type: TargetType;
  /** The brand's slug, the certificate's number, the list's kind, or the regulator's user id. */
  ref: string;
  /** The page language at subscription (links in mails keep it). */
  lang: 'zh' | 'en';
  status: SubscriptionStatus;
  /** SHA-256 (hex) of the confirmation token; null once confirmed. */
  confirmHash: string | null;
  /** A pending subscription is removed after this (boot's ExpirySweeper); null once confirmed. */
  expiresAt: Date | null;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const subscriptionSchema = new Schema<SubscriptionDoc>(
  {
    email: { type: String, required: true, lowercase: true, trim: true, maxlength: 254 },
    type: { type: String, required: true, enum: TARGET_TYPES },
    ref: { type: String, required: true, maxlength: 80 },
    lang: { type: String, required: true, enum: ['zh', 'en'], default: 'zh' },
    status: { type: String, required: true, enum: SUBSCRIPTION_STATUSES },
    confirmHash: { type: String, default: null },
    expiresAt: { type: Date, default: null },
    confirmedAt: { type: Date, default: null },
    unsubscribedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false, strict: 'throw', collection: 'alert_subscriptions' },
);
// One subscription per address and subject; the triggers look subscribers up by subject.
subscriptionSchema.index({ email: 1, type: 1, ref: 1 }, { unique: true });
subscriptionSchema.index({ type: 1, ref: 1, status: 1 });
subscriptionSchema.index({ confirmHash: 1 });
subscriptionSchema.index({ expiresAt: 1 });

export const Subscription: Model<SubscriptionDoc> =
  mongoose.models.AlertSubscription ?? mongoose.model<SubscriptionDoc>('AlertSubscription', subscriptionSchema);

/** For boot's ExpirySweeper: unconfirmed subscriptions end at `expiresAt`. */
export const SUBSCRIPTION_EXPIRY: Expiring = { collection: 'alert_subscriptions', field: 'expiresAt' };

/** What an item says, by trigger. Rendered into the mail when its batch is composed. */
export type ItemPayload =
  | { kind: 'status'; entryKind: Kind; brandName: string; brandSlug: string; identifier: string; from: string; to: string; reason: string; at: Date }
  | { kind: 'listing'; entryKind: Kind; count: number; names: Array<{ name: string; slug: string }> }
  | { kind: 'expiry'; number: string; product: string; brandName: string; validUntil: Date };

export interface ItemDoc {
  /** `<trigger>|<subscription id>`: a trigger produced twice is one item. */
  _id: string;
  subscription: mongoose.Types.ObjectId;
  payload: ItemPayload;
  /** The mail this item goes out in (its `_id`), once gathered; null before. */
  batch: string | null;
  /** Its mail is in the outbox. */
  mailed: boolean;
  createdAt: Date;
}

const itemSchema = new Schema<ItemDoc>(
  {
    _id: { type: String, required: true },
    subscription: { type: Schema.Types.ObjectId, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    batch: { type: String, default: null },
    mailed: { type: Boolean, default: false },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, collection: 'alert_items' },
);
itemSchema.index({ mailed: 1, subscription: 1 });
itemSchema.index({ batch: 1 });

export const AlertItem: Model<ItemDoc> = mongoose.models.AlertItem ?? mongoose.model<ItemDoc>('AlertItem', itemSchema);

export const MAIL_STATUSES = ['queued', 'sending', 'sent', 'dead'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];
/** `workflow`: a workflow's own messages (an enterprise account's verification, a returned application), queued through Alerts.send. */
export const MAIL_KINDS = ['confirm', 'alert', 'digest', 'workflow'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export interface MailDoc {
  /** The idempotency key: `confirm:<subscription>:<nonce>`, `batch:<…>`, `digest:<user>:<day>`. */
  _id: string;
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable across every attempt, so a resend is recognisable as the same message. */
  messageId: string;
  /** Extra headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers: Record<string, string>;
  status: MailStatus;
  attempts: number;
  /** A queued mail is not claimed before this. */
  nextAttemptAt: Date;
  /** A `sending` mail whose lease has passed is claimed again (its sender died). */
  leaseUntil: Date | null;
  /** Which claim holds it: only that claim may mark it sent or failed. */
  claim: string | null;
  lastError: string;
  /** Where the file transport wrote it (no SMTP_URL). */
  file: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

const mailSchema = new Schema<MailDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true, enum: MAIL_KINDS },
    to: { type: String, required: true },
    subject: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String, required: true },
    messageId: { type: String, required: true },
    headers: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, required: true, enum: MAIL_STATUSES },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    leaseUntil: { type: Date, default: null },
    claim: { type: String, default: null },
    lastError: { type: String, default: '' },
    file: { type: String, default: null },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false, collection: 'alert_mails' },
);
mailSchema.index({ status: 1, nextAttemptAt: 1 });
mailSchema.index({ status: 1, leaseUntil: 1 });
mailSchema.index({ to: 1, kind: 1, createdAt: -1 });
mailSchema.index({ createdAt: -1 });

export const Mail: Model<MailDoc> = mongoose.models.AlertMail ?? mongoose.model<MailDoc>('AlertMail', mailSchema);

interface CursorDoc {
  _id: string;
  /** The last change read: its `appliedAt` and `_id` (changes are read in that order). */
  appliedAt: Date;
  changeId: string;
  updatedAt: Date;
}
const cursorSchema = new Schema<CursorDoc>(
  { _id: { type: String, required: true }, appliedAt: { type: Date, required: true }, changeId: { type: String, default: '' }, updatedAt: { type: Date } },
  { versionKey: false, collection: 'alert_cursors' },
);
export const AlertCursor: Model<CursorDoc> = mongoose.models.AlertCursor ?? mongoose.model<CursorDoc>('AlertCursor', cursorSchema);

export const isKind = (v: unknown): v is Kind => typeof v === 'string' && (KINDS as readonly string[]).includes(v);
