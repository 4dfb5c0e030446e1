import { sql } from 'drizzle-orm';
import { bigint, doublePrecision, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { branches, tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';

export const customers = pgTable(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerNumber: bigint('customer_number', { mode: 'number' }).notNull(),
    status: text('status').notNull().default('new'),
    lastName: text('last_name'),
    firstName: text('first_name'),
    middleName: text('middle_name'),
    branchId: uuid('branch_id').references(() => branches.id, { onDelete: 'set null' }),
    idType: text('id_type'),
    idCountry: text('id_country'),
    idNumber: text('id_number'),
    phone: text('phone'),
    phones: text('phones').array().notNull().default(sql`'{}'`),
    email: text('email'),
    emails: text('emails').array().notNull().default(sql`'{}'`),
    address: text('address'),
    city: text('city'),
    zip: text('zip'),
    country: text('country'),
    mailingAddress: text('mailing_address'),
    mailingCity: text('mailing_city'),
    mailingZip: text('mailing_zip'),
    mailingCountry: text('mailing_country'),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    language: text('language'),
    parentId: uuid('parent_id').references((): AnyPgColumn => customers.id, { onDelete: 'set null' }),
    brokerName: text('broker_name'),
    brokerAccount: text('broker_account'),
    websiteLastToken: text('website_last_token'),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
    createdBy: text('created_by').notNull(),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    // Normalised keys for duplicate detection and search (written by the service, one place: normalize.ts).
    phonesNorm: text('phones_norm').array().notNull().default(sql`'{}'`),
    emailsNorm: text('emails_norm').array().notNull().default(sql`'{}'`),
    idNumberNorm: text('id_number_norm'),
    searchName: text('search_name').generatedAlwaysAs(
      sql`lower(coalesce(last_name, '') || ' ' || coalesce(first_name, '') || ' ' || coalesce(middle_name, ''))`,
    ),
  },
  (t) => [
    uniqueIndex('customers_tenant_number_key').on(t.tenantId, t.customerNumber),
    // Ascending on purpose: drizzle's desc() means DESC NULLS LAST, which does not match
    // `order by created_at desc` (NULLS FIRST); an ascending index serves both directions.
    index('customers_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('customers_tenant_status_created_idx').on(t.tenantId, t.status, t.createdAt, t.id),
    index('customers_tenant_branch_created_idx').on(t.tenantId, t.branchId, t.createdAt, t.id),
    index('customers_tenant_name_idx').on(t.tenantId, t.searchName, t.id),
    // Identity keys (phones, emails, ID number) are looked up in customer_keys (identity/tables.ts).
    index('customers_search_name_trgm_idx').using('gin', sql`${t.searchName} gin_trgm_ops`),
    index('customers_custom_idx').using('gin', sql`${t.custom} jsonb_path_ops`),
    index('customers_parent_idx').on(t.parentId),
    // A broker's card lists the customers it brought: those with its account number.
    index('customers_tenant_broker_idx').on(t.tenantId, t.brokerAccount).where(sql`${t.brokerAccount} is not null`),
  ],
);
