import { boolean, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { customers } from '../customers/tables.js';
import { tenants } from '../tenants/tables.js';

/**
 * A customer's portal credentials, kept apart from the card so no card query can carry them.
 * - initialPassword: a generated password, only as AES-256-GCM ciphertext bound to tenant + customer
 *   (modules/secrets); re-sent as is while it is still the one we generated; expires.
 * - passwordHash: a password the customer chose, only as an argon2id hash; never emailed.
 */
export const portalCredentials = pgTable('portal_credentials', {
  customerId: uuid('customer_id').primaryKey().references(() => customers.id, { onDelete: 'cascade' }),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  initialPassword: text('initial_password'),
  initialCreatedAt: timestamp('initial_created_at', { withTimezone: true }),
  initialExpiresAt: timestamp('initial_expires_at', { withTimezone: true }),
  passwordHash: text('password_hash'),
  passwordSetAt: timestamp('password_set_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Single-use links (set password, reset password): ≥128-bit random tokens, stored as SHA-256. */
export const portalTokens = pgTable(
  'portal_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('portal_tokens_customer_idx').on(t.customerId)],
);

/** Portal sessions: their own realm, apart from staff sessions. */
export const portalSessions = pgTable(
  'portal_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    /** Logged in with the generated password: only setting a new one is allowed. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('portal_sessions_customer_idx').on(t.customerId)],
);
