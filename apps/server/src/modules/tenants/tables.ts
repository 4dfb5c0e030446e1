import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A tenant is a "database" in the UI: one business may have several. */
export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  defaultRegion: text('default_region').notNull().default('IL'),
  defaultLanguage: text('default_language').notNull().default('he'),
  allowDuplicates: boolean('allow_duplicates').notNull().default(false),
  /** A phone / email / ID number carried by more customers than this is not a duplicate match (a switchboard, a shared email). */
  sharedKeyLimit: integer('shared_key_limit').notNull().default(20),
  /** Next customer number; taken under the row lock so numbers are sequential and never reused. */
  nextCustomerNumber: bigint('next_customer_number', { mode: 'number' }).notNull().default(1),
  /** Days a generated (initial) portal password stays valid. */
  initialPasswordDays: integer('initial_password_days').notNull().default(30),
  /** Prefix marketing subjects with "פרסומת" (Israeli anti-spam law, §30A). */
  marketingSubjectPrefix: boolean('marketing_subject_prefix').notNull().default(false),
  /** The customer portal's address for {#Portal_URL} and links (default: this server's /portal). */
  portalUrl: text('portal_url'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const branches = pgTable(
  'branches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    country: text('country').notNull(),
    language: text('language').notNull(),
    timezone: text('timezone').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('branches_tenant_idx').on(t.tenantId), index('branches_one_default').on(t.tenantId).where(sql`${t.isDefault}`)],
);
