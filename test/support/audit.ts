/**
 * Audit-chain helpers for tests: running `npm run audit:verify` as a child process on the test
 * database, and putting the shared chain back the way a test found it.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { AuditEvent, findHead, type AuditEventDoc } from '../../src/audit/index.js';
import { testContext } from './context.js';

/**
 * `npm run audit:verify` on the test database, with the runner's environment and `env` on top;
 * the default anchor file is a path that does not exist (pass --anchor to check against one).
 */
export function runVerifyWith(env: Record<string, string>, ...args: string[]) {
  const { mongo, dbName } = testContext();
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', '--db', dbName, ...args], {
    env: { ...process.env, MONGODB_URI: mongo.uri, LOG_LEVEL: 'silent', AUDIT_ANCHOR_FILE: path.join(tmpdir(), `no-anchors-${process.pid}.jsonl`), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

export const runVerify = (...args: string[]) => runVerifyWith({}, ...args);

const raw = () => AuditEvent.collection as unknown as mongoose.mongo.Collection<AuditEventDoc>;

/** The stored events from position `from` on, as they are now (to put back with restoreEvents). */
export async function eventsFrom(from: number): Promise<AuditEventDoc[]> {
  return raw()
    .find({ seq: { $gte: from } })
    .toArray();
}

/** Puts these events back exactly as they were (replacing or re-inserting each). */
export async function restoreEvents(saved: AuditEventDoc[]): Promise<void> {
  for (const e of saved) await raw().replaceOne({ _id: e._id }, e, { upsert: true });
}

/** Removes the events appended after position `seq` (a test that wrote under other keys cleans up so). */
export async function dropEventsAfter(seq: number): Promise<void> {
  await raw().deleteMany({ seq: { $gt: seq } });
}

/** The chain's head now. */
export const headNow = () => findHead(0);
