import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { contacts } from '../contacts/tables.js';
import { customers } from '../customers/tables.js';
import { tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';

/** The card's timeline: calls, meetings, quotes, summaries, notes, emails, SMS, alerts, system logs. */
export const interactions = pgTable(
  'interactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    /** A filed email: the outbox message it came from (and through it, its run). */
    outboxId: uuid('outbox_id'),
    type: text('type').notNull(),
    subject: text('subject'),
    body: text('body'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('interactions_customer_idx').on(t.tenantId, t.customerId, t.occurredAt, t.id)],
);
