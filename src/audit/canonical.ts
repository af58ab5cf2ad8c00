/**
 * Canonical JSON for hashing: keys sorted at every depth, dates as ISO strings, ObjectIds as hex,
 * `undefined` dropped. The same event read back from MongoDB (where BSON dates and ObjectIds come
 * back as objects) serialises to the same bytes as when it was written.
 */
import { createHash } from 'node:crypto';

/** A BSON ObjectId of any bson version (compared by its tag, not its class). */
function isObjectId(v: object): v is { toHexString(): string } {
  return '_bsontype' in v && v._bsontype === 'ObjectId' && 'toHexString' in v && typeof v.toHexString === 'function';
}

/** Keys in the order of Array.prototype.sort's default (UTF-16 code units). */
const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    if (isObjectId(value)) return value.toHexString();
    if (Array.isArray(value)) return value.map((x: unknown) => (x === undefined ? null : normalise(x)));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value).sort(byKey)) {
      if (x !== undefined) out[k] = normalise(x);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
