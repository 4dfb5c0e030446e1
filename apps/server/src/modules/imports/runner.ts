import { sql } from 'drizzle-orm';
import { PolledJob, PollLoop, Stopping } from '../../jobs/poll-loop.js';
import type { ImportPolicy, ImportRowAction } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { GrowthWatch } from '../../db/statistics.js';
import { CreatedCards, runBatch, type EngineContext } from './engine.js';
import { NotASpreadsheet, type CsvEncoding, type FileFormat, type TableRow } from './read.js';
import { bindMapping, prepareRow, type BoundMapping, type PreparedRow } from './rows.js';
import { importEvents, rowContext } from './service.js';
import { storedTable } from './source.js';

/**
 * The import runner: the background job that runs pending imports. It runs beside the mail
 * worker in `kesher start` and `kesher worker` (any number of them on one PostgreSQL database),
 * the same claim loop as the run preparer (ADR 0007):
 *
 * - a 'pending' import (or a 'running' one whose lease ran out: its runner died) is claimed with
 *   FOR UPDATE SKIP LOCKED and marked 'running'; `claimed_at` is the lease and the fencing token;
 * - the stored file is streamed (bounded memory) in batches of ~2,000 rows; each batch is one
 *   transaction: duplicate matching for the whole batch, bulk writes, the rows' outcomes, and the
 *   import's cursor and counts, ending by renewing the lease `where claimed_at = <ours>` — a
 *   runner that lost the import rolls its batch back;
 * - a run taken over (or restarted) resumes after the last committed row;
 * - a file that turns out not to be a spreadsheet fails the import with the reason; other errors
 *   (a read that broke off included: the file passed the upload's checks) let
 *   the lease run out early so any runner retries; after `maxAttempts` claims it is 'failed'.
 */
export interface ImportRunnerOptions {
  batchSize?: number;
  leaseSeconds?: number;
  idleMs?: number;
  maxAttempts?: number;
  retrySeconds?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  /** Called after each batch is committed (tests stop a run half way here). */
  onBatch?: (batch: { importId: string; index: number; size: number; cursor: number }) => Promise<void> | void;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

class LostLease extends Error {}

interface Claimed {
  id: string;
  tenantId: string;
  userId: string | null;
  engineName: string;
  format: FileFormat;
  encoding: CsvEncoding | null;
  bytes: number;
  policy: ImportPolicy;
  mapping: Record<string, string>;
  overrides: Record<string, ImportRowAction>;
  headerRow: number;
  cursor: number;
  attempts: number;
  token: string;
}

export class ImportRunner extends PolledJob {
  private readonly opts: Required<Omit<ImportRunnerOptions, 'onBatch'>> & Pick<ImportRunnerOptions, 'onBatch'>;
  protected readonly poll: PollLoop;
  private swept = 0;

  constructor(
    private readonly db: Db,
    options: ImportRunnerOptions = {},
  ) {
    super();
    this.opts = { batchSize: 2000, leaseSeconds: 120, idleMs: 1000, maxAttempts: 3, retrySeconds: 30, log: quiet, ...options };
    this.poll = new PollLoop({
      name: 'import runner',
      idleMs: this.opts.idleMs,
      wakeOn: importEvents,
      event: 'created',
      log: this.opts.log,
      tick: () => this.runOnce(),
      // Now and then, when idle: uploads that never became an import.
      idle: async () => {
        if (Date.now() - this.swept < 10 * 60_000) return;
        this.swept = Date.now();
        await this.sweep();
      },
    });
  }

  /** Claims one import and runs it to the end (or until it fails or is lost); false when there was none. */
  async runOnce(): Promise<boolean> {
    const job = await this.claim();
    if (!job) return false;
    const { log, maxAttempts, leaseSeconds, retrySeconds } = this.opts;
    if (job.attempts > maxAttempts) {
      await this.fail(job, `the import failed ${maxAttempts} times`, true);
      return true;
    }
    try {
      await this.execute(job);
      log.info({ importId: job.id }, 'import runner: import done');
    } catch (err) {
      if (err instanceof LostLease) {
        log.warn({ importId: job.id }, 'import runner: another runner took the import over');
      } else if (err instanceof Stopping) {
        await this.db.execute(
          sql`update imports set claimed_at = now() - make_interval(secs => ${leaseSeconds + 1}), attempts = greatest(attempts - 1, 0)
               where id = ${job.id} and claimed_at = ${job.token}::timestamptz`,
        );
      } else if (err instanceof NotASpreadsheet && err.reason !== 'corrupt') {
        log.warn({ importId: job.id, reason: err.message }, 'import runner: the file cannot be read; the import failed');
        await this.fail(job, err.message);
      } else {
        log.error({ err, importId: job.id }, 'import runner: the import failed; it will be retried');
        await this.db
          .execute(
            sql`update imports set claimed_at = now() - make_interval(secs => ${Math.max(leaseSeconds - retrySeconds, 0)}),
                       error = ${String((err as Error).message ?? err).slice(0, 500)}
                 where id = ${job.id} and claimed_at = ${job.token}::timestamptz`,
          )
          .catch((e: unknown) => log.error({ err: e }, 'import runner: could not record the error'));
      }
    }
    return true;
  }

  /** Uploads that never became an import (the server stopped mid-upload) go after a day, with their pieces. */
  async sweep(): Promise<void> {
    await this.db.execute(sql`delete from imports where state = 'uploading' and created_at < now() - interval '1 day'`);
  }

  /** Marks the import failed (with the last recorded error after `error` when `withLast`) and drops its file. */
  private async fail(job: Claimed, error: string, withLast = false): Promise<void> {
    const last = withLast ? sql`coalesce(': ' || error, '')` : sql`''`;
    await this.db.execute(
      sql`update imports set state = 'failed', finished_at = now(), error = left(${error} || ${last}, 1000)
           where id = ${job.id} and claimed_at = ${job.token}::timestamptz`,
    );
    await this.db.execute(sql`delete from import_chunks where import_id = ${job.id}`);
  }

  private async claim(): Promise<Claimed | null> {
    const [row] = await rows<Omit<Claimed, 'token'> & { token: Date | string }>(
      this.db,
      // Resuming: taken over after a stop half way (shown as such until the first batch is in).
      sql`update imports i set state = 'running', attempts = i.attempts + 1, resuming = i.cursor > 0,
                 claimed_at = date_trunc('milliseconds', clock_timestamp())
           where i.id = (
             select id from imports
              where state = 'pending' or (state = 'running' and claimed_at < now() - make_interval(secs => ${this.opts.leaseSeconds}))
              order by created_at
              limit 1
              for update skip locked)
          returning i.id, i.tenant_id as "tenantId", i.user_id as "userId", i.engine_name as "engineName", i.format, i.encoding,
                    i.bytes, i.policy, i.mapping, i.overrides, i.header_row as "headerRow", i.cursor, i.attempts, i.claimed_at as token`,
    );
    if (!row) return null;
    return { ...row, bytes: Number(row.bytes), overrides: row.overrides ?? {}, token: new Date(row.token).toISOString() };
  }

  private async execute(job: Claimed): Promise<void> {
    const { db, opts } = this;
    const ctx = await rowContext(db, job.tenantId);
    const engine: EngineContext = {
      ...ctx,
      tenantId: job.tenantId,
      importId: job.id,
      engineName: job.engineName,
      userId: job.userId,
      policy: job.policy,
      overrides: job.overrides,
      // A run from the first row sees every card the import creates; a resumed one asks the database.
      created: job.cursor === 0 ? new CreatedCards() : undefined,
    };
    let read = 0;
    const table = storedTable(db, job.id, job, (n) => (read += n));
    const { batchSize } = opts;
    /** The file's data rows after the cursor, prepared, in batches (read ahead while the previous batch is written). */
    async function* batches(): AsyncGenerator<{ prepared: PreparedRow[]; cursor: number; progress: number }> {
      let bound: BoundMapping | null = null;
      let rowsOf: TableRow[] = [];
      const cut = () => {
        const out = { prepared: rowsOf.map((r) => prepareRow(r, bound!, ctx)), cursor: rowsOf[rowsOf.length - 1]!.rowNumber, progress: job.bytes ? Math.min(read / job.bytes, 0.99) : 0 };
        rowsOf = [];
        return out;
      };
      for await (const row of table) {
        if (row.rowNumber < job.headerRow) continue;
        if (row.rowNumber === job.headerRow) {
          bound = bindMapping(row.cells, job.mapping);
          continue;
        }
        if (row.rowNumber <= job.cursor || !row.cells.some(Boolean) || !bound) continue;
        rowsOf.push(row);
        if (rowsOf.length >= batchSize) yield cut();
      }
      if (rowsOf.length) yield cut();
    }
    const source = batches();
    const growth = new GrowthWatch(db, 'customers');
    try {
      let next = source.next();
      for (let index = 0; ; index++) {
        const current = await next;
        if (current.done) break;
        if (this.poll.stopping) throw new Stopping();
        next = source.next();
        // Nothing may reject unobserved while this batch is written: the read-ahead's error surfaces at the next await.
        next.catch(() => {});
        const { prepared, cursor, progress } = current.value;
        const count = { created: 0, filled: 0, renewed: 0, skipped: 0, rejected: 0 };
        await db.transaction(async (tx) => {
          const decisions = await runBatch(tx, engine, prepared);
          for (const d of decisions) count[d.outcome]++;
          await this.fence(
            tx,
            job,
            sql`cursor = ${cursor}, progress = ${progress}, resuming = false, total = total + ${decisions.length}, created = created + ${count.created},
                filled = filled + ${count.filled}, renewed = renewed + ${count.renewed}, skipped = skipped + ${count.skipped},
                rejected = rejected + ${count.rejected}`,
          );
        });
        job.cursor = cursor;
        await growth.grew(count.created);
        await opts.onBatch?.({ importId: job.id, index, size: prepared.length, cursor });
      }
    } finally {
      await source.return(undefined).catch(() => undefined);
      await table.return(undefined).catch(() => undefined);
    }
    await db.transaction(async (tx) => {
      await this.fence(tx, job, sql`state = 'done', progress = 1, rows_total = total, resuming = false, finished_at = now(), error = null`);
      await tx.execute(sql`delete from import_chunks where import_id = ${job.id}`);
    });
  }

  /** Records progress and renews the lease in the batch's transaction; fails when another runner holds the import. */
  private async fence(tx: Db, job: Claimed, set: ReturnType<typeof sql>): Promise<void> {
    const [row] = await rows<{ token: Date | string }>(
      tx,
      sql`update imports set ${set}, claimed_at = date_trunc('milliseconds', clock_timestamp())
           where id = ${job.id} and state = 'running' and claimed_at = ${job.token}::timestamptz
          returning claimed_at as token`,
    );
    if (!row) throw new LostLease();
    job.token = new Date(row.token).toISOString();
  }
}

export function startImportRunner(db: Db, options: ImportRunnerOptions = {}): ImportRunner {
  return new ImportRunner(db, options).start();
}
