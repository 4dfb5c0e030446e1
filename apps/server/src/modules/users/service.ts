import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { User } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, notFound } from '../../http/errors.js';
import { hashPassword } from '../auth/passwords.js';
import { tenants } from '../tenants/tables.js';
import { groupMembers, groups, memberships, users } from './tables.js';

type UserRow = typeof users.$inferSelect;

function present(row: UserRow, role: string, groupIds: string[]): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: role === 'admin' ? 'admin' : 'staff',
    language: row.language === 'en' ? 'en' : 'he',
    active: row.active,
    groupIds,
  };
}

async function groupIdsOf(db: Db, tenantId: string, userIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return map;
  const list = await db
    .select()
    .from(groupMembers)
    .where(and(eq(groupMembers.tenantId, tenantId), inArray(groupMembers.userId, userIds)));
  for (const m of list) map.get(m.userId)?.push(m.groupId);
  return map;
}

export async function listUsers(db: Db, tenantId: string): Promise<User[]> {
  const list = await db
    .select({ user: users, role: memberships.role })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(eq(memberships.tenantId, tenantId))
    .orderBy(asc(users.name));
  const gmap = await groupIdsOf(db, tenantId, list.map((r) => r.user.id));
  return list.map((r) => present(r.user, r.role, gmap.get(r.user.id) ?? []));
}

export async function getUser(db: Db, tenantId: string, id: string): Promise<User> {
  const [r] = await db
    .select({ user: users, role: memberships.role })
    .from(users)
    .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.tenantId, tenantId)))
    .where(eq(users.id, id));
  if (!r) throw notFound('user');
  const gmap = await groupIdsOf(db, tenantId, [id]);
  return present(r.user, r.role, gmap.get(id) ?? []);
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: 'admin' | 'staff';
  language: 'he' | 'en';
  groupIds?: string[] | undefined;
}

/** Creates a staff user in a tenant (or adds an existing user of another tenant as a member). */
export async function createUser(db: Db, tenantId: string, input: NewUser): Promise<User> {
  const email = input.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.password);
  const id = await db.transaction(async (tx) => {
    const [existing] = await tx.select().from(users).where(eq(users.email, email));
    if (existing) {
      const [member] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.userId, existing.id), eq(memberships.tenantId, tenantId)));
      if (member) throw new AppError('conflict', 'conflict.email_taken');
    }
    const userId =
      existing?.id ??
      (await tx.insert(users).values({ email, name: input.name, passwordHash, language: input.language }).returning())[0]!.id;
    await tx.insert(memberships).values({ userId, tenantId, role: input.role });
    await setGroups(tx, tenantId, userId, input.groupIds ?? []);
    return userId;
  });
  return getUser(db, tenantId, id);
}

export async function updateUser(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<Omit<NewUser, 'email'>> & { active?: boolean | undefined },
): Promise<User> {
  await getUser(db, tenantId, id);
  await db.transaction(async (tx) => {
    const demoting = (patch.role && patch.role !== 'admin') || patch.active === false;
    if (demoting) await assertNotLastAdmin(tx, tenantId, id);
    const fields: Partial<UserRow> = {};
    if (patch.name !== undefined) fields.name = patch.name;
    if (patch.language !== undefined) fields.language = patch.language;
    if (patch.active !== undefined) fields.active = patch.active;
    if (patch.password !== undefined) fields.passwordHash = await hashPassword(patch.password);
    if (Object.keys(fields).length) await tx.update(users).set(fields).where(eq(users.id, id));
    if (patch.role) {
      await tx.update(memberships).set({ role: patch.role }).where(and(eq(memberships.userId, id), eq(memberships.tenantId, tenantId)));
    }
    if (patch.groupIds) await setGroups(tx, tenantId, id, patch.groupIds);
  });
  return getUser(db, tenantId, id);
}

async function assertNotLastAdmin(db: Db, tenantId: string, userId: string): Promise<void> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'admin'), eq(users.active, true), ne(memberships.userId, userId)));
  if ((row?.n ?? 0) === 0) throw new AppError('conflict', 'conflict.last_admin');
}

async function setGroups(db: Db, tenantId: string, userId: string, groupIds: string[]): Promise<void> {
  if (groupIds.length) {
    const found = await db.select({ id: groups.id }).from(groups).where(and(eq(groups.tenantId, tenantId), inArray(groups.id, groupIds)));
    if (found.length !== new Set(groupIds).size) throw notFound('group');
  }
  await db.delete(groupMembers).where(and(eq(groupMembers.tenantId, tenantId), eq(groupMembers.userId, userId)));
  if (groupIds.length) await db.insert(groupMembers).values([...new Set(groupIds)].map((groupId) => ({ tenantId, groupId, userId })));
}

export async function listGroups(db: Db, tenantId: string) {
  return db.select({ id: groups.id, name: groups.name }).from(groups).where(eq(groups.tenantId, tenantId)).orderBy(asc(groups.name));
}

export async function createGroup(db: Db, tenantId: string, name: string) {
  const [row] = await db.insert(groups).values({ tenantId, name }).onConflictDoNothing().returning({ id: groups.id, name: groups.name });
  if (!row) throw new AppError('conflict', 'conflict.group_name');
  return row;
}

/** Tenants a user belongs to, for the tenant switcher. */
export async function tenantsOfUser(db: Db, userId: string) {
  return db
    .select({ id: tenants.id, name: tenants.name })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(tenants.name));
}
