/**
 * Query-string parsing for search and list pages and the search API: plain strings and numbers
 * only. Nested or repeated parameters (`status[$ne]=x`, `q=a&q=b`) and unknown filter values are
 * refused with a 400 that names the parameter.
 */
import { z } from 'zod';
import { AppError, validationFailed } from '../platform/errors.js';
import { ALL_REGISTRIES } from '../registries/kinds.js';
import { ALL_STATUSES, DISTRICTS, KINDS, SECTORS } from '../registries/reference.js';
import { SORTS, type FacetName, type SearchQuery } from './port.js';

/** Every tier of every registry (a search may filter on any); read each time, as levels are reference data an admin extends. */
export const tiers = (): readonly string[] => ALL_REGISTRIES.flatMap((r) => r.tiers);
/** Every status the public may see (certificate statuses are reference data too). */
const statuses = (): readonly string[] => [...new Set([...ALL_STATUSES, ...ALL_REGISTRIES.flatMap((r) => r.shownStatuses)])];

const enumOf = (values: readonly string[] | (() => readonly string[]), zh: string) =>
  z.string().refine((v) => (typeof values === 'function' ? values() : values).includes(v), { message: `${zh}不是可选的值|is not one of the allowed values` });

/** A page number of a list (1-500, default 1), with bilingual messages; lists elsewhere take it too. */
export const PAGE_PARAM = z.coerce
  .number({ message: '页码应为正整数|must be a positive whole number' })
  .int({ message: '页码应为正整数|must be a positive whole number' })
  .min(1, { message: '页码应为正整数|must be a positive whole number' })
  .max(500, { message: '页码不能超过500|must be at most 500' })
  .default(1);

const schema = z.object({
  q: z.string().max(100, { message: '搜索词不能超过100个字符|must be at most 100 characters' }).default(''),
  kind: enumOf(KINDS, '名录').optional(),
  district: enumOf(DISTRICTS, '所属区').optional(),
  sector: enumOf(SECTORS, '产业').optional(),
  tier: enumOf(tiers, '级别').optional(),
  status: enumOf(statuses, '状态').optional(),
  nice: z.coerce
    .number({ message: '尼斯分类应为1-45的整数|must be a whole number 1-45' })
    .int({ message: '尼斯分类应为1-45的整数|must be a whole number 1-45' })
    .min(1, { message: '尼斯分类应为1-45的整数|must be a whole number 1-45' })
    .max(45, { message: '尼斯分类应为1-45的整数|must be a whole number 1-45' })
    .optional(),
  sort: enumOf(SORTS, '排序').optional(),
  page: PAGE_PARAM,
  pageSize: z.coerce
    .number({ message: '每页条数应为1-100|must be 1-100' })
    .int({ message: '每页条数应为1-100|must be 1-100' })
    .min(1, { message: '每页条数应为1-100|must be 1-100' })
    .max(100, { message: '每页条数应为1-100|must be 1-100' })
    .default(20),
  /** One result per brand or per registry entry (SearchQuery.group); each caller has its default. */
  group: enumOf(['brand', 'entry'], '分组方式').optional(),
  lang: z.enum(['zh', 'en'], { message: '语言应为 zh 或 en|must be zh or en' }).optional(),
});

export type SearchParams = z.infer<typeof schema>;

const FILTER_KEYS: FacetName[] = ['kind', 'district', 'sector', 'tier', 'status', 'nice'];

/** Throws a 400 AppError if any query parameter is nested, repeated or not a plain string. */
export function assertPlainQuery(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (/[[\]$.]/.test(k) || typeof v !== 'string') {
      throw new AppError('bad_request', `查询参数“${k.slice(0, 40)}”格式不正确`, {
        messageEn: `Query parameter "${k.slice(0, 40)}" must be a single plain value`,
        fields: [{ field: k.slice(0, 40), message: '格式不正确', messageEn: 'must be a single plain value' }],
      });
    }
    out[k] = v;
  }
  return out;
}

/**
 * Parses the query string into a SearchQuery (unknown parameters such as utm_* are ignored).
 * `defaultGroup`: how results are grouped when the query string says nothing (`group=`).
 */
export function parseSearchParams(
  query: Record<string, unknown>,
  fixedKind?: string,
  defaultGroup: 'brand' | 'entry' = 'entry',
): { params: SearchParams; search: SearchQuery } {
  const plain = assertPlainQuery(query);
  const empties = Object.fromEntries(Object.entries(plain).filter(([, v]) => v.trim() !== ''));
  const result = schema.safeParse(empties);
  if (!result.success) {
    throw validationFailed(
      result.error.issues.map((i) => {
        const [zh, en] = i.message.includes('|') ? i.message.split('|', 2) : [i.message, i.message];
        return { field: String(i.path[0]), message: zh!, messageEn: en! };
      }),
    );
  }
  const params = result.data;
  if (fixedKind) params.kind = fixedKind;
  const filters: SearchQuery['filters'] = {};
  for (const k of FILTER_KEYS) if (params[k] !== undefined) filters[k] = String(params[k]);
  return {
    params,
    search: {
      q: params.q.trim(),
      filters,
      sort: SORTS.find((s) => s === params.sort) ?? (params.q.trim() ? 'relevance' : fixedKind ? 'name' : 'updated'),
      page: params.page,
      pageSize: params.pageSize,
      facets: true,
      ...((params.group ?? defaultGroup) === 'brand' ? { group: 'brand' as const } : {}),
    },
  };
}
