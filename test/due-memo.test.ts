/**
 * The due view remembers its large groups between visits (src/admin/registries/due.ts): every
 * view still shows the exact window of its own `now`, a change applied here is counted at once,
 * and a remembered answer says when it was counted. At demo size no group is large enough to be
 * remembered, so these tests lower the threshold.
 */
import assert from 'node:assert/strict';
import * as cheerio from 'cheerio';
import { dueMemo, dueView, forgetDue } from '../src/admin/registries/due.js';
import { Trademark } from '../src/registries/models.js';
import { createEntry, updateEntry } from '../src/registries/service.js';
import { loginAs } from './support/admin.js';
import { createTestBrand } from './support/helpers.js';

const DAY = 86_400_000;

describe('the due view remembers large groups', function () {
  this.timeout(60_000);
  const saved = { ...dueMemo };

  beforeEach(() => {
    forgetDue();
    dueMemo.minSize = 1;
  });
  after(() => {
    Object.assign(dueMemo, { minSize: saved.minSize, spanMs: saved.spanMs, ttlMs: saved.ttlMs });
    forgetDue();
  });

  async function markExpiringAt(validTo: Date) {
    const { brand } = await createTestBrand({ slugPrefix: 'due-memo', name: '待办缓存测试品牌' });
    const regNo = `8${String(Date.now()).slice(-7)}${Math.floor(Math.random() * 10)}`;
    const tm = await createEntry<{ _id: unknown; version: number }>(Trademark, {
      regNo,
      brand: brand._id,
      mark: '待办缓存',
      niceClasses: [30],
      validFrom: new Date(validTo.getTime() - 3650 * DAY),
      validTo,
    });
    return { regNo, tm, id: String(tm._id) };
  }
  const marksOf = (v: Awaited<ReturnType<typeof dueView>>) => v.groups.find((g) => g.key === 'trademarks')!;
  const listed = (v: Awaited<ReturnType<typeof dueView>>, id: string) => marksOf(v).items.some((i) => i.href.endsWith(`/admin/trademarks/${id}`));

  it('when the view is opened again within the span, then it is answered from memory with the same entries, and says when it counted', async () => {
    const now = new Date();
    const { id } = await markExpiringAt(new Date(now.getTime() + 30 * DAY));
    const first = await dueView('zh', now);
    assert.ok(listed(first, id));
    assert.equal(first.countedAt, null, 'a fresh read is not a remembered count');
    const hits = dueMemo.hits;
    const again = await dueView('zh', new Date(now.getTime() + 1000));
    assert.ok(dueMemo.hits > hits, 'answered from memory');
    assert.equal(marksOf(again).count, marksOf(first).count);
    assert.ok(listed(again, id));
    assert.ok(again.countedAt instanceof Date);
    assert.match(again.countedAtText, /部分计数截至/);
  });

  it('when `now` moves within the span, then each view still cuts its exact window: a mark leaves as it expires and one beyond the horizon enters', async () => {
    const now = new Date();
    const leaving = await markExpiringAt(new Date(now.getTime() + 5_000));
    const entering = await markExpiringAt(new Date(now.getTime() + 90 * DAY + 5_000));
    const before = await dueView('zh', now);
    assert.ok(listed(before, leaving.id), 'expiring in 5 s: listed');
    assert.equal(listed(before, entering.id), false, 'beyond the horizon: not yet');
    const countBefore = marksOf(before).count;
    const hits = dueMemo.hits;
    const later = await dueView('zh', new Date(now.getTime() + 10_000));
    assert.ok(dueMemo.hits > hits, 'answered from memory');
    // Over those 10 s one mark left the window and one entered it (no other demo mark is that close to either edge).
    assert.equal(marksOf(later).count, countBefore);
    assert.equal(listed(later, leaving.id), false, 'expired 5 s ago: off the list');
    const fresh = (forgetDue(), await dueView('zh', new Date(now.getTime() + 10_000)));
    assert.equal(marksOf(fresh).count, marksOf(later).count, 'the same count as a fresh read');
    assert.deepEqual(
      marksOf(fresh).items.map((i) => i.href),
      marksOf(later).items.map((i) => i.href),
      'the same first entries as a fresh read',
    );
  });

  it('when a change to a trademark is applied here, then the next view reads again and counts it', async () => {
    const now = new Date();
    const { id, tm } = await markExpiringAt(new Date(now.getTime() + 20 * DAY));
    const before = await dueView('zh', now);
    assert.ok(listed(before, id));
    await updateEntry(Trademark, tm._id as never, tm.version, { validTo: new Date(now.getTime() + 3650 * DAY) }, { actor: 'test', reason: '续展' });
    const reads = dueMemo.reads;
    const after = await dueView('zh', new Date(now.getTime() + 1000));
    assert.ok(dueMemo.reads > reads, 'the trademark groups were read again');
    assert.equal(listed(after, id), false, 'the renewed mark is off the list');
    assert.equal(marksOf(after).count, marksOf(before).count - 1);
  });

  it('when `now` is outside the span of what was read, then the groups are read again', async () => {
    const now = new Date();
    await dueView('zh', now);
    const reads = dueMemo.reads;
    await dueView('zh', new Date(now.getTime() + dueMemo.spanMs + 1));
    assert.ok(dueMemo.reads >= reads + 6);
  });

  it('when a regulator opens /admin/due twice, then the second page names the time of its remembered counts', async () => {
    const { agent } = await loginAs('viewer');
    const first = cheerio.load((await agent.get('/admin/due')).text);
    assert.equal(first('p.hint').filter((_, el) => /部分计数截至/.test(cheerio.load(el).text())).length, 0);
    const second = cheerio.load((await agent.get('/admin/due')).text);
    assert.match(second('.adminreg').text(), /部分计数截至 \d{1,2}:\d{2}:\d{2}/);
  });
});
