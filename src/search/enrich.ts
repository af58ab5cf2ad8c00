/**
 * The searchable fields of a SearchDoc, computed once in our own code so every adapter indexes
 * the same tokens: Han bigrams for substrings, unigrams for one-character queries, pinyin (full,
 * spaced, initials) and Latin words, normalised identifiers, and the keys ranking compares with.
 */
import type { SearchDoc } from './port.js';
import { gramTokens, normalize, pinyinForms, pinyinSuffixes, pinyinTokens, unigramTokens } from './text.js';

/**
 * The distinctive part of a company name: the city prefix and the legal form carry no
 * information in a city's registry (every company is 武汉…有限公司), and indexing them made 武汉
 * match every entry. Queries are stripped the same way (see analyzeQuery), so typing a full
 * company name still finds it.
 */
export function companyCore(company: string): string {
  const core = company.replace(/^(湖北省)?武汉(市)?/, '').replace(/(股份有限公司|有限责任公司|有限公司|股份公司|集团公司|公司)$/, '');
  return core || company;
}

/**
 * What the entry is, in words people search for (老字号, 驰名商标, 武汉精品…). The plain directory
 * tier is left out: every directory entry would match 商标.
 */
export function listTerms(d: SearchDoc): string[] {
  if (d.kind === 'famous') return ['驰名商标', d.tier];
  if (d.kind === 'directory') return d.tier === '商标品牌' ? [] : [d.tier];
  return [d.tier];
}

export interface Searchable {
  nameGrams: string;
  textGrams: string;
  uni: string;
  pinyin: string;
  ident: string;
  /** Identifiers between spaces, for exact containment checks. */
  idents: string;
  namePy: string;
  nameIni: string;
  nameNorm: string;
  titleNorm: string;
}

/**
 * An identifier with every separator removed ("WHJP-2023-6677" → "whjp20236677"): how it is
 * typed on a phone. Indexed beside the normalised form, so both are found.
 */
export function compactIdentifier(id: string): string {
  return normalize(id).replace(/[^\p{L}\p{N}]+/gu, '');
}

export function searchable(d: SearchDoc): Searchable {
  const py = pinyinForms(d.name);
  const normIds = d.identifiers.map((i) => normalize(i).replace(/\s+/g, ''));
  const compactIds = d.identifiers.map(compactIdentifier);
  const ids = [...new Set([...normIds, ...compactIds])];
  // Joined pinyin of the later words of the name and title ("jiaotou" for 舒安藠头).
  const suffixes = [...new Set([...pinyinSuffixes(py.spaced), ...(d.title === d.name ? [] : pinyinSuffixes(pinyinForms(d.title).spaced))])].join(' ');
  const identTokens = [...new Set([...d.identifiers.map((i) => normalize(i)), ...compactIds.filter((c, i) => c !== normIds[i])])];
  return {
    nameGrams: gramTokens([d.name, d.title]),
    textGrams: gramTokens([companyCore(d.company), d.nameEn, ...d.keywords, d.industry, ...listTerms(d)]),
    uni: unigramTokens([d.name, d.title, ...d.keywords]),
    pinyin: [pinyinTokens([d.name, d.title, d.nameEn, ...d.keywords]), suffixes].filter(Boolean).join(' zzsep '),
    ident: identTokens.join(' '),
    idents: ` ${ids.join(' ')} `,
    namePy: py.joined || normalize(d.nameEn).replace(/[^a-z0-9]/g, ''),
    nameIni: py.initials,
    nameNorm: normalize(d.name).replace(/\s+/g, ''),
    titleNorm: normalize(d.title).replace(/\s+/g, ''),
  };
}
