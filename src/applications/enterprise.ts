/**
 * Enterprise accounts (企业账户): registration with a confirmed e-mail address, sign-in with a
 * per-account lockout after repeated failures, and what a session needs to know. Knows nothing of
 * req/res; every step is audited here (actor `enterprise:<email>`).
 *
 * Registration never tells whether an address already has an account: the answer is the same
 * "check your mail" either way, and the address's owner gets a mail saying so instead.
 */
import argon2 from 'argon2';
import mongoose from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import type { EventRecorder } from '../audit/index.js';
import { hashPassword, normalizeEmail, passwordProblems } from '../accounts/service.js';
import { EMAIL_PATTERN } from '../accounts/model.js';
import { validationFailed, type FieldProblem } from '../platform/errors.js';
import { errorCode, isRecord } from '../platform/guards.js';
import { registerMessages } from '../platform/i18n.js';
import { checkCreditCode, CREDIT_CODE_MESSAGES } from '../registries/credit-code.js';
import type { Mailer } from './deps.js';
import { Enterprise, type EnterpriseDoc } from './model.js';

registerMessages({
  'audit.action.enterprise_registered': ['企业账户注册', 'Enterprise account registered'],
  'audit.action.enterprise_verified': ['企业邮箱确认', 'Enterprise e-mail confirmed'],
  'audit.action.enterprise_sign_in': ['企业登录', 'Enterprise signed in'],
  'audit.action.enterprise_sign_in_failed': ['企业登录失败', 'Enterprise sign-in failed'],
  'audit.action.enterprise_sign_out': ['企业退出登录', 'Enterprise signed out'],
  'audit.action.enterprise_verify_resent': ['重发企业确认邮件', 'Enterprise confirmation mail resent'],
});

/** How long a confirmation link works. */
export const VERIFY_TTL_MS = 48 * 3_600_000;

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const clean = (v: unknown, max: number) =>
  typeof v === 'string'
    ? v
        .replace(/[\u0000-\u001f\u007f]/g, '')
        .trim()
        .slice(0, max + 1)
    : '';

export interface RegistrationInput {
  email?: unknown;
  password?: unknown;
  company?: unknown;
  creditCode?: unknown;
  contactName?: unknown;
  phone?: unknown;
}

export interface RegistrationValues {
  email: string;
  company: string;
  creditCode: string;
  contactName: string;
  phone: string;
}

/** Field problems of a registration form, and its cleaned values. */
export function checkRegistration(input: RegistrationInput): { values: RegistrationValues; problems: FieldProblem[] } {
  const values: RegistrationValues = {
    email: normalizeEmail(clean(input.email, 254)),
    company: clean(input.company, 100),
    creditCode: clean(input.creditCode, 18).toUpperCase(),
    contactName: clean(input.contactName, 50),
    phone: clean(input.phone, 30),
  };
  const problems: FieldProblem[] = [];
  if (!values.email) problems.push(problem('email', '请填写邮箱', 'e-mail is required'));
  else if (values.email.length > 254 || !EMAIL_PATTERN.test(values.email)) problems.push(problem('email', '邮箱格式不正确', 'not a valid e-mail address'));
  problems.push(...passwordProblems(input.password, values.email));
  if (!values.company) problems.push(problem('company', '请填写企业名称', 'company name is required'));
  else if (values.company.length > 100) problems.push(problem('company', '企业名称不能超过100个字符', 'company name is at most 100 characters'));
  if (!values.creditCode) problems.push(problem('creditCode', '请填写统一社会信用代码', 'unified social credit code is required'));
  else {
    const bad = checkCreditCode(values.creditCode);
    if (bad) problems.push(problem('creditCode', CREDIT_CODE_MESSAGES[bad][0], `unified social credit code ${CREDIT_CODE_MESSAGES[bad][1]}`));
  }
  if (!values.contactName) problems.push(problem('contactName', '请填写联系人', 'contact name is required'));
  else if (values.contactName.length > 50) problems.push(problem('contactName', '联系人不能超过50个字符', 'contact name is at most 50 characters'));
  if (!values.phone) problems.push(problem('phone', '请填写联系电话', 'phone is required'));
  else if (!/^[0-9+\-() ]{5,30}$/.test(values.phone)) problems.push(problem('phone', '联系电话格式不正确', 'not a valid phone number'));
  return { values, problems };
}

interface MailContext {
  audit: EventRecorder;
  mailer: Mailer;
  publicBaseUrl: string;
}

const newToken = () => {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token), nonce: randomBytes(6).toString('hex') };
};

async function sendVerification(ctx: MailContext, e: Pick<EnterpriseDoc, '_id' | 'email' | 'company'>, token: string, nonce: string): Promise<void> {
  const link = new URL(`/apply/verify?token=${encodeURIComponent(token)}`, ctx.publicBaseUrl).toString();
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  await ctx.mailer.send({
    key: `enterprise-verify:${String(e._id)}:${nonce}`,
    to: e.email,
    subject: '请确认您的企业申报账户邮箱 / Confirm your e-mail address',
    text: `${e.company}：\n\n请在 48 小时内打开下面的链接，确认企业申报账户的邮箱：\n${link}\n\nPlease open the link above within 48 hours to confirm the e-mail address of your account.\n\n如非本人操作，请忽略本邮件。 If you did not register, ignore this mail.\n`,
    html: `<p>${esc(e.company)}：</p><p>请在 48 小时内打开下面的链接，确认企业申报账户的邮箱：<br><a href="${esc(link)}">${esc(link)}</a></p><p>Please open the link within 48 hours to confirm the e-mail address of your account.</p><p>如非本人操作，请忽略本邮件。 If you did not register, ignore this mail.</p>`,
  });
}

/**
 * Registers an account (unconfirmed) and mails the confirmation link. Field problems come back as
 * validation_failed. An address that has an account already gets a mail instead (confirmed: "you
 * have an account"; unconfirmed: a new link), and the caller answers the same as for a new one.
 */
export async function registerEnterprise(ctx: MailContext, input: RegistrationInput, now = new Date()): Promise<void> {
  const { values, problems } = checkRegistration(input);
  if (problems.length) throw validationFailed(problems);
  const passwordHash = await hashPassword(input.password as string);
  const existing = await Enterprise.findOne({ email: values.email }).lean<EnterpriseDoc>();
  if (existing) return mailExisting(ctx, existing, now);
  const { token, hash, nonce } = newToken();
  let doc;
  try {
    doc = await Enterprise.create({
      ...values,
      passwordHash,
      emailVerifiedAt: null,
      verifyTokenHash: hash,
      verifyExpiresAt: new Date(now.getTime() + VERIFY_TTL_MS),
      passwordChangedAt: now,
    });
  } catch (err) {
    if (errorCode(err) === 11000) {
      const again = await Enterprise.findOne({ email: values.email }).lean<EnterpriseDoc>();
      if (again) return mailExisting(ctx, again, now);
    }
    throw err;
  }
  await ctx.audit.record({
    action: 'enterprise_registered',
    actor: `enterprise:${values.email}`,
    subject: `enterprise:${values.email}`,
    detail: { company: values.company, creditCode: values.creditCode },
    at: now,
  });
  await sendVerification(ctx, doc, token, nonce);
}

async function mailExisting(ctx: MailContext, e: EnterpriseDoc, now: Date): Promise<void> {
  if (!e.emailVerifiedAt) {
    await resendVerification(ctx, e.email, now);
    return;
  }
  const login = new URL('/apply/login', ctx.publicBaseUrl).toString();
  await ctx.mailer.send({
    key: `enterprise-exists:${String(e._id)}:${randomBytes(6).toString('hex')}`,
    to: e.email,
    subject: '您已有企业申报账户 / You already have an account',
    text: `有人用本邮箱再次注册企业申报账户。您已有账户，请直接登录：${login}\n\nSomeone tried to register with this address again. You already have an account: sign in at ${login}\n`,
    html: `<p>有人用本邮箱再次注册企业申报账户。您已有账户，请直接登录：<a href="${login}">${login}</a></p><p>Someone tried to register with this address again. You already have an account.</p>`,
  });
}

/** A new confirmation link for an unconfirmed account (the old one stops working); nothing for any other address. */
export async function resendVerification(ctx: MailContext, emailInput: string, now = new Date()): Promise<void> {
  const email = normalizeEmail(emailInput).slice(0, 254);
  if (!email) return;
  const { token, hash, nonce } = newToken();
  const e = await Enterprise.findOneAndUpdate(
    { email, emailVerifiedAt: null },
    { $set: { verifyTokenHash: hash, verifyExpiresAt: new Date(now.getTime() + VERIFY_TTL_MS) } },
    { returnDocument: 'after' },
  ).lean<EnterpriseDoc>();
  if (!e) return;
  await ctx.audit.record({ action: 'enterprise_verify_resent', actor: `enterprise:${email}`, subject: `enterprise:${email}`, at: now });
  await sendVerification(ctx, e, token, nonce);
}

/** Confirms the address the token was sent to; the e-mail, or null for an unknown, used or expired token. */
export async function verifyEnterprise(audit: EventRecorder, token: unknown, now = new Date()): Promise<string | null> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const e = await Enterprise.findOneAndUpdate(
    { verifyTokenHash: sha256(token), emailVerifiedAt: null, verifyExpiresAt: mongoose.trusted({ $gt: now }) },
    { $set: { emailVerifiedAt: now, verifyTokenHash: null, verifyExpiresAt: null }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean<EnterpriseDoc>();
  if (!e) return null;
  await audit.record({ action: 'enterprise_verified', actor: `enterprise:${e.email}`, subject: `enterprise:${e.email}`, at: now });
  return e.email;
}

export interface EnterpriseLockout {
  maxFailures: number;
  lockMinutes: number;
}

export type EnterpriseSignIn = { ok: true; id: string; email: string; verified: boolean } | { ok: false; locked: boolean };

let dummyHash: Promise<string> | null = null;
const dummy = () => (dummyHash ??= hashPassword(randomBytes(18).toString('base64')));

async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * Checks an e-mail and password. After `maxFailures` wrong passwords in a row the account is
 * locked for `lockMinutes` (no password is judged meanwhile). Unknown addresses cost the same
 * hashing as known ones; the caller shows one message for every failure.
 */
export async function signInEnterprise(
  audit: EventRecorder,
  emailInput: unknown,
  password: unknown,
  policy: EnterpriseLockout,
  source: string,
  now = new Date(),
): Promise<EnterpriseSignIn> {
  const email = typeof emailInput === 'string' ? normalizeEmail(emailInput).slice(0, 254) : '';
  const pw = typeof password === 'string' ? password.slice(0, 256) : '';
  const fail = async (reason: string, locked: boolean, detail: Record<string, unknown> = {}): Promise<EnterpriseSignIn> => {
    await audit.record({
      action: 'enterprise_sign_in_failed',
      actor: `enterprise:${email || '(empty)'}`,
      subject: `enterprise:${email}`,
      detail: { reason, source, ...detail },
      at: now,
    });
    return { ok: false, locked };
  };
  const e = email ? await Enterprise.findOne({ email }).lean<EnterpriseDoc>() : null;
  if (e?.lockedUntil && e.lockedUntil.getTime() > now.getTime()) return fail('locked', true, { lockedUntil: e.lockedUntil.toISOString() });
  const valid = await verifyPassword(e?.passwordHash ?? (await dummy()), pw);
  if (!e) return fail('unknown', false);
  if (!valid || e.disabled) {
    const failures = (e.failedLogins ?? 0) + 1;
    const lock = failures >= policy.maxFailures;
    const lockedUntil = lock ? new Date(now.getTime() + policy.lockMinutes * 60_000) : null;
    await Enterprise.updateOne({ _id: e._id }, { $set: { failedLogins: lock ? 0 : failures, lockedUntil } });
    return fail(e.disabled ? 'disabled' : 'bad_password', lock, { failures, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) });
  }
  await Enterprise.updateOne({ _id: e._id }, { $set: { failedLogins: 0, lockedUntil: null } });
  await audit.record({ action: 'enterprise_sign_in', actor: `enterprise:${e.email}`, subject: `enterprise:${e.email}`, detail: { source }, at: now });
  return { ok: true, id: String(e._id), email: e.email, verified: !!e.emailVerifiedAt };
}

/** What a session re-reads on each request. */
export async function findSessionEnterprise(
  id: string,
): Promise<Pick<EnterpriseDoc, '_id' | 'email' | 'company' | 'creditCode' | 'disabled' | 'emailVerifiedAt' | 'passwordChangedAt'> | null> {
  if (!/^[a-f0-9]{24}$/.test(id)) return null;
  return Enterprise.findById(id, { email: 1, company: 1, creditCode: 1, disabled: 1, emailVerifiedAt: 1, passwordChangedAt: 1 }).lean();
}

/** A body's string fields only (forms never send anything else; operators and arrays are dropped). */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(body)) return out;
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}
