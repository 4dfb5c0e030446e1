import { describe, expect, it } from 'vitest';
import { useApp } from '../../testing/index.js';

const t = useApp();

const director = { firstName: 'רונית', lastName: 'שגיא', department: 'הנהלה', role: 'מנכ"לית', legalStatus: 'director', idType: 'israeli_id', idNumber: '123456782', gender: 'female', birthDate: '1975-04-12' };

describe('additional contacts', () => {
  it('lists contacts as a tree: department, then role, then name', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'אלקטרה בע"מ', idType: 'company', idNumber: '512345678' })).body;
    for (const body of [
      { firstName: 'בני', lastName: 'ב', department: 'מכירות', role: 'נציג' },
      { firstName: 'אבי', lastName: 'א', department: 'מכירות', role: 'מנהל' },
      director,
      { firstName: 'ללא', lastName: 'מחלקה' },
    ]) {
      expect((await t.staff.post(`/api/v1/customers/${c.id}/contacts`, body)).status).toBe(201);
    }
    const list = (await t.staff.get(`/api/v1/customers/${c.id}/contacts`)).body.items;
    expect(list.map((x: { department: string | null; role: string | null }) => `${x.department}/${x.role}`)).toEqual(['הנהלה/מנכ"לית', 'מכירות/מנהל', 'מכירות/נציג', 'null/null']);
    expect(list[0].fullName).toBe('רונית שגיא');
  });

  it('requires the regulation fields for a legal-status contact of a company customer', async () => {
    const company = (await t.admin.post('/api/v1/customers', { lastName: 'חברה', idType: 'company', idNumber: '512345678' })).body;
    const r = await t.staff.post(`/api/v1/customers/${company.id}/contacts`, { firstName: 'חסר', legalStatus: 'director' });
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['birthDate', 'gender', 'idNumber', 'idType', 'lastName']);
    const person = (await t.admin.post('/api/v1/customers', { lastName: 'פרטי', idType: 'israeli_id', idNumber: '000000018' })).body;
    expect((await t.staff.post(`/api/v1/customers/${person.id}/contacts`, { firstName: 'חסר', legalStatus: 'director' })).status).toBe(201);
    const ok = await t.staff.post(`/api/v1/customers/${company.id}/contacts`, director);
    expect(ok.status).toBe(201);
    const cleared = await t.staff.patch(`/api/v1/customers/${company.id}/contacts/${ok.body.id}`, { birthDate: null });
    expect(cleared.status).toBe(400);
  });

  it('edits and deletes a contact, and validates its phone and ID', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'x' })).body;
    const contact = (await t.staff.post(`/api/v1/customers/${c.id}/contacts`, { firstName: 'a', phone: '052-1234567' })).body;
    expect((await t.staff.patch(`/api/v1/customers/${c.id}/contacts/${contact.id}`, { role: 'רכש' })).body.role).toBe('רכש');
    expect((await t.staff.patch(`/api/v1/customers/${c.id}/contacts/${contact.id}`, { phone: '1' })).status).toBe(400);
    expect((await t.staff.post(`/api/v1/customers/${c.id}/contacts`, { idType: 'israeli_id', idNumber: '123' })).status).toBe(400);
    expect((await t.staff.delete(`/api/v1/customers/${c.id}/contacts/${contact.id}`)).status).toBe(204);
    expect((await t.staff.get(`/api/v1/customers/${c.id}/contacts`)).body.items).toEqual([]);
  });
});

describe('interactions timeline', () => {
  it('shows newest first, paged without gaps or repeats', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'x' })).body;
    for (let i = 0; i < 12; i++) {
      await t.staff.post(`/api/v1/customers/${c.id}/interactions`, { type: 'note', subject: `n${i}`, occurredAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { subject: string }[]; nextCursor: string | null } } = await t.staff.get(
        `/api/v1/customers/${c.id}/interactions?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((i) => i.subject));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `n${11 - i}`));
  });

  it('records who logged it, and links a contact of the same customer only', async () => {
    const c = (await t.admin.post('/api/v1/customers', { lastName: 'x' })).body;
    const other = (await t.admin.post('/api/v1/customers', { lastName: 'y' })).body;
    const contact = (await t.staff.post(`/api/v1/customers/${other.id}/contacts`, { firstName: 'a' })).body;
    const r = await t.staff.post(`/api/v1/customers/${c.id}/interactions`, { type: 'call_answered', subject: 'שיחה', body: 'דיברנו' });
    expect(r.status).toBe(201);
    expect(r.body.createdBy).toMatch(/^Staff/);
    const wrong = await t.staff.post(`/api/v1/customers/${c.id}/interactions`, { type: 'note', contactId: contact.id });
    expect(wrong.status).toBe(400);
    expect((await t.staff.post(`/api/v1/customers/${c.id}/interactions`, { type: 'system' })).status).toBe(400);
  });
});
