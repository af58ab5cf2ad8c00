/**
 * Canonical JSON for hashing: keys sorted at every depth, dates as ISO strings, ObjectIds as hex,
 * `undefined` dropped. The same event read back from MongoDB (where BSON dates and ObjectIds come
 * back as objects) serialises to the same bytes as when it was written.
 */
import { createHash } from 'node:crypto';

function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = value as { _bsontype?: string; toHexString?: () => string };
    if (v._bsontype === 'ObjectId' && typeof v.toHexString === 'function') return v.toHexString();
    if (Array.isArray(value)) return value.map((x) => (x === undefined ? null : normalise(x)));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const x = (value as Record<string, unknown>)[k];
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
