import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';

/**
 * A card's identity keys, one row each: its main phones (E.164), its emails (lower-cased) and
 * its ID number (normalised) — the columns `phones_norm`, `emails_norm`, `id_number_norm` of
 * `customers`, flattened. Kept by triggers on `customers` (migration 0010), so every writer
 * (COPY, the ORM, an update of one card or of thousands) keeps it right without knowing it.
 *
 * Why a table and not GIN indexes on the arrays: a duplicate check is an equality on
 * (tenant, kind, value). A b-tree answers it from the index alone (no heap recheck of the
 * customer row), batches of thousands of keys join it as a set, and one b-tree is cheaper to
 * keep up on a bulk insert than two GIN indexes (ADR 0013).
 *
 * No foreign keys on purpose: checking each of the millions of rows a bulk import writes
 * against `customers` and `tenants` would cost more than the table itself. The triggers delete
 * a card's keys with it (and on TRUNCATE), which is what a cascade would do.
 */
export const customerKeys = pgTable(
  'customer_keys',
  {
    tenantId: uuid('tenant_id').notNull(),
    /** 'phone' | 'email' | 'id_number' (the `matchedOn` names). */
    kind: text('kind').notNull(),
    value: text('value').notNull(),
    customerId: uuid('customer_id').notNull(),
  },
  // The customer id is part of the key so a probe is answered from the index alone.
  (t) => [index('customer_keys_lookup_idx').on(t.tenantId, t.kind, t.value, t.customerId)],
);
