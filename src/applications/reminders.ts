// STUB (helper H2 replaces this file): the daily pass that mails reviewers about steps nearly due.
import type { Logger } from 'pino';
import type { Mailer } from './deps.js';

export interface ReminderOptions {
  mailer: Mailer;
  logger: Logger;
  base: string;
  pollMs?: number;
}

export class WorkflowReminders {
  constructor(readonly o: ReminderOptions) {}
  start(): void {}
  async stop(): Promise<void> {}
  async runOnce(_now = new Date()): Promise<number> {
    return 0;
  }
}
