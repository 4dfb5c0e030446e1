import { describe, expect, it } from 'vitest';
import { isValidIsraeliId } from '@kesher/contracts';
import { useApp } from '../../testing/index.js';
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { analyzeStale } from '../../db/statistics.js';
import { loadDemo } from './index.js';
import { demoCustomer, israeliId, rng } from './builders.js';

const t = useApp();

describe('demo data', () => {
  it('builders make valid cards: Israeli IDs with their check digit, phones that parse', async () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) expect(isValidIsraeliId(israeliId(r))).toBe(true);
    for (let i = 0; i < 30; i++) {
      const created = await t.staff.post('/api/v1/customers', demoCustomer(r, i, { id: null, country: i % 2 ? 'US' : 'IL' }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });

  it('leaves the planner statistics fresh (PGlite has no autovacuum)', async () => {
    await loadDemo(t.db, t.fx.tenantId, 50);
    const [c] = await rows<{ reltuples: number }>(t.db, sql`select reltuples from pg_class where relname = 'customers'`);
    expect(c!.reltuples).toBeGreaterThanOrEqual(50);
    expect(await analyzeStale(t.db)).not.toContain('customers');
  });

  it('loads a living system: two branches, statuses that agree with the timeline, searchable', async () => {
    await loadDemo(t.db, t.fx.tenantId, 120);
    const branches = (await t.staff.get('/api/v1/branches')).body.items;
    expect(branches.map((b: { country: string }) => b.country).sort()).toEqual(['IL', 'US']);
    expect((await t.staff.get('/api/v1/customers/count')).body.count).toBe(120);
    const followUp = (await t.staff.get('/api/v1/customers?status=follow_up&limit=1')).body.items[0];
    const timeline = (await t.staff.get(`/api/v1/customers/${followUp.id}/interactions`)).body.items;
    expect(timeline.map((i: { type: string }) => i.type)).toContain('call_unanswered');
    const numbers = (await t.staff.get('/api/v1/customers?sort=number_asc&limit=200')).body.items.map((c: { customerNumber: number }) => c.customerNumber);
    expect(numbers).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const someone = (await t.staff.get('/api/v1/customers?limit=1')).body.items[0];
    expect((await t.staff.get(`/api/v1/customers?q=${encodeURIComponent(someone.phone)}`)).body.items.map((c: { id: string }) => c.id)).toContain(someone.id);
  });
});
