import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { portalAccess, portalLoginBody, portalRegisterBody, portalLoginReply, portalMe, portalPasswordBody, portalTokenPasswordBody, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { portalOf, staffOf } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { changePassword, MUST_CHANGE_SESSION_MINUTES, PORTAL_COOKIE, PORTAL_SESSION_HOURS, portalFromSession, portalLogin, portalLogout, portalMe as meOf, setPasswordWithToken } from './login.js';
import { pageRoutes } from './page.js';
import type { MailSettings } from '../mail/index.js';
import { registerOnPortal } from './registration.js';
import { portalAccessOf, resetPortalPassword } from './service.js';

const API = '/portal/api/';

function setPortalCookie(request: FastifyRequest, reply: FastifyReply, token: string, mustChangePassword: boolean): void {
  reply.setCookie(PORTAL_COOKIE, token, {
    path: '/portal',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    maxAge: mustChangePassword ? MUST_CHANGE_SESSION_MINUTES * 60 : PORTAL_SESSION_HOURS * 3600,
  });
}

/**
 * The customer portal's realm (/portal/api/*, cookie `kesher_portal`, apart from staff sessions),
 * its minimal pages (/portal), and the staff routes about a customer's portal access.
 */
export const portalRoutes = (db: Db, mail: MailSettings) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['portal'];

  // Resolves the portal customer for /portal/api/* only (hooks here apply to this plugin's routes).
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith(API)) return;
    reply.header('cache-control', 'no-store');
    const token = request.cookies[PORTAL_COOKIE];
    if (token) request.portal = await portalFromSession(db, token);
  });

  app.post(
    '/portal/api/login',
    { config: { access: 'public', sameOriginOnly: true }, schema: { tags, summary: 'Log in with the customer number or email and the password', body: portalLoginBody, response: { 200: portalLoginReply } } },
    async (request, reply) => {
      const previous = request.cookies[PORTAL_COOKIE];
      const { token, mustChangePassword } = await portalLogin(db, request.body, request.ip);
      if (previous) await portalLogout(db, previous);
      setPortalCookie(request, reply, token, mustChangePassword);
      return { mustChangePassword };
    },
  );

  app.post(
    '/portal/api/register',
    {
      config: { access: 'public', sameOriginOnly: true },
      schema: {
        tags,
        summary: 'Register for the customer area: no duplicates; new or known, the answer is the same (202) and the address gets a set-password link',
        body: portalRegisterBody,
      },
    },
    async (request, reply) => {
      await registerOnPortal(db, mail, request.body, request.ip);
      return reply.status(202).send({ ok: true });
    },
  );

  app.post('/portal/api/logout', { config: { access: 'public', sameOriginOnly: true }, schema: { tags } }, async (request, reply) => {
    const token = request.cookies[PORTAL_COOKIE];
    if (token) await portalLogout(db, token);
    reply.clearCookie(PORTAL_COOKIE, { path: '/portal' });
    return reply.status(204).send();
  });

  app.post(
    '/portal/api/password',
    {
      config: { access: 'portal', allowMustChangePassword: true },
      schema: { tags, summary: 'Choose a new password (after logging in with the generated one: required first)', body: portalPasswordBody },
    },
    async (request, reply) => {
      const token = request.cookies[PORTAL_COOKIE];
      if (!token) throw new AppError('unauthorized', 'unauthorized');
      await changePassword(db, portalOf(request), token, request.body);
      setPortalCookie(request, reply, token, false);
      return reply.status(204).send();
    },
  );

  app.post(
    '/portal/api/password/token',
    { config: { access: 'public', sameOriginOnly: true }, schema: { tags, summary: 'Choose a password from a set-password link', body: portalTokenPasswordBody } },
    async (request, reply) => {
      await setPasswordWithToken(db, request.body.token, request.body.newPassword);
      return reply.status(204).send();
    },
  );

  app.get('/portal/api/me', { config: { access: 'portal' }, schema: { tags, response: { 200: portalMe } } }, async (request) => meOf(db, portalOf(request)));

  // ---- staff: whether a customer has portal access, and "reset" (never the password itself) ----
  const params = z.object({ id: uuid });

  app.get(
    '/api/v1/customers/:id/portal-access',
    { config: { access: 'staff' }, schema: { tags: ['customers'], summary: 'Whether the customer has a generated or an own portal password (never the password)', params, response: { 200: portalAccess } } },
    async (request) => portalAccessOf(db, staffOf(request).tenantId, request.params.id),
  );

  app.post(
    '/api/v1/customers/:id/portal-password/reset',
    { config: { access: 'admin' }, schema: { tags: ['customers'], summary: 'Discard the portal password and generate a new one (sent by an invitation)', params } },
    async (request, reply) => {
      await resetPortalPassword(db, staffOf(request).tenantId, request.params.id);
      return reply.status(204).send();
    },
  );

  await app.register(pageRoutes);
};
