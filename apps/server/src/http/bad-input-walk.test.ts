import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ensureInitialPasswords, readInitialPassword } from '../modules/portal/index.js';
import { makeCustomer, PortalClient } from '../modules/portal/testing.js';
import { useApp, type TestClient } from '../testing/index.js';
import { casesFor, fillPath, operations, type Case } from './bad-input-walk.js';

const t = useApp();

/**
 * Failures another part of issue 10 fixes on its own branch (§3: malformed multipart answers 400):
 * counted and printed here, not failed, until that branch is merged — then this list goes empty.
 */
/** Real ids for path parameters (by resource segment or parameter name). */
async function seed(admin: TestClient, fx: { branchId: string; staff: { id: string } }): Promise<Record<string, string>> {
  const ok = <T>(r: { status: number; body: T }, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const customer = ok(await admin.post('/api/v1/customers', { lastName: 'כהן', email: 'cohen@example.com' }), 'customer') as { id: string };
  const contact = ok(await admin.post(`/api/v1/customers/${customer.id}/contacts`, { lastName: 'לוי' }), 'contact') as { id: string };
  const broker = ok(await admin.post('/api/v1/brokers', { name: 'B', accountNumber: '1', affiliateCode: 'aff1' }), 'broker') as { id: string };
  const field = ok(await admin.post('/api/v1/custom-fields', { key: 'size', labelHe: 'גודל', labelEn: 'Size', type: 'text' }), 'field') as { id: string };
  const mailbox = ok(await admin.post('/api/v1/mailboxes', { host: 'smtp.example.com', port: 465, tlsMode: 'tls', fromName: 'X', fromAddress: 'x@example.com' }), 'mailbox') as { id: string };
  const channel = ok(await admin.post('/api/v1/channels', { name: 'Site', mapping: { name: 'fullName', mail: 'email' } }), 'channel') as { id: string; slug: string; token: string };
  const lead = await admin.request('POST', `/in/${channel.slug}?token=${channel.token}`, JSON.stringify({ name: 'Dana Levi', mail: 'dana@example.com' }), { 'content-type': 'application/json' });
  const submissionId = String((lead.body as { submissionId?: string }).submissionId ?? '00000000-0000-4000-8000-000000000001');
  return {
    customer: customer.id,
    customers: customer.id,
    contactId: contact.id,
    brokers: broker.id,
    branches: fx.branchId,
    users: fx.staff.id,
    'custom-fields': field.id,
    mailboxes: mailbox.id,
    channels: channel.id,
    submissionId,
    fileId: '00000000-0000-4000-8000-000000000002',
    key: 'invitation',
    language: 'he',
    email: 'someone@example.com',
    slug: channel.slug,
    token: channel.token,
  };
}

/** A download is whole when its zip ends with the end-of-central-directory record. */
function cutDownload(headers: Record<string, unknown>, raw: Buffer): boolean {
  if (!String(headers['content-type'] ?? '').includes('spreadsheetml')) return false;
  return raw.subarray(Math.max(0, raw.length - 22 - 65535)).lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) < 0;
}

/** A portal customer who chose a password: its cookie for the /portal/api routes. */
async function portalCookie(tenantId: string): Promise<string> {
  const c = await makeCustomer(t.db, tenantId);
  await ensureInitialPasswords(t.db, tenantId, [c.id]);
  const portal = new PortalClient(t.app);
  const login = await portal.login(c.customerNumber, (await readInitialPassword(t.db, tenantId, c.id))!);
  if (login.status !== 200) throw new Error(`portal login: ${login.status}`);
  const changed = await portal.post('/portal/api/password', { newPassword: 'a portal password of mine' });
  if (changed.status !== 204) throw new Error(`portal password: ${changed.status}`);
  return portal.cookie!;
}

async function run(app: FastifyInstance, cookie: string | undefined, c: Case) {
  try {
    const res = await app.inject({
      method: c.method as 'GET',
      url: c.url,
      headers: { 'accept-language': 'en', ...(cookie && { cookie }), ...(c.contentType && { 'content-type': c.contentType }) },
      ...(c.payload !== undefined && { payload: c.payload }),
    });
    const failure = res.statusCode >= 500 ? `${res.statusCode} ${res.body.slice(0, 200)}` : res.statusCode === 200 && cutDownload(res.headers, res.rawPayload) ? 'cut download' : null;
    // A 4xx must say what is wrong, in the caller's language.
    const shapeless = res.statusCode >= 400 && res.statusCode < 500 && !/"code":"\w+","message":"[^"]/.test(res.body) ? `${res.statusCode} without {code, message}: ${res.body.slice(0, 120)}` : null;
    return { status: res.statusCode, failure: failure ?? shapeless };
  } catch (err) {
    return { status: 0, failure: `threw: ${(err as Error).message}` };
  }
}

describe('generated bad input over every route of the OpenAPI document', () => {
  it('answers no case with a 5xx, a cut download or a 4xx without {code, message}', async () => {
    const started = Date.now();
    const doc = (await t.admin.get('/api/openapi.json')).body;
    const ids = await seed(t.admin, t.fx);
    const portal = await portalCookie(t.fx.tenantId);
    const cookieFor = (url: string) => (url.startsWith('/portal/api/') ? portal : t.admin.cookie);
    // The intake first (a new channel token stops the old one), logging out last (it ends the session).
    const rank = (path: string) => (path.startsWith('/in/') ? 0 : path.endsWith('/token') ? 2 : path.endsWith('/logout') ? 3 : 1);
    const ops = operations(doc).sort((a, b) => rank(a.path) - rank(b.path));
    // The intake is reached with its token, so bad input meets the intake and not only the token check.
    const withToken = (url: string) => (url.startsWith('/in/') ? `${url}?token=${ids.token}` : url);
    const cases = ops.flatMap((op) => casesFor(op, withToken(fillPath(op.path, ids)), ids));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const BATCH = 8;
    for (let i = 0; i < cases.length; i += BATCH) {
      const batch = cases.slice(i, i + BATCH);
      const results = await Promise.all(batch.map((c) => run(t.app, cookieFor(c.url), c)));
      results.forEach((r, j) => {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const c = batch[j]!;
        if (r.failure) failures.push(`${c.method} ${c.url.slice(0, 120)} [${c.label}]: ${r.failure}`);
      });
    }
    const fives = [...statuses].filter(([s]) => s >= 500).reduce((n, [, k]) => n + k, 0);
    console.log(
      `bad-input walk: ${ops.length} routes, ${cases.length} cases, ${fives} answered 5xx, ${failures.length} failures, ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
