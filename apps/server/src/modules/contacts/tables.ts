import { date, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { customers } from '../customers/tables.js';
import { tenants } from '../tenants/tables.js';

/** Additional contacts: people inside a customer organisation, arranged by department and role. */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    firstName: text('first_name'),
    lastName: text('last_name'),
    department: text('department'),
    role: text('role'),
    phone: text('phone'),
    phoneNorm: text('phone_norm'),
    email: text('email'),
    emailNorm: text('email_norm'),
    idType: text('id_type'),
    idNumber: text('id_number'),
    legalStatus: text('legal_status'),
    gender: text('gender'),
    birthDate: date('birth_date', { mode: 'string' }),
    notes: text('notes'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('contacts_customer_idx').on(t.tenantId, t.customerId)],
);
