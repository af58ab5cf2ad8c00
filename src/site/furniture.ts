/**
 * The furniture of a government site: who runs it (主办单位) and how to reach them, the privacy and
 * accessibility statements, robots.txt, and each public page's canonical address, language
 * alternates and meta description.
 *
 * The operator and contact come from the configuration (SITE_OPERATOR, SITE_CONTACT …, with the
 * bureau's defaults) so another city's deployment names itself.
 */
import { Router, type RequestHandler } from 'express';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import type { Render } from '../platform/views.js';
import { REGISTRIES } from '../registries/kinds.js';
import { KINDS } from '../registries/reference.js';

registerMessages({
  'footer.operator': ['主办单位：{name}', 'Operated by {name}'],
  'footer.contact': ['联系方式：{contact}', 'Contact: {contact}'],
  'footer.email': ['电子邮箱：', 'E-mail: '],
  'footer.notice': ['本站信息仅供参考，以登记机关公布的为准。', 'For reference only: the registering authority’s published records prevail.'],
  'footer.privacy': ['隐私声明', 'Privacy statement'],
  'footer.accessibility': ['无障碍声明', 'Accessibility statement'],
  'footer.links': ['网站信息', 'About this site'],
  'privacy.title': ['隐私声明', 'Privacy statement'],
  'privacy.description': [
    '武汉品牌名录保存哪些数据：公众页面不设账户、不放跟踪代码，Cookie 仅用于后台、企业申报和您主动选择的关怀版。',
    'What the Wuhan Brand Registry keeps: no accounts or tracking on public pages; cookies only in the back office, for enterprise applications and for the large-text view you choose.',
  ],
  'accessibility.title': ['无障碍声明', 'Accessibility statement'],
  'accessibility.description': [
    '武汉品牌名录的无障碍措施，以及如何反馈无法使用的问题。',
    'The accessibility measures of the Wuhan Brand Registry, and how to report a problem.',
  ],
  'meta.search': [
    '按品牌名称、产品、企业名称、拼音或证书编号搜索武汉商标品牌、驰名商标、老字号与精品认定。',
    'Search Wuhan trademark brands, famous marks, time-honored brands and certifications by name, product, company, pinyin or number.',
  ],
  'meta.searchFor': ['“{q}”在武汉品牌名录中的搜索结果。', 'Results for “{q}” in the Wuhan Brand Registry.'],
  'meta.brand': ['{name}：{company}。{standings}', '{name}: {company}. {standings}'],
  'meta.home.title': ['{site} · {operator}', '{site} · {operator}'],
});

/** The operator's details as the configuration gives them. */
export interface SiteSettings {
  operator: string;
  operatorEn: string;
  contact: string;
  contactEn: string;
  email?: string;
  icp?: string;
}

export function siteSettings(config: {
  SITE_OPERATOR: string;
  SITE_OPERATOR_EN: string;
  SITE_CONTACT: string;
  SITE_CONTACT_EN: string;
  SITE_CONTACT_EMAIL?: string;
  SITE_ICP?: string;
}): SiteSettings {
  return {
    operator: config.SITE_OPERATOR,
    operatorEn: config.SITE_OPERATOR_EN,
    contact: config.SITE_CONTACT,
    contactEn: config.SITE_CONTACT_EN,
    ...(config.SITE_CONTACT_EMAIL ? { email: config.SITE_CONTACT_EMAIL } : {}),
    ...(config.SITE_ICP ? { icp: config.SITE_ICP } : {}),
  };
}

/** What the layouts show about the operator, in the page language. */
export interface SiteLocals {
  operator: string;
  contact: string;
  email?: string;
  icp?: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    site: SiteLocals;
    /** Absolute canonical address of this page (PUBLIC_BASE_URL), without tracking or display parameters. */
    canonicalUrl: string;
    /** The page in each language, absolute (hreflang alternates). */
    alternates: { zh: string; en: string };
    /** The page's meta description; a route may set its own. */
    description: string;
  }
}

/**
 * Parameters that change what a page lists; everything else (utm_*, sort, pageSize, lang…) is
 * dropped from the canonical address. `lang=en` is kept as the English alternate.
 */
const MEANINGFUL = ['q', 'kind', 'district', 'sector', 'tier', 'status', 'nice', 'page'];

function canonicalQuery(query: Record<string, unknown>): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of MEANINGFUL) {
    const v = query[k];
    if (typeof v !== 'string' || v.trim() === '') continue;
    if (k === 'page' && v === '1') continue;
    out.set(k, v.trim());
  }
  return out;
}

const withLang = (base: string, params: URLSearchParams, lang: Lang) => {
  const p = new URLSearchParams(params);
  if (lang === 'en') p.set('lang', 'en');
  const qs = p.toString();
  return qs ? `${base}?${qs}` : base;
};

/** The default meta description of a public path (routes with more to say set their own). */
function describe(lang: Lang, path: string, q: string): string {
  if (path === '/search') return q ? t(lang, 'meta.searchFor', { q }) : t(lang, 'meta.search');
  for (const kind of KINDS) if (path === REGISTRIES[kind].listPath) return `${t(lang, `kind.${kind}`)}：${t(lang, `list.${kind}.intro`)}`;
  const keys: Record<string, string> = {
    '/verify': 'verify.intro',
    '/stats': 'stats.intro',
    '/open-data': 'opendata.intro',
    '/api': 'apidocs.intro',
    '/privacy': 'privacy.description',
    '/accessibility': 'accessibility.description',
  };
  const key = keys[path];
  return key ? t(lang, key) : t(lang, 'site.tagline');
}

/** Puts the operator, the canonical address, the language alternates and a description on res.locals (after pageContext). */
export function siteFurniture(settings: SiteSettings, publicBaseUrl: string): RequestHandler {
  const base = publicBaseUrl.replace(/\/$/, '');
  return (req, res, next) => {
    const lang: Lang = res.locals.lang ?? 'zh';
    res.locals.site = {
      operator: lang === 'en' ? settings.operatorEn : settings.operator,
      contact: lang === 'en' ? settings.contactEn : settings.contact,
      ...(settings.email ? { email: settings.email } : {}),
      ...(settings.icp ? { icp: settings.icp } : {}),
    };
    const params = canonicalQuery(req.query);
    const pageUrl = `${base}${req.path}`;
    res.locals.alternates = { zh: withLang(pageUrl, params, 'zh'), en: withLang(pageUrl, params, 'en') };
    res.locals.canonicalUrl = res.locals.alternates[lang];
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    res.locals.description = describe(lang, req.path, q);
    next();
  };
}

/**
 * robots.txt: public pages open to crawlers; the back office, the JSON API and endless search
 * combinations not. A search for words alone (/search?q=热干面, a page people look for) is open;
 * with filters, sorting, another page or language (a second parameter) it is not: the longest
 * matching rule wins, and `*` / `$` are understood by Baidu, Google and Bing.
 */
export function robotsTxt(publicBaseUrl: string): string {
  const base = publicBaseUrl.replace(/\/$/, '');
  return [
    '# Wuhan Brand Registry',
    'User-agent: *',
    'Allow: /',
    'Disallow: /admin',
    'Disallow: /api/v1/',
    'Disallow: /search',
    'Allow: /search?q=',
    'Disallow: /search?q=*&',
    'Disallow: /care',
    '',
    `Sitemap: ${base}/sitemap.xml`,
    '',
  ].join('\n');
}

export function furnitureRoutes(deps: { render: Render; publicBaseUrl: string }): Router {
  const router = Router();
  const statement = (view: 'privacy' | 'accessibility') =>
    ((_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.type('html').send(deps.render(view, { ...res.locals, title: t(res.locals.lang, `${view}.title`) }));
    }) satisfies RequestHandler;
  router.get('/privacy', statement('privacy'));
  router.get('/accessibility', statement('accessibility'));
  const robots = robotsTxt(deps.publicBaseUrl);
  router.get('/robots.txt', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/plain').send(robots);
  });
  return router;
}
