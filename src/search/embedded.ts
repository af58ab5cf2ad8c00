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
 * date on every write; a text query groups its materialised matches in one SQL pass.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { searchable } from './enrich.js';
import { FACETS, type FacetName, type FacetValue, type Hit, type IndexStats, type SearchDoc, type SearchIndex, type SearchQuery, type SearchResult } from './port.js';
import { analyzeQuery, ftsExpression, toHit, TYPO_MIN_LENGTH, withinOneEdit, type AnalyzedQuery } from './query.js';
import { isCjk } from './text.js';

const SCHEMA_VERSION = '7';
/** Above this many matches, relevance within a tier falls back from bm25 to recency (bm25 costs ~2 µs a match). */
const BM25_LIMIT = 5_000;

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
      status TEXT NOT NULL, nice TEXT NOT NULL, grp INTEGER NOT NULL, expires_at INTEGER, updated_at INTEGER NOT NULL, version INTEGER NOT NULL,
      name_norm TEXT NOT NULL, title_norm TEXT NOT NULL, py TEXT NOT NULL, ini TEXT NOT NULL, idents TEXT NOT NULL
    );
    -- Kept apart so that the rows scanned for ranking and facets stay small.
    CREATE TABLE IF NOT EXISTS bodies(rowid INTEGER PRIMARY KEY, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, updated_at);
    CREATE INDEX IF NOT EXISTS docs_updated ON docs(updated_at);
    CREATE INDEX IF NOT EXISTS docs_py ON docs(py);
    CREATE INDEX IF NOT EXISTS docs_expiry ON docs(kind, status, expires_at);
    CREATE TABLE IF NOT EXISTS facet_groups(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, district TEXT NOT NULL, sector TEXT NOT NULL,
      tier TEXT NOT NULL, status TEXT NOT NULL, nice TEXT NOT NULL, n INTEGER NOT NULL,
      UNIQUE(kind, district, sector, tier, status, nice));
    CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
      name, text, uni, pinyin, ident,
      content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
    CREATE TEMP TABLE IF NOT EXISTS hits(rowid INTEGER PRIMARY KEY, rnk INTEGER, score REAL, grp INTEGER, status TEXT,
      updated_at INTEGER, py TEXT, name_norm TEXT);
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

/** Nice classes as stored: ",29,30," so that a class is found with instr(nice, ",29,"). */
const niceKey = (classes: number[]) => (classes.length ? `,${[...classes].sort((a, b) => a - b).join(',')},` : '');

interface Group { id?: number; kind: string; district: string; sector: string; tier: string; status: string; nice: string; n: number }

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
      const values = f === 'nice' ? g.nice.split(',').filter(Boolean) : [g[f]];
      const m = counts.get(f)!;
      for (const v of values) m.set(v, (m.get(v) ?? 0) + g.n);
    }
  }
  const facets: SearchResult['facets'] = {};
  for (const f of FACETS) {
    facets[f] = [...counts.get(f)!]
      .filter(([, c]) => c > 0)
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, 100);
  }
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
    this.groupCache = null;
  }

  async remove(ids: string[]): Promise<void> {
    this.replay?.push({ remove: ids });
    removeDocs(this.db, ids);
    this.groupCache = null;
  }

  async versions(ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const stmt = this.stmt(`SELECT version FROM docs WHERE id = ?`);
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
    this.groupCache = null;
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
  }

  async stats(): Promise<IndexStats> {
    const rows = this.stmt(`SELECT kind, sum(n) AS n FROM facet_groups GROUP BY kind HAVING sum(n) > 0`).all() as Array<{ kind: string; n: number }>;
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

  async search(query: SearchQuery): Promise<SearchResult> {
    const a = analyzeQuery(query.q);
    let match = ftsExpression(a);
    const now = (query.now ?? new Date()).getTime();
    if (match && this.materialise(match, a, now) === 0) {
      // Nothing as typed: try one typo in each Latin word of five letters or more.
      const corrections = this.corrections(a);
      if (corrections.size > 0) {
        match = ftsExpression(a, corrections)!;
        this.materialise(match, a, now);
      }
    }
    const source = match ? 'temp.hits x' : 'docs x';
    const status = match ? 'x.status' : STATUS_EXPR.replaceAll('d.', 'x.');
    const params: Record<string, unknown> = { now };
    const clauses: string[] = [];
    if (match) {
      // Matches carry their group id: the registry, district, sector, tier and Nice filters become
      // one integer set membership.
      const other = FACETS.filter((f) => f !== 'status' && query.filters[f] !== undefined);
      if (other.length) {
        const ids = [...this.groups().values()].filter((g) => other.every((f) => passes(g, f, query.filters))).map((g) => g.id);
        clauses.push(`x.grp IN (${ids.join(',') || '-1'})`);
      }
    } else {
      for (const f of FACETS) {
        const v = query.filters[f];
        if (v === undefined || f === 'status') continue;
        params[`f_${f}`] = f === 'nice' ? `,${Number(v)},` : v;
        clauses.push(f === 'nice' ? `instr(x.nice, @f_nice) > 0` : `x.${f} = @f_${f}`);
      }
    }
    if (query.filters.status !== undefined) {
      params.f_status = query.filters.status;
      clauses.push(`${status} = @f_status`);
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const order =
      query.sort === 'updated' ? 'x.updated_at DESC, x.rowid'
      : query.sort === 'name' ? 'x.py, x.name_norm, x.rowid'
      : match ? 'x.rnk, x.score, x.updated_at DESC, x.rowid'
      : 'x.updated_at DESC, x.rowid';
    // The page first, then its bodies: joining bodies before the sort would read every match's body.
    const page = this.stmt(`SELECT x.rowid AS rowid, ${status} AS eff FROM ${source} ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: query.pageSize, offset: (query.page - 1) * query.pageSize }) as Array<{ rowid: number; eff: string }>;
    const bodyOf = this.stmt(`SELECT body FROM bodies WHERE rowid = ?`).pluck();
    const rows = page.map((p) => ({ body: bodyOf.get(p.rowid) as string, eff: p.eff }));

    let total: number;
    let facets: SearchResult['facets'] = {};
    if (query.facets || !where) {
      const groups = match ? this.matchedGroups() : this.browseGroups(now);
      const agg = aggregateGroups(groups, query.filters);
      total = agg.total;
      if (query.facets) facets = agg.facets;
    } else {
      total = (this.stmt(`SELECT count(*) AS n FROM ${source} ${where}`).get(params) as { n: number }).n;
    }
    return { hits: rows.map((r) => toHit(JSON.parse(r.body) as SearchDoc, r.eff, a)), total, facets };
  }

  /**
   * Fills temp.hits with the matches of `expr` (rank tier, score and facet columns), once per
   * query; the page and the facets then read it. Returns the number of matches.
   */
  private materialise(expr: string, a: AnalyzedQuery, now: number): number {
    const count = (this.stmt(`SELECT count(*) AS n FROM fts WHERE fts MATCH @match`).get({ match: expr }) as { n: number }).n;
    this.stmt('DELETE FROM temp.hits').run();
    if (count === 0) return 0;
    const score = count <= BM25_LIMIT ? 'bm25(fts, 10.0, 2.0, 1.0, 3.0, 20.0)' : '0';
    this.stmt(`INSERT INTO temp.hits(rowid, rnk, score, grp, status, updated_at, py, name_norm)
      SELECT d.rowid, ${RANK_EXPR}, ${score}, d.grp, ${STATUS_EXPR}, d.updated_at, d.py, d.name_norm
      FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH @match`).run({ match: expr, now, qc: a.compact, ql: a.latin });
    return count;
  }

  /**
   * Groups of the whole index for browsing: maintained counts for every registry but
   * certificates, whose status depends on today's date (过期), so they — thousands, not
   * millions — are grouped live.
   */
  private browseGroups(now: number): Group[] {
    const kept = [...this.groups().values()].filter((g) => g.kind !== 'certified' && g.n > 0);
    const certs = this.stmt(`SELECT kind, district, sector, tier, ${STATUS_EXPR} AS status, nice, count(*) AS n
      FROM docs d WHERE kind = 'certified' GROUP BY 1, 2, 3, 4, 5, 6`).all({ now }) as Group[];
    return [...kept, ...certs];
  }

  /** Groups of the materialised matches: one integer GROUP BY, with each match's effective status. */
  private matchedGroups(): Group[] {
    const byId = this.groups();
    const rows = this.stmt(`SELECT grp, status, count(*) AS n FROM temp.hits GROUP BY grp, status`).all() as Array<{ grp: number; status: string; n: number }>;
    return rows.flatMap((r) => {
      const g = byId.get(r.grp);
      return g ? [{ ...g, status: r.status, n: r.n }] : [];
    });
  }

  private groups(): Map<number, Group> {
    this.groupCache ??= new Map((this.stmt(`SELECT id, kind, district, sector, tier, status, nice, n FROM facet_groups`).all() as Group[]).map((g) => [g.id!, g]));
    return this.groupCache;
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
  const found = db.prepare(`SELECT id FROM facet_groups WHERE kind = ? AND district = ? AND sector = ? AND tier = ? AND status = ? AND nice = ?`)
    .pluck().get(g.kind, g.district, g.sector, g.tier, g.status, g.nice) as number | undefined;
  if (found !== undefined) return found;
  return Number(db.prepare(`INSERT INTO facet_groups(kind, district, sector, tier, status, nice, n) VALUES (?, ?, ?, ?, ?, ?, 0)`)
    .run(g.kind, g.district, g.sector, g.tier, g.status, g.nice).lastInsertRowid);
}

function bump(deltas: GroupDeltas, id: number, delta: number): void {
  deltas.set(id, (deltas.get(id) ?? 0) + delta);
}

function applyDeltas(db: Db, deltas: GroupDeltas): void {
  const up = db.prepare(`UPDATE facet_groups SET n = n + ? WHERE id = ?`);
  for (const [id, delta] of deltas) if (delta !== 0) up.run(delta, id);
}

function writeDocs(db: Db, docs: SearchDoc[]): void {
  const current = db.prepare(`SELECT rowid, version, grp FROM docs WHERE id = ?`);
  const del = db.prepare(`DELETE FROM fts WHERE rowid = ?`);
  const insDoc = db.prepare(`INSERT INTO docs(rowid, id, kind, district, sector, tier, status, nice, grp, expires_at, updated_at, version, name_norm, title_norm, py, ini, idents)
    VALUES (@rowid, @id, @kind, @district, @sector, @tier, @status, @nice, @grp, @expires_at, @updated_at, @version, @name_norm, @title_norm, @py, @ini, @idents)
    ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, district=excluded.district, sector=excluded.sector, tier=excluded.tier,
      status=excluded.status, nice=excluded.nice, grp=excluded.grp, expires_at=excluded.expires_at, updated_at=excluded.updated_at, version=excluded.version,
      name_norm=excluded.name_norm, title_norm=excluded.title_norm, py=excluded.py, ini=excluded.ini, idents=excluded.idents`);
  const insBody = db.prepare(`INSERT OR REPLACE INTO bodies(rowid, body) VALUES (?, ?)`);
  const insFts = db.prepare(`INSERT INTO fts(rowid, name, text, uni, pinyin, ident) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction((batch: SearchDoc[]) => {
    const deltas: GroupDeltas = new Map();
    const memo = new Map<string, number>();
    for (const d of batch) {
      const existing = current.get(d.id) as { rowid: number; version: number; grp: number } | undefined;
      if (existing && existing.version > d.version) continue;
      if (existing) {
        bump(deltas, existing.grp, -1);
        del.run(existing.rowid);
      }
      const f = searchable(d);
      const nice = niceKey(d.niceClasses);
      const grp = groupId(db, { kind: d.kind, district: d.district, sector: d.sector, tier: d.tier, status: d.status, nice }, memo);
      const info = insDoc.run({
        rowid: existing?.rowid ?? null, id: d.id, kind: d.kind, district: d.district, sector: d.sector, tier: d.tier,
        status: d.status, nice, grp, expires_at: d.expiresAt, updated_at: d.updatedAt, version: d.version,
        name_norm: f.nameNorm, title_norm: f.titleNorm, py: f.namePy, ini: f.nameIni, idents: f.idents,
      });
      const rowid = existing?.rowid ?? Number(info.lastInsertRowid);
      insBody.run(rowid, JSON.stringify(d));
      insFts.run(rowid, f.nameGrams, f.textGrams, f.uni, f.pinyin, f.ident);
      bump(deltas, grp, 1);
    }
    applyDeltas(db, deltas);
  })(docs);
}

function removeDocs(db: Db, ids: string[]): void {
  const current = db.prepare(`SELECT rowid, grp FROM docs WHERE id = ?`);
  db.transaction((list: string[]) => {
    const deltas: GroupDeltas = new Map();
    for (const id of list) {
      const row = current.get(id) as { rowid: number; grp: number } | undefined;
      if (!row) continue;
      bump(deltas, row.grp, -1);
      db.prepare(`DELETE FROM fts WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM bodies WHERE rowid = ?`).run(row.rowid);
      db.prepare(`DELETE FROM docs WHERE rowid = ?`).run(row.rowid);
    }
    applyDeltas(db, deltas);
  })(ids);
}
