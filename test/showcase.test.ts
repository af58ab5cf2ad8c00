/**
 * The 老字号 digital museum and the quality products showcase (src/site/showcase.ts): a brand's
 * story page, the museum index by tier, the showcase of certificates in force, and English mode.
 */
import assert from 'node:assert/strict';
import type { AnyNode } from 'domhandler';
import mongoose from 'mongoose';
import { Brand, Certificate, TimeHonored } from '../src/registries/models.js';
import { changeStatus, createEntry, updateEntry } from '../src/registries/service.js';
import { excerpt } from '../src/site/showcase.js';
import { createTestBrand, get, hrefUrl, page, type Doc } from './support/helpers.js';

const HAN = /\p{Script=Han}/u;

/** Han characters in text or text attributes outside elements marked lang="zh…" (as test/english.test.ts checks). */
function hanOutsideChinese($: Doc): string[] {
  const found: string[] = [];
  const visit = (node: AnyNode, where: string) => {
    if (node.type === 'text') {
      if (HAN.test(node.data) && where !== 'title') found.push(`${where}: ${node.data.trim().slice(0, 60)}`);
      return;
    }
    if (node.type !== 'tag') return;
    if (/^zh/i.test(node.attribs.lang ?? '')) return;
    if (['script', 'style'].includes(node.name)) return;
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) if (HAN.test(node.attribs[a] ?? '')) found.push(`${node.name}[${a}]`);
    for (const child of node.children) visit(child, node.name);
  };
  visit($('html')[0]!, 'html');
  return found;
}

const jsonLdOf = ($: Doc) => {
  const raw = $('script[type="application/ld+json"]').text();
  assert.ok(raw, 'a JSON-LD block');
  return JSON.parse(raw) as Record<string, unknown> & { address: Record<string, unknown>; brand: Record<string, unknown> };
};

describe('老字号 story page', () => {
  it('when a visitor opens /time-honored/cailinji/story, then it tells the name, tier, recognition, story, craft, address, founding and a timeline', async () => {
    const { $ } = await page('/time-honored/cailinji/story');
    assert.equal($('h1').length, 1);
    assert.match($('h1').text(), /^蔡林记/);
    assert.match($('h1').text(), /Cai Lin Ji/);
    const facts = $('dl.story-facts').text();
    assert.match(facts, /中华老字号/);
    assert.match(facts, /2006/);
    assert.match(facts, /1928年/);
    assert.match(facts, /热干面制作技艺/);
    assert.match(facts, /武汉市江汉区中山大道江汉路口/);
    assert.match($('.story-text .story').text(), /蔡明纬/);
    assert.equal($('.story-text .story').attr('lang'), 'zh-Hans');
    // Map search: a plain external link, no script.
    assert.match($('a.story-map').attr('href') ?? '', /^https:\/\/uri\.amap\.com\/search\?keyword=/);

    const items = $('ol.timeline li').toArray();
    assert.ok(items.length >= 3, `timeline items: ${items.length}`);
    assert.equal($(items[0]).find('time').attr('datetime'), '1928', 'the timeline starts with the founding');
    assert.match($(items[0]).text(), /创立/);
    const years = items.map((li) => Number(($(li).find('time').attr('datetime') ?? '').slice(0, 4)));
    assert.deepEqual(
      years,
      [...years].sort((a, b) => a - b),
      'oldest first',
    );
    assert.ok(
      items.some((li) => /认定为中华老字号/.test($(li).text())),
      'the recognition is on the timeline',
    );

    assert.match($('section.standing').text(), /中华老字号：2006年认定，现仍在名录中/);
    const links = $('nav.story-links a')
      .toArray()
      .map((a) => $(a).attr('href'));
    assert.ok(links.includes('/brands/cailinji'), links.join(' '));
    assert.ok(links.includes('/brands/cailinji#time-honored'), links.join(' '));
    assert.ok(links.includes('/time-honored/stories'));
  });

  it('when the story page is read by a machine, then it has a canonical link, a description and schema.org Organization JSON-LD', async () => {
    const { $ } = await page('/time-honored/cailinji/story');
    assert.equal($('link[rel="canonical"]').attr('href'), 'http://localhost:3000/time-honored/cailinji/story');
    assert.match($('meta[name="description"]').attr('content') ?? '', /蔡林记：中华老字号，2006年认定/);
    const ld = jsonLdOf($);
    assert.equal(ld['@context'], 'https://schema.org');
    assert.equal(ld['@type'], 'Organization');
    assert.equal(ld.name, '武汉蔡林记商贸有限公司');
    assert.equal(ld.foundingDate, '1928');
    assert.equal(ld.address['@type'], 'PostalAddress');
    assert.equal(ld.address.streetAddress, '武汉市江汉区中山大道江汉路口');
    assert.equal(ld.address.addressCountry, 'CN');
    assert.equal(ld.brand['@type'], 'Brand');
    assert.equal(ld.brand.name, '蔡林记');
    assert.deepEqual(ld.award, ['中华老字号（2006年认定）']);
    assert.equal(ld.url, 'http://localhost:3000/brands/cailinji');
  });

  it('when the brand page of a 老字号 is opened, then it links to its story', async () => {
    const { $ } = await page('/brands/cailinji');
    assert.equal($('#time-honored a[href="/time-honored/cailinji/story"]').length, 1);
  });

  it('when the story of a brand that is not a 老字号, an unknown brand or a malformed slug is asked for, then the answer is 404', async () => {
    assert.equal((await Brand.exists({ slug: 'jingwu' })) !== null, true, 'jingwu exists');
    await page('/time-honored/jingwu/story', 404);
    await page('/time-honored/no-such-brand-zz/story', 404);
    await page('/time-honored/BAD_Slug!/story', 404);
    await page(`/time-honored/${'a'.repeat(90)}/story`, 404);
  });

  it('when a story is long, then the excerpt is its first sentence or its first 60 characters', () => {
    assert.equal(excerpt('第一句。第二句。'), '第一句。');
    assert.equal(excerpt('字'.repeat(100)), `${'字'.repeat(60)}…`);
    assert.equal(excerpt(''), '');
  });
});

describe('老字号 digital museum', () => {
  it('when a visitor opens /time-honored/stories, then the listed 老字号 are grouped by tier, oldest first, each with an excerpt and a link to its story', async () => {
    const { $ } = await page('/time-honored/stories');
    assert.equal($('h1').text().trim(), '老字号数字博物馆');
    const sections = $('section.museum-tier');
    assert.deepEqual(
      sections.toArray().map((s) => $(s).find('h2').contents().first().text().trim()),
      ['中华老字号', '湖北老字号', '武汉老字号'],
    );
    const first = sections.first();
    const hrefs = first
      .find('h3 a')
      .toArray()
      .map((a) => $(a).attr('href') ?? '');
    assert.ok(hrefs.includes('/time-honored/cailinji/story'), hrefs.join(' '));
    for (const h of hrefs) assert.match(h, /^\/time-honored\/[a-z0-9-]+\/story$/);
    const slugs = hrefs.map((h) => h.split('/')[2]!);
    const founded = new Map(
      (await Brand.find({ slug: mongoose.trusted({ $in: slugs }) }, { slug: 1, founded: 1 }).lean()).map((b) => [b.slug, b.founded ?? 9999]),
    );
    const years = slugs.map((s) => founded.get(s)!);
    assert.deepEqual(
      years,
      [...years].sort((a, b) => a - b),
      'sorted by founding year',
    );
    const card = first.find('li.museum-card').filter((_, li) => $(li).find('a[href="/time-honored/cailinji/story"]').length > 0);
    assert.match(card.find('.museum-excerpt').text(), /^二十世纪二十年代末/);
    assert.match(card.find('.museum-meta').text(), /1928年创立/);
    const { res } = await page(hrefs[0]!);
    assert.equal(res.status, 200);
  });

  it('when a 老字号 is removed from the list, then it leaves the museum but its story page stays, saying so, without an award', async () => {
    const { slug, brand } = await createTestBrand({ slugPrefix: 'museum', name: '博物馆测试老号' });
    const th = await createEntry<Record<string, unknown>>(TimeHonored, {
      brand: brand._id,
      tier: '武汉老字号',
      recognizedYear: 2019,
      story: '测试用的品牌故事。',
      status: '有效',
    });
    const href = `/time-honored/${slug}/story`;
    const listed = await page('/time-honored/stories');
    assert.equal(listed.$(`#tier-3 a[href="${href}"]`).length, 1, 'listed under 武汉老字号');
    // No founding year: after every dated brand of its tier (other tests' undated brands may follow).
    const cards = listed.$('#tier-3 li.museum-card').toArray();
    const ours = cards.findIndex((li) => listed.$(li).find(`h3 a[href="${href}"]`).length > 0);
    const lastDated = cards.map((li) => listed.$(li).find('.museum-meta time').length > 0).lastIndexOf(true);
    assert.ok(ours > lastDated, `after every dated brand (card ${ours}, last dated ${lastDated})`);
    assert.ok(
      cards.slice(ours).every((li) => listed.$(li).find('.museum-meta time').length === 0),
      'only undated brands after it',
    );

    await changeStatus(TimeHonored, th._id as never, 1, '已移出', '经营异常', { actor: 'test' });
    const after = await page('/time-honored/stories');
    assert.equal(after.$(`a[href="${href}"]`).length, 0, 'no longer in the museum');
    const { $ } = await page(href);
    assert.match($('.status-notice').text(), /已移出/);
    assert.match($('.status-notice').text(), /经营异常/);
    assert.match($('section.standing').text(), /曾为武汉老字号，现已移出名录/);
    assert.equal(jsonLdOf($).award, undefined);
  });

  it('when a visitor opens the home page, then it links to the museum and the showcase', async () => {
    const { $ } = await page('/');
    assert.equal($('main a[href="/time-honored/stories"]').length, 1);
    assert.equal($('main a[href="/showcase"]').length, 1);
  });

  it('when the sitemap is read, then it lists the museum and the showcase', async () => {
    const res = await get('/sitemap-pages.xml').buffer(true);
    const text = res.text || String(res.body);
    assert.match(text, /<loc>http:\/\/localhost:3000\/time-honored\/stories<\/loc>/);
    assert.match(text, /<loc>http:\/\/localhost:3000\/showcase<\/loc>/);
  });
});

describe('quality products showcase', () => {
  it('when a visitor opens /showcase, then only certificates in force are shown, by industry, each with product, brand, level, valid-until and a verify link', async () => {
    const valid = await createTestBrand({
      slugPrefix: 'showok',
      name: '展示有效品牌',
      certificate: { number: `SHOW-OK-${Date.now().toString(36).toUpperCase()}`, product: '展示有效产品' },
    });
    const expired = await createTestBrand({
      slugPrefix: 'showexp',
      name: '展示过期品牌',
      certificate: { number: `SHOW-EXP-${Date.now().toString(36).toUpperCase()}`, product: '展示过期产品' },
    });
    await updateEntry(Certificate, expired.certificate!._id as never, 1, { validUntil: new Date(Date.UTC(2025, 5, 1)) }, { actor: 'test' });
    const suspended = await createTestBrand({
      slugPrefix: 'showsus',
      name: '展示暂停品牌',
      certificate: { number: `SHOW-SUS-${Date.now().toString(36).toUpperCase()}`, product: '展示暂停产品' },
    });
    await changeStatus(Certificate, suspended.certificate!._id as never, 1, '暂停', '抽检不合格', { actor: 'test' });

    const { $ } = await page('/showcase');
    assert.equal($('h1').text().trim(), '武汉名品精品展示');
    const text = $('main').text();
    assert.ok(text.includes('展示有效产品'), 'the certificate in force is shown');
    assert.ok(!text.includes('展示过期产品'), 'the expired certificate is left out');
    assert.ok(!text.includes('展示暂停产品'), 'the suspended certificate is left out');

    const card = $('li.showcase-card').filter((_, li) => $(li).find('.showcase-product').text() === '展示有效产品');
    assert.equal(card.length, 1);
    assert.equal(card.find('a[href^="/brands/"]').attr('href'), `/brands/${valid.slug}`);
    assert.equal(card.find('.level-badge').text(), '武汉精品');
    assert.match(card.find('time').text(), /2099年1月15日/);
    const number = valid.certificate!.number as string;
    assert.equal(card.find(`a[href="/verify/${number}"]`).text(), number);
    assert.equal(card.closest('section.showcase-industry').find('h2').text().trim(), '食品制造');

    // Every certificate shown is in force in the register.
    const numbers = $('li.showcase-card .mono a')
      .toArray()
      .map((a) => $(a).text());
    assert.ok(numbers.length > 1);
    const docs = await Certificate.find({ number: mongoose.trusted({ $in: numbers }) }, { status: 1, validUntil: 1 }).lean();
    assert.equal(docs.length, numbers.length);
    for (const d of docs) assert.ok(d.status === '有效' && d.validUntil.getTime() >= Date.now(), `${String(d._id)} in force`);
    // Headings in order: h1, then h2 per industry, h3 per card.
    assert.ok($('section.showcase-industry h2').length >= 1);
    assert.equal($('section.showcase-industry h3').length, numbers.length);
  });

  it('when a level filter link is followed, then only that level is listed and the link is marked current', async () => {
    const { $ } = await page('/showcase');
    const links = $('nav.showcase-filters a');
    assert.ok(links.length >= 3, 'all levels plus the ones present');
    assert.equal($('nav.showcase-filters a[aria-current="page"]').text().trim().startsWith('全部级别'), true);
    const hb = links.filter((_, a) => $(a).text().includes('湖北精品'));
    assert.equal(hb.length, 1);
    const href = hb.attr('href');
    assert.equal(hrefUrl(href).searchParams.get('level'), '湖北精品');
    const { $: f } = await page(href!);
    assert.match(f('h1').text(), /湖北精品/);
    const badges = f('.level-badge')
      .toArray()
      .map((b) => f(b).text());
    assert.ok(badges.length > 0);
    assert.ok(
      badges.every((b) => b === '湖北精品'),
      badges.join(' '),
    );
    assert.match(f('nav.showcase-filters a[aria-current="page"]').text(), /湖北精品/);
    assert.match(f('link[rel="canonical"]').attr('href') ?? '', /\/showcase\?level=%E6%B9%96%E5%8C%97%E7%B2%BE%E5%93%81$/);
    await page('/showcase?level=nope', 404);
    await page('/showcase?page=999999', 404);
    await page('/showcase?page=0', 404);
  });
});

describe('museum and showcase in English', () => {
  for (const path of ['/time-honored/cailinji/story', '/time-honored/stories', '/showcase', '/showcase?level=武汉精品']) {
    it(`when ${path} is opened with ?lang=en, then no Chinese is left outside Chinese data`, async () => {
      const url = `${path}${path.includes('?') ? '&' : '?'}lang=en`;
      const { $ } = await page(url);
      assert.equal($('html').attr('lang'), 'en');
      assert.deepEqual(hanOutsideChinese($), []);
      for (const a of $('main a').toArray()) {
        const href = $(a).attr('href') ?? '';
        if (href.startsWith('/') && !href.startsWith('/#')) assert.match(href, /lang=en/, `${href} keeps the language`);
      }
    });
  }

  it('when the story page is opened in English, then the labels are English', async () => {
    const { $ } = await page('/time-honored/cailinji/story?lang=en');
    assert.match($('dl.story-facts').text(), /China Time-honored Brand/);
    assert.match($('h2').text(), /Timeline/);
    assert.match($('ol.timeline li').first().text(), /Founded/);
  });
});
