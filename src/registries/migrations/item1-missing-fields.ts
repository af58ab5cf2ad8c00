/**
 * Issue #12 item 1: incomplete but honest records. Brands and entries carry `missing`, the facts
 * they lack (completeness.ts), kept by the registry service on every write. Documents written
 * before have none stored; this step computes it with the same rule, so the due view's 待补充
 * queue counts them, and creates the `missing` indexes the queue reads through.
 *
 * One pass per collection: documents are streamed (the synthetic database holds 500,000 directory
 * entries), projected to the rule's fields; those whose stored list differs from the rule's
 * (absent counting as empty) are written one by one, by _id. A second run finds every list already right and changes nothing. The list is derived
 * bookkeeping, not a change of any fact, so it writes no version, change-log entry or `updatedAt`
 * (like item2-partial-dates.ts).
 */
import mongoose from 'mongoose';
import { errorCode } from '../../platform/guards.js';
import { completeFields, missingFields, type Subject } from '../completeness.js';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored } from '../models.js';
import type { MigrationStep } from './step.js';

const BATCH = 2000;

type AnyModel = mongoose.Model<Record<string, unknown>>;
const as = (m: unknown) => m as AnyModel;

/** The collections the rule covers, by subject. */
const TARGETS: ReadonlyArray<{ subject: Subject; model: AnyModel }> = [
  { subject: 'brand', model: as(Brand) },
  { subject: 'directory', model: as(DirectoryEntry) },
  { subject: 'famous', model: as(FamousMark) },
  { subject: 'time-honored', model: as(TimeHonored) },
  { subject: 'certified', model: as(Certificate) },
];

/**
 * Whether the stored list already says what the rule says. Absent reads as empty (every query is
 * for a field that is missing), so a complete document written before needs no write: on the
 * synthetic database almost every directory entry is complete, and the step writes only the rest.
 */
const sameList = (a: unknown, b: readonly string[]) =>
  a === undefined || a === null ? b.length === 0 : Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

/** Creates the `missing` index when the collection lacks it; 1 if it did. */
async function ensureIndex(model: AnyModel, log: (line: string) => void): Promise<number> {
  let indexes: Array<{ key: Record<string, unknown> }> = [];
  try {
    indexes = (await model.collection.indexes()) as Array<{ key: Record<string, unknown> }>;
  } catch (err) {
    if (errorCode(err) !== 26) throw err; // NamespaceNotFound: created with the index below
  }
  if (indexes.some((ix) => Object.keys(ix.key).length === 1 && Number(ix.key.missing) === 1)) return 0;
  await model.collection.createIndex({ missing: 1 }, { name: 'missing_1' });
  log(`created the index missing_1 on ${model.collection.collectionName}`);
  return 1;
}

/** Brings `missing` up to date on one collection; returns how many documents changed. */
export async function fillMissing(subject: Subject, model: AnyModel, log: (line: string) => void): Promise<number> {
  // The rule's fields (a nested path's top-level object) and the stored list.
  const projection = Object.fromEntries([...new Set(completeFields(subject).map((f) => f.split('.')[0]!)), 'missing'].map((f) => [f, 1]));
  let changed = 0;
  let read = 0;
  // One pass over the collection with a cursor: a filter on a range of _id would be evaluated
  // over every row per batch on the local server, where only _id equality is an index look-up.
  const cursor = model.find({}, projection).lean<Record<string, unknown> & { _id: mongoose.Types.ObjectId }>().cursor({ batchSize: BATCH });
  for await (const d of cursor as AsyncIterable<Record<string, unknown> & { _id: mongoose.Types.ObjectId }>) {
    read++;
    if (read % (BATCH * 25) === 0) log(`${subject}: ${read} read, ${changed} changed so far`);
    const missing = missingFields(subject, d);
    if (sameList(d.missing, missing)) continue;
    // The stored list is repeated in the filter, so a document a form saved meanwhile (the service
    // wrote its list) is left alone. Few documents need a write: one look-up by _id each.
    const stored = Array.isArray(d.missing) ? { missing: d.missing as string[] } : { missing: mongoose.trusted({ $exists: false }) };
    const r = await model.updateOne({ _id: d._id, ...stored }, { $set: { missing } }, { timestamps: false });
    changed += r.modifiedCount;
  }
  return changed;
}

export const step: MigrationStep = {
  id: '2026-12-item1-missing-fields',
  describe: 'store on brands and entries the facts they lack (missing, 待补充) and index it for the due view',
  async run(log) {
    let changed = 0;
    for (const t of TARGETS) {
      changed += await ensureIndex(t.model, log);
      const n = await fillMissing(t.subject, t.model, log);
      log(`${t.subject}: missing set on ${n}`);
      changed += n;
    }
    return { changed };
  },
};
