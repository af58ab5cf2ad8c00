/**
 * CSRF defence for the public forms (reports, and later objections), which have no session: public
 * pages set no cookie. Two checks, as for the back office but stateless:
 *
 * - the request must come from this site (`trustedSource`: Origin, else Referer, against
 *   PUBLIC_BASE_URL; production refuses a request that names neither);
 * - the form carries a token the page signed: `<issued-at>.<HMAC(secret, form|issued-at)>`, valid
 *   from a moment after the page was served (a form sent within a second of its page was filled by
 *   a script) until a few hours later. Another site can neither read one from our page nor make one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppError } from './errors.js';
import { originOf, trustedSource } from './origin.js';

/** A token is accepted this long after its page was served… */
const MIN_AGE_MS = 1_000;
/** …and until this long after. */
const MAX_AGE_MS = 4 * 3_600_000;

const sign = (secret: string, form: string, issued: number) => createHmac('sha256', secret).update(`${form}|${issued}`).digest('base64url');

export function formToken(secret: string, form: string, now = Date.now()): string {
  return `${now}.${sign(secret, form, now)}`;
}

export type TokenVerdict = 'ok' | 'invalid' | 'expired' | 'too_fast';

export function checkFormToken(secret: string, form: string, token: unknown, now = Date.now()): TokenVerdict {
  if (typeof token !== 'string' || token.length > 100) return 'invalid';
  const [issuedText, mac] = token.split('.');
  const issued = Number(issuedText);
  if (!Number.isSafeInteger(issued) || !mac) return 'invalid';
  const want = Buffer.from(sign(secret, form, issued));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
  if (now - issued < MIN_AGE_MS) return 'too_fast';
  if (now - issued > MAX_AGE_MS) return 'expired';
  return 'ok';
}

/** The token is the `_form` field of the (urlencoded) body. */
export interface FormPostOptions {
  secret: string;
  form: string;
  publicBaseUrl: string;
  production: boolean;
  now?: number;
}

/** The verdict on a public form post: a post from another site is 'invalid' whatever its token. */
export function formPostVerdict(req: Request, o: FormPostOptions): TokenVerdict {
  const body: unknown = req.body;
  const token = body && typeof body === 'object' && '_form' in body ? body._form : undefined;
  return trustedSource(req, originOf(o.publicBaseUrl) ?? o.publicBaseUrl, o.production) ? checkFormToken(o.secret, o.form, token, o.now) : 'invalid';
}

/**
 * Checks a public form post; throws 403 (forbidden) with a message that says what to do. Forms
 * that hold what a person typed should rather re-show it for 'too_fast' and 'expired'
 * (formPostVerdict), so nothing typed is lost.
 */
export function assertFormPost(req: Request, o: FormPostOptions): void {
  const verdict = formPostVerdict(req, o);
  if (verdict === 'ok') return;
  if (verdict === 'too_fast') {
    throw new AppError('forbidden', '提交过快，请稍候再提交', { messageEn: 'That was too fast; please wait a moment and send it again' });
  }
  throw new AppError('forbidden', '页面已过期或请求来源不可信，请刷新页面后重新填写', {
    messageEn: 'The page has expired or the request came from an untrusted origin; reload the page and fill it in again',
  });
}
