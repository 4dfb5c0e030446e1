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
