/**
 * exceljs' streaming reader decodes each compressed chunk of a worksheet or of the shared strings
 * on its own, so a Chinese character split across two chunks came out as U+FFFD (exceljs issues
 * #2063, #2316): an export re-imported as "武���沙湖…", a regulator's file silently corrupted.
 * The import's reader (src/imports/read.ts) hands exceljs text decoded across chunk boundaries.
 */
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSheet } from '../src/imports/read.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'xlsx-utf8-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Distinct Chinese names (each three bytes a character in UTF-8), so the strings fill many chunks. */
const HAN = '武汉江城汤包热干面莲藕排骨鸭脖豆皮糊汤粉面窝蛋酒米酒桂花糕点茶叶黄鹤楼';
const namesOf = (count: number) =>
  Array.from({ length: count }, (_, i) => `${HAN.slice(i % 20, (i % 20) + 8)}${i}号${HAN.slice((i * 7) % 20, ((i * 7) % 20) + 5)}有限公司`);
const names = namesOf(6000);

async function readBack(file: string): Promise<string[]> {
  const sheet = await openSheet(file);
  const out: string[] = [];
  for await (const r of sheet.rows()) out.push(String(r.cells[0] ?? ''));
  return out;
}

describe('XLSX import: Chinese text across chunk boundaries', () => {
  it('when a workbook with shared strings holds thousands of Chinese names, then every one reads back exactly, with no U+FFFD', async () => {
    const file = path.join(tmp, 'shared.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名录');
    for (const n of names) ws.addRow([n]);
    await wb.xlsx.writeFile(file);
    const back = await readBack(file);
    assert.equal(back.filter((s) => s.includes('\uFFFD')).length, 0, 'no replacement characters');
    assert.deepEqual(back, names);
  });

  it('when a streamed workbook keeps its strings inline in the worksheet, then every one reads back exactly', async () => {
    // Inline strings are parsed in larger pieces: it takes ~20,000 rows for exceljs alone to break some.
    const many = namesOf(20_000);
    const file = path.join(tmp, 'inline.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false });
    const ws = wb.addWorksheet('名录');
    for (const n of many) ws.addRow([n]).commit();
    ws.commit();
    await wb.commit();
    const back = await readBack(file);
    assert.equal(back.filter((s) => s.includes('\uFFFD')).length, 0, 'no replacement characters');
    assert.deepEqual(back, many);
  });
});
