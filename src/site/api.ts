/**
 * The read-only JSON API under /api/v1. Errors are {"error":{"code","message"}} (see http.ts).
 * Answers carry express's weak ETag (and Last-Modified for brands); a conditional GET whose
 * validator still holds gets 304 without a body (express's res.json does this via req.fresh).
 * Described in src/api-docs/openapi.ts (served at /api/v1/openapi.json).
 */
import { Router } from 'express';
import { z } from 'zod';
import { AppError, validationFailed } from '../platform/errors.js';
import { parseLang } from '../platform/i18n.js';
import { parseSearchParams, assertPlainQuery } from '../search/params.js';
import type { BrandHit, Hit, SearchIndex } from '../search/port.js';
import { segmentsToHtml } from '../search/query.js';
import { loadBrandStanding, standingJson } from '../registries/standing.js';
import { getBrandProfile, getCertificate, type PublicCertificate } from '../registries/queries.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { freshness } from '../search/freshness.js';
import { createSuggester, didYouMean, SUGGEST_LIMIT, SUGGEST_MAX_LENGTH } from './suggest.js';

const suggestSchema = z.object({
  q: z
    .string({ message: '请输入1-50个字符|must be 1-50 characters' })
    .trim()
    .min(1, { message: '请输入1-50个字符|must be 1-50 characters' })
    .max(SUGGEST_MAX_LENGTH, { message: '请输入1-50个字符|must be 1-50 characters' }),
  lang: z.enum(['zh', 'en'], { message: '语言应为 zh 或 en|must be zh or en' }).optional(),
});

const CERT_NUMBER = /^[0-9A-Za-z-]{1,32}$/;

/** `lang` as documented: zh or en; anything else is a 400 naming it, in both languages. */
function assertLang(query: Record<string, string>): void {
  if (query.lang !== undefined && query.lang !== 'zh' && query.lang !== 'en') {
    throw validationFailed([{ field: 'lang', message: '语言应为 zh 或 en', messageEn: 'must be zh or en' }]);
  }
}

/** A certificate's status as a stable English code for API clients. */
const STATUS_CODES = new Map([
  ['有效', 'valid'],
  ['过期', 'expired'],
  ['暂停', 'suspended'],
  ['撤销', 'revoked'],
  ['注销', 'cancelled'],
]);

export function certificateJson(c: PublicCertificate) {
  return {
    number: c.number,
    status: c.status,
    statusCode: STATUS_CODES.get(c.status) ?? 'unknown',
    level: c.level,
    scope: c.scope,
    product: c.product,
    issuedAt: c.issuedAt,
    issuedAtPrecision: c.issuedAtPrecision,
    validUntil: c.validUntil,
    issuer: c.issuer,
    standard: c.standard || null,
    statusChangedAt: c.statusChangedAt,
    statusReason: c.status === '暂停' || c.status === '撤销' || c.status === '注销' ? c.statusReason : null,
    brand: c.brand,
    demo: c.demo,
    // The facts the certificate lacks (待补充): their fields above are null.
    missing: c.missing,
  };
}

/**
 * When the brand's answer last changed: its latest saved change, or a certificate's expiry since
 * (过期 is derived at read time, so the body changes then without any write). Null if unknown.
 */
export function brandLastModified(p: { updatedAt: Date; certificates: Array<{ storedStatus: string; validUntil: Date }> }, now = new Date()): Date | null {
  const times = [new Date(p.updatedAt).getTime()];
  for (const c of p.certificates) {
    const until = new Date(c.validUntil).getTime();
    if (c.storedStatus === '有效' && until <= now.getTime()) times.push(until);
  }
  const t = Math.max(...times.filter((x) => Number.isFinite(x) && x > 0));
  return Number.isFinite(t) ? new Date(t) : null;
}

const highlightsJson = (h: Hit) => Object.fromEntries(Object.entries(h.highlights).map(([k, v]) => [k, segmentsToHtml(v!)]));

/** One registry entry of the search API (ungrouped results). */
function hitJson(h: Hit) {
  return {
    kind: h.doc.kind,
    slug: h.doc.slug,
    name: h.doc.name,
    nameEn: h.doc.nameEn || null,
    title: h.doc.title,
    company: h.doc.company,
    district: h.doc.district,
    sector: h.doc.sector,
    industry: h.doc.industry,
    tier: h.doc.tier,
    status: h.status,
    niceClasses: h.doc.niceClasses,
    year: h.doc.year,
    url: `/brands/${h.doc.slug}`,
    highlights: highlightsJson(h),
    demo: h.doc.demo,
  };
}

/**
 * One brand of grouped results: the brand (from its best entry) and its matching entries, each
 * with its standing and where it is published: the registry's section of the brand page, or a
 * certificate's check page. `identifier`: the certificate number or the famous mark's
 * registration number (the entry's key in its registry); null where the brand is the key.
 */
function brandJson(b: BrandHit) {
  const top = b.entries[0]!;
  return {
    slug: b.slug,
    name: top.doc.name,
    nameEn: top.doc.nameEn || null,
    company: top.doc.company,
    district: top.doc.district,
    sector: top.doc.sector,
    industry: top.doc.industry,
    url: `/brands/${b.slug}`,
    highlights: highlightsJson(top),
    demo: top.doc.demo,
    entries: b.entries.map((h) => {
      const identifier = h.doc.kind === 'certified' || h.doc.kind === 'famous' ? (h.doc.identifiers.at(-1) ?? null) : null;
      return {
        kind: h.doc.kind,
        title: h.doc.title,
        tier: h.doc.tier,
        status: h.status,
        year: h.doc.year,
        validUntil: h.doc.expiresAt ? new Date(h.doc.expiresAt).toISOString() : null,
        identifier,
        niceClasses: h.doc.niceClasses,
        url: h.doc.kind === 'certified' && identifier ? `/verify/${encodeURIComponent(identifier)}` : `/brands/${b.slug}#${h.doc.kind}`,
      };
    }),
  };
}

export function apiRoutes(deps: { index: SearchIndex; pending?: () => Promise<number> }): Router {
  const router = Router();
  const dataAsOf = freshness(deps.index, deps.pending);
  const suggest = createSuggester(deps.index);
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=30');
    next();
  });

  router.get('/search', async (req, res) => {
    const { search } = parseSearchParams(req.query);
    const [r, fresh] = await Promise.all([deps.index.search(search), dataAsOf()]);
    // Nothing found for words: the closest known brand or product, as a link the client may offer.
    const suggestion = r.total === 0 && search.q ? await didYouMean(deps.index, search.q, parseLang(req.query.lang)) : null;
    res.json({
      // group=brand: one item per brand in `brands` (total and facet counts count brands, the
      // registry facet entries); otherwise, as before, one per entry in `hits`.
      ...(r.brands ? { group: 'brand', brands: r.brands.map(brandJson) } : { hits: r.hits.map(hitJson) }),
      total: r.total,
      /** True when total and facet counts are estimated (very large result sets). */
      estimated: r.estimated ?? false,
      page: search.page,
      pageSize: search.pageSize,
      // Entries whose brand does not state a district or sector (待补充) are not a facet value.
      facets: Object.fromEntries(Object.entries(r.facets).map(([f, values]) => [f, (values ?? []).filter((v) => v.value !== '')])),
      ...(suggestion ? { didYouMean: { q: suggestion.q, url: suggestion.href } } : {}),
      /** The newest change the index holds, and how many saved changes it does not hold yet. */
      dataAsOf: fresh.asOf ? fresh.asOf.toISOString() : null,
      pendingChanges: fresh.pending,
      ...(r.relaxed ? { relaxed: r.relaxed } : {}),
      ...(r.understood ? { understood: r.understood } : {}),
    });
  });

  // Suggestions as the visitor types (public/js/suggest.js): brands, products, certificate numbers.
  router.get('/suggest', async (req, res) => {
    const parsed = suggestSchema.safeParse(assertPlainQuery(req.query));
    if (!parsed.success) {
      throw validationFailed(
        parsed.error.issues.map((i) => {
          const [zh, en] = i.message.includes('|') ? i.message.split('|', 2) : [i.message, i.message];
          return { field: String(i.path[0] ?? 'q'), message: zh!, messageEn: en! };
        }),
      );
    }
    const { q, lang } = parsed.data;
    const items = await suggest(q, lang ?? 'zh', SUGGEST_LIMIT);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json({ q, items });
  });

  router.get('/brands/:slug', async (req, res) => {
    assertLang(assertPlainQuery(req.query));
    const slug = String(req.params.slug);
    const profile = BRAND_SLUG.test(slug) ? await getBrandProfile(slug) : null;
    if (!profile) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    // express answers 304 by itself when If-None-Match (ETag) or If-Modified-Since still holds.
    const lastModified = brandLastModified(profile);
    if (lastModified) res.setHeader('Last-Modified', lastModified.toUTCString());
    // The entries' internal ids are the page's way to its history, not part of the public record.
    const { entryRefs: _internal, ...record } = profile;
    res.json({ ...record, certificates: profile.certificates.map(certificateJson) });
  });

  router.get('/certificates/:number', async (req, res) => {
    assertLang(assertPlainQuery(req.query));
    const number = String(req.params.number);
    if (!CERT_NUMBER.test(number)) {
      throw new AppError('bad_request', '证书编号格式不正确（1-32位字母、数字或连字符）', {
        messageEn: 'Certificate number must be 1-32 letters, digits or hyphens',
        fields: [{ field: 'number', message: '格式不正确', messageEn: 'malformed' }],
      });
    }
    const c = await getCertificate(number);
    if (!c) throw new AppError('not_found', `查无此证：${number}`, { messageEn: `No certificate ${number}` });
    // The same facts as /verify/:number, including whether the brand is a 老字号 or famous mark.
    const standing = c.brand ? await loadBrandStanding(c.brand.slug) : null;
    res.json({ ...certificateJson(c), brandStanding: standingJson(standing) });
  });

  return router;
}
