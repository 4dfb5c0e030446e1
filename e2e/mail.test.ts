import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { logIn, numberIn, outDir, shows, until, useBrowserSession } from './support/browser';
import { startSmtpSink, type SmtpSink } from './support/smtp';

// The mail module as a user meets it: a real server whose default mailbox (SMTP_URL) is a real
// SMTP server on loopback in this process, 40 demo customers, a real Chromium.

const mailFrom = { name: 'Kesher e2e', address: 'noreply@kesher.test' };
const INVITEES = 20;

let sink: SmtpSink;
const session = useBrowserSession('mail', async () => {
  sink = await startSmtpSink();
  return { env: { SMTP_URL: sink.url, MAIL_FROM: `${mailFrom.name} <${mailFrom.address}>` }, demoCustomers: 40 };
});
let page: Page;
beforeAll(() => {
  page = session.page;
});
afterAll(async () => {
  await sink?.close();
});

/** Closes the notes at the screen's corner, so screenshots show the page itself. */
async function dismissNotes(): Promise<void> {
  const close = page.getByRole('status').getByRole('button', { name: 'סגור' });
  while ((await close.count()) > 0) await close.first().click();
}

describe('mail', () => {
  it('logs in', async () => {
    await logIn(page);
  });

  it(`invites ${INVITEES} customers of the Israel branch to the website, watches the run finish, downloads the report`, async () => {
    // From the customer list, filtered to the Israel branch: "invite these customers".
    await page.getByRole('combobox', { name: 'סניף', exact: true }).click();
    await page.getByRole('option', { name: 'ישראל', exact: true }).click();
    await until(() => page.url().includes('branchId='), 'the branch filter in the address');
    await page.getByRole('link', { name: 'הזמן לקוחות אלה לאתר' }).click();
    await shows(page.getByRole('heading', { name: 'הזמן לקוחות לאתר האינטרנט' }));

    // Step 1: the same filter; pick 20 of its customers.
    const table = page.getByRole('table', { name: 'תוצאות החיפוש' });
    const rows = table.getByRole('checkbox', { name: /^בחר את (?!כל)/ });
    await shows(rows);
    expect(await rows.count()).toBeGreaterThanOrEqual(INVITEES);
    for (let i = 0; i < INVITEES; i++) await rows.nth(i).check();
    await shows(page.getByText(`הרשימה: ${INVITEES} לקוחות שנבחרו`));
    await page.getByRole('button', { name: 'הבא', exact: true }).click();

    // Step 2: the preview's counts.
    const counts = page.getByRole('table', { name: 'מה יקרה בשליחה' });
    await shows(counts);
    const count = (label: string) => numberIn(counts.getByRole('row', { name: label, exact: false }).getByRole('cell'));
    expect(await count('לקוחות ברשימה')).toBe(INVITEES);
    const willSend = await count('יישלחו');
    const skipped = await count('ידולגו');
    expect(willSend + skipped).toBe(INVITEES);
    expect(willSend).toBeGreaterThan(0);
    expect(await count('יקבלו סיסמה חדשה')).toBeGreaterThan(0);

    // Step 3: confirm; the progress bar reaches 100%.
    await page.getByRole('button', { name: /^אשר ושלח הזמנות/ }).click();
    const bar = page.getByRole('progressbar', { name: 'התקדמות השליחה' });
    await shows(bar);
    await until(async () => (await bar.getAttribute('aria-valuenow')) === '100', 'the progress bar at 100%', 90_000);
    await shows(page.getByText('השליחה הסתיימה'), 30_000);
    const sent = await numberIn(page.getByText('נשלחו', { exact: true }).locator('xpath=following-sibling::*[1]'));
    expect(sent).toBe(willSend);

    // Every message reached the SMTP server, once per customer, from the server's default mailbox.
    await until(() => sink.messages.length >= sent, `${sent} messages at the SMTP sink`, 30_000);
    expect(sink.messages.length).toBe(sent);
    expect(new Set(sink.messages.flatMap((m) => m.to)).size).toBe(sent);
    for (const m of sink.messages) {
      expect(m.from).toBe(mailFrom.address);
      expect(m.headers.get('from')).toContain(mailFrom.address);
    }

    await dismissNotes();
    await page.screenshot({ path: join(outDir, 'mail-invitation-wizard.png'), fullPage: true });

    // The per-customer report downloads as an .xlsx (a zip file).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'הורד דו"ח (.xlsx)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const saved = join(outDir, 'mail-invitation-report.xlsx');
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 2).toString('latin1')).toBe('PK');

    // The run is in the sending history with its counts.
    await page.getByRole('button', { name: 'דיוור', exact: true }).click();
    await page.getByRole('menuitem', { name: 'היסטוריית שליחות' }).click();
    const history = page.getByRole('table', { name: 'הזמנות לאתר' });
    await shows(history.getByRole('link', { name: 'הורד (.xlsx)' }));
  });

  it('shows the Hebrew invitation template right to left in the editor preview, and names an unknown field', async () => {
    await page.getByRole('button', { name: 'דיוור', exact: true }).click();
    await page.getByRole('menuitem', { name: 'תבניות דוא"ל' }).click();
    await shows(page.getByRole('heading', { name: 'תבניות דוא"ל' }));

    const frame = page.frameLocator('iframe[title="תצוגה מקדימה של ההודעה"]');
    await shows(frame.locator('html[dir="rtl"]'), 30_000);
    expect(await frame.locator('html').getAttribute('lang')).toBe('he');
    expect(await frame.locator('body').innerText()).toContain('שלום');
    // The password never appears in a preview.
    expect(await frame.locator('body').innerText()).toContain('••••');

    // A field from the list goes in at the cursor; an unknown one is refused by name.
    const html = page.getByLabel('תוכן ההודעה (HTML)');
    await html.click();
    await html.press('Control+End');
    await html.pressSequentially('<p>{#No_Such_Field}</p>');
    await shows(page.getByRole('alert').filter({ hasText: '{#No_Such_Field}' }), 15_000);
    await html.press('Control+End');
    for (let i = 0; i < '{#No_Such_Field}</p>'.length; i++) await html.press('Backspace');
    await page.getByRole('button', { name: /\{#Client_Number\}/ }).click();
    await html.pressSequentially('</p>');
    expect(await html.inputValue()).toContain('<p>{#Client_Number}</p>');
    await until(async () => (await frame.locator('body').innerText()).includes('שלום') && (await page.getByRole('alert').count()) === 0, 'the preview again');

    await page.getByRole('region', { name: 'תצוגה מקדימה' }).scrollIntoViewIfNeeded().catch(() => {});
    await page.screenshot({ path: join(outDir, 'mail-template-editor.png'), fullPage: true });
  });
});
