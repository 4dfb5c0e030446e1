import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { createRun, enqueueMessages, mailSettings, planMessages, runCounts, suppress } from './index.js';
import { makeCustomer, makeMailbox, outboxRows, sendRun, testWorker, useSink } from './testing.js';

/** Enqueueing: set-based, idempotent per run + customer, with the reasons a message is not sent. */
const t = useApp();
const smtp = useSink();
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

async function cards() {
  await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'office@kesher.test');
  const ok = await makeCustomer(t.db, t.fx.tenantId, { email: 'ok@example.com' });
  const noEmail = await makeCustomer(t.db, t.fx.tenantId, { email: null, phone: '050-7654321' });
  const twinA = await makeCustomer(t.db, t.fx.tenantId, { email: 'twin@example.com' });
  const twinB = await makeCustomer(t.db, t.fx.tenantId, { email: 'TWIN@example.com' });
  const broken = await makeCustomer(t.db, t.fx.tenantId, { email: 'broken@example.com' });
  await t.db.execute(sql`update customers set email = 'not an address' where id = ${broken.id}`);
  const gone = await makeCustomer(t.db, t.fx.tenantId, { email: 'unsubscribed@example.com' });
  await suppress(t.db, t.fx.tenantId, 'Unsubscribed@Example.com', 'unsubscribed');
  return { ok, noEmail, twinA, twinB, broken, gone };
}

describe('enqueueing', () => {
  it('previews and enqueues with the reasons a message is skipped; suppression applies to bulk mail only', async () => {
    const c = await cards();
    const recipients = Object.values(c).map((x) => ({ customerId: x.id }));
    recipients.push({ customerId: '00000000-0000-4000-8000-000000000001' });
    const plan = await planMessages(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients });
    expect(plan).toEqual({ queued: 2, skipped: { no_email: 1, duplicate_address: 1, invalid_email: 1, suppressed: 1 }, alreadyEnqueued: 0, notFound: 1, languageFallbacks: [] });
    expect(await rows(t.db, sql`select id from outbox`)).toEqual([]);

    const { runId, enqueued } = await sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients });
    expect(enqueued).toEqual(plan);
    const byCustomer = new Map((await outboxRows(t.db, runId)).map((o) => [o.customer_id, o]));
    expect(byCustomer.get(c.twinA.id)).toMatchObject({ state: 'queued', skip_reason: null });
    expect(byCustomer.get(c.twinB.id)).toMatchObject({ state: 'skipped', skip_reason: 'duplicate_address' });
    expect(byCustomer.get(c.gone.id)).toMatchObject({ state: 'skipped', skip_reason: 'suppressed' });
    expect(byCustomer.get(c.ok.id)!.idempotency_key).toBe(`${runId}:${c.ok.id}`);
    expect(await runCounts(t.db, t.fx.tenantId, runId)).toMatchObject({ total: 6, queued: 2, skipped: 4, skippedBy: { no_email: 1, duplicate_address: 1, invalid_email: 1, suppressed: 1 } });

    const invitation = await planMessages(t.db, settings, { tenantId: t.fx.tenantId, kind: 'invitation', templateKey: 'Invite_to_Website_Email', recipients });
    expect(invitation.queued).toBe(3);
    expect(invitation.skipped.suppressed).toBeUndefined();
  });

  it('is idempotent per run and customer, and sees duplicate addresses across pages', async () => {
    const c = await cards();
    const runId = await createRun(t.db, { tenantId: t.fx.tenantId, kind: 'invitation', templateKey: 'Invite_to_Website_Email', source: {} });
    const first = await enqueueMessages(t.db, settings, { tenantId: t.fx.tenantId, runId, recipients: [{ customerId: c.ok.id }, { customerId: c.twinA.id }] });
    expect(first.queued).toBe(2);
    const again = await enqueueMessages(t.db, settings, { tenantId: t.fx.tenantId, runId, recipients: [{ customerId: c.ok.id }, { customerId: c.twinA.id }, { customerId: c.twinB.id }] });
    expect(again).toMatchObject({ queued: 0, alreadyEnqueued: 2, skipped: { duplicate_address: 1 } });
    const [run] = await rows<{ total: number }>(t.db, sql`select total from mail_runs where id = ${runId}`);
    expect(run!.total).toBe(3);
  });

  it('with no mailbox anywhere, messages are kept as not delivered', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'x@example.com' });
    const { enqueued } = await sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients: [{ customerId: c.id }] });
    expect(enqueued.skipped).toEqual({ no_mailbox: 1 });
  });

  it('stop() finishes the messages in flight and records them; nothing is left "sending"', async () => {
    await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'office@kesher.test');
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `s${i}@example.com` })).id);
    smtp.sink.clear();
    const { runId } = await sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients: ids.map((customerId) => ({ customerId })) });
    const worker = testWorker(t.db, settings, { batchSize: 5, lanes: 1 }).start();
    await smtp.sink.waitFor(1);
    await worker.stop();
    const counts = await runCounts(t.db, t.fx.tenantId, runId);
    expect(counts.sending).toBe(0);
    expect(counts.sent).toBe(smtp.sink.messages.length);
    expect(counts.sent).toBeLessThan(60);
    expect(counts.queued).toBe(60 - counts.sent);
  });
});
