import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contact, contactFields, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import * as contacts from './service.js';

export const contactRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['contacts'];
  const access = 'staff' as const;
  const customerParams = z.object({ id: uuid });
  const contactParams = z.object({ id: uuid, contactId: uuid });

  app.get(
    '/api/v1/customers/:id/contacts',
    { config: { access }, schema: { tags, params: customerParams, response: { 200: z.object({ items: z.array(contact) }) } } },
    async (request) => ({ items: await contacts.listContacts(db, staffOf(request).tenantId, request.params.id) }),
  );

  app.post(
    '/api/v1/customers/:id/contacts',
    { config: { access }, schema: { tags, params: customerParams, body: contactFields, response: { 201: contact } } },
    async (request, reply) => {
      const staff = staffOf(request);
      return reply.status(201).send(await contacts.createContact(db, staff.tenantId, staff.region, request.params.id, request.body));
    },
  );

  app.patch(
    '/api/v1/customers/:id/contacts/:contactId',
    { config: { access }, schema: { tags, params: contactParams, body: contactFields, response: { 200: contact } } },
    async (request) => {
      const staff = staffOf(request);
      return contacts.updateContact(db, staff.tenantId, staff.region, request.params.id, request.params.contactId, request.body);
    },
  );

  app.delete('/api/v1/customers/:id/contacts/:contactId', { config: { access }, schema: { tags, params: contactParams } }, async (request, reply) => {
    await contacts.deleteContact(db, staffOf(request).tenantId, request.params.id, request.params.contactId);
    return reply.status(204).send();
  });
};
