import { sql, type SQL } from 'drizzle-orm';
import type { CustomerListQuery, CustomerPage, CustomerSummary, RunFilter } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { invalid } from '../../http/errors.js';
import { listDefinitions, checkCustomValues } from '../custom-fields/service.js';
import { cardsWithKey } from '../identity/index.js';
import { normalizeEmail, normalizeIdNumber, normalizePhone } from './normalize.js';

/**
 * The customer list: the search box (`q`), filters, sort and keyset pagination. Each sort has an
 * index that serves it (see tables.ts), and the cursor continues after the last row seen, so page
 * 1,000 costs what page 1 does. The count is a separate query so it never holds the page back.
 */
type Sort = CustomerListQuery['sort'];

const ORDER: Record<Sort, { cols: string[]; dir: 'asc' | 'desc' }> = {
  created_desc: { cols: ['created_at', 'id'], dir: 'desc' },
  created_asc: { cols: ['created_at', 'id'], dir: 'asc' },
  number_desc: { cols: ['customer_number'], dir: 'desc' },
  number_asc: { cols: ['customer_number'], dir: 'asc' },
  name_asc: { cols: ['search_name', 'id'], dir: 'asc' },
  name_desc: { cols: ['search_name', 'id'], dir: 'desc' },
};

const SUMMARY_COLUMNS = sql.raw(`id, customer_number as "customerNumber", status,
  trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as "fullName",
  phone, email, id_number as "idNumber", branch_id as "branchId", city,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt",
  search_name as "sortName"`);

/** The search box: by name (partial, Hebrew or English), phone in any format, email, ID number, customer number. */
export function searchCondition(q: string, region: string, tenantId: string): SQL | null {
  const text = q.trim();
  if (!text) return null;
  const exact: SQL[] = [];
  const phone = normalizePhone(text, region);
  if (phone) exact.push(cardsWithKey(tenantId, 'phone', phone));
  const email = text.includes('@') ? normalizeEmail(text) : null;
  if (email) exact.push(cardsWithKey(tenantId, 'email', email));
  const digits = text.replace(/[\s-]/g, '');
  if (/^\d+$/.test(digits)) {
    if (digits.length <= 15) exact.push(sql`select id from customers where tenant_id = ${tenantId} and customer_number = ${Number(digits)}`);
    const id = normalizeIdNumber(digits, digits.length <= 9 ? 'israeli_id' : 'company');
    if (id) exact.push(cardsWithKey(tenantId, 'id_number', id));
    if (digits.length > 9) exact.push(cardsWithKey(tenantId, 'id_number', digits));
  } else if (/^[A-Za-z0-9]{5,20}$/.test(digits) && /\d/.test(digits)) {
    exact.push(cardsWithKey(tenantId, 'id_number', digits.toUpperCase())); // a passport number
  }
  const any: SQL[] = [];
  if (exact.length) {
    // Exact keys match a handful of cards: look them up first (index lookups, no ORDER BY) and sort
    // only those. As a plain condition next to `order by created_at desc limit 51`, the planner may
    // walk the newest-first index instead of probing the keys.
    any.push(sql`id = any(array(${sql.join(exact, sql` union `)}))`);
  }
  if (/\p{L}/u.test(text) && !text.includes('@')) {
    // Every word must appear somewhere in the name; the trigram index serves each LIKE. A word of
    // one or two letters has no trigram to look up, so it matches the start of a word instead
    // (pg_trgm pads word starts, so `like 'ab%'` and `like '% ab%'` are index-served).
    const words = text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5);
    any.push(
      sql.join(
        words.map((w) =>
          [...w].length < 3
            ? sql`(search_name like ${`${escapeLike(w)}%`} or search_name like ${`% ${escapeLike(w)}%`})`
            : sql`search_name like ${`%${escapeLike(w)}%`}`,
        ),
        sql` and `,
      ),
    );
  }
  if (any.length === 0) return sql`false`;
  return sql`(${sql.join(any, sql` or `)})`;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The list's filters as SQL conditions on `customers` (unqualified columns), scoped to the tenant.
 * Invitation runs and bulk emails select their recipients with the same conditions.
 */
export async function filterConditions(db: Db, tenantId: string, region: string, query: RunFilter): Promise<SQL[]> {
  const where: SQL[] = [sql`tenant_id = ${tenantId}`];
  if (query.q) {
    const s = searchCondition(query.q, region, tenantId);
    if (s) where.push(s);
  }
  if (query.status) {
    const list = Array.isArray(query.status) ? query.status : [query.status];
    where.push(sql`status = any(${sql.param(list)}::text[])`);
  }
  if (query.branchId) where.push(sql`branch_id = ${query.branchId}`);
  if (query.createdFrom) where.push(sql`created_at >= ${query.createdFrom}::timestamptz`);
  if (query.createdTo) {
    // A bare date means "through the end of that day".
    const to = /^\d{4}-\d{2}-\d{2}$/.test(query.createdTo) ? sql`${query.createdTo}::date + 1` : sql`${query.createdTo}::timestamptz`;
    where.push(sql`created_at < ${to}`);
  }
  const custom = Object.fromEntries(Object.entries(query).filter(([k]) => k.startsWith('cf.')).map(([k, v]) => [k.slice(3), v]));
  if (Object.keys(custom).length) {
    const checked = checkCustomValues(await listDefinitions(db, tenantId), custom, false);
    if (checked.errors.length) throw invalid(checked.errors);
    where.push(sql`custom @> ${JSON.stringify(checked.values)}::jsonb`);
  }
  return where;
}

export async function listCustomers(db: Db, tenantId: string, region: string, query: CustomerListQuery): Promise<CustomerPage> {
  const where = await filterConditions(db, tenantId, region, query);
  const order = ORDER[query.sort];
  if (query.cursor) where.push(afterCursor(query.sort, query.cursor));
  const dir = sql.raw(order.dir);
  const orderBy = sql.join(order.cols.map((c) => sql`${sql.raw(c)} ${dir}`), sql`, `);
  const found = await rows<CustomerSummary & { sortName: string }>(
    db,
    sql`select ${SUMMARY_COLUMNS} from customers where ${sql.join(where, sql` and `)} order by ${orderBy} limit ${query.limit + 1}`,
  );
  const page = found.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ sortName: _s, ...item }) => ({ ...item, customerNumber: Number(item.customerNumber) })),
    nextCursor: found.length > query.limit && last ? encodeCursor(query.sort, last) : null,
  };
}

/** A full card row as the export reads it (snake_case columns), with its sort key. */
export type CustomerRecordRow = Record<string, unknown> & { id: string; customer_number: string | number; search_name: string; cursor_at: string };

/**
 * Every card the list's filters select, in the list's sort, page after page by keyset (never
 * OFFSET): the Excel export streams these with bounded memory. `extra` adds computed columns.
 */
export async function* customersInOrder(
  db: Db,
  tenantId: string,
  region: string,
  query: RunFilter & { sort: Sort },
  opts: { pageSize?: number; extra?: SQL; columns?: string[] } = {},
): AsyncGenerator<CustomerRecordRow[]> {
  const base = await filterConditions(db, tenantId, region, query);
  const order = ORDER[query.sort];
  const dir = sql.raw(order.dir);
  const orderBy = sql.join(order.cols.map((c) => sql`${sql.raw(`c.${c}`)} ${dir}`), sql`, `);
  const extra = opts.extra ? sql`, ${opts.extra}` : sql``;
  // Only what the caller reads (and the sort key): a page of whole rows costs twice as much.
  const wanted = opts.columns
    ? sql.raw([...new Set(['id', 'customer_number', 'search_name', ...opts.columns])].map((c) => `c.${c.replace(/[^a-z_]/g, '')}`).join(', '))
    : sql.raw('c.*');
  const pageSize = opts.pageSize ?? 2000;
  const fetch = (cursor: string | null) => {
    const where = cursor ? [...base, afterCursor(query.sort, cursor)] : base;
    return rows<CustomerRecordRow>(
      db,
      sql`select ${wanted}, to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at${extra}
            from customers c where ${sql.join(where, sql` and `)} order by ${orderBy} limit ${pageSize}`,
    );
  };
  let next: Promise<CustomerRecordRow[]> | null = fetch(null);
  while (next) {
    const page: CustomerRecordRow[] = await next;
    const last = page[page.length - 1];
    // The next page is read while the caller works on this one.
    next =
      page.length < pageSize || !last
        ? null
        : fetch(encodeCursor(query.sort, { createdAt: last.cursor_at, id: last.id, customerNumber: Number(last.customer_number), sortName: last.search_name }));
    next?.catch(() => undefined); // surfaced when awaited
    if (page.length) yield page;
  }
}

/**
 * Counts up to `cap` matches, so a count over millions stays cheap; `exact` says whether it was
 * capped. A search (`q`) is capped lower: a short name fragment can match a tenth of the table.
 */
export async function countCustomers(db: Db, tenantId: string, region: string, query: CustomerListQuery, cap = query.q ? 10_000 : 100_000) {
  const where = await filterConditions(db, tenantId, region, query);
  const [row] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select 1 from customers where ${sql.join(where, sql` and `)} limit ${cap + 1}) as capped`,
  );
  const n = row?.n ?? 0;
  return { count: Math.min(n, cap), exact: n <= cap };
}

/** Where a page ended, in the fields the sort orders by. */
interface SortKey {
  createdAt: string;
  id: string;
  customerNumber: number;
  sortName: string;
}

function encodeCursor(sort: Sort, last: SortKey): string {
  const value = sort.startsWith('created') ? [last.createdAt, last.id] : sort.startsWith('number') ? [last.customerNumber] : [last.sortName, last.id];
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function afterCursor(sort: Sort, cursor: string): SQL {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  const bad = () => invalid([{ path: 'cursor', code: 'invalid' }]);
  if (!Array.isArray(value)) throw bad();
  const cmp = sql.raw(ORDER[sort].dir === 'desc' ? '<' : '>');
  if (sort.startsWith('number')) {
    if (typeof value[0] !== 'number') throw bad();
    return sql`customer_number ${cmp} ${value[0]}`;
  }
  const [first, id] = value;
  if (typeof first !== 'string' || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw bad();
  if (sort.startsWith('created')) {
    if (Number.isNaN(Date.parse(first))) throw bad();
    return sql`(created_at, id) ${cmp} (${first}::timestamptz, ${id}::uuid)`;
  }
  return sql`(search_name, id) ${cmp} (${first}, ${id}::uuid)`;
}
