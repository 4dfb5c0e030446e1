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
  await flushGinPendingLists(db);
  return stale.map((s) => s.name);
}

/**
 * Merges the pending lists of GIN indexes that keep one (the name-search trigram index) into the
 * index proper. Autovacuum does this on PostgreSQL; on PGlite nothing does until a list passes
 * 4 MB, and until then every search reads the whole unsorted list (~8 ms per query).
 */
export async function flushGinPendingLists(db: Db): Promise<void> {
  const indexes = await rows<{ oid: number }>(
    db,
    sql`select i.indexrelid::int as oid
          from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam
          join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
         where a.amname = 'gin'`,
  );
  for (const { oid } of indexes) await db.execute(sql`select gin_clean_pending_list(${oid}::regclass)`);
}

/** After a bulk load of customers (demo, import): fresh statistics for the tables it touched. */
export async function analyzeCustomers(db: Db): Promise<void> {
  await db.execute(sql`analyze customers`);
  await db.execute(sql`analyze customer_keys`);
  await db.execute(sql`analyze interactions`);
  await flushGinPendingLists(db);
}

/**
 * Keeps the planner's picture of a table that a long bulk load is growing. Without it a table that
 * was empty when the load began is still "empty" a million rows later, and every duplicate probe
 * becomes a scan (an import into a new database slowed to seconds per batch): PGlite has no
 * autovacuum, and PostgreSQL's may be off or late. Call `grew` after each committed batch with
 * the rows it added; the table is analyzed each time it has grown by a fifth (at least 10,000
 * rows) — about 25 times on the way from empty to a million, ~0.1–0.3 s each.
 */
export class GrowthWatch {
  private added = 0;
  private size: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly table: string,
  ) {}

  async grew(rowsAdded: number): Promise<boolean> {
    if (this.size === null) {
      const [r] = await rows<{ n: number }>(this.db, sql`select greatest(reltuples, 0)::float8 as n from pg_class where oid = to_regclass(${this.table})`);
      this.size = Number(r?.n ?? 0);
    }
    this.added += rowsAdded;
    if (this.added < Math.max(10_000, 0.2 * this.size)) return false;
    await this.db.execute(sql`analyze ${sql.identifier(this.table)}`);
    this.size += this.added;
    this.added = 0;
    return true;
  }
}
