/**
 * `npm run audit:verify`: walks the audit chain from its first event, recomputing every hash, and
 * names the first event that does not fit (edited, deleted or inserted after the fact).
 * Exit status: 0 intact, 1 broken, 78 bad configuration.
 *
 *   MONGODB_URI=mongodb://… npm run audit:verify [-- --db name] [-- --repair]
 *
 * --repair first appends the events of applied changes that have none yet (what the running
 * app's audit worker does on its own); it never rewrites existing events.
 */
import { parseArgs } from 'node:util';
import { auditSubscriber, verifyChain } from '../src/audit/index.js';
import { loadConfigOrExit } from '../src/config/index.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logger.js';
import { ChangeWorker } from '../src/registries/outbox.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, repair: { type: 'boolean', default: false } } });
const config = loadConfigOrExit();
if (!config.MONGODB_URI) {
  console.error('config: MONGODB_URI is required (the database whose audit trail to check)');
  process.exit(78);
}
await connectDatabase(config.MONGODB_URI, values.db);
if (values.repair) {
  const log = createLogger('warn');
  const worker = new ChangeWorker(auditSubscriber(log), log);
  const before = await worker.lag();
  await worker.drain(30 * 60_000);
  console.log(`repair: ${before} change(s) were waiting for the audit trail; all are in it now`);
}
const started = Date.now();
const report = await verifyChain((done, total) => process.stderr.write(progressLine(done, total, started, 'events')));
process.stderr.write('\n');
await disconnectDatabase();
if (report.ok) {
  console.log(`audit chain intact: ${report.events} events checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (report.unaudited)
    console.log(`note: ${report.unaudited} applied change(s) await their audit event (the app's audit worker appends them; or run with --repair)`);
  process.exit(0);
}
const b = report.broken!;
const why = {
  missing: 'an event is missing (deleted or the sequence was altered)',
  prev_hash: 'its link to the previous event does not match (an earlier event was altered or removed)',
  hash: 'its content no longer matches its hash (the event was altered)',
}[b.problem];
console.error(`audit chain BROKEN at event ${b.seq}: ${why}`);
console.error(`  expected ${b.expected}`);
console.error(`  found    ${b.found}`);
console.error(`  ${report.events} event(s) read before the break`);
process.exit(1);
