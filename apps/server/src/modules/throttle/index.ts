import { inArray, sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { rateCounters } from './tables.js';

/** Counts one hit on `key` in a window of `windowSeconds`; returns the hits in the current window. */
export async function hit(db: Db, key: string, windowSeconds: number): Promise<number> {
  const expired = sql`rate_counters.window_start < now() - make_interval(secs => ${windowSeconds})`;
  const [row] = await rows<{ hits: number }>(
    db,
    sql`insert into rate_counters (key, window_start, hits) values (${key}, now(), 1)
        on conflict (key) do update set
          hits = case when ${expired} then 1 else rate_counters.hits + 1 end,
          window_start = case when ${expired} then now() else rate_counters.window_start end
        returning hits`,
  );
  return row?.hits ?? 1;
}

/** Hits in the current window for each key (0 when none or expired). */
export async function peek(db: Db, keys: string[], windowSeconds: number): Promise<Map<string, number>> {
  const found = await db
    .select({ key: rateCounters.key, hits: rateCounters.hits })
    .from(rateCounters)
    .where(sql`${inArray(rateCounters.key, keys)} and ${rateCounters.windowStart} >= now() - make_interval(secs => ${windowSeconds})`);
  return new Map(keys.map((k) => [k, found.find((f) => f.key === k)?.hits ?? 0]));
}

export async function clear(db: Db, key: string): Promise<void> {
  await db.delete(rateCounters).where(sql`${rateCounters.key} = ${key}`);
}

/**
 * Takes up to `want` hits from a budget of `limit` per window of `windowSeconds` (a sending-rate
 * cap shared by every process): returns how many were granted (0 … want). Run it inside the
 * caller's transaction: the counter row stays locked until commit, so concurrent takers queue.
 */
export async function take(db: Db, key: string, want: number, limit: number, windowSeconds: number): Promise<number> {
  const expired = sql`rate_counters.window_start <= now() - make_interval(secs => ${windowSeconds})`;
  const [row] = await rows<{ hits: number }>(
    db,
    sql`insert into rate_counters (key, window_start, hits) values (${key}, now(), 0)
        on conflict (key) do update set
          hits = case when ${expired} then 0 else rate_counters.hits end,
          window_start = case when ${expired} then now() else rate_counters.window_start end
        returning hits`,
  );
  const granted = Math.max(0, Math.min(want, limit - (row?.hits ?? 0)));
  if (granted > 0) await db.execute(sql`update rate_counters set hits = hits + ${granted} where key = ${key}`);
  return granted;
}

/** When the current window of `key` ends (now when there is none). */
export function windowEnd(key: string, windowSeconds: number) {
  return sql`coalesce((select window_start + make_interval(secs => ${windowSeconds}) from rate_counters where key = ${key}), now())`;
}
