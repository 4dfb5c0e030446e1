import type { Db } from '../db/client.js';
import { createTenant, updateTenant } from '../modules/tenants/service.js';
import { createUser } from '../modules/users/service.js';
import { memberships } from '../modules/users/tables.js';

export const PASSWORD = 'correct horse battery';

export interface TenantFixture {
  tenantId: string;
  branchId: string;
  admin: { id: string; email: string };
  staff: { id: string; email: string };
}

let counter = 0;

/** A tenant with its default branch (Israel), an admin and a staff user, both with PASSWORD. */
export async function seedTenant(db: Db, opts: { name?: string; allowDuplicates?: boolean } = {}): Promise<TenantFixture> {
  const n = ++counter;
  const { tenant, branch } = await createTenant(db, { name: opts.name ?? `Tenant ${n}` });
  if (opts.allowDuplicates) await updateTenant(db, tenant.id, { allowDuplicates: true });
  const admin = await createUser(db, tenant.id, { email: `admin${n}@example.com`, name: `Admin ${n}`, password: PASSWORD, role: 'admin', language: 'he' });
  const staff = await createUser(db, tenant.id, { email: `staff${n}@example.com`, name: `Staff ${n}`, password: PASSWORD, role: 'staff', language: 'he' });
  return { tenantId: tenant.id, branchId: branch.id, admin: { id: admin.id, email: admin.email }, staff: { id: staff.id, email: staff.email } };
}

/** Makes an existing account a member of another tenant directly (what an accepted invitation does). */
export async function addMembership(db: Db, userId: string, tenantId: string, role: 'admin' | 'staff' = 'staff'): Promise<void> {
  await db.insert(memberships).values({ userId, tenantId, role });
}
