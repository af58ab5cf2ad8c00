/**
 * Synonyms for Meilisearch, expanded at index time so that they mean exactly what they mean in
 * the embedded engine.
 *
 * Why not Meilisearch's `synonyms` setting: our queries send Han text as phrases of bigrams
 * ("热干 干面"), and Meilisearch applies no synonyms inside a phrase (nor to terms of four words
 * or more); and its q has no OR with which to send the alternatives ourselves. So every synonym
 * group term t gets a token, and a document carries t's token when it matches t or one of t's
 * synonyms — by the same rules as the embedded engine's FTS expression (query.ts
 * termExpression: Han runs as bigram phrases in name/text, one character in uni, Latin words as
 * pinyin/text prefixes or exact identifiers). A query term that belongs to a group is sent as
 * its token. Changing the groups therefore needs a reindex for Meilisearch (`npm run reindex`).
 */
import type { Searchable } from './enrich.js';
import type { Synonyms } from './synonyms.js';
import { bigrams, isCjk, normalize, runs } from './text.js';

/** Tokens are `zsyn` + 7 lower-case letters: one Latin word for any tokenizer, all the same length (no token is a prefix of another). */
export function synonymToken(term: string): string {
  // FNV-1a over the UTF-16 code units of the normalised term.
  let h = 0x811c9dc5;
  for (const c of normalize(term)) {
    for (let i = 0; i < c.length; i++) {
      h ^= c.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  let out = '';
  for (let i = 0; i < 7; i++) {
    out += String.fromCharCode(97 + (h % 26));
    h = Math.floor(h / 26);
  }
  return `zsyn${out}`;
}

const tokensOf = (column: string) => column.split(' ').filter(Boolean);

/** Whether a document's searchable fields match one run of a query, as ftsExpression's runExpression does (no typos). */
function matchesRun(f: Searchable, run: string): boolean {
  if (isCjk(run)) {
    const chars = [...run];
    if (chars.length === 1) return tokensOf(f.uni).includes(run);
    const phrase = ` ${bigrams(run).join(' ')} `;
    return ` ${f.nameGrams} `.includes(phrase) || ` ${f.textGrams} `.includes(phrase);
  }
  return tokensOf(f.pinyin).some((t) => t.startsWith(run)) || runs(f.ident).includes(run) || tokensOf(f.textGrams).some((t) => t.startsWith(run));
}

/** Whether a document matches a whole term (every run of it), as termExpression's alternatives. */
function matchesTerm(f: Searchable, term: string): boolean {
  const parts = runs(normalize(term));
  return parts.length > 0 && parts.every((r) => matchesRun(f, r));
}

/** The synonym tokens a document carries: one per group term it matches directly or through a synonym. */
export function synonymTokensOf(f: Searchable, synonyms: Synonyms): string[] {
  const out: string[] = [];
  for (const t of synonyms.terms()) {
    if (matchesTerm(f, t) || synonyms.of(t).some((s) => matchesTerm(f, s))) out.push(synonymToken(t));
  }
  return out;
}

/** The word Meilisearch gets for a query run: the run's synonym token when it belongs to a group, else null. */
export function synonymQueryToken(run: string, synonyms: Synonyms): string | null {
  return synonyms.of(run).length > 0 ? synonymToken(run) : null;
}
