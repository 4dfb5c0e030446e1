import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Phone → E.164 (`+972501234567`) in the tenant's default region; null when it is not a phone number. */
export function normalizePhone(raw: string | null | undefined, region: string): string | null {
  if (!raw) return null;
  const trimmed = raw.trim();
  if (!/\d/.test(trimmed)) return null;
  // "00" is the international prefix in Israel and most of Europe.
  const input = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(input, region as CountryCode);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** Email: trimmed and lower-cased. */
export function normalizeEmail(raw: string | null | undefined): string | null {
  const v = raw?.trim().toLowerCase();
  return v ? v : null;
}

/** ID number: digits only for Israeli IDs and company numbers (Israeli IDs padded to 9); passports upper-cased, no spaces. */
export function normalizeIdNumber(raw: string | null | undefined, idType: string | null | undefined): string | null {
  if (!raw) return null;
  if (idType === 'passport') {
    const v = raw.replace(/[\s-]/g, '').toUpperCase();
    return v || null;
  }
  const digits = raw.replace(/\D/g, '');
  if (!digits) return null;
  return idType === 'israeli_id' || (!idType && digits.length <= 9) ? digits.padStart(9, '0') : digits;
}

/** Distinct non-null values, in order. */
export function distinct(values: (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))];
}
