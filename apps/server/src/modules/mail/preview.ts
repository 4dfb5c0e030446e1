import { and, eq } from 'drizzle-orm';
import type { MailSent, TemplatePreview, TemplatePreviewBody, TemplateTestBody } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, notFound } from '../../http/errors.js';
import type { CustomerRow } from '../customers/card.js';
import { customers } from '../customers/tables.js';
import { portalBaseUrl, portalLoginUrl } from '../portal/index.js';
import { branches, tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';
import { MASK, type MailSettings } from './compose.js';
import { getMailboxRow, resolveMailbox, smtpSettingsOf } from './mailboxes.js';
import type { MergeContext } from './merge-fields.js';
import { compileTemplate, renderMessage } from './render.js';
import { unsubscribeUrl } from './suppressions.js';
import { checkTemplate } from './templates.js';
import { sendNow, type SmtpSettings } from './transport.js';

/**
 * The template editor's live preview and "send a test to yourself", and the mailbox settings'
 * "send test email". Credentials are never shown here: the password is masked, the
 * set-password link has a masked token and is not issued.
 */

async function loadTenant(db: Db, tenantId: string) {
  const [t] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
  if (!t) throw new AppError('forbidden', 'forbidden');
  return t;
}

async function loadCustomer(db: Db, tenantId: string, id: string): Promise<CustomerRow> {
  const [c] = await db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.id, id)));
  if (!c) throw notFound('customer');
  return c;
}

/** A made-up card for a test send without a chosen customer. */
function sampleCustomer(tenantId: string, language: string): CustomerRow {
  const he = language === 'he';
  const now = new Date();
  return {
    id: '00000000-0000-4000-8000-000000000000', tenantId, customerNumber: 1001, status: 'new',
    lastName: he ? 'ישראלי' : 'Doe', firstName: he ? 'ישראל' : 'Jane', middleName: null, branchId: null,
    idType: 'israeli_id', idCountry: 'IL', idNumber: '000000018', phone: '+972501234567', phones: [], email: 'customer@example.com', emails: [],
    address: he ? 'הרצל 1' : '1 Main St', city: he ? 'תל אביב' : 'New York', zip: null, country: null,
    mailingAddress: null, mailingCity: null, mailingZip: null, mailingCountry: null, latitude: null, longitude: null,
    language, parentId: null, brokerName: null, brokerAccount: null, websiteLastToken: null, custom: {},
    createdBy: 'sample', createdByUserId: null, createdAt: now, updatedAt: now,
    phonesNorm: [], emailsNorm: [], idNumberNorm: null, searchName: null,
  };
}

async function previewContext(db: Db, settings: MailSettings, tenantId: string, customer: CustomerRow, language: string): Promise<MergeContext> {
  const tenant = await loadTenant(db, tenantId);
  const [branch] = customer.branchId ? await db.select({ name: branches.name }).from(branches).where(eq(branches.id, customer.branchId)) : [];
  const email = customer.email ?? customer.emails[0];
  return {
    customer,
    branchName: branch?.name ?? null,
    companyName: tenant.name,
    language,
    portalUrl: portalLoginUrl(tenant, settings.publicUrl),
    password: MASK,
    setPasswordLink: `${portalBaseUrl(tenant, settings.publicUrl)}/set-password?token=${MASK}`,
    unsubscribeUrl: email ? unsubscribeUrl(settings.publicUrl, tenantId, email, language) : '',
  };
}

export async function previewTemplate(db: Db, settings: MailSettings, tenantId: string, body: TemplatePreviewBody): Promise<TemplatePreview> {
  const checked = await checkTemplate(db, tenantId, body);
  const customer = await loadCustomer(db, tenantId, body.customerId);
  const compiled = compileTemplate({ ...checked, language: body.language });
  return renderMessage(compiled, await previewContext(db, settings, tenantId, customer, body.language));
}

async function userEmail(db: Db, userId: string | null): Promise<string> {
  if (!userId) throw new AppError('forbidden', 'forbidden');
  const [u] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  if (!u) throw new AppError('forbidden', 'forbidden');
  return u.email;
}

const TEST_PREFIX = { he: '[בדיקה] ', en: '[Test] ' } as const;

/** Renders the template being edited (against a customer, or a sample card) and sends it to the user. */
export async function sendTemplateTest(db: Db, settings: MailSettings, staff: { tenantId: string; userId: string | null }, body: TemplateTestBody): Promise<MailSent> {
  const to = await userEmail(db, staff.userId);
  const checked = await checkTemplate(db, staff.tenantId, body);
  const customer = body.customerId ? await loadCustomer(db, staff.tenantId, body.customerId) : sampleCustomer(staff.tenantId, body.language);
  const row = await resolveMailbox(db, staff.tenantId, customer.branchId);
  const smtp = row ? smtpSettingsOf(row) : settings.serverMailbox;
  if (!smtp) throw new AppError('mail_not_configured', 'mail.no_mailbox');
  const rendered = renderMessage(compileTemplate({ ...checked, language: body.language }), await previewContext(db, settings, staff.tenantId, customer, body.language));
  return sendNow(smtp, { to, subject: TEST_PREFIX[body.language] + rendered.subject, html: rendered.html, text: rendered.text });
}

const MAILBOX_TEST = {
  he: { subject: 'Kesher: הודעת בדיקה', line: 'זוהי הודעת בדיקה מ-Kesher. ההגדרות של תיבת הדואר {from} עובדות.' },
  en: { subject: 'Kesher: test email', line: 'This is a test email from Kesher. The settings of the mailbox {from} work.' },
} as const;

/** "Send test email": through a mailbox (or the server default when `mailboxId` is null) to the user. */
export async function sendMailboxTest(db: Db, settings: MailSettings, staff: { tenantId: string; userId: string | null }, mailboxId: string | null, lang: string): Promise<MailSent> {
  const to = await userEmail(db, staff.userId);
  let smtp: SmtpSettings | null;
  if (mailboxId) smtp = smtpSettingsOf(await getMailboxRow(db, staff.tenantId, mailboxId));
  else {
    smtp = settings.serverMailbox;
    if (!smtp) throw new AppError('mail_not_configured', 'mail.no_server_default');
  }
  const t = MAILBOX_TEST[lang === 'en' ? 'en' : 'he'];
  const line = t.line.replace('{from}', `${smtp.fromName} <${smtp.fromAddress}>`);
  const dir = lang === 'en' ? 'ltr' : 'rtl';
  const html = `<!DOCTYPE html><html dir="${dir}" lang="${lang === 'en' ? 'en' : 'he'}"><head><meta charset="utf-8"></head><body dir="${dir}"><p>${line.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)}</p></body></html>`;
  return sendNow(smtp, { to, subject: t.subject, html, text: line });
}
