import { beforeEach, describe, expect, it } from 'vitest';
import { addMembership, seedTenant, TestClient, useApp, type TenantFixture } from '../../testing/index.js';

const t = useApp();
let b: TenantFixture;
let adminB: TestClient;
let mine: { id: string };
let theirs: { id: string; contactId: string };

beforeEach(async () => {
  b = await seedTenant(t.db, { name: 'Tenant B' });
  adminB = await TestClient.login(t.app, b.admin.email);
  mine = (await t.admin.post('/api/v1/customers', { lastName: 'שלי', phone: '050-111 2222', email: 'same@example.com' })).body;
  const other = (await adminB.post('/api/v1/customers', { lastName: 'סודי', phone: '050-333 4444', email: 'secret@example.com', idType: 'israeli_id', idNumber: '123456782' })).body;
  const contact = (await adminB.post(`/api/v1/customers/${other.id}/contacts`, { firstName: 'איש', lastName: 'קשר' })).body;
  theirs = { id: other.id, contactId: contact.id };
});

describe('tenant isolation: a user of tenant A can read, search or change nothing of tenant B', () => {
  it('numbers customers per tenant', async () => {
    expect((await t.admin.get(`/api/v1/customers/${mine.id}`)).body.customerNumber).toBe(1);
    expect((await adminB.get(`/api/v1/customers/${theirs.id}`)).body.customerNumber).toBe(1);
  });

  it('cannot read B’s card, children, timeline, contacts or status moves', async () => {
    for (const url of ['', '/children', '/interactions', '/contacts', '/status-moves']) {
      const r = await t.admin.get(`/api/v1/customers/${theirs.id}${url}`);
      expect(r.status, url).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain('סודי');
    }
  });

  it('cannot find B’s customers by name, phone, email or ID number, nor count them', async () => {
    for (const q of ['סודי', '0503334444', 'secret@example.com', '123456782', '1']) {
      const found = (await t.admin.get(`/api/v1/customers?q=${encodeURIComponent(q)}`)).body.items;
      expect(found.map((c: { id: string }) => c.id), q).not.toContain(theirs.id);
    }
    expect((await t.admin.get('/api/v1/customers/count')).body.count).toBe(1);
  });

  it('B’s phone / email / ID do not count as duplicates in A', async () => {
    const r = await t.admin.post('/api/v1/customers', { lastName: 'חדש', phone: '050-333 4444', idType: 'israeli_id', idNumber: '123456782' });
    expect(r.status).toBe(201);
  });

  it('cannot change, complete, delete, log on or link to B’s customers', async () => {
    expect((await t.admin.patch(`/api/v1/customers/${theirs.id}`, { city: 'x' })).status).toBe(404);
    expect((await t.admin.patch(`/api/v1/customers/${theirs.id}`, { status: 'fictitious' })).status).toBe(404);
    expect((await t.admin.post(`/api/v1/customers/${theirs.id}/complete`, { city: 'x' })).status).toBe(404);
    expect((await t.admin.post(`/api/v1/customers/${theirs.id}/interactions`, { type: 'note' })).status).toBe(404);
    expect((await t.admin.post(`/api/v1/customers/${theirs.id}/contacts`, { firstName: 'x' })).status).toBe(404);
    expect((await t.admin.patch(`/api/v1/customers/${theirs.id}/contacts/${theirs.contactId}`, { firstName: 'x' })).status).toBe(404);
    expect((await t.admin.delete(`/api/v1/customers/${theirs.id}/contacts/${theirs.contactId}`)).status).toBe(404);
    expect((await t.admin.delete(`/api/v1/customers/${theirs.id}`)).status).toBe(404);
    const link = await t.admin.patch(`/api/v1/customers/${mine.id}`, { parentId: theirs.id });
    expect(link.status).toBe(400);
    expect(link.body.fields).toEqual([expect.objectContaining({ path: 'parentId', code: 'not_found' })]);
    const branch = await t.admin.post('/api/v1/customers', { lastName: 'x', branchId: b.branchId });
    expect(branch.body.fields).toEqual([expect.objectContaining({ path: 'branchId', code: 'not_found' })]);
    const after = await adminB.get(`/api/v1/customers/${theirs.id}`);
    expect(after.body).toMatchObject({ city: null, status: 'new', lastName: 'סודי' });
    expect((await adminB.get(`/api/v1/customers/${theirs.id}/contacts`)).body.items[0].firstName).toBe('איש');
  });

  it('cannot see or edit B’s users, branches, custom fields or settings', async () => {
    const users = (await t.admin.get('/api/v1/users')).body.items.map((u: { email: string }) => u.email);
    expect(users).not.toContain(b.admin.email);
    expect((await t.admin.patch(`/api/v1/users/${b.admin.id}`, { name: 'x' })).status).toBe(404);
    expect((await t.admin.patch(`/api/v1/branches/${b.branchId}`, { name: 'x' })).status).toBe(404);
    const field = (await adminB.post('/api/v1/custom-fields', { key: 'secret', labelHe: 'סוד', labelEn: 'Secret', type: 'text' })).body;
    expect((await t.admin.get('/api/v1/custom-fields')).body.items).toEqual([]);
    expect((await t.admin.delete(`/api/v1/custom-fields/${field.id}`)).status).toBe(404);
    expect((await t.admin.post('/api/v1/auth/tenant', { tenantId: b.tenantId })).status).toBe(403);
    expect((await t.admin.get('/api/v1/tenant')).body.name).not.toBe('Tenant B');
  });

  it('a user who belongs to both tenants switches between them', async () => {
    // B's admin invites A's staff user; the membership exists once the account accepted (accounts.test.ts walks that).
    await addMembership(t.db, t.fx.staff.id, b.tenantId, 'staff');
    const session = await t.staff.post('/api/v1/auth/tenant', { tenantId: b.tenantId });
    expect(session.status).toBe(200);
    expect(session.body.tenants).toHaveLength(2);
    expect((await t.staff.get(`/api/v1/customers/${theirs.id}`)).body.lastName).toBe('סודי');
    expect((await t.staff.get(`/api/v1/customers/${mine.id}`)).status).toBe(404);
  });
});
