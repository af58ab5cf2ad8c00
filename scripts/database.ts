/**
 * The database a command-line script works on (src/platform/local-mongo.ts scriptDatabase):
 * MONGODB_URI, which must name its database, or else the local demo stack's. Says which on
 * stderr; a URI without a database name ends the script with exit status 78 (configuration).
 */
import type { Config } from '../src/config/index.js';
import { NoDatabaseNameError, scriptDatabase, type ScriptDatabase } from '../src/platform/local-mongo.js';

export async function openScriptDatabase(config: Pick<Config, 'MONGODB_URI' | 'DATA_DIR'>, dbName?: string): Promise<ScriptDatabase> {
  try {
    const db = await scriptDatabase({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName, log: (line) => console.error(line) });
    console.error(db.description);
    return db;
  } catch (err) {
    if (!(err instanceof NoDatabaseNameError)) throw err;
    console.error(err.message);
    process.exit(78);
  }
}
