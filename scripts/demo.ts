/**
 * `npm run demo`: the whole product on its embedded default. Uses MONGODB_URI when set, otherwise
 * a local `mongod` or FerretDB (built once); loads the demo data; serves http://localhost:3000
 * with the embedded search engine. Ctrl-C stops the server and the database.
 */
import path from 'node:path';
import { loadConfigOrExit } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { startLocalMongo, type LocalMongo } from '../src/platform/local-mongo.js';

const started = Date.now();
const config = loadConfigOrExit({ LOG_LEVEL: 'warn', ...process.env });
let mongo: LocalMongo | null = null;
let running: Running | null = null;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await running?.stop().catch((err) => console.error(err));
  await mongo?.stop().catch((err) => console.error(err));
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  mongo = await startLocalMongo({
    dataDir: path.join(config.DATA_DIR, 'db'),
    externalUri: config.MONGODB_URI,
    log: (line) => console.log(line),
  });
  running = await boot(config, { mongoUri: mongo.uri, dbName: config.MONGODB_URI ? undefined : 'brand_registry' });
  const report = await seedDemo();
  await running.sync.drain();
  const stats = await running.index.stats();
  console.log(`demo data: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged; ${stats.documents} entries searchable`);
  console.log(`database: ${mongo.engine}; search: ${running.index.name}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`open ${running.url}  (Ctrl-C to stop)`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  await shutdown(1);
}
