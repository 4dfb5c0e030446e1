import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { claimMessages, recordResults, releaseExpiredLeases, type Outcome } from './delivery.js';
import { mailSettings } from './index.js';
import { makeCustomer, makeMailbox, sendRun, useSink } from './testing.js';

/** A run is 'done' once nothing of it is queued or sending, however its last batches are recorded. */
const t = useApp();
const smtp = useSink();
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

async function run(n: number) {
  await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'office@kesher.test');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `f${i}.${Date.now()}@example.com` })).id);
  return sendRun(t.db, settings, { tenantId: t.fx.tenantId, kind: 'bulk', templateKey: 'Invite_to_Website_Email', recipients: ids.map((customerId) => ({ customerId })) });
}

const stateOf = async (runId: string) => (await rows<{ state: string }>(t.db, sql`select state from mail_runs where id = ${runId}`))[0]!.state;
const sent: Outcome = { state: 'sent', messageId: '<m@kesher.test>', filed: { subject: 's', body: 'b' } };

describe('finishing runs', () => {
  it('two last batches of a run recorded at the same moment: the run ends done, every message filed once', async () => {
    const { runId } = await run(4);
    const a = await claimMessages(t.db, { batchSize: 2, leaseSeconds: 60 });
    const b = await claimMessages(t.db, { batchSize: 2, leaseSeconds: 60 });
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    expect(await stateOf(runId)).toBe('sending');
    await Promise.all([a, b].map((batch) => recordResults(t.db, batch.map((message) => ({ message, outcome: sent })))));
    expect(await stateOf(runId)).toBe('done');
    const [filed] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from interactions i join outbox o on o.id = i.outbox_id where o.run_id = ${runId}`);
    expect(filed!.n).toBe(4);
  });

  it('a retry keeps the run open; the lease sweep finishes a run left sending with nothing to do', async () => {
    const { runId } = await run(2);
    const batch = await claimMessages(t.db, { batchSize: 10, leaseSeconds: 60 });
    await recordResults(t.db, [
      { message: batch[0]!, outcome: sent },
      { message: batch[1]!, outcome: { state: 'queued', error: '421 try later', retryInSeconds: 3600 } },
    ]);
    expect(await stateOf(runId)).toBe('sending');
    // As a worker that stopped between recording and finishing would leave it.
    await t.db.execute(sql`update outbox set state = 'failed' where run_id = ${runId} and state = 'queued'`);
    expect(await stateOf(runId)).toBe('sending');
    await releaseExpiredLeases(t.db, 8);
    expect(await stateOf(runId)).toBe('done');
  });
});
