import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { MAX_SUBMISSION_FIELDS_BYTES } from '@kesher/contracts';
import { AppError } from '../../http/errors.js';
import type { IncomingFile, Params } from './intake.js';
import type { ChannelRow } from './service.js';

/** The Web Data Port's request bodies: query strings, forms, JSON, multipart; and its token. */

/** At most this many files in one submission. */
export const MAX_FILES = 5;

function flatten(value: unknown, prefix: string, out: Params): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const list = value.filter((v) => v !== null && typeof v !== 'object').map(String);
    if (list.length) out[prefix] = list;
    for (const v of value) if (v && typeof v === 'object') flatten(v, prefix, out);
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out[prefix] = String(value);
}

export function fromSearch(text: string): Params {
  const out: Params = {};
  for (const [k, v] of new URLSearchParams(text)) add(out, k, v);
  return out;
}

export function add(out: Params, key: string, value: string): void {
  if (key === '__proto__') return;
  const had = out[key];
  out[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
}

const malformed = (type: string) => new AppError('validation', 'channel.malformed_body', { type });

export function parseJson(text: string): Params {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw malformed('JSON');
  const out: Params = {};
  flatten(value, '', out);
  return out;
}

/** Compares the token in constant time (both sides hashed to one length first). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request gives: the X-Kesher-Token header, else the `token` parameter read so far. */
export function givenToken(request: FastifyRequest, params: Params): string | undefined {
  const header = request.headers['x-kesher-token'];
  if (typeof header === 'string') return header;
  const param = Object.entries(params).find(([k]) => k.toLowerCase() === 'token')?.[1];
  return Array.isArray(param) ? param[0] : param;
}

/**
 * Reads a multipart body: fields into `params`, files (size-capped per channel) into memory.
 * `authenticate` runs before the first file part is read (and throws when the token is wrong or missing).
 */
export async function readMultipart(request: FastifyRequest, row: ChannelRow, params: Params, authenticate: () => void): Promise<IncomingFile[]> {
  const cap = row.maxFileBytes;
  const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);
  const size = sizeText(cap);
  // Refuse a body that says it is too large before reading it.
  const total = MAX_FILES * cap + MAX_SUBMISSION_FIELDS_BYTES + 64 * 1024;
  if (Number(request.headers['content-length'] ?? 0) > total) {
    throw new AppError('payload_too_large', 'channel.body_too_large', { size: sizeText(total) });
  }
  const files: IncomingFile[] = [];
  let fieldBytes = 0;
  try {
    for await (const part of request.parts({ limits: { fileSize: cap } })) {
      if (part.type === 'file') {
        if (files.length === 0) {
          try {
            authenticate();
          } catch (err) {
            part.file.resume();
            throw err;
          }
        }
        if (cap === 0) {
          part.file.resume();
          throw new AppError('payload_too_large', 'channel.files_not_allowed');
        }
        const data = await part.toBuffer();
        if (data.length === 0 && !part.filename) continue; // an empty file input
        files.push({ field: part.fieldname, fileName: part.filename, contentType: part.mimetype, data });
      } else {
        if (part.valueTruncated) throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
        const value = String(part.value ?? '');
        fieldBytes += part.fieldname.length + value.length;
        if (fieldBytes > MAX_SUBMISSION_FIELDS_BYTES) throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
        add(params, part.fieldname, value);
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('payload_too_large', 'channel.file_too_large', { size });
    if (code === 'FST_FILES_LIMIT') throw new AppError('payload_too_large', 'channel.too_many_files', { count: MAX_FILES });
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
    if (err instanceof AppError) throw err;
    if ((err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500) throw malformed('multipart/form-data');
    throw err;
  }
  return files;
}

