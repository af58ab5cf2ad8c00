/**
 * Accounts: creating them, signing in (with a lockout after repeated failures), changing a
 * password, and an administrator's changes to other accounts. Knows nothing of req/res; every
 * account event is written to the audit trail here, so the pages, the CLI and the demo script
 * are audited alike. The functions that record an event take the recorder first (`audit`: the
 * trail boot made, or a script's own ChainWriter).
 */
import argon2 from 'argon2';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { ROLE_RANK, ROLES, type Role } from './roles.js';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { errorCode, isOneOf } from '../platform/guards.js';
import { incrementOne } from '../platform/db/index.js';
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

export type FailureReason = 'bad_password' | 'locked' | 'disabled' | 'unknown';
export type AuthResult = { ok: true; user: PublicUser } | { ok: false; reason: FailureReason };

export interface LockoutPolicy {
  /** Consecutive failures that lock the account. */
  maxFailures: number;
  lockMinutes: number;
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
 * Checks an e-mail and password. The result's reason is for the audit trail only: pages must show
 * one message whatever it is, so nobody can learn which addresses have accounts.
 *
 * Every attempt on an account that is neither disabled nor locked claims a number with an atomic
 * increment of the failure count before its outcome is decided: in a burst of parallel guesses,
 * those numbered past the limit are refused as locked whatever the password, and the wrong one
 * that reaches the limit locks the account. A success resets the count.
 */
export async function authenticate(audit: EventRecorder, emailInput: string, password: string, now: Date, policy: LockoutPolicy): Promise<AuthResult> {
  const email = normalizeEmail(emailInput).slice(0, 254);
  const fail = async (reason: FailureReason, detail: Record<string, unknown> = {}): Promise<AuthResult> => {
    await audit.record({ action: 'login_failed', actor: email || '(empty)', subject: email, detail: { reason, ...detail }, at: now });
    return { ok: false, reason };
  };
  const lockedAt = (u: Pick<UserDoc, 'lockedUntil'>) => Boolean(u.lockedUntil && u.lockedUntil.getTime() > now.getTime());
  const user = email ? await User.findOne({ email }).lean<UserDoc>() : null;
  if (!user) {
    await verifyPassword(await dummy(), password);
    return fail('unknown');
  }
  const valid = await verifyPassword(user.passwordHash, password);
  if (user.disabled) return fail('disabled');
  if (lockedAt(user)) return fail('locked', { lockedUntil: user.lockedUntil!.toISOString() });
  // The claim returns the account as it is now, so a lock set by a parallel attempt is seen here.
  const claimed = await incrementOne<UserDoc>(User.collection.collectionName, user._id, { failedLogins: 1 });
  const attempt = claimed.failedLogins;
  if (lockedAt(claimed) || attempt > policy.maxFailures) {
    return fail('locked', lockedAt(claimed) ? { lockedUntil: claimed.lockedUntil!.toISOString() } : { failures: attempt });
  }
  if (!valid) {
    if (attempt >= policy.maxFailures) {
      // Locked: the count starts again, so the account gets a fresh set of tries afterwards.
      const lockedUntil = new Date(now.getTime() + policy.lockMinutes * 60_000);
      await User.updateOne({ _id: user._id }, { $set: { lockedUntil, failedLogins: 0 } });
      return fail('bad_password', { failures: attempt, lockedUntil: lockedUntil.toISOString() });
    }
    return fail('bad_password', { failures: attempt });
  }
  const set: Record<string, unknown> = { failedLogins: 0, lockedUntil: null, lastLoginAt: now };
  if (argon2.needsRehash(user.passwordHash, HASH_OPTIONS)) set.passwordHash = await hashPassword(password);
  await User.updateOne({ _id: user._id }, { $set: set });
  await audit.record({ action: 'login', actor: user.email, subject: user.email, at: now });
  return { ok: true, user: publicUser(user) };
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
 * lifts a lockout. Returns the account's e-mail.
 */
export async function setDisabled(audit: EventRecorder, actor: PublicUser, id: string, disabled: boolean): Promise<string> {
  requireAdmin(actor);
  const user = await target(id);
  if (String(user._id) === actor.id) throw new AppError('bad_request', '不能停用自己的账户', { messageEn: 'You cannot disable your own account' });
  if (user.disabled === disabled) return user.email;
  const set: Record<string, unknown> = disabled ? { disabled } : { disabled, failedLogins: 0, lockedUntil: null };
  await User.updateOne({ _id: user._id }, { $set: set, $inc: { version: 1 } });
  await audit.record({
    action: 'account_update',
    actor: actor.email,
    subject: user.email,
    detail: { field: 'disabled', before: user.disabled, after: disabled },
  });
  return user.email;
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

export interface UserRow extends PublicUser {
  disabled: boolean;
  locked: boolean;
  lastLoginAt: Date | null;
  createdAt: Date | null;
}

/** Every account, for the administrators' list (small: a bureau's staff). */
export async function listUsers(now = new Date()): Promise<UserRow[]> {
  const users = await User.find({}, { passwordHash: 0 }).sort({ email: 1 }).limit(2000).lean<Array<UserDoc & { createdAt?: Date }>>();
  return users.map((u) => ({
    ...publicUser(u),
    disabled: Boolean(u.disabled),
    locked: Boolean(u.lockedUntil && u.lockedUntil.getTime() > now.getTime()),
    lastLoginAt: u.lastLoginAt ?? null,
    createdAt: u.createdAt ?? null,
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
