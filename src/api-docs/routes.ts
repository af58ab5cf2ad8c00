/**
 * The API's documentation, mounted at the site root:
 *
 * - `GET /api/v1/openapi.json` — the OpenAPI 3.1 document (ETag from express; 304 on If-None-Match).
 * - `GET /api` — the same, for people: each endpoint with its parameters, an example request and
 *   example answers, the error format, caching and rate limits.
 */
import { Router } from 'express';
import { ERROR_CODES, ERROR_STATUS } from '../platform/errors.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import type { Render } from '../platform/views.js';
import { url } from '../platform/views.js';
import { assertPlainQuery } from '../search/params.js';
import { openApiDocument, operations } from './openapi.js';

registerMessages({
  'apidocs.title': ['开放接口', 'Open API'],
  'apidocs.intro': [
    '只读的 JSON 接口：搜索四个名录、读取品牌信息、查验证书。无需注册或密钥。',
    'A read-only JSON API: search the four registries, read a brand, check a certificate. No sign-up or key needed.',
  ],
  'apidocs.spec': ['机器可读的说明（OpenAPI 3.1）：', 'Machine-readable description (OpenAPI 3.1):'],
  'apidocs.endpoints': ['接口列表', 'Endpoints'],
  'apidocs.parameters': ['参数', 'Parameters'],
  'apidocs.parametersCaption': ['{op} 的参数', 'Parameters of {op}'],
  'apidocs.name': ['名称', 'Name'],
  'apidocs.in': ['位置', 'In'],
  'apidocs.in.query': ['查询字符串', 'query'],
  'apidocs.in.path': ['路径', 'path'],
  'apidocs.type': ['取值', 'Values'],
  'apidocs.required': ['必填', 'required'],
  'apidocs.optional': ['可选', 'optional'],
  'apidocs.description': ['说明', 'Description'],
  'apidocs.noParams': ['无参数。', 'No parameters.'],
  'apidocs.request': ['请求示例', 'Example request'],
  'apidocs.try': ['在浏览器中打开', 'Open in the browser'],
  'apidocs.responses': ['响应', 'Responses'],
  'apidocs.response': ['响应示例：HTTP {status}', 'Example response: HTTP {status}'],
  'apidocs.errors': ['错误格式', 'Errors'],
  'apidocs.errorsText': [
    '出错时返回相应的 HTTP 状态码和 {"error":{"code","message"}}；参数错误另有 fields 列出出错的参数；requestId 便于反馈问题。错误信息默认中文，加 lang=en 为英文。',
    'Errors come with the matching HTTP status and {"error":{"code","message"}}; parameter errors add fields naming the parameters; quote requestId when reporting a problem. Messages are in Chinese, or English with lang=en.',
  ],
  'apidocs.codesCaption': ['错误代码', 'Error codes'],
  'apidocs.code': ['代码', 'Code'],
  'apidocs.status': ['HTTP 状态', 'HTTP status'],
  'apidocs.caching': ['缓存与条件请求', 'Caching and conditional requests'],
  'apidocs.cachingText': [
    '响应带 ETag（品牌信息另带 Last-Modified）。再次请求时带上 If-None-Match（或 If-Modified-Since），内容未变则返回 304，不含正文。',
    'Answers carry an ETag (brands also Last-Modified). Send it back in If-None-Match (or If-Modified-Since): if nothing changed the answer is 304 with no body.',
  ],
  'apidocs.limits': ['频率限制', 'Rate limits'],
  'apidocs.limitsText': [
    '搜索和证书查验按客户端每分钟限次，超出时返回 429；响应头 RateLimit 和 RateLimit-Policy 给出剩余次数和窗口。',
    'Search and certificate checks are limited per client per minute; over the limit the answer is 429, and the RateLimit and RateLimit-Policy headers tell how much is left.',
  ],
  'apidocs.bulk': ['需要整表数据请到“开放数据”下载 CSV 或 JSON。', 'For whole registries, download CSV or JSON from the open data page.'],
});

type Json = Record<string, unknown>;

/** "integer 1–45", "one of: a, b, c", "text, at most 100 characters", "pattern ^…$". */
function valuesText(lang: Lang, schema: Json): string {
  const zh = lang === 'zh';
  if (Array.isArray(schema.enum)) return `${zh ? '以下之一：' : 'one of: '}${schema.enum.join(zh ? '、' : ', ')}`;
  const parts: string[] = [];
  if (schema.type === 'integer') {
    parts.push(zh ? '整数' : 'integer');
    if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`${schema.minimum}–${schema.maximum}`);
  } else {
    parts.push(zh ? '文本' : 'text');
    if (schema.maxLength) parts.push(zh ? `不超过${schema.maxLength}个字符` : `at most ${schema.maxLength} characters`);
    if (schema.pattern) parts.push(zh ? `格式 ${schema.pattern}` : `pattern ${schema.pattern}`);
  }
  if (schema.default !== undefined) parts.push(zh ? `默认 ${schema.default}` : `default ${schema.default}`);
  return parts.join(zh ? '，' : ', ');
}

export function apiDocsRoutes(deps: { render: Render }): Router {
  const router = Router();

  router.get('/api/v1/openapi.json', (req, res) => {
    assertPlainQuery(req.query);
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(openApiDocument(String(res.locals.baseUrl ?? '')));
  });

  router.get('/api', (req, res) => {
    const lang = res.locals.lang;
    assertPlainQuery(req.query);
    const base = String(res.locals.baseUrl ?? '').replace(/\/$/, '');
    const doc = openApiDocument(base);
    const zh = lang === 'zh';
    const endpoints = operations(doc).map(({ path, method, op }, i) => {
      const example = op['x-example-path'];
      const params = op.parameters.map((p) => ({
        name: p.name,
        in: t(lang, `apidocs.in.${p.in}`),
        required: p.required ? t(lang, 'apidocs.required') : t(lang, 'apidocs.optional'),
        values: valuesText(lang, p.schema),
        description: zh ? p['x-description-zh'] : p.description,
      }));
      const responses = Object.entries(op.responses).map(([status, r]) => {
        const ex = r.content?.['application/json']?.example;
        return {
          status,
          description: zh ? r['x-description-zh'] : r.description,
          example: ex === undefined ? null : JSON.stringify(ex, null, 2),
          exampleTitle: t(lang, 'apidocs.response', { status }),
        };
      });
      return {
        id: `op-${op.operationId}`,
        n: i,
        method: method.toUpperCase(),
        path,
        summary: zh ? op['x-summary-zh'] : op.summary,
        description: zh ? op['x-description-zh'] : op.description,
        params,
        paramsCaption: t(lang, 'apidocs.parametersCaption', { op: `${method.toUpperCase()} ${path}` }),
        curl: `curl -i '${base}${encodeURI(example)}'`,
        tryHref: url(lang, example.split('?')[0]!, Object.fromEntries(new URLSearchParams(example.split('?')[1] ?? ''))),
        responses,
      };
    });
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('html').send(
      deps.render('api', {
        ...res.locals,
        title: t(lang, 'apidocs.title'),
        specHref: '/api/v1/openapi.json',
        endpoints,
        codes: ERROR_CODES.map((code) => ({ code, status: ERROR_STATUS[code] })),
        openDataHref: url(lang, '/open-data'),
      }),
    );
  });

  return router;
}
