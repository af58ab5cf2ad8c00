/**
 * Shape of the hand-written demo data set. Identifiers that would be invented (credit codes,
 * trademark registration numbers, certificate numbers, exact dates) are NOT written here: the
 * seeder derives them deterministically from the slug and marks them as demo data, so that no
 * invented detail can pass for a real one.
 */
import type { CertificateLevel, District, Sector, TimeHonoredTier } from '../registries/reference.js';

export interface DemoBrand {
  /** Lowercase ASCII, stable, e.g. "cailinji". */
  slug: string;
  /** Brand name in Chinese, e.g. "蔡林记". */
  name: string;
  nameEn?: string;
  /** Owner company's full Chinese name. */
  company: string;
  district: District;
  sector: Sector;
  /** Industry category in Chinese, e.g. "餐饮", "食品制造", "医药制造". */
  industry: string;
  /** Products or services as free keywords, e.g. ["热干面", "面窝"]. */
  keywords: string[];
  /** Two or three sentences, plain Chinese. */
  description: string;
  website?: string;
  /** Year the brand or its predecessor was founded. */
  founded?: number;
  /** Listed in the trademark brand directory (商标品牌名录). */
  directory?: {
    /** Nice classes of its registered marks (1-45); one trademark is derived per class group. */
    niceClasses: number[];
    advantage?: boolean;
    madrid?: boolean;
    /** Geographic indication (地理标志), e.g. { product: '蔡甸莲藕', area: '蔡甸区' }. */
    gi?: { product: string; area: string };
  };
  /** On the famous trademark ledger (驰名商标工作台账). */
  famous?: {
    route: '行政认定' | '司法认定';
    /** Year of recognition. */
    year: number;
    level: '重点保护' | '一般保护';
  };
  /** On the time-honored brand list (老字号名录). */
  timeHonored?: {
    tier: TimeHonoredTier;
    /** Year recognised in that tier. */
    year: number;
    /** Heritage: crafts, intangible cultural heritage (非遗) items. */
    heritage?: string;
    /** The brand's story in 2-4 Chinese sentences. */
    story: string;
    /** Street address of the flagship shop or seat. */
    address: string;
  };
  /** Certifications (精品认定 and 三品一标). */
  certificates?: Array<{
    level: CertificateLevel;
    scope: '产品' | '服务' | '工程';
    /** The certified product, service or project, e.g. "蔡林记热干面". */
    product: string;
    /** Year issued. */
    year: number;
    /** Issuing body in Chinese, e.g. "武汉市市场监督管理局". */
    issuer: string;
    /** Standard the certification refers to, e.g. "T/WHPP 001-2021". */
    standard?: string;
  }>;
}
