import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customer, customerCount, customerCreate, customerFields, customerCopy, customerCopyResult, customerExportQuery, customerListQuery, customerPage, customerPatch, customerSummary, statusMoves, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { sendXlsx } from '../../http/downloads.js';
import { invalid } from '../../http/errors.js';
import { brokerOfAffiliate } from '../brokers/index.js';
import { copyCustomers } from './copy.js';
import { exportCustomers } from './export.js';
import { countCustomers, listCustomers } from './list.js';
import * as customers from './service.js';

const idParams = z.object({ id: uuid });

export const customerRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['customers'];
  const access = 'staff' as const;

  app.get(
    '/api/v1/customers',
    { config: { access }, schema: { tags, summary: 'List and search customers (the search box is `q`)', querystring: customerListQuery, response: { 200: customerPage } } },
    async (request) => {
      const staff = staffOf(request);
      return listCustomers(db, staff.tenantId, staff.region, request.query);
    },
  );

  app.get(
    '/api/v1/customers/count',
    { config: { access }, schema: { tags, querystring: customerListQuery, response: { 200: customerCount } } },
    async (request) => {
      const staff = staffOf(request);
      return countCustomers(db, staff.tenantId, staff.region, request.query);
    },
  );

  app.get(
    '/api/v1/customers/export.xlsx',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Excel export of the list: its filters and sort, `columns` (comma-separated: card columns or cf.<key>), headers in `lang` or the Accept-Language; streamed',
        querystring: customerExportQuery,
      },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      const lang = request.query.lang ?? (request.lang === 'en' ? 'en' : 'he');
      const file = await exportCustomers(db, { tenantId: staff.tenantId, region: staff.region, userKey: staff.userId ?? `key:${staff.actorName}` }, request.query, lang);
      reply.raw.on('close', () => file.abort());
      return sendXlsx(request, reply, file);
    },
  );

  app.post(
    '/api/v1/customers',
    {
      config: { access },
      schema: {
        tags,
        summary:
          'Create a customer; 409 with the matches when a duplicate exists. With an API key there is no duplicate check (SPEC §2: the caller searched first) unless `dedupe=true`; created by = the key\'s name; `affiliateCode` stamps the broker.',
        body: customerCreate,
        querystring: z.object({ force: z.enum(['true', 'false']).optional(), dedupe: z.enum(['true', 'false']).optional() }),
        response: { 201: customer },
      },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      const skipDuplicateCheck = staff.via === 'api_key' && request.query.dedupe !== 'true';
      const { affiliateCode, ...fields } = request.body;
      // An affiliate code stamps the broker's name and account number (SPEC §2); one that names nobody is an error.
      if (affiliateCode) {
        const broker = await brokerOfAffiliate(db, staff.tenantId, affiliateCode);
        if (!broker) throw invalid([{ path: 'affiliateCode', code: 'not_found' }]);
        Object.assign(fields, broker);
      }
      const created = await customers.createCustomer(db, staff, fields, { force: request.query.force === 'true', skipDuplicateCheck });
      return reply.status(201).send(created);
    },
  );

  app.post(
    '/api/v1/customers/copy',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Copy cards to another database you belong to: every field but the customer number, no duplicate check, logged on both cards',
        body: customerCopy,
        response: { 200: customerCopyResult },
      },
    },
    async (request) => copyCustomers(db, staffOf(request), request.body),
  );

  app.get('/api/v1/customers/:id', { config: { access }, schema: { tags, params: idParams, response: { 200: customer } } }, async (request) =>
    customers.getCustomer(db, staffOf(request).tenantId, request.params.id),
  );

  app.patch(
    '/api/v1/customers/:id',
    { config: { access }, schema: { tags, summary: 'Edit card fields and/or move the status', params: idParams, body: customerPatch, response: { 200: customer } } },
    async (request) => customers.updateCustomer(db, staffOf(request), request.params.id, request.body),
  );

  app.delete('/api/v1/customers/:id', { config: { access: 'admin' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await customers.deleteCustomer(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });

  app.post(
    '/api/v1/customers/:id/complete',
    { config: { access }, schema: { tags, summary: "Fill the card's empty fields with new details", params: idParams, body: customerFields, response: { 200: customer } } },
    async (request) => customers.completeCustomer(db, staffOf(request), request.params.id, request.body),
  );

  app.get(
    '/api/v1/customers/:id/status-moves',
    { config: { access }, schema: { tags, summary: 'Status moves and whether each is allowed now', params: idParams, response: { 200: statusMoves } } },
    async (request) => customers.statusMoves(db, staffOf(request), request.params.id, request.lang),
  );

  app.get(
    '/api/v1/customers/:id/children',
    { config: { access }, schema: { tags, params: idParams, response: { 200: z.object({ items: z.array(customerSummary) }) } } },
    async (request) => ({ items: await customers.listChildren(db, staffOf(request).tenantId, request.params.id) }),
  );
};
