import { and, desc, eq, sql } from 'drizzle-orm';
import type { MailSuppression } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { sign, verifySignature } from '../secrets/index.js';
import { escapeHtml } from './render.js';
import { mailSuppressions } from './tables.js';

/**
 * The per-tenant suppression list: addresses that unsubscribed (RFC 8058 one-click POST, or the
 * confirmation page) or hard-bounced. Every later bulk run skips them; invitations and other
 * transactional mail do not look at it.
 *
 * An unsubscribe link carries `base64url(tenant:email).signature`, the signature a keyed MAC
 * (`sign('unsubscribe', …)`), so it needs no table and cannot be forged for another address.
 */
const PURPOSE = 'unsubscribe';

export type SuppressionReason = MailSuppression['reason'];

export function unsubscribeToken(tenantId: string, email: string): string {
  const value = `${tenantId}:${email.trim().toLowerCase()}`;
  return `${Buffer.from(value, 'utf8').toString('base64url')}.${sign(PURPOSE, value)}`;
}

export function readUnsubscribeToken(token: string): { tenantId: string; email: string } | null {
  const [payload, signature] = token.split('.');
  if (!payload || !signature || token.length > 1000) return null;
  const value = Buffer.from(payload, 'base64url').toString('utf8');
  const at = value.indexOf(':');
  if (at !== 36 || !verifySignature(PURPOSE, value, signature)) return null;
  return { tenantId: value.slice(0, at), email: value.slice(at + 1) };
}

export function unsubscribeUrl(publicUrl: string, tenantId: string, email: string, language: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/u/${unsubscribeToken(tenantId, email)}?l=${language === 'he' ? 'he' : 'en'}`;
}

export async function suppress(db: Db, tenantId: string, email: string, reason: SuppressionReason): Promise<void> {
  await db
    .insert(mailSuppressions)
    .values({ tenantId, email: email.trim().toLowerCase(), reason })
    .onConflictDoNothing();
}

export async function isSuppressed(db: Db, tenantId: string, email: string): Promise<boolean> {
  const [row] = await db
    .select({ email: mailSuppressions.email })
    .from(mailSuppressions)
    .where(and(eq(mailSuppressions.tenantId, tenantId), eq(mailSuppressions.email, email.trim().toLowerCase())));
  return !!row;
}

export async function listSuppressions(db: Db, tenantId: string, q: string | undefined, limit: number): Promise<MailSuppression[]> {
  const list = await db
    .select()
    .from(mailSuppressions)
    .where(and(eq(mailSuppressions.tenantId, tenantId), q ? sql`${mailSuppressions.email} like ${`%${q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`}` : undefined))
    .orderBy(desc(mailSuppressions.createdAt))
    .limit(limit);
  return list.map((r) => ({ email: r.email, reason: r.reason as SuppressionReason, createdAt: r.createdAt.toISOString() }));
}

export async function removeSuppression(db: Db, tenantId: string, email: string): Promise<void> {
  const done = await db
    .delete(mailSuppressions)
    .where(and(eq(mailSuppressions.tenantId, tenantId), eq(mailSuppressions.email, email.trim().toLowerCase())))
    .returning({ email: mailSuppressions.email });
  if (done.length === 0) throw new AppError('not_found', 'not_found.suppression');
}

// ---- the pages behind the link (GET shows a confirmation; only POST unsubscribes) ----

const PAGE_TEXT = {
  he: {
    title: 'הסרה מרשימת התפוצה',
    confirm: 'להסיר את הכתובת {email} מרשימת הדיוור של {company}?',
    button: 'כן, הסירו אותי',
    done: 'הכתובת {email} הוסרה מרשימת הדיוור של {company}. לא יישלח אליה עוד דיוור שיווקי.',
    invalid: 'קישור ההסרה אינו תקף.',
  },
  en: {
    title: 'Unsubscribe',
    confirm: 'Remove {email} from the mailing list of {company}?',
    button: 'Yes, unsubscribe me',
    done: '{email} was removed from the mailing list of {company}. No more marketing mail will be sent to it.',
    invalid: 'This unsubscribe link is not valid.',
  },
} as const;

export function unsubscribePage(opts: { language: string; state: 'confirm' | 'done' | 'invalid'; email?: string; company?: string; action?: string }): string {
  const lang = opts.language === 'en' ? 'en' : 'he';
  const t = PAGE_TEXT[lang];
  const fill = (s: string) => s.replace('{email}', `<bdi>${escapeHtml(opts.email ?? '')}</bdi>`).replace('{company}', `<bdi>${escapeHtml(opts.company ?? '')}</bdi>`);
  const body =
    opts.state === 'invalid' ? `<p>${t.invalid}</p>`
    : opts.state === 'done' ? `<p>${fill(t.done)}</p>`
    : `<p>${fill(t.confirm)}</p>
<form method="post" action="${escapeHtml(opts.action ?? '')}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${t.button}</button></form>`;
  return `<!DOCTYPE html>
<html dir="${lang === 'he' ? 'rtl' : 'ltr'}" lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${t.title}</title>
<style>body{font-family:system-ui,Arial,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}</style>
</head>
<body>
<h1>${t.title}</h1>
${body}
</body>
</html>
`;
}
