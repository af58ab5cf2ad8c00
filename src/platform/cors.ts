/**
 * CORS for the read-only JSON API: any site's browser app may GET it (no credentials: the API has
 * none, and `*` never carries cookies). Only GET, HEAD and the OPTIONS preflight get the headers;
 * a POST or PUT under /api gets none, so a browser refuses it before it matters. Mounted on
 * /api/v1 only, never on the back office.
 */
import type { RequestHandler } from 'express';

/** Request headers a client may send (the conditional-request validators need a preflight). */
const ALLOWED_HEADERS = 'Accept, Accept-Language, Content-Language, If-None-Match, If-Modified-Since';
/** Response headers a client may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = 'ETag, Last-Modified, RateLimit, RateLimit-Policy, Retry-After, X-Request-Id';

export function readOnlyCors(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    // helmet's default (same-origin) would keep other sites' pages from embedding the answers.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '86400');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.status(204).end();
  };
}
