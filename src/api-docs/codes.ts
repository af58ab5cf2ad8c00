/** The error codes an /api/v1 answer may carry (src/platform/errors.ts ErrorCode), for the schema. */
import type { ErrorCode } from '../platform/errors.js';

const ALL: Record<ErrorCode, true> = {
  bad_request: true,
  validation_failed: true,
  unauthorized: true,
  forbidden: true,
  not_found: true,
  conflict: true,
  payload_too_large: true,
  rate_limited: true,
  search_unavailable: true,
  internal: true,
};

/** Exhaustive by construction: a new ErrorCode without an entry above fails the typecheck. */
export const ERROR_CODES: ErrorCode[] = Object.keys(ALL).filter((k): k is ErrorCode => k in ALL);
