import { describe, expect, it } from 'vitest';
import { TestClient, useApp } from '../../testing/index.js';

/** Brokers / affiliates (SPEC §2): an affiliate code on a registration or an API submission. */
const t = useApp();

async function broker() {
  const card = (await t.admin.post('/api/v1/customers', { lastName: 'שיווק שותפים בע"מ', idType: 'company', idNumber: '515555555' })).body;
  const res = await t.admin.post('/api/v1/brokers', { name: 'שיווק שותפים', accountNumber: 'B-100', affiliateCode: 'Partner7', customerId: card.id });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { card, broker: res.body };
}

describe('brokers', () => {
  it('stamps API and portal leads with the broker, and the broker card lists them', async () => {
    const { card, broker: b } = await broker();
    const key = (await t.admin.post('/api/v1/api-keys', { name: 'Landing' })).body.key;
    const machine = new TestClient(t.app).withApiKey(key);
    const viaApi = await machine.post('/api/v1/customers', { lastName: 'מהאתר', phone: '050-111 2222', affiliateCode: 'PARTNER7' });
    expect(viaApi.status).toBe(201);
    expect(viaApi.body).toMatchObject({ brokerName: 'שיווק שותפים', brokerAccount: 'B-100' });

    const reg = await t.app.inject({ method: 'POST', url: '/portal/api/register', payload: { email: 'lead@example.com', aff: 'partner7' } });
    expect(reg.statusCode).toBe(202);
    const viaPortal = (await t.admin.get('/api/v1/customers?q=lead@example.com')).body.items[0];
    expect((await t.admin.get(`/api/v1/customers/${viaPortal.id}`)).body).toMatchObject({ brokerName: 'שיווק שותפים', brokerAccount: 'B-100' });

    // A code that names nobody: the API says so; the portal form ignores it.
    const bad = await machine.post('/api/v1/customers', { lastName: 'x', affiliateCode: 'nobody' }, { 'accept-language': 'en' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([expect.objectContaining({ path: 'affiliateCode' })]);
    expect((await t.app.inject({ method: 'POST', url: '/portal/api/register', payload: { email: 'x2@example.com', aff: 'nobody' } })).statusCode).toBe(202);

    const list = await t.staff.get(`/api/v1/customers/${card.id}/broker`);
    expect(list.status).toBe(200);
    expect(list.body.broker).toMatchObject({ id: b.id, customerCount: 2 });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([viaPortal.id, viaApi.body.id]);
    expect((await t.staff.get(`/api/v1/customers/${viaApi.body.id}/broker`)).body).toBeNull();
  });

  it('admins manage brokers: codes unique in any case, inactive brokers stamp nobody', async () => {
    const { broker: b } = await broker();
    expect((await t.staff.post('/api/v1/brokers', { name: 'x', accountNumber: '1', affiliateCode: 'xx' })).status).toBe(403);
    const same = await t.admin.post('/api/v1/brokers', { name: 'אחר', accountNumber: 'B-200', affiliateCode: 'partner7' }, { 'accept-language': 'he' });
    expect(same.status).toBe(409);
    expect(same.body.message).toBe('קוד השותף הזה כבר שייך למתווך אחר');
    expect((await t.admin.post('/api/v1/brokers', { name: 'אחר', accountNumber: 'B-100', affiliateCode: 'other' })).status).toBe(409);
    expect((await t.admin.post('/api/v1/brokers', { name: 'רע', accountNumber: 'B-300', affiliateCode: 'has space' })).status).toBe(400);
    expect((await t.admin.patch(`/api/v1/brokers/${b.id}`, { active: false })).body.active).toBe(false);
    expect((await t.admin.post('/api/v1/customers', { lastName: 'y', affiliateCode: 'partner7' })).status).toBe(400);
    expect((await t.staff.get('/api/v1/brokers')).body.items).toHaveLength(1);
    expect((await t.admin.delete(`/api/v1/brokers/${b.id}`)).status).toBe(204);
    expect((await t.admin.get(`/api/v1/brokers/${b.id}`)).status).toBe(404);
  });
});
