/**
 * Reference lists shared by the four registries: districts, sectors, tiers and statuses.
 * Values are the Chinese terms the bureau uses; English labels live in the i18n catalogue.
 */

/** Wuhan's 13 administrative districts plus its functional zones. */
export const DISTRICTS = [
  '江岸区',
  '江汉区',
  '硚口区',
  '汉阳区',
  '武昌区',
  '青山区',
  '洪山区',
  '东西湖区',
  '汉南区',
  '蔡甸区',
  '江夏区',
  '黄陂区',
  '新洲区',
  '东湖高新区',
  '武汉经开区',
  '东湖风景区',
  '长江新区',
  '临空港经开区',
] as const;
export type District = (typeof DISTRICTS)[number];

/** 一产 agriculture, 二产 industry, 三产 services. */
export const SECTORS = ['一产', '二产', '三产'] as const;
export type Sector = (typeof SECTORS)[number];

/**
 * The industry categories (行业类别) in use. A brand's industry is free text: one not listed here
 * is shown as stored; each listed one has an English name (src/platform/i18n.ts).
 */
export const INDUSTRIES = [
  '农业种植',
  '畜牧养殖',
  '水产养殖',
  '食品制造',
  '饮料制造',
  '酒类制造',
  '烟草制品',
  '纺织服装',
  '医药制造',
  '生物医药',
  '钢铁冶金',
  '金属制品',
  '装备制造',
  '汽车制造',
  '光电子信息',
  '集成电路',
  '工艺美术',
  '建筑工程',
  '工程技术服务',
  '软件信息服务',
  '交通物流',
  '批发零售',
  '餐饮',
  '酒店旅游',
  '文化传媒',
  '金融服务',
  '医疗服务',
] as const;

/** The four registries. `kind` is the stable machine name used in URLs, the index and the API. */
export const KINDS = ['directory', 'famous', 'time-honored', 'certified'] as const;
export type Kind = (typeof KINDS)[number];

/** A brand's id in URLs (/brands/<slug>) and the API: lower-case letters, digits and hyphens. */
export const BRAND_SLUG = /^[a-z0-9][a-z0-9-]{0,79}$/;

export const DIRECTORY_STATUSES = ['在册', '暂停', '移出'] as const;
/** The directory's tiers as lists, search and counts show them (derived: see kinds.ts). */
export const DIRECTORY_TIERS = ['地理标志', '优势商标', '商标品牌'] as const;
export const FAMOUS_STATUSES = ['重点保护', '一般保护', '失效'] as const;
export const TIME_HONORED_STATUSES = ['有效', '复核中', '已移出'] as const;
/**
 * The built-in certificate statuses: reference data an admin may extend (src/registries/reference-data.ts
 * holds the current list; read it there). 注销 is a certificate given up or cancelled at its holder's
 * request or on the issuer's decision. 过期 is never stored: it is derived from validUntil at read time.
 */
export const CERTIFICATE_STATUSES = ['有效', '暂停', '撤销', '注销'] as const;
export const CERTIFICATE_DISPLAY_STATUSES = [...CERTIFICATE_STATUSES, '过期'] as const;

export const TIME_HONORED_TIERS = ['中华老字号', '湖北老字号', '武汉老字号'] as const;
export type TimeHonoredTier = (typeof TIME_HONORED_TIERS)[number];

/** Reward in 万元 the plan grants per tier (§七). */
export const TIME_HONORED_REWARD: Record<TimeHonoredTier, number> = {
  中华老字号: 50,
  湖北老字号: 30,
  武汉老字号: 10,
};

/**
 * The built-in recognition levels (认定级别), in the order lists show them. They are reference data an
 * admin may extend (武汉名品, 江城百臻… are added in the back office, /admin/reference): the current
 * list is src/registries/reference-data.ts's, never this constant alone. 绿色食品, 有机农产品 and
 * 农产品地理标志 are the 三品一标 family (with 无公害农产品, which the bureau no longer certifies).
 */
export const CERTIFICATE_LEVELS = ['中国精品', '湖北精品', '武汉精品', '绿色食品', '有机农产品', '农产品地理标志', '名特优新农产品'] as const;
export type CertificateLevel = (typeof CERTIFICATE_LEVELS)[number];

/**
 * The built-in outcomes of a 老字号 re-review (复核). 附条件通过 comes with a rectification deadline;
 * 不通过 leads to the listing's removal. Extendable like the levels.
 */
export const REVIEW_OUTCOMES = ['通过', '附条件通过', '不通过'] as const;
/** The outcome that needs a rectification deadline. */
export const CONDITIONAL_PASS = '附条件通过';
/** The outcome after which the listing is removed. */
export const REVIEW_FAILED = '不通过';
export const CERTIFICATE_SCOPES = ['产品', '服务', '工程'] as const;

export const RECOGNITION_ROUTES = ['行政认定', '司法认定'] as const;
export const PROTECTION_RECORD_KINDS = ['侵权案件', '异议', '监测', '维权行动'] as const;

/** Every status any registry may hold, for facet labels. */
export const ALL_STATUSES = [...new Set([...DIRECTORY_STATUSES, ...FAMOUS_STATUSES, ...TIME_HONORED_STATUSES, ...CERTIFICATE_DISPLAY_STATUSES])];
