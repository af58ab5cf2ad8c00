/**
 * `npm run migrate`: carries the stored data forward to the current model (src/registries/migrations).
 * Runs the steps not yet recorded as completed; `-- --again` runs every step (each is idempotent,
 * so a second run reports 0 changed). Works on MONGODB_URI or the local demo database.
 */
import { loadConfigOrExit } from '../src/config/index.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { runMigrations } from '../src/registries/migrations/index.js';
import { openScriptDatabase } from './database.js';

const config = loadConfigOrExit();
const again = process.argv.slice(2).includes('--again');
const db = await openScriptDatabase(config);
await connectDatabase(db.uri, db.dbName);
const started = Date.now();
const outcomes = await runMigrations((line) => console.log(line), { again });
const ran = outcomes.filter((o) => !o.skipped);
const changed = ran.reduce((n, o) => n + o.changed, 0);
console.log(
  ran.length === 0
    ? 'database is current: no migration step pending'
    : `${ran.length} step(s) run, ${changed} document(s) changed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
await disconnectDatabase();
await db.mongo?.stop();
