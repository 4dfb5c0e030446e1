import type { Db } from '../../db/client.js';
import { composeBatch, TemplateCache, type Composed, type MailSettings } from './compose.js';
import { claimMessages, extendLeases, recordResults, releaseExpiredLeases, type Outcome } from './delivery.js';
import { outboxEvents, type ClaimedMessage } from './outbox.js';
import { describeSmtpError, isTransient, isUnknownUser, TransportCache } from './transport.js';

/**
 * The mail worker: claims batches of due messages, composes them from the current cards, sends
 * them through each mailbox's pooled transport and records the results (see delivery.ts for the
 * states and the crash semantics). Several lanes keep batches overlapping (one composing or
 * recording while another waits on SMTP). It runs inside `kesher start` and alone as
 * `kesher worker`; any number of workers may share one PostgreSQL database.
 *
 * stop(): no new claims; the batches in flight are sent and recorded; then the SMTP pools close.
 */
export interface WorkerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerOptions {
  settings: MailSettings;
  /** Messages claimed at once (default 100). */
  batchSize?: number;
  /**
   * Batches in flight at once (default 4): while one lane waits on SMTP, the others claim,
   * compose and record, so the pool's sessions never wait on the database.
   */
  lanes?: number;
  /** Wait between polls when there is nothing to send (default 1000 ms). */
  idleMs?: number;
  /** How long a claim holds a message before another worker may take it again (default 120 s, renewed while busy). */
  leaseSeconds?: number;
  /** Attempts before a message that keeps failing transiently is given up (default 8). */
  maxAttempts?: number;
  /** First retry delay; doubled every attempt up to an hour (default 60 s). */
  backoffSeconds?: number;
  /** SMTP sessions per branch / tenant mailbox (default 5). */
  maxConnections?: number;
  /** SMTP sessions to the server's default mailbox, SMTP_URL (default 10). */
  serverMaxConnections?: number;
  log?: WorkerLog;
}

const quiet: WorkerLog = { info: () => {}, warn: () => {}, error: () => {} };

export class MailWorker {
  private readonly opts: Required<Omit<WorkerOptions, 'log'>> & { log: WorkerLog };
  private readonly transports: TransportCache;
  private readonly templates = new TemplateCache();
  private running: Promise<void>[] = [];
  private stopping = false;
  private sleepers = new Set<() => void>();
  private lastRelease = 0;
  /** Work arrived while every lane was busy: the next lane about to sleep looks again at once. */
  private woken = false;
  private readonly wake = () => {
    if (this.sleepers.size === 0) this.woken = true;
    for (const s of this.sleepers) s();
    this.sleepers.clear();
  };

  constructor(
    private readonly db: Db,
    options: WorkerOptions,
  ) {
    this.opts = {
      batchSize: 100,
      lanes: 4,
      idleMs: 1000,
      leaseSeconds: 120,
      maxAttempts: 8,
      backoffSeconds: 60,
      maxConnections: 5,
      serverMaxConnections: 10,
      log: quiet,
      ...options,
    };
    this.transports = new TransportCache({ maxConnections: this.opts.maxConnections, serverMaxConnections: this.opts.serverMaxConnections });
  }

  start(): this {
    if (this.running.length) return this;
    this.stopping = false;
    outboxEvents.on('enqueued', this.wake);
    this.running = Array.from({ length: this.opts.lanes }, () => this.lane());
    return this;
  }

  /** Stops claiming, lets the batches in flight finish and be recorded, closes the SMTP pools. */
  async stop(): Promise<void> {
    this.stopping = true;
    outboxEvents.off('enqueued', this.wake);
    this.wake();
    await Promise.all(this.running);
    this.running = [];
    this.transports.closeAll();
  }

  private async lane(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const n = await this.runOnce();
        failures = 0;
        if (n === 0) await this.sleep(this.opts.idleMs);
      } catch (err) {
        failures++;
        this.opts.log.error({ err }, 'mail worker: a batch failed');
        await this.sleep(Math.min(this.opts.idleMs * 2 ** failures, 30_000));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** One claim → compose → send → record cycle; returns how many messages it handled. */
  async runOnce(): Promise<number> {
    const { db, opts } = this;
    if (Date.now() - this.lastRelease > Math.min((opts.leaseSeconds * 1000) / 2, 15_000)) {
      this.lastRelease = Date.now();
      const released = await releaseExpiredLeases(db, opts.maxAttempts);
      if (released) opts.log.warn({ released }, 'mail worker: messages left sending by a stopped worker were queued again');
    }
    const batch = await claimMessages(db, { batchSize: opts.batchSize, leaseSeconds: opts.leaseSeconds });
    if (batch.length === 0) return 0;
    const heartbeat = setInterval(() => {
      extendLeases(db, batch, opts.leaseSeconds).catch((err: unknown) => opts.log.warn({ err }, 'mail worker: could not renew leases'));
    }, (opts.leaseSeconds * 1000) / 3);
    heartbeat.unref();
    try {
      const composed = await composeBatch(db, opts.settings, batch, this.templates);
      const results = await Promise.all(
        batch.map(async (message) => {
          const c = composed.get(message.id) ?? ({ state: 'queued', error: 'not composed', retryInSeconds: 0 } as Outcome);
          const outcome = 'smtp' in c ? await this.send(c) : c;
          return { message, outcome: this.settle(message, outcome) };
        }),
      );
      await recordResults(db, results);
    } finally {
      clearInterval(heartbeat);
    }
    return batch.length;
  }

  private async send(c: Composed): Promise<Outcome> {
    try {
      const info = await this.transports.send(c.smtp, c.mail);
      return { state: 'sent', messageId: info.messageId, filed: c.filed };
    } catch (err) {
      const error = describeSmtpError(err);
      if (isTransient(err)) return { state: 'queued', error, retryInSeconds: 0 };
      return { state: 'failed', error, hardBounce: isUnknownUser(err) };
    }
  }

  /** A transient failure is retried with exponential backoff (±25% jitter) until attempts run out. */
  private settle(message: ClaimedMessage, outcome: Outcome): Outcome {
    if (outcome.state !== 'queued') return outcome;
    if (message.attempts >= this.opts.maxAttempts) return { state: 'failed', error: `gave up after ${message.attempts} attempts: ${outcome.error}` };
    const delay = Math.min(this.opts.backoffSeconds * 2 ** (message.attempts - 1), 3600);
    return { ...outcome, retryInSeconds: delay * (0.75 + Math.random() * 0.5) };
  }
}
