import { sql } from 'drizzle-orm';
import type { SkipReason } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { take, windowEnd } from '../throttle/index.js';
import { fileFrom, filingRow } from './filing.js';
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

const CLAIM_COLUMNS = ['id', 'tenant_id', 'run_id', 'customer_id', 'to_address', 'mailbox_id', 'template_key', 'language', 'credential', 'attempts', 'idempotency_key'];
const claimColumns = (alias = '') => sql.raw(CLAIM_COLUMNS.map((c) => alias + c).join(', '));

/**
 * Claims up to `batchSize` due messages and marks them 'sending' (committed when this returns).
 * One statement takes the due rows (FOR UPDATE SKIP LOCKED) and claims at once those whose
 * mailbox has no rate cap (the server default, or a mailbox without one): the common case is one
 * round trip. Rows of a capped mailbox are handed to `claimCapped`: a mailbox's `ratePerMinute`
 * is a per-minute budget shared by all workers (a counter row in the database, locked while a
 * claim takes from it); when a mailbox's budget is spent, its waiting messages are put off to the
 * start of the next window, so they do not crowd out other mailboxes.
 */
export async function claimMessages(db: Db, opts: { batchSize: number; leaseSeconds: number }): Promise<ClaimedMessage[]> {
  const [first] = await rows<{ claimed: ClaimRow[] | string | null; capped: { id: string; mailbox_id: string }[] | string | null }>(
    db,
    sql`with cand as (
          select o.id, o.mailbox_id, m.rate_per_minute as rate
            from outbox o left join mailboxes m on m.id = o.mailbox_id
           where o.state = 'queued' and o.next_attempt_at <= now()
           order by o.next_attempt_at
           limit ${opts.batchSize}
           for update of o skip locked
        ), claimed as (
          update outbox o set state = 'sending', attempts = o.attempts + 1,
                 next_attempt_at = now() + make_interval(secs => ${opts.leaseSeconds})
            from cand where o.id = cand.id and cand.rate is null
          returning ${claimColumns('o.')}
        )
        select (select json_agg(claimed) from claimed) as claimed,
               (select json_agg(json_build_object('id', id, 'mailbox_id', mailbox_id)) from cand where rate is not null) as capped`,
  );
  const parse = <T>(v: T[] | string | null | undefined): T[] => (typeof v === 'string' ? (JSON.parse(v) as T[]) : (v ?? []));
  const claimed = parse(first?.claimed);
  const capped = parse(first?.capped);
  if (capped.length) claimed.push(...(await claimCapped(db, capped.map((c) => c.id), opts.leaseSeconds)));
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

/** Claims what the mailboxes' per-minute budgets allow of these due rows of capped mailboxes, in one transaction. */
async function claimCapped(db: Db, ids: string[], leaseSeconds: number): Promise<ClaimRow[]> {
  return db.transaction(async (tx) => {
    const candidates = await rows<{ id: string; mailbox_id: string }>(
      tx,
      sql`select id, mailbox_id from outbox
           where id = any(${sql.param(ids)}::uuid[]) and state = 'queued' and next_attempt_at <= now()
           order by next_attempt_at
           for update skip locked`,
    );
    if (candidates.length === 0) return [];
    let chosen = candidates.map((c) => c.id);
    const mailboxIds = [...new Set(candidates.map((c) => c.mailbox_id))].sort();
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
    if (chosen.length === 0) return [];
    return rows<ClaimRow>(
      tx,
      sql`update outbox set state = 'sending', attempts = attempts + 1,
                 next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
           where id = any(${sql.param(chosen)}::uuid[]) and state = 'queued'
          returning ${claimColumns()}`,
    );
  });
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
  // A run whose last batches' workers stopped between recording and finishing it.
  await db.execute(
    sql`update mail_runs r set state = 'done', finished_at = now()
         where r.state = 'sending' and not exists (select 1 from outbox o where o.run_id = r.id and o.state in ('queued', 'sending'))`,
  );
  return released.length;
}

export type Outcome =
  | { state: 'sent'; messageId: string; filed: { subject: string; body: string } | null }
  | { state: 'queued'; error: string; retryInSeconds: number }
  | { state: 'failed'; error: string; hardBounce?: boolean }
  | { state: 'skipped'; reason: SkipReason; error?: string };

/**
 * Records the results of one batch in one statement (so atomically, in one round trip): the
 * rows' new states (only where this claim still holds the row), the filed copies of the sent
 * ones, hard bounces on the suppression list, and the runs that are now finished. The run check
 * reads the rows as they were when the statement began, so it counts the rows this statement
 * moved out of 'sending' as moved.
 */
export async function recordResults(db: Db, results: { message: ClaimedMessage; outcome: Outcome }[]): Promise<void> {
  if (results.length === 0) return;
  const list = JSON.stringify(
    results.map(({ message: m, outcome: o }) => {
      const filed = o.state === 'sent' && m.toAddress && o.filed ? filingRow({ outboxId: m.id, tenantId: m.tenantId, toAddress: m.toAddress, subject: o.filed.subject, body: o.filed.body }) : null;
      return {
        id: m.id,
        attempts: m.attempts,
        run_id: m.runId,
        tenant_id: m.tenantId,
        state: o.state,
        error: o.state === 'sent' ? null : o.state === 'skipped' ? (o.error ?? null) : o.error,
        message_id: o.state === 'sent' ? o.messageId : null,
        skip_reason: o.state === 'skipped' ? o.reason : null,
        retry_in: o.state === 'queued' ? o.retryInSeconds : 0,
        bounce: o.state === 'failed' && !!o.hardBounce && !!m.toAddress,
        bounce_addr: m.toAddress ? m.toAddress.trim().toLowerCase() : null,
        addr: filed?.addr ?? null,
        subject: filed?.subject ?? null,
        body: filed?.body ?? null,
      };
    }),
  );
  const tail = await rows<{ id: string }>(
    db,
    sql`with x as (
          select * from jsonb_to_recordset(${list}::jsonb) as x(id uuid, attempts int, run_id uuid, tenant_id uuid, state text, error text,
                   message_id text, skip_reason text, retry_in float8, bounce boolean, bounce_addr text, addr text, subject text, body text)
        ), upd as (
          update outbox o set
             state = x.state,
             last_error = x.error,
             message_id = coalesce(x.message_id, o.message_id),
             skip_reason = coalesce(x.skip_reason, o.skip_reason),
             sent_at = case when x.state = 'sent' then now() else o.sent_at end,
             next_attempt_at = case when x.state = 'queued' then now() + make_interval(secs => x.retry_in) else o.next_attempt_at end
            from x
           where o.id = x.id and o.state = 'sending' and o.attempts = x.attempts
          returning o.id, o.state
        ), filed as (
          ${fileFrom(sql`select x.id as outbox_id, x.tenant_id, x.addr, x.subject, x.body from x join upd on upd.id = x.id where upd.state = 'sent' and x.addr is not null`)}
        ), bounced as (
          insert into mail_suppressions (tenant_id, email, reason)
          select distinct x.tenant_id, x.bounce_addr, 'hard_bounce' from x join upd on upd.id = x.id where upd.state = 'failed' and x.bounce
          on conflict do nothing
        ), finished as (
          update mail_runs r set state = 'done', finished_at = now()
           where r.id in (select run_id from x) and r.state = 'sending'
             and not exists (select 1 from outbox o where o.run_id = r.id and o.state in ('queued', 'sending')
                               and not exists (select 1 from upd where upd.id = o.id and upd.state not in ('queued', 'sending')))
          returning r.id
        )
        -- Runs with nothing queued whose last rows other batches were recording at this moment.
        select r.id from mail_runs r
         where r.id in (select run_id from x) and r.state = 'sending' and r.id not in (select id from finished)
           and not exists (select 1 from outbox o where o.run_id = r.id and o.state = 'queued')`,
  );
  // Batches recorded at the same moment each see the other's rows still 'sending', so neither
  // finishes the run above; checked again now, after this commit, the last of them does.
  if (tail.length) await finishRuns(db, tail.map((r) => r.id));
}
