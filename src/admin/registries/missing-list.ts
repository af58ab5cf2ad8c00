/**
 * A registry's back-office list filtered to 待补充: the entries lacking one fact, or any
 * (completeness.ts), read from MongoDB through the `missing` index the registry service keeps —
 * the search index does not hold it. Newest first, 20 a page; the other filters of the list do not
 * apply here (the page says so by showing 待补充 as its only active filter).
 */
import mongoose, { type Model } from 'mongoose';
import { z } from 'zod';
import { findByIds } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { completeFields, factOf } from '../../registries/completeness.js';
import { effectiveStatus, entryModel, tierOf } from '../../registries/kinds.js';
import { Brand } from '../../registries/models.js';
import type { Kind } from '../../registries/reference.js';
import { PAGE_PARAM } from '../../search/params.js';
import { statusClass } from '../../search/view-model.js';

const PAGE = 20;
/** The filter value for "lacks any fact". */
export const MISSING_ANY = 'any';

type EntryRow = Record<string, unknown> & { _id: unknown; brand: unknown; status: string; missing?: string[]; updatedAt?: Date };
type BrandRow = { _id: unknown; slug: string; name: string; company?: string | null; district?: string | null };

/** The list's 待补充 select: any fact, or one of the kind's. */
export function missingSelect(lang: Lang, kind: Kind, chosen: string | undefined) {
  return {
    name: 'missing',
    id: 'filter-missing',
    label: t(lang, 'adminreg.missing.title'),
    options: [
      { value: MISSING_ANY, label: t(lang, 'adminreg.list.missingAny'), selected: chosen === MISSING_ANY },
      ...completeFields(kind).map((field) => {
        const f = factOf(kind, field)!;
        return { value: field, label: lang === 'en' ? f.labelEn : f.label, selected: chosen === field };
      }),
    ],
  };
}

/** The entries of `kind` lacking the fact `missing` names (or any), as the list page shows them. */
export async function missingList(lang: Lang, kind: Kind, rawQuery: Record<string, string>, now: Date) {
  const query = z
    .object({
      missing: z.enum([MISSING_ANY, ...completeFields(kind)], { message: '待补充不是可选的值|is not one of the allowed values' }),
      page: PAGE_PARAM,
    })
    .safeParse({ missing: rawQuery.missing, ...(rawQuery.page ? { page: rawQuery.page } : {}) });
  if (!query.success) {
    throw validationFailed(
      query.error.issues.map((i) => {
        const [zh = i.message, en = i.message] = i.message.split('|', 2);
        return { field: String(i.path[0]), message: zh, messageEn: en };
      }),
    );
  }
  const { missing, page } = query.data;
  const basePath = `/admin/${kind}`;
  const filter = { missing: missing === MISSING_ANY ? mongoose.trusted({ $in: completeFields(kind) }) : missing };
  const model = entryModel(kind) as unknown as Model<EntryRow>;
  const [found, total] = await Promise.all([
    model
      .find(filter)
      .sort({ _id: -1 })
      .skip((page - 1) * PAGE)
      .limit(PAGE + 1)
      .lean<EntryRow[]>(),
    model.countDocuments(filter),
  ]);
  const entries = found.slice(0, PAGE);
  const brands = new Map(
    (
      await findByIds<BrandRow>(
        Brand,
        entries.map((e) => e.brand),
        'slug name company district',
      )
    ).map((b) => [String(b._id), b]),
  );
  const link = (n: number) => url(lang, basePath, { missing, page: n === 1 ? undefined : n });
  const fieldLabel =
    missing === MISSING_ANY
      ? t(lang, 'adminreg.list.missingAny')
      : ((lang === 'en' ? factOf(kind, missing)?.labelEn : factOf(kind, missing)?.label) ?? missing);
  return {
    kind,
    q: '',
    action: url(lang, basePath),
    pageSize: PAGE,
    total,
    filters: [missingSelect(lang, kind, missing)],
    sorts: [],
    active: [{ title: t(lang, 'adminreg.missing.title'), label: fieldLabel, removeHref: url(lang, basePath) }],
    clearHref: url(lang, basePath),
    rows: entries.map((e) => {
      const b = brands.get(String(e.brand));
      const status = effectiveStatus(kind, e.status, e.validUntil instanceof Date ? e.validUntil : null, now);
      const name = b?.name ?? '—';
      const title = kind === 'certified' ? String(e.product ?? '') : name;
      return {
        href: url(lang, `${basePath}/${String(e._id)}`),
        publicHref: b ? url(lang, `/brands/${b.slug}`) : null,
        title,
        name,
        showName: title !== name,
        company: b?.company ?? '',
        district: label(lang, b?.district),
        tier: label(lang, tierOf(kind, e)),
        status: label(lang, status),
        statusClass: statusClass(status),
        number: kind === 'certified' ? String(e.number ?? '') : kind === 'famous' ? String(e.trademarkRegNo ?? '') : '',
        updatedAt: e.updatedAt ?? null,
      };
    }),
    pagination:
      page > 1 || found.length > PAGE
        ? { prev: page > 1 ? link(page - 1) : null, next: found.length > PAGE ? link(page + 1) : null, pages: [{ n: page, href: link(page), current: true }] }
        : null,
    exportCsv: `/admin/export/${kind}.csv`,
    exportXlsx: `/admin/export/${kind}.xlsx`,
    newHref: url(lang, `${basePath}/new`),
  };
}
