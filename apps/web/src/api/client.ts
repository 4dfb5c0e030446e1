import type { ApiError as ApiErrorBody, DuplicateMatch, FieldError, SmtpAnswer } from '@kesher/contracts';
import i18n, { currentLanguage } from '../i18n';

export const API = '/api/v1';

/** An error answered by the API (or a failure to reach it), with the server's localised message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];
  /** Only on 409 `duplicate`. */
  readonly matches: DuplicateMatch[];
  readonly duplicatesAllowed: boolean;
  /** Only on 422 `mail_send_failed`: the SMTP server's own answer. */
  readonly smtp: SmtpAnswer | null;
  /** The whole answer, for error bodies that carry more than the usual fields. */
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Partial<ApiErrorBody> & Record<string, unknown>) {
    super(typeof body.message === 'string' && body.message ? body.message : i18n.t('app.unexpectedError'));
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : 'internal';
    this.fields = Array.isArray(body.fields) ? body.fields : [];
    this.matches = Array.isArray(body.matches) ? (body.matches as DuplicateMatch[]) : [];
    this.duplicatesAllowed = body.duplicatesAllowed === true;
    this.smtp = body.smtp && typeof body.smtp === 'object' ? (body.smtp as SmtpAnswer) : null;
    this.body = body;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];

/** Builds `?a=1&b=x&b=y`; empty values are left out, arrays repeat the name. */
export function toQuery(params: Record<string, QueryValue>): string {
  const sp = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) sp.append(key, v);
    else sp.append(key, String(value));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

interface RequestOptions {
  body?: unknown;
  /** A multipart upload instead of JSON (the browser sets its own Content-Type). */
  form?: FormData;
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

/**
 * Every call: same-origin cookies (the session), JSON both ways, and `Accept-Language` set
 * to the UI language so the server's error messages come back in it.
 */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': currentLanguage(),
  };
  if (opts.body !== undefined && !opts.form) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API}${path}${opts.query ? toQuery(opts.query) : ''}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network', message: i18n.t('app.networkError') });
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const body = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
    throw new ApiError(res.status, body);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal) =>
    request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Record<string, QueryValue>) =>
    request<T>('POST', path, { body: body ?? {}, query }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: <T = void>(path: string) => request<T>('DELETE', path),
  /** POST one file as multipart/form-data under `field`. */
  upload: <T>(path: string, file: File, field = 'file') => {
    const form = new FormData();
    form.append(field, file, file.name);
    return request<T>('POST', path, { form });
  },
};

/** The address of an API download (report files): a plain link, so the browser downloads it with the session cookie. */
export const apiUrl = (path: string) => `${API}${path}`;

export interface ListResponse<T> {
  items: T[];
}
