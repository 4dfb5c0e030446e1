import { isEmail, isValidIsraeliId, type Customer, type CustomerFields, type CustomFieldDefinition } from '@kesher/contracts';
import type { FieldErrorSpec } from '../../http/errors.js';
import { checkCustomValues } from '../custom-fields/service.js';
import type { customers } from './tables.js';
import { distinct, normalizeEmail, normalizeIdNumber, normalizePhone } from './normalize.js';

export type CustomerRow = typeof customers.$inferSelect;
export type CustomerValues = Partial<typeof customers.$inferInsert>;

/** The card as the API shows it. */
export function presentCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    customerNumber: Number(row.customerNumber),
    status: row.status as Customer['status'],
    fullName: fullName(row.firstName, row.lastName),
    lastName: row.lastName,
    firstName: row.firstName,
    middleName: row.middleName,
    branchId: row.branchId,
    idType: row.idType as Customer['idType'],
    idCountry: row.idCountry,
    idNumber: row.idNumber,
    phone: row.phone,
    phones: row.phones,
    email: row.email,
    emails: row.emails,
    address: row.address,
    city: row.city,
    zip: row.zip,
    country: row.country,
    mailingAddress: row.mailingAddress,
    mailingCity: row.mailingCity,
    mailingZip: row.mailingZip,
    mailingCountry: row.mailingCountry,
    latitude: row.latitude,
    longitude: row.longitude,
    language: row.language,
    parentId: row.parentId,
    brokerName: row.brokerName,
    brokerAccount: row.brokerAccount,
    websiteLastToken: row.websiteLastToken as Customer['websiteLastToken'],
    custom: row.custom as Customer['custom'],
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Full name = first + last, as the card's header shows it. */
export const fullName = (first: string | null, last: string | null): string => [first, last].filter(Boolean).join(' ');

/** Fields whose names match a column one to one. */
const PLAIN_FIELDS = [
  'lastName', 'firstName', 'middleName', 'branchId', 'idType', 'idCountry', 'idNumber', 'phone', 'phones', 'email', 'emails',
  'address', 'city', 'zip', 'country', 'mailingAddress', 'mailingCity', 'mailingZip', 'mailingCountry',
  'latitude', 'longitude', 'language', 'parentId', 'brokerName', 'brokerAccount',
] as const satisfies readonly (keyof CustomerFields & keyof CustomerValues)[];

/**
 * Checks card fields that zod cannot judge alone (phones in the tenant's region, the Israeli ID
 * check digit, company numbers) and turns input into column values, normalised keys included.
 * `merged` is the card as it will be after the change, so keys are recomputed from the whole.
 */
export function cardValues(input: CustomerFields, current: CustomerRow | null, region: string) {
  const errors: FieldErrorSpec[] = [];
  const values: CustomerValues = {};
  for (const key of PLAIN_FIELDS) {
    const v = input[key];
    if (v !== undefined) (values as Record<string, unknown>)[key] = typeof v === 'string' && v === '' ? null : v;
  }
  const merged = { ...(current ?? {}), ...values } as CustomerRow;
  if (!merged.lastName && !merged.firstName && !merged.phone && !merged.email && !merged.idNumber) {
    errors.push({ path: 'lastName', code: 'name_or_contact_required' });
  }
  if (values.email && !isEmail(values.email)) errors.push({ path: 'email', code: 'invalid_email' });
  values.emails?.forEach((e, i) => {
    if (!isEmail(e)) errors.push({ path: `emails.${i}`, code: 'invalid_email' });
  });

  const phoneNorm = normalizePhone(merged.phone, region);
  if (values.phone && !phoneNorm) errors.push({ path: 'phone', code: 'invalid_phone' });
  const otherPhones = (values.phones ?? []).map((p, i) => {
    const n = normalizePhone(p, region);
    if (!n) errors.push({ path: `phones.${i}`, code: 'invalid_phone' });
    return n;
  });
  if (values.phones === undefined && current) otherPhones.push(...current.phones.map((p) => normalizePhone(p, region)));

  if (values.idNumber && merged.idType === 'israeli_id' && !isValidIsraeliId(values.idNumber)) {
    errors.push({ path: 'idNumber', code: 'invalid_israeli_id' });
  }
  if (values.idNumber && merged.idType === 'company' && (merged.idCountry ?? 'IL') === 'IL' && !/^\d{8,9}$/.test(values.idNumber.replace(/[\s-]/g, ''))) {
    errors.push({ path: 'idNumber', code: 'invalid_company_number' });
  }
  if (values.idType === 'israeli_id' && !values.idCountry && !merged.idCountry) values.idCountry = 'IL';

  values.phonesNorm = distinct([phoneNorm, ...otherPhones]);
  values.emailsNorm = distinct([normalizeEmail(merged.email), ...(merged.emails ?? []).map(normalizeEmail)]);
  values.idNumberNorm = normalizeIdNumber(merged.idNumber, merged.idType);
  return { values, errors };
}

/**
 * `cardValues` with the spare fields too: checked against the tenant's definitions (`complete` =
 * a create, so the required ones must be there) and laid over the card's own. Every writer of a
 * card (the API, the Web Data Port, an import) checks a change this way.
 */
export function checkedCardValues(input: CustomerFields, current: CustomerRow | null, region: string, definitions: CustomFieldDefinition[], complete = false) {
  const { values, errors } = cardValues(input, current, region);
  if (input.custom !== undefined || complete) {
    const checked = checkCustomValues(definitions, input.custom ?? {}, complete);
    errors.push(...checked.errors);
    if (input.custom !== undefined) values.custom = { ...(current?.custom ?? {}), ...checked.values };
  }
  return { values, errors };
}

/** The card's empty fields that `incoming` can fill, for "complete the existing card". */
export function emptyFieldsFilled(current: CustomerRow, incoming: CustomerFields): CustomerFields {
  const fill: Record<string, unknown> = {};
  for (const key of PLAIN_FIELDS) {
    const v = incoming[key];
    const now = current[key];
    const empty = now === null || now === '' || (Array.isArray(now) && now.length === 0);
    if (v !== undefined && v !== null && v !== '' && empty) fill[key] = v;
  }
  if (incoming.custom) {
    const custom: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(incoming.custom)) if (current.custom[k] == null && v != null && v !== '') custom[k] = v;
    if (Object.keys(custom).length) fill.custom = custom;
  }
  return fill as CustomerFields;
}
