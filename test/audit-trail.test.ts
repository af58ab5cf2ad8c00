/**
 * The audit chain's appender belongs to the audit trail boot makes (auditSubscriber), not to the
 * module: two trails in one process have their own, and recordEvent() appends through the trail
 * boot installed (recordEventsThrough) while it is installed.
 */
import assert from 'node:assert/strict';
import { auditSubscriber, ChainWriter, recordEvent, recordEventsThrough, verifyChain } from '../src/audit/index.js';

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

  it('when a trail is installed for recordEvent, then events go through its writer until it is removed', async () => {
    const writer = new CountingWriter();
    const undo = recordEventsThrough(auditSubscriber(log, writer));
    try {
      await recordEvent({ action: 'login', actor: 'installed@example.gov.cn' });
      assert.equal(writer.appended, 1);
    } finally {
      undo();
    }
    await recordEvent({ action: 'logout', actor: 'installed@example.gov.cn' });
    assert.equal(writer.appended, 1, 'removed: the next event went elsewhere');
  });
});
