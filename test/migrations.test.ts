import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { MIGRATIONS, pendingMigrations, runMigrations, type MigrationStep } from '../src/registries/migrations/index.js';

/** A step that counts its runs and changes `changes` documents the first time only (idempotent). */
function countingStep(id: string, changes: number): MigrationStep & { runs: number } {
  let done = false;
  const step = {
    id,
    describe: `test step ${id}`,
    runs: 0,
    async run(log: (line: string) => void) {
      step.runs += 1;
      log('working');
      const changed = done ? 0 : changes;
      done = true;
      return { changed };
    },
  };
  return step;
}

describe('migrations: the runner', () => {
  const ids: string[] = [];
  const unique = (name: string) => {
    const id = `test-${name}-${new mongoose.Types.ObjectId().toHexString()}`;
    ids.push(id);
    return id;
  };
  after(() => mongoose.connection.db!.collection<{ _id: string }>('migrations').deleteMany({ _id: { $in: ids } }));

  it('runs pending steps in order, records them, and skips them on the next run', async () => {
    const a = countingStep(unique('a'), 3);
    const b = countingStep(unique('b'), 5);
    const lines: string[] = [];
    assert.deepEqual(await pendingMigrations([a, b]), [a.id, b.id]);
    const first = await runMigrations((l) => lines.push(l), { steps: [a, b] });
    assert.deepEqual(
      first.map((o) => [o.id, o.changed, o.skipped]),
      [
        [a.id, 3, false],
        [b.id, 5, false],
      ],
    );
    assert.ok(lines.indexOf(`${a.id}: test step ${a.id}`) < lines.indexOf(`${b.id}: test step ${b.id}`), lines.join('\n'));
    assert.ok(lines.includes('  working'));
    assert.deepEqual(await pendingMigrations([a, b]), []);
    const second = await runMigrations(() => {}, { steps: [a, b] });
    assert.ok(second.every((o) => o.skipped));
    assert.equal(a.runs + b.runs, 2, 'a completed step is not run again');
  });

  it('with `again` runs every step, and an idempotent step then changes nothing', async () => {
    const a = countingStep(unique('again'), 4);
    await runMigrations(() => {}, { steps: [a] });
    const again = await runMigrations(() => {}, { steps: [a], again: true });
    assert.deepEqual(
      again.map((o) => [o.changed, o.skipped]),
      [[0, false]],
    );
    assert.equal(a.runs, 2);
  });

  it('a failing step stops the run: it and the steps after it stay pending', async () => {
    const ok = countingStep(unique('ok'), 1);
    const failing: MigrationStep = {
      id: unique('fails'),
      describe: 'fails',
      run: () => Promise.reject(new Error('disk full')),
    };
    const later = countingStep(unique('later'), 1);
    await assert.rejects(
      runMigrations(() => {}, { steps: [ok, failing, later] }),
      /disk full/,
    );
    assert.deepEqual(await pendingMigrations([ok, failing, later]), [failing.id, later.id]);
    assert.equal(later.runs, 0);
  });

  it('every shipped step has a unique id and says what it does', () => {
    const seen = new Set(MIGRATIONS.map((s) => s.id));
    assert.equal(seen.size, MIGRATIONS.length);
    for (const s of MIGRATIONS) assert.ok(s.describe.length > 10, s.id);
  });
});
