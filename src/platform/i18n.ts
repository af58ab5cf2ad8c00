/**
 * Simplified Chinese first, English on `?lang=en`. UI strings by key; registry terms (districts,
 * statuses, tiers…) are stored in Chinese and translated for display by label().
 */
export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const UI = {
  'site.name': ['武汉品牌名录', 'Wuhan Brand Registry'],
  'site.tagline': ['武汉市市场监督管理局 · 商标品牌、驰名商标、老字号与精品认定一站查询', 'Wuhan Administration for Market Regulation · trademarks, famous marks, time-honored brands and certifications in one search'],
  'nav.home': ['首页', 'Home'],
  'nav.search': ['搜索', 'Search'],
  'nav.directory': ['商标品牌名录', 'Trademark directory'],
  'nav.famous': ['驰名商标', 'Famous trademarks'],
  'nav.timeHonored': ['老字号', 'Time-honored brands'],
  'nav.certified': ['精品认定', 'Certifications'],
  'nav.verify': ['证书查验', 'Verify a certificate'],
  'nav.skip': ['跳到主要内容', 'Skip to main content'],
  'nav.main': ['主导航', 'Main navigation'],
  'lang.switch': ['English', '中文'],
  'lang.switchLabel': ['Switch to English', '切换到中文'],
  'search.label': ['搜索品牌、企业、产品、拼音或证书编号', 'Search brands, companies, products, pinyin or certificate numbers'],
  'search.placeholder': ['如：热干面、蔡林记、clj、证书编号', 'e.g. 热干面, Cai Lin Ji, clj, a certificate number'],
  'search.submit': ['搜索', 'Search'],
  'search.results': ['共 {n} 条结果', '{n} results'],
  'search.resultsFor': ['“{q}”的搜索结果', 'Results for “{q}”'],
  'search.none': ['没有找到匹配的条目。', 'Nothing matched.'],
  'search.noneHelp': ['试试更短的词、拼音首字母（如 clj），或去掉筛选条件。', 'Try a shorter word, pinyin initials (e.g. clj), or remove a filter.'],
  'search.filters': ['筛选', 'Filters'],
  'search.clearFilters': ['清除全部筛选', 'Clear all filters'],
  'search.remove': ['移除筛选', 'Remove filter'],
  'search.sort': ['排序', 'Sort'],
  'search.apply': ['应用', 'Apply'],
  'search.pagination': ['分页', 'Pagination'],
  'search.prev': ['上一页', 'Previous'],
  'search.next': ['下一页', 'Next'],
  'search.page': ['第 {n} 页', 'Page {n}'],
  'search.unavailable': ['搜索服务暂时不可用，请稍后再试。品牌详情页仍可访问。', 'Search is temporarily unavailable; please try again shortly. Brand pages still work.'],
  'sort.relevance': ['相关度', 'Relevance'],
  'sort.updated': ['最近更新', 'Recently updated'],
  'sort.name': ['名称拼音', 'Name (pinyin)'],
  'facet.kind': ['名录', 'Registry'],
  'facet.district': ['所属区', 'District'],
  'facet.sector': ['产业', 'Sector'],
  'facet.tier': ['级别/类型', 'Tier / level'],
  'facet.status': ['状态', 'Status'],
  'facet.nice': ['尼斯分类', 'Nice class'],
  'facet.all': ['全部', 'All'],
  'kind.directory': ['商标品牌名录', 'Trademark directory'],
  'kind.famous': ['驰名商标工作台账', 'Famous trademark ledger'],
  'kind.time-honored': ['老字号名录', 'Time-honored brands'],
  'kind.certified': ['精品认定', 'Certifications'],
  'kind.short.directory': ['商标品牌', 'Trademark'],
  'kind.short.famous': ['驰名商标', 'Famous mark'],
  'kind.short.time-honored': ['老字号', 'Time-honored'],
  'kind.short.certified': ['精品认定', 'Certified'],
  'list.directory.intro': ['覆盖一二三产业的武汉商标品牌名录，实行动态管理。', 'Wuhan trademark brands across all three sectors, under dynamic management.'],
  'list.famous.intro': ['经行政或司法认定的驰名商标及其保护工作台账。', 'Well-known marks recognised administratively or judicially, with their protection ledger.'],
  'list.time-honored.intro': ['中华老字号、湖北老字号、武汉老字号名录。', 'China, Hubei and Wuhan time-honored brands.'],
  'list.certified.intro': ['中国精品、湖北精品、武汉精品及“三品一标”认定。', 'China, Hubei and Wuhan quality product certifications, and green/organic/GI labels.'],
  'home.counts': ['名录概况', 'The registries at a glance'],
  'home.featured': ['老字号', 'Time-honored brands'],
  'home.recent': ['最近更新', 'Recently updated'],
  'home.entries': ['{n} 条', '{n} entries'],
  'home.viewAll': ['查看全部', 'View all'],
  'brand.company': ['权利人/企业', 'Owner company'],
  'brand.creditCode': ['统一社会信用代码', 'Unified social credit code'],
  'brand.district': ['所属区', 'District'],
  'brand.sector': ['产业', 'Sector'],
  'brand.industry': ['行业类别', 'Industry'],
  'brand.products': ['产品与服务', 'Products and services'],
  'brand.website': ['网站', 'Website'],
  'brand.founded': ['创立', 'Founded'],
  'brand.lists': ['所在名录', 'Listed in'],
  'brand.trademarks': ['注册商标', 'Registered trademarks'],
  'brand.regNo': ['注册号', 'Registration no.'],
  'brand.nice': ['尼斯分类', 'Nice classes'],
  'brand.validity': ['有效期', 'Valid'],
  'brand.madrid': ['马德里国际注册', 'Madrid international registration'],
  'brand.advantage': ['优势商标', 'Advantage trademark'],
  'brand.gi': ['地理标志', 'Geographic indication'],
  'brand.famous': ['驰名商标认定', 'Famous trademark recognition'],
  'brand.recognition': ['认定', 'Recognition'],
  'brand.protectionRecords': ['保护记录', 'Protection records'],
  'brand.lastRecord': ['最近一次', 'latest'],
  'brand.nextReview': ['下次复核', 'Next review'],
  'brand.timeHonored': ['老字号', 'Time-honored brand'],
  'brand.recognized': ['认定年份', 'Recognised'],
  'brand.heritage': ['传承技艺', 'Heritage'],
  'brand.story': ['品牌故事', 'Story'],
  'brand.address': ['地址', 'Address'],
  'brand.reward': ['奖励', 'Reward'],
  'brand.certificates': ['精品认定证书', 'Certificates'],
  'brand.certNo': ['证书编号', 'Certificate no.'],
  'brand.level': ['级别', 'Level'],
  'brand.scope': ['范围', 'Scope'],
  'brand.product': ['认定产品', 'Certified product'],
  'brand.issued': ['发证日期', 'Issued'],
  'brand.validUntil': ['有效期至', 'Valid until'],
  'brand.issuer': ['发证机构', 'Issued by'],
  'brand.standard': ['标准', 'Standard'],
  'brand.status': ['状态', 'Status'],
  'brand.statusSince': ['自 {d} 起', 'since {d}'],
  'brand.reason': ['原因', 'Reason'],
  'brand.updated': ['最后更新', 'Last updated'],
  'brand.demoNote': ['演示数据：本页的统一社会信用代码、注册号、证书编号和日期均为演示用途虚构，不代表真实登记信息。', 'Demo data: credit codes, registration numbers, certificate numbers and dates on this page are invented for demonstration and are not real records.'],
  'demo.badge': ['演示数据', 'Demo data'],
  'status.since': ['自 {d}', 'since {d}'],
  'error.404.title': ['找不到该页面', 'Page not found'],
  'error.404.help': ['链接可能已失效，或条目已更名。可以搜索品牌名、企业名或拼音首字母。', 'The link may be out of date or the entry renamed. Try searching for the brand, company or pinyin initials.'],
  'error.400.title': ['请求有误', 'Bad request'],
  'error.429.title': ['请求过于频繁', 'Too many requests'],
  'error.429.help': ['请稍等一分钟再试。', 'Please wait a minute and try again.'],
  'error.500.title': ['服务出错了', 'Something went wrong'],
  'error.500.help': ['我们已记录此问题。请稍后重试；如果问题持续，请联系管理员并提供请求编号。', 'We have logged the problem. Please try again later; if it persists, contact us with the request id.'],
  'error.503.title': ['服务暂时不可用', 'Service temporarily unavailable'],
  'error.requestId': ['请求编号', 'Request id'],
  'error.backHome': ['返回首页', 'Back to the home page'],
  'footer.source': ['依据《关于新时代推进品牌建设的行动方案》建设。数据由武汉市市场监督管理局维护。', 'Built for the action plan on brand building in the new era. Data kept by the Wuhan Administration for Market Regulation.'],
  'footer.api': ['开放接口', 'Open API'],
  'yes': ['是', 'yes'],
} as const satisfies Record<string, readonly [string, string]>;

export type UiKey = keyof typeof UI;

/** English labels for registry terms stored in Chinese. */
const TERMS: Record<string, string> = {
  江岸区: "Jiang'an", 江汉区: 'Jianghan', 硚口区: 'Qiaokou', 汉阳区: 'Hanyang', 武昌区: 'Wuchang', 青山区: 'Qingshan',
  洪山区: 'Hongshan', 东西湖区: 'Dongxihu', 汉南区: 'Hannan', 蔡甸区: 'Caidian', 江夏区: 'Jiangxia', 黄陂区: 'Huangpi',
  新洲区: 'Xinzhou', 东湖高新区: 'East Lake High-Tech Zone', 武汉经开区: 'Wuhan Economic & Technological Development Zone',
  东湖风景区: 'East Lake Scenic Area', 长江新区: 'Changjiang New Area', 临空港经开区: 'Airport Economic Development Zone',
  一产: 'Primary', 二产: 'Secondary', 三产: 'Tertiary',
  在册: 'Listed', 暂停: 'Suspended', 移出: 'Removed', 重点保护: 'Key protection', 一般保护: 'General protection',
  失效: 'Lapsed', 有效: 'Valid', 复核中: 'Under review', 已移出: 'Removed', 撤销: 'Revoked', 过期: 'Expired',
  中华老字号: 'China Time-honored Brand', 湖北老字号: 'Hubei Time-honored Brand', 武汉老字号: 'Wuhan Time-honored Brand',
  中国精品: 'China Quality Product', 湖北精品: 'Hubei Quality Product', 武汉精品: 'Wuhan Quality Product',
  绿色食品: 'Green food', 有机农产品: 'Organic produce', 农产品地理标志: 'Agricultural GI', 名特优新农产品: 'Featured produce',
  产品: 'Product', 服务: 'Service', 工程: 'Engineering', 行政认定: 'Administrative recognition', 司法认定: 'Judicial recognition',
  优势商标: 'Advantage trademark', 地理标志: 'Geographic indication', 商标品牌: 'Trademark brand',
  侵权案件: 'Infringement case', 异议: 'Opposition', 监测: 'Monitoring', 维权行动: 'Rights action',
};

export function parseLang(v: unknown): Lang {
  return v === 'en' ? 'en' : 'zh';
}

export function t(lang: Lang, key: string, vars: Record<string, string | number> = {}): string {
  const entry = (UI as Record<string, readonly [string, string]>)[key];
  const text = entry ? entry[lang === 'en' ? 1 : 0] : key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

/** A registry term in the page language (Chinese terms are the stored values). */
export function label(lang: Lang, term: string | number | null | undefined): string {
  if (term === null || term === undefined) return '';
  const s = String(term);
  return lang === 'en' ? (TERMS[s] ?? s) : s;
}

export function formatDate(lang: Lang, d: Date | string | number | null | undefined): string {
  if (d === null || d === undefined || d === '') return '';
  const date = new Date(d);
  if (Number.isNaN(date.getTime())) return '';
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return lang === 'en' ? `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}` : `${y}年${m}月${day}日`;
}
