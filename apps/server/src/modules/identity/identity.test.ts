import { describe, expect, it } from 'vitest';
import { useApp } from '../../testing/index.js';
import { insertCustomers } from '../customers/bulk.js';
import { cardValues } from '../customers/card.js';
import { matchBatch } from './index.js';

/** Identity resolution: one set-based service for every channel (SPEC §2). */
const t = useApp();

const cards = (list: Record<string, unknown>[]) =>
  insertCustomers(t.db, t.fx.tenantId, list.map((c) => ({ ...cardValues(c, null, 'IL').values, createdBy: 'test' })));

describe('identity resolution', () => {
  it('matches a batch by phone in any format, email in any case and ID number, each candidate its own matches', async () => {
    const [dana, moshe, corp] = await cards([
      { firstName: 'דנה', lastName: 'לוי', phone: '050-123 4567', email: 'Dana@Example.com' },
      { firstName: 'משה', lastName: 'כהן', idType: 'israeli_id', idNumber: '000000018', phones: ['+972 52-765-4321'] },
      { lastName: 'חברה בע"מ', email: 'office@corp.co.il', phone: '03-555 1234' },
    ]);
    const found = await matchBatch(t.db, t.fx.tenantId, [
      { phones: ['+972501234567'], emails: ['dana@example.com'], idNumbers: [] },
      { phones: [], emails: [], idNumbers: ['000000018'] },
      { phones: ['+972527654321'], emails: ['office@corp.co.il'], idNumbers: [] },
      { phones: ['+972509999999'], emails: ['nobody@example.com'], idNumbers: ['000000026'] },
      { phones: ['+972501234567'], emails: [], idNumbers: [] },
    ]);
    expect(found.get(0)!.map((m) => [m.id, m.matchedOn.sort()])).toEqual([[dana!.id, ['email', 'phone']]]);
    expect(found.get(1)!.map((m) => [m.id, m.matchedOn])).toEqual([[moshe!.id, ['id_number']]]);
    expect(found.get(2)!.map((m) => m.id)).toEqual([moshe!.id, corp!.id]);
    expect(found.has(3)).toBe(false);
    expect(found.get(4)!.map((m) => m.id)).toEqual([dana!.id]);
  });

  it('a value shared by more customers than the limit (default 20) stops counting as a match', async () => {
    const switchboard = '03-600 0000';
    await cards(Array.from({ length: 21 }, (_, i) => ({ firstName: `עובד ${i}`, lastName: 'משרד', phone: switchboard })));
    const [family] = await cards([{ lastName: 'משפחת לוי', email: 'family@example.com', phone: '054-000 1111' }]);

    const body = (extra: Record<string, unknown>) => ({ firstName: 'חדש', lastName: 'לקוח', ...extra });
    // The switchboard alone: not a duplicate; created.
    expect((await t.admin.post('/api/v1/customers', body({ phone: switchboard }))).status).toBe(201);
    // A real match through another key still counts.
    const dup = await t.admin.post('/api/v1/customers', body({ phone: switchboard, email: 'FAMILY@example.com' }));
    expect(dup.status).toBe(409);
    expect(dup.body.matches.map((m: { id: string }) => m.id)).toEqual([family!.id]);

    // Raising the limit makes the switchboard a match again (22 cards carry it now).
    expect((await t.admin.patch('/api/v1/tenant', { sharedKeyLimit: 50 })).body.sharedKeyLimit).toBe(50);
    const again = await t.admin.post('/api/v1/customers', body({ phone: switchboard }));
    expect(again.status).toBe(409);
    expect(again.body.matches).toHaveLength(22);
    expect((await t.admin.patch('/api/v1/tenant', { sharedKeyLimit: 0 })).status).toBe(400);
  });

  it('answers a batch of thousands of candidates', async () => {
    const existing = await cards(Array.from({ length: 3000 }, (_, i) => ({ lastName: `לקוח ${i}`, email: `user${i}@example.com` })));
    const candidates = Array.from({ length: 6000 }, (_, i) => ({ phones: [], emails: [`USER${i}@example.com`.toLowerCase()], idNumbers: [] }));
    const found = await matchBatch(t.db, t.fx.tenantId, candidates);
    expect(found.size).toBe(3000);
    expect(found.get(2999)![0]!.id).toBe(existing[2999]!.id);
    expect(found.has(3000)).toBe(false);
  });
});
