import { and, eq, gt, sql } from 'drizzle-orm';
import type { PortalLoginBody, PortalMe } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import type { PortalContext } from '../../http/access.js';
import { AppError, invalid, notFound } from '../../http/errors.js';
import { hashPassword, randomToken, safeEqual, sha256, verifyPassword } from '../auth/passwords.js';
import { customers } from '../customers/tables.js';
import { cardsWithKey } from '../identity/index.js';
import { decryptSecret } from '../secrets/index.js';
import * as throttle from '../throttle/index.js';
import { tenants } from '../tenants/tables.js';
import { credentialAad, endSessionsAndLinks, SET_PASSWORD_PURPOSE } from './service.js';
import { portalCredentials, portalSessions, portalTokens } from './tables.js';

export const PORTAL_COOKIE = 'kesher_portal';
export const PORTAL_SESSION_HOURS = 12;
/** A session opened with the generated password only lets the customer choose a new one. */
export const MUST_CHANGE_SESSION_MINUTES = 30;

// Failed logins: at most 5 per account and 30 per IP in 15 minutes (as for staff).
const WINDOW_SECONDS = 15 * 60;
const ACCOUNT_LIMIT = 5;
const IP_LIMIT = 30;

const tooMany = () => new AppError('too_many_requests', 'too_many_logins', { minutes: WINDOW_SECONDS / 60 });
const badLogin = () => new AppError('unauthorized', 'portal.bad_login');

/** The tenant a login is for: the one named, else the only one on this server. */
export async function resolveTenant(db: Db, tenant: string | undefined): Promise<string | null> {
  if (tenant) {
    const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant));
    return row?.id ?? null;
  }
  const list = await db.select({ id: tenants.id }).from(tenants).limit(2);
  if (list.length !== 1) {
    throw new AppError('validation', 'portal.tenant_required', {}, { fields: [{ path: 'tenant', code: 'required' }] });
  }
  return list[0]!.id;
}

/**
 * The card a user name names: a customer number, or an email address of exactly one card of the
 * tenant (any of its addresses, any case). An address on several cards names nobody.
 */
async function findCustomer(db: Db, tenantId: string, username: string): Promise<string | null> {
  const name = username.trim();
  if (/^\d{1,15}$/.test(name)) {
    const [row] = await db
      .select({ id: customers.id })
      .from(customers)
      .where(and(eq(customers.tenantId, tenantId), eq(customers.customerNumber, Number(name))));
    return row?.id ?? null;
  }
  if (!name.includes('@')) return null;
  const found = await db
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), sql`${customers.id} in (${cardsWithKey(tenantId, 'email', name.toLowerCase())})`))
    .limit(2);
  return found.length === 1 ? found[0]!.id : null;
}

interface Credentials {
  passwordHash: string | null;
  initialPassword: string | null;
  initialExpired: boolean;
}

async function loadCredentials(db: Db, tenantId: string, customerId: string): Promise<Credentials | null> {
  const [row] = await db
    .select({
      passwordHash: portalCredentials.passwordHash,
      initialPassword: portalCredentials.initialPassword,
      initialExpired: sql<boolean>`coalesce(${portalCredentials.initialExpiresAt} <= now(), true)`,
    })
    .from(portalCredentials)
    .where(and(eq(portalCredentials.tenantId, tenantId), eq(portalCredentials.customerId, customerId)));
  return row ?? null;
}

/** Whether `password` is the customer's generated password (decrypted, compared in constant time). */
function isInitialPassword(tenantId: string, customerId: string, stored: string | null, password: string): boolean {
  if (!stored) return false;
  let plain: string;
  try {
    plain = decryptSecret(stored, credentialAad(tenantId, customerId));
  } catch {
    return false; // moved to another card, altered, or under a key we no longer hold
  }
  return safeEqual(plain, password);
}

/**
 * Checks a password against the card: the chosen one (argon2id) or else the generated one.
 * Every path runs exactly one argon2 verification, so timing tells nothing about the account.
 */
async function checkPassword(tenantId: string, customerId: string | null, creds: Credentials | null, password: string) {
  if (customerId && creds?.passwordHash) return { ok: await verifyPassword(creds.passwordHash, password), initial: false, expired: false };
  await verifyPassword(null, password);
  const initial = !!customerId && isInitialPassword(tenantId, customerId, creds?.initialPassword ?? null, password);
  return { ok: initial, initial, expired: initial && !!creds?.initialExpired };
}

/** A portal login, throttled per account and per IP; a new session token. */
export async function portalLogin(db: Db, input: PortalLoginBody, ip: string): Promise<{ token: string; mustChangePassword: boolean }> {
  const tenantId = await resolveTenant(db, input.tenant);
  const customerId = tenantId ? await findCustomer(db, tenantId, input.username) : null;
  const accountKey = `portal:acct:${tenantId ?? '-'}:${customerId ?? `name:${input.username.trim().toLowerCase()}`}`;
  const ipKey = `portal:ip:${ip}`;
  const counts = await throttle.peek(db, [accountKey, ipKey], WINDOW_SECONDS);
  if ((counts.get(accountKey) ?? 0) >= ACCOUNT_LIMIT || (counts.get(ipKey) ?? 0) >= IP_LIMIT) throw tooMany();

  const creds = tenantId && customerId ? await loadCredentials(db, tenantId, customerId) : null;
  const result = await checkPassword(tenantId ?? '', customerId, creds, input.password);
  if (!result.ok || !tenantId || !customerId) {
    await throttle.hit(db, accountKey, WINDOW_SECONDS);
    await throttle.hit(db, ipKey, WINDOW_SECONDS);
    throw badLogin();
  }
  // Only someone who knows the password learns that it expired.
  if (result.expired) throw new AppError('unauthorized', 'portal.initial_expired', {}, { body: { reason: 'initial_password_expired' } });
  await throttle.clear(db, accountKey);
  const token = await createSession(db, tenantId, customerId, result.initial);
  return { token, mustChangePassword: result.initial };
}

async function createSession(db: Db, tenantId: string, customerId: string, mustChangePassword: boolean): Promise<string> {
  const token = randomToken();
  const minutes = mustChangePassword ? MUST_CHANGE_SESSION_MINUTES : PORTAL_SESSION_HOURS * 60;
  await db.insert(portalSessions).values({
    tokenHash: sha256(token),
    tenantId,
    customerId,
    mustChangePassword,
    expiresAt: sql`now() + make_interval(mins => ${minutes})`,
  });
  return token;
}

/** The portal customer of a session token, or null when it is unknown or expired. */
export async function portalFromSession(db: Db, token: string): Promise<PortalContext | null> {
  const [row] = await db
    .select({ tenantId: portalSessions.tenantId, customerId: portalSessions.customerId, mustChangePassword: portalSessions.mustChangePassword })
    .from(portalSessions)
    .where(and(eq(portalSessions.tokenHash, sha256(token)), gt(portalSessions.expiresAt, sql`now()`)))
    .limit(1);
  return row ?? null;
}

export async function portalLogout(db: Db, token: string): Promise<void> {
  await db.delete(portalSessions).where(eq(portalSessions.tokenHash, sha256(token)));
}

/** Stores a chosen password: only its argon2id hash; the generated copy is deleted. */
async function storeChosenPassword(tx: Db, tenantId: string, customerId: string, passwordHash: string): Promise<void> {
  await tx
    .update(portalCredentials)
    .set({ passwordHash, passwordSetAt: sql`now()`, initialPassword: null, initialCreatedAt: null, initialExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(portalCredentials.tenantId, tenantId), eq(portalCredentials.customerId, customerId)));
}

function refuseInitial(tenantId: string, customerId: string, creds: Credentials | null, newPassword: string): void {
  if (isInitialPassword(tenantId, customerId, creds?.initialPassword ?? null, newPassword)) {
    throw invalid([{ path: 'newPassword', code: 'same_as_initial' }]);
  }
}

/**
 * A logged-in customer chooses a new password. A session opened with the generated password may
 * do so without repeating it; any other session must give the current password (throttled).
 * Other sessions and open links of the customer end; this session stays, no longer restricted.
 */
export async function changePassword(
  db: Db,
  portal: PortalContext,
  sessionToken: string,
  input: { newPassword: string; currentPassword?: string | undefined },
): Promise<void> {
  const { tenantId, customerId } = portal;
  const creds = await loadCredentials(db, tenantId, customerId);
  if (!creds) throw new AppError('unauthorized', 'unauthorized');
  if (!portal.mustChangePassword) {
    if (!input.currentPassword) throw invalid([{ path: 'currentPassword', code: 'required' }]);
    const accountKey = `portal:acct:${tenantId}:${customerId}`;
    const counts = await throttle.peek(db, [accountKey], WINDOW_SECONDS);
    if ((counts.get(accountKey) ?? 0) >= ACCOUNT_LIMIT) throw tooMany();
    if (!(await checkPassword(tenantId, customerId, creds, input.currentPassword)).ok) {
      await throttle.hit(db, accountKey, WINDOW_SECONDS);
      throw invalid([{ path: 'currentPassword', code: 'wrong_password' }]);
    }
  }
  refuseInitial(tenantId, customerId, creds, input.newPassword);
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await storeChosenPassword(tx, tenantId, customerId, passwordHash);
    await endSessionsAndLinks(tx, customerId, sessionToken);
    await tx
      .update(portalSessions)
      .set({ mustChangePassword: false, expiresAt: sql`now() + make_interval(hours => ${PORTAL_SESSION_HOURS})` })
      .where(eq(portalSessions.tokenHash, sha256(sessionToken)));
  });
}

/** A customer sets a password from a set-password link: single use, expiry enforced. */
export async function setPasswordWithToken(db: Db, token: string, newPassword: string): Promise<void> {
  const linkInvalid = () => new AppError('validation', 'portal.link_invalid');
  const hashOfToken = sha256(token);
  const live = and(
    eq(portalTokens.tokenHash, hashOfToken),
    eq(portalTokens.purpose, SET_PASSWORD_PURPOSE),
    sql`${portalTokens.usedAt} is null`,
    gt(portalTokens.expiresAt, sql`now()`),
  );
  // Checked before hashing, so a made-up token costs no argon2 work.
  const [link] = await db.select({ tenantId: portalTokens.tenantId, customerId: portalTokens.customerId }).from(portalTokens).where(live);
  if (!link) throw linkInvalid();
  refuseInitial(link.tenantId, link.customerId, await loadCredentials(db, link.tenantId, link.customerId), newPassword);
  const passwordHash = await hashPassword(newPassword);
  await db.transaction(async (tx) => {
    // Consumed under the row lock: of two concurrent uses, one wins.
    const used = await tx.update(portalTokens).set({ usedAt: sql`now()` }).where(live).returning({ customerId: portalTokens.customerId });
    if (used.length === 0) throw linkInvalid();
    await rows(
      tx,
      sql`insert into portal_credentials (customer_id, tenant_id, updated_at) values (${link.customerId}, ${link.tenantId}, now())
          on conflict (customer_id) do nothing`,
    );
    await storeChosenPassword(tx, link.tenantId, link.customerId, passwordHash);
    await endSessionsAndLinks(tx, link.customerId);
  });
}

/** The logged-in customer's own basic card fields. */
export async function portalMe(db: Db, portal: PortalContext): Promise<PortalMe> {
  const [row] = await db
    .select({
      customerNumber: customers.customerNumber,
      firstName: customers.firstName,
      lastName: customers.lastName,
      email: customers.email,
      phone: customers.phone,
    })
    .from(customers)
    .where(and(eq(customers.tenantId, portal.tenantId), eq(customers.id, portal.customerId)));
  if (!row) throw notFound('customer');
  return { ...row, customerNumber: Number(row.customerNumber), fullName: [row.firstName, row.lastName].filter(Boolean).join(' ') };
}
