/**
 * What the verify pages and the brand page show: the verdict for one certificate (word, icon,
 * tone and a plain sentence), its facts, and the brand-standing lines. Words and an icon always
 * go with the colour, so no state is told by colour alone.
 */
import { formatDate, label, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import type { PublicCertificate } from '../registries/queries.js';
import { standingView, type BrandStanding } from '../registries/standing.js';
import type { NearMiss } from './service.js';

export type VerifyState = 'valid' | 'expired' | 'suspended' | 'revoked' | 'notFound';

const STATE_OF: Record<string, VerifyState> = { 有效: 'valid', 过期: 'expired', 暂停: 'suspended', 撤销: 'revoked' };
const ICON: Record<VerifyState, string> = { valid: '✓', expired: '!', suspended: '!', revoked: '✕', notFound: '✕' };
const TONE: Record<VerifyState, 'ok' | 'warn' | 'bad'> = { valid: 'ok', expired: 'warn', suspended: 'warn', revoked: 'bad', notFound: 'bad' };

/** The verify state for a public (effective) certificate status. */
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
export function resultViewModel(lang: Lang, c: PublicCertificate, standing: BrandStanding | null) {
  const state = stateOf(c.status);
  const d = (x: Date | null | undefined) => formatDate(lang, x);
  const lead = {
    valid: t(lang, 'verify.lead.valid', { level: label(lang, c.level) }),
    expired: t(lang, 'verify.lead.expired', { d: d(c.validUntil) }),
    suspended: t(lang, 'verify.lead.suspended', { d: d(c.statusChangedAt) }),
    revoked: t(lang, 'verify.lead.revoked', { d: d(c.statusChangedAt) }),
    notFound: '',
  }[state];
  const withdrawn = state === 'suspended' || state === 'revoked';
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
  };
}

/** The verdict for a number that does not exist. */
export function notFoundViewModel(lang: Lang, number: string, misses: NearMiss[]) {
  return {
    state: 'notFound' as const,
    tone: TONE.notFound,
    icon: ICON.notFound,
    word: stateWord(lang, 'notFound'),
    lead: t(lang, 'verify.lead.notFound', { n: number }),
    number,
    suggestions: nearMissView(lang, misses),
  };
}
