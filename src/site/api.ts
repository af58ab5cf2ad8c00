/**
 * The read-only JSON API under /api/v1. Errors are {"error":{"code","message"}} (see http.ts).
 * Answers carry express's weak ETag (and Last-Modified for brands); a conditional GET whose
 * validator still holds gets 304 without a body (express's res.json does this via req.fresh).
 * Described in src/api-docs/openapi.ts (served at /api/v1/openapi.json).
 */
import { Router } from 'express';
import { AppError } from '../platform/errors.js';
import { parseSearchParams, assertPlainQuery } from '../search/params.js';
import type { SearchIndex } from '../search/port.js';
import { segmentsToHtml } from '../search/query.js';
import { loadBrandStanding, standingJson } from '../registries/standing.js';
import { getBrandProfile, getCertificate, type PublicCertificate } from '../registries/queries.js';
import { BRAND_SLUG } from '../registries/reference.js';

const CERT_NUMBER = /^[0-9A-Za-z-]{1,32}$/;

/** A certificate's status as a stable English code for API clients. */
const STATUS_CODES = new Map([
  ['有效', 'valid'],
  ['过期', 'expired'],
  ['暂停', 'suspended'],
  ['撤销', 'revoked'],
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
    validUntil: c.validUntil,
    issuer: c.issuer,
    standard: c.standard || null,
    statusChangedAt: c.statusChangedAt,
    statusReason: c.status === '暂停' || c.status === '撤销' ? c.statusReason : null,
    brand: c.brand,
    demo: c.demo,
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

export function apiRoutes(deps: { index: SearchIndex }): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=30');
    next();
  });

  router.get('/search', async (req, res) => {
    const { search } = parseSearchParams(req.query);
    const r = await deps.index.search(search);
    res.json({
      hits: r.hits.map((h) => ({
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
        highlights: Object.fromEntries(Object.entries(h.highlights).map(([k, v]) => [k, segmentsToHtml(v!)])),
        demo: h.doc.demo,
      })),
      total: r.total,
      /** True when total and facet counts are estimated (very large result sets). */
      estimated: r.estimated ?? false,
      page: search.page,
      pageSize: search.pageSize,
      facets: r.facets,
    });
  });

  router.get('/brands/:slug', async (req, res) => {
    assertPlainQuery(req.query);
    const slug = String(req.params.slug);
    const profile = BRAND_SLUG.test(slug) ? await getBrandProfile(slug) : null;
    if (!profile) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    // express answers 304 by itself when If-None-Match (ETag) or If-Modified-Since still holds.
    const lastModified = brandLastModified(profile);
    if (lastModified) res.setHeader('Last-Modified', lastModified.toUTCString());
    res.json({ ...profile, certificates: profile.certificates.map(certificateJson) });
  });

  router.get('/certificates/:number', async (req, res) => {
    assertPlainQuery(req.query);
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
