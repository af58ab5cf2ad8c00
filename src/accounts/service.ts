/**
 * Accounts: creating them, signing in (with a back-off per account and source after repeated
 * failures, docs/decisions/0011), changing a password, and an administrator's changes to other
 * accounts. Knows nothing of req/res; every
 * account event is written to the audit trail here, so the pages, the CLI and the demo script
 * are audited alike. The functions that record an event take the recorder first (`audit`: the
 * trail boot made, or a script's own ChainWriter).
 */
import argon2 from 'argon2';
import mongoose from 'mongoose';
import { ipKeyGenerator } from 'express-rate-limit';
import { randomBytes } from 'node:crypto';
import { DUTIES, dutiesOf, ROLE_RANK, ROLES, type Duty, type Role } from './roles.js';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { KeyedQueue } from '../platform/concurrency.js';
import { errorCode, isOneOf } from '../platform/guards.js';
import { incrementOne, type Expiring } from '../platform/db/index.js';
import { fieldProblemsFrom } from '../registries/service.js';
import { publicUser, User, type PublicUser, type UserDoc } from './model.js';

/**
 * argon2id at OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 30–60 ms here,
 * cheap enough for a 2-core server under a login rate limit, costly for an offline attacker.
 * Hashes made with other settings are upgraded at the next successful sign-in.
 */
export const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const PASSWORD_MIN = 12;
/** An upper bound keeps one request from making the server hash megabytes. */
export const PASSWORD_MAX = 256;

/**
 * Why a sign-in failed (for the audit trail): `locked` — this (account, source) pair is backed off;
 * `rate_limited` — the source is over its limit of failures and has failed for this account;
 * `account_throttled` — the account is over its hourly ceiling and the source is not known for it.
 */
export type FailureReason = 'bad_password' | 'locked' | 'disabled' | 'unknown' | 'rate_limited' | 'account_throttled';
/** A failure with `retryAt` is a back-off: no password is judged for this pair before then. */
export type AuthResult = { ok: true; user: PublicUser } | { ok: false; reason: FailureReason; retryAt?: Date };

/** The sign-in back-off (docs/decisions/0011; LOGIN_* in the config). */
export interface LockoutPolicy {
  /** Failures in a row of one (account, source) pair before the pair is backed off. */
  maxFailures: number;
  /** The pair's first back-off, in minutes; each further failure doubles it. */
  lockMinutes: number;
  /** The longest back-off, in minutes. */
  maxLockMinutes: number;
  /** Failures per account per clock hour (all sources) above which only known sources are heard. */
  accountFailuresPerHour: number;
  /** How long a source that signed in successfully stays known for the account, in days. */
  knownSourceDays: number;
}

/** Who is signing in, as far as the back-off is concerned. */
export interface AttemptSource {
  /** The client's address as a key (`sourceKey(req.ip)`). */
  source: string;
  /**
   * The source is over its limit of failed sign-ins (RATE_LIMIT_LOGIN_PER_15MIN): it is refused for
   * accounts it has failed for, and still judged for the others.
   */
  addressLimited?: boolean;
}

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed stored hash is a failed sign-in, not a 500
  }
}

// Verified against when the e-mail is unknown, so an unknown address costs the same time as a
// wrong password and response times do not reveal which accounts exist.
let dummyHash: Promise<string> | null = null;
const dummy = () => (dummyHash ??= hashPassword(randomBytes(18).toString('base64')));

/** Password rules: 12 to 256 characters and not the e-mail address. Field problems, if any. */
export function passwordProblems(password: unknown, email: string, field = 'password'): FieldProblem[] {
  if (typeof password !== 'string' || password.length === 0) return [problem(field, '请填写密码', 'password is required')];
  const length = [...password].length;
  if (length < PASSWORD_MIN) return [problem(field, `密码至少需要${PASSWORD_MIN}个字符`, `password must be at least ${PASSWORD_MIN} characters`)];
  if (length > PASSWORD_MAX) return [problem(field, `密码不能超过${PASSWORD_MAX}个字符`, `password is at most ${PASSWORD_MAX} characters`)];
  if (normalizeEmail(password) === normalizeEmail(email)) return [problem(field, '密码不能与邮箱相同', 'password must not be the e-mail address')];
  return [];
}

export interface NewUser {
  email: string;
  name?: string;
  role: string;
  password: string;
}

/** Creates an account; field problems (email, name, role, password) come back as validation_failed. */
export async function createUser(audit: EventRecorder, input: NewUser, actor: string): Promise<PublicUser> {
  const email = normalizeEmail(String(input.email ?? ''));
  const doc = new User({ email, name: input.name ?? '', role: input.role, passwordHash: 'pending' });
  const invalid = await doc.validate().then(
    () => null,
    (err: unknown) => err,
  );
  const problems = [...(fieldProblemsFrom(invalid) ?? []), ...passwordProblems(input.password, email)];
  if (problems.length) throw validationFailed(problems);
  doc.passwordHash = await hashPassword(input.password);
  try {
    await doc.save();
  } catch (err) {
    if (errorCode(err) === 11000) throw validationFailed([problem('email', '该邮箱已有账户', 'an account with this e-mail already exists')]);
    throw err;
  }
  await audit.record({ action: 'account_create', actor, subject: email, detail: { role: doc.role, name: doc.name } });
  return publicUser(doc);
}

/**
 * Sign-in throttling state, one small collection (docs/decisions/0011):
 * - `pair:<email>|<source>` — one (account, source) pair: `failures` in a row (claimed before each
 *   judgement), `locks` so far (the exponent of the back-off), `lockedUntil`;
 * - `account:<email>@<hour start>` — the account's failures in one clock hour, from every source;
 * - `known:<email>|<source>` — the source signed in to the account successfully.
 * Keyed by the e-mail as typed (normalised), whether or not an account has it, so unknown
 * addresses are throttled exactly like known ones. Every document ends at `expiresAt`.
 */
export const SIGN_IN_THROTTLE_COLLECTION = 'sign_in_throttle';

/** For boot's ExpirySweeper. */
export const SIGN_IN_THROTTLE_EXPIRY: Expiring = { collection: SIGN_IN_THROTTLE_COLLECTION, field: 'expiresAt' };

interface PairDoc {
  _id: string;
  kind: 'pair';
  email: string;
  source: string;
  failures: number;
  locks: number;
  lockedUntil: Date | null;
  expiresAt: Date;
}
interface CountDoc {
  _id: string;
  kind: 'account';
  email: string;
  hits: number;
  expiresAt: Date;
}
interface KnownDoc {
  _id: string;
  kind: 'known';
  email: string;
  source: string;
  expiresAt: Date;
}
type ThrottleDoc = PairDoc | CountDoc | KnownDoc;

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

// The driver's collection: what is stored is what is read (no casting), and no query is built from
// raw input (every filter below is built here from normalised strings and dates).
function throttle<T extends ThrottleDoc = ThrottleDoc>() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('sign-in throttle: the database is not connected');
  return db.collection<T>(SIGN_IN_THROTTLE_COLLECTION);
}
const pairs = () => throttle<PairDoc>();

/**
 * The key of a client address: IPv4 as it is, IPv6 by its /64 (one host or one network, which
 * its holder can fill with addresses at will), IPv4-mapped IPv6 as IPv4.
 */
export function sourceKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  try {
    return ipKeyGenerator(ip, 64);
  } catch {
    return ip.slice(0, 64);
  }
}

const pairId = (email: string, source: string) => `pair:${email}|${source}`;
const knownId = (email: string, source: string) => `known:${email}|${source}`;
function accountWindow(email: string, now: Date) {
  const start = Math.floor(now.getTime() / HOUR) * HOUR;
  return { id: `account:${email}@${start}`, end: new Date(start + HOUR) };
}

/** How long the `level`-th back-off (0 first) lasts: the base, doubled per level, capped. */
export function backoffMs(policy: Pick<LockoutPolicy, 'lockMinutes' | 'maxLockMinutes'>, level: number): number {
  const cap = Math.max(policy.lockMinutes, policy.maxLockMinutes) * 60_000;
  return Math.min(policy.lockMinutes * 60_000 * 2 ** Math.min(Math.max(level, 0), 30), cap);
}

/** A pair is forgotten this long after its last failure or the end of its last back-off. */
const pairMemoryMs = (policy: LockoutPolicy) => Math.max(DAY, Math.max(policy.lockMinutes, policy.maxLockMinutes) * 60_000);

const lockedNow = (p: Pick<PairDoc, 'lockedUntil'> | null, now: Date): p is PairDoc & { lockedUntil: Date } =>
  Boolean(p?.lockedUntil && p.lockedUntil.getTime() > now.getTime());

// Every write of a pair's document goes through this queue (one at a time per pair in this
// process): on FerretDB `$inc` is a read-modify-write, and a claim racing the write that locks the
// pair must not undo the lock. Each write is one findOneAndUpdate, atomic on MongoDB.
const pairWrites = new KeyedQueue();

async function writePair(id: string, update: Record<string, unknown>, upsert = false): Promise<PairDoc | null> {
  return pairWrites.run(id, async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await pairs().findOneAndUpdate({ _id: id }, update, { upsert, returnDocument: 'after' });
      } catch (err) {
        // Two instances inserting a pair at once: the loser updates the winner's document.
        if (!upsert || errorCode(err) !== 11000 || attempt >= 2) throw err;
      }
    }
  });
}

/**
 * Checks an e-mail and password from one source. The result's reason is for the audit trail only:
 * pages show one message for every failure, and one for a back-off (with `retryAt`), whether or
 * not the e-mail has an account, so nobody can learn which addresses have accounts.
 *
 * Failures are counted per (e-mail, source) pair. Every judged attempt first claims a number by
 * incrementing the pair's failure count (queued, see `writePair`): in a burst of parallel guesses
 * those numbered past the pair's allowance are refused as locked whatever the password, and the
 * wrong one that uses up the allowance backs the pair off for `backoffMs(locks)`; after that each
 * further wrong password doubles the back-off. A success forgets the pair. Another source's pair
 * is untouched by all this, so a correct password from a source that never failed works at once.
 * Back-offs refuse without judging the password (and without hashing, for known and unknown
 * e-mails alike).
 */
export async function authenticate(
  audit: EventRecorder,
  emailInput: string,
  password: string,
  now: Date,
  policy: LockoutPolicy,
  from: AttemptSource = { source: 'unknown' },
): Promise<AuthResult> {
  const email = normalizeEmail(emailInput).slice(0, 254);
  const source = from.source.slice(0, 64) || 'unknown';
  const id = pairId(email, source);
  const fail = async (reason: FailureReason, detail: Record<string, unknown> = {}, retryAt?: Date): Promise<AuthResult> => {
    await audit.record({
      action: 'login_failed',
      actor: email || '(empty)',
      subject: email,
      detail: { reason, source, ...detail, ...(retryAt ? { retryAt: retryAt.toISOString() } : {}) },
      at: now,
    });
    return retryAt ? { ok: false, reason, retryAt } : { ok: false, reason };
  };

  let pair = await pairs().findOne({ _id: id });
  if (pair && pair.expiresAt.getTime() <= now.getTime()) {
    // Ended but not yet swept: forgotten now.
    await pairWrites.run(id, () => pairs().deleteOne({ _id: id, expiresAt: { $lte: now } }));
    pair = null;
  }
  if (lockedNow(pair, now)) return fail('locked', { failures: pair.failures, locks: pair.locks }, pair.lockedUntil);
  // A source over its limit is not heard again for an account it has failed for.
  if (from.addressLimited && pair) return fail('rate_limited', { failures: pair.failures, locks: pair.locks });

  const window = accountWindow(email, now);
  const accountFailures = (await throttle<CountDoc>().findOne({ _id: window.id }))?.hits ?? 0;
  if (accountFailures >= policy.accountFailuresPerHour) {
    const known = await throttle().findOne({ _id: knownId(email, source), expiresAt: { $gt: now } });
    if (!known) return fail('account_throttled', { accountFailures }, window.end);
  }

  const memory = pairMemoryMs(policy);
  const claimed = (await writePair(
    id,
    { $inc: { failures: 1 }, $setOnInsert: { kind: 'pair', email, source, locks: 0, lockedUntil: null, expiresAt: new Date(now.getTime() + memory) } },
    true,
  ))!;
  const allowance = claimed.locks === 0 ? policy.maxFailures : 1;
  if (lockedNow(claimed, now)) {
    // Locked by a parallel attempt after this one read the pair: give the claim back.
    await writePair(id, { $inc: { failures: -1 } });
    return fail('locked', { failures: claimed.failures - 1, locks: claimed.locks }, claimed.lockedUntil);
  }
  if (claimed.failures > allowance) {
    // A parallel attempt holds the pair's last try; its outcome resets the count either way.
    return fail('locked', { failures: claimed.failures, locks: claimed.locks }, new Date(now.getTime() + backoffMs(policy, claimed.locks)));
  }

  let user: UserDoc | null;
  let valid: boolean;
  try {
    user = email ? await User.findOne({ email }).lean<UserDoc>() : null;
    valid = await verifyPassword(user?.passwordHash ?? (await dummy()), password);
  } catch (err) {
    // Not judged after all: give the claim back, so parallel attempts are not refused for good.
    await writePair(id, { $inc: { failures: -1 } }).catch(() => undefined);
    throw err;
  }
  const reason: FailureReason | null = !user ? 'unknown' : !valid ? 'bad_password' : user.disabled ? 'disabled' : null;

  if (!reason && user) {
    await pairWrites.run(id, () => pairs().deleteOne({ _id: id }));
    const known = knownId(email, source);
    await throttle().updateOne(
      { _id: known },
      { $set: { kind: 'known', email, source, expiresAt: new Date(now.getTime() + policy.knownSourceDays * DAY) } },
      { upsert: true },
    );
    const set: Record<string, unknown> = { failedLogins: 0, lockedUntil: null, lastLoginAt: now };
    if (argon2.needsRehash(user.passwordHash, HASH_OPTIONS)) set.passwordHash = await hashPassword(password);
    await User.updateOne({ _id: user._id }, { $set: set });
    await audit.record({ action: 'login', actor: user.email, subject: user.email, detail: { source }, at: now });
    return { ok: true, user: publicUser(user) };
  }

  // A failure (unknown e-mail, wrong password, disabled account: all alike here).
  const counted = await incrementOne<CountDoc>(SIGN_IN_THROTTLE_COLLECTION, window.id, { hits: 1 }, { kind: 'account', email, expiresAt: window.end });
  if (counted.hits === policy.accountFailuresPerHour) {
    await audit.record({
      action: 'login_lockout',
      actor: email || '(empty)',
      subject: email,
      detail: { scope: 'account', failures: counted.hits, until: window.end.toISOString() },
      at: now,
    });
  }
  if (claimed.failures >= allowance) {
    const level = claimed.locks;
    const ms = backoffMs(policy, level);
    const lockedUntil = new Date(now.getTime() + ms);
    await writePair(id, { $set: { failures: 0, lockedUntil, expiresAt: new Date(lockedUntil.getTime() + memory) }, $inc: { locks: 1 } });
    await audit.record({
      action: 'login_lockout',
      actor: email || '(empty)',
      subject: email,
      detail: { scope: 'pair', source, lock: level + 1, minutes: ms / 60_000, lockedUntil: lockedUntil.toISOString() },
      at: now,
    });
    return fail(reason!, { failures: claimed.failures, locks: level + 1 }, lockedUntil);
  }
  await writePair(id, { $set: { expiresAt: new Date(now.getTime() + memory) } });
  return fail(reason!, { failures: claimed.failures, locks: claimed.locks });
}

/** The sign-in locks of one account now: backed-off sources, and whether its hourly ceiling is reached. */
export interface AccountLocks {
  sources: Array<{ source: string; lockedUntil: Date }>;
  /** The hourly ceiling is reached: unknown sources are refused until this time. */
  throttledUntil: Date | null;
}

/**
 * The current locks of these e-mails, by e-mail (those with none are absent). Only the e-mails
 * asked for are read, so pairs of unknown addresses an attacker piles up never crowd them out.
 */
export async function currentLocks(emails: readonly string[], now: Date, accountFailuresPerHour?: number): Promise<Map<string, AccountLocks>> {
  const out = new Map<string, AccountLocks>();
  const entry = (email: string) => {
    let e = out.get(email);
    if (!e) out.set(email, (e = { sources: [], throttledUntil: null }));
    return e;
  };
  for (let i = 0; i < emails.length; i += 500) {
    const part = emails.slice(i, i + 500);
    const locked = await pairs()
      .find({ kind: 'pair', email: { $in: part }, lockedUntil: { $gt: now } })
      .toArray();
    for (const p of locked) entry(p.email).sources.push({ source: p.source, lockedUntil: p.lockedUntil! });
    if (accountFailuresPerHour) {
      const windows = await throttle<CountDoc>()
        .find({ kind: 'account', email: { $in: part }, expiresAt: { $gt: now }, hits: { $gte: accountFailuresPerHour } })
        .toArray();
      for (const w of windows) entry(w.email).throttledUntil = w.expiresAt;
    }
  }
  return out;
}

/**
 * Forgets every pair and hourly count of an e-mail. Returns the sources that were backed off, the
 * failures counted this hour (from every source), and how many documents went.
 */
async function clearLocks(email: string, now: Date): Promise<{ sources: string[]; hourlyFailures: number; cleared: number }> {
  const locks = (await currentLocks([email], now)).get(email);
  const hourlyFailures = (await throttle<CountDoc>().findOne({ _id: accountWindow(email, now).id }))?.hits ?? 0;
  const res = await throttle().deleteMany({ email, kind: { $in: ['pair', 'account'] } });
  return { sources: (locks?.sources ?? []).map((p) => p.source), hourlyFailures, cleared: res.deletedCount };
}

/** Records a sign-out (the session itself is the web layer's). */
export async function recordLogout(audit: EventRecorder, email: string): Promise<void> {
  await audit.record({ action: 'logout', actor: email, subject: email });
}

/** The account behind a session, re-read on every request so changes take effect at once. */
export async function findSessionUser(id: string): Promise<Pick<UserDoc, '_id' | 'email' | 'name' | 'role' | 'disabled' | 'passwordChangedAt'> | null> {
  if (!mongoose.isValidObjectId(id)) return null;
  return User.findById(id, { email: 1, name: 1, role: 1, disabled: 1, passwordChangedAt: 1 }).lean();
}

/**
 * Changes one's own password: the current one is required; the new one follows the rules and
 * differs from the current one. Returns the change time (sessions signed in before it end).
 */
export async function changePassword(audit: EventRecorder, userId: string, currentPassword: unknown, newPassword: unknown, now = new Date()): Promise<Date> {
  const user = mongoose.isValidObjectId(userId) ? await User.findById(userId).lean<UserDoc>() : null;
  if (!user || user.disabled) throw new AppError('unauthorized', '请先登录', { messageEn: 'Please sign in' });
  const problems: FieldProblem[] = [];
  if (typeof currentPassword !== 'string' || !(await verifyPassword(user.passwordHash, currentPassword.slice(0, PASSWORD_MAX + 1)))) {
    problems.push(problem('currentPassword', '当前密码不正确', 'the current password is not correct'));
  }
  problems.push(...passwordProblems(newPassword, user.email, 'newPassword'));
  if (!problems.length && newPassword === currentPassword)
    problems.push(problem('newPassword', '新密码不能与当前密码相同', 'the new password must differ from the current one'));
  // A new password that is not a string has a problem already.
  if (problems.length || typeof newPassword !== 'string') throw validationFailed(problems);
  await User.updateOne({ _id: user._id }, { $set: { passwordHash: await hashPassword(newPassword), passwordChangedAt: now }, $inc: { version: 1 } });
  await audit.record({ action: 'password_change', actor: user.email, subject: user.email, at: now });
  return now;
}

/**
 * Sets a password without the current one: for the CLI and the demo script, never a page.
 * Unlocks the account too.
 */
export async function setPassword(audit: EventRecorder, email: string, password: string, actor: string): Promise<void> {
  const user = await User.findOne({ email: normalizeEmail(email) }).lean<UserDoc>();
  if (!user) throw notFound('账户', 'account');
  const problems = passwordProblems(password, user.email);
  if (problems.length) throw validationFailed(problems);
  await User.updateOne(
    { _id: user._id },
    { $set: { passwordHash: await hashPassword(password), passwordChangedAt: new Date(), failedLogins: 0, lockedUntil: null }, $inc: { version: 1 } },
  );
  await clearLocks(user.email, new Date());
  await audit.record({ action: 'password_change', actor, subject: user.email, detail: { by: 'reset' } });
}

function requireAdmin(actor: PublicUser): void {
  if (ROLE_RANK[actor.role] < ROLE_RANK.admin) throw new AppError('forbidden', '只有管理员可以管理账户', { messageEn: 'Only administrators manage accounts' });
}

async function target(id: string): Promise<UserDoc> {
  const user = mongoose.isValidObjectId(id) ? await User.findById(id).lean<UserDoc>() : null;
  if (!user) throw notFound('账户', 'account');
  return user;
}

/**
 * Disables or enables an account (administrators only; not one's own, so an administrator cannot
 * lock everybody out). A disabled account's sessions stop at their next request; enabling also
 * lifts its sign-in locks. Returns the account's e-mail.
 */
export async function setDisabled(audit: EventRecorder, actor: PublicUser, id: string, disabled: boolean): Promise<string> {
  requireAdmin(actor);
  const user = await target(id);
  if (String(user._id) === actor.id) throw new AppError('bad_request', '不能停用自己的账户', { messageEn: 'You cannot disable your own account' });
  if (user.disabled === disabled) return user.email;
  const set: Record<string, unknown> = disabled ? { disabled } : { disabled, failedLogins: 0, lockedUntil: null };
  await User.updateOne({ _id: user._id }, { $set: set, $inc: { version: 1 } });
  if (!disabled) await clearLocks(user.email, new Date());
  await audit.record({
    action: 'account_update',
    actor: actor.email,
    subject: user.email,
    detail: { field: 'disabled', before: user.disabled, after: disabled },
  });
  return user.email;
}

/**
 * Lifts every sign-in lock of an account (administrators only): the back-off of each source, the
 * failure counts behind them, and the hourly ceiling. Audited as `account_unlock` when there was
 * anything to lift. Returns the account's e-mail and whether anything was lifted.
 */
export async function unlockAccount(audit: EventRecorder, actor: PublicUser, id: string, now = new Date()): Promise<{ email: string; unlocked: boolean }> {
  requireAdmin(actor);
  const user = await target(id);
  const { sources, hourlyFailures, cleared } = await clearLocks(user.email, now);
  // The account-wide lock of before 0011 is no longer read; its fields are tidied here.
  if (user.lockedUntil || user.failedLogins) await User.updateOne({ _id: user._id }, { $set: { failedLogins: 0, lockedUntil: null } });
  if (!cleared) return { email: user.email, unlocked: false };
  await audit.record({ action: 'account_unlock', actor: actor.email, subject: user.email, detail: { sources, hourlyFailures }, at: now });
  return { email: user.email, unlocked: true };
}

/** Changes another account's role (administrators only; not their own, for the same reason). Returns its e-mail. */
export async function setRole(audit: EventRecorder, actor: PublicUser, id: string, role: unknown): Promise<string> {
  requireAdmin(actor);
  if (!isOneOf(ROLES, role)) {
    throw validationFailed([problem('role', '角色必须是 admin、editor 或 viewer', 'role must be admin, editor or viewer')]);
  }
  const user = await target(id);
  if (String(user._id) === actor.id) throw new AppError('bad_request', '不能更改自己的角色', { messageEn: 'You cannot change your own role' });
  if (user.role === role) return user.email;
  await User.updateOne({ _id: user._id }, { $set: { role }, $inc: { version: 1 } });
  await audit.record({ action: 'account_update', actor: actor.email, subject: user.email, detail: { field: 'role', before: user.role, after: role } });
  return user.email;
}

/**
 * Sets the review duties of an account (administrators only; roles.ts DUTIES). `duties` is what
 * the form sent: one value or a list; unknown values are refused by name. Audited as
 * `account_update` with the field `duties`. Returns the account's e-mail.
 */
export async function setDuties(audit: EventRecorder, actor: PublicUser, id: string, duties: unknown): Promise<string> {
  requireAdmin(actor);
  const list = duties === undefined || duties === null || duties === '' ? [] : Array.isArray(duties) ? duties : [duties];
  if (list.length > DUTIES.length * 2 || !list.every((d) => isOneOf(DUTIES, d))) {
    throw validationFailed([problem('duties', '职责必须是 district、city 或 expert', 'duties must be district, city or expert')]);
  }
  const next = DUTIES.filter((d) => (list as Duty[]).includes(d));
  const user = await target(id);
  const before = DUTIES.filter((d) => (user.duties ?? []).includes(d));
  if (before.join(',') === next.join(',')) return user.email;
  await User.updateOne({ _id: user._id }, { $set: { duties: next }, $inc: { version: 1 } });
  await audit.record({ action: 'account_update', actor: actor.email, subject: user.email, detail: { field: 'duties', before, after: next } });
  return user.email;
}

/** The review duties an account holds (an administrator holds all; a disabled or unknown account none). */
export async function accountDuties(id: string): Promise<Duty[]> {
  const user = mongoose.isValidObjectId(id) ? await User.findById(id, { role: 1, duties: 1, disabled: 1 }).lean<UserDoc>() : null;
  return user && !user.disabled ? dutiesOf(user) : [];
}

/** The enabled accounts that hold a duty (administrators included), for reminders. */
export async function dutyHolders(): Promise<Array<PublicUser & { duties: Duty[] }>> {
  const users = await User.find(
    { disabled: mongoose.trusted({ $ne: true }), $or: [{ role: 'admin' }, { 'duties.0': mongoose.trusted({ $exists: true }) }] },
    { passwordHash: 0 },
  )
    .limit(2000)
    .lean<UserDoc[]>();
  return users.map((u) => ({ ...publicUser(u), duties: dutiesOf(u) })).filter((u) => u.duties.length > 0);
}

export interface UserRow extends PublicUser {
  disabled: boolean;
  /** Some source is backed off for it, or its hourly ceiling is reached (an admin may unlock). */
  locked: boolean;
  /** How many sources are backed off. */
  lockedSources: number;
  lastLoginAt: Date | null;
  createdAt: Date | null;
  /** Review duties as stored (an administrator holds all of them implicitly). */
  duties: Duty[];
}

/**
 * Every account, for the administrators' list (small: a bureau's staff). With the policy's hourly
 * ceiling, an account over it counts as locked too.
 */
export async function listUsers(now = new Date(), accountFailuresPerHour?: number): Promise<UserRow[]> {
  const users = await User.find({}, { passwordHash: 0 }).sort({ email: 1 }).limit(2000).lean<Array<UserDoc & { createdAt?: Date }>>();
  const locks = await currentLocks(
    users.map((u) => u.email),
    now,
    accountFailuresPerHour,
  );
  return users.map((u) => ({
    ...publicUser(u),
    disabled: Boolean(u.disabled),
    locked: locks.has(u.email),
    lockedSources: locks.get(u.email)?.sources.length ?? 0,
    lastLoginAt: u.lastLoginAt ?? null,
    createdAt: u.createdAt ?? null,
    duties: DUTIES.filter((d) => (u.duties ?? []).includes(d)),
  }));
}

/** Creates the account or, if it exists, resets its password, role and enables it (demo script). */
export async function ensureAccount(audit: EventRecorder, input: NewUser & { role: Role }, actor: string): Promise<'created' | 'reset'> {
  const existing = await User.findOne({ email: normalizeEmail(input.email) }).lean<UserDoc>();
  if (!existing) {
    await createUser(audit, input, actor);
    return 'created';
  }
  await setPassword(audit, input.email, input.password, actor);
  if (existing.role !== input.role || existing.disabled) {
    await User.updateOne({ _id: existing._id }, { $set: { role: input.role, disabled: false }, $inc: { version: 1 } });
    await audit.record({ action: 'account_update', actor, subject: existing.email, detail: { role: input.role, disabled: false } });
  }
  return 'reset';
}
