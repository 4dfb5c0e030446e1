import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { repoRoot, startServer, type RunningServer, type ServerOptions } from './server';

/** The administrator every browser test logs in as (made by the server's first start). */
export const ADMIN = { email: 'admin@example.com', password: 'e2e-admin-password-1' };
/** Screenshots and downloads of the browser tests. */
export const outDir = join(repoRoot, 'test-output');

export interface BrowserSession {
  server: RunningServer;
  page: Page;
}

/**
 * One real server (fresh database) and one Hebrew Chromium page for a test file, as Debian's
 * chromium runs headless here. A failing test leaves a screenshot `failed-<name>-<test>.png` of
 * what the user would have seen. `serverOptions` runs first (e.g. to start an SMTP sink).
 */
export function useBrowserSession(name: string, serverOptions: () => ServerOptions | Promise<ServerOptions> = () => ({})): BrowserSession {
  const session = {} as BrowserSession;
  let browser: Browser | undefined;
  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    session.server = await startServer(ADMIN, await serverOptions());
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ baseURL: session.server.baseUrl, locale: 'he-IL', viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    session.page = await context.newPage();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && session.page) {
      await session.page.screenshot({ path: join(outDir, `failed-${name}-${ctx.task.name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    }
  });
  afterAll(async () => {
    await browser?.close();
    await session.server?.stop();
  });
  return session;
}

/** Waits until the locator is on screen (playwright-core has no auto-waiting `expect`). */
export async function shows(locator: Locator, timeout = 15_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout });
}

/** Polls until `check` holds. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A number as the page shows it ("1,234" → 1234). */
export const numberIn = async (locator: Locator) => Number((await locator.innerText()).replace(/[^\d]/g, ''));

/** Logs in through the login page, in Hebrew, and waits for the customer list. */
export async function logIn(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('דוא"ל', { exact: true }).fill(ADMIN.email);
  await page.getByLabel('סיסמה', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'כניסה', exact: true }).click();
  await shows(page.getByRole('heading', { name: 'לקוחות', exact: true }));
}
