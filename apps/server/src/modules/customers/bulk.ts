import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { copyRows, uuidv7, type CopyValue } from '../../db/copy.js';
import { reserveCustomerNumbers } from '../tenants/service.js';
import type { CustomerValues } from './card.js';

/** Columns a bulk insert writes, with their SQL types (snake_case names match the table). */
const COLUMNS = {
  status: 'text', last_name: 'text', first_name: 'text', middle_name: 'text', branch_id: 'uuid',
  id_type: 'text', id_country: 'text', id_number: 'text', phone: 'text', phones: 'text[]', email: 'text', emails: 'text[]',
  address: 'text', city: 'text', zip: 'text', country: 'text',
  mailing_address: 'text', mailing_city: 'text', mailing_zip: 'text', mailing_country: 'text',
  latitude: 'float8', longitude: 'float8', language: 'text', parent_id: 'uuid', broker_name: 'text', broker_account: 'text',
  website_last_token: 'text', custom: 'jsonb', created_by: 'text', created_by_user_id: 'uuid', created_at: 'timestamptz',
  phones_norm: 'text[]', emails_norm: 'text[]', id_number_norm: 'text',
} as const;
type Column = keyof typeof COLUMNS;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** What a column holds when a card leaves it out (the table's defaults; COPY takes a value for every row). */
const DEFAULTS: Partial<Record<Column, CopyValue>> = { status: 'new', custom: {}, phones: [], emails: [], phones_norm: [], emails_norm: [] };

/** Each column with the card's (camelCase) key that feeds it. */
const FIELDS = (Object.keys(COLUMNS) as Column[]).map((column) => ({ column, key: column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) }));

/**
 * Inserts many prepared cards with one COPY, numbering them in order (ids are time-ordered
 * UUIDs made here, so nothing needs to come back from the database). Values must already be
 * validated and normalised (card.ts). Returns the new ids and numbers in input order.
 */
export async function insertCustomers(
  tx: Db,
  tenantId: string,
  cards: (CustomerValues & { createdBy: string })[],
): Promise<{ id: string; customerNumber: number }[]> {
  if (cards.length === 0) return [];
  const first = await reserveCustomerNumbers(tx, tenantId, cards.length);
  // Only the columns some card sets; the others keep the table's defaults.
  const used = FIELDS.filter(({ key }) => cards.some((card) => (card as Record<string, unknown>)[key] !== undefined));
  const now = new Date();
  const made = cards.map((_, i) => ({ id: uuidv7(), customerNumber: first + i }));
  await copyRows(
    tx,
    'customers',
    ['id', 'tenant_id', 'customer_number', ...used.map((f) => f.column)],
    cards.map((card, i) => {
      const line: CopyValue[] = [made[i]!.id, tenantId, made[i]!.customerNumber];
      for (const { column, key } of used) {
        const v = (card as Record<string, unknown>)[key] as CopyValue;
        line.push(v ?? (column === 'created_at' ? now : DEFAULTS[column]) ?? null);
      }
      return line;
    }),
  );
  return made;
}

/** Columns a bulk update may set (not the creation stamps). */
const UPDATABLE = Object.keys(COLUMNS).filter((c) => !['created_by', 'created_by_user_id', 'created_at'].includes(c)) as Column[];

/**
 * Updates many cards in one statement: each change names the card and the columns to set
 * (camelCase values as in `CustomerValues`, e.g. from card.ts; a column left out keeps its value).
 * Values must already be validated and normalised. Returns how many cards were updated.
 */
export async function updateCustomers(tx: Db, tenantId: string, changes: { id: string; values: CustomerValues }[]): Promise<number> {
  const batch = changes
    .map(({ id, values }) => {
      const v: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(values)) if (x !== undefined) v[snake(k)] = x instanceof Date ? x.toISOString() : x;
      for (const k of Object.keys(v)) if (!(UPDATABLE as string[]).includes(k)) delete v[k];
      return { id, v };
    })
    .filter((c) => Object.keys(c.v).length > 0);
  if (batch.length === 0) return 0;
  const read = (c: Column) => {
    const type = COLUMNS[c];
    if (type === 'text[]') return `case when t.v->'${c}' = 'null'::jsonb then '{}' else array(select jsonb_array_elements_text(t.v->'${c}')) end`;
    if (type === 'jsonb') return `coalesce(t.v->'${c}', '{}'::jsonb)`;
    return `(t.v->>'${c}')::${type}`;
  };
  const sets = sql.raw(UPDATABLE.map((c) => `${c} = case when t.v ? '${c}' then ${read(c)} else c.${c} end`).join(',\n'));
  const updated = await rows<{ id: string }>(
    tx,
    sql`update customers c set ${sets}, updated_at = now()
          from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as t(id uuid, v jsonb)
         where c.tenant_id = ${tenantId} and c.id = t.id
        returning c.id`,
  );
  return updated.length;
}
