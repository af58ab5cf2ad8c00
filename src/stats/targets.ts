/**
 * The 2025 targets of the action plan (关于新时代推进品牌建设的行动方案, §二(二) 发展目标) and
 * where each number comes from: counted from the registry, or a figure a regulator enters with
 * its date and source (the city's trademark total is not something this registry holds).
 */

/** Figures the registry cannot count; regulators enter dated observations of them. */
export const FIGURE_KEYS = ['registeredTrademarks', 'internationalTrademarks', 'brandEconomyShare', 'internationalStandards', 'nationalStandards'] as const;
export type FigureKey = (typeof FIGURE_KEYS)[number];

/** Awards and rankings that can be attached to a brand (and so to its company). */
export const AWARD_NAMES = ['中国质量奖', '中国质量奖提名奖', '长江质量奖', '市长质量奖', '中国最具价值品牌500强'] as const;
export type AwardName = (typeof AWARD_NAMES)[number];

/** English labels for the award names (registered as terms for {{term}}). */
export const AWARD_TERMS: Record<AwardName, string> = {
  中国质量奖: 'China Quality Award',
  中国质量奖提名奖: 'China Quality Award nomination',
  长江质量奖: 'Changjiang Quality Award',
  市长质量奖: "Wuhan Mayor's Quality Award",
  中国最具价值品牌500强: "China's 500 Most Valuable Brands",
};

/** How a registry-counted target is counted. */
export type RegistryCount =
  { kind: 'gi' } | { kind: 'certificates'; level: '湖北精品' | '武汉精品' } | { kind: 'awards'; awards: AwardName[]; distinct: 'none' | 'brand' | 'company' };

export interface TargetDef {
  key: string;
  /** Chinese name as the plan words it. */
  zh: string;
  en: string;
  target: number;
  /** Unit in Chinese (件, 项, 家, 个, %) and English. */
  unit: string;
  unitEn: string;
  comparison: '≥';
  source: { type: 'registry'; count: RegistryCount; howZh: string; howEn: string } | { type: 'figure'; figure: FigureKey };
}

/** The plan's wording, line by line (product.md "Targets the plan sets for 2025"). */
export const TARGETS: readonly TargetDef[] = [
  {
    key: 'registeredTrademarks',
    zh: '有效注册商标总量',
    en: 'Effective registered trademarks',
    target: 500_000,
    unit: '件',
    unitEn: '',
    comparison: '≥',
    source: { type: 'figure', figure: 'registeredTrademarks' },
  },
  {
    key: 'internationalTrademarks',
    zh: '国际商标注册总量',
    en: 'International trademark registrations',
    target: 300,
    unit: '件',
    unitEn: '',
    comparison: '≥',
    source: { type: 'figure', figure: 'internationalTrademarks' },
  },
  {
    key: 'geographicIndications',
    zh: '有效地理标志注册总量',
    en: 'Effective geographic indications',
    target: 45,
    unit: '件',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'gi' },
      howZh: '商标品牌名录中标注为地理标志、状态为“在册”的条目数',
      howEn: 'directory entries flagged as a geographic indication with status Listed',
    },
  },
  {
    key: 'internationalStandards',
    zh: '主导和参与制修订国际标准',
    en: 'International standards led or co-drafted',
    target: 90,
    unit: '项',
    unitEn: '',
    comparison: '≥',
    source: { type: 'figure', figure: 'internationalStandards' },
  },
  {
    key: 'nationalStandards',
    zh: '国家标准和行业标准',
    en: 'National and industry standards',
    target: 5_000,
    unit: '项',
    unitEn: '',
    comparison: '≥',
    source: { type: 'figure', figure: 'nationalStandards' },
  },
  {
    key: 'brandEconomyShare',
    zh: '品牌经济占全市经济比重',
    en: 'Brand economy as a share of the city economy',
    target: 60,
    unit: '%',
    unitEn: '%',
    comparison: '≥',
    source: { type: 'figure', figure: 'brandEconomyShare' },
  },
  {
    key: 'top500Brands',
    zh: '入围中国最具价值品牌500强的武汉品牌',
    en: "Wuhan brands in China's 500 Most Valuable Brands",
    target: 8,
    unit: '家',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'awards', awards: ['中国最具价值品牌500强'], distinct: 'brand' },
      howZh: '登记了“中国最具价值品牌500强”的品牌数（同一品牌多年入围只计一次）',
      howEn: "brands with a China's 500 Most Valuable Brands listing (a brand listed in several years counts once)",
    },
  },
  {
    key: 'chinaQualityAward',
    zh: '获得中国质量奖（含提名奖）',
    en: 'China Quality Awards (nominations included)',
    target: 14,
    unit: '项',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'awards', awards: ['中国质量奖', '中国质量奖提名奖'], distinct: 'none' },
      howZh: '登记在品牌上的中国质量奖及提名奖项数',
      howEn: 'China Quality Awards and nominations attached to brands',
    },
  },
  {
    key: 'yangtzeQualityAward',
    zh: '获长江质量奖单位（组织）',
    en: 'Organisations with the Changjiang Quality Award',
    target: 30,
    unit: '家',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'awards', awards: ['长江质量奖'], distinct: 'company' },
      howZh: '获长江质量奖的企业数（按统一社会信用代码去重）',
      howEn: 'companies with a Changjiang Quality Award (counted once per credit code)',
    },
  },
  {
    key: 'hubeiQualityProducts',
    zh: '认定“湖北精品”',
    en: 'Hubei Quality Products certified',
    target: 60,
    unit: '个',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'certificates', level: '湖北精品' },
      howZh: '精品认定中级别为“湖北精品”且当前有效的证书数',
      howEn: 'Hubei Quality Product certificates currently valid',
    },
  },
  {
    key: 'wuhanQualityProducts',
    zh: '认定“武汉精品”',
    en: 'Wuhan Quality Products certified',
    target: 100,
    unit: '个',
    unitEn: '',
    comparison: '≥',
    source: {
      type: 'registry',
      count: { kind: 'certificates', level: '武汉精品' },
      howZh: '精品认定中级别为“武汉精品”且当前有效的证书数',
      howEn: 'Wuhan Quality Product certificates currently valid',
    },
  },
];

/** Figure metadata: the target that uses it, its unit and the largest sensible value. */
export const FIGURES: Record<FigureKey, { zh: string; en: string; unit: string; max: number; integer: boolean }> = {
  registeredTrademarks: { zh: '有效注册商标总量', en: 'Effective registered trademarks', unit: '件', max: 100_000_000, integer: true },
  internationalTrademarks: { zh: '国际商标注册总量', en: 'International trademark registrations', unit: '件', max: 10_000_000, integer: true },
  brandEconomyShare: { zh: '品牌经济占全市经济比重', en: 'Brand economy share', unit: '%', max: 100, integer: false },
  internationalStandards: { zh: '主导和参与制修订国际标准', en: 'International standards', unit: '项', max: 1_000_000, integer: true },
  nationalStandards: { zh: '国家标准和行业标准', en: 'National and industry standards', unit: '项', max: 10_000_000, integer: true },
};
