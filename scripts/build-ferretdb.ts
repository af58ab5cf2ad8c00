/** `npm run build:ferretdb`: builds the local FerretDB once (CI runs it before the tests). */
import { ensureFerretDB, FERRETDB_BIN } from '../src/platform/local-mongo.js';

const started = Date.now();
ensureFerretDB((line) => console.log(line));
console.log(`FerretDB ready at ${FERRETDB_BIN} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
