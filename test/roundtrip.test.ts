/**
 * The whole slice end to end: a brand written through the registry service reaches the search
 * index through the sync worker, is found through the API and the pages, has a brand page with its
 * certificate, and a rename or a status change shows up everywhere after the index catches up.
 */
import assert from 'node:assert/strict';
import { Brand, Certificate } from '../src/registries/models.js';
import { updateEntry } from '../src/registries/service.js';
import { testContext } from './support/context.js';
import { createTestBrand, get, page, resultCount } from './support/helpers.js';

const OLD_NAME = '琥珀麒麟糕坊';
const NEW_NAME = '珊瑚凤鸣糕坊';

type ApiHit = { kind: string; slug: string; name: string; status: string; highlights: Record<string, string> };

const apiSearch = async (query: string): Promise<{ hits: ApiHit[]; total: number }> => {
  const res = await get(`/api/v1/search?${query}`);
  assert.equal(res.status, 200, res.text.slice(0, 200));
  return res.body;
};
const kindsFound = (hits: ApiHit[], slug: string) =>
  hits
    .filter((h) => h.slug === slug)
    .map((h) => h.kind)
    .sort();

describe('round trip: registry service → search index → API and pages', () => {
  const certNumber = `RT-${Date.now().toString(36).toUpperCase()}`;
  let slug: string;
  let brandId: unknown;
  let statsBefore: Awaited<ReturnType<ReturnType<typeof testContext>['index']['stats']>>;

  before(async () => {
    const { index, sync } = testContext();
    await sync.drain();
    statsBefore = await index.stats();
    assert.equal((await apiSearch(`q=${OLD_NAME}`)).total, 0, 'nothing has the name yet');
    const made = await createTestBrand({
      slugPrefix: 'roundtrip',
      name: OLD_NAME,
      company: '武汉江滩食品有限公司',
      keywords: ['桂花糕', '米糕'],
      certificate: { number: certNumber, product: '手工桂花米糕' },
    });
    slug = made.slug;
    brandId = made.brand._id;
  });

  it('when a brand has just been written, then the index catches up on drain and /readyz reports no lag', async () => {
    const { index, sync } = testContext();
    assert.ok((await sync.lag()) > 0, 'the new entries are pending');
    await sync.drain();
    assert.equal(await sync.lag(), 0);
    const stats = await index.stats();
    assert.equal(stats.byKind.directory, (statsBefore.byKind.directory ?? 0) + 1);
    assert.equal(stats.byKind.certified, (statsBefore.byKind.certified ?? 0) + 1);
    const ready = await get('/readyz');
    assert.equal(ready.body.search.lag, 0);
    assert.equal(ready.body.search.documents, stats.documents);
  });

  it('when searching part of its name through the API, then its directory entry and certificate are found, highlighted', async () => {
    const { hits } = await apiSearch('q=麒麟糕');
    assert.deepEqual(kindsFound(hits, slug), ['certified', 'directory']);
    const dir = hits.find((h) => h.slug === slug && h.kind === 'directory')!;
    assert.equal(dir.name, OLD_NAME);
    assert.match(dir.highlights.name!, /<mark>麒麟糕<\/mark>/);
  });

  it('when searching its pinyin, initials or certificate number, then it is found', async () => {
    assert.ok(kindsFound((await apiSearch('q=hupoqilin')).hits, slug).includes('directory'), 'pinyin');
    assert.ok(kindsFound((await apiSearch('q=hpqlgf')).hits, slug).includes('directory'), 'initials');
    const byNumber = await apiSearch(`q=${certNumber}`);
    assert.equal(byNumber.hits[0]?.slug, slug, 'the exact certificate number ranks first');
    assert.equal(byNumber.hits[0]?.kind, 'certified');
  });

  it('when searching on the search page, then a hit links to its brand page', async () => {
    const { $ } = await page('/search?q=琥珀麒麟');
    // One card for the brand, carrying its directory entry and its certificate.
    assert.equal(resultCount($), 1);
    const links = $('ol.hits .hit-title a')
      .toArray()
      .map((a) => $(a).attr('href'));
    assert.deepEqual(links, [`/brands/${slug}`]);
    assert.equal($('ol.hits .entry-chips a.entry-chip').length, 2);
  });

  it('when its brand page is opened, then the name, company and certificate with its status are shown', async () => {
    const { $ } = await page(`/brands/${slug}`);
    assert.equal($('h1').text().trim(), OLD_NAME);
    assert.equal($('.brand-company').text().trim(), '武汉江滩食品有限公司');
    const cert = $('section#certified li.cert');
    assert.equal(cert.length, 1);
    assert.equal(cert.find('.mono').text(), certNumber);
    assert.equal(cert.find('.status').text().trim(), '有效');
    assert.match(cert.text(), /手工桂花米糕/);
    assert.equal($('.notice-demo').length, 0, 'a real (non-demo) brand carries no demo note');
  });

  it('when its certificate is verified through the API, then it is valid and points to the brand', async () => {
    const res = await get(`/api/v1/certificates/${certNumber}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.statusCode, 'valid');
    assert.equal(res.body.brand.slug, slug);
    assert.equal(res.body.brand.name, OLD_NAME);
  });

  it('when the brand is renamed through updateEntry, then after drain the old name no longer finds it and the new one does', async () => {
    const current = await Brand.findById(brandId).lean();
    const updated = await updateEntry<{ name: string }>(Brand, current!._id, current!.version, { name: NEW_NAME });
    assert.equal(updated.name, NEW_NAME);
    assert.equal(updated.version, current!.version + 1);
    await testContext().sync.drain();

    assert.deepEqual(kindsFound((await apiSearch(`q=${OLD_NAME}`)).hits, slug), [], 'old full name');
    assert.deepEqual(kindsFound((await apiSearch('q=琥珀麒麟')).hits, slug), [], 'old partial name');
    assert.deepEqual(kindsFound((await apiSearch('q=hupoqilin')).hits, slug), [], 'old pinyin');
    assert.deepEqual(kindsFound((await apiSearch('q=凤鸣')).hits, slug), ['certified', 'directory'], 'new partial name');
    assert.ok(kindsFound((await apiSearch('q=shanhufengming')).hits, slug).includes('directory'), 'new pinyin');

    const { $ } = await page('/search?q=珊瑚凤鸣');
    assert.ok(
      $('ol.hits .hit-title a')
        .toArray()
        .some((a) => $(a).attr('href') === `/brands/${slug}`),
    );
    const { $: brandPage } = await page(`/brands/${slug}`);
    assert.equal(brandPage('h1').text().trim(), NEW_NAME);
    // JSON-LD: the company as an Organization, with the brand under `brand`.
    assert.equal(JSON.parse(brandPage('script[type="application/ld+json"]').text()).brand.name, NEW_NAME);
  });

  it('when the certificate is suspended, then after drain the API, the status filter and the brand page all say 暂停', async () => {
    const cert = await Certificate.findOne({ number: certNumber }).lean();
    await updateEntry(Certificate, cert!._id, cert!.version, { status: '暂停' }, { actor: 'roundtrip@example.gov.cn', reason: '监督抽查整改（测试）' });
    await testContext().sync.drain();

    const api = await get(`/api/v1/certificates/${certNumber}`);
    assert.equal(api.body.statusCode, 'suspended');
    assert.equal(api.body.statusReason, '监督抽查整改（测试）');
    const suspended = await apiSearch('kind=certified&status=暂停&pageSize=100');
    assert.ok(suspended.hits.some((h) => h.slug === slug));
    const valid = await apiSearch('kind=certified&status=有效&pageSize=100');
    assert.ok(!valid.hits.some((h) => h.slug === slug));
    const { $ } = await page(`/brands/${slug}`);
    assert.equal($('section#certified .status').text().trim(), '暂停');
    assert.match($('section#certified').text(), /监督抽查整改/);
  });
});
