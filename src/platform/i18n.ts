/**
 * Simplified Chinese first, English on `?lang=en`. UI strings by key; registry terms (districts,
 * statuses, tiers…) are stored in Chinese and translated for display by label().
 */
export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const UI = {
  'site.name': ['武汉品牌名录', 'Wuhan Brand Registry'],
  'site.tagline': [
    '武汉市市场监督管理局 · 商标品牌、驰名商标、老字号与精品认定一站查询',
    'Wuhan Administration for Market Regulation · trademarks, famous marks, time-honored brands and certifications in one search',
  ],
  'nav.home': ['首页', 'Home'],
  'nav.search': ['搜索', 'Search'],
  'nav.directory': ['商标品牌名录', 'Trademark directory'],
  'nav.famous': ['驰名商标', 'Famous trademarks'],
  'nav.timeHonored': ['老字号', 'Time-honored brands'],
  'nav.certified': ['精品认定', 'Certifications'],
  'nav.verify': ['证书查验', 'Verify a certificate'],
  'nav.stats': ['统计', 'Statistics'],
  'nav.openData': ['开放数据', 'Open data'],
  'nav.skip': ['跳到主要内容', 'Skip to main content'],
  'nav.main': ['主导航', 'Main navigation'],
  'lang.switch': ['English', '中文'],
  'lang.switchLabel': ['Switch to English', '切换到中文'],
  'search.label': ['搜索品牌、企业、产品、拼音或证书编号', 'Search brands, companies, products, pinyin or certificate numbers'],
  'search.placeholder': ['如：热干面、蔡林记、clj、证书编号', 'e.g. reganmian, Cai Lin Ji, clj, a certificate number'],
  'search.submit': ['搜索', 'Search'],
  'search.results': ['共 {n} 条结果', '{n} results'],
  'search.resultsAbout': ['约 {n} 条结果', 'About {n} results'],
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
  'search.unavailable': [
    '搜索服务暂时不可用，请稍后再试。品牌详情页仍可访问。',
    'Search is temporarily unavailable; please try again shortly. Brand pages still work.',
  ],
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
  'list.famous.intro': [
    '经行政或司法认定的驰名商标及其保护工作台账。',
    'Well-known marks recognised administratively or judicially, with their protection ledger.',
  ],
  'list.time-honored.intro': ['中华老字号、湖北老字号、武汉老字号名录。', 'China, Hubei and Wuhan time-honored brands.'],
  'list.certified.intro': [
    '中国精品、湖北精品、武汉精品及“三品一标”认定。',
    'China, Hubei and Wuhan quality product certifications, and green/organic/GI labels.',
  ],
  'home.counts': ['名录概况', 'The registries at a glance'],
  'home.featured': ['老字号', 'Time-honored brands'],
  'home.recent': ['最近更新', 'Recently updated'],
  'home.entries': ['{n} 条', '{n} entries'],
  'home.viewAll': ['查看全部', 'View all'],
  'brand.company': ['权利人/企业', 'Owner company'],
  'brand.creditCode': ['统一社会信用代码', 'Unified social credit code'],
  // Shown where a fact the record lacks would be (待补充, src/registries/completeness.ts).
  'brand.missing': ['信息待补充', 'details to be completed'],
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
  'brand.demoNote': [
    '本页的统一社会信用代码、注册号、证书编号和日期均为演示用途虚构，不代表真实登记信息。',
    'Credit codes, registration numbers, certificate numbers and dates on this page are invented for demonstration and are not real records.',
  ],
  'demo.badge': ['演示数据', 'Demo data'],
  'status.since': ['自 {d}', 'since {d}'],
  'error.404.title': ['找不到该页面', 'Page not found'],
  'error.404.help': [
    '链接可能已失效，或条目已更名。可以搜索品牌名、企业名或拼音首字母。',
    'The link may be out of date or the entry renamed. Try searching for the brand, company or pinyin initials.',
  ],
  'error.400.title': ['请求有误', 'Bad request'],
  'error.429.title': ['请求过于频繁', 'Too many requests'],
  'error.429.help': ['请稍等一分钟再试。', 'Please wait a minute and try again.'],
  'error.500.title': ['服务出错了', 'Something went wrong'],
  'error.500.help': [
    '我们已记录此问题。请稍后重试；如果问题持续，请联系管理员并提供请求编号。',
    'We have logged the problem. Please try again later; if it persists, contact us with the request id.',
  ],
  'error.503.title': ['服务暂时不可用', 'Service temporarily unavailable'],
  'error.requestId': ['请求编号', 'Request id'],
  'error.backHome': ['返回首页', 'Back to the home page'],
  'footer.source': [
    '依据《关于新时代推进品牌建设的行动方案》建设。数据由武汉市市场监督管理局维护。',
    'Built for the action plan on brand building in the new era. Data kept by the Wuhan Administration for Market Regulation.',
  ],
  'footer.api': ['开放接口', 'Open API'],
  // Certificate verification (/verify) and brand standing.
  'verify.title': ['证书查验', 'Verify a certificate'],
  'verify.intro': [
    '输入包装或证书上的证书编号，核对“精品”等认定是否真实有效；也可以输入产品名称或企业名称查找。',
    'Enter the certificate number printed on the package or certificate to check whether a quality certification is genuine and current, or search by product or company name.',
  ],
  'verify.label': ['证书编号、产品名称或企业名称', 'Certificate number, product name or company name'],
  'verify.placeholder': ['如：WHJP-2024-0001 或 热干面', 'e.g. WHJP-2024-0001 or a product name'],
  'verify.hint': ['证书编号不区分大小写。', 'Certificate numbers are not case-sensitive.'],
  'verify.submit': ['查验', 'Check'],
  'verify.resultsFor': ['与“{q}”相关的证书', 'Certificates matching “{q}”'],
  'verify.results': ['共 {n} 张', '{n} found'],
  'verify.more': ['仅列出前 {n} 张，请输入更具体的名称。', 'Only the first {n} are listed; try a more specific name.'],
  'verify.none': ['没有找到相关证书。', 'No certificate matched.'],
  'verify.noneHelp': [
    '请核对编号，或换一个产品名称、企业名称再试。未获认定的产品不得使用认定标志。',
    'Check the number, or try another product or company name. A product without a certificate may not carry a certification mark.',
  ],
  'verify.numberMiss': ['没有编号为 {n} 的证书', 'There is no certificate numbered {n}'],
  'verify.seeWhy': ['这意味着什么？如何举报假冒认定', 'What this means and how to report a fake certification'],
  'verify.didYouMean': ['您要找的是不是：', 'Did you mean:'],
  'verify.linkLabel': ['查验证书 {n}', 'Verify certificate {n}'],
  'verify.certNo': ['证书编号', 'Certificate no.'],
  'verify.state.valid': ['有效', 'Valid'],
  'verify.state.expired': ['已过期', 'Expired'],
  'verify.state.suspended': ['已暂停', 'Suspended'],
  'verify.state.revoked': ['已撤销', 'Revoked'],
  'verify.state.notFound': ['查无此证', 'No such certificate'],
  'verify.lead.valid': ['这是一张真实、有效的{level}认定证书。', 'This is a genuine, current {level} certificate.'],
  'verify.lead.expired': [
    '该证书已于{d}到期，现已失效。产品不应再标注此认定。',
    'This certificate expired on {d} and is no longer valid. The product should no longer carry this certification.',
  ],
  'verify.lead.suspended': [
    '该证书自{d}起暂停。暂停期间，产品不得使用此认定标志。',
    'This certificate has been suspended since {d}. While it is suspended the product may not use this certification mark.',
  ],
  'verify.lead.revoked': [
    '该证书已于{d}撤销。产品不得再使用此认定标志。',
    'This certificate was revoked on {d}. The product may no longer use this certification mark.',
  ],
  'verify.lead.notFound': [
    '本名录中没有编号为 {n} 的证书。标注这个编号的产品，并没有以该编号获得认定。',
    'There is no certificate numbered {n} in this registry. A product labelled with this number is NOT certified under it.',
  ],
  'verify.statusDate': ['状态变更日期', 'Status changed on'],
  'verify.reason': ['公开原因', 'Public reason'],
  'verify.brand': ['品牌', 'Brand'],
  'verify.demoNote': [
    '该证书及其编号和日期均为演示用途虚构，不代表真实认定。',
    'This certificate, its number and dates are invented for demonstration and are not a real certification.',
  ],
  'verify.report.title': ['怀疑是假冒认定？', 'Suspect a fake certification?'],
  'verify.report.hotline': ['拨打 12315 投诉举报热线', 'Call the 12315 consumer complaints hotline'],
  'verify.report.web': ['在全国12315平台 www.12315.cn 在线举报', 'Report it online on the national 12315 platform, www.12315.cn'],
  'verify.report.bureau': [
    '也可以向武汉市市场监督管理局反映。请保留产品包装和购物凭证。',
    'You can also tell the Wuhan Administration for Market Regulation. Keep the packaging and your receipt.',
  ],
  'verify.qr': ['二维码', 'QR code'],
  'verify.qrSvg': ['下载 SVG', 'Download SVG'],
  'verify.qrPng': ['下载 PNG', 'Download PNG'],
  'verify.again': ['查验其他证书', 'Check another certificate'],
  'standing.title': ['品牌身份', 'Brand standing'],
  'standing.th.current': ['{tier}：{year}年认定，现仍在名录中', '{tier}: recognised in {year} and still listed'],
  'standing.th.review': ['{tier}：{year}年认定，目前正在复核', '{tier}: recognised in {year}, currently under review'],
  'standing.th.removed': ['曾为{tier}，现已移出名录', 'Formerly a {tier}; no longer listed'],
  'standing.th.none': ['不是中华、湖北或武汉老字号', 'Not a China, Hubei or Wuhan time-honored brand'],
  'standing.famous.current': ['驰名商标：{status}，自{date}认定起受保护', 'Famous trademark: {status}, protected since {date}'],
  'standing.famous.lapsed': ['驰名商标：保护已失效', 'Famous trademark: protection has lapsed'],
  'standing.famous.none': ['不是驰名商标', 'Not a famous trademark'],
  yes: ['是', 'yes'],
  'punct.colon': ['：', ': '],
  'punct.semicolon': ['；', '; '],
  'punct.open': ['（', ' ('],
  'punct.close': ['）', ')'],
} as const satisfies Record<string, readonly [string, string]>;

export type UiKey = keyof typeof UI;

/** English labels for registry terms stored in Chinese. */
const TERMS: Record<string, string> = {
  江岸区: "Jiang'an",
  江汉区: 'Jianghan',
  硚口区: 'Qiaokou',
  汉阳区: 'Hanyang',
  武昌区: 'Wuchang',
  青山区: 'Qingshan',
  洪山区: 'Hongshan',
  东西湖区: 'Dongxihu',
  汉南区: 'Hannan',
  蔡甸区: 'Caidian',
  江夏区: 'Jiangxia',
  黄陂区: 'Huangpi',
  新洲区: 'Xinzhou',
  东湖高新区: 'East Lake High-Tech Zone',
  武汉经开区: 'Wuhan Economic & Technological Development Zone',
  东湖风景区: 'East Lake Scenic Area',
  长江新区: 'Changjiang New Area',
  临空港经开区: 'Airport Economic Development Zone',
  一产: 'Primary',
  二产: 'Secondary',
  三产: 'Tertiary',
  // The bucket of counts by district or sector for brands that do not state one (completeness.ts).
  未填写: 'Not stated',
  在册: 'Listed',
  暂停: 'Suspended',
  移出: 'Removed',
  重点保护: 'Key protection',
  一般保护: 'General protection',
  失效: 'Lapsed',
  有效: 'Valid',
  复核中: 'Under review',
  已移出: 'Removed',
  撤销: 'Revoked',
  注销: 'Cancelled',
  过期: 'Expired',
  中华老字号: 'China Time-honored Brand',
  湖北老字号: 'Hubei Time-honored Brand',
  武汉老字号: 'Wuhan Time-honored Brand',
  中国精品: 'China Quality Product',
  湖北精品: 'Hubei Quality Product',
  武汉精品: 'Wuhan Quality Product',
  绿色食品: 'Green food',
  有机农产品: 'Organic produce',
  农产品地理标志: 'Agricultural GI',
  名特优新农产品: 'Featured produce',
  产品: 'Product',
  服务: 'Service',
  工程: 'Engineering',
  行政认定: 'Administrative recognition',
  司法认定: 'Judicial recognition',
  优势商标: 'Advantage trademark',
  地理标志: 'Geographic indication',
  商标品牌: 'Trademark brand',
  侵权案件: 'Infringement case',
  异议: 'Opposition',
  监测: 'Monitoring',
  维权行动: 'Rights action',
  // Industry categories (INDUSTRIES in src/registries/reference.ts).
  农业种植: 'Crop farming',
  畜牧养殖: 'Livestock farming',
  水产养殖: 'Aquaculture',
  食品制造: 'Food manufacturing',
  饮料制造: 'Beverage manufacturing',
  酒类制造: 'Alcoholic drinks',
  烟草制品: 'Tobacco products',
  纺织服装: 'Textiles and apparel',
  医药制造: 'Pharmaceuticals',
  生物医药: 'Biomedicine',
  钢铁冶金: 'Iron, steel and metallurgy',
  金属制品: 'Metal products',
  装备制造: 'Equipment manufacturing',
  汽车制造: 'Automotive',
  光电子信息: 'Optoelectronics',
  集成电路: 'Integrated circuits',
  工艺美术: 'Arts and crafts',
  建筑工程: 'Construction',
  工程技术服务: 'Engineering services',
  软件信息服务: 'Software and IT services',
  交通物流: 'Transport and logistics',
  批发零售: 'Wholesale and retail',
  餐饮: 'Restaurants and catering',
  酒店旅游: 'Hotels and tourism',
  文化传媒: 'Culture and media',
  金融服务: 'Financial services',
  医疗服务: 'Medical services',
};

export function parseLang(v: unknown): Lang {
  return v === 'en' ? 'en' : 'zh';
}

/** Strings a feature module adds (admin, import, stats…): key → [中文, English]. Later keys win. */
const extra = new Map<string, readonly [string, string]>();

/**
 * Registers a feature's UI strings, so each feature keeps its words beside its code. Call at
 * module load; keys should be prefixed with the feature ("admin.", "import.", "stats.").
 */
export function registerMessages(messages: Record<string, readonly [string, string]>): void {
  for (const [k, v] of Object.entries(messages)) extra.set(k, v);
}

/** Registers English labels for further stored Chinese terms (record kinds, award names…). */
export function registerTerms(terms: Record<string, string>): void {
  Object.assign(TERMS, terms);
}

/**
 * Where English names of stored terms come from besides the catalogue: the reference data an admin
 * extends (src/registries/reference-data.ts registers its lookup), so a level added as data is
 * shown in English without a code change.
 */
let termSource: (term: string) => string | undefined = () => undefined;

/** Registers the lookup label() falls back to for terms the catalogue does not hold. */
export function registerTermSource(source: (term: string) => string | undefined): void {
  termSource = source;
}

/** The built-in messages, looked up by any key (unknown keys fall back to the key itself). */
const UI_BY_KEY: Record<string, readonly [string, string] | undefined> = UI;

export function t(lang: Lang, key: string, vars: Record<string, string | number> = {}): string {
  const entry = extra.get(key) ?? UI_BY_KEY[key];
  const text = entry ? entry[lang === 'en' ? 1 : 0] : key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

/** A registry term in the page language (Chinese terms are the stored values). */
export function label(lang: Lang, term: string | number | null | undefined): string {
  if (term === null || term === undefined) return '';
  const s = String(term);
  return lang === 'en' ? (TERMS[s] ?? termSource(s) ?? s) : s;
}

/** A time-honored batch as stored ("第1批") in the page language: "第1批" / "batch 1". */
export function formatBatch(lang: Lang, batch: string | null | undefined): string {
  if (!batch) return '';
  const n = /^第\s*(\d+)\s*批$/.exec(batch.trim())?.[1];
  return lang === 'en' ? (n ? `batch ${n}` : label(lang, batch)) : batch;
}

/** A year with its batch: "2006（第1批）" / "2006 (batch 1)". */
export function formatYearBatch(lang: Lang, year: number | string, batch: string | null | undefined): string {
  const b = formatBatch(lang, batch);
  if (!b) return String(year);
  return lang === 'en' ? `${year} (${b})` : `${year}（${b}）`;
}

/**
 * A date in the page language: 2011年6月1日 / 2011-06-01. A partial date (src/registries/partial-date.ts)
 * passes its precision and is shown as given: 2011年 / 2011, 2011年6月 / 2011-06.
 */
export function formatDate(lang: Lang, d: Date | string | number | null | undefined, precision: 'year' | 'month' | 'day' = 'day'): string {
  if (d === null || d === undefined || d === '') return '';
  const date = new Date(d);
  if (Number.isNaN(date.getTime())) return '';
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  if (precision === 'year') return lang === 'en' ? String(y) : `${y}年`;
  if (precision === 'month') return lang === 'en' ? `${y}-${String(m).padStart(2, '0')}` : `${y}年${m}月`;
  return lang === 'en' ? `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}` : `${y}年${m}月${day}日`;
}

/** "2025年6月30日 14:05" / "2025-06-30 14:05", in Beijing time (the bureau's clock). */
export function formatTime(lang: Lang, d: Date | string | number): string {
  const date = new Date(d);
  if (Number.isNaN(date.getTime())) return '';
  const bj = new Date(date.getTime() + 8 * 3600_000);
  const hm = `${String(bj.getUTCHours()).padStart(2, '0')}:${String(bj.getUTCMinutes()).padStart(2, '0')}`;
  return `${formatDate(lang, bj)} ${hm}`;
}

/** 1234567 → "1,234,567"; 61.5 → "61.5". */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
