import { sql } from 'drizzle-orm';
import type { Database } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { accountByEmail, createUser, inviteToDatabase } from '../users/index.js';
import { createTenant } from './service.js';

/**
 * Databases ("tenants" in the code) as the owner sees them, and the one way one is made: by the
 * owner's screen (`POST /api/v1/databases`), by `kesher tenant create` and by the first start.
 */

export interface NewDatabase {
  name: string;
  adminEmail: string;
  /** Given (the CLI, the first start): a new account gets it. Not given: the admin is invited by email. */
  adminPassword?: string | undefined;
  adminName?: string | undefined;
  language?: 'he' | 'en' | undefined;
  invitedByUserId?: string | null | undefined;
  /** The first start: the new admin account is the server's owner. */
  owner?: boolean | undefined;
}

export interface CreatedDatabase {
  tenantId: string;
  /** The admin's account, when it was created here; null when an invitation was sent. */
  adminUserId: string | null;
  /** 'created': a new account with the given password. 'invited': an emailed link (an existing account accepts; a new email chooses its password). */
  admin: 'created' | 'invited';
}

/**
 * Creates a database with its default branch and its first admin, in one transaction. An email
 * that already has an account is never given a password or added directly: it is invited and the
 * account accepts (the rule for every database). A new email gets an account with the
 * given password, or, without one, an invitation link where it chooses its own.
 */
export async function createDatabase(db: Db, input: NewDatabase): Promise<CreatedDatabase> {
  const language = input.language ?? 'he';
  return db.transaction(async (tx) => {
    const { tenant } = await createTenant(tx, {
      name: input.name,
      language,
      ...(language === 'en' ? { region: 'IL', branch: { name: 'Israel', country: 'IL', language: 'en' as const, timezone: 'Asia/Jerusalem' } } : {}),
    });
    const email = input.adminEmail.trim().toLowerCase();
    const existing = await accountByEmail(tx, email);
    if (existing || input.adminPassword === undefined) {
      if (existing && input.owner) throw new AppError('conflict', 'conflict.email_taken');
      await inviteToDatabase(tx, { tenantId: tenant.id, email, role: 'admin', invitedByUserId: input.invitedByUserId ?? null, language });
      return { tenantId: tenant.id, adminUserId: null, admin: 'invited' as const };
    }
    const admin = await createUser(tx, tenant.id, {
      email,
      name: input.adminName ?? 'Admin',
      password: input.adminPassword,
      role: 'admin',
      language,
      owner: input.owner ?? false,
    });
    return { tenantId: tenant.id, adminUserId: admin.id, admin: 'created' as const };
  });
}

const summary = (where: ReturnType<typeof sql>) => sql`
  select t.id, t.name, t.created_at,
         (select count(*)::int from memberships m where m.tenant_id = t.id and m.active) as users,
         (select count(*)::int from customers c where c.tenant_id = t.id) as customers
    from tenants t ${where}
   order by t.created_at, t.name`;

type SummaryRow = { id: string; name: string; created_at: Date | string; users: number; customers: number };
const present = (r: SummaryRow): Database => ({ id: r.id, name: r.name, createdAt: new Date(r.created_at).toISOString(), users: r.users, customers: r.customers });

/** Every database of the server, with its numbers of active users and of customers (owner only). */
export async function listDatabases(db: Db): Promise<Database[]> {
  return (await rows<SummaryRow>(db, summary(sql``))).map(present);
}

export async function getDatabase(db: Db, tenantId: string): Promise<Database> {
  const [row] = await rows<SummaryRow>(db, summary(sql`where t.id = ${tenantId}`));
  if (!row) throw new AppError('not_found', 'forbidden');
  return present(row);
}
