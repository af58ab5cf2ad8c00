/**
 * Partial dates (issue #12 item 2): a listing, recognition or issue date given as a year, a month
 * or a day is read from every form a published list uses, stored with its precision, shown as
 * given, sorted at its start, exported as given and re-imported unchanged; forms keep it; the
 * migration step fills 'day' for older documents once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cheerio from 'cheerio';
import { runImport, type Problem } from '../src/imports/engine.js';
import { exportFilter, exportRows } from '../src/imports/export.js';
import { formatCell, parseCell, parseInt10, parsePartialDateCell } from '../src/imports/values.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { FamousMark } from '../src/registries/models.js';
import { createEntry } from '../src/registries/service.js';
import { fillPrecision, step } from '../src/registries/migrations/item2-partial-dates.js';
import {
  certainlyBefore,
  comparePartial,
  formatPartial,
  isoPartial,
  parsePartialDate,
  periodEnd,
  type PartialDate,
  type PartialParse,
} from '../src/registries/partial-date.js';
import { loginAs, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';
import { Brand, Certificate, createTestBrand, get, page } from './support/helpers.js';

const utc = (y: number, m = 1, d = 1) => new Date(Date.UTC(y, m - 1, d));
const value = (r: PartialParse): PartialDate => {
  assert.ok('value' in r, `parsed: ${JSON.stringify(r)}`);
  return r.value;
};
const problemOf = (r: PartialParse): [string, string] => {
  assert.ok('problem' in r, `refused: ${JSON.stringify(r)}`);
  return r.problem;
};

describe('partial dates: parse and format', () => {
  it('when a year, a month or a day is written in any of the published forms, then it reads as that period with its precision', () => {
    const cases: Array<[string, Date, PartialDate['precision']]> = [
      ['2011', utc(2011), 'year'],
      ['2011年', utc(2011), 'year'],
      [' 2011 年 ', utc(2011), 'year'],
      ['2011年6月', utc(2011, 6), 'month'],
      ['2011-06', utc(2011, 6), 'month'],
      ['2011/6', utc(2011, 6), 'month'],
      ['2011.6', utc(2011, 6), 'month'],
      ['2011年6月1日', utc(2011, 6, 1), 'day'],
      ['2011-06-01', utc(2011, 6, 1), 'day'],
      ['2011/6/1', utc(2011, 6, 1), 'day'],
      ['20110601', utc(2011, 6, 1), 'day'],
      ['２０１１年６月', utc(2011, 6), 'month'],
      ['２０１１－０６－０１', utc(2011, 6, 1), 'day'],
      ['2024-02-29', utc(2024, 2, 29), 'day'],
    ];
    for (const [typed, date, precision] of cases) {
      const p = value(parsePartialDate(typed));
      assert.equal(p.date.toISOString(), date.toISOString(), typed);
      assert.equal(p.precision, precision, typed);
    }
    assert.deepEqual(parsePartialDate('  '), { empty: true });
  });

  it('when a month or day does not exist or the text is no date, then the problem names it in Chinese and English', () => {
    const [zh, en] = problemOf(parsePartialDate('2011年13月'));
    assert.equal(zh, '2011年13月：13月不是真实的月份');
    assert.equal(en, '2011年13月: 13 is not a real month');
    assert.match(problemOf(parsePartialDate('2023-02-29'))[0], /2023年2月没有29日/);
    assert.match(problemOf(parsePartialDate('2011-00'))[1], /0 is not a real month/);
    assert.match(problemOf(parsePartialDate('0999'))[0], /年份999不合理/);
    assert.match(problemOf(parsePartialDate('清光绪年间'))[0], /应写成 2011、2011-06 或 2011-06-01/);
    assert.match(problemOf(parsePartialDate('2011-6-1-1'))[1], /write it as 2011, 2011-06 or 2011-06-01/);
  });

  it('when shown, then a partial date reads as given in each language, and as reduced-precision ISO 8601', () => {
    const year = value(parsePartialDate('2011'));
    const month = value(parsePartialDate('2011-06'));
    const day = value(parsePartialDate('2011-06-01'));
    assert.deepEqual(
      [year, month, day].map((p) => formatPartial('zh', p)),
      ['2011年', '2011年6月', '2011年6月1日'],
    );
    assert.deepEqual(
      [year, month, day].map((p) => formatPartial('en', p)),
      ['2011', '2011-06', '2011-06-01'],
    );
    assert.deepEqual([year, month, day].map(isoPartial), ['2011', '2011-06', '2011-06-01']);
  });

  it('when sorted or filtered, then a year sits at its start and counts as "certainly before" only once it has ended', () => {
    const p = (s: string) => value(parsePartialDate(s));
    const sorted = ['2012年', '2011-06-01', '2010-12-31', '2011', '2011年6月', '2011-01-01'].map(p).sort(comparePartial).map(isoPartial);
    assert.deepEqual(sorted, ['2010-12-31', '2011', '2011-01-01', '2011-06', '2011-06-01', '2012']);
    assert.equal(periodEnd(p('2011')).toISOString(), utc(2012).toISOString());
    assert.equal(periodEnd(p('2011-12')).toISOString(), utc(2012).toISOString());
    assert.equal(periodEnd(p('2011-06-30')).toISOString(), utc(2011, 7, 1).toISOString());
    assert.equal(certainlyBefore(p('2011'), utc(2011, 6, 1)), false);
    assert.equal(certainlyBefore(p('2011'), utc(2012)), true);
  });

  it('when read from spreadsheet cells, then date cells are days, a number 1000-2999 is a year and five digits are an Excel serial', () => {
    const cell = (c: Parameters<typeof parsePartialDateCell>[0]) => {
      const r = parsePartialDateCell(c);
      assert.ok('value' in r && r.value, JSON.stringify(r));
      return isoPartial(r.value as PartialDate);
    };
    assert.equal(cell(new Date(Date.UTC(2011, 5, 1, 13, 30))), '2011-06-01');
    assert.equal(cell(2011), '2011');
    assert.equal(cell(40695), '2011-06-01');
    assert.equal(cell('40695'), '2011-06-01');
    assert.equal(cell('2011年6月'), '2011-06');
    assert.deepEqual(parseCell('partialDate', ''), { value: undefined });
    assert.ok('problem' in parseCell('partialDate', '2011年13月'));
    // Legal end dates stay days: a year alone is not a validity.
    assert.ok('problem' in parseCell('date', '2011'));
    assert.equal(formatCell('partialDate', { date: utc(2011), precision: 'year' }), '2011');
    assert.equal(formatCell('partialDate', { date: utc(2011, 6), precision: 'month' }), '2011-06');
    assert.equal(formatCell('partialDate', { date: utc(2011, 6, 1), precision: undefined }), '2011-06-01', 'no stored precision: a day');
    assert.deepEqual(parseInt10('１９２７年'), { value: 1927 });
    assert.deepEqual(parseInt10('1927年'), { value: 1927 });
  });
});

const tmp = mkdtempSync(path.join(tmpdir(), 'partial-dates-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function csvFile(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

async function runFile(registry: 'certified' | 'famous', file: string, dryRun: boolean) {
  const problems: Problem[] = [];
  const summary = await runImport({
    registry,
    file,
    fileName: path.basename(file),
    dryRun,
    actor: 'test@partial-dates',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return { summary, problems };
}

const CERT_HEADER = '品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,证书编号,认定级别,认定范围,认定产品,发证日期,有效期至,发证机构,状态';

describe('partial dates: import, export, pages and forms', function () {
  const run = Date.now().toString(36).toUpperCase();
  const creditCode = demoCreditCode(`partial-${run}`);
  const numbers = { year: `PD-${run}-Y`, month: `PD-${run}-M`, day: `PD-${run}-D`, old: `PD-${run}-O`, next: `PD-${run}-N` };
  const brandCells = `分期日期品牌${run},武汉分期日期实业有限公司,${creditCode},江汉区,二产,食品制造`;
  const certRow = (number: string, issued: string) => `${brandCells},${number},武汉精品,产品,产品${number},${issued},2030-12-31,武汉市市场监督管理局,有效`;
  let slug = '';

  before(async () => {
    const file = csvFile('certified-partial.csv', [
      CERT_HEADER,
      certRow(numbers.year, '2011'),
      certRow(numbers.month, '2011年6月'),
      certRow(numbers.day, '2011-06-01'),
      certRow(numbers.old, '2010/12/31'),
      certRow(numbers.next, '２０１２年'),
    ]);
    const { summary, problems } = await runFile('certified', file, false);
    assert.deepEqual(problems, []);
    assert.equal(summary.created, 5);
    slug = (await Brand.findOne({ creditCode }).lean())!.slug;
  });

  it('when rows give 2011, 2011年6月 and 2011-06-01, then each certificate stores the period start and its precision', async () => {
    const stored = async (number: string) => {
      const c = (await Certificate.findOne({ number }).lean())!;
      return [c.issuedAt!.toISOString().slice(0, 10), c.issuedAtPrecision];
    };
    assert.deepEqual(await stored(numbers.year), ['2011-01-01', 'year']);
    assert.deepEqual(await stored(numbers.month), ['2011-06-01', 'month']);
    assert.deepEqual(await stored(numbers.day), ['2011-06-01', 'day']);
    assert.deepEqual(await stored(numbers.next), ['2012-01-01', 'year']);
  });

  it('when a file states a bad month, then the row is refused with the precise message on its column', async () => {
    const file = csvFile('certified-bad-month.csv', [CERT_HEADER, certRow(`PD-${run}-BAD`, '2011年13月')]);
    const { summary, problems } = await runFile('certified', file, true);
    assert.equal(summary.rejected, 1);
    assert.deepEqual(
      problems.map((p) => [p.row, p.column, p.message]),
      [[2, '发证日期', '2011年13月：13月不是真实的月份']],
    );
  });

  it('when exported, then the dates are written as given, and the export re-imports with every row unchanged', async () => {
    const rows: string[][] = [];
    for await (const r of exportRows('certified', exportFilter('certified', {}))) rows.push(r);
    const header = rows[0]!;
    const ours = rows.filter((r) => Object.values(numbers).includes(r[header.indexOf('证书编号')]!));
    assert.equal(ours.length, 5);
    const issued = Object.fromEntries(ours.map((r) => [r[header.indexOf('证书编号')], r[header.indexOf('发证日期')]]));
    assert.deepEqual(issued, {
      [numbers.year]: '2011',
      [numbers.month]: '2011-06',
      [numbers.day]: '2011-06-01',
      [numbers.old]: '2010-12-31',
      [numbers.next]: '2012',
    });
    const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    const file = csvFile(
      'certified-export.csv',
      [header, ...ours].map((r) => r.map(quote).join(',')),
    );
    const dry = await runFile('certified', file, true);
    assert.deepEqual(dry.problems, []);
    assert.deepEqual([dry.summary.rows, dry.summary.unchanged], [5, 5]);
    const real = await runFile('certified', file, false);
    assert.deepEqual([real.summary.unchanged, real.summary.updated], [5, 0]);

    // A year that becomes a day is a change, not "unchanged".
    const changed = csvFile('certified-changed.csv', [CERT_HEADER, certRow(numbers.year, '2011-01-01')]);
    const again = await runFile('certified', changed, true);
    assert.deepEqual([again.summary.updated, again.summary.unchanged], [1, 0]);
  });

  it('when a famous mark is recognised in 2011 only, then the nested recognition date round-trips through export unchanged', async () => {
    const regNo = String(70_000_000 + Math.floor(Math.random() * 9_000_000));
    const header = '品牌名称,企业名称,统一社会信用代码,所属区,产业,行业类别,商标注册号,认定日期,认定机关,认定文号,认定途径,状态';
    const file = csvFile('famous-partial.csv', [header, `${brandCells},${regNo},2011年,国家知识产权局,商标驰字〔2011〕1号,行政认定,重点保护`]);
    const first = await runFile('famous', file, false);
    assert.deepEqual(first.problems, []);
    const f = (await FamousMark.findOne({ trademarkRegNo: regNo }).lean())!;
    assert.equal(f.recognition.datePrecision, 'year');
    const rows: string[][] = [];
    for await (const r of exportRows('famous', exportFilter('famous', {}))) rows.push(r);
    const h = rows[0]!;
    const row = rows.find((r) => r[h.indexOf('商标注册号')] === regNo)!;
    assert.equal(row[h.indexOf('认定日期')], '2011');
    const back = csvFile('famous-export.csv', [h.join(','), row.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')]);
    const dry = await runFile('famous', back, true);
    assert.deepEqual(dry.problems, []);
    assert.equal(dry.summary.unchanged, 1);
  });

  it('when the brand page is shown, then issue dates read as given (2011年, 2011年6月) and the certificates are ordered by their start', async () => {
    const { $ } = await page(`/brands/${slug}`);
    const listed = $('#certified li.cert')
      .toArray()
      .map((li) => {
        const c = $(li);
        const issued = c.find('dt').filter((_, dt) => $(dt).text() === '发证日期');
        return [c.find('.cert-head strong').text(), issued.next('dd').text()];
      });
    // Newest first; 2011-06-01 and 2011-06 start on the same day, so their order is not asserted.
    const sameStart = (xs: string[][]) => [...xs].sort((a, b) => a[0]!.localeCompare(b[0]!));
    assert.deepEqual(
      [listed[0], sameStart(listed.slice(1, 3)), listed[3], listed[4]],
      [
        [`产品${numbers.next}`, '2012年'],
        [
          [`产品${numbers.day}`, '2011年6月1日'],
          [`产品${numbers.month}`, '2011年6月'],
        ],
        [`产品${numbers.year}`, '2011年'],
        [`产品${numbers.old}`, '2010年12月31日'],
      ],
    );
    assert.ok(!$('#certified').text().includes('2011年1月1日'), 'no invented day');
    // The public history lists the issue at its precision too, machine-readable as reduced ISO 8601.
    // The public history lists them at their precision too, machine-readable as reduced ISO 8601
    // (the famous mark imported above is recognised in 2011 only).
    const lines = $('time[datetime="2011"], time[datetime="2011-06"]')
      .toArray()
      .map((el) => $(el).parent().text());
    assert.deepEqual(lines.map((l) => l.replace(/（.*$/, '').replace(/[A-Z0-9-]{6,}$/, '')).sort(), [
      '2011年 获武汉精品认定：产品',
      '2011年 认定为驰名商标',
      '2011年6月 获武汉精品认定：产品',
    ]);
    assert.match($('#famous').text(), /2011年 · /);
    const en = await page(`/brands/${slug}?lang=en`);
    assert.ok(en.$('#certified').text().includes('2011-06'), 'English month');
    const verify = await page(`/verify/${numbers.year}`);
    const dd = verify
      .$('dt')
      .filter((_, dt) => verify.$(dt).text() === '发证日期')
      .next('dd');
    assert.equal(dd.text(), '2011年');
  });

  it('when the open data is downloaded, then issue dates carry their precision as reduced ISO 8601', async () => {
    const res = await get('/open-data/certified.ndjson').buffer(true);
    assert.equal(res.status, 200, res.text?.slice(0, 200));
    const rows = String(res.text ?? res.body)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const issued = Object.fromEntries(rows.filter((r) => Object.values(numbers).includes(String(r.number))).map((r) => [r.number, r.issuedAt]));
    assert.deepEqual(issued, {
      [numbers.year]: '2011',
      [numbers.month]: '2011-06',
      [numbers.day]: '2011-06-01',
      [numbers.old]: '2010-12-31',
      [numbers.next]: '2012',
    });
  });

  describe('back-office form', () => {
    let editor: SignedIn;
    before(async () => {
      editor = await loginAs('editor');
    });

    async function formValues(p: string): Promise<Record<string, string>> {
      const res = await editor.agent.get(p);
      assert.equal(res.status, 200, `${p} → ${res.status}`);
      const $ = cheerio.load(res.text);
      const out: Record<string, string> = {};
      $('form.adminreg-form')
        .first()
        .find('input, textarea, select')
        .each((_, el) => {
          const $el = $(el);
          const name = $el.attr('name');
          if (!name || ($el.attr('type') === 'checkbox' && $el.attr('checked') === undefined)) return;
          out[name] = el.tagName === 'select' ? String($el.find('option[selected]').attr('value') ?? '') : String($el.val() ?? '');
        });
      return out;
    }
    const post = (p: string, fields: Record<string, string>) => editor.agent.post(p).type('form').send(fields);

    it('when an issue date is saved as 2013年, then its precision is kept, shown as given, and an untouched re-save writes nothing', async () => {
      const { certificate } = await createTestBrand({
        slugPrefix: 'pd-form',
        name: '分期表单品牌',
        certificate: { number: `PDF-${run}`, product: '表单产品' },
      });
      const id = String(certificate!._id);
      const editPath = `/admin/certified/${id}/edit`;
      const values = await formValues(editPath);
      assert.equal(values.issuedAt, '2025-01-15', 'an existing day is shown as it was');
      const page0 = await editor.agent.get(editPath);
      const $ = cheerio.load(page0.text);
      assert.equal($('#f-issuedAt').attr('type'), 'text');
      assert.match($('#f-issuedAt-hint').text(), /2011、2011-06 或 2011-06-01/);

      const res = await post(editPath, { ...values, issuedAt: '2013年' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const saved = (await Certificate.findById(id).lean())!;
      assert.equal(saved.issuedAt!.toISOString().slice(0, 10), '2013-01-01');
      assert.equal(saved.issuedAtPrecision, 'year');

      const again = await formValues(editPath);
      assert.equal(again.issuedAt, '2013');
      const res2 = await post(editPath, again);
      assert.equal(res2.status, 303);
      assert.equal((await Certificate.findById(id).lean())!.version, saved.version, 'nothing changed, no new version');

      const show = cheerio.load((await editor.agent.get(`/admin/certified/${id}`)).text);
      assert.ok(show('main').text().includes('2013年') && !show('main').text().includes('2013年1月1日'), 'shown as given, in the history too');
      assert.ok(!show('main').text().includes('issuedAtPrecision'), 'the precision is folded into its date');
    });

    it('when a recognition date is saved as 2011年6月, then the nested precision is kept and the entry page and history show the month', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'pd-famous', name: '分期驰名品牌', directory: false });
      const famous = await createEntry<{ _id: unknown }>(FamousMark, {
        brand: brand._id,
        trademarkRegNo: String(60_000_000 + Math.floor(Math.random() * 9_000_000)),
        status: '重点保护',
        recognition: { date: new Date('2015-06-01'), authority: '国家知识产权局', documentNo: '商标驰字〔2015〕1号', route: '行政认定' },
      });
      const id = String(famous._id);
      const editPath = `/admin/famous/${id}/edit`;
      const values = await formValues(editPath);
      assert.equal(values['recognition.date'], '2015-06-01');
      const res = await post(editPath, { ...values, 'recognition.date': '2011年6月' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const saved = (await FamousMark.findById(id).lean())!;
      assert.deepEqual(
        [saved.recognition.date!.toISOString().slice(0, 10), saved.recognition.datePrecision, saved.recognition.authority],
        ['2011-06-01', 'month', '国家知识产权局'],
      );
      assert.equal((await formValues(editPath))['recognition.date'], '2011-06');
      const show = cheerio.load((await editor.agent.get(`/admin/famous/${id}`)).text);
      const text = show('main').text();
      assert.ok(text.includes('2011年6月') && !text.includes('2011年6月1日') && !text.includes('datePrecision'), text.slice(0, 2000));
    });

    it('when a founding year is typed as 1927年 or in full-width digits, then the brand stores the year', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'pd-founded', name: '分期创立品牌', directory: false });
      const editPath = `/admin/brands/${String(brand._id)}/edit`;
      const res = await post(editPath, { ...(await formValues(editPath)), founded: '１９２７年' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      assert.equal((await Brand.findById(brand._id).lean())!.founded, 1927);
    });

    it('when a month does not exist, or the validity ends before a year-only issue date could, then the form says so on the field', async () => {
      const { certificate } = await createTestBrand({
        slugPrefix: 'pd-form-bad',
        name: '分期表单错误',
        certificate: { number: `PDB-${run}`, product: '表单产品' },
      });
      const editPath = `/admin/certified/${String(certificate!._id)}/edit`;
      const values = await formValues(editPath);
      const bad = cheerio.load((await post(editPath, { ...values, issuedAt: '2013-13' })).text);
      assert.match(bad('#f-issuedAt-error').text(), /13月不是真实的月份/);
      // Issued some time in 2024: valid until 2024-03-31 may be true; 2023-12-31 cannot be.
      const ok = await post(editPath, { ...(await formValues(editPath)), issuedAt: '2024', validUntil: '2024-03-31' });
      assert.equal(ok.status, 303, ok.text.slice(0, 300));
      const refused = cheerio.load((await post(editPath, { ...(await formValues(editPath)), issuedAt: '2024', validUntil: '2023-12-31' })).text);
      assert.match(refused('main').text(), /有效期至必须晚于发证日期/);
    });
  });

  it('when the migration step runs, then a stored day gets precision day once, and a second run changes nothing', async () => {
    const { certificate } = await createTestBrand({
      slugPrefix: 'pd-migrate',
      name: '分期迁移品牌',
      certificate: { number: `PDM-${run}`, product: '迁移产品' },
    });
    await Certificate.collection.updateOne({ _id: certificate!._id }, { $unset: { issuedAtPrecision: '' } });
    const before = (await Certificate.findById(certificate!._id).lean())!;
    const lines: string[] = [];
    const first = await step.run((l) => lines.push(l));
    assert.ok(first.changed >= 1, lines.join('\n'));
    const after = (await Certificate.findById(certificate!._id).lean())!;
    assert.equal(after.issuedAtPrecision, 'day');
    assert.equal(after.version, before.version, 'no new version');
    assert.equal(after.updatedAt?.getTime(), before.updatedAt?.getTime(), 'updatedAt kept');
    // The year-only certificates imported above keep their precision.
    assert.equal((await Certificate.findOne({ number: numbers.year }).lean())!.issuedAtPrecision, 'year');
    assert.equal((await step.run(() => {})).changed, 0);
    // Small batches walk the whole collection too.
    await Certificate.collection.updateMany({ number: { $in: [numbers.old, numbers.day] } }, { $unset: { issuedAtPrecision: '' } });
    assert.equal(await fillPrecision(Certificate as never, 'issuedAt', () => {}), 2);
  });
});
