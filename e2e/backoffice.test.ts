import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, outDir, shows, useBrowserSession } from './support/browser';

// The back office as a user meets it: a real server with a fresh database, a real Chromium,
// and only what is on the screen (labels, buttons, visible text).

const admin = ADMIN;
const customer = { lastName: 'כהן', firstName: 'דנה', fullName: 'דנה כהן', phone: '050-123 4567' };

const session = useBrowserSession('backoffice');
let page: Page;


/** The customer card's header, a region named after the customer. */
const cardHeader = () => page.getByRole('region', { name: customer.fullName });

/** Closes the "saved" / "logged" notes, so screenshots show the card itself. */
async function dismissNotes(closeLabel: string): Promise<void> {
  const close = page.getByRole('status').getByRole('button', { name: closeLabel });
  while ((await close.count()) > 0) await close.first().click();
}

async function openStatusMenu(): Promise<void> {
  await page.getByRole('button', { name: 'שינוי סטטוס' }).click();
  await shows(page.getByRole('menu'));
}

async function closeMenu(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'hidden' });
}

async function logInteraction(type: string, subject: string): Promise<void> {
  await page.getByRole('combobox', { name: 'סוג מגע' }).click();
  await page.getByRole('option', { name: type, exact: true }).click();
  await page.getByLabel('נושא').fill(subject);
  await page.getByRole('button', { name: 'תעד', exact: true }).click();
  await shows(page.getByText(subject, { exact: true }));
}

beforeAll(() => {
  page = session.page;
});

describe('back office', () => {
  it('opens in Hebrew, right to left, and logs in', async () => {
    await page.goto('/');
    await shows(page.getByRole('heading', { name: 'כניסה למערכת' }));
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');

    await page.getByLabel('דוא"ל', { exact: true }).fill(admin.email);
    await page.getByLabel('סיסמה', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'כניסה', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'לקוחות', exact: true }));
  });

  it('creates a customer with a Hebrew name', async () => {
    await page.getByRole('link', { name: 'לקוח חדש' }).first().click();
    await shows(page.getByRole('heading', { name: 'לקוח חדש' }));
    await page.getByLabel('שם משפחה / חברה').fill(customer.lastName);
    await page.getByLabel('שם פרטי', { exact: true }).fill(customer.firstName);
    await page.getByLabel('טלפון', { exact: true }).fill(customer.phone);
    await page.getByRole('button', { name: 'צור לקוח' }).click();

    await shows(page.getByRole('heading', { name: customer.fullName }));
    await shows(cardHeader().getByText('חדש', { exact: true }));
    await shows(cardHeader().getByText('מספר לקוח'));
  });

  it('finds it by its phone number in international format', async () => {
    await page.getByRole('link', { name: 'לקוחות', exact: true }).click();
    await page.getByLabel('חיפוש לקוח').fill('+972501234567');
    const results = page.getByRole('table', { name: 'תוצאות החיפוש' });
    await shows(results.getByRole('link', { name: customer.fullName }));
    await shows(page.getByText('לקוחות: 1', { exact: true }));
  });

  it('shows the duplicate dialog when the same customer is created again', async () => {
    await page.getByRole('link', { name: 'לקוח חדש' }).first().click();
    await shows(page.getByRole('heading', { name: 'לקוח חדש' }));
    await page.getByLabel('שם משפחה / חברה').fill(customer.lastName);
    await page.getByLabel('שם פרטי', { exact: true }).fill(customer.firstName);
    await page.getByLabel('טלפון', { exact: true }).fill(customer.phone);
    await page.getByRole('button', { name: 'צור לקוח' }).click();

    const dialog = page.getByRole('dialog', { name: 'נמצאו לקוחות דומים' });
    await shows(dialog);
    const match = dialog.getByRole('region', { name: customer.fullName });
    await shows(match.getByText('התאמה לפי: טלפון'));
    await shows(match.getByText('+972501234567').or(match.getByText(customer.phone)));
    await shows(match.getByRole('button', { name: 'השלם את הכרטיס הקיים בפרטים החדשים' }));
    // Duplicates are not allowed by default, so "create anyway" is not offered.
    expect(await dialog.getByRole('button', { name: 'צור בכל זאת' }).count()).toBe(0);

    await match.getByRole('button', { name: 'פתח את הכרטיס הקיים' }).click();
    await shows(page.getByRole('heading', { name: customer.fullName }));
  });

  it('moves the status along legal paths only, and says why a move is refused', async () => {
    // While New, "fictitious" is a legal move.
    await openStatusMenu();
    expect(await page.getByRole('menuitem', { name: 'לקוח פיקטיבי' }).isEnabled()).toBe(true);
    await closeMenu();

    // An unanswered call moves a new lead to follow-up by itself.
    await page.getByRole('tab', { name: 'מגעים והתקשרויות' }).click();
    await logInteraction('שיחה שלא נענתה', 'אין מענה');
    await shows(cardHeader().getByText('במעקב', { exact: true }));

    // No longer New: "fictitious" is refused, with the reason; "not interested" needs a summary first.
    await openStatusMenu();
    const fictitious = page.getByRole('menuitem', { name: /לקוח פיקטיבי/ });
    expect(await fictitious.isDisabled()).toBe(true);
    await shows(page.getByRole('menu').getByText('ניתן לסמן לקוח כפיקטיבי רק כשהוא בסטטוס חדש'));
    expect(await page.getByRole('menuitem', { name: /הלקוח אינו מעוניין/ }).isDisabled()).toBe(true);
    await shows(page.getByRole('menu').getByText('יש לרשום תחילה סיכום פגישה / תקציר אירוע'));
    await closeMenu();

    // After a meeting summary, "not interested" becomes a legal move.
    await logInteraction('סיכום פגישה / תקציר אירוע', 'הלקוח ביקש לא לחזור אליו');
    await openStatusMenu();
    await page.getByRole('menuitem', { name: 'הלקוח אינו מעוניין', exact: true }).click();
    await shows(cardHeader().getByText('הלקוח אינו מעוניין', { exact: true }));

    await page.getByRole('tab', { name: 'ראשי' }).click();
    await shows(page.getByLabel('שם משפחה / חברה'));
    await dismissNotes('סגור');
    await page.screenshot({ path: join(outDir, 'customer-card-he.png'), fullPage: true });
  });

  it('switches to English and the layout flips to left to right', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await shows(page.getByRole('tab', { name: 'Main' }));
    await shows(page.getByLabel('Last name / company'));
    await shows(cardHeader().getByText('Not interested', { exact: true }));
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('ltr');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await dismissNotes('Close');
    await page.screenshot({ path: join(outDir, 'customer-card-en.png'), fullPage: true });

    // The server words its reasons in the interface's language too.
    await page.getByRole('button', { name: 'Change status' }).click();
    await shows(page.getByRole('menu').getByText('A customer can be marked fictitious only while New'));
    await page.keyboard.press('Escape');

    // The choice is remembered.
    await page.reload();
    await shows(page.getByRole('tab', { name: 'Interactions' }));
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('ltr');
  });
});
