import { randomInt } from 'node:crypto';
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PortalAccess } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { notFound } from '../../http/errors.js';
import { randomToken, sha256 } from '../auth/passwords.js';
import { customers } from '../customers/tables.js';
import { decryptSecret, encryptSecret } from '../secrets/index.js';
import { portalCredentials, portalSessions, portalTokens } from './tables.js';

/**
 * Portal credentials (ARCHITECTURE.md "Portal credentials"):
 * - a generated ("initial") password: 8 characters from a CSPRNG, stored only as AES-256-GCM
 *   ciphertext whose additional data is `tenant:customer`, expiring after the tenant's
 *   `initial_password_days`, re-sent as is while it is still valid;
 * - a password the customer chose: only an argon2id hash (see login.ts), never emailed.
 */

// Letters and digits without the look-alikes 0 O 1 l I: 24 + 25 + 8 = 57 symbols.
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
export const PASSWORD_ALPHABET = LETTERS + DIGITS;
export const GENERATED_PASSWORD_LENGTH = 8;

/**
 * A generated portal password: 8 symbols drawn uniformly with `crypto.randomInt`, redrawn until
 * it has at least one letter and one digit (rejection keeps the result uniform over the valid
 * passwords: about 46 bits).
 */
export function generatePortalPassword(): string {
  for (;;) {
    let out = '';
    let letters = 0;
    for (let i = 0; i < GENERATED_PASSWORD_LENGTH; i++) {
      const n = randomInt(PASSWORD_ALPHABET.length);
      if (n < LETTERS.length) letters++;
      out += PASSWORD_ALPHABET[n];
    }
    if (letters > 0 && letters < GENERATED_PASSWORD_LENGTH) return out;
  }
}

/** The additional data that binds a stored initial password to its card. */
export const credentialAad = (tenantId: string, customerId: string): string => `${tenantId}:${customerId}`;

/** The portal's address: the tenant's own portal URL, else this server's /portal (no trailing slash). */
export function portalBaseUrl(tenant: { portalUrl: string | null }, publicUrl: string): string {
  return (tenant.portalUrl || `${publicUrl.replace(/\/+$/, '')}/portal`).replace(/\/+$/, '');
}

/**
 * The login page's address for one tenant. On this server's own portal it names the tenant, so a
 * server with several databases knows which one the customer logs into.
 */
export function portalLoginUrl(tenant: { id: string; portalUrl: string | null }, publicUrl: string): string {
  return tenant.portalUrl ? portalBaseUrl(tenant, publicUrl) : `${portalBaseUrl(tenant, publicUrl)}?tenant=${tenant.id}`;
}

export type InitialPasswordState = 'new_password' | 'existing_password' | 'set_password_link';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 5000;

/** A PostgreSQL array literal of values that need no quoting (uuids, stored secrets). */
const arrayLiteral = (values: string[]): string => `{${values.join(',')}}`;

/**
 * Creates / completes the generated passwords of many customers, set-based: per batch of 5,000
 * the passwords are generated and encrypted here and one statement reads each card's state and
 * writes the new ones (`insert … select from unnest(…) … on conflict do update`). The next batch
 * is encrypted while the database writes the previous one.
 * - no credentials, or a generated password that expired → a new one: 'new_password'
 * - a generated password still valid → kept: 'existing_password'
 * - a password the customer chose → untouched: 'set_password_link'
 * Ids that are not customers of the tenant are left out of the answer. Run it inside the
 * caller's transaction, so the passwords are committed before any message is enqueued.
 */
export async function ensureInitialPasswords(tx: Db, tenantId: string, customerIds: string[]): Promise<Map<string, InitialPasswordState>> {
  const out = new Map<string, InitialPasswordState>();
  let ids = [...new Set(customerIds.map((id) => id.toLowerCase()))].filter((id) => UUID.test(id));
  // A card written by a concurrent run between our read and our write is read again.
  for (let attempt = 0; ids.length > 0 && attempt < 3; attempt++) ids = await ensurePass(tx, tenantId, ids, out);
  return out;
}

async function ensurePass(tx: Db, tenantId: string, ids: string[], out: Map<string, InitialPasswordState>): Promise<string[]> {
  const raced: string[] = [];
  let pending: Promise<void> | null = null;
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    // Encrypted for every card of the batch: cheaper than a round trip to learn which need one.
    const secrets = batch.map((id) => encryptSecret(generatePortalPassword(), credentialAad(tenantId, id)));
    if (pending) await pending;
    pending = writeBatch(tx, tenantId, batch, secrets, out, raced);
    pending.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    await new Promise((resolve) => setImmediate(resolve)); // let the driver send it before encrypting the next batch
  }
  if (pending) await pending;
  return raced;
}

async function writeBatch(tx: Db, tenantId: string, ids: string[], secrets: string[], out: Map<string, InitialPasswordState>, raced: string[]): Promise<void> {
  // The WHERE of the conflict clause re-checks the state under the row lock: a concurrent run
  // or a customer who just chose a password is never overwritten.
  const result = await rows<{ id: string; own: boolean; valid: boolean; written: boolean }>(
    tx,
    sql`with x as (
          select x.id, x.ct from unnest(${arrayLiteral(ids)}::uuid[], ${arrayLiteral(secrets)}::text[]) as x(id, ct)
        ), s as (
          select x.id, x.ct, (pc.password_hash is not null) as own,
                 (pc.initial_password is not null and pc.initial_expires_at > now()) as valid
            from x
            join customers c on c.id = x.id and c.tenant_id = ${tenantId}
            left join portal_credentials pc on pc.customer_id = x.id
        ), w as (
          insert into portal_credentials as pc
            (customer_id, tenant_id, initial_password, initial_created_at, initial_expires_at, password_hash, password_set_at, updated_at)
          select s.id, t.id, s.ct, now(), now() + make_interval(days => t.initial_password_days), null, null, now()
            from s cross join tenants t
           where t.id = ${tenantId} and not s.own and not s.valid
          on conflict (customer_id) do update set
            initial_password = excluded.initial_password,
            initial_created_at = excluded.initial_created_at,
            initial_expires_at = excluded.initial_expires_at,
            updated_at = excluded.updated_at
           where pc.password_hash is null and (pc.initial_password is null or pc.initial_expires_at <= now())
          returning pc.customer_id
        )
        select s.id, s.own, s.valid, (w.customer_id is not null) as written from s left join w on w.customer_id = s.id`,
  );
  for (const r of result) {
    if (r.written) out.set(r.id, 'new_password');
    else if (r.own) out.set(r.id, 'set_password_link');
    else if (r.valid) out.set(r.id, 'existing_password');
    else raced.push(r.id);
  }
}

/**
 * What `ensureInitialPasswords` would do to the customers a query selects (`selection` yields a
 * `customer_id` column), counted set-based without writing: the invitation wizard's preview.
 */
export async function planInitialPasswords(
  db: Db,
  tenantId: string,
  selection: SQL,
): Promise<{ newPasswords: number; existingPasswords: number; setPasswordLinks: number }> {
  const [row] = await rows<{ own: number; valid: number; fresh: number }>(
    db,
    sql`select count(*) filter (where pc.password_hash is not null)::int as own,
               count(*) filter (where pc.password_hash is null and pc.initial_password is not null and pc.initial_expires_at > now())::int as valid,
               count(*) filter (where pc.password_hash is null and (pc.initial_password is null or pc.initial_expires_at <= now()))::int as fresh
          from (${selection}) s
          left join portal_credentials pc on pc.customer_id = s.customer_id and pc.tenant_id = ${tenantId}`,
  );
  return { newPasswords: row?.fresh ?? 0, existingPasswords: row?.valid ?? 0, setPasswordLinks: row?.own ?? 0 };
}

/**
 * What an invitation to each of these customers carries, from their committed credentials: a
 * password the customer chose → 'set_password_link'; a valid generated one → 'new_password' when
 * it was made at or after `since` (by the run that started then), else 'existing_password'.
 * Customers with neither (never prepared, or the generated one expired) are left out.
 */
export async function invitationCredentials(db: Db, tenantId: string, customerIds: string[], since: Date): Promise<Map<string, InitialPasswordState>> {
  const ids = [...new Set(customerIds)].filter((id) => UUID.test(id));
  if (ids.length === 0) return new Map();
  const list = await rows<{ customer_id: string; state: InitialPasswordState | null }>(
    db,
    sql`select customer_id,
               case when password_hash is not null then 'set_password_link'
                    when initial_password is not null and initial_expires_at > now() then
                      case when initial_created_at >= ${since.toISOString()}::timestamptz then 'new_password' else 'existing_password' end
               end as state
          from portal_credentials
         where tenant_id = ${tenantId} and customer_id = any(${arrayLiteral(ids)}::uuid[])`,
  );
  return new Map(list.filter((r) => r.state).map((r) => [r.customer_id, r.state!]));
}

/**
 * The plaintext of a customer's generated password, for rendering an outgoing email at send
 * time only; null when there is none or it expired. Throws when the ciphertext does not decrypt.
 */
export async function readInitialPassword(db: Db, tenantId: string, customerId: string): Promise<string | null> {
  const found = await readInitialPasswords(db, tenantId, [customerId]);
  return found.get(customerId) ?? null;
}

/** The same for many customers at once (one query), keyed by customer id; missing = none or expired. */
export async function readInitialPasswords(db: Db, tenantId: string, customerIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(customerIds)].filter((id) => UUID.test(id));
  if (ids.length === 0) return new Map();
  const list = await rows<{ customer_id: string; initial_password: string }>(
    db,
    sql`select customer_id, initial_password from portal_credentials
         where tenant_id = ${tenantId} and customer_id = any(${arrayLiteral(ids)}::uuid[])
           and initial_password is not null and initial_expires_at > now()`,
  );
  return new Map(list.map((r) => [r.customer_id, decryptSecret(r.initial_password, credentialAad(tenantId, r.customer_id))]));
}

async function assertCustomer(db: Db, tenantId: string, customerId: string): Promise<void> {
  const [row] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.id, customerId)));
  if (!row) throw notFound('customer');
}

/**
 * Staff "reset": discards the password the customer chose and the old generated one, makes a new
 * generated one, and ends the customer's portal sessions and open links. Sending it is the
 * invitation module's job.
 */
export async function resetPortalPassword(db: Db, tenantId: string, customerId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await assertCustomer(tx, tenantId, customerId);
    const ct = encryptSecret(generatePortalPassword(), credentialAad(tenantId, customerId));
    await tx.execute(
      sql`insert into portal_credentials as pc
            (customer_id, tenant_id, initial_password, initial_created_at, initial_expires_at, password_hash, password_set_at, updated_at)
          select ${customerId}, t.id, ${ct}, now(), now() + make_interval(days => t.initial_password_days), null, null, now()
            from tenants t where t.id = ${tenantId}
          on conflict (customer_id) do update set
            initial_password = excluded.initial_password,
            initial_created_at = excluded.initial_created_at,
            initial_expires_at = excluded.initial_expires_at,
            password_hash = null,
            password_set_at = null,
            updated_at = excluded.updated_at`,
    );
    await endSessionsAndLinks(tx, customerId);
  });
}

/** Ends every portal session of a customer (but `keepToken`'s) and voids its unused links. */
export async function endSessionsAndLinks(tx: Db, customerId: string, keepToken?: string): Promise<void> {
  await tx
    .delete(portalSessions)
    .where(and(eq(portalSessions.customerId, customerId), keepToken ? sql`${portalSessions.tokenHash} <> ${sha256(keepToken)}` : undefined));
  await tx
    .update(portalTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(portalTokens.customerId, customerId), isNull(portalTokens.usedAt)));
}

export const SET_PASSWORD_PURPOSE = 'set_password';
export const SET_PASSWORD_LINK_HOURS = 48;

/**
 * A single-use set-password link: a 256-bit random token of which only the SHA-256 is stored,
 * valid 48 hours unless told otherwise. Returns `<portal>/set-password?token=…`.
 */
export async function issueSetPasswordLink(
  db: Db,
  tenantId: string,
  customerId: string,
  portalBaseUrl: string,
  opts: { hours?: number } = {},
): Promise<string> {
  const token = randomToken();
  const hours = opts.hours ?? SET_PASSWORD_LINK_HOURS;
  const inserted = await rows<{ token_hash: string }>(
    db,
    sql`insert into portal_tokens (token_hash, tenant_id, customer_id, purpose, expires_at)
        select ${sha256(token)}, c.tenant_id, c.id, ${SET_PASSWORD_PURPOSE}, now() + make_interval(hours => ${hours})
          from customers c where c.tenant_id = ${tenantId} and c.id = ${customerId}
        returning token_hash`,
  );
  if (inserted.length === 0) throw notFound('customer');
  return `${portalBaseUrl.replace(/\/+$/, '')}/set-password?token=${token}`;
}

/** What staff may know about a customer's portal access: whether there is a password, never which. */
export async function portalAccessOf(db: Db, tenantId: string, customerId: string): Promise<PortalAccess> {
  await assertCustomer(db, tenantId, customerId);
  const [row] = await db
    .select({ initial: portalCredentials.initialPassword, expiresAt: portalCredentials.initialExpiresAt, hash: portalCredentials.passwordHash })
    .from(portalCredentials)
    .where(and(eq(portalCredentials.tenantId, tenantId), eq(portalCredentials.customerId, customerId)));
  return {
    hasGeneratedPassword: !!row?.initial,
    generatedExpiresAt: row?.initial ? (row.expiresAt?.toISOString() ?? null) : null,
    hasOwnPassword: !!row?.hash,
  };
}
