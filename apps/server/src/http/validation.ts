import type { FastifySchemaValidationError } from 'fastify';
import type { FieldErrorSpec } from './errors.js';

/** Turns zod issues (as fastify-type-provider-zod reports them) into field errors with our codes. */
export function fieldsFromValidation(validation: FastifySchemaValidationError[]): FieldErrorSpec[] {
  const out: FieldErrorSpec[] = [];
  for (const v of validation) {
    const path = v.instancePath.split('/').filter(Boolean).join('.');
    const p = (v.params ?? {}) as Record<string, unknown>;
    switch (v.keyword) {
      case 'unrecognized_keys':
        for (const key of (p.keys as string[] | undefined) ?? []) out.push({ path: path ? `${path}.${key}` : key, code: 'unknown_field' });
        break;
      case 'invalid_type':
        out.push(
          / received undefined$/.test(v.message ?? '')
            ? { path, code: 'required' }
            : { path, code: 'invalid_type', params: { expected: String(p.expected ?? '') } },
        );
        break;
      case 'too_big':
        out.push({ path, code: 'too_long', params: { max: String(p.maximum ?? '') } });
        break;
      case 'too_small':
        out.push(p.minimum === 1 && p.origin === 'string' ? { path, code: 'required' } : { path, code: 'too_short', params: { min: String(p.minimum ?? '') } });
        break;
      case 'invalid_format':
        out.push({ path, code: p.format === 'email' ? 'invalid_email' : p.format === 'date' ? 'invalid_date' : 'invalid' });
        break;
      case 'invalid_value':
        out.push({ path, code: 'invalid_option' });
        break;
      case 'invalid_union': {
        // A nullable email (or similar) failed every branch: report the most specific reason.
        const errors = (p.errors as { code: string; format?: string }[][] | undefined)?.flat() ?? [];
        const email = errors.some((e) => e.code === 'invalid_format' && e.format === 'email');
        out.push({ path, code: email ? 'invalid_email' : 'invalid' });
        break;
      }
      default:
        out.push({ path, code: 'invalid' });
    }
  }
  return out;
}
