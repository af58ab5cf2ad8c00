/**
 * Atom feeds of public changes (RFC 4287), for citizens, journalists and enterprises who follow the
 * registries in a feed reader: every registry together, one registry, or one brand.
 *
 *   /feeds/changes.atom            what changed lately in any registry
 *   /feeds/<registry>.atom         …in one (directory, famous, time-honored, certified)
 *   /brands/<slug>/feed.atom       one brand's history (the same lines as its page)
 *   /search.atom?<search params>   the entries a search finds, most recently changed first — a
 *                                  saved search to follow (the same parameters as /search)
 *
 * The lines are the brand page's (src/site/history.ts): allowlisted fields, never who made a
 * change. A feed is a few kilobytes; Express answers a repeated request with 304 by its ETag (or by
 * If-Modified-Since against Last-Modified, the newest entry's time, which is also `updated`), so
 * readers that poll often cost little.
 */
import { Router, type Response } from 'express';
import { createHash } from 'node:crypto';
import { AuditEvent, findHead, seqId, type AuditEventDoc } from '../audit/index.js';
import { findByIds } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { parseSearchParams } from '../search/params.js';
import type { SearchIndex } from '../search/port.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark } from '../registries/models.js';
import { getBrandProfile } from '../registries/queries.js';
import { BRAND_SLUG, KINDS, type Kind } from '../registries/reference.js';
import { brandHistory, linesOf, REGISTRY_OF } from './history.js';

registerMessages({
  'feed.author': ['武汉品牌名录', 'Wuhan Brand Registry'],
  'feed.all': ['武汉品牌名录：最近变更', 'Wuhan Brand Registry: recent changes'],
  'feed.kind': ['武汉品牌名录：{registry}最近变更', 'Wuhan Brand Registry: recent changes in the {registry}'],
  'feed.brand': ['{name}：变更记录', '{name}: history'],
  'feed.search': ['武汉品牌名录：“{q}”的最新变化', 'Wuhan Brand Registry: latest changes for “{q}”'],
  'feed.searchAll': ['武汉品牌名录：所选条件的最新变化', 'Wuhan Brand Registry: latest changes for this selection'],
  'feed.entry': ['{name} · {registry}：{status}', '{name} · {registry}: {status}'],
  'feed.subtitle': ['仅供参考，以登记机关公布的信息为准。', 'For reference only; the registering authority’s publications prevail.'],
});

/** Entries per feed. */
const ENTRIES = 50;
/** Newest audit events read for the registry feeds (most events are sign-ins and bookkeeping). */
const WINDOW = 1_000;

const MODEL_OF_KIND: Record<Kind, string> = { directory: 'DirectoryEntry', famous: 'FamousMark', 'time-honored': 'TimeHonored', certified: 'Certificate' };
const MODELS = new Map<string, Parameters<typeof findByIds>[0]>([
  ['Trademark', Trademark],
  ['DirectoryEntry', DirectoryEntry],
  ['FamousMark', FamousMark],
  ['TimeHonored', TimeHonored],
  ['Certificate', Certificate],
]);

const escapeXml = (s: string) =>
  s.replace(/[<>&'"\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? '');

interface FeedEntry {
  id: string;
  title: string;
  updated: Date;
  link: string;
  summary: string;
}

/** When a feed last changed: its newest entry's time (a fixed day for an empty feed). */
const updatedOf = (entries: FeedEntry[]): Date =>
  entries.reduce<Date | null>((max, e) => (!max || e.updated > max ? e.updated : max), null) ?? new Date(Date.UTC(2020, 0, 1));

interface Feed {
  xml: string;
  updated: Date;
}

function atom(o: { id: string; title: string; self: string; alternate: string; lang: Lang; entries: FeedEntry[] }): Feed {
  const updated = updatedOf(o.entries);
  const entries = o.entries
    .map(
      (e) => `  <entry>
    <id>${escapeXml(e.id)}</id>
    <title>${escapeXml(e.title)}</title>
    <updated>${e.updated.toISOString()}</updated>
    <link rel="alternate" type="text/html" href="${escapeXml(e.link)}"/>
    <summary>${escapeXml(e.summary)}</summary>
  </entry>`,
    )
    .join('\n');
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${o.lang === 'en' ? 'en' : 'zh-Hans'}">
  <id>${escapeXml(o.id)}</id>
  <title>${escapeXml(o.title)}</title>
  <subtitle>${escapeXml(t(o.lang, 'feed.subtitle'))}</subtitle>
  <updated>${updated.toISOString()}</updated>
  <link rel="self" type="application/atom+xml" href="${escapeXml(o.self)}"/>
  <link rel="alternate" type="text/html" href="${escapeXml(o.alternate)}"/>
  <author><name>${escapeXml(t(o.lang, 'feed.author'))}</name></author>
${entries}
</feed>
`;
  return { xml, updated };
}

/** The brands behind events: an entry's brand, or the brand itself for brand events. */
async function brandsOf(events: AuditEventDoc[]): Promise<Map<string, { name: string; slug: string }>> {
  const byModel = new Map<string, string[]>();
  for (const e of events) if (e.model && e.entryId) byModel.set(e.model, [...(byModel.get(e.model) ?? []), e.entryId]);
  const brandOfEntry = new Map<string, string>();
  await Promise.all(
    [...byModel].map(async ([model, ids]) => {
      if (model === 'Brand') {
        for (const id of ids) brandOfEntry.set(id, id);
        return;
      }
      const m = MODELS.get(model);
      if (!m) return;
      const found = await findByIds<{ _id: unknown; brand: unknown }>(m, ids, 'brand');
      for (const f of found) brandOfEntry.set(String(f._id), String(f.brand));
    }),
  );
  const brandIds = [...new Set(brandOfEntry.values())];
  const brands = await findByIds<{ _id: unknown; name: string; slug: string }>(Brand, brandIds, 'name slug');
  const byId = new Map(brands.map((b) => [String(b._id), { name: b.name, slug: b.slug }]));
  return new Map([...brandOfEntry].flatMap(([entry, brand]) => (byId.has(brand) ? [[entry, byId.get(brand)!] as const] : [])));
}

/** The newest public changes, optionally of one model: each event's lines as one entry. */
async function recentEntries(lang: Lang, base: string, model?: string): Promise<FeedEntry[]> {
  // The newest WINDOW positions of the chain, read by _id (the head is found by probing positions,
  // and the events by their ids: index look-ups on every server, where a sorted scan of the whole
  // trail is not).
  const head = await findHead();
  const ids = Array.from({ length: Math.min(WINDOW, head.seq) }, (_, i) => seqId(head.seq - i));
  const events = (await findByIds<AuditEventDoc>(AuditEvent, ids, 'seq at action model entryId reason changes')).sort((a, b) => b.seq - a.seq);
  const told = events
    .filter((e) => e.model && REGISTRY_OF[e.model] && (!model || e.model === model))
    .map((e) => ({ e, lines: linesOf(lang, e) }))
    .filter((x) => x.lines.length)
    .slice(0, ENTRIES);
  const brands = await brandsOf(told.map((x) => x.e));
  return told.flatMap(({ e, lines }) => {
    const brand = brands.get(e.entryId!);
    if (!brand) return [];
    const link = `${base}/brands/${brand.slug}${lang === 'en' ? '?lang=en' : ''}`;
    const reason = lines.find((l) => l.reason)?.reason;
    return [
      {
        id: `${base}/feeds/events/${e.seq}`,
        title: `${brand.name} · ${lines[0]!.text}`,
        updated: new Date(e.at),
        link,
        summary: [...lines.map((l) => l.text), ...(reason ? [`${t(lang, 'history.reason')}${t(lang, 'punct.colon')}${reason}`] : [])].join(
          lang === 'en' ? '. ' : '；',
        ),
      },
    ];
  });
}

function send(res: Response, feed: Feed): void {
  res.type('application/atom+xml; charset=utf-8');
  res.setHeader('Cache-Control', 'public, max-age=300');
  // Readers that keep the date rather than the ETag ask with If-Modified-Since.
  res.setHeader('Last-Modified', feed.updated.toUTCString());
  // Express makes the ETag from the body and answers 304 (no body) when the reader's copy is
  // current: by If-None-Match, or else by If-Modified-Since against Last-Modified.
  res.send(feed.xml);
}

export function feedRoutes(deps: { publicBaseUrl: string; index: SearchIndex }): Router {
  const router = Router();
  const base = deps.publicBaseUrl.replace(/\/$/, '');
  const langOf = (res: Response): Lang => (res.locals.lang === 'en' ? 'en' : 'zh');
  const q = (lang: Lang) => (lang === 'en' ? '?lang=en' : '');

  router.get('/feeds/changes.atom', async (_req, res) => {
    const lang = langOf(res);
    const entries = await recentEntries(lang, base);
    send(
      res,
      atom({
        id: `${base}/feeds/changes.atom`,
        title: t(lang, 'feed.all'),
        self: `${base}/feeds/changes.atom${q(lang)}`,
        alternate: `${base}/search${q(lang)}`,
        lang,
        entries,
      }),
    );
  });

  router.get('/feeds/:kind.atom', async (req, res) => {
    const kind = KINDS.find((k) => k === req.params.kind);
    if (!kind) throw new AppError('not_found', '没有这个订阅源', { messageEn: 'No such feed' });
    const lang = langOf(res);
    const entries = await recentEntries(lang, base, MODEL_OF_KIND[kind]);
    const registry = t(lang, `kind.${kind}`);
    send(
      res,
      atom({
        id: `${base}/feeds/${kind}.atom`,
        title: t(lang, 'feed.kind', { registry }),
        self: `${base}/feeds/${kind}.atom${q(lang)}`,
        alternate: `${base}/search?kind=${kind}${lang === 'en' ? '&lang=en' : ''}`,
        lang,
        entries,
      }),
    );
  });

  router.get('/search.atom', async (req, res) => {
    const lang = langOf(res);
    // The page's own parameters, validated the same way; newest change first, one page.
    const { params, search } = parseSearchParams(req.query);
    const result = await deps.index.search({ ...search, sort: 'updated', page: 1, pageSize: ENTRIES, facets: false });
    const qs = new URLSearchParams(
      Object.entries(params).flatMap(([k, v]) => (v === undefined || v === '' || k === 'sort' || k === 'page' || k === 'pageSize' ? [] : [[k, String(v)]])),
    ).toString();
    const pagePath = `/search${qs ? `?${qs}` : ''}`;
    const entries = result.hits.map((h) => ({
      // The entry at this version: a new version is a new feed entry.
      id: `${base}/entries/${h.doc.id}/${h.doc.version}`,
      title: t(lang, 'feed.entry', { name: h.doc.name, registry: t(lang, `kind.${h.doc.kind}`), status: label(lang, h.status) }),
      updated: new Date(h.doc.updatedAt),
      link: `${base}/brands/${h.doc.slug}${q(lang)}`,
      summary: h.doc.summary,
    }));
    const title = search.q ? t(lang, 'feed.search', { q: search.q }) : t(lang, 'feed.searchAll');
    send(
      res,
      atom({
        id: `${base}/search.atom${qs ? `?${qs}` : ''}`,
        title,
        self: `${base}/search.atom${qs ? `?${qs}` : ''}`,
        alternate: `${base}${pagePath}`,
        lang,
        entries,
      }),
    );
  });

  router.get('/brands/:slug/feed.atom', async (req, res) => {
    const slug = String(req.params.slug);
    const profile = BRAND_SLUG.test(slug) ? await getBrandProfile(slug) : null;
    if (!profile) throw new AppError('not_found', '找不到该品牌', { messageEn: 'No such brand' });
    const lang = langOf(res);
    const page = `${base}/brands/${profile.slug}${q(lang)}`;
    const lines = await brandHistory(lang, profile, { limit: ENTRIES });
    const entries = lines.map((l) => ({
      // Stable whatever else the feed holds: the line's date and words name it.
      id: `${base}/brands/${profile.slug}/history/${l.iso}/${createHash('sha256').update(l.text).digest('hex').slice(0, 12)}`,
      title: l.text,
      updated: l.at,
      link: page,
      summary: l.reason ? `${l.text}${lang === 'en' ? '. ' : '；'}${t(lang, 'history.reason')}${t(lang, 'punct.colon')}${l.reason}` : l.text,
    }));
    send(
      res,
      atom({
        id: `${base}/brands/${profile.slug}/feed.atom`,
        title: t(lang, 'feed.brand', { name: profile.name }),
        self: `${base}/brands/${profile.slug}/feed.atom${q(lang)}`,
        alternate: page,
        lang,
        entries,
      }),
    );
  });

  return router;
}
