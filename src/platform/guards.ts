/**
 * Small type guards for values whose shape is only known at run time: errors thrown by libraries,
 * parsed JSON, query strings. They narrow `unknown` honestly instead of asserting a type with `as`.
 */

/** A plain object-like value whose properties can be read by name. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Whether `v` is one of `values` (an enum-like list such as KINDS or ROLES). */
export function isOneOf<T extends string>(values: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && values.some((x) => x === v);
}

/** The `code` an error carries (MongoDB's 11000, Node's 'ENOENT', …), if any. */
export function errorCode(err: unknown): unknown {
  return isRecord(err) ? err.code : undefined;
}

/** The message of an Error, or of an error-like object, else ''. */
export function errorMessage(err: unknown): string {
  return isRecord(err) && typeof err.message === 'string' ? err.message : '';
}
