/**
 * The SearchIndex port: every search and browse page goes through it. Adapters: the embedded
 * SQLite FTS5 engine (default, single instance) and Meilisearch (production, MEILI_URL).
 *
 * Documents are built by buildSearchDocs() from MongoDB, from an allowlist of public fields.
 */
import type { Kind } from '../registries/reference.js';

/** One registry entry as the index sees it. The same shape for every registry. */
export interface SearchDoc {
  /** `${kind}:${entryId}` */
  id: string;
  kind: Kind;
  entryId: string;
  /** Entry version; an adapter never replaces a document with an older version. */
  version: number;
  /** The brand's slug: /brands/:slug. */
  slug: string;
  /** Brand name. */
  name: string;
  nameEn: string;
  /** What the hit is about: the brand name, or the certified product for certificates. */
  title: string;
  company: string;
  district: string;
  sector: string;
  industry: string;
  keywords: string[];
  /** One or two sentences for the result list. */
  summary: string;
  /** Tier or level: 中华老字号…, 中国精品…, 重点保护…, 优势商标 / 地理标志 / 普通 for the directory. */
  tier: string;
  /** Stored status; for certificates the index derives 过期 from expiresAt at query time. */
  status: string;
  /** Epoch ms after which a certificate counts as expired (certificates only). */
  expiresAt: number | null;
  niceClasses: number[];
  /** Exact identifiers: trademark registration numbers, certificate number, credit code. */
  identifiers: string[];
  /** Year the entry was listed or recognised. */
  year: number | null;
  /** Epoch ms. */
  updatedAt: number;
  /** Invented details are marked on the page. */
  demo: boolean;
}

export const FACETS = ['kind', 'district', 'sector', 'tier', 'status', 'nice'] as const;
export type FacetName = (typeof FACETS)[number];
export const SORTS = ['relevance', 'updated', 'name'] as const;
export type Sort = (typeof SORTS)[number];

export interface SearchQuery {
  q: string;
  filters: Partial<Record<FacetName, string>>;
  sort: Sort;
  /** 1-based. */
  page: number;
  pageSize: number;
  /** Compute facet counts (a list page without facets can skip them). */
  facets: boolean;
  /** "Now" for certificate expiry; injectable for tests. */
  now?: Date;
  /**
   * 'brand': one result per brand (SearchResult.brands), carrying the brand's matching entries.
   * Ignored when the filters (the query's own or read from its words) name a registry (`kind`):
   * a registry's results are its entries. Absent: one result per entry.
   */
  group?: 'brand';
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Hit {
  doc: SearchDoc;
  /** Effective status (过期 derived). */
  status: string;
  /** Field → text split into segments; odd segments are matches. */
  highlights: Partial<Record<'title' | 'name' | 'company' | 'keywords', string[]>>;
}

/** One brand of a grouped result: its entries that match the query and filters, best first. */
export interface BrandHit {
  slug: string;
  /** At least one; `entries[0]` is the brand's best-ranked entry (the one in SearchResult.hits). */
  entries: Hit[];
}

/** Entries a brand card carries at most (a brand rarely has more than a handful). */
export const BRAND_ENTRIES_MAX = 20;

/**
 * Statuses under which an entry is in force (listed, protected, valid). At equal relevance an
 * entry in force ranks above one that is not (暂停, 移出, 失效, 已移出, 撤销, and 过期).
 */
export const IN_FORCE_STATUSES: ReadonlySet<string> = new Set(['在册', '重点保护', '一般保护', '有效', '复核中']);

/**
 * Whether an entry is in force at `now` (epoch ms): its status is one of IN_FORCE_STATUSES and,
 * for a certificate, its validity has not ended (过期 is derived, never stored). Relevance first:
 * among entries equally relevant, those in force rank first — in every adapter.
 */
export function inForceAt(d: Pick<SearchDoc, 'kind' | 'status' | 'expiresAt'>, now: number): boolean {
  if (!IN_FORCE_STATUSES.has(d.status)) return false;
  return !(d.kind === 'certified' && d.expiresAt !== null && d.expiresAt < now);
}

export interface SearchResult {
  /** One per entry; when grouped (`brands` present), each brand's best entry, in brand order. */
  hits: Hit[];
  /**
   * Present when the result is grouped by brand (SearchQuery.group, no registry filter): then
   * `total` counts brands, and so do the facet counts — except `kind`'s, which count entries,
   * because choosing a registry lists its entries. Every count is what choosing it shows.
   */
  brands?: BrandHit[];
  total: number;
  facets: Partial<Record<FacetName, FacetValue[]>>;
  /**
   * True when `total` and the facet counts are estimates (the query matched more entries than
   * the engine counts exactly); pages should then say "about". Absent or false: exact.
   */
  estimated?: boolean;
  /**
   * Present when no entry matched every word of the query and some were left out to find
   * something (query understanding, src/search/understand.ts): `dropped` lists the words left out,
   * in the order they were dropped (a word read as a filter, such as 老字号, is listed when its
   * filter was lifted). The page should say so: "未找到同时包含全部词语的结果，已去掉：…".
   */
  relaxed?: { dropped: string[] };
  /** What was read from the words of the query, when anything was (see {@link QueryUnderstood}). */
  understood?: QueryUnderstood;
}

/**
 * How the query was read (src/search/understand.ts). `kind`, `tier` and `district` are filters
 * read from words (老字号 → kind time-honored, 武汉精品 → tier 武汉精品, 江汉区 → district), applied
 * on top of the user's own filters; they are absent when the result had to lift them (see
 * SearchResult.relaxed). Facet-named keys hold a facet value each, so a page can show them like
 * active filters.
 */
export interface QueryUnderstood {
  kind?: Kind;
  tier?: string;
  district?: string;
  /** The words searched for, as segmented ("马应龙痔疮膏" → ["马应龙", "痔疮膏"]). */
  terms?: string[];
  /** The words read as the filters above. */
  words?: string[];
  /** Words that carry no information here and were not searched for: the city, legal forms, question words. */
  ignored?: string[];
}

export interface IndexStats {
  documents: number;
  byKind: Record<string, number>;
}

/** What a suggestion lookup (SearchIndex.lookup) answers: bounded, and nothing counted. */
export interface PrefixLookup {
  /**
   * At most `limit` entries for what has been typed, best first (exact or prefix name matches,
   * entries in force, then the most recently indexed), chosen among a bounded number of matches.
   * Certificates whose number starts with the text are among them.
   */
  hits: Hit[];
  /**
   * Dictionary words (lexicon.ts: names, products, companies…) that start with the text, most
   * used first, with the number of indexed documents using each: the precomputed weight.
   */
  words: Array<{ term: string; count: number }>;
}

export interface SearchIndex {
  readonly name: string;
  /** Creates the index and applies settings; idempotent. */
  init(): Promise<void>;
  /** Adds or replaces documents (an older version never replaces a newer one). */
  upsert(docs: SearchDoc[]): Promise<void>;
  /** Removes documents by id; unknown ids are ignored. */
  remove(ids: string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  /**
   * Suggestions as the visitor types (src/site/suggest.ts): a count-free, bounded prefix lookup
   * — no total, no facets, no ranking of every match — so that a one-character prefix matching
   * 100,000 entries costs what a rare one does. Optional: without it, suggestions fall back to a
   * search() of one page.
   */
  lookup?(q: string, o: { limit: number; words: number; now?: Date }): Promise<PrefixLookup>;
  /** Versions held for the given ids (missing ids are absent). */
  versions(ids: string[]): Promise<Map<string, number>>;
  /** Rebuild: the callback streams every document into a fresh index that then replaces the live one. */
  rebuild(fill: (write: (docs: SearchDoc[]) => Promise<void>) => Promise<void>): Promise<void>;
  stats(): Promise<IndexStats>;
  /** Throws when the engine cannot answer. */
  health(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by adapters when the engine cannot be reached. */
export class SearchUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchUnavailableError';
  }
}
