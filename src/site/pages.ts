/**
 * Public pages: home, search, the four registry lists and brand pages. Search and list pages read
 * the SearchIndex; a brand page reads MongoDB.
 */
import { Router, type Request, type Response } from 'express';
import { AppError } from '../platform/errors.js';
import { label, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { parseSearchParams } from '../search/params.js';
import { SearchUnavailableError, type SearchIndex } from '../search/port.js';
import { hitViewModel, searchViewModel, statusClass } from '../search/view-model.js';
import { brandStanding, standingView } from '../registries/standing.js';
import { getBrandProfile, type BrandProfile } from '../registries/queries.js';
import { REGISTRIES } from '../registries/kinds.js';
import { BRAND_SLUG, KINDS, type Kind } from '../registries/reference.js';

export function publicRoutes(deps: { render: Render; index: SearchIndex; publicBaseUrl: string }): Router {
  const { render, index } = deps;
  const router = Router();
  const page = (res: Response, view: string, data: Record<string, unknown>) => {
    res.setHeader('Cache-Control', 'public, max-age=30');
    res.type('html').send(render(view, { ...res.locals, ...data }));
  };

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
      title: t(lang, 'site.name'),
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
    const { params, search } = parseSearchParams(req.query, fixedKind);
    const basePath = fixedKind ? REGISTRIES[fixedKind].listPath : '/search';
    const heading = fixedKind ? t(lang, `kind.${fixedKind}`) : params.q ? t(lang, 'search.resultsFor', { q: params.q }) : t(lang, 'nav.search');
    try {
      const result = await index.search(search);
      page(res, 'search', {
        title: heading,
        heading,
        intro: fixedKind ? t(lang, `list.${fixedKind}.intro`) : null,
        action: basePath,
        ...searchViewModel(lang, basePath, params, search, result, fixedKind),
      });
    } catch (err) {
      if (!(err instanceof SearchUnavailableError)) throw err;
      res.status(503);
      page(res, 'search', { title: heading, heading, action: basePath, q: params.q, unavailable: true, hits: [], total: 0 });
    }
  };

  router.get('/search', searchPage());
  for (const kind of KINDS) router.get(REGISTRIES[kind].listPath, searchPage(kind));

  router.get('/brands/:slug', async (req, res) => {
    const lang = res.locals.lang;
    const slug = String(req.params.slug);
    if (!BRAND_SLUG.test(slug)) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    const profile = await getBrandProfile(slug);
    if (!profile) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    page(res, 'brand', {
      title: lang === 'en' && profile.nameEn ? `${profile.nameEn} (${profile.name})` : profile.name,
      brand: brandViewModel(lang, profile),
      standing: standingView(lang, brandStanding(profile)),
      jsonLd: brandJsonLd(profile, deps.publicBaseUrl),
    });
  });

  return router;
}

function brandViewModel(lang: Lang, p: BrandProfile) {
  const lists: Array<{ label: string; href: string }> = [];
  if (p.directory) lists.push({ label: t(lang, 'kind.directory'), href: '#directory' });
  if (p.famous.length) lists.push({ label: t(lang, 'kind.famous'), href: '#famous' });
  if (p.timeHonored) lists.push({ label: label(lang, p.timeHonored.tier), href: '#time-honored' });
  if (p.certificates.length) lists.push({ label: t(lang, 'kind.certified'), href: '#certified' });
  const withStatus = <T extends { status: string }>(x: T) => ({ ...x, statusLabel: label(lang, x.status), statusClass: statusClass(x.status) });
  return {
    ...p,
    districtLabel: label(lang, p.district),
    sectorLabel: label(lang, p.sector),
    keywordsText: p.keywords.join('、'),
    lists,
    directory: p.directory && withStatus(p.directory),
    famous: p.famous.map(withStatus),
    timeHonored: p.timeHonored && withStatus(p.timeHonored),
    certificates: p.certificates.map((c) => ({ ...withStatus(c), levelLabel: label(lang, c.level), scopeLabel: label(lang, c.scope) })),
    trademarks: p.trademarks.map((tm) => ({ ...tm, niceText: tm.niceClasses.join('、') })),
  };
}

/** schema.org Brand with its owner Organization; only public facts. */
function brandJsonLd(p: BrandProfile, baseUrl: string) {
  const pageUrl = `${baseUrl.replace(/\/$/, '')}/brands/${p.slug}`;
  return {
    '@context': 'https://schema.org',
    '@type': 'Brand',
    '@id': pageUrl,
    url: pageUrl,
    name: p.name,
    ...(p.nameEn ? { alternateName: p.nameEn } : {}),
    description: p.description || undefined,
    ...(p.timeHonored ? { award: `${p.timeHonored.tier}（${p.timeHonored.recognizedYear}）` } : {}),
    owner: {
      '@type': 'Organization',
      name: p.company,
      identifier: { '@type': 'PropertyValue', propertyID: '统一社会信用代码', value: p.creditCode },
      address: {
        '@type': 'PostalAddress',
        addressLocality: '武汉市',
        addressRegion: '湖北省',
        addressCountry: 'CN',
        streetAddress: p.timeHonored?.address || undefined,
      },
      ...(p.website ? { url: p.website } : {}),
      ...(p.founded ? { foundingDate: String(p.founded) } : {}),
    },
  };
}
