/**
 * Downloadable templates: the registry's header row and one example row, as CSV (UTF-8 with BOM)
 * or XLSX (every column formatted as text, so credit codes and long numbers keep their digits,
 * plus a second sheet explaining each column). Generated from formats.ts, like the docs.
 */
import ExcelJS from 'exceljs';
import type { Kind } from '../registries/reference.js';
import { FORMATS, type Column } from './formats.js';
import { writeCsv } from './export.js';

const TYPE_NOTE: Record<Column['type'], [string, string]> = {
  text: ['文本', 'text'],
  int: ['整数', 'whole number'],
  number: ['数字', 'number'],
  date: ['日期，如 2024-01-31', 'date, e.g. 2024-01-31'],
  partialDate: ['年份、年月或日期，如 2011、2011-06、2011-06-01（也可写 2011年6月）', 'year, month or day, e.g. 2011, 2011-06, 2011-06-01'],
  bool: ['是 / 否', 'yes (是) / no (否)'],
  keywords: ['多个用顿号“、”分隔', 'several separated by 、'],
  intList: ['整数，多个用分号分隔，如 29;30', 'whole numbers separated by ;, e.g. 29;30'],
  status: ['状态', 'status'],
  reason: ['状态变更时必填', 'required when the status changes'],
};

async function* templateRows(kind: Kind): AsyncGenerator<string[]> {
  const cols = FORMATS[kind].columns;
  yield cols.map((c) => c.header);
  yield cols.map((c) => c.example);
}

export async function writeTemplateCsv(kind: Kind, out: NodeJS.WritableStream): Promise<void> {
  await writeCsv(templateRows(kind), out);
}

export async function templateXlsx(kind: Kind): Promise<Buffer> {
  const cols = FORMATS[kind].columns;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('导入模板');
  ws.columns = cols.map((c) => ({ header: c.header, key: c.path, width: Math.max(12, Math.min(40, c.header.length * 2 + 6)), style: { numFmt: '@' } }));
  ws.getRow(1).font = { bold: true };
  ws.addRow(cols.map((c) => c.example));
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  const help = wb.addWorksheet('填写说明 Notes');
  help.columns = [
    { header: '列名', width: 18 },
    { header: 'Column', width: 22 },
    { header: '必填列', width: 8 },
    { header: '格式', width: 34 },
    { header: 'Format', width: 34 },
  ];
  help.getRow(1).font = { bold: true };
  for (const c of cols) help.addRow([c.header, c.en, c.required ? '是' : '', TYPE_NOTE[c.type][0], TYPE_NOTE[c.type][1]]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
