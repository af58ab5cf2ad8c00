/**
 * The plan's two public showcases (wuhan-brand-action-plan-2022 §七, §二十二):
 *
 * - the 老字号 digital museum: `/time-honored/stories` lists every listed 老字号 (有效, 复核中)
 *   by tier, oldest first, each with an excerpt of its story; `/time-honored/<slug>/story` tells
 *   one brand's story — craft, address, founding, recognition and its public history as a timeline;
 * - the 武汉名品/武汉精品 showcase: `/showcase`, the certified products whose certificates are in
 *   force (expired, suspended, revoked ones excluded), by industry, filtered by level with links.
 *
 * Both read MongoDB with indexed filters and caps: 老字号 are a few hundred (status index), the
 * certificates in force a few thousand at most (status + validUntil index), paged and capped.
 */
import { Router, type Response } from 'express';
import mongoose from 'mongoose';
import { AppError } from '../platform/errors.js';
import { formatDate, formatNumber, formatYearBatch, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { effectiveStatus, VALID } from '../registries/kinds.js';
import { Brand, Certificate, TimeHonored } from '../registries/models.js';
import { picturesOf, pictureSources, variantUrl, type PictureDoc } from '../registries/pictures.js';
import { getBrandProfile, type BrandProfile } from '../registries/queries.js';
import { BRAND_SLUG, INDUSTRIES, TIME_HONORED_TIERS } from '../registries/reference.js';
import { knownValues } from '../registries/reference-data.js';
import { brandStanding, standingView } from '../registries/standing.js';
import { statusClass } from '../search/view-model.js';
import { brandHistory } from './history.js';
import { reviewViews } from './reviews.js';

registerMessages({
  'home.showcases': ['专题展示', 'Showcases'],
  'museum.title': ['老字号数字博物馆', 'Time-honored brands museum'],
  'museum.tagline': ['中华、湖北、武汉老字号的品牌故事与传承技艺', 'The stories and crafts of China, Hubei and Wuhan time-honored brands'],
  'museum.intro': [
    '依据《行动方案》“推动老字号数字博物馆建设”，收录名录中现有的中华老字号、湖北老字号和武汉老字号，按创立年份排列。',
    'Following the action plan’s call for a digital museum of time-honored brands: the China, Hubei and Wuhan time-honored brands now listed, oldest first.',
  ],
  'museum.count': ['{n} 个', '{n} brands'],
  'museum.tiers': ['按级别浏览', 'Browse by tier'],
  'museum.founded': ['{y}年创立', 'founded {y}'],
  'museum.foundedUnknown': ['创立年份待考', 'founding year not recorded'],
  'museum.recognized': ['{y}年认定', 'recognised {y}'],
  'museum.none': ['该级别暂无条目。', 'No brands at this tier yet.'],
  'museum.capped': ['仅列出前 {n} 个，可在老字号名录中检索全部。', 'Only the first {n} are shown; search the time-honored list for all.'],
  'museum.description': [
    '武汉老字号数字博物馆：中华老字号、湖北老字号、武汉老字号的品牌故事、传承技艺与发展历程。',
    'The Wuhan time-honored brands museum: the stories, crafts and histories of China, Hubei and Wuhan time-honored brands.',
  ],
  'story.link': ['品牌故事（老字号数字博物馆）', 'Story (time-honored brands museum)'],
  'story.title': ['{name}的故事', 'The story of {name}'],
  'story.tier': ['级别', 'Tier'],
  'story.recognized': ['认定', 'Recognised'],
  'story.founded': ['创立年份', 'Founded'],
  'story.craft': ['传承技艺（非遗）', 'Craft (intangible heritage)'],
  'story.address': ['地址', 'Address'],
  'story.map': ['在地图中查找（高德地图）', 'Find on a map (Amap)'],
  'story.timeline': ['大事记', 'Timeline'],
  'story.timeline.founded': ['创立', 'Founded'],
  'story.noStory': ['品牌故事待补充。', 'The story has not been written yet.'],
  'story.links': ['相关链接', 'Related'],
  'story.brandPage': ['品牌详情', 'Brand details'],
  'story.entry': ['老字号名录登记信息', 'Time-honored registry entry'],
  'story.sameTier': ['同级别老字号', 'Other brands at this tier'],
  'story.museum': ['返回老字号数字博物馆', 'Back to the museum'],
  'story.pictures': ['图片', 'Pictures'],
  'story.credit': ['图片来源', 'Credit'],
  'story.meta': ['{name}：{tier}，{year}年认定。{excerpt}', '{name}: {tier}, recognised in {year}. Its story, craft, address and timeline.'],
  'showcase.title': ['武汉名品精品展示', 'Wuhan quality products showcase'],
  'showcase.tagline': ['在有效期内的精品认定产品与服务', 'Certified products and services, certificates in force'],
  'showcase.intro': [
    '依据《行动方案》搭建“武汉名品”“武汉精品”展示推广平台：这里只列出证书在有效期内的认定产品、服务和工程，已过期、暂停或撤销的证书不在此列。',
    'The action plan’s platform for showing and promoting Wuhan quality products: only certificates in force are listed; expired, suspended and revoked ones are left out.',
  ],
  'showcase.filter': ['按认定级别筛选', 'Filter by level'],
  'showcase.all': ['全部级别', 'All levels'],
  'showcase.count': ['共 {n} 张有效证书', '{n} certificates in force'],
  'showcase.pageOf': ['第 {p} / {pages} 页', 'Page {p} of {pages}'],
  'showcase.none': ['暂无有效证书。', 'No certificate in force.'],
  'showcase.capped': ['仅可翻阅前 {n} 页，请按级别筛选。', 'Only the first {n} pages can be browsed; filter by level.'],
  'showcase.brand': ['品牌', 'Brand'],
  'showcase.level': ['级别', 'Level'],
  'showcase.validUntil': ['有效期至', 'Valid until'],
  'showcase.certNo': ['证书编号', 'Certificate no.'],
  'showcase.verify': ['查验证书 {n}', 'Verify certificate {n}'],
  'showcase.industryOther': ['其他行业', 'Other industries'],
  'showcase.demoNote': ['本页证书编号和日期均为演示用途虚构。', 'Certificate numbers and dates on this page are invented for demonstration.'],
  'showcase.description': [
    '武汉名品、武汉精品展示：中国精品、湖北精品、武汉精品等在有效期内的认定产品与服务，按行业分类，可查验证书。',
    'Wuhan quality products: China, Hubei and Wuhan quality certifications and other labels in force, by industry, each with its certificate to verify.',
  ],
  'showcase.bad': ['没有这个认定级别', 'No such level'],
});

/** Statuses under which a 老字号 is still on the list (已移出 is not shown in the museum). */
const LISTED = ['有效', '复核中'];
/** The most 老字号 the museum lists in one page (there are a few hundred in a city). */
export const MUSEUM_CAP = 2000;
/** Certificates per showcase page, and the pages one may browse (deeper: filter by level). */
export const SHOWCASE_PAGE_SIZE = 48;
export const SHOWCASE_MAX_PAGES = 100;

const HAN = /\p{Script=Han}/u;
/** A stored term's label, and whether it is still Chinese data in the page language (an industry with no English name). */
const term = (lang: Lang, value: string) => {
  const text = label(lang, value);
  return { text, zh: lang === 'en' && HAN.test(text) };
};

/** The story's opening: its first sentence when short, else its first 60 characters. */
export function excerpt(story: string, max = 60): string {
  const s = story.trim();
  if (!s) return '';
  const chars = Array.from(s);
  const end = chars.findIndex((c) => c === '。' || c === '！' || c === '？');
  if (end >= 0 && end < max + 20) return chars.slice(0, end + 1).join('');
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : s;
}

const yearText = (lang: Lang, y: number) => (lang === 'en' ? String(y) : `${y}年`);
/** A year for <time datetime> (at least four digits). */
const yearIso = (y: number) => String(y).padStart(4, '0');

/** The listed 老字号 with their brands, oldest first by founding year (unknown years last). */
async function museumEntries() {
  const entries = await TimeHonored.find({ status: mongoose.trusted({ $in: LISTED }) }, { brand: 1, tier: 1, recognizedYear: 1, batch: 1, story: 1, status: 1 })
    .limit(MUSEUM_CAP + 1)
    .lean();
  const capped = entries.length > MUSEUM_CAP;
  const shown = entries.slice(0, MUSEUM_CAP);
  const brands = await Brand.find(
    { _id: mongoose.trusted({ $in: shown.map((e) => e.brand) }) },
    { slug: 1, name: 1, nameEn: 1, founded: 1, district: 1 },
  ).lean();
  const byId = new Map(brands.map((b) => [String(b._id), b]));
  const rows = shown.flatMap((e) => {
    const b = byId.get(String(e.brand));
    return b ? [{ entry: e, brand: b }] : [];
  });
  rows.sort(
    (a, b) =>
      (a.brand.founded ?? 9999) - (b.brand.founded ?? 9999) || a.entry.recognizedYear - b.entry.recognizedYear || a.brand.slug.localeCompare(b.brand.slug),
  );
  return { rows, capped };
}

/** One brand's story page as a view model, or null for a brand that is not (and was never) a 老字号. */
async function storyViewModel(lang: Lang, p: BrandProfile, baseUrl: string) {
  const th = p.timeHonored;
  if (!th) return null;
  const brandId = p.entryRefs.find((r) => r.model === 'Brand')?.id;
  const [history, pictures] = await Promise.all([brandHistory(lang, p), brandId ? picturesOf(brandId) : Promise.resolve([])]);
  const founded = p.founded
    ? [
        {
          at: new Date(Date.UTC(p.founded, 0, 1)),
          iso: yearIso(p.founded),
          when: yearText(lang, p.founded),
          text: t(lang, 'story.timeline.founded'),
          reason: '',
        },
      ]
    : [];
  // A museum reads oldest first: founding, recognition, then what changed since.
  const timeline = [...founded, ...history.slice().reverse()].sort((a, b) => a.at.getTime() - b.at.getTime());
  const standing = brandStanding(p);
  const displayName = lang === 'en' && p.nameEn ? p.nameEn : p.name;
  return {
    brand: {
      slug: p.slug,
      name: p.name,
      nameEn: p.nameEn,
      company: p.company,
      founded: p.founded,
      foundedIso: p.founded ? yearIso(p.founded) : '',
      foundedText: p.founded ? yearText(lang, p.founded) : '',
      district: label(lang, p.district),
      demo: p.demo,
    },
    th: {
      ...th,
      tierLabel: label(lang, th.tier),
      statusLabel: label(lang, th.status),
      statusClass: statusClass(th.status),
      listed: th.status === '有效',
      recognizedText: formatYearBatch(lang, th.recognizedYear, th.batch),
      statusChangedText: formatDate(lang, th.statusChangedAt),
      mapUrl: th.address ? `https://uri.amap.com/search?keyword=${encodeURIComponent(th.address)}&city=${encodeURIComponent('武汉')}` : '',
      // A brand on several lists (中华老字号 2024 · 湖北老字号 2014): each listing, principal first.
      listings: p.timeHonoredListings.map((l) => ({
        tierLabel: label(lang, l.tier),
        statusLabel: label(lang, l.status),
        statusClass: statusClass(l.status),
        recognizedText: formatYearBatch(lang, l.recognizedYear, l.batch),
        // The latest re-review's outcome (with its deadline for 附条件通过), or null.
        latestReview: reviewViews(lang, l.reviews)[0] ?? null,
      })),
    },
    timeline,
    pictures: pictures.map((pic, i) => ({
      ...pictureSources(pic),
      alt: pic.alt,
      credit: pic.credit,
      caption: pic.caption ?? '',
      // The first picture is near the top of the page: fetched at once; the others when scrolled to.
      loading: i === 0 ? 'eager' : 'lazy',
    })),
    standing: standingView(lang, standing),
    displayName,
    links: {
      brand: url(lang, `/brands/${p.slug}`),
      entry: `${url(lang, `/brands/${p.slug}`)}#time-honored`,
      sameTier: url(lang, '/time-honored', { tier: th.tier }),
      museum: url(lang, '/time-honored/stories'),
    },
    jsonLd: storyJsonLd(p, baseUrl, pictures),
  };
}

/**
 * schema.org JSON-LD of a story page: the company as an Organization (the same @id as its brand
 * page) founded in its year, at its address, with its Brand, its 老字号 listing as `award` and its
 * craft as `knowsAbout`, and its pictures as `image` (ImageObject with caption and credit).
 */
export function storyJsonLd(p: BrandProfile, baseUrl: string, pictures: PictureDoc[] = []) {
  const base = baseUrl.replace(/\/$/, '');
  const brandUrl = `${base}/brands/${p.slug}`;
  const th = p.timeHonored!;
  const current = th.status === '有效' || th.status === '复核中';
  return {
    '@context': 'https://schema.org',
    '@type': 'Organization',
    '@id': `${brandUrl}#organization`,
    url: brandUrl,
    mainEntityOfPage: `${brandUrl.replace('/brands/', '/time-honored/')}/story`,
    name: p.company,
    ...(p.founded ? { foundingDate: String(p.founded) } : {}),
    address: {
      '@type': 'PostalAddress',
      ...(th.address ? { streetAddress: th.address } : {}),
      addressLocality: '武汉市',
      addressRegion: '湖北省',
      addressCountry: 'CN',
    },
    ...(current ? { award: [`${th.tier}（${th.recognizedYear}年认定）`] } : {}),
    ...(th.heritage ? { knowsAbout: th.heritage } : {}),
    ...(th.story ? { description: th.story } : {}),
    ...(pictures.length
      ? {
          image: pictures.map((pic) => {
            const widest = Math.max(...pic.widths);
            return {
              '@type': 'ImageObject',
              contentUrl: `${base}${variantUrl(pic._id, widest, 'jpeg')}`,
              encodingFormat: 'image/jpeg',
              width: pic.width,
              height: pic.height,
              ...(pic.caption ? { caption: pic.caption } : {}),
              description: pic.alt,
              creditText: pic.credit,
            };
          }),
        }
      : {}),
    brand: {
      '@type': 'Brand',
      '@id': `${brandUrl}#brand`,
      url: brandUrl,
      name: p.name,
      ...(p.nameEn ? { alternateName: p.nameEn } : {}),
    },
  };
}

/** The certificates in force, one page of them, with their brands; and how many there are per level. */
async function showcaseData(level: string | null, pageNo: number, now: Date) {
  const inForce = { status: VALID, validUntil: mongoose.trusted({ $gte: now }) };
  const [counts, certs] = await Promise.all([
    Promise.all(knownValues('certificate-level').map(async (l) => ({ level: l, n: await Certificate.countDocuments({ ...inForce, level: l }) }))),
    Certificate.find({ ...inForce, ...(level ? { level } : {}) }, { number: 1, brand: 1, level: 1, scope: 1, product: 1, validUntil: 1, status: 1 })
      .sort({ validUntil: -1, number: 1 })
      .skip((pageNo - 1) * SHOWCASE_PAGE_SIZE)
      .limit(SHOWCASE_PAGE_SIZE)
      .lean(),
  ]);
  const brands = await Brand.find(
    { _id: mongoose.trusted({ $in: [...new Set(certs.map((c) => String(c.brand)))] }) },
    { slug: 1, name: 1, nameEn: 1, industry: 1, demo: 1 },
  ).lean();
  const byId = new Map(brands.map((b) => [String(b._id), b]));
  const cards = certs.flatMap((c) => {
    const b = byId.get(String(c.brand));
    // effectiveStatus is the one rule for what the public sees (the query already asks for it).
    return b && effectiveStatus('certified', c.status, c.validUntil, now) === VALID ? [{ cert: c, brand: b }] : [];
  });
  return { counts, cards };
}

// Levels are reference data an admin extends (武汉名品…): their order is the list's.
const levelRank = (l: string) => knownValues('certificate-level').indexOf(l);
const industryRank = (i: string) => {
  const n = (INDUSTRIES as readonly string[]).indexOf(i);
  return n < 0 ? INDUSTRIES.length : n;
};

export function showcaseRoutes(deps: { render: Render; publicBaseUrl: string }): Router {
  const { render } = deps;
  const base = deps.publicBaseUrl.replace(/\/$/, '');
  const router = Router();
  const styles = ['css/showcase.css'];
  const page = (res: Response, view: string, data: Record<string, unknown>) => {
    res.setHeader('Cache-Control', 'public, max-age=30');
    res.type('html').send(render(view, { ...res.locals, styles, ...data }));
  };
  const notFound = () => new AppError('not_found', '找不到该老字号', { messageEn: 'No such time-honored brand' });

  router.get('/time-honored/stories', async (_req, res) => {
    const lang = res.locals.lang;
    const { rows, capped } = await museumEntries();
    const tiers = TIME_HONORED_TIERS.map((tier, i) => {
      const items = rows
        .filter((r) => r.entry.tier === tier)
        .map(({ entry, brand }) => ({
          name: brand.name,
          nameEn: brand.nameEn,
          href: url(lang, `/time-honored/${brand.slug}/story`),
          founded: brand.founded ?? null,
          foundedIso: brand.founded ? yearIso(brand.founded) : '',
          foundedText: brand.founded ? t(lang, 'museum.founded', { y: brand.founded }) : t(lang, 'museum.foundedUnknown'),
          recognizedText: t(lang, 'museum.recognized', { y: entry.recognizedYear }),
          district: label(lang, brand.district),
          excerpt: excerpt(entry.story ?? ''),
          review: entry.status !== '有效',
          statusLabel: label(lang, entry.status),
          statusClass: statusClass(entry.status),
        }));
      return { id: `tier-${i + 1}`, tier, label: label(lang, tier), count: t(lang, 'museum.count', { n: items.length }), items };
    });
    page(res, 'stories', {
      title: t(lang, 'museum.title'),
      description: t(lang, 'museum.description'),
      tiers,
      capped: capped ? t(lang, 'museum.capped', { n: MUSEUM_CAP }) : '',
      listHref: url(lang, '/time-honored'),
    });
  });

  router.get('/time-honored/:slug/story', async (req, res) => {
    const lang = res.locals.lang;
    const slug = String(req.params.slug);
    if (!BRAND_SLUG.test(slug)) throw notFound();
    const profile = await getBrandProfile(slug);
    const vm = profile && (await storyViewModel(lang, profile, base));
    if (!profile || !vm) throw notFound();
    const th = profile.timeHonored!;
    const title = t(lang, 'story.title', { name: lang === 'en' && profile.nameEn ? `${profile.nameEn} (${profile.name})` : profile.name });
    page(res, 'story', {
      ...vm,
      title,
      description: t(lang, 'story.meta', { name: vm.displayName, tier: vm.th.tierLabel, year: th.recognizedYear, excerpt: excerpt(th.story ?? '', 80) }).trim(),
    });
  });

  router.get('/showcase', async (req, res) => {
    const lang = res.locals.lang;
    const rawLevel = typeof req.query.level === 'string' ? req.query.level.trim() : '';
    if (rawLevel && !knownValues('certificate-level').includes(rawLevel)) {
      throw new AppError('not_found', t('zh', 'showcase.bad'), { messageEn: t('en', 'showcase.bad') });
    }
    const level = rawLevel || null;
    const rawPage = typeof req.query.page === 'string' ? req.query.page : '1';
    const pageNo = /^[1-9][0-9]{0,3}$/.test(rawPage) ? Number(rawPage) : NaN;
    if (!(pageNo >= 1 && pageNo <= SHOWCASE_MAX_PAGES)) throw new AppError('not_found', '没有这一页', { messageEn: 'No such page' });
    const now = new Date();
    const { counts, cards } = await showcaseData(level, pageNo, now);
    const present = counts.filter((c) => c.n > 0);
    const total = level ? (counts.find((c) => c.level === level)?.n ?? 0) : counts.reduce((s, c) => s + c.n, 0);
    const pages = Math.max(1, Math.min(SHOWCASE_MAX_PAGES, Math.ceil(total / SHOWCASE_PAGE_SIZE)));
    if (pageNo > pages) throw new AppError('not_found', '没有这一页', { messageEn: 'No such page' });

    // The page's certificates by industry (in the order of the reference list), each group by level then product.
    const groups = new Map<string, typeof cards>();
    for (const c of cards) {
      // A brand may have no industry recorded yet: it goes under "other industries".
      const industry = c.brand.industry ?? '';
      groups.set(industry, [...(groups.get(industry) ?? []), c]);
    }
    const industries = [...groups.entries()]
      .sort(([a], [b]) => industryRank(a) - industryRank(b) || a.localeCompare(b))
      .map(([industry, list], i) => {
        const name = industry ? term(lang, industry) : { text: t(lang, 'showcase.industryOther'), zh: false };
        return {
          id: `industry-${i + 1}`,
          label: name.text,
          labelZh: name.zh,
          cards: list
            .sort((a, b) => levelRank(a.cert.level) - levelRank(b.cert.level) || a.cert.product.localeCompare(b.cert.product))
            .map(({ cert, brand }) => ({
              product: cert.product,
              number: cert.number,
              verifyHref: url(lang, `/verify/${cert.number}`),
              verifyLabel: t(lang, 'showcase.verify', { n: cert.number }),
              level: label(lang, cert.level),
              scope: label(lang, cert.scope),
              validUntil: formatDate(lang, cert.validUntil),
              validUntilIso: new Date(cert.validUntil).toISOString().slice(0, 10),
              brandName: brand.name,
              brandNameEn: brand.nameEn,
              brandHref: url(lang, `/brands/${brand.slug}`),
              demo: Boolean(brand.demo),
            })),
        };
      });
    const q = (extra: Record<string, string | number | undefined>) => url(lang, '/showcase', { level: level ?? undefined, ...extra });
    const filters = [
      { label: t(lang, 'showcase.all'), n: formatNumber(counts.reduce((s, c) => s + c.n, 0)), href: url(lang, '/showcase'), current: !level },
      ...present.map((c) => ({
        label: label(lang, c.level),
        n: formatNumber(c.n),
        href: url(lang, '/showcase', { level: c.level }),
        current: c.level === level,
      })),
    ];
    // The canonical address keeps what changes the list (level, page), unlike the site default.
    const canonical = (l: Lang) => `${base}${url(l, '/showcase', { level: level ?? undefined, page: pageNo > 1 ? pageNo : undefined })}`;
    const alternates = { zh: canonical('zh'), en: canonical('en') };
    page(res, 'showcase', {
      title: level ? `${t(lang, 'showcase.title')} · ${label(lang, level)}` : t(lang, 'showcase.title'),
      description: t(lang, 'showcase.description'),
      canonicalUrl: alternates[lang],
      alternates,
      filters,
      industries,
      total,
      countText: t(lang, 'showcase.count', { n: formatNumber(total) }),
      pageText: pages > 1 ? t(lang, 'showcase.pageOf', { p: pageNo, pages }) : '',
      prev: pageNo > 1 ? q({ page: pageNo - 1 > 1 ? pageNo - 1 : undefined }) : '',
      next: pageNo < pages ? q({ page: pageNo + 1 }) : '',
      capped: Math.ceil(total / SHOWCASE_PAGE_SIZE) > SHOWCASE_MAX_PAGES ? t(lang, 'showcase.capped', { n: SHOWCASE_MAX_PAGES }) : '',
      demo: cards.some((c) => c.brand.demo),
    });
  });

  return router;
}
