import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { TestClient, useApp } from '../../testing/index.js';
import { mailSettings } from '../mail/index.js';
import { deliverAll, makeMailbox, testWorker, useSink } from '../mail/testing.js';

/** POST /portal/api/register (SPEC §2: portal registration makes no duplicates). */
const t = useApp();
const smtp = useSink();
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

async function setup() {
  smtp.worker = testWorker(t.db, settings);
  await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'portal@kesher.test');
}
const deliver = () => deliverAll(t.db, smtp.worker!);

const register = (body: Record<string, unknown>, ip = '203.0.113.7') =>
  t.app.inject({ method: 'POST', url: '/portal/api/register', payload: body, remoteAddress: ip, headers: { 'accept-language': 'he' } });

type Card = { id: string; customer_number: string; first_name: string | null; last_name: string | null; status: string; website_last_token: string | null; created_by: string; email: string | null };
const cards = () => rows<Card>(t.db, sql`select id, customer_number, first_name, last_name, status, website_last_token, created_by, email from customers where tenant_id = ${t.fx.tenantId} order by customer_number`);
const linkIn = (html: string) => new URL(html.match(/href="([^"]*token=[^"]*)"/)![1]!.replace(/&amp;/g, '&')).searchParams.get('token')!;

describe('portal registration', () => {
  it('creates a lead stamped as the SPEC says, emails a set-password link that works', async () => {
    await setup();
    const res = await register({ email: 'Noa@Example.com', phone: '054-555 1234' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ ok: true });
    const [card] = await cards();
    expect(card).toMatchObject({ first_name: null, last_name: 'No Name From Web', status: 'new', website_last_token: 'hot_lead', created_by: 'הרשמה לאזור האישי', email: 'Noa@Example.com' });

    await deliver();
    expect(smtp.sink.messages).toHaveLength(1);
    const mail = smtp.sink.messages[0]!;
    expect(mail.envelope.to.map((a) => a.toLowerCase())).toEqual(['noa@example.com']);
    expect(mail.mail.html).toContain('dir="rtl"');
    const token = linkIn(mail.mail.html as string);
    const portal = new TestClient(t.app);
    expect((await portal.post('/portal/api/password/token', { token, newPassword: 'a long new password' })).status).toBe(204);
    const login = await portal.post('/portal/api/login', { username: 'noa@example.com', password: 'a long new password' });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ mustChangePassword: false });
    // The filed copy on the card hides the link.
    const [filed] = await rows<{ body: string }>(t.db, sql`select body from interactions where customer_id = ${card!.id} and type = 'email'`);
    expect(filed!.body).not.toContain(token);
  });

  it('a known address or phone creates nothing; the known card gets the same email; the answer is the same', async () => {
    await setup();
    const known = (await t.admin.post('/api/v1/customers', { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com', phone: '050-123 4567' })).body;
    const fresh = await register({ email: 'someone.new@example.com', firstName: 'Someone' });
    const byEmail = await register({ email: 'DANA@example.com', firstName: 'Dana' });
    const byPhone = await register({ email: 'other@example.com', phone: '+972501234567' });
    for (const r of [fresh, byEmail, byPhone]) {
      expect(r.statusCode).toBe(202);
      expect(r.body).toBe(fresh.body);
    }
    expect((await cards()).map((c) => c.email)).toEqual(['dana@example.com', 'someone.new@example.com']);
    await deliver();
    expect(smtp.sink.to('dana@example.com')).toHaveLength(2);
    expect(smtp.sink.to('other@example.com')).toHaveLength(0);
    expect(smtp.sink.to('dana@example.com')[0]!.mail.subject).toBe(smtp.sink.to('someone.new@example.com')[0]!.mail.subject);
    expect(known.customerNumber).toBe(1);
  });

  it('refuses a bad address or phone with field errors, creating nothing', async () => {
    const res = await register({ email: 'not-an-email', phone: '12' });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields.map((f: { path: string }) => f.path).sort()).toEqual(['email', 'phone']);
    expect(await cards()).toEqual([]);
    expect((await register({ email: 'a@example.com', password: 'x' })).statusCode).toBe(400);
  });

  it('throttles: an address gets at most 3 emails an hour, an IP at most 20 registrations', async () => {
    await setup();
    for (let i = 0; i < 5; i++) expect((await register({ email: 'flood@example.com' })).statusCode).toBe(202);
    await deliver();
    expect(smtp.sink.to('flood@example.com')).toHaveLength(3);
    for (let i = 0; i < 15; i++) await register({ email: `v${i}@example.com` }, '198.51.100.9');
    const over = await register({ email: 'v99@example.com' }, '198.51.100.9');
    expect(over.statusCode).toBe(202);
    expect((await register({ email: 'v100@example.com' }, '198.51.100.9')).statusCode).toBe(202);
    for (let i = 0; i < 4; i++) await register({ email: `w${i}@example.com` }, '198.51.100.9');
    expect((await register({ email: 'last@example.com' }, '198.51.100.9')).statusCode).toBe(429);
  });
});
