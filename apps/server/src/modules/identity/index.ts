import { sql, type SQL } from 'drizzle-orm';
import type { DuplicateMatch } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';

/**
 * Identity resolution: which existing customers share a main phone (E.164), an email
 * (lower-cased) or an ID number (normalised) with a candidate. One service for every channel
 * (create new, import, Web Data Port, portal registration); set-based, so a batch of candidates
 * costs one query (an index probe per distinct key value), not one per row. The keys live in
 * customer_keys (tables.ts).
 */
export interface IdentityKeys {
  phones: string[];
  emails: string[];
  idNumbers: string[];
}

/** A card's keys, from its column values (card.ts `cardValues` normalises them). */
export const keysOf = (v: { phonesNorm?: string[] | null; emailsNorm?: string[] | null; idNumberNorm?: string | null }): IdentityKeys => ({
  phones: v.phonesNorm ?? [],
  emails: v.emailsNorm ?? [],
  idNumbers: v.idNumberNorm ? [v.idNumberNorm] : [],
});

/** The keys as "kind:value" strings: two candidates of a batch that share one are one person. */
export const keyStrings = (k: IdentityKeys): string[] => [...k.phones.map((v) => `p:${v}`), ...k.emails.map((v) => `e:${v}`), ...k.idNumbers.map((v) => `i:${v}`)];

export type KeyKind = DuplicateMatch['matchedOn'][number];

type HitRow = Omit<DuplicateMatch, 'matchedOn'> & { key: KeyKind; v: string };

/**
 * The ids of a tenant's cards that carry a key value (customer_keys, kept by triggers): for
 * lookups by one key elsewhere (the search box, the portal's login, mail filing).
 * `tenantId` and `value` may be SQL (a column of an outer query).
 */
export const cardsWithKey = (tenantId: string | SQL, kind: KeyKind, value: string | SQL): SQL =>
  sql`select k.customer_id from customer_keys k where k.tenant_id = ${tenantId} and k.kind = ${kind} and k.value = ${value}`;

/**
 * Matches a batch of candidates in one query: each distinct key value is one probe of the
 * customer_keys index (answered from the index alone). A key value carried by more than the
 * tenant's `shared_key_limit` customers (an office switchboard, a family's shared email) is not
 * a match.
 */
export async function matchBatch(db: Db, tenantId: string, candidates: IdentityKeys[]): Promise<Map<number, DuplicateMatch[]>> {
  const wanted = new Map<string, number[]>(); // "kind:value" → candidate indexes
  const keys: { kind: KeyKind; v: string }[] = [];
  const add = (kind: KeyKind, list: string[], i: number) => {
    for (const v of list.length > 1 ? new Set(list) : list) {
      const k = `${kind}:${v}`;
      const at = wanted.get(k);
      if (at) at.push(i);
      else {
        wanted.set(k, [i]);
        keys.push({ kind, v });
      }
    }
  };
  candidates.forEach((c, i) => {
    add('phone', c.phones, i);
    add('email', c.emails, i);
    add('id_number', c.idNumbers, i);
  });
  const result = new Map<number, DuplicateMatch[]>();
  if (keys.length === 0) return result;
  // In index order: consecutive probes walk neighbouring pages instead of the whole index at random.
  keys.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  const kinds = keys.map((k) => k.kind);
  const values = keys.map((k) => k.v);

  // Lateral probes (one index descent per key; OFFSET 0 keeps each apart), so the planner never
  // hash-joins a batch against a scan of every key of the tenant.
  const hits = await rows<HitRow>(
    db,
    sql`with hits as (
          select k.kind as key, k.v, h.customer_id as id, count(*) over (partition by k.kind, k.v) as n
            from unnest(${sql.param(kinds)}::text[], ${sql.param(values)}::text[]) as k(kind, v)
                 cross join lateral (select customer_id from customer_keys c
                                      where c.tenant_id = ${tenantId} and c.kind = k.kind and c.value = k.v offset 0) h)
        select h.key, h.v, s.id, s.customer_number as "customerNumber", s.status,
               trim(coalesce(s.first_name, '') || ' ' || coalesce(s.last_name, '')) as "fullName",
               s.phone, s.email, s.id_number as "idNumber", s.branch_id as "branchId", s.city,
               to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
          from hits h
               -- One primary-key probe per hit (offset 0 keeps it a lateral probe).
               cross join lateral (select * from customers c where c.id = h.id offset 0) s
         where h.n <= (select shared_key_limit from tenants where id = ${tenantId})`,
  );
  for (const { key, v, ...summary } of hits) {
    for (const i of wanted.get(`${key}:${v}`) ?? []) {
      const list = result.get(i) ?? [];
      let m = list.find((x) => x.id === summary.id);
      if (!m) {
        m = { ...summary, customerNumber: Number(summary.customerNumber), matchedOn: [] };
        list.push(m);
      }
      if (!m.matchedOn.includes(key)) m.matchedOn.push(key);
      result.set(i, list);
    }
  }
  for (const list of result.values()) list.sort((a, b) => a.customerNumber - b.customerNumber);
  return result;
}

/** The existing customers that match one candidate. */
export async function findMatches(db: Db, tenantId: string, keys: IdentityKeys): Promise<DuplicateMatch[]> {
  return (await matchBatch(db, tenantId, [keys])).get(0) ?? [];
}
