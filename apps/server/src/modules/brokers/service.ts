import { sql } from 'drizzle-orm';
import type { Broker, BrokerCreate, BrokerCustomers, CustomerSummary } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { uniqueViolation } from '../../db/errors.js';
import { AppError, invalid, notFound } from '../../http/errors.js';

/** Brokers / affiliates (tables.ts): managed by admins, applied by the intake channels. */
type Row = { id: string; name: string; account_number: string; affiliate_code: string; customer_id: string | null; active: boolean; customer_count: number };

const present = (r: Row): Broker => ({
  id: r.id,
  name: r.name,
  accountNumber: r.account_number,
  affiliateCode: r.affiliate_code,
  customerId: r.customer_id,
  active: r.active,
  customerCount: Number(r.customer_count),
});

const COLUMNS = sql`b.id, b.name, b.account_number, b.affiliate_code, b.customer_id, b.active,
  (select count(*) from customers c where c.tenant_id = b.tenant_id and c.broker_account = b.account_number) as customer_count`;

export async function listBrokers(db: Db, tenantId: string): Promise<Broker[]> {
  return (await rows<Row>(db, sql`select ${COLUMNS} from brokers b where b.tenant_id = ${tenantId} order by b.name, b.id`)).map(present);
}

export async function getBroker(db: Db, tenantId: string, id: string): Promise<Broker> {
  const [row] = await rows<Row>(db, sql`select ${COLUMNS} from brokers b where b.tenant_id = ${tenantId} and b.id = ${id}`);
  if (!row) throw notFound('broker');
  return present(row);
}

async function checkCard(db: Db, tenantId: string, customerId: string | null | undefined): Promise<void> {
  if (!customerId) return;
  const [card] = await rows(db, sql`select 1 from customers where tenant_id = ${tenantId} and id = ${customerId}`);
  if (!card) throw invalid([{ path: 'customerId', code: 'not_found' }]);
}

function conflict(err: unknown): never {
  const which = uniqueViolation(err);
  if (which?.includes('affiliate')) throw new AppError('conflict', 'conflict.broker_affiliate_code');
  if (which) throw new AppError('conflict', 'conflict.broker_account');
  throw err;
}

export async function createBroker(db: Db, tenantId: string, input: BrokerCreate): Promise<Broker> {
  await checkCard(db, tenantId, input.customerId);
  try {
    const [row] = await rows<{ id: string }>(
      db,
      sql`insert into brokers (tenant_id, name, account_number, affiliate_code, customer_id, active)
          values (${tenantId}, ${input.name}, ${input.accountNumber}, ${input.affiliateCode}, ${input.customerId ?? null}, ${input.active})
          returning id`,
    );
    return getBroker(db, tenantId, row!.id);
  } catch (err) {
    conflict(err);
  }
}

export async function updateBroker(db: Db, tenantId: string, id: string, patch: Partial<BrokerCreate>): Promise<Broker> {
  await checkCard(db, tenantId, patch.customerId);
  const set = sql.join(
    [
      patch.name !== undefined && sql`name = ${patch.name}`,
      patch.accountNumber !== undefined && sql`account_number = ${patch.accountNumber}`,
      patch.affiliateCode !== undefined && sql`affiliate_code = ${patch.affiliateCode}`,
      patch.customerId !== undefined && sql`customer_id = ${patch.customerId}`,
      patch.active !== undefined && sql`active = ${patch.active}`,
    ].filter((x): x is ReturnType<typeof sql> => !!x),
    sql`, `,
  );
  try {
    const [row] = await rows(db, sql`update brokers set ${set} where tenant_id = ${tenantId} and id = ${id} returning id`);
    if (!row) throw notFound('broker');
  } catch (err) {
    if (err instanceof AppError) throw err;
    conflict(err);
  }
  return getBroker(db, tenantId, id);
}

export async function deleteBroker(db: Db, tenantId: string, id: string): Promise<void> {
  const [row] = await rows(db, sql`delete from brokers where tenant_id = ${tenantId} and id = ${id} returning id`);
  if (!row) throw notFound('broker');
}

/**
 * The broker an affiliate code names (active brokers only, any case): what a new customer is
 * stamped with. Null when the code names nobody.
 */
export async function brokerOfAffiliate(db: Db, tenantId: string, code: string | undefined | null): Promise<{ brokerName: string; brokerAccount: string } | null> {
  const c = code?.trim();
  if (!c) return null;
  const [row] = await rows<{ name: string; account_number: string }>(
    db,
    sql`select name, account_number from brokers where tenant_id = ${tenantId} and lower(affiliate_code) = lower(${c}) and active`,
  );
  return row ? { brokerName: row.name, brokerAccount: row.account_number } : null;
}

const LIMIT = 200;

/** The customers a broker brought (by its account number), newest first, up to 200. */
export async function customersOfBroker(db: Db, tenantId: string, brokerOrId: Broker | string): Promise<BrokerCustomers> {
  const broker = typeof brokerOrId === 'string' ? await getBroker(db, tenantId, brokerOrId) : brokerOrId;
  const found = await rows<CustomerSummary>(
    db,
    sql`select id, customer_number::int as "customerNumber", status,
               trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as "fullName",
               phone, email, id_number as "idNumber", branch_id as "branchId", city,
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt"
          from customers where tenant_id = ${tenantId} and broker_account = ${broker.accountNumber}
         order by created_at desc, id desc limit ${LIMIT + 1}`,
  );
  return { broker, items: found.slice(0, LIMIT), more: found.length > LIMIT };
}

/** The broker whose own card this is (for "this broker's customers" on the card), or null. */
export async function brokerOfCard(db: Db, tenantId: string, customerId: string): Promise<Broker | null> {
  const [row] = await rows<Row>(db, sql`select ${COLUMNS} from brokers b where b.tenant_id = ${tenantId} and b.customer_id = ${customerId} order by b.created_at limit 1`);
  return row ? present(row) : null;
}
