/** `npm run seed:demo`: loads the demo data set into MONGODB_URI (idempotent). */
import { loadConfigOrExit } from '../src/config/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';

const config = loadConfigOrExit();
if (!config.MONGODB_URI) {
  console.error('config: MONGODB_URI is required (npm run demo loads the demo data into its own local database)');
  process.exit(78);
}
await connectDatabase(config.MONGODB_URI);
const r = await seedDemo();
console.log(`demo data: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged (the search index catches up via the running app's sync)`);
await disconnectDatabase();
