import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { logIn, shows, useBrowserSession } from './support/browser';

// The built back office, the portal, the unsubscribe page and the API docs under the server's
// Content-Security-Policy, in a real Chromium: every page works and the browser reports no
// violation (a blocked script, style, image, frame or eval would be one).

const session = useBrowserSession('security-headers');
let page: Page;
/** Every CSP violation the browser reported: the DOM event and its console message. */
const violations: string[] = [];

beforeAll(async () => {
  page = session.page;
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation event: ${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy|CSP violation/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`${page.url()}: page error ${e.message}`));
});

/** Lets late violations (lazy chunks, injected styles) arrive, then asserts there were none. */
async function noViolations(): Promise<void> {
  await page.waitForTimeout(300);
  expect(violations).toEqual([]);
}

describe('Content-Security-Policy in the browser', () => {
  it('the login page loads under the CSP, which forbids framing', async () => {
    const response = await page.goto('/');
    const csp = (await response!.allHeaders())['content-security-policy'] ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    await shows(page.getByRole('heading', { name: 'כניסה למערכת' }));
    await noViolations();
  });

  it('logs in; the customer list, a new customer and its card, the template editor with its preview frame', async () => {
    await logIn(page);
    await noViolations();
    await page.getByRole('link', { name: 'לקוח חדש' }).first().click();
    await shows(page.getByRole('heading', { name: 'לקוח חדש' }));
    await page.getByLabel('שם משפחה / חברה').fill('לוי');
    await page.getByRole('button', { name: 'צור לקוח' }).click();
    await shows(page.getByRole('heading', { name: 'לוי' }));
    await noViolations();
    await page.getByRole('button', { name: 'דיוור', exact: true }).click();
    await page.getByRole('menuitem', { name: 'תבניות דוא"ל' }).click();
    await shows(page.getByRole('heading', { name: 'תבניות דוא"ל' }));
    await shows(page.frameLocator('iframe[title="תצוגה מקדימה של ההודעה"]').locator('html[dir="rtl"]'), 30_000);
    await noViolations();
  });

  it('a page of another origin cannot frame the back office', async () => {
    // "Another site": a page served on another port of this machine (another origin).
    const backOffice = `${new URL(session.server.baseUrl).origin}/login`;
    const evil = createServer((_req, res) => res.setHeader('content-type', 'text/html').end(`<iframe src="${backOffice}" onload="window.framed = true"></iframe>`));
    evil.listen(0, '127.0.0.1');
    await once(evil, 'listening');
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as unknown as { framed?: boolean }).framed === true);
      const child = page.frames().find((f) => f !== page.mainFrame());
      // Refused (frame-ancestors 'none', X-Frame-Options DENY): Chromium shows its error page instead.
      expect(child?.url()).toMatch(/^chrome-error:/);
    } finally {
      evil.close();
    }
    violations.length = 0; // the refusal the browser reported is the point of this test
  });

  it('the portal, the unsubscribe page and the API docs load without a violation', async () => {
    await page.goto('/portal');
    await shows(page.locator('#login-form')); // shown by portal.js: its nonce let it run
    await noViolations();
    await page.goto('/u/not-a-real-token');
    await shows(page.getByRole('heading').first());
    await noViolations();
    await page.goto('/api/docs');
    await shows(page.getByText('Kesher API').first(), 30_000);
    await noViolations();
  });
});
