/**
 * Issue #12 item 2: partial dates (partial-date.ts). A listing, recognition or issue date now has
 * its precision beside it; documents written before hold full days and no precision, which reads
 * as 'day' — so nothing is wrong without this step. It sets `'day'` explicitly, so the stored data
 * says what it means and queries on the precision (e.g. "year-only dates") need no `$exists` cases.
 *
 * One `updateMany` per collection; only documents with a date and no precision are touched, so a
 * second run finds none and changes nothing. The value is not a change of meaning
 * (absent already meant 'day'), so it writes no version, change-log entry or `updatedAt`.
 */
import mongoose from 'mongoose';
import { Certificate, DirectoryEntry, FamousMark } from '../models.js';
import { precisionPathOf } from '../partial-date.js';
import type { MigrationStep } from './step.js';

/** The models and date paths that hold a partial date. */
const TARGETS: ReadonlyArray<{ name: string; model: mongoose.Model<unknown>; path: string }> = [
  { name: 'directory', model: DirectoryEntry as unknown as mongoose.Model<unknown>, path: 'listedAt' },
  { name: 'famous', model: FamousMark as unknown as mongoose.Model<unknown>, path: 'recognition.date' },
  { name: 'certified', model: Certificate as unknown as mongoose.Model<unknown>, path: 'issuedAt' },
];

/** Sets precision 'day' where a date is stored without one; returns how many documents changed. */
export async function fillPrecision(model: mongoose.Model<unknown>, path: string, log: (line: string) => void): Promise<number> {
  const precision = precisionPathOf(path);
  const lacking = { [path]: mongoose.trusted({ $exists: true, $ne: null }), [precision]: mongoose.trusted({ $exists: false }) };
  // One statement, one pass over the collection (a batched walk by _id range would read every row
  // per batch on the local server, where only _id equality is an index look-up). A document given
  // a precision meanwhile (a form save) no longer matches and is left alone.
  // Not through the registry service: nothing changes meaning (absent already read as 'day'), so
  // there is no version, change-log entry, audit event or index update to make.
  const r = await model.updateMany(lacking, { $set: { [precision]: 'day' } }, { timestamps: false });
  log(`${path}: precision set on ${r.modifiedCount}`);
  return r.modifiedCount;
}

export const step: MigrationStep = {
  id: '2026-12-item2-partial-dates',
  describe: "store the precision ('day') beside listing, recognition and issue dates written before partial dates",
  async run(log) {
    let changed = 0;
    for (const t of TARGETS) {
      const n = await fillPrecision(t.model, t.path, log);
      log(`${t.name} ${t.path}: ${n} set to day`);
      changed += n;
    }
    return { changed };
  },
};
