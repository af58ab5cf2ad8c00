/**
 * The back-office lists. A registry list reads the search index (the directory may hold 500,000
 * entries, and counts per filter value over all of them are what the index keeps ready), with the
 * same filters and sorts as the public lists; the brand list pages through MongoDB in stored order
 * and finds brands by name, company or number through the index, plus exact slug and credit-code
 * look-ups.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import { countAll } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { REGISTRIES } from '../../registries/kinds.js';
import { completeFields, missingLabels, RULES } from '../../registries/completeness.js';
import { Brand } from '../../registries/models.js';
import { missingSelect } from './missing-list.js';
import {
  DIRECTORY_STATUSES,
  DISTRICTS,
  FAMOUS_STATUSES,
  RECOGNITION_ROUTES,
  SECTORS,
  TIME_HONORED_STATUSES,
  TIME_HONORED_TIERS,
  type Kind,
} from '../../registries/reference.js';
import { assertPlainQuery, parseSearchParams } from '../../search/params.js';
import type { FacetName, SearchIndex } from '../../search/port.js';
import { facetLabel, searchViewModel, statusClass } from '../../search/view-model.js';

// A certificate's statuses and levels are reference data an admin extends: read each time.
const STATUSES: Record<Kind, () => readonly string[]> = {
  directory: () => DIRECTORY_STATUSES,
  famous: () => FAMOUS_STATUSES,
  'time-honored': () => TIME_HONORED_STATUSES,
  certified: () => REGISTRIES.certified.shownStatuses,
};
const TIERS: Record<Kind, () => readonly string[]> = {
  directory: () => ['商标品牌', '优势商标', '地理标志'],
  famous: () => RECOGNITION_ROUTES,
  'time-honored': () => TIME_HONORED_TIERS,
  certified: () => REGISTRIES.certified.tiers,
};

/** The query string without page (and lang), for the export links: the same filtered list. */
export function exportQuery(query: Record<string, string>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (k !== 'page' && k !== 'lang' && v.trim() !== '') sp.set(k, v);
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/** A registry list page from the search index. */
export async function registryList(lang: Lang, kind: Kind, rawQuery: Record<string, unknown>, index: SearchIndex, now: Date) {
  const plainQuery = assertPlainQuery(rawQuery);
  const { params, search } = parseSearchParams(plainQuery, kind);
  search.now = now;
  search.facets = true;
  const basePath = `/admin/${kind}`;
  const result = await index.search(search);
  const vm = searchViewModel(lang, basePath, params, search, result, kind);
  const counts = (f: FacetName) => new Map((result.facets[f] ?? []).map((v) => [v.value, v.count]));
  const select = (f: FacetName, values: readonly string[]) => {
    const c = counts(f);
    const chosen = search.filters[f];
    return {
      name: f,
      id: `filter-${f}`,
      label: t(lang, `facet.${f}`),
      options: values.map((v) => ({ value: v, label: `${facetLabel(lang, f, v)}（${c.get(v) ?? 0}）`, selected: v === chosen })),
    };
  };
  const qs = exportQuery(plainQuery);
  return {
    ...vm,
    kind,
    action: url(lang, basePath),
    filters: [
      select('status', STATUSES[kind]()),
      select('district', DISTRICTS),
      select('sector', SECTORS),
      select('tier', TIERS[kind]()),
      // 待补充 is read from MongoDB, not the index (missing-list.ts).
      missingSelect(lang, kind, undefined),
    ],
    pageSize: params.pageSize,
    rows: result.hits.map((h) => ({
      href: url(lang, `/admin/${kind}/${h.doc.entryId}`),
      publicHref: url(lang, `/brands/${h.doc.slug}`),
      title: h.doc.title,
      name: h.doc.name,
      showName: h.doc.title !== h.doc.name,
      company: h.doc.company,
      district: label(lang, h.doc.district),
      tier: label(lang, h.doc.tier),
      status: label(lang, h.status),
      statusClass: statusClass(h.status),
      number: kind === 'certified' || kind === 'famous' ? (h.doc.identifiers[h.doc.identifiers.length - 1] ?? '') : '',
      updatedAt: new Date(h.doc.updatedAt),
    })),
    exportCsv: `/admin/export/${kind}.csv${qs}`,
    exportXlsx: `/admin/export/${kind}.xlsx${qs}`,
    newHref: url(lang, `/admin/${kind}/new`),
  };
}

/** The brand list's 待补充 filter value for "lacks any fact". */
const MISSING_ANY = 'any';

const brandQuery = z.object({
  q: z.string().max(100, { message: '搜索词不能超过100个字符|must be at most 100 characters' }).default(''),
  district: z.enum(DISTRICTS, { message: '所属区不是可选的值|is not one of the allowed values' }).optional(),
  sector: z.enum(SECTORS, { message: '产业不是可选的值|is not one of the allowed values' }).optional(),
  // 待补充: brands lacking any fact, or one (completeness.ts), through the `missing` index.
  missing: z.enum([MISSING_ANY, ...completeFields('brand')], { message: '待补充不是可选的值|is not one of the allowed values' }).optional(),
  page: z.coerce
    .number({ message: '页码应为正整数|must be a positive whole number' })
    .int({ message: '页码应为正整数|must be a positive whole number' })
    .min(1, { message: '页码应为正整数|must be a positive whole number' })
    .max(500, { message: '页码不能超过500|must be at most 500' })
    .default(1),
});

const BRAND_PAGE = 20;
/** How many index hits a brand search reads (several entries may share one brand). */
const BRAND_SEARCH_HITS = 100;

type BrandRow = {
  _id: unknown;
  slug: string;
  name: string;
  company?: string | null;
  creditCode?: string | null;
  district?: string | null;
  sector?: string | null;
  missing?: string[];
  updatedAt?: Date;
};

/** The brand list: browse in stored order, or search by name, company, slug or credit code. */
export async function brandList(lang: Lang, rawQuery: Record<string, unknown>, index: SearchIndex) {
  const plainQuery = assertPlainQuery(rawQuery);
  const parsed = brandQuery.safeParse(Object.fromEntries(Object.entries(plainQuery).filter(([k, v]) => v.trim() !== '' && k !== 'lang')));
  if (!parsed.success) {
    throw validationFailed(
      parsed.error.issues.map((i) => {
        const [zh, en] = i.message.includes('|') ? i.message.split('|', 2) : [i.message, i.message];
        return { field: String(i.path[0]), message: zh!, messageEn: en! };
      }),
    );
  }
  const { q, district, sector, missing, page } = parsed.data;
  const query = q.trim();
  const filter: Record<string, string> = {};
  if (district) filter.district = district;
  if (sector) filter.sector = sector;
  // Not an index filter: applied to the brands read from MongoDB (the `missing` index).
  const missingFilter: Record<string, unknown> = !missing
    ? {}
    : { missing: missing === MISSING_ANY ? mongoose.trusted({ $in: completeFields('brand') }) : missing };
  const fields = 'slug name company creditCode district sector missing updatedAt';
  let brands: BrandRow[] = [];
  let total: number | null;
  let truncated = false;
  let hasNext = false;
  if (query) {
    // Exact identifiers first, then whatever the index finds by name, pinyin, company or number.
    const [slugMatch, codeMatch, result] = await Promise.all([
      /^[a-z0-9][a-z0-9-]{0,79}$/i.test(query)
        ? Brand.findOne({ slug: query.toLowerCase(), ...filter, ...missingFilter })
            .select(fields)
            .lean<BrandRow>()
        : null,
      /^[0-9A-Za-z]{18}$/.test(query)
        ? Brand.findOne({ creditCode: query.toUpperCase(), ...filter, ...missingFilter })
            .select(fields)
            .lean<BrandRow>()
        : null,
      index.search({ q: query, filters: { ...filter }, sort: 'relevance', page: 1, pageSize: BRAND_SEARCH_HITS, facets: false }),
    ]);
    const exact = [slugMatch, codeMatch];
    // One read for the hits' brands, kept in the index's order. sanitizeFilter is on, so the
    // operator we build ourselves is marked trusted.
    const slugs = [...new Set(result.hits.map((h) => h.doc.slug))];
    const rows = slugs.length
      ? await Brand.find({ slug: mongoose.trusted({ $in: slugs }), ...missingFilter })
          .select(fields)
          .lean<BrandRow[]>()
      : [];
    const bySlug = new Map(rows.map((b) => [b.slug, b]));
    const found = slugs.map((slug) => bySlug.get(slug) ?? null);
    const seen = new Set<string>();
    for (const b of [...exact, ...found]) {
      if (!b || seen.has(String(b._id))) continue;
      seen.add(String(b._id));
      brands.push(b);
    }
    total = brands.length;
    truncated = result.total > BRAND_SEARCH_HITS;
  } else {
    // Stored order with skip/limit, never sorted: browsing needs no particular order (a search finds
    // a brand by name), and an unsorted page costs the same on every server, including those that
    // sort in memory rather than through an index. Only the whole list is counted (countAll reads
    // collection metadata); a filtered count would read every matching brand.
    const hasFilter = Object.keys(filter).length > 0 || Boolean(missing);
    const [rows, count] = await Promise.all([
      Brand.find({ ...filter, ...missingFilter })
        .select(fields)
        .skip((page - 1) * BRAND_PAGE)
        .limit(BRAND_PAGE + 1)
        .lean<BrandRow[]>(),
      hasFilter ? Promise.resolve(null) : countAll(Brand, { maxAgeMs: 30_000 }),
    ]);
    brands = rows.slice(0, BRAND_PAGE);
    hasNext = rows.length > BRAND_PAGE && page < 500;
    total = count;
  }
  const link = (n: number) => url(lang, '/admin/brands', { district, sector, missing, page: n === 1 ? undefined : n });
  const options = (values: readonly string[], chosen?: string) => values.map((v) => ({ value: v, label: label(lang, v), selected: v === chosen }));
  const qs = exportQuery(plainQuery);
  return {
    q: query,
    total,
    truncated,
    action: url(lang, '/admin/brands'),
    filters: [
      { name: 'district', id: 'filter-district', label: t(lang, 'facet.district'), options: options(DISTRICTS, district) },
      { name: 'sector', id: 'filter-sector', label: t(lang, 'facet.sector'), options: options(SECTORS, sector) },
      {
        name: 'missing',
        id: 'filter-missing',
        label: t(lang, 'adminreg.missing.title'),
        options: [
          { value: MISSING_ANY, label: t(lang, 'adminreg.list.missingAny'), selected: missing === MISSING_ANY },
          ...RULES.brand.complete.map((f) => ({ value: f.field, label: lang === 'en' ? f.labelEn : f.label, selected: f.field === missing })),
        ],
      },
    ],
    rows: brands.map((b) => ({
      href: url(lang, `/admin/brands/${String(b._id)}`),
      publicHref: url(lang, `/brands/${b.slug}`),
      name: b.name,
      company: b.company ?? '',
      creditCode: b.creditCode ?? '',
      district: label(lang, b.district),
      sector: label(lang, b.sector),
      toComplete: missingLabels('brand', b.missing).length > 0,
      updatedAt: b.updatedAt ?? null,
    })),
    pagination:
      !query && (page > 1 || hasNext)
        ? {
            prev: page > 1 ? link(page - 1) : null,
            next: hasNext ? link(page + 1) : null,
            current: page,
          }
        : null,
    page,
    exportCsv: `/admin/export/brands.csv${qs}`,
    exportXlsx: `/admin/export/brands.xlsx${qs}`,
    newHref: url(lang, '/admin/brands/new'),
  };
}
