import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { endSessions } from '../auth/service.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { users } from './tables.js';

/**
 * An account's credentials and global state: changed by the account itself (its password, with the
 * current one) or by an owner (the operator-level role), never by one database's admin.
 */

/** A staff user changes their own password: the other sessions end, this one stays. */
export async function changeOwnPassword(db: Db, userId: string, input: { currentPassword: string; newPassword: string }, keepToken: string | null) {
  const [row] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId));
  if (!row || !(await verifyPassword(row.hash, input.currentPassword))) throw new AppError('forbidden', 'users.bad_current_password');
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    await endSessions(tx, userId, keepToken);
  });
}

export interface AccountPatch {
  name?: string | undefined;
  password?: string | undefined;
  language?: 'he' | 'en' | undefined;
  active?: boolean | undefined;
}

/** An owner changes any account: a new password or a lock ends all its sessions. */
export async function updateAccount(db: Db, id: string, patch: AccountPatch) {
  const fields: Partial<typeof users.$inferInsert> = {};
  if (patch.name !== undefined) fields.name = patch.name;
  if (patch.language !== undefined) fields.language = patch.language;
  if (patch.active !== undefined) fields.active = patch.active;
  if (patch.password !== undefined) fields.passwordHash = await hashPassword(patch.password);
  const row = await db.transaction(async (tx) => {
    const [found] = Object.keys(fields).length
      ? await tx.update(users).set(fields).where(eq(users.id, id)).returning()
      : await tx.select().from(users).where(eq(users.id, id));
    if (!found) throw new AppError('not_found', 'not_found.account');
    if (patch.password !== undefined || patch.active === false) await endSessions(tx, id);
    return found;
  });
  return { id: row.id, email: row.email, name: row.name, language: row.language === 'en' ? ('en' as const) : ('he' as const), active: row.active, owner: row.isOwner };
}

export async function isOwner(db: Db, userId: string): Promise<boolean> {
  const [row] = await db.select({ owner: users.isOwner }).from(users).where(eq(users.id, userId));
  return !!row?.owner;
}

export async function accountByEmail(db: Db, email: string) {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email.trim().toLowerCase()));
  return row ?? null;
}
