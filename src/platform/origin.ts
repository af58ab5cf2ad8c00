/**
 * Where an unsafe request comes from, for the CSRF defences of the back office
 * (src/accounts/session.ts) and of the public forms (src/platform/form-token.ts).
 */
import type { Request } from 'express';

export function originOf(value: string): string | null {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/** Names of this machine: in development a request may come from the address it was opened at. */
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * Where an unsafe request comes from (Origin, else Referer) must be the configured public origin
 * (PUBLIC_BASE_URL) — never whatever the Host header claims. Browsers send Origin with every
 * POST, so a request that names no source is refused in production; development and tests (plain
 * scripts, supertest) may leave both out, and may also use the loopback address they were opened
 * at (`PORT=3631 npm run demo` opened as 127.0.0.1), which the request's own Host then names —
 * never another host name, so a rebinding DNS name cannot pass for this site.
 */
export function trustedSource(req: Request, publicOrigin: string, production: boolean): boolean {
  const origin = req.get('origin');
  const referer = req.get('referer');
  let source: string | null;
  if (origin !== undefined) source = origin === 'null' ? null : originOf(origin);
  else if (referer !== undefined) source = originOf(referer);
  else return !production;
  if (!source) return false;
  if (source === publicOrigin) return true;
  return !production && source === `${req.protocol}://${req.get('host')}` && LOOPBACK.test(new URL(source).hostname);
}

/**
 * A path on this site to send a visitor back to, from untrusted input (a `next` or `back`
 * parameter): an absolute path only — no scheme, no host, no `//` or backslash tricks, no control
 * characters — parsed and returned as pathname + search; null otherwise. Callers then decide
 * which paths they allow.
 */
export function sameSitePath(value: unknown): { pathname: string; search: string } | null {
  if (typeof value !== 'string' || value.length > 2000) return null;
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return null;
  let u: URL;
  try {
    u = new URL(value, 'http://registry.invalid');
  } catch {
    return null;
  }
  if (u.origin !== 'http://registry.invalid') return null;
  return { pathname: u.pathname, search: u.search };
}
