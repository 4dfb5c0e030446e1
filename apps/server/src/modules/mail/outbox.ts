import { EventEmitter } from 'node:events';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Credential, OutboxState, SkipReason } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { templateLanguages } from './templates.js';
import { mailRuns } from './tables.js';

/**
 * The outbox: one row per recipient message, its state written before the SMTP call ('sending')
 * and after it ('sent' | 'failed', or back to 'queued' with a later `next_attempt_at` to retry).
 * Content is not stored: the worker renders it at send time from the current card.
 *
 * Runs (`mail_runs`) group messages: an invitation run, a bulk email, a notification. A caller
 * creates the run, enqueues its recipients (in pages if it likes: idempotent per run + customer),
 * then moves it to 'sending'; the run is 'done' when no message of it is queued or sending.
 */
export type RunKind = 'invitation' | 'bulk' | 'notification' | 'test' | 'staff';

export interface RunInput {
  tenantId: string;
  kind: RunKind;
  templateKey: string;
  source: Record<string, unknown>;
  createdByUserId?: string | null;
  state?: 'pending' | 'preparing' | 'sending';
}

export async function createRun(db: Db, input: RunInput): Promise<string> {
  const [row] = await db
    .insert(mailRuns)
    .values({
      tenantId: input.tenantId,
      kind: input.kind,
      templateKey: input.templateKey,
      source: input.source,
      createdByUserId: input.createdByUserId ?? null,
      state: input.state ?? 'preparing',
    })
    .returning({ id: mailRuns.id });
  return row!.id;
}

/** The run's messages are all enqueued: the worker may finish it (at once when nothing is left to send). */
export async function markRunSending(db: Db, tenantId: string, runId: string): Promise<void> {
  await db
    .update(mailRuns)
    .set({ state: 'sending', preparedAt: sql`coalesce(${mailRuns.preparedAt}, now())` })
    .where(and(eq(mailRuns.tenantId, tenantId), eq(mailRuns.id, runId)));
  await finishRuns(db, [runId]);
}

/** Runs in 'sending' with no message left queued or sending become 'done'. */
export async function finishRuns(db: Db, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.execute(
    sql`update mail_runs r set state = 'done', finished_at = now()
         where r.id = any(${sql.param([...new Set(runIds)])}::uuid[]) and r.state = 'sending'
           and not exists (select 1 from outbox o where o.run_id = r.id and o.state in ('queued', 'sending'))`,
  );
}

export type RunCounts = Record<OutboxState, number> & { total: number; skippedBy: Partial<Record<SkipReason, number>> };

export async function runCounts(db: Db, tenantId: string, runId: string): Promise<RunCounts> {
  const list = await rows<{ state: OutboxState; skip_reason: SkipReason | null; n: number }>(
    db,
    sql`select state, skip_reason, count(*)::int as n from outbox where run_id = ${runId} and tenant_id = ${tenantId} group by state, skip_reason`,
  );
  const out: RunCounts = { total: 0, queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0, skippedBy: {} };
  for (const r of list) {
    out[r.state] += r.n;
    out.total += r.n;
    if (r.skip_reason) out.skippedBy[r.skip_reason] = (out.skippedBy[r.skip_reason] ?? 0) + r.n;
  }
  return out;
}

// ---- enqueueing ----

export interface Recipient {
  customerId: string;
  /** What the message carries for the portal (invitations); null for bulk mail. */
  credential?: Credential | null;
}

export interface EnqueueResult {
  /** New messages to send. */
  queued: number;
  /** New messages kept as not sent, by reason (no email, suppressed, no mailbox …). */
  skipped: Partial<Record<SkipReason, number>>;
  /** Recipients that already had a message in this run (a retried enqueue): nothing new. */
  alreadyEnqueued: number;
  /** Ids that are not customers of the tenant. */
  notFound: number;
  /** Messages that go out in the tenant's default language because the template lacks the customer's. */
  languageFallbacks: { wanted: string; used: string | null; count: number }[];
}

/** Wakes a worker of this process when messages were enqueued (a hint; workers poll anyway). */
export const outboxEvents = new EventEmitter();

/**
 * One set-based query that says, per recipient, the address, mailbox, language and whether
 * (and why) the message is skipped. `serverDefault`: whether SMTP_URL is configured.
 */
function planQuery(p: { tenantId: string; runId: string | null; kind: RunKind; languages: string[]; serverDefault: boolean; input: SQL }) {
  return sql`
    input as (${p.input}),
    src as (
      select c.id as customer_id, i.credential, i.ord,
             nullif(trim(coalesce(c.email, c.emails[1])), '') as addr,
             coalesce(mb.id, md.id) as mailbox_id,
             coalesce(c.language, b.language, t.default_language) as wanted,
             t.default_language as tenant_language
        from input i
        join customers c on c.id = i.customer_id and c.tenant_id = ${p.tenantId}
        join tenants t on t.id = c.tenant_id
        left join branches b on b.id = c.branch_id
        left join mailboxes mb on mb.tenant_id = c.tenant_id and mb.branch_id = c.branch_id
        left join mailboxes md on md.tenant_id = c.tenant_id and md.branch_id is null
    ),
    earlier as (
      -- Only this page's addresses (outbox_run_address_idx): the cost of a page stays flat as the run grows.
      select lower(to_address) as a, count(*) as n, min(customer_id::text) as one
        from outbox
       where run_id = ${p.runId}::uuid and state <> 'skipped' and to_address is not null
         and lower(to_address) in (select lower(addr) from src where addr is not null)
       group by lower(to_address)
    ),
    checked as (
      select s.*,
             case when s.wanted = any(${sql.param(p.languages)}::text[]) then s.wanted
                  when s.tenant_language = any(${sql.param(p.languages)}::text[]) then s.tenant_language end as lang,
             row_number() over (partition by lower(s.addr) order by s.ord) as rank_in_list,
             (e.n > 1 or e.one <> s.customer_id::text) as taken_earlier,
             (ms.email is not null) as suppressed
        from src s
        left join earlier e on e.a = lower(s.addr)
        left join mail_suppressions ms on ${p.kind === 'bulk'}::boolean and ms.tenant_id = ${p.tenantId} and ms.email = lower(s.addr)
    ),
    plan as (
      select customer_id, credential, ord, addr, mailbox_id, wanted, lang,
             case when addr is null then 'no_email'
                  when addr !~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$' then 'invalid_email'
                  when suppressed then 'suppressed'
                  when addr is not null and (rank_in_list > 1 or coalesce(taken_earlier, false)) then 'duplicate_address'
                  when lang is null then 'no_template'
                  when mailbox_id is null and not ${p.serverDefault}::boolean then 'no_mailbox'
             end as reason
        from checked
    )`;
}

/** A list of recipients as the plan's input: one row per customer (the first mention wins), in list order. */
function recipientsInput(recipients: Recipient[]): SQL {
  const input = JSON.stringify(recipients.map((r, i) => ({ customer_id: r.customerId, credential: r.credential ?? null, ord: i })));
  return sql`select distinct on (x.customer_id) x.customer_id, x.credential, x.ord
               from jsonb_to_recordset(${input}::jsonb) as x(customer_id uuid, credential text, ord int)
              order by x.customer_id, x.ord`;
}

type PlanRow = { k: 'row' | 'fallback' | 'found'; v: string; w: string | null; n: number };

function summarize(list: PlanRow[], requested: number): EnqueueResult {
  const out: EnqueueResult = { queued: 0, skipped: {}, alreadyEnqueued: 0, notFound: 0, languageFallbacks: [] };
  let found = 0;
  let written = 0;
  for (const r of list) {
    if (r.k === 'found') found = r.n;
    else if (r.k === 'fallback') out.languageFallbacks.push({ wanted: r.v, used: r.w, count: r.n });
    else {
      written += r.n;
      if (r.v === 'queued') out.queued += r.n;
      else out.skipped[r.v as SkipReason] = (out.skipped[r.v as SkipReason] ?? 0) + r.n;
    }
  }
  out.notFound = requested - found;
  out.alreadyEnqueued = found - written;
  return out;
}

/** Whether the server default mailbox (SMTP_URL) is configured decides "no mailbox anywhere". */
export interface MailboxAvailability {
  serverMailbox: unknown | null;
}

/**
 * What enqueueing these recipients would do (the wizard's preview), without writing anything.
 * `runId` (optional) counts addresses already taken by that run as duplicates.
 */
export async function planMessages(
  db: Db,
  mail: MailboxAvailability,
  input: { tenantId: string; kind: RunKind; templateKey: string; runId?: string; recipients: Recipient[] },
): Promise<EnqueueResult> {
  const ids = [...new Set(input.recipients.map((r) => r.customerId))];
  const languages = await templateLanguages(db, input.tenantId, input.templateKey);
  const q = planQuery({ ...input, runId: input.runId ?? null, languages, serverDefault: !!mail.serverMailbox, input: recipientsInput(input.recipients) });
  const list = await rows<PlanRow>(
    db,
    sql`with ${q}
        select 'row' as k, coalesce(reason, 'queued') as v, null as w, count(*)::int as n from plan group by 2
        union all select 'fallback', wanted, lang, count(*)::int from plan where lang is distinct from wanted and reason is distinct from 'no_email' group by wanted, lang
        union all select 'found', '', null, count(*)::int from src`,
  );
  return summarize(list, ids.length);
}

/**
 * The same plan for customers a query selects, without a list in memory: `selection` yields
 * `customer_id` and `ord` (the order in which a run would enqueue them: the first of two cards
 * with one address is the one sent to). The preview of a run on a filter of any size.
 */
export async function planSelection(
  db: Db,
  mail: MailboxAvailability,
  input: { tenantId: string; kind: RunKind; templateKey: string; selection: SQL },
): Promise<EnqueueResult> {
  const languages = await templateLanguages(db, input.tenantId, input.templateKey);
  const q = planQuery({
    tenantId: input.tenantId,
    runId: null,
    kind: input.kind,
    languages,
    serverDefault: !!mail.serverMailbox,
    input: sql`select s.customer_id, null::text as credential, s.ord from (${input.selection}) s`,
  });
  const list = await rows<PlanRow>(
    db,
    sql`with ${q}
        select 'row' as k, coalesce(reason, 'queued') as v, null as w, count(*)::int as n from plan group by 2
        union all select 'fallback', wanted, lang, count(*)::int from plan where lang is distinct from wanted and reason is distinct from 'no_email' group by wanted, lang
        union all select 'found', '', null, count(*)::int from src`,
  );
  const found = list.find((r) => r.k === 'found')?.n ?? 0;
  return summarize(list, found);
}

/**
 * Enqueues one message per recipient for a run, set-based (one INSERT … SELECT for the whole
 * page), with the idempotency key `<run>:<customer>` and ON CONFLICT DO NOTHING: enqueueing the
 * same recipients again (a retried job) adds nothing. Recipients with no usable address, the
 * same address as an earlier recipient of the run, a suppressed address (bulk only), no
 * template language or no mailbox anywhere are written as 'skipped' with the reason, so the run
 * report lists them. Language fallbacks are added up in the run's notes.
 */
export async function enqueueMessages(db: Db, mail: MailboxAvailability, input: { tenantId: string; runId: string; recipients: Recipient[] }): Promise<EnqueueResult> {
  const ids = [...new Set(input.recipients.map((r) => r.customerId))];
  if (ids.length === 0) return summarize([], 0);
  const result = await db.transaction(async (tx) => {
    // The run row lock serialises enqueues of one run, so duplicate addresses are seen across pages.
    const [run] = await tx.select().from(mailRuns).where(and(eq(mailRuns.tenantId, input.tenantId), eq(mailRuns.id, input.runId))).for('update');
    if (!run) throw new AppError('not_found', 'not_found.mail_run');
    const languages = await templateLanguages(tx, input.tenantId, run.templateKey);
    const q = planQuery({ tenantId: input.tenantId, runId: run.id, kind: run.kind as RunKind, languages, serverDefault: !!mail.serverMailbox, input: recipientsInput(input.recipients) });
    const list = await rows<PlanRow>(
      tx,
      sql`with ${q},
          ins as (
            insert into outbox (tenant_id, run_id, customer_id, to_address, mailbox_id, template_key, language, state, skip_reason, credential, idempotency_key)
            select ${input.tenantId}, ${run.id}, customer_id, addr, mailbox_id, ${run.templateKey}, coalesce(lang, wanted),
                   case when reason is null then 'queued' else 'skipped' end, reason, credential, ${run.id} || ':' || customer_id
              from plan
             order by ord
            on conflict (idempotency_key) do nothing
            returning state, skip_reason
          )
          select 'row' as k, coalesce(skip_reason, state) as v, null as w, count(*)::int as n from ins group by 2
          union all select 'fallback', wanted, lang, count(*)::int from plan where lang is distinct from wanted and reason is distinct from 'no_email' group by wanted, lang
          union all select 'found', '', null, count(*)::int from src`,
    );
    const summary = summarize(list, ids.length);
    const notes = { ...run.notes } as { languageFallbacks?: Record<string, number> };
    if (summary.languageFallbacks.length) {
      const fb = { ...(notes.languageFallbacks ?? {}) };
      for (const f of summary.languageFallbacks) fb[`${f.wanted}>${f.used ?? '-'}`] = (fb[`${f.wanted}>${f.used ?? '-'}`] ?? 0) + f.count;
      notes.languageFallbacks = fb;
    }
    // `total` counts the run's outbox rows: added up page by page (a recount grows with the run).
    const written = list.filter((r) => r.k === 'row').reduce((n, r) => n + r.n, 0);
    await tx.execute(sql`update mail_runs set total = total + ${written}, notes = ${JSON.stringify(notes)}::jsonb where id = ${run.id}`);
    return summary;
  });
  if (result.queued > 0) outboxEvents.emit('enqueued');
  return result;
}

// ---- the worker's side: claim, keep, record ----

export interface ClaimedMessage {
  id: string;
  tenantId: string;
  runId: string;
  customerId: string | null;
  toAddress: string | null;
  mailboxId: string | null;
  templateKey: string;
  language: string;
  credential: Credential | null;
  /** The attempt this claim is (a fencing token: only this claim may record the result). */
  attempts: number;
  idempotencyKey: string;
}

