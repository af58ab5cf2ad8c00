/**
 * Slugs for brands an import (or a decided application) creates. A slug is assigned once, when the brand is created; a later
 * import finds the brand by its natural key (credit code + name) and never touches the slug, so
 * links stay stable across re-imports. The first choice is the name in pinyin ("cailinji"); when
 * that is taken, the last six characters of the credit code are appended (deterministic for the
 * same brand), then a counter; a brand without a credit code gets the counter at once.
 */
import { pinyin } from 'pinyin-pro';

const MAX_BASE = 60;

/** Names repeat (branches, common words): the last few thousand bases are remembered. */
const cache = new Map<string, string>();

/** The pinyin of a name as a slug base: lowercase a-z, 0-9 and single hyphens. */
export function slugBase(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const base = computeBase(name);
  if (cache.size >= 20_000) cache.clear();
  // A fresh copy of the name: the cell is a slice of a large parser chunk it would keep alive.
  cache.set(Buffer.from(name, 'utf8').toString('utf8'), base);
  return base;
}

function computeBase(name: string): string {
  const syllables = pinyin(name, { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true });
  const joined = syllables
    .map((s) =>
      s
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-'),
    )
    .join('')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, MAX_BASE)
    .replace(/-$/, '');
  return joined || 'brand';
}

/**
 * Candidate slugs in order of preference. A brand without a credit code (a published list gave its
 * name only) gets the name, then the name and a counter ("laotongcheng-2").
 */
export function* slugCandidates(name: string, creditCode: string): Generator<string> {
  const base = slugBase(name);
  yield base;
  const tail = creditCode.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!tail) {
    for (let i = 2; ; i++) yield `${base}-${i}`;
  }
  yield `${base}-${tail.slice(-6)}`;
  yield `${base}-${tail}`;
  for (let i = 2; ; i++) yield `${base}-${tail.slice(-6)}-${i}`;
}

/** The first candidate that neither the database nor this import has taken. */
export async function chooseSlug(name: string, creditCode: string, taken: (slug: string) => Promise<boolean>): Promise<string> {
  for (const s of slugCandidates(name, creditCode)) {
    if (!(await taken(s))) return s;
  }
  throw new Error('unreachable');
}
