/**
 * Reminders to reviewers (issue #15 item 2): a pass (hourly by default) that mails each reviewer
 * whose duties cover steps due within two working days, or overdue — one mail a day per reviewer
 * listing them (idempotency key `workflow-reminder:<user>:<day>`), and each application at most
 * once a day (`remindedAt`). Only applications a reviewer acts on count: in review at a step, not
 * in a running notice.
 */
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { dutyHolders } from '../accounts/service.js';
import type { Mailer } from './deps.js';
import { Application, ReviewChain, type ApplicationDoc, type ReviewChainDoc } from './model.js';
import { addWorkingDays, ensureChains } from './review.js';

export interface ReminderOptions {
  mailer: Mailer;
  logger: Logger;
  /** The site's address, for links in the mail. */
  base: string;
  pollMs?: number;
}

/** "YYYY-MM-DD" in Beijing, and that day's start as an instant. */
function beijingDay(now: Date): { day: string; start: Date } {
  const bj = new Date(now.getTime() + 8 * 3600_000);
  const day = bj.toISOString().slice(0, 10);
  return { day, start: new Date(Date.parse(`${day}T00:00:00Z`) - 8 * 3600_000) };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class WorkflowReminders {
  private timer: NodeJS.Timeout | null = null;
  private first: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(readonly o: ReminderOptions) {}

  start(): void {
    this.stopped = false;
    const every = this.o.pollMs ?? 3_600_000;
    const tick = () => {
      if (this.stopped || this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.o.logger.error({ err }, 'workflow reminders: the pass failed'))
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setInterval(tick, every);
    this.timer.unref();
    this.first = setTimeout(tick, Math.min(every, 60_000));
    this.first.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.first) clearTimeout(this.first);
    this.timer = null;
    this.first = null;
    await this.running;
  }

  /** One pass; returns the number of mails queued. */
  async runOnce(now = new Date()): Promise<number> {
    await ensureChains();
    const { day, start } = beijingDay(now);
    const horizon = await addWorkingDays(now, 2);
    const due = await Application.find(
      { status: 'in_review', stepDueAt: mongoose.trusted({ $lte: horizon }), $or: [{ remindedAt: null }, { remindedAt: mongoose.trusted({ $lt: start }) }] },
      { _id: 1, kind: 1, step: 1, stepDueAt: 1, target: 1 },
    )
      .sort({ stepDueAt: 1 })
      .limit(2000)
      .lean<Array<Pick<ApplicationDoc, '_id' | 'kind' | 'step' | 'stepDueAt' | 'target'>>>();
    if (!due.length) return 0;
    const chains = new Map((await ReviewChain.find({}).lean<ReviewChainDoc[]>()).map((c) => [c._id, c]));
    const items = due.flatMap((a) => {
      const step = chains.get(a.kind)?.steps.find((s) => s.key === a.step);
      return step && a.stepDueAt ? [{ app: a, step, overdue: a.stepDueAt.getTime() < now.getTime() }] : [];
    });
    const base = this.o.base.replace(/\/$/, '');
    let sent = 0;
    const reminded = new Set<string>();
    for (const user of await dutyHolders()) {
      if (user.role === 'viewer') continue;
      const mine = items.filter((i) => user.duties.includes(i.step.duty));
      if (!mine.length) continue;
      const lines = mine.map((i) => {
        const when = new Date(i.app.stepDueAt!.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
        return {
          text: `${i.app._id}  ${i.step.nameZh}  ${i.overdue ? '已逾期' : '即将到期'} ${when}  ${base}/admin/applications/${i.app._id}`,
          html: `<li><a href="${esc(`${base}/admin/applications/${i.app._id}`)}">${esc(i.app._id)}</a> ${esc(i.step.nameZh)} — ${i.overdue ? '已逾期 overdue' : '即将到期 due soon'} ${esc(when)}</li>`,
        };
      });
      try {
        const queued = await this.o.mailer.send({
          key: `workflow-reminder:${user.id}:${day}`,
          to: user.email,
          subject: `【武汉品牌名录】${mine.length} 件申报待审核即将到期或已逾期 / ${mine.length} application(s) due`,
          text: [
            `以下申报在您职责范围内的审核环节即将到期或已逾期：`,
            '',
            ...lines.map((l) => l.text),
            '',
            `Applications at your review steps due within two working days or overdue.`,
            '',
          ].join('\n'),
          html: `<p>以下申报在您职责范围内的审核环节即将到期或已逾期：</p><ul>${lines.map((l) => l.html).join('')}</ul><p lang="en">Applications at your review steps due within two working days or overdue.</p>`,
        });
        if (queued) {
          sent++;
          for (const i of mine) reminded.add(i.app._id);
        }
      } catch (err) {
        this.o.logger.error({ err, user: user.email }, 'workflow reminders: queuing a mail failed');
      }
    }
    if (reminded.size) await Application.updateMany({ _id: mongoose.trusted({ $in: [...reminded] }) }, { $set: { remindedAt: now } });
    return sent;
  }
}
