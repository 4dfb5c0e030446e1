import type { Db } from '../../db/client.js';
import { createRun, enqueueMessages, markRunSending, outboxEvents, type MailboxAvailability, type Recipient } from './outbox.js';

/**
 * One message to one customer, as a run of one ('notification': transactional, no unsubscribe):
 * the card's address, language and branch mailbox, chosen exactly as for a run. A portal welcome,
 * a set-password link.
 */
export async function enqueueCustomerMessage(
  db: Db,
  mail: MailboxAvailability,
  input: { tenantId: string; customerId: string; templateKey: string; credential?: Recipient['credential']; source: Record<string, unknown> },
): Promise<string> {
  const runId = await createRun(db, { tenantId: input.tenantId, kind: 'notification', templateKey: input.templateKey, source: input.source });
  await enqueueMessages(db, mail, { tenantId: input.tenantId, runId, recipients: [{ customerId: input.customerId, credential: input.credential ?? null }] });
  await markRunSending(db, input.tenantId, runId);
  outboxEvents.emit('enqueued');
  return runId;
}
