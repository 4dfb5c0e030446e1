import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  branch, branchCreate, branchPatch, customFieldDefinition, customFieldDefinitionCreate, customFieldDefinitionPatch,
  database, databaseCreate, databaseCreated, tenant, tenantPatch, uuid,
} from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import * as customFields from '../custom-fields/service.js';
import * as databases from './databases.js';
import * as tenants from './service.js';

const idParams = z.object({ id: uuid });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** Settings of the tenant (the tenant itself, branches, custom field definitions) and, for owners, the databases. */
export const adminRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get('/api/v1/tenant', { config: { access: 'staff' }, schema: { tags: ['tenant'], response: { 200: tenant } } }, async (request) =>
    tenants.getTenant(db, staffOf(request).tenantId),
  );
  app.patch('/api/v1/tenant', { config: { access: 'admin' }, schema: { tags: ['tenant'], body: tenantPatch, response: { 200: tenant } } }, async (request) =>
    tenants.updateTenant(db, staffOf(request).tenantId, request.body),
  );

  app.get('/api/v1/branches', { config: { access: 'staff' }, schema: { tags: ['branches'], response: { 200: items(branch) } } }, async (request) => ({
    items: await tenants.listBranches(db, staffOf(request).tenantId),
  }));
  app.post('/api/v1/branches', { config: { access: 'admin' }, schema: { tags: ['branches'], body: branchCreate, response: { 201: branch } } }, async (request, reply) =>
    reply.status(201).send(await tenants.createBranch(db, staffOf(request).tenantId, request.body)),
  );
  app.patch(
    '/api/v1/branches/:id',
    { config: { access: 'admin' }, schema: { tags: ['branches'], params: idParams, body: branchPatch, response: { 200: branch } } },
    async (request) => tenants.updateBranch(db, staffOf(request).tenantId, request.params.id, request.body),
  );

  app.get('/api/v1/databases', { config: { access: 'owner' }, schema: { tags: ['owner'], response: { 200: items(database) } } }, async () => ({
    items: await databases.listDatabases(db),
  }));
  app.post('/api/v1/databases', { config: { access: 'owner' }, schema: { tags: ['owner'], body: databaseCreate, response: { 201: databaseCreated } } }, async (request, reply) => {
    const b = request.body;
    const made = await databases.createDatabase(db, { name: b.name, adminEmail: b.adminEmail, adminName: b.adminName, language: b.language, invitedByUserId: staffOf(request).userId });
    return reply.status(201).send({ ...(await databases.getDatabase(db, made.tenantId)), admin: made.admin });
  });

  const cfTags = ['custom fields'];
  app.get('/api/v1/custom-fields', { config: { access: 'staff' }, schema: { tags: cfTags, response: { 200: items(customFieldDefinition) } } }, async (request) => ({
    items: await customFields.listDefinitions(db, staffOf(request).tenantId),
  }));
  app.post(
    '/api/v1/custom-fields',
    { config: { access: 'admin' }, schema: { tags: cfTags, body: customFieldDefinitionCreate, response: { 201: customFieldDefinition } } },
    async (request, reply) =>
      reply.status(201).send(await customFields.createDefinition(db, staffOf(request).tenantId, { ...request.body, options: request.body.options ?? [] })),
  );
  app.patch(
    '/api/v1/custom-fields/:id',
    { config: { access: 'admin' }, schema: { tags: cfTags, params: idParams, body: customFieldDefinitionPatch, response: { 200: customFieldDefinition } } },
    async (request) => customFields.updateDefinition(db, staffOf(request).tenantId, request.params.id, request.body),
  );
  app.delete('/api/v1/custom-fields/:id', { config: { access: 'admin' }, schema: { tags: cfTags, params: idParams } }, async (request, reply) => {
    await customFields.deleteDefinition(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });
};
