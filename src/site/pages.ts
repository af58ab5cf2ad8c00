/**
 * Public pages: home, search, the four registry lists and brand pages. Search and list pages read
 * the SearchIndex; a brand page reads MongoDB.
 */
import { Router, type Request, type Response } from 'express';
import { AppError } from '../platform/errors.js';
import { formatYearBatch, label, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { parseSearchParams } from '../search/params.js';
import { SearchUnavailableError, type SearchIndex } from '../search/port.js';
import { hitViewModel, searchViewModel, statusClass } from '../search/view-model.js';
import { brandStanding, markExpired, standingView } from '../registries/standing.js';
import { getBrandProfile, type BrandProfile } from '../registries/queries.js';
import { REGISTRIES } from '../registries/kinds.js';
import { BRAND_SLUG, KINDS, type Kind } from '../registries/reference.js';
import { didYouMean } from './suggest.js';
import { freshness } from '../search/freshness.js';
import { brandHistory } from './history.js';
import { showcaseRoutes } from './showcase.js';
import { reviewViews } from './reviews.js';

export function publicRoutes(deps: {
  render: Render;
  index: SearchIndex;
  publicBaseUrl: string;
  /** Saved changes the index does not hold yet (the search sync's lag), for the data-as-of stamp. */
  pending?: () => Promise<number>;
}): Router {
  const { render, index } = deps;
  const router = Router();
  const dataAsOf = freshness(index, deps.pending);
  const page = (res: Response, view: string, data: Record<string, unknown>) => {
    res.setHeader('Cache-Control', 'public, max-age=30');
    res.type('html').send(render(view, { ...res.locals, ...data }));
  };
  // Pages with the search box load public/js/suggest.js (suggestions as you type; the form works without it).
  const withSuggest = { suggestScript: true };

  router.get('/', async (_req, res) => {
    const lang = res.locals.lang;
    let stats: Awaited<ReturnType<SearchIndex['stats']>> | null = null;
    let featured: Array<ReturnType<typeof hitViewModel>> = [];
    let recent: Array<ReturnType<typeof hitViewModel>> = [];
    let unavailable = false;
    try {
      stats = await index.stats();
      const base = { q: '', sort: 'updated' as const, page: 1, facets: false };
      const [f, r] = await Promise.all([
        index.search({ ...base, filters: { kind: 'time-honored', tier: '中华老字号' }, pageSize: 6, sort: 'name' }),
        index.search({ ...base, filters: {}, pageSize: 8 }),
      ]);
      featured = f.hits.map((h) => hitViewModel(lang, h));
      recent = r.hits.map((h) => hitViewModel(lang, h));
    } catch (err) {
      if (!(err instanceof SearchUnavailableError)) throw err;
      unavailable = true;
    }
    page(res, 'home', {
      ...withSuggest,
      title: t(lang, 'site.name'),
      docTitle: `${t(lang, 'site.name')} · ${res.locals.site?.operator ?? ''}`.replace(/ · $/, ''),
      unavailable,
      counts: KINDS.map((k) => ({
        kind: k,
        label: t(lang, `kind.${k}`),
        count: stats?.byKind[k] ?? 0,
        href: url(lang, REGISTRIES[k].listPath),
      })),
      featured,
      recent,
      moreTimeHonored: url(lang, '/time-honored', { tier: '中华老字号' }),
    });
  });

  const searchPage = (fixedKind?: Kind) => async (req: Request, res: Response) => {
    const lang = res.locals.lang;
    // One card per brand (with its standings); a registry's list and a kind filter list entries.
    const { params, search } = parseSearchParams(req.query, fixedKind, 'brand');
    const basePath = fixedKind ? REGISTRIES[fixedKind].listPath : '/search';
    const heading = fixedKind ? t(lang, `kind.${fixedKind}`) : params.q ? t(lang, 'search.resultsFor', { q: params.q }) : t(lang, 'nav.search');
    try {
      const [result, fresh] = await Promise.all([index.search(search), dataAsOf()]);
      // The same search as an Atom feed (src/site/feeds.ts): its filters and words, newest change first.
      const feedQuery = new URLSearchParams(
        Object.entries({ ...search.filters, q: search.q, lang: lang === 'en' ? 'en' : '' }).flatMap(([k, v]) =>
          v === undefined || v === '' ? [] : [[k, String(v)]],
        ),
      ).toString();
      const feedHref = `/search.atom${feedQuery ? `?${feedQuery}` : ''}`;
      // Nothing found for the words: offer the closest known brand or product (a link, never a redirect).
      const suggestion = result.total === 0 && search.q ? await didYouMean(index, search.q, lang) : null;
      page(res, 'search', {
        ...withSuggest,
        title: heading,
        heading,
        intro: fixedKind ? t(lang, `list.${fixedKind}.intro`) : null,
        action: basePath,
        ...searchViewModel(lang, basePath, params, search, result, fixedKind, { asOf: fresh.asOf, pending: fresh.pending, didYouMean: suggestion }),
        feeds: [{ title: t(lang, 'search.feed'), href: feedHref }],
        feedHref,
      });
    } catch (err) {
      if (!(err instanceof SearchUnavailableError)) throw err;
      res.status(503);
      page(res, 'search', { title: heading, heading, action: basePath, q: params.q, unavailable: true, hits: [], total: 0 });
    }
  };

  // The 老字号 digital museum and the quality products showcase (src/site/showcase.ts).
  router.use(showcaseRoutes({ render, publicBaseUrl: deps.publicBaseUrl }));

  router.get('/search', searchPage());
  for (const kind of KINDS) router.get(REGISTRIES[kind].listPath, searchPage(kind));

  router.get('/brands/:slug', async (req, res) => {
    const lang = res.locals.lang;
    const slug = String(req.params.slug);
    if (!BRAND_SLUG.test(slug)) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    const profile = await getBrandProfile(slug);
    if (!profile) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    const standing = brandStanding(profile);
    const title = lang === 'en' && profile.nameEn ? `${profile.nameEn} (${profile.name})` : profile.name;
    page(res, 'brand', {
      title,
      description: t(lang, 'meta.brand', {
        name: title,
        company: profile.company ?? t(lang, 'brand.missing'),
        standings: brandAwards(lang, profile, standing).join(lang === 'en' ? '; ' : '；'),
      }).trim(),
      brand: brandViewModel(lang, profile),
      standing: standingView(lang, standing),
      history: await brandHistory(lang, profile),
      feeds: [{ title: t(lang, 'history.title'), href: url(lang, `/brands/${profile.slug}/feed.atom`) }],
      jsonLd: brandJsonLd(profile, standing, deps.publicBaseUrl),
    });
  });

  return router;
}

function brandViewModel(lang: Lang, p: BrandProfile) {
  const lists: Array<{ label: string; href: string }> = [];
  if (p.directory) lists.push({ label: t(lang, 'kind.directory'), href: '#directory' });
  if (p.famous.length) lists.push({ label: t(lang, 'kind.famous'), href: '#famous' });
  for (const l of p.timeHonoredListings) lists.push({ label: label(lang, l.tier), href: '#time-honored' });
  if (p.certificates.length) lists.push({ label: t(lang, 'kind.certified'), href: '#certified' });
  const withStatus = <T extends { status: string }>(x: T) => ({ ...x, statusLabel: label(lang, x.status), statusClass: statusClass(x.status) });
  return {
    ...p,
    // Empty when the brand lacks the fact: the page then says 信息待补充 (views/brand.hbs).
    districtLabel: label(lang, p.district),
    sectorLabel: label(lang, p.sector),
    industryLabel: label(lang, p.industry),
    keywordsText: p.keywords.join('、'),
    lists,
    directory: p.directory && withStatus(p.directory),
    famous: p.famous.map(withStatus),
    timeHonored: p.timeHonored && { ...withStatus(p.timeHonored), recognizedText: formatYearBatch(lang, p.timeHonored.recognizedYear, p.timeHonored.batch) },
    // Every tier the brand holds, each its own listing: "中华老字号 2024 · 湖北老字号 2014".
    timeHonoredListings: p.timeHonoredListings.map((l) => ({
      ...withStatus(l),
      recognizedText: formatYearBatch(lang, l.recognizedYear, l.batch),
      // Each listing's re-review history, newest first (never who recorded it).
      reviews: reviewViews(lang, l.reviews),
    })),
    timeHonoredTiers: p.timeHonoredListings.map((l) => `${label(lang, l.tier)} ${l.recognizedYear}`).join(' · '),
    certificates: p.certificates.map((c) => ({ ...withStatus(c), levelLabel: label(lang, c.level), scopeLabel: c.scope ? label(lang, c.scope) : '' })),
    // A registration past its end date is shown as ended (unrenewed), not as if still in force.
    trademarks: p.trademarks.map((tm) => ({ ...tm, niceText: tm.niceClasses.join('、'), ended: markExpired(tm, new Date()) })),
  };
}

/**
 * The brand's current standings in words (for the meta description and schema.org `award`):
 * a 老字号 listing, famous-mark protection, certificates in force.
 */
function brandAwards(lang: Lang, p: BrandProfile, standing: ReturnType<typeof brandStanding>): string[] {
  const zh = lang === 'zh';
  const out: string[] = [];
  // Every current listing (a brand on the 中华 and the 湖北 list holds both).
  for (const th of p.timeHonoredListings) {
    if (th.status !== '有效' && th.status !== '复核中') continue;
    out.push(zh ? `${th.tier}（${th.recognizedYear}年认定）` : `${label(lang, th.tier)} (recognised ${th.recognizedYear})`);
  }
  const famous = standing.famous;
  if (famous?.current) out.push(zh ? `驰名商标（${famous.status}）` : `Famous trademark (${label(lang, famous.status)})`);
  for (const c of p.certificates) {
    if (c.status !== '有效') continue;
    out.push(zh ? `${c.level}：${c.product}（证书 ${c.number}）` : `${label(lang, c.level)}: ${c.product} (certificate ${c.number})`);
  }
  return out;
}

const isWebAddress = (s: string) => /^https?:\/\/[^\s/]+\.[^\s]+$/i.test(s);

/**
 * schema.org JSON-LD: the company as an Organization with its `brand` (a Brand), its standings as
 * `award`, and its official website as `sameAs`; only public facts, addresses absolute.
 */
function brandJsonLd(p: BrandProfile, standing: ReturnType<typeof brandStanding>, baseUrl: string) {
  const pageUrl = `${baseUrl.replace(/\/$/, '')}/brands/${p.slug}`;
  const awards = brandAwards('zh', p, standing);
  return {
    '@context': 'https://schema.org',
    '@type': 'Organization',
    '@id': `${pageUrl}#organization`,
    url: pageUrl,
    mainEntityOfPage: pageUrl,
    // A fact the brand lacks (待补充) is left out, never given as "" (JSON drops undefined).
    name: p.company ?? undefined,
    ...(p.creditCode ? { identifier: { '@type': 'PropertyValue', propertyID: '统一社会信用代码', value: p.creditCode } } : {}),
    address: {
      '@type': 'PostalAddress',
      addressLocality: '武汉市',
      addressRegion: '湖北省',
      addressCountry: 'CN',
      streetAddress: p.timeHonored?.address || undefined,
    },
    ...(p.founded ? { foundingDate: String(p.founded) } : {}),
    ...(p.website && isWebAddress(p.website) ? { sameAs: [p.website] } : {}),
    ...(awards.length ? { award: awards } : {}),
    brand: {
      '@type': 'Brand',
      '@id': `${pageUrl}#brand`,
      url: pageUrl,
      name: p.name,
      ...(p.nameEn ? { alternateName: p.nameEn } : {}),
      description: p.description || undefined,
    },
  };
}
