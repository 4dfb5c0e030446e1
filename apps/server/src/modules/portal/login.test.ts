import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { PASSWORD, seedTenant, TestClient, useApp } from '../../testing/index.js';
import { ensureInitialPasswords, readInitialPassword } from './index.js';
import { changePassword } from './login.js';
import { credentialsRow, expireInitial, makeCustomer, PortalClient } from './testing.js';

const t = useApp();
const EN = { 'accept-language': 'en' };
const NEW_PASSWORD = 'my own portal password';

/** A customer with a generated password, and that password. */
async function invited(fields: Parameters<typeof makeCustomer>[2] = {}) {
  const c = await makeCustomer(t.db, t.fx.tenantId, fields);
  await ensureInitialPasswords(t.db, t.fx.tenantId, [c.id]);
  return { ...c, initial: (await readInitialPassword(t.db, t.fx.tenantId, c.id))! };
}

/** A customer who already chose NEW_PASSWORD. */
async function withOwnPassword() {
  const c = await invited();
  const portal = new PortalClient(t.app);
  await portal.login(c.customerNumber, c.initial);
  expect((await portal.post('/portal/api/password', { newPassword: NEW_PASSWORD })).status).toBe(204);
  return { ...c, portal };
}

describe('portal login', () => {
  it('logs in by customer number and by email in any case, with its own cookie', async () => {
    const c = await invited({ email: 'Dana.Levi@Example.com' });
    const byNumber = new PortalClient(t.app);
    const r = await byNumber.login(c.customerNumber, c.initial);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ mustChangePassword: true });
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/^kesher_portal=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/portal(;|$)/);
    expect(cookie).not.toMatch(/Secure/i);
    const byEmail = await new PortalClient(t.app).login('  DANA.LEVI@example.COM ', c.initial);
    expect(byEmail.status).toBe(200);
    // Only the hash of the session token is stored.
    const sessions = await rows<{ token_hash: string }>(t.db, sql`select token_hash from portal_sessions`);
    expect(sessions).toHaveLength(2);
    expect(sessions.every((s) => /^[0-9a-f]{64}$/.test(s.token_hash) && !cookie.includes(s.token_hash))).toBe(true);
  });

  it('marks the cookie Secure behind TLS', async () => {
    const c = await invited();
    const { buildApp } = await import('../../app.js');
    const app = await buildApp({ db: t.db, logLevel: 'silent', webDist: null, trustProxy: true });
    const r = await app.inject({ method: 'POST', url: '/portal/api/login', headers: { 'x-forwarded-proto': 'https' }, payload: { username: String(c.customerNumber), password: c.initial } });
    expect(String(r.headers['set-cookie'])).toMatch(/Secure/);
    await app.close();
  });

  it('answers a wrong password, an unknown user and a shared email alike', async () => {
    const c = await invited({ email: 'shared@example.com' });
    const twin = await invited({ email: 'SHARED@example.com' });
    const portal = new PortalClient(t.app);
    const wrong = await portal.login(c.customerNumber, 'nope-nope', {}, EN);
    const unknownNumber = await portal.login(999_999, 'nope-nope', {}, EN);
    const unknownEmail = await portal.login('nobody@example.com', 'nope-nope', {}, EN);
    const notAName = await portal.login('just words', 'nope-nope', {}, EN);
    // The address is on two cards: it names nobody, even with a right password.
    const shared = await portal.login('shared@example.com', twin.initial, {}, EN);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ code: 'unauthorized', message: 'Wrong customer number / email or password' });
    for (const r of [unknownNumber, unknownEmail, notAName, shared]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual(wrong.body);
    }
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // Hebrew by default.
    expect((await portal.login(c.customerNumber, 'nope-nope')).body.message).toBe('מספר לקוח / דוא"ל או סיסמה שגויים');
  });

  it('asks which tenant when the server has several, and logs into the one named', async () => {
    const c = await invited();
    const other = await seedTenant(t.db);
    const portal = new PortalClient(t.app);
    const missing = await portal.login(c.customerNumber, c.initial, {}, EN);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('validation');
    expect(missing.body.message).toContain('tenant');
    expect(missing.body.fields).toEqual([{ path: 'tenant', code: 'required', message: 'Required' }]);
    // The same number in the other tenant is another customer (or nobody).
    expect((await portal.login(c.customerNumber, c.initial, { tenant: other.tenantId })).status).toBe(401);
    expect((await portal.login(c.customerNumber, c.initial, { tenant: t.fx.tenantId })).status).toBe(200);
  });

  it('throttles failed logins per account (number and email alike): the 6th is refused even when right', async () => {
    const c = await invited({ email: 'victim@example.com' });
    const bystander = await invited();
    const portal = new PortalClient(t.app);
    for (let i = 0; i < 3; i++) expect((await portal.login(c.customerNumber, `bad${i}-password`)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await portal.login('VICTIM@example.com', `bad${i}-password`)).status).toBe(401);
    const blocked = await portal.login(c.customerNumber, c.initial, {}, EN);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ code: 'too_many_requests', message: 'Too many failed logins. Try again in 15 minutes.' });
    // Another account from the same IP still logs in; the counters live in the database.
    expect((await portal.login(bystander.customerNumber, bystander.initial)).status).toBe(200);
    const keys = await rows<{ key: string }>(t.db, sql`select key from rate_counters order by key`);
    expect(keys.map((k) => k.key)).toEqual([`portal:acct:${t.fx.tenantId}:${c.id}`, 'portal:ip:127.0.0.1']);
  });

  it('throttles failed logins per IP across accounts', async () => {
    const c = await invited();
    const portal = new PortalClient(t.app);
    for (let i = 0; i < 30; i++) expect((await portal.login(`guess${i}@example.com`, 'x')).status).toBe(401);
    expect((await portal.login(c.customerNumber, c.initial)).status).toBe(429);
    // Staff logins are another realm with their own counters.
    expect((await new TestClient(t.app).post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD })).status).toBe(200);
  });

  it('refuses an expired generated password with its own message, only to whoever knows it', async () => {
    const c = await invited();
    await expireInitial(t.db, c.id);
    const portal = new PortalClient(t.app);
    const r = await portal.login(c.customerNumber, c.initial, {}, EN);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'unauthorized', message: 'The password we sent you has expired. Ask us to send you a new one.', reason: 'initial_password_expired' });
    expect(r.headers['set-cookie']).toBeUndefined();
    expect((await portal.login(c.customerNumber, 'wrong-password', {}, EN)).body.message).toBe('Wrong customer number / email or password');
  });

  it('refuses a ciphertext moved from another card', async () => {
    const victim = await invited();
    const attacker = await invited();
    const stolen = (await credentialsRow(t.db, victim.id))!.initial_password;
    await t.db.execute(sql`update portal_credentials set initial_password = ${stolen} where customer_id = ${attacker.id}`);
    const portal = new PortalClient(t.app);
    expect((await portal.login(attacker.customerNumber, victim.initial)).status).toBe(401);
    expect((await portal.login(attacker.customerNumber, attacker.initial)).status).toBe(401);
    expect((await portal.login(victim.customerNumber, victim.initial)).status).toBe(200);
  });
});

describe('must change the generated password', () => {
  it('allows only POST /password until changed; then the new password works and the generated one is gone', async () => {
    const c = await invited({ firstName: 'דנה', lastName: 'לוי', phone: '050-1234567' });
    const portal = new PortalClient(t.app);
    await portal.login(c.customerNumber, c.initial);
    expect(String((await portal.login(c.customerNumber, c.initial)).headers['set-cookie'])).toMatch(/Max-Age=1800/);
    const me = await portal.get('/portal/api/me', EN);
    expect(me.status).toBe(403);
    expect(me.body).toEqual({ code: 'forbidden', message: 'Choose a new password first', mustChangePassword: true });

    const short = await portal.post('/portal/api/password', { newPassword: 'short' }, EN);
    expect(short.status).toBe(400);
    expect(short.body.fields).toEqual([{ path: 'newPassword', code: 'too_short', message: 'Too short (at least 10)' }]);
    const changed = await portal.post('/portal/api/password', { newPassword: NEW_PASSWORD });
    expect(changed.status).toBe(204);

    const after = await portal.get('/portal/api/me');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ customerNumber: c.customerNumber, fullName: 'דנה לוי', firstName: 'דנה', lastName: 'לוי', email: c.email, phone: c.phone });

    const row = await credentialsRow(t.db, c.id);
    expect(row!.initial_password).toBeNull();
    expect(row!.initial_expires_at).toBeNull();
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await readInitialPassword(t.db, t.fx.tenantId, c.id)).toBeNull();

    const again = new PortalClient(t.app);
    expect((await again.login(c.customerNumber, c.initial)).status).toBe(401);
    const ok = await again.login(c.email!, NEW_PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ mustChangePassword: false });
    expect(String(ok.headers['set-cookie'])).toMatch(/Max-Age=43200/);
  });

  it('refuses the generated password as the new one', async () => {
    const c = await invited();
    const portal = { tenantId: t.fx.tenantId, customerId: c.id, mustChangePassword: true };
    await expect(changePassword(t.db, portal, 'token', { newPassword: c.initial })).rejects.toMatchObject({ status: 400, extra: { fields: [{ path: 'newPassword', code: 'same_as_initial' }] } });
  });

  it('ends the other sessions of the customer when the password changes', async () => {
    const c = await invited();
    const first = new PortalClient(t.app);
    const second = new PortalClient(t.app);
    await first.login(c.customerNumber, c.initial);
    await second.login(c.customerNumber, c.initial);
    expect((await first.post('/portal/api/password', { newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await first.get('/portal/api/me')).status).toBe(200);
    expect((await second.get('/portal/api/me')).status).toBe(401);
  });

  it('asks for the current password outside the first login', async () => {
    const { portal } = await withOwnPassword();
    const missing = await portal.post('/portal/api/password', { newPassword: 'another long one' }, EN);
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toEqual([{ path: 'currentPassword', code: 'required', message: 'Required' }]);
    const wrong = await portal.post('/portal/api/password', { newPassword: 'another long one', currentPassword: 'wrong-one' }, EN);
    expect(wrong.body.fields).toEqual([{ path: 'currentPassword', code: 'wrong_password', message: 'Wrong password' }]);
    expect((await portal.post('/portal/api/password', { newPassword: 'another long one', currentPassword: NEW_PASSWORD })).status).toBe(204);
  });

  it('logs out', async () => {
    const c = await invited();
    const portal = new PortalClient(t.app);
    await portal.login(c.customerNumber, c.initial);
    const cookie = portal.cookie;
    expect((await portal.post('/portal/api/logout')).status).toBe(204);
    expect(await rows(t.db, sql`select 1 from portal_sessions`)).toHaveLength(0);
    expect((await portal.request('GET', '/portal/api/me', undefined, { cookie: cookie! })).status).toBe(401);
  });
});

describe('set-password links', () => {
  async function link(customerId: string) {
    const { issueSetPasswordLink } = await import('./index.js');
    const url = await issueSetPasswordLink(t.db, t.fx.tenantId, customerId, 'http://localhost/portal');
    return new URL(url).searchParams.get('token')!;
  }

  it('sets a password once; the link then no longer works', async () => {
    const c = await invited();
    const token = await link(c.id);
    const anon = new PortalClient(t.app);
    expect((await anon.post('/portal/api/password/token', { token, newPassword: NEW_PASSWORD })).status).toBe(204);
    const row = await credentialsRow(t.db, c.id);
    expect(row!.initial_password).toBeNull();
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    const again = await anon.post('/portal/api/password/token', { token, newPassword: 'yet another password' }, EN);
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('This link is not valid: it was already used or has expired');
    expect((await anon.login(c.customerNumber, 'yet another password')).status).toBe(401);
    expect((await anon.login(c.customerNumber, NEW_PASSWORD)).body).toEqual({ mustChangePassword: false });
  });

  it('gives a card without any portal password its first one', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId);
    const token = await link(c.id);
    const anon = new PortalClient(t.app);
    expect((await anon.post('/portal/api/password/token', { token, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await anon.login(c.customerNumber, NEW_PASSWORD)).body).toEqual({ mustChangePassword: false });
    expect((await anon.get('/portal/api/me')).body.customerNumber).toBe(c.customerNumber);
  });

  it('refuses an expired link and a made-up one', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId);
    const token = await link(c.id);
    await t.db.execute(sql`update portal_tokens set expires_at = now() - interval '1 second'`);
    const anon = new PortalClient(t.app);
    expect((await anon.post('/portal/api/password/token', { token, newPassword: NEW_PASSWORD })).status).toBe(400);
    expect((await anon.post('/portal/api/password/token', { token: 'A'.repeat(43), newPassword: NEW_PASSWORD })).status).toBe(400);
    expect(await credentialsRow(t.db, c.id)).toBeNull();
  });
});

describe('realms', () => {
  it('a portal session does not open the staff API, and a staff session does not open the portal', async () => {
    const c = await invited();
    const portal = new PortalClient(t.app);
    await portal.login(c.customerNumber, c.initial);
    await portal.post('/portal/api/password', { newPassword: NEW_PASSWORD });
    expect((await portal.get('/portal/api/me')).status).toBe(200);
    expect((await portal.get('/api/v1/customers')).status).toBe(401);
    expect((await portal.get(`/api/v1/customers/${c.id}/portal-access`)).status).toBe(401);
    expect((await t.admin.get('/portal/api/me')).status).toBe(401);
    expect((await t.admin.post('/portal/api/password', { newPassword: NEW_PASSWORD })).status).toBe(401);
    // Nor does a token of one realm work under the other realm's cookie name.
    const portalToken = portal.cookie!.split('=')[1]!;
    expect((await portal.request('GET', '/api/v1/customers', undefined, { cookie: `kesher_session=${portalToken}` })).status).toBe(401);
    const staffLogin = await new TestClient(t.app).post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD });
    const staffToken = /kesher_session=([^;]+)/.exec(String(staffLogin.headers['set-cookie']))![1]!;
    expect((await new PortalClient(t.app).get('/portal/api/me', { cookie: `kesher_portal=${staffToken}` })).status).toBe(401);
  });

  it('refuses a cross-site change of the password', async () => {
    const c = await invited();
    const portal = new PortalClient(t.app);
    await portal.login(c.customerNumber, c.initial);
    const evil = await portal.post('/portal/api/password', { newPassword: NEW_PASSWORD }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('csrf');
  });
});

describe('staff routes about portal access', () => {
  it('tells whether a password exists and resets it, never showing it', async () => {
    const c = await withOwnPassword();
    const access = await t.staff.get(`/api/v1/customers/${c.id}/portal-access`);
    expect(access.status).toBe(200);
    expect(access.body).toEqual({ hasGeneratedPassword: false, generatedExpiresAt: null, hasOwnPassword: true });

    expect((await t.staff.post(`/api/v1/customers/${c.id}/portal-password/reset`)).status).toBe(403);
    const reset = await t.admin.post(`/api/v1/customers/${c.id}/portal-password/reset`);
    expect(reset.status).toBe(204);
    expect(reset.body).toBe('');
    // The reset ends the customer's session and the chosen password.
    expect((await c.portal.get('/portal/api/me')).status).toBe(401);
    const anon = new PortalClient(t.app);
    expect((await anon.login(c.customerNumber, NEW_PASSWORD)).status).toBe(401);
    const fresh = (await readInitialPassword(t.db, t.fx.tenantId, c.id))!;
    expect((await anon.login(c.customerNumber, fresh)).body).toEqual({ mustChangePassword: true });
    const now = await t.staff.get(`/api/v1/customers/${c.id}/portal-access`);
    expect(now.body).toMatchObject({ hasGeneratedPassword: true, hasOwnPassword: false });
    expect(JSON.stringify(now.body)).not.toContain(fresh);

    const other = await seedTenant(t.db);
    const stranger = await TestClient.login(t.app, other.admin.email);
    expect((await stranger.post(`/api/v1/customers/${c.id}/portal-password/reset`)).status).toBe(404);
    expect((await stranger.get(`/api/v1/customers/${c.id}/portal-access`)).status).toBe(404);
  });
});
