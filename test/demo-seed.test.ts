/**
 * The demo data only fills in what is missing: a restart of `npm run demo` on its database keeps
 * the regulators' edits, and says how much it skipped. Also the scripts' choice of database and
 * the demo's public address.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { localBaseUrl } from '../src/config/index.js';
import { DEMO_BRANDS } from '../src/demo/brands.js';
import { demoCertNumber, seedDemo, seedSummary, type SeedProgress } from '../src/demo/seed.js';
import type { DemoBrand } from '../src/demo/types.js';
import { dbNameOf, NoDatabaseNameError, scriptDatabase } from '../src/platform/local-mongo.js';
import { Brand, Certificate, TimeHonored } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';

/** A demo brand of its own: a new slug, whose derived certificate numbers are not taken yet. */
async function freshBrand(): Promise<DemoBrand> {
  const base = DEMO_BRANDS.find((b) => b.slug === 'cailinji')!;
  for (let i = 0; ; i++) {
    // Digits only: letters of a random tag could start a word a findability query is a prefix of
    // (Meilisearch splits "mx9e7zsh" into mx·9·e·7·zsh, and "zs" then finds it).
    const slug = `seedtest-${Date.now()}-${i}`;
    // Shaped like a demo brand, but with words of its own: a copy of 蔡林记's company, products and
    // story would compete with the real one in every search test that follows.
    const tag = slug.slice(-6);
    const b: DemoBrand = {
      ...base,
      slug,
      name: `种子测试${tag}`,
      nameEn: 'Seed Test',
      company: `武汉种子测试${tag}实业有限公司`,
      keywords: [`种子测试${tag}产品`],
      description: '演示数据补种测试用的品牌。',
      timeHonored: { tier: '武汉老字号', year: 2016, story: '演示数据补种测试用的品牌故事。', address: '武汉市江汉区测试路1号' },
      certificates: base.certificates!.map((c, n) => ({ ...c, product: `种子测试${tag}产品${n + 1}` })),
    };
    const taken = await Certificate.exists({ number: mongoose.trusted({ $in: b.certificates!.map((_, n) => demoCertNumber(b, n)) }) });
    if (!taken) return b;
  }
}

describe('demo seed', () => {
  it('when the demo data is seeded twice with a regulator edit in between, then the edit survives and the second run reports what it skipped', async function () {
    this.timeout(120_000);
    const brand = await freshBrand();
    const progress: SeedProgress[] = [];
    const first = await seedDemo([brand], { onProgress: (p) => progress.push(p) });
    // brand + 3 trademarks + directory + famous + time-honored + 2 certificates
    assert.equal(first.created, 9, first.changed.join('; '));
    assert.equal(first.skipped, 0);
    assert.equal(progress.at(-1)?.brands, 1);
    assert.match(progress.at(-1)!.line, /1\/1 brands · 9 created, 0 skipped/);

    const stored = await Brand.findOne({ slug: brand.slug }).lean();
    assert.ok(stored);
    const edited = await updateEntry(Brand, stored._id, stored.version, { description: '监管人员修改后的简介。', keywords: ['修改'] });
    const th = await TimeHonored.findOne({ brand: stored._id }).lean();
    await updateEntry(TimeHonored, th!._id, th!.version, { story: '修改后的品牌故事。' });
    const certs = await Certificate.find({ brand: stored._id }).sort({ number: 1 }).lean();
    assert.equal(certs.length, 2);
    // A regulator removed one certificate's record entirely: the seed puts only that one back.
    await Certificate.deleteOne({ _id: certs[0]!._id });

    const second = await seedDemo([brand]);
    assert.equal(second.created, 1, second.changed.join('; '));
    assert.deepEqual(second.changed, [`created certificate ${brand.slug}`]);
    assert.equal(second.skipped, 8);
    assert.deepEqual(second.byRecord.brand, { created: 0, skipped: 1 });
    assert.deepEqual(second.byRecord.trademark, { created: 0, skipped: 3 });
    assert.deepEqual(second.byRecord.certificate, { created: 1, skipped: 1 });
    assert.match(
      seedSummary(second),
      /^1 created, 8 skipped as they exist already \(brand 1, trademark 3, directory 1, famous 1, time-honored 1, certificate 1\)$/,
    );

    const after = await Brand.findOne({ slug: brand.slug }).lean();
    assert.equal(after!.description, '监管人员修改后的简介。', 'the edit survives');
    assert.deepEqual(after!.keywords, ['修改']);
    assert.equal(after!.version, edited.version, 'the brand was not written again');
    assert.equal((await TimeHonored.findOne({ brand: stored._id }).lean())!.story, '修改后的品牌故事。');
    assert.equal(await Certificate.countDocuments({ brand: stored._id }), 2);
  });

  it('when the whole demo set is seeded again, then nothing is created and every brand is reported skipped', async function () {
    this.timeout(120_000);
    const report = await seedDemo();
    assert.equal(report.created, 0, report.changed.join('; '));
    assert.equal(report.byRecord.brand.skipped, DEMO_BRANDS.length);
  });

  it('when a script looks for its database, then a URI must name one, and without a URI it is the local demo database', async () => {
    assert.equal(dbNameOf('mongodb://127.0.0.1:27017/brand_registry?retryWrites=false'), 'brand_registry');
    assert.equal(dbNameOf('mongodb://127.0.0.1:27017'), null);
    assert.equal(dbNameOf('mongodb://127.0.0.1:27017/'), null);
    await assert.rejects(scriptDatabase({ uri: 'mongodb://127.0.0.1:27017', dataDir: '.data' }), NoDatabaseNameError);
    await assert.rejects(scriptDatabase({ uri: 'mongodb://127.0.0.1:27017/', dataDir: '.data' }), NoDatabaseNameError);
    const named = await scriptDatabase({ uri: 'mongodb://127.0.0.1:27017/x', dataDir: '.data' });
    assert.deepEqual([named.uri, named.dbName, named.mongo], ['mongodb://127.0.0.1:27017/x', undefined, null]);
    const withDb = await scriptDatabase({ uri: 'mongodb://127.0.0.1:27017', dataDir: '.data', dbName: 'y' });
    assert.equal(withDb.dbName, 'y');
  });

  it('when the demo runs on another port or host, then its public address follows unless PUBLIC_BASE_URL is set', () => {
    assert.equal(localBaseUrl({}), 'http://localhost:3000');
    assert.equal(localBaseUrl({ PORT: '3631' }), 'http://localhost:3631');
    assert.equal(localBaseUrl({ PORT: '3631', HOST: '0.0.0.0' }), 'http://localhost:3631');
    assert.equal(localBaseUrl({ PORT: '8080', HOST: 'registry.lan' }), 'http://registry.lan:8080');
    assert.equal(localBaseUrl({ PORT: '3631', PUBLIC_BASE_URL: 'https://brands.example.cn' }), 'https://brands.example.cn');
  });
});
