import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { rng as seeded } from '../demo/builders.js';
import { readXlsxRows, type Cell } from '../spreadsheets/index.js';
import { useApp } from '../../testing/index.js';
import { insertCustomers } from './bulk.js';

/** The Excel export of a list, read back as a user's spreadsheet program would. */
const t = useApp();

async function download(url: string, lang = 'he'): Promise<{ status: number; headers: Record<string, unknown>; rows: Cell[][]; body: string; raw: Buffer }> {
  const res = await t.app.inject({ method: 'GET', url, headers: { cookie: t.admin.cookie!, 'accept-language': lang } });
  if (res.statusCode !== 200) return { status: res.statusCode, headers: res.headers, rows: [], body: res.body, raw: res.rawPayload };
  const rows: Cell[][] = [];
  for await (const r of readXlsxRows(Readable.from(res.rawPayload))) rows.push(r.values);
  return { status: 200, headers: res.headers, rows, body: '', raw: res.rawPayload };
}

const create = (body: Record<string, unknown>) => t.admin.post('/api/v1/customers', body).then((r) => {
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; customerNumber: number };
});

describe('Excel export', () => {
  it('exports the filtered list with Hebrew headers, labels and real dates, right to left', async () => {
    await t.admin.post('/api/v1/custom-fields', { key: 'club', labelHe: 'מועדון', labelEn: 'Club', type: 'checkbox' });
    const dana = await create({ firstName: 'דנה', lastName: 'לוי', phone: '050-123 4567', email: 'dana@example.com', city: 'חיפה', custom: { club: true } });
    const moshe = await create({ firstName: 'משה', lastName: 'כהן', phone: '052-765 4321', city: 'תל אביב' });
    await create({ firstName: 'Other', lastName: 'Status', phone: '053-111 2222' });
    const other = await t.admin.get<{ items: { id: string }[] }>('/api/v1/customers?q=Status');
    expect((await t.admin.patch(`/api/v1/customers/${other.body.items[0]!.id}`, { status: 'fictitious' })).status).toBe(200);

    const file = await download('/api/v1/customers/export.xlsx?status=new&sort=number_asc&columns=customerNumber,firstName,lastName,status,phone,email,city,branch,createdAt,cf.club');
    expect(file.status, file.body).toBe(200);
    expect(file.headers['content-type']).toContain('spreadsheetml');
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="customers-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const [header, ...data] = file.rows;
    expect(header).toEqual(['מספר לקוח', 'שם פרטי', 'שם משפחה / חברה', 'סטטוס', 'טלפון', 'דוא"ל', 'עיר', 'סניף', 'מועד יצירה', 'מועדון']);
    expect(data.map((r) => r[0])).toEqual([dana.customerNumber, moshe.customerNumber]);
    expect(data[0]!.slice(1, 8)).toEqual(['דנה', 'לוי', 'חדש', '050-123 4567', 'dana@example.com', 'חיפה', expect.any(String)]);
    // A real date cell with a date format (what the spreadsheet program shows as a date).
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(file.raw as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.views[0]?.rightToLeft).toBe(true);
    const created = sheet.getRow(2).getCell(9);
    expect(created.numFmt).toBe('yyyy-mm-dd hh:mm');
    expect(created.value).toBeInstanceOf(Date);
    // Israel's wall-clock time: two or three hours ahead of UTC.
    const ahead = ((created.value as Date).getTime() - Date.now()) / 3_600_000;
    expect(ahead).toBeGreaterThan(1.5);
    expect(ahead).toBeLessThan(3.5);
    expect(data[0]![9]).toBe('כן');
    expect(data[1]![9] ?? null).toBeNull(); // never set: empty, not "no"
  });

  it('speaks English with ?lang=en or Accept-Language, takes the default columns, follows the sort', async () => {
    const a = await create({ firstName: 'Ann', lastName: 'Adams', email: 'ann@example.com' });
    const b = await create({ firstName: 'Bob', lastName: 'Brown', email: 'bob@example.com' });
    const en = await download('/api/v1/customers/export.xlsx?sort=number_desc', 'en');
    expect(en.rows[0]).toEqual(['Customer number', 'First name', 'Last name / company', 'Status', 'Phone', 'Email', 'ID / company number', 'City', 'Branch', 'Created at']);
    expect(en.rows.slice(1).map((r) => r[0])).toEqual([b.customerNumber, a.customerNumber]);
    expect(en.rows[1]![3]).toBe('New');
    const forced = await download('/api/v1/customers/export.xlsx?lang=en&sort=name_asc&columns=fullName', 'he');
    expect(forced.rows).toEqual([['Customer name'], ['Ann Adams'], ['Bob Brown']]);
  });

  it('refuses an unknown column, naming it, and a bad filter', async () => {
    const bad = await t.admin.get('/api/v1/customers/export.xlsx?columns=firstName,cf.nope', { 'accept-language': 'en' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('cf.nope');
    expect((await t.admin.get('/api/v1/customers/export.xlsx?columns=password')).status).toBe(400);
    expect((await t.admin.get('/api/v1/customers/export.xlsx?status=nope')).status).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/customers/export.xlsx' })).statusCode).toBe(401);
  });

  it('pages through thousands of cards in order, and only this database’s', async () => {
    const other = await import('../../testing/index.js').then((m) => m.seedTenant(t.db));
    await insertCustomers(t.db, other.tenantId, [{ lastName: 'Elsewhere', createdBy: 'test' }]);
    const cards = Array.from({ length: 4500 }, (_, i) => ({ lastName: `לקוח ${i}`, createdBy: 'test' }));
    await insertCustomers(t.db, t.fx.tenantId, cards);
    const file = await download('/api/v1/customers/export.xlsx?sort=number_asc&columns=customerNumber,lastName');
    expect(file.rows.length).toBe(4501);
    const numbers = file.rows.slice(1).map((r) => r[0] as number);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(4500);
    expect(file.rows.some((r) => r[1] === 'Elsewhere')).toBe(false);
  });

  it('fuzz: 10,000 random cells, every formula trigger neutralised, Hebrew back intact', async () => {
    const rng = seeded(20261123);
    const triggers = ['=', '+', '-', '@', '\t', '\r'];
    const alphabet = 'אבגדהוזחטיכלמנסעפצקרשתםןףךץ abcXYZ0123456789"\'(),;:!?.<>&ְֱ';
    const cell = (): string => {
      const lead = rng() < 0.5 ? triggers[Math.floor(rng() * triggers.length)]! : '';
      const body = Array.from({ length: 1 + Math.floor(rng() * 24) }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
      const evil = ['SUM(1+1)', 'HYPERLINK("http://x","y")', 'cmd|\' /C calc\'!A0', '1+1'][Math.floor(rng() * 4)]!;
      return lead + (lead && rng() < 0.5 ? evil : body).trim() || 'x';
    };
    const fields = ['firstName', 'lastName', 'middleName', 'city', 'address'] as const;
    const cards = Array.from({ length: 2000 }, () => Object.fromEntries([...fields.map((f) => [f, cell()]), ['createdBy', 'test']]) as Record<(typeof fields)[number] | 'createdBy', string>);
    await insertCustomers(t.db, t.fx.tenantId, cards);

    const file = await download(`/api/v1/customers/export.xlsx?sort=number_asc&columns=${fields.join(',')}`);
    const data = file.rows.slice(1);
    expect(data.length).toBe(2000);
    let neutralised = 0;
    data.forEach((row, i) => {
      fields.forEach((f, j) => {
        const sent = cards[i]![f];
        const got = row[j];
        expect(typeof got).toBe('string');
        expect(/^[=+\-@\t\r\0]/.test(got as string), `row ${i + 2} ${f}: ${JSON.stringify(got)}`).toBe(false);
        // XML reads a carriage return back as a line feed (the spreadsheet shows a line break either way).
        const want = sent.replace(/\r/g, '\n');
        if (/^[=+\-@\t\r]/.test(sent)) {
          neutralised++;
          expect(got).toBe(`'${want}`);
        } else expect(got).toBe(want);
      });
    });
    expect(neutralised).toBeGreaterThan(2000);
  });

  it('an invalid filter is a 400 in JSON before the first byte, never a 200 that breaks off', async () => {
    await create({ lastName: 'Someone', phone: '050-123 4567' });
    const nosuch = await t.admin.get('/api/v1/customers/export.xlsx?cf.nosuch=x', { 'accept-language': 'en' });
    expect(nosuch.status, String(nosuch.body)).toBe(400);
    expect(nosuch.headers['content-type']).toContain('json');
    expect(nosuch.body).toMatchObject({ code: 'validation' });
    await t.admin.post('/api/v1/custom-fields', { key: 'size', labelHe: 'גודל', labelEn: 'Size', type: 'number' });
    const badValue = await t.admin.get('/api/v1/customers/export.xlsx?cf.size=big', { 'accept-language': 'en' });
    expect(badValue.status).toBe(400);
    expect(badValue.body).toMatchObject({ code: 'validation' });
    // A search the database refuses (a NUL in q) is never a 200 that breaks off.
    const nul = await t.app.inject({ method: 'GET', url: '/api/v1/customers/export.xlsx?q=a%00b', headers: { cookie: t.admin.cookie! } });
    expect(nul.statusCode).not.toBe(200);
    expect(nul.headers['content-type']).toContain('json');
  });

  it('at most 2 exports at once per user and 4 per database (429, clearly); searches stay quick beside them', async () => {
    await insertCustomers(t.db, t.fx.tenantId, Array.from({ length: 20_000 }, (_, i) => ({ lastName: `לקוח ${i}`, phone: `050${String(1_000_000 + i)}`, city: 'חיפה', createdBy: 'test' })));
    const keys = await Promise.all(['one', 'two'].map(async (name) => (await t.admin.post('/api/v1/api-keys', { name })).body.key as string));
    const exportBy = (headers: Record<string, string>) =>
      t.app.inject({ method: 'GET', url: '/api/v1/customers/export.xlsx?sort=number_asc', headers: { 'accept-language': 'en', ...headers } });
    const admin = { cookie: t.admin.cookie! };
    const staff = { cookie: t.staff.cookie! };
    const key = (k: string) => ({ authorization: `Bearer ${k}` });

    // Three at once by one user: two run, the third is told to wait.
    const three = await Promise.all([exportBy(admin), exportBy(admin), exportBy(admin)]);
    expect(three.map((r) => r.statusCode).sort()).toEqual([200, 200, 429]);
    const refused = three.find((r) => r.statusCode === 429)!;
    expect(refused.json()).toEqual({ code: 'too_many_requests', message: 'You already have 2 exports running. Wait for one to finish and try again.' });
    for (const r of three.filter((x) => x.statusCode === 200)) {
      let n = 0;
      for await (const _ of readXlsxRows(Readable.from(r.rawPayload))) n++;
      expect(n).toBe(20_001);
    }

    // Five at once by four callers of one database: four run, the fifth waits. A search meanwhile answers quickly.
    const started = Date.now();
    const five = Promise.all([exportBy(admin), exportBy(admin), exportBy(staff), exportBy(key(keys[0]!)), exportBy(key(keys[1]!))]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const searches: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = Date.now();
      const found = await t.staff.get('/api/v1/customers?q=לקוח 1999');
      expect(found.status).toBe(200);
      searches.push(Date.now() - at);
    }
    const answers = await five;
    const took = Date.now() - started;
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 429]);
    expect(answers.find((r) => r.statusCode === 429)!.json().message).toBe('This database already has 4 exports running. Try again in a minute.');
    console.log(`4 exports of 20,000 rows: ${took} ms; searches beside them: ${searches.join(', ')} ms`);
    expect(Math.max(...searches)).toBeLessThan(2000);
    // The places are given back: the next export runs.
    expect((await exportBy(admin)).statusCode).toBe(200);
  }, 120_000);
});
