/** Timing, percentiles and the results table. */

export interface Result {
  group: string;
  name: string;
  unit: 'ms' | 's';
  samples: number[];
  /** The p95 (ms) or worst-run (s) target, when there is one. */
  target?: number;
  note?: string;
  /** The input of the slowest sample, for EXPLAIN. */
  slowest?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN };
}

/**
 * Runs input `i` `warmup` times untimed (inputs iterations…), then `iterations` times timed, one
 * after another. `prepare(i)` builds the input outside the timer and returns the call to time.
 * Returns the samples and the index of the slowest input, so it can be explained.
 */
export async function measure(
  iterations: number,
  warmup: number,
  prepare: (i: number) => () => Promise<unknown>,
): Promise<{ samples: number[]; slowest: number }> {
  for (let i = 0; i < warmup; i++) await prepare(iterations + i)();
  const samples: number[] = [];
  let slowest = 0;
  for (let i = 0; i < iterations; i++) {
    const call = prepare(i);
    const t0 = performance.now();
    await call();
    const ms = performance.now() - t0;
    samples.push(ms);
    if (ms > samples[slowest]!) slowest = i;
  }
  return { samples, slowest };
}

const fmt = (v: number, unit: 'ms' | 's') => (Number.isNaN(v) ? '—' : unit === 's' ? v.toFixed(2) : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** Whether a result meets its target: p95 for latencies, the worst run for cold start. */
export function verdict(r: Result): string {
  if (r.target === undefined) return '';
  const s = summarize(r.samples);
  const value = r.unit === 's' ? s.max : s.p95;
  return value <= r.target ? 'ok' : 'MISS';
}

/** A Markdown table (readable as plain text too). */
export function table(results: Result[]): string {
  const head = ['group', 'measure', 'n', 'p50', 'p95', 'p99', 'target', '', 'note'];
  const lines = [head, head.map(() => '---')];
  for (const r of results) {
    const s = summarize(r.samples);
    const u = r.unit;
    const target = r.target === undefined ? '—' : u === 's' ? `≤ ${r.target} s (worst run)` : `p95 ≤ ${r.target} ms`;
    lines.push([r.group, r.name, String(s.n), `${fmt(s.p50, u)} ${u}`, `${fmt(s.p95, u)} ${u}`, `${fmt(s.p99, u)} ${u}`, target, verdict(r), r.note ?? '']);
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
