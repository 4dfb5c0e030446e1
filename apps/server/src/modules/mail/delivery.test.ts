import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { TestClient, useApp } from '../../testing/index.js';
import { ensureInitialPasswords } from '../portal/index.js';
import { mailSettings, type MailSettings, type MailWorker } from './index.js';
import { deliverAll, makeBranch, makeCustomer, makeMailbox, outboxRows, sendRun, SmtpSink, testWorker } from './testing.js';

/**
 * The pipeline end to end against a real SMTP server on loopback: enqueue → worker → sink,
 * parsed with mailparser; then the outbox rows, the filed copies and the portal login.
 */
const t = useApp();
let sink: SmtpSink;
const workers: MailWorker[] = [];
const noServer: MailSettings = mailSettings({ publicUrl: 'https://crm.example.com' });
let withServer: MailSettings;

beforeAll(async () => {
  sink = await SmtpSink.start();
  withServer = mailSettings({ publicUrl: 'https://crm.example.com', smtpUrl: sink.url, mailFrom: 'Kesher Server <server@kesher.test>' });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  sink.clear();
  sink.options = {};
});
afterAll(async () => {
  await sink?.close();
});

const worker = (settings: MailSettings, extra = {}) => {
  const w = testWorker(t.db, settings, extra);
  workers.push(w);
  return w;
};

/** Invitation: passwords first (committed), then one message per customer. */
async function invite(settings: MailSettings, customerIds: string[]) {
  const states = await t.db.transaction((tx) => ensureInitialPasswords(tx, t.fx.tenantId, customerIds));
  return sendRun(t.db, settings, {
    tenantId: t.fx.tenantId,
    kind: 'invitation',
    templateKey: 'Invite_to_Website_Email',
    recipients: customerIds.map((customerId) => ({ customerId, credential: states.get(customerId) ?? null })),
  });
}

const passwordIn = (text: string) => text.match(/(?:סיסמה|Password): (\S{8})/)?.[1];

describe('branch mailboxes and languages', () => {
  it('Israel → Hebrew from the Israeli mailbox, USA → English from the US mailbox; the emailed password logs in', async () => {
    const us = await makeBranch(t.db, t.fx.tenantId, { name: 'USA', country: 'US', language: 'en' });
    await makeMailbox(t.db, t.fx.tenantId, sink, t.fx.branchId, 'il@kesher.test');
    await makeMailbox(t.db, t.fx.tenantId, sink, us.id, 'us@kesher.test');
    const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com', phone: '050-1234567' });
    const john = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'John', lastName: 'Smith', email: 'john@example.com', branchId: us.id });
    const { runId, enqueued } = await invite(noServer, [dana.id, john.id]);
    expect(enqueued).toMatchObject({ queued: 2, skipped: {}, languageFallbacks: [] });
    await deliverAll(t.db, worker(noServer));

    const [he] = sink.to('dana@example.com');
    expect(he!.mail.from?.value[0]?.address).toBe('il@kesher.test');
    expect(he!.mail.subject).toMatch(/^דנה לוי, הוזמנת לאזור האישי באתר Tenant \d+$/);
    expect(he!.mail.html).toContain('<html dir="rtl" lang="he">');
    expect(he!.mail.html).toContain(`<bdi>${dana.customerNumber}</bdi>`);
    expect(he!.mail.text).toContain(`מספר הלקוח ${dana.customerNumber}`);
    expect(he!.key).toBe(`${runId}:${dana.id}`);
    const [row] = await rows<{ id: string; message_id: string }>(t.db, sql`select id, message_id from outbox where idempotency_key = ${he!.key}`);
    expect(he!.mail.messageId).toBe(`<${row!.id}@kesher.test>`);
    expect(row!.message_id).toBe(he!.mail.messageId);
    const [en] = sink.to('john@example.com');
    expect(en!.mail.from?.value[0]?.address).toBe('us@kesher.test');
    expect(en!.mail.subject).toMatch(/^John Smith, you are invited to your personal area/);
    expect(en!.mail.html).toContain('<html dir="ltr" lang="en">');
    expect(en!.raw).not.toMatch(/^List-Unsubscribe/im);

    const password = passwordIn(he!.mail.text!);
    expect(password).toMatch(/^[A-Za-z2-9]{8}$/);
    expect(he!.mail.text).toContain(`בחירת סיסמה (https://crm.example.com/portal?tenant=${t.fx.tenantId})`);
    const login = await new TestClient(t.app).post('/portal/api/login', { username: String(dana.customerNumber), password });
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);

    const outbox = await outboxRows(t.db, runId);
    expect(outbox.map((o) => [o.to_address, o.state, o.language, o.attempts])).toEqual(
      expect.arrayContaining([['dana@example.com', 'sent', 'he', 1], ['john@example.com', 'sent', 'en', 1]]),
    );
    const [run] = await rows<{ state: string; total: number }>(t.db, sql`select state, total from mail_runs where id = ${runId}`);
    expect(run).toEqual({ state: 'done', total: 2 });
  });

  it('a branch without a mailbox → the database default, else the server default, else "not delivered: no mailbox configured"', async () => {
    const eu = await makeBranch(t.db, t.fx.tenantId, { name: 'Europe', country: 'FR', language: 'en' });
    const c = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'Marie', lastName: 'Curie', email: 'marie@example.com', branchId: eu.id });
    const tenantDefault = await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');

    await invite(noServer, [c.id]);
    await deliverAll(t.db, worker(noServer));
    expect(sink.to('marie@example.com').map((m) => m.mail.from?.value[0]?.address)).toEqual(['office@kesher.test']);

    await t.admin.delete(`/api/v1/mailboxes/${tenantDefault.id}`);
    await invite(withServer, [c.id]);
    await deliverAll(t.db, worker(withServer));
    expect(sink.to('marie@example.com').map((m) => m.mail.from?.value[0]?.address)).toEqual(['office@kesher.test', 'server@kesher.test']);

    const none = await invite(noServer, [c.id]);
    expect(none.enqueued).toMatchObject({ queued: 0, skipped: { no_mailbox: 1 } });
    await deliverAll(t.db, worker(noServer));
    expect(sink.to('marie@example.com')).toHaveLength(2);
    expect((await outboxRows(t.db, none.runId)).map((o) => [o.state, o.skip_reason])).toEqual([['skipped', 'no_mailbox']]);
  });

  it('falls back to the tenant language when the template lacks the customer’s, and says so', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    await t.admin.request('PUT', '/api/v1/templates/Newsletter/he', { subject: 'עדכון ל{#First_Name}', html: '<p>שלום {#Client_Full_Name}</p>' });
    const en = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'John', lastName: 'Smith', language: 'en', email: 'john@example.com' });
    const { runId, enqueued } = await sendRun(t.db, noServer, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Newsletter', recipients: [{ customerId: en.id }] });
    expect(enqueued.languageFallbacks).toEqual([{ wanted: 'en', used: 'he', count: 1 }]);
    const [run] = await rows<{ notes: Record<string, unknown> }>(t.db, sql`select notes from mail_runs where id = ${runId}`);
    expect(run!.notes).toEqual({ languageFallbacks: { 'en>he': 1 } });
    await deliverAll(t.db, worker(noServer));
    expect(sink.to('john@example.com')[0]!.mail.subject).toMatch(/עדכון לJohn$/);
  });
});

describe('content', () => {
  it('fills and escapes merge values: a customer named <img src=x onerror=alert(1)> arrives as text, with a plain-text part', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    const evil = await makeCustomer(t.db, t.fx.tenantId, { firstName: '<img src=x onerror=alert(1)>', lastName: 'כהן', email: 'evil@example.com', idNumber: '123456782', idType: 'israeli_id' });
    await invite(noServer, [evil.id]);
    await deliverAll(t.db, worker(noServer));
    const [m] = sink.to('evil@example.com');
    expect(m!.mail.html).toContain('<bdi>&lt;img src=x onerror=alert(1)&gt; כהן</bdi>');
    expect(m!.mail.html).not.toMatch(/<img/i);
    expect(m!.mail.subject).toContain('<img src=x onerror=alert(1)> כהן');
    expect(m!.mail.text).toContain('שלום <img src=x onerror=alert(1)> כהן,');
    expect(m!.mail.text).not.toMatch(/<p>|<bdi>/);
    expect(m!.raw).toMatch(/Content-Type: text\/plain/i);
  });
});

describe('retries and failures', () => {
  it('retries a 4xx answer with backoff and then delivers', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    sink.options.answer = (rcpt, attempt) => (rcpt === 'grey@example.com' && attempt === 1 ? { code: 451, text: '4.7.1 Greylisted, try again later' } : null);
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'grey@example.com' });
    const { runId } = await invite(noServer, [c.id]);
    await deliverAll(t.db, worker(noServer));
    expect(sink.attemptsFor('grey@example.com')).toBe(2);
    expect(sink.to('grey@example.com')).toHaveLength(1);
    expect((await outboxRows(t.db, runId))[0]).toMatchObject({ state: 'sent', attempts: 2, last_error: null });
  });

  it('gives up on transient failures after the last attempt', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    sink.options.answer = () => ({ code: 421, text: '4.3.2 Service shutting down' });
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'busy@example.com' });
    const { runId } = await invite(noServer, [c.id]);
    await deliverAll(t.db, worker(noServer, { maxAttempts: 3 }));
    const [row] = await outboxRows(t.db, runId);
    expect(row).toMatchObject({ state: 'failed', attempts: 3 });
    expect(row!.last_error).toMatch(/^gave up after 3 attempts: 421 4\.3\.2 Service shutting down/);
  });

  it('fails a 5xx answer permanently with the reason, and a "user unknown" goes on the suppression list', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    sink.options.answer = (rcpt) => (rcpt === 'nobody@example.com' ? { code: 550, text: '5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' } : null);
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'nobody@example.com' });
    const { runId } = await invite(noServer, [c.id]);
    await deliverAll(t.db, worker(noServer));
    const [row] = await outboxRows(t.db, runId);
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown');
    expect(sink.attemptsFor('nobody@example.com')).toBe(1);
    const suppressed = await rows<{ reason: string }>(t.db, sql`select reason from mail_suppressions where email = 'nobody@example.com'`);
    expect(suppressed).toEqual([{ reason: 'hard_bounce' }]);
  });
});

describe('filing', () => {
  it('files the sent message on every card with that address, with the password and the set-password link masked', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    const a = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'Family@Example.com' });
    const b = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'יוסי', lastName: 'לוי', email: 'yossi@example.com', emails: ['family@example.com'] });
    const other = await makeCustomer(t.db, t.fx.tenantId, { email: 'someone@example.com' });
    // A customer who chose a password: the invitation carries a set-password link instead.
    const own = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'רון', lastName: 'כץ', email: 'ron@example.com' });
    await t.db.execute(sql`insert into portal_credentials (customer_id, tenant_id, password_hash, password_set_at) values (${own.id}, ${t.fx.tenantId}, '$argon2id$placeholder', now())`);
    const { runId, enqueued } = await invite(noServer, [a.id, own.id]);
    expect(enqueued.queued).toBe(2);
    await deliverAll(t.db, worker(noServer));
    const [sent] = sink.to('Family@Example.com');
    const password = passwordIn(sent!.mail.text!)!;
    expect(password).toMatch(/^[A-Za-z2-9]{8}$/);

    for (const card of [a, b]) {
      const timeline = await t.staff.get(`/api/v1/customers/${card.id}/interactions`);
      const filed = timeline.body.items.filter((i: { type: string }) => i.type === 'email');
      expect(filed).toHaveLength(1);
      expect(filed[0].subject).toBe(sent!.mail.subject);
      expect(filed[0].body).toContain('סיסמה: ••••••••');
      expect(filed[0].body).not.toContain(password);
    }
    expect((await t.staff.get(`/api/v1/customers/${other.id}/interactions`)).body.items).toEqual([]);

    const [toRon] = sink.to('ron@example.com');
    expect(toRon!.mail.text).toContain('סיסמה: הסיסמה שבחרת');
    const link = toRon!.mail.text!.match(/set-password\?token=([\w-]{40,})/);
    expect(link).toBeTruthy();
    const ronFiled = (await t.staff.get(`/api/v1/customers/${own.id}/interactions`)).body.items[0];
    expect(ronFiled.body).toContain('set-password?token=••••••••');
    expect(ronFiled.body).not.toContain(link![1]);

    const links = await rows<{ outbox_id: string }>(t.db, sql`select i.outbox_id from interactions i join outbox o on o.id = i.outbox_id where o.run_id = ${runId}`);
    expect(links).toHaveLength(3);
  });
});

describe('workers', () => {
  it('two workers on the same outbox never send one message twice', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `w${i}@example.com` })).id);
    const { runId } = await sendRun(t.db, noServer, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients: ids.map((customerId) => ({ customerId })) });
    worker(noServer, { batchSize: 7 }).start();
    worker(noServer, { batchSize: 7 }).start();
    await sink.waitFor(120, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const counts = sink.countByKey();
    expect(counts.size).toBe(120);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const states = await rows<{ state: string; n: number }>(t.db, sql`select state, count(*)::int as n from outbox where run_id = ${runId} group by state`);
    expect(states).toEqual([{ state: 'sent', n: 120 }]);
  });

  it('a message left "sending" by a crashed worker is sent again after its lease, once', async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test');
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'crash@example.com' });
    const { runId } = await invite(noServer, [c.id]);
    const { claimMessages } = await import('./delivery.js');
    const claimed = await claimMessages(t.db, { batchSize: 10, leaseSeconds: 1 });
    expect(claimed).toHaveLength(1);
    const w = worker(noServer, { leaseSeconds: 1 });
    expect(await w.runOnce()).toBe(0);
    await new Promise((r) => setTimeout(r, 1200));
    await deliverAll(t.db, w);
    expect(sink.to('crash@example.com')).toHaveLength(1);
    expect((await outboxRows(t.db, runId))[0]).toMatchObject({ state: 'sent', attempts: 2, last_error: null });
  });

  it("honours a mailbox's rate per minute across workers", async () => {
    await makeMailbox(t.db, t.fx.tenantId, sink, null, 'office@kesher.test', { ratePerMinute: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `r${i}@example.com` })).id);
    const { runId } = await sendRun(t.db, noServer, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients: ids.map((customerId) => ({ customerId })) });
    const [w1, w2] = [worker(noServer, { batchSize: 2 }), worker(noServer, { batchSize: 2 })];
    for (let i = 0; i < 4; i++) await Promise.all([w1.runOnce(), w2.runOnce()]);
    expect(sink.messages).toHaveLength(3);
    const waiting = await rows<{ state: string; wait: number }>(
      t.db,
      sql`select state, extract(epoch from next_attempt_at - now())::float8 as wait from outbox where run_id = ${runId} and state = 'queued'`,
    );
    expect(waiting).toHaveLength(2);
    for (const w of waiting) expect(w.wait).toBeGreaterThan(50);
  });
});
