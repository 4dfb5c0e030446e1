import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { TestClient, useApp } from '../../testing/index.js';
import { tenants } from '../tenants/tables.js';
import { mailSettings } from './index.js';
import { unsubscribeToken } from './suppressions.js';
import { deliverAll, makeCustomer, makeMailbox, outboxRows, sendRun, testWorker, useSink } from './testing.js';

/** Bulk (marketing) email: RFC 8058 one-click unsubscribe, the suppression list, the "פרסומת" prefix. */
const t = useApp();
const smtp = useSink();
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

async function setup() {
  smtp.worker = testWorker(t.db, settings);
  await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'news@kesher.test');
  const put = await t.admin.request('PUT', '/api/v1/templates/Newsletter/he', {
    subject: 'מבצע לחברי המועדון, {#First_Name}',
    html: '<p>שלום {#Client_Full_Name}</p><p><a href="{#Unsubscribe_URL}">להסרה מרשימת התפוצה</a></p>',
  });
  expect(put.status).toBe(200);
  return makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'Dana@Example.com' });
}

const bulk = (customerId: string) => sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Newsletter', recipients: [{ customerId }] });
const unsubscribeOf = (raw: string) => raw.match(/^List-Unsubscribe: <(https:\/\/crm\.example\.com(\/u\/[^>]+))>, <(mailto:[^>]+)>\r?$/m);

describe('bulk email', () => {
  it('carries List-Unsubscribe (https + mailto) and One-Click on bulk mail only, and the "פרסומת" prefix when set', async () => {
    const dana = await setup();
    await t.db.update(tenants).set({ marketingSubjectPrefix: true }).where(sql`${tenants.id} = ${t.fx.tenantId}`);
    await bulk(dana.id);
    await sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'invitation', templateKey: 'Newsletter', recipients: [{ customerId: dana.id }] });
    await deliverAll(t.db, smtp.worker!);
    const [marketing, invitation] = smtp.sink.messages.sort((a) => (/^List-Unsubscribe:/m.test(a.raw) ? -1 : 1));
    const header = unsubscribeOf(marketing!.raw);
    expect(header, marketing!.raw.slice(0, 2000)).toBeTruthy();
    expect(header![3]).toBe('mailto:news@kesher.test?subject=unsubscribe');
    expect(marketing!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(marketing!.mail.subject).toBe('פרסומת: מבצע לחברי המועדון, דנה');
    expect(marketing!.mail.html).toContain(`href="${header![1]!.replace(/&/g, '&amp;')}"`);
    expect(invitation!.raw).not.toMatch(/^List-Unsubscribe/im);
    expect(invitation!.mail.subject).toBe('מבצע לחברי המועדון, דנה');
  });

  it('GET shows a confirmation and changes nothing; POST unsubscribes; the next bulk run skips, invitations still go', async () => {
    const dana = await setup();
    await bulk(dana.id);
    await deliverAll(t.db, smtp.worker!);
    const path = unsubscribeOf(smtp.sink.messages[0]!.raw)![2]!;
    const anon = new TestClient(t.app);

    const page = await anon.get(path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<html dir="rtl" lang="he">');
    expect(page.body).toContain('<form method="post"');
    expect(page.body).toContain('<bdi>dana@example.com</bdi>');
    expect((await anon.get(path.replace('l=he', 'l=en'))).body).toContain('<html dir="ltr" lang="en">');
    expect(await rows(t.db, sql`select * from mail_suppressions`)).toEqual([]);

    // As a mail provider does it (RFC 8058): a form POST with List-Unsubscribe=One-Click.
    const done = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('dana@example.com');
    const multipart = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n' });
    expect(multipart.statusCode).toBe(200);
    expect(await rows(t.db, sql`select email, reason from mail_suppressions where tenant_id = ${t.fx.tenantId}`)).toEqual([{ email: 'dana@example.com', reason: 'unsubscribed' }]);
    expect((await t.admin.get('/api/v1/mail-suppressions')).body.items).toEqual([expect.objectContaining({ email: 'dana@example.com', reason: 'unsubscribed' })]);

    smtp.sink.clear();
    const next = await bulk(dana.id);
    expect(next.enqueued).toMatchObject({ queued: 0, skipped: { suppressed: 1 } });
    const invitation = await sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'invitation', templateKey: 'Newsletter', recipients: [{ customerId: dana.id }] });
    expect(invitation.enqueued.queued).toBe(1);
    await deliverAll(t.db, smtp.worker!);
    expect(smtp.sink.messages).toHaveLength(1);
    expect(smtp.sink.messages[0]!.raw).not.toMatch(/^List-Unsubscribe/im);
    expect((await outboxRows(t.db, next.runId)).map((o) => [o.state, o.skip_reason])).toEqual([['skipped', 'suppressed']]);
  });

  it('refuses a forged or altered link and writes nothing', async () => {
    await setup();
    const anon = new TestClient(t.app);
    const good = unsubscribeToken(t.fx.tenantId, 'dana@example.com');
    const forged = `${Buffer.from(`${t.fx.tenantId}:other@example.com`).toString('base64url')}.${good.split('.')[1]}`;
    for (const token of [forged, 'garbage', `${good}x`]) {
      expect((await anon.get(`/u/${token}`)).status).toBe(400);
      expect((await anon.post(`/u/${token}`)).status).toBe(400);
    }
    expect(await rows(t.db, sql`select * from mail_suppressions`)).toEqual([]);
  });
});
