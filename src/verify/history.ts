/**
 * A certificate's own history on its verification result: issued, suspended (with the reason),
 * restored, revoked, renewed, its level changed, expired — each with its date, newest first.
 *
 * As on the brand page (src/site/history.ts), the issue date and the end of validity come from
 * the certificate itself (the bureau's dates, present also for certificates that arrived by an
 * import) and what changed since from the audit trail's events for it (src/audit/public-events.ts).
 * Only the status, level and validity are told, with the reason the bureau gave; never who.
 */
import type { AuditEventDoc } from '../audit/index.js';
import { publicEventsOf } from '../audit/public-events.js';
import { formatDate, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { VALID } from '../registries/kinds.js';
import { Certificate } from '../registries/models.js';
import { formatPartial, isoPartial, storedPartial } from '../registries/partial-date.js';

registerMessages({
  'certHistory.title': ['证书记录', 'Certificate history'],
  'certHistory.intro': ['本证书的颁发和状态变化，按时间由近及远排列。', 'When this certificate was issued and how its status changed, newest first.'],
  'certHistory.issued': ['颁发（{level}）', 'Issued ({level})'],
  'certHistory.suspended': ['暂停', 'Suspended'],
  'certHistory.revoked': ['撤销', 'Revoked'],
  'certHistory.restored': ['恢复有效', 'Restored'],
  'certHistory.status': ['状态由“{before}”变为“{after}”', 'Status changed from “{before}” to “{after}”'],
  'certHistory.renewed': ['续期：有效期延至 {date}', 'Renewed: valid until {date}'],
  'certHistory.level': ['认定级别由“{before}”变为“{after}”', 'Level changed from “{before}” to “{after}”'],
  'certHistory.expired': ['有效期届满', 'Validity ended'],
  'certHistory.reason': ['原因', 'Reason'],
});

export interface CertificateHistoryLine {
  at: Date;
  /** For <time datetime>: YYYY-MM-DD (YYYY or YYYY-MM for an issue date known only so far). */
  iso: string;
  when: string;
  text: string;
  reason: string;
}

const text = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** What one audit event tells about a certificate: zero or more lines. */
export function certificateLinesOf(lang: Lang, e: AuditEventDoc): Array<{ text: string; reason: string }> {
  const by = new Map((Array.isArray(e.changes) ? e.changes : []).map((c) => [c.field, c]));
  const out: Array<{ text: string; reason: string }> = [];
  const reason = e.reason ?? '';
  const status = by.get('status');
  if (status && status.before !== status.after) {
    const after = text(status.after);
    const key = after === '暂停' ? 'certHistory.suspended' : after === '撤销' ? 'certHistory.revoked' : after === VALID ? 'certHistory.restored' : '';
    out.push({
      text: key ? t(lang, key) : t(lang, 'certHistory.status', { before: label(lang, text(status.before)), after: label(lang, after) }),
      reason,
    });
  }
  const level = by.get('level');
  if (level && level.before !== level.after) {
    out.push({
      text: t(lang, 'certHistory.level', { before: label(lang, text(level.before)), after: label(lang, text(level.after)) }),
      reason: out.length ? '' : reason,
    });
  }
  const until = by.get('validUntil');
  if (until && until.after && new Date(String(until.after)).getTime() > new Date(String(until.before ?? 0)).getTime()) {
    out.push({ text: t(lang, 'certHistory.renewed', { date: formatDate(lang, String(until.after)) }), reason: '' });
  }
  return out;
}

/** The public history of the certificate `number` (already normalised), newest first; [] if there is none. */
export async function certificateHistory(lang: Lang, number: string, o: { now?: Date; limit?: number } = {}): Promise<CertificateHistoryLine[]> {
  const now = o.now ?? new Date();
  const limit = o.limit ?? 50;
  const c = await Certificate.findOne({ number }, { _id: 1, issuedAt: 1, issuedAtPrecision: 1, validUntil: 1, level: 1 }).lean();
  if (!c) return [];
  const events = await publicEventsOf([{ model: 'Certificate', id: String(c._id) }], limit);
  const day = (at: Date) => ({ at, iso: at.toISOString().slice(0, 10), when: formatDate(lang, at) });
  // An issue date may be known to the year or month only (an old certificate from a list): shown as given.
  const issued = storedPartial(c.issuedAt, c.issuedAtPrecision);
  const lines: CertificateHistoryLine[] = [
    ...(issued
      ? [
          {
            at: issued.date,
            iso: isoPartial(issued),
            when: formatPartial(lang, issued),
            text: t(lang, 'certHistory.issued', { level: label(lang, c.level) }),
            reason: '',
          },
        ]
      : []),
    ...(c.validUntil && new Date(c.validUntil).getTime() < now.getTime()
      ? [{ ...day(new Date(c.validUntil)), text: t(lang, 'certHistory.expired'), reason: '' }]
      : []),
    ...events.flatMap((e) => certificateLinesOf(lang, e).map((l) => ({ ...l, ...day(new Date(e.at)) }))),
  ];
  return lines.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
}
