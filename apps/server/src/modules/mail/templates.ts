import { and, asc, eq } from 'drizzle-orm';
import type { Language, MailTemplate, TemplateSave } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, invalid, type FieldErrorSpec } from '../../http/errors.js';
import { listDefinitions } from '../custom-fields/service.js';
import { FIELD_PATTERN, isKnown, token } from './merge-fields.js';
import { mailTemplates } from './tables.js';

/**
 * The template library: subject + HTML per (key, language). The product ships built-in
 * defaults (the seed's `Invite_to_Website_Email` in Hebrew and English); a tenant's saved row
 * for the same key and language replaces the default, deleting the row brings it back.
 */
export const INVITE_TEMPLATE = 'Invite_to_Website_Email';
/** The starting point of a bulk (marketing) email: a greeting, the message, the unsubscribe link. */
export const BULK_TEMPLATE = 'Bulk_Email';
/** To the addresses a Web Data Port channel notifies: a lead came in (new, or found again by phone / email). */
export const NEW_LEAD_TEMPLATE = 'New_Lead_Notification';

/** To a customer who registered on the portal (new, or already known: the same words, so the email tells nothing either). */
export const PORTAL_WELCOME_TEMPLATE = 'Portal_Welcome_Email';

export const BUILT_IN: Record<string, Partial<Record<Language, { subject: string; html: string }>>> = {
  [INVITE_TEMPLATE]: {
    he: {
      subject: '{#Client_Full_Name}, הוזמנת לאזור האישי באתר {#Company_Name}',
      html: `<p>שלום {#Client_Full_Name},</p>
<p>פתחנו עבורך גישה לאזור האישי באתר שלנו: שם אפשר לצפות בפרטים, בהזמנות ובמסמכים שלך ולעדכן את פרטי הקשר.</p>
<p><strong>פרטי הכניסה</strong><br>
שם משתמש: מספר הלקוח {#Client_Number} או כתובת הדוא"ל {#Email}<br>
סיסמה: {#Password}</p>
<p><a href="{#Portal_URL}">כניסה לאזור האישי</a></p>
<p>בכניסה הראשונה תתבקש/י לבחור סיסמה משלך: <a href="{#Set_Password_Link}">בחירת סיסמה</a></p>
<p>בברכה,<br>{#Company_Name}</p>`,
    },
    en: {
      subject: '{#Client_Full_Name}, you are invited to your personal area at {#Company_Name}',
      html: `<p>Hello {#Client_Full_Name},</p>
<p>We have opened your personal area on our website: there you can see your details, orders and documents and update your contact details.</p>
<p><strong>How to log in</strong><br>
User name: your customer number {#Client_Number} or your email address {#Email}<br>
Password: {#Password}</p>
<p><a href="{#Portal_URL}">Log in to your personal area</a></p>
<p>When you first log in you will be asked to choose a password of your own: <a href="{#Set_Password_Link}">choose a password</a></p>
<p>Best regards,<br>{#Company_Name}</p>`,
    },
  },
  [PORTAL_WELCOME_TEMPLATE]: {
    he: {
      subject: 'הגישה שלך לאזור האישי באתר {#Company_Name}',
      html: `<p>שלום {#Client_Full_Name},</p>
<p>קיבלנו בקשה להרשמה לאזור האישי באתר שלנו עם כתובת הדוא"ל הזו.</p>
<p>כדי להיכנס יש לבחור סיסמה: <a href="{#Set_Password_Link}">בחירת סיסמה</a> (הקישור תקף 48 שעות).<br>
שם המשתמש: מספר הלקוח {#Client_Number} או כתובת הדוא"ל {#Email}</p>
<p><a href="{#Portal_URL}">כניסה לאזור האישי</a></p>
<p>אם לא ביקשת זאת, אפשר להתעלם מההודעה.</p>
<p>בברכה,<br>{#Company_Name}</p>`,
    },
    en: {
      subject: 'Your access to the {#Company_Name} customer area',
      html: `<p>Hello {#Client_Full_Name},</p>
<p>We received a request to register for our customer area with this email address.</p>
<p>To log in, choose a password: <a href="{#Set_Password_Link}">choose a password</a> (the link is valid for 48 hours).<br>
Your username: customer number {#Client_Number} or the email address {#Email}</p>
<p><a href="{#Portal_URL}">Go to the customer area</a></p>
<p>If you did not ask for this, you may ignore this message.</p>
<p>Best regards,<br>{#Company_Name}</p>`,
    },
  },
  [BULK_TEMPLATE]: {
    he: {
      subject: 'עדכון מ{#Company_Name}',
      html: `<p>שלום {#Client_Full_Name},</p>
<p>רצינו לעדכן אותך: כאן יבוא תוכן ההודעה.</p>
<p>בברכה,<br>{#Company_Name}</p>
<p style="font-size:small">לא מעוניין/ת לקבל מאיתנו דיוור? <a href="{#Unsubscribe_URL}">להסרה מרשימת התפוצה</a></p>`,
    },
    en: {
      subject: 'News from {#Company_Name}',
      html: `<p>Hello {#Client_Full_Name},</p>
<p>We wanted to let you know: the message goes here.</p>
<p>Best regards,<br>{#Company_Name}</p>
<p style="font-size:small">Do not want our emails? <a href="{#Unsubscribe_URL}">Unsubscribe</a></p>`,
    },
  },
  [NEW_LEAD_TEMPLATE]: {
    he: {
      subject: 'ליד מהאתר: {#Client_Full_Name} (לקוח {#Client_Number})',
      html: `<p>התקבל ליד מהאתר.</p>
<p>לקוח מספר: {#Client_Number}<br>
שם: {#Client_Full_Name}<br>
טלפון: {#1stPhone}<br>
דוא"ל: {#Email}<br>
סניף: {#Branch_Name}<br>
נפתח בתאריך: {#Created_Date}</p>
<p>{#Company_Name}</p>`,
    },
    en: {
      subject: 'Lead from the website: {#Client_Full_Name} (customer {#Client_Number})',
      html: `<p>A lead came in from the website.</p>
<p>Customer number: {#Client_Number}<br>
Name: {#Client_Full_Name}<br>
Phone: {#1stPhone}<br>
Email: {#Email}<br>
Branch: {#Branch_Name}<br>
Card opened on: {#Created_Date}</p>
<p>{#Company_Name}</p>`,
    },
  },
};

type Row = typeof mailTemplates.$inferSelect;

function present(key: string, language: string, row: Row | undefined): MailTemplate | null {
  const builtIn = BUILT_IN[key]?.[language as Language];
  const source = row ?? builtIn;
  if (!source) return null;
  return {
    key,
    language: language as Language,
    subject: source.subject,
    html: source.html,
    builtIn: !!builtIn,
    customized: !!row,
    updatedAt: row ? row.updatedAt.toISOString() : null,
  };
}

/** The tenant's template for (key, language), else the built-in default, else null. */
export async function findTemplate(db: Db, tenantId: string, key: string, language: string): Promise<MailTemplate | null> {
  const [row] = await db
    .select()
    .from(mailTemplates)
    .where(and(eq(mailTemplates.tenantId, tenantId), eq(mailTemplates.key, key), eq(mailTemplates.language, language)));
  return present(key, language, row);
}

export async function getTemplate(db: Db, tenantId: string, key: string, language: string): Promise<MailTemplate> {
  const t = await findTemplate(db, tenantId, key, language);
  if (!t) throw new AppError('not_found', 'not_found.template');
  return t;
}

/** The tenant's templates and the built-in defaults it has not replaced, by key then language. */
export async function listTemplates(db: Db, tenantId: string): Promise<MailTemplate[]> {
  const list = await db.select().from(mailTemplates).where(eq(mailTemplates.tenantId, tenantId)).orderBy(asc(mailTemplates.key), asc(mailTemplates.language));
  const out = new Map<string, MailTemplate>();
  for (const [key, langs] of Object.entries(BUILT_IN)) for (const language of Object.keys(langs)) out.set(`${key}:${language}`, present(key, language, undefined)!);
  for (const row of list) out.set(`${row.key}:${row.language}`, present(row.key, row.language, row)!);
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key) || a.language.localeCompare(b.language));
}

/** Languages in which a template exists for the tenant (saved or built in). */
export async function templateLanguages(db: Db, tenantId: string, key: string): Promise<string[]> {
  const list = await db
    .select({ language: mailTemplates.language })
    .from(mailTemplates)
    .where(and(eq(mailTemplates.tenantId, tenantId), eq(mailTemplates.key, key)));
  return [...new Set([...list.map((r) => r.language), ...Object.keys(BUILT_IN[key] ?? {})])];
}

/**
 * The language a message goes out in: the one wanted (customer → branch → tenant) when the
 * template has it, else the tenant's default language; `fallback` says that happened.
 */
export function chooseLanguage(wanted: string, available: readonly string[], tenantDefault: string): { language: string | null; fallback: boolean } {
  if (available.includes(wanted)) return { language: wanted, fallback: false };
  if (available.includes(tenantDefault)) return { language: tenantDefault, fallback: true };
  return { language: null, fallback: true };
}

/**
 * Refuses a subject with a line break and a template that names an unknown merge field
 * (naming it). Used when saving, previewing and test-sending.
 */
export async function checkTemplate(db: Db, tenantId: string, input: TemplateSave): Promise<TemplateSave> {
  const errors: FieldErrorSpec[] = [];
  if (/[\r\n]/.test(input.subject)) errors.push({ path: 'subject', code: 'line_break' });
  const subject = input.subject.trim();
  if (!subject) errors.push({ path: 'subject', code: 'required' });
  if (!input.html.trim()) errors.push({ path: 'html', code: 'required' });
  const customKeys = new Set((await listDefinitions(db, tenantId)).map((d) => d.key));
  const unknown: string[] = [];
  for (const path of ['subject', 'html'] as const) {
    for (const m of input[path].matchAll(FIELD_PATTERN)) {
      const name = m[1]!;
      if (isKnown(name, customKeys)) continue;
      if (!unknown.includes(token(name))) unknown.push(token(name));
      if (!errors.some((e) => e.path === path && e.params?.field === token(name))) errors.push({ path, code: 'unknown_merge_field', params: { field: token(name) } });
    }
  }
  if (unknown.length) throw new AppError('validation', 'template.unknown_fields', { fields: unknown.join(', ') }, { fields: errors, body: { unknownFields: unknown } });
  if (errors.length) throw invalid(errors);
  return { subject, html: input.html };
}

export async function saveTemplate(db: Db, tenantId: string, userId: string | null, key: string, language: Language, input: TemplateSave): Promise<MailTemplate> {
  const checked = await checkTemplate(db, tenantId, input);
  const [row] = await db
    .insert(mailTemplates)
    .values({ tenantId, key, language, subject: checked.subject, html: checked.html, updatedByUserId: userId })
    .onConflictDoUpdate({
      target: [mailTemplates.tenantId, mailTemplates.key, mailTemplates.language],
      set: { subject: checked.subject, html: checked.html, updatedByUserId: userId, updatedAt: new Date() },
    })
    .returning();
  return present(key, language, row)!;
}

/** Deletes the tenant's version; a built-in template is then in use again. */
export async function deleteTemplate(db: Db, tenantId: string, key: string, language: string): Promise<void> {
  const done = await db
    .delete(mailTemplates)
    .where(and(eq(mailTemplates.tenantId, tenantId), eq(mailTemplates.key, key), eq(mailTemplates.language, language)))
    .returning({ id: mailTemplates.id });
  if (done.length === 0) throw new AppError('not_found', 'not_found.template');
}
