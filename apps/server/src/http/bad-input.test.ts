import { describe, expect, it } from 'vitest';
import { useApp } from '../testing/index.js';

const t = useApp();

async function nothingWritten() {
  expect((await t.admin.get('/api/v1/customers/count')).body.count).toBe(0);
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('wrong types and unknown fields, each named, in the caller’s language', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: 5, status: 'real', hacker: true }, { 'accept-language': 'en' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation');
    expect(r.body.message).toBe('Some fields are not valid');
    expect(r.body.fields).toEqual(
      expect.arrayContaining([
        { path: 'lastName', code: 'invalid_type', message: 'Wrong type: expected string' },
        { path: 'status', code: 'unknown_field', message: 'Unknown field' },
        { path: 'hacker', code: 'unknown_field', message: 'Unknown field' },
      ]),
    );
    const he = await t.admin.post('/api/v1/customers', { hacker: true });
    expect(he.body.message).toBe('חלק מהשדות אינם תקינים');
    expect(he.body.fields[0].message).toBe('שדה לא מוכר');
    await nothingWritten();
  });

  it('invalid phone, email and Israeli ID number', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: 'x', email: 'not-an-email', emails: ['a@b.co', 'nope'], phone: '12', phones: ['abc'], idType: 'israeli_id', idNumber: '123456789' });
    expect(r.status).toBe(400);
    // Every bad field in one answer, so the form can be fixed in one pass.
    expect(r.body.fields.map((f: { path: string; code: string }) => `${f.path}:${f.code}`).sort()).toEqual([
      'email:invalid_email',
      'emails.1:invalid_email',
      'idNumber:invalid_israeli_id',
      'phone:invalid_phone',
      'phones.0:invalid_phone',
    ]);
    const company = await t.admin.post('/api/v1/customers', { lastName: 'x', idType: 'company', idNumber: '12' });
    expect(company.body.fields[0].code).toBe('invalid_company_number');
    const passport = await t.admin.post('/api/v1/customers', { lastName: 'x', idType: 'passport', idCountry: 'US', idNumber: 'AB12' });
    expect(passport.status).toBe(201); // passports are free text
  });

  it('a card with nothing to identify it is refused', async () => {
    const r = await t.admin.post('/api/v1/customers', { city: 'חיפה' });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual([expect.objectContaining({ path: 'lastName', code: 'name_or_contact_required', message: 'יש להזין שם, טלפון, דוא"ל או מספר זהות' })]);
    await nothingWritten();
  });

  it('an invalid edit leaves the card as it was', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'כהן', phone: '050-123 4567' })).body;
    const r = await t.admin.patch(`/api/v1/customers/${c.id}`, { city: 'חיפה', phone: 'bad' });
    expect(r.status).toBe(400);
    expect((await t.admin.get(`/api/v1/customers/${c.id}`)).body).toMatchObject({ city: null, phone: '050-123 4567' });
  });

  it('an oversized body gets 413', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: 'x'.repeat(2 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('payload_too_large');
    await nothingWritten();
  });

  it('malformed JSON and a wrong content type get 4xx', async () => {
    const bad = await t.admin.request('POST', '/api/v1/customers', '{"lastName": ', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation');
    const form = await t.admin.request('POST', '/api/v1/customers', 'lastName=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    await nothingWritten();
  });

  it('a malformed or unknown id gets 400 / 404', async () => {
    expect((await t.admin.get('/api/v1/customers/not-a-uuid')).status).toBe(400);
    const missing = await t.admin.get('/api/v1/customers/00000000-0000-4000-8000-000000000000', { 'accept-language': 'en' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 'not_found', message: 'Customer not found' });
  });

  it('an illegal status move and an unknown status', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'x' })).body;
    expect((await t.admin.patch(`/api/v1/customers/${c.id}`, { status: 'frozen' })).status).toBe(422);
    expect((await t.admin.patch(`/api/v1/customers/${c.id}`, { status: 'vip' })).body.fields[0]).toMatchObject({ path: 'status', code: 'invalid_option' });
  });

  it('an unknown API address is a JSON 404', async () => {
    const r = await t.admin.get('/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
  });
});

describe('text at the edge: control characters, broken characters, bidi controls (issue 10 §6)', () => {
  it('a NUL in a body, a query, a path or a login is refused with 400 naming the field, nothing written', async () => {
    const body = await t.admin.post('/api/v1/customers', { lastName: 'a\u0000b', city: 'x\u0007' }, { 'accept-language': 'en' });
    expect(body.status).toBe(400);
    expect(body.body.fields).toEqual([
      { path: 'lastName', code: 'control_character', message: 'Contains a control character (such as NUL) that cannot be stored' },
      { path: 'city', code: 'control_character', message: 'Contains a control character (such as NUL) that cannot be stored' },
    ]);
    await nothingWritten();
    const search = await t.admin.get('/api/v1/customers?q=a%00b');
    expect(search.status).toBe(400);
    expect(search.body.fields[0]).toMatchObject({ path: 'q', code: 'control_character', message: 'מכיל תו בקרה (כגון NUL) שלא ניתן לשמור' });
    const exported = await t.admin.get('/api/v1/customers/export.xlsx?q=a%00b');
    expect(exported.status).toBe(400);
    expect((await t.admin.get('/api/v1/mail-suppressions?q=%00')).status).toBe(400);
    expect((await t.admin.request('DELETE', '/api/v1/mail-suppressions/a%00b@example.com')).status).toBe(400);
    const anonymous = new (t.admin.constructor as new (app: typeof t.app) => typeof t.admin)(t.app);
    for (const [url, payload] of [
      ['/api/v1/auth/login', { email: 'a\u0000@example.com', password: 'x' }],
      ['/portal/api/login', { username: '1', password: 'a\u0000' }],
      ['/portal/api/register', { firstName: 'a\u0000', lastName: 'b', email: 'r@example.com', phone: '0501234567' }],
    ] as const) {
      const r = await anonymous.post(url, payload);
      expect(r.status, url).toBe(400);
      expect(r.body.code).toBe('validation');
    }
    expect((await anonymous.get('/in/%00')).status).toBe(400);
  });

  it('a lone surrogate is refused; tabs and line breaks are not control characters here', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: 'a\uD800' });
    expect(r.body.fields).toEqual([expect.objectContaining({ path: 'lastName', code: 'broken_character' })]);
    await nothingWritten();
    const ok = await t.admin.post('/api/v1/customers', { lastName: 'כהן 😀' });
    expect(ok.status).toBe(201);
    const contact = await t.admin.post(`/api/v1/customers/${ok.body.id}/contacts`, { lastName: 'לוי', notes: 'שורה\r\nשנייה\tטאב' });
    expect(contact.status).toBe(201);
    expect(contact.body.notes).toBe('שורה\r\nשנייה\tטאב');
  });

  it('bidi override / embedding / isolate controls are removed from names; LRM and RLM stay; passwords are left as typed', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: '\u202Egpj.exe', firstName: '\u2067דנה\u2069 \u200Fלוי' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ lastName: 'gpj.exe', firstName: 'דנה \u200Fלוי' });
    const branch = await t.admin.post('/api/v1/branches', { name: '\u202Aסניף\u202C', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' });
    expect(branch.body.name).toBe('סניף');
    const user = await t.admin.post('/api/v1/users', { email: 'bidi@example.com', name: 'B', password: 'pass\u202Eword-123', role: 'staff' });
    expect(user.status).toBe(201);
    const anonymous = new (t.admin.constructor as new (app: typeof t.app) => typeof t.admin)(t.app);
    expect((await anonymous.post('/api/v1/auth/login', { email: 'bidi@example.com', password: 'pass\u202Eword-123' })).status).toBe(200);
  });
});

describe('partial updates change only what they name (issue 10 §6)', () => {
  it('a mailbox edit without tlsMode keeps TLS on port 465', async () => {
    const mb = (await t.admin.post('/api/v1/mailboxes', { host: 'smtp.example.com', port: 465, tlsMode: 'tls', fromName: 'Office', fromAddress: 'office@example.com' })).body;
    const r = await t.admin.patch(`/api/v1/mailboxes/${mb.id}`, { fromName: 'Office (Haifa)' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tlsMode: 'tls', port: 465, fromName: 'Office (Haifa)' });
  });

  it('a custom field, a user, a broker: an edit of one field leaves the defaults of the create alone', async () => {
    const f = (await t.admin.post('/api/v1/custom-fields', { key: 'size', labelHe: 'גודל', labelEn: 'Size', type: 'text', required: true, position: 7 })).body;
    expect((await t.admin.patch(`/api/v1/custom-fields/${f.id}`, { labelEn: 'Shoe size' })).body).toMatchObject({ required: true, position: 7, labelEn: 'Shoe size' });
    const u = (await t.admin.post('/api/v1/users', { email: 'second.admin@example.com', name: 'Second', password: 'correct horse battery', role: 'admin', language: 'en' })).body;
    // A database's admin may change another member's groups, not the account's name (issue 10 §2).
    expect((await t.admin.patch(`/api/v1/users/${u.id}`, { groupIds: [] })).body).toMatchObject({ role: 'admin', language: 'en', name: 'Second' });
    const b = (await t.admin.post('/api/v1/brokers', { name: 'B', accountNumber: '7', affiliateCode: 'aff7', active: false })).body;
    expect((await t.admin.patch(`/api/v1/brokers/${b.id}`, { name: 'Broker' })).body).toMatchObject({ active: false, name: 'Broker' });
  });
});

describe('regions and time zones (issue 10 §6)', () => {
  it('the database region is one libphonenumber knows; a lone surrogate or an unknown code is refused', async () => {
    for (const bad of ['\uD800\uDC00', 'ZZ', 'XX', '12']) {
      const r = await t.admin.patch('/api/v1/tenant', { defaultRegion: bad });
      expect(r.status, bad).toBe(400);
    }
    const r = await t.admin.patch('/api/v1/tenant', { defaultRegion: 'zz' }, { 'accept-language': 'en' });
    expect(r.body.fields).toEqual([{ path: 'defaultRegion', code: 'invalid_region', message: 'Not a country code known for phone numbers (ISO 3166, e.g. IL)' }]);
    expect((await t.admin.get('/api/v1/tenant')).body.defaultRegion).toBe('IL');
    expect((await t.admin.patch('/api/v1/tenant', { defaultRegion: 'us' })).body.defaultRegion).toBe('US');
    // Local phones are still read (with the new region).
    expect((await t.admin.post('/api/v1/customers', { lastName: 'x', phone: '(212) 555-0100' })).status).toBe(201);
  });

  it('a branch time zone is an IANA zone; its country a known region', async () => {
    const base = { name: 'NY', country: 'US', language: 'en' };
    for (const timezone of ['Mars/Olympus', 'whatever', '+02:00', 'Asia/Jerusalem; drop table']) {
      const r = await t.admin.post('/api/v1/branches', { ...base, timezone });
      expect(r.status, timezone).toBe(400);
      expect(r.body.fields[0]).toMatchObject({ path: 'timezone', code: 'invalid_timezone' });
    }
    expect((await t.admin.post('/api/v1/branches', { ...base, country: 'QQ', timezone: 'UTC' })).body.fields[0]).toMatchObject({ path: 'country', code: 'invalid_region' });
    for (const timezone of ['America/New_York', 'UTC', 'Asia/Tel_Aviv']) {
      expect((await t.admin.post('/api/v1/branches', { ...base, name: timezone, timezone })).status, timezone).toBe(201);
    }
    const patched = await t.admin.patch(`/api/v1/branches/${t.fx.branchId}`, { timezone: 'Nowhere/City' });
    expect(patched.status).toBe(400);
    expect((await t.admin.get('/api/v1/branches')).body.items.find((b: { id: string }) => b.id === t.fx.branchId).timezone).toBe('Asia/Jerusalem');
  });
});
