/**
 * Back-office pages for spreadsheets: /admin/import (upload → dry-run report → confirm → job
 * progress → summary, templates) and /admin/export (downloads of any filtered list).
 *
 * Both routers sit behind the back office's session, CSRF and viewer checks (src/admin/index.ts).
 * Viewers may look and download; uploading and confirming need an editor. The upload form carries
 * its CSRF token as its first field; the multipart body is read here, so the token is checked
 * here too, before any file is stored (src/imports/upload.ts).
 */
import { Router, type Request, type Response } from 'express';
import { createReadStream, existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ROLE_RANK } from '../accounts/roles.js';
import { actorOf, requireRole } from '../accounts/middleware.js';
import { csrfRefused } from '../accounts/session.js';
import type { Config } from '../config/index.js';
import { AppError, notFound } from '../platform/errors.js';
import { isOneOf } from '../platform/guards.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { assertPlainQuery } from '../search/params.js';
import type { SearchIndex } from '../search/port.js';
import { contentDisposition, EXPORT_KINDS, exportFilter, exportRows, sendExport } from './export.js';
import { FORMATS } from './formats.js';
import { findJob, isStale, PROBLEMS_KEPT, recentJobs, type ImportJobDoc, type ImportJobs, type JobSummary } from './jobs.js';
import { templateXlsx, writeTemplateCsv } from './template.js';
import { receiveUpload } from './upload.js';

registerMessages({
  'import.title': ['导入数据', 'Import data'],
  'import.intro': [
    '上传 CSV 或 XLSX 文件。系统先逐行检查（预演），列出每个问题的行号、列名和原因；确认之前不会写入任何数据。重复导入同一文件不会产生重复条目。',
    'Upload a CSV or XLSX file. Every row is checked first (a dry run) and each problem is listed by row, column and message; nothing is written until you confirm. Importing the same file again creates no duplicates.',
  ],
  'import.registry': ['导入到', 'Import into'],
  'import.file': ['文件（CSV 或 XLSX，最大 {mb} MB）', 'File (CSV or XLSX, at most {mb} MB)'],
  'import.fileHint': [
    '第一行为表头；支持中文列名（见模板）。CSV 可为 UTF-8 或 GBK 编码。',
    'The first row is the header; Chinese column names as in the template. CSV may be UTF-8 or GBK.',
  ],
  'import.submit': ['上传并检查', 'Upload and check'],
  'import.viewerNote': [
    '您的账户为只读，可以下载模板和查看导入记录；导入需要编辑权限。',
    'Your account is read-only: you may download templates and see imports; importing needs an editor.',
  ],
  'import.templates': ['模板下载', 'Templates'],
  'import.templatesIntro': ['每个名录一个模板：表头和一行示例。', 'One template per registry: the header row and one example row.'],
  'import.key': ['识别依据', 'Matched by'],
  'import.columns': ['列', 'Columns'],
  'import.required': ['必填列', 'required column'],
  'import.recent': ['最近的导入', 'Recent imports'],
  'import.none': ['还没有导入记录。', 'No imports yet.'],
  'import.col.file': ['文件', 'File'],
  'import.col.registry': ['名录', 'Registry'],
  'import.col.state': ['状态', 'State'],
  'import.col.by': ['上传人', 'Uploaded by'],
  'import.col.at': ['时间', 'When'],
  'import.state.checking': ['检查中', 'Checking'],
  'import.state.checked': ['待确认', 'Waiting for confirmation'],
  'import.state.writing': ['导入中', 'Importing'],
  'import.state.done': ['已完成', 'Done'],
  'import.state.failed': ['失败', 'Failed'],
  'import.state.stale': ['已中断', 'Interrupted'],
  'import.job.title': ['导入：{file}', 'Import: {file}'],
  'import.job.meta': ['名录：{registry} · 上传人：{by} · 大小：{size}', 'Registry: {registry} · uploaded by {by} · size {size}'],
  'import.job.checking': ['正在检查文件，本页每 2 秒自动刷新。', 'Checking the file; this page refreshes itself every 2 seconds.'],
  'import.job.writing': [
    '正在导入，本页每 2 秒自动刷新。可以离开本页，导入会继续。',
    'Importing; this page refreshes itself every 2 seconds. You may leave: the import carries on.',
  ],
  'import.job.progress': ['已处理 {rows} 行（{pct}%）', '{rows} rows processed ({pct}%)'],
  'import.job.progressLabel': ['进度', 'Progress'],
  'import.job.stale': [
    '该任务已超过两分钟没有进展，可能因服务重启而中断。请重新上传同一文件：已写入的行会显示为“不变”，不会重复。',
    'This job has not progressed for two minutes; the server may have restarted. Upload the same file again: rows already written come out as unchanged, nothing is duplicated.',
  ],
  'import.report.title': ['检查结果（预演，尚未写入）', 'Check result (dry run, nothing written yet)'],
  'import.result.title': ['导入结果', 'Import result'],
  'import.count.rows': ['数据行', 'Rows'],
  'import.count.created': ['新建', 'Created'],
  'import.count.updated': ['更新', 'Updated'],
  'import.count.unchanged': ['不变', 'Unchanged'],
  'import.count.rejected': ['有问题（不导入）', 'With problems (not imported)'],
  'import.count.willCreate': ['将新建', 'Will be created'],
  'import.count.willUpdate': ['将更新', 'Will be updated'],
  'import.seconds': ['用时 {s} 秒', '{s} s'],
  'import.unknown': ['以下列无法识别，已忽略：{cols}', 'These columns were not recognised and are ignored: {cols}'],
  'import.fileProblem': ['文件问题：{message}', 'Problem with the file: {message}'],
  'import.groups': ['问题汇总', 'Problems by kind'],
  'import.col.count': ['行数', 'Rows'],
  'import.problems': ['问题清单', 'Problems'],
  'import.problemsCount': ['共 {n} 个问题', '{n} problems'],
  'import.problemsShown': ['仅显示前 {n} 个；完整清单请下载。', 'Only the first {n} are shown; download the full list.'],
  'import.problemsDownload': ['下载完整问题清单（CSV）', 'Download all problems (CSV)'],
  'import.col.row': ['行', 'Row'],
  'import.col.column': ['列', 'Column'],
  'import.col.message': ['问题', 'Problem'],
  'import.row.file': ['文件', 'file'],
  'import.noProblems': ['没有发现问题。', 'No problems found.'],
  'import.confirm': ['确认导入', 'Confirm the import'],
  'import.confirmHint': ['将写入 {n} 行；有问题的 {r} 行不会导入。', '{n} rows will be written; the {r} rows with problems will not be imported.'],
  'import.nothingToDo': ['没有需要写入的内容（所有行都不变或有问题）。', 'Nothing to write (every row is unchanged or has problems).'],
  'import.cancel': ['放弃，重新上传', 'Discard and upload another file'],
  'import.confirmNeedsEditor': ['确认导入需要编辑权限。', 'Confirming needs an editor account.'],
  'import.backToList': ['查看名录', 'Open the registry list'],
  'import.again': ['导入其他文件', 'Import another file'],
  'import.error.check': ['检查文件时出错，请稍后重试。', 'Checking the file failed; please try again later.'],
  'import.error.write': [
    '导入过程中出错。已写入的行会保留；可重新上传同一文件继续，重复导入不会产生重复条目。',
    'The import failed part-way. Rows written so far are kept; upload the same file again to continue — re-importing creates no duplicates.',
  ],
  'import.error.interrupted': [
    '服务器在处理期间停止，任务已中断。请重新上传同一文件：已写入的行会显示为“不变”，不会重复。',
    'The server stopped while this job was running. Upload the same file again: rows already written come out as unchanged, nothing is duplicated.',
  ],
  'import.confirmed': ['确认人：{by}', 'Confirmed by {by}'],
  'export.title': ['导出数据', 'Export data'],
  'export.intro': [
    '导出的文件与导入模板的列相同，可修改后重新导入。列表页的“导出”链接会带上当前的筛选条件。',
    'Exports have the same columns as the import templates, so they can be edited and imported again. The Export links on the list pages keep the current filters.',
  ],
  'export.all': ['全部', 'Everything'],
  'export.brands': ['品牌（仅品牌信息）', 'Brands (brand details only)'],
});

export interface ImportRouteDeps {
  render: Render;
  config: Config;
  /** The process's import jobs (boot makes and stops them). */
  jobs: ImportJobs;
}

const formatSize = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

const canEdit = (res: Response) => {
  const role = res.locals.user?.role;
  return role ? ROLE_RANK[role] >= ROLE_RANK.editor : false;
};

function registryParam(value: unknown): Kind {
  if (isOneOf(KINDS, value)) return value;
  throw new AppError('validation_failed', '请选择要导入的名录', {
    messageEn: 'Choose the registry to import into',
    fields: [{ field: 'registry', message: '请选择要导入的名录', messageEn: 'choose a registry' }],
  });
}

const FILE_EXTS = ['csv', 'xlsx'] as const;

/** `directory.csv` → { kind, ext }, or null. */
function fileParam<K extends string>(value: string, kinds: readonly K[]): { kind: K; ext: 'csv' | 'xlsx' } | null {
  const [, kind, ext] = /^([a-z-]+)\.(csv|xlsx)$/.exec(value) ?? [];
  if (!isOneOf(kinds, kind) || !isOneOf(FILE_EXTS, ext)) return null;
  return { kind, ext };
}

function summaryView(lang: Lang, s: JobSummary | null) {
  if (!s) return null;
  return {
    ...s,
    willWrite: s.created + s.updated,
    seconds: t(lang, 'import.seconds', { s: s.seconds }),
    unknown: s.unknownColumns.length ? t(lang, 'import.unknown', { cols: s.unknownColumns.join(lang === 'en' ? ', ' : '、') }) : '',
    fileProblem: s.fileProblem ? t(lang, 'import.fileProblem', { message: lang === 'en' ? s.fileProblem.messageEn : s.fileProblem.message }) : '',
    groups: s.problemGroups.map((g) => ({ column: g.column, message: lang === 'en' ? g.messageEn : g.message, count: g.count })),
  };
}

function jobState(job: ImportJobDoc): string {
  return isStale(job) ? 'stale' : job.state;
}

function jobView(lang: Lang, job: ImportJobDoc) {
  const state = jobState(job);
  const p = job.progress ?? { rows: 0, bytes: 0, totalBytes: 0 };
  const pct = p.totalBytes > 0 ? Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100)) : 0;
  const summary = job.state === 'done' ? job.result : job.check;
  return {
    id: job._id.toHexString(),
    state,
    stateLabel: t(lang, `import.state.${state}`),
    registry: job.registry,
    registryLabel: t(lang, `kind.${job.registry}`),
    title: t(lang, 'import.job.title', { file: job.fileName }),
    meta: t(lang, 'import.job.meta', { registry: t(lang, `kind.${job.registry}`), by: job.uploadedBy, size: formatSize(job.fileSize) }),
    running: state === 'checking' || state === 'writing',
    checking: state === 'checking',
    writing: state === 'writing',
    checked: state === 'checked',
    done: state === 'done',
    failed: state === 'failed',
    stale: state === 'stale',
    error: job.error ? t(lang, job.error) : '',
    progress: { pct, text: t(lang, 'import.job.progress', { rows: p.rows, pct }) },
    summary: summaryView(lang, summary),
    problems: (job.problems ?? []).map((pr) => ({
      row: pr.row === 0 ? t(lang, 'import.row.file') : pr.row,
      column: pr.column,
      message: lang === 'en' ? pr.messageEn : pr.message,
    })),
    problemsTruncated: (summary?.problems ?? 0) > PROBLEMS_KEPT,
    problemsCount: t(lang, 'import.problemsCount', { n: summary?.problems ?? 0 }),
    problemsHref: url(lang, `/admin/import/jobs/${job._id.toHexString()}/problems.csv`),
    confirmAction: url(lang, `/admin/import/jobs/${job._id.toHexString()}/confirm`),
    confirmHint: summary ? t(lang, 'import.confirmHint', { n: summary.created + summary.updated, r: summary.rejected }) : '',
    confirmed: job.confirmedBy ? t(lang, 'import.confirmed', { by: job.confirmedBy }) : '',
    listHref: url(lang, `/admin/${job.registry}`),
    uploadedAt: job.createdAt,
  };
}

/** The /admin/import router (mounted at /admin/import). */
export function importRoutes({ render, config, jobs }: ImportRouteDeps): Router {
  const router = Router();
  const { dir } = jobs;
  const maxBytes = config.IMPORT_MAX_MB * 1024 * 1024;
  const page = (res: Response, view: string, ctx: Record<string, unknown>) => res.type('html').send(render(view, { ...res.locals, ...ctx }));

  router.get('/', async (_req, res) => {
    const lang = res.locals.lang;
    const jobs = await recentJobs(10);
    page(res, 'admin/import', {
      title: t(lang, 'import.title'),
      canEdit: canEdit(res),
      uploadAction: url(lang, '/admin/import/upload'),
      fileLabel: t(lang, 'import.file', { mb: config.IMPORT_MAX_MB }),
      registries: KINDS.map((k) => ({
        kind: k,
        label: t(lang, `kind.${k}`),
        key: lang === 'en' ? FORMATS[k].key.en : FORMATS[k].key.zh,
        columns: FORMATS[k].columns.map((c) => ({ header: c.header, en: c.en, required: Boolean(c.required) })),
        csv: url(lang, `/admin/import/template/${k}.csv`),
        xlsx: url(lang, `/admin/import/template/${k}.xlsx`),
      })),
      jobs: jobs.map((j) => ({
        href: url(lang, `/admin/import/jobs/${j._id.toHexString()}`),
        file: j.fileName,
        registry: t(lang, `kind.${j.registry}`),
        state: t(lang, `import.state.${jobState(j)}`),
        by: j.uploadedBy,
        at: j.createdAt,
      })),
    });
  });

  router.get('/template/:file', async (req, res) => {
    const f = fileParam(String(req.params.file), KINDS);
    if (!f) throw notFound('模板', 'template');
    const name = `${f.kind}-template.${f.ext}`;
    res.setHeader('Content-Disposition', contentDisposition(name, `${t('zh', `kind.${f.kind}`)}-导入模板.${f.ext}`));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (f.ext === 'csv') {
      res.type('text/csv; charset=utf-8');
      await writeTemplateCsv(f.kind, res);
      res.end();
    } else {
      res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await templateXlsx(f.kind));
    }
  });

  router.post('/upload', requireRole('editor'), async (req, res) => {
    const actor = actorOf(res);
    // The CSRF middleware left this form's token to us: it is the body's first field.
    const check = res.locals.csrfCheck;
    const token = check ? { check, refusal: csrfRefused } : undefined;
    const upload = await receiveUpload(req, { dir, maxBytes, maxMb: config.IMPORT_MAX_MB, token });
    if (!upload.file) {
      throw new AppError('validation_failed', '请选择要上传的文件', {
        messageEn: 'Choose a file to upload',
        fields: [{ field: 'file', message: '请选择要上传的文件', messageEn: 'choose a file' }],
      });
    }
    let registry: Kind;
    try {
      registry = registryParam(upload.fields.registry);
    } catch (err) {
      await unlink(upload.file.path).catch(() => {});
      throw err;
    }
    const job = await jobs.start({ registry, filePath: upload.file.path, fileName: upload.file.name, fileSize: upload.file.size, actor });
    res.redirect(303, url(res.locals.lang, `/admin/import/jobs/${job._id.toHexString()}`));
  });

  const loadJob = async (req: Request) => {
    const job = await findJob(String(req.params.id));
    if (!job) throw notFound('导入任务', 'import job');
    return job;
  };

  router.get('/jobs/:id', async (req, res) => {
    const lang = res.locals.lang;
    const job = await loadJob(req);
    const view = jobView(lang, job);
    if (view.running) res.locals.refreshSeconds = 2;
    page(res, 'admin/import-job', { title: view.title, job: view, canEdit: canEdit(res), importHref: url(lang, '/admin/import') });
  });

  router.post('/jobs/:id/confirm', requireRole('editor'), async (req, res) => {
    const job = await loadJob(req);
    const ok = await jobs.confirm(job._id.toHexString(), actorOf(res));
    if (!ok) {
      throw new AppError('conflict', '该导入已确认或不在待确认状态', {
        messageEn: 'This import has already been confirmed or is not waiting for confirmation',
      });
    }
    res.redirect(303, url(res.locals.lang, `/admin/import/jobs/${job._id.toHexString()}`));
  });

  router.get('/jobs/:id/problems.csv', async (req, res) => {
    const job = await loadJob(req);
    if (!existsSync(job.problemsPath)) throw notFound('问题清单', 'problem list');
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', contentDisposition(`import-problems-${job._id.toHexString()}.csv`, `导入问题清单-${job.fileName}.csv`));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    createReadStream(job.problemsPath).pipe(res);
  });

  return router;
}

export interface ExportRouteDeps {
  render: Render;
  config: Config;
  logger: Logger;
  /** For exports filtered by a text query (q); without it such exports are refused. */
  index?: SearchIndex;
}

/** The /admin/export router (mounted at /admin/export): GET /<kind>.csv|.xlsx?<list filters>. */
export function exportRoutes({ render, logger, index }: ExportRouteDeps): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    const lang = res.locals.lang;
    res.type('html').send(
      render('admin/export', {
        ...res.locals,
        title: t(lang, 'export.title'),
        kinds: [
          ...KINDS.map((k) => ({ label: t(lang, `kind.${k}`), csv: `/admin/export/${k}.csv`, xlsx: `/admin/export/${k}.xlsx` })),
          { label: t(lang, 'export.brands'), csv: '/admin/export/brands.csv', xlsx: '/admin/export/brands.xlsx' },
        ],
      }),
    );
  });

  router.get('/:file', async (req, res) => {
    const f = fileParam(String(req.params.file), EXPORT_KINDS);
    if (!f) throw notFound('导出', 'export');
    const query = assertPlainQuery(req.query);
    const filter = exportFilter(f.kind, query);
    try {
      await sendExport(res, f.kind, f.ext, exportRows(f.kind, filter, { index, query }));
    } catch (err) {
      if (!res.headersSent) throw err;
      logger.error({ err, export: req.params.file }, 'export failed while streaming');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });

  return router;
}
