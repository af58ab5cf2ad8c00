/**
 * View models for the back-office entry pages: an entry's fields as label/value rows, its status,
 * the famous-mark ledger's protection records, and its history from the audit trail with
 * field-level before/after. Plain objects only; the templates never see a mongoose document.
 */
import { formatDate, label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { statusClass } from '../../search/view-model.js';
import { fieldLabelKey, specOfModel, type EntitySpec, type FieldSpec } from './specs.js';
import { effectiveStatus } from '../../registries/kinds.js';
import { isRecord } from '../../platform/guards.js';
import { dateOf, getPath, type RecordView } from './narrow.js';
import { formatPartial, PARTIAL_DATE_PATHS, precisionPathOf, storedPartial } from '../../registries/partial-date.js';

/** One event of an entry's history, as src/audit's historyOf() returns it. */
export interface HistoryEvent {
  seq: number;
  at: Date | string;
  actor: string;
  action: string;
  reason?: string;
  /** Present when the audit trail records it: the entry's version after this event. */
  version?: number | null;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Translates a key, or returns `fallback` when the catalogue has no such key. */
export function tOr(lang: Lang, key: string, fallback: string): string {
  const s = t(lang, key);
  return s === key ? fallback : s;
}

/** Any stored value as short readable text: dates as dates, lists joined, records summarised. */
export function displayValue(lang: Lang, v: unknown, depth = 0): string {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'boolean') return t(lang, v ? 'adminreg.yes' : 'adminreg.no');
  if (v instanceof Date) return formatDate(lang, v);
  if (typeof v === 'string') return ISO.test(v) ? formatDate(lang, v) : label(lang, v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '—';
    if (depth > 0 || v.some((x) => x && typeof x === 'object' && !(x instanceof Date))) {
      return t(lang, 'adminreg.items', { n: v.length });
    }
    return v.map((x) => displayValue(lang, x, depth + 1)).join('、');
  }
  if (typeof v === 'object') {
    const o = isRecord(v) ? v : {};
    // An ObjectId (or its JSON form) is shown as its hex string.
    if (typeof o.toHexString === 'function') return String(v);
    if (typeof o.$oid === 'string') return o.$oid;
    return Object.entries(o)
      .filter(([k]) => k !== '_id')
      .map(([k, x]) => `${tOr(lang, `adminreg.field.${k}`, k)}：${displayValue(lang, x, depth + 1)}`)
      .join('；');
  }
  return String(v);
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The label for a model path in the page language (falls back to the path itself). */
export function fieldLabel(lang: Lang, name: string): string {
  return tOr(lang, fieldLabelKey(name), name);
}

function fieldText(lang: Lang, f: FieldSpec, v: unknown, doc: Record<string, unknown>): string {
  if (f.type === 'checkbox') return t(lang, v ? 'adminreg.yes' : 'adminreg.no');
  if (f.type === 'partialDate') {
    // As given: 2011年 / 2011年6月 / 2011年6月1日.
    const p = storedPartial(v, getPath(doc, precisionPathOf(f.name)));
    return p ? formatPartial(lang, p) : '—';
  }
  if (f.type === 'date') return v instanceof Date || typeof v === 'string' ? formatDate(lang, v) : '—';
  return displayValue(lang, v);
}

/** The entry's fields (except brand and status, shown on their own) as label/value rows. */
export function factRows(lang: Lang, spec: EntitySpec, doc: Record<string, unknown>) {
  return spec.fields
    .filter((f) => f.type !== 'brand' && f.name !== 'status')
    .map((f) => ({
      label: fieldLabel(lang, f.name),
      value: fieldText(lang, f, getPath(doc, f.name), doc),
      mono: ['regNo', 'number', 'creditCode', 'trademarkRegNo', 'recognition.documentNo', 'slug'].includes(f.name),
    }));
}

/** Status as shown: certificates past valid-until are 过期 whatever is stored. */
export function statusView(lang: Lang, spec: EntitySpec, doc: Record<string, unknown>, now: Date) {
  if (!spec.statuses) return null;
  const stored = String(doc.status ?? '');
  const effective = spec.key === 'certified' ? effectiveStatus('certified', stored, dateOf(doc.validUntil), now) : stored;
  return {
    stored,
    storedLabel: label(lang, stored),
    effective,
    label: label(lang, effective),
    cls: statusClass(effective),
    derived: effective !== stored,
    changedAt: doc.statusChangedAt ?? null,
    reason: String(doc.statusReason ?? ''),
    validUntil: spec.key === 'certified' ? doc.validUntil : null,
  };
}

/** The ledger's protection records, oldest first and numbered from 1; corrections point both ways. */
export function recordsView(lang: Lang, records: RecordView[]) {
  const list = [...records];
  const numberOf = new Map(list.map((r, i) => [String(r._id), i + 1]));
  const correctedBy = new Map<string, number[]>();
  list.forEach((r, i) => {
    if (r.corrects) {
      const k = String(r.corrects);
      correctedBy.set(k, [...(correctedBy.get(k) ?? []), i + 1]);
    }
  });
  return list.map((r, i) => ({
    n: i + 1,
    id: String(r._id),
    date: r.date,
    kind: label(lang, r.kind),
    summary: r.summary,
    outcome: r.outcome ?? '',
    links: (r.links ?? []).filter((l) => /^https?:\/\//i.test(l)),
    recordedBy: r.recordedBy ?? '',
    recordedAt: r.recordedAt ?? null,
    corrects: r.corrects ? (numberOf.get(String(r.corrects)) ?? null) : null,
    correctedBy: (correctedBy.get(String(r._id)) ?? []).map((n) => t(lang, 'adminreg.records.correctedBy', { n })).join('；'),
  }));
}

/** A moment as date and time in Beijing time (the audit trail keeps UTC). */
export function dateTime(lang: Lang, at: Date | string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  const local = new Date(d.getTime() + 8 * 3_600_000);
  const hh = String(local.getUTCHours()).padStart(2, '0');
  const mm = String(local.getUTCMinutes()).padStart(2, '0');
  return `${formatDate(lang, local)} ${hh}:${mm}`;
}

type Change = NonNullable<HistoryEvent['changes']>[number];

/**
 * Partial dates in history rows (partial-date.ts): a date change is shown at its precision and the
 * precision's own change is folded into it. An event lists the precision only when it changed, so
 * the precision at each event is followed back from the entry's current one (events newest first).
 */
function partialDateChanges(lang: Lang, events: HistoryEvent[], current: Record<string, unknown> | undefined): Map<HistoryEvent, Change[]> {
  const out = new Map<HistoryEvent, Change[]>();
  const tracked = new Map<string, unknown>(
    PARTIAL_DATE_PATHS.filter((p) => !p.includes('.')).map((p) => [p, current ? getPath(current, precisionPathOf(p)) : undefined]),
  );
  const shown = (v: unknown, precision: unknown) => {
    const d = storedPartial(v, precision);
    return d ? formatPartial(lang, d) : v;
  };
  // A sub-document ("recognition") changes as a whole, its date's precision inside it.
  const nested = (v: unknown) => {
    if (!isRecord(v) || !('date' in v)) return v;
    const { datePrecision, ...rest } = v;
    return { ...rest, date: shown(v.date, datePrecision) };
  };
  for (const e of events) {
    const changes = e.changes ?? [];
    out.set(
      e,
      changes.flatMap((c) => {
        if (tracked.has(c.field.replace(/Precision$/, '')) && c.field.endsWith('Precision')) return [];
        if (!tracked.has(c.field)) return [{ ...c, before: nested(c.before), after: nested(c.after) }];
        const p = changes.find((x) => x.field === precisionPathOf(c.field));
        const after = tracked.get(c.field);
        const before = p ? p.before : after;
        tracked.set(c.field, before);
        return [{ ...c, before: shown(c.before, before), after: shown(c.after, after) }];
      }),
    );
    // A precision that changed without its date (rare): older events see the earlier precision.
    for (const c of changes) {
      const date = c.field.replace(/Precision$/, '');
      if (c.field.endsWith('Precision') && tracked.has(date) && !changes.some((x) => x.field === date)) tracked.set(date, c.before);
    }
  }
  return out;
}

/** History events as rows: who, when, what, why, and each field's before/after. */
export function historyView(lang: Lang, modelName: string, events: HistoryEvent[], current?: Record<string, unknown>) {
  const spec = specOfModel(modelName);
  const dated = partialDateChanges(lang, events, current);
  return events.map((e) => ({
    seq: e.seq,
    at: e.at,
    atText: dateTime(lang, e.at),
    atIso: new Date(e.at).toISOString(),
    actor: e.actor,
    action: tOr(lang, `adminreg.action.${e.action}`, e.action),
    reason: e.reason ?? '',
    changes: (dated.get(e) ?? [])
      .filter((c) => !['version', 'updatedAt', 'createdAt', '_id'].includes(c.field))
      .map((c) => ({
        field: spec ? fieldLabel(lang, c.field) : c.field,
        before: clip(displayValue(lang, c.before)),
        after: clip(displayValue(lang, c.after)),
      })),
  }));
}

/** Links from an entry to its brand in the back office and on the public site. */
export function brandLinks(lang: Lang, brand: { _id: unknown; slug: string; name: string } | null) {
  if (!brand) return null;
  return {
    name: brand.name,
    slug: brand.slug,
    adminHref: url(lang, `/admin/brands/${String(brand._id)}`),
    publicHref: url(lang, `/brands/${brand.slug}`),
  };
}
