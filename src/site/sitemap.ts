/**
 * /sitemap.xml: a sitemap index of the public pages and of every brand page, for crawlers.
 *
 * - `/sitemap.xml` — the index: `/sitemap-pages.xml` and one `/sitemap-brands-N.xml` per 50,000
 *   brands (the protocol's limit per file).
 * - `/sitemap-pages.xml` — home, the four lists, the 老字号 museum and the quality products
 *   showcase, verification, statistics, open data, the API page and the statements.
 * - `/sitemap-brands-N.xml` — brand pages by slug, `lastmod` from the brand's updatedAt, each
 *   with its English alternate.
 *
 * Parts are streamed from a MongoDB cursor (storage order, a projection of two fields) with
 * backpressure, never built in memory: 500,000 brands are ten parts of a few MB each.
 */
import { Router, type Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Brand } from '../registries/models.js';
import { REGISTRIES } from '../registries/kinds.js';
import { KINDS } from '../registries/reference.js';

/** URLs per part (the sitemap protocol allows at most 50,000). */
export const SITEMAP_PART_SIZE = 50_000;
/** Entries joined into one chunk written to the socket. */
const CHUNK = 500;

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const URLSET_OPEN = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n';

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** One <url> with its zh-Hans / en alternates. */
function urlEntry(base: string, path: string, lastmod?: Date | null): string {
  const loc = `${base}${path}`;
  const en = `${loc}${path.includes('?') ? '&' : '?'}lang=en`;
  const mod = lastmod && !Number.isNaN(lastmod.getTime()) ? `<lastmod>${lastmod.toISOString()}</lastmod>` : '';
  return (
    `<url><loc>${escapeXml(loc)}</loc>${mod}` +
    `<xhtml:link rel="alternate" hreflang="zh-Hans" href="${escapeXml(loc)}"/>` +
    `<xhtml:link rel="alternate" hreflang="en" href="${escapeXml(en)}"/></url>\n`
  );
}

/** The public pages that are not brand pages. */
export const SITEMAP_PAGES: readonly string[] = [
  '/',
  ...KINDS.map((k) => REGISTRIES[k].listPath),
  '/time-honored/stories',
  '/showcase',
  '/verify',
  '/stats',
  '/open-data',
  '/api',
  '/privacy',
  '/accessibility',
];

async function* brandPart(base: string, part: number): AsyncGenerator<string> {
  yield XML_HEAD + URLSET_OPEN;
  // Natural (storage) order, no sort: a sorted cursor makes FerretDB hold the whole collection in
  // memory (docs/open-data.md). Record ids do not change on update and new brands come last, so
  // the parts stay disjoint between requests.
  const cursor = Brand.find({}, { _id: 0, slug: 1, updatedAt: 1 })
    .skip((part - 1) * SITEMAP_PART_SIZE)
    .limit(SITEMAP_PART_SIZE)
    .lean<Array<{ slug: string; updatedAt?: Date }>>()
    .cursor({ batchSize: 1000 });
  try {
    let chunk = '';
    let n = 0;
    for await (const b of cursor) {
      chunk += urlEntry(base, `/brands/${b.slug}`, b.updatedAt ? new Date(b.updatedAt) : null);
      if (++n % CHUNK === 0) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}</urlset>\n`;
  } finally {
    await cursor.close();
  }
}

/** Writes the strings to the response as they come, waiting when the client reads slowly. */
async function stream(res: Response, source: AsyncIterable<string>): Promise<void> {
  res.type('application/xml; charset=utf-8');
  res.setHeader('Cache-Control', 'public, max-age=3600');
  await pipeline(Readable.from(source), res);
}

export function sitemapRoutes(deps: { publicBaseUrl: string }): Router {
  const base = deps.publicBaseUrl.replace(/\/$/, '');
  const router = Router();
  const parts = async () => Math.max(1, Math.ceil((await Brand.countDocuments({})) / SITEMAP_PART_SIZE));

  router.get('/sitemap.xml', async (_req, res) => {
    const n = await parts();
    async function* index() {
      yield `${XML_HEAD}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n`;
      yield `<sitemap><loc>${escapeXml(`${base}/sitemap-pages.xml`)}</loc></sitemap>\n`;
      for (let i = 1; i <= n; i++) yield `<sitemap><loc>${escapeXml(`${base}/sitemap-brands-${i}.xml`)}</loc></sitemap>\n`;
      yield '</sitemapindex>\n';
    }
    await stream(res, index());
  });

  router.get('/sitemap-pages.xml', async (_req, res) => {
    async function* pages() {
      yield XML_HEAD + URLSET_OPEN;
      for (const p of SITEMAP_PAGES) yield urlEntry(base, p);
      yield '</urlset>\n';
    }
    await stream(res, pages());
  });

  router.get(/^\/sitemap-brands-([1-9][0-9]{0,4})\.xml$/, async (req, res, next) => {
    const part = Number((req.params as Record<string, string>)[0]);
    if (!(part >= 1 && part <= (await parts()))) return next();
    await stream(res, brandPart(base, part));
  });

  return router;
}
