/**
 * E-mail alerts (issue #15 item 6): subscriptions with double opt-in (service.ts), the triggers
 * that read the change log and the daily passes (triggers.ts), and the mail outbox with its
 * sender (outbox.ts). Boot makes one `Alerts`, starts it after the change-log workers and stops
 * it before them; an app built without one (tests) makes its own, which nobody starts.
 */
import path from 'node:path';
import type { Config } from '../config/index.js';
import { alertSecret } from './mail.js';
import { enqueueMail, fileTransport, MailSender, smtpTransport, type MailLog, type MailTransport } from './outbox.js';
import { AlertProducer } from './triggers.js';

export { SUBSCRIPTION_EXPIRY } from './model.js';

/** Where messages go without SMTP_URL. */
export const outboxDir = (config: Pick<Config, 'DATA_DIR'>) => path.resolve(config.DATA_DIR, 'outbox');

export interface AlertsOptions {
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'DATA_DIR' | 'PUBLIC_BASE_URL' | 'SESSION_SECRET'>;
  log: MailLog;
  /** Another transport (tests). */
  transport?: MailTransport;
  settleMs?: number;
  pollMs?: number;
  leaseMs?: number;
  backoffMs?: number;
  maxAttempts?: number;
}

export class Alerts {
  readonly sender: MailSender;
  readonly producer: AlertProducer;
  readonly secret: string;
  readonly base: string;
  /** Whether messages are written to a folder (no SMTP_URL) rather than sent. */
  readonly toFolder: boolean;
  readonly folder: string;

  constructor(o: AlertsOptions) {
    this.secret = alertSecret(o.config);
    this.base = o.config.PUBLIC_BASE_URL;
    this.folder = outboxDir(o.config);
    this.toFolder = !o.transport && !o.config.SMTP_URL;
    const transport = o.transport ?? (o.config.SMTP_URL ? smtpTransport(o.config.SMTP_URL) : fileTransport(this.folder));
    this.sender = new MailSender({
      transport,
      from: o.config.MAIL_FROM,
      log: o.log,
      leaseMs: o.leaseMs,
      backoffMs: o.backoffMs,
      maxAttempts: o.maxAttempts,
      pollMs: o.pollMs,
    });
    this.producer = new AlertProducer({
      base: this.base,
      secret: this.secret,
      log: o.log,
      settleMs: o.settleMs,
      pollMs: o.pollMs,
      onQueued: () => this.sender.wake(),
    });
  }

  /** A mail was queued by a request (a confirmation): send it now. */
  queued(): void {
    this.sender.wake();
  }

  /**
   * Queues another feature's message (handed to it by boot as a function, never imported) and
   * wakes the sender: sent once through the same outbox, whatever crashes in between.
   */
  async send(m: { key: string; to: string; subject: string; text: string; html: string }): Promise<boolean> {
    const queued = await enqueueMail({ ...m, kind: 'workflow' }, this.base);
    if (queued) this.sender.wake();
    return queued;
  }

  async start(): Promise<void> {
    await this.producer.start();
    this.sender.start();
  }

  /** Producer first (it queues mails), then the sender; each finishes the pass in flight. */
  async stop(): Promise<void> {
    await this.producer.stop();
    await this.sender.stop();
  }
}
