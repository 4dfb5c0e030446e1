import { and, eq, sql } from 'drizzle-orm';
import type { Customer, CustomerFields, CustomerPatch, CustomerSummary, DuplicateMatch, StatusId, StatusMoves } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import type { StaffContext } from '../../http/access.js';
import { AppError, invalid, notFound, type FieldErrorSpec } from '../../http/errors.js';
import { translate } from '../../http/messages.js';
import { listDefinitions } from '../custom-fields/service.js';
import { findMatches, keysOf } from '../identity/index.js';
import { interactions } from '../interactions/tables.js';
import { branchExists, defaultBranchId, getTenant, reserveCustomerNumbers } from '../tenants/service.js';
import { checkedCardValues, emptyFieldsFilled, presentCustomer, type CustomerRow, type CustomerValues } from './card.js';
import { automaticMove, manualMoves, refuseManualMove, statusChangeSubject, type StatusEvent } from './status-rules.js';
import { customers } from './tables.js';

/** Who is acting, for audit stamps: a staff user, an API key, or an engine / channel by name. */
export type Actor = Pick<StaffContext, 'tenantId' | 'region' | 'userId' | 'actorName'> & { role?: StaffContext['role'] };

async function loadRow(db: Db, tenantId: string, id: string, lock = false): Promise<CustomerRow> {
  const q = db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.id, id)));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw notFound('customer');
  return row;
}

export async function getCustomer(db: Db, tenantId: string, id: string): Promise<Customer> {
  return presentCustomer(await loadRow(db, tenantId, id));
}

/** Validates a card change as a whole; throws one 400 listing every bad field. */
async function prepare(db: Db, actor: Actor, input: CustomerFields, current: CustomerRow | null): Promise<CustomerValues> {
  const definitions = input.custom !== undefined || !current ? await listDefinitions(db, actor.tenantId) : [];
  const { values, errors } = checkedCardValues(input, current, actor.region, definitions, current === null);
  if (values.branchId && !(await branchExists(db, actor.tenantId, values.branchId))) errors.push({ path: 'branchId', code: 'not_found' });
  if (values.parentId) errors.push(...(await checkParent(db, actor.tenantId, current?.id ?? null, values.parentId)));
  if (errors.length) throw invalid(errors);
  return values;
}

async function checkParent(db: Db, tenantId: string, selfId: string | null, parentId: string): Promise<FieldErrorSpec[]> {
  // Walk up from the proposed parent: reaching this customer would make a cycle.
  const chain = await rows<{ id: string }>(
    db,
    sql`with recursive up(id, parent_id, depth) as (
          select id, parent_id, 0 from customers where tenant_id = ${tenantId} and id = ${parentId}
          union all
          select c.id, c.parent_id, up.depth + 1 from customers c join up on c.id = up.parent_id
           where c.tenant_id = ${tenantId} and up.depth < 100)
        select id from up`,
  );
  if (chain.length === 0) return [{ path: 'parentId', code: 'not_found' }];
  if (selfId && chain.some((c) => c.id === selfId)) throw new AppError('conflict', 'conflict.parent_cycle');
  return [];
}

export interface CreateOptions {
  /** Create even when duplicates are found (only where the tenant allows duplicates). */
  force?: boolean;
  /** Skip the duplicate check altogether (API and copy-to-database channels, SPEC §2). */
  skipDuplicateCheck?: boolean;
  /** Fields the channel sets itself (status, Website Last Token …). */
  system?: Pick<CustomerValues, 'status' | 'websiteLastToken'>;
}

/**
 * "Create new": validates, checks duplicates (phone / email / ID number) and creates the card
 * with the next customer number. The check runs after the tenant's number row is locked, so two
 * concurrent creates of the same person cannot both pass it.
 */
export async function createCustomer(db: Db, actor: Actor, input: CustomerFields, opts: CreateOptions = {}): Promise<Customer> {
  const values = await prepare(db, actor, input, null);
  const tenant = await getTenant(db, actor.tenantId);
  values.branchId ??= await defaultBranchId(db, actor.tenantId);
  const row = await db.transaction(async (tx) => {
    const number = await reserveCustomerNumbers(tx, actor.tenantId, 1);
    if (!opts.skipDuplicateCheck) {
      const matches = await findMatches(tx, actor.tenantId, keysOf(values));
      if (matches.length && !(opts.force && tenant.allowDuplicates)) throw duplicateError(matches, tenant.allowDuplicates);
    }
    const [created] = await tx
      .insert(customers)
      .values({
        ...values,
        ...opts.system,
        tenantId: actor.tenantId,
        customerNumber: number,
        createdBy: actor.actorName,
        createdByUserId: actor.userId,
      })
      .returning();
    return created!;
  });
  return presentCustomer(row);
}

function duplicateError(matches: DuplicateMatch[], duplicatesAllowed: boolean): AppError {
  return new AppError('duplicate', 'duplicate', {}, { body: { matches, duplicatesAllowed } });
}

/** PATCH: card fields and/or a status move, in one transaction. */
export async function updateCustomer(db: Db, actor: Actor, id: string, patch: CustomerPatch): Promise<Customer> {
  const { status, ...fields } = patch;
  const row = await db.transaction(async (tx) => {
    const current = await loadRow(tx, actor.tenantId, id, true);
    let next = current;
    if (Object.keys(fields).length) {
      const values = await prepare(tx, actor, fields, current);
      [next] = (await tx
        .update(customers)
        .set({ ...values, updatedAt: sql`now()` })
        .where(and(eq(customers.tenantId, actor.tenantId), eq(customers.id, id)))
        .returning()) as [CustomerRow];
    }
    if (status && status !== next.status) next = await moveStatus(tx, actor, next, status);
    else if (status) throw new AppError('illegal_status_move', 'status.same');
    return next;
  });
  return presentCustomer(row);
}

/** "Complete it with the new details": fills only the card's empty fields. */
export async function completeCustomer(db: Db, actor: Actor, id: string, incoming: CustomerFields): Promise<Customer> {
  const current = await loadRow(db, actor.tenantId, id);
  const fill = emptyFieldsFilled(current, incoming);
  if (Object.keys(fill).length === 0) return presentCustomer(current);
  return updateCustomer(db, actor, id, fill);
}

export async function deleteCustomer(db: Db, tenantId: string, id: string): Promise<void> {
  const done = await db
    .delete(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.id, id)))
    .returning({ id: customers.id });
  if (done.length === 0) throw notFound('customer');
}

export async function listChildren(db: Db, tenantId: string, id: string): Promise<CustomerSummary[]> {
  await loadRow(db, tenantId, id);
  const list = await db
    .select()
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.parentId, id)))
    .orderBy(customers.customerNumber)
    .limit(500);
  return list.map((r) => summarize(presentCustomer(r)));
}

export function summarize(c: Customer): CustomerSummary {
  const { id, customerNumber, status, fullName, phone, email, idNumber, branchId, city, createdAt } = c;
  return { id, customerNumber, status, fullName, phone, email, idNumber, branchId, city, createdAt };
}

// ---- statuses ----

async function hasSummary(db: Db, tenantId: string, customerId: string): Promise<boolean> {
  const found = await rows<{ one: number }>(
    db,
    sql`select 1 as one from interactions
         where tenant_id = ${tenantId} and customer_id = ${customerId}
           and (type = 'summary' or (type = 'meeting' and coalesce(body, '') <> ''))
         limit 1`,
  );
  return found.length > 0;
}

export async function statusMoves(db: Db, actor: Actor, id: string, lang: string): Promise<StatusMoves> {
  const row = await loadRow(db, actor.tenantId, id);
  const facts = { current: row.status as StatusId, hasSummary: await hasSummary(db, actor.tenantId, id), isAdmin: actor.role === 'admin' };
  return {
    current: facts.current,
    moves: manualMoves(facts).map((m) => ({ status: m.status, allowed: !m.refusal, reason: m.refusal ? translate(lang, m.refusal) : null })),
  };
}

async function moveStatus(tx: Db, actor: Actor, row: CustomerRow, target: StatusId): Promise<CustomerRow> {
  const facts = { current: row.status as StatusId, hasSummary: await hasSummary(tx, actor.tenantId, row.id), isAdmin: actor.role === 'admin' };
  const refusal = refuseManualMove(target, facts);
  if (refusal) throw new AppError('illegal_status_move', refusal);
  return setStatus(tx, actor, row, target);
}

async function setStatus(tx: Db, actor: Actor, row: CustomerRow, target: StatusId, extra: CustomerValues = {}): Promise<CustomerRow> {
  const [updated] = await tx
    .update(customers)
    .set({ status: target, ...extra, updatedAt: sql`now()` })
    .where(and(eq(customers.tenantId, actor.tenantId), eq(customers.id, row.id)))
    .returning();
  await tx.insert(interactions).values({
    tenantId: actor.tenantId,
    customerId: row.id,
    type: 'system',
    subject: statusChangeSubject(row.status, target),
    createdBy: actor.actorName,
    createdByUserId: actor.userId,
  });
  return updated!;
}

/**
 * Applies an event that moves a status by itself (an unanswered call, a meeting or quote, and —
 * when orders arrive — a financial transaction or a club membership / contract). Call inside the
 * transaction that records the event.
 */
export async function applyStatusEvent(tx: Db, actor: Actor, customerId: string, event: StatusEvent): Promise<StatusId | null> {
  const row = await loadRow(tx, actor.tenantId, customerId, true);
  const target = automaticMove(row.status as StatusId, event);
  if (!target) return null;
  await setStatus(tx, actor, row, target);
  return target;
}
