import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApp, type TestClient } from '../../testing/index.js';
import { makeCustomer, makeMailbox, SmtpSink } from './testing.js';

const t = useApp();
let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => {
  await sink?.close();
});

const url = (key: string, language: string) => `/api/v1/templates/${key}/${language}`;
const put = (client: TestClient, u: string, body: unknown, headers?: Record<string, string>) => client.request('PUT', u, body, headers);

describe('templates', () => {
  it('lists the merge fields for the editor with Hebrew and English descriptions, spare fields included', async () => {
    await t.admin.post('/api/v1/custom-fields', { key: 'shoe_size', labelHe: 'מידת נעליים', labelEn: 'Shoe size', type: 'number' });
    const r = await t.staff.get('/api/v1/templates/fields');
    expect(r.status).toBe(200);
    const byToken = new Map(r.body.items.map((f: { token: string }) => [f.token, f]));
    for (const token of ['{#Client_Full_Name}', '{#Password}', '{#Client_Number}', '{#ID_Number}', '{#1stPhone}', '{#Set_Password_Link}', '{#Portal_URL}', '{#Branch_Name}', '{#Unsubscribe_URL}']) {
      expect(byToken.get(token), token).toMatchObject({ he: expect.any(String), en: expect.any(String) });
    }
    expect(byToken.get('{#Custom_shoe_size}')).toMatchObject({ group: 'custom', he: 'מידת נעליים', en: 'Shoe size' });
  });

  it('ships Invite_to_Website_Email (and a Bulk_Email starting point) in Hebrew and English; saving replaces it, deleting brings it back', async () => {
    const list = await t.staff.get('/api/v1/templates');
    expect(list.body.items).toEqual([
      expect.objectContaining({ key: 'Bulk_Email', language: 'en', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'Bulk_Email', language: 'he', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'Invite_to_Website_Email', language: 'en', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'Invite_to_Website_Email', language: 'he', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'New_Lead_Notification', language: 'en', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'New_Lead_Notification', language: 'he', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'Portal_Welcome_Email', language: 'en', builtIn: true, customized: false }),
      expect.objectContaining({ key: 'Portal_Welcome_Email', language: 'he', builtIn: true, customized: false }),
    ]);
    const he = await t.staff.get(url('Invite_to_Website_Email', 'he'));
    expect(he.body.html).toContain('{#Password}');
    const saved = await put(t.admin, url('Invite_to_Website_Email', 'he'), { subject: 'הזמנה {#Client_Full_Name}', html: '<p>סיסמה: {#Password}</p>' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ builtIn: true, customized: true, subject: 'הזמנה {#Client_Full_Name}' });
    expect((await t.staff.get(url('Invite_to_Website_Email', 'he'))).body.customized).toBe(true);
    expect((await t.admin.delete(url('Invite_to_Website_Email', 'he'))).status).toBe(204);
    expect((await t.staff.get(url('Invite_to_Website_Email', 'he'))).body).toMatchObject({ customized: false, html: he.body.html });
    expect((await t.staff.get(url('Newsletter', 'he'))).status).toBe(404);
    expect((await put(t.staff, url('Newsletter', 'he'), { subject: 's', html: 'h' })).status).toBe(403);
  });

  it('refuses an unknown merge field, naming it, and a subject with a line break', async () => {
    const unknown = await put(t.admin, url('Newsletter', 'he'), { subject: 'שלום {#Client_Name}', html: '<p>{#Client_Full_Name} {#Pasword}</p>' }, { 'accept-language': 'en' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('Unknown merge field: {#Client_Name}, {#Pasword}');
    expect(unknown.body.unknownFields).toEqual(['{#Client_Name}', '{#Pasword}']);
    expect(unknown.body.fields).toEqual([
      expect.objectContaining({ path: 'subject', code: 'unknown_merge_field', message: 'Unknown merge field {#Client_Name}' }),
      expect.objectContaining({ path: 'html', code: 'unknown_merge_field', message: 'Unknown merge field {#Pasword}' }),
    ]);
    const crlf = await put(t.admin, url('Newsletter', 'he'), { subject: 'שלום\r\nBcc: victim@example.com', html: '<p>x</p>' });
    expect(crlf.status).toBe(400);
    expect(crlf.body.fields).toEqual([expect.objectContaining({ path: 'subject', code: 'line_break' })]);
    expect((await t.staff.get(url('Newsletter', 'he'))).status).toBe(404);
    expect((await put(t.admin, url('Newsletter', 'he'), { subject: 'x', html: '{#Custom_shoe_size}' })).status).toBe(400);
    await t.admin.post('/api/v1/custom-fields', { key: 'shoe_size', labelHe: 'מידה', labelEn: 'Size', type: 'number' });
    expect((await put(t.admin, url('Newsletter', 'he'), { subject: 'x', html: '{#Custom_shoe_size}' })).status).toBe(200);
  });

  it('previews against a chosen customer: escaped, right to left, password masked, plain text', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId, { firstName: '<b>דנה</b>', lastName: 'Levi' });
    const r = await t.staff.post('/api/v1/templates/preview', {
      key: 'Invite_to_Website_Email',
      language: 'he',
      subject: 'שלום {#Client_Full_Name}',
      html: '<p>שלום {#Client_Full_Name}, סיסמה: {#Password}</p><p><a href="{#Set_Password_Link}">קישור</a></p>',
      customerId: c.id,
    });
    expect(r.status).toBe(200);
    expect(r.body.subject).toBe('שלום <b>דנה</b> Levi');
    expect(r.body.html).toContain('dir="rtl" lang="he"');
    expect(r.body.html).toContain('<bdi>&lt;b&gt;דנה&lt;/b&gt; Levi</bdi>');
    expect(r.body.html).toContain('<bdi>••••••••</bdi>');
    expect(r.body.html).toContain('set-password?token=••••••••');
    expect(r.body.text).toContain('שלום <b>דנה</b> Levi, סיסמה: ••••••••');
    const bad = await t.staff.post('/api/v1/templates/preview', { key: 'X', language: 'he', subject: 's', html: '{#Nope}', customerId: c.id });
    expect(bad.status).toBe(400);
  });

  it('sends the template being edited to yourself', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    const c = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי' });
    const before = sink.messages.length;
    const r = await t.staff.post('/api/v1/templates/test', { key: 'Invite_to_Website_Email', language: 'he', subject: 'שלום {#Client_Full_Name}', html: '<p>{#Client_Number}</p>', customerId: c.id });
    expect(r.status).toBe(200);
    await sink.waitFor(before + 1);
    const m = sink.messages[before]!;
    expect(m.envelope.to).toEqual([t.fx.staff.email]);
    expect(m.mail.subject).toBe('[בדיקה] שלום דנה לוי');
    expect(m.mail.html).toContain(`<bdi>${c.customerNumber}</bdi>`);
    expect(m.mail.text).toBe(String(c.customerNumber));
  });
});
