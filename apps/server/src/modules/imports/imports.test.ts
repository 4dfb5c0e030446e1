import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recognizeHeaders } from '@kesher/contracts';
import { rows } from '../../db/client.js';
import { createCustomer } from '../customers/service.js';
import { createDefinition } from '../custom-fields/service.js';
import { updateTenant } from '../tenants/service.js';
import { seedTenant, TestClient, useApp } from '../../testing/index.js';
import { readTable } from './read.js';
import { runAll, sheetOf, upload, xlsx } from './testing.js';

/**
 * Excel / CSV import (SPEC §2, issue 4 item 6) over real HTTP: recognised Hebrew / English
 * headers, .xlsx and Windows-1255 CSV, each duplicate policy and the per-row override, in-file
 * duplicates, rejected rows with row + column + reason, the report, undo, and bad files.
 */
const t = useApp();

const actor = () => ({ tenantId: t.fx.tenantId, region: 'IL', userId: null, actorName: 'test' });

async function start(file: Buffer, fields: Record<string, string>, filename = 'customers.xlsx', lang = 'en') {
  return upload(t.app, t.staff, '/api/v1/imports', file, fields, { filename, lang });
}

async function importFile(file: Buffer, fields: Record<string, string>, filename = 'customers.xlsx') {
  const r = await start(file, fields, filename);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  await runAll(t.db);
  const s = await t.staff.get(`/api/v1/imports/${r.body.id}`);
  expect(s.status).toBe(200);
  return s.body as { id: string; state: string; total: number; created: number; filled: number; renewed: number; skipped: number; rejected: number; progress: number };
}

const card = async (where: ReturnType<typeof sql>) =>
  (await rows<Record<string, any>>(t.db, sql`select * from customers where tenant_id = ${t.fx.tenantId} and ${where}`))[0];
const count = async () => (await rows<{ n: number }>(t.db, sql`select count(*)::int as n from customers where tenant_id = ${t.fx.tenantId}`))[0]!.n;

describe('header recognition', () => {
  it('recognises Hebrew and English headers, the export’s labels and spare fields', () => {
    expect(recognizeHeaders(['שם פרטי', 'שם משפחה', 'טלפון נייד', 'דוא"ל', 'ת.ז.', 'עיר', 'כתובת', 'מיקוד', 'הערות'])).toEqual({
      'שם פרטי': 'firstName',
      'שם משפחה': 'lastName',
      'טלפון נייד': 'phone',
      'דוא"ל': 'email',
      'ת.ז.': 'idNumber',
      עיר: 'city',
      כתובת: 'address',
      מיקוד: 'zip',
    });
    expect(recognizeHeaders(['First name', 'Last Name', 'Mobile', 'E-mail', 'ID', 'Phone', 'City'])).toEqual({
      'First name': 'firstName',
      'Last Name': 'lastName',
      Mobile: 'phone',
      'E-mail': 'email',
      ID: 'idNumber',
      Phone: 'phones',
      City: 'city',
    });
    expect(recognizeHeaders(['נייד', 'אימייל', 'תעודת זהות', 'טלפון'])).toEqual({ נייד: 'phone', אימייל: 'email', 'תעודת זהות': 'idNumber', טלפון: 'phones' });
    // The export's own headers (he / en) import back; spare fields by label or key.
    expect(recognizeHeaders(['שם משפחה / חברה', 'מספר זהות / ח.פ.', 'Last name / company', 'תחביב', 'cf.vip'], [
      { key: 'hobby', labelHe: 'תחביב', labelEn: 'Hobby' },
      { key: 'vip', labelHe: 'לקוח VIP', labelEn: 'VIP' },
    ])).toEqual({ 'שם משפחה / חברה': 'lastName', 'מספר זהות / ח.פ.': 'idNumber', תחביב: 'cf.hobby', 'cf.vip': 'cf.vip' });
  });
});

describe('reading', () => {
  it('reads an .xlsx the same whole (small files) and streamed (large ones)', async () => {
    const file = await xlsx([['שם פרטי', 'טלפון'], ['דנה', 501234567], [], ['יוסי', '052-7654321'], ['רון', null, 'עודף']]);
    const read = async (input: Buffer | Readable) => {
      const out: { rowNumber: number; cells: string[] }[] = [];
      for await (const r of readTable(input, 'xlsx', null)) out.push(r);
      return out;
    };
    const whole = await read(file);
    expect(whole.map((r) => [r.rowNumber, ...r.cells])).toEqual([
      [1, 'שם פרטי', 'טלפון'],
      [2, 'דנה', '501234567'],
      [4, 'יוסי', '052-7654321'],
      [5, 'רון', '', 'עודף'],
    ]);
    expect(await read(Readable.from([file]))).toEqual(whole);
  });
});

describe('an import', () => {
  it('imports an .xlsx with Hebrew rows: created by the engine, status New, report in Hebrew', async () => {
    await createDefinition(t.db, t.fx.tenantId, { key: 'hobby', labelHe: 'תחביב', labelEn: 'Hobby', type: 'text', options: [], required: false, position: 0 });
    const file = await xlsx([
      ['שם פרטי', 'שם משפחה', 'טלפון נייד', 'דוא"ל', 'ת.ז.', 'עיר', 'תחביב'],
      ['דנה', 'לוי', '050-1234567', 'Dana@Example.com', 18, 'תל אביב', 'שחייה'],
      ['יוסי', 'כהן', 527654321, null, null, 'חיפה', null],
      [],
      ['רון', 'כץ', null, 'ron@example.com', '123456782', 'ירושלים', null],
    ]);
    const s = await importFile(file, { policy: 'skip' }, 'לקוחות.xlsx');
    expect(s).toMatchObject({ state: 'done', total: 3, created: 3, filled: 0, renewed: 0, skipped: 0, rejected: 0, progress: 1 });
    const dana = await card(sql`email = 'Dana@Example.com'`);
    expect(dana).toMatchObject({ first_name: 'דנה', last_name: 'לוי', phone: '050-1234567', city: 'תל אביב', status: 'new', created_by: 'ייבוא מאקסל: לקוחות.xlsx', id_number: '18' });
    expect(dana!.phones_norm).toEqual(['+972501234567']);
    expect(dana!.id_number_norm).toBe('000000018');
    expect(dana!.custom).toEqual({ hobby: 'שחייה' });
    expect(dana!.branch_id).toBe(t.fx.branchId);
    const yossi = await card(sql`first_name = 'יוסי'`);
    expect(yossi!.phones_norm).toEqual(['+972527654321']);

    const report = await sheetOf(t.app, t.staff, `/api/v1/imports/${s.id}/report.xlsx`, 'he');
    expect(report.status).toBe(200);
    expect(report.rtl).toBe(true);
    expect(report.rows[0]).toEqual(['שורה', 'תוצאה', 'מספר לקוח', 'שם', 'עמודה', 'סיבה']);
    expect(report.rows.slice(1, 4).map((r) => [r[0], r[1], r[3]])).toEqual([
      ['2', 'נוצר', 'דנה לוי'],
      ['3', 'נוצר', 'יוסי כהן'],
      ['5', 'נוצר', 'רון כץ'],
    ]);
    expect(report.rows.at(-1)![1]).toContain('נוצרו 3');
  });

  it('reads a Windows-1255 CSV (semicolons, quotes, CRLF) and a UTF-8 CSV with a BOM', async () => {
    const text = 'שם פרטי;שם משפחה;נייד;אימייל\r\nדנה;"לוי; הבת";050-1234567;dana@example.com\r\nיוסי;כהן;052-7654321;\r\n';
    const encoder = new Map<string, number>();
    for (let c = 0x5d0; c <= 0x5ea; c++) encoder.set(String.fromCharCode(c), 0xe0 + (c - 0x5d0));
    const cp1255 = Buffer.from([...text].map((ch) => encoder.get(ch) ?? ch.charCodeAt(0)));
    expect(cp1255.includes(0xe3)).toBe(true);
    const s = await importFile(cp1255, { policy: 'skip' }, 'hebrew.csv');
    expect(s).toMatchObject({ state: 'done', total: 2, created: 2 });
    expect(await card(sql`email = 'dana@example.com'`)).toMatchObject({ first_name: 'דנה', last_name: 'לוי; הבת' });

    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('First name,Last name,Mobile\r\nMia,Cohen,"03-6123456"\r\n')]);
    const u = await importFile(utf8, { policy: 'skip' }, 'english.csv');
    expect(u).toMatchObject({ state: 'done', total: 1, created: 1 });
    expect(await card(sql`first_name = 'Mia'`)).toMatchObject({ last_name: 'Cohen', phone: '03-6123456' });
  });

  it('rejects invalid rows with row, column and reason; nothing of them is written', async () => {
    const file = await xlsx([
      ['שם פרטי', 'טלפון', 'דוא"ל', 'ת.ז.'],
      ['טובה', '050-1234567', 'tova@example.com', null],
      ['רעה', '12', 'not-an-email', '123456789'],
      [null, null, null, null],
      [null, null, null, null],
      ['אחר', '050-7777777', null, null],
    ]);
    const s = await importFile(file, { policy: 'skip' });
    expect(s).toMatchObject({ total: 3, created: 2, rejected: 1 });
    expect(await card(sql`first_name = 'רעה'`)).toBeUndefined();
    const report = await sheetOf(t.app, t.staff, `/api/v1/imports/${s.id}/report.xlsx`, 'en');
    expect(report.rows[0]).toEqual(['Row', 'Outcome', 'Customer number', 'Name', 'Column', 'Reason']);
    const rejected = report.rows.filter((r) => r[1] === 'rejected').map((r) => [r[0], r[4], r[5]]);
    expect(rejected).toEqual([
      ['3', 'דוא"ל', 'not a valid email address'],
      ['3', 'טלפון', 'not a valid phone number'],
      ['3', 'ת.ז.', 'not a valid Israeli ID number (check digit)'],
    ]);
  });

  it('applies the policy to duplicates: skip, fill (empty fields only), renew (back to New, Renewed)', async () => {
    const a = await createCustomer(t.db, actor(), { firstName: 'דנה', lastName: 'לוי', phone: '050-1234567', city: null });
    const b = await createCustomer(t.db, actor(), { firstName: 'יוסי', email: 'yossi@example.com' });
    await t.db.execute(sql`update customers set status = 'not_interested' where id = ${b.id}`);
    const c = await createCustomer(t.db, actor(), { firstName: 'רון', email: 'ron@example.com' });
    await t.db.execute(sql`update customers set status = 'real' where id = ${c.id}`);
    const rowsOf = [
      ['First name', 'Last name', 'Mobile', 'Email', 'City'],
      ['Dana', 'Levi', '+972 50 123 4567', null, 'חולון'],
      ['Yossi', 'Cohen', null, 'YOSSI@example.com', 'Eilat'],
      ['Ron', null, null, 'ron@example.com', 'Acre'],
    ];
    const file = await xlsx(rowsOf);

    const skipped = await importFile(file, { policy: 'skip' });
    expect(skipped).toMatchObject({ created: 0, skipped: 3 });
    expect(await card(sql`id = ${a.id}`)).toMatchObject({ first_name: 'דנה', city: null });

    const filled = await importFile(file, { policy: 'fill' });
    expect(filled).toMatchObject({ created: 0, filled: 3, skipped: 0 });
    expect(await card(sql`id = ${a.id}`)).toMatchObject({ first_name: 'דנה', last_name: 'לוי', city: 'חולון' });
    expect(await card(sql`id = ${b.id}`)).toMatchObject({ first_name: 'יוסי', last_name: 'Cohen', city: 'Eilat', status: 'not_interested' });

    const renewed = await importFile(file, { policy: 'renew' });
    // Dana is New already (marked renewed); Yossi was Not interested → New; Ron is a real customer: not a lead.
    expect(renewed).toMatchObject({ renewed: 2, skipped: 1 });
    expect(await card(sql`id = ${b.id}`)).toMatchObject({ status: 'new', website_last_token: 'renewed' });
    expect(await card(sql`id = ${c.id}`)).toMatchObject({ status: 'real' });
    const log = await rows<{ subject: string }>(t.db, sql`select subject from interactions where customer_id = ${b.id}`);
    expect(log.map((l) => l.subject)).toContain('status: not_interested → new');
    const report = await sheetOf(t.app, t.staff, `/api/v1/imports/${renewed.id}/report.xlsx`, 'en');
    expect(report.rows.find((r) => r[0] === '4')![5]).toMatch(/is not a lead/);
  });

  it('lets the preview override the policy per row; create only where duplicates are allowed', async () => {
    const a = await createCustomer(t.db, actor(), { firstName: 'דנה', phone: '050-1234567' });
    await createCustomer(t.db, actor(), { firstName: 'יוסי', email: 'yossi@example.com' });
    const file = await xlsx([
      ['שם פרטי', 'שם משפחה', 'נייד', 'אימייל'],
      ['דנה', 'לוי', '0501234567', null],
      ['יוסי', 'כהן', null, 'yossi@example.com'],
      ['חדשה', 'לגמרי', '052-1111111', null],
    ]);
    const refused = await start(file, { policy: 'skip', overrides: JSON.stringify({ 2: 'create' }) });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('duplicates_not_allowed');

    const s = await importFile(file, { policy: 'skip', overrides: JSON.stringify({ 2: 'fill', 4: 'skip' }) });
    expect(s).toMatchObject({ created: 0, filled: 1, skipped: 2 });
    expect(await card(sql`id = ${a.id}`)).toMatchObject({ last_name: 'לוי' });

    await updateTenant(t.db, t.fx.tenantId, { allowDuplicates: true });
    const d = await importFile(file, { policy: 'skip', overrides: JSON.stringify({ 3: 'create' }) });
    expect(d).toMatchObject({ created: 2, skipped: 1 });
    expect((await rows<{ n: number }>(t.db, sql`select count(*)::int as n from customers where email = 'yossi@example.com'`))[0]!.n).toBe(2);
  });

  it('detects duplicates inside the file, in one batch and across batches', async () => {
    const file = await xlsx([
      ['שם', 'טלפון', 'דוא"ל'],
      ['דנה לוי', '050-1234567', null],
      ['דנה ל.', '+972-50-1234567', null], // same phone as row 2 (same batch)
      ['יוסי', null, 'y@example.com'],
      ['רון', null, 'r@example.com'],
      ['יוסי שוב', null, 'Y@EXAMPLE.COM'], // same email as row 4 (another batch of 2)
    ]);
    const r = await start(file, { policy: 'fill' });
    await runAll(t.db, { batchSize: 2 });
    const s = (await t.staff.get(`/api/v1/imports/${r.body.id}`)).body;
    expect(s).toMatchObject({ state: 'done', total: 5, created: 3, skipped: 2, filled: 0 });
    expect(await count()).toBe(3);
    const report = await sheetOf(t.app, t.staff, `/api/v1/imports/${r.body.id}/report.xlsx`, 'en');
    expect(report.rows.find((x) => x[0] === '3')![5]).toBe('duplicate in the file: the same phone / email / ID as row 2');
    expect(report.rows.find((x) => x[0] === '6')![5]).toBe('duplicate in the file: the same phone / email / ID as row 4');
  });

  it('previews the first rows with problems, matches, in-file duplicates; a saved mapping is offered again', async () => {
    const a = await createCustomer(t.db, actor(), { lastName: 'לוי', phone: '050-1234567' });
    const file = await xlsx([
      ['רשימת לקוחות מהתערוכה'],
      ['Given', 'נייד', 'מייל', 'משהו'],
      ['דנה', '050-1234567', null, 'x'],
      ['חדש', '052-1234567', 'bad@', 'y'],
      ['חדש2', '052-2222222', null, 'z'],
      ['חדש3', '052-2222222', null, 'w'],
    ]);
    const p = await upload(t.app, t.staff, '/api/v1/imports/preview', file, { policy: 'fill' }, { lang: 'he' });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.mapping).toEqual({ נייד: 'phone', מייל: 'email' });
    expect(p.body.savedMapping).toBe(false);
    expect(p.body.identifying).toBe(true);
    expect(p.body.headers.map((h: { header: string; target: string }) => [h.header, h.target])).toEqual([
      ['Given', ''],
      ['נייד', 'phone'],
      ['מייל', 'email'],
      ['משהו', ''],
    ]);
    const [r3, r4, r5, r6] = p.body.rows;
    // Only the phone is mapped so far: nothing to fill on the matching card.
    expect(r3).toMatchObject({ row: 3, outcome: 'skip', duplicateOfRow: null, problems: [] });
    expect(r3.matches.map((m: { id: string }) => m.id)).toEqual([a.id]);
    expect(r4).toMatchObject({ row: 4, outcome: 'reject', problems: [{ column: 'מייל', field: 'email', code: 'invalid_email', message: 'כתובת דוא"ל לא תקינה' }] });
    expect(r5).toMatchObject({ row: 5, outcome: 'create' });
    expect(r6).toMatchObject({ row: 6, outcome: 'skip', duplicateOfRow: 5 });
    expect(await count()).toBe(1);

    const mapping = { Given: 'firstName', נייד: 'phone', מייל: 'email' };
    const saved = await t.staff.request('PUT', '/api/v1/imports/mappings', { headers: ['Given', 'נייד', 'מייל', 'משהו'], mapping });
    expect(saved.status).toBe(204);
    const again = await upload(t.app, t.staff, '/api/v1/imports/preview', file, {});
    expect(again.body).toMatchObject({ savedMapping: true, mapping });
    expect(again.body.rows[0]).toMatchObject({ row: 3, outcome: 'skip' });
    const withFill = await upload(t.app, t.staff, '/api/v1/imports/preview', file, { policy: 'fill', mapping: JSON.stringify(mapping) });
    expect(withFill.body.rows[0]).toMatchObject({ row: 3, outcome: 'fill' });
    expect(again.body.rows[2].values).toEqual({ Given: 'חדש2', נייד: '052-2222222', מייל: '', משהו: 'z' });

    // The import with the mapping: the title line is passed over, the header row is row 2.
    const s = await importFile(file, { policy: 'fill', mapping: JSON.stringify(mapping) });
    expect(s).toMatchObject({ total: 4, filled: 1, created: 1, rejected: 1, skipped: 1 });
    expect(await card(sql`id = ${a.id}`)).toMatchObject({ first_name: 'דנה', last_name: 'לוי' });
    expect(await card(sql`first_name = 'חדש2'`)).toMatchObject({ phone: '052-2222222' });
  });

  it('imports an exported file back (Hebrew headers) into another database', async () => {
    await createCustomer(t.db, actor(), { firstName: 'דנה', lastName: 'לוי', phone: '050-1234567', email: 'dana@example.com', idType: 'israeli_id', idNumber: '000000018', city: 'חיפה', phones: ['03-6123456'], language: 'en' });
    await createCustomer(t.db, actor(), { lastName: 'חברת אור בע"מ', email: 'office@or.co.il', zip: '6100000' });
    const columns = 'customerNumber,status,firstName,lastName,idType,idNumber,phone,phones,email,address,city,zip,branch,language,createdAt';
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/customers/export.xlsx?columns=${columns}`, headers: { cookie: t.staff.cookie ?? '', 'accept-language': 'he' } });
    expect(res.statusCode).toBe(200);
    const other = await seedTenant(t.db);
    const client = await TestClient.login(t.app, other.staff.email);
    const r = await upload(t.app, client, '/api/v1/imports', res.rawPayload, { policy: 'skip' }, { filename: 'export.xlsx' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await runAll(t.db);
    expect((await client.get(`/api/v1/imports/${r.body.id}`)).body).toMatchObject({ state: 'done', total: 2, created: 2, rejected: 0 });
    const copied = await rows<Record<string, any>>(t.db, sql`select * from customers where tenant_id = ${other.tenantId} order by email`);
    expect(copied[0]).toMatchObject({ first_name: 'דנה', last_name: 'לוי', phone: '050-1234567', phones: ['03-6123456'], email: 'dana@example.com', id_type: 'israeli_id', id_number_norm: '000000018', city: 'חיפה', language: 'en', branch_id: other.branchId, status: 'new' });
    expect(copied[1]).toMatchObject({ first_name: null, last_name: 'חברת אור בע"מ', email: 'office@or.co.il', zip: '6100000' });
    // Into the same database: every row is a duplicate.
    const again = await importFile(res.rawPayload, { policy: 'skip' }, 'export.xlsx');
    expect(again).toMatchObject({ total: 2, created: 0, skipped: 2 });
  });

  it('undo removes what the import created and restores what it filled and renewed', async () => {
    const a = await createCustomer(t.db, actor(), { firstName: 'דנה', phone: '050-1234567' });
    const b = await createCustomer(t.db, actor(), { firstName: 'יוסי', email: 'yossi@example.com' });
    await t.db.execute(sql`update customers set status = 'fictitious' where id = ${b.id}`);
    const file = await xlsx([
      ['שם פרטי', 'שם משפחה', 'נייד', 'אימייל', 'עיר'],
      ['דנה', 'לוי', '050-1234567', 'dana@example.com', 'חולון'],
      ['חדש', 'לגמרי', '052-1111111', null, null],
    ]);
    const fill = await importFile(file, { policy: 'fill' });
    expect(fill).toMatchObject({ created: 1, filled: 1 });
    const filledCard = await card(sql`id = ${a.id}`);
    expect(filledCard).toMatchObject({ last_name: 'לוי', email: 'dana@example.com', city: 'חולון', emails_norm: ['dana@example.com'] });
    const renew = await importFile(await xlsx([['אימייל'], ['yossi@example.com']]), { policy: 'renew' });
    expect(renew).toMatchObject({ renewed: 1 });

    expect((await t.staff.post(`/api/v1/imports/${fill.id}/undo`)).status).toBe(403);
    const undone = await t.admin.post(`/api/v1/imports/${fill.id}/undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body).toMatchObject({ deleted: 1, restored: 1 });
    expect(await card(sql`id = ${a.id}`)).toMatchObject({ first_name: 'דנה', last_name: null, email: null, city: null, emails_norm: [], phones_norm: ['+972501234567'] });
    expect(await card(sql`first_name = 'חדש'`)).toBeUndefined();
    expect((await t.staff.get(`/api/v1/imports/${fill.id}`)).body.state).toBe('undone');
    expect((await t.admin.post(`/api/v1/imports/${fill.id}/undo`)).status).toBe(409);

    await t.admin.post(`/api/v1/imports/${renew.id}/undo`);
    expect(await card(sql`id = ${b.id}`)).toMatchObject({ status: 'fictitious', website_last_token: null });
  });

  it('resumes after a crash from the last committed batch, without doing a row twice', async () => {
    const data = Array.from({ length: 9 }, (_, i) => [`לקוח ${i}`, `052-100000${i}`]);
    const r = await start(await xlsx([['שם', 'נייד'], ...data]), { policy: 'skip' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await runAll(t.db, {
      batchSize: 4,
      retrySeconds: 120,
      leaseSeconds: 120,
      onBatch: ({ index }) => {
        if (index === 0) throw new Error('crash after the first batch');
      },
    });
    const half = (await t.staff.get(`/api/v1/imports/${r.body.id}`)).body;
    expect(half).toMatchObject({ state: 'running', total: 4, created: 4 });
    await t.db.execute(sql`update imports set claimed_at = now() - interval '1 hour'`);
    await runAll(t.db, { batchSize: 4 });
    const done = (await t.staff.get(`/api/v1/imports/${r.body.id}`)).body;
    expect(done).toMatchObject({ state: 'done', total: 9, created: 9 });
    expect(await count()).toBe(9);
    expect((await rows<{ n: number }>(t.db, sql`select count(*)::int as n from import_chunks`))[0]!.n).toBe(0);
  });
});

describe('bad input', () => {
  it('refuses files that are not spreadsheets, old .xls, empty sheets, header-only sheets, no identifying column, bad fields', async () => {
    const expectRefusal = async (file: Buffer | null, fields: Record<string, string>, status: number, code: string, message?: RegExp, filename?: string) => {
      const r = await start(file as Buffer, fields, filename);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.code).toBe(code);
      if (message) expect(r.body.message).toMatch(message);
    };
    await expectRefusal(Buffer.from('%PDF-1.4 \x00\x01\x02 binary'), { policy: 'skip' }, 400, 'validation', /not a spreadsheet/, 'x.pdf');
    await expectRefusal(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), { policy: 'skip' }, 400, 'validation', /\.xls/, 'old.xls');
    await expectRefusal(Buffer.from('PK\x03\x04 this is no zip at all'), { policy: 'skip' }, 400, 'validation', /not a spreadsheet/);
    await expectRefusal(await xlsx([]), { policy: 'skip' }, 400, 'validation', /empty/);
    await expectRefusal(await xlsx([['שם פרטי', 'טלפון']]), { policy: 'skip' }, 400, 'validation', /no rows under it/);
    await expectRefusal(await xlsx([['הערות', 'סכום'], ['א', 1]]), { policy: 'skip' }, 400, 'validation', /No column identifies a person.*"הערות", "סכום"/);
    await expectRefusal(await xlsx([['שם פרטי', 'הערות'], ['א', 1]]), { policy: 'skip', mapping: JSON.stringify({ הערות: 'city' }) }, 400, 'validation', /No column identifies/);
    await expectRefusal(await xlsx([['שם'], ['א']]), { policy: 'merge' }, 400, 'validation');
    await expectRefusal(await xlsx([['שם'], ['א']]), { policy: 'skip', mapping: '{not json' }, 400, 'validation');
    await expectRefusal(await xlsx([['שם'], ['א']]), { policy: 'skip', mapping: JSON.stringify({ שם: 'cf.nothing' }) }, 400, 'validation', /Unknown spare field/);
    await expectRefusal(null, { policy: 'skip' }, 400, 'validation', /Attach the/);
    expect((await start(Buffer.from(''), { policy: 'skip' }, 'empty.csv')).status).toBe(400);
    const he = await start(await xlsx([]), { policy: 'skip' }, 'x.xlsx', 'he');
    expect(he.body.message).toBe('הגיליון ריק: אין בו שורות');
    // Nothing was left behind by the refusals.
    expect((await rows<{ n: number }>(t.db, sql`select count(*)::int as n from imports`))[0]!.n).toBe(0);
    expect((await rows<{ n: number }>(t.db, sql`select count(*)::int as n from import_chunks`))[0]!.n).toBe(0);
    expect((await t.staff.get('/api/v1/imports/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
