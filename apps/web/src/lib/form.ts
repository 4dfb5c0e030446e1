import { useCallback, useState } from 'react';

/** `phones.1` → `phones`; `custom.birthday` stays `custom.birthday`. */
export function fieldKey(path: string): string {
  const parts = path.split(/[.[\]]/).filter(Boolean);
  if (parts[0] === 'custom' && parts[1]) return `custom.${parts[1]}`;
  return parts[0] ?? path;
}

/** Minimal controlled form state: values, per-field error messages, and a typed setter. */
export function useFormState<T extends object>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = useCallback(<K extends keyof T & string>(key: K, value: T[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => {
      if (!(key in e)) return e;
      const { [key]: _gone, ...rest } = e;
      return rest;
    });
  }, []);
  const reset = useCallback((next: T) => {
    setValues(next);
    setErrors({});
  }, []);
  return { values, set, setValues, errors, setErrors, reset };
}

/** Trimmed text, or null when empty. */
export const textOrNull = (s: string | null | undefined): string | null => {
  const v = (s ?? '').trim();
  return v === '' ? null : v;
};

/** Drops null, '' and empty arrays / objects: a body for create / complete that sends only what was filled in. */
export function compact<T extends object>(body: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v == null || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}
