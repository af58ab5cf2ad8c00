/**
 * Open data, mounted at the site root:
 *
 * - `GET /open-data` — each public registry with its row count, time of last change, download
 *   links, field dictionary and the licence note.
 * - `GET /open-data/<kind>.csv | .json | .ndjson` — the registry, streamed from MongoDB cursors
 *   (chunked transfer, no Content-Length; see export.ts), with ETag and Last-Modified so that a
 *   client can ask again cheaply (304).
 *
 * Validators come from the statistics cache (the change log's latest change per registry, and the
 * latest certificate expiry, as of the last count, recounted at least every minute): a download
 * never waits for a count, and without one yet it is simply sent without validators.
 */
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { countAll } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { errorCode, isOneOf } from '../platform/guards.js';
import { formatDate, formatNumber, formatTime, registerMessages, t } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { entryModel } from '../registries/kinds.js';
import { Brand, Trademark } from '../registries/models.js';
import { KINDS, type Kind } from '../registries/reference.js';
import { assertPlainQuery } from '../search/params.js';
import type { SwrCache } from '../platform/swr-cache.js';
import type { RegistryStats } from '../registries/counts.js';
import { BRAND_PROJECTION, CSV_LIST_SEPARATOR, DATASETS, TRADEMARK_PROJECTION, type Dataset } from './datasets.js';
import { joinedRows, serialize, type ExportSources, type Format } from './export.js';

registerMessages({
  'opendata.title': ['开放数据', 'Open data'],
  'opendata.intro': [
    '商标品牌名录、驰名商标工作台账、老字号名录和精品认定的公开信息，可整表下载，格式为 CSV（可用表格软件打开）和 JSON。',
    'The public contents of the trademark directory, the famous trademark ledger, the time-honored brand list and the certifications, each downloadable in full as CSV (opens in spreadsheet programs) and JSON.',
  ],
  'opendata.licenceTitle': ['使用许可', 'Licence'],
  'opendata.licence': [
    '可自由复制、使用和再发布，请注明来源：武汉市市场监督管理局。',
    'You may copy, use and republish the data freely; please credit the source: Wuhan Administration for Market Regulation.',
  ],
  'opendata.licenceDemo': [
    '（演示文本：正式的开放数据许可条款以主管部门发布的为准。）',
    '(Placeholder text for this demonstration: the bureau publishes the binding licence terms.)',
  ],
  'opendata.rows': ['{n} 条', '{n} rows'],
  'opendata.lastChange': ['最近更新：{time}', 'Last changed: {time}'],
  'opendata.never': ['尚无变更记录', 'no changes recorded yet'],
  'opendata.download': ['下载', 'Download'],
  'opendata.csv': ['CSV（表格）', 'CSV (spreadsheet)'],
  'opendata.json': ['JSON（数组）', 'JSON (array)'],
  'opendata.ndjson': ['NDJSON（每行一条）', 'NDJSON (one per line)'],
  'opendata.downloadLabel': ['下载{what}（{format}）', 'Download {what} ({format})'],
  'opendata.fields': ['字段说明', 'Field dictionary'],
  'opendata.fieldsCaption': ['{what}：字段说明', '{what}: fields'],
  'opendata.column': ['字段', 'Column'],
  'opendata.meaning': ['含义', 'Meaning'],
  'opendata.type': ['类型', 'Type'],
  'opendata.notesTitle': ['格式说明', 'Format notes'],
  'opendata.note.encoding': [
    'CSV 为 UTF-8 编码（带 BOM），第一行为字段名，多个值之间用“{sep}”分隔；以 = + - @ 开头的内容前加了单引号，防止被表格软件当作公式执行。',
    'CSV is UTF-8 (with a BOM), the first row holds the column names, several values in one cell are separated by "{sep}"; text beginning with = + - @ is prefixed with an apostrophe so spreadsheet programs do not run it as a formula.',
  ],
  'opendata.note.json': [
    'JSON 为一个数组，NDJSON 每行一个对象；列表为数组，日期为 YYYY-MM-DD，缺失值为 null。',
    'JSON is one array, NDJSON one object per line; lists are arrays, dates YYYY-MM-DD, missing values null.',
  ],
  'opendata.note.cache': [
    '下载带 ETag 和 Last-Modified，可用条件请求检查是否有更新；条数和更新时间每分钟统计一次（计算于 {time}）。',
    'Downloads carry ETag and Last-Modified, so a conditional request tells you whether anything changed; counts and change times are recounted every minute (computed at {time}).',
  ],
  'opendata.note.demo': ['demo 为 true 的行是演示用途的虚构数据。', 'Rows with demo = true are invented demonstration data.'],
  'opendata.api': ['需要按条件查询？请使用开放接口。', 'Need to query by criteria? Use the open API.'],
  'opendata.type.string': ['文本', 'text'],
  'opendata.type.integer': ['整数', 'integer'],
  'opendata.type.number': ['数字', 'number'],
  'opendata.type.boolean': ['是/否（true/false）', 'true/false'],
  'opendata.type.date': ['日期（YYYY-MM-DD）', 'date (YYYY-MM-DD)'],
  'opendata.type.partialDate': ['日期，按来源精度（YYYY、YYYY-MM 或 YYYY-MM-DD）', 'date at the source’s precision (YYYY, YYYY-MM or YYYY-MM-DD)'],
  'opendata.type.string[]': ['文本列表', 'list of text'],
  'opendata.type.integer[]': ['整数列表', 'list of integers'],
});

export interface OpenDataDeps {
  render: Render;
  logger?: Pick<Logger, 'error' | 'warn'>;
  /** Row counts and change times: the app's registry counts (registries/counts.ts). */
  cache: SwrCache<RegistryStats>;
  /** Sources per dataset (tests inject their own); default: MongoDB cursors. */
  sources?: (ds: Dataset, estimated?: number) => ExportSources;
  /**
   * Exports running at once in this process (default 2). Each scans whole collections, so more
   * would only slow every one of them and the site; the next client is asked to come back (429).
   */
  maxConcurrentExports?: number;
}

const FORMAT_NAMES = ['csv', 'json', 'ndjson'] as const satisfies readonly Format[];

const FORMATS: Record<Format, { type: string }> = {
  csv: { type: 'text/csv; charset=utf-8' },
  json: { type: 'application/json; charset=utf-8' },
  ndjson: { type: 'application/x-ndjson; charset=utf-8' },
};

/** MongoDB cursors over the registry, its brands and trademarks (projected to public fields). */
export function mongoSources(ds: Dataset, estimated?: number): ExportSources {
  const model = entryModel(ds.kind);
  return {
    entries: () => model.find({}, ds.entryProjection).lean<Record<string, unknown>[]>().cursor({ batchSize: 1000 }),
    brands: () => Brand.find({}, BRAND_PROJECTION).lean().cursor({ batchSize: 1000 }),
    trademarks: () => Trademark.find({}, TRADEMARK_PROJECTION).lean().cursor({ batchSize: 1000 }),
    estimatedEntries: async () => estimated ?? countAll(model),
  };
}

/** ETag and Last-Modified of a download, from the counts' change times (null without counts yet). */
export function validators(kind: Kind, format: Format, stats: RegistryStats | null): { etag: string; lastModified: Date | null } | null {
  if (!stats) return null;
  const changed = stats.lastChange[kind];
  const expiry = kind === 'certified' ? stats.lastExpiry : null;
  const times = [changed, expiry].filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  const last = times.length ? new Date(Math.max(...times)) : null;
  // Whole seconds: Last-Modified has no more precision, and If-Modified-Since compares seconds.
  const lastModified = last ? new Date(Math.floor(last.getTime() / 1000) * 1000) : null;
  return { etag: `W/"od1-${kind}-${format}-${changed?.getTime() ?? 0}-${expiry?.getTime() ?? 0}"`, lastModified };
}

export function openDataRoutes(deps: OpenDataDeps): Router {
  const router = Router();
  const { cache } = deps;
  const sourcesFor = deps.sources ?? mongoSources;
  const maxRunning = deps.maxConcurrentExports ?? 2;
  let running = 0;

  router.get('/open-data', async (req, res) => {
    const lang = res.locals.lang;
    assertPlainQuery(req.query);
    const counted = await cache.get();
    const typeLabel = (type: string) => t(lang, `opendata.type.${type}`);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.type('html').send(
      deps.render('open-data', {
        ...res.locals,
        title: t(lang, 'opendata.title'),
        notes: [
          t(lang, 'opendata.note.encoding', { sep: CSV_LIST_SEPARATOR.trim() }),
          t(lang, 'opendata.note.json'),
          t(lang, 'opendata.note.cache', { time: formatTime(lang, counted.at) }),
          t(lang, 'opendata.note.demo'),
        ],
        apiHref: url(lang, '/api'),
        datasets: KINDS.map((kind) => {
          const ds = DATASETS[kind];
          const what = t(lang, ds.titleKey);
          const last = counted.value.lastChange[kind];
          return {
            kind,
            title: what,
            rows: t(lang, 'opendata.rows', { n: formatNumber(counted.value.registries[kind].total) }),
            lastChange: last ? t(lang, 'opendata.lastChange', { time: formatTime(lang, last) }) : t(lang, 'opendata.never'),
            lastChangeIso: last ? last.toISOString() : null,
            downloads: FORMAT_NAMES.map((f) => ({
              href: `/open-data/${kind}.${f}`,
              format: f,
              label: t(lang, `opendata.${f}`),
              aria: t(lang, 'opendata.downloadLabel', { what, format: f.toUpperCase() }),
            })),
            fieldsCaption: t(lang, 'opendata.fieldsCaption', { what }),
            columns: ds.columns.map((c) => ({ key: c.key, meaning: lang === 'en' ? c.en : c.zh, other: lang === 'en' ? c.zh : c.en, type: typeLabel(c.type) })),
          };
        }),
        dateExample: formatDate(lang, new Date()),
      }),
    );
  });

  router.get('/open-data/:file', async (req, res: Response) => {
    assertPlainQuery(req.query);
    const [, kind, format] = /^([a-z-]+)\.([a-z]+)$/.exec(String(req.params.file)) ?? [];
    if (!isOneOf(KINDS, kind) || !isOneOf(FORMAT_NAMES, format)) throw new AppError('not_found', '没有这个下载文件', { messageEn: 'No such download' });
    const ds = DATASETS[kind];
    const counted = cache.peek();
    const v = validators(kind, format, counted?.value ?? null);
    const downloadHeaders = () => {
      res.setHeader('Content-Type', FORMATS[format].type);
      res.setHeader('Content-Disposition', `attachment; filename="wuhan-${kind}.${format}"`);
      res.setHeader('Cache-Control', 'public, max-age=60');
    };
    if (v) {
      res.setHeader('ETag', v.etag);
      if (v.lastModified) res.setHeader('Last-Modified', v.lastModified.toUTCString());
      if (req.fresh) {
        res.setHeader('Cache-Control', 'public, max-age=60');
        res.status(304).end();
        return;
      }
    }
    if (req.method === 'HEAD') {
      downloadHeaders();
      res.end();
      return;
    }
    // Validators and download headers must not stick to an error page.
    const fail = (err: AppError | unknown): never => {
      res.removeHeader('ETag');
      res.removeHeader('Last-Modified');
      throw err;
    };
    if (running >= maxRunning) {
      res.setHeader('Retry-After', '30');
      fail(new AppError('rate_limited', '当前下载的人较多，请稍后再试', { messageEn: 'Too many downloads are running; please try again shortly' }));
    }
    running++;
    let released = false;
    const release = () => {
      if (!released) running--;
      released = true;
    };
    res.once('close', release);
    const now = new Date();
    const chunks = serialize(ds, joinedRows(ds, sourcesFor(ds, counted?.value.registries[kind].total)), format, now);
    // The first chunk comes after the brands are loaded into the join file: a failure up to there
    // still gets a proper error response (nothing has been sent yet).
    let first: IteratorResult<string>;
    try {
      first = await chunks.next();
    } catch (err) {
      release();
      return fail(err);
    }
    downloadHeaders();
    const body = Readable.from(
      (async function* () {
        if (!first.done) yield first.value;
        yield* chunks;
      })(),
    );
    try {
      await pipeline(body, res);
    } catch (err) {
      // Headers are gone: the client sees a cut-off download. A client that went away is normal.
      if (errorCode(err) !== 'ERR_STREAM_PREMATURE_CLOSE') deps.logger?.error({ err, kind, format }, 'open data export failed');
      res.destroy();
    } finally {
      release();
    }
  });

  return router;
}
