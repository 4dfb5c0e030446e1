import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { broker, brokerCreate, brokerCustomers, brokerPatch, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { brokerOfCard, createBroker, customersOfBroker, deleteBroker, getBroker, listBrokers, updateBroker } from './service.js';

const idParams = z.object({ id: uuid });

/** Brokers / affiliates: admins manage them; staff see them and their customers. */
export const brokerRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['brokers'];

  app.get('/api/v1/brokers', { config: { access: 'staff' }, schema: { tags, response: { 200: z.object({ items: z.array(broker) }) } } }, async (request) => ({
    items: await listBrokers(db, staffOf(request).tenantId),
  }));
  app.post('/api/v1/brokers', { config: { access: 'admin' }, schema: { tags, body: brokerCreate, response: { 201: broker } } }, async (request, reply) =>
    reply.status(201).send(await createBroker(db, staffOf(request).tenantId, request.body)),
  );
  app.get('/api/v1/brokers/:id', { config: { access: 'staff' }, schema: { tags, params: idParams, response: { 200: broker } } }, async (request) =>
    getBroker(db, staffOf(request).tenantId, request.params.id),
  );
  app.patch('/api/v1/brokers/:id', { config: { access: 'admin' }, schema: { tags, params: idParams, body: brokerPatch, response: { 200: broker } } }, async (request) =>
    updateBroker(db, staffOf(request).tenantId, request.params.id, request.body),
  );
  app.delete('/api/v1/brokers/:id', { config: { access: 'admin' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await deleteBroker(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });
  app.get(
    '/api/v1/brokers/:id/customers',
    { config: { access: 'staff' }, schema: { tags, summary: 'The customers the broker brought (its account number), newest first', params: idParams, response: { 200: brokerCustomers } } },
    async (request) => customersOfBroker(db, staffOf(request).tenantId, request.params.id),
  );
  app.get(
    '/api/v1/customers/:id/broker',
    {
      config: { access: 'staff' },
      schema: { tags: ['customers', ...tags], summary: 'When this card is a broker: the broker and its customers; else null', params: idParams, response: { 200: brokerCustomers.nullable() } },
    },
    async (request) => {
      const tenantId = staffOf(request).tenantId;
      const found = await brokerOfCard(db, tenantId, request.params.id);
      return found ? customersOfBroker(db, tenantId, found) : null;
    },
  );
};
