/**
 * Turns a search result into what the search and list pages show: hits with highlights, facet
 * values as plain links (so everything works without JavaScript and every state has a URL),
 * active filters, sort options and pagination.
 */
import { formatDate, formatTime, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import { FACETS, SORTS, type BrandHit, type FacetName, type Hit, type SearchQuery, type SearchResult } from './port.js';
import type { SearchParams } from './params.js';

type Params = Record<string, string | number | undefined>;

registerMessages({
  'search.dataAsOf': ['数据更新于 {time}', 'Data as of {time}'],
  'search.feed': ['订阅此搜索的变化（Atom）', 'Follow this search (Atom feed)'],
  'search.pending': ['另有 {n} 条刚保存的修改正在写入搜索，稍后可见', '{n} changes just saved are still being indexed'],
  'search.filtersToggle': ['筛选', 'Filters'],
  'search.filtersActive': ['已选 {n} 项', '{n} selected'],
  'search.didYouMean': ['您是不是要找：', 'Did you mean: '],
  'search.relaxed': ['未找到同时包含全部词语的结果，已放宽：去掉了 {words}', 'No entry contains all the words; relaxed: left out {words}'],
  'search.understood': ['已按以下条件理解：', 'Understood as: '],
  // The hits' titles are h3s: this heading keeps the outline h1 → h2 → h3 (Lighthouse heading-order).
  'search.resultsHeading': ['结果列表', 'Results'],
  'search.brands': ['共 {n} 个品牌', '{n} brands'],
  'search.brandsAbout': ['约 {n} 个品牌', 'About {n} brands'],
  'search.standings': ['名录与认定', 'Listings and certifications'],
  'search.validUntil': ['有效期至{date}', 'valid until {date}'],
  'search.expiredOn': ['{date}到期', 'expired {date}'],
});

/** Extras the page adds besides the result: the data stamp and a did-you-mean link. */
export interface SearchPageExtras {
  /** Time of the latest indexed change (src/search/freshness.ts). */
  asOf?: Date | null;
  /** Saved changes the index does not hold yet. */
  pending?: number;
  /** The closest known brand or product when nothing was found. */
  didYouMean?: { q: string; href: string } | null;
}

/**
 * Query understanding (src/search/port.ts SearchResult.relaxed / understood): the words left out so
 * that something matched, and the filters read from the words (老字号 → 名录：老字号…), shown like
 * active filters but without a remove link (they come from the words: edit the words instead).
 */
function queryNotes(lang: Lang, r: SearchResult): { relaxed: string | null; understood: Array<{ title: string; label: string }> } {
  const dropped = r.relaxed?.dropped ?? [];
  const understood: Array<{ title: string; label: string }> = [];
  for (const f of ['kind', 'tier', 'district'] as const) {
    const v = r.understood?.[f];
    if (typeof v === 'string' && v) understood.push({ title: t(lang, `facet.${f}`), label: facetLabel(lang, f, v) });
  }
  return { relaxed: dropped.length ? t(lang, 'search.relaxed', { words: dropped.join(lang === 'en' ? ', ' : '、') }) : null, understood };
}

function currentParams(p: SearchParams): Params {
  return {
    q: p.q || undefined,
    kind: p.kind,
    district: p.district,
    sector: p.sector,
    tier: p.tier,
    status: p.status,
    nice: p.nice,
    sort: p.sort,
    group: p.group,
    pageSize: p.pageSize === 20 ? undefined : p.pageSize,
  };
}

export function facetLabel(lang: Lang, facet: FacetName, value: string): string {
  if (facet === 'kind') return t(lang, `kind.${value}`);
  if (facet === 'nice') return lang === 'en' ? `Class ${value}` : `第${value}类`;
  return label(lang, value);
}

export function searchViewModel(
  lang: Lang,
  basePath: string,
  p: SearchParams,
  q: SearchQuery,
  r: SearchResult,
  fixedKind?: string,
  extras: SearchPageExtras = {},
) {
  const base = currentParams(p);
  if (fixedKind) delete base.kind;
  const link = (changes: Params) => url(lang, basePath, { ...base, page: undefined, ...changes });
  const facets = FACETS.filter((f) => !(fixedKind && f === 'kind'))
    .map((f) => {
      const selected = q.filters[f];
      // A brand that does not state its district or sector (待补充) is counted under no facet value.
      const values = (r.facets[f] ?? [])
        .filter((v) => v.value !== '')
        .map((v) => ({
          label: facetLabel(lang, f, v.value),
          count: v.count,
          selected: v.value === selected,
          href: link({ [f]: v.value === selected ? undefined : v.value }),
        }));
      return { name: f, title: t(lang, `facet.${f}`), values, open: Boolean(selected) || f === 'kind' || f === 'district' };
    })
    .filter((f) => f.values.length > 0);
  const active = FACETS.filter((f) => q.filters[f] !== undefined && !(fixedKind && f === 'kind')).map((f) => ({
    title: t(lang, `facet.${f}`),
    label: facetLabel(lang, f, q.filters[f]!),
    removeHref: link({ [f]: undefined }),
  }));
  const pages = Math.max(1, Math.ceil(Math.min(r.total, 500 * q.pageSize) / q.pageSize));
  const pageLinks: Array<{ n: number; href: string; current: boolean; gap?: boolean }> = [];
  for (const n of [...new Set([1, q.page - 2, q.page - 1, q.page, q.page + 1, q.page + 2, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b)) {
    const last = pageLinks[pageLinks.length - 1];
    if (last && n - last.n > 1) pageLinks.push({ n: -1, href: '', current: false, gap: true });
    pageLinks.push({ n, href: link({ page: n === 1 ? undefined : n }), current: n === q.page });
  }
  const notes = queryNotes(lang, r);
  return {
    q: p.q,
    total: r.total,
    asOf: extras.asOf
      ? {
          iso: extras.asOf.toISOString(),
          text: t(lang, 'search.dataAsOf', { time: formatTime(lang, extras.asOf) }),
          pending: extras.pending ? t(lang, 'search.pending', { n: extras.pending }) : null,
        }
      : null,
    didYouMean: extras.didYouMean ?? null,
    relaxed: notes.relaxed,
    understood: notes.understood,
    activeCount: active.length,
    estimated: r.estimated ?? false,
    grouped: Boolean(r.brands),
    hits: r.hits.map((h) => hitViewModel(lang, h)),
    brands: r.brands?.map((b) => brandHitViewModel(lang, b)) ?? null,
    facets,
    active,
    clearHref: active.length ? url(lang, basePath, { q: p.q || undefined, sort: p.sort }) : null,
    sorts: SORTS.map((s) => ({ value: s, label: t(lang, `sort.${s}`), selected: s === q.sort })),
    hidden: Object.entries(base)
      .filter(([k, v]) => v !== undefined && k !== 'sort' && k !== 'q')
      .map(([name, value]) => ({ name, value: String(value) })),
    pagination:
      pages > 1
        ? {
            prev: q.page > 1 ? link({ page: q.page - 1 === 1 ? undefined : q.page - 1 }) : null,
            next: q.page < pages ? link({ page: q.page + 1 }) : null,
            pages: pageLinks,
          }
        : null,
    page: q.page,
  };
}

/**
 * A hit's summary line: a certificate's "level · scope · issuer" gets its level and scope in the
 * page language (summaryLabel) and keeps the issuer's name (summary); other kinds' summaries are
 * the brand's own Chinese text.
 */
function hitSummary(lang: Lang, kind: string, summary: string): { summaryLabel: string | null; summary: string } {
  const parts = summary.split(' · ');
  if (kind !== 'certified' || parts.length < 3) return { summaryLabel: null, summary };
  return { summaryLabel: `${label(lang, parts[0])} · ${label(lang, parts[1])}`, summary: parts.slice(2).join(' · ') };
}

/** One search hit as the result lists (search, lists, home page) show it. */
export function hitViewModel(lang: Lang, h: Hit) {
  return {
    kind: h.doc.kind,
    kindLabel: t(lang, `kind.short.${h.doc.kind}`),
    href: url(lang, `/brands/${h.doc.slug}`),
    title: h.doc.title,
    titleHl: h.highlights.title ?? null,
    name: h.doc.name,
    nameHl: h.highlights.name ?? null,
    showName: h.doc.title !== h.doc.name,
    nameEn: h.doc.nameEn,
    company: h.doc.company,
    companyHl: h.highlights.company ?? null,
    keywords: h.doc.keywords.join('、'),
    keywordsHl: h.highlights.keywords ?? null,
    ...hitSummary(lang, h.doc.kind, h.doc.summary),
    district: label(lang, h.doc.district),
    tier: label(lang, h.doc.tier),
    status: label(lang, h.status),
    statusClass: statusClass(h.status),
    niceClasses: h.doc.niceClasses,
    certNumber: h.doc.kind === 'certified' ? h.doc.identifiers[h.doc.identifiers.length - 1] : null,
    demo: h.doc.demo,
  };
}

/**
 * One brand card of grouped results: the brand from its best entry (name, company and their
 * highlights), and a standing per matching entry — what it is (中华老字号 2006, 驰名商标 2013,
 * 武汉精品 · product, valid until …), its status, and a link to it: the registry's section of
 * the brand page, a certificate's own check page.
 */
export function brandHitViewModel(lang: Lang, b: BrandHit) {
  const top = hitViewModel(lang, b.entries[0]!);
  const brandHref = url(lang, `/brands/${b.slug}`);
  return {
    ...top,
    href: brandHref,
    title: top.name,
    titleHl: top.nameHl,
    showName: false,
    standingsLabel: t(lang, 'search.standings'),
    standings: b.entries.map((h) => standingViewModel(lang, h, brandHref)),
  };
}

function standingViewModel(lang: Lang, h: Hit, brandHref: string) {
  const d = h.doc;
  const year = d.year ? ` ${d.year}` : '';
  let what: string;
  let detail: string | null = null;
  let detailHl: string[] | null = null;
  let until: string | null = null;
  let href = `${brandHref}#${d.kind}`;
  if (d.kind === 'time-honored') what = `${label(lang, d.tier)}${year}`;
  else if (d.kind === 'famous') what = `${t(lang, 'kind.short.famous')}${year}`;
  else if (d.kind === 'directory')
    what = d.tier === '商标品牌' ? t(lang, 'kind.short.directory') : `${t(lang, 'kind.short.directory')} · ${label(lang, d.tier)}`;
  else {
    what = label(lang, d.tier);
    detail = d.title;
    detailHl = h.highlights.title ?? null;
    if (d.expiresAt) until = t(lang, h.status === '过期' ? 'search.expiredOn' : 'search.validUntil', { date: formatDate(lang, d.expiresAt) });
    const number = d.identifiers[d.identifiers.length - 1];
    if (number) href = url(lang, `/verify/${number}`);
  }
  const status = label(lang, h.status);
  return {
    kind: d.kind,
    what,
    detail,
    detailHl,
    until,
    status,
    statusClass: statusClass(h.status),
    href,
  };
}

/** A CSS class per status so the badge has a colour as well as its text (never colour alone). */
export function statusClass(status: string): string {
  if (['在册', '有效', '重点保护'].includes(status)) return 'ok';
  if (['一般保护', '复核中'].includes(status)) return 'info';
  if (['暂停', '过期'].includes(status)) return 'warn';
  return 'bad';
}
