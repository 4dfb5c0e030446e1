import { sql, type SQL } from 'drizzle-orm';
import type { RunFilter } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { filterConditions } from '../customers/list.js';

/**
 * Who a run is for, as SQL over `customers`: picked ids (or ids matched from an .xlsx list) or
 * the customer list's filters. The same conditions serve the count when the run is confirmed,
 * the preview, and the preparer's pages; so the preview, the count and the run agree.
 *
 * Pages are keyset over (created_at, id) — the order of the list's (tenant, …, created_at, id)
 * indexes — never OFFSET, so every page costs the same and memory stays bounded. A run on a
 * filter takes only cards created before the run (a card added meanwhile waits for the next run).
 */
export type RunSource = { customerIds: string[] } | { filter: RunFilter; region: string };

/** A selection: conditions on `customers` (unqualified columns), the tenant's included. */
export interface Selection {
  tenantId: string;
  where: SQL[];
}

const arrayLiteral = (values: string[]): string => `{${values.join(',')}}`;

/** The selection of a list given in a request (before a run exists). */
export async function selectionOf(db: Db, tenantId: string, source: RunSource): Promise<Selection> {
  if ('customerIds' in source) {
    return { tenantId, where: [sql`tenant_id = ${tenantId}`, sql`id = any(${arrayLiteral(source.customerIds)}::uuid[])`] };
  }
  return { tenantId, where: await filterConditions(db, tenantId, source.region, source.filter) };
}

/**
 * The selection of a run, read from its stored source: ids are read from the run row by the
 * query itself (no list in memory); a filter is bounded by the run's creation time.
 */
export async function selectionOfRun(db: Db, run: { id: string; tenantId: string }): Promise<Selection> {
  const [src] = await rows<{ by_ids: boolean; filter: RunFilter | null; region: string | null }>(
    db,
    sql`select (source ? 'customerIds') as by_ids, source->'filter' as filter, source->>'region' as region from mail_runs where id = ${run.id}`,
  );
  if (!src) throw new Error(`run ${run.id} not found`);
  if (src.by_ids) {
    return {
      tenantId: run.tenantId,
      where: [
        sql`tenant_id = ${run.tenantId}`,
        sql`id in (select (e.value)::uuid from mail_runs r, jsonb_array_elements_text(r.source->'customerIds') as e(value) where r.id = ${run.id})`,
      ],
    };
  }
  const where = await filterConditions(db, run.tenantId, src.region ?? 'IL', src.filter ?? {});
  where.push(sql`created_at <= (select created_at from mail_runs where id = ${run.id})`);
  return { tenantId: run.tenantId, where };
}

const whereOf = (s: Selection) => sql.join(s.where, sql` and `);

export async function countSelection(db: Db, s: Selection): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql`select count(*)::int as n from customers where ${whereOf(s)}`);
  return row?.n ?? 0;
}

/**
 * The selection as a plan input: `customer_id` and `ord`, the position in the order the run
 * enqueues (the first of two cards with one address is the one sent to).
 */
export function selectionInput(s: Selection): SQL {
  return sql`select id as customer_id, row_number() over (order by created_at, id) as ord from customers where ${whereOf(s)}`;
}

/** Where a page ended: the last card's (created_at, id), created_at as text to keep microseconds. */
export interface Cursor {
  c: string;
  id: string;
}

/** The next page of recipients after `after`, in (created_at, id) order. */
export async function pageSelection(db: Db, s: Selection, after: Cursor | null, limit: number): Promise<{ ids: string[]; last: Cursor | null }> {
  const keyset = after ? sql` and (created_at, id) > (${after.c}::timestamptz, ${after.id}::uuid)` : sql``;
  const list = await rows<{ id: string; c: string }>(
    db,
    sql`select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as c
          from customers where ${whereOf(s)}${keyset}
         order by created_at, id
         limit ${limit}`,
  );
  const tail = list[list.length - 1];
  return { ids: list.map((r) => r.id), last: tail ? { c: tail.c, id: tail.id } : null };
}
