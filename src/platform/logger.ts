import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, secrets and cookies redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
  });
}
