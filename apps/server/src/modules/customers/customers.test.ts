import { describe, expect, it } from 'vitest';
import { TestClient, useApp } from '../../testing/index.js';

const t = useApp();

const david = { firstName: 'דוד', lastName: 'כהן', phone: '050-123 4567', email: 'David.Cohen@Example.com', idType: 'israeli_id', idNumber: '123456782' };

describe('customer card', () => {
  it('creates a card with every field of SPEC §1 and reads it back', async () => {
    const body = {
      ...david,
      middleName: 'דודי',
      phones: ['03-5551234'],
      emails: ['david@work.co.il'],
      idCountry: 'IL',
      address: 'הרצל 1',
      city: 'תל אביב',
      zip: '6100000',
      country: 'IL',
      mailingAddress: 'ת.ד. 55',
      mailingCity: 'חיפה',
      latitude: 32.08,
      longitude: 34.78,
      language: 'he',
      brokerName: 'שותף',
      brokerAccount: 'S-17',
    };
    const created = await t.admin.post('/api/v1/customers', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, fullName: 'דוד כהן', status: 'new', customerNumber: 1, branchId: t.fx.branchId });
    expect(created.body.createdBy).toMatch(/^Admin \d+$/);
    const read = await t.staff.get(`/api/v1/customers/${created.body.id}`);
    expect(read.body).toEqual(created.body);
  });

  it('numbers customers 1, 2, 3 … per tenant and never reuses a number', async () => {
    const a = await t.admin.post('/api/v1/customers', { lastName: 'א' });
    const b = await t.admin.post('/api/v1/customers', { lastName: 'ב' });
    expect([a.body.customerNumber, b.body.customerNumber]).toEqual([1, 2]);
    expect((await t.admin.delete(`/api/v1/customers/${b.body.id}`)).status).toBe(204);
    const c = await t.admin.post('/api/v1/customers', { lastName: 'ג' });
    expect(c.body.customerNumber).toBe(3);
  });

  it('keeps customer numbers sequential and unique under concurrent creates', async () => {
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => t.admin.post('/api/v1/customers', { lastName: `לקוח ${i}` })));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const numbers = replies.map((r) => r.body.customerNumber).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('edits fields, recomputes the keys, and lists children on the parent', async () => {
    const parent = await t.admin.post('/api/v1/customers', { lastName: 'חברת אם בע"מ', idType: 'company', idNumber: '512345678' });
    const child = await t.admin.post('/api/v1/customers', { lastName: 'חברת בת', parentId: parent.body.id });
    expect(child.status).toBe(201);
    const children = await t.staff.get(`/api/v1/customers/${parent.body.id}/children`);
    expect(children.body.items.map((c: { id: string }) => c.id)).toEqual([child.body.id]);
    const cycle = await t.admin.patch(`/api/v1/customers/${parent.body.id}`, { parentId: child.body.id });
    expect(cycle.status).toBe(409);
    const edited = await t.admin.patch(`/api/v1/customers/${child.body.id}`, { phone: '+972 52 765 4321' });
    expect(edited.status).toBe(200);
    const found = await t.staff.get('/api/v1/customers?q=0527654321');
    expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([child.body.id]);
  });
});

describe('duplicate check on create new', () => {
  it.each([
    ['the same phone in another format', { lastName: 'אחר', phone: '+972501234567' }, 'phone'],
    ['the same phone with the international prefix 00', { lastName: 'אחר', phone: '00972-50-1234567' }, 'phone'],
    ['the same email in another case', { lastName: 'אחר', email: '  DAVID.cohen@example.COM ' }, 'email'],
    ['the same ID number without its leading zeros stripped', { lastName: 'אחר', idType: 'israeli_id', idNumber: '12345678-2' }, 'id_number'],
  ])('answers 409 with the match for %s', async (_name, body, key) => {
    const existing = await t.admin.post('/api/v1/customers', david);
    const dup = await t.staff.post('/api/v1/customers', body);
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('duplicate');
    expect(dup.body.duplicatesAllowed).toBe(false);
    expect(dup.body.matches).toHaveLength(1);
    expect(dup.body.matches[0]).toMatchObject({ id: existing.body.id, customerNumber: 1, fullName: 'דוד כהן', matchedOn: [key] });
  });

  it('pads short Israeli ID numbers to 9 digits when matching', async () => {
    await t.admin.post('/api/v1/customers', { lastName: 'קצר', idType: 'israeli_id', idNumber: '000000018' });
    const dup = await t.staff.post('/api/v1/customers', { lastName: 'קצר 2', idType: 'israeli_id', idNumber: '18' });
    expect(dup.status).toBe(409);
    expect(dup.body.matches[0].matchedOn).toEqual(['id_number']);
  });

  it('lists every key that matched, and creates nothing', async () => {
    await t.admin.post('/api/v1/customers', david);
    const dup = await t.staff.post('/api/v1/customers', { ...david, firstName: 'דוד 2' });
    expect(dup.body.matches[0].matchedOn.sort()).toEqual(['email', 'id_number', 'phone']);
    const list = await t.staff.get('/api/v1/customers');
    expect(list.body.items).toHaveLength(1);
  });

  it('refuses "create anyway" unless the tenant allows duplicates', async () => {
    await t.admin.post('/api/v1/customers', david);
    const refused = await t.staff.post('/api/v1/customers?force=true', { lastName: 'שוב', phone: david.phone });
    expect(refused.status).toBe(409);
    expect((await t.admin.patch('/api/v1/tenant', { allowDuplicates: true })).body.allowDuplicates).toBe(true);
    const warned = await t.staff.post('/api/v1/customers', { lastName: 'שוב', phone: david.phone });
    expect(warned.status).toBe(409);
    expect(warned.body.duplicatesAllowed).toBe(true);
    const forced = await t.staff.post('/api/v1/customers?force=true', { lastName: 'שוב', phone: david.phone });
    expect(forced.status).toBe(201);
    expect(forced.body.customerNumber).toBe(2);
  });

  it('completes the existing card with the new details, filling only empty fields', async () => {
    const existing = await t.admin.post('/api/v1/customers', { lastName: 'כהן', phone: '050-123 4567' });
    const done = await t.staff.post(`/api/v1/customers/${existing.body.id}/complete`, { lastName: 'לא אמור לדרוס', firstName: 'דוד', email: 'd@example.com', city: 'חיפה' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ lastName: 'כהן', firstName: 'דוד', email: 'd@example.com', city: 'חיפה', phone: '050-123 4567' });
  });

  it('two concurrent creates of the same person make one card', async () => {
    const [a, b] = await Promise.all([t.admin.post('/api/v1/customers', david), t.staff.post('/api/v1/customers', { ...david, firstName: 'דויד' })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
  });
});

describe('REST API create (SPEC §2: no duplicate check unless asked)', () => {
  it('creates a second card for the same phone with an API key, stamped with the key name; ?dedupe=true checks', async () => {
    const key = (await t.admin.post('/api/v1/api-keys', { name: 'Landing Zapier' })).body.key as string;
    const machine = new TestClient(t.app).withApiKey(key);
    const first = await t.admin.post('/api/v1/customers', { firstName: 'דנה', lastName: 'לוי', phone: '050-123 4567' });
    expect(first.status).toBe(201);

    const again = await machine.post('/api/v1/customers', { firstName: 'Dana', lastName: 'Levi', phone: '+972501234567' });
    expect(again.status).toBe(201);
    expect(again.body.createdBy).toBe('Landing Zapier');
    expect(again.body.customerNumber).toBe(first.body.customerNumber + 1);

    const checked = await machine.post('/api/v1/customers?dedupe=true', { lastName: 'Levi', phone: '0501234567' });
    expect(checked.status).toBe(409);
    expect(checked.body.matches.map((m: { id: string }) => m.id).sort()).toEqual([first.body.id, again.body.id].sort());
    // A staff session keeps the check (the back office's "Create new").
    expect((await t.staff.post('/api/v1/customers', { lastName: 'Levi', phone: '050 1234567' })).status).toBe(409);
  });
});

describe('the search box', () => {
  async function seed() {
    const ids: Record<string, string> = {};
    for (const [key, body] of Object.entries({
      david,
      sarah: { firstName: 'Sarah', lastName: 'Goldberg', phone: '+1 (212) 555-0100', email: 'sarah@example.com', idType: 'passport', idNumber: 'X1234567' },
      company: { lastName: 'אלקטרה בע"מ', phone: '03-1234567', idType: 'company', idNumber: '520012345' },
      rachel: { firstName: 'רחל', lastName: 'לוי', phone: '054-999-8877' },
    })) {
      const r = await t.admin.post('/api/v1/customers', body);
      expect(r.status).toBe(201);
      ids[key] = r.body.id;
    }
    return ids;
  }
  const find = async (q: string) => (await t.staff.get(`/api/v1/customers?q=${encodeURIComponent(q)}`)).body.items.map((c: { id: string }) => c.id);

  it('finds by phone in any format', async () => {
    const ids = await seed();
    for (const q of ['050-123 4567', '+972501234567', '0501234567', '972-50-123-4567']) expect(await find(q), q).toEqual([ids.david]);
    expect(await find('+12125550100')).toEqual([ids.sarah]);
  });

  it('finds by partial name in Hebrew or English, in any case, word order free', async () => {
    const ids = await seed();
    expect(await find('כה')).toEqual([ids.david]);
    expect(await find('כהן דוד')).toEqual([ids.david]);
    expect(await find('goldb')).toEqual([ids.sarah]);
    expect(await find('SARAH')).toEqual([ids.sarah]);
    expect(await find('אלקטר')).toEqual([ids.company]);
    // One or two letters match the start of a word (a trigram index cannot serve shorter substrings).
    expect(await find('לו')).toEqual([ids.rachel]);
    expect(await find('go')).toEqual([ids.sarah]);
    expect(await find('ld')).toEqual([]);
    expect(await find('זזזז')).toEqual([]);
  });

  it('finds by email (any case), ID number, passport and customer number', async () => {
    const ids = await seed();
    expect(await find('DAVID.COHEN@example.com')).toEqual([ids.david]);
    expect(await find('123456782')).toEqual([ids.david]);
    expect(await find('520012345')).toEqual([ids.company]);
    expect(await find('x1234567')).toEqual([ids.sarah]);
    expect(await find('4')).toEqual([ids.rachel]);
  });

  it('treats LIKE wildcards in the query as plain text', async () => {
    await seed();
    expect(await find('%')).toEqual([]);
    expect(await find('_')).toEqual([]);
  });
});

describe('list, filters, sort and keyset pages', () => {
  it('pages through every customer exactly once in each sort', async () => {
    for (let i = 0; i < 23; i++) await t.admin.post('/api/v1/customers', { lastName: `לקוח ${String.fromCharCode(0x5d0 + (i % 22))}${i}` });
    for (const sort of ['created_desc', 'created_asc', 'number_desc', 'number_asc', 'name_asc', 'name_desc']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { customerNumber: number }[]; nextCursor: string | null } } = await t.staff.get(
          `/api/v1/customers?sort=${sort}&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.body.items.map((c) => c.customerNumber));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.length, sort).toBe(23);
      expect(new Set(seen).size, sort).toBe(23);
      if (sort === 'number_asc') expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    }
  });

  it('filters by status, branch, created range and custom field, and counts separately', async () => {
    const usa = await t.admin.post('/api/v1/branches', { name: 'USA', country: 'US', language: 'en', timezone: 'America/New_York' });
    await t.admin.post('/api/v1/custom-fields', { key: 'vip', labelHe: 'VIP', labelEn: 'VIP', type: 'checkbox' });
    const a = await t.admin.post('/api/v1/customers', { lastName: 'א', branchId: usa.body.id, custom: { vip: true } });
    const b = await t.admin.post('/api/v1/customers', { lastName: 'ב' });
    await t.admin.post(`/api/v1/customers/${b.body.id}/interactions`, { type: 'call_unanswered' });
    const ids = async (qs: string) => (await t.staff.get(`/api/v1/customers?${qs}`)).body.items.map((c: { id: string }) => c.id);
    expect(await ids(`branchId=${usa.body.id}`)).toEqual([a.body.id]);
    expect(await ids('status=follow_up')).toEqual([b.body.id]);
    expect((await ids('status=follow_up&status=new')).sort()).toEqual([a.body.id, b.body.id].sort());
    expect(await ids('cf.vip=true')).toEqual([a.body.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await ids(`createdFrom=${today}&createdTo=${today}`)).length).toBe(2);
    expect(await ids('createdTo=2000-01-01')).toEqual([]);
    expect((await t.staff.get('/api/v1/customers/count?status=new')).body).toEqual({ count: 1, exact: true });
    expect((await t.staff.get('/api/v1/customers?cf.vip=maybe')).status).toBe(400);
    expect((await t.staff.get('/api/v1/customers?cursor=garbage')).status).toBe(400);
  });
});
