/**
 * Synonym groups for search: a query term in a group also finds the other terms of the group.
 * The defaults cover how people name Wuhan's products and the registries themselves; operators
 * can replace them with a JSON file (SEARCH_SYNONYMS_FILE: an array of arrays of terms).
 * Both adapters use the same groups (Meilisearch gets them as its synonyms setting).
 */
import { readFileSync } from 'node:fs';
import { normalize } from './text.js';

export const DEFAULT_SYNONYMS: string[][] = [
  ['老字号', '中华老字号', '百年老店'],
  ['驰名商标', '中国驰名商标'],
  ['汤包', '灌汤包', '小笼包'],
  ['鸭脖', '鸭颈', '卤鸭'],
  ['豆皮', '三鲜豆皮'],
  ['精品', '名优产品'],
  ['地理标志', '地标产品', '地理标志产品'],
  ['武昌鱼', '团头鲂'],
];

let groups: string[][] = DEFAULT_SYNONYMS;

/** Loads synonym groups from a JSON file; throws with a clear message when it is malformed. */
export function loadSynonyms(file: string | undefined): string[][] {
  if (!file) return (groups = DEFAULT_SYNONYMS);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((g) => Array.isArray(g) && g.length > 1 && g.every((t) => typeof t === 'string' && t.trim()))) {
    throw new Error(`SEARCH_SYNONYMS_FILE ${file}: expected an array of arrays of at least two terms`);
  }
  return (groups = parsed as string[][]);
}

export function synonymGroups(): string[][] {
  return groups;
}

/** The other terms of the groups `term` belongs to (normalised), or []. */
export function synonymsOf(term: string): string[] {
  const t = normalize(term);
  const out = new Set<string>();
  for (const g of groups) {
    const norm = g.map(normalize);
    if (norm.includes(t)) norm.forEach((x) => x !== t && out.add(x));
  }
  return [...out];
}
