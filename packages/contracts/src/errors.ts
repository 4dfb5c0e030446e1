import { z } from 'zod';

/** Every error the API answers has a code from this catalogue; clients translate by code. */
export const ERROR_CODES = [
  'validation',
  'not_found',
  'unauthorized',
  'forbidden',
  'csrf',
  'too_many_requests',
  'payload_too_large',
  'duplicate',
  'duplicates_not_allowed',
  'illegal_status_move',
  'mail_send_failed',
  'mail_not_configured',
  'conflict',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const fieldError = z.object({ path: z.string(), code: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldError>;

export const apiError = z.object({
  code: z.string(),
  message: z.string(),
  fields: z.array(fieldError).optional(),
});
export type ApiError = z.infer<typeof apiError>;
