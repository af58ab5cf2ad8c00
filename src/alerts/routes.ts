/**
 * The alerts' pages.
 *
 *   POST /alerts/subscribe                 email, type (brand|certificate|list), ref → 303 /alerts/sent
 *   GET  /alerts/subscribe?type=…&ref=…    the form on its own (also where a stale form comes back to)
 *   GET  /alerts/confirm/<token>           a page with a button (mail scanners open links: GET never confirms)
 *   POST /alerts/confirm/<token>           confirms (the token is single-use)
 *   GET  /alerts/unsubscribe/<token>       a page with a button
 *   POST /alerts/unsubscribe/<token>       unsubscribes: the button, or a mail client's RFC 8058 one-click POST
 *   GET  /admin/outbox[?status=…], /admin/outbox/<key>, POST /admin/outbox/<key>/retry   (admins)
 *
 * The subscribe forms sit on public pages, which set no cookie: the CSRF defence is the stateless
 * form token and origin check of src/platform/form-token.ts, as for the report form. Confirm and
 * unsubscribe posts carry their own unguessable token in the URL (a confirmation token, or the
 * subscription's HMAC), which is what a cross-site forger cannot know; the one-click POST comes
 * from a mail client with no page, no origin and no form token, as RFC 8058 requires.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { requireRole } from '../accounts/middleware.js';
import { AppError } from '../platform/errors.js';
import { formPostVerdict, formToken } from '../platform/form-token.js';
import { isRecord } from '../platform/guards.js';
import { formatTime, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { REGISTRIES } from '../registries/kinds.js';
import { KINDS } from '../registries/reference.js';
import type { Alerts } from './index.js';
import { checkUnsubscribeToken, KIND_NAMES, subjectOf } from './mail.js';
import { isKind, Mail, MAIL_STATUSES, type MailDoc } from './model.js';
import { confirm, findPending, findSubscription, subscribe, unsubscribe } from './service.js';

registerMessages({
  'alerts.title': ['订阅提醒', 'Subscribe to alerts'],
  'alerts.cta.brand': ['订阅该品牌的状态变化', 'Get an e-mail when this brand’s status changes'],
  'alerts.cta.certificate': ['订阅该证书的到期提醒', 'Get an e-mail before this certificate expires'],
  'alerts.cta.list': ['订阅本名录的新增名单', 'Get an e-mail about new listings here'],
  'alerts.email': ['邮箱', 'E-mail'],
  'alerts.email.hint': [
    '我们会先发一封确认邮件；确认前不会发送任何提醒。每封提醒都可一键退订。',
    'We first send a confirmation mail and nothing else until you confirm. Every alert has a one-click unsubscribe link.',
  ],
  'alerts.submit': ['订阅', 'Subscribe'],
  'alerts.errors': ['请修改下面标出的内容。', 'Please correct the fields marked below.'],
  'alerts.again': ['页面停留过久或提交过快，请确认后重新提交。', 'The page was open too long or sent too fast; check and send it again.'],
  'alerts.subject': ['订阅内容', 'Subscribing to'],
  'alerts.sent.title': ['请查收确认邮件', 'Check your inbox'],
  'alerts.sent.body': [
    '如果该邮箱尚未订阅，我们已发送一封确认邮件。请在 48 小时内点击邮件中的链接完成订阅；确认前不会发送任何提醒。',
    'Unless this address is subscribed already, we have sent a confirmation mail. Open its link within 48 hours; until then we send nothing else.',
  ],
  'alerts.confirm.title': ['确认订阅', 'Confirm the subscription'],
  'alerts.confirm.body': ['确认用 {email} 订阅{what}？', 'Subscribe {email} to {what}?'],
  'alerts.confirm.button': ['确认订阅', 'Confirm'],
  'alerts.confirmed.title': ['订阅成功', 'Subscribed'],
  'alerts.confirmed.body': [
    '已确认。今后{what}会发送到您的邮箱，每封邮件都可一键退订。',
    'Confirmed. You will get {what} by e-mail; every mail has a one-click unsubscribe link.',
  ],
  'alerts.invalid.title': ['链接无效或已过期', 'The link is not valid or has expired'],
  'alerts.invalid.body': [
    '该确认链接已使用、已过期或不正确。您可以重新订阅。',
    'This confirmation link has been used, has expired or is wrong. You may subscribe again.',
  ],
  'alerts.unsubscribe.title': ['退订', 'Unsubscribe'],
  'alerts.unsubscribe.body': ['不再向 {email} 发送{what}？', 'Stop sending {what} to {email}?'],
  'alerts.unsubscribe.button': ['退订', 'Unsubscribe'],
  'alerts.unsubscribed.title': ['已退订', 'Unsubscribed'],
  'alerts.unsubscribed.body': ['已退订，不会再发送此类邮件。', 'Done: no more of these mails will be sent.'],
  'alerts.limited': ['订阅请求过于频繁，请一小时后再试', 'Too many subscription requests from here; please try again in an hour'],
  'admin.nav.outbox': ['邮件发件箱', 'Mail outbox'],
  'outbox.title': ['邮件发件箱', 'Mail outbox'],
  'outbox.folder': [
    '未设置 SMTP_URL：邮件不会发出，而是写入文件夹 {dir}，并列在这里。',
    'SMTP_URL is not set: mails are not sent but written to the folder {dir}, and listed here.',
  ],
  'outbox.smtp': ['邮件通过 SMTP_URL 指定的服务器发送。', 'Mails are sent through the SMTP server of SMTP_URL.'],
  'outbox.filter': ['状态', 'Status'],
  'outbox.all': ['全部', 'All'],
  'outbox.show': ['筛选', 'Show'],
  'outbox.none': ['没有邮件。', 'No mails.'],
  'outbox.th.at': ['时间', 'Queued'],
  'outbox.th.to': ['收件人', 'To'],
  'outbox.th.subject': ['主题', 'Subject'],
  'outbox.th.status': ['状态', 'Status'],
  'outbox.th.attempts': ['尝试次数', 'Attempts'],
  'outbox.status.queued': ['待发送', 'Queued'],
  'outbox.status.sending': ['发送中', 'Sending'],
  'outbox.status.sent': ['已发送', 'Sent'],
  'outbox.status.dead': ['投递失败（死信）', 'Failed (dead letter)'],
  'outbox.count': ['{label}：{n}', '{label}: {n}'],
  'outbox.messageId': ['Message-ID', 'Message-ID'],
  'outbox.lastError': ['最近错误', 'Last error'],
  'outbox.file': ['文件', 'File'],
  'outbox.headers': ['附加邮件头', 'Extra headers'],
  'outbox.body': ['正文（纯文本）', 'Body (plain text)'],
  'outbox.retry': ['重新投递', 'Retry delivery'],
  'outbox.retried': ['已重新排队。', 'Queued again.'],
  'outbox.back': ['返回发件箱', 'Back to the outbox'],
});

const FORM = 'alerts';
const TYPES = ['brand', 'certificate', 'list'] as const;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const body = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});
const whatOf = (lang: Lang, s: Parameters<typeof subjectOf>[0], name?: string) => subjectOf(s, name)[lang === 'en' ? 1 : 0];

/** What the subscribe partial on public pages needs: a form token, and the list a list page shows. */
declare module 'express-serve-static-core' {
  interface Locals {
    alerts?: { token: string; action: string; list: string | null };
  }
}

/**
 * res.locals.alerts for the public pages that carry a subscribe form (brand pages, certificate
 * results, list pages): the form's token is signed per page view, like the report form's.
 */
export function alertLocals(alerts: Pick<Alerts, 'secret'>): RequestHandler {
  const lists = new Map<string, string>(KINDS.map((k) => [REGISTRIES[k].listPath, k]));
  return (req, res, next) => {
    // Pages only: not the back office, the API or static files (a path with an extension).
    if (req.method === 'GET' && !req.path.startsWith('/admin') && !req.path.startsWith('/api/') && !/\.[a-z0-9]+$/i.test(req.path)) {
      res.locals.alerts = { token: formToken(alerts.secret, FORM), action: url(res.locals.lang, '/alerts/subscribe'), list: lists.get(req.path) ?? null };
    }
    next();
  };
}

export interface AlertRoutesDeps {
  render: Render;
  alerts: Alerts;
  config: { PUBLIC_BASE_URL: string; NODE_ENV: string };
  /** Per-client limit on subscribe posts (the app's limiter). */
  limit: RequestHandler;
}

export function publicAlertRoutes(deps: AlertRoutesDeps): Router {
  const router = Router();
  const { alerts } = deps;
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) => {
    // Tokens in the address, addresses typed: nobody's to cache or index.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Robots-Tag', 'noindex');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, noindex: true, styles: ['css/report.css'], ...data }));
  };
  const message = (res: Response, status: number, key: string, vars: Record<string, string> = {}) =>
    page(res, status, 'alerts/message', { title: t(res.locals.lang, `alerts.${key}.title`), text: t(res.locals.lang, `alerts.${key}.body`, vars) });

  const formPage = (res: Response, status: number, o: { values: Record<string, unknown>; errors?: Record<string, string>; again?: boolean }) => {
    const lang = res.locals.lang;
    const type = str(o.values.type) ?? '';
    const ref = str(o.values.ref) ?? '';
    const known = (TYPES as readonly string[]).includes(type) && ref !== '';
    page(res, status, 'alerts/subscribe', {
      title: t(lang, 'alerts.title'),
      action: url(lang, '/alerts/subscribe'),
      formToken: formToken(alerts.secret, FORM),
      type,
      ref,
      subject: known
        ? whatOf(lang, { type: type as (typeof TYPES)[number], ref }, type === 'list' && isKind(ref) ? KIND_NAMES[ref][lang === 'en' ? 1 : 0] : undefined)
        : null,
      email: str(o.values.email) ?? '',
      errors: o.errors ?? {},
      hasErrors: Boolean(o.errors && Object.keys(o.errors).length),
      again: o.again ?? false,
    });
  };

  router.get('/alerts/subscribe', (req, res) => formPage(res, 200, { values: { type: str(req.query.type), ref: str(req.query.ref) } }));

  router.post('/alerts/subscribe', deps.limit, async (req, res) => {
    const lang = res.locals.lang;
    const b = body(req);
    const verdict = formPostVerdict(req, {
      secret: alerts.secret,
      form: FORM,
      publicBaseUrl: deps.config.PUBLIC_BASE_URL,
      production: deps.config.NODE_ENV === 'production',
    });
    if (verdict === 'invalid') {
      throw new AppError('forbidden', '页面已过期或请求来源不可信，请刷新页面后重新填写', {
        messageEn: 'The page has expired or the request came from an untrusted origin; reload the page and fill it in again',
      });
    }
    if (verdict !== 'ok') return formPage(res, 400, { values: b, again: true });
    try {
      await subscribe({ email: b.email, type: b.type, ref: b.ref, lang }, { links: { base: alerts.base } });
      alerts.queued();
      res.redirect(303, url(lang, '/alerts/sent'));
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        const errors: Record<string, string> = {};
        for (const p of err.fields) errors[p.field] ??= lang === 'en' ? p.messageEn : p.message;
        return formPage(res, 400, { values: b, errors });
      }
      throw err;
    }
  });

  router.get('/alerts/sent', (_req, res) => message(res, 200, 'sent'));

  router.get('/alerts/confirm/:token', async (req, res) => {
    const lang = res.locals.lang;
    const sub = await findPending(String(req.params.token));
    if (!sub) return message(res, 404, 'invalid');
    page(res, 200, 'alerts/confirm', {
      title: t(lang, 'alerts.confirm.title'),
      text: t(lang, 'alerts.confirm.body', { email: sub.email, what: whatOf(lang, sub) }),
      action: url(lang, `/alerts/confirm/${String(req.params.token)}`),
      button: t(lang, 'alerts.confirm.button'),
    });
  });

  router.post('/alerts/confirm/:token', async (req, res) => {
    const sub = await confirm(String(req.params.token));
    if (!sub) return message(res, 404, 'invalid');
    message(res, 200, 'confirmed', { what: whatOf(res.locals.lang, sub) });
  });

  router.get('/alerts/unsubscribe/:token', async (req, res) => {
    const lang = res.locals.lang;
    const id = checkUnsubscribeToken(alerts.secret, String(req.params.token));
    const sub = id ? await findSubscription(id) : null;
    if (!sub) return message(res, 404, 'invalid');
    if (sub.status === 'unsubscribed') return message(res, 200, 'unsubscribed');
    page(res, 200, 'alerts/confirm', {
      title: t(lang, 'alerts.unsubscribe.title'),
      text: t(lang, 'alerts.unsubscribe.body', { email: sub.email, what: whatOf(lang, sub) }),
      action: url(lang, `/alerts/unsubscribe/${String(req.params.token)}`),
      button: t(lang, 'alerts.unsubscribe.button'),
    });
  });

  // The button, or RFC 8058's `List-Unsubscribe=One-Click` from a mail client: the same answer.
  router.post('/alerts/unsubscribe/:token', async (req, res) => {
    const id = checkUnsubscribeToken(alerts.secret, String(req.params.token));
    if (!id || !(await unsubscribe(id))) return message(res, 404, 'invalid');
    message(res, 200, 'unsubscribed');
  });

  return router;
}

const statusParam = z
  .enum(MAIL_STATUSES)
  .optional()
  .or(z.literal('').transform(() => undefined));

/** A plain-text body as lines of segments, links apart, so the page shows them clickable and escaped. */
function segmentsOf(text: string) {
  return text.split('\n').map((line) =>
    line
      .split(/(https?:\/\/[^\s<>"]+)/)
      .filter((s) => s !== '')
      .map((s) => (/^https?:\/\//.test(s) ? { text: s, href: s } : { text: s, href: null })),
  );
}

/** The back office's view of the outbox (mounted under /admin, behind its session and CSRF checks). */
export function adminOutboxRoutes(deps: { render: Render; alerts: Alerts }): Router {
  const router = Router();
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, ...data }));
  const stateLabel = (lang: Lang, s: string) => t(lang, `outbox.status.${s}`);

  router.get('/outbox', requireRole('admin'), async (req, res) => {
    const lang = res.locals.lang;
    const parsed = statusParam.safeParse(req.query.status);
    if (!parsed.success) {
      throw new AppError('bad_request', '状态不正确', {
        messageEn: 'Unknown status',
        fields: [{ field: 'status', message: '状态不正确', messageEn: 'unknown status' }],
      });
    }
    const filter = parsed.data ? { status: parsed.data } : {};
    const [mails, counts] = await Promise.all([
      Mail.find(filter).sort({ createdAt: -1 }).limit(200).select('-html -text').lean<MailDoc[]>(),
      Promise.all(MAIL_STATUSES.map(async (s) => ({ s, n: await Mail.countDocuments({ status: s }) }))),
    ]);
    page(res, 200, 'alerts/outbox', {
      title: t(lang, 'outbox.title'),
      where: deps.alerts.toFolder ? t(lang, 'outbox.folder', { dir: deps.alerts.folder }) : t(lang, 'outbox.smtp'),
      statuses: MAIL_STATUSES.map((s) => ({ value: s, label: stateLabel(lang, s), selected: s === parsed.data })),
      counts: counts.map((c) => t(lang, 'outbox.count', { label: stateLabel(lang, c.s), n: c.n })),
      rows: mails.map((m) => ({
        href: url(lang, `/admin/outbox/${encodeURIComponent(m._id)}`),
        at: formatTime(lang, m.createdAt),
        to: m.to,
        subject: m.subject,
        state: m.status,
        stateLabel: stateLabel(lang, m.status),
        attempts: m.attempts,
      })),
    });
  });

  router.get('/outbox/:key', requireRole('admin'), async (req, res) => {
    const lang = res.locals.lang;
    const m = await Mail.findById(String(req.params.key)).lean<MailDoc>();
    if (!m) throw new AppError('not_found', '找不到该邮件', { messageEn: 'No such mail' });
    page(res, 200, 'alerts/outbox-mail', {
      title: m.subject,
      mail: {
        ...m,
        at: formatTime(lang, m.createdAt),
        sentAtText: m.sentAt ? formatTime(lang, m.sentAt) : '',
        stateLabel: stateLabel(lang, m.status),
        headerList: Object.entries(m.headers ?? {}).map(([name, value]) => ({ name, value })),
        lines: segmentsOf(m.text),
      },
      dead: m.status === 'dead',
      retryAction: url(lang, `/admin/outbox/${encodeURIComponent(m._id)}/retry`),
      back: url(lang, '/admin/outbox'),
      retried: req.query.retried === '1',
    });
  });

  router.post('/outbox/:key/retry', requireRole('admin'), async (req, res) => {
    const key = String(req.params.key);
    await Mail.updateOne({ _id: key, status: 'dead' }, { $set: { status: 'queued', attempts: 0, nextAttemptAt: new Date(), lastError: '' } });
    deps.alerts.queued();
    res.redirect(303, url(res.locals.lang, `/admin/outbox/${encodeURIComponent(key)}`, { retried: 1 }));
  });

  return router;
}
