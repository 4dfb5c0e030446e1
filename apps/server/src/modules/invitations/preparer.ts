import { sql } from 'drizzle-orm';
import { PolledJob, PollLoop, Stopping } from '../../jobs/poll-loop.js';
import { rows, type Db } from '../../db/client.js';
import { enqueueMessages, markRunSending, outboxEvents, type MailSettings, type Recipient, type WorkerLog } from '../mail/index.js';
import { ensureInitialPasswords, invitationCredentials } from '../portal/index.js';
import { pageSelection, selectionOfRun, type Selection } from './selection.js';
import { runEvents, type PrepareNotes, type RunKindOfWizard } from './service.js';

/**
 * The run preparer: the background job that turns a confirmed run into outbox messages. It runs
 * beside the mail worker in `kesher start` and `kesher worker` (any number of them on one
 * PostgreSQL database).
 *
 * Claiming: a 'pending' run (or a 'preparing' one whose lease expired: its preparer died) is
 * taken with FOR UPDATE SKIP LOCKED and marked 'preparing' with `claimed_at` = now. `claimed_at`
 * is the lease and the fencing token at once: every page's transaction ends by renewing it
 * `where claimed_at = <the value this preparer holds>`, so a preparer that lost its run (a long
 * pause, then another took over) fails that update and its page rolls back.
 *
 * An invitation is two phases (ARCHITECTURE.md, SPEC §3 "first creates / completes passwords and
 * commits them, and only then sends"):
 *   1. passwords: page the list by keyset; per page one transaction: `ensureInitialPasswords`
 *      and the run's progress (cursor, counts). Every password is committed before phase 2.
 *   2. messages: page the list again; per page one transaction: what each customer's message
 *      carries (read back from the committed credentials: new / existing / set-password link)
 *      and `enqueueMessages` (idempotency key run + customer). Then the run is 'sending'.
 * The cursor is committed with each page, so a run taken over resumes where the last commit
 * left it; a page redone adds nothing (ensureInitialPasswords keeps valid passwords; the outbox
 * ignores a second row for the same key). A bulk email has only phase 2, without credentials.
 */
export interface PreparerOptions {
  settings: Pick<MailSettings, 'serverMailbox'>;
  /** Customers per page (default 5,000: 100k customers prepared in ~8 s on PostgreSQL; 2,000 took ~11 s). */
  pageSize?: number;
  /** How long a claim holds a run without renewing it (default 60 s; every page renews it). */
  leaseSeconds?: number;
  /** Wait between polls when there is nothing to prepare (default 1,000 ms). */
  idleMs?: number;
  /** Claims before a run that keeps failing is marked 'failed' (default 5). */
  maxAttempts?: number;
  /** After an error the run is retried (by any preparer) after this many seconds (default 30). */
  retrySeconds?: number;
  log?: WorkerLog;
  /** Called after each page is committed (tests observe the phases here). */
  onPage?: (page: { runId: string; phase: 'passwords' | 'messages'; index: number; size: number }) => Promise<void> | void;
}

const quiet: WorkerLog = { info: () => {}, warn: () => {}, error: () => {} };

export class LostLease extends Error {
  constructor(runId: string) {
    super(`run ${runId}: another preparer took it over`);
  }
}

interface ClaimedRun {
  id: string;
  tenantId: string;
  kind: RunKindOfWizard;
  createdAt: Date;
  /** The lease / fencing token: the exact `claimed_at` this preparer last wrote. */
  token: string;
  prepare: PrepareNotes;
}

export class RunPreparer extends PolledJob {
  private readonly opts: Required<Omit<PreparerOptions, 'onPage'>> & Pick<PreparerOptions, 'onPage'>;
  protected readonly poll: PollLoop;

  constructor(
    private readonly db: Db,
    options: PreparerOptions,
  ) {
    super();
    this.opts = { pageSize: 5000, leaseSeconds: 60, idleMs: 1000, maxAttempts: 5, retrySeconds: 30, log: quiet, ...options };
    this.poll = new PollLoop({ name: 'run preparer', idleMs: this.opts.idleMs, wakeOn: runEvents, event: 'created', log: this.opts.log, tick: () => this.runOnce() });
  }

  /** Claims one run and prepares it to the end (or until it fails or is lost); false when there was none. */
  async runOnce(): Promise<boolean> {
    const run = await this.claim();
    if (!run) return false;
    const { log, maxAttempts, leaseSeconds, retrySeconds } = this.opts;
    if ((run.prepare.attempts ?? 0) > maxAttempts) {
      await this.db.execute(
        sql`update mail_runs set state = 'failed', finished_at = now(),
                   error = ${`preparation failed ${maxAttempts} times: ${run.prepare.lastError ?? 'the preparer stopped'}`}
             where id = ${run.id} and claimed_at = ${run.token}::timestamptz`,
      );
      log.error({ runId: run.id }, 'run preparer: run failed');
      return true;
    }
    try {
      await this.prepare(run);
      log.info({ runId: run.id, kind: run.kind }, 'run preparer: run prepared');
    } catch (err) {
      if (err instanceof LostLease) {
        log.warn({ runId: run.id }, err.message);
        return true;
      }
      if (err instanceof Stopping) {
        // Hand the run back at once (the claim it took is not counted as an attempt).
        await this.db.execute(
          sql`update mail_runs set claimed_at = now() - make_interval(secs => ${leaseSeconds + 1}),
                     notes = jsonb_set(notes, '{prepare,attempts}', to_jsonb(greatest(coalesce((notes->'prepare'->>'attempts')::int, 1) - 1, 0)))
               where id = ${run.id} and claimed_at = ${run.token}::timestamptz`,
        );
        return true;
      }
      log.error({ err, runId: run.id }, 'run preparer: preparing a run failed; it will be retried');
      // Let the lease run out early, so any preparer retries in `retrySeconds`.
      const prepare = JSON.stringify({ lastError: (err as Error).message?.slice(0, 500) ?? String(err) });
      await this.db
        .execute(
          sql`update mail_runs set claimed_at = now() - make_interval(secs => ${Math.max(leaseSeconds - retrySeconds, 0)}),
                     notes = jsonb_set(notes, '{prepare}', coalesce(notes->'prepare', '{}'::jsonb) || ${prepare}::jsonb)
               where id = ${run.id} and claimed_at = ${run.token}::timestamptz`,
        )
        .catch((e: unknown) => log.error({ err: e }, 'run preparer: could not record the error'));
    }
    return true;
  }

  /** Takes the oldest run waiting (or abandoned) with FOR UPDATE SKIP LOCKED. */
  private async claim(): Promise<ClaimedRun | null> {
    const [row] = await rows<{ id: string; tenant_id: string; kind: RunKindOfWizard; created_at: Date | string; token: Date | string; prepare: PrepareNotes | null }>(
      this.db,
      sql`update mail_runs r set
             state = 'preparing',
             claimed_at = date_trunc('milliseconds', clock_timestamp()),
             notes = jsonb_set(r.notes, '{prepare}', coalesce(r.notes->'prepare', '{}'::jsonb)
                       || jsonb_build_object('attempts', coalesce((r.notes->'prepare'->>'attempts')::int, 0) + 1))
           where r.id = (
             select id from mail_runs
              where kind in ('invitation', 'bulk')
                and (state = 'pending' or (state = 'preparing' and claimed_at < now() - make_interval(secs => ${this.opts.leaseSeconds})))
              order by created_at
              limit 1
              for update skip locked)
          returning r.id, r.tenant_id, r.kind, r.created_at, r.claimed_at as token, r.notes->'prepare' as prepare`,
    );
    if (!row) return null;
    return { id: row.id, tenantId: row.tenant_id, kind: row.kind, createdAt: new Date(row.created_at), token: new Date(row.token).toISOString(), prepare: row.prepare ?? {} };
  }

  /**
   * Renews the lease and records progress, in the page's transaction: fails (and so rolls the
   * page back) when another preparer holds the run now.
   */
  private async fence(tx: Db, run: ClaimedRun, patch: PrepareNotes, extra = sql``): Promise<void> {
    const [row] = await rows<{ token: Date | string }>(
      tx,
      sql`update mail_runs set claimed_at = date_trunc('milliseconds', clock_timestamp()),
                 notes = jsonb_set(notes, '{prepare}', coalesce(notes->'prepare', '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb)${extra}
           where id = ${run.id} and state = 'preparing' and claimed_at = ${run.token}::timestamptz
          returning claimed_at as token`,
    );
    if (!row) throw new LostLease(run.id);
    run.token = new Date(row.token).toISOString();
    Object.assign(run.prepare, patch);
  }

  private async prepare(run: ClaimedRun): Promise<void> {
    const selection = await selectionOfRun(this.db, run);
    let phase = run.prepare.phase ?? (run.kind === 'invitation' ? 'passwords' : 'messages');
    if (phase === 'passwords') {
      await this.passwords(run, selection);
      phase = 'messages';
    }
    await this.messages(run, selection);
  }

  /** Phase 1: every customer's password created / completed and committed, page by page. */
  private async passwords(run: ClaimedRun, selection: Selection): Promise<void> {
    const { db, opts } = this;
    for (let index = 0; ; index++) {
      if (this.poll.stopping) throw new Stopping();
      const size = await db.transaction(async (tx) => {
        const page = await pageSelection(tx, selection, run.prepare.after ?? null, opts.pageSize);
        if (!page.last) {
          await this.fence(tx, run, { phase: 'messages', after: null });
          return 0;
        }
        const states = await ensureInitialPasswords(tx, run.tenantId, page.ids);
        // A password made since the run was confirmed (staff "reset and resend") is this run's new one.
        const kept = [...states].filter(([, s]) => s === 'existing_password').map(([id]) => id);
        if (kept.length) for (const [id, s] of await invitationCredentials(tx, run.tenantId, kept, run.createdAt)) states.set(id, s);
        const add = { new_password: 0, existing_password: 0, set_password_link: 0 };
        for (const s of states.values()) add[s]++;
        const p = run.prepare;
        await this.fence(tx, run, {
          phase: 'passwords',
          after: page.last,
          newPasswords: (p.newPasswords ?? 0) + add.new_password,
          existingPasswords: (p.existingPasswords ?? 0) + add.existing_password,
          setPasswordLinks: (p.setPasswordLinks ?? 0) + add.set_password_link,
        });
        return page.ids.length;
      });
      if (size === 0) return;
      await opts.onPage?.({ runId: run.id, phase: 'passwords', index, size });
    }
  }

  /** Phase 2: one outbox message per customer, page by page; then the run is released to the mail worker. */
  private async messages(run: ClaimedRun, selection: Selection): Promise<void> {
    const { db, opts } = this;
    for (let index = 0; ; index++) {
      if (this.poll.stopping) throw new Stopping();
      const size = await db.transaction(async (tx) => {
        const page = await pageSelection(tx, selection, run.prepare.after ?? null, opts.pageSize);
        if (!page.last) {
          await this.fence(tx, run, { after: null });
          await markRunSending(tx, run.tenantId, run.id);
          return 0;
        }
        let recipients: Recipient[];
        let notPrepared = 0;
        if (run.kind === 'invitation') {
          const credentials = await invitationCredentials(tx, run.tenantId, page.ids, run.createdAt);
          recipients = page.ids.filter((id) => credentials.has(id)).map((customerId) => ({ customerId, credential: credentials.get(customerId)! }));
          notPrepared = page.ids.length - recipients.length;
        } else {
          recipients = page.ids.map((customerId) => ({ customerId, credential: null }));
        }
        const patch: PrepareNotes = { phase: 'messages', after: page.last };
        if (notPrepared) patch.notPrepared = (run.prepare.notPrepared ?? 0) + notPrepared;
        await this.fence(tx, run, patch);
        await enqueueMessages(tx, this.opts.settings, { tenantId: run.tenantId, runId: run.id, recipients });
        return page.ids.length;
      });
      // Committed now: wake the mail worker of this process.
      outboxEvents.emit('enqueued');
      if (size === 0) return;
      await opts.onPage?.({ runId: run.id, phase: 'messages', index, size });
    }
  }
}

/** Starts a run preparer (in `kesher start`, or with the worker in `kesher worker`). */
export function startRunPreparer(db: Db, options: PreparerOptions): RunPreparer {
  return new RunPreparer(db, options).start();
}
