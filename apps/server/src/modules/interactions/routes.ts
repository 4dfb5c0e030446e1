import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { interaction, interactionCreate, interactionPage, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { listInteractions, logInteraction } from './service.js';

export const interactionRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['interactions'];
  const params = z.object({ id: uuid });

  app.get(
    '/api/v1/customers/:id/interactions',
    {
      config: { access: 'staff' },
      schema: { tags, summary: 'The timeline, newest first', params, querystring: z.object({ cursor: z.string().max(300).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: interactionPage } },
    },
    async (request) => listInteractions(db, staffOf(request).tenantId, request.params.id, request.query.cursor, request.query.limit),
  );

  app.post(
    '/api/v1/customers/:id/interactions',
    { config: { access: 'staff' }, schema: { tags, summary: 'Log a call, meeting, quote, summary, note or SMS', params, body: interactionCreate, response: { 201: interaction } } },
    async (request, reply) => reply.status(201).send(await logInteraction(db, staffOf(request), request.params.id, request.body)),
  );
};
