import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MAIL_LIST_BYTES } from '@kesher/contracts';
import { TestClient, useApp } from '../../testing/index.js';
import { mailSettings, type MailWorker } from '../mail/index.js';
import { deliverAll, makeCustomer, makeMailbox, SmtpSink, testWorker } from '../mail/testing.js';
import { downloadSheet, footprint, multipartBody, prepareAll, uploadList, workbook } from './testing.js';

/**
 * The wizard's .xlsx list (POST /api/v1/mail-lists/xlsx): rows matched to cards by customer
 * number, ID number or email under Hebrew headers; then the preview and the run's report on the
 * matched customers; and every kind of bad upload refused with a message, changing nothing.
 */
const t = useApp();
let sink: SmtpSink;
let worker: MailWorker | null = null;
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterEach(async () => {
  await worker?.stop();
  worker = null;
  sink.clear();
  sink.options = {};
});
afterAll(async () => {
  await sink?.close();
});

async function cards() {
  const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
  const yossi = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'יוסי', lastName: 'כהן', email: 'yossi@example.com' });
  // ID 000000018 (valid check digit), written in the sheet as the number 18.
  const ron = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'רון', lastName: 'כץ', email: 'ron@example.com', idType: 'israeli_id', idNumber: '000000018' });
  const invalid = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'מיכל', lastName: 'בר', email: 'x@example.com' });
  await t.db.execute(sql`update customers set email = 'michal at example' where id = ${invalid.id}`);
  const twin = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דני', lastName: 'לוי', email: 'DANA@example.com' });
  const noEmail = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'אבי', lastName: 'גל', email: null });
  await makeCustomer(t.db, t.fx.tenantId, { email: 'shared@example.com' });
  await makeCustomer(t.db, t.fx.tenantId, { email: 'shared@example.com' });
  return { dana, yossi, ron, invalid, twin, noEmail };
}

describe('an .xlsx list', () => {
  it('matches rows by customer number, ID number or email under Hebrew headers; lists unmatched and duplicate rows; preview and report agree', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, t.fx.branchId, 'il@kesher.test');
    const c = await cards();
    const file = await workbook([
      ['מספר לקוח', 'שם', 'דוא"ל', 'ת.ז.'],
      [c.dana.customerNumber, 'דנה לוי', null, null], // 2
      [null, 'יוסי כהן', 'Yossi@Example.com', null], // 3: by email, any case
      [null, 'רון כץ', null, 18], // 4: by ID number, written as a number
      [999999, 'לא קיים', null, null], // 5: not_found
      [c.yossi.customerNumber, 'יוסי שוב', null, null], // 6: the same customer as row 3
      ['abc', 'שגוי', null, null], // 7: invalid_value
      [null, 'רק שם', null, null], // 8: no_key
      [], // empty rows are not counted
      [c.invalid.customerNumber, 'מיכל בר', null, null], // 10
      [c.twin.customerNumber, 'דני לוי', null, null], // 11
      [c.noEmail.customerNumber, 'אבי גל', null, null], // 12
      [null, 'משותף', 'shared@example.com', null], // 13: two cards: ambiguous
    ]);
    const before = await footprint(t.db);
    const r = await uploadList(t.app, t.staff, file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      customerIds: [c.dana.id, c.yossi.id, c.ron.id, c.invalid.id, c.twin.id, c.noEmail.id],
      matched: 6,
      rows: 11,
      keyColumns: [
        { key: 'customer_number', header: 'מספר לקוח', column: 1 },
        { key: 'id_number', header: 'ת.ז.', column: 4 },
        { key: 'email', header: 'דוא"ל', column: 3 },
      ],
      unmatched: [
        { row: 5, value: '999999', reason: 'not_found', name: 'לא קיים' },
        { row: 7, value: 'abc', reason: 'invalid_value', name: 'שגוי' },
        { row: 8, value: '', reason: 'no_key', name: 'רק שם' },
        { row: 13, value: 'shared@example.com', reason: 'ambiguous', name: 'משותף' },
      ],
      duplicates: [{ row: 6, value: String(c.yossi.customerNumber), firstRow: 3 }],
    });
    expect(await footprint(t.db)).toEqual(before);

    const preview = await t.staff.post('/api/v1/invitations/preview', { customerIds: r.body.customerIds });
    expect(preview.body).toEqual({
      total: 6,
      willSend: 3,
      newPasswords: 6,
      existingPasswords: 0,
      setPasswordLinks: 0,
      skipped: 3,
      skippedBy: { invalid_email: 1, duplicate_address: 1, no_email: 1 },
      languageFallbacks: [],
      mailboxConfigured: true,
    });

    // Ron's mail server refuses him: the report says failed, with the server's answer.
    sink.options.answer = (rcpt) => (rcpt === 'ron@example.com' ? { code: 550, text: '5.1.1 User unknown' } : null);
    const run = await t.admin.post('/api/v1/invitations', { customerIds: r.body.customerIds });
    expect(run.status).toBe(202);
    await prepareAll(t.db, settings);
    worker = testWorker(t.db, settings);
    await deliverAll(t.db, worker);
    expect(sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['dana@example.com', 'yossi@example.com']);
    expect((await t.staff.get(`/api/v1/invitations/${run.body.id}`)).body).toMatchObject({
      state: 'done',
      total: 6,
      sent: 2,
      failed: 1,
      skipped: 3,
      skippedBy: { invalid_email: 1, duplicate_address: 1, no_email: 1 },
    });

    const report = await downloadSheet(t.app, t.staff, `/api/v1/invitations/${run.body.id}/report.xlsx`, 'he');
    expect(report.status).toBe(200);
    expect(report.rtl).toBe(true);
    expect(report.sheetName).toBe('דוח שליחה');
    expect(report.rows[0]).toEqual(['מספר לקוח', 'שם', 'דוא"ל', 'מצב', 'סיבה', 'נשלח ב־', 'גישה לאזור האישי']);
    const line = (customerNumber: number) => report.rows.find((x) => x[0] === String(customerNumber))!.slice(1, 5);
    expect(line(c.dana.customerNumber)).toEqual(['דנה לוי', 'dana@example.com', 'נשלח', '']);
    expect(line(c.yossi.customerNumber)).toEqual(['יוסי כהן', 'yossi@example.com', 'נשלח', '']);
    expect(line(c.ron.customerNumber)).toEqual(['רון כץ', 'ron@example.com', 'נכשל', expect.stringContaining('550 5.1.1 User unknown')]);
    expect(line(c.invalid.customerNumber)).toEqual(['מיכל בר', 'michal at example', 'לא נשלח', 'כתובת דוא"ל לא תקינה']);
    expect(line(c.twin.customerNumber)).toEqual(['דני לוי', 'DANA@example.com', 'לא נשלח', 'אותה כתובת כבר ברשימה']);
    expect(line(c.noEmail.customerNumber)).toEqual(['אבי גל', '', 'לא נשלח', 'אין כתובת דוא"ל']);
    expect(report.rows.filter((x) => /^\d+$/.test(x[0] ?? ''))).toHaveLength(6);
  });

  it('passes over a title line above the header', async () => {
    const dana = await makeCustomer(t.db, t.fx.tenantId, { email: 'dana@example.com' });
    const file = await workbook([['רשימת לקוחות לדיוור - נובמבר'], [], ['כתובת מייל'], ['dana@example.com']]);
    const r = await uploadList(t.app, t.staff, file);
    expect(r.body).toMatchObject({ customerIds: [dana.id], rows: 1, keyColumns: [{ key: 'email', header: 'כתובת מייל', column: 1 }], unmatched: [] });
  });

  it('falls back to the next key cell when the first names no card (a number from another system)', async () => {
    const noa = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'נועה', lastName: 'שחר', email: 'noa@example.com' });
    const tal = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'טל', lastName: 'אור', email: 'tal@example.com' });
    const file = await workbook([
      ['מס\' לקוח', 'שם מלא', 'כתובת מייל'],
      [888888, 'נועה שחר', 'noa@example.com'], // an unknown number, a known address
      ['A-17', 'טל אור', 'tal@example.com'], // not a number at all
      [tal.customerNumber, 'טל אור', 'other@example.com'], // the number wins: the same customer again
      [777777, 'אף אחד', 'nobody@example.com'],
    ]);
    const r = await uploadList(t.app, t.staff, file);
    expect(r.body).toMatchObject({
      customerIds: [noa.id, tal.id],
      keyColumns: [
        { key: 'customer_number', header: "מס' לקוח", column: 1 },
        { key: 'email', header: 'כתובת מייל', column: 3 },
      ],
      unmatched: [{ row: 5, value: '777777', reason: 'not_found', name: 'אף אחד' }],
      duplicates: [{ row: 4, value: String(tal.customerNumber), firstRow: 3 }],
    });
  });

  it('reads English headers and first / last name columns', async () => {
    const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'Dana', lastName: 'Levi', email: 'dana@example.com' });
    const file = await workbook([
      ['First name', 'Last name', 'E-mail'],
      ['Dana', 'Levi', 'dana@example.com'],
      ['No', 'Body', 'nobody@example.com'],
    ]);
    const r = await uploadList(t.app, t.staff, file);
    expect(r.body).toMatchObject({
      customerIds: [dana.id],
      keyColumns: [{ key: 'email', header: 'E-mail', column: 3 }],
      unmatched: [{ row: 3, value: 'nobody@example.com', reason: 'not_found', name: 'No Body' }],
    });
  });

  it('refuses bad uploads with a message and changes nothing', async () => {
    await makeCustomer(t.db, t.fx.tenantId, { email: 'dana@example.com' });
    const before = await footprint(t.db);
    const valid = await workbook([['Email'], ['dana@example.com']]);
    const cases: [string, Buffer, { filename?: string; field?: string }, number, RegExp][] = [
      ['a CSV', Buffer.from('Email\ndana@example.com\n'), { filename: 'list.csv' }, 400, /^This file is not an Excel workbook \(\.xlsx\)$/],
      // Larger than Fastify's default body limit, well under the upload limit: read, then refused for what it is.
      ['a 3 MB file that is not a workbook', Buffer.alloc(3 * 1024 * 1024, 0x41), {}, 400, /not an Excel workbook/],
      ['a cut-off workbook', valid.subarray(0, Math.floor(valid.length / 2)), {}, 400, /not an Excel workbook/],
      ['an empty sheet', await workbook([]), {}, 400, /^The sheet is empty/],
      ['a header without rows', await workbook([['Email']]), {}, 400, /header row but no rows/],
      ['no key column', await workbook([['Name', 'Phone'], ['Dana', '050-1234567']]), {}, 400, /No column to find customers by.*"Name", "Phone"/],
      ['no file part', valid, { field: 'other' }, 400, /field "file"/],
      ['only a title', await workbook([['רשימת לקוחות לדיוור']]), {}, 400, /No column to find customers by.*"רשימת לקוחות לדיוור"/],
      ['a title, then no header', await workbook([['רשימה'], ['Dana', '050-1234567']]), {}, 400, /No column to find customers by.*"Dana", "050-1234567"/],
    ];
    for (const [what, file, opts, code, message] of cases) {
      const r = await uploadList(t.app, t.staff, file, opts);
      expect(r.status, what).toBe(code);
      expect(r.body.message, what).toMatch(message);
    }
    const he = await uploadList(t.app, t.staff, Buffer.from('hello'), { lang: 'he' });
    expect(he.body.message).toBe('הקובץ אינו חוברת Excel (‎.xlsx)');
    // Two files: refused as such (not as "too large").
    const one = multipartBody(valid);
    const boundary = one.contentType.split('boundary=')[1]!;
    const end = Buffer.from(`--${boundary}--\r\n`);
    const second = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.xlsx"\r\n\r\n`);
    const twoFiles = Buffer.concat([one.payload.subarray(0, one.payload.length - end.length), second, valid, Buffer.from('\r\n'), end]);
    const doubled = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mail-lists/xlsx',
      headers: { 'content-type': one.contentType, cookie: t.staff.cookie!, 'accept-language': 'en' },
      payload: twoFiles,
    });
    expect(doubled.statusCode).toBe(400);
    expect(doubled.json().message).toBe('Send one file only, as multipart/form-data in the field "file"');
    const json = await t.staff.post('/api/v1/mail-lists/xlsx', { file: 'x' });
    expect(json.status).toBe(400);
    expect((await new TestClient(t.app).post('/api/v1/mail-lists/xlsx', {})).status).toBe(401);
    expect(await footprint(t.db)).toEqual(before);
  });

  it('refuses an oversized upload with 413, said or streamed', async () => {
    const big = Buffer.alloc(MAX_MAIL_LIST_BYTES + 1024, 0x41);
    const declared = await uploadList(t.app, t.staff, big, { lang: 'en' });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ code: 'payload_too_large', message: `The file is larger than ${MAX_MAIL_LIST_BYTES / 1024 / 1024} MB` });

    // Without a Content-Length (chunked): the multipart limit stops it while it is read.
    const { payload, contentType } = multipartBody(big);
    const chunks = Array.from({ length: Math.ceil(payload.length / 65536) }, (_, i) => payload.subarray(i * 65536, (i + 1) * 65536));
    const streamed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mail-lists/xlsx',
      headers: { 'content-type': contentType, cookie: t.staff.cookie!, 'accept-language': 'en' },
      payload: Readable.from(chunks),
    });
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json().message).toMatch(/larger than/);
  });
});
