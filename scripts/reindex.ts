/**
 * `npm run reindex`: rebuilds the search index from MongoDB into a fresh index and swaps it in,
 * with a progress bar. With the embedded engine, run it while the app is stopped (the app also
 * rebuilds an empty index at start); with Meilisearch it runs beside live instances.
 */
import { loadConfigOrExit } from '../src/config/index.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { createSearchIndex } from '../src/search/index.js';
import { reindexAll } from '../src/search/sync.js';
import { openScriptDatabase } from './database.js';
import { progressLine } from './progress.js';

const config = loadConfigOrExit();
const db = await openScriptDatabase(config);
await connectDatabase(db.uri, db.dbName);
const index = await createSearchIndex(config);
await index.init();
const started = Date.now();
const n = await reindexAll(index, (done, total) => process.stderr.write(progressLine(done, total, started, 'entries')));
process.stderr.write('\n');
const stats = await index.stats();
console.log(`reindexed ${n} entries into ${index.name} in ${((Date.now() - started) / 1000).toFixed(1)} s; index holds ${JSON.stringify(stats.byKind)}`);
await index.close();
await disconnectDatabase();
await db.mongo?.stop();
