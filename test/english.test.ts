/**
 * English mode is complete: with ?lang=en no Chinese character (Han script) is left in the page's
 * chrome — labels, categories, statuses, tiers, batch labels, summaries, accessible names. Data
 * that is genuinely Chinese (brand, company and product names, addresses, descriptions) is marked
 * lang="zh-Hans" in the templates and skipped here.
 */
import assert from 'node:assert/strict';
import type { AnyNode } from 'domhandler';
import mongoose from 'mongoose';
import { Certificate } from '../src/registries/models.js';
import { label } from '../src/platform/i18n.js';
import {
  CERTIFICATE_LEVELS,
  REVIEW_OUTCOMES,
  CERTIFICATE_SCOPES,
  DISTRICTS,
  INDUSTRIES,
  PROTECTION_RECORD_KINDS,
  RECOGNITION_ROUTES,
  SECTORS,
  ALL_STATUSES,
  TIME_HONORED_TIERS,
  DIRECTORY_TIERS,
} from '../src/registries/reference.js';
import { DEMO_BRANDS } from '../src/demo/brands.js';
import { page, type Doc } from './support/helpers.js';
import * as cheerio from 'cheerio';
import { DirectoryEntry, FamousMark, TimeHonored } from '../src/registries/models.js';
import { createTestUser, signIn } from './support/admin.js';
import { testContext } from './support/context.js';

const HAN = /\p{Script=Han}/u;
/** Attributes a visitor (or a screen reader) is given as text. */
const TEXT_ATTRS = ['aria-label', 'title', 'alt', 'placeholder', 'aria-description'];

/**
 * The Han-script snippets of a page outside elements marked as Chinese (lang="zh…"). `typed` is
 * what the visitor typed (a search query), which pages echo back. The <title> (and a chart's SVG
 * <desc>) cannot mark a part of itself: it may hold text the page shows marked as Chinese (a brand
 * page's name, a figure's source).
 */
export function hanOutsideChinese($: Doc, typed: string[] = []): string[] {
  const found: string[] = [];
  const zhTexts = $('[lang^="zh"]')
    .toArray()
    .map((el) => $(el).text().trim())
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  const without = (text: string, parts: string[]) => parts.reduce((s, p) => (p ? s.split(p).join('') : s), text);
  const visit = (node: AnyNode, context: string) => {
    if (node.type === 'text') {
      const text = node.data.trim();
      const rest = without(text, context === 'title' || context === 'desc' ? [...typed, ...zhTexts] : typed);
      if (HAN.test(rest)) found.push(`${context}: “${text.slice(0, 80)}”`);
      return;
    }
    if (node.type !== 'tag') return;
    const lang = node.attribs.lang;
    if (lang && /^zh/i.test(lang)) return;
    if (['script', 'style', 'template'].includes(node.name)) return;
    const where = `${node.name}${node.attribs.class ? `.${node.attribs.class.split(/\s+/).join('.')}` : ''}`;
    for (const a of TEXT_ATTRS) {
      const v = node.attribs[a];
      if (v && HAN.test(v)) found.push(`${where}[${a}]: “${v.slice(0, 80)}”`);
    }
    // An <option> and a hidden input's value are what a form sends, not text a visitor reads.
    for (const child of node.children) visit(child, where);
  };
  visit($('html')[0]!, 'html');
  return found;
}

describe('English mode', () => {
  it('when every registry reference value is labelled in English, then no label is left in Chinese', () => {
    const values = [
      ...DISTRICTS,
      ...SECTORS,
      ...ALL_STATUSES,
      ...TIME_HONORED_TIERS,
      ...DIRECTORY_TIERS,
      ...CERTIFICATE_LEVELS,
      ...CERTIFICATE_SCOPES,
      ...RECOGNITION_ROUTES,
      ...PROTECTION_RECORD_KINDS,
      ...REVIEW_OUTCOMES,
      ...INDUSTRIES,
      ...new Set(DEMO_BRANDS.map((b) => b.industry)),
    ];
    const missing = values.filter((v) => HAN.test(label('en', v)));
    assert.deepEqual(missing, [], 'values without an English name');
  });

  it('when the public pages are opened with ?lang=en, then no Chinese character is left outside Chinese data', async function () {
    this.timeout(120_000);
    const cert = await Certificate.findOne({ status: '有效', validUntil: mongoose.trusted({ $gt: new Date() }) })
      .sort({ number: 1 })
      .lean();
    assert.ok(cert);
    const paths = [
      '/',
      '/search?q=%E7%83%AD%E5%B9%B2%E9%9D%A2',
      '/search?q=clj',
      '/search?q=nothing-matches-this-zzzz',
      '/directory',
      '/famous',
      '/time-honored',
      '/certified',
      '/brands/cailinji',
      '/brands/jingwu',
      '/verify',
      `/verify/${cert.number}`,
      '/verify/NOPE-2024-0000',
      '/stats',
      '/open-data',
      '/api',
    ];
    const problems: string[] = [];
    for (const p of paths) {
      const url = `${p}${p.includes('?') ? '&' : '?'}lang=en`;
      const { $ } = await page(url, p.startsWith('/verify/NOPE') ? 404 : 200);
      assert.equal($('html').attr('lang'), 'en', url);
      const q = new URL(url, 'http://x.invalid').searchParams.get('q');
      for (const f of hanOutsideChinese($, q ? [q] : [])) problems.push(`${url} ${f}`);
    }
    if (problems.length) console.log(problems.join('\n'));
    assert.equal(problems.length, 0, `Chinese left in English mode:\n${problems.slice(0, 40).join('\n')}`);
  });

  it('when a signed-in regulator opens the back office with ?lang=en, then no Chinese character is left outside Chinese data', async function () {
    this.timeout(180_000);
    // An administrator sees every back-office page (the accounts page is theirs alone); a Latin
    // name, since a person's name is data the page shows as typed.
    const { user, password } = await createTestUser('admin', { name: 'Test Administrator' });
    const agent = await signIn(testContext().app, user.email, password);
    const [dir, famous, th, cert] = await Promise.all([
      DirectoryEntry.findOne({}).sort({ _id: 1 }).lean(),
      FamousMark.findOne({}).sort({ _id: 1 }).lean(),
      TimeHonored.findOne({}).sort({ _id: 1 }).lean(),
      Certificate.findOne({}).sort({ _id: 1 }).lean(),
    ]);
    assert.ok(dir && famous && th && cert);
    const paths = [
      '/admin',
      '/admin/brands',
      '/admin/directory',
      '/admin/famous',
      '/admin/time-honored',
      '/admin/certified',
      `/admin/brands/${String(dir.brand)}`,
      `/admin/directory/${String(dir._id)}`,
      `/admin/famous/${String(famous._id)}`,
      `/admin/time-honored/${String(th._id)}`,
      `/admin/certified/${String(cert._id)}`,
      '/admin/due',
      '/admin/audit',
      '/admin/users',
      '/admin/reference',
      '/admin/account',
      '/admin/import',
      '/admin/export',
      '/admin/reports',
      '/admin/stats',
      '/admin/pictures/cailinji',
    ];
    const problems: string[] = [];
    for (const p of paths) {
      const url = `${p}?lang=en`;
      const res = await agent.get(url);
      assert.equal(res.status, 200, `${url} → ${res.status}`);
      const $ = cheerio.load(res.text);
      assert.equal($('html').attr('lang'), 'en', url);
      for (const f of hanOutsideChinese($)) problems.push(`${url} ${f}`);
    }
    if (problems.length) console.log(problems.join('\n'));
    assert.equal(problems.length, 0, `Chinese left in the English back office:\n${problems.slice(0, 40).join('\n')}`);
  });
});
