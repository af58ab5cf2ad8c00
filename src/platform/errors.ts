/**
 * Errors with stable codes. Routes and services throw AppError; the error handler turns it into
 * an HTML page or a JSON body. Anything else becomes a plain 500 whose details only reach the log.
 */

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'search_unavailable'
  | 'internal';

/** Each error code's HTTP status. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  search_unavailable: 503,
  internal: 500,
};

/** Every error code, for the API's schema and its documentation page. */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(ERROR_STATUS).filter((k): k is ErrorCode => Object.hasOwn(ERROR_STATUS, k));

export interface FieldProblem {
  field: string;
  /** Chinese message for the user. */
  message: string;
  /** English message. */
  messageEn: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { messageEn?: string; fields?: FieldProblem[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
  get fields(): FieldProblem[] {
    return this.options.fields ?? [];
  }
  get messageEn(): string {
    return this.options.messageEn ?? this.message;
  }
}

export const notFound = (what = '页面', whatEn = 'page') => new AppError('not_found', `找不到该${what}`, { messageEn: `No such ${whatEn}` });

export function validationFailed(fields: FieldProblem[]): AppError {
  const zh = fields.map((f) => `${f.field}: ${f.message}`).join('；');
  const en = fields.map((f) => `${f.field}: ${f.messageEn}`).join('; ');
  return new AppError('validation_failed', `输入有误：${zh}`, { messageEn: `Invalid input: ${en}`, fields });
}
