import { describe, expect, it } from 'vitest';
import { useApp } from '../../testing/index.js';
import { PortalClient } from './testing.js';

const t = useApp();

/** The nonce the CSP allows, and every <script> tag of the page. */
function scripts(html: string, csp: string) {
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  const tags = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  return { nonce, tags };
}

describe('portal pages', () => {
  it('serves the login page in Hebrew, right to left, under a strict CSP', async () => {
    const r = await new PortalClient(t.app).get('/portal');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    const html = r.body as string;
    expect(html).toContain('<html lang="he" dir="rtl">');
    expect(html).toContain('פורטל לקוחות');
    expect(html).toContain('מספר לקוח או דוא&quot;ל');
    expect(html).toContain('id="login-form"');
    expect(html).toContain('id="change-form"');
    expect(html).toContain('href="/portal?lang=en"');

    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const { nonce, tags } = scripts(html, csp);
    expect(nonce).toMatch(/^[\w+/=]{20,}$/);
    // Every script either carries the nonce (and is a separate file) or is inert data.
    for (const tag of tags) expect(tag.includes(`nonce="${nonce}"`) && tag.includes('src="/portal/assets/portal.js"') || tag.includes('type="application/json"'), tag).toBe(true);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');

    const again = await new PortalClient(t.app).get('/portal');
    expect(scripts(again.body, String(again.headers['content-security-policy'])).nonce).not.toBe(nonce);
  });

  it('switches to English with ?lang=en and keeps the tenant', async () => {
    const tenant = t.fx.tenantId;
    const r = await new PortalClient(t.app).get(`/portal?lang=en&tenant=${tenant}`);
    expect(r.body).toContain('<html lang="en" dir="ltr">');
    expect(r.body).toContain('Customer number or email');
    expect(r.body).toContain(`href="/portal?tenant=${tenant}"`);
    expect(r.body).toContain(`"tenant":"${tenant}"`);
    expect(r.body).toContain('"lang":"en"');
  });

  it('serves the set-password page, which reads the token from the address', async () => {
    const token = 'A'.repeat(43);
    const r = await new PortalClient(t.app).get(`/portal/set-password?token=${token}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<html lang="he" dir="rtl">');
    expect(r.body).toContain('id="token-form"');
    expect(r.body).toContain('"page":"set-password"');
    expect(r.body).toContain(`href="/portal/set-password?lang=en&amp;token=${token}"`);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });

  it('reflects nothing it was not meant to', async () => {
    const evil = encodeURIComponent('"><script>alert(1)</script>');
    const r = await new PortalClient(t.app).get(`/portal/set-password?lang=${evil}&tenant=${evil}&token=${evil}`);
    expect(r.status).toBe(200);
    expect(r.body).not.toContain('alert(1)');
    expect(r.body).toContain('<html lang="he" dir="rtl">');
  });

  it('serves its script and style as files', async () => {
    const js = await new PortalClient(t.app).get('/portal/assets/portal.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain("api('POST', 'login'");
    const css = await new PortalClient(t.app).get('/portal/assets/portal.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });
});
