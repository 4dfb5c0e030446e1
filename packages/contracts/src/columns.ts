import { z } from 'zod';
import { customerListQuery } from './customers.js';
import { language, type StatusId } from './ids.js';

/**
 * The card's columns as spreadsheets name them: the headers of an Excel export (in the user's
 * language) and, later, the headers an import recognises. One table, so an exported file imports
 * back. Spare fields are columns too, as `cf.<key>` with the field's own label.
 */
export const CARD_COLUMNS = [
  'customerNumber',
  'status',
  'firstName',
  'lastName',
  'middleName',
  'fullName',
  'branch',
  'idType',
  'idCountry',
  'idNumber',
  'phone',
  'phones',
  'email',
  'emails',
  'address',
  'city',
  'zip',
  'country',
  'mailingAddress',
  'mailingCity',
  'mailingZip',
  'mailingCountry',
  'latitude',
  'longitude',
  'language',
  'parentNumber',
  'brokerName',
  'brokerAccount',
  'websiteLastToken',
  'createdBy',
  'createdAt',
  'updatedAt',
] as const;
export type CardColumn = (typeof CARD_COLUMNS)[number];

export const CARD_COLUMN_LABELS: Record<CardColumn, { he: string; en: string }> = {
  customerNumber: { he: 'מספר לקוח', en: 'Customer number' },
  status: { he: 'סטטוס', en: 'Status' },
  firstName: { he: 'שם פרטי', en: 'First name' },
  lastName: { he: 'שם משפחה / חברה', en: 'Last name / company' },
  middleName: { he: 'שם אמצעי / כינוי', en: 'Middle name / nickname' },
  fullName: { he: 'שם הלקוח', en: 'Customer name' },
  branch: { he: 'סניף', en: 'Branch' },
  idType: { he: 'סוג מסמך / זהות', en: 'Document / ID type' },
  idCountry: { he: 'ארץ המסמך', en: 'Document country' },
  idNumber: { he: 'מספר זהות / ח.פ.', en: 'ID / company number' },
  phone: { he: 'טלפון', en: 'Phone' },
  phones: { he: 'טלפונים נוספים', en: 'More phones' },
  email: { he: 'דוא"ל', en: 'Email' },
  emails: { he: 'כתובות דוא"ל נוספות', en: 'More email addresses' },
  address: { he: 'כתובת', en: 'Address' },
  city: { he: 'עיר', en: 'City' },
  zip: { he: 'מיקוד', en: 'Postal code' },
  country: { he: 'ארץ', en: 'Country' },
  mailingAddress: { he: 'כתובת למשלוח דואר', en: 'Mailing address' },
  mailingCity: { he: 'עיר למשלוח דואר', en: 'Mailing city' },
  mailingZip: { he: 'מיקוד למשלוח דואר', en: 'Mailing postal code' },
  mailingCountry: { he: 'ארץ למשלוח דואר', en: 'Mailing country' },
  latitude: { he: 'GIS latitude', en: 'GIS latitude' },
  longitude: { he: 'GIS longitude', en: 'GIS longitude' },
  language: { he: 'שפה מועדפת', en: 'Preferred language' },
  parentNumber: { he: 'מספר לקוח הורה', en: 'Parent customer number' },
  brokerName: { he: 'שם המתווך', en: 'Broker name' },
  brokerAccount: { he: 'מספר חשבון המתווך', en: 'Broker account number' },
  websiteLastToken: { he: 'Website Last Token', en: 'Website Last Token' },
  createdBy: { he: 'נוצר על ידי', en: 'Created by' },
  createdAt: { he: 'מועד יצירה', en: 'Created at' },
  updatedAt: { he: 'עודכן לאחרונה', en: 'Last updated' },
};

/** Statuses and document types as a spreadsheet shows them (the back office's own words). */
export const STATUS_LABELS: Record<StatusId, { he: string; en: string }> = {
  new: { he: 'חדש', en: 'New' },
  follow_up: { he: 'במעקב', en: 'In follow-up' },
  follow_up_meeting_quote: { he: 'מעקב + פגישה / הצעת מחיר', en: 'Follow-up + meeting / quote' },
  real: { he: 'לקוח אמיתי', en: 'Real customer' },
  real_club_contract: { he: 'לקוח אמיתי + מועדון/חוזה', en: 'Real customer + club / contract' },
  not_interested: { he: 'הלקוח אינו מעוניין', en: 'Not interested' },
  fictitious: { he: 'לקוח פיקטיבי', en: 'Fictitious' },
  frozen: { he: 'לקוח מוקפא', en: 'Frozen' },
};
export const ID_TYPE_LABELS: Record<string, { he: string; en: string }> = {
  israeli_id: { he: 'תעודת זהות', en: 'Private person ID' },
  company: { he: 'רישום חברה / תאגיד', en: 'Company / corporation registration' },
  passport: { he: 'דרכון', en: 'Passport' },
};

/** What an export holds when no columns are chosen. */
export const DEFAULT_EXPORT_COLUMNS: CardColumn[] = ['customerNumber', 'firstName', 'lastName', 'status', 'phone', 'email', 'idNumber', 'city', 'branch', 'createdAt'];

/** A column of an export: a card column or a spare field (`cf.<key>`). */
export const exportColumn = z.union([z.enum(CARD_COLUMNS), z.string().regex(/^cf\.[a-z][a-z0-9_]{0,62}$/)]);

/**
 * GET /api/v1/customers/export.xlsx: the list's filters and sort (the same query as
 * GET /api/v1/customers, without paging), `columns` comma-separated in the order wanted, and
 * `lang` for the headers and values (default: the request's Accept-Language).
 */
export const customerExportQuery = customerListQuery.omit({ cursor: true, limit: true }).extend({
  columns: z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(exportColumn).min(1).max(100))
    .optional(),
  lang: language.optional(),
});
export type CustomerExportQuery = z.infer<typeof customerExportQuery>;

// ---- import: which card field a spreadsheet header means ----

/** The card columns an import can write (the rest of an export — number, status, dates — are read-only). */
export const IMPORT_FIELDS = [
  'firstName', 'lastName', 'middleName', 'fullName', 'branch', 'idType', 'idCountry', 'idNumber', 'phone', 'phones', 'email', 'emails',
  'address', 'city', 'zip', 'country', 'mailingAddress', 'mailingCity', 'mailingZip', 'mailingCountry',
  'latitude', 'longitude', 'language', 'brokerName', 'brokerAccount',
] as const satisfies readonly CardColumn[];
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Columns that identify a person: a mapping needs at least one of them. */
export const IDENTIFYING_FIELDS: readonly ImportField[] = ['firstName', 'lastName', 'fullName', 'phone', 'phones', 'email', 'emails', 'idNumber'];

/** An import target: a card field or a spare field (`cf.<key>`). */
export const importTarget = z.union([z.enum(IMPORT_FIELDS), z.string().regex(/^cf\.[a-z][a-z0-9_]{0,62}$/)]);
export type ImportTarget = z.infer<typeof importTarget>;

/**
 * Headers as people write them, besides the export's own labels (CARD_COLUMN_LABELS, which are
 * recognised too, so an exported file imports back). Compared after `normalizeHeader`.
 */
export const IMPORT_HEADER_ALIASES: Record<ImportField, string[]> = {
  firstName: ['שם פרטי', 'פרטי', 'first name', 'firstname', 'first', 'given name', 'forename'],
  lastName: ['שם משפחה', 'משפחה', 'שם חברה', 'חברה', 'last name', 'lastname', 'surname', 'family name', 'company', 'company name', 'last'],
  middleName: ['שם אמצעי', 'כינוי', 'middle name', 'nickname'],
  fullName: ['שם', 'שם מלא', 'שם לקוח', 'שם הלקוח', 'name', 'full name', 'fullname', 'customer name', 'client name', 'contact name'],
  branch: ['סניף', 'branch', 'office'],
  idType: ['סוג זהות', 'סוג מסמך', 'id type', 'document type'],
  idCountry: ['ארץ מסמך', 'ארץ הנפקה', 'id country', 'document country', 'issuing country'],
  idNumber: [
    'תז', 'ת ז', 'תעודת זהות', 'מספר זהות', 'מס זהות', 'מספר תז', 'חפ', 'מספר חפ', 'תז / חפ', 'עוסק מורשה', 'דרכון', 'מספר דרכון',
    'id', 'id number', 'id no', 'identity number', 'national id', 'company number', 'passport', 'passport number',
  ],
  phone: [
    'טלפון', 'טלפון נייד', 'נייד', 'סלולרי', 'פלאפון', 'טלפון ראשי', 'מספר טלפון', 'טל', 'phone', 'mobile', 'mobile phone', 'cell', 'cellphone',
    'cell phone', 'telephone', 'tel', 'phone number', 'mobile number',
  ],
  phones: ['טלפון נוסף', 'טלפון 2', 'טלפון בית', 'טלפון עבודה', 'פקס', 'other phone', 'phone 2', 'home phone', 'work phone', 'more phones', 'fax'],
  email: ['דואל', 'דואר אלקטרוני', 'אימייל', 'מייל', 'כתובת דואל', 'כתובת מייל', 'כתובת אימייל', 'email', 'e mail', 'mail', 'email address', 'e mail address'],
  emails: ['דואל נוסף', 'מייל נוסף', 'אימייל נוסף', 'other email', 'email 2', 'more emails', 'secondary email'],
  address: ['כתובת', 'רחוב', 'כתובת מגורים', 'address', 'street', 'street address', 'address line 1'],
  city: ['עיר', 'ישוב', 'יישוב', 'עיר מגורים', 'city', 'town'],
  zip: ['מיקוד', 'zip', 'zip code', 'postal code', 'postcode'],
  country: ['ארץ', 'מדינה', 'country'],
  mailingAddress: ['כתובת למשלוח', 'כתובת דואר', 'mailing address', 'postal address'],
  mailingCity: ['עיר למשלוח', 'mailing city'],
  mailingZip: ['מיקוד למשלוח', 'mailing zip'],
  mailingCountry: ['ארץ למשלוח', 'mailing country'],
  latitude: ['קו רוחב', 'latitude', 'lat'],
  longitude: ['קו אורך', 'longitude', 'lng', 'lon'],
  language: ['שפה', 'language', 'preferred language'],
  brokerName: ['מתווך', 'שם מתווך', 'broker', 'broker name', 'affiliate'],
  brokerAccount: ['חשבון מתווך', 'מספר מתווך', 'broker account', 'broker account number'],
};

/** A header as compared: lower case, no quotes / dots / colons, dashes and underscores as spaces, single spaces. */
export function normalizeHeader(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/["'`״׳.:*]/g, '')
    .replace(/[_\-–]/g, ' ')
    .replace(/\s*\/\s*/g, ' / ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A spare field as the recognizer sees it. */
export interface SpareFieldLabel {
  key: string;
  labelHe: string;
  labelEn: string;
}

/**
 * Which card field each header means: the export's labels (he / en), the aliases above, spare
 * fields by their labels or `cf.<key>`. A field is taken by the first header that names it; a
 * header that names nothing is left out of the result.
 */
export function recognizeHeaders(headers: string[], spareFields: SpareFieldLabel[] = []): Record<string, ImportTarget> {
  const known = new Map<string, ImportTarget>();
  const add = (label: string, target: ImportTarget) => {
    const k = normalizeHeader(label);
    if (k && !known.has(k)) known.set(k, target);
  };
  for (const f of IMPORT_FIELDS) {
    add(CARD_COLUMN_LABELS[f].he, f);
    add(CARD_COLUMN_LABELS[f].en, f);
  }
  for (const f of IMPORT_FIELDS) for (const a of IMPORT_HEADER_ALIASES[f]) add(a, f);
  for (const s of spareFields) {
    add(s.labelHe, `cf.${s.key}`);
    add(s.labelEn, `cf.${s.key}`);
    add(`cf.${s.key}`, `cf.${s.key}`);
    add(s.key, `cf.${s.key}`);
  }
  const result: Record<string, ImportTarget> = {};
  const taken = new Set<ImportTarget>();
  for (const header of headers) {
    const target = known.get(normalizeHeader(header));
    if (!target || taken.has(target) || header in result) continue;
    // A second phone / email column goes to the extra list.
    result[header] = target;
    taken.add(target);
  }
  for (const header of headers) {
    if (header in result) continue;
    const target = known.get(normalizeHeader(header));
    if (target === 'phone' || target === 'phones') result[header] = 'phones';
    else if (target === 'email' || target === 'emails') result[header] = 'emails';
  }
  return result;
}
