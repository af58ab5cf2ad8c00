/**
 * The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json) and the material the
 * human page /api is rendered from. One source for both: each operation carries Chinese texts as
 * `x-…-zh` extensions beside the English ones.
 *
 * Schemas follow what src/site/api.ts answers (and the error body of
 * src/platform/http.ts); test/openapi.test.ts validates real responses against them with ajv, so a
 * change to the API that is not described here fails the tests.
 */
import { ERROR_CODES } from '../platform/errors.js';
import {
  ALL_STATUSES,
  CERTIFICATE_DISPLAY_STATUSES,
  CERTIFICATE_LEVELS,
  CERTIFICATE_SCOPES,
  DISTRICTS,
  KINDS,
  RECOGNITION_ROUTES,
  SECTORS,
  TIME_HONORED_TIERS,
  BRAND_SLUG,
} from '../registries/reference.js';
import { completeFields } from '../registries/completeness.js';
import { tiers } from '../search/params.js';
import { FACETS, SORTS } from '../search/port.js';

type Json = Record<string, unknown>;

const nullable = (schema: Json): Json => ({ anyOf: [schema, { type: 'null' }] });
const str = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const arr = (items: Json): Json => ({ type: 'array', items });
const obj = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({ type: 'object', properties, required });
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
/** How much of a partial date is known (src/registries/partial-date.ts): the date holds the period's first instant. */
const precision = (of: string): Json => ({
  type: 'string',
  enum: ['year', 'month', 'day'],
  description: `How much of ${of} the source gives: year (${of} is 1 January of that year), month (the 1st of that month) or day.`,
});
/**
 * The facts a record lacks (待补充, src/registries/completeness.ts): their fields are null, never
 * invented; `missing` names them.
 */
const missing = (fields: readonly string[]): Json => ({
  ...arr({ type: 'string', enum: [...fields] }),
  description: 'The fields this record lacks (待补充, to be completed); each is null above. Empty when the record is complete.',
  'x-description-zh': '该记录尚缺的字段（信息待补充），这些字段的值为 null；信息齐全时为空数组。',
});

/** A reward stated by the list, in 万元; null when the list does not state one (never an invented 0). */
const reward: Json = { ...nullable({ type: 'number', minimum: 0 }), description: 'Reward granted, in 10,000 yuan; null when not stated.' };
/** A 老字号 listing's re-review (复核), oldest first as recorded; who recorded it is not public. */
const review: Json = {
  ...obj({
    date: dateTime,
    datePrecision: precision('date'),
    outcome: {
      type: 'string',
      description: 'Reference data (/admin/reference): 通过 passed, 附条件通过 passed with conditions, 不通过 failed, or a value an admin added.',
    },
    deadline: { ...nullable(dateTime), description: 'The rectification deadline of a pass with conditions (附条件通过); null otherwise.' },
    note: str,
  }),
  'x-description-zh': '老字号复核记录：复核日期、结果（通过／附条件通过／不通过）、附条件通过的整改期限与说明；不含记录人。',
};

const schemas: Record<string, Json> = {
  Error: obj({
    error: obj(
      {
        code: { type: 'string', enum: [...ERROR_CODES], description: 'Stable machine-readable code.' },
        message: { type: 'string', description: 'Human-readable message in the request language (Chinese, or English with lang=en).' },
        fields: { ...arr(obj({ field: str, message: str, messageEn: str })), description: 'Which parameters were wrong (validation errors only).' },
        requestId: { type: 'string', description: 'Quote it when reporting a problem.' },
      },
      ['code', 'message', 'requestId'],
    ),
  }),
  FacetValue: obj({ value: str, count: { type: 'integer', minimum: 0 } }),
  SearchHit: obj({
    kind: { type: 'string', enum: [...KINDS], description: 'Which registry the hit is from.' },
    slug: { type: 'string', pattern: BRAND_SLUG.source, description: 'Brand id: GET /api/v1/brands/{slug}.' },
    name: str,
    nameEn: nullable(str),
    title: { type: 'string', description: 'The brand name, or the certified product for certificates.' },
    company: str,
    district: str,
    sector: str,
    industry: str,
    tier: { type: 'string', description: 'Tier or level (中华老字号, 武汉精品, 行政认定, 地理标志 …).' },
    status: { type: 'string', description: 'Status as the public sees it (certificates: 过期 once valid-until has passed).' },
    niceClasses: arr({ type: 'integer', minimum: 1, maximum: 45 }),
    year: nullable(int),
    url: { type: 'string', description: 'Path of the brand page.' },
    highlights: {
      type: 'object',
      description: 'Matched fields as HTML with <mark> around the matches (text is escaped).',
      properties: Object.fromEntries(['title', 'name', 'company', 'keywords'].map((k) => [k, str])),
      additionalProperties: false,
    },
    demo: { type: 'boolean', description: 'Invented demonstration data.' },
  }),
  BrandEntry: obj({
    kind: { type: 'string', enum: [...KINDS], description: 'Which registry the entry is in.' },
    title: { type: 'string', description: 'The brand name, or the certified product for certificates.' },
    tier: { type: 'string', description: 'Tier or level (中华老字号, 武汉精品, 行政认定, 地理标志 …).' },
    status: { type: 'string', description: 'Status as the public sees it (certificates: 过期 once valid-until has passed).' },
    year: { ...nullable(int), description: 'Year listed, recognised or certified.' },
    validUntil: { ...nullable(dateTime), description: 'Certificates: end of validity; null for the other registries.' },
    identifier: {
      ...nullable(str),
      description: "The entry's key in its registry: the certificate number, or the famous mark's registration number; null where the brand is the key.",
    },
    niceClasses: arr({ type: 'integer', minimum: 1, maximum: 45 }),
    url: {
      type: 'string',
      description: "Path of the entry: the registry's section of the brand page (/brands/{slug}#kind), or a certificate's check (/verify/{number}).",
    },
  }),
  SearchBrand: obj({
    slug: { type: 'string', pattern: BRAND_SLUG.source, description: 'Brand id: GET /api/v1/brands/{slug}.' },
    name: str,
    nameEn: nullable(str),
    company: str,
    district: str,
    sector: str,
    industry: str,
    url: { type: 'string', description: 'Path of the brand page.' },
    highlights: {
      type: 'object',
      description: "Matched fields of the brand's best entry as HTML with <mark> around the matches (text is escaped).",
      properties: Object.fromEntries(['title', 'name', 'company', 'keywords'].map((k) => [k, str])),
      additionalProperties: false,
    },
    demo: { type: 'boolean', description: 'Invented demonstration data.' },
    entries: {
      ...arr(ref('BrandEntry')),
      minItems: 1,
      description: "The brand's entries that match the words and filters, best first (entries in force before the others at equal relevance); at most 20.",
      'x-description-zh': '该品牌符合搜索词与筛选条件的各名录条目，按相关度排列（相关度相同时有效条目在前），最多20条。',
    },
  }),
  SearchResult: obj(
    {
      hits: {
        ...arr(ref('SearchHit')),
        description: 'One per registry entry. Absent with group=brand (see brands).',
        'x-description-zh': '每个名录条目一条；group=brand 时不返回（见 brands）。',
      },
      group: {
        type: 'string',
        enum: ['brand'],
        description:
          'Present when the results are grouped by brand (group=brand, words to search for, no kind filter): then total and the facet counts count brands, except kind, whose counts are entries — a kind filter lists entries.',
        'x-description-zh':
          '按品牌分组时给出（group=brand、有搜索词且未按名录筛选）：总数与筛选计数按品牌计；名录（kind）计数仍按条目，因为按名录筛选时列出条目。',
      },
      brands: {
        ...arr(ref('SearchBrand')),
        description: 'With group=brand: one per brand, carrying its matching entries.',
        'x-description-zh': 'group=brand 时：每个品牌一条，附其符合条件的各名录条目。',
      },
      total: { type: 'integer', minimum: 0 },
      estimated: {
        type: 'boolean',
        description: 'True when total and facet counts are estimated (more than 50,000 matches).',
        'x-description-zh': '匹配超过五万条时，总数与分面计数为估算值。',
      },
      page: { type: 'integer', minimum: 1 },
      pageSize: { type: 'integer', minimum: 1, maximum: 100 },
      facets: {
        type: 'object',
        description: 'Counts per value of each facet, for the whole result.',
        properties: Object.fromEntries(FACETS.map((f) => [f, arr(ref('FacetValue'))])),
        additionalProperties: false,
      },
      didYouMean: {
        ...obj({ q: str, url: { type: 'string', description: 'Path of the search for the suggested words.' } }),
        description: 'Only when words found nothing: the closest known brand or product, to offer as a link (never applied by itself).',
        'x-description-zh': '仅在搜索词没有结果时给出：最接近的已知品牌或产品，供用户点选（不会自动替换）。',
      },
      dataAsOf: {
        ...nullable(dateTime),
        description: 'Time of the newest change the search index holds (null for an empty index).',
        'x-description-zh': '搜索索引所含最新修改的时间（索引为空时为 null）。',
      },
      pendingChanges: {
        type: 'integer',
        minimum: 0,
        description: 'Saved changes the index does not hold yet (they appear within seconds).',
        'x-description-zh': '已保存但尚未写入搜索索引的修改数（通常数秒内可见）。',
      },
      relaxed: {
        ...obj({ dropped: arr(str) }),
        description: 'Only when nothing matched every word: the words left out to find these results (tell the user).',
        'x-description-zh': '仅在没有同时包含全部词语的结果时给出：为得到这些结果而去掉的词（应告知用户）。',
      },
      understood: {
        type: 'object',
        description:
          'How the words were read: filters read from words (kind, tier, district), the terms searched for, and words ignored (the city, legal forms, question words).',
        'x-description-zh': '对搜索词的理解：由词语得出的筛选（名录、级别、区）、实际检索的词，以及忽略的词（城市名、企业组织形式、疑问词）。',
        properties: {
          kind: { type: 'string', enum: [...KINDS] },
          tier: str,
          district: str,
          terms: arr(str),
          words: arr(str),
          ignored: arr(str),
        },
        additionalProperties: false,
      },
    },
    ['total', 'estimated', 'page', 'pageSize', 'facets', 'dataAsOf', 'pendingChanges'],
  ),
  Suggestion: obj({
    type: { type: 'string', enum: ['brand', 'product', 'certificate'], description: 'brand → brand page; product → a search; certificate → its check.' },
    label: { type: 'string', description: 'What to show (plain text, never HTML).' },
    detail: { type: 'string', description: 'A second line: the company, the brand of a product, the certified product.' },
    href: { type: 'string', description: 'Site path to open when chosen (/brands/…, /search?q=…, /verify/…).' },
  }),
  SuggestResult: obj({
    q: { type: 'string', description: 'The query as understood (trimmed).' },
    items: { ...arr(ref('Suggestion')), maxItems: 8 },
  }),
  Certificate: obj({
    number: str,
    // Levels and statuses are reference data the bureau extends (/admin/reference): the built-ins
    // are examples, not a closed list; statusCode is stable, 'unknown' for a status added later.
    status: {
      type: 'string',
      examples: [...CERTIFICATE_DISPLAY_STATUSES],
      description: 'A certificate status; 过期 is derived from validUntil. The list may grow.',
    },
    statusCode: { type: 'string', enum: ['valid', 'expired', 'suspended', 'revoked', 'cancelled', 'unknown'] },
    level: { type: 'string', examples: [...CERTIFICATE_LEVELS], description: 'A recognition level (认定级别). The list may grow (e.g. 武汉名品).' },
    scope: nullable({ type: 'string', enum: [...CERTIFICATE_SCOPES] }),
    product: str,
    issuedAt: nullable(dateTime),
    issuedAtPrecision: precision('issuedAt'),
    validUntil: dateTime,
    issuer: nullable(str),
    standard: nullable(str),
    statusChangedAt: nullable(dateTime),
    statusReason: { ...nullable(str), description: 'Given for suspended, revoked and cancelled certificates only.' },
    brand: nullable(obj({ slug: str, name: str, company: nullable(str) })),
    demo: bool,
    missing: missing(completeFields('certified')),
  }),
  BrandStanding: obj({
    timeHonored: nullable(obj({ tier: { type: 'string', enum: [...TIME_HONORED_TIERS] }, status: str, current: bool, recognizedYear: int })),
    famousTrademark: nullable(
      obj({
        status: str,
        current: bool,
        // Set when every registration behind the standing has passed its end date unrenewed: `current` is then false.
        registrationEnded: nullable(obj({ regNo: str, validTo: dateTime })),
        protectedSince: dateTime,
        statusChangedAt: nullable(dateTime),
        trademarkRegNos: arr(str),
      }),
    ),
  }),
  CertificateCheck: {
    allOf: [ref('Certificate'), obj({ brandStanding: nullable(ref('BrandStanding')) })],
  },
  Brand: obj({
    slug: str,
    name: str,
    nameEn: str,
    company: nullable(str),
    creditCode: nullable({ type: 'string', pattern: '^[0-9A-Z]{18}$' }),
    district: nullable({ type: 'string', enum: [...DISTRICTS] }),
    sector: nullable({ type: 'string', enum: [...SECTORS] }),
    industry: nullable(str),
    missing: missing(completeFields('brand')),
    keywords: arr(str),
    description: str,
    website: str,
    founded: nullable(int),
    demo: bool,
    updatedAt: dateTime,
    trademarks: arr(
      obj({ regNo: str, mark: str, niceClasses: arr({ type: 'integer', minimum: 1, maximum: 45 }), validFrom: dateTime, validTo: dateTime, madrid: bool }),
    ),
    directory: nullable(
      obj({
        status: str,
        statusChangedAt: nullable(dateTime),
        statusReason: str,
        advantage: bool,
        gi: nullable(obj({ product: str, area: str })),
        listedAt: nullable(dateTime),
        listedAtPrecision: precision('listedAt'),
        missing: missing(completeFields('directory')),
      }),
    ),
    famous: arr(
      obj({
        trademarkRegNo: str,
        recognition: obj({
          date: nullable(dateTime),
          datePrecision: precision('date'),
          authority: nullable(str),
          documentNo: nullable(str),
          route: { type: 'string', enum: [...RECOGNITION_ROUTES] },
        }),
        status: str,
        statusChangedAt: nullable(dateTime),
        statusReason: str,
        nextReviewAt: nullable(dateTime),
        regulator: nullable(str),
        missing: missing(completeFields('famous')),
        recordCount: { type: 'integer', minimum: 0 },
        lastRecordAt: nullable(dateTime),
      }),
    ),
    timeHonored: nullable(
      obj({
        tier: { type: 'string', enum: [...TIME_HONORED_TIERS] },
        recognizedYear: int,
        batch: nullable(str),
        heritage: str,
        story: str,
        address: nullable(str),
        rewardWan: reward,
        status: str,
        statusChangedAt: nullable(dateTime),
        statusReason: str,
        missing: missing(completeFields('time-honored')),
        reviews: arr(review),
      }),
    ),
    // A brand on several lists holds one listing per tier (issue #12 item 3); timeHonored is the principal one.
    timeHonoredListings: arr(
      obj({
        tier: { type: 'string', enum: [...TIME_HONORED_TIERS] },
        recognizedYear: int,
        batch: nullable(str),
        heritage: str,
        story: str,
        address: nullable(str),
        rewardWan: reward,
        status: str,
        statusChangedAt: nullable(dateTime),
        statusReason: str,
        missing: missing(completeFields('time-honored')),
        reviews: arr(review),
      }),
    ),
    certificates: arr(ref('Certificate')),
  }),
};

/** A query parameter, described in both languages. */
export interface Param {
  name: string;
  in: 'query' | 'path';
  required?: boolean;
  schema: Json;
  description: string;
  'x-description-zh': string;
  example?: unknown;
}

/** One answer of an operation (by HTTP status). */
export interface ResponseSpec {
  description: string;
  'x-description-zh': string;
  headers?: Record<string, Json>;
  content?: { 'application/json': { schema: Json; example?: unknown } };
}

/** One operation, with the texts the /api page shows. */
export interface Operation {
  operationId: string;
  summary: string;
  'x-summary-zh': string;
  description: string;
  'x-description-zh': string;
  /** The request the /api page shows. */
  'x-example-path': string;
  /** Groups of the description (set from OPERATION_TAGS when the document is built). */
  tags?: string[];
  parameters: Param[];
  responses: Record<string, ResponseSpec>;
}

/** The OpenAPI document as served: path → method → operation. */
export interface OpenApiDocument {
  openapi: string;
  jsonSchemaDialect: string;
  info: Json;
  servers: Array<{ url: string }>;
  /** No operation needs credentials: the API is public and read-only. */
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string; description: string; 'x-description-zh': string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

/** The description's groups, in order. */
const TAGS: OpenApiDocument['tags'] = [
  { name: 'Search', description: 'Search the four registries.', 'x-description-zh': '搜索四个名录。' },
  { name: 'Brands', description: 'Everything public about one brand.', 'x-description-zh': '一个品牌的全部公开信息。' },
  { name: 'Certificates', description: 'Check a certificate by its number.', 'x-description-zh': '按编号查验证书。' },
  { name: 'Meta', description: 'This description.', 'x-description-zh': '接口说明。' },
];

/** Each operation's group (an operation not named here is grouped under Search). */
const OPERATION_TAGS: Record<string, string> = { search: 'Search', suggest: 'Search', getBrand: 'Brands', checkCertificate: 'Certificates', openapi: 'Meta' };

const langParam: Param = {
  name: 'lang',
  in: 'query',
  schema: { type: 'string', enum: ['zh', 'en'] },
  description: 'Language of error messages (default Chinese).',
  'x-description-zh': '错误信息的语言（默认中文）。',
};

const searchParams: Param[] = [
  {
    name: 'q',
    in: 'query',
    schema: { type: 'string', maxLength: 100 },
    example: '热干面',
    description:
      'Search words: any part of a Chinese name, product or company; pinyin (full or initials); Latin names; registration, certificate and credit-code numbers. Empty: everything.',
    'x-description-zh': '搜索词：名称、产品或企业名称的任意部分，拼音全拼或首字母，外文名称，注册号、证书编号、信用代码。留空为全部。',
  },
  { name: 'kind', in: 'query', schema: { type: 'string', enum: [...KINDS] }, description: 'Only one registry.', 'x-description-zh': '只查某一名录。' },
  { name: 'district', in: 'query', schema: { type: 'string', enum: [...DISTRICTS] }, description: 'Only one district.', 'x-description-zh': '只查某一区。' },
  { name: 'sector', in: 'query', schema: { type: 'string', enum: [...SECTORS] }, description: 'Only one sector.', 'x-description-zh': '只查某一产业。' },
  {
    name: 'tier',
    in: 'query',
    schema: { type: 'string', examples: [...tiers()] },
    description: 'Only one tier or level (levels are reference data: the list may grow).',
    'x-description-zh': '只查某一级别或类型。',
  },
  {
    name: 'status',
    in: 'query',
    schema: { type: 'string', examples: [...ALL_STATUSES] },
    description: 'Only one status (certificate statuses are reference data: the list may grow).',
    'x-description-zh': '只查某一状态。',
  },
  {
    name: 'nice',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 45 },
    description: 'Only one Nice class.',
    'x-description-zh': '只查某一尼斯分类。',
  },
  {
    name: 'sort',
    in: 'query',
    schema: { type: 'string', enum: [...SORTS] },
    description: 'Order: relevance (default with words), updated (default without), name (pinyin).',
    'x-description-zh': '排序：relevance 相关度（有搜索词时默认）、updated 最近更新（无搜索词时默认）、name 名称拼音。',
  },
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 1 }, description: 'Page number.', 'x-description-zh': '页码。' },
  {
    name: 'pageSize',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    description: 'Hits per page.',
    'x-description-zh': '每页条数。',
  },
  {
    name: 'group',
    in: 'query',
    schema: { type: 'string', enum: ['entry', 'brand'], default: 'entry' },
    description:
      'entry (default): one hit per registry entry, in hits. brand: one result per brand, in brands, each with its matching entries (the results page does this); total, pages and facet counts then count brands. A kind filter, or no words, always lists entries.',
    'x-description-zh':
      'entry（默认）：每个名录条目一条（hits）。brand：每个品牌一条（brands），附其符合条件的条目（与网站结果页相同），总数、分页和筛选计数按品牌计。按名录筛选或无搜索词时总是按条目列出。',
  },
  langParam,
];

const errorResponse = (description: string, zh: string, example?: Json): ResponseSpec => ({
  description,
  'x-description-zh': zh,
  content: { 'application/json': { schema: ref('Error'), ...(example ? { example } : {}) } },
});

const cacheHeaders = {
  ETag: { description: 'Validator of the body; send it back in If-None-Match to get 304 when nothing changed.', schema: str },
  'Cache-Control': { description: 'How long the answer may be reused (public, max-age=30).', schema: str },
};

const notModified: ResponseSpec = {
  description: 'Not modified (the If-None-Match or If-Modified-Since validator still holds).',
  'x-description-zh': '内容未变（条件请求）。',
};

const EXAMPLE_SEARCH = {
  hits: [
    {
      kind: 'time-honored',
      slug: 'cailinji',
      name: '蔡林记',
      nameEn: 'Cai Lin Ji',
      title: '蔡林记',
      company: '武汉蔡林记商贸有限公司',
      district: '江汉区',
      sector: '三产',
      industry: '餐饮',
      tier: '中华老字号',
      status: '有效',
      niceClasses: [],
      year: 2006,
      url: '/brands/cailinji',
      highlights: { keywords: '<mark>热干面</mark>、豆皮' },
      demo: true,
    },
  ],
  total: 1,
  estimated: false,
  page: 1,
  pageSize: 20,
  facets: {
    kind: [{ value: 'time-honored', count: 1 }],
    district: [{ value: '江汉区', count: 1 }],
    sector: [{ value: '三产', count: 1 }],
    tier: [{ value: '中华老字号', count: 1 }],
    status: [{ value: '有效', count: 1 }],
    nice: [],
  },
  dataAsOf: '2026-12-01T08:30:00.000Z',
  pendingChanges: 0,
};

const EXAMPLE_CERTIFICATE = {
  number: 'WHJP-2024-0001',
  status: '有效',
  statusCode: 'valid',
  level: '武汉精品',
  scope: '产品',
  product: '热干面',
  issuedAt: '2024-03-15T00:00:00.000Z',
  issuedAtPrecision: 'day',
  validUntil: '2029-03-15T00:00:00.000Z',
  issuer: '武汉市市场监督管理局',
  standard: null,
  statusChangedAt: '2024-03-15T00:00:00.000Z',
  statusReason: null,
  brand: { slug: 'cailinji', name: '蔡林记', company: '武汉蔡林记商贸有限公司' },
  demo: true,
  missing: [],
};

/** A listing's re-reviews: a pass with conditions and its deadline, then a pass. */
const EXAMPLE_REVIEWS = [
  { date: '2021-11-01T00:00:00.000Z', datePrecision: 'month', outcome: '附条件通过', deadline: '2022-06-30T00:00:00.000Z', note: '门店招牌须恢复老字号标识' },
  { date: '2022-07-15T00:00:00.000Z', datePrecision: 'day', outcome: '通过', deadline: null, note: '' },
];

const EXAMPLE_BRAND = {
  slug: 'cailinji',
  name: '蔡林记',
  nameEn: 'Cai Lin Ji',
  company: '武汉蔡林记商贸有限公司',
  // A published list gives no credit code: null, and named in `missing` (信息待补充).
  creditCode: null,
  district: '江汉区',
  sector: '三产',
  industry: '餐饮',
  missing: ['creditCode'],
  keywords: ['热干面', '豆皮'],
  description: '创立于1928年的热干面老字号。',
  website: '',
  founded: 1928,
  demo: true,
  updatedAt: '2025-01-10T08:00:00.000Z',
  trademarks: [
    { regNo: '1234567', mark: '蔡林记', niceClasses: [30, 43], validFrom: '2015-06-14T00:00:00.000Z', validTo: '2035-06-13T00:00:00.000Z', madrid: false },
  ],
  directory: {
    status: '在册',
    statusChangedAt: '2020-05-01T00:00:00.000Z',
    statusReason: '',
    advantage: true,
    gi: null,
    listedAt: '2020-01-01T00:00:00.000Z',
    listedAtPrecision: 'year',
    missing: [],
  },
  famous: [],
  timeHonored: {
    tier: '中华老字号',
    recognizedYear: 2006,
    batch: '第1批',
    heritage: '热干面制作技艺',
    story: '……',
    address: '武汉市江汉区',
    rewardWan: 50,
    status: '有效',
    statusChangedAt: '2006-12-01T00:00:00.000Z',
    statusReason: '',
    missing: [],
    reviews: EXAMPLE_REVIEWS,
  },
  timeHonoredListings: [
    {
      tier: '中华老字号',
      recognizedYear: 2006,
      batch: '第1批',
      heritage: '热干面制作技艺',
      story: '……',
      address: '武汉市江汉区',
      rewardWan: 50,
      status: '有效',
      statusChangedAt: '2006-12-01T00:00:00.000Z',
      statusReason: '',
      missing: [],
      reviews: EXAMPLE_REVIEWS,
    },
    {
      tier: '湖北老字号',
      recognizedYear: 2014,
      batch: null,
      heritage: '',
      story: '',
      address: null,
      rewardWan: null,
      status: '有效',
      statusChangedAt: '2014-12-01T00:00:00.000Z',
      statusReason: '',
      missing: ['batch', 'address'],
      reviews: [],
    },
  ],
  certificates: [EXAMPLE_CERTIFICATE],
};

const exampleError = (code: string, message: string, fields?: Json[]) => ({
  error: { code, message, ...(fields ? { fields } : {}), requestId: '6f1c2b9e-3a41-4c7e-9a55-0d2f1e8b7c10' },
});

/** Path → operation, as served. `x-example-path` is the request the /api page shows. */
const paths: OpenApiDocument['paths'] = {
  '/api/v1/search': {
    get: {
      operationId: 'search',
      summary: 'Search all registries',
      'x-summary-zh': '搜索全部名录',
      description: 'The same search as the site: words, filters (facets), sort and pages. Facet counts describe the whole result.',
      'x-description-zh': '与网站相同的搜索：搜索词、筛选条件、排序和分页；筛选计数针对全部结果。',
      'x-example-path': '/api/v1/search?q=热干面&kind=time-honored',
      parameters: searchParams,
      responses: {
        200: {
          description: 'Hits, total, page and facet counts.',
          'x-description-zh': '命中条目、总数、页码和筛选计数。',
          headers: cacheHeaders,
          content: { 'application/json': { schema: ref('SearchResult'), example: EXAMPLE_SEARCH } },
        },
        304: notModified,
        400: errorResponse(
          'A parameter is malformed, repeated or not one of the allowed values.',
          '参数格式不正确、重复或不是可选的值。',
          exampleError('validation_failed', '输入有误：district: 所属区不是可选的值', [
            { field: 'district', message: '所属区不是可选的值', messageEn: 'is not one of the allowed values' },
          ]),
        ),
        429: errorResponse(
          'Too many searches from this client in a minute.',
          '一分钟内搜索次数过多。',
          exampleError('rate_limited', '搜索请求过于频繁，请稍后再试'),
        ),
        503: errorResponse(
          'The search engine is temporarily unavailable.',
          '搜索服务暂时不可用。',
          exampleError('search_unavailable', '搜索服务暂时不可用，请稍后再试'),
        ),
      },
    },
  },
  '/api/v1/suggest': {
    get: {
      operationId: 'suggest',
      summary: 'Suggestions as you type',
      'x-summary-zh': '输入提示',
      description:
        'Up to 8 suggestions for what has been typed so far, from the same index as search: brands (→ brand page), products (→ a search) and certificate numbers (→ /verify/{number}). ' +
        'A query needs at least one Chinese character or two Latin letters/digits; a shorter one gets an empty list. Counted with searches for the rate limit; cached publicly for 60 s.',
      'x-description-zh':
        '根据已输入的内容给出最多 8 条提示，与搜索使用同一索引：品牌（进入品牌页）、产品（搜索该产品）、证书编号（进入证书查验）。至少需要 1 个汉字或 2 个字母/数字，更短时返回空列表。与搜索合并计入频率限制；可公开缓存 60 秒。',
      'x-example-path': '/api/v1/suggest?q=蔡林',
      parameters: [
        {
          name: 'q',
          in: 'query',
          required: true,
          schema: { type: 'string', minLength: 1, maxLength: 50 },
          example: '蔡林',
          description: 'What has been typed: 1-50 characters after trimming.',
          'x-description-zh': '已输入的内容：去掉首尾空格后 1-50 个字符。',
        },
        langParam,
      ],
      responses: {
        200: {
          description: 'The suggestions (possibly none).',
          'x-description-zh': '提示列表（可能为空）。',
          headers: { ...cacheHeaders, 'Cache-Control': { description: 'public, max-age=60', schema: str } },
          content: {
            'application/json': {
              schema: ref('SuggestResult'),
              example: {
                q: '蔡林',
                items: [
                  { type: 'brand', label: '蔡林记', detail: '武汉蔡林记商贸有限公司', href: '/brands/cailinji' },
                  { type: 'product', label: '速食热干面', detail: '蔡林记', href: '/search?q=%E9%80%9F%E9%A3%9F%E7%83%AD%E5%B9%B2%E9%9D%A2' },
                ],
              },
            },
          },
        },
        304: notModified,
        400: errorResponse(
          'q is missing, blank, longer than 50 characters, repeated or not a plain value; or lang is not zh or en.',
          'q 缺失、为空、超过50个字符、重复或不是普通值，或 lang 不是 zh/en。',
          exampleError('validation_failed', '输入有误：q: 请输入1-50个字符', [
            { field: 'q', message: '请输入1-50个字符', messageEn: 'must be 1-50 characters' },
          ]),
        ),
        429: errorResponse(
          'Too many searches from this client in a minute.',
          '一分钟内搜索次数过多。',
          exampleError('rate_limited', '搜索请求过于频繁，请稍后再试'),
        ),
        503: errorResponse(
          'The search engine is temporarily unavailable.',
          '搜索服务暂时不可用。',
          exampleError('search_unavailable', '搜索服务暂时不可用，请稍后再试'),
        ),
      },
    },
  },
  '/api/v1/brands/{slug}': {
    get: {
      operationId: 'getBrand',
      summary: 'A brand and every list it stands on',
      'x-summary-zh': '品牌及其所在的全部名录',
      description:
        'Everything public about one brand: company, trademarks, its directory entry, famous-mark recognitions, time-honored listing and certificates.',
      'x-description-zh': '一个品牌的全部公开信息：企业、注册商标、名录条目、驰名商标认定、老字号和精品认定证书。',
      'x-example-path': '/api/v1/brands/cailinji',
      parameters: [
        {
          name: 'slug',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: BRAND_SLUG.source },
          example: 'cailinji',
          description: 'Brand id (as in /brands/{slug}).',
          'x-description-zh': '品牌标识（与品牌页网址 /brands/ 后相同）。',
        },
        langParam,
      ],
      responses: {
        200: {
          description: 'The brand.',
          'x-description-zh': '品牌信息。',
          headers: {
            ...cacheHeaders,
            'Last-Modified': { description: 'When the brand or one of its entries last changed (or a certificate expired).', schema: str },
          },
          content: { 'application/json': { schema: ref('Brand'), example: EXAMPLE_BRAND } },
        },
        304: notModified,
        400: errorResponse('A query parameter is malformed.', '查询参数格式不正确。'),
        404: errorResponse('No brand with this id.', '没有该品牌。', exampleError('not_found', '找不到该品牌')),
      },
    },
  },
  '/api/v1/certificates/{number}': {
    get: {
      operationId: 'checkCertificate',
      summary: 'Check a certificate by its number',
      'x-summary-zh': '按编号查验证书',
      description:
        "Whether a certificate is valid, expired, suspended or revoked, with its brand and the brand's standing (time-honored, famous mark). 404 means there is no such certificate: a product labelled with this number is not certified under it.",
      'x-description-zh': '证书有效、已过期、已暂停还是已撤销，以及品牌及其老字号、驰名商标身份。404 表示查无此证：标注此编号的产品并未以该编号获得认定。',
      'x-example-path': '/api/v1/certificates/WHJP-2024-0001',
      parameters: [
        {
          name: 'number',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^[0-9A-Za-z-]{1,32}$' },
          example: 'WHJP-2024-0001',
          description: 'Certificate number (not case-sensitive).',
          'x-description-zh': '证书编号（不区分大小写）。',
        },
        langParam,
      ],
      responses: {
        200: {
          description: 'The certificate.',
          'x-description-zh': '证书信息。',
          headers: cacheHeaders,
          content: {
            'application/json': {
              schema: ref('CertificateCheck'),
              example: {
                ...EXAMPLE_CERTIFICATE,
                brandStanding: { timeHonored: { tier: '中华老字号', status: '有效', current: true, recognizedYear: 2006 }, famousTrademark: null },
              },
            },
          },
        },
        304: notModified,
        400: errorResponse(
          'The number is malformed.',
          '编号格式不正确。',
          exampleError('bad_request', '证书编号格式不正确（1-32位字母、数字或连字符）', [{ field: 'number', message: '格式不正确', messageEn: 'malformed' }]),
        ),
        404: errorResponse('No certificate with this number.', '查无此证。', exampleError('not_found', '查无此证：NOPE-0000')),
        429: errorResponse(
          'Too many certificate checks from this client in a minute.',
          '一分钟内查验次数过多。',
          exampleError('rate_limited', '查验请求过于频繁，请一分钟后再试'),
        ),
      },
    },
  },
  '/api/v1/openapi.json': {
    get: {
      operationId: 'openapi',
      summary: 'This description (OpenAPI 3.1)',
      'x-summary-zh': '本接口说明（OpenAPI 3.1）',
      description: 'The machine-readable description of the API.',
      'x-description-zh': '机器可读的接口说明。',
      'x-example-path': '/api/v1/openapi.json',
      parameters: [],
      responses: {
        200: {
          description: 'The OpenAPI document.',
          'x-description-zh': 'OpenAPI 文档。',
          headers: cacheHeaders,
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        304: notModified,
        400: errorResponse('A query parameter is malformed.', '查询参数格式不正确。'),
      },
    },
  },
};

/** The OpenAPI 3.1 document, with the site's own address as the server. */
export function openApiDocument(baseUrl: string): OpenApiDocument {
  const base = baseUrl.replace(/\/$/, '');
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Wuhan Brand Registry API',
      'x-title-zh': '武汉品牌名录开放接口',
      version: '1.0.0',
      description:
        'Read-only JSON API of the Wuhan brand registry: search the four registries, read a brand, check a certificate. ' +
        'Errors are {"error":{"code","message"}} with the matching HTTP status. Answers carry ETag (and Last-Modified where meaningful): ' +
        'send If-None-Match to get 304 Not Modified. Search and certificate checks are rate-limited per client (429 with RateLimit headers). ' +
        'Any website may call it from the browser: GET and HEAD answers carry Access-Control-Allow-Origin: * (no credentials).',
      license: {
        name: 'Data: free reuse with attribution to the Wuhan Administration for Market Regulation (demo placeholder text)',
        url: `${base}/open-data`,
      },
      contact: { name: 'Wuhan Administration for Market Regulation (武汉市市场监督管理局)', url: `${base}/accessibility` },
    },
    servers: [{ url: base }],
    security: [],
    tags: TAGS,
    paths: Object.fromEntries(
      Object.entries(paths).map(([p, item]) => [
        p,
        Object.fromEntries(Object.entries(item).map(([m, op]) => [m, { ...op, tags: op.tags ?? [OPERATION_TAGS[op.operationId] ?? 'Search'] }])),
      ]),
    ),
    components: { schemas },
  };
}

/** The operations, in order, for the human page. */
export function operations(doc: OpenApiDocument): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
}
