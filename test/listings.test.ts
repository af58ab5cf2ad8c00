/**
 * Issue #12 items 3 and 6: a brand on several time-honored lists holds one listing per tier, and
 * an import finds brands that a published list names without a credit code.
 *
 * The files are shaped like the bureau's published lists: 品牌名称, 企业名称 (often blank),
 * 老字号级别, 认定年份 — no credit code, no sector, no district.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Types } from 'mongoose';
import { runImport, type Problem } from '../src/imports/engine.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { computeRegistryStats } from '../src/registries/counts.js';
import { step as listingsStep } from '../src/registries/migrations/item3-listings.js';
import { TimeHonored } from '../src/registries/models.js';
import { createEntry } from '../src/registries/service.js';
import type { Kind } from '../src/registries/reference.js';
import { loginAs, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';
import { Brand, createTestBrand, encodeNonAscii, get, page } from './support/helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'listings-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// 武汉老字号 rows say 2018: the museum's ordering test (showcase.test.ts) expects its own undated
// 2019 brand to come last in that tier.

/** A unique suffix per test, so names never meet the demo data or another test's brands. */
let seq = 0;
const unique = () => `${Date.now().toString(36).slice(-4)}${++seq}`;

/** A CSV file as a published list gives it. */
function listFile(name: string, rows: string[][], header = ['品牌名称', '企业名称', '老字号级别', '认定年份']): string {
  const file = path.join(tmp, `${name}-${unique()}.csv`);
  const cell = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  writeFileSync(file, [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n');
  return file;
}

async function run(file: string, dryRun: boolean, registry: Kind = 'time-honored') {
  const problems: Problem[] = [];
  const summary = await runImport({
    registry,
    file,
    fileName: path.basename(file),
    dryRun,
    actor: 'test@listings',
    audit: testContext().auditTrail,
    onProblem: (p) => void problems.push(p),
  });
  return { summary, problems, counts: { created: summary.created, updated: summary.updated, unchanged: summary.unchanged, rejected: summary.rejected } };
}

const tiersOf = async (brandId: Types.ObjectId | string) =>
  (await TimeHonored.find({ brand: brandId }, { tier: 1, recognizedYear: 1 }).lean()).map((l) => `${l.tier} ${l.recognizedYear}`).sort();

describe('time-honored listings and brands without a credit code (issue #12 items 3, 6)', () => {
  describe('migration step item3-listings', () => {
    it('when the old unique index on brand is there, then the step drops it once and a second run changes nothing', async () => {
      // The demo data holds one listing per brand, so the old index can be put back as it was.
      await TimeHonored.collection.createIndex({ brand: 1 }, { unique: true, name: 'brand_1' });
      const lines: string[] = [];
      const first = await listingsStep.run((l) => lines.push(l));
      assert.ok(first.changed >= 1, `changed ${first.changed}: ${lines.join('; ')}`);
      const indexes = await TimeHonored.collection.indexes();
      assert.ok(!indexes.some((ix) => ix.name === 'brand_1'), 'the old unique index is gone');
      assert.ok(
        indexes.some((ix) => ix.unique && JSON.stringify(ix.key) === JSON.stringify({ brand: 1, tier: 1 })),
        'the unique {brand, tier} index is there',
      );
      const second = await listingsStep.run(() => {});
      assert.equal(second.changed, 0);
    });
  });

  describe('a brand on the 中华 and the 湖北 list', () => {
    for (const order of [
      ['中华老字号', '湖北老字号'],
      ['湖北老字号', '中华老字号'],
    ] as const) {
      it(`when the ${order[0]} list and then the ${order[1]} list are imported, then the brand keeps both listings and the second dry run creates, not updates`, async () => {
        const name = `蔡记${unique()}`;
        const company = `武汉${name}餐饮管理有限公司`;
        const year = { 中华老字号: '2024', 湖北老字号: '2014' } as const;
        // The first list gives the company; the second leaves it blank, as published lists often do.
        const first = listFile('first', [[name, company, order[0], `${year[order[0]]}年`]]);
        const second = listFile('second', [[name, '', order[1], year[order[1]]]]);
        const a = await run(first, false);
        assert.deepEqual(a.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(a.problems));
        const dry = await run(second, true);
        assert.deepEqual(dry.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(dry.problems));
        const b = await run(second, false);
        assert.deepEqual(b.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(b.problems));
        const brands = await Brand.find({ name }).lean();
        assert.equal(brands.length, 1, 'one brand, found by name the second time');
        assert.equal(brands[0]!.company, company, 'a blank company cell keeps the company');
        assert.deepEqual(await tiersOf(brands[0]!._id), ['中华老字号 2024', '湖北老字号 2014']);
        // Both lists again: nothing changes, neither tier touches the other.
        assert.deepEqual((await run(first, false)).counts, { created: 0, updated: 0, unchanged: 1, rejected: 0 });
        assert.deepEqual((await run(second, false)).counts, { created: 0, updated: 0, unchanged: 1, rejected: 0 });
        assert.deepEqual(await tiersOf(brands[0]!._id), ['中华老字号 2024', '湖北老字号 2014']);
      });
    }

    it('when the brand page is opened, then it shows every tier the brand holds, each listing with its year; search and counts see both listings of one brand', async () => {
      const name = `曹记${unique()}`;
      const before = (await computeRegistryStats()).registries['time-honored'];
      await run(
        listFile('both', [
          [name, '', '中华老字号', '2024'],
          [name, '', '湖北老字号', '2014'],
        ]),
        false,
      );
      const brand = await Brand.findOne({ name }).lean();
      assert.ok(brand, 'the brand was created from its name');
      await testContext().sync.drain();
      const { $ } = await page(`/brands/${brand.slug}`);
      assert.equal($('#th-tiers').text().trim(), '中华老字号 2024 · 湖北老字号 2014');
      const listings = $('#time-honored .th-listing h3')
        .map((_, h) => $(h).text().replace(/\s+/g, ' ').trim())
        .get();
      assert.deepEqual(listings, ['中华老字号 有效', '湖北老字号 有效']);
      const en = await page(`/brands/${brand.slug}?lang=en`);
      assert.match(en.$('#th-tiers').text(), /2024 · .*2014/);
      const story = await page(`/time-honored/${brand.slug}/story`);
      assert.equal(story.$('.story-tier .tier-seal').length, 2, 'the story page shows both tiers');

      // Each listing is its own search document.
      const search = await get(`/api/v1/search?q=${encodeURIComponent(name)}&kind=time-honored`);
      const hits = (search.body as { hits: Array<{ slug: string; tier: string }> }).hits.filter((h) => h.slug === brand.slug);
      assert.deepEqual(hits.map((h) => h.tier).sort(), ['中华老字号', '湖北老字号']);
      // Listings per tier, brands once.
      const after = (await computeRegistryStats()).registries['time-honored'];
      const tier = (r: typeof after, t: string) => r.byTier.find((c) => c.value === t)?.count ?? 0;
      assert.equal(after.total - before.total, 2, 'two listings');
      assert.equal(after.brands - before.brands, 1, 'one brand');
      assert.equal(tier(after, '中华老字号') - tier(before, '中华老字号'), 1);
      assert.equal(tier(after, '湖北老字号') - tier(before, '湖北老字号'), 1);
    });

    it('when a row of the same brand and tier repeats in one file, then the second is a problem on the tier column', async () => {
      const name = `重复${unique()}`;
      const r = await run(
        listFile('repeat', [
          [name, '', '武汉老字号', '2018'],
          [name, '', '武汉老字号', '2020'],
        ]),
        true,
      );
      assert.deepEqual(r.counts, { created: 1, updated: 0, unchanged: 0, rejected: 1 });
      assert.deepEqual(
        r.problems.map((p) => [p.row, p.column]),
        [[3, '老字号级别']],
      );
    });
  });

  describe('a row that would change a listing’s tier', () => {
    it('when a file names a 中华 listing by its id but says 湖北, then the dry run and the real run report a problem on the tier column and change nothing', async () => {
      const name = `马记${unique()}`;
      await run(listFile('cn', [[name, '', '中华老字号', '2006']]), false);
      const brand = await Brand.findOne({ name }).lean();
      const listing = await TimeHonored.findOne({ brand: brand!._id }).lean();
      const file = listFile('retier', [[name, '', '湖北老字号', '2006', String(listing!._id)]], ['品牌名称', '企业名称', '老字号级别', '认定年份', '记录编号']);
      for (const dryRun of [true, false]) {
        const r = await run(file, dryRun);
        assert.deepEqual(r.counts, { created: 0, updated: 0, unchanged: 0, rejected: 1 }, `dry run ${dryRun}`);
        assert.equal(r.problems.length, 1);
        assert.equal(r.problems[0]!.column, '老字号级别');
        assert.match(r.problems[0]!.message, /中华老字号.*湖北老字号/);
      }
      assert.deepEqual(await tiersOf(brand!._id), ['中华老字号 2006']);
      // The same id with its own tier updates that listing.
      const fix = listFile('same', [[name, '', '中华老字号', '2007', String(listing!._id)]], ['品牌名称', '企业名称', '老字号级别', '认定年份', '记录编号']);
      assert.deepEqual((await run(fix, false)).counts, { created: 0, updated: 1, unchanged: 0, rejected: 0 });
      assert.deepEqual(await tiersOf(brand!._id), ['中华老字号 2007']);
    });
  });

  describe('brands matched without a credit code', () => {
    it('when a name-only row names a brand the registry holds (with its credit code), then it is that brand, not a new one', async () => {
      const name = `汪记${unique()}`;
      const { brand } = await createTestBrand({ slugPrefix: 'lst-name', name, directory: false });
      const r = await run(listFile('name-only', [[name, '', '武汉老字号', '2018']]), false);
      assert.deepEqual(r.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(r.problems));
      assert.equal(await Brand.countDocuments({ name }), 1);
      assert.deepEqual(await tiersOf(brand._id), ['武汉老字号 2018']);
    });

    it('when two brands share a name and the row gives no company, then the row is refused naming both; with the company it finds the right one', async () => {
      const name = `老通城${unique()}`;
      const one = await createTestBrand({ slugPrefix: 'lst-amb-a', name, company: `武汉${name}食品有限公司`, directory: false });
      const two = await createTestBrand({ slugPrefix: 'lst-amb-b', name, company: `武汉${name}餐饮有限公司`, directory: false });
      const r = await run(listFile('ambiguous', [[name, '', '中华老字号', '2011']]), true);
      assert.deepEqual(r.counts, { created: 0, updated: 0, unchanged: 0, rejected: 1 });
      assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
      const p = r.problems[0]!;
      assert.equal(p.row, 2);
      assert.equal(p.column, '品牌名称');
      assert.ok(p.message.includes(`武汉${name}食品有限公司`) && p.message.includes(`武汉${name}餐饮有限公司`), p.message);
      assert.ok(p.message.includes(one.slug) && p.message.includes(two.slug), 'the candidates are named by their slugs too');

      const named = await run(listFile('with-company', [[name, `武汉${name}餐饮有限公司`, '中华老字号', '2011']]), false);
      assert.deepEqual(named.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(named.problems));
      assert.deepEqual(await tiersOf(two.brand._id), ['中华老字号 2011']);
      assert.deepEqual(await tiersOf(one.brand._id), []);

      // Now only one of the two is on the time-honored list: a name-only row of another tier means it.
      const again = await run(listFile('name-on-list', [[name, '', '湖北老字号', '2014']]), false);
      assert.deepEqual(again.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(again.problems));
      assert.deepEqual(await tiersOf(two.brand._id), ['中华老字号 2011', '湖北老字号 2014']);
    });

    it('when a later file gives the credit code of a brand first imported by name, then it is that brand and the code is filled in', async () => {
      const name = `谢记${unique()}`;
      await run(listFile('no-code', [[name, '', '武汉老字号', '2018']]), false);
      const code = demoCreditCode(`lst-code-${name}`);
      const r = await run(
        listFile('with-code', [[name, '', code, '武汉老字号', '2018']], ['品牌名称', '企业名称', '统一社会信用代码', '老字号级别', '认定年份']),
        false,
      );
      assert.deepEqual(r.counts, { created: 0, updated: 1, unchanged: 0, rejected: 0 }, JSON.stringify(r.problems));
      const brands = await Brand.find({ name }).lean();
      assert.equal(brands.length, 1);
      assert.equal(brands[0]!.creditCode, code);
      // A brand with another credit code is another brand.
      const other = demoCreditCode(`lst-other-${name}`);
      const r2 = await run(
        listFile('other-code', [[name, '', other, '武汉老字号', '2018']], ['品牌名称', '企业名称', '统一社会信用代码', '老字号级别', '认定年份']),
        false,
      );
      assert.deepEqual(r2.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(r2.problems));
      assert.equal(await Brand.countDocuments({ name }), 2);
    });

    it('when a regulator entered a brand by hand without a credit code, then a later file that gives its code finds it and fills the code in', async () => {
      // Written by the service (a form), not by the import: the "no code" shape must be the same.
      const name = `手录${unique()}`;
      const editor = await loginAs('editor');
      const slug = `lst-hand-${unique()}`;
      const token = await editor.csrf('/admin/brands/new');
      const res = await editor.agent
        .post('/admin/brands/new')
        .type('form')
        .send({ _csrf: token, slug, name, company: '', creditCode: '', district: '', sector: '', industry: '' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const code = demoCreditCode(`lst-hand-${name}`);
      const r = await run(
        listFile('hand-with-code', [[name, '', code, '武汉老字号', '2018']], ['品牌名称', '企业名称', '统一社会信用代码', '老字号级别', '认定年份']),
        false,
      );
      assert.deepEqual(r.counts, { created: 1, updated: 0, unchanged: 0, rejected: 0 }, JSON.stringify(r.problems));
      const brands = await Brand.find({ name }).lean();
      assert.equal(brands.length, 1, 'the hand-entered brand, not a second one');
      assert.equal(brands[0]!.slug, slug);
      assert.equal(brands[0]!.creditCode, code);
      assert.deepEqual(await tiersOf(brands[0]!._id), ['武汉老字号 2018']);
    });

    it('when a brand is created from its name only and the pinyin slug is taken, then it gets the next free slug', async () => {
      const name = `刘记${unique()}`;
      await run(listFile('slug-a', [[name, '武汉甲公司', '武汉老字号', '2018']]), false);
      await run(listFile('slug-b', [[name, '武汉乙公司', '武汉老字号', '2018']]), false);
      const slugs = (await Brand.find({ name }, { slug: 1 }).lean()).map((b) => b.slug).sort();
      assert.equal(slugs.length, 2, 'two companies, two brands');
      assert.match(slugs[0]!, /^[a-z0-9-]+$/);
      assert.equal(slugs[1], `${slugs[0]}-2`);
    });
  });

  describe('back office', () => {
    let editor: SignedIn;
    before(async function () {
      this.timeout(60_000);
      editor = await loginAs('editor', { app: testContext().app });
    });

    it('when an editor adds a tier the brand already holds, then the form refuses it on the tier field; another tier is added and both are listed on the brand page', async () => {
      const { brand, slug } = await createTestBrand({ slugPrefix: 'lst-admin', name: `叶记${unique()}`, directory: false });
      await createEntry(TimeHonored, { brand: brand._id, tier: '中华老字号', recognizedYear: 2010, status: '有效' });
      const post = async (tier: string) => {
        const token = await editor.csrf(encodeNonAscii(`/admin/time-honored/new?brand=${slug}`));
        return editor.agent
          .post('/admin/time-honored/new')
          .type('form')
          .send({ _csrf: token, brand: slug, tier, recognizedYear: '2015', status: '有效', batch: '', heritage: '', story: '', address: '', rewardWan: '' });
      };
      const refused = await post('中华老字号');
      assert.equal(refused.status, 400, refused.text.slice(0, 300));
      const $ = cheerio.load(refused.text);
      assert.equal($('[name="tier"]').attr('aria-invalid'), 'true', 'the tier field is marked');
      assert.match(refused.text, /该品牌已有此级别的老字号认定/);
      assert.deepEqual(await tiersOf(brand._id), ['中华老字号 2010']);

      const added = await post('湖北老字号');
      assert.equal(added.status, 303, added.text.slice(0, 300));
      assert.deepEqual(await tiersOf(brand._id), ['中华老字号 2010', '湖北老字号 2015']);
      const brandPage = await editor.agent.get(`/admin/brands/${String(brand._id)}`);
      assert.equal(brandPage.status, 200);
      assert.match(brandPage.text, /中华老字号 · 2010/);
      assert.match(brandPage.text, /湖北老字号 · 2015/);
    });
  });
});
