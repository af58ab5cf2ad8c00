/**
 * Statistics against the action plan's targets: registry counts on a small known data set (brands
 * in a fresh industry, so every delta is ours), target progress from entered figures (with their
 * history) and from awards, the SVG charts with their data tables, the back-office forms, and an
 * axe-core pass over /stats in Chromium.
 *
 * The routers are mounted on an app of their own (same middleware as src/app.ts), with a stats
 * cache the tests invalidate, so no assertion waits for or depends on the shared one-minute cache.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import express, { type Express } from 'express';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { adminRoutes } from '../src/admin/index.js';
import { createLogger } from '../src/platform/logger.js';
import { errorHandler, notFoundHandler, pageContext, requestId, securityHeaders } from '../src/platform/http.js';
import { AppError } from '../src/platform/errors.js';
import { createRenderer } from '../src/platform/views.js';
import { demoCreditCode } from '../src/registries/credit-code.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored } from '../src/registries/models.js';
import { createEntry } from '../src/registries/service.js';
import { SwrCache } from '../src/platform/swr-cache.js';
import { barChart, fitLabel, lineChart, niceMax, progressBar, textWidth } from '../src/stats/charts.js';
import { Award } from '../src/stats/models.js';
import { countAwards, targetProgress } from '../src/stats/progress.js';
import { computeRegistryStats, type RegistryStats } from '../src/registries/counts.js';
import { statsAdminRoutes, statsRoutes } from '../src/stats/routes.js';
import { attachAward, figureSummaries, listAwards, parseNumber, recordFigure, withdrawAward } from '../src/stats/service.js';
import { TARGETS } from '../src/stats/targets.js';
import { loginAs } from './support/admin.js';
import { describeViolations, hasChromium, launch, seriousViolations, serve, CHROMIUM } from './support/browser.js';
import { testContext } from './support/context.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** An app with the statistics routers, the back office around the admin one, and a fresh-count cache. */
function statsApp(cache: SwrCache<RegistryStats>): Express {
  const { config } = testContext();
  const logger = createLogger('silent');
  const render = createRenderer(path.join(ROOT, 'views'));
  const app = express();
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(securityHeaders(false));
  app.use(express.static(path.join(ROOT, 'public'), { index: false }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  app.use(pageContext(config.PUBLIC_BASE_URL));
  app.use('/admin', adminRoutes({ render, config, logger, auditTrail: testContext().auditTrail, features: [statsAdminRoutes({ render, cache })] }));
  app.use(statsRoutes({ render, cache }));
  app.use(notFoundHandler());
  app.use(errorHandler(render, logger));
  return app;
}

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
let seq = 0;

async function brand(o: { district: string; sector: string; industry: string; creditCode?: string; name?: string }) {
  const slug = `stats-${tag}-${++seq}`;
  return createEntry<Record<string, any>>(
    Brand,
    {
      slug,
      name: o.name ?? `统计样例${seq}`,
      company: `武汉统计样例${seq}有限公司`,
      creditCode: o.creditCode ?? demoCreditCode(slug),
      district: o.district,
      sector: o.sector,
      industry: o.industry,
      description: '统计测试创建的品牌。',
    },
    { actor: 'stats-test' },
  );
}

const tierCount = (s: RegistryStats, kind: keyof RegistryStats['registries'], value: string) =>
  s.registries[kind].byTier.find((c) => c.value === value)?.count ?? 0;
const statusCount = (s: RegistryStats, kind: keyof RegistryStats['registries'], value: string) =>
  s.registries[kind].byStatus.find((c) => c.value === value)?.count ?? 0;
const district = (s: RegistryStats, d: string) => s.byDistrict.find((r) => r.value === d)!;
const sector = (s: RegistryStats, v: string) => s.bySector.find((r) => r.value === v)!;
const figureOf = (p: ReturnType<typeof targetProgress>, key: string) => p.find((x) => x.def.key === key)!;

describe('statistics: registry counts on a known data set', function () {
  this.timeout(120_000);

  it('when brands are added in a fresh industry in 汉南区 (一产), then every count grows by exactly what was added', async () => {
    const industry = `统计测试行业${tag}`;
    const before = await computeRegistryStats();

    const a = await brand({ district: '汉南区', sector: '一产', industry });
    const b = await brand({ district: '汉南区', sector: '一产', industry });
    const c = await brand({ district: '汉南区', sector: '一产', industry });
    // Directory: a geographic indication in force, one suspended (not counted for the target), one plain; all listed in 2003.
    await createEntry(DirectoryEntry, {
      brand: a._id,
      status: '在册',
      gi: { product: '汉南甜玉米', area: '汉南区' },
      listedAt: new Date(Date.UTC(2003, 4, 1)),
    });
    await createEntry(DirectoryEntry, { brand: b._id, status: '暂停', gi: { product: '汉南莲藕', area: '汉南区' }, listedAt: new Date(Date.UTC(2003, 6, 1)) });
    await createEntry(DirectoryEntry, { brand: c._id, status: '在册', advantage: true, listedAt: new Date(Date.UTC(2003, 8, 1)) });
    await createEntry(TimeHonored, { brand: a._id, tier: '武汉老字号', recognizedYear: 1996, status: '有效' });
    await createEntry(FamousMark, {
      brand: b._id,
      trademarkRegNo: `S${tag.slice(0, 8).toUpperCase()}`.replace(/[^0-9A-Z]/g, '0'),
      status: '一般保护',
      recognition: { date: new Date(Date.UTC(1999, 2, 3)), authority: '国家工商行政管理总局商标局', documentNo: '商标驰字〔1999〕1号', route: '行政认定' },
    });
    const cert = (number: string, issued: number, until: number) =>
      createEntry(Certificate, {
        number,
        brand: c._id,
        level: '湖北精品',
        scope: '产品',
        product: '汉南甜玉米',
        issuedAt: new Date(Date.UTC(issued, 0, 10)),
        validUntil: new Date(Date.UTC(until, 0, 10)),
        issuer: '湖北省市场监督管理局',
        status: '有效',
      });
    await cert(`HBJP-${tag}-1`.toUpperCase().slice(0, 32), 2024, 2099);
    await cert(`HBJP-${tag}-2`.toUpperCase().slice(0, 32), 2015, 2020); // expired: 过期, not counted for the target

    const after = await computeRegistryStats();
    assert.equal(after.brands - before.brands, 3);
    const dA = district(after, '汉南区');
    const dB = district(before, '汉南区');
    assert.deepEqual(
      { brands: dA.brands - dB.brands, famous: dA.famous - dB.famous, th: dA['time-honored'] - dB['time-honored'], certified: dA.certified - dB.certified },
      { brands: 3, famous: 1, th: 1, certified: 2 },
    );
    assert.equal(sector(after, '一产').brands - sector(before, '一产').brands, 3);
    assert.deepEqual(
      after.byIndustry.find((r) => r.value === industry),
      { value: industry, sector: '一产', brands: 3 },
    );
    assert.equal(
      before.byIndustry.find((r) => r.value === industry),
      undefined,
    );

    assert.equal(after.registries.directory.total - before.registries.directory.total, 3);
    assert.equal(tierCount(after, 'directory', '地理标志') - tierCount(before, 'directory', '地理标志'), 2);
    assert.equal(tierCount(after, 'directory', '优势商标') - tierCount(before, 'directory', '优势商标'), 1);
    assert.equal(statusCount(after, 'directory', '暂停') - statusCount(before, 'directory', '暂停'), 1);
    assert.equal(after.giListed - before.giListed, 1, 'only the GI entry with status 在册 counts for the GI target');
    assert.equal((after.registries.directory.byYear[2003] ?? 0) - (before.registries.directory.byYear[2003] ?? 0), 3);
    assert.ok(after.years.includes(2003));

    assert.equal(tierCount(after, 'time-honored', '武汉老字号') - tierCount(before, 'time-honored', '武汉老字号'), 1);
    assert.equal((after.registries['time-honored'].byYear[1996] ?? 0) - (before.registries['time-honored'].byYear[1996] ?? 0), 1);
    assert.equal(tierCount(after, 'famous', '行政认定') - tierCount(before, 'famous', '行政认定'), 1);
    assert.equal((after.registries.famous.byYear[1999] ?? 0) - (before.registries.famous.byYear[1999] ?? 0), 1);

    assert.equal(tierCount(after, 'certified', '湖北精品') - tierCount(before, 'certified', '湖北精品'), 2);
    assert.equal(statusCount(after, 'certified', '过期') - statusCount(before, 'certified', '过期'), 1, '过期 is derived from validUntil');
    assert.equal(statusCount(after, 'certified', '有效') - statusCount(before, 'certified', '有效'), 1);
    assert.equal((after.validCertificatesByLevel['湖北精品'] ?? 0) - (before.validCertificatesByLevel['湖北精品'] ?? 0), 1);
    assert.ok(after.lastExpiry && after.lastExpiry.getTime() >= Date.UTC(2020, 0, 10));

    for (const kind of ['directory', 'famous', 'time-honored', 'certified'] as const) {
      assert.ok(after.lastChange[kind], `${kind} has a last change`);
    }
  });

  it('when the registry counts are cached, then a stale value is served at once and refreshed in the background', async () => {
    let now = 0;
    let computed = 0;
    const cache = new SwrCache(async () => ++computed, { minTtlMs: 60_000, clock: () => now });
    assert.equal((await cache.get()).value, 1);
    now = 30_000;
    assert.equal((await cache.get()).value, 1, 'fresh: no recount');
    now = 61_000;
    assert.equal((await cache.get()).value, 1, 'stale: served at once');
    await new Promise((r) => setImmediate(r));
    assert.equal((await cache.get()).value, 2, 'then refreshed');
    assert.equal(computed, 2);
    const peek = new SwrCache(async () => 'x').peek();
    assert.equal(peek, null, 'a cold cache does not make peek() wait');
  });
});

describe('statistics: targets, figures and awards', function () {
  this.timeout(60_000);

  it('when two observations of a figure are entered (later date first), then the later-dated one is current with its date and source, and both are in the history', async () => {
    await recordFigure(
      { key: 'internationalStandards', value: '96', date: '2025-06-30', source: '市场监管局标准化处统计', sourceUrl: 'https://example.gov.cn/std' },
      { actor: 'editor-a@example.gov.cn' },
    );
    await recordFigure(
      { key: 'internationalStandards', value: '81', date: '2024-12-31', source: '2024年度标准化工作报告' },
      { actor: 'editor-b@example.gov.cn' },
    );
    const figures = await figureSummaries();
    const s = figures.internationalStandards;
    assert.equal(s.latest?.value, 96);
    assert.equal(s.latest?.source, '市场监管局标准化处统计');
    assert.equal(new Date(s.latest!.date).toISOString().slice(0, 10), '2025-06-30');
    assert.deepEqual(
      s.history.slice(0, 2).map((o) => o.value),
      [96, 81],
    );
    const stats = await computeRegistryStats();
    const p = figureOf(targetProgress(stats, figures, await listAwards()), 'internationalStandards');
    assert.equal(p.current, 96);
    assert.equal(p.percent, 106.7);
    assert.equal(p.met, true);
    assert.equal(p.origin.type, 'figure');
  });

  it('when a figure is corrected by entering the same date again, then the later entry wins and the first is kept', async () => {
    await recordFigure({ key: 'nationalStandards', value: '4,800', date: '2025-03-31', source: '季度统计' }, { actor: 'a@example.gov.cn' });
    await recordFigure({ key: 'nationalStandards', value: '4 812', date: '2025-03-31', source: '季度统计（更正）' }, { actor: 'b@example.gov.cn' });
    const s = (await figureSummaries()).nationalStandards;
    assert.equal(s.latest?.value, 4812);
    assert.ok(s.history.some((o) => o.value === 4800));
  });

  it('when a figure has bad input, then the problems name each field in Chinese (and English)', async () => {
    await assert.rejects(recordFigure({ key: 'nope', value: 'abc', date: '2025-13-01', source: '' }, { actor: 'x' }), (err: AppError) => {
      assert.equal(err.code, 'validation_failed');
      assert.deepEqual(err.fields.map((f) => f.field).sort(), ['date', 'key', 'source', 'value']);
      assert.ok(err.fields.every((f) => /[\u4e00-\u9fff]/.test(f.message) && f.messageEn.length > 0));
      return true;
    });
    await assert.rejects(
      recordFigure({ key: 'brandEconomyShare', value: '160', date: '2025-01-01', source: '统计局' }, { actor: 'x' }),
      (err: AppError) => err.fields[0]?.field === 'value',
    );
    await assert.rejects(
      recordFigure({ key: 'registeredTrademarks', value: '1.5', date: '2025-01-01', source: '统计局' }, { actor: 'x' }),
      (err: AppError) => err.fields[0]?.field === 'value',
    );
    await assert.rejects(
      recordFigure({ key: 'registeredTrademarks', value: '1', date: '2999-01-01', source: '统计局' }, { actor: 'x' }),
      (err: AppError) => err.fields[0]?.field === 'date',
    );
    await assert.rejects(
      recordFigure({ key: 'registeredTrademarks', value: '1', date: '2025-01-01', source: '统计局', sourceUrl: 'javascript:alert(1)' }, { actor: 'x' }),
      (err: AppError) => err.fields[0]?.field === 'sourceUrl',
    );
    await assert.rejects(
      recordFigure({ key: ['registeredTrademarks'], value: { $gt: 1 }, date: '2025-01-01', source: 's' }, { actor: 'x' }),
      (err: AppError) => err.code === 'validation_failed',
    );
    assert.equal(parseNumber('５２３，０００'), 523000);
    assert.equal(parseNumber('61.5%'), 61.5);
  });

  it('when awards are attached, then each target counts them its way (awards, distinct brands, distinct companies) and a withdrawn one stops counting', async () => {
    const industry = `奖项测试${tag}`;
    const sharedCode = demoCreditCode(`award-company-${tag}`);
    const a = await brand({ district: '江夏区', sector: '二产', industry, creditCode: sharedCode });
    const b = await brand({ district: '江夏区', sector: '二产', industry, creditCode: sharedCode });
    const ctx = { actor: 'editor@example.gov.cn' };
    const before = await listAwards();

    await attachAward({ brand: a.slug, award: '中国质量奖', year: '2021' }, ctx);
    await attachAward({ brand: a.slug, award: '中国质量奖提名奖', year: '2023' }, ctx);
    await attachAward({ brand: a.slug, award: '长江质量奖', year: '2022' }, ctx);
    await attachAward({ brand: b.slug, award: '长江质量奖', year: '2023' }, ctx);
    await attachAward({ brand: a.slug, award: '中国最具价值品牌500强', year: '2023' }, ctx);
    const listed2024 = await attachAward({ brand: a.slug, award: '中国最具价值品牌500强', year: '2024' }, ctx);

    const after = await listAwards();
    const delta = (names: string[], distinct: 'none' | 'brand' | 'company') => countAwards(after, names, distinct) - countAwards(before, names, distinct);
    assert.equal(delta(['中国质量奖', '中国质量奖提名奖'], 'none'), 2);
    assert.equal(delta(['长江质量奖'], 'company'), 1, 'two brands of one company are one unit');
    assert.equal(delta(['中国最具价值品牌500强'], 'brand'), 1, 'a brand listed in two years counts once');

    const stats = await computeRegistryStats();
    const p = targetProgress(stats, await figureSummaries(), after);
    assert.equal(figureOf(p, 'chinaQualityAward').current, countAwards(after, ['中国质量奖', '中国质量奖提名奖'], 'none'));

    await assert.rejects(attachAward({ brand: a.slug, award: '中国质量奖', year: '2021' }, ctx), (err: AppError) => err.fields[0]?.field === 'award');
    await assert.rejects(
      attachAward({ brand: 'no-such-brand-here', award: '中国质量奖', year: '2021' }, ctx),
      (err: AppError) => err.fields[0]?.field === 'brand',
    );
    await assert.rejects(attachAward({ brand: a.slug, award: '诺贝尔奖', year: '20x1' }, ctx), (err: AppError) => err.fields.length === 2);

    await assert.rejects(withdrawAward(String(listed2024._id), { version: '1', reason: '' }, ctx), (err: AppError) => err.fields[0]?.field === 'reason');
    await withdrawAward(String(listed2024._id), { version: '1', reason: '录入年度有误' }, ctx);
    const withdrawn = await Award.findById(listed2024._id).lean();
    assert.equal(withdrawn?.withdrawn, true);
    assert.equal(withdrawn?.withdrawnReason, '录入年度有误');
    assert.equal(
      countAwards(await listAwards(), ['中国最具价值品牌500强'], 'brand') - countAwards(before, ['中国最具价值品牌500强'], 'brand'),
      1,
      'still listed for 2023',
    );
    await assert.rejects(withdrawAward(String(listed2024._id), { version: '1', reason: '再次撤回' }, ctx), (err: AppError) => err.code === 'conflict');
  });

  it('when a target comes from the registry, then its value is the count the registry gives (GI in force, valid 湖北精品/武汉精品)', async () => {
    const stats = await computeRegistryStats();
    const p = targetProgress(stats, await figureSummaries(), await listAwards());
    assert.equal(p.length, TARGETS.length);
    assert.equal(figureOf(p, 'geographicIndications').current, stats.giListed);
    assert.equal(figureOf(p, 'hubeiQualityProducts').current, stats.validCertificatesByLevel['湖北精品'] ?? 0);
    assert.equal(figureOf(p, 'wuhanQualityProducts').current, stats.validCertificatesByLevel['武汉精品'] ?? 0);
    const missing = p.find((x) => x.def.key === 'internationalTrademarks')!;
    if (missing.current === null) assert.equal(missing.percent, null);
  });
});

describe('statistics: SVG charts', () => {
  const noStyle = (svg: string) => assert.ok(!/\sstyle\s*=/.test(svg), 'no inline style attribute (CSP)');

  it('when a bar chart is drawn, then it is an accessible image with one bar per row, proportional widths and escaped labels', () => {
    const svg = barChart({
      id: 'c1',
      title: '各区品牌数',
      desc: '说明',
      data: [
        { label: '江汉区', value: 10 },
        { label: '<script>x</script>', value: 5 },
        { label: '东西湖区', value: 0 },
      ],
    }).markup;
    noStyle(svg);
    const $ = cheerio.load(svg, { xml: true });
    const root = $('svg');
    assert.equal(root.attr('role'), 'img');
    assert.equal(root.attr('aria-labelledby'), 'c1-title c1-desc');
    assert.equal($('#c1-title').text(), '各区品牌数');
    assert.equal($('#c1-desc').text(), '说明');
    assert.match(root.attr('viewBox') ?? '', /^0 0 400 \d+$/);
    assert.equal(root.attr('width'), '100%');
    const bars = $('rect.chart-bar');
    assert.equal(bars.length, 3);
    const widths = bars.map((_, el) => Number($(el).attr('width'))).get();
    assert.ok(Math.abs(widths[1]! * 2 - widths[0]!) <= 1, `half the value, half the width: ${widths}`);
    assert.equal(widths[2], 0);
    assert.ok(!svg.includes('<script>'), 'labels are escaped');
    assert.deepEqual(
      $('text.chart-value')
        .map((_, el) => $(el).text())
        .get(),
      ['10', '5', '0'],
    );
  });

  it('when a line chart is drawn, then each series is a polyline through every category with a legend entry', () => {
    const svg = lineChart({
      id: 'c2',
      title: '每年新增',
      desc: 'd',
      categories: ['2019', '2020', '2021'],
      series: [
        { name: '商标品牌', values: [1, 5, 3] },
        { name: '老字号', values: [0, 2, 2] },
      ],
    }).markup;
    noStyle(svg);
    const $ = cheerio.load(svg, { xml: true });
    assert.equal($('svg').attr('role'), 'img');
    const lines = $('polyline.chart-line');
    assert.equal(lines.length, 2);
    assert.equal((lines.first().attr('points') ?? '').split(' ').length, 3);
    assert.notEqual(lines.eq(0).attr('stroke-dasharray'), lines.eq(1).attr('stroke-dasharray'), 'series differ by more than colour');
    assert.deepEqual(
      $('.chart-legend text')
        .map((_, el) => $(el).text())
        .get(),
      ['商标品牌', '老字号'],
    );
    assert.ok(
      $('text.chart-tick')
        .map((_, el) => $(el).text())
        .get()
        .includes('2021'),
    );
  });

  it('when a progress bar is drawn, then the fill is value/target of the width, full when met, absent without a value', () => {
    const width = (svg: string) => Number(cheerio.load(svg, { xml: true })('rect.progress-fill').attr('width') ?? 0);
    assert.equal(width(progressBar({ id: 'p1', title: 't', desc: 'd', value: 50, target: 100 }).markup), 199);
    assert.equal(width(progressBar({ id: 'p2', title: 't', desc: 'd', value: 250, target: 100 }).markup), 399);
    assert.equal(width(progressBar({ id: 'p3', title: 't', desc: 'd', value: null, target: 100 }).markup), 0);
    noStyle(progressBar({ id: 'p4', title: 't', desc: 'd', value: 1, target: 3 }).markup);
  });

  it('when axis maxima and labels are computed, then they are round and fit', () => {
    assert.deepEqual(
      [0, 3, 37, 96, 1234, 500_000].map((n) => niceMax(n)),
      [4, 4, 40, 100, 1600, 500_000],
    );
    const label = fitLabel('Wuhan Economic & Technological Development Zone', 100);
    assert.ok(label.endsWith('…') && textWidth(label) <= 100);
    assert.equal(fitLabel('江汉区', 100), '江汉区');
    assert.throws(() => barChart({ id: 'bad id"', title: '', desc: '', data: [] }));
  });
});

describe('statistics: /stats and /admin/stats pages', function () {
  this.timeout(60_000);
  const cache = new SwrCache(() => computeRegistryStats(), { minTtlMs: 60_000 });
  let app: Express;
  before(() => {
    app = statsApp(cache);
  });

  const getPage = async (p: string, agent?: ReturnType<typeof request.agent>) => {
    cache.invalidate();
    const res = await (agent ?? request(app)).get(p);
    assert.equal(res.status, 200, `${p} → ${res.status}: ${res.text.slice(0, 300)}`);
    return { $: cheerio.load(res.text), res };
  };

  it('when a visitor opens /stats, then every chart is an SVG image with title and description, followed by a data table with caption and header scopes', async () => {
    const { $, res } = await getPage('/stats');
    assert.equal($('h1').first().text().trim(), '品牌建设统计');
    assert.match(res.headers['cache-control'] ?? '', /public, max-age=60/);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.match($('.stats-freshness').text(), /北京时间.*\d+ 秒/);
    for (const id of ['district', 'sector', 'years']) {
      const section = $(`#${id}`);
      const svg = section.find('figure svg');
      assert.equal(svg.length, 1, `${id} chart`);
      assert.equal(svg.attr('role'), 'img');
      const [titleId, descId] = (svg.attr('aria-labelledby') ?? '').split(' ');
      assert.ok(svg.find(`title#${titleId}`).text().length > 0 && svg.find(`desc#${descId}`).text().length > 0, `${id}: title and desc`);
      const table = section.find('table').first();
      assert.ok(table.find('caption').text().trim().length > 0, `${id}: caption`);
      assert.ok(table.find('thead th[scope="col"]').length >= 2 && table.find('tbody th[scope="row"]').length >= 1, `${id}: header scopes`);
    }
    assert.equal($('#targets .stats-target svg[role="img"]').length, TARGETS.length, 'a progress bar per target');
    assert.equal($('#targets-table tbody tr').length, TARGETS.length);
    assert.equal($('[style]').length, 0, 'no inline styles (CSP)');
    assert.equal($('script').length, 0);
    // The district chart and table say the same as the counts.
    const stats = await computeRegistryStats();
    const row = $('#district-table tbody tr').filter((_, el) => $(el).find('th').text() === '江汉区');
    assert.equal(row.find('td').first().text(), stats.byDistrict.find((r) => r.value === '江汉区')!.brands.toLocaleString('en-US'));
    assert.equal($('#district svg rect.chart-bar').length, stats.byDistrict.length);
  });

  it('when a figure has been entered, then its target card shows the value, the date and who entered it from which source', async () => {
    await recordFigure(
      { key: 'registeredTrademarks', value: '523000', date: '2025-06-30', source: '国家知识产权局商标统计', sourceUrl: 'https://example.gov.cn/tm' },
      { actor: 'stats-editor@example.gov.cn' },
    );
    const { $ } = await getPage('/stats');
    const card = $('#target-registeredTrademarks');
    assert.match(card.find('.stats-current').text(), /523,000/);
    assert.match(card.find('.stats-percent').text(), /104\.6%/);
    const source = card.find('.stats-source').text();
    assert.match(source, /stats-editor@example\.gov\.cn/);
    assert.match(source, /2025年6月30日/);
    assert.match(source, /国家知识产权局商标统计/);
    assert.equal(card.find('.stats-source a').attr('href'), 'https://example.gov.cn/tm');
    const gi = $('#target-geographicIndications .stats-source').text();
    assert.match(gi, /名录统计/);
  });

  it('when /stats is opened in English, then headings and registry terms are English', async () => {
    const { $ } = await getPage('/stats?lang=en');
    assert.equal($('html').attr('lang'), 'en');
    assert.equal($('h1').first().text().trim(), 'Brand-building statistics');
    assert.ok(
      $('#district-table tbody th')
        .map((_, el) => $(el).text())
        .get()
        .includes('Jianghan'),
    );
  });

  it('when a hostile query is sent to /stats, then it is a 400, not a 500', async () => {
    const res = await request(app).get('/stats?lang[$ne]=x');
    assert.equal(res.status, 400);
  });

  it('when an editor enters a figure in /admin/stats, then it is saved and shown in its history; bad input comes back with Chinese field errors and the input kept', async () => {
    const { agent, csrf, user } = await loginAs('editor', { app });
    const token = await csrf('/admin/stats');
    const bad = await agent
      .post('/admin/stats/figures')
      .type('form')
      .send({ _csrf: token, key: 'brandEconomyShare', value: '六十', date: '2025-06-30', source: '' });
    assert.equal(bad.status, 400);
    const $bad = cheerio.load(bad.text);
    assert.match($bad('#figure-form .stats-problems').text(), /数值/);
    assert.equal($bad('#figure-value').attr('aria-invalid'), 'true');
    assert.equal($bad('#figure-value').val(), '六十', 'the input is kept');
    assert.match($bad('#figure-value-error').text(), /请填写数字/);
    assert.match($bad('#figure-source-error').text(), /请填写数据来源/);
    assert.equal($bad('#figure-key option[selected]').attr('value'), 'brandEconomyShare');

    const ok = await agent
      .post('/admin/stats/figures')
      .type('form')
      .send({ _csrf: token, key: 'brandEconomyShare', value: '57.3', date: '2024-12-31', source: '武汉市统计局年度公报', note: '初步核算' });
    assert.equal(ok.status, 303);
    const { $ } = await getPage('/admin/stats', agent);
    const panel = $('#figure-brandEconomyShare');
    assert.match(panel.find('.stats-latest').text(), /57\.3%/);
    assert.match(panel.find('table').text(), /武汉市统计局年度公报/);
    assert.match(panel.find('table').text(), new RegExp(user.email.replace(/[.]/g, '\\.')));
    assert.match($('.flash').text(), /已保存/);
  });

  it('when an editor attaches an award in /admin/stats, then it is listed and counted; an unknown brand is refused on the brand field', async () => {
    const { agent, csrf } = await loginAs('editor', { app });
    const b = await brand({ district: '黄陂区', sector: '三产', industry: `奖项页面测试${tag}` });
    const token = await csrf('/admin/stats');
    const bad = await agent.post('/admin/stats/awards').type('form').send({ _csrf: token, brand: 'no-such-brand-x', award: '市长质量奖', year: '2024' });
    assert.equal(bad.status, 400);
    const $bad = cheerio.load(bad.text);
    assert.match($bad('#award-brand-error').text(), /找不到/);
    assert.equal($bad('#award-brand').val(), 'no-such-brand-x');
    const ok = await agent.post('/admin/stats/awards').type('form').send({ _csrf: token, brand: b.slug, award: '市长质量奖', year: '2024' });
    assert.equal(ok.status, 303);
    const { $ } = await getPage('/admin/stats', agent);
    assert.ok($('#awards-admin tbody tr').filter((_, el) => $(el).text().includes(b.slug)).length === 1);
    const pub = await getPage('/stats');
    assert.ok(
      pub
        .$('#award-list a')
        .map((_, el) => pub.$(el).attr('href'))
        .get()
        .includes(`/brands/${b.slug}`),
    );
  });

  it('when a viewer opens /admin/stats, then there are no forms, and posting a figure is forbidden', async () => {
    const { agent, csrf } = await loginAs('viewer', { app });
    const token = await csrf('/admin/account');
    const { $ } = await getPage('/admin/stats', agent);
    assert.equal($('#figure-form').length, 0);
    assert.equal($('#award-form').length, 0);
    assert.equal($('#figures .stats-history').length >= 1, true);
    const res = await agent
      .post('/admin/stats/figures')
      .type('form')
      .send({ _csrf: token, key: 'nationalStandards', value: '1', date: '2025-01-01', source: 'x' });
    assert.equal(res.status, 403);
  });

  it('when nobody is signed in, then /admin/stats redirects to the sign-in page', async () => {
    const res = await request(app).get('/admin/stats');
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', /^\/admin\/login/);
  });
});

describe('statistics: /stats in Chromium', function () {
  this.timeout(90_000);
  let site: Awaited<ReturnType<typeof serve>> | undefined;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  before(async function () {
    if (!hasChromium()) {
      console.log(`    skipped: no Chromium at ${CHROMIUM}`);
      this.skip();
    }
    browser = await launch();
    site = await serve(statsApp(new SwrCache(() => computeRegistryStats(), { minTtlMs: 60_000 })));
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1280, height: 900 },
  ]) {
    it(`when /stats is opened at ${viewport.width}px, then axe finds no serious or critical violations, the CSP is not violated and the charts fit the width`, async () => {
      // First without bypassing the CSP: the page must not trip it (inline SVG, no inline style or script).
      const strict = await browser!.newContext({ viewport });
      const p1 = await strict.newPage();
      const cspErrors: string[] = [];
      p1.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      await p1.goto(`${site!.base}/stats`);
      assert.deepEqual(cspErrors, []);
      const { widths, viewportWidth } = await p1.evaluate(() => ({
        widths: [...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().right),
        viewportWidth: window.innerWidth,
      }));
      assert.ok(widths.length > 3 && widths.every((w) => w <= viewportWidth + 1), `charts fit in ${viewportWidth}: ${widths}`);
      await strict.close();

      // bypassCSP only so that axe-core can be injected.
      const context = await browser!.newContext({ viewport, bypassCSP: true, locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto(`${site!.base}/stats`);
      const v = await seriousViolations(page);
      assert.equal(v.length, 0, describeViolations(v));
      await page.goto(`${site!.base}/stats?lang=en`);
      const ve = await seriousViolations(page);
      assert.equal(ve.length, 0, describeViolations(ve));
      await context.close();
    });
  }
});
