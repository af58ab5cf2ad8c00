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
import { analyzeQuery, ftsExpression, highlight, type AnalyzedQuery } from './query.js';
import { gramTokens, normalize, pinyinForms, pinyinTokens, unigramTokens } from './text.js';

const SCHEMA_VERSION = '3';

type Db = Database.Database;

function createSchema(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
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
    CREATE TABLE IF NOT EXISTS doc_nice(cls INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY(cls, doc)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS doc_nice_doc ON doc_nice(doc);
    CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
      name, text, uni, pinyin, ident,
      content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
    );
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

const FACET_COLUMN: Record<Exclude<FacetName, 'nice' | 'status'>, string> = {
  kind: 'd.kind', district: 'd.district', sector: 'd.sector', tier: 'd.tier',
};
const STATUS_EXPR = `CASE WHEN d.kind = 'certified' AND d.status = '有效' AND d.expires_at IS NOT NULL AND d.expires_at < @now THEN '过期' ELSE d.status END`;

export class EmbeddedSearchIndex implements SearchIndex {
  readonly name = 'embedded';
  private db!: Db;
  /** Bumped on every write: keys the facet cache for empty queries. */
  private generation = 0;
  private facetCache = new Map<string, Partial<Record<FacetName, FacetValue[]>>>();
  /** Writes that arrive while a rebuild runs, replayed into the new index before it goes live. */
  private replay: Array<{ upsert?: SearchDoc[]; remove?: string[] }> | null = null;

  constructor(private readonly file: string) {}

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
    const rows = this.db.prepare(`SELECT kind, count(*) AS n FROM docs GROUP BY kind`).all() as Array<{ kind: string; n: number }>;
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
    const match = ftsExpression(a);
    const now = (query.now ?? new Date()).getTime();
    const params: Record<string, unknown> = { now, qc: a.compact, ql: a.latin };
    const from = match
      ? `(SELECT rowid, bm25(fts, 10.0, 2.0, 1.0, 3.0, 20.0) AS score FROM fts WHERE fts MATCH @match) m JOIN docs d ON d.rowid = m.rowid`
      : `docs d`;
    if (match) params.match = match;

    const where = (skip?: FacetName) => {
      const clauses: string[] = [];
      for (const f of FACETS) {
        const v = query.filters[f];
        if (v === undefined || f === skip) continue;
        params[`f_${f}`] = f === 'nice' ? Number(v) : v;
        if (f === 'nice') clauses.push(`EXISTS (SELECT 1 FROM doc_nice n WHERE n.doc = d.rowid AND n.cls = @f_nice)`);
        else if (f === 'status') clauses.push(`${STATUS_EXPR} = @f_status`);
        else clauses.push(`${FACET_COLUMN[f]} = @f_${f}`);
      }
      return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    };

    const order = this.orderBy(query, Boolean(match));
    const rows = this.db
      .prepare(`SELECT d.body, ${STATUS_EXPR} AS eff FROM ${from} ${where()} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: query.pageSize, offset: (query.page - 1) * query.pageSize }) as Array<{ body: string; eff: string }>;
    const total = (this.db.prepare(`SELECT count(*) AS n FROM ${from} ${where()}`).get(params) as { n: number }).n;

    let facets: SearchResult['facets'] = {};
    if (query.facets) {
      const cacheKey = match ? null : `${this.generation}|${Math.floor(now / 60_000)}|${JSON.stringify(query.filters)}`;
      const cached = cacheKey ? this.facetCache.get(cacheKey) : undefined;
      if (cached) facets = cached;
      else {
        for (const f of FACETS) {
          // Each facet counts with every filter but its own, so the other values stay reachable.
          const expr = f === 'nice' ? 'n.cls' : f === 'status' ? STATUS_EXPR : FACET_COLUMN[f];
          const join = f === 'nice' ? ' JOIN doc_nice n ON n.doc = d.rowid' : '';
          const sql = `SELECT ${expr} AS value, count(*) AS count FROM ${from}${join} ${where(f)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100`;
          facets[f] = (this.db.prepare(sql).all(params) as FacetValue[]).map((r) => ({ value: String(r.value), count: r.count }));
        }
        if (cacheKey) {
          if (this.facetCache.size > 200) this.facetCache.clear();
          this.facetCache.set(cacheKey, facets);
        }
      }
    }
    return { hits: rows.map((r) => toHit(JSON.parse(r.body) as SearchDoc, r.eff, a)), total, facets };
  }

  private orderBy(query: SearchQuery, matched: boolean): string {
    if (query.sort === 'updated') return 'd.updated_at DESC, d.rowid';
    if (query.sort === 'name') return 'd.py, d.name_norm, d.rowid';
    if (!matched) return 'd.updated_at DESC, d.rowid';
    // Exact identifier, exact name, name prefix, name substring, pinyin of the name, the rest.
    return `CASE
      WHEN @qc != '' AND instr(d.idents, ' ' || @qc || ' ') > 0 THEN 0
      WHEN d.name_norm = @qc OR d.title_norm = @qc THEN 1
      WHEN substr(d.name_norm, 1, length(@qc)) = @qc THEN 2
      WHEN instr(d.name_norm, @qc) > 0 OR instr(d.title_norm, @qc) > 0 THEN 3
      WHEN @ql != '' AND (d.py = @ql OR d.ini = @ql) THEN 4
      WHEN @ql != '' AND (substr(d.py, 1, length(@ql)) = @ql OR substr(d.ini, 1, length(@ql)) = @ql) THEN 5
      ELSE 6 END, m.score, d.updated_at DESC, d.rowid`;
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
    for (const d of batch) {
      const existing = current.get(d.id) as { rowid: number; version: number } | undefined;
      if (existing && existing.version > d.version) continue;
      if (existing) {
        del.run(existing.rowid);
        delNice.run(existing.rowid);
      }
      const py = pinyinForms(d.name);
      const info = insDoc.run({
        rowid: existing?.rowid ?? null, id: d.id, kind: d.kind, district: d.district, sector: d.sector, tier: d.tier,
        status: d.status, expires_at: d.expiresAt, updated_at: d.updatedAt, version: d.version,
        name_norm: normalize(d.name).replace(/\s+/g, ''), title_norm: normalize(d.title).replace(/\s+/g, ''),
        py: py.joined || normalize(d.nameEn).replace(/[^a-z0-9]/g, ''), ini: py.initials,
        idents: ` ${d.identifiers.map((i) => normalize(i).replace(/\s+/g, '')).join(' ')} `,
        body: JSON.stringify(d),
      });
      const rowid = existing?.rowid ?? Number(info.lastInsertRowid);
      insFts.run(
        rowid,
        gramTokens([d.name, d.title]),
        gramTokens([d.company, d.nameEn, ...d.keywords, d.industry]),
        unigramTokens([d.name, d.title, ...d.keywords]),
        pinyinTokens([d.name, d.title, d.nameEn, ...d.keywords]),
        d.identifiers.map((i) => normalize(i)).join(' '),
      );
      for (const c of d.niceClasses) insNice.run(c, rowid);
    }
  })(docs);
}

function removeDocs(db: Db, ids: string[]): void {
  const current = db.prepare(`SELECT rowid FROM docs WHERE id = ?`);
  db.transaction((list: string[]) => {
    for (const id of list) {
      const row = current.get(id) as { rowid: number } | undefined;
      if (!row) continue;
      db.prepare(`DELETE FROM fts WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM doc_nice WHERE doc = ?`).run(row.rowid);
      db.prepare(`DELETE FROM docs WHERE rowid = ?`).run(row.rowid);
    }
  })(ids);
}
