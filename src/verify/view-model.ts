/**
 * What the verify pages and the brand page show: the verdict for one certificate (word, icon,
 * tone and a plain sentence), its facts, and the brand-standing lines. Words and an icon always
 * go with the colour, so no state is told by colour alone.
 */
import { formatDate, formatTime, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import type { PublicCertificate } from '../registries/queries.js';
import { standingView, type BrandStanding } from '../registries/standing.js';
import type { NearMiss } from './service.js';

registerMessages({
  'verify.state.cancelled': ['已注销', 'Cancelled'],
  'verify.lead.cancelled': [
    '该证书已于{d}注销。产品不得再使用此认定标志。',
    'This certificate was cancelled on {d}. The product may no longer use this certification mark.',
  ],
  'verify.checkedAt': ['查验时间：{time}（北京时间）', 'Checked {time} (Beijing time)'],
  'verify.notFoundCaveat': [
    '本库数据更新于 {time}。新颁发的证书录入本库可能有延迟；如有疑问，请向发证机关核实或拨打 12315。',
    'This registry’s data is as of {time}. A newly issued certificate may not be entered yet; if in doubt, ask the issuing body or call 12315.',
  ],
  'verify.notFoundCaveatUndated': [
    '新颁发的证书录入本库可能有延迟；如有疑问，请向发证机关核实或拨打 12315。',
    'A newly issued certificate may not be entered yet; if in doubt, ask the issuing body or call 12315.',
  ],
});

export type VerifyState = 'valid' | 'expired' | 'suspended' | 'revoked' | 'cancelled' | 'notFound';

const STATE_OF: Record<string, VerifyState> = { 有效: 'valid', 过期: 'expired', 暂停: 'suspended', 撤销: 'revoked', 注销: 'cancelled' };
const ICON: Record<VerifyState, string> = { valid: '✓', expired: '!', suspended: '!', revoked: '✕', cancelled: '✕', notFound: '✕' };
const TONE: Record<VerifyState, 'ok' | 'warn' | 'bad'> = { valid: 'ok', expired: 'warn', suspended: 'warn', revoked: 'bad', cancelled: 'bad', notFound: 'bad' };

/**
 * The verify state for a public (effective) certificate status. A status an admin added later
 * (reference data) is not a valid one: it reads as withdrawn.
 */
export function stateOf(status: string): VerifyState {
  return STATE_OF[status] ?? 'revoked';
}

/** The word for a state in the page language (有效 / 已过期 / 已暂停 / 已撤销 / 查无此证). */
export function stateWord(lang: Lang, state: VerifyState): string {
  return t(lang, `verify.state.${state}`);
}

/** The link to a certificate's result page, keeping the language. */
export function verifyHref(lang: Lang, number: string): string {
  return url(lang, `/verify/${encodeURIComponent(number)}`);
}

export function nearMissView(lang: Lang, misses: NearMiss[]) {
  return misses.map((m) => ({ number: m.number, product: m.product, href: verifyHref(lang, m.number) }));
}

/** The verdict and facts for a certificate that exists. */
export function resultViewModel(lang: Lang, c: PublicCertificate, standing: BrandStanding | null, now = new Date()) {
  const state = stateOf(c.status);
  const d = (x: Date | null | undefined) => formatDate(lang, x);
  const lead = {
    valid: t(lang, 'verify.lead.valid', { level: label(lang, c.level) }),
    expired: t(lang, 'verify.lead.expired', { d: d(c.validUntil) }),
    suspended: t(lang, 'verify.lead.suspended', { d: d(c.statusChangedAt) }),
    revoked: t(lang, 'verify.lead.revoked', { d: d(c.statusChangedAt) }),
    cancelled: t(lang, 'verify.lead.cancelled', { d: d(c.statusChangedAt) }),
    notFound: '',
  }[state];
  const withdrawn = state === 'suspended' || state === 'revoked' || state === 'cancelled';
  return {
    state,
    tone: TONE[state],
    icon: ICON[state],
    word: stateWord(lang, state),
    lead,
    number: c.number,
    levelLabel: label(lang, c.level),
    scopeLabel: label(lang, c.scope),
    product: c.product,
    company: c.brand?.company ?? '',
    brandName: c.brand?.name ?? '',
    brandHref: c.brand ? url(lang, `/brands/${c.brand.slug}`) : null,
    issuedAt: c.issuedAt,
    issuedAtPrecision: c.issuedAtPrecision,
    validUntil: c.validUntil,
    issuer: c.issuer,
    standard: c.standard,
    // The date and reason of a suspension or revocation are public; for other states they are not shown.
    statusDate: withdrawn ? c.statusChangedAt : null,
    statusReason: withdrawn ? c.statusReason : '',
    demo: c.demo,
    standing: standingView(lang, standing),
    qrSvgHref: url(lang, `/verify/${encodeURIComponent(c.number)}/qr.svg`),
    qrPngHref: url(lang, `/verify/${encodeURIComponent(c.number)}/qr.png`),
    // People screenshot the verdict as proof: when it was given, in the bureau's time.
    checkedAt: t(lang, 'verify.checkedAt', { time: formatTime(lang, now) }),
  };
}

/** The verdict for a number that does not exist. */
export function notFoundViewModel(lang: Lang, number: string, misses: NearMiss[], o: { now?: Date; asOf?: Date | null } = {}) {
  return {
    checkedAt: t(lang, 'verify.checkedAt', { time: formatTime(lang, o.now ?? new Date()) }),
    // Not in the registry is not the same as not issued: a new certificate may not be entered yet.
    caveat: o.asOf ? t(lang, 'verify.notFoundCaveat', { time: formatTime(lang, o.asOf) }) : t(lang, 'verify.notFoundCaveatUndated'),
    state: 'notFound' as const,
    tone: TONE.notFound,
    icon: ICON.notFound,
    word: stateWord(lang, 'notFound'),
    lead: t(lang, 'verify.lead.notFound', { n: number }),
    number,
    suggestions: nearMissView(lang, misses),
  };
}
