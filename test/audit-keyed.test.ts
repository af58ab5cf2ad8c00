/**
 * The keyed audit chain (docs/decisions/0012): an edit re-hashed without the key is caught, so is
 * removing the newest events (against the anchor) and a change marked audited without its event;
 * events under a retired key verify with AUDIT_HMAC_PREVIOUS_KEYS and fail without it; only admins
 * start the chain check, which is incremental; the anchor service writes signed lines and stops
 * without leaving a timer.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cheerio from 'cheerio';
import mongoose from 'mongoose';
import { AnchorService, anchorSignatureOk, checkAnchor, latestAnchor, signAnchor, type Anchor } from '../src/audit/anchor.js';
import { canonicalJson, sha256 } from '../src/audit/canonical.js';
import {
  AuditEvent,
  auditKeyring,
  ChainWriter,
  defaultKeyring,
  hashEvent,
  legacyHashEvent,
  seqId,
  verifyChain,
  type AuditEventDoc,
} from '../src/audit/index.js';
import { keyById } from '../src/audit/keys.js';
import { Change } from '../src/registries/changes.js';
import { loginAs } from './support/admin.js';
import { dropEventsAfter, eventsFrom, headNow, restoreEvents, runVerify, runVerifyWith } from './support/audit.js';
import { testContext } from './support/context.js';
import { createTestBrand, insertCrashedChange } from './support/helpers.js';

const raw = () => AuditEvent.collection as unknown as mongoose.mongo.Collection<AuditEventDoc>;
const KEY_A = 'a'.repeat(24) + 'first-rotation-key';
const KEY_B = 'b'.repeat(24) + 'second-rotation-key';
const silent = { info() {}, warn() {} };

/** Records `n` events through the test stack's trail; returns their positions. */
async function recordSome(n: number, actor = 'keyed@example.gov.cn'): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) seqs.push(await testContext().auditTrail.record({ action: 'login', actor }));
  return seqs;
}

/** What someone with database access but without the key does: edit an event, then re-link every later one with `rehash`. */
async function rewriteFrom(seq: number, edit: (e: AuditEventDoc) => AuditEventDoc, rehash: (e: Omit<AuditEventDoc, 'hash'>) => string, upTo = Infinity) {
  const later = (await eventsFrom(seq)).filter((e) => e.seq <= upTo).sort((a, b) => a.seq - b.seq);
  let prev = later[0]!.prevHash;
  for (const [i, original] of later.entries()) {
    const { hash: _old, ...rest } = i === 0 ? edit(original) : original;
    const e = { ...rest, prevHash: prev };
    const doc = { ...e, hash: rehash(e) };
    await raw().replaceOne({ _id: doc._id }, doc);
    prev = doc.hash;
  }
}

describe('keyed audit chain', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'audit-keyed-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when an event is edited and the rest re-hashed with plain SHA-256, a wrong key or as unkeyed events, then the check names the edited event', async () => {
    const [seq] = await recordSome(3);
    const saved = await eventsFrom(seq!);
    const forge = (e: AuditEventDoc) => ({ ...e, actor: 'forger@example.gov.cn' });
    const text = (e: Omit<AuditEventDoc, 'hash'>) => {
      const { _id, seq: s, key, keyId, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail } = e;
      return canonicalJson({ _id, seq: s, key, keyId, prevHash, at, actor, action, model, entryId, version, subject, reason, changes, detail });
    };
    const wrongKey = auditKeyring({ AUDIT_HMAC_KEY: 'not-the-key-'.repeat(4) }).current;
    try {
      await rewriteFrom(seq!, forge, (e) => sha256(text(e)));
      let report = await verifyChain();
      assert.equal(report.ok, false);
      assert.deepEqual([report.broken?.seq, report.broken?.problem], [seq, 'hash']);
      const cli = runVerify();
      assert.equal(cli.status, 1, cli.stdout + cli.stderr);
      assert.match(cli.stderr, new RegExp(`BROKEN at event ${seq}\\b`));

      await rewriteFrom(seq!, forge, (e) => hashEvent(e, wrongKey));
      report = await verifyChain();
      assert.deepEqual([report.broken?.seq, report.broken?.problem], [seq, 'hash']);

      // Passing the events off as legacy (no key id, plain SHA-256) does not work after the chain was keyed.
      await raw().updateMany({ seq: { $gte: seq! } }, { $unset: { keyId: '' } });
      await rewriteFrom(seq!, forge, (e) => sha256(text(e)));
      report = await verifyChain();
      assert.deepEqual([report.broken?.seq, report.broken?.problem], [seq, 'unkeyed']);
    } finally {
      await restoreEvents(saved);
    }
    assert.equal((await verifyChain()).ok, true);
  });

  it('when the newest events are deleted, then the chain alone still fits but the check against the anchor fails', async () => {
    await recordSome(3);
    const file = path.join(dir, 'truncate-anchors.jsonl');
    const service = new AnchorService({ file, everyMs: 60_000, log: silent });
    const anchor = await service.anchorNow();
    await service.stop();
    assert.ok(anchor);
    assert.equal((await checkAnchor(anchor)).ok, true);
    const saved = await eventsFrom(anchor.seq - 1);
    try {
      await raw().deleteMany({ seq: { $gte: anchor.seq - 1 } });
      assert.equal((await verifyChain()).ok, true, 'a shorter chain is still a valid chain: only the anchor tells');
      assert.deepEqual(await checkAnchor(anchor), { ok: false, problem: 'truncated', chainEnds: anchor.seq - 2 });
      const cli = runVerify('--anchor', file);
      assert.equal(cli.status, 1, cli.stdout + cli.stderr);
      assert.match(cli.stderr, new RegExp(`TRUNCATED: it was anchored at event ${anchor.seq} .* ends at event ${anchor.seq - 2}`));
    } finally {
      await restoreEvents(saved);
    }
    const ok = runVerify('--anchor', file);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^intact: \\d+ events checked, anchored at seq ${anchor.seq} \\(${anchor.at.replace(/[.]/g, '\\.')}\\)`));

    // The anchors of another database in the same file are not this chain's.
    appendFileSync(file, `${JSON.stringify(signAnchor({ seq: anchor.seq + 500, hash: anchor.hash }, defaultKeyring(), 'another_database'))}\n`);
    const shared = runVerify('--anchor', file);
    assert.equal(shared.status, 0, shared.stdout + shared.stderr);
    assert.match(shared.stdout, new RegExp(`anchored at seq ${anchor.seq} `));

    // A line forged in the file (not signed with the key) is refused; a missing file given explicitly fails.
    const forged: Anchor = { ...anchor, seq: anchor.seq + 1000 };
    assert.equal(anchorSignatureOk(forged, defaultKeyring()), false);
    const missing = runVerify('--anchor', path.join(dir, 'nothing-here.jsonl'));
    assert.equal(missing.status, 1);
  });

  it('when a change is marked audited but its event is missing, or its event records something else, then the check fails naming it', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'noevent', name: '缺事件品牌' });
    const id = await insertCrashedChange(directory!._id, { audited: true, indexed: true, actor: 'ghost@example.gov.cn' });
    try {
      const report = await verifyChain();
      assert.equal(report.ok, false);
      assert.equal(report.broken, undefined, 'the chain itself fits');
      assert.ok(report.changeLog!.missing >= 1);
      assert.deepEqual(report.changeLog!.first, { change: id, problem: 'no_event' });
      const cli = runVerify();
      assert.equal(cli.status, 1, cli.stdout + cli.stderr);
      assert.match(cli.stderr, new RegExp(`INCOMPLETE: .*first: ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } finally {
      await Change.deleteOne({ _id: id });
    }
    // A change whose audited event records another actor (the log edited afterwards).
    const created = `DirectoryEntry:${String(directory!._id)}:1`;
    const before = (await Change.findById(created).lean())!;
    try {
      await Change.collection.updateOne({ _id: created } as never, { $set: { actor: 'someone-else@example.gov.cn' } });
      const report = await verifyChain();
      assert.equal(report.changeLog!.mismatched, 1);
      assert.deepEqual(report.changeLog!.first, { change: created, problem: 'mismatch' });
    } finally {
      await Change.collection.updateOne({ _id: created } as never, { $set: { actor: before.actor } });
    }
    assert.equal((await verifyChain()).ok, true);
  });

  it('when the key is rotated, then a key_rotated event links the chains, and old events verify with AUDIT_HMAC_PREVIOUS_KEYS but not without', async () => {
    const start = await headNow();
    const dev = defaultKeyring().current.secret;
    const ringA = auditKeyring({ AUDIT_HMAC_KEY: KEY_A, AUDIT_HMAC_PREVIOUS_KEYS: dev });
    const ringB = auditKeyring({ AUDIT_HMAC_KEY: KEY_B, AUDIT_HMAC_PREVIOUS_KEYS: `${KEY_A},${dev}` });
    try {
      const a = await new ChainWriter(ringA).record({ action: 'login', actor: 'rotate-a@example.gov.cn' });
      assert.equal(a, start.seq + 2, 'a key_rotated event first, then the event');
      const link = (await AuditEvent.findById(seqId(start.seq + 1)).lean())!;
      assert.equal(link.action, 'key_rotated');
      assert.equal(link.prevHash, start.hash);
      assert.deepEqual([link.detail.from, link.detail.to], [defaultKeyring().current.id, ringA.current.id]);
      assert.equal(typeof link.detail.proof, 'string');
      const b = await new ChainWriter(ringB).record({ action: 'login', actor: 'rotate-b@example.gov.cn' });
      assert.equal(b, a + 2);
      assert.equal((await AuditEvent.findById(seqId(b)).lean())!.keyId, ringB.current.id);

      const report = await verifyChain({ keys: ringB });
      assert.equal(report.ok, true, JSON.stringify(report.broken));
      const withoutA = await verifyChain({ keys: auditKeyring({ AUDIT_HMAC_KEY: KEY_B, AUDIT_HMAC_PREVIOUS_KEYS: dev }) });
      assert.deepEqual([withoutA.broken?.seq, withoutA.broken?.problem], [start.seq + 1, 'unknown_key']);

      const cli = runVerifyWith({ AUDIT_HMAC_KEY: KEY_B, AUDIT_HMAC_PREVIOUS_KEYS: `${KEY_A},${dev}` });
      assert.equal(cli.status, 0, cli.stdout + cli.stderr);
      const cliWithout = runVerifyWith({ AUDIT_HMAC_KEY: KEY_B, AUDIT_HMAC_PREVIOUS_KEYS: dev });
      assert.equal(cliWithout.status, 1, cliWithout.stdout + cliWithout.stderr);
      assert.match(cliWithout.stderr, /AUDIT_HMAC_PREVIOUS_KEYS/);

      // A key change without its key_rotated event is refused, even re-hashed by someone who holds every key.
      await rewriteFrom(
        start.seq + 1,
        (e) => ({ ...e, action: 'login' }),
        (e) => hashEvent(e, keyById(ringB, e.keyId!)!),
      );
      const relabelled = await verifyChain({ keys: ringB });
      assert.deepEqual([relabelled.broken?.seq, relabelled.broken?.problem], [start.seq + 1, 'key_change']);
    } finally {
      // The stack's own trail writes under the default key: put the shared chain back as it was.
      await dropEventsAfter(start.seq);
    }
    assert.equal((await verifyChain()).ok, true);
  });

  it('when a database from before the keyed chain is upgraded, then its events verify by the legacy rule up to the chain_rekeyed marker, and only then', async function () {
    this.timeout(120_000);
    // The whole shared chain as the previous release stored it: no key ids, plain SHA-256.
    const saved = await eventsFrom(1);
    const original = await headNow();
    try {
      let prev = '0'.repeat(64);
      // One write at a time (FerretDB: a large bulkWrite of replacements does not return).
      for (const e of [...saved].sort((a, b) => a.seq - b.seq)) {
        const { hash: _h, keyId: _k, ...rest } = e;
        const doc = { ...rest, prevHash: prev } as AuditEventDoc;
        doc.hash = legacyHashEvent(doc);
        prev = doc.hash;
        await raw().replaceOne({ _id: e._id }, doc);
      }
      const unkeyed = await verifyChain();
      assert.equal(unkeyed.ok, false, 'a chain with no keyed event is not protected by any key');
      assert.equal(unkeyed.broken?.problem, 'unkeyed');
      const cliBefore = runVerify();
      assert.equal(cliBefore.status, 1, cliBefore.stdout + cliBefore.stderr);

      // The first append after the upgrade writes the marker, under the key, linked to the legacy head.
      const seq = await new ChainWriter().record({ action: 'login', actor: 'upgrade@example.gov.cn' });
      const marker = (await AuditEvent.findById(seqId(original.seq + 1)).lean())!;
      assert.equal(seq, original.seq + 2);
      assert.equal(marker.action, 'chain_rekeyed');
      assert.equal(marker.prevHash, prev);
      assert.deepEqual([marker.detail.legacyEvents, marker.detail.legacyHead], [original.seq, prev]);
      const upgraded = await verifyChain();
      assert.equal(upgraded.ok, true, JSON.stringify(upgraded.broken));
      assert.equal(upgraded.legacy, original.seq);
      const cli = runVerify();
      assert.equal(cli.status, 0, cli.stdout + cli.stderr);
      assert.match(cli.stdout, new RegExp(`note: the first ${original.seq} event\\(s\\) predate the keyed chain`));

      // The legacy prefix is frozen by the keyed marker: rewriting it consistently breaks the link to the marker.
      await rewriteFrom(5, (e) => ({ ...e, actor: 'forger@example.gov.cn' }), legacyHashEvent, original.seq);
      const rewritten = await verifyChain();
      assert.deepEqual([rewritten.broken?.seq, rewritten.broken?.problem], [original.seq + 1, 'prev_hash']);
    } finally {
      await dropEventsAfter(original.seq);
      await restoreEvents(saved);
    }
    assert.equal((await verifyChain()).ok, true);
  });

  it('when a viewer or an editor asks for the chain check, then it is refused; an admin gets it, and the second run checks only the new events', async () => {
    for (const role of ['viewer', 'editor'] as const) {
      const { agent, csrf } = await loginAs(role);
      const res = await agent
        .post('/admin/audit/verify')
        .type('form')
        .send({ _csrf: await csrf('/admin/audit') });
      assert.equal(res.status, 403, role);
    }
    const { agent, csrf } = await loginAs('admin');
    const page = await agent.get('/admin/audit');
    assert.equal(cheerio.load(page.text)('form[action$="/admin/audit/verify"]').length, 1, 'admins see the check');
    const noToken = await agent.post('/admin/audit/verify').type('form').send({ full: '1' });
    assert.equal(noToken.status, 403, 'CSRF-protected');

    const full = await agent
      .post('/admin/audit/verify')
      .type('form')
      .send({ _csrf: await csrf('/admin/audit'), full: '1' });
    assert.equal(full.status, 200);
    const fullText = cheerio.load(full.text)('#chain-check').text();
    assert.match(fullText, /哈希链完整：已校验 (\d+) 条事件/);
    const head = (await headNow()).seq;
    await recordSome(2, 'incremental@example.gov.cn');
    const second = await agent
      .post('/admin/audit/verify?lang=en')
      .type('form')
      .send({ _csrf: await csrf('/admin/audit') });
    assert.equal(second.status, 200);
    assert.match(
      cheerio.load(second.text)('#chain-check').text(),
      new RegExp(`the 2 events since the last check \\(at ${head}\\) were checked; ${head + 2} in all`),
    );

    // A checkpoint edited in the database (its signature no longer fits) is ignored: the check starts over.
    await mongoose.connection.db!.collection('audit_checkpoints').updateOne({ _id: 'verified' as never }, { $set: { seq: head + 2 + 1000 } });
    const third = await agent
      .post('/admin/audit/verify?lang=en')
      .type('form')
      .send({ _csrf: await csrf('/admin/audit') });
    assert.match(cheerio.load(third.text)('#chain-check').text(), /The chain is intact: \d+ events checked \(1 to \d+\)/);
  });

  it('when the anchor service runs, then it writes signed lines to the file and the log, and stop() leaves no timer', async () => {
    const file = path.join(dir, 'nested', 'anchors.jsonl');
    const logged: Array<{ anchor?: Anchor }> = [];
    const log = { info: (obj: object) => logged.push(obj), warn() {} };
    const service = new AnchorService({ file, everyMs: 30, log });
    const timerOf = () => (service as unknown as { timer: NodeJS.Timeout | null }).timer;
    service.start();
    assert.ok(timerOf(), 'a timer while running');
    const deadline = Date.now() + 5000;
    while (logged.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(logged.length > 0, 'the periodic anchor');
    await recordSome(1, 'anchor@example.gov.cn');
    await service.stop();
    assert.equal(timerOf(), null, 'no timer left behind');
    const linesAtStop = readFileSync(file, 'utf8');
    await recordSome(1, 'after-stop@example.gov.cn');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(readFileSync(file, 'utf8'), linesAtStop, 'nothing runs after stop()');
    const lines = linesAtStop
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Anchor);
    assert.ok(lines.length >= 2, 'a periodic anchor and the one at stop');
    const head = await headNow();
    const last = lines[lines.length - 1]!;
    assert.deepEqual([last.seq, last.hash], [head.seq - 1, (await AuditEvent.findById(seqId(head.seq - 1)).lean())!.hash], 'stop() anchors the head');
    assert.ok(lines.every((a) => anchorSignatureOk(a, defaultKeyring())));
    assert.deepEqual(logged[logged.length - 1]!.anchor, last);
    assert.deepEqual(await latestAnchor(file), last);
    assert.equal(anchorSignatureOk({ ...last, hash: '0'.repeat(64) }, defaultKeyring()), false);
    assert.equal(anchorSignatureOk(signAnchor(head, auditKeyring({ AUDIT_HMAC_KEY: KEY_A })), defaultKeyring()), false, 'an unknown key');
  });
});
