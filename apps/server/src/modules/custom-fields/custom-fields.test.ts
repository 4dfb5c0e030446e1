import { beforeEach, describe, expect, it } from 'vitest';
import { useApp } from '../../testing/index.js';

const t = useApp();

beforeEach(async () => {
  for (const def of [
    { key: 'segment', labelHe: 'פלח', labelEn: 'Segment', type: 'choice', options: ['זהב', 'כסף'] },
    { key: 'employees', labelHe: 'עובדים', labelEn: 'Employees', type: 'number' },
    { key: 'renewal', labelHe: 'חידוש', labelEn: 'Renewal', type: 'date' },
    { key: 'vip', labelHe: 'VIP', labelEn: 'VIP', type: 'checkbox' },
    { key: 'notes', labelHe: 'הערות', labelEn: 'Notes', type: 'text' },
  ]) {
    expect((await t.admin.post('/api/v1/custom-fields', def)).status).toBe(201);
  }
});

describe('spare fields', () => {
  it('stores values of every type, coerced to their type', async () => {
    const r = await t.staff.post('/api/v1/customers', { lastName: 'x', custom: { segment: 'זהב', employees: '12', renewal: '2027-01-31', vip: 'true', notes: 'שלום' } });
    expect(r.status).toBe(201);
    expect(r.body.custom).toEqual({ segment: 'זהב', employees: 12, renewal: '2027-01-31', vip: true, notes: 'שלום' });
    const patched = await t.staff.patch(`/api/v1/customers/${r.body.id}`, { custom: { employees: 13 } });
    expect(patched.body.custom).toMatchObject({ segment: 'זהב', employees: 13 });
  });

  it('refuses values that do not fit their definition, naming each field', async () => {
    const r = await t.staff.post('/api/v1/customers', { lastName: 'x', custom: { segment: 'ארד', employees: 'many', renewal: '31/01/2027', vip: 'yes', unknown: 'x' } });
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { path: string; code: string }) => `${f.path}:${f.code}`).sort()).toEqual([
      'custom.employees:invalid_type',
      'custom.renewal:invalid_date',
      'custom.segment:invalid_option',
      'custom.unknown:unknown_field',
      'custom.vip:invalid_type',
    ]);
  });

  it('enforces required fields on create and on clearing', async () => {
    const def = (await t.admin.get('/api/v1/custom-fields')).body.items.find((d: { key: string }) => d.key === 'segment');
    await t.admin.patch(`/api/v1/custom-fields/${def.id}`, { required: true });
    const missing = await t.staff.post('/api/v1/customers', { lastName: 'x' });
    expect(missing.body.fields).toEqual([expect.objectContaining({ path: 'custom.segment', code: 'required' })]);
    const ok = await t.staff.post('/api/v1/customers', { lastName: 'x', custom: { segment: 'כסף' } });
    expect(ok.status).toBe(201);
    expect((await t.staff.patch(`/api/v1/customers/${ok.body.id}`, { custom: { segment: null } })).status).toBe(400);
  });

  it('definitions: unique keys, choice needs options, admins only', async () => {
    expect((await t.admin.post('/api/v1/custom-fields', { key: 'vip', labelHe: 'x', labelEn: 'x', type: 'text' })).status).toBe(409);
    expect((await t.admin.post('/api/v1/custom-fields', { key: 'c', labelHe: 'x', labelEn: 'x', type: 'choice' })).status).toBe(400);
    expect((await t.admin.post('/api/v1/custom-fields', { key: 'Bad Key', labelHe: 'x', labelEn: 'x', type: 'text' })).status).toBe(400);
    expect((await t.staff.post('/api/v1/custom-fields', { key: 'mine', labelHe: 'x', labelEn: 'x', type: 'text' })).status).toBe(403);
    const list = (await t.staff.get('/api/v1/custom-fields')).body.items;
    expect(list.map((d: { key: string }) => d.key)).toEqual(['employees', 'notes', 'renewal', 'segment', 'vip']);
  });
});
