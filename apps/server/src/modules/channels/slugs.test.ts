import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { seedTenant, TestClient, useApp } from '../../testing/index.js';

const t = useApp();

describe('channel slugs tell no database about another (issue 10 §6)', () => {
  it('two databases choosing the same slug both get a channel, with different unguessable addresses, and no 409', async () => {
    const b = await seedTenant(t.db, { name: 'Tenant B' });
    const adminB = await TestClient.login(t.app, b.admin.email);
    const a1 = await t.admin.post('/api/v1/channels', { name: 'Site', slug: 'summer', mapping: { name: 'fullName' } });
    const b1 = await adminB.post('/api/v1/channels', { name: 'Site', slug: 'summer', mapping: { name: 'fullName' } });
    expect([a1.status, b1.status]).toEqual([201, 201]);
    expect(a1.body.slug).toMatch(/^summer-[0-9a-f]{6}$/);
    expect(b1.body.slug).toMatch(/^summer-[0-9a-f]{6}$/);
    expect(a1.body.slug).not.toBe(b1.body.slug);
    // Renaming B's address to A's exact slug: a new address, not a 409 about A's.
    const renamed = await adminB.patch(`/api/v1/channels/${b1.body.id}`, { slug: a1.body.slug });
    expect(renamed.status).toBe(200);
    expect(renamed.body.slug).not.toBe(a1.body.slug);
    // Sending back the channel's own slug (as the edit form does) keeps it.
    expect((await t.admin.patch(`/api/v1/channels/${a1.body.id}`, { slug: a1.body.slug, name: 'Site 2' })).body.slug).toBe(a1.body.slug);
    // A name is unique within its database only.
    expect((await t.admin.post('/api/v1/channels', { name: 'Site 2', mapping: {} })).status).toBe(409);
  });

  it('an existing channel keeps its address: /in/<old slug> still takes leads', async () => {
    const ch = (await t.admin.post('/api/v1/channels', { name: 'Old site', mapping: { name: 'fullName' } })).body;
    await rows(t.db, sql`update channels set slug = 'old-site' where id = ${ch.id}`);
    const r = await t.admin.request('POST', `/in/old-site?token=${ch.token}`, JSON.stringify({ name: 'Dana Levi' }), { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    expect((await t.admin.get(`/api/v1/channels/${ch.id}`)).body).toMatchObject({ slug: 'old-site', url: 'http://localhost:3000/in/old-site' });
  });
});
