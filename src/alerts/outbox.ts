/**
 * The mail outbox (docs/decisions/0018-mail-outbox.md): every mail is a document in `alert_mails`
 * before anything is sent, and one sender at a time holds it.
 *
 *   queued ──claim (lease)──▶ sending ──SMTP accepted──▶ sent
 *     ▲                         │ failed: attempts < MAX → queued again after a back-off
 *     └─────────────────────────┘         attempts = MAX, or refused for good (5xx) → dead
 *
 * A claim is one findOneAndUpdate that takes a queued mail whose time has come, or a `sending`
 * mail whose lease has passed (its sender died between claiming and marking), and stamps it with
 * a fresh claim id; only that claim may mark it. So a crash anywhere loses no mail: it is sent by
 * the next claim after the lease. A crash after the SMTP server accepted a mail and before it was
 * marked sends it again — at least once, not exactly once, which no SMTP client can promise; the
 * resend carries the same Message-ID, which is how a reader (and some servers) tell it is the same.
 *
 * Without SMTP_URL the transport writes each message as an .eml file under $DATA_DIR/outbox, and
 * the back office lists the outbox (/admin/outbox), so the demo shows the double opt-in end to end.
 */
import { randomUUID, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { Mail, type MailDoc, type MailKind } from './model.js';

/** How long a claim holds a mail before another sender may take it. */
export const MAIL_LEASE_MS = 2 * 60_000;
/** Failed attempts after which a mail is dead (shown to admins, never retried by itself). */
export const MAX_ATTEMPTS = 6;
/** The first retry waits this long; each further one doubles, up to an hour. */
const BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;
/** Mails one pass sends at most (then the timer comes back at once). */
const PER_PASS = 50;

export interface MailLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** What the sender needs of a transport: nodemailer's, or the file writer. */
export interface MailTransport {
  /** "smtp" or "file". */
  readonly name: string;
  send(mail: MailDoc, from: string): Promise<{ file?: string }>;
  close(): void;
}

/** nodemailer to the SMTP server of SMTP_URL (timeouts bounded, so a stalled server is a failure). */
export function smtpTransport(smtpUrl: string): MailTransport {
  // The URL says where and how (host, port, smtps, user); the time limits are ours.
  const transporter: Transporter = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    name: 'smtp',
    async send(mail, from) {
      await transporter.sendMail(messageOf(mail, from));
      return {};
    },
    close: () => transporter.close(),
  };
}

/** nodemailer's stream transport, each message written to `dir/<key>.eml` (no SMTP_URL). */
export function fileTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'file',
    async send(mail, from) {
      const info = (await transporter.sendMail(messageOf(mail, from))) as { message: Buffer };
      await mkdir(dir, { recursive: true });
      // The key is ours (letters, digits, ":" and "-"); the file name keeps only the safe ones.
      const file = path.join(dir, `${mail._id.replace(/[^A-Za-z0-9-]/g, '_')}.eml`);
      await writeFile(file, info.message);
      return { file };
    },
    close: () => transporter.close(),
  };
}

function messageOf(mail: MailDoc, from: string) {
  return { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, headers: mail.headers };
}

/** A stable Message-ID for an idempotency key: the same mail has the same id on every attempt. */
export function messageIdOf(key: string, publicBaseUrl: string): string {
  const host = new URL(publicBaseUrl).hostname || 'localhost';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${host}>`;
}

export interface NewMail {
  key: string;
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

const isDuplicate = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;

/** Puts a mail in the outbox; false when a mail with this key is there already (nothing changes). */
export async function enqueueMail(m: NewMail, publicBaseUrl: string, now = new Date()): Promise<boolean> {
  const doc: MailDoc = {
    _id: m.key,
    kind: m.kind,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    messageId: messageIdOf(m.key, publicBaseUrl),
    headers: m.headers ?? {},
    status: 'queued',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    claim: null,
    lastError: '',
    file: null,
    createdAt: now,
    sentAt: null,
  };
  try {
    await Mail.collection.insertOne(doc as never);
    return true;
  } catch (err) {
    if (isDuplicate(err)) return false;
    throw err;
  }
}

export interface SenderOptions {
  transport: MailTransport;
  from: string;
  log: MailLog;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  /** Timer delay while mails wait or arrive from other processes (ms). */
  pollMs?: number;
}

/** A claimed mail: the document as claimed and the claim that may mark it. */
export interface Claimed {
  mail: MailDoc;
  claim: string;
}

/** A permanent refusal (SMTP 5xx): retrying will not help. */
const permanent = (err: unknown) => typeof err === 'object' && err !== null && 'responseCode' in err && Number(err.responseCode) >= 500;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

/** The outbox's worker: claims, sends, marks; boot starts one per process, several may run. */
export class MailSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;
  /** A wake-up came during a pass: run another at once. */
  private again = false;
  readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly pollMs: number;
  lastError: string | null = null;

  constructor(private readonly o: SenderOptions) {
    this.leaseMs = o.leaseMs ?? MAIL_LEASE_MS;
    this.maxAttempts = o.maxAttempts ?? MAX_ATTEMPTS;
    this.backoffMs = o.backoffMs ?? BACKOFF_MS;
    this.pollMs = o.pollMs ?? 5_000;
  }

  get transportName(): string {
    return this.o.transport.name;
  }

  /** Takes the next mail due (or one whose sender's lease has passed); null when none is. */
  async claim(now = new Date()): Promise<Claimed | null> {
    const claim = randomUUID();
    const mail = await Mail.collection.findOneAndUpdate(
      {
        $or: [
          { status: 'queued', nextAttemptAt: { $lte: now } },
          { status: 'sending', leaseUntil: { $lt: now } },
        ],
      },
      { $set: { status: 'sending', claim, leaseUntil: new Date(now.getTime() + this.leaseMs) }, $inc: { attempts: 1 } },
      { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
    );
    return mail ? { mail: mail as unknown as MailDoc, claim } : null;
  }

  /** Sends a claimed mail and marks it: sent, queued again after a back-off, or dead. */
  async deliver({ mail, claim }: Claimed): Promise<void> {
    try {
      const { file } = await this.o.transport.send(mail, this.o.from);
      const res = await Mail.collection.updateOne(
        { _id: mail._id as never, claim },
        { $set: { status: 'sent', sentAt: new Date(), leaseUntil: null, lastError: '', file: file ?? null } },
      );
      // Another sender took it after our lease ran out and may send it too: the case the
      // Message-ID is for. Said, not hidden.
      if (res.matchedCount === 0) this.o.log.warn({ mail: mail._id }, 'mail: sent after its lease had passed; it may be delivered twice (same Message-ID)');
    } catch (err) {
      const dead = permanent(err) || mail.attempts >= this.maxAttempts;
      const wait = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** Math.max(0, mail.attempts - 1));
      this.lastError = errorText(err);
      await Mail.collection.updateOne(
        { _id: mail._id as never, claim },
        {
          $set: dead
            ? { status: 'dead', leaseUntil: null, lastError: this.lastError }
            : { status: 'queued', leaseUntil: null, nextAttemptAt: new Date(Date.now() + wait), lastError: this.lastError },
        },
      );
      this.o.log.warn({ mail: mail._id, attempts: mail.attempts, dead, err }, dead ? 'mail: given up (dead letter)' : 'mail: sending failed; will retry');
    }
  }

  /** Sends what is due, up to a pass's worth; returns how many mails it handled. */
  runOnce(): Promise<number> {
    this.running ??= (async () => {
      let n = 0;
      for (; n < PER_PASS; n++) {
        const claimed = await this.claim();
        if (!claimed) break;
        await this.deliver(claimed);
      }
      return n;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** A mail was queued here: send it now rather than at the next tick. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().then(
        (n) => {
          const again = this.again;
          this.again = false;
          this.schedule(n >= PER_PASS || again ? 0 : this.pollMs);
        },
        (err: unknown) => {
          this.lastError = errorText(err);
          this.o.log.warn({ err }, 'mail: the outbox could not be read; will retry');
          this.schedule(this.pollMs * 4);
        },
      );
    }, delay);
    this.timer.unref();
  }

  /**
   * Stops the timer and waits for the pass in flight, at most `waitMs`: shutdown is bounded, and a
   * mail still being sent then is either marked by its pass or, if the process ends first, sent
   * again after its lease (the at-least-once case of docs/decisions/0018).
   */
  async stop(waitMs = 3_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([this.running.catch(() => undefined), bound]);
      clearTimeout(timer);
    }
    this.o.transport.close();
  }
}
