import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { TestClient, useApp, type Reply } from '../testing/index.js';

const t = useApp();

// A stand-in for the back office's build (apps/web/dist), served the way the real one is.
const webDist = mkdtempSync(join(tmpdir(), 'kesher-web-'));
let withWeb: FastifyInstance;
beforeAll(async () => {
  mkdirSync(join(webDist, 'assets'));
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/index.js"></script>');
  writeFileSync(join(webDist, 'assets/index.js'), 'console.log(1)');
  withWeb = await buildApp({ db: t.db, logLevel: 'silent', webDist });
});
afterAll(async () => {
  await withWeb?.close();
  rmSync(webDist, { recursive: true, force: true });
});

/** The directives of a Content-Security-Policy header, by name. */
function directives(r: Reply): Map<string, string[]> {
  const csp = r.headers['content-security-policy'];
  expect(typeof csp, 'one Content-Security-Policy header').toBe('string');
  return new Map(String(csp).split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]));
}

/** What every response carries, whatever its page. */
function expectSecurityHeaders(r: Reply, what: string): void {
  expect(r.headers['x-frame-options'], what).toBe('DENY');
  expect(r.headers['x-content-type-options'], what).toBe('nosniff');
  expect(r.headers['referrer-policy'], what).toBe('no-referrer');
  expect(r.headers['cross-origin-opener-policy'], what).toBe('same-origin');
  expect(r.headers['strict-transport-security'], what).toBe('max-age=31536000');
  const csp = directives(r);
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
  expect(csp.has('upgrade-insecure-requests'), what).toBe(false);
  expect(csp.get('script-src')?.some((s) => s.includes('unsafe') || s === 'https:' || s === '*'), what).toBe(false);
}

describe('security headers', () => {
  it('the back office: its page and files under the server-wide CSP, not framable', async () => {
    const browser = new TestClient(withWeb);
    for (const url of ['/', '/customers', '/assets/index.js']) {
      const r = await browser.get(url);
      expect(r.status, url).toBe(200);
      expectSecurityHeaders(r, url);
      const csp = directives(r);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('the portal pages keep their own stricter policy (one header, with the nonce), plus the rest', async () => {
    const anon = new TestClient(t.app);
    for (const url of ['/portal', '/portal/set-password', '/portal/assets/portal.js', '/portal/assets/portal.css']) {
      const r = await anon.get(url);
      expect(r.status, url).toBe(200);
      expectSecurityHeaders(r, url);
    }
    const csp = directives(await anon.get('/portal'));
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')?.[0]).toMatch(/^'nonce-/);
  });

  it('the unsubscribe pages, the API docs, the API and its errors', async () => {
    const anon = new TestClient(t.app);
    const pages: [string, number][] = [
      ['/u/not-a-token', 400],
      ['/api/docs', 200],
      ['/api/docs/', 200],
      ['/api/docs/static/swagger-initializer.js', 200],
      ['/api/openapi.json', 200],
      ['/api/v1/customers', 401],
      ['/health', 200],
      ['/nowhere', 404],
    ];
    for (const [url, status] of pages) {
      const r = await anon.get(url);
      expect(r.status, url).toBe(status);
      expectSecurityHeaders(r, url);
    }
    expect((await anon.post('/u/not-a-token', 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' })).headers['x-frame-options']).toBe('DENY');
  });

  it('the Web Data Port may be read by the landing pages of other sites (CORP cross-origin)', async () => {
    const anon = new TestClient(t.app);
    const r = await anon.request('OPTIONS', '/in/no-such-channel', undefined, { origin: 'https://landing.example' });
    expect(r.status).toBe(404);
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await anon.get('/in/no-such-channel?token=x')).headers['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
