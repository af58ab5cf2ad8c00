/**
 * `npm run audit:verify`: walks the audit chain from its first event, recomputing every keyed hash
 * (AUDIT_HMAC_KEY, and AUDIT_HMAC_PREVIOUS_KEYS for events under retired keys), checks it against
 * the latest anchor (the head exported outside the database: the chain must hold the anchored
 * position with exactly the anchored hash, so removing the newest events is caught), and
 * cross-checks the change log (every change marked audited has its event). Prints one line
 * "intact: …" or names the first thing that does not fit (docs/decisions/0012).
 * Exit status: 0 intact, 1 broken, 78 bad configuration.
 *
 *   MONGODB_URI=mongodb://…/database npm run audit:verify [-- --db name] [-- --anchor file] [-- --repair]
 *
 * Without MONGODB_URI it checks the local stack's database (`brand_registry` under DATA_DIR/db, as
 * `npm run demo` uses). A URI that names no database is refused (with --db it may).
 * --anchor: the anchor file (default AUDIT_ANCHOR_FILE, else DATA_DIR/audit-anchors.jsonl); a
 * missing default file is reported but not a failure, a missing file given here is.
 * --repair first appends the events of applied changes that have none yet (what the running
 * app's audit worker does on its own); it never rewrites existing events.
 */
import mongoose from 'mongoose';
import { parseArgs } from 'node:util';
import { anchorFileOf, checkAnchor, latestAnchor, type Anchor } from '../src/audit/anchor.js';
import { auditKeyring, auditSubscriber, ChainWriter, verifyChain } from '../src/audit/index.js';
import { loadConfigOrExit } from '../src/config/index.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logger.js';
import { ChangeWorker } from '../src/registries/outbox.js';
import { openScriptDatabase } from './database.js';
import { progressLine } from './progress.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, anchor: { type: 'string' }, repair: { type: 'boolean', default: false } } });
const config = loadConfigOrExit();
const keys = auditKeyring(config);
if (keys.development) console.error('warning: AUDIT_HMAC_KEY is not set; checking with the fixed development key');

// MONGODB_URI (naming its database, or with --db), else the local stack `npm run demo` uses.
const { uri, dbName, mongo } = await openScriptDatabase(config, values.db);

async function finish(code: number): Promise<never> {
  await disconnectDatabase();
  await mongo?.stop();
  process.exit(code);
}

await connectDatabase(uri, dbName);
const database = mongoose.connection.name;
if (values.repair) {
  const log = createLogger('warn');
  const worker = new ChangeWorker(auditSubscriber(log, new ChainWriter(keys)), log);
  const before = await worker.lag();
  await worker.drain(30 * 60_000);
  console.log(`repair: ${before} change(s) were waiting for the audit trail; all are in it now`);
}

const anchorFile = values.anchor ?? anchorFileOf(config);
let anchor: Anchor | null;
try {
  anchor = await latestAnchor(anchorFile, database);
} catch (err) {
  console.error(`audit anchor file unreadable: ${(err as Error).message}`);
  await finish(1);
}
if (!anchor! && values.anchor) {
  console.error(`audit anchor: no anchor of database "${database}" in ${anchorFile}`);
  await finish(1);
}

const started = Date.now();
const report = await verifyChain({ keys, onProgress: (done, total) => process.stderr.write(progressLine(done, total, started, 'events')) });
process.stderr.write('\n');
const failures: string[] = [];
if (report.broken) {
  const b = report.broken;
  const why = {
    missing: 'an event is missing (deleted or the sequence was altered)',
    prev_hash: 'its link to the previous event does not match (an earlier event was altered or removed)',
    hash: 'its content no longer matches its keyed hash (the event was altered, or re-hashed without the key)',
    unknown_key: 'it names a key this check does not hold (add the retired key to AUDIT_HMAC_PREVIOUS_KEYS)',
    unkeyed: 'the chain is not (or no longer) keyed here',
    key_change: 'its key changes without a valid key_rotated or chain_rekeyed event',
    checkpoint: 'the event at the checkpoint changed',
  }[b.problem];
  failures.push(
    `audit chain BROKEN at event ${b.seq}: ${why}`,
    `  expected ${b.expected}`,
    `  found    ${b.found}`,
    `  ${report.events} event(s) read before the break`,
  );
}
const cl = report.changeLog!;
if (cl.missing || cl.mismatched) {
  failures.push(
    `audit chain INCOMPLETE: ${cl.missing} change(s) marked audited have no event, ${cl.mismatched} have an event recording something else (first: ${cl.first!.change}, ${cl.first!.problem === 'no_event' ? 'no event' : 'event does not match'})`,
  );
}
if (report.events === 0 && !report.broken) failures.push(`audit chain EMPTY: database "${database}" holds no audit events (the wrong database?)`);
let anchoredAt = '';
if (anchor!) {
  const a = anchor!;
  const res = await checkAnchor(a, keys);
  if (!res.ok) {
    failures.push(
      {
        signature: `audit anchor FORGED or under an unknown key: the latest line of ${anchorFile} (seq ${a.seq}) is not signed by a key this check holds`,
        truncated: `audit chain TRUNCATED: it was anchored at event ${a.seq} (${a.at}) but ends at event ${res.chainEnds} — the newest events were removed`,
        hash: `audit chain REWRITTEN: event ${a.seq} no longer has the hash anchored at ${a.at}`,
      }[res.problem!],
    );
  } else anchoredAt = `anchored at seq ${a.seq} (${a.at})`;
}
if (failures.length) {
  for (const f of failures) console.error(f);
  await finish(1);
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `intact: ${report.events} events checked, ${anchoredAt || `not anchored (no anchor of this database in ${anchorFile}; truncation of the newest events cannot be checked)`}; database "${database}", ${cl.checked} audited change(s) cross-checked, ${secs} s`,
);
if (report.legacy) console.log(`note: the first ${report.legacy} event(s) predate the keyed chain and were checked with the legacy SHA-256 rule`);
if (report.unaudited)
  console.log(`note: ${report.unaudited} applied change(s) await their audit event (the app's audit worker appends them; or run with --repair)`);
await finish(0);
