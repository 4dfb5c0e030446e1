import { describe, expect, it } from 'vitest';
import { TestClient, useApp } from '../../testing/index.js';

const t = useApp();

describe('users, groups and branches (admin pages)', () => {
  it('an admin adds a staff user who can then log in; emails are unique', async () => {
    const group = (await t.admin.post('/api/v1/groups', { name: 'מכירות' })).body;
    const r = await t.admin.post('/api/v1/users', { email: 'New.User@Example.com', name: 'משתמש חדש', password: 'a-long-password', role: 'staff', groupIds: [group.id] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email: 'new.user@example.com', role: 'staff', active: true, groupIds: [group.id] });
    expect(JSON.stringify(r.body)).not.toContain('password');
    await TestClient.login(t.app, 'new.user@example.com', 'a-long-password');
    expect((await t.admin.post('/api/v1/users', { email: 'new.user@example.com', name: 'x', password: 'a-long-password' })).status).toBe(409);
    expect((await t.admin.post('/api/v1/users', { email: 'short@example.com', name: 'x', password: 'short' })).status).toBe(400);
  });

  it('a deactivated user can no longer log in or use an open session', async () => {
    expect((await t.admin.patch(`/api/v1/users/${t.fx.staff.id}`, { active: false })).body.active).toBe(false);
    expect((await t.staff.get('/api/v1/customers')).status).toBe(401);
    const anon = new TestClient(t.app);
    expect((await anon.post('/api/v1/auth/login', { email: t.fx.staff.email, password: 'correct horse battery' })).status).toBe(401);
  });

  it('the last administrator cannot be demoted or deactivated', async () => {
    const r = await t.admin.patch(`/api/v1/users/${t.fx.admin.id}`, { role: 'staff' });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('conflict');
    await t.admin.patch(`/api/v1/users/${t.fx.staff.id}`, { role: 'admin' });
    expect((await t.admin.patch(`/api/v1/users/${t.fx.admin.id}`, { role: 'staff' })).status).toBe(200);
  });

  it('branches: list with the default, add, edit; staff can read but not change', async () => {
    const list = (await t.staff.get('/api/v1/branches')).body.items;
    expect(list).toEqual([expect.objectContaining({ name: 'ישראל', country: 'IL', language: 'he', isDefault: true })]);
    const usa = await t.admin.post('/api/v1/branches', { name: 'USA', country: 'us', language: 'en', timezone: 'America/New_York' });
    expect(usa.body).toMatchObject({ country: 'US', isDefault: false });
    expect((await t.admin.patch(`/api/v1/branches/${usa.body.id}`, { name: 'New York' })).body.name).toBe('New York');
    expect((await t.staff.post('/api/v1/branches', { name: 'x', country: 'FR', language: 'en', timezone: 'Europe/Paris' })).status).toBe(403);
  });

  it('tenant settings: staff read, admins change', async () => {
    expect((await t.staff.get('/api/v1/tenant')).body).toMatchObject({ defaultRegion: 'IL', defaultLanguage: 'he', allowDuplicates: false });
    expect((await t.staff.patch('/api/v1/tenant', { allowDuplicates: true })).status).toBe(403);
    expect((await t.admin.patch('/api/v1/tenant', { defaultRegion: 'us' })).body.defaultRegion).toBe('US');
  });
});
