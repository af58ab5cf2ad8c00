/**
 * Plausible synthetic directory entries for scale tests and benchmarks: brand + trademark +
 * directory entry, deterministic for a given index (so re-running skips what exists), flagged as
 * demo data. Names are built from Wuhan-flavoured parts; every company name contains 武汉, as real
 * ones do — which makes 武汉 a "matches almost everything" query for the benchmarks.
 */
import mongoose from 'mongoose';
import { demoCreditCode } from '../registries/credit-code.js';
import { DISTRICTS, type Sector } from '../registries/reference.js';

const PREFIX = [
  '江城',
  '汉口',
  '汉阳',
  '武昌',
  '楚天',
  '黄鹤',
  '晴川',
  '东湖',
  '珞珈',
  '长江',
  '汉江',
  '光谷',
  '琴台',
  '龟山',
  '蛇山',
  '楚韵',
  '荆楚',
  '江汉',
  '汉味',
  '汉正',
  '知音',
  '木兰',
  '归元',
  '古琴',
  '昙华',
  '月湖',
  '墨水',
  '梁子',
  '沙湖',
  '南湖',
];
const CORE = ['福', '顺', '兴', '祥', '和', '泰', '盛', '丰', '隆', '安', '瑞', '华', '新', '源', '美', '佳', '德', '信', '诚', '禾'];
const SUFFIX = ['记', '坊', '堂', '号', '轩', '居', '园', '斋', '庄', '阁', '行', '铺', '苑', '社', '楼'];

interface Industry {
  name: string;
  sector: Sector;
  nice: number[];
  products: string[];
  word: string;
}
const INDUSTRIES: Industry[] = [
  { name: '餐饮', sector: '三产', nice: [43, 30], products: ['热干面', '豆皮', '汤包', '糊汤粉', '面窝', '煨汤', '鸭脖', '藕汤'], word: '餐饮管理' },
  { name: '食品制造', sector: '二产', nice: [29, 30], products: ['糕点', '绿豆糕', '麻烘糕', '卤味', '芝麻酱', '米粉', '鱼丸'], word: '食品' },
  { name: '饮料制造', sector: '二产', nice: [32, 33], products: ['汽水', '米酒', '矿泉水', '茶饮料', '黄酒'], word: '饮品' },
  { name: '农业种植', sector: '一产', nice: [31, 30], products: ['莲藕', '菜薹', '茶叶', '大米', '蜂蜜', '柑橘'], word: '农业发展' },
  { name: '水产养殖', sector: '一产', nice: [31, 29], products: ['武昌鱼', '小龙虾', '鳜鱼', '大闸蟹', '鮰鱼'], word: '水产' },
  { name: '医药制造', sector: '二产', nice: [5, 35], products: ['中成药', '颗粒剂', '膏药', '保健品'], word: '药业' },
  { name: '纺织服装', sector: '二产', nice: [25, 24], products: ['女装', '衬衫', '内衣', '童装', '针织'], word: '服饰' },
  { name: '光电子信息', sector: '二产', nice: [9, 42], products: ['光纤', '激光器', '传感器', '光模块'], word: '光电科技' },
  { name: '软件信息服务', sector: '三产', nice: [42, 9], products: ['软件', '数据服务', '云平台', '小程序'], word: '信息技术' },
  { name: '汽车制造', sector: '二产', nice: [12, 37], products: ['汽车零部件', '电池', '车灯', '座椅'], word: '汽车配件' },
  { name: '批发零售', sector: '三产', nice: [35], products: ['超市', '便利店', '百货', '电商'], word: '商贸' },
  { name: '酒店旅游', sector: '三产', nice: [43, 39], products: ['酒店', '民宿', '旅行社', '游船'], word: '酒店管理' },
  { name: '文化传媒', sector: '三产', nice: [41, 16], products: ['图书', '演出', '动漫', '文创'], word: '文化传媒' },
  { name: '建筑工程', sector: '二产', nice: [37, 19], products: ['桥梁', '装修', '建材', '钢结构'], word: '建设工程' },
];

/** Deterministic 32-bit mix of an integer. */
function mix(i: number, salt: number): number {
  let h = (i + 0x9e3779b9 * (salt + 1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
const choose = <T>(list: readonly T[], i: number, salt: number): T => list[mix(i, salt) % list.length]!;

/** Stable ObjectIds per synthetic row: kind byte + row number. */
export function syntheticId(kind: number, i: number): mongoose.Types.ObjectId {
  return new mongoose.Types.ObjectId(`5e${kind.toString(16).padStart(2, '0')}${i.toString(16).padStart(20, '0')}`);
}

export interface SyntheticRow {
  brand: Record<string, unknown>;
  trademark: Record<string, unknown>;
  directory: Record<string, unknown>;
}

export function syntheticRow(i: number): SyntheticRow {
  const ind = choose(INDUSTRIES, i, 1);
  const name = `${choose(PREFIX, i, 2)}${choose(CORE, i, 3)}${choose(SUFFIX, i, 4)}`;
  const district = choose(DISTRICTS, i, 5);
  const product = choose(ind.products, i, 6);
  const product2 = choose(ind.products, i, 7);
  const brandId = syntheticId(1, i);
  const year = 2008 + (mix(i, 8) % 15);
  const from = new Date(Date.UTC(year, mix(i, 9) % 12, 1 + (mix(i, 10) % 28)));
  const nice = ind.nice[mix(i, 11) % ind.nice.length]!;
  return {
    brand: {
      _id: brandId,
      slug: `syn-${i}`,
      name,
      company: `武汉${name}${ind.word}有限公司`,
      creditCode: demoCreditCode(`syn-${i}`),
      district,
      sector: ind.sector,
      industry: ind.name,
      keywords: [...new Set([product, product2])],
      description: `${name}是${district}的${ind.name}企业，主营${product}。（合成数据）`,
      demo: true,
    },
    trademark: {
      _id: syntheticId(2, i),
      regNo: `9${String(i).padStart(9, '0')}`,
      brand: brandId,
      mark: name,
      niceClasses: [nice],
      validFrom: from,
      validTo: new Date(Date.UTC(year + 10, from.getUTCMonth(), from.getUTCDate())),
      madrid: mix(i, 12) % 50 === 0,
    },
    directory: {
      _id: syntheticId(3, i),
      brand: brandId,
      advantage: mix(i, 13) % 12 === 0,
      listedAt: new Date(Date.UTC(2019 + (mix(i, 14) % 6), mix(i, 15) % 12, 1)),
      status: mix(i, 16) % 40 === 0 ? '暂停' : '在册',
      statusReason: '',
    },
  };
}
