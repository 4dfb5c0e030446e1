import { inArray, sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { rateCounters } from './tables.js';

/** Counts one hit on `key` in a window of `windowSeconds`; returns the hits in the current window. */
export async function hit(db: Db, key: string, windowSeconds: number): Promise<number> {
  return (await hitMany(db, [key], windowSeconds))[0]!;
}

/**
 * Counts many hits at once (a key may come several times), in one statement: returns, for each
 * hit in order, the hits in its key's current window up to and including it — as if they had
 * been counted one by one.
 */
export async function hitMany(db: Db, keys: string[], windowSeconds: number): Promise<number[]> {
  if (keys.length === 0) return [];
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  // In key order, so two processes counting the same keys lock their rows in one order.
  const distinct = [...counts.keys()].sort();
  const expired = sql`rate_counters.window_start < now() - make_interval(secs => ${windowSeconds})`;
  const found = await rows<{ key: string; hits: number }>(
    db,
    sql`insert into rate_counters (key, window_start, hits)
        select t.key, now(), t.n from unnest(${sql.param(distinct)}::text[], ${sql.param(distinct.map((k) => counts.get(k)!))}::int[]) as t(key, n)
        on conflict (key) do update set
          hits = case when ${expired} then excluded.hits else rate_counters.hits + excluded.hits end,
          window_start = case when ${expired} then now() else rate_counters.window_start end
        returning key, hits`,
  );
  const after = new Map(found.map((f) => [f.key, Number(f.hits)]));
  const seen = new Map<string, number>();
  return keys.map((k) => {
    const nth = (seen.get(k) ?? 0) + 1;
    seen.set(k, nth);
    return (after.get(k) ?? counts.get(k)!) - counts.get(k)! + nth;
  });
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
