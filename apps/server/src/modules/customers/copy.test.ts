import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { addMembership, seedTenant, TestClient, useApp } from '../../testing/index.js';
import { createBranch } from '../tenants/service.js';

/** "Copy to another database" (SPEC §2). */
const t = useApp();

async function secondDatabase() {
  const other = await seedTenant(t.db, { name: 'סניף צפון בע"מ' });
  // The admin of the first database also belongs to the second.
  await addMembership(t.db, t.fx.admin.id, other.tenantId, 'staff');
  return other;
}

describe('copy to another database', () => {
  it('copies every field but the number, with no duplicate check, and logs it on both cards', async () => {
    const other = await secondDatabase();
    await t.admin.post('/api/v1/custom-fields', { key: 'club', labelHe: 'מועדון', labelEn: 'Club', type: 'text' });
    await t.admin.post('/api/v1/custom-fields', { key: 'only_here', labelHe: 'רק כאן', labelEn: 'Only here', type: 'text' });
    const otherAdmin = await TestClient.login(t.app, other.admin.email);
    await otherAdmin.post('/api/v1/custom-fields', { key: 'club', labelHe: 'מועדון', labelEn: 'Club', type: 'text' });
    // The same person already exists there: copied anyway (no check).
    const there = await otherAdmin.post('/api/v1/customers', { firstName: 'דנה', lastName: 'לוי', phone: '050-123 4567' });
    const eilat = await createBranch(t.db, t.fx.tenantId, { name: 'אילת', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' });
    await createBranch(t.db, other.tenantId, { name: 'אילת', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' });

    const dana = (await t.admin.post('/api/v1/customers', {
      firstName: 'דנה', lastName: 'לוי', phone: '050-123 4567', phones: ['03-555 1234'], email: 'Dana@Example.com', city: 'אילת',
      idType: 'israeli_id', idNumber: '000000018', branchId: eilat.id, custom: { club: 'זהב', only_here: 'x' }, brokerName: 'מתווך', brokerAccount: '77',
    })).body;
    const moshe = (await t.admin.post('/api/v1/customers', { firstName: 'משה', lastName: 'כהן', email: 'moshe@example.com' })).body;

    const res = await t.admin.post('/api/v1/customers/copy', { customerIds: [moshe.id, dana.id], targetTenantId: other.tenantId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.copied.map((c: { sourceId: string }) => c.sourceId)).toEqual([dana.id, moshe.id]);
    expect(res.body.copied.map((c: { customerNumber: number }) => c.customerNumber)).toEqual([there.body.customerNumber + 1, there.body.customerNumber + 2]);

    const copy = (await otherAdmin.get(`/api/v1/customers/${res.body.copied[0].id}`)).body;
    for (const f of ['firstName', 'lastName', 'phone', 'phones', 'email', 'city', 'idType', 'idNumber', 'status', 'brokerName', 'brokerAccount']) expect(copy[f], f).toEqual(dana[f]);
    expect(copy.custom).toEqual({ club: 'זהב' });
    expect(copy.branchId).not.toBe(eilat.id);
    const [branch] = await rows<{ name: string }>(t.db, sql`select name from branches where id = ${copy.branchId}`);
    expect(branch!.name).toBe('אילת');
    // Found by phone there: two cards now.
    expect((await otherAdmin.get('/api/v1/customers?q=0501234567')).body.items).toHaveLength(2);

    const logHere = (await t.admin.get(`/api/v1/customers/${dana.id}/interactions`)).body.items;
    expect(logHere[0]).toMatchObject({ type: 'system', subject: `הועתק למסד הנתונים "סניף צפון בע"מ" כלקוח מספר ${res.body.copied[0].customerNumber}` });
    const logThere = (await otherAdmin.get(`/api/v1/customers/${copy.id}/interactions`)).body.items;
    expect(logThere[0].subject).toContain(`לקוח מספר ${dana.customerNumber}`);
  });

  it('refuses a database the user does not belong to, the same one, and unknown cards, copying nothing', async () => {
    const stranger = await seedTenant(t.db);
    const dana = (await t.admin.post('/api/v1/customers', { lastName: 'לוי' })).body;
    expect((await t.admin.post('/api/v1/customers/copy', { customerIds: [dana.id], targetTenantId: stranger.tenantId })).status).toBe(403);
    expect((await t.admin.post('/api/v1/customers/copy', { customerIds: [dana.id], targetTenantId: t.fx.tenantId })).status).toBe(400);
    const other = await secondDatabase();
    const foreign = (await TestClient.login(t.app, other.admin.email).then((c) => c.post('/api/v1/customers', { lastName: 'שם' }))).body;
    const mixed = await t.admin.post('/api/v1/customers/copy', { customerIds: [dana.id, foreign.id], targetTenantId: other.tenantId });
    expect(mixed.status).toBe(404);
    const [n] = await rows<{ n: number }>(t.db, sql`select count(*)::int as n from customers where tenant_id = ${other.tenantId}`);
    expect(n!.n).toBe(1);
    const key = (await t.admin.post('/api/v1/api-keys', { name: 'k' })).body.key;
    expect((await new TestClient(t.app).withApiKey(key).post('/api/v1/customers/copy', { customerIds: [dana.id], targetTenantId: other.tenantId })).status).toBe(403);
  });
});
