/**
 * Subscriptions, double opt-in: `subscribe` validates the address and the subject, stores a
 * pending subscription with the hash of a fresh confirmation token and queues the confirmation
 * mail (nothing else is ever sent to a pending subscription); `confirm` takes the token once;
 * `unsubscribe` turns a subscription off for good. Knows nothing of req/res.
 */
import mongoose from 'mongoose';
import { EMAIL_PATTERN } from '../accounts/model.js';
import { AppError, validationFailed, type FieldProblem } from '../platform/errors.js';
import { Brand, Certificate } from '../registries/models.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { confirmationMail, newToken, sha256, type Links } from './mail.js';
import { isKind, Mail, Subscription, type SubscriptionDoc } from './model.js';
import { enqueueMail } from './outbox.js';

/** A pending subscription lapses after this. */
export const CONFIRM_HOURS = 48;
/** Confirmation mails one address gets per day at most, whatever asks for them. */
export const CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3;

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

export interface SubscribeInput {
  email: unknown;
  type: unknown;
  ref: unknown;
  lang: 'zh' | 'en';
}

export interface SubscribeContext {
  links: Omit<Links, 'lang'>;
  now?: Date;
}

/** The subject as the mails name it (a brand's name), or null when there is no such subject. */
async function subjectName(type: string, ref: string): Promise<string | null> {
  if (type === 'brand') {
    if (!BRAND_SLUG.test(ref)) return null;
    const b = await Brand.findOne({ slug: ref }, { name: 1 }).lean<{ name: string }>();
    return b ? b.name : null;
  }
  if (type === 'certificate') {
    if (!/^[0-9A-Z-]{1,32}$/.test(ref)) return null;
    return (await Certificate.exists({ number: ref })) ? ref : null;
  }
  if (type === 'list') return isKind(ref) ? ref : null;
  return null;
}

export type SubscribeOutcome = 'sent' | 'already';

/**
 * Starts a subscription (or restarts a pending or ended one). Throws validation_failed naming
 * the field, or rate_limited when the address has had its confirmations for the day. An address
 * already confirmed gets no new mail (the page says the same either way).
 */
export async function subscribe(input: SubscribeInput, ctx: SubscribeContext): Promise<SubscribeOutcome> {
  const now = ctx.now ?? new Date();
  const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
  const type = typeof input.type === 'string' ? input.type : '';
  const rawRef = typeof input.ref === 'string' ? input.ref.trim() : '';
  const ref = type === 'certificate' ? rawRef.toUpperCase() : rawRef;
  const problems: FieldProblem[] = [];
  if (!email) problems.push(problem('email', '请填写邮箱', 'enter your e-mail address'));
  else if (email.length > 254 || !EMAIL_PATTERN.test(email))
    problems.push(problem('email', '邮箱格式不正确，例如 name@example.com', 'not a valid e-mail address, e.g. name@example.com'));
  if (!['brand', 'certificate', 'list'].includes(type)) problems.push(problem('type', '请选择订阅内容', 'choose what to subscribe to'));
  const name = problems.some((p) => p.field === 'type') ? null : await subjectName(type, ref);
  if (!problems.some((p) => p.field === 'type') && name === null)
    problems.push(problem('ref', '订阅的对象不存在', 'there is no such brand, certificate or list'));
  if (problems.length) throw validationFailed(problems);

  const existing = await Subscription.findOne({ email, type: type as SubscriptionDoc['type'], ref }).lean<SubscriptionDoc>();
  if (existing?.status === 'confirmed') return 'already';
  const since = new Date(now.getTime() - 86_400_000);
  const sentToday = await Mail.collection.countDocuments({ to: email, kind: 'confirm', createdAt: { $gt: since } });
  if (sentToday >= CONFIRMATIONS_PER_ADDRESS_PER_DAY) {
    throw new AppError('rate_limited', '该邮箱今天已收到多封确认邮件，请查收或明天再试', {
      messageEn: 'This address has had several confirmation mails today; check the inbox or try again tomorrow',
    });
  }
  const token = newToken();
  const hash = sha256(token);
  const sub = await Subscription.findOneAndUpdate(
    { email, type: type as SubscriptionDoc['type'], ref },
    {
      $set: { status: 'pending', confirmHash: hash, expiresAt: new Date(now.getTime() + CONFIRM_HOURS * 3_600_000), lang: input.lang, unsubscribedAt: null },
      $setOnInsert: { email, type, ref, confirmedAt: null },
    },
    { upsert: true, returnDocument: 'after' },
  ).lean<SubscriptionDoc>();
  const mail = confirmationMail(
    { ...ctx.links, lang: input.lang },
    { type: type as SubscriptionDoc['type'], ref },
    token,
    type === 'brand' ? name! : undefined,
    CONFIRM_HOURS,
  );
  await enqueueMail({ key: `confirm:${String(sub!._id)}:${hash.slice(0, 16)}`, kind: 'confirm', to: email, ...mail }, ctx.links.base, now);
  return 'sent';
}

/** A pending subscription the token confirms (it exists and has not lapsed), or null. */
export async function findPending(token: string, now = new Date()): Promise<SubscriptionDoc | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  return Subscription.findOne({ confirmHash: sha256(token), status: 'pending', expiresAt: mongoose.trusted({ $gt: now }) }).lean<SubscriptionDoc>();
}

/** Confirms once: the token's hash is cleared in the same update, so a second use finds nothing. */
export async function confirm(token: string, now = new Date()): Promise<SubscriptionDoc | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  return Subscription.findOneAndUpdate(
    { confirmHash: sha256(token), status: 'pending', expiresAt: mongoose.trusted({ $gt: now }) },
    { $set: { status: 'confirmed', confirmHash: null, expiresAt: null, confirmedAt: now } },
    { returnDocument: 'after' },
  ).lean<SubscriptionDoc>();
}

export async function findSubscription(id: string): Promise<SubscriptionDoc | null> {
  return mongoose.isValidObjectId(id) ? Subscription.findById(id).lean<SubscriptionDoc>() : null;
}

/** Turns the subscription off (repeating it is harmless); false when there is none. */
export async function unsubscribe(id: string, now = new Date()): Promise<boolean> {
  if (!mongoose.isValidObjectId(id)) return false;
  const res = await Subscription.updateOne(
    { _id: id, status: mongoose.trusted({ $ne: 'unsubscribed' }) },
    { $set: { status: 'unsubscribed', unsubscribedAt: now, confirmHash: null, expiresAt: null } },
  );
  return res.matchedCount > 0 || (await Subscription.exists({ _id: id })) !== null;
}
