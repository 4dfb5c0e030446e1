import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { receiveMany } from './intake.js';
import { channelOfTenant } from './service.js';
import { createDefinition } from '../custom-fields/service.js';
import { updateTenant } from '../tenants/service.js';
import { mailSettings } from '../mail/index.js';
import { deliverAll, makeCustomer, makeMailbox, testWorker, useSink } from '../mail/testing.js';

/**
 * The Web Data Port over real HTTP (Fastify inject: the whole stack, parsers and hooks
 * included): channel settings, each row of SPEC §2 that concerns the port, the body formats,
 * the abuse guards, the log and its replay, and the notification through the mail pipeline.
 */
const t = useApp();

const MAPPING = {
  full_name: 'fullName',
  first_name: 'firstName',
  last_name: 'lastName',
  phone: 'phone',
  email: 'email',
  city: 'city',
  message: 'note',
} as const;

interface Sent {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

async function makeChannel(extra: Record<string, unknown> = {}) {
  const r = await t.admin.post('/api/v1/channels', { name: 'דף נחיתה קיץ', mapping: MAPPING, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; slug: string; token: string; url: string; name: string };
}

const json = (v: unknown) => JSON.stringify(v);

/** A submission as a landing page or Zapier would send it. */
async function send(
  slug: string,
  opts: { method?: 'GET' | 'HEAD' | 'POST' | 'OPTIONS'; query?: Record<string, string>; json?: unknown; form?: string; body?: string | Buffer; type?: string; headers?: Record<string, string>; ip?: string } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (opts.json !== undefined) {
    payload = json(opts.json);
    headers['content-type'] = 'application/json';
  } else if (opts.form !== undefined) {
    payload = opts.form;
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined) {
    payload = opts.body;
    headers['content-type'] = opts.type ?? 'text/plain';
  }
  const qs = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
  const res = await t.app.inject({ method: opts.method ?? (payload === undefined ? 'GET' : 'POST'), url: `/in/${slug}${qs}`, headers, payload, remoteAddress: opts.ip ?? '203.0.113.7' });
  const text = res.body;
  return { status: res.statusCode, body: text && String(res.headers['content-type']).includes('json') ? JSON.parse(text) : text, headers: res.headers };
}

function multipart(fields: Record<string, string>, files: { field: string; name: string; type: string; data: Buffer }[]) {
  const boundary = '----kesher' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\nContent-Type: ${f.type}\r\n\r\n`));
    chunks.push(f.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const card = async (id: string) => (await t.admin.get(`/api/v1/customers/${id}`)).body;
const timeline = async (id: string) => (await t.admin.get(`/api/v1/customers/${id}/interactions`)).body.items as { type: string; subject: string; body: string; createdBy: string }[];
const count = async () => (await rows<{ n: number }>(t.db, sql`select count(*)::int as n from customers where tenant_id = ${t.fx.tenantId}`))[0]!.n;
const log = async (channelId: string) => (await t.admin.get(`/api/v1/channels/${channelId}/submissions`)).body.items as any[];

describe('channels (back office)', () => {
  it('creates a channel: POST { name, mapping } → slug, token and address; list, get, patch, new token, delete', async () => {
    const r = await t.admin.post('/api/v1/channels', { name: 'Summer Campaign', mapping: { email: 'email', tel: 'phone' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Summer Campaign', active: true, replyMode: 'json', mapping: { email: 'email', tel: 'phone' }, honeypotField: '_hp' });
    expect(r.body.slug).toMatch(/^summer-campaign-[0-9a-f]{6}$/);
    expect(r.body.token).toMatch(/^[\w-]{40,}$/);
    expect(r.body.url).toBe(`http://localhost:3000/in/${r.body.slug}`);
    const id = r.body.id;

    // The token is kept encrypted: the database does not hold it in clear.
    const [stored] = await rows<{ token_encrypted: string }>(t.db, sql`select token_encrypted from channels where id = ${id}`);
    expect(stored!.token_encrypted).not.toContain(r.body.token);

    expect((await t.admin.get('/api/v1/channels')).body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await t.admin.get(`/api/v1/channels/${id}`)).body.token).toBe(r.body.token);
    const patched = await t.admin.patch(`/api/v1/channels/${id}`, { active: false, slug: 'summer', mapping: { email: 'email', tel: 'phones' } });
    expect(patched.body).toMatchObject({ active: false, mapping: { tel: 'phones' }, url: `http://localhost:3000/in/${patched.body.slug}` });
    expect(patched.body.slug).toMatch(/^summer-[0-9a-f]{6}$/);
    const renewed = await t.admin.post(`/api/v1/channels/${id}/token`);
    expect(renewed.body.token).not.toBe(r.body.token);

    // Names are unique within the database; a chosen slug gets a random part (channels/slugs.test.ts).
    expect((await t.admin.post('/api/v1/channels', { name: 'Other', slug: 'summer', mapping: {} })).status).toBe(201);
    expect((await t.admin.post('/api/v1/channels', { name: 'Summer Campaign', mapping: {} })).body.code).toBe('conflict');

    expect((await t.staff.get('/api/v1/channels')).status).toBe(403);
    expect((await t.admin.delete(`/api/v1/channels/${id}`)).status).toBe(204);
    expect((await t.admin.get(`/api/v1/channels/${id}`)).status).toBe(404);
  });

  it('refuses a mapping to an unknown card field or custom field, and a redirect without an address', async () => {
    const bad = await t.admin.post('/api/v1/channels', { name: 'x', mapping: { a: 'shoeSize' } }, { 'accept-language': 'en' });
    expect(bad.status).toBe(400);
    const cf = await t.admin.post('/api/v1/channels', { name: 'x', mapping: { a: 'cf.nope' } }, { 'accept-language': 'en' });
    expect(cf.status).toBe(400);
    expect(cf.body.fields).toEqual([expect.objectContaining({ path: 'mapping.a', code: 'unknown_field' })]);
    const redirect = await t.admin.post('/api/v1/channels', { name: 'x', mapping: {}, replyMode: 'redirect' });
    expect(redirect.body.fields).toEqual([expect.objectContaining({ path: 'redirectUrl', code: 'redirect_url_required' })]);
  });
});

describe('SPEC §2: a lead through the Web Data Port', () => {
  it('new customer: created by = the channel name, creation time, "No Name From Web", status New, Hot Lead (JSON)', async () => {
    const ch = await makeChannel();
    const before = Date.now();
    const r = await send(ch.slug, { json: { phone: '050-7654321', email: 'lead@example.com' }, headers: { 'x-kesher-token': ch.token } });
    expect(r.status, json(r.body)).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['customerNumber', 'duplicate', 'id']);
    expect(r.body).toMatchObject({ customerNumber: 1, duplicate: false });
    const c = await card(r.body.id);
    expect(c).toMatchObject({
      createdBy: 'דף נחיתה קיץ', lastName: 'No Name From Web', firstName: null, status: 'new', websiteLastToken: 'hot_lead',
      phone: '050-7654321', email: 'lead@example.com', branchId: t.fx.branchId,
    });
    expect(Date.parse(c.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(c.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);

    // A name that came is used: full name split into first + last.
    const named = await send(ch.slug, { json: { full_name: 'John Ronald Tolkien', phone: '052-1111111', message: 'Call me at 5' }, headers: { 'x-kesher-token': ch.token } });
    expect(await card(named.body.id)).toMatchObject({ firstName: 'John Ronald', lastName: 'Tolkien', status: 'new' });
    expect(await timeline(named.body.id)).toEqual([expect.objectContaining({ type: 'note', body: 'message: Call me at 5', createdBy: 'דף נחיתה קיץ' })]);
  });

  it('duplicate by phone in another format: only empty fields filled, non-empty untouched, an alert holding the submission, Hot Lead', async () => {
    const ch = await makeChannel();
    const existing = await makeCustomer(t.db, t.fx.tenantId, { firstName: 'דנה', lastName: 'לוי', phone: '050-1234567', email: null, city: null });
    const r = await send(ch.slug, {
      json: { full_name: 'Dana Levi-Cohen', phone: '+972 50 123 4567', email: 'dana@example.com', city: 'חיפה', message: 'שלום' },
      headers: { 'x-kesher-token': ch.token },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: existing.id, customerNumber: existing.customerNumber, duplicate: true });
    expect(await count()).toBe(1);
    const c = await card(existing.id);
    expect(c).toMatchObject({ firstName: 'דנה', lastName: 'לוי', phone: '050-1234567', email: 'dana@example.com', city: 'חיפה', websiteLastToken: 'hot_lead', status: 'new' });
    const alerts = (await timeline(existing.id)).filter((i) => i.type === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.createdBy).toBe('דף נחיתה קיץ');
    expect(alerts[0]!.subject).toContain('דף נחיתה קיץ');
    for (const line of ['full_name: Dana Levi-Cohen', 'phone: +972 50 123 4567', 'email: dana@example.com', 'city: חיפה', 'message: שלום']) expect(alerts[0]!.body).toContain(line);
    expect(alerts[0]!.body).not.toContain(ch.token);
  });

  it('duplicate by email in another case: filled, alert, Hot Lead; a status other than Not interested stays', async () => {
    const ch = await makeChannel();
    const existing = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Cohen', email: 'Avi.Cohen@Example.com' });
    await t.db.execute(sql`update customers set status = 'follow_up' where id = ${existing.id}`);
    const r = await send(ch.slug, { json: { email: 'AVI.COHEN@example.COM', phone: '054-9999999', last_name: 'Other' }, headers: { 'x-kesher-token': ch.token } });
    expect(r.body).toEqual({ id: existing.id, customerNumber: existing.customerNumber, duplicate: true });
    expect(await card(existing.id)).toMatchObject({ lastName: 'Cohen', email: 'Avi.Cohen@Example.com', phone: '054-9999999', status: 'follow_up', websiteLastToken: 'hot_lead' });
    expect((await timeline(existing.id)).map((i) => i.type)).toEqual(['alert']);
  });

  it('a duplicate that was Not interested goes back to New with Renewed (through the status rules: a system line on the timeline)', async () => {
    const ch = await makeChannel();
    const existing = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Mizrahi', phone: '03-5551234' });
    await t.db.execute(sql`update customers set status = 'not_interested' where id = ${existing.id}`);
    const r = await send(ch.slug, { form: 'phone=035551234', headers: { 'x-kesher-token': ch.token } });
    expect(r.body).toMatchObject({ id: existing.id, duplicate: true });
    expect(await card(existing.id)).toMatchObject({ status: 'new', websiteLastToken: 'renewed', lastName: 'Mizrahi' });
    const types = (await timeline(existing.id)).map((i) => `${i.type}:${i.subject}`);
    expect(types).toEqual(expect.arrayContaining(['system:status: not_interested → new', expect.stringMatching(/^alert:/)]));
    const [entry] = await log(ch.id);
    expect(entry).toMatchObject({ outcome: 'renewed', customerId: existing.id, duplicate: true });
  });

  it('"allow duplicates" does not make the port create one: the card found is completed', async () => {
    await updateTenant(t.db, t.fx.tenantId, { allowDuplicates: true });
    const ch = await makeChannel();
    const existing = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Dup', email: 'dup@example.com' });
    const r = await send(ch.slug, { json: { email: 'dup@example.com' }, headers: { 'x-kesher-token': ch.token } });
    expect(r.body).toMatchObject({ id: existing.id, duplicate: true });
    expect(await count()).toBe(1);
  });

  it('custom fields (cf.<key>) and the channel default branch and language', async () => {
    await createDefinition(t.db, t.fx.tenantId, { key: 'budget', labelHe: 'תקציב', labelEn: 'Budget', type: 'number', options: [], required: false, position: 1 });
    await createDefinition(t.db, t.fx.tenantId, { key: 'newsletter', labelHe: 'ניוזלטר', labelEn: 'Newsletter', type: 'checkbox', options: [], required: false, position: 2 });
    const us = await t.admin.post('/api/v1/branches', { name: 'USA', country: 'US', language: 'en', timezone: 'America/New_York' });
    const ch = await makeChannel({ mapping: { ...MAPPING, budget: 'cf.budget', news: 'cf.newsletter' }, branchId: us.body.id, language: 'en' });
    const r = await send(ch.slug, { json: { email: 'cf@example.com', budget: '2500', news: 'on' }, headers: { 'x-kesher-token': ch.token } });
    expect(await card(r.body.id)).toMatchObject({ custom: { budget: 2500, newsletter: true }, branchId: us.body.id, language: 'en' });
  });

  it('an invalid phone is left out (listed in the log), the lead is kept; nothing identifying → 400, logged as rejected, replayable after the mapping is fixed', async () => {
    const ch = await makeChannel();
    const kept = await send(ch.slug, { json: { phone: 'abc', email: 'kept@example.com' }, headers: { 'x-kesher-token': ch.token } });
    expect(kept.status).toBe(200);
    expect(await card(kept.body.id)).toMatchObject({ phone: null, email: 'kept@example.com' });
    expect((await log(ch.id))[0].problems).toEqual([expect.objectContaining({ path: 'phone', code: 'invalid_phone' })]);

    const refused = await send(ch.slug, { json: { mail: 'later@example.com' }, headers: { 'x-kesher-token': ch.token, 'accept-language': 'en' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation', message: 'Nothing identifies the lead: send a name, a phone, an email or an ID number' });
    const [rejected] = await log(ch.id);
    expect(rejected).toMatchObject({ outcome: 'rejected', params: { mail: 'later@example.com' }, customerId: null });

    await t.admin.patch(`/api/v1/channels/${ch.id}`, { mapping: { ...MAPPING, mail: 'email' } });
    const replayed = await t.admin.post(`/api/v1/channels/${ch.id}/submissions/${rejected.id}/replay`);
    expect(replayed.status, json(replayed.body)).toBe(200);
    expect(replayed.body.submission).toMatchObject({ outcome: 'created', replayOf: rejected.id, params: { mail: 'later@example.com' } });
    expect(replayed.body.reply).toMatchObject({ duplicate: false });
    expect(await card(replayed.body.reply.id)).toMatchObject({ email: 'later@example.com', createdBy: ch.name });
    // Replaying it again finds the card it made: a duplicate, filled.
    const again = await t.admin.post(`/api/v1/channels/${ch.id}/submissions/${rejected.id}/replay`);
    expect(again.body.reply).toEqual({ id: replayed.body.reply.id, customerNumber: replayed.body.reply.customerNumber, duplicate: true });
  });
});

describe('many leads at once (group commit)', () => {
  type Deliver = (ch: { id: string; slug: string; token: string }, bodies: Record<string, string>[]) => Promise<{ status: number; body: any }[]>;
  const overHttp: Deliver = (ch, bodies) => Promise.all(bodies.map((body) => send(ch.slug, { json: body, headers: { 'x-kesher-token': ch.token } })));
  // One batch for certain (embedded PGlite answers so fast that HTTP requests seldom overlap).
  const asOneBatch: Deliver = async (ch, bodies) => {
    const row = await channelOfTenant(t.db, t.fx.tenantId, ch.id);
    const tenant = { defaultRegion: 'IL', defaultLanguage: 'he' };
    const incoming = (params: Record<string, string>) => ({ params, files: [], ip: '203.0.113.9', origin: null, userAgent: null, contentType: 'application/json' });
    const settled = await receiveMany(t.db, bodies.map((b) => ({ channel: row, tenant, incoming: incoming(b) })));
    return settled.map((r) => (r.ok ? { status: 200, body: r.value.reply } : { status: 500, body: String(r.error) }));
  };

  it.each([
    ['over HTTP', overHttp],
    ['in one batch', asOneBatch],
  ] as const)('a burst of 57 (%s): one card per person, numbers without gaps; one person twice, an existing customer five times, a double click', async (_how, deliver) => {
    const ch = await makeChannel({ ratePerIpPerMinute: 1000 });
    const existing = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Known', phone: '050-9990000' });
    const numbersBefore = (await rows<{ n: number }>(t.db, sql`select coalesce(max(customer_number), 0)::int as n from customers where tenant_id = ${t.fx.tenantId}`))[0]!.n;
    const submissions: Record<string, string>[] = [
      // 40 new people
      ...Array.from({ length: 40 }, (_, i) => ({ full_name: `חדש ${i}`, phone: `052-40000${String(i).padStart(2, '0')}` })),
      // 5 people who send twice, each time with another detail: one card each, the second fills it
      ...Array.from({ length: 5 }, (_, i) => ({ phone: `053-50000${i}0` })),
      ...Array.from({ length: 5 }, (_, i) => ({ phone: `+97253-50000${i}0`, city: 'חיפה' })),
      // the existing customer, five times, each submission different
      ...Array.from({ length: 5 }, (_, i) => ({ phone: '0509990000', message: `שוב ${i}` })),
      // a double click: the same submission twice
      { email: 'double@example.com', full_name: 'Double Click' },
      { email: 'double@example.com', full_name: 'Double Click' },
    ];
    const answers = await deliver(ch, submissions);
    expect(answers.map((a) => a.status)).toEqual(submissions.map(() => 200));

    const created = answers.filter((a) => !a.body.duplicate);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(40 + 5 + 1 + 1); // new people, the senders-twice, the known customer, the double click
    // Every person's submissions got the same card.
    for (let i = 0; i < 5; i++) expect(answers[40 + i]!.body.id).toBe(answers[45 + i]!.body.id);
    for (let i = 50; i < 55; i++) expect(answers[i]!.body).toEqual({ id: existing.id, customerNumber: existing.customerNumber, duplicate: true });
    expect(answers[55]!.body).toEqual(answers[56]!.body);
    // Numbers: one per new card, no gaps, none twice.
    const numbers = [...new Set(created.map((a) => a.body.customerNumber as number))].sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 46 }, (_, i) => numbersBefore + 1 + i));
    expect(await count()).toBe(1 + 46);

    // The sender-twice cards hold both details; the known card has one alert per submission.
    expect(await card(answers[40]!.body.id)).toMatchObject({ phone: '053-5000000', city: 'חיפה', websiteLastToken: 'hot_lead' });
    expect((await timeline(existing.id)).filter((i) => i.type === 'alert').map((i) => i.body).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `phone: 0509990000\nmessage: שוב ${i}`),
    );
    const outcomes = await rows<{ outcome: string; n: number }>(t.db, sql`select outcome, count(*)::int as n from channel_submissions where channel_id = ${ch.id} group by outcome order by outcome`);
    expect(Object.fromEntries(outcomes.map((o) => [o.outcome, o.n]))).toEqual({ created: 46, filled: 10, repeat: 1 });
  });
});

describe('body formats', () => {
  it('Hebrew form-urlencoded, token as a parameter; the log keeps the raw parameters without the token', async () => {
    const ch = await makeChannel();
    const form = new URLSearchParams({ full_name: 'ישראל ישראלי', phone: '050-2223333', city: 'תל אביב-יפו', message: 'מעוניין בהצעת מחיר', token: ch.token }).toString();
    const r = await send(ch.slug, { form });
    expect(r.status, json(r.body)).toBe(200);
    expect(await card(r.body.id)).toMatchObject({ firstName: 'ישראל', lastName: 'ישראלי', city: 'תל אביב-יפו', phone: '050-2223333' });
    const [entry] = await log(ch.id);
    expect(entry).toMatchObject({
      outcome: 'created', customerId: r.body.id, customerNumber: r.body.customerNumber, ip: '203.0.113.7',
      params: { full_name: 'ישראל ישראלי', phone: '050-2223333', city: 'תל אביב-יפו', message: 'מעוניין בהצעת מחיר' },
    });
    expect(entry.contentType).toBe('application/x-www-form-urlencoded');
    expect(json(entry)).not.toContain(ch.token);
  });

  it('GET with a query string', async () => {
    const ch = await makeChannel();
    const query = { token: ch.token, first_name: 'Query', last_name: 'String', email: 'q@example.com' };
    // A link checker's HEAD files nothing.
    expect((await send(ch.slug, { method: 'HEAD', query })).status).toBe(404);
    expect(await count()).toBe(0);
    const r = await send(ch.slug, { query });
    expect(r.status).toBe(200);
    expect(await card(r.body.id)).toMatchObject({ firstName: 'Query', lastName: 'String', email: 'q@example.com' });
  });

  it('JSON sent as text/plain (no CORS preflight) and nested JSON objects (dotted names)', async () => {
    const ch = await makeChannel({ mapping: { 'contact.email': 'email', 'contact.name': 'lastName' } });
    const r = await send(ch.slug, { body: json({ token: ch.token, contact: { email: 'nested@example.com', name: 'Nested' } }) });
    expect(r.status, json(r.body)).toBe(200);
    expect(await card(r.body.id)).toMatchObject({ lastName: 'Nested', email: 'nested@example.com' });
  });

  it('multipart with a file: kept on the record; a file over the channel cap → 413; files off → 413', async () => {
    const ch = await makeChannel({ maxFileBytes: 1024 });
    const cv = Buffer.from('%PDF-1.4 קורות חיים\n');
    const mp = multipart({ full_name: 'רונית כהן', email: 'ronit@example.com', token: ch.token }, [{ field: 'cv', name: 'קורות חיים.pdf', type: 'application/pdf', data: cv }]);
    const r = await send(ch.slug, { body: mp.body, type: mp.type });
    expect(r.status, json(r.body)).toBe(200);
    expect(await card(r.body.id)).toMatchObject({ firstName: 'רונית', lastName: 'כהן' });
    const files = await t.admin.get(`/api/v1/customers/${r.body.id}/files`);
    expect(files.body.items).toEqual([expect.objectContaining({ field: 'cv', fileName: 'קורות חיים.pdf', contentType: 'application/pdf', size: cv.length })]);
    const download = await t.app.inject({ method: 'GET', url: `/api/v1/customers/${r.body.id}/files/${files.body.items[0].id}`, headers: { cookie: t.admin.cookie! } });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(cv)).toBe(true);
    expect(download.headers['content-disposition']).toContain('attachment');
    const [entry] = await log(ch.id);
    expect(entry.files).toEqual([expect.objectContaining({ fileName: 'קורות חיים.pdf', size: cv.length })]);

    const big = multipart({ email: 'big@example.com', token: ch.token }, [{ field: 'cv', name: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(2048, 1) }]);
    const tooBig = await send(ch.slug, { body: big.body, type: big.type, headers: { 'accept-language': 'en' } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toEqual({ code: 'payload_too_large', message: 'A file is too large: at most 1 KB' });
    expect((await rows(t.db, sql`select id from customers where email = 'big@example.com'`)).length).toBe(0);

    // A file larger than the server's 1 MB body limit for JSON, under the channel's 5 MB cap: taken.
    await t.admin.patch(`/api/v1/channels/${ch.id}`, { maxFileBytes: 5 * 1024 * 1024 });
    const scan = Buffer.alloc(3 * 1024 * 1024, 7);
    const large = multipart({ email: 'large@example.com', token: ch.token }, [{ field: 'scan', name: 'scan.png', type: 'image/png', data: scan }]);
    const taken = await send(ch.slug, { body: large.body, type: large.type });
    expect(taken.status, json(taken.body)).toBe(200);
    expect((await t.admin.get(`/api/v1/customers/${taken.body.id}/files`)).body.items).toEqual([expect.objectContaining({ fileName: 'scan.png', size: scan.length })]);

    await t.admin.patch(`/api/v1/channels/${ch.id}`, { maxFileBytes: 0 });
    const none = await send(ch.slug, { body: mp.body, type: mp.type, headers: { 'accept-language': 'en' } });
    expect(none).toMatchObject({ status: 413, body: { code: 'payload_too_large', message: 'This channel does not take files' } });
  });

  it('malformed JSON, an unknown content type and an oversized body: clear 4xx in Hebrew and English', async () => {
    const ch = await makeChannel();
    const headers = { 'x-kesher-token': ch.token, 'accept-language': 'en' };
    const bad = await send(ch.slug, { body: '{"email": ', type: 'application/json', headers });
    expect(bad).toMatchObject({ status: 400, body: { code: 'validation', message: 'The body could not be read as JSON' } });
    const badHe = await send(ch.slug, { body: '[1,2]', type: 'application/json', headers: { 'x-kesher-token': ch.token } });
    expect(badHe.body.message).toBe('לא ניתן לקרוא את גוף הבקשה כ-JSON');
    const xml = await send(ch.slug, { body: '<lead/>', type: 'application/xml', headers });
    expect(xml).toMatchObject({ status: 400, body: { code: 'validation' } });
    expect(xml.body.message).toContain('application/xml');
    const huge = await send(ch.slug, { form: `email=a@example.com&message=${'x'.repeat(70 * 1024)}`, headers });
    expect(huge).toMatchObject({ status: 413, body: { code: 'payload_too_large', message: 'The submission is too large: at most 64 KB of fields' } });
    expect(await count()).toBe(0);
  });
});

describe('access and abuse', () => {
  it('wrong or missing token → 401, inactive channel → 403, unknown channel → 404; nothing created', async () => {
    const ch = await makeChannel();
    const en = { 'accept-language': 'en' };
    const wrong = await send(ch.slug, { json: { email: 'x@example.com' }, headers: { 'x-kesher-token': `${ch.token.slice(0, -1)}${ch.token.endsWith('A') ? 'B' : 'A'}`, ...en } });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'unauthorized', message: expect.stringContaining('X-Kesher-Token') } });
    expect((await send(ch.slug, { json: { email: 'x@example.com' }, headers: en })).status).toBe(401);
    const he = await send(ch.slug, { json: { email: 'x@example.com' } });
    expect(he.body.message).toContain('אסימון');
    await t.admin.patch(`/api/v1/channels/${ch.id}`, { active: false });
    const inactive = await send(ch.slug, { json: { email: 'x@example.com' }, headers: { 'x-kesher-token': ch.token, ...en } });
    expect(inactive).toMatchObject({ status: 403, body: { code: 'forbidden', message: 'This channel is not active' } });
    expect((await send('no-such-channel', { json: {}, headers: en })).body).toMatchObject({ code: 'not_found', message: 'No such channel' });
    expect(await count()).toBe(0);
    expect(await log(ch.id)).toEqual([]);
  });

  it('rate limit per IP (429), other addresses still served; then per channel across addresses', async () => {
    const ch = await makeChannel({ ratePerIpPerMinute: 2, ratePerMinute: 4 });
    const post = (i: number, ip: string) => send(ch.slug, { json: { email: `r${i}@example.com` }, headers: { 'x-kesher-token': ch.token, 'accept-language': 'en' }, ip });
    expect((await post(1, '198.51.100.1')).status).toBe(200);
    expect((await post(2, '198.51.100.1')).status).toBe(200);
    const third = await post(3, '198.51.100.1');
    expect(third).toMatchObject({ status: 429, body: { code: 'too_many_requests', message: 'Too many submissions. Try again in a minute.' } });
    expect(third.headers['retry-after']).toBe('60');
    expect((await post(4, '198.51.100.2')).status).toBe(200);
    // The channel has taken 3 in this minute (the one refused per address counts there only): a 4th passes, the 5th from anywhere is refused.
    expect((await post(5, '198.51.100.3')).status).toBe(200);
    expect((await post(6, '198.51.100.4')).status).toBe(429);
    expect(await count()).toBe(4);
    // Counted in the database: another server process sees the same counters.
    const [counter] = await rows<{ hits: number }>(t.db, sql`select hits from rate_counters where key = ${`in:ch:${ch.id}`}`);
    expect(counter!.hits).toBe(5);
    // Both leads refused for rate (with the right token) are in the channel's log, to be replayed.
    const refused = await log(ch.id);
    expect(refused.filter((e: { outcome: string }) => e.outcome === 'rate_limited').map((e: { params: Record<string, unknown> }) => e.params.email).sort()).toEqual(['r3@example.com', 'r6@example.com']);
  });

  it('wrong tokens from one address do not use up the channel: 125 of them, then a real lead from another address is taken', async () => {
    const ch = await makeChannel(); // the defaults: 10 per address, 120 per channel a minute
    const en = { 'accept-language': 'en' };
    const answers: number[] = [];
    for (let i = 0; i < 125; i++) answers.push((await send(ch.slug, { query: { token: 'wrong', email: `bad${i}@example.com` }, headers: en, ip: '192.0.2.66' })).status);
    expect(answers.filter((s) => s === 401)).toHaveLength(10);
    expect(answers.filter((s) => s === 429)).toHaveLength(115);
    const real = await send(ch.slug, { query: { token: ch.token, email: 'real.lead@example.com' }, ip: '192.0.2.77' });
    expect(real.status, json(real.body)).toBe(200);
    expect(await card(real.body.id)).toMatchObject({ email: 'real.lead@example.com' });
    // Nothing of the wrong-token flood is logged, and none of it counted against the channel.
    expect((await log(ch.id)).map((e: { outcome: string }) => e.outcome)).toEqual(['created']);
    const [counter] = await rows<{ hits: number }>(t.db, sql`select hits from rate_counters where key = ${`in:ch:${ch.id}`}`);
    expect(counter!.hits).toBe(1);
  });

  it('the token is checked before any file part is read: header or query, or a field before the files', async () => {
    const ch = await makeChannel({ maxFileBytes: 1024 * 1024 });
    const en = { 'accept-language': 'en' };
    const file = { field: 'cv', name: 'cv.pdf', type: 'application/pdf', data: Buffer.alloc(200 * 1024, 1) };
    // A wrong token in the query: refused without reading the body.
    const mp = multipart({ email: 'f1@example.com' }, [file]);
    const wrong = await send(ch.slug, { body: mp.body, type: mp.type, query: { token: 'wrong' }, headers: en });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    // No token before the files (it comes after them): refused at the first file part.
    const boundary = '----late';
    const late = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\nf2@example.com\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      file.data,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n${ch.token}\r\n--${boundary}--\r\n`),
    ]);
    const after = await send(ch.slug, { body: late, type: `multipart/form-data; boundary=${boundary}`, headers: en });
    expect(after).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    // The token in the header, or as a field before the files: taken.
    expect((await send(ch.slug, { body: mp.body, type: mp.type, headers: { 'x-kesher-token': ch.token } })).status).toBe(200);
    const first = multipart({ token: ch.token, email: 'f3@example.com' }, [file]);
    expect((await send(ch.slug, { body: first.body, type: first.type })).status).toBe(200);
    expect(await count()).toBe(2);
  });

  it('malformed multipart (no boundary, truncated) → 400, before and after the token', async () => {
    const ch = await makeChannel();
    const en = { 'accept-language': 'en' };
    const noBoundary = await send(ch.slug, { body: 'email=x@example.com', type: 'multipart/form-data', headers: en });
    expect(noBoundary).toMatchObject({ status: 400, body: { code: 'validation' } });
    const mp = multipart({ token: ch.token, email: 'cut@example.com' }, [{ field: 'cv', name: 'cv.pdf', type: 'application/pdf', data: Buffer.alloc(512, 1) }]);
    const cut = await send(ch.slug, { body: mp.body.subarray(0, mp.body.length - 300), type: mp.type, headers: en });
    expect(cut).toMatchObject({ status: 400, body: { code: 'validation' } });
    const cutHeader = await send(ch.slug, { body: mp.body.subarray(0, 60), type: mp.type, headers: { ...en, 'x-kesher-token': ch.token } });
    expect(cutHeader).toMatchObject({ status: 400, body: { code: 'validation' } });
    expect(await count()).toBe(0);
  });

  it('a burst at once (served in shared batches): exactly the limit passes, the rest get 429', async () => {
    const ch = await makeChannel({ ratePerIpPerMinute: 1000, ratePerMinute: 7 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(ch.slug, { json: { email: `burst${i}@example.com` }, headers: { 'x-kesher-token': ch.token }, ip: `198.51.100.${i + 10}` })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(13);
    expect(await count()).toBe(7);
  });

  it('honeypot filled: accepted silently as spam, nothing created, logged', async () => {
    const ch = await makeChannel();
    const r = await send(ch.slug, { form: `email=bot@example.com&_hp=http://spam.example&token=${ch.token}` });
    expect(r).toMatchObject({ status: 200, body: { id: null, customerNumber: null, duplicate: false } });
    expect(await count()).toBe(0);
    expect((await log(ch.id))[0]).toMatchObject({ outcome: 'spam', params: { email: 'bot@example.com', _hp: 'http://spam.example' } });
    // An empty honeypot is a person.
    expect((await send(ch.slug, { form: `email=person@example.com&_hp=&token=${ch.token}` })).body.id).not.toBeNull();
  });

  it('the same submission twice within 5 minutes (spelled differently) counts once: one card, one alert, logged as repeat', async () => {
    const ch = await makeChannel();
    const existing = await makeCustomer(t.db, t.fx.tenantId, { lastName: 'Twice', phone: '050-3334444' });
    const first = await send(ch.slug, { json: { phone: '050-3334444', city: 'Eilat' }, headers: { 'x-kesher-token': ch.token } });
    const second = await send(ch.slug, { json: { Phone: '+972503334444', city: ' EILAT ' }, headers: { 'x-kesher-token': ch.token } });
    expect(second.body).toEqual(first.body);
    expect((await timeline(existing.id)).filter((i) => i.type === 'alert')).toHaveLength(1);
    const newLead = { json: { email: 'double@example.com', full_name: 'Double Click' }, headers: { 'x-kesher-token': ch.token } };
    const [a, b] = await Promise.all([send(ch.slug, newLead), send(ch.slug, newLead)]);
    expect(a.body).toEqual(b.body);
    expect(a.body.duplicate).toBe(false);
    expect(await count()).toBe(2);
    expect((await log(ch.id)).map((s) => s.outcome).sort()).toEqual(['created', 'filled', 'repeat', 'repeat']);
    // An older copy (past the window) is a new event again.
    await t.db.execute(sql`update channel_submissions set received_at = received_at - interval '6 minutes'`);
    expect((await send(ch.slug, newLead)).body).toMatchObject({ id: a.body.id, duplicate: true });
  });

  it('redirect reply: 303 to the thank-you page', async () => {
    const ch = await makeChannel({ replyMode: 'redirect', redirectUrl: 'https://landing.example.com/thanks' });
    const r = await send(ch.slug, { form: `email=thanks@example.com&token=${ch.token}` });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('https://landing.example.com/thanks');
    expect(await count()).toBe(1);
  });

  it('CORS: browser posts from allowed origins only (preflight too); the cross-site post is not refused as CSRF', async () => {
    const ch = await makeChannel({ allowedOrigins: ['https://landing.example.com'] });
    const ok = await send(ch.slug, { json: { email: 'cors@example.com' }, headers: { 'x-kesher-token': ch.token, origin: 'https://landing.example.com', 'sec-fetch-site': 'cross-site' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://landing.example.com');
    const pre = await send(ch.slug, { method: 'OPTIONS', headers: { origin: 'https://landing.example.com', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toContain('X-Kesher-Token');
    const other = await send(ch.slug, { json: { email: 'evil@example.com' }, headers: { 'x-kesher-token': ch.token, origin: 'https://evil.example', 'accept-language': 'en' } });
    expect(other).toMatchObject({ status: 403, body: { code: 'forbidden', message: 'This channel does not take submissions from https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(ch.slug, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status).toBe(403);
    // Any origin when the list is empty.
    const open = await makeChannel({ name: 'Open' });
    const any = await send(open.slug, { json: { email: 'any@example.com' }, headers: { 'x-kesher-token': open.token, origin: 'https://anywhere.example', 'sec-fetch-site': 'cross-site' } });
    expect(any.status).toBe(200);
    expect(any.headers['access-control-allow-origin']).toBe('https://anywhere.example');
  });
});

describe('the submission log', () => {
  it('pages newest first, filters by outcome, is per tenant', async () => {
    const ch = await makeChannel({ ratePerIpPerMinute: 100 });
    for (let i = 0; i < 5; i++) await send(ch.slug, { json: { email: `p${i}@example.com` }, headers: { 'x-kesher-token': ch.token } });
    await send(ch.slug, { json: { email: 'spam@example.com', _hp: 'x' }, headers: { 'x-kesher-token': ch.token } });
    const first = await t.admin.get(`/api/v1/channels/${ch.id}/submissions?limit=4`);
    expect(first.body.items).toHaveLength(4);
    expect(first.body.items[0].params.email).toBe('spam@example.com');
    const second = await t.admin.get(`/api/v1/channels/${ch.id}/submissions?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((s: any) => s.params.email)).toEqual(['p1@example.com', 'p0@example.com']);
    expect(second.body.nextCursor).toBeNull();
    const spam = await t.admin.get(`/api/v1/channels/${ch.id}/submissions?outcome=spam`);
    expect(spam.body.items).toHaveLength(1);
    const one = await t.admin.get(`/api/v1/channels/${ch.id}/submissions/${spam.body.items[0].id}`);
    expect(one.body.outcome).toBe('spam');
    // A spam submission replayed by an admin is processed.
    const replayed = await t.admin.post(`/api/v1/channels/${ch.id}/submissions/${spam.body.items[0].id}/replay`);
    expect(replayed.body.submission.outcome).toBe('created');
    expect((await t.staff.get(`/api/v1/channels/${ch.id}/submissions`)).status).toBe(403);
  });
});

describe('notification of a new lead', () => {
  const smtp = useSink();

  it('an email to each address, through the outbox and the mail worker, arrives at the SMTP server', async () => {
    const settings = mailSettings({ publicUrl: 'https://crm.example.com' });
    await makeMailbox(t.db, t.fx.tenantId, smtp.sink, null, 'crm@kesher.test');
    const ch = await makeChannel({ notifyEmails: ['sales@example.com', 'boss@example.com'] });
    const r = await send(ch.slug, { json: { full_name: 'נועה ברק', phone: '050-8887777' }, headers: { 'x-kesher-token': ch.token } });
    expect(r.status).toBe(200);
    const [run] = await rows<{ kind: string; template_key: string; state: string }>(t.db, sql`select kind, template_key, state from mail_runs where tenant_id = ${t.fx.tenantId}`);
    expect(run).toMatchObject({ kind: 'notification', template_key: 'New_Lead_Notification' });
    const worker = testWorker(t.db, settings);
    smtp.workers.push(worker);
    await deliverAll(t.db, worker);
    expect(smtp.sink.to('sales@example.com')).toHaveLength(1);
    expect(smtp.sink.to('boss@example.com')).toHaveLength(1);
    const mail = smtp.sink.to('sales@example.com')[0]!.mail;
    expect(mail.subject).toBe(`ליד מהאתר: נועה ברק (לקוח ${r.body.customerNumber})`);
    expect(mail.text).toContain('050-8887777');
    const [done] = await rows<{ state: string }>(t.db, sql`select state from outbox where to_address = 'sales@example.com'`);
    expect(done!.state).toBe('sent');
  });
});
