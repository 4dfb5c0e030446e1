import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { seedTenant, TestClient, useApp } from '../../testing/index.js';
import { mailSettings } from '../mail/index.js';
import { suppress } from '../mail/suppressions.js';
import { deliverAll, makeBranch, makeCustomer, makeMailbox, outboxRows, testWorker, useSink } from '../mail/testing.js';
import { ensureInitialPasswords, readInitialPassword } from '../portal/index.js';
import { RunPreparer } from './preparer.js';
import { downloadSheet, footprint, passwordIn, prepareAll } from './testing.js';

/**
 * Invitation runs and bulk emails through the HTTP API, as the wizard uses it: preview, confirm
 * (202), the run preparer (driven by the test, not a timer), the mail worker against a real SMTP
 * sink on loopback, the progress and the report.
 */
const t = useApp();
const smtp = useSink();
// The app under test has no SMTP_URL either: "no mailbox anywhere" is a real case here.
const settings = mailSettings({ publicUrl: 'https://crm.example.com' });

const worker = () => {
  const w = testWorker(t.db, settings);
  smtp.workers.push(w);
  return w;
};
const deliver = () => deliverAll(t.db, worker());
const prepare = (extra: Parameters<typeof prepareAll>[2] = {}) => prepareAll(t.db, settings, extra);

async function mailbox() {
  return makeMailbox(t.db, t.fx.tenantId, smtp.sink, t.fx.branchId, 'il@kesher.test');
}

async function start(body: unknown, path = '/api/v1/invitations'): Promise<string> {
  const r = await t.admin.post(path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(Object.keys(r.body)).toEqual(['id']);
  return r.body.id;
}

const status = async (id: string, path = '/api/v1/invitations') => {
  const r = await t.staff.get(`${path}/${id}`);
  expect(r.status).toBe(200);
  return r.body;
};

const runCount = async () => (await rows<{ n: number }>(t.db, sql`select count(*)::int as n from mail_runs`))[0]!.n;

/** A customer whose password is their own choice (an argon2id hash stands for it). */
async function chooseOwnPassword(customerId: string) {
  await t.db.execute(
    sql`insert into portal_credentials (customer_id, tenant_id, password_hash, password_set_at) values (${customerId}, ${t.fx.tenantId}, '$argon2id$placeholder', now())
        on conflict (customer_id) do update set password_hash = excluded.password_hash, initial_password = null`,
  );
}

describe('preview', () => {
  it('counts new / existing / own passwords and the skipped by reason, and writes nothing', async () => {
    await mailbox();
    const fresh = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
    const existing = await makeCustomer(t.db, t.fx.tenantId, { email: 'existing@example.com' });
    const own = await makeCustomer(t.db, t.fx.tenantId, { email: 'own@example.com' });
    const noEmail = await makeCustomer(t.db, t.fx.tenantId, { email: null });
    const invalid = await makeCustomer(t.db, t.fx.tenantId, { email: 'x@example.com' });
    await t.db.execute(sql`update customers set email = 'not an address' where id = ${invalid.id}`);
    const twin = await makeCustomer(t.db, t.fx.tenantId, { email: 'DANA@example.com' });
    const expired = await makeCustomer(t.db, t.fx.tenantId, { email: 'expired@example.com' });
    await ensureInitialPasswords(t.db, t.fx.tenantId, [existing.id, expired.id]);
    await t.db.execute(sql`update portal_credentials set initial_expires_at = now() - interval '1 second' where customer_id = ${expired.id}`);
    await chooseOwnPassword(own.id);
    const before = await footprint(t.db);

    const ids = [fresh.id, existing.id, own.id, noEmail.id, invalid.id, twin.id, expired.id];
    const r = await t.staff.post('/api/v1/invitations/preview', { customerIds: ids });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      total: 7,
      willSend: 4,
      newPasswords: 5, // fresh, noEmail, invalid, twin, expired: passwords are made for every card of the list
      existingPasswords: 1,
      setPasswordLinks: 1,
      skipped: 3,
      skippedBy: { no_email: 1, invalid_email: 1, duplicate_address: 1 },
      languageFallbacks: [],
      mailboxConfigured: true,
    });
    expect(await footprint(t.db)).toEqual(before);
  });

  it('says when no mailbox is configured anywhere', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'nobox@example.com' });
    const r = await t.staff.post('/api/v1/invitations/preview', { customerIds: [c.id] });
    expect(r.body).toMatchObject({ total: 1, willSend: 0, newPasswords: 1, skippedBy: { no_mailbox: 1 }, mailboxConfigured: false });
  });

  it('previews a filter and a bulk email the same way', async () => {
    await mailbox();
    const a = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Cohen', email: 'cohen1@example.com' });
    await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Cohen', email: 'cohen2@example.com' });
    await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Levi', email: 'levi@example.com' });
    await suppress(t.db, t.fx.tenantId, 'cohen1@example.com', 'unsubscribed');
    const inv = await t.staff.post('/api/v1/invitations/preview', { filter: { q: 'Cohen' } });
    expect(inv.body).toMatchObject({ total: 2, willSend: 2, newPasswords: 2, skipped: 0 });
    const bulk = await t.staff.post('/api/v1/bulk-emails/preview', { filter: { q: 'Cohen' } });
    expect(bulk.body).toMatchObject({ total: 2, willSend: 1, newPasswords: 0, existingPasswords: 0, setPasswordLinks: 0, skippedBy: { suppressed: 1 } });
    expect(a.id).toBeTruthy();
  });
});

describe('an invitation run', () => {
  it('POST → 202 → preparer → worker → one Hebrew message each from the branch mailbox; the password logs in', async () => {
    await mailbox();
    const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
    const yossi = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'יוסי', lastName: 'כהן', email: 'yossi@example.com' });
    const nobody = await makeCustomer(t.db, t.fx.tenantId, { email: null });

    const id = await start({ customerIds: [dana.id, yossi.id, nobody.id] });
    expect(await status(id)).toMatchObject({ state: 'pending', total: 3, sent: 0, kind: 'invitation', source: 'customers', templateKey: 'Invite_to_Website_Email' });
    expect(await rows(t.db, sql`select 1 from portal_credentials`)).toEqual([]);
    expect(await prepare()).toBe(1);
    const prepared = await status(id);
    expect(prepared).toMatchObject({ state: 'sending', total: 3, queued: 2, skipped: 1, skippedBy: { no_email: 1 }, newPasswords: 3 });

    await deliver();
    expect(smtp.sink.messages).toHaveLength(2);
    const [m] = smtp.sink.to('dana@example.com');
    expect(m!.envelope.to).toEqual(['dana@example.com']);
    expect(m!.mail.to && !Array.isArray(m!.mail.to) ? m!.mail.to.value[0]?.address : null).toBe('dana@example.com');
    expect(m!.mail.from?.value[0]?.address).toBe('il@kesher.test');
    expect(m!.mail.html).toContain('<html dir="rtl" lang="he">');
    expect(m!.mail.subject).toContain('דנה לוי');
    expect(m!.key).toBe(`${id}:${dana.id}`);
    expect(smtp.sink.to('yossi@example.com')).toHaveLength(1);

    const done = await status(id);
    expect(done).toMatchObject({ state: 'done', total: 3, queued: 0, sending: 0, sent: 2, failed: 0, skipped: 1, skippedBy: { no_email: 1 } });
    expect(done.finishedAt).toBeTruthy();
    // Filed on the card, the password masked.
    const filed = (await t.staff.get(`/api/v1/customers/${dana.id}/interactions`)).body.items.filter((i: { type: string }) => i.type === 'email');
    expect(filed).toHaveLength(1);
    expect(filed[0].subject).toBe(m!.mail.subject);
    expect(filed[0].body).toContain('סיסמה: ••••••••');
    expect(filed[0].body).not.toContain(passwordIn(m!.mail.text)!);
    const list = await t.staff.get('/api/v1/invitations');
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await t.staff.get(`/api/v1/bulk-emails/${id}`)).status).toBe(404);

    // The emailed password logs in (by customer number, or by email) and demands a new one.
    const password = passwordIn(m!.mail.text)!;
    expect(password).toMatch(/^[A-Za-z2-9]{8}$/);
    const byNumber = await new TestClient(t.app).post('/portal/api/login', { username: String(dana.customerNumber), password });
    expect(byNumber.status).toBe(200);
    expect(byNumber.body.mustChangePassword).toBe(true);
    const yPassword = passwordIn(smtp.sink.to('yossi@example.com')[0]!.mail.text)!;
    const byEmail = await new TestClient(t.app).post('/portal/api/login', { username: 'yossi@example.com', password: yPassword });
    expect(byEmail.body).toEqual({ mustChangePassword: true });
  });

  it('commits every password before the first message is enqueued (page by page)', async () => {
    await mailbox();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `p${i}@example.com` })).id);
    const id = await start({ customerIds: ids });
    const inOrder = (await rows<{ id: string }>(t.db, sql`select id from customers where tenant_id = ${t.fx.tenantId} order by created_at, id`)).map((r) => r.id);
    const pages: string[] = [];
    await prepare({
      pageSize: 3,
      onPage: async (page) => {
        pages.push(`${page.phase}:${page.index}:${page.size}`);
        const [outbox] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from outbox where run_id = ${id}`);
        if (page.phase === 'passwords') {
          expect(outbox!.n).toBe(0);
          const done = inOrder.slice(0, (page.index + 1) * 3);
          const stored = await rows<{ customer_id: string }>(t.db, sql`select customer_id from portal_credentials where initial_password is not null`);
          expect(stored.map((s) => s.customer_id).sort()).toEqual([...done].sort());
        } else {
          expect(outbox!.n).toBe(Math.min((page.index + 1) * 3, 7));
        }
      },
    });
    expect(pages).toEqual(['passwords:0:3', 'passwords:1:3', 'passwords:2:1', 'messages:0:3', 'messages:1:3', 'messages:2:1']);
    expect(await status(id)).toMatchObject({ state: 'sending', total: 7, queued: 7, newPasswords: 7 });
  });
});

describe('retries never send twice', () => {
  async function seven() {
    await mailbox();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `r${i}@example.com` })).id);
    return ids;
  }
  const expireLease = (id: string) => t.db.execute(sql`update mail_runs set claimed_at = now() - interval '1 hour' where id = ${id}`);

  async function exactlyOnce(id: string, ids: string[]) {
    const outbox = await outboxRows(t.db, id);
    expect(outbox.map((o) => o.customer_id).sort()).toEqual([...ids].sort());
    const counts = smtp.sink.countByKey();
    expect(counts.size).toBe(ids.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await status(id)).toMatchObject({ state: 'done', total: ids.length, sent: ids.length });
  }

  it('a preparer that dies in the passwords phase, and one that dies in the messages phase, are resumed', async () => {
    const ids = await seven();
    const id = await start({ customerIds: ids });
    const die = (phase: string, index: number) => async (page: { phase: string; index: number }) => {
      if (page.phase === phase && page.index === index) throw new Error(`killed in ${phase} ${index}`);
    };
    // Dies after the second page of passwords: the run waits for its lease to run out.
    await new RunPreparer(t.db, { settings, pageSize: 3, onPage: die('passwords', 1) }).runOnce();
    expect(await prepare({ pageSize: 3 })).toBe(0);
    const [mid] = await rows<{ state: string; error: string | null }>(t.db, sql`select state, notes->'prepare'->>'lastError' as error from mail_runs where id = ${id}`);
    expect(mid).toEqual({ state: 'preparing', error: 'killed in passwords 1' });
    const firstPasswords = await rows<{ customer_id: string; initial_password: string }>(t.db, sql`select customer_id, initial_password from portal_credentials order by customer_id`);
    expect(firstPasswords).toHaveLength(6);

    // Taken over; dies again after the first page of messages, some of which the worker sends meanwhile.
    await expireLease(id);
    await new RunPreparer(t.db, { settings, pageSize: 3, onPage: die('messages', 0) }).runOnce();
    expect(await outboxRows(t.db, id)).toHaveLength(3);
    await deliver();
    expect(smtp.sink.messages).toHaveLength(3);
    expect((await status(id)).state).toBe('preparing');

    await expireLease(id);
    expect(await prepare({ pageSize: 3 })).toBe(1);
    await deliver();
    await exactlyOnce(id, ids);
    // The passwords of the first attempt were kept, not made again.
    const after = await rows<{ customer_id: string; initial_password: string }>(t.db, sql`select customer_id, initial_password from portal_credentials order by customer_id`);
    expect(after).toHaveLength(7);
    for (const p of firstPasswords) expect(after).toContainEqual(p);
    expect(await status(id)).toMatchObject({ newPasswords: 7, existingPasswords: 0 });
  });

  it('a preparer that lost its lease to another cannot add anything', async () => {
    const ids = await seven();
    const id = await start({ customerIds: ids });
    let tookOver = false;
    await new RunPreparer(t.db, {
      settings,
      pageSize: 3,
      onPage: async (page) => {
        if (page.phase === 'messages' && page.index === 0 && !tookOver) {
          tookOver = true;
          // A long pause: another preparer takes the run over and finishes it.
          await expireLease(id);
          expect(await prepare({ pageSize: 2 })).toBe(1);
        }
      },
    }).runOnce();
    expect(tookOver).toBe(true);
    await deliver();
    await exactlyOnce(id, ids);
  });

  it('running the same run again adds nothing; a new run re-sends on purpose with the same valid password', async () => {
    const ids = await seven();
    const id = await start({ customerIds: ids });
    await prepare();
    await deliver();
    const first = new Map(smtp.sink.messages.map((m) => [m.envelope.to[0]!, passwordIn(m.mail.text)!]));
    // The run is handed to a preparer again (say, a job queue delivered it twice).
    await t.db.execute(sql`update mail_runs set state = 'pending', notes = jsonb_set(notes, '{prepare,phase}', '"passwords"') where id = ${id}`);
    expect(await prepare()).toBe(1);
    await deliver();
    await exactlyOnce(id, ids);

    smtp.sink.clear();
    const again = await start({ customerIds: ids });
    expect(again).not.toBe(id);
    await prepare();
    await deliver();
    expect(smtp.sink.messages).toHaveLength(7);
    for (const m of smtp.sink.messages) expect(passwordIn(m.mail.text)).toBe(first.get(m.envelope.to[0]!));
    expect(await status(again)).toMatchObject({ state: 'done', sent: 7, newPasswords: 0, existingPasswords: 7 });
    const report = await downloadSheet(t.app, t.staff, `/api/v1/invitations/${again}/report.xlsx`, 'en');
    expect(report.rows.slice(1, 8).map((r) => [r[3], r[6]])).toEqual(Array(7).fill(['sent', 'existing password re-sent']));
  });
});

describe('who a run is for', () => {
  it('a filter run takes the customers the filter names (status, search)', async () => {
    await mailbox();
    const a = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Follow', email: 'f1@example.com' });
    const b = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Follow', email: 'f2@example.com' });
    await makeCustomer(t.db, t.fx.tenantId, { lastName: 'New', email: 'n1@example.com' });
    await t.db.execute(sql`update customers set status = 'follow_up' where id in (${a.id}, ${b.id})`);
    const id = await start({ filter: { status: 'follow_up' } });
    expect(await status(id)).toMatchObject({ source: 'filter', total: 2 });
    // A card that comes into the filter after the run was confirmed waits for the next run.
    const late = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Late', email: 'late@example.com' });
    await t.db.execute(sql`update customers set status = 'follow_up' where id = ${late.id}`);
    await prepare();
    await deliver();
    expect(smtp.sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['f1@example.com', 'f2@example.com']);

    smtp.sink.clear();
    const byName = await start({ filter: { q: 'New' } }, '/api/v1/bulk-emails');
    await prepare();
    await deliver();
    expect(smtp.sink.messages.map((m) => m.envelope.to[0])).toEqual(['n1@example.com']);
    expect(await status(byName, '/api/v1/bulk-emails')).toMatchObject({ state: 'done', sent: 1, source: 'filter' });
  });

  it('refuses a list with no customers, neither or both of ids and filter, an unknown filter, and staff; nothing is created', async () => {
    await mailbox();
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'x@example.com' });
    const before = await footprint(t.db);
    const cases: [unknown, number, RegExp][] = [
      [{ customerIds: [] }, 400, /no customers/],
      [{ customerIds: ['00000000-0000-4000-8000-000000000000'] }, 400, /no customers/],
      [{ filter: { status: 'frozen' } }, 400, /no customers/],
      [{}, 400, /customerIds.*filter/],
      [{ customerIds: [c.id], filter: {} }, 400, /customerIds.*filter/],
      [{ filter: { stauts: 'new' } }, 400, /stauts/],
      [{ customerIds: ['not-a-uuid'] }, 400, /./],
    ];
    for (const [body, code, message] of cases) {
      for (const path of ['/api/v1/invitations', '/api/v1/bulk-emails']) {
        const r = await t.admin.post(path, body, { 'accept-language': 'en' });
        expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(code);
        expect(r.body.message, JSON.stringify(body)).toMatch(message);
      }
    }
    const he = await t.admin.post('/api/v1/invitations', { customerIds: [] });
    expect(he.body.message).toContain('לא נוצר ולא נשלח דבר');
    const staff = await t.staff.post('/api/v1/invitations', { customerIds: [c.id] });
    expect(staff.status).toBe(403);
    expect((await t.staff.post('/api/v1/bulk-emails', { customerIds: [c.id] })).status).toBe(403);
    expect(await footprint(t.db)).toEqual(before);
    expect(await runCount()).toBe(0);
  });

  it("never sends to another database's customers", async () => {
    await mailbox();
    const other = await seedTenant(t.db);
    const theirs = await makeCustomer(t.db, other.tenantId, { email: 'theirs@example.com' });
    await makeMailbox(t.db, other.tenantId, smtp.sink, null, 'other@kesher.test');
    const ours = await makeCustomer(t.db, t.fx.tenantId, { email: 'ours@example.com' });

    const refused = await t.admin.post('/api/v1/invitations', { customerIds: [theirs.id] });
    expect(refused.status).toBe(400);
    const preview = await t.admin.post('/api/v1/invitations/preview', { customerIds: [theirs.id, ours.id] });
    expect(preview.body).toMatchObject({ total: 1, willSend: 1, newPasswords: 1 });
    const id = await start({ customerIds: [theirs.id, ours.id] });
    expect(await status(id)).toMatchObject({ total: 1 });
    await prepare();
    await deliver();
    expect(smtp.sink.messages.map((m) => m.envelope.to[0])).toEqual(['ours@example.com']);
    expect(await rows(t.db, sql`select 1 from portal_credentials where customer_id = ${theirs.id}`)).toEqual([]);
    // The other database cannot see the run.
    const theirAdmin = await TestClient.login(t.app, other.admin.email);
    expect((await theirAdmin.get(`/api/v1/invitations/${id}`)).status).toBe(404);
    expect((await theirAdmin.get(`/api/v1/invitations/${id}/report.xlsx`)).status).toBe(404);
  });
});

describe('the run report', () => {
  it('lists every recipient with sent / skipped and the reason, in Hebrew or English; no password in it', async () => {
    await mailbox();
    const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
    const nobody = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'אין', lastName: 'כתובת', email: null });
    const own = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'רון', lastName: 'כץ', email: 'ron@example.com' });
    await chooseOwnPassword(own.id);
    const id = await start({ customerIds: [dana.id, nobody.id, own.id] });
    await prepare();
    await deliver();
    expect(smtp.sink.to('ron@example.com')[0]!.mail.text).toMatch(/set-password\?token=/);
    const password = passwordIn(smtp.sink.to('dana@example.com')[0]!.mail.text)!;

    const he = await downloadSheet(t.app, t.staff, `/api/v1/invitations/${id}/report.xlsx`, 'he');
    expect(he.status).toBe(200);
    expect(he.headers['content-disposition']).toMatch(/^attachment; filename="invitation-report-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.xlsx"$/);
    expect(he.rtl).toBe(true);
    expect(he.rows[0]).toEqual(['מספר לקוח', 'שם', 'דוא"ל', 'מצב', 'סיבה', 'נשלח ב־', 'גישה לאזור האישי']);
    const byNumber = new Map(he.rows.slice(1).map((r) => [r[0], r]));
    expect(byNumber.get(String(dana.customerNumber))).toEqual([String(dana.customerNumber), 'דנה לוי', 'dana@example.com', 'נשלח', '', expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/), 'סיסמה חדשה']);
    expect(byNumber.get(String(nobody.customerNumber))!.slice(0, 5)).toEqual([String(nobody.customerNumber), 'אין כתובת', '', 'לא נשלח', 'אין כתובת דוא"ל']);
    expect(JSON.stringify(he.rows)).not.toContain(password);

    const en = await downloadSheet(t.app, t.staff, `/api/v1/invitations/${id}/report.xlsx`, 'en');
    expect(en.rtl).toBe(false);
    expect(en.rows[0]).toEqual(['Customer number', 'Name', 'Email', 'State', 'Reason', 'Sent at', 'Portal access']);
    expect(en.rows.slice(1).find((r) => r[0] === String(nobody.customerNumber))!.slice(3, 5)).toEqual(['skipped', 'no email address']);
    const ownLine = en.rows.slice(1).find((r) => r[0] === String(own.customerNumber))!;
    expect([ownLine[3], ownLine[6]]).toEqual(['sent', 'set-password link']);
    expect(byNumber.get(String(own.customerNumber))![6]).toBe('קישור לבחירת סיסמה');

    expect((await downloadSheet(t.app, t.staff, `/api/v1/bulk-emails/${id}/report.xlsx`)).status).toBe(404);
    expect((await downloadSheet(t.app, t.staff, `/api/v1/invitations/00000000-0000-4000-8000-000000000000/report.xlsx`)).status).toBe(404);
  });
});

describe('reset and resend', () => {
  it('makes a new password (not the old one) and sends it in a one-customer run', async () => {
    await mailbox();
    const c = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'רון', lastName: 'כץ', email: 'ron@example.com' });
    await ensureInitialPasswords(t.db, t.fx.tenantId, [c.id]);
    const old = (await readInitialPassword(t.db, t.fx.tenantId, c.id))!;

    expect((await t.staff.post(`/api/v1/customers/${c.id}/portal-password/resend`)).status).toBe(403);
    const r = await t.admin.post(`/api/v1/customers/${c.id}/portal-password/resend`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(Object.keys(r.body)).toEqual(['id']);
    const fresh = (await readInitialPassword(t.db, t.fx.tenantId, c.id))!;
    expect(fresh).not.toBe(old);

    await prepare();
    await deliver();
    expect(smtp.sink.messages).toHaveLength(1);
    expect(passwordIn(smtp.sink.messages[0]!.mail.text)).toBe(fresh);
    expect(await status(r.body.id)).toMatchObject({ state: 'done', total: 1, sent: 1, newPasswords: 1, existingPasswords: 0 });
    expect((await new TestClient(t.app).post('/portal/api/login', { username: 'ron@example.com', password: old })).status).toBe(401);
    expect((await new TestClient(t.app).post('/portal/api/login', { username: 'ron@example.com', password: fresh })).body).toEqual({ mustChangePassword: true });
  });

  it('is refused for a card without email (or no mailbox), and nothing is reset', async () => {
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: null });
    await ensureInitialPasswords(t.db, t.fx.tenantId, [c.id]);
    const before = await rows(t.db, sql`select initial_password from portal_credentials where customer_id = ${c.id}`);
    const r = await t.admin.post(`/api/v1/customers/${c.id}/portal-password/resend`, {}, { 'accept-language': 'en' });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('This card has no email address: nothing was reset or sent');
    const noBox = await makeCustomer(t.db, t.fx.tenantId, { email: 'nobox@example.com' });
    const r2 = await t.admin.post(`/api/v1/customers/${noBox.id}/portal-password/resend`);
    expect(r2.status).toBe(400);
    expect(r2.body.message).toContain('לא הוגדרה תיבת דואר');
    expect((await t.admin.post(`/api/v1/customers/00000000-0000-4000-8000-000000000000/portal-password/resend`)).status).toBe(404);
    expect(await rows(t.db, sql`select initial_password from portal_credentials where customer_id = ${c.id}`)).toEqual(before);
    expect(await runCount()).toBe(0);
  });
});

describe('bulk email', () => {
  it('sends a template, files it on the cards, makes no passwords, skips suppressed addresses', async () => {
    await mailbox();
    const put = await t.admin.request('PUT', '/api/v1/templates/Newsletter/he', { subject: 'חדשות ל{#First_Name}', html: '<p>שלום {#Client_Full_Name}</p>' });
    expect(put.status).toBe(200);
    const dana = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
    const gone = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'גד', lastName: 'אלון', email: 'gone@example.com' });
    await suppress(t.db, t.fx.tenantId, 'gone@example.com', 'unsubscribed');

    const missing = await t.admin.post('/api/v1/bulk-emails', { customerIds: [dana.id], templateKey: 'No_Such_Template' }, { 'accept-language': 'en' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('There is no template "No_Such_Template" in any language');

    const id = await start({ customerIds: [dana.id, gone.id], templateKey: 'Newsletter' }, '/api/v1/bulk-emails');
    await prepare();
    await deliver();
    expect(smtp.sink.messages.map((m) => m.envelope.to[0])).toEqual(['dana@example.com']);
    expect(smtp.sink.messages[0]!.mail.subject).toBe('חדשות לדנה');
    expect(smtp.sink.messages[0]!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(await status(id, '/api/v1/bulk-emails')).toMatchObject({
      kind: 'bulk',
      state: 'done',
      templateKey: 'Newsletter',
      total: 2,
      sent: 1,
      skipped: 1,
      skippedBy: { suppressed: 1 },
      newPasswords: 0,
    });
    expect(await rows(t.db, sql`select 1 from portal_credentials`)).toEqual([]);
    const filed = (await t.staff.get(`/api/v1/customers/${dana.id}/interactions`)).body.items.filter((i: { type: string }) => i.type === 'email');
    expect(filed).toHaveLength(1);
    expect(filed[0].subject).toBe('חדשות לדנה');
    expect((await t.staff.get(`/api/v1/customers/${gone.id}/interactions`)).body.items.filter((i: { type: string }) => i.type === 'email')).toEqual([]);

    const report = await downloadSheet(t.app, t.staff, `/api/v1/bulk-emails/${id}/report.xlsx`, 'en');
    expect(report.headers['content-disposition']).toContain('bulk-email-report-');
    expect(report.rows[0]).toEqual(['Customer number', 'Name', 'Email', 'State', 'Reason', 'Sent at']);
    expect(report.rows.find((r) => r[2] === 'gone@example.com')!.slice(3, 5)).toEqual(['skipped', 'unsubscribed / suppressed']);
  });

  it('uses the built-in Bulk_Email template when none is named', async () => {
    await mailbox();
    const c = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'dana@example.com' });
    const id = await start({ customerIds: [c.id] }, '/api/v1/bulk-emails');
    await prepare();
    await deliver();
    expect(await status(id, '/api/v1/bulk-emails')).toMatchObject({ templateKey: 'Bulk_Email', sent: 1 });
    expect(smtp.sink.messages[0]!.mail.html).toContain('dir="rtl"');
  });
});

describe('branches', () => {
  it('each customer gets the branch language from the branch mailbox; a branch without one falls back to the default', async () => {
    await mailbox();
    const us = await makeBranch(t.db, t.fx.tenantId, { name: 'USA', country: 'US', language: 'en' });
    const eu = await makeBranch(t.db, t.fx.tenantId, { name: 'Europe', country: 'FR', language: 'en' });
    await makeMailbox(t.db, t.fx.tenantId, smtp.sink, us.id, 'us@kesher.test');
    await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'office@kesher.test');
    const il = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', email: 'il@example.com' });
    const john = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'John', lastName: 'Smith', email: 'us@example.com', branchId: us.id });
    const marie = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'Marie', lastName: 'Curie', email: 'eu@example.com', branchId: eu.id });
    await start({ customerIds: [il.id, john.id, marie.id] });
    await prepare();
    await deliver();
    const from = (to: string) => smtp.sink.to(to)[0]!.mail.from?.value[0]?.address;
    expect([from('il@example.com'), from('us@example.com'), from('eu@example.com')]).toEqual(['il@kesher.test', 'us@kesher.test', 'office@kesher.test']);
    expect(smtp.sink.to('us@example.com')[0]!.mail.html).toContain('<html dir="ltr" lang="en">');
    expect(smtp.sink.to('il@example.com')[0]!.mail.html).toContain('<html dir="rtl" lang="he">');
  });
});

describe('runs in detail', () => {
  it('the same address across pages is sent once; progress while preparing counts the confirmed list', async () => {
    await mailbox();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: i === 3 ? 'solo@example.com' : 'Family@example.com' })).id);
    const id = await start({ customerIds: ids });
    const seen: { state: string; total: number }[] = [];
    await prepare({
      pageSize: 1,
      onPage: async () => {
        const s = await status(id);
        seen.push({ state: s.state, total: s.total });
      },
    });
    expect(seen.every((s) => s.state === 'preparing' && s.total === 4)).toBe(true);
    await deliver();
    expect(smtp.sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['Family@example.com', 'solo@example.com']);
    expect(smtp.sink.to('family@example.com')[0]!.key).toBe(`${id}:${ids[0]}`);
    expect(await status(id)).toMatchObject({ state: 'done', total: 4, sent: 2, skipped: 2, skippedBy: { duplicate_address: 2 } });
  });

  it('a run whose preparation keeps failing ends "failed" with the reason', async () => {
    await mailbox();
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'f@example.com' });
    const id = await start({ customerIds: [c.id] });
    const failing = new RunPreparer(t.db, {
      settings,
      maxAttempts: 2,
      onPage: () => {
        throw new Error('database on fire');
      },
    });
    for (let i = 0; i < 3; i++) {
      expect(await failing.runOnce()).toBe(true);
      await t.db.execute(sql`update mail_runs set claimed_at = now() - interval '1 hour' where id = ${id}`);
    }
    const s = await status(id);
    expect(s).toMatchObject({ state: 'failed', sent: 0 });
    expect(s.error).toBe('preparation failed 2 times: database on fire');
    expect(s.finishedAt).toBeTruthy();
    expect(await failing.runOnce()).toBe(false);
  });

  it('lists runs newest first; a missing run is a 404 in the caller’s language', async () => {
    await mailbox();
    const c = await makeCustomer(t.db, t.fx.tenantId, { email: 'l@example.com' });
    const first = await start({ customerIds: [c.id] });
    const second = await start({ customerIds: [c.id] });
    const bulk = await start({ customerIds: [c.id] }, '/api/v1/bulk-emails');
    expect((await t.staff.get('/api/v1/invitations')).body.items.map((r: { id: string }) => r.id)).toEqual([second, first]);
    expect((await t.staff.get('/api/v1/invitations?limit=1')).body.items).toHaveLength(1);
    expect((await t.staff.get('/api/v1/bulk-emails')).body.items.map((r: { id: string }) => r.id)).toEqual([bulk]);
    const missing = await t.staff.get('/api/v1/invitations/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('ההרצה לא נמצאה');
    expect((await t.staff.get('/api/v1/invitations/00000000-0000-4000-8000-000000000000', { 'accept-language': 'en' })).body.message).toBe('Mail run not found');
  });

  it('a template missing the customer’s language goes in the database language, and the status and report say so', async () => {
    await mailbox();
    await t.admin.request('PUT', '/api/v1/templates/Newsletter/he', { subject: 'חדשות', html: '<p>שלום {#Client_Full_Name}</p>' });
    const john = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'John', lastName: 'Smith', language: 'en', email: 'john@example.com' });
    const preview = await t.staff.post('/api/v1/bulk-emails/preview', { customerIds: [john.id], templateKey: 'Newsletter' });
    expect(preview.body.languageFallbacks).toEqual([{ wanted: 'en', used: 'he', count: 1 }]);
    const id = await start({ customerIds: [john.id], templateKey: 'Newsletter' }, '/api/v1/bulk-emails');
    await prepare();
    await deliver();
    expect(await status(id, '/api/v1/bulk-emails')).toMatchObject({ sent: 1, languageFallbacks: [{ wanted: 'en', used: 'he', count: 1 }] });
    const report = await downloadSheet(t.app, t.staff, `/api/v1/bulk-emails/${id}/report.xlsx`, 'en');
    expect(report.rows.at(-1)).toEqual(['Language fallbacks', '1 message in Hebrew instead of English (no template in English)']);
    const he = await downloadSheet(t.app, t.staff, `/api/v1/bulk-emails/${id}/report.xlsx`, 'he');
    expect(he.rows.at(-1)).toEqual(['שפה חלופית', 'הודעה אחת בעברית במקום באנגלית (אין תבנית באנגלית)']);
  });
});

describe('the preparer in the background', () => {
  /** Waits (without a time limit of its own: the test's) until the run reaches a state. */
  async function until(id: string, state: string) {
    for (;;) {
      const s = await status(id);
      if (s.state === state) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('is woken by a new run, and on stop hands its run back for any preparer to resume at once', async () => {
    await mailbox();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await makeCustomer(t.db, t.fx.tenantId, { email: `b${i}@example.com` })).id);

    // A long idle wait: only the "created" event can wake it in time (asleep already, or still busy).
    const awake = new RunPreparer(t.db, { settings, idleMs: 600_000 }).start();
    const first = await start({ customerIds: ids.slice(0, 1) });
    await until(first, 'sending');
    await awake.stop();

    let stopped: Promise<void> | null = null;
    const stopping = new RunPreparer(t.db, {
      settings,
      idleMs: 600_000,
      pageSize: 2,
      onPage: (page) => {
        if (page.phase === 'passwords' && page.index === 0) stopped = stopping.stop();
      },
    });
    const second = await start({ customerIds: ids });
    stopping.start();
    await until(second, 'preparing');
    while (!stopped) await new Promise((r) => setTimeout(r, 20));
    await stopped;
    const [run] = await rows<{ state: string; attempts: number; phase: string }>(
      t.db,
      sql`select state, (notes->'prepare'->>'attempts')::int as attempts, notes->'prepare'->>'phase' as phase from mail_runs where id = ${second}`,
    );
    expect(run).toEqual({ state: 'preparing', attempts: 0, phase: 'passwords' });
    expect(await prepare({ pageSize: 2 })).toBe(1);
    await deliver();
    expect(smtp.sink.countByKey().size).toBe(6);
    expect([...smtp.sink.countByKey().values()].every((n) => n === 1)).toBe(true);
    expect(await status(second)).toMatchObject({ state: 'done', sent: 5, newPasswords: 4, existingPasswords: 1 });
  });
});
