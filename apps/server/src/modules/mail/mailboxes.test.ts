import { createServer, type AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { rows } from '../../db/client.js';
import { TestClient, useApp } from '../../testing/index.js';
import { makeBranch, SmtpSink } from './testing.js';

const t = useApp();
let sink: SmtpSink;
let refusing: SmtpSink;
beforeAll(async () => {
  [sink, refusing] = await Promise.all([SmtpSink.start(), SmtpSink.start({ refuseAuth: true })]);
});
afterAll(async () => {
  await Promise.all([sink?.close(), refusing?.close()]);
});

const il = { branchId: null as string | null, host: '127.0.0.1', port: 2525, tlsMode: 'none', fromName: 'Kesher Israel', fromAddress: 'il@kesher.test' };

/** A port on loopback with nothing listening. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('mailboxes', () => {
  it('keeps the password only encrypted and never returns it', async () => {
    const created = await t.admin.post('/api/v1/mailboxes', { ...il, branchId: t.fx.branchId, username: 'il-user', password: 'very-secret-smtp-pw', ratePerMinute: 120, replyTo: 'office@kesher.test' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ branchId: t.fx.branchId, hasPassword: true, username: 'il-user', ratePerMinute: 120, replyTo: 'office@kesher.test' });
    expect(created.body).not.toHaveProperty('password');
    const list = await t.admin.get('/api/v1/mailboxes');
    expect(list.body).toMatchObject({ items: [{ id: created.body.id }], serverDefault: null });
    for (const r of [created, list, await t.admin.get(`/api/v1/mailboxes/${created.body.id}`)]) expect(JSON.stringify(r.body)).not.toContain('very-secret-smtp-pw');
    const [stored] = await rows<{ password_encrypted: string }>(t.db, sql`select password_encrypted from mailboxes where id = ${created.body.id}`);
    expect(stored!.password_encrypted).toMatch(/^v1\./);
    expect(stored!.password_encrypted).not.toContain('very-secret');

    const kept = await t.admin.patch(`/api/v1/mailboxes/${created.body.id}`, { fromName: 'Kesher IL' });
    expect(kept.body).toMatchObject({ fromName: 'Kesher IL', hasPassword: true });
    const cleared = await t.admin.patch(`/api/v1/mailboxes/${created.body.id}`, { password: null });
    expect(cleared.body.hasPassword).toBe(false);
  });

  it('refuses line breaks in names and addresses, a bad host, a second mailbox for a branch, and staff', async () => {
    const bad = await t.admin.post('/api/v1/mailboxes', { ...il, fromName: 'Kesher\r\nBcc: victim@example.com', username: 'u\nx' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'fromName', code: 'line_break' }), expect.objectContaining({ path: 'username', code: 'line_break' })]));
    const badAddress = await t.admin.post('/api/v1/mailboxes', { ...il, fromAddress: 'il@kesher.test\r\nBcc: x@y.z', replyTo: 'a@b.c\nBcc: x@y.z' });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['fromAddress', 'replyTo']);
    expect((await t.admin.post('/api/v1/mailboxes', { ...il, host: 'smtp example.com' })).body.fields).toEqual([expect.objectContaining({ path: 'host', code: 'invalid_host' })]);
    expect((await t.admin.post('/api/v1/mailboxes', il)).status).toBe(201);
    const again = await t.admin.post('/api/v1/mailboxes', il);
    expect(again.status).toBe(409);
    expect((await t.staff.get('/api/v1/mailboxes')).status).toBe(403);
    const us = await makeBranch(t.db, t.fx.tenantId, { name: 'USA', country: 'US', language: 'en' });
    expect((await t.admin.post('/api/v1/mailboxes', { ...il, branchId: us.id })).status).toBe(201);
  });

  it('sends a test email to the logged-in user', async () => {
    const box = await t.admin.post('/api/v1/mailboxes', { ...il, port: sink.port });
    const before = sink.messages.length;
    const sent = await t.admin.post(`/api/v1/mailboxes/${box.body.id}/test`);
    expect(sent.status).toBe(200);
    expect(sent.body.to).toBe(t.fx.admin.email);
    await sink.waitFor(before + 1);
    const m = sink.messages[before]!;
    expect(m.envelope.to).toEqual([t.fx.admin.email]);
    expect(m.mail.from?.value[0]?.address).toBe('il@kesher.test');
    expect(m.mail.subject).toBe('Kesher: הודעת בדיקה');
  });

  it("answers a wrong setting with the SMTP server's own answer", async () => {
    const box = await t.admin.post('/api/v1/mailboxes', { ...il, port: refusing.port, username: 'someone', password: 'wrong' });
    const refused = await t.admin.post(`/api/v1/mailboxes/${box.body.id}/test`, {}, { 'accept-language': 'en' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('mail_send_failed');
    expect(refused.body.smtp).toMatchObject({ responseCode: 535 });
    expect(refused.body.smtp.response).toContain('Authentication credentials invalid');
    expect(refused.body.message).toMatch(/^The mail server refused: 535 .*Authentication credentials invalid/);

    const nothing = await t.admin.patch(`/api/v1/mailboxes/${box.body.id}`, { port: await deadPort(), username: null, password: null });
    expect(nothing.status).toBe(200);
    const down = await t.admin.post(`/api/v1/mailboxes/${box.body.id}/test`);
    expect(down.status).toBe(422);
    expect(down.body.smtp.responseCode).toBeNull();
    expect(down.body.message).toContain('ECONNREFUSED');
  });

  it('tests the server default mailbox (SMTP_URL + MAIL_FROM), and says when there is none', async () => {
    const none = await t.admin.post('/api/v1/mailboxes/server/test');
    expect(none.status).toBe(422);
    expect(none.body.code).toBe('mail_not_configured');

    const app = await buildApp({ db: t.db, logLevel: 'silent', webDist: null, smtpUrl: sink.url, mailFrom: 'Kesher Server <server@kesher.test>' });
    try {
      const admin = await TestClient.login(app, t.fx.admin.email);
      const list = await admin.get('/api/v1/mailboxes');
      expect(list.body.serverDefault).toEqual({ host: '127.0.0.1', port: sink.port, fromName: 'Kesher Server', fromAddress: 'server@kesher.test' });
      const before = sink.messages.length;
      expect((await admin.post('/api/v1/mailboxes/server/test', {}, { 'accept-language': 'en' })).status).toBe(200);
      await sink.waitFor(before + 1);
      expect(sink.messages[before]!.mail.from?.value[0]).toMatchObject({ name: 'Kesher Server', address: 'server@kesher.test' });
      expect(sink.messages[before]!.mail.subject).toBe('Kesher: test email');
    } finally {
      await app.close();
    }
  });
});
