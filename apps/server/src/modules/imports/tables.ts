import { boolean, customType, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * An Excel / CSV import (SPEC §2): created `pending` by the API with its upload, claimed by an
 * import runner (FOR UPDATE SKIP LOCKED, `claimed_at` = lease and fencing token, as in ADR 0007),
 * run in batches; `cursor` (the last row committed) and the counts are committed with each
 * batch, so a run taken over resumes there. `state`: pending | running | done | failed | undone.
 */
export const imports = pgTable(
  'imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** The engine's name, stamped as the created-by of every card it creates. */
    engineName: text('engine_name').notNull(),
    fileName: text('file_name').notNull(),
    /** 'xlsx' | 'csv' */
    format: text('format').notNull(),
    /** For a CSV: 'utf-8' | 'windows-1255'. */
    encoding: text('encoding'),
    bytes: integer('bytes').notNull().default(0),
    policy: text('policy').notNull(),
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull(),
    /** The file's header row (a title line or two may sit above it). */
    headerRow: integer('header_row').notNull().default(1),
    overrides: jsonb('overrides').$type<Record<string, string>>().notNull().default({}),
    state: text('state').notNull().default('pending'),
    claimedAt: timestamp('claimed_at', { withTimezone: true, precision: 3 }),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    /** The last file row whose batch is committed (0: none yet). */
    cursor: integer('cursor').notNull().default(0),
    progress: real('progress').notNull().default(0),
    /** Data rows in the file, counted on upload (an estimate for a CSV; set to the rows done at the end). Null: not counted. */
    rowsTotal: integer('rows_total'),
    /** Claimed again after a runner stopped half way, until its first batch is committed. */
    resuming: boolean('resuming').notNull().default(false),
    total: integer('total').notNull().default(0),
    created: integer('created').notNull().default(0),
    filled: integer('filled').notNull().default(0),
    renewed: integer('renewed').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
  },
  (t) => [index('imports_tenant_created_idx').on(t.tenantId, t.createdAt), index('imports_state_idx').on(t.state, t.createdAt)],
);

/**
 * The uploaded file, in pieces of up to 1 MB (in the database, so any server of a PostgreSQL
 * installation can run the import; read piece by piece, so memory stays bounded). Deleted when
 * the import is done.
 */
export const importChunks = pgTable(
  'import_chunks',
  {
    importId: uuid('import_id').notNull().references(() => imports.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] })],
);

/**
 * What became of each data row: outcome, the card it created / filled / renewed, its problems
 * (`[{ column, field, code, params }]`) and, for a filled or renewed card, the previous values of
 * the columns it changed (snake_case), so undo can restore them.
 */
export const importRows = pgTable(
  'import_rows',
  {
    importId: uuid('import_id').notNull().references(() => imports.id, { onDelete: 'cascade' }),
    rowNumber: integer('row_number').notNull(),
    outcome: text('outcome').notNull(),
    customerId: uuid('customer_id'),
    customerNumber: integer('customer_number'),
    name: text('name'),
    reason: text('reason'),
    problems: jsonb('problems').$type<{ column: string | null; field: string | null; code: string; params?: Record<string, string | number> }[]>(),
    previous: jsonb('previous').$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber] }), index('import_rows_customer_idx').on(t.importId, t.customerId)],
);

/** Mappings saved for next time, per tenant, by the file's set of headers. */
export const importMappings = pgTable(
  'import_mappings',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    headerKey: text('header_key').notNull(),
    headers: jsonb('headers').$type<string[]>().notNull(),
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.headerKey] })],
);
