import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { PASSWORD, seedTenant, TestClient, useApp, type TenantFixture } from '../../testing/index.js';
import { serverMailboxFrom } from '../mail/transport.js';
import { deliverAll, testWorker, useSink } from '../mail/testing.js';
import { createDatabase } from '../tenants/index.js';

/** Issue 10 §2: no cross-database account takeover; invitations; the owner; §5: a new password ends the other sessions. */
const t = useApp();
const mail = useSink();
let b: TenantFixture;
let adminB: TestClient;

beforeEach(async () => {
  b = await seedTenant(t.db, { name: 'Database B' });
  adminB = await TestClient.login(t.app, b.admin.email);
});

const settings = () => ({ publicUrl: 'https://crm.example', serverMailbox: serverMailboxFrom(mail.sink.url, 'Kesher <noreply@kesher.test>') });

/** Sends what is queued; returns the invitation links by recipient. */
async function deliverInvitations(): Promise<Map<string, { token: string; text: string; html: string; subject: string }>> {
  mail.worker = testWorker(t.db, settings());
  await deliverAll(t.db, mail.worker);
  const out = new Map<string, { token: string; text: string; html: string; subject: string }>();
  for (const m of mail.sink.messages) {
    const text = m.mail.text ?? '';
    const token = text.match(/accept-invitation\?token=([\w-]+)/)?.[1];
    if (token) out.set(m.envelope.to[0]!, { token, text, html: String(m.mail.html), subject: m.mail.subject ?? '' });
  }
  return out;
}

const account = async (id: string) =>
  (await rows<{ name: string; active: boolean; language: string }>(t.db, sql`select name, active, language from users where id = ${id}`))[0];
const memberOf = async (userId: string) =>
  (await rows<{ tenant_id: string; role: string; active: boolean }>(t.db, sql`select tenant_id, role, active from memberships where user_id = ${userId} order by tenant_id`));
const makeOwner = (id: string) => t.db.execute(sql`update users set is_owner = true where id = ${id}`);

describe('the takeover repro, refused at each step', () => {
  it('POST /users with another database’s account: no membership, nothing of the account in the reply, its password untouched', async () => {
    const victim = t.fx.admin;
    const r = await adminB.post('/api/v1/users', { email: victim.email, name: 'Given Name', password: 'attacker-password', role: 'admin' });
    const fresh = await adminB.post('/api/v1/users', { email: 'brand.new@example.com', name: 'Given Name', password: 'attacker-password', role: 'admin' });
    // The same status and shape for an existing account as for a new one; nothing of the account.
    expect(r.status).toBe(fresh.status);
    expect(Object.keys(r.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(r.body).toMatchObject({ email: victim.email, name: 'Given Name', role: 'admin', active: true });
    expect(r.body.id).not.toBe(victim.id);
    expect(JSON.stringify(r.body)).not.toContain('Admin 1');
    expect(await memberOf(victim.id)).toEqual([{ tenant_id: t.fx.tenantId, role: 'admin', active: true }]);
    // The victim cannot be reached through B: not listed, not patchable, no switch into B.
    expect((await adminB.get('/api/v1/users')).body.items.map((u: { id: string }) => u.id)).not.toContain(victim.id);
    for (const patch of [{ password: 'attacker-password' }, { active: false }, { name: 'x' }, { role: 'staff' }]) {
      expect((await adminB.patch(`/api/v1/users/${victim.id}`, patch)).status, JSON.stringify(patch)).toBe(404);
    }
    expect((await t.admin.post('/api/v1/auth/tenant', { tenantId: b.tenantId })).status).toBe(403);
    await TestClient.login(t.app, victim.email, PASSWORD);
    expect((await new TestClient(t.app).post('/api/v1/auth/login', { email: victim.email, password: 'attacker-password' })).status).toBe(401);
    expect(await account(victim.id)).toMatchObject({ name: 'Admin 1', active: true });
  });

  it('once the account accepted, B’s admin changes its role and its state in B only: never its password, name, language or A', async () => {
    await adminB.post('/api/v1/users', { email: t.fx.staff.email, name: 'x', password: 'whatever-123', role: 'staff' });
    const { token } = (await deliverInvitations()).get(t.fx.staff.email)!;
    expect((await t.staff.post('/api/v1/membership-invitations/accept', { token })).status).toBe(200);
    const id = t.fx.staff.id;
    const before = await account(id);
    for (const patch of [{ password: 'attacker-password' }, { name: 'x' }, { language: 'en' }]) {
      const r = await adminB.patch(`/api/v1/users/${id}`, patch, { 'accept-language': 'en' });
      expect(r.status, JSON.stringify(patch)).toBe(403);
      expect(r.body.message).toMatch(/account itself or the owner/);
    }
    expect((await adminB.patch(`/api/v1/users/${id}`, { role: 'admin' })).body.role).toBe('admin');
    expect((await adminB.patch(`/api/v1/users/${id}`, { active: false })).body.active).toBe(false);
    // Locked out of B only: the session in A works, the login works, A's list shows the user active.
    expect((await t.staff.get('/api/v1/customers')).status).toBe(200);
    await TestClient.login(t.app, t.fx.staff.email);
    expect((await t.admin.get(`/api/v1/users`)).body.items.find((u: { id: string }) => u.id === id).active).toBe(true);
    expect((await t.staff.post('/api/v1/auth/tenant', { tenantId: b.tenantId })).status).toBe(403);
    expect(await account(id)).toEqual(before);
  });

  it('the last-admin rule holds per database: B’s only admin cannot be demoted or deactivated in B, and A cannot touch it', async () => {
    expect((await adminB.patch(`/api/v1/users/${b.admin.id}`, { active: false })).status).toBe(409);
    expect((await adminB.patch(`/api/v1/users/${b.admin.id}`, { role: 'staff' })).status).toBe(409);
    expect((await t.admin.patch(`/api/v1/users/${b.admin.id}`, { active: false })).status).toBe(404);
    // A's second admin leaves A's last admin alone; demoting the only active one of A stays refused.
    await t.admin.patch(`/api/v1/users/${t.fx.staff.id}`, { role: 'admin' });
    await t.admin.patch(`/api/v1/users/${t.fx.staff.id}`, { active: false });
    expect((await t.admin.patch(`/api/v1/users/${t.fx.admin.id}`, { role: 'staff' })).status).toBe(409);
  });
});

describe('a walk over every user / membership route as A’s admin against B', () => {
  it('refuses each, and B’s accounts are unchanged', async () => {
    const groupB = (await adminB.post('/api/v1/groups', { name: 'B group' })).body;
    await adminB.post('/api/v1/users', { email: t.fx.staff.email, name: 'pending', password: 'long-enough-1', role: 'staff' });
    const before = new Map([[b.admin.id, await account(b.admin.id)], [b.staff.id, await account(b.staff.id)]]);
    const invitation = (await rows<{ id: string }>(t.db, sql`select id from membership_invitations where tenant_id = ${b.tenantId}`))[0]!;
    const targets = [b.admin.id, b.staff.id];
    const tried: [string, number][] = [];
    const probe = async (method: string, url: string, body?: unknown) => {
      const r = await t.admin.request(method, url, body);
      tried.push([`${method} ${url}`, r.status]);
      expect([403, 404], `${method} ${url}: ${JSON.stringify(r.body)}`).toContain(r.status);
    };
    for (const id of targets) {
      for (const patch of [{ name: 'x' }, { password: 'attacker-password' }, { active: false }, { role: 'staff' }, { role: 'admin' }, { language: 'en' }, { groupIds: [groupB.id] }]) {
        await probe('PATCH', `/api/v1/users/${id}`, patch);
      }
      await probe('PATCH', `/api/v1/accounts/${id}`, { active: false });
      await probe('PATCH', `/api/v1/accounts/${id}`, { password: 'attacker-password' });
    }
    await probe('PATCH', `/api/v1/users/${invitation.id}`, { role: 'admin' });
    for (const id of targets) await probe('POST', `/api/v1/users/${id}/unlock`);
    await probe('POST', '/api/v1/users', { email: 'x@example.com', name: 'x', password: 'long-enough-1', groupIds: [groupB.id] });
    await probe('POST', '/api/v1/auth/tenant', { tenantId: b.tenantId });
    await probe('GET', '/api/v1/databases');
    await probe('POST', '/api/v1/databases', { name: 'x', adminEmail: b.admin.email });
    await probe('POST', '/api/v1/membership-invitations/accept', { token: 'x'.repeat(43) });
    expect(tried.length).toBeGreaterThan(20);
    // Lists of A show nothing of B.
    expect(JSON.stringify((await t.admin.get('/api/v1/users')).body)).not.toContain(b.admin.email);
    expect(JSON.stringify((await t.admin.get('/api/v1/groups')).body)).not.toContain('B group');
    // B unchanged: names, state, roles, passwords, memberships.
    for (const id of [b.admin.id, b.staff.id]) {
      expect(await account(id)).toEqual(before.get(id));
      expect(await account(id)).toMatchObject({ active: true });
      expect(await memberOf(id)).toEqual([expect.objectContaining({ tenant_id: b.tenantId, active: true })]);
    }
    await TestClient.login(t.app, b.admin.email);
    await TestClient.login(t.app, b.staff.email);
    expect((await adminB.get(`/api/v1/users`)).body.items.map((u: { role: string }) => u.role).sort()).toEqual(['admin', 'staff']);
  });
});

describe('membership invitations', () => {
  it('emails a single-use link in the account’s language (Hebrew, right to left); only that account accepts it', async () => {
    const sent = await adminB.post('/api/v1/users', { email: t.fx.staff.email, name: 'x', password: 'whatever-123', role: 'staff' });
    expect(sent.status).toBe(201);
    const [stored] = await rows<{ token_hash: string | null }>(t.db, sql`select token_hash from membership_invitations`);
    expect(stored!.token_hash).toBeNull();
    const link = (await deliverInvitations()).get(t.fx.staff.email)!;
    expect(link.subject).toContain('Database B');
    expect(link.html).toMatch(/dir="rtl"/);
    expect(link.text).toContain('https://crm.example/accept-invitation?token=');
    const [hashed] = await rows<{ token_hash: string }>(t.db, sql`select token_hash from membership_invitations`);
    expect(hashed!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashed!.token_hash).not.toContain(link.token);
    // Not filed on any card, no membership yet.
    expect(await memberOf(t.fx.staff.id)).toHaveLength(1);

    const anon = new TestClient(t.app);
    expect((await anon.post('/api/v1/membership-invitations/preview', { token: link.token })).body).toMatchObject({ tenantName: 'Database B', role: 'staff', hasAccount: true });
    expect((await anon.post('/api/v1/membership-invitations/accept', { token: link.token })).status).toBe(401);
    const wrong = await t.admin.post('/api/v1/membership-invitations/accept', { token: link.token }, { 'accept-language': 'en' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toMatch(/another account/);
    const ok = await t.staff.post('/api/v1/membership-invitations/accept', { token: link.token });
    expect(ok.status).toBe(200);
    expect(ok.body.tenants.map((x: { id: string }) => x.id)).toContain(b.tenantId);
    expect((await t.staff.post('/api/v1/membership-invitations/accept', { token: link.token })).status).toBe(404);
    expect((await t.staff.post('/api/v1/auth/tenant', { tenantId: b.tenantId })).status).toBe(200);
  });

  it('an expired link is refused; wrong tokens are throttled per address', async () => {
    await adminB.post('/api/v1/users', { email: t.fx.staff.email, name: 'x', password: 'whatever-123', role: 'staff' });
    const { token } = (await deliverInvitations()).get(t.fx.staff.email)!;
    await t.db.execute(sql`update membership_invitations set expires_at = now() - interval '1 second'`);
    expect((await t.staff.post('/api/v1/membership-invitations/accept', { token })).status).toBe(404);
    const anon = new TestClient(t.app);
    // The expired link above was the address's first failure.
    for (let i = 0; i < 18; i++) await anon.post('/api/v1/membership-invitations/preview', { token: `wrong-token-${i}-${'x'.repeat(30)}` });
    expect((await anon.post('/api/v1/membership-invitations/preview', { token: `wrong-token-${'y'.repeat(30)}` })).status).toBe(404);
    expect((await anon.post('/api/v1/membership-invitations/preview', { token: `wrong-token-${'z'.repeat(30)}` })).status).toBe(429);
  });
});

describe('the owner', () => {
  it('only an owner lists and creates databases; the first admin is invited and chooses a password', async () => {
    expect((await t.admin.get('/api/v1/databases')).status).toBe(403);
    expect((await t.staff.post('/api/v1/databases', { name: 'x', adminEmail: 'x@example.com' })).status).toBe(403);
    await makeOwner(t.fx.admin.id);
    expect((await t.admin.get('/api/v1/auth/me')).body.owner).toBe(true);
    const made = await t.admin.post('/api/v1/databases', { name: 'Database C', adminEmail: 'first.admin@example.com' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Database C', admin: 'invited', users: 0, customers: 0 });
    const list = (await t.admin.get('/api/v1/databases')).body.items;
    expect(list.map((d: { name: string }) => d.name)).toEqual(expect.arrayContaining(['Database B', 'Database C']));
    expect(list.find((d: { name: string }) => d.name === 'Database B')).toMatchObject({ users: 2, customers: 0 });

    const { token, text } = (await deliverInvitations()).get('first.admin@example.com')!;
    expect(text).toContain('Database C');
    const invitee = new TestClient(t.app);
    expect((await invitee.post('/api/v1/membership-invitations/preview', { token })).body).toMatchObject({ hasAccount: false, role: 'admin' });
    const joined = await invitee.post('/api/v1/membership-invitations/register', { token, name: 'First Admin', password: 'my-own-password' });
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ user: { email: 'first.admin@example.com', role: 'admin' }, tenant: { name: 'Database C' }, owner: false });
    expect((await invitee.get('/api/v1/branches')).body.items).toHaveLength(1);
    await TestClient.login(t.app, 'first.admin@example.com', 'my-own-password');
    expect((await invitee.post('/api/v1/membership-invitations/register', { token, name: 'again', password: 'my-own-password' })).status).toBe(404);
  });

  it('createDatabase (the CLI’s `tenant create`): a new email gets the given password; an existing account is invited, its password kept', async () => {
    const fresh = await createDatabase(t.db, { name: 'CLI one', adminEmail: 'cli.admin@example.com', adminPassword: 'cli-password-1' });
    expect(fresh).toMatchObject({ admin: 'created', adminUserId: expect.any(String) });
    const cli = await TestClient.login(t.app, 'cli.admin@example.com', 'cli-password-1');
    expect((await cli.get('/api/v1/tenant')).body.name).toBe('CLI one');
    const existing = await createDatabase(t.db, { name: 'CLI two', adminEmail: t.fx.admin.email, adminPassword: 'attacker-password' });
    expect(existing).toMatchObject({ admin: 'invited', adminUserId: null });
    await TestClient.login(t.app, t.fx.admin.email, PASSWORD);
    expect(await memberOf(t.fx.admin.id)).toHaveLength(1);
  });

  it('the owner changes any account and locks it; a database’s admin cannot', async () => {
    expect((await t.admin.patch(`/api/v1/accounts/${b.admin.id}`, { active: false })).status).toBe(403);
    await makeOwner(t.fx.admin.id);
    const r = await t.admin.patch(`/api/v1/accounts/${b.admin.id}`, { active: false });
    expect(r.body).toMatchObject({ id: b.admin.id, active: false });
    expect((await adminB.get('/api/v1/customers')).status).toBe(401);
    expect((await t.admin.patch(`/api/v1/accounts/${b.admin.id}`, { active: true, name: 'Renamed' })).body.name).toBe('Renamed');
    await TestClient.login(t.app, b.admin.email);
    expect((await t.admin.patch('/api/v1/accounts/00000000-0000-4000-8000-000000000000', { active: true })).status).toBe(404);
  });
});

describe('the five-failures lockout (ADR 0002) stays; an admin of the user’s database lifts it', () => {
  it('unlocks a member, not another database’s account', async () => {
    const anon = new TestClient(t.app);
    for (let i = 0; i < 5; i++) await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: `bad${i}` });
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: PASSWORD })).status).toBe(429);
    expect((await t.staff.post(`/api/v1/users/${t.fx.staff.id}/unlock`)).status).toBe(403);
    expect((await adminB.post(`/api/v1/users/${t.fx.staff.id}/unlock`)).status).toBe(404);
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: PASSWORD })).status).toBe(429);
    expect((await t.admin.post(`/api/v1/users/${t.fx.staff.id}/unlock`)).status).toBe(204);
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: PASSWORD })).status).toBe(200);
  });
});

describe('a new password ends the other sessions (issue 10 §5)', () => {
  it('the user’s own change keeps this session and ends the others', async () => {
    const elsewhere = await TestClient.login(t.app, t.fx.staff.email);
    const wrong = await t.staff.post('/api/v1/auth/password', { currentPassword: 'nope', newPassword: 'a-new-password' });
    expect(wrong.status).toBe(403);
    expect((await t.staff.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'a-new-password' })).status).toBe(204);
    expect((await t.staff.get('/api/v1/customers')).status).toBe(200);
    expect((await elsewhere.get('/api/v1/customers')).status).toBe(401);
    await TestClient.login(t.app, t.fx.staff.email, 'a-new-password');
  });

  it('an admin changing their own password in the users page keeps that session only', async () => {
    const elsewhere = await TestClient.login(t.app, t.fx.admin.email);
    expect((await t.admin.patch(`/api/v1/users/${t.fx.admin.id}`, { password: 'a-new-password' })).status).toBe(200);
    expect((await t.admin.get('/api/v1/users')).status).toBe(200);
    expect((await elsewhere.get('/api/v1/users')).status).toBe(401);
  });

  it('an owner’s change ends every session of the account', async () => {
    await makeOwner(t.fx.admin.id);
    expect((await t.admin.patch(`/api/v1/users/${t.fx.staff.id}`, { password: 'set-by-owner-1' })).status).toBe(200);
    expect((await t.staff.get('/api/v1/customers')).status).toBe(401);
    const again = await TestClient.login(t.app, t.fx.staff.email, 'set-by-owner-1');
    expect((await t.admin.patch(`/api/v1/accounts/${t.fx.staff.id}`, { password: 'set-by-owner-2' })).status).toBe(200);
    expect((await again.get('/api/v1/customers')).status).toBe(401);
  });
});
