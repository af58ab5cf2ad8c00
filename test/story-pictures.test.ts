/**
 * Pictures on the 老字号 story pages: uploaded by an editor in the back office (CSRF token first,
 * type from the bytes, alt text and credit required), resized by sharp into WebP and JPEG
 * variants without metadata, served at stable long-cached addresses, shown with <picture>,
 * alt text and a visible credit, audited through the registry service, and removable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cheerio from 'cheerio';
import type { Express } from 'express';
import request from 'supertest';
import sharp from 'sharp';
import { AuditEvent } from '../src/audit/index.js';
import { TimeHonored } from '../src/registries/models.js';
import { Picture } from '../src/registries/pictures.js';
import { createEntry } from '../src/registries/service.js';
import { sniffImageType, variantWidths } from '../src/platform/images.js';
import { createTestUser, loginAs, type Agent } from './support/admin.js';
import { testContext } from './support/context.js';
import { createTestBrand } from './support/helpers.js';
import { describeViolations, hasChromium, launch, seriousViolations, serve } from './support/browser.js';

/** A real PNG, 1200 × 800, a gradient drawn by sharp. */
async function testPng(width = 1200, height = 800): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A JPEG as a phone takes it: 600 × 400 stored sideways (EXIF orientation 6) with a GPS-like note in its EXIF. */
async function phoneJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 600, height: 400, channels: 3, background: '#8a6d3b' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Artist: 'GPS-SECRET 30.5928N 114.3055E', Copyright: 'camera owner' } })
    .toBuffer();
}

interface UploadFields {
  alt?: string;
  credit?: string;
  caption?: string;
  order?: string;
}

function upload(agent: Agent, slug: string, token: string | null, fields: UploadFields, file: { bytes: Buffer; name: string; type: string } | null) {
  let req = agent.post(`/admin/pictures/upload?brand=${slug}`);
  if (token !== null) req = req.field('_csrf', token);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  if (file) req = req.attach('file', file.bytes, { filename: file.name, contentType: file.type });
  return req;
}

describe('story pictures', function () {
  this.timeout(60_000);
  let app: Express;
  let mediaDir: string;
  let slug: string;
  let entryId: string;
  let editor: Awaited<ReturnType<typeof loginAs>>;
  const adminPage = () => `/admin/pictures/${slug}`;
  const stored = () => (existsSync(path.join(mediaDir, 'pictures')) ? readdirSync(path.join(mediaDir, 'pictures')).length : 0);

  before(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'media-test-'));
    app = testContext().makeApp({ MEDIA_DIR: mediaDir, MEDIA_MAX_MB: 1 });
    const made = await createTestBrand({ slugPrefix: 'pictures', name: '图片测试老号' });
    slug = made.slug;
    const th = await createEntry(TimeHonored, { brand: made.brand._id, tier: '武汉老字号', recognizedYear: 2011, story: '测试用的品牌故事。', status: '有效' });
    entryId = String(th._id);
    editor = await loginAs('editor', { app });
  });
  after(() => rmSync(mediaDir, { recursive: true, force: true }));

  it('reads the type from the bytes and makes no variant wider than the source', () => {
    assert.equal(sniffImageType(Buffer.from('plain text, not a picture')), null);
    assert.equal(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.deepEqual(variantWidths(1200), [480, 960, 1200]);
    assert.deepEqual(variantWidths(300), [300]);
  });

  it('when an editor opens the 老字号 entry, then it links to the brand’s pictures', async () => {
    const entry = cheerio.load((await editor.agent.get(`/admin/time-honored/${entryId}`)).text);
    assert.equal(entry(`a[href="/admin/pictures/${slug}"]`).length, 1);
  });

  it('when an editor uploads a PNG with alt text and credit, then its resized variants are served with a year of caching and the story page shows it', async () => {
    const token = await editor.csrf(adminPage());
    const res = await upload(
      editor.agent,
      slug,
      token,
      { alt: '老店门面，木质招牌', credit: '武汉市档案馆', caption: '二十世纪八十年代的门店' },
      { bytes: await testPng(), name: 'shop.png', type: 'image/png' },
    );
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const pic = await Picture.findOne({ alt: '老店门面，木质招牌' }).lean();
    assert.ok(pic);
    assert.deepEqual(pic.widths, [480, 960, 1200]);
    assert.equal(pic.width, 1200);
    assert.equal(pic.height, 800);
    assert.equal(pic.sourceType, 'png');

    for (const [w, ext, type] of [
      [480, 'webp', 'image/webp'],
      [960, 'jpg', 'image/jpeg'],
      [1200, 'webp', 'image/webp'],
    ] as const) {
      const v = await request(app)
        .get(`/media/pictures/${String(pic._id)}/${w}.${ext}`)
        .buffer(true);
      assert.equal(v.status, 200, `${w}.${ext}`);
      assert.equal(v.headers['content-type'], type);
      assert.match(String(v.headers['cache-control']), /max-age=31536000/);
      assert.match(String(v.headers['cache-control']), /immutable/);
      const meta = await sharp(v.body as Buffer).metadata();
      assert.equal(meta.width, w);
      assert.equal(meta.format, ext === 'jpg' ? 'jpeg' : 'webp');
    }
    assert.equal((await request(app).get(`/media/pictures/${String(pic._id)}/1600.jpg`)).status, 404, 'no width the picture was not made at');

    const story = await request(app).get(`/time-honored/${slug}/story`);
    assert.equal(story.status, 200);
    const $ = cheerio.load(story.text);
    const figure = $('.story-pictures figure').first();
    assert.equal(figure.find('picture source[type="image/webp"]').attr('srcset')?.split(',').length, 3);
    const img = figure.find('img');
    assert.equal(img.attr('alt'), '老店门面，木质招牌');
    assert.equal(img.attr('width'), '1200');
    assert.equal(img.attr('height'), '800');
    assert.match(img.attr('srcset') ?? '', /\/media\/pictures\/[0-9a-f]{24}\/480\.jpg 480w/);
    assert.match(figure.find('figcaption').text(), /图片来源：武汉市档案馆/);
    assert.match(figure.find('figcaption').text(), /二十世纪八十年代的门店/);
    const ld = $('script[type="application/ld+json"]')
      .toArray()
      .map((s) => JSON.parse($(s).text()) as Record<string, unknown>)
      .find((j) => j['@type'] === 'Organization');
    assert.ok(ld);
    const image = (ld.image as Array<Record<string, unknown>>)[0]!;
    assert.equal(image['@type'], 'ImageObject');
    assert.equal(image.creditText, '武汉市档案馆');
    assert.match(String(image.contentUrl), /^https?:\/\/.+\/media\/pictures\/[0-9a-f]{24}\/1200\.jpg$/);

    const en = cheerio.load((await request(app).get(`/time-honored/${slug}/story?lang=en`)).text);
    assert.equal(en('.story-pictures h2').text(), 'Pictures');
    assert.match(en('.story-pictures figcaption').first().text(), /Credit: 武汉市档案馆/);
    assert.equal(en('.story-pictures img').first().attr('lang'), 'zh-Hans', 'the alt text is marked as the Chinese it is');

    const event = await AuditEvent.findOne({ model: 'Picture', entryId: String(pic._id), action: 'create' }).lean();
    assert.ok(event, 'the upload is in the audit trail');
    assert.equal(event.actor, editor.user.email);
  });

  it('when a phone photo carries EXIF (orientation, a location note), then the variants are upright and carry no EXIF at all', async () => {
    const token = await editor.csrf(adminPage());
    const res = await upload(
      editor.agent,
      slug,
      token,
      { alt: '手机拍摄的店招', credit: '摄影：测试' },
      { bytes: await phoneJpeg(), name: 'IMG_0001.JPG', type: 'image/jpeg' },
    );
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const pic = await Picture.findOne({ alt: '手机拍摄的店招' }).lean();
    assert.ok(pic);
    // Orientation 6: a 600 × 400 sensor image is 400 wide upright.
    assert.equal(pic.width, 400);
    assert.equal(pic.height, 600);
    for (const ext of ['jpg', 'webp']) {
      const v = await request(app)
        .get(`/media/pictures/${String(pic._id)}/400.${ext}`)
        .buffer(true);
      assert.equal(v.status, 200);
      const body = v.body as Buffer;
      const meta = await sharp(body).metadata();
      assert.equal(meta.exif, undefined, `${ext}: no EXIF block`);
      assert.equal(meta.orientation, undefined, `${ext}: no orientation tag left`);
      assert.equal(body.includes('GPS-SECRET'), false, `${ext}: the note is gone`);
      assert.equal(meta.width, 400);
    }
  });

  it('when a text file is named .png, or alt text and credit are missing, then nothing is stored and each field is named in the page language', async () => {
    const before = stored();
    const count = await Picture.countDocuments();
    const token = await editor.csrf(`${adminPage()}?lang=en`);
    const fake = await upload(
      editor.agent,
      `${slug}&lang=en`,
      token,
      { alt: '', credit: '' },
      { bytes: Buffer.from('this is a text file pretending to be a picture\n'), name: 'photo.png', type: 'image/png' },
    );
    assert.equal(fake.status, 400);
    const $ = cheerio.load(fake.text);
    const errors = $('.picture-upload .field-error')
      .toArray()
      .map((e) => $(e).text());
    assert.ok(
      errors.some((e) => /not a JPEG, PNG or WebP image/.test(e)),
      errors.join(' | '),
    );
    assert.ok(errors.some((e) => /alt text is required/.test(e)));
    assert.ok(errors.some((e) => /credit .*is required/.test(e)));
    assert.match($('.adminreg-summary').text(), /Picture file/);
    assert.match($('.adminreg-summary').text(), /Alt text/);
    assert.equal($('#upload-file').attr('aria-invalid'), 'true');

    const zhToken = await editor.csrf(adminPage());
    const tooLong = await upload(
      editor.agent,
      slug,
      zhToken,
      { alt: '长'.repeat(121), credit: '来源' },
      { bytes: await testPng(64, 48), name: 'a.png', type: 'image/png' },
    );
    assert.equal(tooLong.status, 400);
    assert.match(cheerio.load(tooLong.text)('#upload-alt-error').text(), /替代文字不能超过120个字符/);

    assert.equal(stored(), before, 'no bytes stored');
    assert.equal(await Picture.countDocuments(), count, 'no record written');
  });

  it('when a picture is over MEDIA_MAX_MB, then it is refused with 413 naming the file field and the limit', async () => {
    const token = await editor.csrf(adminPage());
    const noise = await sharp(Buffer.from(Array.from({ length: 700 * 700 * 3 }, (_, i) => (i * 2654435761) % 251)), {
      raw: { width: 700, height: 700, channels: 3 },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    assert.ok(noise.length > 1024 * 1024);
    const res = await upload(editor.agent, slug, token, { alt: '噪点', credit: '测试' }, { bytes: noise, name: 'big.png', type: 'image/png' });
    assert.equal(res.status, 413);
    assert.match(cheerio.load(res.text)('#upload-file-error').text(), /1 MB/);
  });

  it('when the CSRF token is missing or comes after the file, then the upload is refused before a byte is stored', async () => {
    const before = stored();
    const count = await Picture.countDocuments();
    const file = { bytes: await testPng(64, 48), name: 'a.png', type: 'image/png' };
    const none = await upload(editor.agent, slug, null, { alt: '无令牌', credit: '测试' }, file);
    assert.equal(none.status, 403);
    const forged = await upload(editor.agent, slug, 'forged-token', { alt: '伪造', credit: '测试' }, file);
    assert.equal(forged.status, 403);
    const token = await editor.csrf(adminPage());
    const late = await editor.agent
      .post(`/admin/pictures/upload?brand=${slug}`)
      .field('alt', '令牌在后')
      .field('credit', '测试')
      .attach('file', file.bytes, { filename: file.name, contentType: file.type })
      .field('_csrf', token);
    assert.equal(late.status, 403);
    assert.equal(stored(), before);
    assert.equal(readdirSync(path.join(mediaDir, '.incoming')).length, 0, 'no partial upload left behind');
    assert.equal(await Picture.countDocuments(), count);
    const html = cheerio.load((await editor.agent.get(adminPage())).text);
    assert.equal(html('form.picture-upload :input').first().attr('name'), '_csrf', 'the token is the form’s first field');
  });

  it('when a viewer posts, then it is refused; when an editor edits the words and removes a picture, then both are audited and the picture is gone', async () => {
    const pic = await Picture.findOne({ alt: '手机拍摄的店招' }).lean();
    assert.ok(pic);
    const id = String(pic._id);
    const viewer = await loginAs('viewer', { app });
    const vToken = await viewer.csrf(adminPage());
    assert.equal(cheerio.load((await viewer.agent.get(adminPage())).text)('form.picture-upload').length, 0, 'a viewer sees no upload form');
    const refused = await viewer.agent
      .post(`/admin/pictures/${id}/remove`)
      .type('form')
      .send({ _csrf: vToken, version: String(pic.version) });
    assert.equal(refused.status, 403);

    let token = await editor.csrf(adminPage());
    const bad = await editor.agent
      .post(`/admin/pictures/${id}/edit`)
      .type('form')
      .send({ _csrf: token, version: '1', alt: '', credit: '摄影：测试', order: 'x' });
    assert.equal(bad.status, 400);
    const $bad = cheerio.load(bad.text);
    assert.match($bad(`#p-${id}-alt-error`).text(), /请填写替代文字/);
    assert.match($bad(`#p-${id}-order-error`).text(), /排序应为 0 到 999 的整数/);

    token = await editor.csrf(adminPage());
    const edit = await editor.agent
      .post(`/admin/pictures/${id}/edit`)
      .type('form')
      .send({ _csrf: token, version: '1', alt: '竖拍的店招', credit: '摄影：王五', order: '5' });
    assert.equal(edit.status, 303);
    const story = cheerio.load((await request(app).get(`/time-honored/${slug}/story`)).text);
    assert.equal(story(`img[alt="竖拍的店招"]`).length, 1);
    assert.match(story('.story-pictures').text(), /摄影：王五/);

    token = await editor.csrf(adminPage());
    const removed = await editor.agent.post(`/admin/pictures/${id}/remove`).type('form').send({ _csrf: token, version: '2' });
    assert.equal(removed.status, 303);
    assert.equal((await request(app).get(`/media/pictures/${id}/400.jpg`)).status, 404);
    assert.equal(existsSync(path.join(mediaDir, 'pictures', id)), false, 'its bytes are deleted');
    const after = cheerio.load((await request(app).get(`/time-honored/${slug}/story`)).text);
    assert.equal(after('img[alt="竖拍的店招"]').length, 0);
    const events = await AuditEvent.find({ model: 'Picture', entryId: id }).sort({ seq: 1 }).lean();
    assert.deepEqual(
      events.map((e) => e.action),
      ['create', 'update', 'update'],
    );
    assert.ok(events[1]!.changes.some((c) => c.field === 'alt' && c.after === '竖拍的店招'));
    assert.ok(events[2]!.changes.some((c) => c.field === 'removedAt' && c.before === null && c.after));
    assert.ok((await Picture.findById(id).lean())?.removedAt, 'the record stays, marked removed');
    const audit = cheerio.load((await editor.agent.get('/admin/audit')).text);
    const row = audit('tr').filter((_, tr) => audit(tr).find('td.mono').text().includes(id));
    assert.ok(row.length >= 3, 'the audit page lists the picture’s events');
    assert.match(row.text(), /图片 /, 'under the model’s name in people’s words');
    assert.match(row.text(), /替代文字/);
    assert.match(row.text(), /移除时间/);
  });

  describe('in a browser at 390 × 844', function () {
    this.timeout(90_000);
    it('an editor uploads a picture through the form itself, and the back-office page is axe-clean', async function () {
      if (!hasChromium()) this.skip();
      const { user, password } = await createTestUser('editor');
      const browser = await launch();
      const site = await serve(app);
      try {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        await page.goto(`${site.base}/admin/login?next=${encodeURIComponent(adminPage())}`);
        await page.locator('#login-email').fill(user.email);
        await page.locator('#login-password').fill(password);
        await Promise.all([page.waitForURL(/\/admin\/pictures\//), page.locator('form[action^="/admin/login"] button[type="submit"]').click()]);
        await page.locator('#upload-alt').fill('浏览器上传的老照片');
        await page.locator('#upload-credit').fill('浏览器测试');
        await page.locator('#upload-file').setInputFiles({ name: 'old-photo.png', mimeType: 'image/png', buffer: await testPng(800, 600) });
        await Promise.all([page.waitForURL(/#picture-[0-9a-f]{24}$/), page.locator('form.picture-upload button[type="submit"]').click()]);
        assert.match(await page.locator('.flash').innerText(), /图片已上传/);
        assert.equal(await page.locator('.pictures-list img[alt="浏览器上传的老照片"]').count(), 1);
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));
      } finally {
        await browser.close();
        await site.close();
      }
    });

    it('shows the picture with its alt text and credit, without layout shift, and axe-core finds nothing serious', async function () {
      if (!hasChromium()) this.skip();
      const browser = await launch();
      const site = await serve(app);
      try {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        await page.goto(`${site.base}/time-honored/${slug}/story`);
        const img = page.locator('.story-pictures img').first();
        await img.scrollIntoViewIfNeeded();
        await page.waitForFunction(() => {
          const i = document.querySelector<HTMLImageElement>('.story-pictures img');
          return Boolean(i && i.complete && i.naturalWidth > 0);
        });
        assert.equal(await img.getAttribute('alt'), '老店门面，木质招牌');
        const box = await img.boundingBox();
        assert.ok(box && box.width > 300 && box.width <= 390, `fits the phone: ${JSON.stringify(box)}`);
        assert.ok(Math.abs(box.height / box.width - 800 / 1200) < 0.02, 'keeps its aspect ratio');
        // A phone picks a narrow variant, in WebP.
        const chosen = await img.evaluate((i: HTMLImageElement) => i.currentSrc);
        assert.match(chosen, /\/(480|960|1200)\.webp$/);
        assert.match(await page.locator('.story-pictures figcaption').first().innerText(), /图片来源：武汉市档案馆/);
        // SCREENSHOT=/tmp/story.png keeps a picture of the page for a person to look at.
        if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));
      } finally {
        await browser.close();
        await site.close();
      }
    });
  });
});
