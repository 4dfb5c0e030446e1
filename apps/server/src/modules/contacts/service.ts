import { and, asc, eq, sql } from 'drizzle-orm';
import { isValidIsraeliId, type Contact, type ContactFields } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { invalid, notFound, type FieldErrorSpec } from '../../http/errors.js';
import { customers } from '../customers/tables.js';
import { normalizeEmail, normalizePhone } from '../customers/normalize.js';
import { contacts } from './tables.js';

type Row = typeof contacts.$inferSelect;

function present(row: Row): Contact {
  return {
    id: row.id,
    customerId: row.customerId,
    fullName: [row.firstName, row.lastName].filter(Boolean).join(' '),
    firstName: row.firstName,
    lastName: row.lastName,
    department: row.department,
    role: row.role,
    phone: row.phone,
    email: row.email,
    idType: row.idType as Contact['idType'],
    idNumber: row.idNumber,
    legalStatus: row.legalStatus as Contact['legalStatus'],
    gender: row.gender as Contact['gender'],
    birthDate: row.birthDate,
    notes: row.notes,
  };
}

/** Fields a contact with a legal status in a company customer must have (regulation, SPEC §1). */
const REGULATION_FIELDS = ['firstName', 'lastName', 'idType', 'idNumber', 'legalStatus', 'gender', 'birthDate'] as const;

function check(merged: ContactFields, customerIdType: string | null, region: string): FieldErrorSpec[] {
  const errors: FieldErrorSpec[] = [];
  if (merged.phone && !normalizePhone(merged.phone, region)) errors.push({ path: 'phone', code: 'invalid_phone' });
  if (merged.idNumber && merged.idType === 'israeli_id' && !isValidIsraeliId(merged.idNumber)) errors.push({ path: 'idNumber', code: 'invalid_israeli_id' });
  if (customerIdType === 'company' && merged.legalStatus) {
    for (const f of REGULATION_FIELDS) if (!merged[f]) errors.push({ path: f, code: 'required' });
  }
  return errors;
}

async function customerIdType(db: Db, tenantId: string, customerId: string): Promise<string | null> {
  const [c] = await db.select({ idType: customers.idType }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.id, customerId)));
  if (!c) throw notFound('customer');
  return c.idType;
}

function columns(fields: ContactFields, region: string) {
  return {
    ...fields,
    ...(fields.phone !== undefined && { phoneNorm: normalizePhone(fields.phone, region) }),
    ...(fields.email !== undefined && { emailNorm: normalizeEmail(fields.email) }),
  };
}

/** The contacts of a customer, ordered for the tree: department, then role, then name. */
export async function listContacts(db: Db, tenantId: string, customerId: string): Promise<Contact[]> {
  await customerIdType(db, tenantId, customerId);
  const list = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.tenantId, tenantId), eq(contacts.customerId, customerId)))
    .orderBy(sql`${contacts.department} nulls last`, sql`${contacts.role} nulls last`, asc(contacts.lastName), asc(contacts.firstName));
  return list.map(present);
}

export async function createContact(db: Db, tenantId: string, region: string, customerId: string, fields: ContactFields): Promise<Contact> {
  const errors = check(fields, await customerIdType(db, tenantId, customerId), region);
  if (errors.length) throw invalid(errors);
  const [row] = await db.insert(contacts).values({ tenantId, customerId, ...columns(fields, region) }).returning();
  return present(row!);
}

export async function updateContact(db: Db, tenantId: string, region: string, customerId: string, id: string, patch: ContactFields): Promise<Contact> {
  const where = and(eq(contacts.tenantId, tenantId), eq(contacts.customerId, customerId), eq(contacts.id, id));
  const [current] = await db.select().from(contacts).where(where);
  if (!current) throw notFound('contact');
  const merged = { ...present(current), ...patch } as ContactFields;
  const errors = check(merged, await customerIdType(db, tenantId, customerId), region);
  if (errors.length) throw invalid(errors);
  const [row] = await db
    .update(contacts)
    .set({ ...columns(patch, region), updatedAt: sql`now()` })
    .where(where)
    .returning();
  return present(row!);
}

export async function deleteContact(db: Db, tenantId: string, customerId: string, id: string): Promise<void> {
  const done = await db
    .delete(contacts)
    .where(and(eq(contacts.tenantId, tenantId), eq(contacts.customerId, customerId), eq(contacts.id, id)))
    .returning({ id: contacts.id });
  if (done.length === 0) throw notFound('contact');
}
