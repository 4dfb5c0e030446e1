import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  language, mailbox, mailboxCreate, mailboxList, mailboxPatch, mailSent, mailSuppressionList, mailTemplate, mailTemplateList,
  mergeFieldList, templateKey, templatePreview, templatePreviewBody, templateSave, templateTestBody, uuid,
} from '@kesher/contracts';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { listDefinitions } from '../custom-fields/service.js';
import { tenants } from '../tenants/tables.js';
import type { MailSettings } from './compose.js';
import * as mailboxes from './mailboxes.js';
import { mergeFields } from './merge-fields.js';
import { previewTemplate, sendMailboxTest, sendTemplateTest } from './preview.js';
import * as suppressions from './suppressions.js';
import * as templates from './templates.js';

const idParams = z.object({ id: uuid });
const templateParams = z.object({ key: templateKey, language });

/** Mailboxes, templates, suppressions (staff API) and the unsubscribe pages (public). */
export const mailRoutes = (db: Db, settings: MailSettings) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  // ---- mailboxes (administrators) ----
  const mbTags = ['mailboxes'];
  const serverDefault = settings.serverMailbox
    ? { host: settings.serverMailbox.host, port: settings.serverMailbox.port, fromName: settings.serverMailbox.fromName, fromAddress: settings.serverMailbox.fromAddress }
    : null;

  app.get('/api/v1/mailboxes', { config: { access: 'admin' }, schema: { tags: mbTags, summary: "The database's mailboxes and the server default (SMTP_URL)", response: { 200: mailboxList } } }, async (request) => ({
    items: await mailboxes.listMailboxes(db, staffOf(request).tenantId),
    serverDefault,
  }));
  app.post('/api/v1/mailboxes', { config: { access: 'admin' }, schema: { tags: mbTags, summary: 'A mailbox for a branch, or the database default (branchId null)', body: mailboxCreate, response: { 201: mailbox } } }, async (request, reply) =>
    reply.status(201).send(await mailboxes.createMailbox(db, staffOf(request).tenantId, request.body)),
  );
  app.get('/api/v1/mailboxes/:id', { config: { access: 'admin' }, schema: { tags: mbTags, params: idParams, response: { 200: mailbox } } }, async (request) =>
    mailboxes.getMailbox(db, staffOf(request).tenantId, request.params.id),
  );
  app.patch(
    '/api/v1/mailboxes/:id',
    { config: { access: 'admin' }, schema: { tags: mbTags, summary: 'Edit; `password` left out keeps it, null removes it', params: idParams, body: mailboxPatch, response: { 200: mailbox } } },
    async (request) => mailboxes.updateMailbox(db, staffOf(request).tenantId, request.params.id, request.body),
  );
  app.delete('/api/v1/mailboxes/:id', { config: { access: 'admin' }, schema: { tags: mbTags, params: idParams } }, async (request, reply) => {
    await mailboxes.deleteMailbox(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });
  app.post(
    '/api/v1/mailboxes/server/test',
    { config: { access: 'admin' }, schema: { tags: mbTags, summary: 'Send a test email through the server default mailbox to yourself', response: { 200: mailSent } } },
    async (request) => sendMailboxTest(db, settings, staffOf(request), null, request.lang),
  );
  app.post(
    '/api/v1/mailboxes/:id/test',
    { config: { access: 'admin' }, schema: { tags: mbTags, summary: "Send a test email to yourself; on failure 422 with the SMTP server's answer", params: idParams, response: { 200: mailSent } } },
    async (request) => sendMailboxTest(db, settings, staffOf(request), request.params.id, request.lang),
  );

  // ---- templates ----
  const tTags = ['templates'];
  app.get('/api/v1/templates', { config: { access: 'staff' }, schema: { tags: tTags, summary: 'Saved templates and built-in defaults', response: { 200: mailTemplateList } } }, async (request) => ({
    items: await templates.listTemplates(db, staffOf(request).tenantId),
  }));
  app.get('/api/v1/templates/fields', { config: { access: 'staff' }, schema: { tags: tTags, summary: 'Merge fields for the editor, with Hebrew and English descriptions', response: { 200: mergeFieldList } } }, async (request) => ({
    items: mergeFields(await listDefinitions(db, staffOf(request).tenantId)),
  }));
  app.post(
    '/api/v1/templates/preview',
    { config: { access: 'staff' }, schema: { tags: tTags, summary: 'Render a template against a customer (password masked)', body: templatePreviewBody, response: { 200: templatePreview } } },
    async (request) => previewTemplate(db, settings, staffOf(request).tenantId, request.body),
  );
  app.post(
    '/api/v1/templates/test',
    { config: { access: 'staff' }, schema: { tags: tTags, summary: 'Send the rendered template to yourself', body: templateTestBody, response: { 200: mailSent } } },
    async (request) => sendTemplateTest(db, settings, staffOf(request), request.body),
  );
  app.get('/api/v1/templates/:key/:language', { config: { access: 'staff' }, schema: { tags: tTags, params: templateParams, response: { 200: mailTemplate } } }, async (request) =>
    templates.getTemplate(db, staffOf(request).tenantId, request.params.key, request.params.language),
  );
  app.put(
    '/api/v1/templates/:key/:language',
    { config: { access: 'admin' }, schema: { tags: tTags, summary: 'Save (an unknown merge field is refused, naming it)', params: templateParams, body: templateSave, response: { 200: mailTemplate } } },
    async (request) => {
      const staff = staffOf(request);
      return templates.saveTemplate(db, staff.tenantId, staff.userId, request.params.key, request.params.language, request.body);
    },
  );
  app.delete('/api/v1/templates/:key/:language', { config: { access: 'admin' }, schema: { tags: tTags, summary: 'Delete the saved version (a built-in default applies again)', params: templateParams } }, async (request, reply) => {
    await templates.deleteTemplate(db, staffOf(request).tenantId, request.params.key, request.params.language);
    return reply.status(204).send();
  });

  // ---- suppression list (administrators) ----
  app.get(
    '/api/v1/mail-suppressions',
    {
      config: { access: 'admin' },
      schema: { tags: ['mailboxes'], summary: 'Unsubscribed and hard-bounced addresses', querystring: z.object({ q: z.string().max(254).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }), response: { 200: mailSuppressionList } },
    },
    async (request) => ({ items: await suppressions.listSuppressions(db, staffOf(request).tenantId, request.query.q, request.query.limit) }),
  );
  app.delete(
    '/api/v1/mail-suppressions/:email',
    { config: { access: 'admin' }, schema: { tags: ['mailboxes'], params: z.object({ email: z.string().max(254) }) } },
    async (request, reply) => {
      await suppressions.removeSuppression(db, staffOf(request).tenantId, request.params.email);
      return reply.status(204).send();
    },
  );

  // ---- unsubscribe (public; RFC 8058: one-click POST; GET only shows a confirmation) ----
  // Mail providers POST `List-Unsubscribe=One-Click` as a form; the body itself is not needed.
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
  }
  const uParams = z.object({ token: z.string().min(1).max(1000) });
  const uQuery = z.object({ l: z.enum(['he', 'en']).optional() }).catchall(z.string());
  const companyOf = async (tenantId: string) => (await db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)))[0]?.name;

  app.get('/u/:token', { config: { access: 'public' }, schema: { hide: true, params: uParams, querystring: uQuery } }, async (request, reply) => {
    const lang = request.query.l ?? request.lang;
    const found = suppressions.readUnsubscribeToken(request.params.token);
    const company = found && (await companyOf(found.tenantId));
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8');
    if (!found || !company) return reply.status(400).send(suppressions.unsubscribePage({ language: lang, state: 'invalid' }));
    return suppressions.unsubscribePage({ language: lang, state: 'confirm', email: found.email, company, action: request.url });
  });
  app.post('/u/:token', { config: { access: 'public' }, schema: { hide: true, params: uParams, querystring: uQuery } }, async (request, reply) => {
    const lang = request.query.l ?? request.lang;
    const found = suppressions.readUnsubscribeToken(request.params.token);
    const company = found && (await companyOf(found.tenantId));
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (!found || !company) return reply.status(400).send(suppressions.unsubscribePage({ language: lang, state: 'invalid' }));
    await suppressions.suppress(db, found.tenantId, found.email, 'unsubscribed');
    return suppressions.unsubscribePage({ language: lang, state: 'done', email: found.email, company });
  });
};
