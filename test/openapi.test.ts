/**
 * The API description: every /api/v1 route is in the OpenAPI 3.1 document, and every answer the
 * tests ask for (searches with filters, brands, certificates found and not found, errors 400, 404
 * and 429) validates with ajv against the schema the document gives for that path and status.
 * Also conditional GETs (ETag, Last-Modified → 304) and the human page /api.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import * as cheerio from 'cheerio';
import express, { type Express, type Router } from 'express';
import mongoose from 'mongoose';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { openApiDocument } from '../src/api-docs/openapi.js';
import { apiDocsRoutes } from '../src/api-docs/routes.js';
import { errorHandler, notFoundHandler, pageContext, requestId, securityHeaders } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createRenderer } from '../src/platform/views.js';
import { apiRoutes } from '../src/site/api.js';
import { Certificate } from '../src/registries/models.js';
import { testContext } from './support/context.js';
import { encodeNonAscii } from './support/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Json = Record<string, any>;

const BASE = 'http://registry.test';
const doc = openApiDocument(BASE) as Json;

// ajv's 2020-12 dialect for OpenAPI 3.1 schemas; the whole document is registered so that
// "#/components/schemas/…" references resolve. strict: false because the document is not itself a schema.
const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;
addFormats(ajv);
ajv.addSchema(doc, 'openapi.json');

/** The response schema for a concrete path (e.g. /api/v1/brands/cailinji) and status, or a failure. */
/** A validator for the schema at a place in the document (references resolve against the whole document). */
function validatorAt(...parts: string[]) {
  const pointer = parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  const validate = ajv.getSchema(`openapi.json#/${pointer}`);
  assert.ok(validate, `schema at /${pointer}`);
  return validate;
}

/** The response validator for a concrete path (e.g. /api/v1/brands/cailinji) and status, or a failure. */
function responseValidator(concretePath: string, status: number) {
  const pathname = concretePath.split('?')[0]!;
  const template = Object.keys(doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
  assert.ok(template, `${pathname} is described`);
  const response = doc.paths[template].get.responses[String(status)];
  assert.ok(response?.content?.['application/json']?.schema, `${template} documents status ${status} with a JSON body`);
  return { template, validate: validatorAt('paths', template, 'get', 'responses', String(status), 'content', 'application/json', 'schema') };
}

/** Validates one real answer against the document; returns its body. */
function assertDescribed(res: request.Response, concretePath: string): Json {
  const { template, validate } = responseValidator(concretePath, res.status);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  const ok = validate(res.body);
  assert.ok(ok, `${concretePath} → ${res.status} does not match ${template}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 400)}`);
  return res.body as Json;
}

const get = (app: Express, p: string) => request(app).get(encodeNonAscii(p));

function docsApp(): Express {
  const render = createRenderer(path.join(ROOT, 'views'));
  const logger = createLogger('silent');
  const app = express();
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(securityHeaders(false));
  app.use(pageContext(BASE));
  app.use(apiDocsRoutes({ render }));
  app.use(notFoundHandler());
  app.use(errorHandler(render, logger));
  return app;
}

describe('OpenAPI: the document', () => {
  it('when the document is built, then it is OpenAPI 3.1 with every /api/v1 route of the API router', () => {
    assert.equal(doc.openapi, '3.1.0');
    const router = apiRoutes({ index: testContext().index }) as Router & { stack: Array<{ route?: { path: string } }> };
    const routes = router.stack.filter((l) => l.route).map((l) => `/api/v1${l.route!.path.replace(/:(\w+)/g, '{$1}')}`);
    assert.ok(routes.length >= 3);
    for (const r of routes) assert.ok(doc.paths[r]?.get, `${r} is described`);
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const param of item.get.parameters as Json[]) {
        if (param.in === 'path') assert.ok(p.includes(`{${param.name}}`), `${p}: path parameter ${param.name}`);
        assert.ok(param.description && param['x-description-zh'], `${p} ${param.name} is described in both languages`);
      }
    }
  });

  it('when the examples in the document are checked, then each validates against its own schema', () => {
    let checked = 0;
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [status, r] of Object.entries(item.get.responses as Record<string, Json>)) {
        const media = r.content?.['application/json'];
        if (!media?.example) continue;
        const validate = validatorAt('paths', p, 'get', 'responses', status, 'content', 'application/json', 'schema');
        assert.ok(validate(media.example), `${p} ${status} example: ${ajv.errorsText(validate.errors)}`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `${checked} examples`);
  });

  it('when /api/v1/openapi.json is fetched, then it is the document with the site address as server, and a repeat with its ETag is 304', async () => {
    const app = docsApp();
    const res = await get(app, '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.equal(res.body.servers[0].url, BASE);
    assert.ok(res.headers.etag);
    const again = await request(app).get('/api/v1/openapi.json').set('If-None-Match', res.headers.etag!);
    assert.equal(again.status, 304);
  });
});

describe('OpenAPI: real answers validate against the document', function () {
  this.timeout(60_000);

  it('when searches with words, filters, sort and pages are made, then each answer matches SearchResult', async () => {
    const { app } = testContext();
    const queries = [
      '',
      'q=热干面',
      'q=蔡林记&kind=time-honored',
      'district=江汉区&sector=三产&page=2&pageSize=5',
      'tier=中华老字号&status=有效&sort=name',
      'nice=30&kind=directory',
      'kind=certified&status=过期',
      'q=clj&lang=en',
      'q=没有这种东西的品牌名称',
    ];
    for (const q of queries) {
      const res = await get(app, `/api/v1/search?${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text.slice(0, 200)}`);
      assertDescribed(res, '/api/v1/search');
    }
  });

  it('when a query is understood or relaxed, then the answer says so (understood, relaxed) and still matches SearchResult', async () => {
    const { app } = testContext();
    const understood = assertDescribed(await get(app, '/api/v1/search?q=蔡林记老字号'), '/api/v1/search');
    assert.equal(understood.understood?.kind, 'time-honored', JSON.stringify(understood.understood));
    assert.ok(
      understood.hits.every((h: Json) => h.kind === 'time-honored'),
      'the word became a filter',
    );
    const relaxed = assertDescribed(await get(app, '/api/v1/search?q=蔡林记好吃'), '/api/v1/search');
    assert.deepEqual(relaxed.relaxed?.dropped, ['好吃']);
    assert.ok(relaxed.hits.length > 0);
    const plain = assertDescribed(await get(app, '/api/v1/search?q=热干面'), '/api/v1/search');
    assert.equal(plain.relaxed, undefined, 'nothing relaxed when every word matched');
  });

  it('when a search has a bad parameter, then the 400 answer matches Error with the fields named', async () => {
    const { app } = testContext();
    for (const q of ['district=火星区', 'page=0', 'pageSize=1000', 'q=a&q=b', 'status[$ne]=x', `q=${'长'.repeat(101)}`]) {
      const res = await get(app, `/api/v1/search?${q}`);
      assert.equal(res.status, 400, q);
      const body = assertDescribed(res, '/api/v1/search');
      assert.ok(['validation_failed', 'bad_request'].includes(body.error.code));
    }
  });

  it('when brands are read, then each answer matches Brand, an unknown one matches Error (404), and conditional GETs give 304', async () => {
    const { app } = testContext();
    const withCert = await Certificate.findOne().lean();
    const brandOfCert = withCert ? ((await mongoose.model('Brand').findById(withCert.brand).select('slug').lean()) as { slug: string } | null) : null;
    for (const slug of ['cailinji', brandOfCert?.slug].filter(Boolean)) {
      const res = await get(app, `/api/v1/brands/${slug}`);
      assert.equal(res.status, 200, `${slug}: ${res.text.slice(0, 200)}`);
      const body = assertDescribed(res, `/api/v1/brands/${slug}`);
      assert.equal(body.slug, slug);
      const etag = res.headers.etag;
      const lastModified = res.headers['last-modified'];
      assert.ok(etag, 'ETag');
      assert.ok(lastModified && !Number.isNaN(Date.parse(lastModified)), 'Last-Modified');
      assert.equal((await get(app, `/api/v1/brands/${slug}`).set('If-None-Match', etag!)).status, 304);
      assert.equal((await get(app, `/api/v1/brands/${slug}`).set('If-Modified-Since', lastModified!)).status, 304);
      const old = new Date(Date.parse(lastModified!) - 86_400_000).toUTCString();
      assert.equal((await get(app, `/api/v1/brands/${slug}`).set('If-Modified-Since', old)).status, 200);
    }
    const missing = await get(app, '/api/v1/brands/no-such-brand-anywhere');
    assert.equal(missing.status, 404);
    assertDescribed(missing, '/api/v1/brands/no-such-brand-anywhere');
    const bad = await get(app, '/api/v1/brands/cailinji?x[$gt]=1');
    assert.equal(bad.status, 400);
    assertDescribed(bad, '/api/v1/brands/cailinji');
  });

  it('when certificates are checked (found, expired, not found, malformed), then each answer matches the document', async () => {
    const { app } = testContext();
    const valid = await Certificate.findOne({ status: '有效', validUntil: mongoose.trusted({ $gt: new Date() }) }).lean();
    const expired = await Certificate.findOne({ status: '有效', validUntil: mongoose.trusted({ $lt: new Date() }) }).lean();
    for (const c of [valid, expired].filter(Boolean)) {
      const res = await get(app, `/api/v1/certificates/${c!.number}`);
      assert.equal(res.status, 200);
      const body = assertDescribed(res, `/api/v1/certificates/${c!.number}`);
      assert.equal(body.number, c!.number);
      const etag = res.headers.etag;
      assert.ok(etag);
      assert.equal((await get(app, `/api/v1/certificates/${c!.number}`).set('If-None-Match', etag!)).status, 304);
    }
    const lower = await get(app, `/api/v1/certificates/${valid!.number.toLowerCase()}`);
    assert.equal(lower.status, 200);
    const none = await get(app, '/api/v1/certificates/NOPE-2024-0000');
    assert.equal(none.status, 404);
    assert.equal(assertDescribed(none, '/api/v1/certificates/NOPE-2024-0000').error.code, 'not_found');
    const malformed = await get(app, '/api/v1/certificates/%3Cscript%3E');
    assert.equal(malformed.status, 400);
    assertDescribed(malformed, '/api/v1/certificates/x');
  });

  it('when a client goes over the rate limit, then the 429 answer matches Error (search and certificates)', async () => {
    const app = testContext().makeApp({ RATE_LIMIT_SEARCH_PER_MIN: 2, RATE_LIMIT_VERIFY_PER_MIN: 2 });
    const until429 = async (p: string) => {
      for (let i = 0; i < 10; i++) {
        const res = await get(app, p);
        if (res.status === 429) return res;
      }
      assert.fail(`${p} never answered 429`);
    };
    const s = await until429('/api/v1/search?q=热干面');
    assert.equal(assertDescribed(s, '/api/v1/search').error.code, 'rate_limited');
    assert.ok(s.headers.ratelimit || s.headers['ratelimit-policy'], 'RateLimit headers');
    const c = await until429('/api/v1/certificates/NOPE-2024-0001');
    assert.equal(assertDescribed(c, '/api/v1/certificates/NOPE-2024-0001').error.code, 'rate_limited');
  });
});

describe('OpenAPI: the /api page', () => {
  it('when /api is opened, then every endpoint is listed with its parameters, an example request and example answers', async () => {
    const app = docsApp();
    const res = await get(app, '/api');
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text().trim(), '开放接口');
    assert.equal($('a[href="/api/v1/openapi.json"]').length >= 1, true);
    for (const p of Object.keys(doc.paths)) {
      const section = $('section.api-endpoint').filter((_, el) => $(el).find('h3').text().includes(p));
      assert.equal(section.length, 1, `${p} has a section`);
      assert.match(section.find('pre code').first().text(), new RegExp(`^curl -i '${BASE}/api/v1/`));
      const params = doc.paths[p].get.parameters as Json[];
      assert.equal(section.find('.api-params tbody tr').length, params.length, `${p} parameters`);
    }
    assert.ok($('details.api-response pre code').first().text().includes('"hits"'));
    assert.equal($('[style]').length, 0);
    const en = await get(app, '/api?lang=en');
    assert.equal(cheerio.load(en.text)('h1').text().trim(), 'Open API');
  });
});
