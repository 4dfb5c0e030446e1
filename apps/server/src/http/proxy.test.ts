import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { readConfig } from '../config.js';
import { rows } from '../db/client.js';
import { PASSWORD, useApp } from '../testing/index.js';
import { parseTrustProxy, type TrustProxy } from './proxy.js';

const t = useApp();
const PROXY = '10.0.0.1';
const CLIENT = '203.0.113.9';

const behind: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(behind.splice(0).map((app) => app.close()));
});

/** An app behind proxies trusted as `trustProxy` (the same database as the test's). */
async function appBehind(trustProxy: TrustProxy | boolean): Promise<FastifyInstance> {
  const app = await buildApp({ db: t.db, logLevel: 'silent', webDist: null, trustProxy });
  behind.push(app);
  return app;
}

/** A staff login through the proxy: the socket's peer is `peer`, X-Forwarded-For is `xff`. */
const login = (app: FastifyInstance, email: string, password: string, xff: string | undefined, peer = PROXY, extra: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: peer,
    headers: { ...(xff !== undefined && { 'x-forwarded-for': xff }), ...extra },
    payload: { email, password },
  });

/** The addresses the login throttle counted failures against. */
const countedAddresses = async () =>
  (await rows<{ key: string }>(t.db, sql`select key from rate_counters where key like 'login:ip:%' order by key`)).map((r) => r.key.slice('login:ip:'.length));

describe('KESHER_TRUST_PROXY', () => {
  it('reads off, hop counts and address lists; refuses anything else', () => {
    for (const off of [undefined, '', '0', 'false', 'no', 'off']) expect(parseTrustProxy(off)).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('true')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy(' 10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8,loopback,192.168.0.0/255.255.0.0')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
      '192.168.0.0/255.255.0.0',
    ]);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/8', ',']) expect(() => parseTrustProxy(bad), bad).toThrow(/KESHER_TRUST_PROXY/);
    expect(readConfig({ KESHER_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(readConfig({}).trustProxy).toBe(false);
  });
});

describe('the client address behind a proxy', () => {
  it('with one hop, is the right-most X-Forwarded-For entry (the one the proxy wrote)', async () => {
    const app = await appBehind(parseTrustProxy('1'));
    expect((await login(app, 'nobody@example.com', 'x', `198.51.100.1, ${CLIENT}`)).statusCode).toBe(401);
    expect(await countedAddresses()).toEqual([CLIENT]);
  });

  it('a rotating X-Forwarded-For does not escape the per-address login throttle', async () => {
    const app = await appBehind(1);
    // The client writes any X-Forwarded-For it likes; the proxy appends the address it saw.
    for (let i = 0; i < 40; i++) {
      const r = await login(app, `guess${i}@example.com`, 'wrong', `198.51.100.${i}, ${CLIENT}`);
      expect(r.statusCode, `try ${i + 1}`).toBe(i < 30 ? 401 : 429);
    }
    expect(await countedAddresses()).toEqual([CLIENT]);
    // And the right password from that address is refused too while it is throttled.
    expect((await login(app, t.fx.admin.email, PASSWORD, `198.51.100.77, ${CLIENT}`)).statusCode).toBe(429);
  });

  it('prepending another address does not let a throttled address log in', async () => {
    const app = await appBehind(true);
    for (let i = 0; i < 30; i++) await login(app, `guess${i}@example.com`, 'wrong', CLIENT);
    expect((await login(app, t.fx.admin.email, PASSWORD, CLIENT)).statusCode).toBe(429);
    expect((await login(app, t.fx.admin.email, PASSWORD, `198.51.100.1, ${CLIENT}`)).statusCode).toBe(429);
    expect((await login(app, t.fx.admin.email, PASSWORD, `198.51.100.1,198.51.100.2, ${CLIENT}`)).statusCode).toBe(429);
    // Another client behind the same proxy is not affected.
    expect((await login(app, t.fx.admin.email, PASSWORD, '203.0.113.10')).statusCode).toBe(200);
  });

  it('with two hops, skips both proxies and no more', async () => {
    const app = await appBehind(2);
    await login(app, 'nobody@example.com', 'x', `198.51.100.1, ${CLIENT}, 10.0.0.2`);
    expect(await countedAddresses()).toEqual([CLIENT]);
  });

  it('with a list of proxies, skips the listed ones and trusts nothing from a peer not listed', async () => {
    const app = await appBehind(parseTrustProxy('10.0.0.0/8'));
    // Two proxies of the list (10.0.0.1 → 10.0.0.5): the client is the entry before them.
    await login(app, 'nobody@example.com', 'x', `198.51.100.1, ${CLIENT}, 10.0.0.5`);
    expect(await countedAddresses()).toEqual([CLIENT]);
    // A client reaching the server directly: its X-Forwarded-* say nothing.
    const direct = await login(app, t.fx.admin.email, PASSWORD, '198.51.100.2', '192.0.2.44', { 'x-forwarded-proto': 'https' });
    expect(direct.statusCode).toBe(200);
    expect(String(direct.headers['set-cookie'])).not.toMatch(/Secure/);
    await login(app, 'nobody@example.com', 'x', '198.51.100.3', '192.0.2.44');
    expect(await countedAddresses()).toEqual(['192.0.2.44', CLIENT]);
    // The listed proxy's X-Forwarded-Proto is believed.
    const proxied = await login(app, t.fx.admin.email, PASSWORD, CLIENT, PROXY, { 'x-forwarded-proto': 'https' });
    expect(String(proxied.headers['set-cookie'])).toMatch(/Secure/);
  });

  it('without trust, X-Forwarded-For is ignored', async () => {
    const app = await appBehind(false);
    await login(app, 'nobody@example.com', 'x', CLIENT);
    expect(await countedAddresses()).toEqual([PROXY]);
  });

  it("checks a browser's Origin against the host the trusted proxy was asked for (X-Forwarded-Host)", async () => {
    const app = await appBehind(1);
    const browser = { origin: 'https://crm.example.com', 'sec-fetch-site': 'same-origin', host: 'kesher:3000', 'x-forwarded-host': 'crm.example.com', 'x-forwarded-proto': 'https' };
    expect((await login(app, t.fx.admin.email, PASSWORD, CLIENT, PROXY, browser)).statusCode).toBe(200);
    expect((await login(app, t.fx.admin.email, PASSWORD, CLIENT, PROXY, { ...browser, origin: 'https://evil.example' })).statusCode).toBe(403);
    // From a peer that is not a trusted proxy, X-Forwarded-Host is not believed.
    const listed = await appBehind(['10.0.0.0/8']);
    expect((await login(listed, t.fx.admin.email, PASSWORD, CLIENT, '192.0.2.44', browser)).statusCode).toBe(403);
  });
});
