/**
 * What the workflows get from boot (src/app.ts): the renderer, config, the audit trail, a way to
 * send mail (the alerts' outbox, handed in so that this feature never imports another), the
 * document store, and the rate limiters of the public forms.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { EventRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { MediaStore } from '../platform/media-store.js';
import type { Render } from '../platform/views.js';

/** A message to send once: `key` is its idempotency key (the same key is never sent twice). */
export interface WorkflowMail {
  key: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Queues the mail in the outbox (sent by the outbox's sender); false when that key was queued already. */
  send(mail: WorkflowMail): Promise<boolean>;
}

export interface WorkflowDeps {
  render: Render;
  config: Config;
  logger: Logger;
  audit: EventRecorder;
  mailer: Mailer;
  /** Applicants' and objectors' documents: outside the web root, never served by /media. */
  documents: MediaStore;
  /** Per-client limits of the public forms (registration, sign-in, objections). */
  limits: { register: RequestHandler; signIn: RequestHandler; objection: RequestHandler };
}
