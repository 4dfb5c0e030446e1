import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { customers } from '../customers/tables.js';
import { tenants } from '../tenants/tables.js';

/**
 * Brokers / affiliates (SPEC §2): suppliers who bring leads. Each has an account number and an
 * affiliate code; a registration or API submission with the code stamps the new customer with
 * the broker's name and account number. `customerId` is the broker's own card (a supplier),
 * whose card lists the customers the broker brought.
 */
export const brokers = pgTable(
  'brokers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    accountNumber: text('account_number').notNull(),
    /** As typed; matched case-insensitively (unique per tenant, lower-cased). */
    affiliateCode: text('affiliate_code').notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('brokers_affiliate_code_idx').on(t.tenantId, sql`lower(${t.affiliateCode})`),
    uniqueIndex('brokers_account_idx').on(t.tenantId, t.accountNumber),
    index('brokers_customer_idx').on(t.customerId),
  ],
);
