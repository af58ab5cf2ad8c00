/**
 * `npm run seed:demo`: fills in the demo data set (idempotent: what exists is left as it is, so a
 * regulator's edits survive) in MONGODB_URI, or else in the local demo database `npm run demo` uses.
 */
import { loadConfigOrExit } from '../src/config/index.js';
import { seedDemo, seedSummary } from '../src/demo/seed.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { openScriptDatabase } from './database.js';

const config = loadConfigOrExit();
const db = await openScriptDatabase(config);
await connectDatabase(db.uri, db.dbName);
const r = await seedDemo(undefined, { onProgress: (p) => console.log(p.line) });
console.log(`demo data: ${seedSummary(r)} (the search index catches up via the running app's sync)`);
await disconnectDatabase();
await db.mongo?.stop();
