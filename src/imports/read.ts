/**
 * Streams the rows of an uploaded spreadsheet, whatever it is: XLSX (recognised by its zip
 * signature, read with exceljs' streaming reader, first worksheet) or CSV/TSV (UTF-8 with or
 * without BOM, UTF-16 with BOM, or GB18030/GBK as Excel on Chinese Windows saves "CSV"). Rows
 * keep their spreadsheet numbers (header = row 1), so problems can be found in Excel.
 * Memory stays flat: one record at a time, with a cap on the size of a record.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { errorCode, errorMessage } from '../platform/guards.js';
import { fromExcel, type Cell } from './values.js';

export interface SheetRow {
  /** Row number as the spreadsheet shows it (1 = the first line). */
  row: number;
  cells: Cell[];
}

export interface SheetReader {
  kind: 'csv' | 'xlsx';
  /** CSV only: the text encoding that was detected. */
  encoding?: string;
  /** Size of the file in bytes. */
  size: number;
  /** Bytes consumed so far (for progress). */
  bytesRead(): number;
  rows(): AsyncGenerator<SheetRow>;
}

/** A problem with the file as a whole (not one row): unreadable, wrong encoding, too big a record. */
export class FileProblem extends Error {
  constructor(
    readonly zh: string,
    readonly en: string,
    options?: { cause?: unknown },
  ) {
    super(en, options);
    this.name = 'FileProblem';
  }
}

/** No CSV record may be larger than this (a runaway quote would otherwise buffer the whole file). */
const MAX_RECORD_BYTES = 1_000_000;
/** Columns beyond this are ignored: no registry has more than ~30. */
export const MAX_COLUMNS = 200;

async function head(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** UTF-8 unless the bytes say otherwise: a BOM, or bytes that are not valid UTF-8 (then GB18030). */
export function detectEncoding(sample: Buffer): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030'; bom: number } {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { encoding: 'utf-8', bom: 3 };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  try {
    // stream: true tolerates a character cut in half at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return { encoding: 'utf-8', bom: 0 };
  } catch {
    return { encoding: 'gb18030', bom: 0 };
  }
}

/** Comma unless the first line has more tabs or semicolons (Excel's "Unicode text", European CSV). */
function detectDelimiter(firstLine: string): string {
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const counts: Array<[string, number]> = [
    [',', count(',')],
    ['\t', count('\t')],
    [';', count(';')],
  ];
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

function decoder(encoding: string, skip: number, onBytes: (n: number) => void): Transform {
  const td = new TextDecoder(encoding, { fatal: true });
  let skipped = 0;
  let offset = 0;
  return new Transform({
    readableObjectMode: false,
    decodeStrings: true,
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      let c = chunk;
      if (skipped < skip) {
        const k = Math.min(skip - skipped, c.length);
        skipped += k;
        c = c.subarray(k);
      }
      try {
        const s = td.decode(c, { stream: true });
        offset += c.length;
        cb(null, s);
      } catch (err) {
        cb(
          new FileProblem(
            `文件不是有效的 ${encoding.toUpperCase()} 文本（约第 ${offset} 字节处），请另存为“CSV UTF-8”或 XLSX 后重试`,
            `the file is not valid ${encoding.toUpperCase()} text (near byte ${offset}); save it as "CSV UTF-8" or XLSX and try again`,
            { cause: err },
          ),
        );
      }
    },
    flush(cb) {
      try {
        cb(null, td.decode());
      } catch (err) {
        cb(new FileProblem('文件末尾的字符不完整', 'the file ends in the middle of a character', { cause: err }));
      }
    },
  });
}

function csvReader(file: string, size: number, sample: Buffer): SheetReader {
  const { encoding, bom } = detectEncoding(sample);
  let firstLine: string;
  try {
    const text = new TextDecoder(encoding).decode(sample.subarray(bom));
    firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  } catch {
    firstLine = '';
  }
  const delimiter = detectDelimiter(firstLine);
  let bytes = 0;
  return {
    kind: 'csv',
    encoding,
    size,
    bytesRead: () => bytes,
    async *rows() {
      const source = createReadStream(file, { highWaterMark: 256 * 1024 });
      const dec = decoder(encoding, bom, (n) => (bytes += n));
      const parser = parse({
        delimiter,
        relax_column_count: true,
        relax_quotes: true,
        max_record_size: MAX_RECORD_BYTES,
        skip_records_with_empty_values: false,
      });
      source.on('error', (err) => dec.destroy(err));
      dec.on('error', (err) => parser.destroy(err));
      source.pipe(dec).pipe(parser);
      let row = 0;
      try {
        for await (const record of parser as AsyncIterable<string[]>) {
          row++;
          yield { row, cells: record.length > MAX_COLUMNS ? record.slice(0, MAX_COLUMNS) : record };
        }
      } catch (err) {
        if (err instanceof FileProblem) throw err;
        const code = errorCode(err);
        if (code === 'CSV_MAX_RECORD_SIZE') {
          throw new FileProblem(`第 ${row + 1} 行过长（超过 1 MB），可能是引号未闭合`, `row ${row + 1} is too long (over 1 MB); a quote may be unclosed`, {
            cause: err,
          });
        }
        if (typeof code === 'string' && code.startsWith('CSV_')) {
          const message = errorMessage(err);
          throw new FileProblem(
            `第 ${row + 1} 行附近的 CSV 格式有误：${message}`.slice(0, 300),
            `CSV format error near row ${row + 1}: ${message}`.slice(0, 300),
            { cause: err },
          );
        }
        throw err;
      } finally {
        source.destroy();
      }
    },
  };
}

/** The parts of exceljs' streaming reader that take the zip entries' bytes (not in its typings). */
interface WorkbookReaderParts {
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: number): Generator<unknown>;
}

/** Text decoded across chunk boundaries: a character split between two chunks is joined, not lost. */
async function* utf8Chunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * exceljs' streaming reader decodes each decompressed chunk of the shared strings and of a
 * worksheet on its own (a fresh TextDecoder call per chunk), so a Chinese character split across
 * two chunks becomes U+FFFD — exceljs issues #2063 and #2316, the fix unmerged as of 4.4. This
 * reader hands it text instead: the shared strings' entry decodes as a stream (setEncoding keeps a
 * StringDecoder across chunks), the worksheet's chunks go through utf8Chunks. exceljs passes
 * strings through untouched. test/xlsx-utf8.test.ts fails without it.
 */
const base = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as WorkbookReaderParts;
class Utf8WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncGenerator<unknown> {
    entry.setEncoding('utf8');
    return base._parseSharedStrings.call(this, entry);
  }

  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: number): Generator<unknown> {
    return base._parseWorksheet.call(this, utf8Chunks(iterator), sheetNo);
  }
}

function xlsxReader(file: string, size: number): SheetReader {
  let bytes = 0;
  return {
    kind: 'xlsx',
    size,
    bytesRead: () => bytes,
    async *rows() {
      const source = createReadStream(file, { highWaterMark: 256 * 1024 });
      source.on('data', (chunk) => (bytes += chunk.length));
      const reader = new Utf8WorkbookReader(source, {
        worksheets: 'emit',
        sharedStrings: 'cache',
        styles: 'cache',
        hyperlinks: 'ignore',
        entries: 'ignore',
      });
      try {
        for await (const sheet of reader) {
          for await (const r of sheet) {
            const values: unknown[] = Array.isArray(r.values) ? r.values : [];
            const cells: Cell[] = [];
            // exceljs rows are 1-based and sparse.
            const n = Math.min(values.length - 1, MAX_COLUMNS);
            for (let i = 1; i <= n; i++) cells.push(fromExcel(values[i]));
            yield { row: r.number, cells };
          }
          break; // the first worksheet only
        }
      } catch (err) {
        if (err instanceof FileProblem) throw err;
        throw new FileProblem(
          '无法读取该 XLSX 文件，请确认文件未损坏并另存为 Excel 工作簿（.xlsx）',
          'cannot read this XLSX file; check it is not damaged and save it as an Excel workbook (.xlsx)',
          { cause: err },
        );
      } finally {
        source.destroy();
      }
    },
  };
}

/** Opens a spreadsheet file for streaming; XLSX vs CSV is decided by the content, not the name. */
export async function openSheet(file: string): Promise<SheetReader> {
  const { size } = await stat(file);
  if (size === 0) throw new FileProblem('文件是空的', 'the file is empty');
  const sample = await head(file, 64 * 1024);
  if (sample[0] === 0x50 && sample[1] === 0x4b && sample[2] === 0x03 && sample[3] === 0x04) return xlsxReader(file, size);
  if (sample[0] === 0xd0 && sample[1] === 0xcf && sample[2] === 0x11 && sample[3] === 0xe0) {
    throw new FileProblem('不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV UTF-8', 'old Excel (.xls) files are not supported; save as .xlsx or CSV UTF-8');
  }
  if (sample.includes(0) && sample[0] !== 0xff && sample[0] !== 0xfe) {
    throw new FileProblem('无法识别的文件格式，请上传 CSV 或 XLSX 文件', 'unrecognised file format; upload a CSV or XLSX file');
  }
  return csvReader(file, size, sample);
}
