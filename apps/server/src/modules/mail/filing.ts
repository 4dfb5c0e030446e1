import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { cardsWithKey } from '../identity/index.js';

/**
 * Filing: every sent message becomes an `email` interaction on every card of the tenant whose
 * email addresses include the recipient (case-insensitive, through customer_keys),
 * linked to its outbox row (and through it, its run). The filed copy is rendered with
 * credentials masked: it never shows a password or a working set-password link.
 */
export const FILED_BY = 'Kesher Mail';
const MAX_BODY = 100_000;

export interface FiledMessage {
  outboxId: string;
  tenantId: string;
  toAddress: string;
  subject: string;
  body: string;
}

/** A message as the filing statement reads it (address normalised, subject and body capped). */
export function filingRow(m: FiledMessage): { outbox_id: string; tenant_id: string; addr: string; subject: string; body: string } {
  return { outbox_id: m.outboxId, tenant_id: m.tenantId, addr: m.toAddress.trim().toLowerCase(), subject: m.subject.slice(0, 1000), body: m.body.slice(0, MAX_BODY) };
}

/**
 * The filing insert over any row source with the columns of `filingRow` (`outbox_id`,
 * `tenant_id`, `addr`, `subject`, `body`), so the worker can file inside the statement that
 * records a batch.
 */
export function fileFrom(source: SQL): SQL {
  return sql`insert into interactions (tenant_id, customer_id, outbox_id, type, subject, body, created_by)
        select x.tenant_id, c.customer_id, x.outbox_id, 'email', x.subject, x.body, ${FILED_BY}
          from (${source}) as x
          -- One probe of the key index per address: OFFSET 0 keeps the subquery apart, so the
          -- planner cannot turn it into a scan of all the tenant's keys.
          cross join lateral (${cardsWithKey(sql`x.tenant_id`, 'email', sql`x.addr`)} offset 0) c`;
}

/** Files a batch of sent messages in one statement; returns how many interactions were written. */
export async function fileSentMessages(db: Db, messages: FiledMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  const list = JSON.stringify(messages.map(filingRow));
  const result = (await db.execute(
    fileFrom(sql`select * from jsonb_to_recordset(${list}::jsonb) as x(outbox_id uuid, tenant_id uuid, addr text, subject text, body text)`),
  )) as unknown as { rowCount?: number; affectedRows?: number };
  return result.rowCount ?? result.affectedRows ?? 0;
}
