/**
 * The import itself: one pass over the file, batch by batch, for a dry run or for real.
 *
 * Each row is parsed (values.ts), checked with the mongoose schemas (the same rules as every other
 * write), matched to what the database holds by natural key and to the rows before it in the same
 * file, and classified as created / updated / unchanged / rejected. The keys of a batch of rows
 * are looked up together (store.ts: a few indexed `$in` queries per batch). A dry run stops there.
 * A real run then writes each batch through the registry service only: bulkCreate for new brands,
 * trademarks and entries (one change per batch, the documents as checked), upsertByKey for rows
 * that differ — so audit events and search sync follow as for any other write — and records one
 * audit event for the import. A re-import of the same file finds every fingerprint equal and
 * writes nothing.
 *
 * While one batch is being written the next one is parsed and checked, so the program and the
 * database are both busy; memory is bounded by the in-file key maps (about 150 bytes per row) and
 * two batches.
 */
import mongoose from 'mongoose';
import type { EventRecorder } from '../audit/index.js';
import { AppError, type FieldProblem } from '../platform/errors.js';
import { mapLimit } from '../platform/concurrency.js';
import { Brand, Trademark } from '../registries/models.js';
import { REGISTRIES } from '../registries/kinds.js';
import { completeFields, completenessOf } from '../registries/completeness.js';
import type { Kind } from '../registries/reference.js';
import { giOf, giProblems, reasonLengthProblems, referenceProblems, statusReasonProblems } from '../registries/rules.js';
import { referenceChoices } from '../registries/reference-data.js';
import { bulkCreate, upsertByKey, type WriteContext } from '../registries/service.js';
import { FORMATS, mapHeader, type Column, type HeaderMap, type Target } from './formats.js';
import { FileProblem, openSheet, type SheetRow } from './read.js';
import { chooseSlug } from './slug.js';
import { brandKey, fingerprint, KeyStore, listingKey, own, sameFingerprint, type Candidate, type KnownEntry, type RowKeys, type StorePaths } from './store.js';
import { parseCell } from './values.js';
import { isPrecision, precisionPathOf, type PartialDate } from '../registries/partial-date.js';

/** One problem: spreadsheet row (header = 1; 0 = the file as a whole), the column's header text, the message. */
export interface Problem {
  row: number;
  column: string;
  message: string;
  messageEn: string;
}

export type Outcome = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface ImportProgress {
  phase: 'reading' | 'checking' | 'writing';
  /** Data rows processed so far. */
  rows: number;
  bytes: number;
  totalBytes: number;
}

export interface ImportSummary {
  registry: Kind;
  file: string;
  dryRun: boolean;
  /** Data rows read (blank rows not counted). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Problems found (a rejected row may have several). */
  problems: number;
  /** The file could not be read at all (then rows = 0). */
  fileProblem: Problem | null;
  /** Header texts that matched no column (ignored). */
  unknownColumns: string[];
  /** Most frequent problems by column and message, for the report. */
  problemGroups: Array<{ column: string; message: string; messageEn: string; count: number }>;
  fileKind: 'csv' | 'xlsx' | null;
  encoding: string | null;
  seconds: number;
  /** Time spent in writes (real runs; they overlap with reading and checking the next batch). */
  writeSeconds: number;
  /**
   * Seconds per step, for benchmarks: read (parse the file), lookup (keys of each batch), check
   * (validate and compare), and the write steps (brands, trademarks, entries, updates).
   */
  timings: Record<string, number>;
}

export interface ImportOptions {
  registry: Kind;
  /** Path of the file on disk. */
  file: string;
  /** The name the user knows it by (for the audit trail and messages). */
  fileName: string;
  dryRun: boolean;
  actor: string;
  /** Where a real run records its import event: the app's audit trail, or a script's own ChainWriter. */
  audit: EventRecorder;
  onProblem?: (p: Problem) => void | Promise<void>;
  onProgress?: (p: ImportProgress) => void;
  /** Rows per write batch. */
  batchSize?: number;
  now?: Date;
}

/** More data rows than this are refused (split the file). */
export const MAX_ROWS = 1_000_000;

const msg = (zh: string, en: string) => ({ message: zh, messageEn: en });

/**
 * Brand cells a published list often leaves blank — the facts a brand may lack (completeness.ts:
 * company, credit code, district, sector, industry): blank means "not given", never "erase".
 */
const IDENTITY_PATHS: readonly string[] = completeFields('brand');
/** The header of the time-honored listing id column (formats.ts). */
const LISTING_ID = '记录编号';
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** A data row read and cast, with its natural keys (the batch's keys are loaded before planning). */
interface Read {
  r: SheetRow;
  cells: ReturnType<typeof readCells>;
  keys: RowKeys;
}

interface Plan {
  row: number;
  brandOp: 'create' | 'update' | 'none';
  brandId: string;
  brandKey: string;
  /** Row of the file that created this brand (when it was created by an earlier row). */
  brandRow: number;
  brandData: Record<string, unknown>;
  slug?: string;
  tmOp: 'create' | 'update' | 'none';
  tmData: Record<string, unknown>;
  regNo?: string;
  entryOp: 'create' | 'update' | 'none';
  entryKey: string;
  /** The existing entry an update writes to, by id (time-honored listings), or ''. */
  entryId: string;
  entryData: Record<string, unknown>;
  statusChange: boolean;
  statusReason: string;
  problems: Problem[];
  /** New documents as checked, inserted as they are (real runs). */
  brandDoc?: Record<string, unknown>;
  tmDoc?: Record<string, unknown>;
  entryDoc?: Record<string, unknown>;
}

const outcomeOf = (p: Plan): Outcome =>
  p.problems.length
    ? 'rejected'
    : p.brandOp === 'create' || p.tmOp === 'create' || p.entryOp === 'create'
      ? 'created'
      : p.brandOp === 'update' || p.tmOp === 'update' || p.entryOp === 'update'
        ? 'updated'
        : 'unchanged';

/** Fingerprint paths of a target: the columns present (GI as one value; status compared apart). */
function pathsOf(hm: HeaderMap, target: Target): string[] {
  const out = new Set<string>();
  for (const c of hm.present) {
    if (c.target !== target || c.path === 'slug' || c.path === 'status' || c.path === 'statusReason' || c.path === '_id') continue;
    out.add(c.path.startsWith('gi.') ? 'gi' : c.path);
    // A partial date is its date and its precision (partial-date.ts): "2011" is not "2011-01-01".
    if (c.type === 'partialDate') out.add(precisionPathOf(c.path));
  }
  return [...out].sort();
}

const isPartial = (v: unknown): v is PartialDate => typeof v === 'object' && v !== null && 'date' in v && 'precision' in v && isPrecision(v.precision);

/**
 * The row's cells as data per target, plus parse problems. An empty date or number cell means
 * "not given" (keep what is stored; the default for a new entry), so it is left out of the data
 * and listed in `skipped`; an empty text cell means empty.
 */
function readCells(hm: HeaderMap, r: SheetRow) {
  const data: Record<Target, Record<string, unknown>> = { brand: {}, trademark: {}, entry: {} };
  const skipped = new Set<string>();
  const bad = new Set<string>();
  const problems: Problem[] = [];
  let slug = '';
  let reason = '';
  let status = '';
  for (let i = 0; i < hm.byIndex.length; i++) {
    const col = hm.byIndex[i];
    if (!col) continue;
    const header = hm.headerOf.get(col.path) ?? col.header;
    const parsed = parseCell(col.type, r.cells[i] ?? null);
    if ('problem' in parsed) {
      problems.push({ row: r.row, column: header, message: parsed.problem[0], messageEn: parsed.problem[1] });
      skipped.add(col.path);
      bad.add(col.path);
      if (col.type === 'partialDate') skipped.add(precisionPathOf(col.path));
      continue;
    }
    if (col.path === 'slug') slug = String(parsed.value ?? '');
    else if (col.path === 'statusReason') reason = String(parsed.value ?? '');
    else if (col.path === 'status') status = String(parsed.value ?? '');
    else if (parsed.value === undefined) {
      skipped.add(col.path);
      if (col.type === 'partialDate') skipped.add(precisionPathOf(col.path));
    } else if (col.type === 'partialDate' && isPartial(parsed.value)) {
      data[col.target][col.path] = parsed.value.date;
      data[col.target][precisionPathOf(col.path)] = parsed.value.precision;
    } else data[col.target][col.path] = parsed.value;
  }
  return { data, problems, slug, reason, status, skipped, bad };
}

/** Indexes of fingerprint paths to leave out of a comparison. */
const skipSet = (paths: string[], skipped: Set<string>) => new Set(paths.flatMap((p, i) => (skipped.has(p) ? [i] : [])));

/** Mongoose validation errors as problems on the file's columns. */
function problemsFrom(err: unknown, row: number, hm: HeaderMap, target: Target, bad: Set<string> = new Set()): Problem[] {
  if (!(err instanceof mongoose.Error.ValidationError)) throw err;
  const columns = hm.present.filter((c) => c.target === target);
  const headerFor = (path: string): string => {
    const exact =
      columns.find((c) => c.path === path) ??
      columns.find((c) => c.path === path.replace(/\.\d+$/, '')) ??
      columns.find((c) => c.path.split('.')[0] === path.split('.')[0]);
    if (exact) return hm.headerOf.get(exact.path) ?? exact.header;
    const spec = FORMATS.directory.columns
      .concat(FORMATS.famous.columns, FORMATS.certified.columns, FORMATS['time-honored'].columns)
      .find((c) => c.target === target && (c.path === path || c.path.split('.')[0] === path.split('.')[0]));
    return spec?.header ?? path;
  };
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const [path, e] of Object.entries(err.errors)) {
    // A cell that could not be read is already reported; its "required" follows from that.
    if (bad.has(path) || bad.has(path.replace(/\.\d+$/, '')) || (path.startsWith('gi') && (bad.has('gi.product') || bad.has('gi.area')))) continue;
    const column = headerFor(path);
    const kind = e.kind ?? '';
    const value: unknown = e.value;
    let zh: string;
    let en: string;
    if (e.message.includes('|') && !(e instanceof mongoose.Error.CastError)) {
      [zh = '', en = ''] = e.message.split('|', 2);
      if (kind === 'enum' && typeof value === 'string') {
        zh = `“${value.slice(0, 40)}”不是可选的值。${zh}`;
        en = `"${value.slice(0, 40)}" is not allowed: ${en}`;
      }
    } else if (kind === 'required') {
      [zh, en] = [`请填写${column}`, `${column} is required`];
    } else if (kind === 'enum') {
      [zh, en] = [`${column}不是可选的值`, `${column} is not one of the allowed values`];
    } else {
      [zh, en] = [`${column}格式不正确`, `${column} has the wrong format`];
    }
    const k = `${column}\u0000${zh}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ row, column, message: zh, messageEn: en });
  }
  return out;
}

/**
 * Applies the schema's string setters (trim, uppercase, lowercase) to the row's values, so keys
 * and fingerprints see what would be stored — without building a document just for that.
 */
function castStrings(model: { schema: mongoose.Schema }, data: Record<string, unknown>): void {
  for (const [p, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    const o: { trim?: boolean; uppercase?: boolean; lowercase?: boolean } | undefined = model.schema.path(p)?.options;
    if (!o) continue;
    let s = v;
    if (o.trim) s = s.trim();
    if (o.uppercase) s = s.toUpperCase();
    if (o.lowercase) s = s.toLowerCase();
    data[p] = s;
  }
}

/** Validates `data` as a document of `model` (only `paths`, for a change); `doc` is the new document. */
async function validate(
  model: new (data: Record<string, unknown>) => mongoose.Document,
  data: Record<string, unknown>,
  paths: string[] | null,
): Promise<{ err: unknown; doc: mongoose.Document }> {
  const doc = new model(data);
  try {
    await (paths ? doc.validate(paths) : doc.validate());
    return { err: null, doc };
  } catch (err) {
    return { err, doc };
  }
}

/** A matched brand: its id, and its fingerprint when the database holds it. */
const pick = (c: Candidate): { id: string; fp?: string } => (c.fp === undefined ? { id: c.id } : { id: c.id, fp: c.fp });

/** In-file memory of a brand: "<id>\t<brand fp>\t<entry fp>\t<first row>\t<n|o>" (n = created by this file). */
type FileBrand = { id: string; fp: string; entryFp: string; row: number; isNew: boolean };
const packBrand = (b: FileBrand) => `${b.id}\t${b.fp}\t${b.entryFp}\t${b.row}\t${b.isNew ? 'n' : 'o'}`;
function unpackBrand(s: string): FileBrand {
  const [id = '', fp = '', entryFp = '', row = '', n = ''] = s.split('\t');
  return { id, fp, entryFp, row: Number(row), isNew: n === 'n' };
}

class Run {
  readonly format;
  hm!: HeaderMap;
  store!: KeyStore;
  paths!: StorePaths;
  /** Brands the file's rows have used so far, by brand id (packBrand). */
  readonly fileBrands = new Map<string, string>();
  /**
   * Brands this file creates, by name (later rows may mean them): one "<id>\t<credit code>\t<company>"
   * line each, in one flat string per name (about 70 bytes a brand).
   */
  readonly fileNamed = new Map<string, string>();
  readonly fileSlugs = new Set<string>();
  /** Registration numbers (directory) or entry keys (famous, certified, time-honored) → first row. */
  readonly fileRegNos = new Map<string, number>();
  readonly fileEntries = new Map<string, number>();
  /** Brands whose creation failed while writing, with the row that tried. */
  readonly failedBrands = new Map<string, number>();
  readonly summary: ImportSummary;
  readonly groups = new Map<string, { column: string; message: string; messageEn: string; count: number }>();
  readonly ctx: WriteContext;

  constructor(readonly o: ImportOptions) {
    this.format = FORMATS[o.registry];
    this.ctx = { actor: o.actor, reason: `import ${o.fileName}`, now: o.now };
    this.summary = {
      registry: o.registry,
      file: o.fileName,
      dryRun: o.dryRun,
      rows: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      problems: 0,
      fileProblem: null,
      unknownColumns: [],
      problemGroups: [],
      fileKind: null,
      encoding: null,
      seconds: 0,
      writeSeconds: 0,
      timings: {},
    };
  }

  async problem(p: Problem): Promise<void> {
    this.summary.problems++;
    const k = `${p.column}\u0000${p.message}`;
    const g = this.groups.get(k);
    if (g) g.count++;
    else if (this.groups.size < 500) this.groups.set(k, { column: p.column, message: p.message, messageEn: p.messageEn, count: 1 });
    await this.o.onProblem?.(p);
  }

  header(h: string): string {
    const col = this.format.columns.find((c) => c.header === h);
    return (col && this.hm.headerOf.get(col.path)) ?? h;
  }

  /**
   * Which brand a row means (issue #12 item 6): by credit code + name when the row gives a credit
   * code; otherwise, among the brands of that name (in the database, or created by earlier rows)
   * that have no other credit code, by company — or one whose company is not recorded yet; a row
   * without a company takes the only brand of that name, else the only one already on this list
   * (time-honored: on this tier's list first). Several left is a problem naming them, never a guess.
   * No id: a new brand.
   */
  resolveBrand(keys: RowKeys, tier: string): { id: string; fp?: string; problem?: Omit<Problem, 'row'> } {
    const { name, creditCode, company } = keys;
    if (!name) return { id: '' };
    const nameHeader = this.header('品牌名称');
    if (creditCode) {
      const exact = this.store.brand(brandKey(creditCode, name));
      if (exact === 'ambiguous') {
        return {
          id: '',
          problem: {
            column: this.header('统一社会信用代码'),
            ...msg(
              '数据库中有多个品牌使用相同的统一社会信用代码和品牌名称，请先在后台合并',
              'several brands in the database share this credit code and name; merge them in the back office first',
            ),
          },
        };
      }
      if (exact) return exact;
    }
    const packed = this.fileNamed.get(name) ?? '';
    if (creditCode && packed) {
      // A brand an earlier row created with this code (found without splitting: a bulk file's
      // common names gather dozens of brands).
      const at = packed.indexOf(`\t${creditCode}\t`);
      if (at >= 0) return { id: packed.slice(packed.lastIndexOf('\n', at) + 1, at) };
    }
    const db = this.store.named(name);
    // A row with a credit code only considers brands without one; none in sight: a new brand.
    if (creditCode && !db.some((c) => !c.creditCode) && !packed.includes('\t\t')) return { id: '' };
    const fromFile = (packed ? packed.split('\n') : []).map((line): Candidate => {
      const [id = '', cc = '', co = ''] = line.split('\t');
      return { id, slug: '', creditCode: cc, company: co };
    });
    const all = [...db, ...fromFile.filter((f) => !db.some((c) => c.id === f.id))];
    // A brand with another credit code is another brand.
    let pool = creditCode ? all.filter((c) => !c.creditCode) : all;
    if (company) {
      const same = pool.filter((c) => c.company === company);
      if (same.length === 1) return pick(same[0]!);
      pool = same.length > 1 ? same : pool.filter((c) => !c.company);
      if (pool.length <= 1) return pool.length ? pick(pool[0]!) : { id: '' };
    }
    if (pool.length === 0) return { id: '' };
    if (pool.length === 1) return pick(pool[0]!);
    const isNewHere = (c: Candidate) => fromFile.some((f) => f.id === c.id);
    const onTier = tier ? pool.filter((c) => this.store.entry(listingKey(c.id, tier)) || this.fileEntries.has(listingKey(c.id, tier))) : [];
    if (this.store.kind === 'time-honored' && onTier.length === 1) return pick(onTier[0]!);
    const onList = pool.filter((c) => isNewHere(c) || this.store.isOnRegistry(c.id));
    if (onList.length === 1) return pick(onList[0]!);
    const listed = pool
      .slice(0, 5)
      .map((c) => `${name}（${c.company || '未填写企业'}${c.slug ? `，${c.slug}` : ''}）`)
      .join('、');
    const listedEn = pool
      .slice(0, 5)
      .map((c) => `${name} (${c.company || 'no company'}${c.slug ? `, ${c.slug}` : ''})`)
      .join('; ');
    return {
      id: '',
      problem: {
        column: company ? this.header('企业名称') : nameHeader,
        ...msg(
          `有 ${pool.length} 个名为“${name.slice(0, 40)}”的品牌，无法确定本行指哪一个：${listed}；请填写企业名称或统一社会信用代码`,
          `${pool.length} brands are named "${name.slice(0, 40)}" and the row does not say which: ${listedEn}; give the company or the credit code`,
        ),
      },
    };
  }

  /**
   * The time-honored listing a row writes (item 3): the one its listing id names, else the brand's
   * listing of the row's tier (a row without a tier: the brand's only listing). A row never
   * changes an existing listing's tier — that is a problem on the tier column.
   */
  listingOf(row: number, keys: RowKeys, brandId: string, noBrand: boolean, tier: string, problems: Problem[]): { key: string; known: KnownEntry | null } {
    const tierHeader = this.header('老字号级别');
    const idHeader = this.header(LISTING_ID);
    let known: KnownEntry | null = null;
    if (keys.entryId) {
      known = this.store.entryById(keys.entryId);
      if (!known) {
        problems.push({ row, column: idHeader, ...msg(`${idHeader}“${keys.entryId}”不存在`, `no listing has the id "${keys.entryId}"`) });
      } else if (known.brandId !== brandId) {
        problems.push({ row, column: idHeader, ...msg(`${idHeader}“${keys.entryId}”属于另一品牌`, `listing "${keys.entryId}" belongs to another brand`) });
        known = null;
      } else if (tier && tier !== known.tier) {
        problems.push({
          row,
          column: tierHeader,
          ...msg(
            `${idHeader}“${keys.entryId}”是${known.tier}认定，本行为${tier}：导入不改变已有认定的级别（新的认定请清空${idHeader}；级别有误请在后台更正）`,
            `listing "${keys.entryId}" is a ${known.tier} listing and the row says ${tier}: an import never changes a listing's tier (a new listing: leave the id blank; a wrong tier: correct it in the back office)`,
          ),
        });
        known = null;
      }
    } else if (!noBrand) {
      if (tier) known = this.store.entry(listingKey(brandId, tier));
      else {
        const held = this.store.listings(brandId);
        if (held.length === 1) known = held[0]!;
        else if (held.length > 1) {
          problems.push({
            row,
            column: tierHeader,
            ...msg(
              `该品牌有多项老字号认定（${held.map((l) => l.tier).join('、')}），请填写老字号级别`,
              `the brand holds several listings (${held.map((l) => l.tier).join(', ')}): give the tier`,
            ),
          });
        }
      }
    }
    const key = listingKey(brandId, tier || known?.tier || '');
    const earlier = this.fileEntries.get(key);
    if (earlier !== undefined) {
      problems.push({
        row,
        column: tierHeader,
        ...msg(`第 ${earlier} 行已有该品牌的${tier || '老字号'}认定`, `row ${earlier} already holds this brand's ${tier || 'time-honored'} listing`),
      });
    }
    return { key, known };
  }

  /** Reads one data row's cells and keys; `plan` decides once the batch's keys are loaded. */
  read(r: SheetRow): Read {
    const kind = this.o.registry;
    const cells = readCells(this.hm, r);
    const { data, problems, status } = cells;
    if (status === '过期') {
      problems.push({
        row: r.row,
        column: this.header('状态'),
        ...msg('“过期”由有效期自动判断，不能导入；请填写“有效”', '"过期" (expired) follows from the validity date and cannot be imported; write 有效'),
      });
    } else if (status) data.entry.status = status;
    // GI product and area are one value: both or neither (the kernel's rule).
    if ('gi.product' in data.entry || 'gi.area' in data.entry) {
      const gi = { product: data.entry['gi.product'], area: data.entry['gi.area'] };
      delete data.entry['gi.product'];
      delete data.entry['gi.area'];
      if (!cells.bad.has('gi.product') && !cells.bad.has('gi.area')) problems.push(...this.fromRules(r.row, giProblems(gi), cells.bad));
      data.entry.gi = giOf(gi);
    }
    castStrings(Brand, data.brand);
    castStrings(Trademark, data.trademark);
    castStrings(REGISTRIES[kind].model, data.entry);
    // Published lists often leave the company blank and never give a credit code: a blank identity
    // cell is "not given" (keep what is stored), never "erase".
    const blank = IDENTITY_PATHS.filter((path) => data.brand[path] === '');
    if (blank.length) {
      data.brand = Object.fromEntries(Object.entries(data.brand).filter(([k]) => !blank.includes(k)));
      blank.forEach((path) => cells.skipped.add(path));
    }
    // Likewise the entry's facts it may lack (a certificate's scope or issuer): an entry exported
    // with them missing re-imports unchanged, and a published list's blank never erases one.
    const blankFacts = completeFields(kind).filter((path) => data.entry[path] === '');
    if (blankFacts.length) {
      data.entry = Object.fromEntries(Object.entries(data.entry).filter(([k]) => !blankFacts.includes(k)));
      blankFacts.forEach((path) => cells.skipped.add(path));
    }
    const name = String(data.brand.name ?? '');
    const creditCode = String(data.brand.creditCode ?? '');
    const { keyPath, keyTier } = REGISTRIES[kind];
    // The listing id column (time-honored): it names an existing listing; it is not a field to write.
    const idCell = String(data.entry._id ?? '');
    delete data.entry._id;
    const entryId = keyTier && OBJECT_ID.test(idCell) ? idCell.toLowerCase() : '';
    if (idCell && !entryId) {
      problems.push({ row: r.row, column: this.header(LISTING_ID), ...msg(`${this.header(LISTING_ID)}格式不正确`, `the listing id is not well formed`) });
    }
    const keys: RowKeys = {
      brand: name && creditCode ? brandKey(creditCode, name) : '',
      creditCode,
      name,
      company: String(data.brand.company ?? ''),
      slug: cells.slug,
      regNo: kind === 'directory' ? String(data.trademark.regNo ?? '') : '',
      entry: keyPath === 'brand' ? '' : String(data.entry[keyPath] ?? ''),
      entryId,
    };
    return { r, cells, keys };
  }

  /** Checks one data row (read, its batch's keys loaded) and decides what it would write. */
  async plan({ r, cells, keys }: Read): Promise<Plan> {
    const kind = this.o.registry;
    const { data, problems, slug: slugCell, reason, status, skipped, bad } = cells;
    const h = (zh: string) => this.header(zh);
    const plan: Plan = {
      row: r.row,
      brandOp: 'none',
      brandId: '',
      brandKey: '',
      brandRow: r.row,
      brandData: data.brand,
      tmOp: 'none',
      tmData: data.trademark,
      entryOp: 'none',
      entryKey: '',
      entryId: '',
      entryData: data.entry,
      statusChange: false,
      statusReason: reason,
      problems,
    };

    // The brand: by credit code + name, else by name + company, else by name and this registry.
    const { name, creditCode } = keys;
    const key = brandKey(creditCode, name);
    plan.brandKey = key;
    const match = this.resolveBrand(keys, String(data.entry.tier ?? ''));
    if (match.problem) problems.push({ row: r.row, ...match.problem });
    const inFile = match.id ? this.fileBrands.get(match.id) : undefined;
    const fileBrand = inFile ? unpackBrand(inFile) : null;
    const known = !fileBrand && match.id && match.fp !== undefined ? { id: match.id, fp: match.fp } : null;
    const isNewBrand = !match.id && !match.problem;
    const brandId = match.id || new mongoose.Types.ObjectId().toHexString();
    plan.brandId = brandId;
    if (isNewBrand) {
      let slug = slugCell;
      if (slug) {
        if (this.fileSlugs.has(slug) || (await this.store.slugTaken(slug))) {
          problems.push({
            row: r.row,
            column: h('品牌标识'),
            ...msg(`标识“${slug.slice(0, 80)}”已被其他品牌使用`, `slug "${slug.slice(0, 80)}" is already used by another brand`),
          });
        }
      } else if (name) {
        slug = await chooseSlug(name, creditCode, async (s) => this.fileSlugs.has(s) || this.store.slugTaken(s));
      }
      plan.slug = slug || 'pending';
    }
    const brandCheck = isNewBrand
      ? // Without a credit code the brand stores '' (never an invented code): the import finds such brands by it (store.ts).
        await validate(Brand, { creditCode: '', ...data.brand, _id: brandId, slug: plan.slug, version: 1 }, null)
      : await validate(Brand, { ...data.brand, slug: 'existing' }, Object.keys(data.brand));
    if (brandCheck.err) problems.push(...problemsFrom(brandCheck.err, r.row, this.hm, 'brand', bad));
    else if (isNewBrand) plan.brandDoc = this.keep(brandCheck.doc);
    // Values are already as stored (parsed, trimmed, cased), so the row itself is fingerprinted.
    const brandFp = fingerprint(data.brand, this.paths.brand);
    const brandSkip = skipSet(this.paths.brand, skipped);
    if (fileBrand) {
      plan.brandRow = fileBrand.row;
      if (!sameFingerprint(fileBrand.fp, brandFp, brandSkip)) {
        problems.push({
          row: r.row,
          column: h('品牌名称'),
          ...msg(
            `同一品牌在第 ${fileBrand.row} 行的品牌信息（企业、所属区、产业等）与本行不一致`,
            `the brand's details (company, district, sector…) differ from row ${fileBrand.row}`,
          ),
        });
      }
    } else if (known) {
      plan.brandOp = sameFingerprint(known.fp, brandFp, brandSkip) ? 'none' : 'update';
    } else if (isNewBrand) {
      plan.brandOp = 'create';
    }

    // The trademark (directory rows).
    if (kind === 'directory') {
      const regNo = String(data.trademark.regNo ?? '');
      const others = Object.entries(data.trademark).filter(
        ([k, v]) => k !== 'regNo' && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0) && v !== false,
      );
      if (!regNo) {
        if (others.length)
          problems.push({
            row: r.row,
            column: h('商标注册号'),
            ...msg('填写了商标信息，请同时填写商标注册号', 'trademark details are given: the registration number is required too'),
          });
        data.trademark = {};
        plan.tmData = data.trademark;
      } else {
        plan.regNo = regNo;
        const earlier = this.fileRegNos.get(regNo);
        const knownTm = earlier === undefined ? this.store.trademark(regNo) : null;
        if (earlier !== undefined) {
          problems.push({ row: r.row, column: h('商标注册号'), ...msg(`商标注册号与第 ${earlier} 行重复`, `registration number repeats row ${earlier}`) });
        } else if (knownTm && knownTm.brandId !== brandId) {
          problems.push({ row: r.row, column: h('商标注册号'), ...msg('该商标注册号已属于另一个品牌', 'this registration number belongs to another brand') });
        }
        // The mark defaults to the brand name: for a new trademark, or an empty 商标 cell.
        if (!data.trademark.mark && (!knownTm || 'mark' in data.trademark)) data.trademark.mark = name;
        const tmCheck = await validate(
          Trademark,
          { ...data.trademark, brand: brandId, ...(knownTm ? {} : { version: 1 }) },
          knownTm ? Object.keys(data.trademark) : null,
        );
        if (tmCheck.err) problems.push(...problemsFrom(tmCheck.err, r.row, this.hm, 'trademark', bad));
        else if (!knownTm) plan.tmDoc = this.keep(tmCheck.doc);
        if (knownTm) {
          plan.tmOp = sameFingerprint(knownTm.fp, fingerprint(data.trademark, this.paths.trademark), skipSet(this.paths.trademark, skipped))
            ? 'none'
            : 'update';
        } else plan.tmOp = 'create';
      }
    }

    // The registry entry.
    const { model, keyPath, keyTier } = REGISTRIES[kind];
    let entryKey = brandId;
    if (keyPath !== 'brand') entryKey = String(data.entry[keyPath] ?? '');
    const keyHeader = keyPath === 'number' ? h('证书编号') : keyPath === 'trademarkRegNo' ? h('商标注册号') : h('品牌名称');
    const repeatedBrandRow = kind === 'directory' && fileBrand !== null;
    let knownEntry: ReturnType<KeyStore['entry']> = null;
    if (keyTier) {
      // Time-honored: one listing per tier; the row's tier (or its listing id) says which.
      const listing = this.listingOf(r.row, keys, brandId, isNewBrand || Boolean(match.problem), String(data.entry.tier ?? ''), problems);
      entryKey = listing.key;
      knownEntry = listing.known;
      plan.entryId = listing.known?.id ?? '';
    } else if (keyPath !== 'brand' && entryKey) {
      const earlier = this.fileEntries.get(entryKey);
      if (earlier !== undefined) {
        problems.push({ row: r.row, column: keyHeader, ...msg(`${keyHeader}与第 ${earlier} 行重复`, `${keyHeader} repeats row ${earlier}`) });
      } else {
        knownEntry = this.store.entry(entryKey);
        if (knownEntry && knownEntry.brandId !== brandId) {
          problems.push({
            row: r.row,
            column: keyHeader,
            ...msg(`${keyHeader}“${entryKey.slice(0, 40)}”已属于另一品牌`, `${keyHeader} "${entryKey.slice(0, 40)}" already belongs to another brand`),
          });
          knownEntry = null;
        }
      }
    } else if (keyPath === 'brand' && !isNewBrand && !fileBrand && !match.problem) {
      knownEntry = this.store.entry(entryKey);
    }
    plan.entryKey = entryKey;
    const creating = !knownEntry && !repeatedBrandRow;
    if (creating) {
      const { defaultStatus } = REGISTRIES[kind];
      if (data.entry.status === undefined && defaultStatus) data.entry.status = defaultStatus;
      // A new entry keeps the reason it was listed with its status.
      if (reason) data.entry.statusReason = reason;
      problems.push(...this.fromRules(r.row, reasonLengthProblems(reason), bad));
    }
    const entryPaths = [...new Set(Object.keys(data.entry).map((p) => (p.split('.')[0] === 'gi' ? 'gi' : p)))];
    const entryCheck = await validate(model, { ...data.entry, brand: brandId, ...(creating ? { version: 1 } : {}) }, creating ? null : entryPaths);
    // What a new entry needs to be publishable (the kernel's completeness rule), in its columns.
    if (creating) problems.push(...this.fromRules(r.row, completenessOf(kind, entryCheck.doc.toObject()).problems, bad));
    if (entryCheck.err) problems.push(...problemsFrom(entryCheck.err, r.row, this.hm, 'entry', bad));
    else if (creating) plan.entryDoc = this.keep(entryCheck.doc);
    // Levels and statuses are reference data (the kernel's rule; an update may keep a deactivated value).
    problems.push(...this.fromRules(r.row, referenceProblems(model.modelName, data.entry, referenceChoices(creating ? 'active' : 'known')), bad));
    const entryFp = fingerprint(data.entry, this.paths.entry);
    const entrySkip = skipSet(this.paths.entry, skipped);
    if (repeatedBrandRow) {
      const [firstFp = '', firstStatus = ''] = fileBrand!.entryFp.split(':');
      if (!sameFingerprint(firstFp, entryFp, entrySkip) || (status !== '' && status !== firstStatus)) {
        problems.push({
          row: r.row,
          column: h('状态'),
          ...msg(
            `同一品牌在第 ${fileBrand!.row} 行的名录信息（优势商标、地理标志、状态等）与本行不一致`,
            `the directory details (advantage, GI, status…) differ from row ${fileBrand!.row}`,
          ),
        });
      }
    } else if (knownEntry) {
      const newStatus = typeof data.entry.status === 'string' ? data.entry.status : undefined;
      plan.statusChange = Boolean(newStatus && newStatus !== knownEntry.status);
      if (plan.statusChange && newStatus) {
        problems.push(...this.fromRules(r.row, statusReasonProblems(reason, { from: knownEntry.status, to: newStatus }), bad));
      }
      plan.entryOp = sameFingerprint(knownEntry.fp, entryFp, entrySkip) && !plan.statusChange ? 'none' : 'update';
    } else {
      plan.entryOp = 'create';
    }

    // Remember what this row established, so later rows are compared with it.
    if (problems.length === 0) {
      if (!fileBrand) {
        this.fileBrands.set(own(brandId), own(packBrand({ id: brandId, fp: brandFp, entryFp: `${entryFp}:${status}`, row: r.row, isNew: isNewBrand })));
        if (isNewBrand && plan.slug) this.fileSlugs.add(own(plan.slug));
      }
      if (isNewBrand && name) {
        const line = `${brandId}\t${creditCode.replace(/[\t\n]/g, ' ')}\t${keys.company.replace(/[\t\n]/g, ' ')}`;
        const before = this.fileNamed.get(name);
        this.fileNamed.set(own(name), own(before ? `${before}\n${line}` : line));
      }
      if (plan.regNo) this.fileRegNos.set(own(plan.regNo), r.row);
      if ((keyPath !== 'brand' || keyTier) && entryKey) this.fileEntries.set(own(entryKey), r.row);
    }
    return plan;
  }

  /** A new document as it will be inserted (real runs only: a dry run keeps nothing). */
  keep(doc: mongoose.Document): Record<string, unknown> | undefined {
    return this.o.dryRun ? undefined : doc.toObject<Record<string, unknown>>();
  }

  /** Adds the time since `since` to a step of the summary's timings. */
  time(step: string, since: number): void {
    this.summary.timings[step] = (this.summary.timings[step] ?? 0) + (Date.now() - since) / 1000;
  }

  count(o: Outcome): void {
    this.summary.rows++;
    this.summary[o]++;
  }

  /** Writes one batch of checked rows through the registry service. */
  async write(plans: Plan[]): Promise<void> {
    const ok = (p: Plan) => p.problems.length === 0;
    const fail = (p: Plan, problems: Problem[]) => {
      if (ok(p)) p.problems.push(...problems);
      if (p.brandOp === 'create' && !this.failedBrands.has(p.brandId)) this.failedBrands.set(p.brandId, p.row);
    };
    const fromError = (p: Plan, err: unknown, target: Target): Problem[] => {
      if (err instanceof AppError) {
        const cols = this.hm.present.filter((c) => c.target === target);
        if (err.fields.length) {
          return err.fields.map((f) => {
            const col: Column | undefined = cols.find((c) => c.path === f.field || c.path.split('.')[0] === f.field.split('.')[0]);
            return { row: p.row, column: col ? (this.hm.headerOf.get(col.path) ?? col.header) : f.field, message: f.message, messageEn: f.messageEn };
          });
        }
        return [{ row: p.row, column: '', message: err.message, messageEn: err.messageEn }];
      }
      throw err;
    };
    // Rows whose brand an earlier batch failed to create cannot be written either.
    for (const p of plans) {
      const failedAt = this.failedBrands.get(p.brandId);
      if (ok(p) && failedAt !== undefined && failedAt !== p.row) {
        p.problems.push({
          row: p.row,
          column: this.header('品牌名称'),
          ...msg(`该品牌未能创建（见第 ${failedAt} 行）`, `the brand could not be created (see row ${failedAt})`),
        });
      }
    }
    const oid = (hex: string) => new mongoose.Types.ObjectId(hex);
    const live = () => plans.filter(ok);

    // 1. Brands.
    let t0 = Date.now();
    const newBrands = live().filter((p) => p.brandOp === 'create');
    if (newBrands.length) {
      const res = await bulkCreate(
        Brand,
        newBrands.map((p) => p.brandDoc!),
        this.ctx,
        { validated: true },
      );
      for (const rej of res.rejected) {
        const p = newBrands[rej.index];
        if (p)
          fail(
            p,
            rej.problems.map((f) => ({ row: p.row, column: this.columnFor('brand', f.field), message: f.message, messageEn: f.messageEn })),
          );
      }
    }
    this.time('write brands', t0);
    t0 = Date.now();
    await mapLimit(
      live().filter((p) => p.brandOp === 'update'),
      4,
      async (p) => {
        try {
          const r = await upsertByKey(Brand, { _id: oid(p.brandId) }, p.brandData, this.ctx);
          if (r.action === 'unchanged') p.brandOp = 'none';
        } catch (err) {
          fail(p, fromError(p, err, 'brand'));
        }
      },
    );
    for (const p of plans) {
      const failedAt = this.failedBrands.get(p.brandId);
      if (ok(p) && failedAt !== undefined && failedAt !== p.row) {
        p.problems.push({
          row: p.row,
          column: this.header('品牌名称'),
          ...msg(`该品牌未能创建（见第 ${failedAt} 行）`, `the brand could not be created (see row ${failedAt})`),
        });
      }
    }

    this.time('write updates', t0);

    // 2. Trademarks.
    t0 = Date.now();
    const newMarks = live().filter((p) => p.tmOp === 'create');
    if (newMarks.length) {
      const res = await bulkCreate(
        Trademark,
        newMarks.map((p) => p.tmDoc!),
        this.ctx,
        { validated: true },
      );
      for (const rej of res.rejected) {
        const p = newMarks[rej.index];
        if (p)
          fail(
            p,
            rej.problems.map((f) => ({ row: p.row, column: this.columnFor('trademark', f.field), message: f.message, messageEn: f.messageEn })),
          );
      }
    }
    this.time('write trademarks', t0);
    t0 = Date.now();
    await mapLimit(
      live().filter((p) => p.tmOp === 'update'),
      4,
      async (p) => {
        try {
          const { brand: _b, ...changes } = p.tmData;
          const r = await upsertByKey(Trademark, { regNo: p.regNo }, changes, this.ctx);
          if (r.action === 'unchanged') p.tmOp = 'none';
        } catch (err) {
          fail(p, fromError(p, err, 'trademark'));
        }
      },
    );

    this.time('write updates', t0);

    // 3. Entries.
    t0 = Date.now();
    const kind = this.o.registry;
    const { model, keyPath } = REGISTRIES[kind];
    const newEntries = live().filter((p) => p.entryOp === 'create');
    if (newEntries.length) {
      const res = await bulkCreate(
        model,
        newEntries.map((p) => p.entryDoc!),
        this.ctx,
        { validated: true },
      );
      for (const rej of res.rejected) {
        const p = newEntries[rej.index];
        if (p)
          fail(
            p,
            rej.problems.map((f) => ({ row: p.row, column: this.columnFor('entry', f.field), message: f.message, messageEn: f.messageEn })),
          );
      }
    }
    this.time('write entries', t0);
    t0 = Date.now();
    await mapLimit(
      live().filter((p) => p.entryOp === 'update'),
      4,
      async (p) => {
        try {
          const filter = p.entryId ? { _id: oid(p.entryId) } : keyPath === 'brand' ? { brand: oid(p.brandId) } : { [keyPath]: p.entryKey };
          const ctx = p.statusChange ? { ...this.ctx, reason: p.statusReason } : this.ctx;
          const r = await upsertByKey(model, filter, p.entryData, ctx);
          if (r.action === 'unchanged') p.entryOp = 'none';
        } catch (err) {
          fail(p, fromError(p, err, 'entry'));
        }
      },
    );
    this.time('write updates', t0);
  }

  /**
   * The kernel's rule problems (rules.ts) on an entry as problems of the row, each in the column
   * of its field; the fields go into `bad`, so the schema does not report them a second time.
   */
  fromRules(row: number, found: FieldProblem[], bad: Set<string>): Problem[] {
    return found.map((f) => {
      bad.add(f.field);
      const col =
        this.hm.present.find((c) => c.target === 'entry' && c.path === f.field) ?? this.format.columns.find((c) => c.target === 'entry' && c.path === f.field);
      return { row, column: col ? (this.hm.headerOf.get(col.path) ?? col.header) : f.field, message: f.message, messageEn: f.messageEn };
    });
  }

  columnFor(target: Target, field: string): string {
    const col = this.hm.present.find((c) => c.target === target && (c.path === field || c.path.split('.')[0] === field.split('.')[0]));
    return col ? (this.hm.headerOf.get(col.path) ?? col.header) : field;
  }

  async finish(plans: Plan[]): Promise<void> {
    for (const p of plans) {
      this.count(outcomeOf(p));
      for (const pr of p.problems) await this.problem(pr);
    }
  }
}

/**
 * Runs an import (or its dry run) over one file. Problems go to `onProblem` as they are found;
 * the summary counts rows by outcome. Never throws for bad content: an unreadable file becomes
 * `fileProblem`. Throws only when the database fails.
 */
export async function runImport(o: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const run = new Run(o);
  const s = run.summary;
  const batchSize = o.batchSize ?? 2000;
  let reader;
  try {
    reader = await openSheet(o.file);
  } catch (err) {
    if (!(err instanceof FileProblem)) throw err;
    s.fileProblem = { row: 0, column: '', message: err.zh, messageEn: err.en };
    await run.problem(s.fileProblem);
    s.seconds = (Date.now() - started) / 1000;
    return s;
  }
  s.fileKind = reader.kind;
  s.encoding = reader.encoding ?? null;
  const progress = (phase: ImportProgress['phase']) => o.onProgress?.({ phase, rows: s.rows, bytes: reader.bytesRead(), totalBytes: reader.size });

  let batch: Plan[] = [];
  let writing: Promise<void> | null = null;
  let writeMs = 0;
  const flush = async () => {
    if (writing) await writing;
    writing = null;
    if (batch.length === 0) return;
    const plans = batch;
    batch = [];
    if (o.dryRun) {
      await run.finish(plans);
      return;
    }
    const t0 = Date.now();
    // Written while the next batch is read and checked; awaited before the next write starts.
    writing = run.write(plans).then(async () => {
      writeMs += Date.now() - t0;
      await run.finish(plans);
      progress('writing');
    });
  };

  // Rows are read into a batch, the batch's keys are looked up at once, then each row is checked.
  let reads: Read[] = [];
  const check = async () => {
    if (reads.length === 0) return;
    const rows = reads;
    reads = [];
    const t0 = Date.now();
    await run.store.load(rows.map((x) => x.keys));
    run.time('lookup', t0);
    const t1 = Date.now();
    for (let i = 0; i < rows.length; i++) {
      batch.push(await run.plan(rows[i]!));
      if ((i + 1) % 500 === 0) progress('checking');
      // Checking is CPU work that only awaits microtasks: let the event loop (web requests, the
      // write in flight) run every few dozen rows.
      if ((i + 1) % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    run.time('check', t1);
  };

  try {
    let headerSeen = false;
    let dataRows = 0;
    let t0 = Date.now();
    for await (const r of reader.rows()) {
      const blank = r.cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''));
      if (blank) continue;
      if (!headerSeen) {
        headerSeen = true;
        run.hm = mapHeader(
          run.format,
          r.cells.map((c) => (c === null ? '' : String(c))),
        );
        s.unknownColumns = run.hm.unknown;
        const headerProblems: Problem[] = [
          ...run.hm.missing.map((c) => ({
            row: r.row,
            column: c.header,
            ...msg(`缺少必需的列“${c.header}”`, `required column "${c.header}" (${c.en}) is missing`),
          })),
          ...run.hm.duplicate.map((d) => ({ row: r.row, column: d, ...msg(`列“${d}”重复`, `column "${d}" appears twice`) })),
        ];
        if (headerProblems.length) {
          for (const p of headerProblems) await run.problem(p);
          s.fileProblem = headerProblems[0]!;
          break;
        }
        run.paths = { brand: pathsOf(run.hm, 'brand'), trademark: pathsOf(run.hm, 'trademark'), entry: pathsOf(run.hm, 'entry') };
        run.store = new KeyStore(o.registry, run.paths);
        progress('reading');
        continue;
      }
      if (++dataRows > MAX_ROWS) {
        s.fileProblem = { row: r.row, column: '', ...msg(`文件超过 ${MAX_ROWS} 行，请拆分后分批导入`, `the file has more than ${MAX_ROWS} rows; split it`) };
        await run.problem(s.fileProblem);
        break;
      }
      reads.push(run.read(r));
      if (reads.length >= batchSize) {
        run.time('read', t0);
        await check();
        await flush();
        t0 = Date.now();
      }
    }
    run.time('read', t0);
    if (!headerSeen) {
      s.fileProblem = { row: 0, column: '', ...msg('文件中没有内容（至少需要表头行）', 'the file has no content (a header row at least)') };
      await run.problem(s.fileProblem);
    }
    await check();
    await flush();
    if (writing) await writing;
  } catch (err) {
    if (writing) await (writing as Promise<void>).catch(() => {});
    if (!(err instanceof FileProblem)) throw err;
    // Rows already read keep their outcome; the rest of the file could not be read.
    s.fileProblem = { row: 0, column: '', message: err.zh, messageEn: err.en };
    await run.problem(s.fileProblem);
    await check();
    if (batch.length) {
      if (o.dryRun) await run.finish(batch);
      else {
        await run.write(batch);
        await run.finish(batch);
      }
      batch = [];
    }
  }
  s.problemGroups = [...run.groups.values()].sort((a, b) => b.count - a.count).slice(0, 50);
  s.writeSeconds = writeMs / 1000;
  s.seconds = (Date.now() - started) / 1000;
  progress(o.dryRun ? 'checking' : 'writing');
  if (!o.dryRun && s.rows > 0) {
    await o.audit.record({
      action: 'import',
      actor: o.actor,
      subject: o.registry,
      reason: `import ${o.fileName}`,
      detail: { file: o.fileName, rows: s.rows, created: s.created, updated: s.updated, unchanged: s.unchanged, rejected: s.rejected },
    });
  }
  return s;
}
