/**
 * Synonym groups for search: a query term in a group also finds the other terms of the group.
 * The defaults cover how people name Wuhan's products and the registries themselves; operators
 * can replace them with a JSON file (SEARCH_SYNONYMS_FILE: an array of arrays of terms).
 *
 * The groups are a value, not module state: createSearchIndex (index.ts) builds one `Synonyms`
 * from the config and hands it to the adapter, which passes it to query analysis (query.ts) and,
 * for Meilisearch, to the index-time tokens (synonym-tokens.ts). Both adapters use the same groups
 * (Meilisearch gets them as tokens in its documents), and two indexes in one process can use
 * different groups.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { normalize } from './text.js';

export const DEFAULT_SYNONYMS: readonly (readonly string[])[] = [
  ['老字号', '中华老字号', '百年老店'],
  ['驰名商标', '中国驰名商标'],
  ['汤包', '灌汤包', '小笼包'],
  ['鸭脖', '鸭颈', '卤鸭'],
  ['豆皮', '三鲜豆皮'],
  ['精品', '名优产品'],
  ['地理标志', '地标产品', '地理标志产品'],
  ['武昌鱼', '团头鲂'],
  // Everyday words for what the registries call by their trade name.
  ['卷烟', '香烟'],
  ['钟表', '手表'],
  ['包点', '包子', '大包'],
  ['汽水', '碳酸饮料'],
  ['超市', '商超'],
  ['眼镜', '配镜'],
];

/** A synonyms file: an array of groups, each of at least two non-blank terms. */
const SynonymsFile = z.array(z.array(z.string().refine((t) => t.trim() !== '')).min(2));

/** A set of synonym groups (immutable), with each term's synonyms worked out once. */
export class Synonyms {
  /** The groups as configured. */
  readonly groups: readonly (readonly string[])[];
  /** Each normalised group term → the other normalised terms of the groups it belongs to. */
  private readonly others = new Map<string, string[]>();

  constructor(groups: readonly (readonly string[])[] = DEFAULT_SYNONYMS) {
    this.groups = groups.map((g) => Object.freeze([...g]));
    for (const g of this.groups) {
      const norm = g.map(normalize);
      for (const t of new Set(norm)) {
        const out = this.others.get(t) ?? [];
        for (const x of norm) if (x !== t && !out.includes(x)) out.push(x);
        this.others.set(t, out);
      }
    }
  }

  /**
   * The groups of a JSON file, or the defaults when `file` is unset; throws with a clear message
   * when the file is malformed.
   */
  static load(file: string | undefined): Synonyms {
    if (!file) return DEFAULT_SYNONYM_SET;
    const parsed = SynonymsFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`SEARCH_SYNONYMS_FILE ${file}: expected an array of arrays of at least two terms`);
    return new Synonyms(parsed.data);
  }

  /** The other terms of the groups `term` belongs to (normalised), or []. */
  of(term: string): readonly string[] {
    return this.others.get(normalize(term)) ?? [];
  }

  /** Every group term, normalised, once each. */
  terms(): string[] {
    return [...this.others.keys()];
  }
}

/** The default groups, built once (a Synonyms is immutable, so sharing it is safe). */
export const DEFAULT_SYNONYM_SET = new Synonyms(DEFAULT_SYNONYMS);
