/**
 * The registries' domain rules (src/registries/rules.ts) are written once and hold on every way
 * in: the registry service refuses a write that breaks one, and the back-office form and the
 * import's dry run report the same problem, in the same words, beside a field or in a column.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runImport, type Problem } from '../src/imports/engine.js';
import { AppError } from '../src/platform/errors.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { FamousMark } from '../src/registries/models.js';
import { giProblems, protectionRecordProblems, statusChangeProblems, statusReasonProblems } from '../src/registries/rules.js';
import { appendProtectionRecord, changeStatus, createEntry, updateEntry } from '../src/registries/service.js';
import { loginAs, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';
import { createTestBrand, DirectoryEntry, encodeNonAscii } from './support/helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'rules-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function csv(lines: string[]): string {
  const file = path.join(tmp, `rows-${++n}.csv`);
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

async function dryRun(file: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  await runImport({
    registry: 'directory',
    file,
    fileName: path.basename(file),
    dryRun: true,
    actor: 'test',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return problems;
}

/** The validation_failed error of a write the service refuses. */
async function refused(fn: () => Promise<unknown>): Promise<AppError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof AppError && err.code === 'validation_failed', `validation_failed, got ${String(err)}`);
    return err;
  }
  assert.fail('the write was accepted');
}

const messageOn = (err: AppError, field: string) => err.fields.find((f) => f.field === field)?.message;

describe('domain rules, one copy for every writer', () => {
  let editor: SignedIn;
  before(async function () {
    this.timeout(60_000);
    editor = await loginAs('editor', { app: testContext().app });
  });

  async function post(path: string, fields: Record<string, string>) {
    const token = await editor.csrf(path.replace(/\/(status|records)$/, ''));
    return editor.agent
      .post(encodeNonAscii(path))
      .type('form')
      .send({ _csrf: token, ...fields });
  }

  it('when a geographic indication has a product but no area, then the service, the form and the dry run refuse it in the same words', async () => {
    const [expected] = giProblems({ product: '沙湖莲藕', area: '' });
    assert.equal(expected?.field, 'gi.area');

    const { brand, slug } = await createTestBrand({ slugPrefix: 'rules-gi', name: '地标规则品牌', directory: false });
    const service = await refused(() => createEntry(DirectoryEntry, { brand: brand._id, status: '在册', gi: { product: '沙湖莲藕', area: '' } }));
    assert.equal(messageOn(service, 'gi.area'), expected.message);

    const form = await post('/admin/directory/new', { brand: slug, 'gi.product': '沙湖莲藕', 'gi.area': '', status: '在册' });
    assert.equal(form.status, 400);
    assert.equal(cheerio.load(form.text)('#f-gi-area-error').text(), expected.message);

    const header = '品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,地理标志产品,地理标志区域,状态';
    const row = `地标导入规则品牌,武汉地标规则有限公司,${demoCreditCode(`rules-gi-${Date.now()}`)},洪山区,一产,农业种植,沙湖莲藕,,在册`;
    const problems = await dryRun(csv([header, row]));
    assert.deepEqual(
      problems.map((p) => [p.column, p.message]),
      [['地理标志区域', expected.message]],
    );
    assert.equal(await DirectoryEntry.countDocuments({ brand: brand._id }), 0, 'nothing was written');
  });

  it('when a status changes with a reason over 500 characters, then the service, the form and the dry run refuse it in the same words', async () => {
    const long = '因'.repeat(501);
    const [expected] = statusReasonProblems(long);
    assert.equal(expected?.field, 'statusReason');

    const { brand, directory } = await createTestBrand({ slugPrefix: 'rules-reason', name: '原因规则品牌' });
    const id = String(directory!._id);
    const service = await refused(() => changeStatus(DirectoryEntry, id, 1, '暂停', long));
    assert.equal(messageOn(service, 'statusReason'), expected.message);
    const update = await refused(() => updateEntry(DirectoryEntry, id, 1, { status: '暂停' }, { reason: long }));
    assert.equal(messageOn(update, 'statusReason'), expected.message, 'a plain update obeys the same rule');

    const form = await post(`/admin/directory/${id}/status`, { version: '1', status: '暂停', statusReason: long });
    assert.equal(form.status, 400);
    assert.equal(cheerio.load(form.text)('#f-statusReason-error').text(), expected.message);

    const problems = await dryRun(csv(['品牌名称,统一社会信用代码,状态,状态原因', `${String(brand.name)},${String(brand.creditCode)},暂停,${long}`]));
    assert.deepEqual(
      problems.map((p) => [p.column, p.message]),
      [['状态原因', expected.message]],
    );
    const saved = await DirectoryEntry.findById(id).lean();
    assert.equal(saved!.status, '在册');
    assert.equal(saved!.version, 1);
  });

  it('when a status change names a status of another registry or the current one, then the service and the form refuse it alike', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'rules-status', name: '状态规则品牌' });
    const id = String(directory!._id);
    const statuses = ['在册', '暂停', '移出'];
    for (const to of ['重点保护', '在册']) {
      const [expected] = statusChangeProblems(statuses, { from: '在册', to, reason: '理由' });
      assert.equal(expected?.field, 'status');
      const service = await refused(() => changeStatus(DirectoryEntry, id, 1, to, '理由'));
      assert.equal(messageOn(service, 'status'), expected.message);
      const form = await post(`/admin/directory/${id}/status`, { version: '1', status: to, statusReason: '理由' });
      assert.equal(form.status, 400);
      assert.equal(cheerio.load(form.text)('#f-status-error').text(), expected.message);
    }
    assert.equal((await DirectoryEntry.findById(id).lean())!.version, 1);
  });

  it('when a protection record breaks a rule, then the service refuses it with the words the ledger form shows', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'rules-rec', name: '台账规则品牌', directory: false });
    const famous = await createEntry(FamousMark, {
      brand: brand._id,
      trademarkRegNo: `R${Date.now().toString().slice(-9)}`,
      status: '重点保护',
      recognition: { date: new Date('2015-03-01'), authority: '国家知识产权局', documentNo: '商标驰字[2015]9号', route: '行政认定' },
    });
    const record = { date: '2024-02-30', kind: '传闻', summary: '   ', links: ['javascript:alert(1)'], corrects: '0123456789abcdef01234567' };
    const expected = protectionRecordProblems(record, []);
    assert.deepEqual(
      expected.map((p) => p.field),
      ['date', 'kind', 'summary', 'links', 'corrects'],
    );
    const service = await refused(() => appendProtectionRecord(famous._id, 1, record));
    assert.deepEqual(service.fields, expected);

    const path = `/admin/famous/${String(famous._id)}/records`;
    const form = await post(path, {
      version: '1',
      'record.date': record.date,
      'record.kind': record.kind,
      'record.summary': record.summary,
      'record.links': record.links.join('\n'),
      'record.corrects': record.corrects,
    });
    assert.equal(form.status, 400);
    const $ = cheerio.load(form.text);
    for (const p of expected) {
      // With no records yet the form has no "corrects" choice: its message is shown above the form.
      if (p.field === 'corrects') assert.ok($('body').text().includes(p.message), p.field);
      else assert.equal($(`#f-record-${p.field}-error`).text(), p.message, p.field);
    }
    assert.equal((await FamousMark.findById(famous._id).lean())!.records.length, 0);
  });
});
