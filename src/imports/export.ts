/**
 * Export of a registry (or the brand list) as CSV or XLSX, in the import format: the same columns
 * and cell formats, so an export re-imports with nothing changed.
 *
 * Rows are streamed, never collected: brands, entries and trademarks are read as three cursors
 * sorted by brand id and merged (like a merge join), which reads each collection once, in order,
 * with no look-up per row. Filters are the admin lists' (status, district, sector, tier/level,
 * nice); a text query `q` asks the search index for the matching entries (capped) and then reads
 * just those, a chunk of ids at a time with `$in`.
 */
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import mongoose from 'mongoose';
import { AppError } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { Brand, Trademark, type TrademarkDoc } from '../registries/models.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { parseSearchParams } from '../search/params.js';
import type { SearchIndex } from '../search/port.js';
import { FORMATS, type Column } from './formats.js';
import { entryModel } from '../registries/kinds.js';
import { precisionPathOf } from '../registries/partial-date.js';
import { formatCell, formatDay, neutralizeFormula } from './values.js';

export const EXPORT_KINDS = [...KINDS, 'brands'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** Most entries a text-query export reads from the search index. */
export const MAX_QUERY_EXPORT = 20_000;

/** The columns of an export: the registry's import format; the brand list gets the brand columns. */
export function exportColumns(kind: ExportKind): Column[] {
  if (kind === 'brands') return FORMATS.directory.columns.filter((c) => c.target === 'brand');
  return FORMATS[kind].columns;
}

export interface ExportFilter {
  q: string;
  /** Filters on the brand: the list's district and sector. */
  brand: { district?: string; sector?: string };
  entry: Record<string, unknown>;
  nice?: number;
}

/**
 * Validates the list's query string (the same parameters and messages as the admin lists; `level`
 * is accepted as another name for `tier`) and turns it into MongoDB filters.
 */
export function exportFilter(kind: ExportKind, query: Record<string, unknown>, now = new Date()): ExportFilter {
  const q = { ...query };
  if (typeof q.level === 'string' && q.tier === undefined) q.tier = q.level;
  delete q.level;
  const { search } = parseSearchParams(q, kind === 'brands' ? undefined : kind);
  const f = search.filters;
  const brand: ExportFilter['brand'] = {};
  const entry: Record<string, unknown> = {};
  if (f.district) brand.district = f.district;
  if (f.sector) brand.sector = f.sector;
  if (kind !== 'brands') {
    if (f.status) {
      if (kind === 'certified' && f.status === '过期') Object.assign(entry, { status: '有效', validUntil: mongoose.trusted({ $lt: now }) });
      else if (kind === 'certified' && f.status === '有效') Object.assign(entry, { status: '有效', validUntil: mongoose.trusted({ $gte: now }) });
      else entry.status = f.status;
    }
    if (f.tier) {
      if (kind === 'directory') {
        if (f.tier === '地理标志') entry.gi = mongoose.trusted({ $ne: null });
        else if (f.tier === '优势商标') Object.assign(entry, { advantage: true, gi: null });
        else Object.assign(entry, { advantage: mongoose.trusted({ $ne: true }), gi: null });
      } else if (kind === 'famous') entry['recognition.route'] = f.tier;
      else if (kind === 'time-honored') entry.tier = f.tier;
      else entry.level = f.tier;
    }
  }
  return { q: search.q, brand, entry, nice: f.nice ? Number(f.nice) : undefined };
}

function getPath(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (!isRecord(v)) return undefined;
    v = v[part];
  }
  return v;
}

/**
 * A registry entry as read for an export. The four registries are read alike through one model, so
 * an entry is a field map; the columns (formats.ts) say which paths to read.
 */
type LeanEntry = Record<string, unknown> & { _id: mongoose.Types.ObjectId; brand?: unknown };

/** One export row (cells as text) from a brand, its entry and one of its trademarks. */
function toCells(columns: Column[], brand: object, entry: object | null, tm: object | null): string[] {
  return columns.map((c) => {
    const src = c.target === 'brand' ? brand : c.target === 'trademark' ? tm : entry;
    // A partial date is written as given ("2011", "2011-06"), so it re-imports unchanged.
    if (c.type === 'partialDate') return formatCell(c.type, { date: getPath(src, c.path), precision: getPath(src, precisionPathOf(c.path)) });
    return formatCell(c.type, getPath(src, c.path));
  });
}

/** Ids or slugs per `$in` query. */
const IN_CHUNK = 500;
function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

const hex = (id: unknown) => (id instanceof mongoose.Types.ObjectId ? id.toHexString() : String(id));

/** A cursor we can peek into. */
class Peek<T> {
  private it: AsyncIterator<T>;
  private head: T | undefined;
  private done = false;
  constructor(iterable: AsyncIterable<T>) {
    this.it = iterable[Symbol.asyncIterator]();
  }
  async peek(): Promise<T | undefined> {
    if (this.head === undefined && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.head = r.value;
    }
    return this.head;
  }
  async next(): Promise<T | undefined> {
    const v = await this.peek();
    this.head = undefined;
    return v;
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** Entry ids matching a text query, from the search index (capped). */
async function queryEntryIds(kind: Kind, filter: ExportFilter, query: Record<string, unknown>, index: SearchIndex): Promise<string[]> {
  const { search } = parseSearchParams(query, kind);
  const ids: string[] = [];
  for (let page = 1; ids.length < MAX_QUERY_EXPORT; page++) {
    const r = await index.search({ ...search, q: filter.q, sort: 'updated', page, pageSize: 1000, facets: false });
    ids.push(...r.hits.map((h) => h.doc.entryId));
    if (r.hits.length < 1000 || ids.length >= r.total) break;
  }
  return ids.slice(0, MAX_QUERY_EXPORT);
}

/**
 * The rows of an export, header first. Reads the three collections as cursors merged on the brand
 * id; with a text query, only the entries the index found (read by id, 500 at a time).
 */
export async function* exportRows(
  kind: ExportKind,
  filter: ExportFilter,
  deps: { index?: SearchIndex; query?: Record<string, unknown> } = {},
): AsyncGenerator<string[]> {
  const columns = exportColumns(kind);
  // Refused before the first row, so the client gets an error page rather than a cut-off file.
  if (filter.q && !deps.index) throw new AppError('bad_request', '按关键词导出需要搜索服务', { messageEn: 'Exporting by keyword needs the search service' });
  // The search index is asked before the first row too (it may be unavailable: a 503 page, not a cut-off file).
  const slugs =
    kind === 'brands' && filter.q && deps.index
      ? [
          ...new Set(
            (await deps.index.search({ q: filter.q, filters: { ...filter.brand }, sort: 'relevance', page: 1, pageSize: 1000, facets: false })).hits.map(
              (h) => h.doc.slug,
            ),
          ),
        ]
      : [];
  const ids = kind !== 'brands' && filter.q && deps.index ? await queryEntryIds(kind, filter, deps.query ?? {}, deps.index) : [];
  yield columns.map((c) => c.header);
  if (kind === 'brands') {
    if (filter.q) {
      for (const part of chunks(slugs)) {
        const found = await Brand.find({ ...filter.brand, slug: mongoose.trusted({ $in: part }) }).lean();
        const bySlug = new Map(found.map((b) => [String(b.slug), b]));
        // In the search index's order.
        for (const slug of part) {
          const b = bySlug.get(slug);
          if (b) yield toCells(columns, b, null, null);
        }
      }
      return;
    }
    for await (const b of Brand.find(filter.brand).sort({ _id: 1 }).lean().cursor({ batchSize: 2000 })) yield toCells(columns, b, null, null);
    return;
  }
  const model = entryModel(kind);
  const withMarks = kind === 'directory';

  if (filter.q) {
    for (const part of chunks(ids)) {
      const entries = await model.find({ ...filter.entry, _id: mongoose.trusted({ $in: part }) }).lean<LeanEntry[]>();
      const brandIds = [...new Set(entries.map((e) => hex(e.brand)))];
      const [brands, marks] = await Promise.all([
        Brand.find({ ...filter.brand, _id: mongoose.trusted({ $in: brandIds }) }).lean(),
        withMarks
          ? Trademark.find({ brand: mongoose.trusted({ $in: brandIds }) })
              .sort({ regNo: 1 })
              .lean()
          : Promise.resolve([]),
      ]);
      const byId = new Map(entries.map((e) => [hex(e._id), e]));
      const brandById = new Map(brands.map((b) => [hex(b._id), b]));
      const marksOf = new Map<string, typeof marks>();
      for (const t of marks) marksOf.set(hex(t.brand), [...(marksOf.get(hex(t.brand)) ?? []), t]);
      // In the search index's order.
      for (const id of part) {
        const e = byId.get(id);
        const b = e && brandById.get(hex(e.brand));
        if (!e || !b) continue;
        const tms = marksOf.get(hex(b._id)) ?? [];
        if (filter.nice && !tms.some((t) => t.niceClasses.includes(filter.nice!))) continue;
        if (tms.length) for (const t of tms) yield toCells(columns, b, e, t);
        else yield toCells(columns, b, e, null);
      }
    }
    return;
  }

  const brands = new Peek(Brand.find(filter.brand).sort({ _id: 1 }).lean().cursor({ batchSize: 2000 }));
  const entries = new Peek(model.find(filter.entry).sort({ brand: 1, _id: 1 }).lean<LeanEntry[]>().cursor({ batchSize: 2000 }));
  const marks = withMarks ? new Peek(Trademark.find().sort({ brand: 1, regNo: 1 }).lean().cursor({ batchSize: 2000 })) : null;
  try {
    for (let e = await entries.next(); e; e = await entries.next()) {
      const bid = hex(e.brand);
      let b = await brands.peek();
      while (b && hex(b._id) < bid) {
        await brands.next();
        b = await brands.peek();
      }
      const tms: TrademarkDoc[] = [];
      if (marks) {
        let t = await marks.peek();
        while (t && hex(t.brand) < bid) {
          await marks.next();
          t = await marks.peek();
        }
        while (t && hex(t.brand) === bid) {
          tms.push((await marks.next())!);
          t = await marks.peek();
        }
      }
      if (!b || hex(b._id) !== bid) continue; // brand filtered out (district, sector) or missing
      if (filter.nice && !tms.some((t) => t.niceClasses.includes(filter.nice!))) continue;
      if (tms.length === 0) yield toCells(columns, b, e, null);
      else for (const t of tms) yield toCells(columns, b, e, t);
    }
  } finally {
    await Promise.all([brands.close(), entries.close(), marks?.close()]);
  }
}

const FILE_LABEL: Record<ExportKind, string> = {
  directory: '商标品牌名录',
  famous: '驰名商标工作台账',
  'time-honored': '老字号名录',
  certified: '精品认定',
  brands: '品牌',
};

/**
 * Content-Disposition for a download: an ASCII fallback name plus the Chinese name in RFC 5987
 * encoding (filename*=UTF-8''…), which every current browser prefers.
 */
export function contentDisposition(asciiName: string, utf8Name: string): string {
  const safeAscii = asciiName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(utf8Name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${safeAscii}"; filename*=UTF-8''${encoded}`;
}

/** File names for an export made today: `directory-2026-11-26.csv` and `商标品牌名录-2026-11-26.csv`. */
export function exportFileNames(kind: ExportKind, ext: 'csv' | 'xlsx', now = new Date()): { ascii: string; utf8: string } {
  const day = formatDay(new Date(now.getTime() + 8 * 3600_000)); // the bureau's day (UTC+8)
  return { ascii: `${kind}-${day}.${ext}`, utf8: `${FILE_LABEL[kind]}-${day}.${ext}` };
}

async function drain(res: NodeJS.WritableStream): Promise<void> {
  // Node's streams say when their buffer is full; other writable streams are written without waiting.
  if ('writableNeedDrain' in res && res.writableNeedDrain) await once(res, 'drain');
}

/**
 * Writes rows as CSV: UTF-8 with a BOM (so Excel opens it as UTF-8), CRLF, and every cell that a
 * spreadsheet would run as a formula (= + - @) prefixed with an apostrophe.
 */
export async function writeCsv(rows: AsyncIterable<string[]>, out: NodeJS.WritableStream): Promise<void> {
  const csv = stringify({ record_delimiter: 'windows', quoted_match: /[\s,"]/ });
  csv.pipe(out, { end: false });
  out.write('\uFEFF');
  let first = true;
  for await (const row of rows) {
    const cells = first ? row : row.map(neutralizeFormula);
    first = false;
    if (!csv.write(cells)) await once(csv, 'drain');
    await drain(out);
  }
  csv.end();
  await once(csv, 'end');
}

/** Writes rows as an XLSX workbook (streaming writer; every cell is text, nothing is a formula). */
export async function writeXlsx(rows: AsyncIterable<string[]>, out: Writable, sheetName: string): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName.slice(0, 31));
  let first = true;
  let n = 0;
  for await (const row of rows) {
    if (first) {
      ws.columns = row.map((h) => ({ header: h, key: h, width: Math.max(10, Math.min(40, h.length * 2 + 4)), style: { numFmt: '@' } }));
      ws.getRow(1).font = { bold: true };
      ws.getRow(1).commit();
      first = false;
      continue;
    }
    ws.addRow(row).commit();
    if (++n % 500 === 0) await drain(out);
  }
  ws.commit();
  await wb.commit();
}

/** Sends an export as a download. Errors after the first byte end the response (truncated file). */
export async function sendExport(res: Response, kind: ExportKind, ext: 'csv' | 'xlsx', rows: AsyncIterable<string[]>, now = new Date()): Promise<void> {
  const names = exportFileNames(kind, ext, now);
  // Read the first row before committing to a 200, so a bad filter still gets an error page.
  const it = rows[Symbol.asyncIterator]();
  const head = await it.next();
  const all: AsyncIterable<string[]> = {
    async *[Symbol.asyncIterator]() {
      if (!head.done) yield head.value;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    },
  };
  res.status(200);
  res.setHeader('Content-Type', ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  res.setHeader('Content-Disposition', contentDisposition(names.ascii, names.utf8));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (ext === 'csv') await writeCsv(all, res);
  else await writeXlsx(all, res, FILE_LABEL[kind]);
  res.end();
}
