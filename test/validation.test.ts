/**
 * What the registry refuses to store, and how it says so: the credit code check digit, model rules
 * through the registry service, optimistic concurrency, and idempotent imports and seeding.
 */
import assert from 'node:assert/strict';
import { seedDemo } from '../src/demo/seed.js';
import { AppError } from '../src/platform/errors.js';
import { checkCreditCode, creditCodeCheckChar, CREDIT_CODE_MESSAGES, demoCreditCode } from '../src/registries/credit-code.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark } from '../src/registries/models.js';
import { Change } from '../src/registries/changes.js';
import { createEntry, updateEntry, upsertByKey } from '../src/registries/service.js';
import { createTestBrand } from './support/helpers.js';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** Runs fn, asserts it rejects with an AppError of the given code, and returns it. */
async function refused(fn: () => Promise<unknown>, code: string): Promise<AppError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the write was accepted`);
}

/** The field problem for `field` (or a path under it, e.g. niceClasses.0). */
function problem(err: AppError, field: string) {
  const p = err.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`));
  assert.ok(p, `a problem naming ${field}; got ${JSON.stringify(err.fields)}`);
  return p;
}

const brandData = (slug: string, overrides: Record<string, unknown> = {}) => ({
  slug,
  name: `校验品牌${slug.slice(-4)}`,
  company: '武汉校验测试有限公司',
  creditCode: demoCreditCode(slug),
  district: '武昌区',
  sector: '二产',
  industry: '食品制造',
  ...overrides,
});

let n = 0;
const uniq = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++n}`;
/** Registration numbers for this file: digits only, 9 long, unlikely to meet the demo ones (≤ 8 digits). */
const regNo = () => `9${String(Date.now() % 1e6).padStart(6, '0')}${String(++n).padStart(2, '0')}`;

describe('unified social credit code (GB 32100-2015)', () => {
  it('when codes come from demoCreditCode, then they pass the check', () => {
    for (const seed of ['cailinji', 'sijimei', 'a', '测试', 'x'.repeat(50)]) {
      const code = demoCreditCode(seed);
      assert.equal(code.length, 18);
      assert.equal(checkCreditCode(code), null, code);
      assert.equal(checkCreditCode(code.toLowerCase()), null, 'lower case input is accepted');
      assert.equal(checkCreditCode(` ${code} `), null, 'surrounding spaces are ignored');
    }
  });

  it('when every demo brand in the database is checked, then its credit code passes', async () => {
    const brands = await Brand.find({ demo: true }).select('creditCode').lean();
    assert.ok(brands.length > 50);
    for (const b of brands) assert.equal(checkCreditCode(b.creditCode ?? ''), null, b.creditCode ?? '(none)');
  });

  it('when the check character is changed, then the code fails the checksum', () => {
    const code = demoCreditCode('cailinji');
    for (const c of ALPHABET) {
      if (c === code[17]) continue;
      assert.equal(checkCreditCode(code.slice(0, 17) + c), 'checksum', `${code.slice(0, 17)}${c}`);
    }
  });

  it('when a body character is changed, then the check character no longer matches', () => {
    const code = demoCreditCode('sijimei');
    const swapped = code.slice(0, 8) + (code[8] === '1' ? '2' : '1') + code.slice(9);
    assert.equal(checkCreditCode(swapped), 'checksum');
  });

  it('when the length is wrong, then the code fails with length', () => {
    const code = demoCreditCode('cailinji');
    assert.equal(checkCreditCode(code.slice(0, 17)), 'length');
    assert.equal(checkCreditCode(`${code}1`), 'length');
    assert.equal(checkCreditCode(''), 'length');
  });

  it('when the code contains I, O, S, V or Z, then it fails with charset', () => {
    const code = demoCreditCode('cailinji');
    for (const bad of ['I', 'O', 'S', 'V', 'Z']) {
      assert.equal(checkCreditCode(code.slice(0, 10) + bad + code.slice(11)), 'charset', `with ${bad}`);
      assert.equal(checkCreditCode(code.slice(0, 17) + bad), 'charset', `${bad} as check character`);
      assert.equal(creditCodeCheckChar(bad + code.slice(1, 17)), null);
    }
  });

  it('when a brand is saved with a bad credit code, then it is refused with the Chinese message naming creditCode', async () => {
    const good = demoCreditCode('bad-code');
    const cases: Array<[string, keyof typeof CREDIT_CODE_MESSAGES]> = [
      [good.slice(0, 17) + (good[17] === '0' ? '1' : '0'), 'checksum'],
      [good.slice(0, 16), 'length'],
      [`${good.slice(0, 5)}O${good.slice(6)}`, 'charset'],
    ];
    for (const [code, kind] of cases) {
      const slug = uniq('val-cc');
      const err = await refused(() => createEntry(Brand, brandData(slug, { creditCode: code })), 'validation_failed');
      const p = problem(err, 'creditCode');
      assert.equal(p.message, CREDIT_CODE_MESSAGES[kind][0]);
      assert.match(p.message, /统一社会信用代码/);
      assert.equal(await Brand.countDocuments({ slug }), 0, 'nothing was stored');
    }
  });
});

describe('model validation through the registry service', () => {
  let brandId: unknown;
  before(async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'val', name: '校验基准品牌', directory: false });
    brandId = brand._id;
  });

  const trademark = (overrides: Record<string, unknown> = {}) => ({
    regNo: regNo(),
    brand: brandId,
    mark: '校验基准品牌',
    niceClasses: [30],
    validFrom: new Date(Date.UTC(2020, 0, 1)),
    validTo: new Date(Date.UTC(2030, 0, 1)),
    ...overrides,
  });

  it('when a trademark has Nice class 46, then it is refused naming niceClasses (1-45)', async () => {
    const data = trademark({ niceClasses: [46] });
    const err = await refused(() => createEntry(Trademark, data), 'validation_failed');
    assert.match(problem(err, 'niceClasses').message, /尼斯分类应在1-45之间/);
    assert.equal(await Trademark.countDocuments({ regNo: data.regNo }), 0);
  });

  it('when a trademark is valid to a date before it is valid from, then it is refused naming validTo', async () => {
    const err = await refused(
      () => createEntry(Trademark, trademark({ validFrom: new Date(Date.UTC(2024, 0, 1)), validTo: new Date(Date.UTC(2023, 0, 1)) })),
      'validation_failed',
    );
    assert.equal(problem(err, 'validTo').message, '有效期至必须晚于有效期起');
  });

  it('when an update moves validTo before validFrom, then it is refused and the stored dates are kept', async () => {
    const tm = await createEntry<Record<string, unknown>>(Trademark, trademark());
    const err = await refused(() => updateEntry(Trademark, tm._id, tm.version, { validTo: new Date(Date.UTC(2019, 0, 1)) }), 'validation_failed');
    problem(err, 'validTo');
    const now = await Trademark.findById(tm._id).lean();
    assert.equal(now!.validTo.toISOString(), '2030-01-01T00:00:00.000Z');
    assert.equal(now!.version, 1);
  });

  it('when a brand names a district that is not in Wuhan, then it is refused with a Chinese message naming district', async () => {
    const err = await refused(() => createEntry(Brand, brandData(uniq('val-d'), { district: '朝阳区' })), 'validation_failed');
    const p = problem(err, 'district');
    assert.match(p.message, /^所属区必须是以下之一：/);
    assert.match(p.message, /江汉区/);
    assert.match(err.message, /输入有误/);
  });

  it('when an update sets an unknown district, then it is refused and the brand is unchanged', async () => {
    const b = await createEntry<Record<string, unknown>>(Brand, brandData(uniq('val-d2')));
    const err = await refused(() => updateEntry(Brand, b._id, b.version, { district: '浦东新区' }), 'validation_failed');
    problem(err, 'district');
    const now = await Brand.findById(b._id).lean();
    assert.equal(now!.district, '武昌区');
    assert.equal(now!.version, 1);
  });

  it('when a certificate number is already taken, then the second one is refused naming number', async () => {
    const number = `VALDUP-${Date.now().toString(36).toUpperCase()}`;
    const cert = {
      number,
      brand: brandId,
      level: '武汉精品',
      scope: '产品',
      product: '校验产品',
      issuedAt: new Date(Date.UTC(2024, 0, 1)),
      validUntil: new Date(Date.UTC(2027, 0, 1)),
      issuer: '武汉市市场监督管理局',
      status: '有效',
    };
    await createEntry(Certificate, cert);
    const err = await refused(() => createEntry(Certificate, { ...cert, number: number.toLowerCase(), product: '另一个产品' }), 'validation_failed');
    const p = problem(err, 'number');
    assert.match(p.message, /已存在/);
    assert.equal(await Certificate.countDocuments({ number }), 1);
  });

  it('when a trademark registration number is already taken, then the second one is refused naming regNo', async () => {
    const data = trademark();
    await createEntry(Trademark, data);
    const err = await refused(() => createEntry(Trademark, { ...data, niceClasses: [29] }), 'validation_failed');
    assert.match(problem(err, 'regNo').message, /已存在/);
    assert.equal(await Trademark.countDocuments({ regNo: data.regNo }), 1);
  });

  it('when an unknown field is written, then the write is refused rather than silently stored', async () => {
    await assert.rejects(() => createEntry(Brand, brandData(uniq('val-x'), { isAdmin: true })));
  });
});

describe('optimistic concurrency', () => {
  it('when two updates are based on the same version, then the second gets conflict and the first change is kept', async () => {
    const b = await createEntry<Record<string, unknown>>(Brand, brandData(uniq('val-occ')));
    assert.equal(b.version, 1);
    const first = await updateEntry<Record<string, unknown>>(Brand, b._id, 1, { description: '甲的修改' });
    assert.equal(first.version, 2);
    const err = await refused(() => updateEntry(Brand, b._id, 1, { description: '乙的修改' }), 'conflict');
    assert.equal(err.status, 409);
    assert.match(err.message, /已被他人修改/);
    const now = await Brand.findById(b._id).lean();
    assert.equal(now!.description, '甲的修改');
    assert.equal(now!.version, 2);
  });

  it('when two updates race on the same version, then exactly one wins', async () => {
    const b = await createEntry<Record<string, unknown>>(Brand, brandData(uniq('val-race')));
    const results = await Promise.allSettled([
      updateEntry(Brand, b._id, 1, { description: '并发一' }),
      updateEntry(Brand, b._id, 1, { description: '并发二' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.reason as AppError).code, 'conflict');
    const now = await Brand.findById(b._id).lean();
    assert.equal(now!.version, 2);
    assert.equal(now!.description, (ok[0] as PromiseFulfilledResult<Record<string, unknown>>).value.description);
  });

  it('when the entry does not exist, then not_found', async () => {
    await refused(() => updateEntry(Brand, '0123456789abcdef01234567', 1, { description: 'x' }), 'not_found');
  });
});

describe('idempotent imports and seeding', () => {
  it('when upsertByKey runs again with the same data, then nothing changes and the version stays', async () => {
    const slug = uniq('val-up');
    const data = { ...brandData(slug), keywords: ['糕点', '月饼'], founded: 1999 };
    delete (data as Record<string, unknown>).slug;
    const a = await upsertByKey<Record<string, unknown>>(Brand, { slug }, data);
    assert.equal(a.action, 'created');
    const b = await upsertByKey<Record<string, unknown>>(Brand, { slug }, data);
    assert.equal(b.action, 'unchanged');
    assert.equal(b.doc.version, a.doc.version);
    const stored = await Brand.findOne({ slug }).lean();
    assert.equal(stored!.version, 1);
    const c = await upsertByKey<Record<string, unknown>>(Brand, { slug }, { ...data, keywords: ['糕点'] });
    assert.equal(c.action, 'updated');
    assert.equal(c.doc.version, 2);
    assert.deepEqual(c.doc.keywords, ['糕点']);
  });

  it('when the demo data is seeded a second time, then it reports 0 created, everything skipped, and the counts stay the same', async function () {
    this.timeout(120_000);
    const models = [Brand, Trademark, DirectoryEntry, FamousMark, TimeHonored, Certificate];
    const changesBefore = await Change.countDocuments({});
    const before = await Promise.all(models.map((m) => (m as typeof Brand).countDocuments({})));
    const report = await seedDemo();
    assert.equal(report.created, 0, report.changed.join('; '));
    assert.ok(report.skipped > 100, `skipped: ${report.skipped}`);
    const after = await Promise.all(models.map((m) => (m as typeof Brand).countDocuments({})));
    assert.deepEqual(after, before);
    const cailinji = await Brand.findOne({ slug: 'cailinji' }).lean();
    assert.equal(cailinji!.version, 1, 'no version bump on demo brands');
    assert.equal(await Change.countDocuments({}), changesBefore, 'nothing was written, so nothing needs reindexing');
  });
});
