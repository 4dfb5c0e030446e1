import { and, eq, sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { analyzeCustomers } from '../../db/statistics.js';
import { cardValues } from '../customers/card.js';
import { insertCustomers } from '../customers/bulk.js';
import { branches } from '../tenants/tables.js';
import { createBranch, getTenant } from '../tenants/service.js';
import { demoCustomer, rng } from './builders.js';

export { demoCustomer, rng, israeliId, israeliMobile, usPhone } from './builders.js';

/**
 * Loads `count` demo customers across an Israeli (Hebrew) and an American (English) branch, with
 * a timeline that agrees with their statuses: unanswered calls (In follow-up), meetings and quotes
 * (Follow-up + meeting / quote), and plain new leads.
 */
export async function loadDemo(db: Db, tenantId: string, count = 300, seed = 1): Promise<number> {
  const tenant = await getTenant(db, tenantId);
  const il = await ensureBranch(db, tenantId, { name: 'ישראל', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' });
  const us = await ensureBranch(db, tenantId, { name: 'USA', country: 'US', language: 'en', timezone: 'America/New_York' });
  const r = rng(seed);
  const [{ start } = { start: 0 }] = await rows<{ start: number }>(db, sql`select count(*)::int as start from customers where tenant_id = ${tenantId}`);
  const cards = Array.from({ length: count }, (_, i) => {
    const branch = r() < 0.7 ? { id: il, country: 'IL' as const } : { id: us, country: 'US' as const };
    const { values } = cardValues(demoCustomer(r, start + i, branch), null, tenant.defaultRegion);
    const roll = r();
    const status = roll < 0.25 ? 'follow_up' : roll < 0.4 ? 'follow_up_meeting_quote' : 'new';
    const daysAgo = Math.floor(r() * 365);
    return { ...values, status, createdBy: 'demo', createdAt: new Date(Date.now() - daysAgo * 86_400_000) };
  });
  await db.transaction(async (tx) => {
    const created = await insertCustomers(tx, tenantId, cards);
    const timeline = created.flatMap((c, i) => {
      const status = cards[i]!.status;
      if (status === 'follow_up') return [{ customer_id: c.id, type: 'call_unanswered', subject: 'אין מענה / No answer' }];
      if (status === 'follow_up_meeting_quote') {
        return [
          { customer_id: c.id, type: 'call_answered', subject: 'שיחת היכרות / Intro call' },
          { customer_id: c.id, type: 'meeting', subject: 'פגישה במשרד / Office meeting', body: 'הוצגה הצעה ראשונית. / First offer presented.' },
        ];
      }
      return [];
    });
    await tx.execute(sql`
      insert into interactions (tenant_id, customer_id, type, subject, body, created_by)
      select ${tenantId}::uuid, t.customer_id, t.type, t.subject, t.body, 'demo'
        from jsonb_to_recordset(${JSON.stringify(timeline)}::jsonb) as t(customer_id uuid, type text, subject text, body text)`);
  });
  await analyzeCustomers(db);
  return count;
}

async function ensureBranch(db: Db, tenantId: string, b: { name: string; country: string; language: 'he' | 'en'; timezone: string }): Promise<string> {
  const [found] = await db
    .select({ id: branches.id })
    .from(branches)
    .where(and(eq(branches.tenantId, tenantId), eq(branches.country, b.country)))
    .limit(1);
  return found?.id ?? (await createBranch(db, tenantId, b)).id;
}
