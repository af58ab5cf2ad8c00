/**
 * Pictures on the 老字号 story pages (/time-honored/<slug>/story): regulators upload, describe and
 * remove them in the back office; the public reads them at stable addresses.
 *
 * - `GET  /admin/pictures/:slug` — a brand's pictures, each with its alt text, credit, caption and
 *   order to edit, and the upload form (editors and admins; viewers see the list).
 * - `POST /admin/pictures/upload?brand=<slug>` — one JPEG, PNG or WebP (type read from its bytes,
 *   at most MEDIA_MAX_MB) with its words. The form's CSRF token is its first field and is checked
 *   before any byte is stored (as the spreadsheet upload does, src/platform/upload.ts).
 * - `POST /admin/pictures/:id/edit`, `POST /admin/pictures/:id/remove` — words, or removal.
 * - `GET  /media/pictures/:id/<width>.webp|jpg` — a variant, cached for a year.
 *
 * Every write goes through the registry service (src/registries/service.ts): the change log and
 * the audit trail see uploads, edits and removals like any entry's.
 */
import { Router, type Request, type Response } from 'express';
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import { actorOf, flash, requireRole } from '../accounts/middleware.js';
import { ROLE_RANK } from '../accounts/roles.js';
import { csrfRefused } from '../accounts/session.js';
import type { Config } from '../config/index.js';
import { AppError, type FieldProblem } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { processImage, sniffImageType, UnreadableImageError, type ServedFormat } from '../platform/images.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import { LocalMediaStore, type MediaStore } from '../platform/media-store.js';
import { receiveUpload } from '../platform/upload.js';
import { url, type Render } from '../platform/views.js';
import { Brand, TimeHonored } from '../registries/models.js';
import {
  ALT_MAX,
  CAPTION_MAX,
  CREDIT_MAX,
  ORDER_MAX,
  Picture,
  picturePrefix,
  picturesOf,
  pictureSources,
  variantKey,
  type PictureDoc,
} from '../registries/pictures.js';
import { BRAND_SLUG } from '../registries/reference.js';
import { createEntry, fieldProblemsFrom, updateEntry } from '../registries/service.js';

registerMessages({
  'pictures.title': ['图片：{name}', 'Pictures: {name}'],
  'pictures.heading': ['品牌图片', 'Brand pictures'],
  'pictures.intro': [
    '这些图片显示在老字号品牌故事页上。可上传 JPEG、PNG 或 WebP 图片，系统会缩放为多种尺寸并去除拍摄信息（EXIF、GPS 定位等）。每张图片须填写替代文字和图片来源/版权。',
    'These pictures are shown on the brand’s time-honored story page. Upload a JPEG, PNG or WebP; it is resized to a few widths and stripped of camera data (EXIF, GPS location). Each picture needs alt text and a credit.',
  ],
  'pictures.storyLink': ['查看品牌故事页', 'See the story page'],
  'pictures.entryLink': ['老字号名录条目', 'Time-honored registry entry'],
  'pictures.adminLink': ['管理图片', 'Manage pictures'],
  'pictures.none': ['还没有图片。', 'No pictures yet.'],
  'pictures.current': ['现有图片（{n}）', 'Current pictures ({n})'],
  'pictures.upload': ['上传图片', 'Upload a picture'],
  'pictures.submit': ['上传', 'Upload'],
  'pictures.save': ['保存说明', 'Save the words'],
  'pictures.remove': ['移除这张图片', 'Remove this picture'],
  'pictures.removeHint': ['移除后图片不再公开显示，记录保留在审计日志中。', 'A removed picture is no longer shown; the audit trail keeps its record.'],
  'pictures.field.file': ['图片文件', 'Picture file'],
  'pictures.field.alt': ['替代文字', 'Alt text'],
  'pictures.field.credit': ['图片来源/版权', 'Credit (source / copyright)'],
  'pictures.field.caption': ['图片说明', 'Caption'],
  'pictures.field.order': ['排序', 'Order'],
  'pictures.hint.file': ['JPEG、PNG 或 WebP，最大 {mb} MB', 'JPEG, PNG or WebP, at most {mb} MB'],
  'pictures.hint.alt': [
    `向看不到图片的读者描述图片内容，不超过 ${ALT_MAX} 个字符`,
    `Describe the picture for readers who cannot see it; at most ${ALT_MAX} characters`,
  ],
  'pictures.hint.credit': ['如：武汉市档案馆 / 摄影：张三', 'e.g. Wuhan Archives / photo: Zhang San'],
  'pictures.hint.order': [`0 到 ${ORDER_MAX}，小的在前`, `0 to ${ORDER_MAX}, smallest first`],
  'pictures.size': ['{w} × {h} 像素', '{w} × {h} pixels'],
  'pictures.uploaded': ['图片已上传。', 'The picture was uploaded.'],
  'pictures.saved': ['图片说明已保存。', 'The picture’s words were saved.'],
  'pictures.removed': ['图片已移除。', 'The picture was removed.'],
  'pictures.viewerNote': ['您的账户为只读；上传和修改图片需要编辑权限。', 'Your account is read-only; uploading and editing pictures needs an editor.'],
  'audit.model.Picture': ['图片', 'Picture'],
  // A picture's fields as the audit page and entry histories name them (their lookup: adminreg.field.<name>).
  'adminreg.field.alt': ['替代文字', 'Alt text'],
  'adminreg.field.credit': ['图片来源/版权', 'Credit'],
  'adminreg.field.caption': ['图片说明', 'Caption'],
  'adminreg.field.order': ['排序', 'Order'],
  'adminreg.field.widths': ['已生成宽度', 'Widths made'],
  'adminreg.field.width': ['宽度（像素）', 'Width (px)'],
  'adminreg.field.height': ['高度（像素）', 'Height (px)'],
  'adminreg.field.sourceType': ['原图格式', 'Source format'],
  'adminreg.field.sourceSha256': ['原图 SHA-256', 'Source SHA-256'],
  'adminreg.field.sourceBytes': ['原图大小（字节）', 'Source size (bytes)'],
  'adminreg.field.removedAt': ['移除时间', 'Removed at'],
});

/** A variant, once made, never changes under its address: a year, immutable. */
const MEDIA_CACHE = 'public, max-age=31536000, immutable';
const CONTENT_TYPE: Record<string, string> = { webp: 'image/webp', jpg: 'image/jpeg' };
const FORMAT_OF: Record<string, ServedFormat> = { webp: 'webp', jpg: 'jpeg' };
const ID = /^[0-9a-f]{24}$/;
const VARIANT_FILE = /^([1-9][0-9]{1,3})\.(webp|jpg)$/;

type MediaConfig = Pick<Config, 'DATA_DIR' | 'MEDIA_DIR' | 'MEDIA_MAX_MB'>;

/** The folder the local store keeps pictures in: MEDIA_DIR, else DATA_DIR/media. */
export const mediaDir = (config: Pick<Config, 'DATA_DIR' | 'MEDIA_DIR'>) => path.resolve(config.MEDIA_DIR ?? path.join(config.DATA_DIR, 'media'));
/** The configured store (a local folder; an S3-compatible adapter would be chosen here). */
export const mediaStore = (config: Pick<Config, 'DATA_DIR' | 'MEDIA_DIR'>): MediaStore => new LocalMediaStore(mediaDir(config));

/** The public variants: `/media/pictures/:id/<width>.<webp|jpg>`, only of a picture that is shown. */
export function publicMediaRoutes(deps: { store: MediaStore }): Router {
  const router = Router();
  const notFound = () => new AppError('not_found', '找不到该图片', { messageEn: 'No such picture' });
  router.get('/media/pictures/:id/:file', async (req, res) => {
    const id = String(req.params.id);
    const m = VARIANT_FILE.exec(String(req.params.file));
    if (!ID.test(id) || !m) throw notFound();
    const width = Number(m[1]);
    const ext = m[2]!;
    const p = await Picture.findOne({ _id: id, removedAt: null }, { widths: 1 }).lean();
    if (!p || !p.widths.includes(width)) throw notFound();
    const bytes = await deps.store.get(variantKey(id, width, FORMAT_OF[ext]!));
    if (!bytes) throw notFound();
    res.setHeader('Cache-Control', MEDIA_CACHE);
    res.type(CONTENT_TYPE[ext]!).send(bytes);
  });
  return router;
}

interface Words {
  alt: string;
  credit: string;
  caption: string;
  order: number;
}

const fieldLabel = (lang: Lang, field: string) => t(lang, `pictures.field.${field}`);

/** The words of a form, each checked as the schema would, every problem at once. */
async function wordsOf(body: Record<string, unknown>, problems: FieldProblem[]): Promise<Words & { raw: Record<string, string> }> {
  const raw: Record<string, string> = {};
  for (const f of ['alt', 'credit', 'caption', 'order']) {
    const v = body[f];
    if (v !== undefined && typeof v !== 'string') problems.push({ field: f, message: '格式不正确，应为一段文字', messageEn: 'must be a single text value' });
    raw[f] = typeof v === 'string' ? v : '';
  }
  const orderText = raw.order!.trim();
  let order = 0;
  if (orderText) {
    if (/^[0-9]{1,3}$/.test(orderText)) order = Number(orderText);
    else problems.push({ field: 'order', message: `排序应为 0 到 ${ORDER_MAX} 的整数`, messageEn: `order is a whole number from 0 to ${ORDER_MAX}` });
  }
  const words = { alt: raw.alt!.trim(), credit: raw.credit!.trim(), caption: raw.caption!.trim(), order };
  // The schema's own messages for what it checks (required, lengths), before any pixel is decoded.
  const schema = await Picture.validate(words, Object.keys(words)).then(
    () => [],
    (err: unknown) => fieldProblemsFrom(err) ?? [],
  );
  problems.push(...schema.filter((s) => !problems.some((p) => p.field === s.field)));
  return { ...words, raw };
}

export interface PictureAdminDeps {
  render: Render;
  config: MediaConfig;
  store: MediaStore;
}

/** The back-office routes (mounted under /admin, after the session, CSRF and viewer checks). */
export function pictureAdminRoutes(deps: PictureAdminDeps): Router {
  const { render, config, store } = deps;
  const maxBytes = config.MEDIA_MAX_MB * 1024 * 1024;
  const uploadDir = path.join(mediaDir(config), '.incoming');
  const router = Router();
  const noBrand = () => new AppError('not_found', '找不到该老字号品牌', { messageEn: 'No such time-honored brand' });
  const noPicture = () => new AppError('not_found', '找不到该图片', { messageEn: 'No such picture' });

  /** The brand of a slug, if it is (or was) a 老字号 — the only brands with a story page. */
  const brandOf = async (slug: string) => {
    if (!BRAND_SLUG.test(slug)) return null;
    const brand = await Brand.findOne({ slug }, { slug: 1, name: 1, nameEn: 1 }).lean();
    return brand && (await TimeHonored.exists({ brand: brand._id })) ? brand : null;
  };

  interface PageState {
    status?: number;
    /** Problems of the upload form, or of one picture's form (by id). */
    problems?: FieldProblem[];
    problemsOf?: string;
    values?: Record<string, string>;
  }

  const problemView = (lang: Lang, problems: FieldProblem[], idPrefix: string) =>
    problems.map((p) => ({
      field: p.field,
      href: `#${idPrefix}-${p.field}`,
      label: fieldLabel(lang, p.field) === `pictures.field.${p.field}` ? p.field : fieldLabel(lang, p.field),
      message: lang === 'en' ? p.messageEn : p.message,
    }));

  const field = (
    lang: Lang,
    idPrefix: string,
    name: string,
    value: string,
    problems: FieldProblem[],
    o: { required?: boolean; hint?: string; maxlength?: number; inputMode?: string } = {},
  ) => {
    const error = problems.find((p) => p.field === name);
    const hintId = o.hint ? `${idPrefix}-${name}-hint` : '';
    const errorId = error ? `${idPrefix}-${name}-error` : '';
    return {
      id: `${idPrefix}-${name}`,
      name,
      label: fieldLabel(lang, name),
      value,
      required: o.required ?? false,
      hint: o.hint ?? '',
      hintId,
      errorId,
      error: error ? (lang === 'en' ? error.messageEn : error.message) : '',
      describedBy: [hintId, errorId].filter(Boolean).join(' '),
      maxlength: o.maxlength,
      inputMode: o.inputMode,
    };
  };

  const wordFields = (lang: Lang, idPrefix: string, v: Record<string, string>, problems: FieldProblem[]) => [
    field(lang, idPrefix, 'alt', v.alt ?? '', problems, { required: true, hint: t(lang, 'pictures.hint.alt'), maxlength: ALT_MAX }),
    field(lang, idPrefix, 'credit', v.credit ?? '', problems, { required: true, hint: t(lang, 'pictures.hint.credit'), maxlength: CREDIT_MAX }),
    field(lang, idPrefix, 'caption', v.caption ?? '', problems, { maxlength: CAPTION_MAX }),
    field(lang, idPrefix, 'order', v.order ?? '0', problems, { hint: t(lang, 'pictures.hint.order'), inputMode: 'numeric' }),
  ];

  async function page(res: Response, slug: string, s: PageState = {}) {
    const lang = res.locals.lang;
    const brand = await brandOf(slug);
    if (!brand) throw noBrand();
    const [pictures, th] = await Promise.all([picturesOf(brand._id), TimeHonored.findOne({ brand: brand._id }, { _id: 1 }).sort({ _id: 1 }).lean()]);
    const role = res.locals.user?.role;
    const canEdit = role ? ROLE_RANK[role] >= ROLE_RANK.editor : false;
    const problems = s.problems ?? [];
    const uploadProblems = s.problemsOf === 'upload' ? problems : [];
    const name = lang === 'en' && brand.nameEn ? brand.nameEn : brand.name;
    res.status(s.status ?? 200);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      render('admin/pictures', {
        ...res.locals,
        title: t(lang, 'pictures.title', { name }),
        heading: t(lang, 'pictures.heading'),
        brand: { name: brand.name, nameEn: brand.nameEn ?? '' },
        storyHref: url(lang, `/time-honored/${brand.slug}/story`),
        entryHref: th ? url(lang, `/admin/time-honored/${String(th._id)}`) : '',
        canEdit,
        uploadAction: url(lang, '/admin/pictures/upload', { brand: brand.slug }),
        fileField: field(lang, 'upload', 'file', '', uploadProblems, { required: true, hint: t(lang, 'pictures.hint.file', { mb: config.MEDIA_MAX_MB }) }),
        uploadFields: wordFields(lang, 'upload', s.problemsOf === 'upload' ? (s.values ?? {}) : {}, uploadProblems),
        uploadSummary: problemView(lang, uploadProblems, 'upload'),
        count: t(lang, 'pictures.current', { n: pictures.length }),
        pictures: pictures.map((p) => {
          const id = String(p._id);
          const mine = s.problemsOf === id;
          const own = mine ? problems : [];
          const values = mine && s.values ? s.values : { alt: p.alt, credit: p.credit, caption: p.caption ?? '', order: String(p.order ?? 0) };
          return {
            id,
            ...pictureSources(p),
            alt: p.alt,
            credit: p.credit,
            size: t(lang, 'pictures.size', { w: p.width, h: p.height }),
            version: p.version,
            editAction: url(lang, `/admin/pictures/${id}/edit`),
            removeAction: url(lang, `/admin/pictures/${id}/remove`),
            fields: wordFields(lang, `p-${id}`, values, own),
            summary: problemView(lang, own, `p-${id}`),
          };
        }),
      }),
    );
  }

  router.get('/pictures/:slug', async (req, res) => page(res, String(req.params.slug)));

  router.post('/pictures/upload', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const slug = typeof req.query.brand === 'string' ? req.query.brand : '';
    const brand = await brandOf(slug);
    if (!brand) throw noBrand();
    const check = res.locals.csrfCheck;
    // The CSRF middleware left this form's token to us: it is the body's first field (src/admin/index.ts).
    const token = check ? { check, refusal: csrfRefused } : undefined;
    let upload;
    try {
      upload = await receiveUpload(req, {
        dir: uploadDir,
        maxBytes,
        maxMb: config.MEDIA_MAX_MB,
        token,
        tooLarge: { zh: `图片超过 ${config.MEDIA_MAX_MB} MB 的上限`, en: `The picture is larger than the ${config.MEDIA_MAX_MB} MB limit` },
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'payload_too_large') return page(res, slug, { status: 413, problems: err.fields, problemsOf: 'upload' });
      throw err;
    }
    try {
      const problems: FieldProblem[] = [];
      const words = await wordsOf(upload.fields, problems);
      const file = upload.file && upload.file.size > 0 ? upload.file : null;
      let bytes: Buffer | null = null;
      if (!file) problems.unshift({ field: 'file', message: '请选择一个图片文件', messageEn: 'choose a picture file' });
      else {
        bytes = await readFile(file.path);
        // The bytes say what the file is; its name and the browser's type are not trusted.
        if (!sniffImageType(bytes)) {
          problems.unshift({
            field: 'file',
            message: '不是 JPEG、PNG 或 WebP 图片（按文件内容判断）',
            messageEn: 'is not a JPEG, PNG or WebP image (judged by its content)',
          });
          bytes = null;
        }
      }
      let processed = null;
      if (bytes && !problems.length) {
        try {
          processed = await processImage(bytes);
        } catch (err) {
          if (!(err instanceof UnreadableImageError)) throw err;
          problems.unshift({
            field: 'file',
            message: '无法读取该图片，文件可能已损坏或尺寸过大',
            messageEn: 'cannot be read; the file may be damaged or too large',
          });
        }
      }
      if (problems.length || !processed || !bytes) return await page(res, slug, { status: 400, problems, problemsOf: 'upload', values: words.raw });
      const id = new mongoose.Types.ObjectId();
      for (const v of processed.variants) await store.put(variantKey(id, v.width, v.format), v.bytes);
      try {
        await createEntry(
          Picture,
          {
            _id: id,
            brand: brand._id,
            alt: words.alt,
            credit: words.credit,
            caption: words.caption,
            order: words.order,
            widths: [...new Set(processed.variants.map((v) => v.width))],
            width: processed.width,
            height: processed.height,
            sourceType: sniffImageType(bytes),
            sourceSha256: createHash('sha256').update(bytes).digest('hex'),
            sourceBytes: bytes.length,
          },
          { actor: actorOf(res) },
        );
      } catch (err) {
        await store.removePrefix(picturePrefix(id)).catch(() => {});
        if (err instanceof AppError && err.code === 'validation_failed')
          return await page(res, slug, { status: 400, problems: err.fields, problemsOf: 'upload', values: words.raw });
        throw err;
      }
      flash(req, 'pictures.uploaded');
      res.redirect(303, `${url(lang, `/admin/pictures/${brand.slug}`)}#picture-${String(id)}`);
    } finally {
      if (upload.file) await unlink(upload.file.path).catch(() => {});
    }
  });

  /** The picture of a path, with its brand's slug; or a 404. */
  const pictureOf = async (req: Request) => {
    const id = String(req.params.id);
    const p = ID.test(id) ? await Picture.findOne({ _id: id, removedAt: null }).lean<PictureDoc>() : null;
    const brand = p && (await Brand.findById(p.brand, { slug: 1 }).lean());
    if (!p || !brand) throw noPicture();
    return { p, slug: brand.slug };
  };
  const bodyOf = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});
  const versionOf = (body: Record<string, unknown>) => {
    const v = body.version;
    if (typeof v !== 'string' || !/^[1-9][0-9]{0,8}$/.test(v)) {
      throw new AppError('bad_request', 'version: 版本号缺失或格式不正确', {
        messageEn: 'version: missing or malformed version',
        fields: [{ field: 'version', message: '版本号缺失或格式不正确', messageEn: 'missing or malformed version' }],
      });
    }
    return Number(v);
  };

  router.post('/pictures/:id/edit', requireRole('editor'), async (req, res) => {
    const { p, slug } = await pictureOf(req);
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const words = await wordsOf(body, problems);
    const id = String(p._id);
    if (problems.length) return page(res, slug, { status: 400, problems, problemsOf: id, values: words.raw });
    try {
      await updateEntry(Picture, p._id, version, { alt: words.alt, credit: words.credit, caption: words.caption, order: words.order }, { actor: actorOf(res) });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed')
        return page(res, slug, { status: 400, problems: err.fields, problemsOf: id, values: words.raw });
      throw err;
    }
    flash(req, 'pictures.saved');
    res.redirect(303, `${url(res.locals.lang, `/admin/pictures/${slug}`)}#picture-${id}`);
  });

  router.post('/pictures/:id/remove', requireRole('editor'), async (req, res) => {
    const { p, slug } = await pictureOf(req);
    const version = versionOf(bodyOf(req));
    await updateEntry(Picture, p._id, version, { removedAt: new Date() }, { actor: actorOf(res) });
    // The record stays (and the audit trail has the removal); the bytes are no longer served, so they go.
    await store.removePrefix(picturePrefix(p._id));
    flash(req, 'pictures.removed');
    res.redirect(303, url(res.locals.lang, `/admin/pictures/${slug}`));
  });

  return router;
}
