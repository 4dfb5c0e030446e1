import { sql } from 'drizzle-orm';
import { type Db } from '../../db/client.js';
import { createRun, outboxEvents } from './outbox.js';
import { templateLanguages } from './templates.js';

/**
 * Notifications to staff (not to the customer): a message about a card, rendered from that card
 * at send time like every other message, but addressed to the given addresses. One run of kind
 * 'notification' per event; its messages go through the outbox, so they are retried, rate-capped
 * per mailbox and filed like the rest. The mailbox is chosen at send time (the card's branch,
 * then the database's default, then the server's).
 */
export async function enqueueNotification(
  db: Db,
  input: { tenantId: string; customerId: string; templateKey: string; addresses: string[]; language: string; source: Record<string, unknown> },
): Promise<{ runId: string; queued: number } | null> {
  const addresses = [...new Set(input.addresses.map((a) => a.trim().toLowerCase()).filter(Boolean))];
  if (addresses.length === 0) return null;
  const languages = await templateLanguages(db, input.tenantId, input.templateKey);
  const language = languages.includes(input.language) ? input.language : (languages[0] ?? input.language);
  const runId = await createRun(db, { tenantId: input.tenantId, kind: 'notification', templateKey: input.templateKey, source: input.source, state: 'sending' });
  await db.execute(
    sql`insert into outbox (tenant_id, run_id, customer_id, to_address, template_key, language, state, idempotency_key)
        select ${input.tenantId}, ${runId}, ${input.customerId}, a, ${input.templateKey}, ${language}, 'queued', ${runId} || ':' || a
          from unnest(${sql.param(addresses)}::text[]) as a
        on conflict (idempotency_key) do nothing`,
  );
  await db.execute(sql`update mail_runs set total = ${addresses.length}, prepared_at = now() where id = ${runId}`);
  // Wake this process's worker once the caller's transaction is likely committed (a hint only: workers poll).
  setImmediate(() => outboxEvents.emit('enqueued'));
  return { runId, queued: addresses.length };
}
