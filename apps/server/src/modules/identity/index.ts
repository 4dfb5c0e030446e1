import { sql } from 'drizzle-orm';
import type { DuplicateMatch } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';

/**
 * Identity resolution: which existing customers share a main phone (E.164), an email
 * (lower-cased) or an ID number (normalised) with a candidate. One service for every channel
 * (create new, import, Web Data Port, portal registration); set-based, so a batch of candidates
 * costs three index-backed queries, not three per row.
 */
export interface IdentityKeys {
  phones: string[];
  emails: string[];
  idNumbers: string[];
}

type MatchKey = DuplicateMatch['matchedOn'][number];

interface MatchRow {
  i: number;
  key: MatchKey;
  id: string;
}

export async function matchBatch(db: Db, tenantId: string, candidates: IdentityKeys[]): Promise<Map<number, DuplicateMatch[]>> {
  const phone = flatten(candidates, (c) => c.phones);
  const email = flatten(candidates, (c) => c.emails);
  const idNum = flatten(candidates, (c) => c.idNumbers);
  const result = new Map<number, DuplicateMatch[]>();
  if (phone.i.length + email.i.length + idNum.i.length === 0) return result;

  const hits = await rows<MatchRow>(
    db,
    sql`select k.i, 'phone' as key, c.id
          from unnest(${sql.param(phone.i)}::int[], ${sql.param(phone.v)}::text[]) as k(i, v)
          join customers c on c.tenant_id = ${tenantId} and c.phones_norm @> array[k.v]
        union
        select k.i, 'email' as key, c.id
          from unnest(${sql.param(email.i)}::int[], ${sql.param(email.v)}::text[]) as k(i, v)
          join customers c on c.tenant_id = ${tenantId} and c.emails_norm @> array[k.v]
        union
        select k.i, 'id_number' as key, c.id
          from unnest(${sql.param(idNum.i)}::int[], ${sql.param(idNum.v)}::text[]) as k(i, v)
          join customers c on c.tenant_id = ${tenantId} and c.id_number_norm = k.v`,
  );
  if (hits.length === 0) return result;

  const ids = [...new Set(hits.map((h) => h.id))];
  const summaries = await rows<Omit<DuplicateMatch, 'matchedOn'>>(
    db,
    sql`select id, customer_number as "customerNumber", status,
               trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as "fullName",
               phone, email, id_number as "idNumber", branch_id as "branchId", city,
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
          from customers where tenant_id = ${tenantId} and id = any(${sql.param(ids)}::uuid[])
         order by customer_number`,
  );
  const byId = new Map(summaries.map((s) => [s.id, { ...s, customerNumber: Number(s.customerNumber) }]));
  for (const h of hits) {
    const list = result.get(h.i) ?? [];
    let m = list.find((x) => x.id === h.id);
    if (!m) {
      const s = byId.get(h.id);
      if (!s) continue;
      m = { ...s, matchedOn: [] };
      list.push(m);
    }
    if (!m.matchedOn.includes(h.key)) m.matchedOn.push(h.key);
    result.set(h.i, list);
  }
  for (const list of result.values()) list.sort((a, b) => a.customerNumber - b.customerNumber);
  return result;
}

/** The existing customers that match one candidate. */
export async function findMatches(db: Db, tenantId: string, keys: IdentityKeys): Promise<DuplicateMatch[]> {
  return (await matchBatch(db, tenantId, [keys])).get(0) ?? [];
}

function flatten(candidates: IdentityKeys[], pick: (c: IdentityKeys) => string[]) {
  const i: number[] = [];
  const v: string[] = [];
  candidates.forEach((c, index) => {
    for (const value of new Set(pick(c))) {
      i.push(index);
      v.push(value);
    }
  });
  return { i, v };
}
