/**
 * The regulators' editing screens as documents: lists, entry pages with history, create and edit
 * forms (validation, kept input, optimistic concurrency), status changes with a reason, the
 * famous-mark ledger, the due view — and what the public brand page shows afterwards.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import { loginAs, type SignedIn } from './support/admin.js';
import { testContext } from './support/context.js';
import { assertNoStackTrace, Brand, Certificate, createTestBrand, DirectoryEntry, encodeNonAscii, page, Trademark } from './support/helpers.js';
import { FamousMark, TimeHonored } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { historyOf } from '../src/audit/index.js';

const DAY = 86_400_000;

let app: Express;
let viewer: SignedIn;
let editor: SignedIn;

const doc = (html: string) => cheerio.load(html);

/** A form POST with the signed-in agent; `token` is a _csrf token of its session. */
async function post(who: SignedIn, path: string, token: string, fields: Record<string, string | string[]>) {
  return who.agent
    .post(encodeNonAscii(path))
    .type('form')
    .send({ _csrf: token, ...fields });
}

/** The current values of an edit form, ready to be posted back with changes. */
async function formValues(who: SignedIn, path: string): Promise<Record<string, string>> {
  const res = await who.agent.get(path);
  assert.equal(res.status, 200, `${path} → ${res.status}`);
  const $ = doc(res.text);
  const out: Record<string, string> = {};
  $('form.adminreg-form')
    .first()
    .find('input, textarea, select')
    .each((_, el) => {
      const $el = $(el);
      const name = $el.attr('name');
      if (!name) return;
      if ($el.attr('type') === 'checkbox') {
        if ($el.attr('checked') !== undefined) out[name] = String($el.val() ?? '1');
        return;
      }
      out[name] = el.tagName === 'select' ? String($el.find('option[selected]').attr('value') ?? '') : String($el.val() ?? '');
    });
  return out;
}

async function publicBrand(slug: string) {
  await testContext().sync.drain();
  return page(`/brands/${slug}`);
}

describe('admin registries', () => {
  before(async function () {
    this.timeout(60_000);
    app = testContext().app;
    viewer = await loginAs('viewer', { app });
    editor = await loginAs('editor', { app });
  });

  describe('who may do what', () => {
    it('when a viewer opens a list and an entry, then both are shown without edit controls', async () => {
      const { directory, brand } = await createTestBrand({ slugPrefix: 'adm-view', name: '只读可见品牌' });
      await testContext().sync.drain();
      const list = await viewer.agent.get(encodeNonAscii('/admin/directory?q=只读可见品牌'));
      assert.equal(list.status, 200);
      const $ = doc(list.text);
      assert.match($('#results-count').text(), /共 \d+ 条结果/);
      assert.ok($(`a[href="/admin/directory/${String(directory!._id)}"]`).length, 'the entry is listed with a link to its page');
      assert.equal($('a[href="/admin/directory/new"]').length, 0, 'no create link for a viewer');
      const q = encodeURIComponent('只读可见品牌');
      assert.equal($('a[href^="/admin/export/directory.csv"]').attr('href'), `/admin/export/directory.csv?q=${q}`, 'CSV export of the same list');
      assert.equal($('a[href^="/admin/export/directory.xlsx"]').attr('href'), `/admin/export/directory.xlsx?q=${q}`);
      assert.equal($('select#filter-status option[value="在册"]').length, 1, 'a status filter with counts');

      const entry = await viewer.agent.get(`/admin/directory/${String(directory!._id)}`);
      assert.equal(entry.status, 200);
      const $e = doc(entry.text);
      assert.match($e('h1').text(), /只读可见品牌/);
      assert.equal($e('form[action$="/status"]').length, 0, 'no status form for a viewer');
      assert.equal($e(`a[href="/admin/directory/${String(directory!._id)}/edit"]`).length, 0);
      assert.ok($e(`a[href="/brands/${brand.slug}#directory"]`).length, 'links to the public page');
    });

    it('when a viewer searches the brand list by name or credit code, then the brand is found and counted', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'adm-blist', name: '品牌列表检索' });
      await testContext().sync.drain();
      for (const q of ['品牌列表检索', String(brand.creditCode)]) {
        const res = await viewer.agent.get(encodeNonAscii(`/admin/brands?q=${q}`));
        assert.equal(res.status, 200);
        const $ = doc(res.text);
        assert.ok($(`a[href="/admin/brands/${String(brand._id)}"]`).length, `found by ${q}`);
        assert.match($('#results-count').text(), /找到 \d+ 个品牌/);
      }
      const all = doc((await viewer.agent.get('/admin/brands')).text);
      const n = Number(/共 (\d+) 个品牌/.exec(all('#results-count').text())?.[1]);
      assert.ok(n >= 96, `the total counts every brand: ${n}`);
      assert.equal(all('table.adminreg-table tbody tr').length, 20);
      assert.ok(all('nav.pagination a[rel="next"]').length, 'a next page');
      const some = doc((await viewer.agent.get(encodeNonAscii('/admin/brands?district=江汉区'))).text);
      some('table.adminreg-table tbody tr td[data-label="所属区"]').each((_, td) => assert.match(some(td).text(), /^江汉区/));
    });

    it('when a viewer asks for a create or edit form or posts one, then each is refused with 403', async () => {
      const { directory, brand } = await createTestBrand({ slugPrefix: 'adm-403', name: '禁止编辑品牌' });
      const token = await viewer.csrf('/admin/directory');
      for (const path of [
        '/admin/brands/new',
        '/admin/directory/new',
        `/admin/brands/${String(brand._id)}/edit`,
        `/admin/directory/${String(directory!._id)}/edit`,
      ]) {
        const res = await viewer.agent.get(path);
        assert.equal(res.status, 403, `GET ${path}`);
      }
      const posts: Array<[string, Record<string, string>]> = [
        [`/admin/brands/${String(brand._id)}/edit`, { version: '1', name: '被改了' }],
        ['/admin/brands/new', { slug: 'viewer-made', name: '不该有' }],
        [`/admin/directory/${String(directory!._id)}/status`, { version: '1', status: '暂停', statusReason: '无权' }],
      ];
      for (const [path, body] of posts) {
        const res = await post(viewer, path, token, body);
        assert.equal(res.status, 403, `POST ${path}`);
      }
      const after = await Brand.findById(brand._id).lean();
      assert.equal(after!.name, '禁止编辑品牌');
      assert.equal(after!.version, 1);
      assert.equal((await DirectoryEntry.findById(directory!._id).lean())!.status, '在册');
    });

    it('when nobody is signed in, then the editing screens redirect to the sign-in page', async () => {
      const res = await (await import('supertest')).default(app).get('/admin/directory/new');
      assert.equal(res.status, 303);
      assert.match(res.headers.location ?? '', /^\/admin\/login/);
    });
  });

  describe('create and edit', () => {
    it('when an editor submits a new brand with bad input, then the form comes back with 400, Chinese messages beside the fields and the typed values', async () => {
      const token = await editor.csrf('/admin/brands/new');
      const res = await post(editor, '/admin/brands/new', token, {
        slug: 'bad-input-brand',
        name: '',
        nameEn: 'Typed <b>English</b>',
        company: '武汉输入有误有限公司',
        creditCode: '91420100XXXXXXXX',
        district: '火星区',
        sector: '二产',
        industry: '食品',
        keywords: '热干面、豆皮',
        founded: '一九二八',
        website: 'ftp://x.example',
      });
      assert.equal(res.status, 400);
      assertNoStackTrace(res.text);
      const $ = doc(res.text);
      const errorOf = (id: string) => {
        const input = $(`#${id}`);
        assert.equal(input.attr('aria-invalid'), 'true', `${id} is marked invalid`);
        const described = (input.attr('aria-describedby') ?? '').split(' ');
        assert.ok(described.includes(`${id}-error`), `${id} is described by its message`);
        return $(`#${id}-error`).text();
      };
      assert.match(errorOf('f-name'), /必填/);
      assert.match(errorOf('f-founded'), /整数/);
      assert.match(errorOf('f-creditCode'), /[\u4e00-\u9fff]/, 'credit code message in Chinese');
      assert.match(errorOf('f-district'), /所属区必须是以下之一/);
      assert.match(errorOf('f-website'), /http/);
      assert.equal($('#f-company').val(), '武汉输入有误有限公司');
      assert.equal($('#f-nameEn').val(), 'Typed <b>English</b>', 'typed HTML kept as text');
      assert.ok(!res.text.includes('<b>English</b>'), 'and escaped');
      assert.equal($('#f-keywords').text(), '热干面、豆皮');
      assert.equal($('#f-founded').val(), '一九二八');
      assert.ok($('.adminreg-summary a[href="#f-name"]').length, 'the summary links to the field');
      assert.equal(await Brand.exists({ slug: 'bad-input-brand' }), null, 'nothing saved');
    });

    it('when the form is used in English, then the field messages are in English', async () => {
      const token = await editor.csrf('/admin/brands/new?lang=en');
      const res = await post(editor, '/admin/brands/new?lang=en', token, {
        slug: 'english-form',
        name: '',
        company: 'x',
        creditCode: 'x',
        district: '江汉区',
        sector: '二产',
        industry: 'x',
      });
      assert.equal(res.status, 400);
      const $ = doc(res.text);
      assert.equal($('html').attr('lang'), 'en');
      assert.match($('#f-name-error').text(), /is required/);
      assert.match($('label[for="f-name"]').text(), /Brand name/);
    });

    it('when an editor creates a brand and a directory entry, then both are saved and the entry page shows them', async () => {
      const slug = `adm-new-${Date.now().toString(36)}`;
      const token = await editor.csrf('/admin/brands/new');
      const res = await post(editor, '/admin/brands/new', token, {
        slug,
        name: '新建测试品牌',
        company: '武汉新建测试有限公司',
        creditCode: (await import('../src/registries/credit-code.js')).demoCreditCode(slug),
        district: '江汉区',
        sector: '三产',
        industry: '餐饮',
        keywords: '热干面, 汤包、煨汤',
        founded: '1999',
      });
      assert.equal(res.status, 303, res.text.slice(0, 400));
      const brand = await Brand.findOne({ slug }).lean();
      assert.ok(brand);
      assert.deepEqual(brand.keywords, ['热干面', '汤包', '煨汤']);
      assert.equal(res.headers.location, `/admin/brands/${String(brand._id)}`);

      const res2 = await post(editor, '/admin/directory/new', token, { brand: slug, advantage: '1', listedAt: '2024-05-01', status: '在册' });
      assert.equal(res2.status, 303, res2.text.slice(0, 400));
      const entry = await DirectoryEntry.findOne({ brand: brand._id }).lean();
      assert.equal(entry!.advantage, true);
      const view = await editor.agent.get(res2.headers.location!);
      const $ = doc(view.text);
      assert.match($('.flash').text(), /已保存/, 'the saved message is shown once');
      assert.match($('h1').text(), /新建测试品牌/);
      assert.match($('.facts').text(), /2024年5月1日/);
    });

    it('when an editor edits a brand, then the public brand page shows the change and the history shows before/after and who', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'adm-edit', name: '编辑前品牌', keywords: ['旧词'] });
      const path = `/admin/brands/${String(brand._id)}/edit`;
      const values = await formValues(editor, path);
      assert.equal(values.version, '1');
      assert.equal(values.name, '编辑前品牌');
      const res = await post(editor, path, values._csrf!, { ...values, name: '编辑后品牌', keywords: '新词、热干面' });
      assert.equal(res.status, 303, res.text.slice(0, 400));

      const { $ } = await publicBrand(brand.slug as string);
      assert.match($('h1').text(), /编辑后品牌/);
      assert.match($('.facts').text(), /新词、热干面/);

      const entry = doc((await editor.agent.get(`/admin/brands/${String(brand._id)}`)).text);
      const event = entry('.adminreg-event').first();
      assert.match(event.text(), new RegExp(editor.user.email.replace(/[.]/g, '\\.')), 'who');
      const nameRow = event.find('tr').filter((_, tr) => entry(tr).find('th').text() === '品牌名称');
      assert.equal(nameRow.find('.adminreg-before').text(), '编辑前品牌');
      assert.equal(nameRow.find('.adminreg-after').text(), '编辑后品牌');
    });

    it('when every kind of entry is saved unchanged from its edit form, then no new version is made', async () => {
      const { brand, directory, certificate } = await createTestBrand({
        slugPrefix: 'adm-same',
        name: '原样保存品牌',
        keywords: ['甲', '乙'],
        certificate: { number: `SAME-${Date.now().toString(36).toUpperCase()}`, product: '原样' },
      });
      await updateEntry(DirectoryEntry, directory!._id as never, 1, { gi: { product: '原样米', area: '江夏区' } }, { actor: 'setup' });
      const paths: Array<[string, { findById(id: unknown): { lean(): Promise<unknown> } }, unknown, number]> = [
        [`/admin/brands/${String(brand._id)}/edit`, Brand, brand._id, 1],
        [`/admin/directory/${String(directory!._id)}/edit`, DirectoryEntry, directory!._id, 2],
        [`/admin/certified/${String(certificate!._id)}/edit`, Certificate, certificate!._id, 1],
      ];
      for (const [path, model, id, version] of paths) {
        const values = await formValues(editor, path);
        const res = await post(editor, path, values._csrf!, values);
        assert.equal(res.status, 303, `${path}: ${res.text.slice(0, 300)}`);
        assert.equal(((await model.findById(id).lean()) as { version: number }).version, version, path);
      }
    });

    it('when an edit is based on a stale version, then a 409 page shows both values and who saved meanwhile, and nothing is overwritten', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'adm-stale', name: '并发原名' });
      const path = `/admin/brands/${String(brand._id)}/edit`;
      const values = await formValues(editor, path);
      await updateEntry(Brand, brand._id as never, 1, { name: '别人先改的名' }, { actor: 'other@example.gov.cn' });

      const res = await post(editor, path, values._csrf!, { ...values, name: '我的新名字' });
      assert.equal(res.status, 409);
      const $ = doc(res.text);
      const row = $('table.adminreg-conflict tr').filter((_, tr) => $(tr).find('th').first().text().startsWith('品牌名称'));
      assert.equal(row.find('.adminreg-mine').text(), '我的新名字');
      assert.equal(row.find('.adminreg-theirs').text(), '别人先改的名');
      assert.match(row.text(), /other@example\.gov\.cn/);
      assert.ok(row.hasClass('adminreg-differs'));
      assert.equal($(`a[href="${path}"]`).length, 1, 'a way to start again from the current version');
      const restart = $('form input[name="_action"][value="restart"]').closest('form');
      assert.equal(restart.find('input[name="version"]').val(), '2');

      const saved = await Brand.findById(brand._id).lean();
      assert.equal(saved!.name, '别人先改的名', 'nothing overwritten');
      assert.equal(saved!.version, 2);

      // Continuing with my values loads them on the current version, without saving.
      const fields: Record<string, string> = {};
      restart.find('input').each((_, el) => {
        fields[$(el).attr('name')!] = String($(el).val() ?? '');
      });
      const again = await post(editor, path, fields._csrf!, { ...fields });
      assert.equal(again.status, 200);
      const $a = doc(again.text);
      assert.equal($a('#f-name').val(), '我的新名字');
      assert.equal($a('input[name="version"]').val(), '2');
      assert.equal((await Brand.findById(brand._id).lean())!.name, '别人先改的名');
    });

    it('when a trademark is added with a Nice class of 46 and a bad date, then the messages name those fields', async () => {
      const { brand } = await createTestBrand({ slugPrefix: 'adm-tm', name: '商标测试品牌' });
      const token = await editor.csrf(`/admin/trademarks/new?brand=${brand.slug}`);
      const res = await post(editor, '/admin/trademarks/new', token, {
        brand: brand.slug as string,
        regNo: '77001234',
        mark: '商标测试',
        niceClasses: '29, 46',
        validFrom: '2020-02-30',
        validTo: '2030-01-01',
      });
      assert.equal(res.status, 400);
      const $ = doc(res.text);
      assert.match($('#f-niceClasses-error').text(), /1-45/);
      assert.match($('#f-validFrom-error').text(), /日期/);
      assert.equal($('#f-niceClasses').val(), '29, 46');
    });
  });

  describe('status changes (动态管理)', () => {
    it('when a status change comes without a reason, then it is refused with 400 beside the reason and nothing changes', async () => {
      const { directory } = await createTestBrand({ slugPrefix: 'adm-noreason', name: '无原因品牌' });
      const path = `/admin/directory/${String(directory!._id)}`;
      const token = await editor.csrf(path);
      const res = await post(editor, `${path}/status`, token, { version: '1', status: '暂停', statusReason: '   ' });
      assert.equal(res.status, 400);
      const $ = doc(res.text);
      assert.match($('#f-statusReason-error').text(), /请填写状态变更原因/);
      assert.equal($('#f-statusReason').attr('aria-describedby'), 'f-statusReason-error');
      assert.equal($('#f-status option[selected]').attr('value'), '暂停', 'the chosen status is kept');
      const saved = await DirectoryEntry.findById(directory!._id).lean();
      assert.equal(saved!.status, '在册');
      assert.equal(saved!.version, 1);
    });

    it('when two editors change the same status from the same version, then the second gets the conflict page and the first stays', async () => {
      const { directory } = await createTestBrand({ slugPrefix: 'adm-race', name: '状态冲突品牌' });
      const path = `/admin/directory/${String(directory!._id)}`;
      const token = await editor.csrf(path);
      const first = await post(editor, `${path}/status`, token, { version: '1', status: '暂停', statusReason: '第一位编辑的原因' });
      assert.equal(first.status, 303);
      const second = await post(editor, `${path}/status`, token, { version: '1', status: '移出', statusReason: '第二位编辑的原因' });
      assert.equal(second.status, 409);
      const $ = doc(second.text);
      assert.match($('table.adminreg-conflict').text(), /移出[\s\S]*暂停/);
      assert.match($('table.adminreg-conflict').text(), /第二位编辑的原因[\s\S]*第一位编辑的原因/);
      const saved = await DirectoryEntry.findById(directory!._id).lean();
      assert.equal(saved!.status, '暂停');
      assert.equal(saved!.statusReason, '第一位编辑的原因');
    });

    it('when an entry is suspended with a reason, then the public brand page says so with the date and reason', async () => {
      const { directory, slug } = await createTestBrand({ slugPrefix: 'adm-suspend', name: '暂停展示品牌' });
      const path = `/admin/directory/${String(directory!._id)}`;
      const token = await editor.csrf(path);
      const res = await post(editor, `${path}/status`, token, { version: '1', status: '暂停', statusReason: '商标权属争议，暂停展示' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const saved = await DirectoryEntry.findById(directory!._id).lean();
      assert.equal(saved!.status, '暂停');
      assert.equal(saved!.statusReason, '商标权属争议，暂停展示');

      const { $ } = await publicBrand(slug);
      const notice = $('.status-notice').first().text();
      assert.match(notice, /商标品牌名录：暂停/);
      assert.match(notice, /商标权属争议，暂停展示/);
      assert.match(notice, /\d{4}年\d+月\d+日/);

      const entry = doc((await editor.agent.get(path)).text);
      assert.match(entry('.adminreg-status').text(), /暂停/);
      assert.match(entry('.adminreg-event').first().text(), /状态变更/);
    });

    it('when a time-honored brand goes under review, then the public page shows 复核中 with the reason and the due view lists it', async () => {
      const { brand, slug } = await createTestBrand({ slugPrefix: 'adm-review', name: '复核老字号' });
      const th = await createEntry<{ _id: unknown }>(TimeHonored, { brand: brand._id, tier: '武汉老字号', recognizedYear: 2012, status: '有效' });
      const path = `/admin/time-honored/${String(th._id)}`;
      const token = await editor.csrf(path);
      const res = await post(editor, `${path}/status`, token, { version: '1', status: '复核中', statusReason: '经营主体变更，启动复核' });
      assert.equal(res.status, 303);
      const { $ } = await publicBrand(slug);
      assert.match($('.status-notice').text(), /武汉老字号：复核中.*经营主体变更，启动复核/);
      const due = doc((await viewer.agent.get('/admin/due')).text);
      assert.ok(due(`#due-th-review a[href="${path}"]`).length, 'listed under review');
    });
  });

  describe('certificates past valid-until', () => {
    it('when a certificate stored as 有效 is past its valid-until, then admin and public pages show 过期', async () => {
      const number = `EXP-${Date.now().toString(36).toUpperCase()}`;
      const { slug, certificate } = await createTestBrand({
        slugPrefix: 'adm-exp',
        name: '过期证书品牌',
        directory: false,
        certificate: { number, product: '过期测试面' },
      });
      await updateEntry(
        Certificate,
        certificate!._id as never,
        1,
        { issuedAt: new Date('2019-01-01'), validUntil: new Date('2021-01-01') },
        { actor: 'setup' },
      );
      assert.equal((await Certificate.findById(certificate!._id).lean())!.status, '有效');

      const entry = doc((await viewer.agent.get(`/admin/certified/${String(certificate!._id)}`)).text);
      assert.equal(entry('.adminreg-status .status').first().text(), '过期');
      await testContext().sync.drain();
      const list = doc((await viewer.agent.get(`/admin/certified?q=${number}`)).text);
      assert.equal(list('table.adminreg-table tbody tr .status').first().text(), '过期');
      const { $ } = await publicBrand(slug);
      assert.equal($('#certified .status').first().text().trim(), '过期');
      assert.match($('.status-notice').text(), /过期.*到期/);
    });
  });

  describe('the famous-mark ledger', () => {
    async function famousEntry() {
      const { brand } = await createTestBrand({ slugPrefix: 'adm-fam', name: '驰名台账品牌', directory: false });
      const regNo = `8${String(Date.now()).slice(-8)}`;
      return createEntry<{ _id: unknown }>(FamousMark, {
        brand: brand._id,
        trademarkRegNo: regNo,
        status: '重点保护',
        recognition: { date: new Date('2015-06-01'), authority: '国家知识产权局', documentNo: '商标驰字〔2015〕1号', route: '行政认定' },
      });
    }

    it('when records are appended and one corrected, then they are listed oldest first, never editable, and the corrected one says so', async () => {
      const famous = await famousEntry();
      const path = `/admin/famous/${String(famous._id)}`;
      const token = await editor.csrf(path);
      const first = await post(editor, `${path}/records`, token, {
        version: '1',
        'record.date': '2024-03-01',
        'record.kind': '侵权案件',
        'record.summary': '查处仿冒商标案',
        'record.outcome': '罚款5万元',
        'record.links': 'https://example.gov.cn/case/1\nhttp://example.gov.cn/case/1.pdf',
      });
      assert.equal(first.status, 303, first.text.slice(0, 300));
      const one = (await FamousMark.findById(famous._id).lean())!;
      assert.equal(one.records.length, 1);

      const bad = await post(editor, `${path}/records`, token, {
        version: '2',
        'record.date': '2024-03-05',
        'record.kind': '监测',
        'record.summary': '链接有误',
        'record.links': 'javascript:alert(1)',
      });
      assert.equal(bad.status, 400);
      assert.match(doc(bad.text)('#f-record-links-error').text(), /http/);

      const second = await post(editor, `${path}/records`, token, {
        version: '2',
        'record.date': '2024-03-10',
        'record.kind': '侵权案件',
        'record.summary': '更正：罚款金额为8万元',
        'record.corrects': String(one.records[0]!._id),
      });
      assert.equal(second.status, 303, second.text.slice(0, 300));

      const $ = doc((await viewer.agent.get(path)).text);
      const items = $('ol.adminreg-records > li');
      assert.equal(items.length, 2);
      assert.match(items.eq(0).text(), /查处仿冒商标案/);
      assert.match(items.eq(0).text(), /已被第2条更正/);
      assert.match(items.eq(1).text(), /更正第1条/);
      assert.equal(items.find('a[href^="https://example.gov.cn/case/1"]').length, 1);
      assert.equal($('form[action*="/records/"]').length, 0, 'no form edits a record');

      // An edit of the entry cannot touch the records, and there is no route that edits one.
      const values = await formValues(editor, `${path}/edit`);
      const edit = await post(editor, `${path}/edit`, token, { ...values, regulator: '武汉市市场监管局', records: '[]' });
      assert.equal(edit.status, 303);
      const after = (await FamousMark.findById(famous._id).lean())!;
      assert.equal(after.records.length, 2);
      const latest = (await historyOf('FamousMark', String(famous._id)))[0]!;
      assert.deepEqual(
        latest.changes.map((c) => c.field),
        ['regulator'],
        'only the changed field is recorded',
      );
      assert.equal(after.records[0]!.summary, '查处仿冒商标案');
      const direct = await post(editor, `${path}/records/${String(one.records[0]!._id)}/edit`, token, { 'record.summary': 'x' });
      assert.equal(direct.status, 404);
    });
  });

  describe('the due view', () => {
    it('when a certificate expires in 30 days and another in 200, then only the first is listed, with counts per group', async () => {
      const soon = `DUE-${Date.now().toString(36).toUpperCase()}-A`;
      const late = `DUE-${Date.now().toString(36).toUpperCase()}-B`;
      const a = await createTestBrand({ slugPrefix: 'adm-due', name: '即将到期品牌', directory: false, certificate: { number: soon, product: '三十天' } });
      const b = await createTestBrand({ slugPrefix: 'adm-due', name: '远期到期品牌', directory: false, certificate: { number: late, product: '二百天' } });
      const now = Date.now();
      await updateEntry(Certificate, a.certificate!._id as never, 1, { validUntil: new Date(now + 30 * DAY) }, { actor: 'setup' });
      await updateEntry(Certificate, b.certificate!._id as never, 1, { validUntil: new Date(now + 200 * DAY) }, { actor: 'setup' });
      const tm = await createEntry<{ _id: unknown }>(Trademark, {
        regNo: `66${String(now).slice(-8)}`,
        brand: a.brand._id,
        mark: '到期商标',
        niceClasses: [30],
        validFrom: new Date(now - 3000 * DAY),
        validTo: new Date(now + 45 * DAY),
      });

      const res = await viewer.agent.get('/admin/due');
      assert.equal(res.status, 200);
      const $ = doc(res.text);
      const group = $('#due-cert-expiring');
      assert.ok(group.find(`a[href="/admin/certified/${String(a.certificate!._id)}"]`).length, 'the 30-day certificate is due');
      assert.equal(group.find(`a[href="/admin/certified/${String(b.certificate!._id)}"]`).length, 0, 'the 200-day one is not');
      assert.match(group.text(), new RegExp(soon));
      assert.ok(Number(group.find('h2 .adminreg-count').text()) >= 1);
      assert.ok($(`#due-trademarks a[href="/admin/trademarks/${String(tm._id)}"]`).length, 'the trademark expiring in 45 days is due');
      for (const g of ['cert-expiring', 'cert-expired', 'trademarks', 'famous-review', 'th-review']) {
        assert.match($(`#due-${g} h2 .adminreg-count`).text(), /^\d+$/, `count for ${g}`);
      }
    });
  });

  describe('hostile input', () => {
    it('when forms and queries carry arrays, operators or HTML, then the answer is a 400 or escaped text, never a 500', async () => {
      const { brand, directory } = await createTestBrand({ slugPrefix: 'adm-hostile', name: '<script>alert(1)</script>品牌' });
      const path = `/admin/brands/${String(brand._id)}/edit`;
      const values = await formValues(editor, path);
      const arrays = await post(editor, path, values._csrf!, { ...values, name: ['一', '二'] });
      assert.equal(arrays.status, 400);
      assert.match(doc(arrays.text)('#f-name-error').text(), /格式不正确/);
      const version = await post(editor, path, values._csrf!, { ...values, version: ['1', '2'] });
      assert.equal(version.status, 400);

      for (const q of [
        '/admin/directory?status[$gt]=',
        '/admin/directory?status=%E4%B9%B1',
        '/admin/brands?q[$ne]=x',
        '/admin/certified?page=-1',
        '/admin/directory/not-an-id',
        '/admin/directory/ffffffffffffffffffffffff',
      ]) {
        const res = await viewer.agent.get(q);
        assert.ok([400, 404].includes(res.status), `${q} → ${res.status}`);
        assertNoStackTrace(res.text);
      }
      const entry = await viewer.agent.get(`/admin/brands/${String(brand._id)}`);
      assert.equal(entry.status, 200);
      assert.ok(!entry.text.includes('<script>alert(1)</script>'), 'HTML in a name is escaped');
      const list = await viewer.agent.get(encodeNonAscii('/admin/directory?q=<script>'));
      assert.equal(list.status, 200);
      assert.ok(!list.text.includes('<script>'));
      const st = await post(editor, `/admin/directory/${String(directory!._id)}/status`, values._csrf!, {
        version: '1',
        status: { $ne: 'x' } as never,
        statusReason: 'x',
      });
      assert.equal(st.status, 400);
    });
  });
});
