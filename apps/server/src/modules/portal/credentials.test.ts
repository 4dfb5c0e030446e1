import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { seedTenant, useApp } from '../../testing/index.js';
import { decryptSecret } from '../secrets/index.js';
import {
  ensureInitialPasswords,
  generatePortalPassword,
  issueSetPasswordLink,
  portalAccessOf,
  portalBaseUrl,
  portalLoginUrl,
  readInitialPassword,
  readInitialPasswords,
  resetPortalPassword,
} from './index.js';
import { credentialsRow, expireInitial, makeCustomer, makeCustomers } from './testing.js';

const t = useApp();

/** A db handle that counts the SQL statements sent through it (to prove set-based work). */
function counting(db: Db): { db: Db; count: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'execute') {
        return (...args: unknown[]) => {
          n++;
          return (target.execute as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: proxy, count: () => n };
}

describe('generated portal passwords', () => {
  it('are 8 letters and digits, at least one of each, without look-alikes, over 10,000 draws', () => {
    const seen = new Set<string>();
    const symbols = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const p = generatePortalPassword();
      expect(p).toMatch(/^[A-Za-z2-9]{8}$/);
      expect(p).toMatch(/[A-Za-z]/);
      expect(p).toMatch(/\d/);
      expect(p).not.toMatch(/[0O1lI]/);
      seen.add(p);
      for (const c of p) symbols.add(c);
    }
    expect(seen.size).toBe(10_000); // 46 bits: a repeat in 10k draws would mean a broken source
    expect(symbols.size).toBe(57); // every symbol of the alphabet is used
  });
});

describe('ensureInitialPasswords', () => {
  it('creates, keeps, renews and leaves alone, set-based, for a few hundred customers', async () => {
    const ids = await makeCustomers(t.db, t.fx.tenantId, 300);
    const counter = counting(t.db);
    const first = await ensureInitialPasswords(counter.db, t.fx.tenantId, ids);
    expect(counter.count()).toBe(1); // one statement for the whole batch
    expect(first.size).toBe(300);
    expect([...first.values()].every((s) => s === 'new_password')).toBe(true);

    const before = await rows<{ customer_id: string; initial_password: string }>(t.db, sql`select customer_id, initial_password from portal_credentials`);
    expect(before).toHaveLength(300);
    const second = await ensureInitialPasswords(t.db, t.fx.tenantId, ids);
    expect([...second.values()].every((s) => s === 'existing_password')).toBe(true);
    const after = await rows<{ customer_id: string; initial_password: string }>(t.db, sql`select customer_id, initial_password from portal_credentials`);
    expect(new Map(after.map((r) => [r.customer_id, r.initial_password]))).toEqual(new Map(before.map((r) => [r.customer_id, r.initial_password])));

    // 50 expire, 50 chose their own password.
    const expired = ids.slice(0, 50);
    const own = ids.slice(50, 100);
    await t.db.execute(sql`update portal_credentials set initial_expires_at = now() - interval '1 minute' where customer_id = any(${`{${expired.join(',')}}`}::uuid[])`);
    await t.db.execute(
      sql`update portal_credentials set password_hash = '$argon2id$v=19$m=19456,t=2,p=1$x$y', initial_password = null, initial_expires_at = null
           where customer_id = any(${`{${own.join(',')}}`}::uuid[])`,
    );
    const third = await ensureInitialPasswords(t.db, t.fx.tenantId, ids);
    const byState = (s: string) => ids.filter((id) => third.get(id) === s);
    expect(byState('new_password')).toEqual(expired);
    expect(byState('set_password_link')).toEqual(own);
    expect(byState('existing_password')).toEqual(ids.slice(100));
    const old = new Map(before.map((r) => [r.customer_id, r.initial_password]));
    for (const id of expired) {
      const row = await credentialsRow(t.db, id);
      expect(row!.initial_password).not.toBe(old.get(id));
      expect(new Date(row!.initial_expires_at!).getTime()).toBeGreaterThan(Date.now());
    }
    // A customer who chose a password keeps it and gets no generated one.
    expect((await credentialsRow(t.db, own[0]!))!.initial_password).toBeNull();
  });

  it('writes batches of thousands in a handful of statements', async () => {
    const ids = await makeCustomers(t.db, t.fx.tenantId, 6000);
    const counter = counting(t.db);
    const states = await ensureInitialPasswords(counter.db, t.fx.tenantId, ids);
    expect(states.size).toBe(6000);
    expect(counter.count()).toBe(2); // batches of 5,000: one statement each
  });

  it('stores only ciphertext bound to tenant + customer, expiring after the tenant setting', async () => {
    await t.db.execute(sql`update tenants set initial_password_days = 7 where id = ${t.fx.tenantId}`);
    const c = await makeCustomer(t.db, t.fx.tenantId);
    await ensureInitialPasswords(t.db, t.fx.tenantId, [c.id]);
    const plain = await readInitialPassword(t.db, t.fx.tenantId, c.id);
    expect(plain).toMatch(/^[A-Za-z2-9]{8}$/);
    // Nothing in the database holds the plaintext, in any table.
    const dump = await rows<{ t: string }>(t.db, sql`select row_to_json(pc)::text as t from portal_credentials pc`);
    expect(dump.map((d) => d.t).join('\n')).not.toContain(plain!);
    const row = await credentialsRow(t.db, c.id);
    expect(row!.initial_password).toMatch(/^v1\.test\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decryptSecret(row!.initial_password!, `${t.fx.tenantId}:${c.id}`)).toBe(plain);
    const days = (new Date(row!.initial_expires_at!).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    // Moved to another card, the ciphertext does not decrypt.
    const other = await makeCustomer(t.db, t.fx.tenantId);
    await ensureInitialPasswords(t.db, t.fx.tenantId, [other.id]);
    await t.db.execute(sql`update portal_credentials set initial_password = ${row!.initial_password} where customer_id = ${other.id}`);
    await expect(readInitialPassword(t.db, t.fx.tenantId, other.id)).rejects.toThrow();
  });

  it('runs in the caller transaction: rolled back, nothing is written', async () => {
    const ids = await makeCustomers(t.db, t.fx.tenantId, 20);
    await expect(
      t.db.transaction(async (tx) => {
        const states = await ensureInitialPasswords(tx, t.fx.tenantId, ids);
        expect(states.size).toBe(20);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await rows(t.db, sql`select 1 from portal_credentials`)).toHaveLength(0);
  });

  it("ignores ids that are not the tenant's customers", async () => {
    const other = await seedTenant(t.db);
    const foreign = await makeCustomer(t.db, other.tenantId);
    const mine = await makeCustomer(t.db, t.fx.tenantId);
    const states = await ensureInitialPasswords(t.db, t.fx.tenantId, [foreign.id, mine.id, 'not-a-uuid', mine.id]);
    expect([...states.entries()]).toEqual([[mine.id, 'new_password']]);
    expect(await credentialsRow(t.db, foreign.id)).toBeNull();
  });
});

describe('reading, resetting, links', () => {
  it('reads the plaintext only while valid; several at once', async () => {
    const [a, b, none] = await makeCustomers(t.db, t.fx.tenantId, 3);
    await ensureInitialPasswords(t.db, t.fx.tenantId, [a!, b!]);
    const both = await readInitialPasswords(t.db, t.fx.tenantId, [a!, b!, none!]);
    expect(both.size).toBe(2);
    expect(await readInitialPassword(t.db, t.fx.tenantId, a!)).toBe(both.get(a!));
    expect(await readInitialPassword(t.db, t.fx.tenantId, none!)).toBeNull();
    await expireInitial(t.db, b!);
    expect(await readInitialPassword(t.db, t.fx.tenantId, b!)).toBeNull();
    // Another tenant cannot read it.
    const other = await seedTenant(t.db);
    expect(await readInitialPassword(t.db, other.tenantId, a!)).toBeNull();
  });

  it('reset discards a chosen password and the old generated one', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId);
    await ensureInitialPasswords(t.db, t.fx.tenantId, [c.id]);
    const old = await readInitialPassword(t.db, t.fx.tenantId, c.id);
    await t.db.execute(sql`update portal_credentials set password_hash = 'h', initial_password = null where customer_id = ${c.id}`);
    expect(await portalAccessOf(t.db, t.fx.tenantId, c.id)).toMatchObject({ hasGeneratedPassword: false, hasOwnPassword: true });
    await resetPortalPassword(t.db, t.fx.tenantId, c.id);
    const row = await credentialsRow(t.db, c.id);
    expect(row!.password_hash).toBeNull();
    const fresh = await readInitialPassword(t.db, t.fx.tenantId, c.id);
    expect(fresh).toMatch(/^[A-Za-z2-9]{8}$/);
    expect(fresh).not.toBe(old);
    const access = await portalAccessOf(t.db, t.fx.tenantId, c.id);
    expect(access).toMatchObject({ hasGeneratedPassword: true, hasOwnPassword: false });
    expect(new Date(access.generatedExpiresAt!).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    // A customer without credentials gets some; another tenant's customer is not found.
    const bare = await makeCustomer(t.db, t.fx.tenantId);
    await resetPortalPassword(t.db, t.fx.tenantId, bare.id);
    expect(await readInitialPassword(t.db, t.fx.tenantId, bare.id)).toMatch(/^[A-Za-z2-9]{8}$/);
    const other = await seedTenant(t.db);
    await expect(resetPortalPassword(t.db, other.tenantId, c.id)).rejects.toMatchObject({ status: 404 });
  });

  it('issues set-password links with 256-bit tokens stored only as SHA-256, valid 48 hours', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId);
    const url = await issueSetPasswordLink(t.db, t.fx.tenantId, c.id, 'https://crm.example/portal/');
    const token = new URL(url).searchParams.get('token')!;
    expect(url.startsWith('https://crm.example/portal/set-password?token=')).toBe(true);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const [stored] = await rows<{ token_hash: string; purpose: string; hours: number }>(
      t.db,
      sql`select token_hash, purpose, extract(epoch from expires_at - created_at) / 3600 as hours from portal_tokens`,
    );
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.token_hash).not.toContain(token);
    expect(Number(stored!.hours)).toBeCloseTo(48, 1);
    const other = await seedTenant(t.db);
    await expect(issueSetPasswordLink(t.db, other.tenantId, c.id, 'https://x')).rejects.toMatchObject({ status: 404 });
  });

  it('builds portal addresses from the tenant setting or the public URL', () => {
    expect(portalBaseUrl({ portalUrl: null }, 'https://crm.example/')).toBe('https://crm.example/portal');
    expect(portalBaseUrl({ portalUrl: 'https://me.example/' }, 'https://crm.example')).toBe('https://me.example');
    const id = '5b2c1a3e-0000-4000-8000-000000000001';
    expect(portalLoginUrl({ id, portalUrl: null }, 'https://crm.example')).toBe(`https://crm.example/portal?tenant=${id}`);
    expect(portalLoginUrl({ id, portalUrl: 'https://me.example' }, 'https://crm.example')).toBe('https://me.example');
  });
});
