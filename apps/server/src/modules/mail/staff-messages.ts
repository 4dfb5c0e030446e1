import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { issueInvitationLink } from '../users/index.js';
import type { Composed } from './compose.js';
import type { Outcome } from './delivery.js';
import type { MailboxRow } from './mailboxes.js';
import { smtpSettingsOf } from './mailboxes.js';
import { createRun, outboxEvents, type ClaimedMessage } from './outbox.js';
import { escapeHtml } from './render.js';
import type { SmtpSettings } from './transport.js';

/**
 * Messages to staff accounts (not to a customer card): today the membership invitation. They go
 * through the outbox like every message (retried, rate-capped, crash-safe) and are composed at
 * send time, so the invitation's link is made then and never stored in clear; they are not filed
 * on any card. The mailbox: the database's default one, else the server's (SMTP_URL).
 */
export const STAFF_TEMPLATES = new Set(['membership_invitation']);
const KEY_PREFIX = 'staff:';

export async function enqueueStaffMessage(
  db: Db,
  input: { tenantId: string; toAddress: string; kind: string; subjectId: string; language: 'he' | 'en' },
): Promise<void> {
  const runId = await createRun(db, { tenantId: input.tenantId, kind: 'staff', templateKey: input.kind, source: { subjectId: input.subjectId }, state: 'sending' });
  const key = `${KEY_PREFIX}${input.kind}:${input.subjectId}:${runId}`;
  await db.execute(
    sql`insert into outbox (tenant_id, run_id, to_address, template_key, language, state, idempotency_key)
        values (${input.tenantId}, ${runId}, ${input.toAddress}, ${input.kind}, ${input.language}, 'queued', ${key})`,
  );
  await db.execute(sql`update mail_runs set total = 1, prepared_at = now() where id = ${runId}`);
  setImmediate(() => outboxEvents.emit('enqueued'));
}

const TEXT = {
  he: {
    subject: (db: string) => `הזמנה להצטרף למאגר "${db}" ב-Kesher`,
    intro: (db: string, role: string) => `הוזמנת להצטרף למאגר "${db}" בתפקיד ${role}.`,
    account: 'כדי לקבל את ההזמנה, התחברו לחשבון שלכם ולחצו על הקישור:',
    newAccount: 'כדי לקבל את ההזמנה, לחצו על הקישור ובחרו שם וסיסמה:',
    button: 'קבלת ההזמנה',
    expires: 'הקישור תקף לשבעה ימים ולשימוש אחד. אם לא ציפיתם להזמנה, התעלמו מהודעה זו.',
    roles: { admin: 'מנהל', staff: 'משתמש' },
  },
  en: {
    subject: (db: string) => `Invitation to join "${db}" on Kesher`,
    intro: (db: string, role: string) => `You were invited to join the database "${db}" as ${role}.`,
    account: 'To accept, log in to your account and open this link:',
    newAccount: 'To accept, open this link and choose a name and a password:',
    button: 'Accept the invitation',
    expires: 'The link works once, for seven days. If you did not expect this invitation, ignore this message.',
    roles: { admin: 'administrator', staff: 'staff user' },
  },
} as const;

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1) || 'kesher.local';

export async function composeStaffMessage(
  db: Db,
  m: ClaimedMessage,
  publicUrl: string,
  boxes: MailboxRow[],
  serverMailbox: SmtpSettings | null,
): Promise<Composed | Outcome> {
  if (!m.toAddress) return { state: 'skipped', reason: 'no_email' };
  const box = boxes.find((b) => b.tenantId === m.tenantId && b.branchId === null);
  const smtp = box ? smtpSettingsOf(box) : serverMailbox;
  if (!smtp) return { state: 'skipped', reason: 'no_mailbox', error: 'not delivered: no mailbox configured' };
  const subjectId = m.idempotencyKey.startsWith(KEY_PREFIX) ? m.idempotencyKey.split(':')[2] : undefined;
  const invite = subjectId ? await issueInvitationLink(db, subjectId, publicUrl) : null;
  // Accepted, expired or replaced meanwhile: nothing to send.
  if (!invite) return { state: 'skipped', reason: 'no_template', error: 'the invitation is no longer pending' };
  const lang = m.language === 'en' ? 'en' : 'he';
  const t = TEXT[lang];
  const dir = lang === 'he' ? 'rtl' : 'ltr';
  const intro = t.intro(invite.tenantName, t.roles[invite.role]);
  const how = invite.hasAccount ? t.account : t.newAccount;
  const url = escapeHtml(invite.url);
  const html =
    `<!doctype html><html lang="${lang}" dir="${dir}"><head><meta charset="utf-8"><title>${escapeHtml(t.subject(invite.tenantName))}</title></head>` +
    `<body dir="${dir}" style="font-family:Arial,sans-serif;text-align:${dir === 'rtl' ? 'right' : 'left'}">` +
    `<p>${escapeHtml(intro)}</p><p>${escapeHtml(how)}</p><p><a href="${url}">${escapeHtml(t.button)}</a></p><p dir="ltr">${url}</p>` +
    `<p style="color:#666">${escapeHtml(t.expires)}</p></body></html>`;
  const text = `${intro}\n\n${how}\n${invite.url}\n\n${t.expires}\n`;
  return {
    smtp,
    mail: {
      from: { name: smtp.fromName, address: smtp.fromAddress },
      to: m.toAddress,
      ...(smtp.replyTo ? { replyTo: smtp.replyTo } : {}),
      subject: t.subject(invite.tenantName),
      html,
      text,
      messageId: `<${m.id}@${domainOf(smtp.fromAddress)}>`,
      headers: { 'X-Kesher-Message-Id': m.idempotencyKey, 'Content-Language': lang },
    },
    filed: null,
  };
}
