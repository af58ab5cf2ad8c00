/**
 * A step that carries stored data forward to the current model (`npm run migrate`, scripts/migrate.ts).
 *
 * Every step is idempotent: run twice, the second run changes nothing and says so. A step reads and
 * writes in batches (the synthetic database holds 500,000 entries) and reports what it did.
 */
export interface MigrationStep {
  /** Stable id, recorded in the `migrations` collection once the step has completed (e.g. "2026-12-partial-dates"). */
  readonly id: string;
  /** One line for the operator, in English. */
  readonly describe: string;
  /** Does the work; returns how many documents it changed. `log` prints a progress line. */
  run(log: (line: string) => void): Promise<{ changed: number }>;
}
