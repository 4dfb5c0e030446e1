import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { logIn, shows, until, useBrowserSession } from './support/browser';
import { startSmtpSink, type SmtpSink } from './support/smtp';

// The owner's screen (issue 10 §2): the first administrator of a fresh server is its owner; they
// create a second database, whose first administrator gets an emailed link, chooses a name and a
// password and lands in the new database. Screenshots in Hebrew and English at 1400 and 390 px go
// to KESHER_SHOTS_DIR when it is set.

let sink: SmtpSink;
const session = useBrowserSession('owner', async () => {
  sink = await startSmtpSink();
  return { env: { SMTP_URL: sink.url, MAIL_FROM: 'Kesher e2e <noreply@kesher.test>' } };
});
let page: Page;
beforeAll(() => {
  page = session.page;
});
afterAll(async () => {
  await sink?.close();
});

const shotsDir = process.env.KESHER_SHOTS_DIR;
async function shoot(name: string): Promise<void> {
  if (!shotsDir) return;
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

/** The invitation link in a message as sent (quoted-printable or base64 parts). */
function linkIn(raw: string): string | null {
  const qp = raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
  const direct = qp.match(/https?:\/\/[^\s"<>]+\/accept-invitation\?token=[\w-]+/);
  if (direct) return direct[0];
  for (const m of raw.matchAll(/\r?\n\r?\n([A-Za-z0-9+/=\r\n]{40,})/g)) {
    const text = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64').toString('utf8');
    const found = text.match(/https?:\/\/[^\s"<>]+\/accept-invitation\?token=[\w-]+/);
    if (found) return found[0];
  }
  return null;
}

describe('the owner’s databases', () => {
  it('logs in as the owner and sees the databases', async () => {
    await logIn(page);
    await page.getByRole('link', { name: 'מאגרים', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'מאגרים', exact: true }));
    const table = page.getByRole('table', { name: 'מאגרים' });
    await shows(table.getByRole('cell', { name: 'Kesher', exact: true }));
  });

  it('creates a database and lists it; its first admin is invited by email', async () => {
    await page.getByRole('button', { name: 'מאגר חדש', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('שם המאגר', { exact: false }).fill('סניף צפון');
    await dialog.getByLabel('דוא"ל המנהל הראשון', { exact: false }).fill('north.admin@example.com');
    await dialog.getByRole('button', { name: 'שמור', exact: true }).click();
    const table = page.getByRole('table', { name: 'מאגרים' });
    await shows(table.getByRole('cell', { name: 'סניף צפון', exact: true }));
    expect(await table.getByRole('row').count()).toBe(3); // heading + two databases
    await until(() => sink.messages.some((m) => m.to.includes('north.admin@example.com')), 'the invitation email');
  });

  it('the invited admin opens the link, chooses a name and a password, and works in the new database', async () => {
    const message = sink.messages.find((m) => m.to.includes('north.admin@example.com'))!;
    const link = linkIn(message.raw);
    expect(link).toMatch(/\/accept-invitation\?token=/);
    const context = await page.context().browser()!.newContext({ locale: 'he-IL', viewport: { width: 390, height: 844 } });
    const invitee = await context.newPage();
    await invitee.goto(link!);
    await shows(invitee.getByText('הוזמנת להצטרף למאגר "סניף צפון"'));
    if (shotsDir) await invitee.screenshot({ path: join(shotsDir, 'accept-he-390.png'), fullPage: true });
    await invitee.getByLabel('שם מלא', { exact: false }).fill('מנהלת הצפון');
    await invitee.getByLabel('סיסמה (10 תווים לפחות)', { exact: false }).fill('north-password-1');
    await invitee.getByRole('button', { name: 'יצירת חשבון והצטרפות' }).click();
    await shows(invitee.getByRole('heading', { name: 'לקוחות', exact: true }));
    await context.close();
    // The owner sees the new database's user.
    await page.reload();
    const row = page.getByRole('table', { name: 'מאגרים' }).getByRole('row', { name: /סניף צפון/ });
    await until(async () => (await row.innerText()).includes('1'), 'one user in the new database');
  });

  it('takes screenshots of the page in Hebrew and English at 1400 and 390 px', async () => {
    for (const [lang, switchTo] of [['he', null], ['en', 'English']] as const) {
      if (switchTo) await page.getByRole('button', { name: switchTo, exact: true }).click();
      await shows(page.getByRole('heading', { name: lang === 'he' ? 'מאגרים' : 'Databases', exact: true }));
      expect(await page.evaluate(() => document.documentElement.dir)).toBe(lang === 'he' ? 'rtl' : 'ltr');
      for (const width of [1400, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await shoot(`databases-${lang}-${width}`);
      }
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.getByRole('button', { name: lang === 'he' ? 'מאגר חדש' : 'New database', exact: true }).click();
      await shows(page.getByRole('dialog'));
      await shoot(`create-${lang}-1400`);
      await page.keyboard.press('Escape');
    }
    await page.getByRole('button', { name: 'עברית', exact: true }).click();
  });
});
