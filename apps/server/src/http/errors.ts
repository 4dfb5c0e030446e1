import type { ErrorCode, FieldError } from '@kesher/contracts';
import { translate, type MessageKey } from './messages.js';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  duplicate: 409,
  conflict: 409,
  payload_too_large: 413,
  duplicates_not_allowed: 422,
  illegal_status_move: 422,
  mail_send_failed: 422,
  mail_not_configured: 422,
  too_many_requests: 429,
  internal: 500,
};

/**
 * The one error type of the product: a code from the catalogue, its HTTP status, and a message
 * key translated to the caller's language when the reply is written.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly key: MessageKey,
    readonly params: Record<string, string | number> = {},
    readonly extra: { fields?: FieldErrorSpec[]; body?: Record<string, unknown> } = {},
  ) {
    super(translate('en', key, params));
    this.status = STATUS[code];
  }
}

/** A field error before translation. */
export interface FieldErrorSpec {
  path: string;
  code: string;
  params?: Record<string, string | number>;
}

export function localizeFields(lang: string, fields: FieldErrorSpec[]): FieldError[] {
  return fields.map((f) => ({ path: f.path, code: f.code, message: translate(lang, `field.${f.code}` as MessageKey, f.params ?? {}) }));
}

export const notFound = (what: 'customer' | 'contact' | 'branch' | 'user' | 'custom_field' | 'group' | 'api_key' | 'interaction' | 'broker') =>
  new AppError('not_found', `not_found.${what}`);

export const invalid = (fields: FieldErrorSpec[]) => new AppError('validation', 'validation', {}, { fields });
