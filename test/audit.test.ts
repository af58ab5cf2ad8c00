/**
 * The audit trail: every kind of change leaves an event with who, when, which entry, field-level
 * before/after and the reason; the events form a hash chain that concurrent writers never fork and
 * `npm run audit:verify` checks; a change saved by a writer that crashed before auditing it is
 * repaired by the sync.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { AuditEvent, ChainWriter, historyOf, seqId, verifyChain } from '../src/audit/index.js';
import { Change, CHANGE_LEASE_MS, changeId } from '../src/registries/changes.js';
import { FamousMark } from '../src/registries/models.js';
import { appendProtectionRecord, changeStatus, createEntry, updateEntry } from '../src/registries/service.js';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { loginAs } from './support/admin.js';
import { runVerify } from './support/audit.js';
import { testContext } from './support/context.js';
import { createTestBrand, DirectoryEntry, insertCrashedChange } from './support/helpers.js';

const eventOf = (model: string, id: unknown, version: number) => AuditEvent.findOne({ key: `change:${changeId(model, id, version)}` }).lean();

describe('audit trail', () => {
  it('when an entry is created, edited and its status changed, then each leaves an event with actor, reason and field before/after', async () => {
    const { brand, directory } = await createTestBrand({ slugPrefix: 'audit', name: '审计甲品牌' });
    const created = await eventOf('DirectoryEntry', directory!._id, 1);
    assert.equal(created?.action, 'create');
    assert.ok(created!.changes.some((c) => c.field === 'status' && c.after === '在册' && c.before === null));

    await updateEntry(DirectoryEntry, directory!._id as never, 1, { advantage: true }, { actor: 'zhang@example.gov.cn', reason: '列入优势商标' });
    const edited = await eventOf('DirectoryEntry', directory!._id, 2);
    assert.equal(edited?.action, 'update');
    assert.equal(edited!.actor, 'zhang@example.gov.cn');
    assert.equal(edited!.reason, '列入优势商标');
    assert.deepEqual(edited!.changes, [{ field: 'advantage', before: false, after: true }]);

    await changeStatus(DirectoryEntry, directory!._id as never, 2, '暂停', '商标权属争议，暂停展示', { actor: 'li@example.gov.cn' });
    const status = await eventOf('DirectoryEntry', directory!._id, 3);
    assert.equal(status?.action, 'status');
    assert.equal(status!.reason, '商标权属争议，暂停展示');
    assert.deepEqual(
      status!.changes.find((c) => c.field === 'status'),
      { field: 'status', before: '在册', after: '暂停' },
    );

    const history = await historyOf('DirectoryEntry', String(directory!._id));
    assert.deepEqual(
      history.map((h) => h.action),
      ['status', 'update', 'create'],
      'newest first',
    );
    assert.equal(history[0]!.actor, 'li@example.gov.cn');
    assert.ok(brand.slug);
  });

  it('when a status change comes without a reason, then it is refused and nothing is written', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'noreason', name: '无理由品牌' });
    await assert.rejects(
      () => changeStatus(DirectoryEntry, directory!._id as never, 1, '移出', '  '),
      (err: { code?: string; fields?: Array<{ field: string }> }) => err.code === 'validation_failed' && err.fields![0]!.field === 'statusReason',
    );
    await assert.rejects(
      () => updateEntry(DirectoryEntry, directory!._id as never, 1, { status: '移出' }, { actor: 'x' }),
      (err: { code?: string }) => err.code === 'validation_failed',
      'the same rule holds for a plain update',
    );
    const after = await DirectoryEntry.findById(directory!._id).lean();
    assert.equal(after!.status, '在册');
    assert.equal(after!.version, 1);
    assert.equal(await Change.countDocuments({ _id: changeId('DirectoryEntry', directory!._id, 2) }), 0);
  });

  it('when protection records are appended, then they are audited and can never be edited in place', async () => {
    const { brand } = await createTestBrand({ slugPrefix: 'ledger', name: '台账测试品牌', directory: false });
    const famous = await createEntry<{ _id: mongoose.Types.ObjectId }>(
      FamousMark,
      {
        brand: brand._id,
        trademarkRegNo: `T${Date.now().toString().slice(-9)}`,
        status: '重点保护',
        recognition: { date: new Date('2015-03-01'), authority: '国家知识产权局', documentNo: '商标驰字[2015]1号', route: '行政认定' },
      },
      { actor: 'wang@example.gov.cn' },
    );
    const v2 = await appendProtectionRecord<{ records: Array<{ _id: mongoose.Types.ObjectId }>; version: number }>(
      famous._id,
      1,
      { date: '2026-05-01', kind: '侵权案件', summary: '查处仿冒商标案件一起', outcome: '罚款2万元' },
      { actor: 'wang@example.gov.cn' },
    );
    assert.equal(v2.records.length, 1);
    const v3 = await appendProtectionRecord<{ records: Array<{ _id: mongoose.Types.ObjectId; corrects: unknown }>; version: number }>(
      famous._id,
      2,
      { date: '2026-05-02', kind: '侵权案件', summary: '更正：罚款金额为3万元', corrects: String(v2.records[0]!._id) },
      { actor: 'wang@example.gov.cn' },
    );
    assert.equal(v3.records.length, 2);
    assert.equal(String(v3.records[1]!.corrects), String(v2.records[0]!._id));
    const event = await eventOf('FamousMark', famous._id, 3);
    assert.equal(event?.action, 'record');
    assert.equal((event!.changes[0]!.after as { summary: string }).summary, '更正：罚款金额为3万元');
    await assert.rejects(
      () => updateEntry(FamousMark, famous._id, 3, { records: [] }, { actor: 'x' }),
      (err: { code?: string; fields?: Array<{ field: string }> }) => err.code === 'validation_failed' && err.fields![0]!.field === 'records',
    );
    assert.equal((await FamousMark.findById(famous._id).lean())!.records.length, 2);
  });

  it('when several writers (as in several app instances) append at once, then the chain stays one unbroken line', async () => {
    const before = await AuditEvent.countDocuments();
    const writers = [new ChainWriter(), new ChainWriter(), new ChainWriter()];
    const stamp = Date.now();
    const body = (i: number) => ({
      key: `event:concurrency-${stamp}-${i}`,
      at: new Date(),
      actor: `user${i}@example.gov.cn`,
      action: 'login',
      model: null,
      entryId: null,
      version: null,
      subject: null,
      reason: '',
      changes: [],
      detail: {},
    });
    const seqs = await Promise.all(Array.from({ length: 18 }, (_, i) => writers[i % 3]!.append(body(i))));
    assert.equal(new Set(seqs).size, 18, 'every event got its own position');
    // A repeated append of the same event adds nothing.
    assert.equal(await writers[1]!.append(body(0)), seqs[0]);
    const report = await verifyChain();
    assert.equal(report.ok, true, JSON.stringify(report.broken));
    assert.ok(report.events >= before + 18);
    const ours = await AuditEvent.find({ actor: mongoose.trusted({ $regex: `^user\\d+@example\\.gov\\.cn$` }) })
      .select('key seq')
      .lean();
    const keys = new Set(Array.from({ length: 18 }, (_, i) => body(i).key));
    assert.equal(ours.filter((e) => keys.has(e.key)).length, 18, 'each event once');
  });

  it('when an event is altered after the fact, then audit:verify names it and fails; restored, it passes', async () => {
    const { auditTrail } = testContext();
    const seq = await auditTrail.record({ action: 'login', actor: 'honest@example.gov.cn' });
    await auditTrail.record({ action: 'logout', actor: 'honest@example.gov.cn' });
    const ok = runVerify();
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /^intact: \d+ events checked, not anchored/);

    await AuditEvent.collection.updateOne({ _id: seqId(seq) } as never, { $set: { actor: 'someone-else@example.gov.cn' } });
    try {
      const broken = runVerify();
      assert.equal(broken.status, 1, broken.stdout);
      assert.match(broken.stderr, new RegExp(`BROKEN at event ${seq}\\b`));
      const report = await verifyChain();
      assert.equal(report.broken?.seq, seq);
      assert.equal(report.broken?.problem, 'hash');
    } finally {
      await AuditEvent.collection.updateOne({ _id: seqId(seq) } as never, { $set: { actor: 'honest@example.gov.cn' } });
    }
    assert.equal((await verifyChain()).ok, true);
  });

  it('when a writer saved a change but crashed before auditing it, then the audit worker appends the missing event', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'crashaudit', name: '审计断电品牌' });
    await testContext().sync.drain();
    // The crash: change claimed and applied to the entry, but no audit event and not indexed.
    const id = await insertCrashedChange(directory!._id, { actor: 'crash@example.gov.cn', reason: '断电前' });
    await DirectoryEntry.collection.updateOne({ _id: directory!._id }, { $set: { advantage: true, version: 2 } });
    assert.equal(await AuditEvent.countDocuments({ key: `change:${id}` }), 0);
    await testContext().audit.drain();
    const event = await AuditEvent.findOne({ key: `change:${id}` }).lean();
    assert.equal(event?.actor, 'crash@example.gov.cn');
    assert.deepEqual(event!.changes, [{ field: 'advantage', before: false, after: true }]);
    assert.equal((await Change.findById(id).lean())!.audited, true);
  });

  it('when a claimed change is rolled forward after its writer died, then it is audited once', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'rollaudit', name: '审计续写品牌' });
    await testContext().sync.drain();
    const at = new Date(Date.now() - CHANGE_LEASE_MS - 1000);
    const id = await insertCrashedChange(directory!._id, { actor: 'gone@example.gov.cn', at, status: 'pending', appliedAt: null });
    await testContext().sync.drain();
    await testContext().sync.drain();
    assert.equal(await AuditEvent.countDocuments({ key: `change:${id}` }), 1);
    assert.equal((await verifyChain()).ok, true);
  });

  it('when a viewer opens the audit page, then recent events show with their changes, and no chain check is offered', async () => {
    const { directory } = await createTestBrand({ slugPrefix: 'auditpage', name: '审计页面品牌' });
    await changeStatus(DirectoryEntry, directory!._id as never, 1, '暂停', '页面展示测试原因', { actor: 'page@example.gov.cn' });
    const { agent } = await loginAs('viewer');
    const res = await agent.get('/admin/audit?action=status&actor=page@example.gov.cn');
    assert.equal(res.status, 200);
    const $ = cheerio.load(res.text);
    const row = $('.audit-table tbody tr').first();
    assert.match(row.text(), /page@example\.gov\.cn/);
    assert.match(row.text(), /页面展示测试原因/);
    assert.match(row.text(), /在册\s*→\s*暂停/);
    assert.equal($('form[action$="/admin/audit/verify"]').length, 0, 'the chain check is for admins only');
    const anonymous = await request(testContext().app).get('/admin/audit');
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.location ?? '', /^\/admin\/login/);
    const bad = await agent.get('/admin/audit?action=drop_everything');
    assert.equal(bad.status, 400);
  });
});
