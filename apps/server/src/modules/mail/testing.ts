import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sql } from 'drizzle-orm';
import type { CustomerFields } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { createCustomer } from '../customers/service.js';
import { createBranch } from '../tenants/service.js';
import type { MailSettings } from './compose.js';
import { createMailbox } from './mailboxes.js';
import { createRun, enqueueMessages, markRunSending, type EnqueueResult, type Recipient, type RunKind } from './outbox.js';
import { MailWorker, type WorkerOptions } from './worker.js';

/**
 * A real SMTP server on loopback for tests (npm `smtp-server`): no TLS, no auth unless asked to
 * refuse it; every message is parsed with `mailparser`. `answer` lets a test make the server
 * answer a recipient with a 4xx / 5xx. Tests only.
 */
export interface SinkMessage {
  mail: ParsedMail;
  raw: string;
  envelope: { from: string; to: string[] };
  /** The X-Kesher-Message-Id header (the outbox idempotency key). */
  key: string | null;
}

export interface SinkOptions {
  /** Require AUTH and refuse every login (535), as a server with a wrong password would. */
  refuseAuth?: boolean;
  /** An answer for RCPT TO: null accepts; `{ code, text }` refuses with that reply. */
  answer?: (rcpt: string, attempt: number) => { code: number; text: string } | null;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  private readonly attempts = new Map<string, number>();
  private server!: SMTPServer;
  port = 0;
  private waiters: (() => void)[] = [];
  /** Connection errors (a client killed mid-conversation resets its socket): kept, never thrown. */
  readonly errors: Error[] = [];
  /** Messages whose DATA began and which are not yet stored (or dropped with their connection). */
  private receiving = 0;

  constructor(public options: SinkOptions = {}) {}

  static async start(options: SinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options);
    await sink.listen();
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Settings for a mailbox pointing at this sink (no TLS). */
  mailbox(from: { fromName: string; fromAddress: string }, extra: Record<string, unknown> = {}) {
    return { host: '127.0.0.1', port: this.port, tlsMode: 'none' as const, ...from, ...extra };
  }

  private listen(): Promise<void> {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: this.options.refuseAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !this.options.refuseAuth,
      allowInsecureAuth: true,
      logger: false,
      size: 50 * 1024 * 1024,
      onAuth: (_auth, _session, callback) => callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 })),
      onRcptTo: (address, _session, callback) => {
        const rcpt = address.address.toLowerCase();
        const attempt = (this.attempts.get(rcpt) ?? 0) + 1;
        this.attempts.set(rcpt, attempt);
        const a = this.options.answer?.(rcpt, attempt);
        if (a) return callback(Object.assign(new Error(a.text), { responseCode: a.code }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        this.receiving++;
        let counted = true;
        const done = () => {
          if (counted) this.receiving--;
          counted = false;
        };
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', done);
        stream.on('close', () => {
          // A stream closed before its end (the client went away mid-message) stores nothing.
          if (!stream.readableEnded) done();
        });
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then((mail) => {
              const key = mail.headers.get('x-kesher-message-id');
              this.messages.push({
                mail,
                raw: raw.toString('utf8'),
                envelope: {
                  from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                  to: session.envelope.rcptTo.map((r) => r.address),
                },
                key: typeof key === 'string' ? key : null,
              });
              done();
              for (const w of this.waiters.splice(0)) w();
              callback();
            })
            .catch((err: Error) => {
              done();
              callback(err);
            });
        });
      },
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.server.address() as AddressInfo).port;
        this.server.off('error', reject);
        this.server.on('error', (err: Error) => this.errors.push(err));
        resolve();
      });
    });
  }

  /**
   * Resolves once no client is connected and every message received is stored (after a client
   * was killed, what it had already written to its socket still arrives), or rejects after `ms`.
   */
  async settled(ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.server.connections.size > 0 || this.receiving > 0) {
      if (Date.now() > deadline) throw new Error(`sink: ${this.server.connections.size} connections, ${this.receiving} messages still arriving`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Attempts the server saw for a recipient (RCPT TO), accepted or not. */
  attemptsFor(address: string): number {
    return this.attempts.get(address.toLowerCase()) ?? 0;
  }

  /** How many messages arrived per idempotency key. */
  countByKey(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.messages) if (m.key) out.set(m.key, (out.get(m.key) ?? 0) + 1);
    return out;
  }

  to(address: string): SinkMessage[] {
    return this.messages.filter((m) => m.envelope.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  /** Resolves once `n` messages have arrived (or rejects after `ms`). */
  async waitFor(n: number, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.messages.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`sink: ${this.messages.length} of ${n} messages arrived`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  clear(): void {
    this.messages.length = 0;
    this.attempts.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The usual mail test file: one sink for the file (emptied after each test) and the worker a test
 * starts (`ctx.worker = testWorker(…)`), stopped after the test.
 */
export function useSink(): { sink: SmtpSink; worker: MailWorker | undefined; workers: MailWorker[] } {
  const ctx = { workers: [] } as unknown as { sink: SmtpSink; worker: MailWorker | undefined; workers: MailWorker[] };
  beforeAll(async () => {
    ctx.sink = await SmtpSink.start();
  });
  afterEach(async () => {
    await Promise.all([ctx.worker, ...ctx.workers.splice(0)].map((w) => w?.stop()));
    ctx.worker = undefined;
    ctx.sink.clear();
  });
  afterAll(async () => {
    await ctx.sink?.close();
  });
  return ctx;
}

// ---- factories for mail tests ----
let made = 0;

/** A card (no duplicate check, so tests may share addresses between cards). */
export async function makeCustomer(db: Db, tenantId: string, fields: CustomerFields = {}) {
  made++;
  return createCustomer(db, { tenantId, region: 'IL', userId: null, actorName: 'test' }, { lastName: `Customer ${made}`, email: `c${made}.${Date.now()}@example.com`, ...fields }, { skipDuplicateCheck: true });
}

export const makeBranch = (db: Db, tenantId: string, b: { name: string; country: string; language: 'he' | 'en' }) =>
  createBranch(db, tenantId, { ...b, timezone: b.country === 'US' ? 'America/New_York' : 'Asia/Jerusalem' });

export async function makeMailbox(db: Db, tenantId: string, sink: SmtpSink, branchId: string | null, fromAddress: string, extra: Record<string, unknown> = {}) {
  return createMailbox(db, tenantId, { branchId, ...sink.mailbox({ fromName: fromAddress.split('@')[0]!, fromAddress }), ...extra });
}

/** A run with its messages enqueued and released to the worker. */
export async function sendRun(
  db: Db,
  settings: Pick<MailSettings, 'serverMailbox'>,
  input: { tenantId: string; kind: RunKind; templateKey: string; recipients: Recipient[] },
): Promise<{ runId: string; enqueued: EnqueueResult }> {
  const runId = await createRun(db, { tenantId: input.tenantId, kind: input.kind, templateKey: input.templateKey, source: { test: true } });
  const enqueued = await enqueueMessages(db, settings, { tenantId: input.tenantId, runId, recipients: input.recipients });
  await markRunSending(db, input.tenantId, runId);
  return { runId, enqueued };
}

/** A worker tuned for tests: short waits, retries after 50 ms. */
export const testWorker = (db: Db, settings: MailSettings, extra: Partial<WorkerOptions> = {}) =>
  new MailWorker(db, { settings, idleMs: 20, backoffSeconds: 0.05, leaseSeconds: 5, batchSize: 25, ...extra });

/** Runs a worker's cycles until nothing is queued or sending (retries included). */
export async function deliverAll(db: Db, worker: MailWorker, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = await worker.runOnce();
    if (n > 0) continue;
    const [left] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox where state in ('queued', 'sending')`);
    if (!left?.n) return;
    if (Date.now() > deadline) throw new Error(`deliverAll: ${left.n} messages still queued or sending`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const outboxRows = (db: Db, runId: string) =>
  rows<{ id: string; customer_id: string; to_address: string; state: string; skip_reason: string | null; attempts: number; last_error: string | null; language: string; idempotency_key: string; mailbox_id: string | null }>(
    db,
    sql`select id, customer_id, to_address, state, skip_reason, attempts, last_error, language, idempotency_key, mailbox_id from outbox where run_id = ${runId} order by created_at, id`,
  );
