/**
 * `npm run seed:synthetic -- --count N [--start K]`: writes N synthetic directory entries
 * (brand + trademark + entry) into MONGODB_URI through the registry service's bulk path, in
 * batches, with progress. Rows that already exist are skipped, so re-running is safe. The running
 * app's sync worker indexes them (or run `npm run reindex`).
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config/index.js';
import { syntheticRow } from '../src/demo/synthetic.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { Brand, DirectoryEntry, Trademark } from '../src/registries/models.js';
import { bulkCreate } from '../src/registries/service.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({ options: { count: { type: 'string' }, start: { type: 'string', default: '0' }, batch: { type: 'string', default: '2000' } } });
const count = Number(values.count);
const start = Number(values.start);
const batchSize = Number(values.batch);
if (!Number.isInteger(count) || count < 1 || count > 5_000_000) {
  console.error('usage: npm run seed:synthetic -- --count N   (1 ≤ N ≤ 5,000,000)');
  process.exit(64);
}
const config = loadConfigOrExit();
if (!config.MONGODB_URI) {
  console.error('config: MONGODB_URI is required');
  process.exit(78);
}
await connectDatabase(config.MONGODB_URI);
const started = Date.now();
let inserted = 0;
let skipped = 0;
for (let i = start; i < start + count; i += batchSize) {
  const rows = Array.from({ length: Math.min(batchSize, start + count - i) }, (_, k) => syntheticRow(i + k));
  const b = await bulkCreate(
    Brand,
    rows.map((r) => r.brand),
  );
  await bulkCreate(
    Trademark,
    rows.map((r) => r.trademark),
  );
  await bulkCreate(
    DirectoryEntry,
    rows.map((r) => r.directory),
  );
  inserted += b.inserted;
  skipped += b.rejected.length;
  process.stderr.write(progressLine(i + rows.length - start, count, started, 'entries'));
}
process.stderr.write('\n');
console.log(`synthetic: ${inserted} inserted, ${skipped} already there, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await disconnectDatabase();
