/**
 * The entry page (views/admin/entry.hbs): an entry's fields and status, what hangs on it (the
 * brand's trademarks and lists, the famous-mark ledger), its history, and — for editors — the
 * status form and the protection-record form. Shown by the entry handler, and again with
 * problems by the status and record handlers.
 */
import type { Response } from 'express';
import { historyOf } from '../../audit/index.js';
import type { FieldProblem } from '../../platform/errors.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark, type TrademarkDoc } from '../../registries/models.js';
import { PROTECTION_RECORD_KINDS, TIME_HONORED_TIERS, type Kind } from '../../registries/reference.js';
import { statusClass } from '../../search/view-model.js';
import { brandRef, canEdit, entryPath, langOf, send, type AdminContext, type Doc } from './context.js';
import { formView } from './forms.js';
import type { EntityKey, EntitySpec, FieldSpec } from './specs.js';
import { dateOf, recordsOf } from './narrow.js';
import { brandLinks, factRows, historyView, recordsView, statusView } from './views.js';
import { reviewSection } from './reviews.js';
import { completenessOf, type Subject } from '../../registries/completeness.js';
import { effectiveStatus, sortListings } from '../../registries/kinds.js';

/** A refused status change or protection record, shown again on the page with its problems. */
export interface EntryExtras {
  statusForm?: { values: { status: string; statusReason: string }; problems: FieldProblem[] };
  recordForm?: { values: Record<string, string>; problems: FieldProblem[] };
  reviewForm?: { values: Record<string, string>; problems: FieldProblem[] };
  status?: number;
}

export async function entryPage(ctx: AdminContext, res: Response, spec: EntitySpec, doc: Doc, extras: EntryExtras): Promise<void> {
  const lang = langOf(res);
  const id = String(doc._id);
  const clock = ctx.now();
  const brand = spec.key === 'brands' ? { _id: doc._id, name: String(doc.name), slug: String(doc.slug) } : await brandRef(doc.brand);
  const [events, related] = await Promise.all([historyOf(spec.modelName, id), relatedOf(lang, spec.key, doc, brand, clock)]);
  const entity = t(lang, `adminreg.entity.${spec.key}`);
  const st = statusView(lang, spec, doc, clock);
  const editable = canEdit(res);
  const statusProblems = extras.statusForm?.problems ?? [];
  const recordProblems = extras.recordForm?.problems ?? [];
  const anchor = spec.key === 'brands' || spec.key === 'trademarks' ? '' : `#${spec.key}`;
  send(
    ctx,
    res,
    'admin/entry',
    {
      title: `${entity} · ${brand?.name ?? ''}`,
      entity,
      entityKey: spec.key,
      heading: spec.key === 'certified' ? `${doc.product}` : spec.key === 'trademarks' ? `${doc.mark}` : (brand?.name ?? ''),
      brand: brandLinks(lang, brand),
      publicHref: brand ? `${url(lang, `/brands/${brand.slug}`)}${anchor}` : null,
      version: doc.version,
      createdAt: doc.createdAt ?? null,
      updatedAt: doc.updatedAt ?? null,
      facts: factRows(lang, spec, doc),
      toComplete: missingOf(lang, spec.key, doc),
      status: st,
      editHref: url(lang, `${entryPath(spec.key, id)}/edit`),
      listHref: url(lang, `/admin/${spec.key === 'trademarks' ? 'brands' : spec.key}`),
      listLabel: t(lang, `adminreg.list.${spec.key === 'trademarks' ? 'brands' : spec.key}`),
      ...related,
      statusForm:
        editable && spec.statuses
          ? {
              action: url(lang, `${entryPath(spec.key, id)}/status`),
              version: doc.version,
              ...formView(
                lang,
                [
                  { name: 'status', type: 'select', options: spec.statuses, required: true },
                  { name: 'statusReason', type: 'textarea', required: true, max: 500 },
                ],
                extras.statusForm?.values ?? { status: '', statusReason: '' },
                statusProblems,
              ),
            }
          : null,
      recordForm: editable && spec.key === 'famous' ? recordFormView(lang, id, doc, extras.recordForm?.values, recordProblems) : null,
      ...(spec.key === 'time-honored' ? reviewSection(lang, doc, editable, clock, extras.reviewForm) : {}),
      history: historyView(lang, spec.modelName, events ?? [], doc),
    },
    extras.status ?? 200,
  );
}

/**
 * The facts the record lacks (待补充), in the page language: from the completeness rule on the
 * document as shown, the same rule the service stored `missing` by. Trademarks have no rule.
 */
function missingOf(lang: Lang, key: EntityKey, doc: Doc): string[] {
  if (key === 'trademarks') return [];
  const subject: Subject = key === 'brands' ? 'brand' : key;
  return completenessOf(subject, doc).missing.map((f) => (lang === 'en' ? f.labelEn : f.label));
}

/** What an entry page shows besides its own fields: the brand's trademarks, its lists, the ledger. */
async function relatedOf(lang: Lang, key: EntityKey, doc: Doc, brand: { _id: unknown; slug: string } | null, clock: Date) {
  const tmRows = (list: readonly TrademarkDoc[]) =>
    list.map((m) => ({
      href: url(lang, `/admin/trademarks/${String(m._id)}`),
      editHref: url(lang, `/admin/trademarks/${String(m._id)}/edit`),
      regNo: m.regNo,
      mark: m.mark,
      nice: (m.niceClasses ?? []).join('、'),
      validFrom: m.validFrom,
      validTo: m.validTo,
      madrid: m.madrid,
    }));
  if (key === 'directory' && brand) {
    const marks = await Trademark.find({ brand: String(brand._id) })
      .sort({ regNo: 1 })
      .lean();
    return { showTrademarks: true, trademarks: tmRows(marks), newTrademarkHref: url(lang, '/admin/trademarks/new', { brand: brand.slug }) };
  }
  if (key === 'famous') return { showRecords: true, records: recordsView(lang, recordsOf(doc)) };
  if (key !== 'brands' || !brand) return {};
  const [marks, directory, famous, listings, certificates] = await Promise.all([
    Trademark.find({ brand: String(brand._id) })
      .sort({ regNo: 1 })
      .lean(),
    DirectoryEntry.findOne({ brand: String(brand._id) }).lean(),
    FamousMark.find({ brand: String(brand._id) }).lean(),
    TimeHonored.find({ brand: String(brand._id) }).lean(),
    Certificate.find({ brand: String(brand._id) })
      .sort({ issuedAt: -1 })
      .lean(),
  ]);
  const entry = (k: Kind, e: { _id: unknown; status: string; validUntil?: Date }, what: string) => {
    const s = effectiveStatus(k, String(e.status), dateOf(e.validUntil), clock);
    return { href: url(lang, entryPath(k, e._id)), kind: t(lang, `kind.${k}`), what, status: label(lang, s), statusClass: statusClass(s) };
  };
  const entries = [
    ...(directory ? [entry('directory', directory, directory.advantage ? t(lang, 'brand.advantage') : '')] : []),
    ...famous.map((f) => entry('famous', f, f.trademarkRegNo)),
    // One listing per tier the brand holds.
    ...sortListings(listings).map((l) => entry('time-honored', l, `${label(lang, l.tier)} · ${l.recognizedYear}`)),
    ...certificates.map((c) => entry('certified', c, `${c.product} · ${c.number}`)),
  ];
  const add = (k: EntityKey) => ({ href: url(lang, `/admin/${k}/new`, { brand: brand.slug }), label: t(lang, `adminreg.add.${k}`) });
  return {
    showTrademarks: true,
    showEntries: true,
    trademarks: tmRows(marks),
    newTrademarkHref: url(lang, '/admin/trademarks/new', { brand: brand.slug }),
    entries,
    addLinks: [
      ...(directory ? [] : [add('directory')]),
      add('famous'),
      ...(listings.length < TIME_HONORED_TIERS.length ? [add('time-honored')] : []),
      add('certified'),
    ],
  };
}

/** The famous-mark ledger's "append a protection record" form. */
function recordFormView(lang: Lang, id: string, doc: Doc, values: Record<string, string> | undefined, problems: FieldProblem[]) {
  const v = values ?? { date: '', kind: '', summary: '', outcome: '', links: '', corrects: '' };
  const records = recordsOf(doc);
  // Field names carry a "record." prefix so their ids never clash with the status form's.
  const fields: FieldSpec[] = [
    { name: 'record.date', type: 'date', required: true },
    { name: 'record.kind', type: 'select', options: PROTECTION_RECORD_KINDS, required: true },
    { name: 'record.summary', type: 'textarea', required: true, max: 2000 },
    { name: 'record.outcome', type: 'textarea', max: 1000 },
    { name: 'record.links', type: 'textarea', hint: true },
  ];
  if (records.length) {
    fields.push({
      name: 'record.corrects',
      type: 'select',
      options: records.map((r) => String(r._id)),
      optionLabels: Object.fromEntries(
        records.map((r, i) => [
          String(r._id),
          t(lang, 'adminreg.records.option', { n: i + 1, kind: label(lang, r.kind), d: r.date ? new Date(r.date).toISOString().slice(0, 10) : '' }),
        ]),
      ),
      emptyLabel: 'adminreg.records.correctsNone',
    });
  }
  return {
    action: url(lang, `/admin/famous/${id}/records`),
    version: doc.version,
    ...formView(
      lang,
      fields,
      Object.fromEntries(Object.entries(v).map(([k, x]) => [`record.${k}`, x])),
      problems.map((p) => ({ ...p, field: `record.${p.field}` })),
    ),
  };
}
