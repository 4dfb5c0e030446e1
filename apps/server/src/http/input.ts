import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, type FieldErrorSpec } from './errors.js';

/**
 * Every string a request brings, checked once at the edge (issue 10 §6), before any route's schema
 * or rule sees it:
 * - C0 control characters other than TAB, LF and CR (NUL first: PostgreSQL cannot store it) and
 *   lone UTF-16 surrogates (they cannot be written as UTF-8: stored, they turn into U+FFFD or break
 *   the output) are refused with 400, naming the field;
 * - bidi embedding / override / isolate controls (U+202A–U+202E, U+2066–U+2069) are removed: they
 *   make a name or a file name show as something else (`‮gpj.exe` shows as `exe.jpg`), and Hebrew
 *   text needs none of them. The light marks LRM / RLM (U+200E, U+200F) stay: they only nudge the
 *   direction of neighbouring neutral characters, and Hebrew text uses them legitimately.
 * Passwords are checked but never changed (a password is compared as typed).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const SECRET_KEY = /password/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type TextProblem = 'control_character' | 'broken_character';

/** What is wrong with a string as input text, or null. */
export function textProblem(s: string): TextProblem | null {
  if (CONTROL.test(s)) return 'control_character';
  if (LONE_SURROGATE.test(s)) return 'broken_character';
  return null;
}

/** The string without bidi embedding / override / isolate controls. */
export function withoutBidiControls(s: string): string {
  return s.replace(BIDI_CONTROLS, '');
}

/**
 * Checks every string (keys too) in a parsed input: problems are collected with their paths;
 * strings are returned cleaned of bidi controls (except under a password key).
 */
export function cleanInput(value: unknown, path: string, problems: FieldErrorSpec[], secret = false): unknown {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) problems.push({ path, code: problem });
    return secret ? value : withoutBidiControls(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => cleanInput(v, join(path, String(i)), problems, secret));
  if (value && typeof value === 'object' && !opaque(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) {
        problems.push({ path: join(path, key.replace(/[^\x20-\x7e]/g, '?')), code: keyProblem });
        continue;
      }
      // defineProperty: a key named __proto__ stays a plain key, never the copy's prototype.
      Object.defineProperty(out, withoutBidiControls(key), { value: cleanInput(v, join(path, key), problems, secret || SECRET_KEY.test(key)), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** A buffer or a stream (a raw body its route reads itself) is not walked. */
const opaque = (value: object) => value instanceof Uint8Array || typeof (value as { pipe?: unknown }).pipe === 'function';

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Refuses (400, every bad field named) or cleans a request's params, query and body, in place. */
export function guardInput(request: FastifyRequest): void {
  const problems: FieldErrorSpec[] = [];
  const params = cleanInput(request.params, '', problems);
  const query = cleanInput(request.query, '', problems);
  // A buffer or a multipart stream is left to its route (cleanInput passes non-plain objects through).
  const body = cleanInput(request.body, '', problems);
  if (problems.length) throw new AppError('validation', 'validation', {}, { fields: problems });
  request.params = params;
  request.query = query;
  request.body = body;
}

/** The edge check on every route, before its schema is applied. */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => guardInput(request));
}
