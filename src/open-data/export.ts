/**
 * Streams a registry as CSV, JSON or NDJSON without holding it in memory.
 *
 * Each row joins an entry to its brand (and, for the directory, the brand's trademarks). The join
 * asks the database for nothing but plain, unsorted scans — no `$lookup` (the local stack's server
 * has none), no sorted cursor (a server that cannot sort through an index holds the whole
 * collection in memory to sort it), no look-up per row — and goes through a throwaway SQLite file on
 * disk instead: one pass over the brands (and trademarks) writes them into it keyed by id, then one
 * pass over the entries reads each brand back by primary key. Three sequential scans whatever the
 * size and whatever the server; the process keeps only SQLite's page cache and one batch at a time. When the registry is
 * small (famous marks, time-honored brands, certificates: thousands), a first pass collects the
 * brand ids it needs so the file holds only those brands.
 *
 * Everything is an async generator, so backpressure from the HTTP response (or a test's reader)
 * paces the database cursors; an aborted download closes them.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { csvCell, rowObject, type BrandLite, type Dataset, type JoinedRow, type TrademarkLite } from './datasets.js';

/** A brand as a source yields it: the public fields, its `_id` an ObjectId (MongoDB) or a string. */
export type BrandSource = Omit<BrandLite, '_id'> & { _id: unknown };
/** A trademark as a source yields it: its `brand` an ObjectId (MongoDB) or a string. */
export type TrademarkSource = Omit<TrademarkLite, 'brand'> & { brand: unknown };

export interface ExportSources {
  /** The registry's entries (projected), each with its `brand` id. Called once or twice. */
  entries(): AsyncIterable<Record<string, unknown>>;
  /** Every brand (projected), `_id` included. */
  brands(): AsyncIterable<BrandSource>;
  /** Every trademark (projected), for datasets with trademarks. */
  trademarks?(): AsyncIterable<TrademarkSource>;
  /** Roughly how many entries there are (decides whether to pre-collect brand ids). */
  estimatedEntries(): Promise<number>;
}

export interface JoinOptions {
  /** Up to this many entries, only the brands they reference are written to the join file. */
  smallLimit?: number;
  /** Where the join file goes (default: the OS temp dir). */
  tmpDir?: string;
  /** Rows per SQLite write transaction. */
  batch?: number;
}

const idOf = (v: unknown) => String(v);

// The join file holds JSON this module wrote: a brand with its id as text, a trademark without its brand.
const brandFromJoin = (doc: string): BrandLite => JSON.parse(doc);
const trademarkFromJoin = (doc: string): Omit<TrademarkLite, 'brand'> => JSON.parse(doc);

/** Entries joined to their brand and trademarks, in the entries' cursor order. */
export async function* joinedRows(ds: Dataset, sources: ExportSources, opts: JoinOptions = {}): AsyncGenerator<JoinedRow> {
  const batch = opts.batch ?? 2000;
  const smallLimit = opts.smallLimit ?? 50_000;
  const dir = mkdtempSync(path.join(opts.tmpDir ?? tmpdir(), 'open-data-'));
  const db = new Database(path.join(dir, 'join.sqlite'));
  try {
    // A scratch file: no journal, no fsync; a small page cache keeps memory flat.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('temp_store = FILE');
    db.pragma('cache_size = -16384');
    db.exec('CREATE TABLE brand (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID; CREATE TABLE tm (brand TEXT NOT NULL, doc TEXT NOT NULL);');

    let wanted: Set<string> | null = null;
    if ((await sources.estimatedEntries()) <= smallLimit) {
      wanted = new Set();
      for await (const e of sources.entries()) wanted.add(idOf(e.brand));
    }

    const putBrand = db.prepare('INSERT OR REPLACE INTO brand (id, doc) VALUES (?, ?)');
    const brandTx = db.transaction((rows: BrandSource[]) => {
      for (const b of rows) putBrand.run(idOf(b._id), JSON.stringify({ ...b, _id: idOf(b._id) }));
    });
    let pending: BrandSource[] = [];
    for await (const b of sources.brands()) {
      if (wanted && !wanted.has(idOf(b._id))) continue;
      pending.push(b);
      if (pending.length >= batch) {
        brandTx(pending);
        pending = [];
      }
    }
    brandTx(pending);
    wanted = null;

    if (ds.withTrademarks && sources.trademarks) {
      const putTm = db.prepare('INSERT INTO tm (brand, doc) VALUES (?, ?)');
      const tmTx = db.transaction((rows: TrademarkSource[]) => {
        for (const t of rows) putTm.run(idOf(t.brand), JSON.stringify({ regNo: t.regNo, niceClasses: t.niceClasses ?? [], madrid: Boolean(t.madrid) }));
      });
      let tms: TrademarkSource[] = [];
      for await (const t of sources.trademarks()) {
        tms.push(t);
        if (tms.length >= batch) {
          tmTx(tms);
          tms = [];
        }
      }
      tmTx(tms);
      db.exec('CREATE INDEX tm_brand ON tm (brand)');
    }

    const getBrand = db.prepare<[string], { doc: string }>('SELECT doc FROM brand WHERE id = ?');
    const getTms = ds.withTrademarks ? db.prepare<[string], { doc: string }>('SELECT doc FROM tm WHERE brand = ?') : null;
    for await (const entry of sources.entries()) {
      const id = idOf(entry.brand);
      const b = getBrand.get(id);
      yield {
        entry,
        brand: b ? brandFromJoin(b.doc) : null,
        trademarks: getTms ? getTms.all(id).map((r) => ({ brand: id, ...trademarkFromJoin(r.doc) })) : [],
      };
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Format = 'csv' | 'json' | 'ndjson';

const CSV_BOM = '\ufeff';

/** RFC 4180 quoting: quote a field that holds a comma, quote, CR or LF; double inner quotes. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The serialised download, chunk by chunk (one chunk per `chunkRows` rows). CSV is UTF-8 with a
 * BOM (so spreadsheet programs read the Chinese correctly), a header row of column keys, CRLF line
 * ends; JSON is one array; NDJSON is one object per line.
 */
export async function* serialize(ds: Dataset, rows: AsyncIterable<JoinedRow>, format: Format, now = new Date(), chunkRows = 200): AsyncGenerator<string> {
  let buf: string[] = [];
  let first = true;
  if (format === 'csv') buf.push(CSV_BOM + ds.columns.map((c) => csvField(c.key)).join(',') + '\r\n');
  if (format === 'json') buf.push('[');
  for await (const row of rows) {
    const obj = rowObject(ds, row, now);
    if (format === 'csv') buf.push(ds.columns.map((c) => csvField(csvCell(obj[c.key]))).join(',') + '\r\n');
    else if (format === 'json') buf.push(`${first ? '' : ','}\n${JSON.stringify(obj)}`);
    else buf.push(`${JSON.stringify(obj)}\n`);
    first = false;
    if (buf.length >= chunkRows) {
      yield buf.join('');
      buf = [];
    }
  }
  if (format === 'json') buf.push(first ? ']\n' : '\n]\n');
  if (buf.length) yield buf.join('');
}
