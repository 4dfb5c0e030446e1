import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { generateAdminPassword } from '../auth/passwords.js';
import { createDatabase } from './databases.js';

const BOOTSTRAP_LOCK = 7_300_002;

/**
 * The first start on an empty database: a tenant, its default branch (Israel, Hebrew) and an
 * admin, who is the server's owner. The admin's login comes from KESHER_ADMIN_EMAIL /
 * KESHER_ADMIN_PASSWORD, or a generated one-time password is returned for the console. Returns
 * null when the database was not empty.
 */
export async function bootstrap(db: Db, admin: { email?: string | undefined; password?: string | undefined }) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    const [existing] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from tenants`);
    if ((existing?.n ?? 0) > 0) return null;
    const email = admin.email ?? 'admin@kesher.local';
    const password = admin.password ?? generateAdminPassword();
    const made = await createDatabase(tx, { name: 'Kesher', adminEmail: email, adminPassword: password, adminName: 'Admin', language: 'he', owner: true });
    return { tenantId: made.tenantId, email, password: admin.password ? null : password };
  });
}
