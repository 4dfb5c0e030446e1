import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKey, apiKeyCreate, apiKeyCreated, loginBody, session, uuid, type Session } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { getTenant } from '../tenants/service.js';
import { getUser, isOwner, tenantsOfUser } from '../users/index.js';
import * as auth from './service.js';

/** Resolves the caller of every /api request: a session cookie or an API key (Bearer / X-Api-Key). */
export function registerAuthentication(app: FastifyInstance, db: Db): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const key = bearer ?? (request.headers['x-api-key'] as string | undefined);
    if (key) {
      request.staff = await auth.staffFromApiKey(db, key);
      return;
    }
    const token = request.cookies[auth.SESSION_COOKIE];
    if (token) request.staff = await auth.staffFromSession(db, token);
  });
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(auth.SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    maxAge: auth.SESSION_HOURS * 3600,
  });
}

export async function sessionOf(db: Db, userId: string, tenantId: string): Promise<Session> {
  const [user, tenant, tenants, owner] = await Promise.all([getUser(db, tenantId, userId), getTenant(db, tenantId), tenantsOfUser(db, userId), isOwner(db, userId)]);
  return { user, tenant, tenants, owner };
}

export const authRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  app.post('/api/v1/auth/login', { config: { access: 'public', sameOriginOnly: true }, schema: { tags, body: loginBody, response: { 200: session } } }, async (request, reply) => {
    const { token, userId, tenantId } = await auth.login(db, request.body.email, request.body.password, request.ip);
    setSessionCookie(request, reply, token);
    return sessionOf(db, userId, tenantId);
  });

  app.post('/api/v1/auth/logout', { config: { access: 'public', sameOriginOnly: true }, schema: { tags } }, async (request, reply) => {
    const token = request.cookies[auth.SESSION_COOKIE];
    if (token) await auth.logout(db, token);
    reply.clearCookie(auth.SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });

  app.get('/api/v1/auth/me', { config: { access: 'staff' }, schema: { tags, response: { 200: session } } }, async (request) => {
    const staff = staffOf(request);
    // An API key is no person: it has no session to describe.
    if (!staff.userId) throw new AppError('forbidden', 'forbidden');
    return sessionOf(db, staff.userId, staff.tenantId);
  });

  app.post(
    '/api/v1/auth/tenant',
    { config: { access: 'staff' }, schema: { tags, body: z.strictObject({ tenantId: uuid }), response: { 200: session } } },
    async (request) => {
      const staff = staffOf(request);
      const token = request.cookies[auth.SESSION_COOKIE];
      if (!staff.userId || !token) throw new AppError('forbidden', 'forbidden');
      await auth.switchTenant(db, token, staff.userId, request.body.tenantId);
      return sessionOf(db, staff.userId, request.body.tenantId);
    },
  );

  app.get('/api/v1/api-keys', { config: { access: 'admin' }, schema: { tags, response: { 200: z.object({ items: z.array(apiKey) }) } } }, async (request) => ({
    items: await auth.listApiKeys(db, staffOf(request).tenantId),
  }));

  app.post('/api/v1/api-keys', { config: { access: 'admin' }, schema: { tags, body: apiKeyCreate, response: { 201: apiKeyCreated } } }, async (request, reply) => {
    const staff = staffOf(request);
    return reply.status(201).send(await auth.createApiKey(db, staff.tenantId, request.body.name, staff.userId));
  });

  app.delete('/api/v1/api-keys/:id', { config: { access: 'admin' }, schema: { tags, params: z.object({ id: uuid }) } }, async (request, reply) => {
    await auth.revokeApiKey(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });
};
