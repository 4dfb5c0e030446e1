import { and, asc, eq, sql } from 'drizzle-orm';
import type { Branch, Tenant } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError, notFound } from '../../http/errors.js';
import { checkPlaces } from './places.js';
import { branches, tenants } from './tables.js';

export function presentTenant(row: typeof tenants.$inferSelect): Tenant {
  return {
    id: row.id,
    name: row.name,
    defaultRegion: row.defaultRegion,
    defaultLanguage: row.defaultLanguage === 'en' ? 'en' : 'he',
    allowDuplicates: row.allowDuplicates,
    sharedKeyLimit: row.sharedKeyLimit,
  };
}

export async function getTenant(db: Db, tenantId: string): Promise<Tenant> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
  if (!row) throw new AppError('not_found', 'forbidden');
  return presentTenant(row);
}

export async function updateTenant(db: Db, tenantId: string, patch: Partial<Omit<Tenant, 'id'>>): Promise<Tenant> {
  checkPlaces({ defaultRegion: patch.defaultRegion });
  const [row] = await db.update(tenants).set(patch).where(eq(tenants.id, tenantId)).returning();
  return presentTenant(row!);
}

/** Creates a tenant with its default branch (Israel, Hebrew unless told otherwise). */
export async function createTenant(
  db: Db,
  input: { name: string; region?: string; language?: 'he' | 'en'; branch?: { name: string; country: string; language: 'he' | 'en'; timezone: string } },
) {
  checkPlaces({ defaultRegion: input.region, ...(input.branch && { country: input.branch.country, timezone: input.branch.timezone }) });
  return db.transaction(async (tx) => {
    const [tenant] = await tx
      .insert(tenants)
      .values({ name: input.name, defaultRegion: input.region ?? 'IL', defaultLanguage: input.language ?? 'he' })
      .returning();
    const b = input.branch ?? { name: 'ישראל', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' };
    const [branch] = await tx.insert(branches).values({ tenantId: tenant!.id, ...b, isDefault: true }).returning();
    return { tenant: tenant!, branch: branch! };
  });
}

/**
 * Reserves `count` consecutive customer numbers for a tenant. The row lock taken by the UPDATE
 * serialises concurrent creators until their transaction ends, so numbers are sequential,
 * unique and never reused (a rolled-back transaction gives its numbers back with it).
 */
export async function reserveCustomerNumbers(tx: Db, tenantId: string, count = 1): Promise<number> {
  const [row] = await tx
    .update(tenants)
    .set({ nextCustomerNumber: sql`${tenants.nextCustomerNumber} + ${count}` })
    .where(eq(tenants.id, tenantId))
    .returning({ next: tenants.nextCustomerNumber });
  if (!row) throw new AppError('forbidden', 'forbidden');
  return Number(row.next) - count;
}

/**
 * Takes the tenants' customer-number row locks (what `reserveCustomerNumbers` takes) ahead of a
 * duplicate check, for the rest of the transaction: creators of cards in one tenant go one at a
 * time from the check to their commit. FOR NO KEY UPDATE, so rows referencing a tenant can still
 * be written meanwhile; in id order, so two lockers of several tenants never deadlock. Returns
 * each tenant's default branch (the one new cards get).
 */
export async function lockCustomerNumbers(tx: Db, tenantIds: string[]): Promise<Map<string, string | null>> {
  const locked = await rows<{ id: string; default_branch: string | null }>(
    tx,
    sql`select t.id, (select b.id from branches b where b.tenant_id = t.id and b.is_default limit 1) as default_branch
          from tenants t where t.id = any(${sql.param([...new Set(tenantIds)].sort())}::uuid[])
         order by t.id for no key update of t`,
  );
  return new Map(locked.map((r) => [r.id, r.default_branch]));
}

// ---- branches ----

export function presentBranch(row: typeof branches.$inferSelect): Branch {
  return {
    id: row.id,
    name: row.name,
    country: row.country,
    language: row.language === 'en' ? 'en' : 'he',
    timezone: row.timezone,
    isDefault: row.isDefault,
  };
}

export async function listBranches(db: Db, tenantId: string): Promise<Branch[]> {
  const list = await db.select().from(branches).where(eq(branches.tenantId, tenantId)).orderBy(asc(branches.createdAt), asc(branches.name));
  return list.map(presentBranch);
}

export async function createBranch(db: Db, tenantId: string, input: Omit<Branch, 'id' | 'isDefault'>): Promise<Branch> {
  checkPlaces(input);
  const [row] = await db.insert(branches).values({ tenantId, ...input }).returning();
  return presentBranch(row!);
}

export async function updateBranch(db: Db, tenantId: string, id: string, patch: Partial<Omit<Branch, 'id' | 'isDefault'>>): Promise<Branch> {
  checkPlaces(patch);
  const [row] = await db
    .update(branches)
    .set(patch)
    .where(and(eq(branches.tenantId, tenantId), eq(branches.id, id)))
    .returning();
  if (!row) throw notFound('branch');
  return presentBranch(row);
}

/** The branch a new customer gets when none is chosen: the tenant's default branch. */
export async function defaultBranchId(db: Db, tenantId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: branches.id })
    .from(branches)
    .where(and(eq(branches.tenantId, tenantId), eq(branches.isDefault, true)))
    .limit(1);
  return row?.id ?? null;
}

export async function branchExists(db: Db, tenantId: string, id: string): Promise<boolean> {
  const [row] = await db.select({ id: branches.id }).from(branches).where(and(eq(branches.tenantId, tenantId), eq(branches.id, id)));
  return !!row;
}
