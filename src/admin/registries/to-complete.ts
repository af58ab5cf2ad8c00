/**
 * The due view's 待补充 (to be completed) queue: brands and entries saved with facts a published
 * list lacks (completeness.ts), counted per missing field — e.g. 统一社会信用代码 12 · 产业 40 —
 * and listed, each a link to its page, optionally narrowed to one field.
 *
 * Everything is read through the `missing` index (models.ts) the registry service keeps on every
 * write: one count per field (an equality on the multikey index), and at most LIMIT records per
 * collection, newest first (what an import has just added). The directory may hold 500,000 entries; neither read scans it.
 */
import mongoose, { type Model } from 'mongoose';
import { findByIds } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { completeFields, missingLabels, RULES, SUBJECTS, type Subject } from '../../registries/completeness.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored } from '../../registries/models.js';
import { entryPath } from './context.js';

/** At most this many records are listed (counts are always full). */
const LIMIT = 200;

type Row = { _id: unknown; missing?: string[]; brand?: unknown; name?: string; product?: string; trademarkRegNo?: string; number?: string; tier?: string };

const MODELS: Record<Subject, Model<Row>> = {
  brand: Brand as unknown as Model<Row>,
  directory: DirectoryEntry as unknown as Model<Row>,
  famous: FamousMark as unknown as Model<Row>,
  'time-honored': TimeHonored as unknown as Model<Row>,
  certified: Certificate as unknown as Model<Row>,
};

/** A field of the queue, as the `missing` query parameter names it: "<subject>:<field>" (brand:creditCode). */
export const fieldKey = (subject: Subject, field: string) => `${subject}:${field}`;

const ALL_KEYS = SUBJECTS.flatMap((s) => completeFields(s).map((f) => fieldKey(s, f)));

/** The `missing` parameter: one of the queue's fields, or none (everything). */
export function parseMissingParam(raw: unknown): { subject: Subject; field: string } | null {
  if (raw === undefined || raw === '') return null;
  const key = typeof raw === 'string' ? raw : '';
  if (!ALL_KEYS.includes(key)) {
    throw validationFailed([{ field: 'missing', message: '待补充字段不是可选的值', messageEn: 'is not one of the fields a record may lack' }]);
  }
  const [subject, field] = key.split(':') as [Subject, string];
  return { subject, field };
}

/** What the entity of a subject is called in the back office (its list and entry pages). */
const entityOf = (s: Subject) => (s === 'brand' ? 'brands' : s);

const labelOf = (lang: Lang, f: { label: string; labelEn: string }) => (lang === 'en' ? f.labelEn : f.label);

/** The line a record shows in the queue besides its brand's name (stored text is marked by zhRuns in the view). */
function whatOf(lang: Lang, subject: Subject, r: Row): string {
  if (subject === 'certified') return `${r.product ?? ''} · ${r.number ?? ''}`;
  if (subject === 'famous') return r.trademarkRegNo ?? '';
  if (subject === 'time-honored') return r.tier ? label(lang, r.tier) : '';
  return '';
}

/** The queue: counts per field, and the first records lacking the chosen field (or any). */
export async function toCompleteQueue(lang: Lang, only: { subject: Subject; field: string } | null) {
  const counted = await Promise.all(
    SUBJECTS.flatMap((subject) =>
      RULES[subject].complete.map(async (f) => ({ subject, fact: f, count: await MODELS[subject].countDocuments({ missing: f.field }) })),
    ),
  );
  const subjects = only ? [only.subject] : SUBJECTS;
  const [records, found] = await Promise.all([
    // Records (not fields) lacking anything, per collection: what the queue's total says.
    Promise.all(SUBJECTS.map((s) => MODELS[s].countDocuments({ missing: mongoose.trusted({ $in: completeFields(s) }) }))),
    Promise.all(
      subjects.map(async (subject) => {
        const filter = only ? { missing: only.field } : { missing: mongoose.trusted({ $in: completeFields(subject) }) };
        const rows = await MODELS[subject]
          .find(filter)
          .select('missing brand name product trademarkRegNo number tier')
          .sort({ _id: -1 })
          .limit(LIMIT)
          .lean<Row[]>();
        return rows.map((r) => ({ subject, r }));
      }),
    ),
  ]);
  const listed = found.flat();
  const brandIds = listed.filter((x) => x.subject !== 'brand').map((x) => x.r.brand);
  const brands = new Map((await findByIds<{ _id: unknown; name: string }>(Brand, brandIds, 'name')).map((b) => [String(b._id), b.name]));
  const sep = lang === 'en' ? ', ' : '、';
  const items = listed.slice(0, LIMIT).map(({ subject, r }) => ({
    href: url(lang, entryPath(entityOf(subject), r._id)),
    title: subject === 'brand' ? (r.name ?? '') : (brands.get(String(r.brand)) ?? '—'),
    kind: t(lang, `adminreg.entity.${entityOf(subject)}`),
    what: whatOf(lang, subject, r),
    missingText: missingLabels(subject, r.missing)
      .map((f) => labelOf(lang, f))
      .join(sep),
  }));
  const fields = counted
    .filter((c) => c.count > 0)
    .map((c) => ({
      key: fieldKey(c.subject, c.fact.field),
      label:
        c.subject === 'brand'
          ? labelOf(lang, c.fact)
          : lang === 'en'
            ? `${c.fact.labelEn} (${t(lang, `kind.short.${c.subject}`)})`
            : `${c.fact.label}（${t(lang, `kind.short.${c.subject}`)}）`,
      count: c.count,
      href: `${url(lang, '/admin/due', { missing: fieldKey(c.subject, c.fact.field) })}#due-to-complete`,
      selected: Boolean(only && only.subject === c.subject && only.field === c.fact.field),
    }));
  const total = records.reduce((a, b) => a + b, 0);
  const shownOf = only ? (counted.find((c) => c.subject === only.subject && c.fact.field === only.field)?.count ?? 0) : total;
  return {
    count: total,
    fields,
    items,
    more: shownOf > items.length,
    filtered: Boolean(only),
    allHref: `${url(lang, '/admin/due')}#due-to-complete`,
  };
}
