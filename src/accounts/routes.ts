/**
 * Sign-in, sign-out, one's own account, and the administrators' account list. Mounted inside the
 * back office (src/admin/index.ts) after the session, loadUser and CSRF middleware, so every form
 * here is already CSRF-checked and res.locals.user is known.
 */
import { Router, type Request, type Response } from 'express';
import type { Options as RateLimitOptions } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { EventRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { AppError, type FieldProblem } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import { MongoRateLimitStore } from '../platform/rate-limit.js';
import { url, type Render } from '../platform/views.js';
import { DUTIES, ROLES } from './roles.js';
import { currentUser, destroySession, flash, regenerateSession, requireRole, safeNext, saveSession } from './middleware.js';
import {
  authenticate,
  changePassword,
  createUser,
  listUsers,
  PASSWORD_MAX,
  PASSWORD_MIN,
  recordLogout,
  setDisabled,
  setDuties,
  setRole,
  sourceKey,
  unlockAccount,
  type LockoutPolicy,
} from './service.js';
import { csrfToken, SESSION_COOKIE, SESSION_COOKIE_PATH } from './session.js';

registerMessages({
  'accounts.login.title': ['登录管理后台', 'Sign in to the back office'],
  'accounts.login.intro': ['管理后台仅供武汉市市场监督管理局工作人员使用。', 'The back office is for staff of the Wuhan Administration for Market Regulation.'],
  'accounts.login.submit': ['登录', 'Sign in'],
  'accounts.login.failed': [
    '邮箱或密码不正确，或账户已停用或暂时锁定。连续多次失败后账户会锁定一段时间，请稍后再试。',
    'The e-mail or password is not correct, or the account is disabled or temporarily locked. After repeated failures an account is locked for a while; please try again later.',
  ],
  'accounts.login.locked': [
    '从您当前的网络使用该邮箱登录失败的次数过多，登录已暂停。请在约{wait}后（北京时间 {time} 以后）再试；如需尽快登录，请联系管理员解除锁定。',
    'Too many failed sign-ins with this e-mail from your network: signing in is paused. Please try again in about {wait} (after {time} Beijing time); an administrator can lift the lock sooner.',
  ],
  'accounts.login.wait.minutes': [' {n} 分钟', '{n} minutes'],
  'accounts.login.wait.minute': [' 1 分钟', '1 minute'],
  'accounts.login.wait.hours': [' {n} 小时', '{n} hours'],
  'accounts.login.loggedOut': ['您已退出登录。', 'You have signed out.'],
  'accounts.login.rateLimited': ['登录尝试过于频繁，请15分钟后再试', 'Too many sign-in attempts; please try again in 15 minutes'],
  'accounts.email': ['邮箱', 'E-mail'],
  'accounts.password': ['密码', 'Password'],
  'accounts.name': ['姓名', 'Name'],
  'accounts.role': ['角色', 'Role'],
  'accounts.lastLogin': ['上次登录', 'Last sign-in'],
  'accounts.never': ['从未', 'never'],
  'accounts.form.errors': ['请修改下面标出的内容。', 'Please correct the fields marked below.'],
  'accounts.account.title': ['我的账户', 'My account'],
  'accounts.password.title': ['修改密码', 'Change password'],
  'accounts.currentPassword': ['当前密码', 'Current password'],
  'accounts.newPassword': ['新密码', 'New password'],
  'accounts.confirmPassword': ['再次输入新密码', 'New password again'],
  'accounts.password.hint': [
    `至少${PASSWORD_MIN}个字符，不能与邮箱相同。修改后，您在其他设备上的登录会失效。`,
    `At least ${PASSWORD_MIN} characters, not your e-mail address. Changing it signs you out on every other device.`,
  ],
  'accounts.password.submit': ['修改密码', 'Change password'],
  'accounts.password.changed': ['密码已修改。', 'Your password has been changed.'],
  'accounts.users.title': ['账户管理', 'Accounts'],
  'accounts.users.roles': [
    '管理员：管理账户；编辑：修改名录条目；只读：查看后台。',
    'Administrator: manages accounts; editor: changes entries; viewer: reads the back office.',
  ],
  'accounts.users.list': ['全部账户', 'All accounts'],
  'accounts.users.count': ['共 {n} 个账户', '{n} accounts'],
  'accounts.status': ['状态', 'Status'],
  'accounts.status.active': ['正常', 'active'],
  'accounts.status.disabled': ['已停用', 'disabled'],
  'accounts.status.locked': ['暂时锁定', 'temporarily locked'],
  'accounts.actions': ['操作', 'Actions'],
  'accounts.users.roleFor': ['{email} 的角色', 'Role for {email}'],
  'accounts.users.saveRole': ['更改角色', 'Change role'],
  'accounts.users.disable': ['停用', 'Disable'],
  'accounts.users.enable': ['启用', 'Enable'],
  'accounts.users.you': ['（您本人）', '(you)'],
  'accounts.users.create': ['新建账户', 'New account'],
  'accounts.users.initialPassword': ['初始密码', 'Initial password'],
  'accounts.users.createHint': [
    '请通过安全渠道把初始密码告知本人，并请其登录后立即在“我的账户”中修改。',
    'Give the initial password to the person through a safe channel and ask them to change it under “My account” after signing in.',
  ],
  'accounts.users.submit': ['创建账户', 'Create account'],
  'accounts.users.created': ['已创建账户 {email}。', 'Account {email} created.'],
  'accounts.users.roleChanged': ['已将 {email} 的角色改为“{role}”。', '{email} is now {role}.'],
  'accounts.users.disabledDone': ['已停用账户 {email}，其登录已失效。', 'Account {email} disabled; its sessions have ended.'],
  'accounts.users.enabledDone': ['已启用账户 {email}。', 'Account {email} enabled.'],
  'accounts.users.unlock': ['解除锁定', 'Unlock'],
  'accounts.duties': ['审核职责', 'Review duties'],
  'accounts.duties.for': ['{email} 的审核职责', 'Review duties of {email}'],
  'accounts.duties.save': ['保存职责', 'Save duties'],
  'accounts.duties.all': ['管理员拥有全部职责', 'Administrators hold every duty'],
  'accounts.duties.saved': ['已更新 {email} 的审核职责。', 'Review duties of {email} updated.'],
  'duty.district': ['区级初审', 'district check'],
  'duty.city': ['市级审核', 'city review'],
  'duty.expert': ['专家评审', 'expert assessment'],
  'accounts.users.lockedSources': ['{n} 个来源', '{n} source(s)'],
  'accounts.users.unlockedDone': ['已解除账户 {email} 的全部登录锁定。', 'Every sign-in lock on {email} has been lifted.'],
  'accounts.users.notLocked': ['账户 {email} 当前没有登录锁定。', 'Account {email} has no sign-in lock.'],
  // Labels of the audit page (src/admin/audit-routes.ts) for the accounts' lock events.
  'accounts.field.required': ['请填写{field}', '{field} is required'],
});

export interface AuthRoutesDeps {
  render: Render;
  config: Pick<
    Config,
    | 'LOGIN_MAX_FAILURES'
    | 'LOGIN_LOCK_MINUTES'
    | 'LOGIN_LOCK_MAX_MINUTES'
    | 'LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR'
    | 'LOGIN_KNOWN_SOURCE_DAYS'
    | 'RATE_LIMIT_LOGIN_PER_15MIN'
  >;
  logger?: Logger;
  /** Where sign-ins, sign-outs and account changes are recorded: the app's audit trail. */
  audit: EventRecorder;
}

const langOf = (res: Response) => res.locals.lang;

/**
 * One text field of a submitted form. Absent → ''. Repeated or structured values (`a=1&a=2`,
 * `a[$gt]=`) are refused with 400, never passed on.
 */
function textField(req: Request, name: string, max = 1000): string {
  const body: unknown = req.body;
  const v = isRecord(body) ? body[name] : undefined;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    throw new AppError('bad_request', `字段 ${name} 的格式不正确`, {
      messageEn: `Field ${name} has the wrong type`,
      fields: [{ field: name, message: '格式不正确', messageEn: 'has the wrong type' }],
    });
  }
  return v.slice(0, max);
}

/** Field problems → {field: message in the page language}, for messages beside each field. */
function errorsByField(lang: Lang, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

const required = (lang: Lang, field: string, labelKey: string): FieldProblem => ({
  field,
  message: t('zh', 'accounts.field.required', { field: t('zh', labelKey) }),
  messageEn: t('en', 'accounts.field.required', { field: t('en', labelKey).toLowerCase() }),
});

/** Problems from a validation_failed error, or the error itself rethrown. */
function problemsOf(err: unknown): FieldProblem[] {
  if (err instanceof AppError && err.code === 'validation_failed') return err.fields;
  throw err;
}

const beijingTime = (lang: Lang, at: Date, withDate: boolean) =>
  new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...(withDate ? { month: 'numeric', day: 'numeric' } : {}),
  }).format(at);

/** "Try again in about N minutes (after HH:MM)", for a backed-off pair. */
function lockedMessage(lang: Lang, retryAt: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 60_000));
  const wait =
    minutes === 1
      ? t(lang, 'accounts.login.wait.minute')
      : minutes < 90
        ? t(lang, 'accounts.login.wait.minutes', { n: minutes })
        : t(lang, 'accounts.login.wait.hours', { n: Math.ceil(minutes / 60) });
  return t(lang, 'accounts.login.locked', { wait, time: beijingTime(lang, retryAt, minutes >= 12 * 60) });
}

/** Builds the sign-in, sign-out, account and account-management routes. */
export function authRoutes({ render, config, audit }: AuthRoutesDeps): Router {
  const router = Router();
  const policy: LockoutPolicy = {
    maxFailures: config.LOGIN_MAX_FAILURES,
    lockMinutes: config.LOGIN_LOCK_MINUTES,
    maxLockMinutes: config.LOGIN_LOCK_MAX_MINUTES,
    accountFailuresPerHour: config.LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR,
    knownSourceDays: config.LOGIN_KNOWN_SOURCE_DAYS,
  };
  // Failed sign-ins per client address (sourceKey) per clock-aligned 15 minutes, counted in MongoDB
  // at every failure so the limit holds across instances and restarts (docs/decisions/0008). It
  // never refuses a correct password outright: over the limit, the address is refused for the
  // accounts it has failed for (authenticate's `addressLimited`), and every failure answers 429,
  // so a whole office behind one address still signs in. The store holds no timer.
  const addressWindowMs = 15 * 60_000;
  const addressLimit = config.RATE_LIMIT_LOGIN_PER_15MIN;
  const addressFailures = new MongoRateLimitStore(`login:${addressLimit}/${addressWindowMs}:`);
  addressFailures.init({ windowMs: addressWindowMs } as RateLimitOptions);
  const rateLimitHeaders = (res: Response, hits: number, resetTime: Date | undefined, now: Date) => {
    const reset = Math.max(0, Math.ceil(((resetTime?.getTime() ?? now.getTime() + addressWindowMs) - now.getTime()) / 1000));
    res.append('RateLimit', `"login"; r=${Math.max(0, addressLimit - hits)}; t=${reset}`);
    res.append('RateLimit-Policy', `"login"; q=${addressLimit}; w=${addressWindowMs / 1000}`);
    return reset;
  };

  const loginPage = (req: Request, res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const lang = langOf(res);
    res.locals.csrfToken = csrfToken(req);
    res
      .status(status)
      .type('html')
      .send(
        render('admin/login', {
          ...res.locals,
          title: t(lang, 'accounts.login.title'),
          values: { email: '' },
          errors: {},
          ...extra,
        }),
      );
  };

  router.get('/login', (req, res) => {
    const q = req.query;
    const next = safeNext(q.next);
    if (currentUser(res)) return res.redirect(303, next ?? url(langOf(res), '/admin'));
    loginPage(req, res, 200, { next, loggedOut: q.bye === '1' });
  });

  router.post('/login', async (req, res) => {
    const lang = langOf(res);
    const email = textField(req, 'email', 254).trim();
    const password = textField(req, 'password', PASSWORD_MAX + 1);
    const next = safeNext(textField(req, 'next', 2000));
    const missing = [...(email ? [] : [required(lang, 'email', 'accounts.email')]), ...(password ? [] : [required(lang, 'password', 'accounts.password')])];
    if (missing.length) return loginPage(req, res, 400, { next, values: { email }, errors: errorsByField(lang, missing) });
    const source = sourceKey(req.ip);
    const now = new Date();
    const limited = ((await addressFailures.get(source))?.totalHits ?? 0) >= addressLimit;
    const result = await authenticate(audit, email, password, now, policy, { source, addressLimited: limited });
    if (!result.ok) {
      const counted = await addressFailures.increment(source);
      const reset = rateLimitHeaders(res, counted.totalHits, counted.resetTime, now);
      if (limited) {
        res.set('Retry-After', String(reset));
        throw new AppError('rate_limited', t('zh', 'accounts.login.rateLimited'), { messageEn: t('en', 'accounts.login.rateLimited') });
      }
      if (result.retryAt) {
        res.set('Retry-After', String(Math.max(1, Math.ceil((result.retryAt.getTime() - now.getTime()) / 1000))));
        return loginPage(req, res, 401, { next, values: { email }, failed: true, locked: lockedMessage(lang, result.retryAt, now) });
      }
      return loginPage(req, res, 401, { next, values: { email }, failed: true });
    }
    // A new session id at sign-in (no fixation), with a new CSRF token in it.
    await regenerateSession(req);
    req.session.userId = result.user.id;
    req.session.authAt = Date.now();
    csrfToken(req);
    await saveSession(req);
    res.redirect(303, next ?? url(lang, '/admin'));
  });

  router.post('/logout', async (req, res) => {
    const user = currentUser(res);
    if (user) await recordLogout(audit, user.email);
    await destroySession(req);
    res.clearCookie(SESSION_COOKIE, { path: SESSION_COOKIE_PATH, httpOnly: true, sameSite: 'lax' });
    res.redirect(303, url(langOf(res), '/admin/login', { bye: 1 }));
  });

  const accountPage = (res: Response, status: number, errors: Record<string, string> = {}) => {
    const lang = langOf(res);
    res
      .status(status)
      .type('html')
      .send(render('admin/account', { ...res.locals, title: t(lang, 'accounts.account.title'), errors, minLength: PASSWORD_MIN }));
  };

  router.get('/account', requireRole('viewer'), (_req, res) => accountPage(res, 200));

  router.post('/account', requireRole('viewer'), async (req, res) => {
    const lang = langOf(res);
    const user = currentUser(res)!;
    const current = textField(req, 'currentPassword', PASSWORD_MAX + 1);
    const next = textField(req, 'newPassword', PASSWORD_MAX + 1);
    const confirm = textField(req, 'confirmPassword', PASSWORD_MAX + 1);
    let changedAt: Date;
    try {
      if (next !== confirm) {
        throw new AppError('validation_failed', '两次输入的新密码不一致', {
          fields: [{ field: 'confirmPassword', message: '两次输入的新密码不一致', messageEn: 'the two new passwords differ' }],
        });
      }
      changedAt = await changePassword(audit, user.id, current, next);
    } catch (err) {
      return accountPage(res, 400, errorsByField(lang, problemsOf(err)));
    }
    // Sessions signed in before the change end (loadUser); this one continues under a new id.
    await regenerateSession(req);
    req.session.userId = user.id;
    req.session.authAt = changedAt.getTime();
    csrfToken(req);
    flash(req, 'accounts.password.changed');
    await saveSession(req);
    res.redirect(303, url(lang, '/admin/account'));
  });

  const usersPage = async (res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const lang = langOf(res);
    const me = currentUser(res)!;
    const users = (await listUsers(new Date(), policy.accountFailuresPerHour)).map((u) => ({
      ...u,
      self: u.id === me.id,
      roles: ROLES.map((r) => ({ value: r, label: t(lang, `admin.role.${r}`), selected: r === u.role })),
      dutyOptions: DUTIES.map((d) => ({ value: d, label: t(lang, `duty.${d}`), checked: u.duties.includes(d) })),
      isAdmin: u.role === 'admin',
    }));
    res
      .status(status)
      .type('html')
      .send(
        render('admin/users', {
          ...res.locals,
          title: t(lang, 'accounts.users.title'),
          users,
          roleOptions: ROLES.map((r) => ({ value: r, label: t(lang, `admin.role.${r}`) })),
          values: { email: '', name: '', role: 'viewer' },
          errors: {},
          minLength: PASSWORD_MIN,
          ...extra,
        }),
      );
  };

  router.get('/users', requireRole('admin'), (_req, res) => usersPage(res, 200));

  router.post('/users', requireRole('admin'), async (req, res) => {
    const lang = langOf(res);
    const values = { email: textField(req, 'email', 300).trim(), name: textField(req, 'name', 200).trim(), role: textField(req, 'role', 20) };
    const password = textField(req, 'password', PASSWORD_MAX + 1);
    try {
      const created = await createUser(audit, { ...values, password }, currentUser(res)!.email);
      flash(req, 'accounts.users.created', { email: created.email });
      res.redirect(303, url(lang, '/admin/users'));
    } catch (err) {
      const problems = problemsOf(err);
      return usersPage(res, 400, { values, errors: errorsByField(lang, problems), createFailed: true });
    }
  });

  router.post('/users/:id/role', requireRole('admin'), async (req, res) => {
    const lang = langOf(res);
    const role = textField(req, 'role', 20);
    const email = await setRole(audit, currentUser(res)!, String(req.params.id), role);
    flash(req, 'accounts.users.roleChanged', { email, role: t(lang, `admin.role.${role}`) });
    res.redirect(303, url(lang, '/admin/users'));
  });

  router.post('/users/:id/duties', requireRole('admin'), async (req, res) => {
    const lang = langOf(res);
    const raw: unknown = isRecord(req.body) ? req.body.duties : undefined;
    const email = await setDuties(audit, currentUser(res)!, String(req.params.id), raw);
    flash(req, 'accounts.duties.saved', { email });
    res.redirect(303, url(lang, '/admin/users'));
  });

  router.post('/users/:id/disabled', requireRole('admin'), async (req, res) => {
    const lang = langOf(res);
    const value = textField(req, 'disabled', 5);
    if (value !== '1' && value !== '0') {
      throw new AppError('bad_request', '停用/启用的取值不正确', { messageEn: 'disabled must be 1 or 0' });
    }
    const email = await setDisabled(audit, currentUser(res)!, String(req.params.id), value === '1');
    flash(req, value === '1' ? 'accounts.users.disabledDone' : 'accounts.users.enabledDone', { email });
    res.redirect(303, url(lang, '/admin/users'));
  });

  router.post('/users/:id/unlock', requireRole('admin'), async (req, res) => {
    const lang = langOf(res);
    const { email, unlocked } = await unlockAccount(audit, currentUser(res)!, String(req.params.id));
    flash(req, unlocked ? 'accounts.users.unlockedDone' : 'accounts.users.notLocked', { email });
    res.redirect(303, url(lang, '/admin/users'));
  });

  return router;
}
