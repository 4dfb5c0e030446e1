import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { logIn, numberIn, outDir, shows, until, useBrowserSession } from './support/browser';

// The Excel import wizard as a user meets it: a real server with 20 demo customers, a real
// Chromium, a Hebrew CSV with a duplicate of an existing customer, a duplicate inside the file and
// a row with a bad phone: upload, map, preview, choose the policy, progress to 100%, the report.

const session = useBrowserSession('imports', () => ({ demoCustomers: 20 }));
let page: Page;
beforeAll(() => {
  page = session.page;
});

describe('import from Excel', () => {
  it('logs in', async () => {
    await logIn(page);
  });

  it('uploads, maps, previews, chooses the policy, runs to 100% and downloads the report', async () => {
    // An existing customer with an email: its row in the file is a duplicate.
    const list = await page.request.get('/api/v1/customers?limit=100');
    const existing = ((await list.json()) as { items: { id: string; email: string | null; customerNumber: number; city: string | null }[] }).items.find((c) => c.email);
    expect(existing).toBeTruthy();
    const csv = [
      'שם פרטי,שם משפחה,טלפון נייד,דוא"ל,עיר,הערה',
      'דנה,לוי,050-1234567,dana.import@example.com,חולון,לקוחה חדשה',
      'יוסי,כהן,052-7654321,,חיפה,',
      `קיים,בקובץ,,${existing!.email!.toUpperCase()},אילת,כפילות של לקוח קיים`,
      'דנה,שוב,+972-50-1234567,,,כפילות בקובץ',
      'טעות,בטלפון,12,,,',
    ].join('\r\n');

    await page.getByRole('link', { name: 'ייבוא מאקסל', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'ייבוא לקוחות מאקסל' }));
    await page.locator('input[type=file]').setInputFiles({ name: 'לקוחות.csv', mimeType: 'text/csv', buffer: Buffer.from(`\uFEFF${csv}`, 'utf8') });

    // Mapping: recognised Hebrew headers come pre-filled; "הערה" is not imported.
    const mapping = page.getByRole('table', { name: /עמודות הקובץ .* ושדות הכרטיס/ });
    await shows(mapping);
    expect(await page.getByRole('combobox', { name: 'שדה בכרטיס לעמודה שם פרטי' }).inputValue()).toBe('שם פרטי');
    expect(await page.getByRole('combobox', { name: 'שדה בכרטיס לעמודה טלפון נייד' }).inputValue()).toBe('טלפון');
    expect(await page.getByRole('combobox', { name: 'שדה בכרטיס לעמודה הערה' }).inputValue()).toBe('— לא לייבא —');
    await page.getByRole('button', { name: 'שמירת ההתאמה לפעם הבאה' }).click();
    await shows(page.getByText('ההתאמה נשמרה', { exact: false }));
    await page.getByRole('button', { name: 'המשך', exact: true }).click();

    // Preview: the bad phone, the in-file duplicate, the existing customer.
    const preview = page.getByRole('table', { name: /השורות הראשונות/ });
    await shows(preview);
    const row = (n: number) => preview.locator(`tr[data-row="${n}"]`);
    await shows(row(6).getByText('מספר טלפון לא תקין'));
    await shows(row(5).getByText('כפילות בקובץ: כמו שורה 2'));
    await shows(row(4).getByText('לקוח קיים:'));

    // The policy: fill missing fields; row 4 (the existing customer) is overridden to skip.
    await page.locator('label', { hasText: 'להשלים שדות חסרים' }).first().click();
    const action4 = page.getByRole('combobox', { name: 'פעולה לשורה 4' });
    await until(async () => (await action4.inputValue()) === 'להשלים שדות חסרים', 'row 4 to follow the policy');
    await action4.click();
    await page.getByRole('option', { name: 'לדלג', exact: true }).click();
    expect(await action4.inputValue()).toBe('לדלג');

    await page.getByRole('button', { name: 'התחלת הייבוא' }).click();
    const bar = page.getByRole('progressbar', { name: 'התקדמות הייבוא' });
    await shows(bar);
    await until(async () => (await bar.getAttribute('aria-valuenow')) === '100', 'the progress bar at 100%', 90_000);
    await shows(page.getByText('הייבוא הסתיים').first(), 30_000);
    const count = (label: string) => numberIn(page.getByText(label, { exact: true }).locator('xpath=following-sibling::*[1]'));
    expect(await count('נוצרו')).toBe(2);
    expect(await count('דולגו')).toBe(2);
    expect(await count('נדחו')).toBe(1);
    expect(await count('הושלמו')).toBe(0);
    // Rows, not bytes: the five data rows of the file, all done.
    await shows(page.getByTestId('import-progress').getByText('5 מתוך 5 שורות (100%)'));
    await page.screenshot({ path: join(outDir, 'import-wizard.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'הורדת הדוח (Excel)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const saved = join(outDir, 'import-report.xlsx');
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 2).toString('latin1')).toBe('PK');

    // The existing customer kept its city (row 4 was skipped by the override).
    const after = await page.request.get(`/api/v1/customers/${existing!.id}`);
    expect(((await after.json()) as { city: string | null }).city).toBe(existing!.city);
  });

  it('a run taken over after a crash says it is resuming, with rows done of rows', async () => {
    const list = await page.request.get('/api/v1/imports');
    const [last] = ((await list.json()) as { items: Record<string, unknown>[] }).items;
    // The server's answer while a stopped run's lease is being recovered (as the server tests make it).
    const resuming = { ...last, state: 'running', finishedAt: null, total: 6000, rowsDone: 6000, rowsTotal: 20000, progress: 0.3, resuming: true };
    await page.route(`**/api/v1/imports/${last!.id}`, (route) => route.fulfill({ json: resuming }));
    await page.goto(`/customers/import?import=${last!.id}`);
    await shows(page.getByRole('heading', { name: 'ממשיך אחרי הפסקה…' }));
    await shows(page.getByTestId('import-resuming').getByText('הייבוא נעצר באמצע', { exact: false }));
    await shows(page.getByTestId('import-progress').getByText('6,000 מתוך 20,000 שורות (30%)'));
    expect(await page.getByRole('progressbar', { name: 'התקדמות הייבוא' }).getAttribute('aria-valuenow')).toBe('30');
    await page.screenshot({ path: join(outDir, 'import-resuming.png'), fullPage: true });
    await page.unroute(`**/api/v1/imports/${last!.id}`);
  });
});
