/**
 * Embedded search adapter: SQLite FTS5 through better-sqlite3, in process. The default when
 * MEILI_URL is unset (demo, tests, a single small instance). One instance only: the index lives in
 * this process's file.
 *
 * Han text is indexed as overlapping bigrams (substring search as phrase queries) plus unigrams for
 * one-character queries; pinyin and Latin words in their own column; identifiers in another.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FACETS, type FacetName, type FacetValue, type Hit, type IndexStats, type SearchDoc, type SearchIndex, type SearchQuery, type SearchResult } from './port.js';
import { analyzeQuery, ftsExpression, highlight, TYPO_MIN_LENGTH, withinOneEdit, type AnalyzedQuery } from './query.js';
import { isCjk } from './text.js';
import { searchable } from './enrich.js';

const SCHEMA_VERSION = '5';

type Db = Database.Database;

function createSchema(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE IF NOT EXISTS docs(
      rowid INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL, district TEXT NOT NULL, sector TEXT NOT NULL, tier TEXT NOT NULL,
      status TEXT NOT NULL, expires_at INTEGER, updated_at INTEGER NOT NULL, version INTEGER NOT NULL,
      name_norm TEXT NOT NULL, title_norm TEXT NOT NULL, py TEXT NOT NULL, ini TEXT NOT NULL,
      idents TEXT NOT NULL, body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, updated_at);
    CREATE INDEX IF NOT EXISTS docs_updated ON docs(updated_at);
    CREATE INDEX IF NOT EXISTS docs_py ON docs(py);
    CREATE INDEX IF NOT EXISTS docs_expiry ON docs(kind, status, expires_at);
    CREATE TABLE IF NOT EXISTS facet_counts(scope TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY(scope, facet, value)) WITHOUT ROWID;
    CREATE TEMP TABLE IF NOT EXISTS hits(rowid INTEGER PRIMARY KEY, rnk INTEGER, score REAL, kind TEXT, district TEXT, sector TEXT,
      tier TEXT, status TEXT, updated_at INTEGER, py TEXT, name_norm TEXT);
    CREATE TABLE IF NOT EXISTS doc_nice(cls INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY(cls, doc)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS doc_nice_doc ON doc_nice(doc);
    CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
      name, text, uni, pinyin, ident,
      content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
  `);
  db.prepare(`INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
}

function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  let db = new Database(file);
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'meta'`).get();
  const version = hasMeta ? (db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined)?.value : undefined;
  if (hasMeta && version !== SCHEMA_VERSION && file !== ':memory:') {
    // An index from an older layout is rebuilt from MongoDB, never migrated.
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    db = new Database(file);
  }
  createSchema(db);
  return db;
}

const STATUS_EXPR = `CASE WHEN d.kind = 'certified' AND d.status = '有效' AND d.expires_at IS NOT NULL AND d.expires_at < @now THEN '过期' ELSE d.status END`;
/** Exact identifier, exact name, name prefix, name substring, pinyin of the name, the rest. */
const RANK_EXPR = `CASE
  WHEN @qc != '' AND instr(d.idents, ' ' || @qc || ' ') > 0 THEN 0
  WHEN d.name_norm = @qc OR d.title_norm = @qc THEN 1
  WHEN substr(d.name_norm, 1, length(@qc)) = @qc THEN 2
  WHEN instr(d.name_norm, @qc) > 0 OR instr(d.title_norm, @qc) > 0 THEN 3
  WHEN @ql != '' AND (d.py = @ql OR d.ini = @ql) THEN 4
  WHEN @ql != '' AND (substr(d.py, 1, length(@ql)) = @ql OR substr(d.ini, 1, length(@ql)) = @ql) THEN 5
  ELSE 6 END`;

export class EmbeddedSearchIndex implements SearchIndex {
  readonly name = 'embedded';
  private db!: Db;
  /** Bumped on every write: keys the facet cache for empty queries. */
  private generation = 0;
  private facetCache = new Map<string, Partial<Record<FacetName, FacetValue[]>>>();
  /** Writes that arrive while a rebuild runs, replayed into the new index before it goes live. */
  private replay: Array<{ upsert?: SearchDoc[]; remove?: string[] }> | null = null;

  private statements = new Map<string, Database.Statement>();

  constructor(private readonly file: string) {}

  /** Prepared statements by SQL text (a search builds a handful of shapes, reused across calls). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size > 500) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  async init(): Promise<void> {
    if (!this.db) this.db = openDb(this.file);
  }

  async upsert(docs: SearchDoc[]): Promise<void> {
    this.replay?.push({ upsert: docs });
    writeDocs(this.db, docs);
    this.touch();
  }

  async remove(ids: string[]): Promise<void> {
    this.replay?.push({ remove: ids });
    removeDocs(this.db, ids);
    this.touch();
  }

  private touch(): void {
    this.generation++;
    this.facetCache.clear();
  }

  async versions(ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const stmt = this.db.prepare(`SELECT version FROM docs WHERE id = ?`);
    for (const id of ids) {
      const row = stmt.get(id) as { version: number } | undefined;
      if (row) out.set(id, row.version);
    }
    return out;
  }

  async rebuild(fill: (write: (docs: SearchDoc[]) => Promise<void>) => Promise<void>): Promise<void> {
    const memory = this.file === ':memory:';
    const tmpFile = memory ? ':memory:' : `${this.file}.rebuild`;
    if (!memory) for (const f of [tmpFile, `${tmpFile}-wal`, `${tmpFile}-shm`]) rmSync(f, { force: true });
    const fresh = openDb(tmpFile);
    this.replay = [];
    try {
      await fill(async (docs) => writeDocs(fresh, docs));
      // Writes that happened meanwhile went to the live index; apply them to the new one too.
      for (const op of this.replay) {
        if (op.upsert) writeDocs(fresh, op.upsert);
        if (op.remove) removeDocs(fresh, op.remove);
      }
    } catch (err) {
      fresh.close();
      this.replay = null;
      throw err;
    }
    this.replay = null;
    this.statements.clear();
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
    this.touch();
  }

  async stats(): Promise<IndexStats> {
    const rows = this.stmt(`SELECT value AS kind, n FROM facet_counts WHERE scope = '*' AND facet = 'kind' AND n > 0`).all() as Array<{ kind: string; n: number }>;
    const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    return { documents: rows.reduce((s, r) => s + r.n, 0), byKind };
  }

  async health(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db?.open) this.db.close();
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const a = analyzeQuery(query.q);
    let match = ftsExpression(a);
    const now = (query.now ?? new Date()).getTime();
    const params: Record<string, unknown> = { now };
    // With a text query, the matches are materialised once (rank, score and facet columns) into
    // a temp table that the page, the count and every facet then read; without one, `docs` is
    // read directly and the common browse facets come from maintained counts.
    const materialise = (expr: string) => {
      this.stmt('DELETE FROM temp.hits').run();
      this.stmt(`INSERT INTO temp.hits(rowid, rnk, score, kind, district, sector, tier, status, updated_at, py, name_norm)
        SELECT d.rowid, ${RANK_EXPR}, bm25(fts, 10.0, 2.0, 1.0, 3.0, 20.0), d.kind, d.district, d.sector, d.tier, ${STATUS_EXPR},
               d.updated_at, d.py, d.name_norm
        FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH @match`).run({ match: expr, now, qc: a.compact, ql: a.latin });
      return (this.stmt('SELECT count(*) AS n FROM temp.hits').get() as { n: number }).n;
    };
    if (match && materialise(match) === 0) {
      // Nothing as typed: try one typo in each Latin word of five letters or more.
      const corrections = this.corrections(a);
      if (corrections.size > 0) {
        match = ftsExpression(a, corrections)!;
        materialise(match);
      }
    }
    const source = match ? 'temp.hits x' : 'docs x';
    const status = match ? 'x.status' : STATUS_EXPR.replaceAll('d.', 'x.');

    const where = (skip?: FacetName) => {
      const clauses: string[] = [];
      for (const f of FACETS) {
        const v = query.filters[f];
        if (v === undefined || f === skip) continue;
        params[`f_${f}`] = f === 'nice' ? Number(v) : v;
        if (f === 'nice') clauses.push(`EXISTS (SELECT 1 FROM doc_nice n WHERE n.doc = x.rowid AND n.cls = @f_nice)`);
        else if (f === 'status') clauses.push(`${status} = @f_status`);
        else clauses.push(`x.${f} = @f_${f}`);
      }
      return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    };

    const order =
      query.sort === 'updated' ? 'x.updated_at DESC, x.rowid'
      : query.sort === 'name' ? 'x.py, x.name_norm, x.rowid'
      : match ? 'x.rnk, x.score, x.updated_at DESC, x.rowid'
      : 'x.updated_at DESC, x.rowid';
    const body = match ? `(SELECT body FROM docs WHERE rowid = x.rowid)` : 'x.body';
    const rows = this
      .stmt(`SELECT ${body} AS body, ${status} AS eff FROM ${source} ${where()} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: query.pageSize, offset: (query.page - 1) * query.pageSize }) as Array<{ body: string; eff: string }>;
    const total = (this.stmt(`SELECT count(*) AS n FROM ${source} ${where()}`).get(params) as { n: number }).n;

    let facets: SearchResult['facets'] = {};
    if (query.facets) {
      const filters = Object.keys(query.filters).filter((k) => query.filters[k as FacetName] !== undefined);
      const browse = !match && (filters.length === 0 || (filters.length === 1 && filters[0] === 'kind'));
      if (browse) facets = this.maintainedFacets(query.filters.kind ?? null, now);
      else {
        for (const f of FACETS) {
          // Each facet counts with every filter but its own, so the other values stay reachable.
          const expr = f === 'nice' ? 'n.cls' : f === 'status' ? status : `x.${f}`;
          // CROSS JOIN keeps SQLite from scanning doc_nice and probing the matches the other way round.
          const join = f === 'nice' ? ' CROSS JOIN doc_nice n ON n.doc = x.rowid' : '';
          const sql = `SELECT ${expr} AS value, count(*) AS count FROM ${source}${join} ${where(f)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100`;
          facets[f] = (this.stmt(sql).all(params) as FacetValue[]).map((r) => ({ value: String(r.value), count: r.count }));
        }
      }
    }
    return { hits: rows.map((r) => toHit(JSON.parse(r.body) as SearchDoc, r.eff, a)), total, facets };
  }

  /** Indexed words within one edit of each long Latin word of the query (most frequent first). */
  private corrections(a: AnalyzedQuery): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const words = new Set(a.runs.filter((r) => !isCjk(r) && r.length >= TYPO_MIN_LENGTH));
    if (a.latin.length >= TYPO_MIN_LENGTH) words.add(a.latin);
    const range = this.stmt(`SELECT term, doc FROM fts_vocab WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?`);
    for (const w of words) {
      // Same first letter: the range scan stays small, and a wrong first letter is rarely a typo.
      const first = w[0]!;
      const next = String.fromCharCode(first.charCodeAt(0) + 1);
      const found = (range.all(first, next, w.length - 1, w.length + 1) as Array<{ term: string; doc: number }>)
        .filter((r) => withinOneEdit(w, r.term))
        .sort((x, y) => y.doc - x.doc)
        .slice(0, 5)
        .map((r) => r.term);
      if (found.length) out.set(w, found);
    }
    return out;
  }

  /**
   * Facet counts for browsing (no text, at most a registry filter), read from counts kept up to
   * date on every write. Stored status counts are corrected for certificates that have expired
   * since (a small indexed count), so 过期 needs no reindex.
   */
  private maintainedFacets(kind: string | null, now: number): SearchResult['facets'] {
    const read = this.stmt(`SELECT value, n AS count FROM facet_counts WHERE scope = ? AND facet = ? AND n > 0 ORDER BY n DESC, value LIMIT 100`);
    const facets: SearchResult['facets'] = {};
    for (const f of FACETS) {
      const scope = f === 'kind' ? '*' : kind ?? '*';
      facets[f] = (read.all(scope, f) as FacetValue[]).map((r) => ({ value: String(r.value), count: r.count }));
    }
    if (kind === null || kind === 'certified') {
      const expired = (this.stmt(`SELECT count(*) AS n FROM docs WHERE kind = 'certified' AND status = '有效' AND expires_at < ?`).get(now) as { n: number }).n;
      if (expired > 0) {
        const list = (facets.status ?? []).map((v) => (v.value === '有效' ? { ...v, count: v.count - expired } : v)).filter((v) => v.count > 0);
        const old = list.find((v) => v.value === '过期');
        if (old) old.count += expired;
        else list.push({ value: '过期', count: expired });
        facets.status = list.sort((x, y) => y.count - x.count || x.value.localeCompare(y.value));
      }
    }
    return facets;
  }
}

function toHit(doc: SearchDoc, status: string, a: AnalyzedQuery): Hit {
  const highlights: Hit['highlights'] = {};
  const title = highlight(doc.title, a);
  if (title) highlights.title = title;
  const name = highlight(doc.name, a);
  if (name) highlights.name = name;
  const company = highlight(doc.company, a);
  if (company) highlights.company = company;
  const kw = highlight(doc.keywords.join('、'), a);
  if (kw) highlights.keywords = kw;
  return { doc, status, highlights };
}

interface FacetRow { kind: string; district: string; sector: string; tier: string; status: string; nice: number[] }

/** Facet count changes of one write batch, applied together at its end. */
type FacetDeltas = Map<string, number>;

/** Adds `delta` for one document, globally and within its registry. */
function bumpFacets(deltas: FacetDeltas, row: FacetRow, delta: number): void {
  const values: Array<[string, string]> = [
    ['kind', row.kind], ['district', row.district], ['sector', row.sector], ['tier', row.tier], ['status', row.status],
    ...row.nice.map((c): [string, string] => ['nice', String(c)]),
  ];
  for (const scope of ['*', row.kind]) {
    for (const [facet, value] of values) {
      const key = `${scope}\u0000${facet}\u0000${value}`;
      deltas.set(key, (deltas.get(key) ?? 0) + delta);
    }
  }
}

function applyFacetDeltas(db: Db, deltas: FacetDeltas): void {
  const up = db.prepare(`INSERT INTO facet_counts(scope, facet, value, n) VALUES (?, ?, ?, ?)
    ON CONFLICT(scope, facet, value) DO UPDATE SET n = n + excluded.n`);
  for (const [key, delta] of deltas) {
    if (delta === 0) continue;
    const [scope, facet, value] = key.split('\u0000');
    up.run(scope, facet, value, delta);
  }
}

function storedFacets(db: Db, rowid: number): FacetRow | null {
  const r = db.prepare(`SELECT kind, district, sector, tier, status FROM docs WHERE rowid = ?`).get(rowid) as Omit<FacetRow, 'nice'> | undefined;
  if (!r) return null;
  const nice = (db.prepare(`SELECT cls FROM doc_nice WHERE doc = ?`).pluck().all(rowid) as number[]);
  return { ...r, nice };
}

function writeDocs(db: Db, docs: SearchDoc[]): void {
  const current = db.prepare(`SELECT rowid, version FROM docs WHERE id = ?`);
  const del = db.prepare(`DELETE FROM fts WHERE rowid = ?`);
  const delNice = db.prepare(`DELETE FROM doc_nice WHERE doc = ?`);
  const insDoc = db.prepare(`INSERT INTO docs(rowid, id, kind, district, sector, tier, status, expires_at, updated_at, version, name_norm, title_norm, py, ini, idents, body)
    VALUES (@rowid, @id, @kind, @district, @sector, @tier, @status, @expires_at, @updated_at, @version, @name_norm, @title_norm, @py, @ini, @idents, @body)
    ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, district=excluded.district, sector=excluded.sector, tier=excluded.tier,
      status=excluded.status, expires_at=excluded.expires_at, updated_at=excluded.updated_at, version=excluded.version,
      name_norm=excluded.name_norm, title_norm=excluded.title_norm, py=excluded.py, ini=excluded.ini, idents=excluded.idents, body=excluded.body`);
  const insFts = db.prepare(`INSERT INTO fts(rowid, name, text, uni, pinyin, ident) VALUES (?, ?, ?, ?, ?, ?)`);
  const insNice = db.prepare(`INSERT OR IGNORE INTO doc_nice(cls, doc) VALUES (?, ?)`);
  db.transaction((batch: SearchDoc[]) => {
    const deltas: FacetDeltas = new Map();
    for (const d of batch) {
      const existing = current.get(d.id) as { rowid: number; version: number } | undefined;
      if (existing && existing.version > d.version) continue;
      if (existing) {
        const old = storedFacets(db, existing.rowid);
        if (old) bumpFacets(deltas, old, -1);
        del.run(existing.rowid);
        delNice.run(existing.rowid);
      }
      const f = searchable(d);
      const info = insDoc.run({
        rowid: existing?.rowid ?? null, id: d.id, kind: d.kind, district: d.district, sector: d.sector, tier: d.tier,
        status: d.status, expires_at: d.expiresAt, updated_at: d.updatedAt, version: d.version,
        name_norm: f.nameNorm, title_norm: f.titleNorm, py: f.namePy, ini: f.nameIni, idents: f.idents,
        body: JSON.stringify(d),
      });
      const rowid = existing?.rowid ?? Number(info.lastInsertRowid);
      insFts.run(rowid, f.nameGrams, f.textGrams, f.uni, f.pinyin, f.ident);
      for (const c of d.niceClasses) insNice.run(c, rowid);
      bumpFacets(deltas, { kind: d.kind, district: d.district, sector: d.sector, tier: d.tier, status: d.status, nice: d.niceClasses }, 1);
    }
    applyFacetDeltas(db, deltas);
  })(docs);
}

function removeDocs(db: Db, ids: string[]): void {
  const current = db.prepare(`SELECT rowid FROM docs WHERE id = ?`);
  db.transaction((list: string[]) => {
    const deltas: FacetDeltas = new Map();
    for (const id of list) {
      const row = current.get(id) as { rowid: number } | undefined;
      if (!row) continue;
      const old = storedFacets(db, row.rowid);
      if (old) bumpFacets(deltas, old, -1);
      db.prepare(`DELETE FROM fts WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM doc_nice WHERE doc = ?`).run(row.rowid);
      db.prepare(`DELETE FROM docs WHERE rowid = ?`).run(row.rowid);
    }
    applyFacetDeltas(db, deltas);
  })(ids);
}
