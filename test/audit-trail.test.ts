/**
 * The audit chain's appender belongs to the audit trail boot makes (auditSubscriber), not to the
 * module: two trails in one process have their own, and the code that records events that are not
 * entry changes (accounts, imports) appends through the recorder it is handed — the trail, or a
 * script's own ChainWriter, which shares the chain with any other writer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createUser } from '../src/accounts/service.js';
import { auditSubscriber, AuditEvent, ChainWriter, verifyChain } from '../src/audit/index.js';
import { runImport } from '../src/imports/engine.js';
import { testEmail } from './support/admin.js';

/** A chain writer that counts what it appends. */
class CountingWriter extends ChainWriter {
  appended = 0;
  override append(...args: Parameters<ChainWriter['append']>): Promise<number> {
    this.appended++;
    return super.append(...args);
  }
}

const log = { warn() {} };

describe('audit trail ownership', () => {
  it('when two trails record at once, then each appends through its own writer and the chain stays one line', async () => {
    const [wa, wb] = [new CountingWriter(), new CountingWriter()];
    const [a, b] = [auditSubscriber(log, wa), auditSubscriber(log, wb)];
    const seqs = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).record({ action: 'login', actor: `trail${i}@example.gov.cn` })));
    assert.equal(new Set(seqs).size, 8);
    assert.deepEqual([wa.appended, wb.appended], [4, 4]);
    assert.equal((await verifyChain()).ok, true);
  });

  it('when the accounts service creates an account, then its event goes through the recorder it was handed', async () => {
    const writer = new CountingWriter();
    const email = testEmail('recorder');
    await createUser(auditSubscriber(log, writer), { email, role: 'viewer', name: '记录者', password: 'recorder-password-1' }, 'test-setup');
    assert.equal(writer.appended, 1);
    const event = await AuditEvent.findOne({ action: 'account_create', subject: email }).lean();
    assert.equal(event?.actor, 'test-setup');
  });

  it('when a real import runs, then its import event goes through the recorder it was handed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'audit-trail-'));
    try {
      const file = path.join(dir, 'rejected.csv');
      // One row, rejected (a district Wuhan does not have): nothing is written, but the run is audited.
      writeFileSync(file, '品牌名称,企业名称,统一社会信用代码,所属区,产业\r\n记录者品牌,,,火星区,\r\n');
      const writer = new CountingWriter();
      const summary = await runImport({ registry: 'directory', file, fileName: 'rejected.csv', dryRun: false, actor: 'test@recorder', audit: writer });
      assert.equal(summary.rejected, 1);
      assert.equal(writer.appended, 1);
      const event = await AuditEvent.findOne({ action: 'import', actor: 'test@recorder' }).lean();
      assert.equal(event?.reason, 'import rejected.csv');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("when a script's own writer records beside the app's trail, then both land in one chain", async () => {
    const script = new ChainWriter();
    const app = auditSubscriber(log);
    const seqs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? script : app).record({ action: 'account_update', actor: `side${i}@example.gov.cn` })),
    );
    assert.equal(new Set(seqs).size, 6);
    assert.equal((await verifyChain()).ok, true);
  });
});
