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
