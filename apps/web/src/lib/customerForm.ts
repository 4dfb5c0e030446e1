import type { Customer, CustomerFields, IdType, Language } from '@kesher/contracts';
import { textOrNull } from './form';

export type CustomValue = string | number | boolean | null;

/** What the customer form edits: text inputs hold strings, pickers hold their id or null. */
export interface CustomerFormValues {
  lastName: string;
  firstName: string;
  middleName: string;
  branchId: string | null;
  idType: IdType | null;
  idCountry: string | null;
  idNumber: string;
  phone: string;
  phones: string[];
  email: string;
  emails: string[];
  address: string;
  city: string;
  zip: string;
  country: string | null;
  mailingAddress: string;
  mailingCity: string;
  mailingZip: string;
  mailingCountry: string | null;
  latitude: number | string;
  longitude: number | string;
  language: Language | null;
  custom: Record<string, CustomValue>;
}

/** The form's field names, for placing server field errors. */
export const CUSTOMER_FORM_FIELDS = [
  'lastName', 'firstName', 'middleName', 'branchId', 'idType', 'idCountry', 'idNumber', 'phone', 'phones',
  'email', 'emails', 'address', 'city', 'zip', 'country', 'mailingAddress', 'mailingCity', 'mailingZip',
  'mailingCountry', 'latitude', 'longitude', 'language',
] as const;

export const emptyCustomerForm = (): CustomerFormValues => ({
  lastName: '', firstName: '', middleName: '', branchId: null, idType: null, idCountry: null, idNumber: '',
  phone: '', phones: [], email: '', emails: [], address: '', city: '', zip: '', country: null,
  mailingAddress: '', mailingCity: '', mailingZip: '', mailingCountry: null, latitude: '', longitude: '',
  language: null, custom: {},
});

export function customerToForm(c: Customer): CustomerFormValues {
  return {
    lastName: c.lastName ?? '', firstName: c.firstName ?? '', middleName: c.middleName ?? '',
    branchId: c.branchId, idType: c.idType, idCountry: c.idCountry, idNumber: c.idNumber ?? '',
    phone: c.phone ?? '', phones: c.phones, email: c.email ?? '', emails: c.emails,
    address: c.address ?? '', city: c.city ?? '', zip: c.zip ?? '', country: c.country,
    mailingAddress: c.mailingAddress ?? '', mailingCity: c.mailingCity ?? '', mailingZip: c.mailingZip ?? '',
    mailingCountry: c.mailingCountry, latitude: c.latitude ?? '', longitude: c.longitude ?? '',
    language: c.language === 'he' || c.language === 'en' ? c.language : null, custom: { ...c.custom },
  };
}

const num = (v: number | string): number | null => (typeof v === 'number' ? v : v.trim() === '' ? null : Number(v));

/** Every main-tab field, nulls included (PATCH clears what was emptied). Custom values are sent separately. */
export function formToBody(v: CustomerFormValues): Omit<CustomerFields, 'custom' | 'parentId' | 'brokerName' | 'brokerAccount'> {
  return {
    lastName: textOrNull(v.lastName), firstName: textOrNull(v.firstName), middleName: textOrNull(v.middleName),
    branchId: v.branchId, idType: v.idType, idCountry: v.idCountry, idNumber: textOrNull(v.idNumber),
    phone: textOrNull(v.phone), phones: v.phones.map((p) => p.trim()).filter(Boolean),
    email: textOrNull(v.email), emails: v.emails.map((e) => e.trim()).filter(Boolean),
    address: textOrNull(v.address), city: textOrNull(v.city), zip: textOrNull(v.zip), country: v.country,
    mailingAddress: textOrNull(v.mailingAddress), mailingCity: textOrNull(v.mailingCity),
    mailingZip: textOrNull(v.mailingZip), mailingCountry: v.mailingCountry,
    latitude: num(v.latitude), longitude: num(v.longitude), language: v.language,
  };
}

/** Custom values without empties (a cleared text field is sent as null on PATCH). */
export function customBody(custom: Record<string, CustomValue>, keepNulls: boolean): Record<string, CustomValue> {
  const out: Record<string, CustomValue> = {};
  for (const [k, v] of Object.entries(custom)) {
    const value = typeof v === 'string' && v.trim() === '' ? null : v;
    if (value === null && !keepNulls) continue;
    out[k] = value;
  }
  return out;
}
