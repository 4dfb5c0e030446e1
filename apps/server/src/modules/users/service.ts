import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { User } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, notFound } from '../../http/errors.js';
import { clearLoginFailures, endSessions } from '../auth/service.js';
import { hashPassword } from '../auth/passwords.js';
import { tenants } from '../tenants/tables.js';
import { accountByEmail } from './accounts.js';
import { inviteToDatabase } from './invitations.js';
import { groupMembers, groups, memberships, users } from './tables.js';

type UserRow = typeof users.$inferSelect;

/** Who is asking, for the rules that depend on it (the account itself, an owner, a database's admin). */
export interface Caller {
  tenantId: string;
  userId: string | null;
  owner?: boolean | undefined;
  /** The caller's own session token: kept when they change their own password. */
  sessionToken?: string | null | undefined;
}

/**
 * `active` in a database's user list is whether the user can work in THIS database: the
 * membership is active there and the account is not locked globally (by the owner).
 */
function present(row: UserRow, m: { role: string; active: boolean }, groupIds: string[]): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: m.role === 'admin' ? 'admin' : 'staff',
    language: row.language === 'en' ? 'en' : 'he',
    active: row.active && m.active,
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

const memberColumns = { user: users, role: memberships.role, active: memberships.active };

export async function listUsers(db: Db, tenantId: string): Promise<User[]> {
  const list = await db
    .select(memberColumns)
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(eq(memberships.tenantId, tenantId))
    .orderBy(asc(users.name));
  const gmap = await groupIdsOf(db, tenantId, list.map((r) => r.user.id));
  return list.map((r) => present(r.user, r, gmap.get(r.user.id) ?? []));
}

export async function getUser(db: Db, tenantId: string, id: string): Promise<User> {
  const [r] = await db
    .select(memberColumns)
    .from(users)
    .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.tenantId, tenantId)))
    .where(eq(users.id, id));
  if (!r) throw notFound('user');
  const gmap = await groupIdsOf(db, tenantId, [id]);
  return present(r.user, r, gmap.get(id) ?? []);
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: 'admin' | 'staff';
  language: 'he' | 'en';
  groupIds?: string[] | undefined;
}

/** A brand-new account and its membership in a tenant (no account may have the email yet). */
export async function createUser(db: Db, tenantId: string, input: NewUser & { owner?: boolean }): Promise<User> {
  return insertAccount(db, tenantId, input, await hashPassword(input.password));
}

/** The account row, its membership and its groups, in one transaction; 409 when the email has an account. */
async function insertAccount(db: Db, tenantId: string, input: NewUser & { owner?: boolean }, passwordHash: string): Promise<User> {
  const email = input.email.trim().toLowerCase();
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({ email, name: input.name, passwordHash, language: input.language, isOwner: input.owner ?? false })
      .onConflictDoNothing()
      .returning({ id: users.id });
    if (!row) throw new AppError('conflict', 'conflict.email_taken');
    await tx.insert(memberships).values({ userId: row.id, tenantId, role: input.role });
    await setGroups(tx, tenantId, row.id, input.groupIds ?? []);
    return row.id;
  });
  return getUser(db, tenantId, id);
}

/**
 * `POST /api/v1/users`: a new email makes a new account in the caller's database; an email that
 * already has an account (in another database) becomes a membership invitation that the account
 * accepts by an emailed link. The reply for an invitation has the same shape as for a new user and
 * echoes what was asked (the given name, not the account's), so it reveals nothing about the
 * account. A member of this very database is a 409, as before (that is no other database's secret).
 */
export async function addUser(db: Db, caller: Caller, input: NewUser): Promise<User> {
  const email = input.email.trim().toLowerCase();
  // Hash first on both paths, so the reply takes as long whether the account exists or not.
  const passwordHash = await hashPassword(input.password);
  const invited = await db.transaction(async (tx) => {
    const existing = await accountByEmail(tx, email);
    if (!existing) return null;
    const [member] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.userId, existing.id), eq(memberships.tenantId, caller.tenantId)));
    if (member) throw new AppError('conflict', 'conflict.email_taken');
    if (input.groupIds?.length) await assertGroups(tx, caller.tenantId, input.groupIds);
    return inviteToDatabase(tx, { tenantId: caller.tenantId, email, role: input.role, groupIds: input.groupIds ?? [], invitedByUserId: caller.userId, language: input.language });
  });
  if (invited) {
    return { id: invited.id, email, name: input.name, role: input.role, language: input.language, active: true, groupIds: [...new Set(input.groupIds ?? [])] };
  }
  return insertAccount(db, caller.tenantId, input, passwordHash);
}

export type UserPatch = Partial<Omit<NewUser, 'email'>> & { active?: boolean | undefined };

/**
 * `PATCH /api/v1/users/:id` in the caller's database. A database's admin changes what belongs to
 * the database: the role, the groups and whether the user is active HERE (the membership). The
 * account's own fields (name, password, language) are changed only by the account itself or by an
 * owner: never by one database's admin. A new password ends the account's other sessions.
 */
export async function updateUser(db: Db, caller: Caller, id: string, patch: UserPatch): Promise<User> {
  const { tenantId } = caller;
  await getUser(db, tenantId, id);
  const touchesAccount = patch.name !== undefined || patch.password !== undefined || patch.language !== undefined;
  const self = caller.userId !== null && caller.userId === id;
  if (touchesAccount && !self && !caller.owner) throw new AppError('forbidden', 'users.account_fields');
  const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
  await db.transaction(async (tx) => {
    const demoting = (patch.role !== undefined && patch.role !== 'admin') || patch.active === false;
    if (demoting) await assertNotLastAdmin(tx, tenantId, id);
    const fields: Partial<UserRow> = {};
    if (patch.name !== undefined) fields.name = patch.name;
    if (patch.language !== undefined) fields.language = patch.language;
    if (passwordHash !== undefined) fields.passwordHash = passwordHash;
    if (Object.keys(fields).length) await tx.update(users).set(fields).where(eq(users.id, id));
    const member: { role?: string; active?: boolean } = {};
    if (patch.role !== undefined) member.role = patch.role;
    if (patch.active !== undefined) member.active = patch.active;
    if (Object.keys(member).length) {
      await tx.update(memberships).set(member).where(and(eq(memberships.userId, id), eq(memberships.tenantId, tenantId)));
    }
    if (patch.groupIds) await setGroups(tx, tenantId, id, patch.groupIds);
    if (passwordHash !== undefined) await endSessions(tx, id, self ? caller.sessionToken : null);
  });
  return getUser(db, tenantId, id);
}

/**
 * Lifts the lockout after five failed logins (ADR 0002) for a member of the caller's database: the
 * account may try again at once. It changes no credential: the right password is still needed.
 */
export async function unlockLogin(db: Db, tenantId: string, id: string): Promise<void> {
  const user = await getUser(db, tenantId, id);
  await clearLoginFailures(db, user.email);
}

/**
 * The last-admin rule, per database: some other admin must stay who can work in this database
 * (an active membership there and an account not locked globally).
 */
export async function assertNotLastAdmin(db: Db, tenantId: string, userId: string): Promise<void> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        eq(memberships.tenantId, tenantId),
        eq(memberships.role, 'admin'),
        eq(memberships.active, true),
        eq(users.active, true),
        ne(memberships.userId, userId),
      ),
    );
  if ((row?.n ?? 0) === 0) throw new AppError('conflict', 'conflict.last_admin');
}

async function assertGroups(db: Db, tenantId: string, groupIds: string[]): Promise<void> {
  const found = await db.select({ id: groups.id }).from(groups).where(and(eq(groups.tenantId, tenantId), inArray(groups.id, groupIds)));
  if (found.length !== new Set(groupIds).size) throw notFound('group');
}

export async function setGroups(db: Db, tenantId: string, userId: string, groupIds: string[]): Promise<void> {
  if (groupIds.length) await assertGroups(db, tenantId, groupIds);
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

/** Tenants a user can work in, for the tenant switcher. */
export async function tenantsOfUser(db: Db, userId: string) {
  return db
    .select({ id: tenants.id, name: tenants.name })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(and(eq(memberships.userId, userId), eq(memberships.active, true)))
    .orderBy(asc(tenants.name));
}
