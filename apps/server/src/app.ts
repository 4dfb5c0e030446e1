import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import staticFiles from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Db } from './db/client.js';
import { registerAccessGuard, type Access } from './http/access.js';
import { fastifyTrustProxy, type TrustProxy } from './http/proxy.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { AppError, localizeFields } from './http/errors.js';
import { requestLanguage, translate } from './http/messages.js';
import { malformedMultipart } from './http/multipart.js';
import { registerInputGuard } from './http/input.js';
import { fieldsFromValidation } from './http/validation.js';
import { authRoutes, registerAuthentication } from './modules/auth/routes.js';
import { channelRoutes } from './modules/channels/index.js';
import { brokerRoutes } from './modules/brokers/index.js';
import { contactRoutes } from './modules/contacts/routes.js';
import { customerRoutes } from './modules/customers/routes.js';
import { importRoutes } from './modules/imports/index.js';
import { interactionRoutes } from './modules/interactions/routes.js';
import { invitationRoutes } from './modules/invitations/index.js';
import { mailRoutes, mailSettings } from './modules/mail/index.js';
import { portalRoutes } from './modules/portal/index.js';
import { adminRoutes } from './modules/tenants/routes.js';
import { userRoutes } from './modules/users/index.js';

export interface AppOptions {
  db: Db;
  /** The proxies trusted for X-Forwarded-* (KESHER_TRUST_PROXY); `true` is one hop. */
  trustProxy?: TrustProxy | boolean;
  logLevel?: string;
  /** The address people reach this server at (links in emails). */
  publicUrl?: string;
  /** The server-wide default mailbox (SMTP_URL) and its From (MAIL_FROM). */
  smtpUrl?: string;
  mailFrom?: string;
  /** Serve the back office from this folder (default: apps/web/dist when it exists). */
  webDist?: string | null;
}

const WEB_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Every registered route with what it declared, for the route-walk test. */
export interface RouteEntry {
  method: string;
  url: string;
  access: Access | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    trustProxy: fastifyTrustProxy(opts.trustProxy),
    bodyLimit: 1024 * 1024,
    // Signed links carry long path parameters (an unsubscribe token holds the address: up to ~400 characters).
    routerOptions: { maxParamLength: 600 },
    logger: {
      level: opts.logLevel ?? 'info',
      redact: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'],
      // Links carry tokens (set-password in the query, unsubscribe in the path): never in the log.
      serializers: {
        req: (req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: redactUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    ajv: { customOptions: { coerceTypes: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    // The docs UI and the web app's files are public by nature; everything else must declare.
    if (route.url.startsWith('/api/docs')) route.config = { ...(route.config ?? {}), access: 'public' };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routeTable.push({ method, url: route.url, access: route.config?.access });
  });

  await registerSecurityHeaders(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Kesher API', version: '1' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'kesher_session' },
          apiKey: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  registerAccessGuard(app);
  registerInputGuard(app);
  app.addHook('onRequest', async (request) => {
    request.lang = requestLanguage(request.headers['accept-language']);
  });
  registerAuthentication(app, opts.db);

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const lang = request.lang;
    if (error instanceof AppError) {
      const body = { code: error.code, message: translate(lang, error.key, error.params), ...error.extra.body };
      if (error.extra.fields) Object.assign(body, { fields: localizeFields(lang, error.extra.fields) });
      return reply.status(error.status).send(body);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = localizeFields(lang, fieldsFromValidation(error.validation));
      return reply.status(400).send({ code: 'validation', message: translate(lang, 'validation'), fields });
    }
    const malformed = malformedMultipart(error, request.headers['content-type']);
    if (malformed) return reply.status(400).send({ code: malformed.code, message: translate(lang, malformed.key, malformed.params) });
    const status = (error as FastifyError).statusCode ?? 500;
    if (status === 413) return reply.status(413).send({ code: 'payload_too_large', message: translate(lang, 'payload_too_large') });
    if (status === 429) return reply.status(429).send({ code: 'too_many_requests', message: translate(lang, 'too_many_requests') });
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ code: 'validation', message: `${translate(lang, 'validation')}: ${error.message}` });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ code: 'internal', message: translate(lang, 'internal') });
  });

  app.get('/health', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  await app.register(authRoutes(opts.db));
  await app.register(customerRoutes(opts.db));
  await app.register(importRoutes(opts.db));
  await app.register(interactionRoutes(opts.db));
  await app.register(contactRoutes(opts.db));
  await app.register(brokerRoutes(opts.db));
  await app.register(adminRoutes(opts.db));
  await app.register(userRoutes(opts.db));
  const mail = mailSettings(opts);
  await app.register(mailRoutes(opts.db, mail));
  await app.register(invitationRoutes(opts.db, mail));
  await app.register(channelRoutes(opts.db, mail));
  await app.register(portalRoutes(opts.db, mail));

  const webDist = opts.webDist === undefined ? (existsSync(WEB_DIST) ? WEB_DIST : null) : opts.webDist;
  if (webDist) {
    await app.register(staticFiles, { root: webDist, wildcard: false, index: false, serve: false });
    app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      if (path.startsWith('api/')) return notFound(request, reply);
      if (path && existsSync(resolve(webDist, path)) && !path.includes('..')) {
        const immutable = path.startsWith('assets/');
        return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(path);
      }
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  }
  app.setNotFoundHandler((request, reply) => notFound(request, reply));

  return app;
}

/** A request's address as logged: link tokens replaced (they grant an action to whoever holds them). */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]').replace(/^\/u\/[^/?#]+/, '/u/[redacted]');
}

function notFound(request: { lang: string; method: string; url: string }, reply: { status(n: number): { send(b: unknown): unknown } }) {
  return reply.status(404).send({ code: 'not_found', message: translate(request.lang, 'route_not_found', { method: request.method, url: request.url.split('?')[0] ?? '' }) });
}
