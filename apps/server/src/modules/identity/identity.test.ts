import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { insertCustomers, updateCustomers } from '../customers/bulk.js';
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

  it('keeps the key table equal to the cards through every kind of write (COPY, the API, bulk and single updates, deletes, deleting the tenant)', async () => {
    const keys = () =>
      rows<{ kind: string; value: string; n: number }>(
        t.db,
        sql`select kind, value, count(*)::int as n from customer_keys where tenant_id = ${t.fx.tenantId} group by 1, 2 order by 1, 2`,
      );
    // What the cards say, flattened here independently of the triggers.
    const expected = async () => {
      const cardsNow = await rows<{ phones_norm: string[]; emails_norm: string[]; id_number_norm: string | null }>(
        t.db,
        sql`select phones_norm, emails_norm, id_number_norm from customers where tenant_id = ${t.fx.tenantId}`,
      );
      const count = new Map<string, number>();
      for (const c of cardsNow) {
        for (const [kind, list] of [['phone', c.phones_norm], ['email', c.emails_norm], ['id_number', c.id_number_norm ? [c.id_number_norm] : []]] as const) {
          for (const value of list) count.set(`${kind}\t${value}`, (count.get(`${kind}\t${value}`) ?? 0) + 1);
        }
      }
      return [...count].map(([k, n]) => ({ kind: k.split('\t')[0]!, value: k.split('\t')[1]!, n })).sort((a, b) => (a.kind + a.value < b.kind + b.value ? -1 : 1));
    };
    const same = async () => expect(await keys()).toEqual(await expected());

    const [a, b] = await cards([
      { lastName: 'א', phone: '050-111 1111', phones: ['03-611 1111'], email: 'A@example.com', idType: 'israeli_id', idNumber: '000000018' },
      { lastName: 'ב', email: 'b@example.com', emails: ['b2@example.com'] },
    ]);
    await same();
    expect((await keys()).length).toBe(6);

    // Through the API (the ORM's insert and update).
    const c = await t.admin.post('/api/v1/customers', { lastName: 'ג', phone: '052-222 2222', email: 'c@example.com' });
    expect(c.status).toBe(201);
    await same();
    expect((await t.admin.patch(`/api/v1/customers/${c.body.id}`, { email: 'c.new@example.com', phone: '052-333 3333' })).status).toBe(200);
    await same();
    expect(await matchBatch(t.db, t.fx.tenantId, [{ phones: ['+972522222222'], emails: ['c@example.com'], idNumbers: [] }])).toEqual(new Map());

    // A bulk update that changes keys on one card and only a name on another.
    await updateCustomers(t.db, t.fx.tenantId, [
      { id: a!.id, values: { emailsNorm: ['a.other@example.com'], email: 'a.other@example.com' } },
      { id: b!.id, values: { firstName: 'בני' } },
    ]);
    await same();
    // A status change on every card (no key changes).
    await t.db.execute(sql`update customers set status = 'in_process' where tenant_id = ${t.fx.tenantId}`);
    await same();

    await t.db.execute(sql`delete from customers where id = ${a!.id}`);
    await same();
    expect(await matchBatch(t.db, t.fx.tenantId, [{ phones: ['+972501111111'], emails: [], idNumbers: ['000000018'] }])).toEqual(new Map());

    // A tenant deleted: its cards go by the foreign key's cascade, and their keys with them.
    expect((await keys()).length).toBeGreaterThan(0);
    await t.db.execute(sql`delete from tenants where id = ${t.fx.tenantId}`);
    expect(await rows(t.db, sql`select 1 from customer_keys`)).toEqual([]);
  });

  it('a truncate of the cards (cascading from tenants) empties the key table too', async () => {
    await cards([{ lastName: 'ה', phone: '054-123 4567', email: 'h@example.com' }]);
    expect(await rows(t.db, sql`select 1 from customer_keys`)).toHaveLength(2);
    await t.db.execute(sql`truncate tenants cascade`);
    expect(await rows(t.db, sql`select 1 from customer_keys`)).toEqual([]);
  });
});
