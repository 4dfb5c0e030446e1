import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { PASSWORD, seedTenant, TestClient, useApp } from '../../testing/index.js';

const t = useApp();

describe('staff login', () => {
  it('sets an HttpOnly SameSite session cookie and answers the session', async () => {
    const anon = new TestClient(t.app);
    const r = await anon.post('/api/v1/auth/login', { email: t.fx.admin.email.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email: t.fx.admin.email, role: 'admin' });
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/kesher_session=[\w-]{40,}/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here; Secure behind TLS
    expect((await anon.get('/api/v1/auth/me')).body.user.email).toBe(t.fx.admin.email);
  });

  it('marks the cookie Secure behind TLS (X-Forwarded-Proto with a trusted proxy)', async () => {
    const { buildApp } = await import('../../app.js');
    const app = await buildApp({ db: t.db, logLevel: 'silent', webDist: null, trustProxy: true });
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-proto': 'https' }, payload: { email: t.fx.staff.email, password: PASSWORD } });
    expect(String(r.headers['set-cookie'])).toMatch(/Secure/);
    await app.close();
  });

  it('stores only an argon2id hash of the password and only a hash of the session token', async () => {
    const [user] = await rows<{ password_hash: string }>(t.db, sql`select password_hash from users where email = ${t.fx.admin.email}`);
    expect(user!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const tokens = await rows<{ token_hash: string }>(t.db, sql`select token_hash from sessions`);
    expect(tokens.every((s) => /^[0-9a-f]{64}$/.test(s.token_hash))).toBe(true);
  });

  it('refuses a wrong password with the same answer as an unknown user', async () => {
    const anon = new TestClient(t.app);
    const wrong = await anon.post('/api/v1/auth/login', { email: t.fx.admin.email, password: 'nope' }, { 'accept-language': 'en' });
    const unknown = await anon.post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'nope' }, { 'accept-language': 'en' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ code: 'unauthorized', message: 'Wrong email or password' });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('logs out: the session no longer works', async () => {
    expect((await t.staff.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await t.staff.get('/api/v1/customers')).status).toBe(401);
  });

  it('throttles failed logins per account: the 6th try is refused even with the right password', async () => {
    const anon = new TestClient(t.app);
    for (let i = 0; i < 5; i++) expect((await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: `bad${i}` })).status).toBe(401);
    const blocked = await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('too_many_requests');
    expect(blocked.body.message).toContain('15');
    // Another account from the same IP still logs in.
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD })).status).toBe(200);
  });

  it('throttles failed logins per IP across accounts', async () => {
    const anon = new TestClient(t.app);
    for (let i = 0; i < 30; i++) await anon.post('/api/v1/auth/login', { email: `guess${i}@example.com`, password: 'x' });
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD })).status).toBe(429);
  });

  it('keeps the counters in the database, so another server process sees them', async () => {
    const anon = new TestClient(t.app);
    for (let i = 0; i < 5; i++) await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: 'bad' });
    const { buildApp } = await import('../../app.js');
    const second = await buildApp({ db: t.db, logLevel: 'silent', webDist: null });
    const r = await second.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: t.fx.staff.email, password: PASSWORD } });
    expect(r.statusCode).toBe(429);
    await second.close();
  });
});

describe('CSRF', () => {
  it('refuses a mutating cookie request from another site', async () => {
    const evil = await t.admin.post('/api/v1/customers', { lastName: 'x' }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('csrf');
    const fetchMeta = await t.admin.post('/api/v1/customers', { lastName: 'x' }, { 'sec-fetch-site': 'cross-site' });
    expect(fetchMeta.status).toBe(403);
    expect((await t.staff.get('/api/v1/customers')).body.items).toEqual([]);
  });

  it('refuses a cross-site login and logout (login CSRF), and no cookie is set or cleared', async () => {
    const anon = new TestClient(t.app);
    const body = { email: t.fx.admin.email, password: PASSWORD };
    const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }];
    for (const headers of crossSite) {
      const r = await anon.post('/api/v1/auth/login', body, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.body.code).toBe('csrf');
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect((await anon.get('/api/v1/auth/me')).status).toBe(401);
    const out = await t.admin.post('/api/v1/auth/logout', {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(out.status).toBe(403);
    expect(out.headers['set-cookie']).toBeUndefined();
    expect((await t.admin.get('/api/v1/auth/me')).status).toBe(200);
  });

  it('logs in and out from the same origin, and from clients that send no Origin (curl, scripts)', async () => {
    const browser = new TestClient(t.app);
    const sameOrigin = { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' };
    expect((await browser.post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD }, sameOrigin)).status).toBe(200);
    expect((await browser.post('/api/v1/auth/logout', {}, sameOrigin)).status).toBe(204);
    // Typed into the address bar / a bookmark: Sec-Fetch-Site none.
    expect((await new TestClient(t.app).post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD }, { 'sec-fetch-site': 'none' })).status).toBe(200);
    const script = new TestClient(t.app);
    expect((await script.post('/api/v1/auth/login', { email: t.fx.admin.email, password: PASSWORD })).status).toBe(200);
    expect((await script.post('/api/v1/auth/logout')).status).toBe(204);
  });

  it('refuses cross-site portal login, logout, registration and set-password, before doing anything', async () => {
    const evil = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    const anon = new TestClient(t.app);
    const calls: [string, Record<string, unknown>][] = [
      ['/portal/api/login', { username: '1', password: 'whatever-password' }],
      ['/portal/api/logout', {}],
      ['/portal/api/register', { email: 'csrf@example.com', tenant: t.fx.tenantId }],
      ['/portal/api/password/token', { token: 'A'.repeat(43), newPassword: 'a new portal password' }],
    ];
    for (const [url, body] of calls) {
      const r = await anon.post(url, body, evil);
      expect(r.status, url).toBe(403);
      expect(r.body.code, url).toBe('csrf');
      expect(r.headers['set-cookie'], url).toBeUndefined();
    }
    expect(await rows(t.db, sql`select id from customers`)).toEqual([]);
    expect(await rows(t.db, sql`select key from rate_counters`)).toEqual([]);
    // The same calls from the portal's own pages pass the check (and fail or succeed on their merits).
    const own = { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' };
    expect((await anon.post('/portal/api/login', { username: '1', password: 'whatever-password' }, own)).status).toBe(401);
    expect((await anon.post('/portal/api/logout', {}, own)).status).toBe(204);
  });

  it('accepts the same origin', async () => {
    const ok = await t.admin.post('/api/v1/customers', { lastName: 'x' }, { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(201);
  });
});

describe('API keys', () => {
  it('shows a key once, stores its hash, authenticates machine clients, and can be revoked', async () => {
    const created = await t.admin.post('/api/v1/api-keys', { name: 'Zapier' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ksk_[\w-]{40,}$/);
    const list = await t.admin.get('/api/v1/api-keys');
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const [stored] = await rows<{ key_hash: string }>(t.db, sql`select key_hash from api_keys`);
    expect(stored!.key_hash).not.toContain(created.body.key);

    const machine = new TestClient(t.app).withApiKey(created.body.key);
    const customer = await machine.post('/api/v1/customers', { lastName: 'מה-API' }, { origin: 'https://landing.example' });
    expect(customer.status).toBe(201);
    expect(customer.body.createdBy).toBe('Zapier');

    expect((await t.admin.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await machine.get('/api/v1/customers')).status).toBe(401);
  });

  it('only admins manage keys; a key is not an admin', async () => {
    expect((await t.staff.post('/api/v1/api-keys', { name: 'x' })).status).toBe(403);
    const { body } = await t.admin.post('/api/v1/api-keys', { name: 'k' });
    const machine = new TestClient(t.app).withApiKey(body.key);
    expect((await machine.post('/api/v1/api-keys', { name: 'escalate' })).status).toBe(403);
  });
});

describe('every route declares who may call it', () => {
  it('walks all registered routes', () => {
    const undeclared = t.app.routeTable.filter((r) => !r.access);
    expect(undeclared).toEqual([]);
    expect(t.app.routeTable.length).toBeGreaterThan(30);
  });

  it('refuses staff, admin and portal routes to anonymous callers, admin routes to staff, portal routes to staff', async () => {
    const anon = new TestClient(t.app);
    const sample = (url: string) => url.replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000');
    const portalRoutes: string[] = [];
    for (const route of t.app.routeTable) {
      if (route.access === 'public' || route.method === 'HEAD' || route.method === 'OPTIONS') continue;
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      const r = await anon.request(route.method, sample(route.url), body);
      expect(r.status, `${route.method} ${route.url}`).toBe(401);
      if (route.access === 'admin') {
        const s = await t.staff.request(route.method, sample(route.url), body);
        expect([403, 400], `${route.method} ${route.url} as staff`).toContain(s.status);
      }
      if (route.access === 'portal') {
        // A staff session is no portal session: the realms are apart.
        expect((await t.admin.request(route.method, sample(route.url), body)).status, `${route.method} ${route.url} as staff`).toBe(401);
        portalRoutes.push(`${route.method} ${route.url}`);
      }
    }
    expect(portalRoutes).toEqual(expect.arrayContaining(['POST /portal/api/password', 'GET /portal/api/me']));
  });

  it('serves health and the OpenAPI document publicly', async () => {
    const anon = new TestClient(t.app);
    expect((await anon.get('/health')).status).toBe(200);
    const doc = await anon.get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/customers');
    expect((await anon.get('/api/docs')).status).toBeLessThan(400);
  });
});
