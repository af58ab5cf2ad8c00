/**
 * The migration steps, in the order they run, and the runner that records which have completed.
 *
 * A step is idempotent (step.ts), so running one twice is harmless; the runner still records each
 * completed step in the `migrations` collection, so a routine `npm run migrate` on a database that
 * is already current reads one collection and does nothing. `--again` runs every step anyway (the
 * idempotence check: the second run reports 0 changed). `npm run demo` runs pending steps before it
 * serves; `npm start` only warns about pending ones, since a deployment migrates as its own step.
 */
import mongoose from 'mongoose';
import { step as missingFields } from './item1-missing-fields.js';
import { step as partialDates } from './item2-partial-dates.js';
import { step as timeHonoredListings } from './item3-listings.js';
import { step as referenceData } from './item4-reference-data.js';
import { step as inventedDefaults } from './item12-invented-defaults.js';
import type { MigrationStep } from './step.js';

export type { MigrationStep } from './step.js';

/** Every step, oldest first. Ids never change once released. */
export const MIGRATIONS: readonly MigrationStep[] = [
  // Issue #12 (registries that take the lists as published). The listing index first: the old
  // unique index on `brand` would refuse a brand's second tier to anything that writes meanwhile.
  timeHonoredListings,
  missingFields,
  partialDates,
  referenceData,
  // After missingFields: its writes go through the registry service, which keeps `missing` itself.
  inventedDefaults,
];

interface MigrationRecord {
  _id: string;
  completedAt: Date;
  changed: number;
  seconds: number;
}

const records = () => mongoose.connection.db!.collection<MigrationRecord>('migrations');

/** The ids of the steps not yet recorded as completed. */
export async function pendingMigrations(steps: readonly MigrationStep[] = MIGRATIONS): Promise<string[]> {
  const done = new Set(
    (
      await records()
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((r) => r._id),
  );
  return steps.filter((s) => !done.has(s.id)).map((s) => s.id);
}

export interface MigrationOutcome {
  id: string;
  changed: number;
  seconds: number;
  skipped: boolean;
}

/**
 * Runs the pending steps (every step with `again`), in order, each recorded when it completes.
 * A step that throws stops the run: the steps after it wait for the next run.
 */
export async function runMigrations(
  log: (line: string) => void,
  opts: { again?: boolean; steps?: readonly MigrationStep[] } = {},
): Promise<MigrationOutcome[]> {
  const steps = opts.steps ?? MIGRATIONS;
  const pending = new Set(opts.again ? steps.map((s) => s.id) : await pendingMigrations(steps));
  const out: MigrationOutcome[] = [];
  for (const step of steps) {
    if (!pending.has(step.id)) {
      out.push({ id: step.id, changed: 0, seconds: 0, skipped: true });
      continue;
    }
    log(`${step.id}: ${step.describe}`);
    const started = Date.now();
    const { changed } = await step.run((line) => log(`  ${line}`));
    const seconds = (Date.now() - started) / 1000;
    await records().updateOne({ _id: step.id }, { $set: { completedAt: new Date(), changed, seconds } }, { upsert: true });
    log(`${step.id}: ${changed} changed in ${seconds.toFixed(1)} s`);
    out.push({ id: step.id, changed, seconds, skipped: false });
  }
  return out;
}
