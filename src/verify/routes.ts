/**
 * Certificate verification pages, mounted at /verify:
 *
 * - `GET /verify?q=…` — one field: a certificate number that exists goes straight to its result
 *   (303); anything else lists matching certificates through the search port.
 * - `GET /verify/:number` — the verdict, read from MongoDB by the unique number only.
 * - `GET /verify/:number/qr.svg|png` — the QR code of its verification URL.
 *
 * Results are cacheable for a minute; the per-client rate limit sits in front of the router
 * (app.ts). Everything works without JavaScript.
 */
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { AppError, validationFailed } from '../platform/errors.js';
import { label, t } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { getCertificate } from '../registries/queries.js';
import { freshness } from '../search/freshness.js';
import { assertPlainQuery } from '../search/params.js';
import { SearchUnavailableError, type SearchIndex } from '../search/port.js';
import { statusClass } from '../search/view-model.js';
import { certificateHistory } from './history.js';
import { qrPng, qrSvg, verificationUrl } from './qr.js';
import { BrandStandingCache } from '../registries/standing.js';
import { CertificateNumbers, certificateExists, looksLikeCertNumber, normalizeCertNumber, type NearMiss } from './service.js';
import { nearMissView, notFoundViewModel, resultViewModel, stateOf, stateWord, verifyHref } from './view-model.js';

/** Result pages and lists: short enough that a suspension shows within a minute. */
const PAGE_CACHE = 'public, max-age=60';
/** QR images change only if PUBLIC_BASE_URL does. */
const QR_CACHE = 'public, max-age=300';
const Q_MAX = 100;
const LIST_SIZE = 20;

export interface VerifyDeps {
  render: Render;
  index: SearchIndex;
  config: Pick<Config, 'PUBLIC_BASE_URL'>;
  logger: Logger;
  /** The in-memory number set for near misses (one per app by default). */
  numbers?: CertificateNumbers;
  /** Brand standing remembered for a minute (one per app by default). */
  standings?: BrandStandingCache;
}

const badNumber = () =>
  new AppError('bad_request', '证书编号格式不正确：应为不超过32位的字母、数字或连字符', {
    messageEn: 'A certificate number is at most 32 letters, digits or hyphens',
    fields: [{ field: 'number', message: '格式不正确', messageEn: 'malformed' }],
  });

export function verifyRoutes(deps: VerifyDeps): Router {
  const { render, index, logger } = deps;
  const numbers = deps.numbers ?? new CertificateNumbers();
  const standings = deps.standings ?? new BrandStandingCache();
  // How current the registry is, for the "not found" caveat (src/search/freshness.ts).
  const dataAsOf = freshness(index);
  const router = Router();

  const page = (res: Response, view: string, data: Record<string, unknown>, status = 200) => {
    res.status(status);
    res.setHeader('Cache-Control', PAGE_CACHE);
    res.type('html').send(render(view, { ...res.locals, ...data }));
  };

  /** Near misses are a courtesy: if they cannot be computed the page still answers. */
  const nearMisses = async (number: string): Promise<NearMiss[]> => {
    try {
      return await numbers.nearMisses(number);
    } catch (err) {
      logger.warn({ err }, 'verify: near-miss suggestions failed');
      return [];
    }
  };

  /** The number from the path, normalised; a differently written one is redirected to it. */
  const pathNumber = (raw: string, res: Response, suffix = ''): string | null => {
    const number = normalizeCertNumber(raw);
    if (!number) throw badNumber();
    if (number !== raw) {
      res.setHeader('Cache-Control', PAGE_CACHE);
      res.redirect(301, url(res.locals.lang, `/verify/${number}${suffix}`));
      return null;
    }
    return number;
  };

  router.get('/', async (req, res) => {
    const lang = res.locals.lang;
    const query = assertPlainQuery(req.query);
    const raw = query.q ?? '';
    if (raw.length > Q_MAX) {
      throw validationFailed([{ field: 'q', message: `不能超过${Q_MAX}个字符`, messageEn: `must be at most ${Q_MAX} characters` }]);
    }
    const q = raw.trim();
    const base = { title: t(lang, 'verify.title'), q };
    if (!q) return page(res, 'verify', base);

    const number = looksLikeCertNumber(q);
    if (number && (await certificateExists(number))) {
      res.setHeader('Cache-Control', PAGE_CACHE);
      return res.redirect(303, verifyHref(lang, number));
    }
    const miss = number ? { number, href: verifyHref(lang, number), suggestions: nearMissView(lang, await nearMisses(number)) } : null;
    try {
      const r = await index.search({ q, filters: { kind: 'certified' }, sort: 'relevance', page: 1, pageSize: LIST_SIZE, facets: false });
      const hits = r.hits.map((h) => {
        const certNumber = h.doc.identifiers[h.doc.identifiers.length - 1] ?? '';
        const state = stateOf(h.status);
        return {
          number: certNumber,
          href: verifyHref(lang, certNumber),
          product: h.doc.title,
          brand: h.doc.name,
          company: h.doc.company,
          level: label(lang, h.doc.tier),
          status: stateWord(lang, state),
          statusClass: statusClass(h.status),
        };
      });
      page(res, 'verify', { ...base, searched: true, miss, hits, total: r.total, more: r.total > hits.length ? hits.length : 0 });
    } catch (err) {
      if (!(err instanceof SearchUnavailableError)) throw err;
      page(res, 'verify', { ...base, miss, unavailable: true }, miss ? 200 : 503);
    }
  });

  router.get('/:number', async (req, res) => {
    const lang = res.locals.lang;
    assertPlainQuery(req.query);
    const number = pathNumber(String(req.params.number), res);
    if (!number) return;
    const c = await getCertificate(number);
    if (!c) {
      const [misses, fresh] = await Promise.all([nearMisses(number), dataAsOf().catch(() => null)]);
      const vm = notFoundViewModel(lang, number, misses, { asOf: fresh?.asOf ?? null });
      return page(res, 'verify-result', { title: `${vm.word} · ${number}`, result: vm, notFound: true }, 404);
    }
    const [standing, history] = await Promise.all([c.brand ? standings.get(c.brand.slug) : null, certificateHistory(lang, c.number)]);
    const vm = resultViewModel(lang, c, standing);
    page(res, 'verify-result', { title: `${vm.word} · ${c.number}`, result: vm, history });
  });

  const qrRoute = (format: 'svg' | 'png') =>
    router.get(`/:number/qr.${format}`, async (req, res) => {
      assertPlainQuery(req.query);
      const number = pathNumber(String(req.params.number), res, `/qr.${format}`);
      if (!number) return;
      if (!(await certificateExists(number))) {
        throw new AppError('not_found', `查无此证：${number}`, { messageEn: `No certificate ${number}` });
      }
      const target = verificationUrl(deps.config.PUBLIC_BASE_URL, number);
      res.setHeader('Cache-Control', QR_CACHE);
      res.setHeader('Content-Disposition', `inline; filename="certificate-${number}.${format}"`);
      if (format === 'svg') res.type('image/svg+xml').send(await qrSvg(target, number));
      else res.type('image/png').send(await qrPng(target, number));
    });
  qrRoute('svg');
  qrRoute('png');

  return router;
}
