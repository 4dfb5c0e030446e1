/**
 * Group commit for a hot path: each caller hands in one item and awaits its own result; items
 * that arrive while a batch is being processed wait together for the next one (at most
 * `maxBatch` of them). Alone, a caller pays for a batch of one and waits for nothing; under load,
 * N concurrent callers cost one round of queries instead of N — which is what lets the Web Data
 * Port take a thousand leads a second on a row that every new customer must lock (ADR 0011).
 *
 * `run` answers every item of a batch in order, each settled on its own (one bad item does not
 * fail the others); if `run` itself throws, every item of that batch gets the error.
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };
export const settled = <R>(value: R): Settled<R> => ({ ok: true, value });

export class Batcher<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<Settled<R>[]>,
    private readonly opts: { maxBatch: number; concurrency?: number },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < (this.opts.concurrency ?? 1) && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.running++;
      this.run(batch.map((b) => b.item))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const r = results[i];
              if (!r) b.reject(new Error('batch: no result for an item'));
              else if (r.ok) b.resolve(r.value);
              else b.reject(r.error);
            }),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
