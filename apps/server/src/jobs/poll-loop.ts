import type { EventEmitter } from 'node:events';

/**
 * The loop of a background job that claims work from a table (the run preparer, the import
 * runner): run `tick` while it finds work; when it finds none, sleep `idleMs` or until woken by
 * `wakeOn`'s `event` (a hint from this process — other processes are found by polling). A wake-up
 * that comes while the job is busy is remembered, so the next sleep is skipped. A failing tick
 * backs off, doubling up to 30 s. stop() lets the tick in flight end (jobs check `stopping`
 * between their pages or batches).
 */
export interface PollLoopOptions {
  name: string;
  idleMs: number;
  wakeOn: EventEmitter;
  event: string;
  log: { error(obj: object, msg?: string): void };
  /** Claims and does one piece of work; false when there was none. */
  tick: () => Promise<boolean>;
  /** Runs when a tick found nothing (before sleeping). */
  idle?: () => Promise<void>;
}

export class PollLoop {
  stopping = false;
  private loop: Promise<void> | null = null;
  private sleeper: (() => void) | null = null;
  private woken = false;
  private readonly wake = () => {
    if (this.sleeper) this.sleeper();
    else this.woken = true;
  };

  constructor(private readonly o: PollLoopOptions) {}

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.o.wakeOn.on(this.o.event, this.wake);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.o.wakeOn.off(this.o.event, this.wake);
    this.wake();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const worked = await this.o.tick();
        failures = 0;
        if (!worked) {
          await this.o.idle?.();
          await this.sleep(this.o.idleMs);
        }
      } catch (err) {
        failures++;
        this.o.log.error({ err }, `${this.o.name}: claiming failed`);
        await this.sleep(Math.min(this.o.idleMs * 2 ** failures, 30_000));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeper = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeper = done;
    });
  }
}

/**
 * A background job driven by a PollLoop (the run preparer, the import runner): start() and
 * stop(); stop() lets the page or batch in flight end and hands the work back for any process
 * to resume (the job throws `Stopping` between its pages or batches when `poll.stopping`).
 */
export abstract class PolledJob {
  protected abstract readonly poll: PollLoop;

  start(): this {
    this.poll.start();
    return this;
  }

  stop(): Promise<void> {
    return this.poll.stop();
  }
}

/** Thrown between pages or batches when the job is asked to stop. */
export class Stopping extends Error {}
