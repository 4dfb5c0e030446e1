import type { CustomFieldDefinition, MergeField } from '@kesher/contracts';
import { fullName } from '../customers/card.js';
import type { CustomerRow } from '../customers/card.js';

/**
 * Merge fields, written in a template exactly as the seed writes them: `{#Client_Full_Name}`.
 * The seed's five come first; every other card field follows the same style, then what the
 * portal and the message itself provide. A spare (custom) field `shoe_size` is `{#Custom_shoe_size}`.
 */
export type FieldGroup = MergeField['group'];

/** What a message is rendered from (the current card, at send time). */
export interface MergeContext {
  customer: CustomerRow;
  branchName: string | null;
  companyName: string;
  language: string;
  /** The portal's login address for this tenant. */
  portalUrl: string;
  /** The customer's generated password, the phrase for "the one you chose", the masked dots, or ''. */
  password: string;
  setPasswordLink: string;
  unsubscribeUrl: string;
}

interface FieldDef {
  name: string;
  group: FieldGroup;
  he: string;
  en: string;
  value: (c: MergeContext) => string;
}

const s = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : String(v));
const card = (pick: (r: CustomerRow) => string | number | null | undefined) => (c: MergeContext) => s(pick(c.customer));

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatDate(d: Date, language: string): string {
  let f = dateFormats.get(language);
  if (!f) {
    f = new Intl.DateTimeFormat(language === 'he' ? 'he-IL' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'UTC' });
    dateFormats.set(language, f);
  }
  return f.format(d);
}

const FIELDS: FieldDef[] = [
  // The seed's fields (Invite_to_Website_Email).
  { name: 'Client_Full_Name', group: 'customer', he: 'שם הלקוח (פרטי + משפחה)', en: 'Customer full name (first + last)', value: (c) => fullName(c.customer.firstName, c.customer.lastName) },
  { name: 'Password', group: 'portal', he: 'סיסמה לאתר (שדה מערכת מיוחד)', en: 'Portal password (special system field)', value: (c) => c.password },
  { name: 'Client_Number', group: 'customer', he: 'מספר לקוח', en: 'Customer number', value: card((r) => r.customerNumber) },
  { name: 'ID_Number', group: 'customer', he: 'מספר זהות / ח.פ. / דרכון', en: 'ID / company / passport number', value: card((r) => r.idNumber) },
  { name: '1stPhone', group: 'customer', he: 'טלפון בעדיפות ראשונה', en: 'First-priority phone', value: card((r) => r.phone) },
  // Every other card field, the same way.
  { name: '2ndPhone', group: 'customer', he: 'טלפון נוסף', en: 'Second phone', value: card((r) => r.phones[0]) },
  { name: 'First_Name', group: 'customer', he: 'שם פרטי', en: 'First name', value: card((r) => r.firstName) },
  { name: 'Last_Name', group: 'customer', he: 'שם משפחה / חברה', en: 'Last name / company', value: card((r) => r.lastName) },
  { name: 'Middle_Name', group: 'customer', he: 'שם אמצעי / כינוי', en: 'Middle name / nickname', value: card((r) => r.middleName) },
  { name: 'Email', group: 'customer', he: 'דוא"ל', en: 'Email', value: card((r) => r.email ?? r.emails[0]) },
  { name: 'Address', group: 'customer', he: 'כתובת', en: 'Address', value: card((r) => r.address) },
  { name: 'City', group: 'customer', he: 'עיר', en: 'City', value: card((r) => r.city) },
  { name: 'Zip', group: 'customer', he: 'מיקוד', en: 'Postal code', value: card((r) => r.zip) },
  { name: 'Country', group: 'customer', he: 'ארץ', en: 'Country', value: card((r) => r.country) },
  { name: 'Mailing_Address', group: 'customer', he: 'כתובת למשלוח דואר', en: 'Mailing address', value: card((r) => r.mailingAddress) },
  { name: 'Mailing_City', group: 'customer', he: 'עיר למשלוח דואר', en: 'Mailing city', value: card((r) => r.mailingCity) },
  { name: 'Mailing_Zip', group: 'customer', he: 'מיקוד למשלוח דואר', en: 'Mailing postal code', value: card((r) => r.mailingZip) },
  { name: 'Mailing_Country', group: 'customer', he: 'ארץ למשלוח דואר', en: 'Mailing country', value: card((r) => r.mailingCountry) },
  { name: 'Broker_Name', group: 'customer', he: 'שם המשווק / שותף', en: 'Broker / affiliate name', value: card((r) => r.brokerName) },
  { name: 'Broker_Account', group: 'customer', he: 'מספר חשבון המשווק', en: 'Broker account number', value: card((r) => r.brokerAccount) },
  { name: 'Created_Date', group: 'customer', he: 'תאריך פתיחת הכרטיס', en: 'Date the card was created', value: (c) => formatDate(c.customer.createdAt, c.language) },
  // Branch and business.
  { name: 'Branch_Name', group: 'branch', he: 'שם הסניף של הלקוח', en: "The customer's branch", value: (c) => s(c.branchName) },
  { name: 'Branch', group: 'branch', he: 'שם הסניף (כמו {#Branch_Name})', en: 'Branch name (same as {#Branch_Name})', value: (c) => s(c.branchName) },
  { name: 'Company_Name', group: 'branch', he: 'שם העסק (מסד הנתונים)', en: 'Business name (the database)', value: (c) => c.companyName },
  // Portal.
  {
    name: 'Set_Password_Link', group: 'portal',
    he: 'קישור לבחירת סיסמה: ללקוח שבחר סיסמה בעצמו קישור חד-פעמי (48 שעות); לאחרים דף הכניסה, שבו מחליפים את הסיסמה שנשלחה',
    en: 'Set-password link: for a customer who chose a password, a single-use link (48 hours); otherwise the login page, where the sent password is replaced',
    value: (c) => c.setPasswordLink,
  },
  { name: 'Portal_URL', group: 'portal', he: 'כתובת הכניסה לאתר הלקוחות', en: 'Customer portal login address', value: (c) => c.portalUrl },
  // The message.
  { name: 'Unsubscribe_URL', group: 'message', he: 'קישור להסרה מרשימת התפוצה (דיוור שיווקי בלבד)', en: 'Unsubscribe link (marketing mail only)', value: (c) => c.unsubscribeUrl },
];

const BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));
export const CUSTOM_PREFIX = 'Custom_';

/** Fields whose values are credentials: never stored, masked in previews and in the filed copy. */
export const PASSWORD_FIELD = 'Password';
export const SET_PASSWORD_LINK_FIELD = 'Set_Password_Link';

/** `{#Name}` anywhere in a subject or body (the name is whatever stands between `{#` and `}`). */
export const FIELD_PATTERN = /\{#([^{}]*)\}/g;
export const token = (name: string) => `{#${name}}`;

/** The list the template editor offers: built-in fields, then the tenant's spare fields. */
export function mergeFields(customDefinitions: CustomFieldDefinition[]): MergeField[] {
  return [
    ...FIELDS.map(({ name, group, he, en }) => ({ token: token(name), name, group, he, en })),
    ...customDefinitions.map((d) => ({ token: token(`${CUSTOM_PREFIX}${d.key}`), name: `${CUSTOM_PREFIX}${d.key}`, group: 'custom' as const, he: d.labelHe, en: d.labelEn })),
  ];
}

/** The names a template uses that are not merge fields, as written (`{#Foo}`), in order of appearance. */
export function unknownFields(texts: string[], customKeys: ReadonlySet<string>): string[] {
  const unknown = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(FIELD_PATTERN)) {
      const name = m[1]!;
      if (!isKnown(name, customKeys)) unknown.add(token(name));
    }
  }
  return [...unknown];
}

export function isKnown(name: string, customKeys: ReadonlySet<string>): boolean {
  return BY_NAME.has(name) || (name.startsWith(CUSTOM_PREFIX) && customKeys.has(name.slice(CUSTOM_PREFIX.length)));
}

/** A function giving a field's value for a message (known fields only; see `unknownFields`). */
export function valueOf(name: string): (c: MergeContext) => string {
  const def = BY_NAME.get(name);
  if (def) return def.value;
  if (name.startsWith(CUSTOM_PREFIX)) {
    const key = name.slice(CUSTOM_PREFIX.length);
    return (c) => {
      const v = c.customer.custom[key];
      return v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? '✓' : '') : String(v);
    };
  }
  return () => '';
}
