/**
 * The JSON API under /api/v1 and the operator endpoints /healthz and /readyz.
 */
import assert from 'node:assert/strict';
import { Certificate } from '../src/registries/models.js';
import { testContext } from './support/context.js';
import { assertNoStackTrace, get } from './support/helpers.js';

const search = async (query: string) => {
  const res = await get(`/api/v1/search?${query}`);
  assert.equal(res.status, 200, `${query} → ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  return res.body as {
    hits: Array<Record<string, any>>;
    total: number;
    page: number;
    pageSize: number;
    facets: Record<string, Array<{ value: string; count: number }>>;
  };
};

const assertErrorShape = (body: any, code: string) => {
  assert.ok(body && typeof body.error === 'object', 'body is {"error":{…}}');
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
};

describe('GET /api/v1/search', () => {
  it('when searching 蔡林记, then the body is {hits,total,page,pageSize,facets} and each hit has kind, slug, name and highlights', async () => {
    const body = await search('q=蔡林记');
    for (const key of ['hits', 'total', 'page', 'pageSize', 'facets']) assert.ok(key in body, `has ${key}`);
    assert.ok(Array.isArray(body.hits));
    assert.equal(body.page, 1);
    assert.equal(body.pageSize, 20);
    assert.ok(body.total >= body.hits.length && body.hits.length > 0);
    for (const hit of body.hits) {
      assert.ok(['directory', 'famous', 'time-honored', 'certified'].includes(hit.kind), `kind ${hit.kind}`);
      assert.match(hit.slug, /^[a-z0-9][a-z0-9-]*$/);
      assert.equal(typeof hit.name, 'string');
      assert.equal(typeof hit.highlights, 'object');
      assert.equal(hit.url, `/brands/${hit.slug}`);
    }
    const top = body.hits[0]!;
    assert.equal(top.slug, 'cailinji', 'the exact name ranks first');
    assert.match(top.highlights.name, /<mark>蔡林记<\/mark>/);
    assert.ok(Array.isArray(body.facets.kind));
    assert.equal(
      body.facets.kind!.reduce((s, f) => s + f.count, 0),
      body.total,
      'registry facet counts add up to the total',
    );
  });

  it('when searching by pinyin initials clj, then 蔡林记 is found', async () => {
    const body = await search('q=clj');
    assert.ok(body.hits.some((h) => h.slug === 'cailinji'));
  });

  it('when page and pageSize are given, then they are echoed and respected', async () => {
    const body = await search('pageSize=3&page=2');
    assert.equal(body.page, 2);
    assert.equal(body.pageSize, 3);
    assert.equal(body.hits.length, 3);
    const first = await search('pageSize=3&page=1');
    assert.equal(first.total, body.total);
    const ids = new Set(first.hits.map((h) => `${h.kind}:${h.slug}:${h.title}`));
    assert.ok(body.hits.every((h) => !ids.has(`${h.kind}:${h.slug}:${h.title}`)));
  });

  it('when filtering by kind, then only that registry is returned and the total equals the index count', async () => {
    const stats = await testContext().index.stats();
    for (const kind of ['famous', 'time-honored'] as const) {
      const body = await search(`kind=${kind}&pageSize=100`);
      assert.equal(body.total, stats.byKind[kind]);
      assert.ok(body.hits.every((h) => h.kind === kind));
    }
  });

  it('when filtering by district, then every hit is in that district and there are fewer of them', async () => {
    const all = await search('');
    const body = await search('district=江汉区&pageSize=100');
    assert.ok(body.total > 0 && body.total < all.total);
    assert.ok(body.hits.every((h) => h.district === '江汉区'));
    assert.equal(all.facets.district!.find((f) => f.value === '江汉区')?.count, body.total, 'the facet count predicted it');
  });

  it('when filtering by status and tier, then every hit has them', async () => {
    const suspended = await search('status=暂停&pageSize=100');
    assert.ok(suspended.total > 0);
    assert.ok(suspended.hits.every((h) => h.status === '暂停'));
    const tier = await search('kind=time-honored&tier=中华老字号&pageSize=100');
    assert.ok(tier.total > 0);
    assert.ok(tier.hits.every((h) => h.tier === '中华老字号' && h.kind === 'time-honored'));
  });

  it('when filtering by Nice class, then every hit has that class', async () => {
    const body = await search('nice=30&pageSize=100');
    assert.ok(body.total > 0);
    assert.ok(body.hits.every((h) => (h.niceClasses as number[]).includes(30)));
  });

  it('when filters combine, then the result narrows to their intersection', async () => {
    const kind = await search('kind=directory');
    const both = await search('kind=directory&district=江汉区&pageSize=100');
    assert.ok(both.total > 0 && both.total < kind.total);
    assert.ok(both.hits.every((h) => h.kind === 'directory' && h.district === '江汉区'));
  });
});

describe('GET /api/v1/brands/:slug', () => {
  it('when the brand exists, then its public profile is returned', async () => {
    const res = await get('/api/v1/brands/cailinji');
    assert.equal(res.status, 200);
    assert.equal(res.body.slug, 'cailinji');
    assert.equal(res.body.name, '蔡林记');
    assert.equal(res.body.company, '武汉蔡林记商贸有限公司');
    assert.equal(res.body.timeHonored.tier, '中华老字号');
    assert.equal(res.body.certificates.length, 2);
    assert.ok(res.body.certificates.every((c: any) => typeof c.statusCode === 'string'));
    assert.equal(res.body.famous[0].records, undefined, 'protection records stay internal');
    assert.equal(res.body._id, undefined, 'no database ids');
    assert.equal(res.body.indexPending, undefined);
  });

  it('when the brand does not exist, then 404 with {"error":{"code","message"}}', async () => {
    const res = await get('/api/v1/brands/no-such-brand');
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'] ?? '', /application\/json/);
    assertErrorShape(res.body, 'not_found');
  });

  it('when English is asked for, then the error message is English', async () => {
    const res = await get('/api/v1/brands/no-such-brand?lang=en');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, 'No such brand');
  });

  it('when an unknown API path is requested, then 404 JSON, not an HTML page', async () => {
    const res = await get('/api/v1/nothing-here');
    assert.equal(res.status, 404);
    assertErrorShape(res.body, 'not_found');
  });
});

describe('GET /api/v1/certificates/:number', () => {
  it('when the number exists, then 200 with the status and a machine-readable statusCode and the brand', async () => {
    const cert = (await Certificate.find({ status: '有效' }).lean()).find((c) => c.validUntil > new Date());
    assert.ok(cert, 'a currently valid certificate in the demo data');
    const res = await get(`/api/v1/certificates/${cert.number}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.number, cert.number);
    assert.equal(res.body.status, '有效');
    assert.equal(res.body.statusCode, 'valid');
    assert.equal(res.body.level, cert.level);
    assert.equal(typeof res.body.brand.slug, 'string');
  });

  it('when the number is typed in lower case, then the same certificate is found', async () => {
    const cert = await Certificate.findOne({}).lean();
    assert.ok(cert);
    const res = await get(`/api/v1/certificates/${cert.number.toLowerCase()}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.number, cert.number);
  });

  it('when a certificate is revoked or suspended, then statusCode says so and gives the reason', async () => {
    for (const [status, code] of [
      ['撤销', 'revoked'],
      ['暂停', 'suspended'],
    ] as const) {
      const cert = await Certificate.findOne({ status }).lean();
      assert.ok(cert, `a ${status} certificate in the demo data`);
      const res = await get(`/api/v1/certificates/${cert.number}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.statusCode, code);
      assert.ok(res.body.statusReason.length > 0);
    }
  });

  it('when a valid certificate has passed its date, then the public status is 过期 (expired)', async () => {
    const cert = (await Certificate.find({ status: '有效' }).lean()).find((c) => c.validUntil < new Date());
    assert.ok(cert, 'an expired certificate in the demo data');
    const res = await get(`/api/v1/certificates/${cert.number}`);
    assert.equal(res.body.status, '过期');
    assert.equal(res.body.statusCode, 'expired');
  });

  it('when the number is unknown, then 404 with the error shape', async () => {
    const res = await get('/api/v1/certificates/NOPE-0000-0000');
    assert.equal(res.status, 404);
    assertErrorShape(res.body, 'not_found');
  });

  it('when the number is malformed, then 400 naming the number', async () => {
    for (const bad of ['bad!number', 'A'.repeat(40), '%24ne']) {
      const res = await get(`/api/v1/certificates/${bad}`);
      assert.equal(res.status, 400, `${bad} → ${res.status}`);
      assertErrorShape(res.body, 'bad_request');
      assert.equal(res.body.error.fields[0].field, 'number');
      assertNoStackTrace(res.text);
    }
  });
});

describe('operator endpoints', () => {
  it('when /healthz is called, then it answers 200 ok without caching', async () => {
    const res = await get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('when /readyz is called, then it reports the database ok and search ok with its document count and lag', async () => {
    const { index, sync } = testContext();
    await sync.drain();
    const res = await get('/readyz');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ready');
    assert.equal(res.body.database.ok, true);
    assert.equal(res.body.search.ok, true);
    assert.equal(res.body.search.engine, 'embedded');
    assert.equal(res.body.search.documents, (await index.stats()).documents);
    assert.ok(res.body.search.documents > 0);
    assert.equal(res.body.search.lag, 0);
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
