import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import type { StaffContext } from '../../http/access.js';
import { tenants } from '../tenants/tables.js';
import { memberships, users } from '../users/tables.js';
import * as throttle from '../throttle/index.js';
import { apiKeys, sessions } from './tables.js';
import { randomToken, sha256, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'kesher_session';
export const SESSION_HOURS = 12;

// Failed logins: at most 5 per account and 30 per IP in 15 minutes.
const WINDOW_SECONDS = 15 * 60;
const ACCOUNT_LIMIT = 5;
const IP_LIMIT = 30;

/** Checks a staff login, throttled per account and per IP; returns a new session token. */
/** The failed-login counter of an account (by its email as typed, normalised). */
const accountKeyOf = (email: string) => `login:acct:${email.trim().toLowerCase()}`;

export async function login(db: Db, email: string, password: string, ip: string): Promise<{ token: string; userId: string; tenantId: string }> {
  const normalized = email.trim().toLowerCase();
  const accountKey = accountKeyOf(normalized);
  const ipKey = `login:ip:${ip}`;
  const counts = await throttle.peek(db, [accountKey, ipKey], WINDOW_SECONDS);
  if ((counts.get(accountKey) ?? 0) >= ACCOUNT_LIMIT || (counts.get(ipKey) ?? 0) >= IP_LIMIT) {
    throw new AppError('too_many_requests', 'too_many_logins', { minutes: WINDOW_SECONDS / 60 });
  }
  const [user] = await db.select().from(users).where(eq(users.email, normalized)).limit(1);
  const ok = await verifyPassword(user?.active ? user.passwordHash : null, password);
  const [membership] = user
    ? await db.select().from(memberships).where(and(eq(memberships.userId, user.id), eq(memberships.active, true))).orderBy(memberships.tenantId).limit(1)
    : [];
  if (!ok || !user || !membership) {
    await throttle.hit(db, accountKey, WINDOW_SECONDS);
    await throttle.hit(db, ipKey, WINDOW_SECONDS);
    throw new AppError('unauthorized', 'bad_login');
  }
  await throttle.clear(db, accountKey);
  const token = await createSession(db, user.id, membership.tenantId);
  return { token, userId: user.id, tenantId: membership.tenantId };
}

/** Lifts the five-failures lockout of an account at once (an admin of one of its databases, or the owner). */
export async function clearLoginFailures(db: Db, email: string): Promise<void> {
  await throttle.clear(db, accountKeyOf(email));
}

export async function createSession(db: Db, userId: string, tenantId: string): Promise<string> {
  const token = randomToken();
  await db.insert(sessions).values({
    tokenHash: sha256(token),
    userId,
    tenantId,
    expiresAt: sql`now() + make_interval(hours => ${SESSION_HOURS})`,
  });
  return token;
}

export async function logout(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, sha256(token)));
}

/**
 * Ends the sessions of an account (after its password changed or it was locked), all of them or
 * all but the caller's own (a user who changes their own password stays logged in where they did it).
 */
export async function endSessions(db: Db, userId: string, keepToken?: string | null): Promise<void> {
  await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), keepToken ? ne(sessions.tokenHash, sha256(keepToken)) : undefined));
}

/** Switches a session to another tenant the user is a member of. */
export async function switchTenant(db: Db, token: string, userId: string, tenantId: string): Promise<void> {
  const [m] = await db.select().from(memberships).where(and(eq(memberships.userId, userId), eq(memberships.tenantId, tenantId), eq(memberships.active, true)));
  if (!m) throw new AppError('forbidden', 'forbidden');
  await db.update(sessions).set({ tenantId }).where(eq(sessions.tokenHash, sha256(token)));
}

/** The staff context of a session token, or null when it is unknown or expired. */
export async function staffFromSession(db: Db, token: string): Promise<StaffContext | null> {
  const [row] = await db
    .select({ tenantId: sessions.tenantId, userId: users.id, name: users.name, owner: users.isOwner, role: memberships.role, region: tenants.defaultRegion })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(memberships, and(eq(memberships.userId, sessions.userId), eq(memberships.tenantId, sessions.tenantId)))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(and(eq(sessions.tokenHash, sha256(token)), gt(sessions.expiresAt, sql`now()`), eq(users.active, true), eq(memberships.active, true)))
    .limit(1);
  if (!row) return null;
  return { tenantId: row.tenantId, userId: row.userId, actorName: row.name, role: row.role === 'admin' ? 'admin' : 'staff', region: row.region, via: 'session', owner: row.owner };
}

// ---- API keys: `ksk_` + 256 random bits; only the SHA-256 is stored, the key is shown once. ----

export async function createApiKey(db: Db, tenantId: string, name: string, userId: string | null) {
  const key = `ksk_${randomToken()}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ tenantId, name, prefix: key.slice(0, 12), keyHash: sha256(key), createdByUserId: userId })
    .returning();
  return { ...present(row!), key };
}

export async function listApiKeys(db: Db, tenantId: string) {
  const list = await db.select().from(apiKeys).where(and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt))).orderBy(apiKeys.createdAt);
  return list.map(present);
}

export async function revokeApiKey(db: Db, tenantId: string, id: string): Promise<void> {
  const done = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (done.length === 0) throw new AppError('not_found', 'not_found.api_key');
}

export async function staffFromApiKey(db: Db, key: string): Promise<StaffContext | null> {
  const [row] = await db
    .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, name: apiKeys.name, region: tenants.defaultRegion })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.keyHash, sha256(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) return null;
  // Stamp last use at most once a minute, so a busy client does not turn every read into a write.
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiKeys.id, row.id), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - interval '1 minute')`));
  return { tenantId: row.tenantId, userId: null, actorName: row.name, role: 'staff', region: row.region, via: 'api_key' };
}

function present(row: typeof apiKeys.$inferSelect) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
