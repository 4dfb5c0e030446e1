import { getCountries } from 'libphonenumber-js';
import { invalid, type FieldErrorSpec } from '../../http/errors.js';

/**
 * Where a database or a branch is: a phone region (ISO 3166 alpha-2 that libphonenumber knows:
 * every local phone of the database is read with it) and a time zone (IANA). Anything else is
 * refused before it is stored: a stored lone surrogate as region once made every local phone invalid.
 */
const REGIONS: ReadonlySet<string> = new Set(getCountries());
const ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

export const isPhoneRegion = (region: string): boolean => REGIONS.has(region);

/**
 * The IANA zone as stored, or null. Node's list has one name per zone; the other IANA names that
 * ICU knows (links such as Asia/Tel_Aviv, Etc/GMT+2) are accepted and kept as given. Offsets
 * ("+02:00") are not zones (PostgreSQL reads them with the POSIX sign, the opposite way).
 */
export function timeZone(zone: string): string | null {
  if (ZONES.has(zone)) return zone;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return null;
  }
}

/** Refuses (400, fields named) a region, country or time zone that is not one. */
export function checkPlaces(input: { defaultRegion?: string | undefined; country?: string | undefined; timezone?: string | undefined }): void {
  const fields: FieldErrorSpec[] = [];
  if (input.defaultRegion !== undefined && !isPhoneRegion(input.defaultRegion)) fields.push({ path: 'defaultRegion', code: 'invalid_region' });
  if (input.country !== undefined && !isPhoneRegion(input.country)) fields.push({ path: 'country', code: 'invalid_region' });
  if (input.timezone !== undefined && timeZone(input.timezone) === null) fields.push({ path: 'timezone', code: 'invalid_timezone' });
  if (fields.length) throw invalid(fields);
}
