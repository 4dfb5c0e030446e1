import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { CustomerRow } from '../customers/card.js';
import { customers } from '../customers/tables.js';
import { fullName } from '../customers/card.js';
import { issueSetPasswordLink, portalBaseUrl, portalLoginUrl, readInitialPasswords } from '../portal/index.js';
import { branches, tenants } from '../tenants/tables.js';
import type { Outcome } from './delivery.js';
import { smtpSettingsOf, type MailboxRow } from './mailboxes.js';
import { PASSWORD_FIELD, SET_PASSWORD_LINK_FIELD, type MergeContext } from './merge-fields.js';
import type { ClaimedMessage } from './outbox.js';
import { compileTemplate, renderMessage, type CompiledTemplate } from './render.js';
import { composeStaffMessage, STAFF_TEMPLATES } from './staff-messages.js';
import { unsubscribeUrl } from './suppressions.js';
import { mailboxes, mailRuns } from './tables.js';
import { findTemplate } from './templates.js';
import type { OutgoingMail, SmtpSettings } from './transport.js';

/**
 * Composing messages at send time, a batch at a time: the current card, its branch and tenant,
 * the run's template (compiled once per run and language), the mailbox, and the credentials
 * from the portal module — read here and nowhere stored. Each message is rendered twice: the
 * copy that is sent, and the copy that is filed on the cards with credentials masked.
 */
export const MASK = '••••••••';
const CHOSEN_PASSWORD = { he: 'הסיסמה שבחרת', en: 'the password you chose' } as const;
const MARKETING_PREFIX = 'פרסומת';

export interface MailSettings {
  /** This server's address, for unsubscribe links and the default portal address. */
  publicUrl: string;
  /** The server-wide default mailbox (SMTP_URL + MAIL_FROM), or null. */
  serverMailbox: SmtpSettings | null;
}

export interface Composed {
  smtp: SmtpSettings;
  mail: OutgoingMail;
  /** The copy filed on the card; null for messages to staff, which are filed nowhere. */
  filed: { subject: string; body: string } | null;
}

/** Compiled templates by run + language, shared across batches (bounded). */
export class TemplateCache {
  private readonly map = new Map<string, CompiledTemplate | null>();
  constructor(private readonly max = 500) {}
  async get(db: Db, tenantId: string, runId: string, key: string, language: string): Promise<CompiledTemplate | null> {
    const id = `${runId}:${language}`;
    if (this.map.has(id)) return this.map.get(id)!;
    const t = await findTemplate(db, tenantId, key, language);
    const compiled = t ? compileTemplate({ subject: t.subject, html: t.html, language }) : null;
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(id, compiled);
    return compiled;
  }
}

const masked = (link: string) => link.replace(/([?&#]token=)[^&#]*/i, `$1${MASK}`).replace(/[A-Za-z0-9_-]{20,}/g, MASK);
const ids = <T>(list: (T | null | undefined)[]) => [...new Set(list.filter((v): v is T => v !== null && v !== undefined))];
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1) || 'kesher.local';

export async function composeBatch(
  db: Db,
  settings: MailSettings,
  batch: ClaimedMessage[],
  templates: TemplateCache,
): Promise<Map<string, Composed | Outcome>> {
  const out = new Map<string, Composed | Outcome>();
  const customerIds = ids(batch.map((m) => m.customerId));
  const cards = customerIds.length ? await db.select().from(customers).where(inArray(customers.id, customerIds)) : [];
  const cardById = new Map(cards.map((c) => [c.id, c]));
  const tenantIds = ids(batch.map((m) => m.tenantId));
  const tenantRows = await db.select().from(tenants).where(inArray(tenants.id, tenantIds));
  const tenantById = new Map(tenantRows.map((t) => [t.id, t]));
  const branchIds = ids(cards.map((c) => c.branchId));
  const branchRows = branchIds.length ? await db.select({ id: branches.id, name: branches.name }).from(branches).where(inArray(branches.id, branchIds)) : [];
  const branchName = new Map(branchRows.map((b) => [b.id, b.name]));
  const runRows = await db.select({ id: mailRuns.id, kind: mailRuns.kind }).from(mailRuns).where(inArray(mailRuns.id, ids(batch.map((m) => m.runId))));
  const runKind = new Map(runRows.map((r) => [r.id, r.kind]));

  // Mailboxes: the one chosen at enqueue; a message without one looks again (branch → database
  // default), so a mailbox configured (or deleted) since then is honoured, else the server's.
  const boxIds = ids(batch.map((m) => m.mailboxId));
  const tenantsWithout = ids(batch.filter((m) => !m.mailboxId).map((m) => m.tenantId));
  const boxRows: MailboxRow[] =
    boxIds.length || tenantsWithout.length
      ? await db
          .select()
          .from(mailboxes)
          .where(sql`${boxIds.length ? inArray(mailboxes.id, boxIds) : sql`false`} or ${tenantsWithout.length ? inArray(mailboxes.tenantId, tenantsWithout) : sql`false`}`)
      : [];
  const settingsById = new Map<string, SmtpSettings>();
  const settingsOf = (row: MailboxRow): SmtpSettings => {
    let s = settingsById.get(row.id);
    if (!s) {
      s = smtpSettingsOf(row);
      settingsById.set(row.id, s);
    }
    return s;
  };
  const mailboxFor = (m: ClaimedMessage, card: CustomerRow): SmtpSettings | null => {
    const own = m.mailboxId ? boxRows.find((b) => b.id === m.mailboxId) : undefined;
    const again = own ?? boxRows.find((b) => b.tenantId === m.tenantId && b.branchId !== null && b.branchId === card.branchId) ?? boxRows.find((b) => b.tenantId === m.tenantId && b.branchId === null);
    return again ? settingsOf(again) : settings.serverMailbox;
  };

  // Credentials, one query per tenant for the generated passwords.
  const passwords = new Map<string, string>();
  for (const tenantId of tenantIds) {
    const want = batch.filter((m) => m.tenantId === tenantId && m.customerId && (m.credential === 'new_password' || m.credential === 'existing_password')).map((m) => m.customerId!);
    if (want.length) for (const [k, v] of await readInitialPasswords(db, tenantId, want)) passwords.set(k, v);
  }

  await Promise.all(
    batch.map(async (m) => {
      try {
        if (!m.customerId && STAFF_TEMPLATES.has(m.templateKey)) {
          return void out.set(m.id, await composeStaffMessage(db, m, settings.publicUrl, boxRows, settings.serverMailbox));
        }
        const card = m.customerId ? cardById.get(m.customerId) : undefined;
        const tenant = tenantById.get(m.tenantId);
        if (!card || card.tenantId !== m.tenantId || !tenant) return void out.set(m.id, { state: 'skipped', reason: 'no_customer' });
        if (!m.toAddress) return void out.set(m.id, { state: 'skipped', reason: 'no_email' });
        const smtp = mailboxFor(m, card);
        if (!smtp) return void out.set(m.id, { state: 'skipped', reason: 'no_mailbox', error: 'not delivered: no mailbox configured' });
        const template = await templates.get(db, m.tenantId, m.runId, m.templateKey, m.language);
        if (!template) return void out.set(m.id, { state: 'skipped', reason: 'no_template' });

        const bulk = runKind.get(m.runId) === 'bulk';
        const lang = m.language === 'he' ? 'he' : 'en';
        let password = '';
        let passwordMasked = '';
        if (m.credential === 'set_password_link') password = passwordMasked = CHOSEN_PASSWORD[lang];
        else if (m.credential && template.fields.has(PASSWORD_FIELD)) {
          const p = passwords.get(card.id);
          if (!p) return void out.set(m.id, { state: 'failed', error: 'the generated portal password is no longer there (expired, or the customer chose one)' });
          password = p;
          passwordMasked = MASK;
        }
        // The credential column says what the message carries: a generated password in {#Password}, or
        // (for a customer who chose one) a single-use link in {#Set_Password_Link}. Elsewhere that field
        // is the portal's login page, where a generated password is replaced at first login.
        const loginUrl = portalLoginUrl(tenant, settings.publicUrl);
        let link = '';
        if (m.credential === 'set_password_link' && template.fields.has(SET_PASSWORD_LINK_FIELD)) {
          link = await issueSetPasswordLink(db, m.tenantId, card.id, portalBaseUrl(tenant, settings.publicUrl));
        }
        const unsubscribe = bulk ? unsubscribeUrl(settings.publicUrl, m.tenantId, m.toAddress, lang) : '';
        const ctx: MergeContext = {
          customer: card,
          branchName: card.branchId ? (branchName.get(card.branchId) ?? null) : null,
          companyName: tenant.name,
          language: m.language,
          portalUrl: loginUrl,
          password,
          setPasswordLink: link || loginUrl,
          unsubscribeUrl: unsubscribe,
        };
        const real = renderMessage(template, ctx);
        const forFiling = password || link ? renderMessage(template, { ...ctx, password: passwordMasked, setPasswordLink: link ? masked(link) : loginUrl }) : real;
        const prefix = bulk && tenant.marketingSubjectPrefix ? `${MARKETING_PREFIX}: ` : '';
        const headers: Composed['mail']['headers'] = { 'X-Kesher-Message-Id': m.idempotencyKey, 'Content-Language': m.language };
        if (bulk) {
          const mailto = `mailto:${smtp.replyTo ?? smtp.fromAddress}?subject=unsubscribe`;
          headers['List-Unsubscribe'] = { prepared: true, value: `<${unsubscribe}>, <${mailto}>` };
          headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
        }
        const name = fullName(card.firstName, card.lastName);
        out.set(m.id, {
          smtp,
          mail: {
            from: { name: smtp.fromName, address: smtp.fromAddress },
            to: name ? { name, address: m.toAddress } : m.toAddress,
            ...(smtp.replyTo ? { replyTo: smtp.replyTo } : {}),
            subject: prefix + real.subject,
            html: real.html,
            text: real.text,
            messageId: `<${m.id}@${domainOf(smtp.fromAddress)}>`,
            headers,
          },
          filed: { subject: prefix + forFiling.subject, body: forFiling.text },
        });
      } catch (err) {
        // A database hiccup while reading the card or issuing a link: try again later.
        out.set(m.id, { state: 'queued', error: `could not compose the message: ${(err as Error).message}`, retryInSeconds: 0 });
      }
    }),
  );
  return out;
}
