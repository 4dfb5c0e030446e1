import { sql } from 'drizzle-orm';
import type { SkipReason } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { take, windowEnd } from '../throttle/index.js';
import { fileSentMessages } from './filing.js';
import { finishRuns, type ClaimedMessage } from './outbox.js';

/**
 * The worker's side of the outbox, as a state machine on each row:
 *
 *   queued ──claim──▶ sending ──▶ sent            (committed before / after the SMTP call)
 *                        │──────▶ queued (later)  transient failure, attempts < max: backoff
 *                        │──────▶ failed          permanent failure, or attempts exhausted
 *                        └─lease expires─▶ queued (or failed once attempts are exhausted)
 *
 * Claims take due rows with FOR UPDATE SKIP LOCKED, so concurrent workers never take the same
 * row. A claim sets a lease (`next_attempt_at` = now + lease, renewed while the worker is busy)
 * and increments `attempts`, which then serves as a fencing token: a result is recorded only by
 * the claim that holds the row's current attempt, so a worker that lost its lease cannot
 * overwrite a newer claim. A row left 'sending' by a crashed worker goes back to 'queued' when
 * its lease expires: the message may have gone out just before the crash, so at most what was
 * in flight is sent twice, and nobody is skipped.
 */

const RATE_WINDOW_SECONDS = 60;
const rateKey = (mailboxId: string) => `mail:${mailboxId}`;

type ClaimRow = {
  id: string; tenant_id: string; run_id: string; customer_id: string | null; to_address: string | null; mailbox_id: string | null;
  template_key: string; language: string; credential: ClaimedMessage['credential']; attempts: number; idempotency_key: string;
};

/**
 * Claims up to `batchSize` due messages and marks them 'sending' (committed when this returns).
 * A mailbox's `ratePerMinute` is a per-minute budget shared by all workers (a counter row in the
 * database, locked while a claim takes from it); when a mailbox's budget is spent, its waiting
 * messages are put off to the start of the next window, so they do not crowd out other mailboxes.
 */
export async function claimMessages(db: Db, opts: { batchSize: number; leaseSeconds: number }): Promise<ClaimedMessage[]> {
  const claimed = await db.transaction(async (tx) => {
    const candidates = await rows<{ id: string; mailbox_id: string | null }>(
      tx,
      sql`select id, mailbox_id from outbox
           where state = 'queued' and next_attempt_at <= now()
           order by next_attempt_at
           limit ${opts.batchSize}
           for update skip locked`,
    );
    if (candidates.length === 0) return [];
    let chosen = candidates.map((c) => c.id);
    const mailboxIds = [...new Set(candidates.map((c) => c.mailbox_id).filter((m): m is string => m !== null))].sort();
    if (mailboxIds.length) {
      const capped = await rows<{ id: string; rate: number }>(
        tx,
        sql`select id, rate_per_minute as rate from mailboxes where id = any(${sql.param(mailboxIds)}::uuid[]) and rate_per_minute is not null order by id`,
      );
      for (const m of capped) {
        const mine = candidates.filter((c) => c.mailbox_id === m.id).map((c) => c.id);
        const granted = await take(tx, rateKey(m.id), mine.length, m.rate, RATE_WINDOW_SECONDS);
        if (granted === mine.length) continue;
        const keep = mine.slice(0, granted);
        const denied = new Set(mine.slice(granted));
        chosen = chosen.filter((id) => !denied.has(id));
        await tx.execute(
          sql`update outbox set next_attempt_at = ${windowEnd(rateKey(m.id), RATE_WINDOW_SECONDS)}
               where id in (select id from outbox
                             where mailbox_id = ${m.id} and state = 'queued' and next_attempt_at <= now()
                               and not (id = any(${sql.param(keep)}::uuid[]))
                             for update skip locked)`,
        );
      }
    }
    if (chosen.length === 0) return [];
    return rows<ClaimRow>(
      tx,
      sql`update outbox set state = 'sending', attempts = attempts + 1,
                 next_attempt_at = now() + make_interval(secs => ${opts.leaseSeconds})
           where id = any(${sql.param(chosen)}::uuid[]) and state = 'queued'
          returning id, tenant_id, run_id, customer_id, to_address, mailbox_id, template_key, language, credential, attempts, idempotency_key`,
    );
  });
  return claimed.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    runId: r.run_id,
    customerId: r.customer_id,
    toAddress: r.to_address,
    mailboxId: r.mailbox_id,
    templateKey: r.template_key,
    language: r.language,
    credential: r.credential,
    attempts: r.attempts,
    idempotencyKey: r.idempotency_key,
  }));
}

/** Renews the lease of messages this worker is still busy with. */
export async function extendLeases(db: Db, messages: ClaimedMessage[], leaseSeconds: number): Promise<void> {
  if (messages.length === 0) return;
  const list = JSON.stringify(messages.map((m) => ({ id: m.id, attempts: m.attempts })));
  await db.execute(
    sql`update outbox o set next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
          from jsonb_to_recordset(${list}::jsonb) as x(id uuid, attempts int)
         where o.id = x.id and o.state = 'sending' and o.attempts = x.attempts`,
  );
}

export const INTERRUPTED = 'interrupted while sending (the worker stopped); it may have been delivered';

/**
 * Messages whose lease expired (their worker crashed or lost the database) go back to 'queued'
 * to be sent again, or to 'failed' when their attempts are used up. Returns how many.
 */
export async function releaseExpiredLeases(db: Db, maxAttempts: number): Promise<number> {
  const released = await rows<{ run_id: string }>(
    db,
    sql`update outbox set
           state = case when attempts >= ${maxAttempts} then 'failed' else 'queued' end,
           last_error = ${INTERRUPTED},
           next_attempt_at = now()
         where state = 'sending' and next_attempt_at < now()
        returning run_id`,
  );
  await finishRuns(db, released.map((r) => r.run_id));
  return released.length;
}

export type Outcome =
  | { state: 'sent'; messageId: string; filed: { subject: string; body: string } }
  | { state: 'queued'; error: string; retryInSeconds: number }
  | { state: 'failed'; error: string; hardBounce?: boolean }
  | { state: 'skipped'; reason: SkipReason; error?: string };

/**
 * Records the results of one batch in one transaction: the rows' new states (only where this
 * claim still holds the row), the filed copies of the sent ones, hard bounces on the
 * suppression list, and runs that are now finished.
 */
export async function recordResults(db: Db, results: { message: ClaimedMessage; outcome: Outcome }[]): Promise<void> {
  if (results.length === 0) return;
  const list = JSON.stringify(
    results.map(({ message: m, outcome: o }) => ({
      id: m.id,
      attempts: m.attempts,
      state: o.state,
      error: o.state === 'sent' ? null : o.state === 'skipped' ? (o.error ?? null) : o.error,
      message_id: o.state === 'sent' ? o.messageId : null,
      skip_reason: o.state === 'skipped' ? o.reason : null,
      retry_in: o.state === 'queued' ? o.retryInSeconds : 0,
    })),
  );
  await db.transaction(async (tx) => {
    const updated = await rows<{ id: string }>(
      tx,
      sql`update outbox o set
             state = x.state,
             last_error = x.error,
             message_id = coalesce(x.message_id, o.message_id),
             skip_reason = coalesce(x.skip_reason, o.skip_reason),
             sent_at = case when x.state = 'sent' then now() else o.sent_at end,
             next_attempt_at = case when x.state = 'queued' then now() + make_interval(secs => x.retry_in) else o.next_attempt_at end
            from jsonb_to_recordset(${list}::jsonb) as x(id uuid, attempts int, state text, error text, message_id text, skip_reason text, retry_in float8)
           where o.id = x.id and o.state = 'sending' and o.attempts = x.attempts
          returning o.id`,
    );
    const mine = new Set(updated.map((u) => u.id));
    const sent = results.filter((r) => mine.has(r.message.id) && r.outcome.state === 'sent');
    await fileSentMessages(
      tx,
      sent.map(({ message, outcome }) => ({
        outboxId: message.id,
        tenantId: message.tenantId,
        toAddress: message.toAddress!,
        subject: outcome.state === 'sent' ? outcome.filed.subject : '',
        body: outcome.state === 'sent' ? outcome.filed.body : '',
      })),
    );
    const bounced = results.filter((r) => mine.has(r.message.id) && r.outcome.state === 'failed' && r.outcome.hardBounce && r.message.toAddress);
    if (bounced.length) {
      const b = JSON.stringify(bounced.map((r) => ({ tenant_id: r.message.tenantId, email: r.message.toAddress!.trim().toLowerCase() })));
      await tx.execute(
        sql`insert into mail_suppressions (tenant_id, email, reason)
            select distinct x.tenant_id, x.email, 'hard_bounce' from jsonb_to_recordset(${b}::jsonb) as x(tenant_id uuid, email text)
            on conflict do nothing`,
      );
    }
    await finishRuns(tx, results.map((r) => r.message.runId));
  });
}
