/**
 * Spreadsheet import and export: the dry run's problem list, a clean import found by search, a
 * re-import that changes nothing, XLSX and GBK files, export → re-import round trips, and the
 * back-office pages (roles, CSRF, size limit, hostile content).
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import ExcelJS from 'exceljs';
import express, { Router, type Express } from 'express';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { adminRoutes } from '../src/admin/index.js';
import { AuditEvent } from '../src/audit/index.js';
import type { Config } from '../src/config/index.js';
import { runImport, type ImportSummary, type Problem } from '../src/imports/engine.js';
import { exportRoutes, importRoutes } from '../src/imports/routes.js';
import { importDir, ImportJob, ImportJobs } from '../src/imports/jobs.js';
import { errorHandler, notFoundHandler, pageContext } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createRenderer } from '../src/platform/views.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { Change } from '../src/registries/changes.js';
import { KINDS, type Kind } from '../src/registries/reference.js';
import { testContext } from './support/context.js';
import { loginAs, type Agent } from './support/admin.js';
import { assertNoStackTrace, Brand, Certificate, DirectoryEntry, get, Trademark } from './support/helpers.js';

const FIXTURES = path.resolve('test/fixtures/import');
const fixture = (name: string) => path.join(FIXTURES, name);
const tmp = mkdtempSync(path.join(tmpdir(), 'import-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function dryRun(registry: Kind, file: string, fileName = path.basename(file)) {
  const problems: Problem[] = [];
  const summary = await runImport({
    registry,
    file,
    fileName,
    dryRun: true,
    actor: 'test',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return { summary, problems };
}

async function importFile(registry: Kind, file: string, fileName = path.basename(file)) {
  const problems: Problem[] = [];
  const summary = await runImport({
    registry,
    file,
    fileName,
    dryRun: false,
    actor: 'test@import',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return { summary, problems };
}

const counts = (s: ImportSummary) => ({ rows: s.rows, created: s.created, updated: s.updated, unchanged: s.unchanged, rejected: s.rejected });
const brief = (ps: Problem[]) => ps.map((p) => [p.row, p.column, p.message]);

/** The app with the import and export routers under /admin — the real one once the lead mounts them. */
let mounted: boolean | null = null;
function ownApp(overrides: Partial<Config> = {}): Express {
  const { config: base } = testContext();
  const config = { ...base, ...overrides };
  const logger = createLogger('silent');
  const render = createRenderer(path.resolve('views'));
  const app = express();
  app.set('query parser', 'simple');
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  app.use(pageContext(config.PUBLIC_BASE_URL));
  const features = Router();
  const jobs = new ImportJobs({ dir: importDir(config), logger, audit: testContext().auditTrail });
  features.use('/import', importRoutes({ render, config, jobs }));
  features.use('/export', exportRoutes({ render, config, logger, index: testContext().index }));
  app.use('/admin', adminRoutes({ render, config, logger, auditTrail: testContext().auditTrail, features: [features] }));
  app.use(notFoundHandler());
  app.use(errorHandler(render, logger));
  return app;
}
async function appWith(overrides: Partial<Config> = {}): Promise<Express> {
  if (mounted === null) {
    const { agent } = await loginAs('viewer');
    mounted = (await agent.get('/admin/import')).status === 200;
  }
  if (mounted) return Object.keys(overrides).length ? testContext().makeApp(overrides) : testContext().app;
  return ownApp(overrides);
}

function csvFile(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

const DIR_HEADER =
  '品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,产品关键词,品牌简介,商标注册号,尼斯分类,有效期起,有效期至,马德里,优势商标,地理标志产品,地理标志区域,状态';

describe('import: dry run', () => {
  it('when a directory file has a bad credit code, an unknown district and Nice class 46, then exactly those are reported by row and column and nothing is written', async () => {
    const before = await Promise.all([Brand.countDocuments(), Trademark.countDocuments(), DirectoryEntry.countDocuments(), Change.countDocuments()]);
    const { summary, problems } = await dryRun('directory', fixture('directory-bad.csv'));
    assert.deepEqual(brief(problems), [
      [2, '统一社会信用代码', '统一社会信用代码校验位不正确（GB 32100-2015）'],
      [3, '所属区', problems[1]!.message],
      [4, '尼斯分类', '尼斯分类应在1-45之间'],
    ]);
    assert.match(problems[1]!.message, /“青岛区”/);
    assert.match(problems[1]!.message, /所属区必须是以下之一/);
    assert.match(problems[0]!.messageEn, /check character/);
    assert.deepEqual(counts(summary), { rows: 4, created: 1, updated: 0, unchanged: 0, rejected: 3 });
    const after = await Promise.all([Brand.countDocuments(), Trademark.countDocuments(), DirectoryEntry.countDocuments(), Change.countDocuments()]);
    assert.deepEqual(after, before, 'a dry run writes nothing');
    assert.equal(await Brand.exists({ name: '良品汉记' }), null);
  });

  it('when a certificate number repeats in the file and dates are in the wrong order, then both rows are reported', async () => {
    const { summary, problems } = await dryRun('certified', fixture('certified-bad.csv'));
    assert.deepEqual(brief(problems), [
      [3, '证书编号', '证书编号与第 2 行重复'],
      [4, '有效期至', '有效期至必须晚于发证日期'],
    ]);
    assert.deepEqual(counts(summary), { rows: 3, created: 1, updated: 0, unchanged: 0, rejected: 2 });
  });

  it('when a certificate number belongs to another brand in the database, then the row is refused on 证书编号', async () => {
    const existing = (await Certificate.findOne().lean())!;
    const file = csvFile('cert-clash.csv', [
      '证书编号,品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,认定级别,认定范围,认定产品,发证日期,有效期至,发证机构',
      `${existing.number},冒名精品,武汉冒名精品有限公司,${demoCreditCode('fx-clash')},江岸区,二产,食品制造,武汉精品,产品,冒名糕点,2024-01-01,2027-01-01,武汉市市场监督管理局`,
    ]);
    const { problems } = await dryRun('certified', file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.row, 2);
    assert.equal(problems[0]!.column, '证书编号');
    assert.match(problems[0]!.message, /已属于另一品牌/);
  });

  it('when required columns are missing, unknown columns present and dates unparseable, then the header and cells are reported', async () => {
    // The credit code column may be absent (published lists give none, issue #12 item 6); the brand name may not.
    const missing = csvFile('missing.csv', ['企业名称,统一社会信用代码', `某公司,${demoCreditCode('fx-missing')}`]);
    const r1 = await dryRun('directory', missing);
    assert.deepEqual(brief(r1.problems), [[1, '品牌名称', '缺少必需的列“品牌名称”']]);
    const odd = csvFile('odd.csv', [
      `${DIR_HEADER},备注`,
      `奇日期,武汉奇日期有限公司,${demoCreditCode('fx-odd')},江岸区,二产,食品制造,糕点,,71000091,30,去年,2028-02-30,也许,否,,,在册,随便`,
    ]);
    const r2 = await dryRun('directory', odd);
    assert.deepEqual(r2.summary.unknownColumns, ['备注']);
    assert.deepEqual(
      brief(r2.problems).map(([row, col]) => [row, col]),
      [
        [2, '有效期起'],
        [2, '有效期至'],
        [2, '马德里'],
      ],
    );
    assert.match(r2.problems[0]!.message, /日期无法识别/);
  });
});

describe('import: apply and re-import', () => {
  it('when a clean file is imported, then its entries are found by search, an import event is audited, and importing it again changes nothing', async () => {
    const { summary, problems } = await importFile('directory', fixture('directory-clean.csv'));
    assert.deepEqual(problems, []);
    assert.deepEqual(counts(summary), { rows: 4, created: 4, updated: 0, unchanged: 0, rejected: 0 });
    const brand = (await Brand.findOne({ name: '琴台雅韵' }).lean())!;
    assert.ok(brand, 'brand created');
    assert.equal(brand.slug, 'qintaiyayun');
    assert.equal(await Trademark.countDocuments({ brand: brand._id }), 2, 'two trademarks on one brand');
    const event = await AuditEvent.findOne({ action: 'import', 'detail.file': 'directory-clean.csv' }).lean();
    assert.ok(event, 'one audit event for the import');
    assert.equal(event.subject, 'directory');
    assert.equal((event.detail as Record<string, unknown>).created, 4);

    await testContext().sync.drain();
    const res = await get('/api/v1/search?q=琴台雅韵');
    assert.equal(res.status, 200);
    assert.ok(
      res.body.hits.some((h: { slug: string; kind: string }) => h.slug === 'qintaiyayun' && h.kind === 'directory'),
      'found by name',
    );
    const byProduct = await get('/api/v1/search?q=藕带');
    assert.ok(
      byProduct.body.hits.some((h: { name: string }) => h.name === '沙湖莲香'),
      'found by keyword',
    );

    const before = await Promise.all([Brand.countDocuments(), Trademark.countDocuments(), DirectoryEntry.countDocuments(), Change.countDocuments()]);
    const again = await importFile('directory', fixture('directory-clean.csv'));
    assert.deepEqual(counts(again.summary), { rows: 4, created: 0, updated: 0, unchanged: 4, rejected: 0 });
    const after = await Promise.all([Brand.countDocuments(), Trademark.countDocuments(), DirectoryEntry.countDocuments(), Change.countDocuments()]);
    assert.deepEqual(after, before, 'no new documents and no changes');
  });

  it('when the same rows come as an XLSX workbook (typed cells: numbers, dates), then it reads exactly like the CSV', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名录');
    const lines = readFileSync(fixture('directory-clean.csv'), 'utf8').trim().split(/\r?\n/);
    ws.addRow(lines[0]!.split(','));
    for (const line of lines.slice(1)) {
      const cells: unknown[] = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
      cells[8] = Number(cells[8]); // registration number typed as a number
      cells[10] = new Date(`${cells[10]}T00:00:00Z`); // dates as date cells
      cells[11] = new Date(`${cells[11]}T00:00:00Z`);
      ws.addRow(cells.slice(0, 17));
    }
    const file = path.join(tmp, 'directory-clean.xlsx');
    await wb.xlsx.writeFile(file);
    const { summary, problems } = await dryRun('directory', file);
    assert.deepEqual(problems, []);
    assert.equal(summary.fileKind, 'xlsx');
    assert.deepEqual(counts(summary), { rows: 4, created: 0, updated: 0, unchanged: 4, rejected: 0 });

    // Excel's "Unicode text": UTF-16LE with BOM, tab-separated.
    const tsv = [lines[0]!, lines[3]!].map((l) => l.replace(/,/g, '\t')).join('\r\n');
    const utf16 = path.join(tmp, 'directory.txt');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tsv, 'utf16le')]));
    const u = await dryRun('directory', utf16);
    assert.deepEqual(u.problems, []);
    assert.equal(u.summary.encoding, 'utf-16le');
    assert.deepEqual(counts(u.summary), { rows: 1, created: 0, updated: 0, unchanged: 1, rejected: 0 });
  });

  it('when a CSV is GBK-encoded (Excel on Chinese Windows), then it is detected and imported with the right characters', async () => {
    const { summary, problems } = await importFile('directory', fixture('directory-gbk.csv'));
    assert.deepEqual(problems, []);
    assert.equal(summary.encoding, 'gb18030');
    assert.equal(summary.created, 1);
    const b = await Brand.findOne({ name: '汉绣雅集' }).lean();
    assert.ok(b);
    assert.deepEqual(b.keywords, ['汉绣', '文创']);
  });

  it('when a row changes a status without a reason, then it is refused; with a reason, the entry is updated', async () => {
    const lines = readFileSync(fixture('directory-clean.csv'), 'utf8').trim().split(/\r?\n/);
    const header = `${lines[0]},状态原因`;
    const row = lines[3]!.replace(/,在册$/, ',暂停');
    const r1 = await dryRun('directory', csvFile('suspend.csv', [header, `${row},`]));
    assert.deepEqual(brief(r1.problems), [[2, '状态原因', '状态由“在册”改为“暂停”，请填写状态原因']]);
    const r2 = await importFile('directory', csvFile('suspend2.csv', [header, `${row},地理标志使用不规范`]));
    assert.deepEqual(r2.problems, []);
    assert.deepEqual(counts(r2.summary), { rows: 1, created: 0, updated: 1, unchanged: 0, rejected: 0 });
    const brand = (await Brand.findOne({ name: '沙湖莲香' }).lean())!;
    const entry = (await DirectoryEntry.findOne({ brand: brand._id }).lean())!;
    assert.equal(entry.status, '暂停');
    assert.equal(entry.statusReason, '地理标志使用不规范', 'the reason is the status reason');
  });
});

async function download(agent: Agent, url: string): Promise<{ res: request.Response; body: Buffer }> {
  const res = await agent
    .get(url)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  return { res, body: res.body as Buffer };
}

describe('export', () => {
  it('when a filtered directory list is exported as CSV, then it has a BOM, a dated Chinese file name (RFC 5987) and re-imports unchanged', async () => {
    const { agent } = await loginAs('viewer', { app: await appWith() });
    const { res, body } = await download(agent, `/admin/export/directory.csv?district=${encodeURIComponent('汉阳区')}`);
    assert.equal(res.status, 200, body.toString('utf8').slice(0, 300));
    assert.match(res.headers['content-type'] ?? '', /text\/csv/);
    assert.match(res.headers['content-disposition'] ?? '', /^attachment; filename="directory-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''%E5%95%86%E6%A0%87/);
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const text = body.toString('utf8');
    assert.ok(text.includes('琴台雅韵'));
    assert.ok(!text.includes('沙湖莲香'), 'another district is filtered out');
    const file = path.join(tmp, 'export-hanyang.csv');
    writeFileSync(file, body);
    const { summary, problems } = await dryRun('directory', file);
    assert.deepEqual(problems, []);
    assert.equal(summary.rows, summary.unchanged);
    assert.ok(summary.rows >= 2);

    const byQuery = await download(agent, `/admin/export/directory.xlsx?q=${encodeURIComponent('琴台雅韵')}`);
    assert.equal(byQuery.res.status, 200);
    const qFile = path.join(tmp, 'export-q.xlsx');
    writeFileSync(qFile, byQuery.body);
    const q = await dryRun('directory', qFile);
    assert.deepEqual(counts(q.summary), { rows: 2, created: 0, updated: 0, unchanged: 2, rejected: 0 }, 'the two trademark rows of 琴台雅韵');
  });

  for (const kind of KINDS) {
    it(`when the whole ${kind} registry is exported as CSV and as XLSX, then a dry-run re-import finds every row unchanged`, async () => {
      const { agent } = await loginAs('viewer', { app: await appWith() });
      for (const ext of ['csv', 'xlsx']) {
        const { res, body } = await download(agent, `/admin/export/${kind}.${ext}`);
        assert.equal(res.status, 200);
        const file = path.join(tmp, `export-${kind}.${ext}`);
        writeFileSync(file, body);
        const { summary, problems } = await dryRun(kind, file);
        assert.deepEqual(problems.slice(0, 5), [], `${kind}.${ext}: no problems`);
        assert.ok(summary.rows > 0, `${kind}.${ext} has rows`);
        assert.deepEqual(counts(summary), { rows: summary.rows, created: 0, updated: 0, unchanged: summary.rows, rejected: 0 }, `${kind}.${ext}`);
      }
    });
  }

  it('when an export is asked with a hostile filter, then it is a 400 with a message, not a file', async () => {
    const { agent } = await loginAs('viewer', { app: await appWith() });
    const res = await agent.get('/admin/export/directory.csv?status[$ne]=x');
    assert.equal(res.status, 400);
    assertNoStackTrace(res.text);
    const res2 = await agent.get('/admin/export/directory.csv?district=火星区');
    assert.equal(res2.status, 400);
    const res3 = await agent.get('/admin/export/secrets.csv');
    assert.equal(res3.status, 404);
  });
});

async function waitForJob(agent: Agent, href: string, states: string[]): Promise<cheerio.CheerioAPI> {
  for (let i = 0; i < 120; i++) {
    const res = await agent.get(href);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const $ = cheerio.load(res.text);
    const state = $('[data-state]').attr('data-state') ?? '';
    if (states.includes(state)) return $;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${href} did not reach ${states.join('/')}`);
}

describe('npm run import', () => {
  it('when the CLI dry-runs a file with problems, then it prints row, column and message and exits non-zero', async () => {
    const { mongo, dbName } = testContext();
    const uri = `${mongo.uri.replace(/\/$/, '')}/${dbName}`;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/import.ts', '--registry', 'directory', '--file', fixture('directory-bad.csv'), '--dry-run'],
      {
        env: { ...process.env, MONGODB_URI: uri, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 3).map((l) => l.split('\t').slice(0, 2)),
      [
        ['第 2 行', '统一社会信用代码'],
        ['第 3 行', '所属区'],
        ['第 4 行', '尼斯分类'],
      ],
    );
    assert.match(lines.at(-1)!, /共 4 行/);
    const usage = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import.ts', '--registry', 'nope'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(usage.status, 64);
  });
});

describe('import pages', () => {
  it('when a viewer opens the import page, then templates can be downloaded but there is no upload form and an upload is refused with 403', async () => {
    const app = await appWith();
    const { agent } = await loginAs('viewer', { app });
    const pageRes = await agent.get('/admin/import');
    assert.equal(pageRes.status, 200);
    const $ = cheerio.load(pageRes.text);
    assert.equal($('form[enctype="multipart/form-data"]').length, 0);
    assert.equal($('a[href="/admin/import/template/directory.xlsx"]').length, 1);
    const tpl = await download(agent, '/admin/import/template/certified.csv');
    assert.equal(tpl.res.status, 200);
    assert.match(tpl.body.toString('utf8'), /^\uFEFF品牌名称,/);
    const xlsx = await download(agent, '/admin/import/template/directory.xlsx');
    assert.equal(xlsx.res.status, 200);
    const tplFile = path.join(tmp, 'template.xlsx');
    writeFileSync(tplFile, xlsx.body);
    const tplRun = await dryRun('directory', tplFile);
    assert.deepEqual(tplRun.problems, [], 'the template example row is valid');
    const token = $('input[name="_csrf"]').first().val() as string;
    const res = await agent.post('/admin/import/upload').field('_csrf', token).field('registry', 'directory').attach('file', fixture('directory-bad.csv'));
    assert.equal(res.status, 403);
    assertNoStackTrace(res.text);
  });

  it('when an editor uploads a file, then the dry-run report lists the problems, and confirming runs the job to a summary', async () => {
    const app = await appWith();
    const { agent, csrf } = await loginAs('editor', { app });
    const token = await csrf('/admin/import');
    const up = await agent.post('/admin/import/upload').field('_csrf', token).field('registry', 'directory').attach('file', fixture('directory-bad.csv'));
    assert.equal(up.status, 303, up.text.slice(0, 300));
    const href = up.headers.location!;
    assert.match(href, /^\/admin\/import\/jobs\/[0-9a-f]{24}$/);
    const $ = await waitForJob(agent, href, ['checked']);
    const rows = $('table.import-problems tbody tr')
      .toArray()
      .map((tr) => [$(tr).find('.import-row').text(), $(tr).find('.import-column').text()]);
    assert.deepEqual(rows, [
      ['2', '统一社会信用代码'],
      ['3', '所属区'],
      ['4', '尼斯分类'],
    ]);
    assert.equal($('#count-rejected').text(), '3');
    assert.equal($('#count-created').text(), '1');
    assert.equal(await Brand.exists({ name: '良品汉记' }), null, 'nothing written before confirming');
    const en = cheerio.load((await agent.get(`${href}?lang=en`)).text);
    assert.match(en('table.import-problems').text(), /check character is wrong/);
    assert.match(en('form.import-confirm button').text(), /Confirm the import/);
    const form = $('form.import-confirm');
    assert.equal(form.length, 1);
    const confirm = await agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name="_csrf"]').val() });
    assert.equal(confirm.status, 303);
    const $done = await waitForJob(agent, href, ['done']);
    assert.equal($done('#count-created').text(), '1');
    assert.equal($done('#count-rejected').text(), '3');
    assert.ok(await Brand.exists({ name: '良品汉记' }));
    const twice = await agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name="_csrf"]').val() });
    assert.equal(twice.status, 409, 'a job is imported once');
  });

  it('when the CSRF token is forged, in the URL, or after the file, then the upload is refused with 403, nothing is stored and no job is created', async () => {
    const app = await appWith();
    const { agent, csrf } = await loginAs('editor', { app });
    const token = await csrf('/admin/import');
    const page = cheerio.load((await agent.get('/admin/import')).text);
    assert.equal(page('form.import-upload').attr('action'), '/admin/import/upload', 'the form action carries no token');
    assert.equal(page('form.import-upload :input').first().attr('name'), '_csrf', 'the token is the first field of the form');
    const jobs = await ImportJob.countDocuments();
    const dir = importDir(testContext().config);
    const stored = () => (existsSync(dir) ? readdirSync(dir).length : 0);
    const files = stored();
    const forged = await agent.post('/admin/import/upload').field('_csrf', 'x').field('registry', 'directory').attach('file', fixture('directory-clean.csv'));
    assert.equal(forged.status, 403);
    const inUrl = await agent
      .post(`/admin/import/upload?_csrf=${encodeURIComponent(token)}`)
      .field('registry', 'directory')
      .attach('file', fixture('directory-clean.csv'));
    assert.equal(inUrl.status, 403, 'a token in the URL is not accepted (logs and histories keep URLs)');
    const late = await agent.post('/admin/import/upload').field('registry', 'directory').attach('file', fixture('directory-clean.csv')).field('_csrf', token);
    assert.equal(late.status, 403, 'a file before the token is not stored');
    const none = await agent.post('/admin/import/upload').field('registry', 'directory');
    assert.equal(none.status, 403);
    assert.equal(stored(), files, 'no refused upload left a file behind');
    assert.equal(await ImportJob.countDocuments(), jobs);
    const header = await agent
      .post('/admin/import/upload')
      .set('x-csrf-token', token)
      .field('registry', 'directory')
      .attach('file', fixture('directory-clean.csv'));
    assert.equal(header.status, 303, 'a script may send the token in the header instead');
    const any = await ImportJob.findOne().lean();
    if (any) {
      const c = await agent.post(`/admin/import/jobs/${any._id.toHexString()}/confirm`).type('form').send({ _csrf: 'forged' });
      assert.equal(c.status, 403);
    }
  });

  it('when a file is over IMPORT_MAX_MB, then the answer is a 413 page that names the limit', async () => {
    const app = await appWith({ IMPORT_MAX_MB: 1 });
    const { agent, csrf } = await loginAs('editor', { app });
    const token = await csrf('/admin/import');
    const big = path.join(tmp, 'big.csv');
    writeFileSync(big, `${DIR_HEADER}\r\n${'x,'.repeat(800_000)}\r\n`);
    const res = await agent.post('/admin/import/upload').field('_csrf', token).field('registry', 'directory').attach('file', big);
    assert.equal(res.status, 413);
    assert.match(res.text, /1 MB/);
    assertNoStackTrace(res.text);
  });

  it('when cells hold HTML and formulas, then pages escape them and the CSV export neutralises the formula while the round trip stays exact', async () => {
    const app = await appWith();
    const { agent, csrf } = await loginAs('editor', { app });
    const name = '<script>alert(1)</script>';
    const company = '=HYPERLINK("http://evil.example","点我")';
    const file = csvFile('<img src=x onerror=alert(1)>.csv', [
      DIR_HEADER,
      `"${name}","${company.replace(/"/g, '""')}",${demoCreditCode('fx-hostile')},江岸区,三产,批发零售,"@SUM(1+1),-2+3",+86 说明,71000099,35,2020-01-01,2030-01-01,否,否,,,在册`,
    ]);
    const token = await csrf('/admin/import');
    const up = await agent.post('/admin/import/upload').field('_csrf', token).field('registry', 'directory').attach('file', file);
    assert.equal(up.status, 303);
    const $ = await waitForJob(agent, up.headers.location!, ['checked']);
    assert.equal($('script').length, 0, 'no script element from the data');
    assert.equal($('img').length, 0, 'the file name is escaped');
    assert.match($('h1').text(), /<img src=x/);
    const form = $('form.import-confirm');
    await agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name="_csrf"]').val() });
    await waitForJob(agent, up.headers.location!, ['done']);
    const brand = (await Brand.findOne({ name }).lean())!;
    assert.equal(brand.company, company, 'stored as typed');

    const { body } = await download(agent, `/admin/export/directory.csv?district=${encodeURIComponent('江岸区')}`);
    const text = body.toString('utf8');
    const line = text.split('\r\n').find((l) => l.includes('alert(1)'))!;
    assert.ok(line.includes(`"'=HYPERLINK(""http://evil.example"",""点我"")"`), line);
    assert.ok(line.includes("'@SUM(1+1)、-2+3") && line.includes("'+86 说明"), line);
    assert.ok(!/(^|,)[=+\-@]/.test(line), `no cell starts with a formula character: ${line}`);
    const back = path.join(tmp, 'hostile-export.csv');
    writeFileSync(back, body);
    const { summary, problems } = await dryRun('directory', back);
    assert.deepEqual(problems, []);
    assert.equal(summary.rows, summary.unchanged);
  });
});
