import { AppError } from './errors.js';

/**
 * A multipart body that cannot be read (no boundary, cut off, a broken part header): busboy and
 * @fastify/multipart throw plain errors (no status) for these, which would answer 500. One rule
 * for every multipart route: such a body is the caller's mistake, a 400.
 */
const MALFORMED = [
  /^Multipart: Boundary not found/i,
  /^Boundary required/i,
  /unexpected end of (form|multipart data)/i,
  /^Malformed part header/i,
  /^Unsupported Content-Type/i,
  /^Missing Content-Type/i,
];

export function malformedMultipart(err: unknown, contentType: unknown): AppError | null {
  if (!(err instanceof Error) || (err as { statusCode?: number }).statusCode !== undefined) return null;
  if (!String(contentType ?? '').toLowerCase().startsWith('multipart/')) return null;
  if (!MALFORMED.some((re) => re.test(err.message))) return null;
  return new AppError('validation', 'malformed_body', { type: 'multipart/form-data' });
}
