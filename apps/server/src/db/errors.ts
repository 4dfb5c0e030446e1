/** The constraint of a unique-index violation (SQLSTATE 23505), on both drivers; null for any other error. */
export function uniqueViolation(err: unknown): string | null {
  const e = err as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const inner = e.cause ?? e;
  return inner.code === '23505' ? (inner.constraint ?? 'unique') : null;
}
