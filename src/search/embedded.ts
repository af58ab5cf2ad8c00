/**
 * Embedded search adapter: SQLite FTS5 through better-sqlite3, in process. The default when
 * MEILI_URL is unset (demo, tests, a single small instance). One instance only: the index lives in
 * this process's file. Why this engine: docs/decisions/0003-embedded-search-engine.md.
 *
 * Han text is indexed as overlapping bigrams (substring search as phrase queries) plus unigrams for
 * one-character queries; pinyin and Latin words in their own column; identifiers in another.
 *
 * Facets come from groups: documents counted by their combination of (kind, district, sector,
 * tier, status, Nice classes). There are only a few thousand combinations, so every facet with
 * "all filters but its own" is one aggregation over groups in JS. Browsing reads groups kept up to
 * date on every write. A text query takes its matches' rowids from FTS5 in one string, and
 * tallies groups, applies filters and ranks in JS from columns held in memory (columns.ts): no
 * row is read per match, only the page's bodies.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { charBits, DocColumns, smallest, type ColumnRow } from './columns.js';
import { searchable } from './enrich.js';
import {
  BRAND_ENTRIES_MAX,
  FACETS,
  IN_FORCE_STATUSES,
  type BrandHit,
  type FacetName,
  type FacetValue,
  type IndexStats,
  type PrefixLookup,
  type SearchDoc,
  type SearchIndex,
  type SearchQuery,
  type SearchResult,
} from './port.js';
import { Lexicon, termsOfDoc } from './lexicon.js';
import { analyzeQuery, ftsExpression, highlightVariants, toHit, typoWords, withinOneEdit, type AnalyzedQuery } from './query.js';
import { resultNotes, understand } from './understand.js';
import { DEFAULT_SYNONYM_SET, type Synonyms } from './synonyms.js';
import { bigrams, isCjk } from './text.js';
import { EXPIRED, VALID } from '../registries/kinds.js';

const SCHEMA_VERSION = '9';
/** Up to this many matches, relevance within a tier is bm25; above, recency (bm25 costs ~2 µs a match). */
const BM25_LIMIT = 2_000;
/**
 * Up to this many matches, totals, facets and ranking are exact (≈ 15 ms at 36,000 matches on
 * the benchmark machine). Above, they come from the most recently indexed EXACT_LIMIT matches,
 * scaled, and the result says `estimated: true` (as Meilisearch's estimatedTotalHits).
 */
const EXACT_LIMIT = 50_000;
/**
 * Grouped by brand, up to this many matches the brand total and the brand facet counts are
 * exact; above, they are counted over the most recently indexed BRAND_EXACT_LIMIT matches,
 * scaled, and the result says `estimated: true`. Counting brands costs ~0.35 µs a match beyond
 * the ranking (a key per match, sorted for brands with several), which took "brands 福" (25,000
 * matches) over 30 ms p95 on the shared benchmark machine; the page, the ranking and the
 * registry (kind) counts still read every match.
 */
const BRAND_EXACT_LIMIT = 10_000;
/**
 * Suggestion lookups (lookup()) rank at most this many of the most recently indexed matches,
 * plus the entries named by the most used completions and certificates by number prefix.
 */
const LOOKUP_CANDIDATES = 400;

type Db = Database.Database;

function createSchema(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -131072');
  db.pragma('mmap_size = 1073741824');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE IF NOT EXISTS docs(
      rowid INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL, district TEXT NOT NULL, sector TEXT NOT NULL, tier TEXT NOT NULL,
      status TEXT NOT NULL, nice TEXT NOT NULL, grp INTEGER NOT NULL, brand TEXT NOT NULL, expires_at INTEGER, updated_at INTEGER NOT NULL, version INTEGER NOT NULL,
      name_norm TEXT NOT NULL, title_norm TEXT NOT NULL, py TEXT NOT NULL, ini TEXT NOT NULL, idents TEXT NOT NULL
    );
    -- Kept apart so that the rows scanned for ranking and facets stay small.
    CREATE TABLE IF NOT EXISTS bodies(rowid INTEGER PRIMARY KEY, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, updated_at);
    CREATE INDEX IF NOT EXISTS docs_updated ON docs(updated_at);
    CREATE INDEX IF NOT EXISTS docs_py ON docs(py);
    -- Browsing by name (a registry's list page sorted by name) reads these in order and stops at the page.
    CREATE INDEX IF NOT EXISTS docs_name ON docs(py, name_norm);
    CREATE INDEX IF NOT EXISTS docs_kind_name ON docs(kind, py, name_norm);
    CREATE INDEX IF NOT EXISTS docs_expiry ON docs(kind, status, expires_at);
    CREATE TABLE IF NOT EXISTS facet_groups(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, district TEXT NOT NULL, sector TEXT NOT NULL,
      tier TEXT NOT NULL, status TEXT NOT NULL, nice TEXT NOT NULL, n INTEGER NOT NULL,
      UNIQUE(kind, district, sector, tier, status, nice));
    CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
      name, text, uni, pinyin, ident,
      content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
    -- The search dictionary (lexicon.ts): each word of the indexed documents and how many use it.
    CREATE TABLE IF NOT EXISTS lexicon(term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  `);
  db.prepare(`INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
}

function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  let db = new Database(file);
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'meta'`).get();
  const version = hasMeta ? db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get()?.value : undefined;
  if (hasMeta && version !== SCHEMA_VERSION && file !== ':memory:') {
    // An index from an older layout is rebuilt from MongoDB, never migrated.
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    db = new Database(file);
  }
  createSchema(db);
  return db;
}

/** effectiveStatus (registries/kinds.ts) in SQL. */
const STATUS_EXPR = `CASE WHEN d.kind = 'certified' AND d.status = '${VALID}' AND d.expires_at IS NOT NULL AND d.expires_at < @now THEN '${EXPIRED}' ELSE d.status END`;

/** Nice classes as stored: ",29,30," so that a class is found with instr(nice, ",29,"). */
const niceKey = (classes: number[]) => (classes.length ? `,${[...classes].sort((a, b) => a - b).join(',')},` : '');

interface Group {
  id?: number;
  kind: string;
  district: string;
  sector: string;
  tier: string;
  status: string;
  nice: string;
  n: number;
  /** `nice` split, when already computed. */
  niceList?: string[];
}
/** A row of facet_groups. */
type StoredGroup = Group & { id: number };
/** A group as searches read it: whether it holds valid certificates (which may read 过期), and whether its status is in force. */
type ListedGroup = Group & {
  certValid: boolean;
  inForce: boolean;
  /** Facet-value numbers (FacetValueNumbers) of its district, sector, tier and Nice classes. */
  values: number[];
  /** The number of its status, and of 过期 (for valid certificates past their expiry). */
  statusValue: number;
  expiredValue: number;
};

/**
 * Per brand number, which search last saw it and whether more than once: a stamp per search
 * instead of clearing arrays the size of the brand count.
 */
class BrandMarks {
  private last: Uint32Array;
  private twice: Uint32Array;
  private stamp = 0;
  constructor(readonly size: number) {
    this.last = new Uint32Array(size);
    this.twice = new Uint32Array(size);
  }
  next(): number {
    if (++this.stamp === 0xffffffff) {
      this.last.fill(0);
      this.twice.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }
  seen(brand: number, stamp: number): void {
    if (this.last[brand] === stamp) this.twice[brand] = stamp;
    else this.last[brand] = stamp;
  }
  many(brand: number, stamp: number): boolean {
    return this.twice[brand] === stamp;
  }
  /** Whether the brand has been seen in this search. */
  has(brand: number, stamp: number): boolean {
    return this.last[brand] === stamp;
  }
}

/**
 * A number per (facet, value) seen in the groups, so that counting brands per value needs no
 * string per match. Only grows (values are few: districts, sectors, tiers, statuses, classes).
 */
class FacetValueNumbers {
  private ids = new Map<string, number>();
  readonly list: Array<[FacetName, string]> = [];
  of(f: FacetName, value: string): number {
    const key = `${f}\u0000${value}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(key, id);
      this.list.push([f, value]);
    }
    return id;
  }
}

/** Facet values by count (then value), the first 100: every facet list's order. */
function facetValues(counts: Map<string, number>): FacetValue[] {
  return [...counts]
    .filter(([, c]) => c > 0)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, 100);
}

function passes(g: Group, f: FacetName, filters: SearchQuery['filters']): boolean {
  return f === 'nice' ? g.nice.includes(`,${filters.nice},`) : g[f] === filters[f];
}

/**
 * Facet values and the total from groups: each facet counts the groups that pass every filter
 * but its own, so the other values of a chosen facet stay reachable.
 */
export function aggregateGroups(groups: Group[], filters: SearchQuery['filters']): { total: number; facets: SearchResult['facets'] } {
  const active = FACETS.filter((f) => filters[f] !== undefined);
  const counts = new Map<FacetName, Map<string, number>>(FACETS.map((f) => [f, new Map()]));
  let total = 0;
  for (const g of groups) {
    const failed = active.filter((f) => !passes(g, f, filters));
    if (failed.length > 1) continue;
    const only = failed[0];
    if (!only) total += g.n;
    for (const f of FACETS) {
      if (only && only !== f) continue;
      const m = counts.get(f)!;
      if (f !== 'nice') m.set(g[f], (m.get(g[f]) ?? 0) + g.n);
      else for (const v of g.niceList ?? g.nice.split(',').filter(Boolean)) m.set(v, (m.get(v) ?? 0) + g.n);
    }
  }
  const facets: SearchResult['facets'] = {};
  for (const f of FACETS) facets[f] = facetValues(counts.get(f)!);
  return { total, facets };
}

export class EmbeddedSearchIndex implements SearchIndex {
  readonly name = 'embedded';
  private db!: Db;
  /** Writes that arrive while a rebuild runs, replayed into the new index before it goes live. */
  private replay: Array<{ upsert?: SearchDoc[]; remove?: string[] }> | null = null;
  private statements = new Map<string, Database.Statement>();
  /** The maintained groups by id, read once and dropped on every write. */
  private groupCache: Map<number, Group> | null = null;
  private groupArray: Array<ListedGroup | undefined> | null = null;
  /** Numbers of the facet values of the groups (brand counts, brandFacets). */
  private facetValues = new FacetValueNumbers();
  /** Per-document columns for text queries, kept in step with every write (columns.ts). */
  private cols = new DocColumns();
  /** The search dictionary of the indexed documents (lexicon.ts), kept in step with every write and persisted in `lexicon`. */
  private lexicon = new Lexicon();
  /** SQLite's data_version when `cols` was read: it changes when another process writes the file. */
  private dataVersion = -1;

  private readonly bm25Limit: number;
  private readonly exactLimit: number;
  private readonly brandExactLimit: number;
  /** The synonym groups queries expand with (synonyms.ts). */
  private readonly synonyms: Synonyms;

  /**
   * `synonyms`: the groups a query term also finds (default: DEFAULT_SYNONYMS). `bm25`,
   * `exact` and `brandExact` exist for tests (the demo data is small): how many matches get
   * bm25 scores, how many are counted exactly before results are estimated from a sample, and
   * how many are counted exactly in brands (grouped results) before those counts are.
   */
  constructor(
    private readonly file: string,
    opts: { synonyms?: Synonyms; bm25?: number; exact?: number; brandExact?: number } = {},
  ) {
    this.synonyms = opts.synonyms ?? DEFAULT_SYNONYM_SET;
    this.bm25Limit = opts.bm25 ?? BM25_LIMIT;
    this.exactLimit = opts.exact ?? EXACT_LIMIT;
    this.brandExactLimit = opts.brandExact ?? BRAND_EXACT_LIMIT;
  }

  /**
   * Prepared statements by SQL text (a search builds a handful of shapes, reused across calls).
   * `Row`: what the SQL selects (an object per row, or one column's value with pluck(), or a
   * tuple with raw()). better-sqlite3 cannot know it; the caller states it beside the SQL.
   */
  private stmt<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size > 500) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st as Database.Statement<unknown[], Row>;
  }

  /** SQLite's data_version: it changes when another connection commits to the file. */
  private readDataVersion(): number {
    return this.stmt<number>('PRAGMA data_version').pluck().get() ?? -1;
  }

  /** A stored document body (bodies holds JSON.stringify of the SearchDoc written). */
  private body(rowid: number): SearchDoc {
    const json = this.stmt<string>(`SELECT body FROM bodies WHERE rowid = ?`).pluck().get(rowid);
    if (json === undefined) throw new Error(`search index: no body for row ${rowid}`);
    return JSON.parse(json) as SearchDoc;
  }

  async init(): Promise<void> {
    if (this.db) return;
    this.db = openDb(this.file);
    this.loadColumns();
  }

  private loadColumns(): void {
    this.dataVersion = this.readDataVersion();
    this.cols = DocColumns.load(this.db);
    this.lexicon = loadLexicon(this.db);
    this.groupCache = null;
    this.groupArray = null;
  }

  async upsert(docs: SearchDoc[]): Promise<void> {
    this.replay?.push({ upsert: docs });
    writeDocs(this.db, docs, this.cols, this.lexicon);
    this.groupCache = null;
    this.groupArray = null;
  }

  async remove(ids: string[]): Promise<void> {
    this.replay?.push({ remove: ids });
    removeDocs(this.db, ids, this.cols, this.lexicon);
    this.groupCache = null;
    this.groupArray = null;
  }

  async versions(ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const stmt = this.stmt<{ version: number }>(`SELECT version FROM docs WHERE id = ?`);
    for (const id of ids) {
      const row = stmt.get(id);
      if (row) out.set(id, row.version);
    }
    return out;
  }

  async rebuild(fill: (write: (docs: SearchDoc[]) => Promise<void>) => Promise<void>): Promise<void> {
    const memory = this.file === ':memory:';
    const tmpFile = memory ? ':memory:' : `${this.file}.rebuild`;
    if (!memory) for (const f of [tmpFile, `${tmpFile}-wal`, `${tmpFile}-shm`]) rmSync(f, { force: true });
    const fresh = openDb(tmpFile);
    // Built alongside the new file, so the swap needs no reload.
    const freshCols = new DocColumns();
    const freshLexicon = new Lexicon();
    this.replay = [];
    try {
      await fill(async (docs) => writeDocs(fresh, docs, freshCols, freshLexicon));
      // Writes that happened meanwhile went to the live index; apply them to the new one too.
      for (const op of this.replay) {
        if (op.upsert) writeDocs(fresh, op.upsert, freshCols, freshLexicon);
        if (op.remove) removeDocs(fresh, op.remove, freshCols, freshLexicon);
      }
    } catch (err) {
      fresh.close();
      this.replay = null;
      throw err;
    }
    this.replay = null;
    this.statements.clear();
    this.groupCache = null;
    this.groupArray = null;
    if (memory) {
      this.db.close();
      this.db = fresh;
    } else {
      fresh.pragma('wal_checkpoint(TRUNCATE)');
      fresh.close();
      this.db.close();
      renameSync(tmpFile, this.file);
      for (const f of [`${tmpFile}-wal`, `${tmpFile}-shm`, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(f)) rmSync(f, { force: true });
      this.db = openDb(this.file);
    }
    this.cols = freshCols;
    this.lexicon = freshLexicon;
    this.dataVersion = this.readDataVersion();
  }

  async stats(): Promise<IndexStats> {
    const rows = this.stmt<{ kind: string; n: number }>(`SELECT kind, sum(n) AS n FROM facet_groups GROUP BY kind HAVING sum(n) > 0`).all();
    const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    return { documents: rows.reduce((s, r) => s + r.n, 0), byKind };
  }

  async health(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db?.open) this.db.close();
  }

  /**
   * Query understanding (understand.ts) reads the query into attempts — every term, then
   * relaxed — tried in order until one finds something; the result says which words were
   * left out and what was read as filters.
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    this.catchUpOtherWriters();
    const now = (query.now ?? new Date()).getTime();
    const u = understand(query.q, query.filters, { lexicon: this.lexicon, synonyms: this.synonyms });
    let first: SearchResult | null = null;
    for (const attempt of u.attempts) {
      const r = this.searchAs({ ...query, filters: attempt.filters }, attempt.query, now);
      if (r.total > 0) return { ...r, ...resultNotes(u, attempt) };
      first ??= { ...r, ...resultNotes(u, u.attempts[0]!) };
    }
    return first!;
  }

  /**
   * Suggestions: the query's matches read newest first and stopped at LOOKUP_CANDIDATES (FTS5
   * walks its posting lists in rowid order, so nothing beyond is read or counted), plus the
   * entries named by the most used dictionary completions (an older brand that many entries
   * mention is not lost behind newer ones), names whose pinyin starts with a Latin text (the
   * docs_py index) and, for an identifier-like text, certificates whose
   * number starts with it; ranked like a search (order()), the first `limit` kept.
   */
  async lookup(q: string, o: { limit: number; words: number; now?: Date }): Promise<PrefixLookup> {
    this.catchUpOtherWriters();
    const now = (o.now ?? new Date()).getTime();
    const a = analyzeQuery(q);
    const compact = a.compact;
    const words = isCjk(compact) ? this.lexicon.complete(compact, o.words) : [];
    const expr = ftsExpression(a, this.synonyms);
    if (!expr) return { hits: [], words };
    const candidates = new Set<number>(
      this.stmt<number>(`SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ${LOOKUP_CANDIDATES}`).pluck().all(expr),
    );
    const named = this.stmt<number>(`SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ${o.limit}`).pluck();
    for (const w of words.slice(0, 3)) for (const r of named.all(`name : "${bigrams(w.term).join(' ')}"`)) candidates.add(r);
    // Pinyin: names whose pinyin starts with the text (rank tier "pinyin prefix"), by the py index.
    if (a.latin && !/\d/.test(a.latin)) {
      const end = a.latin.slice(0, -1) + String.fromCharCode(a.latin.charCodeAt(a.latin.length - 1) + 1);
      const byPinyin = this.stmt<number>(`SELECT rowid FROM docs WHERE py >= ? AND py < ? ORDER BY py LIMIT ${LOOKUP_CANDIDATES / 4}`).pluck();
      for (const r of byPinyin.all(a.latin, end)) candidates.add(r);
    }
    // Certificate numbers (letters, digits, hyphens): by prefix in the identifier column.
    const parts = /^[0-9a-z-]+$/i.test(compact) && /[a-z]/i.test(compact) ? compact.toLowerCase().split('-').filter(Boolean) : [];
    if (parts.length) for (const r of named.all(`ident : "${parts.join(' ')}" *`)) candidates.add(r);
    const groups = this.groupList();
    const rows = this.order(
      [...candidates].filter((r) => groups[this.cols.grp(r)]),
      'relevance',
      o.limit,
      a,
      null,
      now,
    );
    const hits = rows.map((r) => {
      const g = groups[this.cols.grp(r)]!;
      return toHit(this.body(r), g.certValid && this.cols.expiredAt(r, now) ? EXPIRED : g.status, a, [], false);
    });
    return { hits, words };
  }

  /** One attempt: the query `a` with the query's filters. */
  private searchAs(query: SearchQuery, a: AnalyzedQuery, now: number): SearchResult {
    let match = ftsExpression(a, this.synonyms);
    if (!match) return this.browse(query, now);
    let m = this.matches(match);
    let corrected = false;
    if (m.rowids.length === 0) {
      // Nothing as typed: try one typo in each Latin word of five letters or more.
      const corrections = this.corrections(a);
      if (corrections.size > 0) {
        match = ftsExpression(a, this.synonyms, corrections)!;
        m = this.matches(match);
        corrected = true;
      }
    }

    // One pass over the matches: facet tallies (with each match's effective status), filters.
    const cols = this.cols;
    const groups = this.groupList();
    const tally = new Float64Array(groups.length);
    const expiredTally = new Float64Array(groups.length);
    const other = FACETS.filter((f) => f !== 'status' && query.filters[f] !== undefined);
    const admitted = groups.map((g) => g !== undefined && other.every((f) => passes(g, f, query.filters)));
    const statusFilter = query.filters.status;
    const passing: number[] = [];
    for (const r of m.rowids) {
      const gid = cols.grp(r);
      const g = groups[gid];
      if (!g) continue;
      const expired = g.certValid && cols.expiredAt(r, now);
      if (expired) expiredTally[gid]!++;
      else tally[gid]!++;
      if (!admitted[gid]) continue;
      if (statusFilter !== undefined && (expired ? EXPIRED : g.status) !== statusFilter) continue;
      passing.push(r);
    }
    // Above EXACT_LIMIT the matches are a sample (the most recently indexed): scale up, and say so.
    const scale = m.sampled ? m.estimate / m.rowids.length : 1;

    const grouped = query.group === 'brand' && query.filters.kind === undefined;
    // Grouped: brands are counted over at most brandExactLimit matches, the most recently indexed.
    const brandSample = grouped ? newest(m.rowids, m.sampled, this.brandExactLimit) : m.rowids;
    let facets: SearchResult['facets'] = {};
    if (query.facets) {
      const matched: Group[] = [];
      groups.forEach((g, gid) => {
        if (!g) return;
        if (tally[gid]) matched.push({ ...g, n: tally[gid]! });
        if (expiredTally[gid]) matched.push({ ...g, status: EXPIRED, n: expiredTally[gid]! });
      });
      facets = aggregateGroups(matched, query.filters).facets;
      // Grouped, every facet but the registry counts brands (choosing a registry lists entries).
      if (grouped) {
        const byBrand = this.brandFacets(brandSample, now, query.filters);
        const up = m.rowids.length / brandSample.length;
        if (up !== 1) for (const values of Object.values(byBrand)) for (const v of values) v.count = Math.round(v.count * up);
        facets = { ...byBrand, kind: facets.kind ?? [] };
      }
      if (scale !== 1) for (const values of Object.values(facets)) for (const v of values) v.count = Math.round(v.count * scale);
    }

    const offset = (query.page - 1) * query.pageSize;
    const also = highlightVariants(a, this.synonyms);
    const hitOf = (r: number) => {
      const g = groups[cols.grp(r)]!;
      const status = g.certValid && cols.expiredAt(r, now) ? EXPIRED : g.status;
      return toHit(this.body(r), status, a, also, corrected);
    };
    if (grouped) {
      const brands = this.brandPage(passing, query.sort, offset, query.pageSize, a, m.scores, now).map((rows): BrandHit => {
        const entries = rows.map(hitOf);
        return { slug: entries[0]!.doc.slug, entries };
      });
      const marks = this.brandMarks(cols.brandCount());
      const stamp = marks.next();
      const counted = newest(passing, m.sampled, this.brandExactLimit);
      let total = 0;
      for (const r of counted) {
        const b = cols.brand(r);
        if (!marks.has(b, stamp)) total++;
        marks.seen(b, stamp);
      }
      const up = counted.length ? passing.length / counted.length : 1;
      const result: SearchResult = { hits: brands.map((b) => b.entries[0]!), brands, total: Math.round(total * up * scale), facets };
      if (m.sampled || brandSample.length < m.rowids.length) result.estimated = true;
      return result;
    }
    const page = this.order(passing, query.sort, offset + query.pageSize, a, m.scores, now).slice(offset);
    const result: SearchResult = { hits: page.map(hitOf), total: Math.round(passing.length * scale), facets };
    if (m.sampled) result.estimated = true;
    return result;
  }

  /**
   * Facet counts in brands (every facet but `kind`): a brand counts once under each value that
   * one of its matches has, among the matches passing every filter but that facet's own (as
   * aggregateGroups does for entries). Matches are reduced to (brand, group variant) keys —
   * sorted, so that each brand's keys are adjacent and a stamp per facet value counts it once.
   */
  /** Marks per brand number, reused across searches (brandFacets). */
  private marks: BrandMarks | null = null;
  private brandMarks(brands: number): BrandMarks {
    if (!this.marks || this.marks.size <= brands) this.marks = new BrandMarks(Math.max(1024, brands * 2));
    return this.marks;
  }

  private brandFacets(rowids: readonly number[], now: number, filters: SearchQuery['filters']): SearchResult['facets'] {
    const cols = this.cols;
    const groups = this.groupList();
    const active = FACETS.filter((f) => filters[f] !== undefined);
    // Variant of a group: 2·id (its stored status) or 2·id + 1 (valid certificates past their expiry: 过期).
    const span = 2 * groups.length;
    /** Per variant, lazily: the one active filter it fails (its FACETS index), NONE, or MORE. */
    const NONE = -1;
    const MORE = -2;
    const failed = new Int8Array(span).fill(-3);
    const failedOf = (v: number): number => {
      if (failed[v] !== -3) return failed[v]!;
      const g = groups[v >> 1]!;
      const vg: Group = v & 1 ? { ...g, status: EXPIRED } : g;
      const out = active.filter((f) => !passes(vg, f, filters));
      return (failed[v] = out.length > 1 ? MORE : out.length ? FACETS.indexOf(out[0]!) : NONE);
    };
    const keys = new Float64Array(rowids.length);
    let n = 0;
    // First pass: which brands have more than one counted match (most have one).
    const marks = this.brandMarks(cols.brandCount());
    const stamp = marks.next();
    for (const r of rowids) {
      const gid = cols.grp(r);
      const g = groups[gid];
      if (!g) continue;
      const v = 2 * gid + (g.certValid && cols.expiredAt(r, now) ? 1 : 0);
      if (active.length && failedOf(v) === MORE) continue;
      const brand = cols.brand(r);
      marks.seen(brand, stamp);
      keys[n++] = brand * span + v;
    }
    const values = this.facetValues.list;
    const facetIndex = values.map(([f]) => FACETS.indexOf(f));
    const stamps = new Float64Array(values.length);
    const counts = new Float64Array(values.length);
    const count = (value: number, brand: number, fails: number) => {
      if (fails !== NONE && fails !== facetIndex[value]) return;
      if (stamps[value] === brand) return;
      stamps[value] = brand;
      counts[value]!++;
    };
    const countKey = (k: number) => {
      const brand = Math.floor(k / span);
      const v = k - brand * span;
      const g = groups[v >> 1]!;
      const fails = active.length ? failedOf(v) : NONE;
      for (const value of g.values) count(value, brand, fails);
      count(v & 1 ? g.expiredValue : g.statusValue, brand, fails);
    };
    // A brand with one match counts as it comes; the others' keys, sorted, are adjacent, so a
    // stamp per value counts each brand once.
    let m = 0;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      if (marks.many(Math.floor(k / span), stamp)) keys[m++] = k;
      else countKey(k);
    }
    const several = keys.subarray(0, m).sort();
    for (let i = 0; i < m; i++) if (i === 0 || several[i] !== several[i - 1]) countKey(several[i]!);
    const byFacet = new Map<FacetName, Map<string, number>>(FACETS.map((f) => [f, new Map()]));
    values.forEach(([f, value], id) => {
      if (counts[id]) byFacet.get(f)!.set(value, counts[id]!);
    });
    const facets: SearchResult['facets'] = {};
    for (const f of FACETS) if (f !== 'kind') facets[f] = facetValues(byFacet.get(f)!);
    return facets;
  }

  /**
   * The brands of one page, each with its passing rows in the query's order (best first, at most
   * BRAND_ENTRIES_MAX): brands rank by their best row. The rows are ordered in growing prefixes
   * until the prefix holds enough brands (a brand has a handful of entries, so the first is
   * almost always enough).
   */
  private brandPage(
    passing: number[],
    sort: SearchQuery['sort'],
    offset: number,
    size: number,
    a: AnalyzedQuery,
    scores: Map<number, number> | null,
    now: number,
  ): number[][] {
    const cols = this.cols;
    const want = offset + size;
    // Brands in order of their best row, from the first `need` rows.
    const brandsIn = (need: number) => {
      const seen = new Set<number>();
      for (const r of this.order(passing, sort, need, a, scores, now)) seen.add(cols.brand(r));
      return [...seen];
    };
    let need = Math.min(passing.length, want * 4);
    let brands = brandsIn(need);
    while (brands.length < want && need < passing.length) {
      need = Math.min(passing.length, need * 4);
      brands = brandsIn(need);
    }
    const rowsOf = new Map<number, number[]>(brands.slice(offset, want).map((b) => [b, []]));
    const mine = passing.filter((r) => rowsOf.has(cols.brand(r)));
    for (const r of this.order(mine, sort, mine.length, a, scores, now)) {
      const rows = rowsOf.get(cols.brand(r))!;
      if (rows.length < BRAND_ENTRIES_MAX) rows.push(r);
    }
    return [...rowsOf.values()];
  }

  /**
   * The first `k` of `passing` in the query's order. Relevance: rank tier (exact identifier,
   * exact name, name prefix, name substring, exact pinyin, pinyin prefix, the rest), then entries
   * in force before the others (inForceAt, port.ts: 暂停, 移出, 失效, 撤销, 过期… after), then
   * bm25 when the query matched few enough entries to score them all, then the most recently
   * updated.
   */
  private order(passing: number[], sort: SearchQuery['sort'], k: number, a: AnalyzedQuery, scores: Map<number, number> | null, now: number): number[] {
    const cols = this.cols;
    if (sort === 'updated') return cols.mostRecent(passing, k);
    if (sort === 'name') return smallest(passing, k, (x, y) => cols.compareByName(x, y));
    const idents = this.identifierMatches(a);
    const qc = a.compact;
    const ql = a.latin;
    const qcBits = charBits(qc);
    const tiers: number[][] = [[], [], [], [], [], [], []];
    for (const r of passing) {
      const t = idents.size && idents.has(r) ? 0 : cols.nameTier(r, qc, qcBits) || (ql && cols.pinyinTier(r, ql)) || 6;
      tiers[t]!.push(r);
    }
    const recent = (x: number, y: number) => cols.updatedAt(y) - cols.updatedAt(x) || x - y;
    // Within a name tier, entries in force first (inForceAt, port.ts), then bm25 or recency. In
    // the last tier (matched elsewhere than the name) bm25 is the relevance: in force first
    // only among equal scores (as Meilisearch ranks by its relevance score, see meili.ts).
    const groups = this.groupList();
    const inForce = (r: number) => {
      const g = groups[cols.grp(r)];
      return Boolean(g?.inForce && !(g.certValid && cols.expiredAt(r, now)));
    };
    const out: number[] = [];
    for (const [t, tier] of tiers.entries()) {
      if (out.length >= k) break;
      if (scores && t === tiers.length - 1) {
        const standing = (x: number, y: number) => Number(inForce(y)) - Number(inForce(x));
        out.push(...smallest(tier, k - out.length, (x, y) => scores.get(x)! - scores.get(y)! || standing(x, y) || recent(x, y)));
        break;
      }
      const live: number[] = [];
      const lapsed: number[] = [];
      for (const r of tier) (inForce(r) ? live : lapsed).push(r);
      for (const part of [live, lapsed]) {
        const need = k - out.length;
        if (need <= 0) break;
        out.push(...(scores ? smallest(part, need, (x, y) => scores.get(x)! - scores.get(y)! || recent(x, y)) : cols.mostRecent(part, need)));
      }
    }
    return out;
  }

  /**
   * Entries whose identifiers include the whole query (rank tier 0): the identifier column's
   * phrase finds candidates, the stored identifier list confirms them; the caller keeps those
   * among the matches. Not ANDed with the query's own expression here: FTS5 would expand its
   * prefix terms a second time. Identifiers have no Han.
   */
  private identifierMatches(a: AnalyzedQuery): Set<number> {
    if (!a.compact || a.runs.some(isCjk)) return new Set();
    const rows = this.stmt<number>(
      `SELECT d.rowid FROM fts JOIN docs d ON d.rowid = fts.rowid
      WHERE fts MATCH @m AND instr(d.idents, @needle) > 0 LIMIT 1000`,
    )
      .pluck()
      .all({ m: `ident : "${a.runs.join(' ').replace(/"/g, '')}"`, needle: ` ${a.compact} ` });
    return new Set(rows);
  }

  /**
   * The rowids matching `expr`, read as one string from SQLite (group_concat, parsed as JSON:
   * ~0.1 µs a match instead of a row object each). Few matches (≤ bm25 limit) are read again
   * with their bm25 score. Above the exact limit only the most recently indexed are kept, with an
   * estimate of the whole.
   */
  private matches(expr: string): { rowids: number[]; scores: Map<number, number> | null; sampled: boolean; estimate: number } {
    const limit = this.exactLimit;
    const all = (order: string) => {
      const json = this.stmt<string | null>(
        `SELECT '[' || group_concat(rowid) || ']' FROM
        (SELECT rowid FROM fts WHERE fts MATCH ? ${order} LIMIT ${limit + 1})`,
      )
        .pluck()
        .get(expr);
      return json ? (JSON.parse(json) as number[]) : [];
    };
    // Natural (ascending) order is the cheaper read; only an oversized result is read again,
    // newest first, for its sample.
    let rowids = all('');
    if (rowids.length === 0) return { rowids, scores: null, sampled: false, estimate: 0 };
    if (rowids.length <= this.bm25Limit) {
      const rows = this.stmt<[number, number]>(`SELECT rowid, bm25(fts, 10.0, 2.0, 1.0, 3.0, 20.0) FROM fts WHERE fts MATCH ?`).raw().all(expr);
      return { rowids: rows.map((r) => r[0]), scores: new Map(rows), sampled: false, estimate: rows.length };
    }
    if (rowids.length <= limit) return { rowids, scores: null, sampled: false, estimate: rowids.length };
    rowids = all('ORDER BY rowid DESC');
    rowids.length = limit;
    // Rowids are dense, so the share of the rowid range the sample spans estimates its share of
    // the matches (exact when matches are spread evenly over the index).
    const top = this.cols.maxRowid;
    const oldest = rowids[rowids.length - 1]!;
    const estimate = Math.max(limit + 1, Math.round((limit * top) / Math.max(1, top - oldest + 1)));
    return { rowids, scores: null, sampled: true, estimate };
  }

  /** Browsing (no text): SQL over `docs` by its indexes, facets from the maintained groups. */
  private browse(query: SearchQuery, now: number): SearchResult {
    const status = STATUS_EXPR.replaceAll('d.', 'x.');
    const params: Record<string, unknown> = { now };
    const clauses: string[] = [];
    for (const f of FACETS) {
      const v = query.filters[f];
      if (v === undefined || f === 'status') continue;
      params[`f_${f}`] = f === 'nice' ? `,${Number(v)},` : v;
      clauses.push(f === 'nice' ? `instr(x.nice, @f_nice) > 0` : `x.${f} = @f_${f}`);
    }
    if (query.filters.status !== undefined) {
      params.f_status = query.filters.status;
      clauses.push(`${status} = @f_status`);
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const order = query.sort === 'name' ? 'x.py, x.name_norm, x.rowid' : 'x.updated_at DESC, x.rowid';
    // The page first, then its bodies: joining bodies before the sort would read every body.
    const page = this.stmt<{ rowid: number; eff: string }>(
      `SELECT x.rowid AS rowid, ${status} AS eff FROM docs x ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
    ).all({ ...params, limit: query.pageSize, offset: (query.page - 1) * query.pageSize });
    const a = analyzeQuery('');
    const hits = page.map((p) => toHit(this.body(p.rowid), p.eff, a, [], false));
    let total: number;
    let facets: SearchResult['facets'] = {};
    if (query.facets || !where) {
      const agg = aggregateGroups(this.browseGroups(now), query.filters);
      total = agg.total;
      if (query.facets) facets = agg.facets;
    } else {
      total = this.stmt<{ n: number }>(`SELECT count(*) AS n FROM docs x ${where}`).get(params)?.n ?? 0;
    }
    return { hits, total, facets };
  }

  /**
   * Groups of the whole index for browsing: maintained counts for every registry but
   * certificates, whose status depends on today's date (过期), so they — thousands, not
   * millions — are grouped live.
   */
  private browseGroups(now: number): Group[] {
    const kept = [...this.groups().values()].filter((g) => g.kind !== 'certified' && g.n > 0);
    const certs = this.stmt<Group>(
      `SELECT kind, district, sector, tier, ${STATUS_EXPR} AS status, nice, count(*) AS n
      FROM docs d WHERE kind = 'certified' GROUP BY 1, 2, 3, 4, 5, 6`,
    ).all({ now });
    return [...kept, ...certs];
  }

  /** Groups by id in an array (index = group id), with certValid set; cached like groups(). */
  private groupList(): Array<ListedGroup | undefined> {
    if (!this.groupArray) {
      const list: Array<ListedGroup | undefined> = [];
      const fv = this.facetValues;
      for (const [id, g] of this.groups()) {
        const niceList = g.nice.split(',').filter(Boolean);
        list[id] = {
          ...g,
          certValid: g.kind === 'certified' && g.status === VALID,
          inForce: IN_FORCE_STATUSES.has(g.status),
          niceList,
          values: [fv.of('district', g.district), fv.of('sector', g.sector), fv.of('tier', g.tier), ...niceList.map((n) => fv.of('nice', n))],
          statusValue: fv.of('status', g.status),
          expiredValue: fv.of('status', EXPIRED),
        };
      }
      this.groupArray = list;
    }
    return this.groupArray;
  }

  /**
   * Another process may have written the file (a script run beside the app): SQLite's
   * data_version changes only for commits by other connections, and then the in-memory columns
   * and groups are read again.
   */
  private catchUpOtherWriters(): void {
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.cols = DocColumns.load(this.db);
    this.lexicon = loadLexicon(this.db);
    this.groupCache = null;
    this.groupArray = null;
    this.dataVersion = version;
  }

  private groups(): Map<number, Group> {
    this.groupCache ??= new Map(
      this.stmt<StoredGroup>(`SELECT id, kind, district, sector, tier, status, nice, n FROM facet_groups`)
        .all()
        .map((g) => [g.id, g]),
    );
    return this.groupCache;
  }

  /**
   * Indexed words within one edit of each typo-tolerant word of the query (most frequent first),
   * keeping the first letter (a wrong first letter is rarely a typo; Meilisearch counts it as
   * two). Words that keep the first three letters come from one range scan of the vocabulary;
   * the others (an edit in the second or third letter, about 110) are spelled out and looked up
   * one by one — a range scan over the first letter alone reads the posting lists of every word
   * with that letter.
   */
  private corrections(a: AnalyzedQuery): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const lookup = this.stmt<number>(`SELECT doc FROM fts_vocab WHERE term = ?`).pluck();
    const range = this.stmt<[string, number]>(`SELECT term, doc FROM fts_vocab WHERE term >= ? AND term < ?`).raw();
    for (const w of typoWords(a)) {
      const head = w.slice(0, 3);
      const found = new Map<string, number>();
      for (const term of oneEditAway(w)) {
        if (term.startsWith(head)) continue;
        const doc = lookup.get(term);
        if (doc) found.set(term, doc);
      }
      const end = head.slice(0, -1) + String.fromCharCode(head.charCodeAt(head.length - 1) + 1);
      for (const [term, doc] of range.all(head, end)) if (withinOneEdit(w, term)) found.set(term, doc);
      const best = [...found]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 5)
        .map(([term]) => term);
      if (best.length) out.set(w, best);
    }
    return out;
  }
}

/**
 * The `n` most recently indexed of `rows` (rows in FTS5 order: ascending rowids, or descending
 * when `descending` — a sampled match list), or all of them when there are no more.
 */
function newest(rows: number[], descending: boolean, n: number): number[] {
  if (rows.length <= n) return rows;
  return descending ? rows.slice(0, n) : rows.slice(rows.length - n);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Every word one edit from `w` (a letter changed, added, removed, or two neighbours swapped),
 * keeping its first letter: the candidates withinOneEdit accepts.
 */
export function oneEditAway(w: string): string[] {
  const out = new Set<string>();
  for (let i = 1; i <= w.length; i++) {
    const head = w.slice(0, i);
    const tail = w.slice(i);
    for (const c of ALPHABET) {
      out.add(head + c + tail); // insertion before position i
      if (i < w.length) out.add(head + c + tail.slice(1)); // substitution at i
    }
    if (i < w.length) out.add(head + tail.slice(1)); // deletion at i
    if (i + 1 < w.length) out.add(head + w[i + 1] + w[i] + w.slice(i + 2)); // transposition of i, i+1
  }
  out.delete(w);
  return [...out];
}

/** Group count changes of one write batch, applied together at its end. */
type GroupDeltas = Map<number, number>;

/** The id of a group, created on first use. */
function groupId(db: Db, g: Omit<Group, 'n' | 'id'>, memo: Map<string, number>): number {
  const key = [g.kind, g.district, g.sector, g.tier, g.status, g.nice].join('\u0000');
  const known = memo.get(key);
  if (known !== undefined) return known;
  const id = lookupOrCreateGroup(db, g);
  memo.set(key, id);
  return id;
}

function lookupOrCreateGroup(db: Db, g: Omit<Group, 'n' | 'id'>): number {
  const found = db
    .prepare<unknown[], number>(`SELECT id FROM facet_groups WHERE kind = ? AND district = ? AND sector = ? AND tier = ? AND status = ? AND nice = ?`)
    .pluck()
    .get(g.kind, g.district, g.sector, g.tier, g.status, g.nice);
  if (found !== undefined) return found;
  return Number(
    db
      .prepare(`INSERT INTO facet_groups(kind, district, sector, tier, status, nice, n) VALUES (?, ?, ?, ?, ?, ?, 0)`)
      .run(g.kind, g.district, g.sector, g.tier, g.status, g.nice).lastInsertRowid,
  );
}

function bump(deltas: GroupDeltas, id: number, delta: number): void {
  deltas.set(id, (deltas.get(id) ?? 0) + delta);
}

function applyDeltas(db: Db, deltas: GroupDeltas): void {
  const up = db.prepare(`UPDATE facet_groups SET n = n + ? WHERE id = ?`);
  for (const [id, delta] of deltas) if (delta !== 0) up.run(delta, id);
}

/**
 * Writes documents in one transaction; `cols` follows only once it has committed (a failed
 * batch leaves both as they were).
 */
function writeDocs(db: Db, docs: SearchDoc[], cols: DocColumns, lexicon: Lexicon): void {
  const changed: Array<[number, ColumnRow]> = [];
  const words: WordDeltas = new Map();
  const current = db.prepare<[string], { rowid: number; version: number; grp: number }>(`SELECT rowid, version, grp FROM docs WHERE id = ?`);
  const del = db.prepare(`DELETE FROM fts WHERE rowid = ?`);
  const insDoc =
    db.prepare(`INSERT INTO docs(rowid, id, kind, district, sector, tier, status, nice, grp, brand, expires_at, updated_at, version, name_norm, title_norm, py, ini, idents)
    VALUES (@rowid, @id, @kind, @district, @sector, @tier, @status, @nice, @grp, @brand, @expires_at, @updated_at, @version, @name_norm, @title_norm, @py, @ini, @idents)
    ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, district=excluded.district, sector=excluded.sector, tier=excluded.tier,
      status=excluded.status, nice=excluded.nice, grp=excluded.grp, brand=excluded.brand, expires_at=excluded.expires_at, updated_at=excluded.updated_at, version=excluded.version,
      name_norm=excluded.name_norm, title_norm=excluded.title_norm, py=excluded.py, ini=excluded.ini, idents=excluded.idents`);
  const insBody = db.prepare(`INSERT OR REPLACE INTO bodies(rowid, body) VALUES (?, ?)`);
  const insFts = db.prepare(`INSERT INTO fts(rowid, name, text, uni, pinyin, ident) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction((batch: SearchDoc[]) => {
    const deltas: GroupDeltas = new Map();
    const memo = new Map<string, number>();
    for (const d of batch) {
      const existing = current.get(d.id);
      if (existing && existing.version > d.version) continue;
      if (existing) {
        bump(deltas, existing.grp, -1);
        del.run(existing.rowid);
        countWords(words, storedBody(db, existing.rowid), -1);
      }
      countWords(words, d, 1);
      const f = searchable(d);
      const nice = niceKey(d.niceClasses);
      const grp = groupId(db, { kind: d.kind, district: d.district, sector: d.sector, tier: d.tier, status: d.status, nice }, memo);
      const info = insDoc.run({
        rowid: existing?.rowid ?? null,
        id: d.id,
        kind: d.kind,
        district: d.district,
        sector: d.sector,
        tier: d.tier,
        status: d.status,
        nice,
        grp,
        brand: d.slug,
        expires_at: d.expiresAt,
        updated_at: d.updatedAt,
        version: d.version,
        name_norm: f.nameNorm,
        title_norm: f.titleNorm,
        py: f.namePy,
        ini: f.nameIni,
        idents: f.idents,
      });
      const rowid = existing?.rowid ?? Number(info.lastInsertRowid);
      insBody.run(rowid, JSON.stringify(d));
      insFts.run(rowid, f.nameGrams, f.textGrams, f.uni, f.pinyin, f.ident);
      bump(deltas, grp, 1);
      changed.push([
        rowid,
        { grp, brand: d.slug, updatedAt: d.updatedAt, expiresAt: d.expiresAt, nameNorm: f.nameNorm, titleNorm: f.titleNorm, py: f.namePy, ini: f.nameIni },
      ]);
    }
    applyDeltas(db, deltas);
    applyWordDeltas(db, words);
  })(docs);
  for (const [rowid, row] of changed) cols.set(rowid, row);
  for (const [term, delta] of words) lexicon.bump([term], delta);
}

function removeDocs(db: Db, ids: string[], cols: DocColumns, lexicon: Lexicon): void {
  const current = db.prepare<[string], { rowid: number; grp: number }>(`SELECT rowid, grp FROM docs WHERE id = ?`);
  const gone: number[] = [];
  const words: WordDeltas = new Map();
  db.transaction((list: string[]) => {
    const deltas: GroupDeltas = new Map();
    for (const id of list) {
      const row = current.get(id);
      if (!row) continue;
      bump(deltas, row.grp, -1);
      countWords(words, storedBody(db, row.rowid), -1);
      db.prepare(`DELETE FROM fts WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM bodies WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM docs WHERE rowid = ?`).run(row.rowid);
      gone.push(row.rowid);
    }
    applyDeltas(db, deltas);
    applyWordDeltas(db, words);
  })(ids);
  for (const rowid of gone) cols.delete(rowid);
  for (const [term, delta] of words) lexicon.bump([term], delta);
}

/** Dictionary count changes of one write batch (lexicon.ts), applied together at its end. */
type WordDeltas = Map<string, number>;

function countWords(words: WordDeltas, d: SearchDoc | null, delta: number): void {
  if (d) for (const t of termsOfDoc(d)) words.set(t, (words.get(t) ?? 0) + delta);
}

function storedBody(db: Db, rowid: number): SearchDoc | null {
  const json = db.prepare<[number], string>(`SELECT body FROM bodies WHERE rowid = ?`).pluck().get(rowid);
  return json === undefined ? null : (JSON.parse(json) as SearchDoc);
}

function applyWordDeltas(db: Db, words: WordDeltas): void {
  const up = db.prepare(`INSERT INTO lexicon(term, n) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET n = n + excluded.n`);
  const drop = db.prepare(`DELETE FROM lexicon WHERE term = ? AND n <= 0`);
  for (const [term, delta] of words) {
    if (delta === 0) continue;
    up.run(term, delta);
    if (delta < 0) drop.run(term);
  }
}

/** The persisted dictionary. */
function loadLexicon(db: Db): Lexicon {
  const lexicon = new Lexicon();
  for (const [term, n] of db.prepare<[], [string, number]>(`SELECT term, n FROM lexicon`).raw().iterate()) lexicon.bump([term], n);
  return lexicon;
}
