/**
 * GET /api/v1/suggest: suggestions as you type from the same index as search — brands (→ brand
 * page), products (→ a search) and certificate numbers (→ /verify/<number>) — with validated input
 * (the project's JSON error shape), short public caching and the search rate limit; and the
 * optional `didYouMean` of /api/v1/search when nothing is found.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { openApiDocument } from '../src/api-docs/openapi.js';
import { Certificate } from '../src/registries/models.js';
import { EmbeddedSearchIndex } from '../src/search/embedded.js';
import { MeiliSearchIndex } from '../src/search/meili.js';
import type { SearchDoc, SearchIndex } from '../src/search/port.js';
import { editDistance, suggest as suggestFrom, suggestable, suggestionsFromHits } from '../src/site/suggest.js';
import { testContext } from './support/context.js';
import { encodeNonAscii, get } from './support/helpers.js';
import { MEILI_SKIPPED, meiliLane, sharedMeili, testIndexUid } from './support/meili.js';

interface Item {
  type: 'brand' | 'product' | 'certificate';
  label: string;
  detail: string;
  href: string;
}

const suggest = async (query: string) => {
  const res = await get(`/api/v1/suggest?${query}`);
  assert.equal(res.status, 200, `${query} → ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  return res.body as { q: string; items: Item[] };
};

const assertValidationError = async (query: string, field: string) => {
  const res = await request(testContext().app).get(`/api/v1/suggest${query}`);
  assert.equal(res.status, 400, `${query} → ${res.status}`);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(['validation_failed', 'bad_request'].includes(res.body.error?.code), `code ${res.body.error?.code}`);
  assert.equal(typeof res.body.error.message, 'string');
  assert.equal(typeof res.body.error.requestId, 'string');
  assert.ok(
    (res.body.error.fields as Array<{ field: string }>).some((f) => f.field === field),
    `fields name ${field}: ${JSON.stringify(res.body.error.fields)}`,
  );
  return res;
};

describe('suggest API: what it offers', () => {
  it('when 蔡林 is typed, then 蔡林记 is suggested as a brand that links to its brand page', async () => {
    const { q, items } = await suggest('q=蔡林');
    assert.equal(q, '蔡林');
    assert.ok(items.length >= 1 && items.length <= 8, `${items.length} items`);
    const brand = items.find((i) => i.type === 'brand' && i.label === '蔡林记');
    assert.ok(brand, JSON.stringify(items));
    assert.equal(brand.href, '/brands/cailinji');
    assert.match(brand.detail, /蔡林记/, 'the company is the detail line');
    assert.equal(new Set(items.filter((i) => i.type === 'brand').map((i) => i.href)).size, items.filter((i) => i.type === 'brand').length, 'each brand once');
  });

  it('when 热干 is typed, then the product 热干面 is suggested as a search for it', async () => {
    const { items } = await suggest('q=热干');
    const product = items.find((i) => i.type === 'product' && i.label === '热干面');
    assert.ok(product, JSON.stringify(items));
    assert.equal(product.href, `/search?q=${encodeURIComponent('热干面')}`);
    assert.ok(items.length <= 8);
  });

  it('when pinyin is typed (cailin), then the brand is suggested as for the Han name', async () => {
    const { items } = await suggest('q=cailin');
    assert.ok(
      items.some((i) => i.type === 'brand' && i.href === '/brands/cailinji'),
      JSON.stringify(items),
    );
  });

  it('when the start of a certificate number is typed, then the certificate is suggested with a link to /verify/<number>', async () => {
    const cert = await Certificate.findOne({ number: /^WHJP-/ })
      .sort({ number: 1 })
      .lean();
    assert.ok(cert, 'the demo data has a 武汉精品 certificate');
    const prefix = cert.number.slice(0, 9);
    const { items } = await suggest(`q=${encodeURIComponent(prefix.toLowerCase())}`);
    const found = items.find((i) => i.type === 'certificate' && i.label === cert.number);
    assert.ok(found, `${prefix}: ${JSON.stringify(items)}`);
    assert.equal(found.href, `/verify/${cert.number}`);
    assert.equal(items[0]!.type, 'certificate', 'a typed number puts certificates first');
  });

  it('when lang=en, then brand labels carry the English name and every link keeps lang=en', async () => {
    const { items } = await suggest('q=蔡林&lang=en');
    const brand = items.find((i) => i.type === 'brand' && i.href.startsWith('/brands/cailinji'));
    assert.ok(brand, JSON.stringify(items));
    assert.match(brand.label, /Cai Lin Ji/);
    for (const i of items) assert.match(i.href, /[?&]lang=en$/, i.href);
  });

  it('when one Latin letter is typed, then nothing is suggested (200 with an empty list): too short to mean anything', async () => {
    assert.deepEqual((await suggest('q=c')).items, []);
    assert.deepEqual((await suggest('q=%20c%20')).items, []);
    assert.ok((await suggest('q=热')).items.length > 0, 'one Han character is enough');
  });

  it('when something nothing matches is typed, then the list is empty', async () => {
    assert.deepEqual((await suggest(`q=${encodeURIComponent('龘靐齉')}`)).items, []);
  });

  it('when an answer is given, then it may be cached publicly for a short while and carries an ETag', async () => {
    const res = await get('/api/v1/suggest?q=蔡林');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.ok(res.headers.etag);
    const again = await request(testContext().app).get(encodeNonAscii('/api/v1/suggest?q=蔡林')).set('If-None-Match', res.headers.etag!);
    assert.equal(again.status, 304);
  });
});

describe('suggest API: input it refuses', () => {
  it('when q is missing, empty, blank or longer than 50 characters, then 400 names q', async () => {
    await assertValidationError('', 'q');
    await assertValidationError('?q=', 'q');
    await assertValidationError('?q=%20%20%20', 'q');
    await assertValidationError(`?q=${'a'.repeat(51)}`, 'q');
    await assertValidationError(`?q=${encodeURIComponent('热'.repeat(51))}`, 'q');
    // 50 characters after trimming are fine.
    const ok = await request(testContext().app).get(`/api/v1/suggest?q=${encodeURIComponent(`  ${'热'.repeat(50)}  `)}`);
    assert.equal(ok.status, 200);
  });

  it('when q is an operator object or repeated (q[$ne]=x, q=a&q=b), then 400, never 500', async () => {
    await assertValidationError('?q[$ne]=x', 'q[$ne]');
    await assertValidationError('?q%5B%24ne%5D=x', 'q[$ne]');
    await assertValidationError('?q=ab&q=cd', 'q');
    await assertValidationError('?q[]=ab', 'q[]');
  });

  it('when lang is not zh or en, then 400 names lang; and the message follows lang=en', async () => {
    await assertValidationError('?q=ab&lang=fr', 'lang');
    const res = await request(testContext().app).get('/api/v1/suggest?q=&lang=en');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /Invalid input/);
  });

  it('when q carries markup, then the answer is JSON (never HTML) and nothing is reflected as markup', async () => {
    const q = '<script>alert(1)</script>';
    const res = await request(testContext().app).get(`/api/v1/suggest?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /application\/json/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.body.q, q, 'echoed as a JSON string');
    // Labels are plain text (a brand may be named with markup: another suite stores one): the
    // script writes them with textContent, and the answer is JSON the browser will not sniff as HTML.
    for (const i of res.body.items as Item[]) assert.equal(typeof i.label, 'string');
    assert.doesNotThrow(() => JSON.parse(res.text));
  });

  it('when a client goes over the search rate limit, then suggest answers 429 too', async () => {
    const app = testContext().makeApp({ RATE_LIMIT_SEARCH_PER_MIN: 2 });
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) status = (await request(app).get('/api/v1/suggest?q=ab')).status;
    assert.equal(status, 429);
  });
});

describe('search API: did you mean', () => {
  it('when a misspelt brand finds nothing, then the answer carries didYouMean with the closest brand and its search URL', async () => {
    const res = await get('/api/v1/search?q=蔡林纪');
    assert.equal(res.status, 200);
    if (res.body.total > 0) return; // the engine itself found it (query understanding): nothing to correct
    assert.equal(res.body.didYouMean?.q, '蔡林记', JSON.stringify(res.body.didYouMean));
    assert.equal(res.body.didYouMean.url, `/search?q=${encodeURIComponent('蔡林记')}`);
  });

  it('when something is found, then there is no didYouMean', async () => {
    const res = await get('/api/v1/search?q=热干面');
    assert.ok(res.body.total > 0);
    assert.equal(res.body.didYouMean, undefined);
  });
});

describe('suggest API: as described', () => {
  const doc = openApiDocument('http://registry.test') as unknown as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi.json');
  const validator = (status: number, path = '/api/v1/suggest') =>
    ajv.getSchema(`openapi.json#/paths/${path.replace(/\//g, '~1')}/get/responses/${status}/content/application~1json/schema`)!;

  it('when answers 200 and 400 are given, then they match the OpenAPI document; and a didYouMean search answer matches SearchResult', async () => {
    for (const q of ['q=蔡林', 'q=热干', 'q=c', 'q=WHJP&lang=en']) {
      const res = await get(`/api/v1/suggest?${q}`);
      const validate = validator(200);
      assert.ok(validate(res.body), `${q}: ${ajv.errorsText(validate.errors)}`);
    }
    const bad = await get('/api/v1/suggest?q=');
    const validate400 = validator(400);
    assert.ok(validate400(bad.body), ajv.errorsText(validate400.errors));
    const search = await get('/api/v1/search?q=蔡林纪');
    const validateSearch = validator(200, '/api/v1/search');
    assert.ok(validateSearch(search.body), ajv.errorsText(validateSearch.errors));
  });
});

describe('suggest: pieces', () => {
  it('suggestable: one Han character, or two Latin letters/digits', () => {
    assert.equal(suggestable('热'), true);
    assert.equal(suggestable('a'), false);
    assert.equal(suggestable('a-'), false);
    assert.equal(suggestable('ab'), true);
    assert.equal(suggestable('1 2'), true);
  });

  it('editDistance counts code points', () => {
    assert.equal(editDistance('蔡林纪', '蔡林记'), 1);
    assert.equal(editDistance('cailinjj', 'cailinji'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggestionsFromHits never gives more than the limit', () => {
    const hit = (i: number) =>
      ({
        doc: { kind: 'directory', slug: `b${i}`, name: `品牌${i}`, nameEn: '', title: `品牌${i}`, company: 'c', keywords: [`品牌${i}货`], identifiers: [] },
        status: '在册',
        highlights: {},
      }) as never;
    const items = suggestionsFromHits(
      Array.from({ length: 20 }, (_, i) => hit(i)),
      '品牌',
      'zh',
      8,
    );
    assert.equal(items.length, 8);
    assert.equal(items.filter((i) => i.type === 'product').length, 3, 'room is kept for products');
  });
});

/** A directory entry of our own, for the adapters' lookup (no database needed). */
const entry = (n: number, name: string, keywords: string[]): SearchDoc => ({
  id: `directory:lookup${n}`,
  kind: 'directory',
  entryId: `lookup${n}`,
  version: 1,
  slug: `lookup-${n}`,
  name,
  nameEn: '',
  title: name,
  company: `${name}食品有限公司`,
  district: '江汉区',
  sector: '二产',
  industry: '食品制造',
  keywords,
  summary: '',
  tier: '普通',
  status: '在册',
  expiresAt: null,
  niceClasses: [30],
  identifiers: [],
  year: 2020,
  updatedAt: Date.UTC(2025, 0, 1) + n,
  demo: false,
});

const lookupAdapters: Array<[string, () => Promise<SearchIndex>]> = [['embedded', async () => new EmbeddedSearchIndex(':memory:')]];
if (meiliLane()) {
  lookupAdapters.push([
    'meilisearch',
    async () => {
      const server = await sharedMeili();
      return new MeiliSearchIndex({ host: server.url, apiKey: server.masterKey, searchKey: server.searchKey, indexUid: testIndexUid('suggest') });
    },
  ]);
} else {
  console.log(`  suggest lookup: ${MEILI_SKIPPED}; embedded adapter only`);
}

for (const [name, make] of lookupAdapters) {
  describe(`suggest: the bounded lookup (${name})`, function () {
    this.timeout(60_000);
    let index: SearchIndex;
    before(async () => {
      index = await make();
      await index.init();
      // Products starting with 犇, used by 3, 2 and 1 entries; the least used is indexed last
      // (newest), so recency alone would put it first.
      await index.rebuild(async (write) =>
        write([entry(1, '甲记', ['犇牛酱']), entry(2, '乙记', ['犇牛酱', '犇马糕']), entry(3, '丙记', ['犇牛酱', '犇马糕']), entry(4, '丁记', ['犇羊汤'])]),
      );
    });
    after(async () => index?.close());

    it('when one character is typed, then the completions most used come first, with their counts', async () => {
      assert.ok(index.lookup, 'the adapter has a lookup');
      const { words, hits } = await index.lookup!('犇', { limit: 20, words: 8 });
      assert.deepEqual(words, [
        { term: '犇牛酱', count: 3 },
        { term: '犇马糕', count: 2 },
        { term: '犇羊汤', count: 1 },
      ]);
      assert.equal(hits.length, 4, 'every matching entry, no more');
      const items = await suggestFrom(index, '犇', 'zh');
      const products = items.filter((i) => i.type === 'product').map((i) => i.label);
      assert.deepEqual(products.slice(0, 3), ['犇牛酱', '犇马糕', '犇羊汤'], JSON.stringify(items));
      assert.equal(items.find((i) => i.label === '犇羊汤')?.href, `/search?q=${encodeURIComponent('犇羊汤')}`);
    });

    it('when a longer prefix is typed, then only its completions are offered, and at most `limit` hits', async () => {
      const { words, hits } = await index.lookup!('犇马', { limit: 1, words: 8 });
      assert.deepEqual(
        words.map((w) => w.term),
        ['犇马糕'],
      );
      assert.equal(hits.length, 1);
      assert.ok(['乙记', '丙记'].includes(hits[0]!.doc.name), hits[0]!.doc.name);
    });

    it('when an entry is removed, then its words count one less and a word no entry uses is no longer offered', async function () {
      // Meilisearch's dictionary only grows between restarts (meili.ts: the engine does not say what it removed).
      if (name !== 'embedded') this.skip();
      await index.remove(['directory:lookup4']);
      const { words } = await index.lookup!('犇', { limit: 20, words: 8 });
      assert.deepEqual(
        words.map((w) => w.term),
        ['犇牛酱', '犇马糕'],
      );
    });
  });
}
