import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { TestClient } from '../../testing/index.js';
import { createCustomer } from '../customers/service.js';

/** A browser on the portal (tests only). */
export class PortalClient extends TestClient {
  login = (username: string | number, password: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    this.post('/portal/api/login', { username: String(username), password, ...extra }, headers);
}

let n = 0;

/** A customer card for portal tests. */
export async function makeCustomer(db: Db, tenantId: string, fields: { email?: string; lastName?: string; firstName?: string; phone?: string } = {}) {
  n++;
  const c = await createCustomer(
    db,
    { tenantId, region: 'IL', userId: null, actorName: 'test' },
    { lastName: fields.lastName ?? `Portal ${n}`, firstName: fields.firstName ?? 'Dana', email: fields.email ?? `portal${n}-${Date.now()}@example.com`, phone: fields.phone ?? null },
    { skipDuplicateCheck: true },
  );
  return c;
}

/** Many customers at once (plain insert: numbers reserved in one go), for set-based tests. */
export async function makeCustomers(db: Db, tenantId: string, count: number): Promise<string[]> {
  const list = await rows<{ id: string }>(
    db,
    sql`with start as (
          update tenants set next_customer_number = next_customer_number + ${count} where id = ${tenantId}
          returning next_customer_number - ${count} as first)
        insert into customers (tenant_id, customer_number, last_name, created_by)
        select ${tenantId}, start.first + g - 1, 'Bulk ' || g, 'test' from start, generate_series(1, ${count}) g
        returning id`,
  );
  return list.map((r) => r.id);
}

/** The stored credentials row, raw. */
export async function credentialsRow(db: Db, customerId: string) {
  const [row] = await rows<{ initial_password: string | null; initial_expires_at: Date | string | null; password_hash: string | null }>(
    db,
    sql`select initial_password, initial_expires_at, password_hash from portal_credentials where customer_id = ${customerId}`,
  );
  return row ?? null;
}

/** Makes a customer's generated password expire now. */
export async function expireInitial(db: Db, customerId: string): Promise<void> {
  await db.execute(sql`update portal_credentials set initial_expires_at = now() - interval '1 second' where customer_id = ${customerId}`);
}
