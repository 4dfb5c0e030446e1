import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  accountPatch, group, groupCreate, invitationToken, language, membershipInvitation, passwordChange, session, user, userCreate, userPatch, uuid,
} from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { SESSION_COOKIE } from '../auth/service.js';
import { sessionOf, setSessionCookie } from '../auth/routes.js';
import * as accounts from './accounts.js';
import * as invitations from './invitations.js';
import * as users from './service.js';

const idParams = z.object({ id: uuid });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const tags = ['users'];

function callerOf(request: FastifyRequest): users.Caller {
  const staff = staffOf(request);
  return { tenantId: staff.tenantId, userId: staff.userId, owner: staff.owner, sessionToken: staff.via === 'session' ? (request.cookies[SESSION_COOKIE] ?? null) : null };
}

function personOf(request: FastifyRequest): string {
  const staff = staffOf(request);
  // An API key is no person: it has no password or invitation of its own.
  if (!staff.userId || staff.via !== 'session') throw new AppError('forbidden', 'forbidden');
  return staff.userId;
}

/** Users and groups of the caller's database, the caller's own password, accounts (owner) and invitations. */
export const userRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get('/api/v1/users', { config: { access: 'staff' }, schema: { tags, response: { 200: items(user) } } }, async (request) => ({
    items: await users.listUsers(db, staffOf(request).tenantId),
  }));
  app.post('/api/v1/users', { config: { access: 'admin' }, schema: { tags, body: userCreate, response: { 201: user } } }, async (request, reply) =>
    reply.status(201).send(await users.addUser(db, callerOf(request), request.body)),
  );
  app.patch('/api/v1/users/:id', { config: { access: 'admin' }, schema: { tags, params: idParams, body: userPatch, response: { 200: user } } }, async (request) =>
    users.updateUser(db, callerOf(request), request.params.id, request.body),
  );

  app.post('/api/v1/users/:id/unlock', { config: { access: 'admin' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await users.unlockLogin(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });

  app.get('/api/v1/groups', { config: { access: 'staff' }, schema: { tags, response: { 200: items(group) } } }, async (request) => ({
    items: await users.listGroups(db, staffOf(request).tenantId),
  }));
  app.post('/api/v1/groups', { config: { access: 'admin' }, schema: { tags, body: groupCreate, response: { 201: group } } }, async (request, reply) =>
    reply.status(201).send(await users.createGroup(db, staffOf(request).tenantId, request.body.name)),
  );

  app.post('/api/v1/auth/password', { config: { access: 'staff' }, schema: { tags: ['auth'], body: passwordChange } }, async (request, reply) => {
    await accounts.changeOwnPassword(db, personOf(request), request.body, request.cookies[SESSION_COOKIE] ?? null);
    return reply.status(204).send();
  });

  const account = z.object({ id: uuid, email: z.string(), name: z.string(), language, active: z.boolean(), owner: z.boolean() });
  app.patch('/api/v1/accounts/:id', { config: { access: 'owner' }, schema: { tags: ['owner'], params: idParams, body: accountPatch, response: { 200: account } } }, async (request) =>
    accounts.updateAccount(db, request.params.id, request.body),
  );

  const invTags = ['membership invitations'];
  app.post(
    '/api/v1/membership-invitations/preview',
    { config: { access: 'public' }, schema: { tags: invTags, body: invitationToken, response: { 200: membershipInvitation.extend({ hasAccount: z.boolean() }) } } },
    async (request) => invitations.previewInvitation(db, request.body.token, request.ip),
  );
  app.post(
    '/api/v1/membership-invitations/accept',
    { config: { access: 'staff' }, schema: { tags: invTags, body: invitationToken, response: { 200: session } } },
    async (request) => {
      const userId = personOf(request);
      await invitations.acceptInvitation(db, userId, request.body.token, request.ip);
      // The session stays where it is; the new database is in `tenants`, to switch to.
      return sessionOf(db, userId, staffOf(request).tenantId);
    },
  );
  app.post(
    '/api/v1/membership-invitations/register',
    {
      config: { access: 'public' },
      schema: {
        tags: invTags,
        body: invitationToken.extend({ name: z.string().trim().min(1).max(200), password: z.string().min(10).max(200), language: language.optional() }),
        response: { 200: session },
      },
    },
    async (request, reply) => {
      const done = await invitations.registerByInvitation(db, request.body, request.ip);
      setSessionCookie(request, reply, done.token);
      return sessionOf(db, done.userId, done.tenantId);
    },
  );
};
