/**
 * Issue #12, no invented facts: the schema used to default a directory entry's `listedAt` to the
 * moment it was written, and a 老字号 listing's `rewardWan` to 0, so an import of a published list
 * that gives neither stored a listing date nobody decided and a "no reward granted" nobody stated.
 * The defaults are gone (models.ts); this step takes back the values they invented.
 *
 * - `listedAt`: a date someone gave is a day, a month or a year, always stored at 00:00 UTC (form,
 *   import and seeds alike). A default was `new Date()` at creation: a time of day, within a minute
 *   of the entry's `createdAt`. Only dates with both signs are cleared.
 * - `rewardWan: 0` is kept: the default and a typed 0 ("no reward granted") cannot be told apart,
 *   and clearing a regulator's 0 would lose a fact; only new records stop getting it unasked.
 *
 * Each clearing is a write through the registry service (a version, the change log, the audit
 * trail, the search index's year facet, `missing` → 待补充 listedAt), by `migration`. One pass per
 * collection over the few projected fields; a second run finds nothing to clear.
 */
import mongoose from 'mongoose';
import { DirectoryEntry } from '../models.js';
import { updateEntry, type EntryModel } from '../service.js';
import type { MigrationStep } from './step.js';

const BATCH = 2000;
const ACTOR = 'migration';

type Row = { _id: mongoose.Types.ObjectId; version: number; listedAt?: Date | null; createdAt?: Date };

const DAY_MS = 86_400_000;

/** True for a listing date the old default wrote: a time of day, at the entry's creation. */
export function inventedListedAt(listedAt: Date | null | undefined, createdAt: Date | null | undefined): boolean {
  if (!(listedAt instanceof Date) || !(createdAt instanceof Date)) return false;
  const t = listedAt.getTime();
  return t % DAY_MS !== 0 && Math.abs(t - createdAt.getTime()) < 60_000;
}

async function clear(
  model: EntryModel<unknown>,
  filter: Record<string, unknown>,
  projection: Record<string, 1>,
  invented: (r: Row) => Record<string, unknown> | null,
  reason: string,
  log: (line: string) => void,
): Promise<number> {
  let changed = 0;
  const ids: Array<{ id: mongoose.Types.ObjectId; version: number; changes: Record<string, unknown> }> = [];
  const cursor = (model as unknown as mongoose.Model<Row>)
    .find(filter, { ...projection, version: 1 })
    .lean<Row>()
    .cursor({ batchSize: BATCH });
  for await (const r of cursor as AsyncIterable<Row>) {
    const changes = invented(r);
    if (changes) ids.push({ id: r._id, version: r.version, changes });
  }
  // Written after the read, so the cursor never sees its own writes.
  for (const x of ids) {
    try {
      await updateEntry(model, x.id, x.version, x.changes, { actor: ACTOR, reason });
      changed++;
    } catch (err) {
      // Saved meanwhile by someone (a version conflict): their value is theirs, left alone.
      log(`${model.modelName} ${String(x.id)} left: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  log(`${model.modelName}: ${changed} of ${ids.length} cleared`);
  return changed;
}

export const step: MigrationStep = {
  id: '2026-12-item12-invented-defaults',
  describe: 'clear the listing dates the old schema default invented (they become 待补充 listedAt)',
  async run(log) {
    const listed = await clear(
      DirectoryEntry as unknown as EntryModel<unknown>,
      { listedAt: mongoose.trusted({ $exists: true, $ne: null }) },
      { listedAt: 1, createdAt: 1 },
      (r) => (inventedListedAt(r.listedAt, r.createdAt) ? { listedAt: undefined, listedAtPrecision: undefined } : null),
      '列入日期为系统默认值，非名录所载，改为待补充',
      log,
    );
    return { changed: listed };
  },
};
