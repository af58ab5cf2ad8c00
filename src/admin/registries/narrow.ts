/**
 * Narrowing helpers for values read from lean documents and form bodies, whose shape the type
 * system cannot know: each checks what it claims, so no cast has to.
 */

import { isRecord } from '../../platform/guards.js';

/** A stored date (lean() gives Date objects), or undefined for anything else. */
export const dateOf = (v: unknown): Date | undefined => (v instanceof Date ? v : undefined);

/** The value at a dotted path ("recognition.date") of a document, or undefined. */
export function getPath(doc: Record<string, unknown>, name: string): unknown {
  return name.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), doc);
}

/** The protection records of a famous-mark entry as the pages show them. */
export interface RecordView {
  _id: unknown;
  date?: Date;
  kind: string;
  summary: string;
  outcome: string;
  links: string[];
  corrects: unknown;
  recordedBy: string;
  recordedAt?: Date;
}

/** A ledger entry's records, each read field by field (entries of other kinds have none). */
export function recordsOf(doc: Record<string, unknown>): RecordView[] {
  const records = doc.records;
  if (!Array.isArray(records)) return [];
  return records.filter(isRecord).map((r) => ({
    _id: r._id,
    date: dateOf(r.date),
    kind: typeof r.kind === 'string' ? r.kind : '',
    summary: typeof r.summary === 'string' ? r.summary : '',
    outcome: typeof r.outcome === 'string' ? r.outcome : '',
    links: Array.isArray(r.links) ? r.links.filter((l): l is string => typeof l === 'string') : [],
    corrects: r.corrects ?? null,
    recordedBy: typeof r.recordedBy === 'string' ? r.recordedBy : '',
    recordedAt: dateOf(r.recordedAt),
  }));
}
