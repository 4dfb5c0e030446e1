import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows, type Database, type Db } from '../../db/client.js';
import { createScratchDatabase } from '../../testing/database.js';
import { seedTenant, type TenantFixture } from '../../testing/fixtures.js';
import type { StaffContext } from '../../http/access.js';
import { cardValues } from '../customers/card.js';
import { insertCustomers } from '../customers/bulk.js';
import { MailWorker } from '../mail/worker.js';
import { SmtpSink } from '../mail/testing.js';
import { readInitialPasswords } from '../portal/index.js';
import { parseKeyring, useKeyring } from '../secrets/index.js';
import { getRun, startRun } from './service.js';

/**
 * Crash safety of an invitation run (issue 3): a 2,000-recipient run against a real SMTP sink,
 * the worker process (`kesher worker`, the real command) SIGKILLed in the middle of sending, then
 * started again. Every recipient gets exactly one message except at most those in flight at the
 * kill (rows left 'sending'), nobody is skipped, and the run finishes. Messages are counted at the
 * sink by their X-Kesher-Message-Id header (the outbox idempotency key, run + customer).
 *
 * On PGlite the database lives in a directory and is single-process: this process closes it
 * before a worker starts and reopens it only after the worker has exited (so it also proves the
 * embedded database survives a SIGKILL). With TEST_DATABASE_URL a fresh PostgreSQL database is
 * created for this file and dropped after.
 *
 * Nothing here depends on the machine's speed: the kill is triggered by the sink's count, and the
 * end is detected by the number of messages the sink must receive, then a graceful SIGTERM.
 */
const RECIPIENTS = 2000;
const KILL_AT = 500;
const main = resolve(import.meta.dirname, '../../main.ts');
const serverDir = resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'kesher-crash-'));
const secretKey = `crash:${randomBytes(32).toString('base64')}`;

/** The database of this file: reachable only between workers on PGlite, always on PostgreSQL. */
interface Store {
  kind: 'pglite' | 'postgres';
  env: Record<string, string>;
  /** Runs `fn` on the database (PGlite: opened for it and closed after). */
  use<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

async function openStore(): Promise<Store> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    return {
      kind: 'pglite',
      env: { KESHER_DATA_DIR: dataDir, DATABASE_URL: '' },
      use: async (fn) => {
        const database = await openDatabase({ dataDir });
        try {
          return await fn(database.db);
        } finally {
          await database.close();
        }
      },
      dispose: async () => {},
    };
  }
  const scratch = await createScratchDatabase(url);
  const database: Database = await openDatabase({ url: scratch.url, poolSize: 4 });
  return {
    kind: 'postgres',
    env: { KESHER_DATA_DIR: dataDir, DATABASE_URL: scratch.url },
    use: (fn) => fn(database.db),
    dispose: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

/** Worker processes still running (killed after a failed test, so none outlives the file). */
const live = new Set<ChildProcess>();

/** `kesher worker` in its own process, with its output kept for failure messages. */
class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(store: Store, sink: SmtpSink) {
    this.child = spawn(process.execPath, ['--import', 'tsx', main, 'worker'], {
      cwd: serverDir,
      env: {
        ...process.env,
        ...store.env,
        KESHER_RUN_PAGE_SIZE: String(RECIPIENTS),
        KESHER_SECRET_KEY: secretKey,
        SMTP_URL: sink.url,
        MAIL_FROM: 'Kesher <kesher@example.com>',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    live.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      }),
    );
  }

  /** The end of its output (for failure messages). */
  get tail(): string {
    return this.output.length > 4000 ? `…${this.output.slice(-4000)}` : this.output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the sink holds `n` messages; fails early if the worker dies on its own. */
  async untilSinkHas(sink: SmtpSink, n: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (sink.messages.length < n) {
      if (!this.alive) throw new Error(`the worker exited with ${sink.messages.length} of ${n} messages at the sink:\n${this.tail}`);
      if (Date.now() > deadline) throw new Error(`${sink.messages.length} of ${n} messages at the sink after ${ms} ms:\n${this.tail}`);
      await sink.waitFor(Math.min(n, sink.messages.length + 1), 250).catch(() => {});
    }
  }

  /** Waits until `check` holds (polled); fails early if the worker dies on its own. */
  async until(check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (!this.alive) throw new Error(`the worker exited:\n${this.tail}`);
      if (Date.now() > deadline) throw new Error(`still waiting after ${ms} ms:\n${this.tail}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}

type OutboxRow = { idempotency_key: string; customer_id: string; state: string; attempts: number };
const outboxOf = (db: Db, runId: string) =>
  rows<OutboxRow>(db, sql`select idempotency_key, customer_id, state, attempts from outbox where run_id = ${runId}`);
const keysIn = (list: OutboxRow[], state: string) => new Set(list.filter((r) => r.state === state).map((r) => r.idempotency_key));
const tally = (list: OutboxRow[]) => list.reduce<Record<string, number>>((t, r) => ({ ...t, [r.state]: (t[r.state] ?? 0) + 1 }), {});

/** The most messages one worker process holds 'sending' at once: its batch size × lanes (worker.ts defaults). */
function inFlightLimit(): number {
  const w = new MailWorker({} as Db, { settings: { publicUrl: '', serverMailbox: null } });
  const { batchSize, lanes } = (w as unknown as { opts: { batchSize: number; lanes: number } }).opts;
  expect(batchSize * lanes).toBeGreaterThan(0);
  return batchSize * lanes;
}

interface Crash {
  /** Keys left 'sending' by the killed worker (the only ones that may arrive twice). */
  inFlight: Set<string>;
  /** Messages of the run at the sink when the worker was killed. */
  arrivedAtKill: number;
  /** The outbox by state at the kill. */
  counts: Record<string, number>;
}

/**
 * One crash and recovery of a run: a worker process is started and SIGKILLed when `killWhen`
 * resolves; the state it left is checked; a second worker process finishes the run and is stopped
 * with SIGTERM once the sink has every message it must get. Then the sink's count per key and
 * the database are checked. `inspect` looks at the database right after the kill.
 */
async function crashAndResume(
  runId: string,
  recipients: string[],
  killWhen: (worker: WorkerProcess) => Promise<void>,
  inspect: (db: Db, crash: Crash) => Promise<void> = async () => {},
): Promise<Crash> {
  sink.clear();
  const keyOf = new Map(recipients.map((id) => [`${runId}:${id}`, id]));

  // 1. A worker prepares the run (passwords, then the outbox) and sends; killed when told.
  const first = new WorkerProcess(store, sink);
  await killWhen(first);
  const killed = await first.kill('SIGKILL');
  expect(killed.signal, first.tail).toBe('SIGKILL');
  // What the worker had already written to its sockets still arrives; then the sink is still.
  await sink.settled();
  const atKill = sink.countByKey();
  const arrivedAtKill = sink.messages.length;

  // 2. The state the crash left (PGlite: the embedded database recovers from the SIGKILL here).
  const limit = inFlightLimit();
  const crash = await store.use(async (db) => {
    const list = await outboxOf(db, runId);
    const [run] = await rows<{ state: string; notes: unknown }>(db, sql`select state, notes from mail_runs where id = ${runId}`);
    const counts = tally(list);
    console.log(`crash test (${store.kind}): killed with ${arrivedAtKill} messages at the sink; outbox ${JSON.stringify(counts)}; run ${run?.state} ${JSON.stringify(run?.notes)}`);
    expect(run?.state, 'killed in the middle').not.toBe('done');
    expect(arrivedAtKill, 'killed in the middle').toBeLessThan(recipients.length);
    expect(list.length).toBeLessThanOrEqual(recipients.length);
    expect(counts.skipped ?? 0).toBe(0);
    expect(counts.failed ?? 0).toBe(0);
    const sending = keysIn(list, 'sending');
    const sent = keysIn(list, 'sent');
    expect(sending.size, 'in flight: at most one batch per lane').toBeLessThanOrEqual(limit);
    // Everything at the sink was claimed; what is recorded 'sent' arrived exactly once.
    for (const [key, n] of atKill) {
      expect(keyOf.has(key), key).toBe(true);
      expect(sent.has(key) || sending.has(key), `${key} arrived but was never claimed`).toBe(true);
      expect(n, key).toBe(1);
    }
    for (const key of sent) expect(atKill.get(key), `${key} recorded sent`).toBe(1);
    const crash: Crash = { inFlight: sending, arrivedAtKill, counts };
    await inspect(db, crash);
    // The leases of the dead worker run out (what waiting `leaseSeconds` would do; the restarted
    // worker's own releaseExpiredLeases then takes them back). A run still 'preparing' likewise.
    await db.execute(sql`update outbox set next_attempt_at = now() - interval '1 second' where run_id = ${runId} and state = 'sending'`);
    await db.execute(sql`update mail_runs set claimed_at = now() - interval '1 hour' where id = ${runId} and state = 'preparing'`);
    return crash;
  });
  const delivered = [...crash.inFlight].filter((k) => atKill.has(k));

  // 3. A new worker process: the rows left 'sending' go again (those already delivered arrive a
  // second time: nobody can know they had arrived), the rest once. Then a graceful stop.
  const second = new WorkerProcess(store, sink);
  await second.untilSinkHas(sink, recipients.length + delivered.length, 150_000);
  const stopped = await second.kill('SIGTERM');
  expect(stopped.code, second.tail).toBe(0);
  await sink.settled();

  // 4. At the sink: every recipient, once; twice only those in flight that had arrived before the kill.
  const final = sink.countByKey();
  expect(sink.messages.every((m) => m.key && keyOf.has(m.key))).toBe(true);
  expect(final.size, 'nobody skipped').toBe(recipients.length);
  const twice = [...final].filter(([, n]) => n > 1).map(([k]) => k);
  for (const [key, n] of final) expect(n, key).toBeLessThanOrEqual(2);
  for (const key of twice) expect(crash.inFlight.has(key), `${key} sent twice but was not in flight at the kill`).toBe(true);
  expect(twice.sort()).toEqual(delivered.sort());
  expect(sink.messages).toHaveLength(recipients.length + twice.length);
  console.log(`crash test (${store.kind}): ${crash.inFlight.size} in flight at the kill, ${twice.length} of them arrived twice; ${sink.messages.length} messages in all`);

  // 5. In the database: every row sent, the run done, filed once per recipient, and every message
  // (both copies of a duplicate too) carries the customer's committed password.
  await store.use(async (db) => {
    const list = await outboxOf(db, runId);
    expect(tally(list)).toEqual({ sent: recipients.length });
    // Claimed twice: exactly the rows in flight at the kill; every other row once.
    expect(new Set(list.filter((r) => r.attempts !== 1).map((r) => r.idempotency_key))).toEqual(crash.inFlight);
    expect(list.every((r) => r.attempts === (crash.inFlight.has(r.idempotency_key) ? 2 : 1))).toBe(true);
    const status = await getRun(db, t.tenantId, 'invitation', runId);
    expect(status).toMatchObject({ state: 'done', total: recipients.length, sent: recipients.length, failed: 0, skipped: 0 });
    const [creds] = await rows<{ n: number; initial: number }>(
      db,
      sql`select count(*)::int as n, count(initial_password)::int as initial from portal_credentials
           where customer_id = any(${`{${recipients.join(',')}}`}::uuid[])`,
    );
    expect(creds).toEqual({ n: recipients.length, initial: recipients.length });
    const passwords = await readInitialPasswords(db, t.tenantId, recipients);
    expect(passwords.size).toBe(recipients.length);
    for (const m of sink.messages) expect(m.mail.text ?? '', m.key!).toContain(passwords.get(keyOf.get(m.key!)!)!);
    const [filed] = await rows<{ n: number; cards: number }>(
      db,
      sql`select count(*)::int as n, count(distinct i.customer_id)::int as cards
            from interactions i join outbox o on o.id = i.outbox_id where o.run_id = ${runId}`,
    );
    expect(filed).toEqual({ n: recipients.length, cards: recipients.length });
  });
  return crash;
}

/** New cards with distinct addresses, inserted in one statement. */
async function insertCards(db: Db, from: number, count: number): Promise<string[]> {
  const cards = Array.from({ length: count }, (_, i) => {
    const { values, errors } = cardValues({ firstName: 'דנה', lastName: `Crash ${from + i}`, email: `crash-${from + i}@example.com` }, null, 'IL');
    expect(errors).toEqual([]);
    return { ...values, createdBy: 'test' };
  });
  const created = await db.transaction((tx) => insertCustomers(tx, t.tenantId, cards));
  return created.map((c) => c.id);
}

let store: Store;
let sink: SmtpSink;
let t: TenantFixture;
let staff: StaffContext;
let customerIds: string[];
/** The passwords the first run emailed (a later run re-sends them as they are). */
let firstPasswords: Map<string, string> | undefined;

beforeAll(async () => {
  useKeyring(parseKeyring(secretKey));
  store = await openStore();
  sink = await SmtpSink.start();
  await store.use(async (db) => {
    t = await seedTenant(db);
    customerIds = await insertCards(db, 0, RECIPIENTS);
  });
  staff = { tenantId: t.tenantId, region: 'IL', userId: t.admin.id, actorName: 'test', role: 'admin', via: 'session' };
}, 120_000);

afterAll(async () => {
  for (const child of live) child.kill('SIGKILL');
  await sink?.close();
  await store?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('invitation run: SIGKILL of the worker process', () => {
  it('in the middle of sending: everyone gets exactly one message but at most those in flight; nobody is skipped', async () => {
    // Confirmed through the product's service: 'pending' for the preparer in the worker process.
    const { id: runId } = await store.use((db) => startRun(db, staff, 'invitation', { customerIds }));
    await crashAndResume(runId, customerIds, (worker) => worker.untilSinkHas(sink, KILL_AT, 150_000));
    firstPasswords = await store.use((db) => readInitialPasswords(db, t.tenantId, customerIds));
  }, 400_000);

  /**
   * A second run to the same 2,000 (their valid passwords are re-sent as they are) and 500 new
   * cards: two pages of the password phase, and the worker killed between them. The kill lands
   * there deterministically: this process holds an uncommitted credentials row of a new card, so
   * the preparer commits page 1 and then waits on that row in page 2. PostgreSQL only: PGlite is
   * single-process, so nothing can hold a row while the worker has the database (and a kill
   * timed from outside could not be placed in the password phase).
   */
  it.skipIf(!process.env.TEST_DATABASE_URL)('between two pages of the password phase: the resumed run keeps what was committed and sends each exactly once', async () => {
    expect(firstPasswords?.size, 'the first run has passed').toBe(RECIPIENTS);
    // Two pages: the worker prepares pages of 2,000 here (KESHER_RUN_PAGE_SIZE below).
    const added = await store.use((db) => insertCards(db, RECIPIENTS, 500));
    const everyone = [...customerIds, ...added];
    const { id: runId } = await store.use((db) => startRun(db, staff, 'invitation', { customerIds: everyone }));
    const { default: pg } = await import('pg');
    const blocker = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(`insert into portal_credentials (customer_id, tenant_id) values ($1, $2)`, [added[250], t.tenantId]);
      await crashAndResume(
        runId,
        everyone,
        // Killed once the preparer waits on the held row (page 1 is committed by then).
        (worker) =>
          worker.until(async () => {
            const [waiting] = await store.use((db) =>
              rows<{ n: number }>(db, sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`),
            );
            return (waiting?.n ?? 0) > 0;
          }, 150_000),
        async (db, crash) => {
          await blocker.query('rollback');
          // Page 1 (the first 2,000) committed, page 2 rolled back; nothing enqueued before every password is in.
          expect(crash.counts).toEqual({});
          const [run] = await rows<{ phase: string; existing: number; fresh: number }>(
            db,
            sql`select notes->'prepare'->>'phase' as phase, (notes->'prepare'->>'existingPasswords')::int as existing,
                       coalesce((notes->'prepare'->>'newPasswords')::int, 0) as fresh from mail_runs where id = ${runId}`,
          );
          expect(run).toEqual({ phase: 'passwords', existing: RECIPIENTS, fresh: 0 });
          const [none] = await rows<{ n: number }>(db, sql`select count(*)::int as n from portal_credentials where customer_id = any(${`{${added.join(',')}}`}::uuid[])`);
          expect(none?.n).toBe(0);
        },
      );
    } finally {
      await blocker.end().catch(() => {});
    }
    await store.use(async (db) => {
      const status = await getRun(db, t.tenantId, 'invitation', runId);
      expect(status).toMatchObject({ newPasswords: 500, existingPasswords: RECIPIENTS, setPasswordLinks: 0 });
      // The first 2,000 were re-sent the password the first run emailed.
      const now = await readInitialPasswords(db, t.tenantId, customerIds);
      for (const id of customerIds) expect(now.get(id), id).toBe(firstPasswords!.get(id));
    });
  }, 400_000);
});
