/**
 * The alert mails, rendered once when they enter the outbox (the outbox holds what is sent, so an
 * admin reads at /admin/outbox exactly what went out). Chinese first, English below; plain text
 * and a simple HTML part with the same content, every value escaped.
 *
 * Tokens: a confirmation link carries a random token whose SHA-256 alone is stored; an
 * unsubscribe link carries `<subscription id>.<HMAC(secret, id)>`, so nothing secret is stored
 * for it and every alert of a subscription can carry it (RFC 8058 one-click: the same URL takes a
 * POST `List-Unsubscribe=One-Click`).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/index.js';
import { label } from '../platform/i18n.js';
import { REGISTRIES } from '../registries/kinds.js';
import type { Kind } from '../registries/reference.js';
import type { ItemPayload, SubscriptionDoc } from './model.js';

export const KIND_NAMES: Record<Kind, readonly [string, string]> = {
  directory: ['武汉市商标品牌名录', 'Wuhan trademark brand directory'],
  famous: ['驰名商标保护名录', 'Famous-mark protection ledger'],
  'time-honored': ['老字号名录', 'Time-honored brands'],
  certified: ['品牌认证（精品）', 'Certified quality products'],
};

/** The alerts' signing key: the session secret's job, with a development default like the report form's. */
export const alertSecret = (config: Pick<Config, 'SESSION_SECRET'>) => `alerts:${config.SESSION_SECRET ?? 'wbr-development-only-alert-secret'}`;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

const unsubscribeMac = (secret: string, id: string) => createHmac('sha256', secret).update(`unsubscribe|${id}`).digest('base64url');
export const unsubscribeToken = (secret: string, id: string) => `${id}.${unsubscribeMac(secret, id)}`;

/** The subscription id an unsubscribe token names, when its MAC checks out; null otherwise. */
export function checkUnsubscribeToken(secret: string, token: unknown): string | null {
  if (typeof token !== 'string' || token.length > 120) return null;
  const [id, mac] = token.split('.');
  if (!id || !mac || !/^[0-9a-f]{24}$/.test(id)) return null;
  const want = Buffer.from(unsubscribeMac(secret, id));
  const got = Buffer.from(mac);
  return want.length === got.length && timingSafeEqual(want, got) ? id : null;
}

export const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const day = (d: Date | string) => new Date(d).toISOString().slice(0, 10);

/** What a subscription is about, in both languages ("品牌「汉口二厂」" / "the brand 汉口二厂"). */
export function subjectOf(s: Pick<SubscriptionDoc, 'type' | 'ref'>, name?: string): [string, string] {
  if (s.type === 'brand') return [`品牌「${name ?? s.ref}」的状态变化`, `status changes of the brand ${name ?? s.ref}`];
  if (s.type === 'certificate') return [`证书 ${s.ref} 到期提醒`, `expiry reminders for certificate ${s.ref}`];
  if (s.type === 'list') {
    const k = KIND_NAMES[s.ref as Kind] ?? [s.ref, s.ref];
    return [`「${k[0]}」新增名单`, `new listings in the ${k[1]}`];
  }
  return ['监管待办日报', 'the regulators’ daily digest'];
}

interface Rendered {
  subject: string;
  text: string;
  html: string;
}

/** Paragraphs (each [zh, en]) and links into both parts: Chinese block, a rule, English block. */
function compose(subject: string, zh: string[], en: string[], links: Array<{ href: string; zh: string; en: string }>, footer: [string, string]): Rendered {
  const text = [
    ...zh,
    ...links.map((l) => `${l.zh}：${l.href}`),
    footer[0],
    '',
    '----------------------------------------',
    '',
    ...en,
    ...links.map((l) => `${l.en}: ${l.href}`),
    footer[1],
  ].join('\n\n');
  const block = (lang: string, paras: string[], label: 'zh' | 'en', foot: string) =>
    `<div lang="${lang}">${paras.map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`).join('')}${links
      .map((l) => `<p><a href="${esc(l.href)}">${esc(l[label])}</a></p>`)
      .join('')}<p style="color:#555;font-size:90%">${esc(foot)}</p></div>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(subject)}</title></head><body>${block('zh-Hans', zh, 'zh', footer[0])}<hr>${block('en', en, 'en', footer[1])}</body></html>`;
  return { subject, text, html };
}

export interface Links {
  base: string;
  /** `?lang=en` for subscriptions made on English pages. */
  lang: 'zh' | 'en';
}

const link = (l: Links, p: string) => `${l.base.replace(/\/$/, '')}${p}${l.lang === 'en' ? `${p.includes('?') ? '&' : '?'}lang=en` : ''}`;

export function confirmationMail(l: Links, sub: Pick<SubscriptionDoc, 'type' | 'ref'>, token: string, name: string | undefined, hours: number): Rendered {
  const [zhWhat, enWhat] = subjectOf(sub, name);
  return compose(
    `请确认订阅：${zhWhat} | Please confirm your subscription`,
    [`您好！有人（希望是您本人）用这个邮箱订阅了${zhWhat}。`, `请在 ${hours} 小时内打开下面的链接并点击“确认订阅”。确认之前，我们不会给您发送任何提醒。`],
    [
      `Hello! Someone (we hope you) subscribed this address to ${enWhat}.`,
      `Open the link below within ${hours} hours and press “Confirm”. Until you do, we send you nothing.`,
    ],
    [{ href: link(l, `/alerts/confirm/${token}`), zh: '确认订阅', en: 'Confirm the subscription' }],
    ['如果不是您本人操作，请忽略本邮件，订阅会自动失效。', 'If this was not you, ignore this message: the subscription lapses by itself.'],
  );
}

const statusLine = (p: Extract<ItemPayload, { kind: 'status' }>): [string, string] => {
  const [zhKind, enKind] = KIND_NAMES[p.entryKind];
  const id = p.identifier ? ` ${p.identifier}` : '';
  return [
    `「${p.brandName}」的${zhKind}${id}：${p.from || '—'} → ${p.to}（${day(p.at)}）${p.reason ? `，原因：${p.reason}` : ''}`,
    `${p.brandName}, ${enKind}${id}: ${p.from ? label('en', p.from) : '—'} → ${label('en', p.to)} (${day(p.at)})${p.reason ? `; reason: ${p.reason}` : ''}`,
  ];
};

function itemLines(l: Links, p: ItemPayload): { zh: string; en: string; href: string } {
  if (p.kind === 'status') {
    const [zh, en] = statusLine(p);
    return { zh, en, href: link(l, `/brands/${p.brandSlug}`) };
  }
  if (p.kind === 'listing') {
    const names = p.names.map((n) => n.name).join('、');
    const more = p.count > p.names.length ? p.count - p.names.length : 0;
    return {
      zh: `「${KIND_NAMES[p.entryKind][0]}」新增 ${p.count} 条：${names}${more ? ` 等` : ''}`,
      en: `${p.count} new in the ${KIND_NAMES[p.entryKind][1]}: ${names}${more ? ` and ${more} more` : ''}`,
      href: p.names.length === 1 && p.names[0]?.slug ? link(l, `/brands/${p.names[0].slug}`) : link(l, REGISTRIES[p.entryKind].listPath),
    };
  }
  const left = Math.max(0, Math.ceil((new Date(p.validUntil).getTime() - Date.now()) / 86_400_000));
  return {
    zh: `证书 ${p.number}（${p.brandName} · ${p.product}）将于 ${day(p.validUntil)} 到期，还有 ${left} 天。`,
    en: `Certificate ${p.number} (${p.brandName} · ${p.product}) expires on ${day(p.validUntil)}, in ${left} days.`,
    href: link(l, `/verify/${encodeURIComponent(p.number)}`),
  };
}

/** One alert mail for a subscription: every item gathered in this pass. */
export function alertMail(l: Links, sub: Pick<SubscriptionDoc, 'type' | 'ref'>, items: ItemPayload[], unsubscribeHref: string, name?: string): Rendered {
  const [zhWhat, enWhat] = subjectOf(sub, name);
  const lines = items.map((p) => itemLines(l, p));
  return compose(
    `${zhWhat}：${items.length} 条更新 | ${items.length} update(s): ${enWhat}`,
    [`您订阅的${zhWhat}有新消息：`, ...lines.map((x) => `· ${x.zh}\n  ${x.href}`)],
    [`News about ${enWhat}:`, ...lines.map((x) => `· ${x.en}\n  ${x.href}`)],
    [{ href: unsubscribeHref, zh: '退订', en: 'Unsubscribe' }],
    [
      '本名录信息仅供参考，以商标注册机关、认定机关公布的信息为准。您收到本邮件是因为您确认了订阅。',
      'This registry is for reference; the authorities’ publications prevail. You get this because you confirmed a subscription.',
    ],
  );
}

export interface DigestGroup {
  zh: string;
  en: string;
  count: number;
  sample: string[];
}

/** The regulators' daily digest of due items. */
export function digestMail(l: Links, groups: DigestGroup[], unsubscribeHref: string, today: string): Rendered {
  const total = groups.reduce((n, g) => n + g.count, 0);
  const lines = (lang: 'zh' | 'en') =>
    groups
      .filter((g) => g.count > 0)
      .map((g) => `· ${lang === 'zh' ? g.zh : g.en}: ${g.count}${g.sample.length ? `\n  ${g.sample.join(lang === 'zh' ? '、' : ', ')}` : ''}`);
  return compose(
    `监管待办日报 ${today}：${total} 项 | Regulators’ digest ${today}: ${total} item(s)`,
    [`今日需要关注的事项（${today}）：`, ...lines('zh')],
    [`What needs attention today (${today}):`, ...lines('en')],
    [
      { href: `${l.base.replace(/\/$/, '')}/admin/due`, zh: '打开待办视图', en: 'Open the due view' },
      { href: unsubscribeHref, zh: '不再接收日报', en: 'Stop the digest' },
    ],
    ['本邮件发给具有编辑或管理员角色的工作人员。', 'Sent to staff with the editor or administrator role.'],
  );
}

/** The RFC 8058 headers of a mail with an unsubscribe link. */
export const unsubscribeHeaders = (href: string) => ({ 'List-Unsubscribe': `<${href}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });

export const unsubscribeHref = (l: Pick<Links, 'base'>, secret: string, subscriptionId: string) =>
  `${l.base.replace(/\/$/, '')}/alerts/unsubscribe/${unsubscribeToken(secret, subscriptionId)}`;
