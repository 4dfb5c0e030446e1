import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Mailbox, MailboxCreate, MailboxPatch } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, invalid, type FieldErrorSpec } from '../../http/errors.js';
import { decryptSecret, encryptSecret } from '../secrets/index.js';
import { branchExists } from '../tenants/service.js';
import { mailboxes } from './tables.js';
import type { SmtpSettings } from './transport.js';
import { uniqueViolation } from '../../db/errors.js';

/**
 * Mailboxes: SMTP settings of a branch, or the database's default (branchId null). The password
 * is stored only as AES-256-GCM ciphertext bound to `mailbox:<tenant>:<id>` and never returned.
 * A customer's mail goes from: the branch's mailbox → the database default → the server default
 * (SMTP_URL) → nowhere ("not delivered: no mailbox configured").
 */
export type MailboxRow = typeof mailboxes.$inferSelect;

const aad = (tenantId: string, id: string) => `mailbox:${tenantId}:${id}`;

export function presentMailbox(row: MailboxRow): Mailbox {
  return {
    id: row.id,
    branchId: row.branchId,
    host: row.host,
    port: row.port,
    tlsMode: row.tlsMode as Mailbox['tlsMode'],
    username: row.username,
    hasPassword: !!row.passwordEncrypted,
    fromName: row.fromName,
    fromAddress: row.fromAddress,
    replyTo: row.replyTo,
    ratePerMinute: row.ratePerMinute,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Settings to connect with, the password decrypted (kept in memory only). */
export function smtpSettingsOf(row: MailboxRow): SmtpSettings {
  return {
    mailboxId: row.id,
    version: row.updatedAt.toISOString(),
    host: row.host,
    port: row.port,
    tlsMode: row.tlsMode as SmtpSettings['tlsMode'],
    username: row.username,
    password: row.passwordEncrypted ? decryptSecret(row.passwordEncrypted, aad(row.tenantId, row.id)) : null,
    fromName: row.fromName,
    fromAddress: row.fromAddress,
    replyTo: row.replyTo,
    ratePerMinute: row.ratePerMinute,
  };
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;

/** What zod cannot say: one-line names (they become mail headers) and a host name. */
function check(input: Partial<MailboxCreate>): FieldErrorSpec[] {
  const errors: FieldErrorSpec[] = [];
  for (const path of ['fromName', 'username', 'fromAddress', 'replyTo', 'host'] as const) {
    const v = input[path];
    if (typeof v === 'string' && /[\r\n]/.test(v)) errors.push({ path, code: 'line_break' });
  }
  if (input.fromName !== undefined && !input.fromName.trim() && !errors.some((e) => e.path === 'fromName')) errors.push({ path: 'fromName', code: 'required' });
  if (input.host !== undefined && !errors.some((e) => e.path === 'host') && !HOST.test(input.host)) errors.push({ path: 'host', code: 'invalid_host' });
  return errors;
}

async function load(db: Db, tenantId: string, id: string): Promise<MailboxRow> {
  const [row] = await db.select().from(mailboxes).where(and(eq(mailboxes.tenantId, tenantId), eq(mailboxes.id, id)));
  if (!row) throw new AppError('not_found', 'not_found.mailbox');
  return row;
}

export const getMailboxRow = load;

export async function listMailboxes(db: Db, tenantId: string): Promise<Mailbox[]> {
  const list = await db.select().from(mailboxes).where(eq(mailboxes.tenantId, tenantId)).orderBy(sql`${mailboxes.branchId} is not null`, asc(mailboxes.createdAt));
  return list.map(presentMailbox);
}

export async function getMailbox(db: Db, tenantId: string, id: string): Promise<Mailbox> {
  return presentMailbox(await load(db, tenantId, id));
}

const isUniqueViolation = (err: unknown) => uniqueViolation(err) !== null;

export async function createMailbox(db: Db, tenantId: string, input: MailboxCreate): Promise<Mailbox> {
  const errors = check(input);
  if (input.branchId && !(await branchExists(db, tenantId, input.branchId))) errors.push({ path: 'branchId', code: 'not_found' });
  if (errors.length) throw invalid(errors);
  const taken = await db
    .select({ id: mailboxes.id })
    .from(mailboxes)
    .where(and(eq(mailboxes.tenantId, tenantId), input.branchId ? eq(mailboxes.branchId, input.branchId) : isNull(mailboxes.branchId)));
  if (taken.length) throw new AppError('conflict', 'conflict.mailbox_exists');
  const id = randomUUID();
  try {
    const [row] = await db
      .insert(mailboxes)
      .values({
        id,
        tenantId,
        branchId: input.branchId ?? null,
        host: input.host,
        port: input.port,
        tlsMode: input.tlsMode,
        username: input.username || null,
        passwordEncrypted: input.password ? encryptSecret(input.password, aad(tenantId, id)) : null,
        fromName: input.fromName.trim(),
        fromAddress: input.fromAddress,
        replyTo: input.replyTo ?? null,
        ratePerMinute: input.ratePerMinute ?? null,
      })
      .returning();
    return presentMailbox(row!);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', 'conflict.mailbox_exists');
    throw err;
  }
}

export async function updateMailbox(db: Db, tenantId: string, id: string, patch: MailboxPatch): Promise<Mailbox> {
  const errors = check(patch);
  if (errors.length) throw invalid(errors);
  await load(db, tenantId, id);
  const set: Partial<typeof mailboxes.$inferInsert> = { updatedAt: new Date() };
  if (patch.host !== undefined) set.host = patch.host;
  if (patch.port !== undefined) set.port = patch.port;
  if (patch.tlsMode !== undefined) set.tlsMode = patch.tlsMode;
  if (patch.username !== undefined) set.username = patch.username || null;
  if (patch.password !== undefined) set.passwordEncrypted = patch.password ? encryptSecret(patch.password, aad(tenantId, id)) : null;
  if (patch.fromName !== undefined) set.fromName = patch.fromName.trim();
  if (patch.fromAddress !== undefined) set.fromAddress = patch.fromAddress;
  if (patch.replyTo !== undefined) set.replyTo = patch.replyTo ?? null;
  if (patch.ratePerMinute !== undefined) set.ratePerMinute = patch.ratePerMinute ?? null;
  const [row] = await db
    .update(mailboxes)
    .set(set)
    .where(and(eq(mailboxes.tenantId, tenantId), eq(mailboxes.id, id)))
    .returning();
  return presentMailbox(row!);
}

export async function deleteMailbox(db: Db, tenantId: string, id: string): Promise<void> {
  const done = await db
    .delete(mailboxes)
    .where(and(eq(mailboxes.tenantId, tenantId), eq(mailboxes.id, id)))
    .returning({ id: mailboxes.id });
  if (done.length === 0) throw new AppError('not_found', 'not_found.mailbox');
}

/**
 * The tenant's mailbox for a branch: the branch's own, else the database default; null when
 * neither exists (then the server default, if configured, sends).
 */
export async function resolveMailbox(db: Db, tenantId: string, branchId: string | null): Promise<MailboxRow | null> {
  const list = await db
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.tenantId, tenantId), branchId ? sql`(${mailboxes.branchId} = ${branchId} or ${mailboxes.branchId} is null)` : isNull(mailboxes.branchId)));
  return list.find((m) => m.branchId !== null) ?? list[0] ?? null;
}
