import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { downloadSheet, prepareAll } from '../invitations/testing.js';
import { mailSettings } from '../mail/index.js';
import { ensureInitialPasswords, issueSetPasswordLink, readInitialPassword } from './index.js';
import { makeCustomer, PortalClient } from './testing.js';

const t = useApp();

/**
 * No staff route ever returns password material: every GET route outside the portal realm is
 * called with real ids (a customer with a generated password, one with a chosen password) and no
 * reply may contain the plaintext, the ciphertext (or any of its parts), the hash, or a link token.
 */
describe('no staff route reveals portal password material', () => {
  it('walks every GET route with real ids', async () => {
    const generated = await makeCustomer(t.db, t.fx.tenantId, { email: 'gen@example.com' });
    const chosen = await makeCustomer(t.db, t.fx.tenantId, { email: 'own@example.com' });
    await ensureInitialPasswords(t.db, t.fx.tenantId, [generated.id, chosen.id]);
    const plaintext = (await readInitialPassword(t.db, t.fx.tenantId, generated.id))!;
    const chosenInitial = (await readInitialPassword(t.db, t.fx.tenantId, chosen.id))!;
    const ownPassword = 'a password of my own';
    const portal = new PortalClient(t.app);
    await portal.login(chosen.customerNumber, chosenInitial);
    expect((await portal.post('/portal/api/password', { newPassword: ownPassword })).status).toBe(204);
    const link = await issueSetPasswordLink(t.db, t.fx.tenantId, generated.id, 'http://localhost/portal');
    const token = new URL(link).searchParams.get('token')!;

    // Something on every card tab, so the walk reads real data.
    const contact = await t.admin.post(`/api/v1/customers/${generated.id}/contacts`, { firstName: 'Contact' });
    expect(contact.status).toBe(201);
    expect((await t.admin.post(`/api/v1/customers/${generated.id}/interactions`, { type: 'note', body: 'hello' })).status).toBe(201);

    const stored = await rows<{ initial_password: string | null; password_hash: string | null }>(t.db, sql`select initial_password, password_hash from portal_credentials`);
    const ciphertext = stored.find((s) => s.initial_password)!.initial_password!;
    const hash = stored.find((s) => s.password_hash)!.password_hash!;
    const [tokenHash] = await rows<{ token_hash: string }>(t.db, sql`select token_hash from portal_tokens`);
    const material = [
      plaintext,
      chosenInitial,
      ownPassword,
      ciphertext,
      ...ciphertext.split('.').slice(2), // iv, ciphertext, tag
      hash,
      ...hash.split('$').slice(-2), // salt, digest
      token,
      tokenHash!.token_hash,
    ];
    expect(material.every((m) => m.length >= 8)).toBe(true);

    // An invitation run (a kept generated password, a set-password link) and a bulk email, prepared:
    // the walk reads their progress, their lists and their .xlsx reports.
    const invitation = await t.admin.post('/api/v1/invitations', { customerIds: [generated.id, chosen.id] });
    const bulk = await t.admin.post('/api/v1/bulk-emails', { customerIds: [generated.id] });
    expect([invitation.status, bulk.status]).toEqual([202, 202]);
    expect(await prepareAll(t.db, mailSettings({ publicUrl: 'http://localhost' }))).toBe(2);
    expect(await readInitialPassword(t.db, t.fx.tenantId, generated.id)).toBe(plaintext);
    const runIds: Record<string, string> = { '/api/v1/invitations/': invitation.body.id, '/api/v1/bulk-emails/': bulk.body.id };

    const ids: Record<string, string> = { contactId: contact.body.id };
    const walked: string[] = [];
    for (const customer of [generated, chosen]) {
      for (const route of t.app.routeTable) {
        if (route.method !== 'GET' || route.url.startsWith('/portal') || route.url.includes('*') || route.access === 'portal') continue;
        const idOf = (name: string) => {
          if (name !== 'id') return ids[name];
          if (route.url.startsWith('/api/v1/customers/')) return customer.id;
          return Object.entries(runIds).find(([prefix]) => route.url.startsWith(prefix))?.[1];
        };
        const url = route.url.replace(/:(\w+)/g, (_, name: string) => idOf(name) ?? '00000000-0000-4000-8000-000000000000');
        const urls = route.url === '/api/v1/customers' || route.url === '/api/v1/customers/count' ? [url, `${url}?q=${plaintext}`, `${url}?q=${encodeURIComponent(hash)}`] : [url];
        for (const u of urls) {
          const r = await t.admin.get(u);
          expect(r.status, `GET ${u}`).toBeLessThan(500);
          let text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
          // A workbook is compressed: read its cells.
          if (String(r.headers['content-type']).includes('spreadsheetml')) text = JSON.stringify((await downloadSheet(t.app, t.admin, u)).rows);
          for (const m of material) expect(text.includes(m), `GET ${u} reveals ${m}`).toBe(false);
          walked.push(`${r.status} ${route.url}`);
        }
      }
    }
    // The walk read the cards for real, the portal-access route included.
    for (const path of [
      '/api/v1/customers/:id',
      '/api/v1/customers/:id/interactions',
      '/api/v1/customers/:id/contacts',
      '/api/v1/customers/:id/portal-access',
      '/api/v1/invitations',
      '/api/v1/invitations/:id',
      '/api/v1/invitations/:id/report.xlsx',
      '/api/v1/bulk-emails/:id',
      '/api/v1/bulk-emails/:id/report.xlsx',
    ]) {
      expect(walked, path).toContain(`200 ${path}`);
    }
    expect(walked).toContain('200 /api/v1/customers');
  });
});
