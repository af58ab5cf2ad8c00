/**
 * The keys of the audit chain (docs/decisions/0012-keyed-audit-chain.md).
 *
 * Each event's hash is an HMAC-SHA256 with a secret key from the environment (AUDIT_HMAC_KEY), so
 * someone who can write to the database but does not hold the key cannot re-hash the chain after
 * editing it. Each event names its key by an id (the first 8 hex digits of the key's SHA-256, which
 * tells nothing about the key itself); keys retired by a rotation stay in AUDIT_HMAC_PREVIOUS_KEYS
 * so the events written under them still verify.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Only for development and tests; loadConfig() requires AUDIT_HMAC_KEY in production. */
export const DEVELOPMENT_AUDIT_KEY = 'development-only-audit-chain-key-not-a-secret-never-use-in-production';

export interface AuditKey {
  /** First 8 hex digits of the key's SHA-256: stored on every event, names the key without revealing it. */
  id: string;
  secret: string;
}

export interface AuditKeyring {
  /** The key new events are written with. */
  current: AuditKey;
  /** Retired keys: events written under them still verify. */
  previous: AuditKey[];
  /** The current key is the fixed development key (no AUDIT_HMAC_KEY set). */
  development: boolean;
}

export const keyIdOf = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 8);

const keyOf = (secret: string): AuditKey => ({ id: keyIdOf(secret), secret });

/** The keyring from the settings (config or the environment: the same variable names). */
export function auditKeyring(settings: { AUDIT_HMAC_KEY?: string; AUDIT_HMAC_PREVIOUS_KEYS?: string }): AuditKeyring {
  const current = keyOf(settings.AUDIT_HMAC_KEY || DEVELOPMENT_AUDIT_KEY);
  const previous = (settings.AUDIT_HMAC_PREVIOUS_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(keyOf)
    .filter((k) => k.id !== current.id);
  return { current, previous, development: !settings.AUDIT_HMAC_KEY };
}

/** The key with this id, current or previous; undefined when this process does not hold it. */
export function keyById(ring: AuditKeyring, id: string): AuditKey | undefined {
  return [ring.current, ...ring.previous].find((k) => k.id === id);
}

export function hmac(key: AuditKey, text: string): string {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

let processKeyring: AuditKeyring | null = null;

/**
 * The keyring of writers and checks that are not handed one: read once from the environment.
 * Boot and the scripts hand theirs explicitly (from the validated config); this default reads
 * the same variables, so both agree.
 */
export function defaultKeyring(): AuditKeyring {
  return (processKeyring ??= auditKeyring(process.env));
}
