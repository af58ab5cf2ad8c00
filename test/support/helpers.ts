/**
 * Small helpers shared by the integration tests: fetch a page as a cheerio document, assert that
 * a response carries no stack trace, and create a test brand through the registry service.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type mongoose from 'mongoose';
import { Change, changeId } from '../../src/registries/changes.js';
import { demoCreditCode } from '../../src/registries/credit-code.js';
import { Brand, Certificate, DirectoryEntry, Trademark } from '../../src/registries/models.js';
import { createEntry } from '../../src/registries/service.js';
import { testContext } from './context.js';

export type Doc = cheerio.CheerioAPI;

/** Percent-encodes non-ASCII characters only, so already-encoded hrefs pass through unchanged. */
export function encodeNonAscii(path: string): string {
  return path.replace(/[^\x00-\x7f]+/g, (s) => encodeURIComponent(s));
}

/** GET a path on the shared app (non-ASCII is percent-encoded for you). */
export function get(path: string) {
  return request(testContext().app).get(encodeNonAscii(path));
}

/** GET a page, assert it is HTML with the expected status and return it as a document. */
export async function page(path: string, status = 200): Promise<{ $: Doc; res: request.Response }> {
  const res = await get(path);
  assert.equal(res.status, status, `${path} → ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /text\/html/);
  return { $: cheerio.load(res.text), res };
}

/** Relative href (as rendered) → URL, so its query can be inspected. */
export function hrefUrl(href: string | undefined): URL {
  assert.ok(href, 'link has an href');
  return new URL(href, 'http://test.invalid');
}

/** The path + query of a rendered href, ready to be requested again. */
export function pathOf(href: string | undefined): string {
  const u = hrefUrl(href);
  return u.pathname + u.search;
}

/** A body never shows a stack trace or server internals. */
export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s*at \S.*\(?.*:\d+:\d+\)?$/m, 'no stack frame lines');
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(/, 'no stack frame');
  assert.ok(!text.includes('node_modules'), 'no node_modules paths');
  assert.ok(!/\/work\/|\/src\/[\w/-]+\.ts/.test(text), 'no source paths');
}

/** The number in the "共 N 条结果" / "N results" line of a search or list page. */
export function resultCount($: Doc): number {
  const text = $('#results-count').text();
  const m = text.match(/(\d+)/);
  assert.ok(m, `result count line: "${text}"`);
  return Number(m[1]);
}

let seq = 0;

export interface TestBrandOptions {
  /** Lowercase slug prefix; a sequence number is appended. */
  slugPrefix: string;
  name: string;
  company?: string;
  district?: string;
  keywords?: string[];
  directory?: boolean;
  certificate?: { number: string; product: string; status?: string } | null;
}

/** Creates a brand (plus optional directory entry and certificate) through the registry service. */
export async function createTestBrand(o: TestBrandOptions) {
  const slug = `${o.slugPrefix}-${Date.now().toString(36)}-${++seq}`;
  const brand = await createEntry<Record<string, unknown>>(Brand, {
    slug,
    name: o.name,
    company: o.company ?? '武汉测试样例实业有限公司',
    creditCode: demoCreditCode(slug),
    district: o.district ?? '江汉区',
    sector: '二产',
    industry: '食品制造',
    keywords: o.keywords ?? [],
    description: '集成测试创建的品牌。',
  });
  // Listed today (a day, as the back office's form pre-fills it; the schema itself invents no date).
  const today = new Date(new Date().toISOString().slice(0, 10));
  const directory =
    o.directory === false ? null : await createEntry<Record<string, unknown>>(DirectoryEntry, { brand: brand._id, status: '在册', listedAt: today });
  const certificate = o.certificate
    ? await createEntry<Record<string, unknown>>(Certificate, {
        number: o.certificate.number,
        brand: brand._id,
        level: '武汉精品',
        scope: '产品',
        product: o.certificate.product,
        issuedAt: new Date(Date.UTC(2025, 0, 15)),
        validUntil: new Date(Date.UTC(2099, 0, 15)),
        issuer: '武汉市市场监督管理局',
        status: o.certificate.status ?? '有效',
      })
    : null;
  return { slug, brand, directory, certificate };
}

/**
 * Writes a change-log record for version 2 of a directory entry straight into the collection, as
 * a writer that crashed part-way would leave it (no registry service, no subscriber ran): by
 * default an applied change of `advantage`, neither audited nor indexed. Returns its id.
 */
export async function insertCrashedChange(entryId: mongoose.Types.ObjectId, over: Record<string, unknown> = {}): Promise<string> {
  const at = new Date();
  const id = changeId('DirectoryEntry', entryId, 2);
  await Change.collection.insertOne({
    _id: id,
    model: 'DirectoryEntry',
    entryId,
    version: 2,
    op: 'update',
    action: 'update',
    set: { advantage: true },
    before: { advantage: false },
    entryIds: [],
    actor: 'crash@test',
    reason: '',
    at,
    status: 'applied',
    appliedAt: at,
    error: '',
    indexed: false,
    audited: false,
    ...over,
  } as never);
  return id;
}

export { Brand, Certificate, DirectoryEntry, Trademark };
