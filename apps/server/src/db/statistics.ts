import { sql } from 'drizzle-orm';
import { rows, type Db } from './client.js';

/**
 * Planner statistics. PostgreSQL's autovacuum keeps them; embedded PGlite has no autovacuum, and
 * without statistics every customer query becomes a full scan (75 ms per lookup at 100k instead of
 * 1 ms). So: analyze after bulk loads, and on PGlite once after start when a table has never been
 * analyzed or has changed by a fifth since.
 */
export async function analyzeStale(db: Db): Promise<string[]> {
  const stale = await rows<{ name: string }>(
    db,
    sql`select c.relname as name
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
          left join pg_stat_user_tables s on s.relid = c.oid
         where c.relkind = 'r'
           and (c.reltuples < 0 or coalesce(s.n_mod_since_analyze, 0) > 0.2 * greatest(c.reltuples, 1000))`,
  );
  for (const { name } of stale) await db.execute(sql`analyze ${sql.identifier(name)}`);
  return stale.map((s) => s.name);
}

/** After a bulk load of customers (demo, import): fresh statistics for the tables it touched. */
export async function analyzeCustomers(db: Db): Promise<void> {
  await db.execute(sql`analyze customers`);
  await db.execute(sql`analyze interactions`);
}
