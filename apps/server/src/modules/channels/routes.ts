import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import {
  channel, channelCreate, channelList, channelPatch, MAX_CHANNEL_FILE_BYTES, MAX_SUBMISSION_FIELDS_BYTES, replayResult,
  submissionListQuery, submissionPage, uuid,
} from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { Batcher, settled } from '../../jobs/batcher.js';
import type { MailSettings } from '../mail/index.js';
import * as throttle from '../throttle/index.js';
import { add, fromSearch, givenToken, MAX_FILES, parseJson, readMultipart, tokenMatches } from './body.js';
import { cleanMultipart } from './incoming.js';
import { Intake, logRateLimited, replay, type IntakeResult, type IntakeTenant, type Params } from './intake.js';
import { channelOfTenant, channelsForIntake, channelToken, createChannel, deleteChannel, getChannel, listChannels, renewToken, updateChannel, type ChannelRow } from './service.js';
import { customerFile, getSubmission, listCustomerFiles, listSubmissions, submissionFile } from './submissions.js';

type Admitted = { channel: ChannelRow; tenant: IntakeTenant };

const idParams = z.object({ id: uuid });
const submissionParams = z.object({ id: uuid, submissionId: uuid });
const RATE_WINDOW_SECONDS = 60;

/** Web Data Port: the channels' settings and log (admins), and the public intake `/in/:slug`. */
export const channelRoutes = (db: Db, settings: MailSettings) => async (app: FastifyInstance) => {
  await app.register(adminRoutes(db, settings));
  await app.register(intakeRoutes(db));
};

const adminRoutes = (db: Db, settings: MailSettings) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ['web data port'];
  const url = settings.publicUrl;

  app.get('/api/v1/channels', { config: { access: 'admin' }, schema: { tags, summary: 'Web Data Port channels', response: { 200: channelList } } }, async (request) => ({
    items: await listChannels(db, staffOf(request).tenantId, url),
  }));
  app.post(
    '/api/v1/channels',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'A channel: `{ name, mapping: { "<incoming parameter>": "<card field>" }, … }` → its slug, token and address', body: channelCreate, response: { 201: channel } },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      return reply.status(201).send(await createChannel(db, staff.tenantId, staff.userId, request.body, url));
    },
  );
  app.get('/api/v1/channels/:id', { config: { access: 'admin' }, schema: { tags, params: idParams, response: { 200: channel } } }, async (request) =>
    getChannel(db, staffOf(request).tenantId, request.params.id, url),
  );
  app.patch('/api/v1/channels/:id', { config: { access: 'admin' }, schema: { tags, params: idParams, body: channelPatch, response: { 200: channel } } }, async (request) =>
    updateChannel(db, staffOf(request).tenantId, request.params.id, request.body, url),
  );
  app.post(
    '/api/v1/channels/:id/token',
    { config: { access: 'admin' }, schema: { tags, summary: 'A new token (the old one stops working at once)', params: idParams, response: { 200: channel } } },
    async (request) => renewToken(db, staffOf(request).tenantId, request.params.id, url),
  );
  app.delete('/api/v1/channels/:id', { config: { access: 'admin' }, schema: { tags, summary: 'Delete the channel and its log (customers stay)', params: idParams } }, async (request, reply) => {
    await deleteChannel(db, staffOf(request).tenantId, request.params.id);
    return reply.status(204).send();
  });

  app.get(
    '/api/v1/channels/:id/submissions',
    { config: { access: 'admin' }, schema: { tags, summary: "The channel's log, newest first", params: idParams, querystring: submissionListQuery, response: { 200: submissionPage } } },
    async (request) => listSubmissions(db, staffOf(request).tenantId, request.params.id, request.query, request.lang),
  );
  app.get(
    '/api/v1/channels/:id/submissions/:submissionId',
    { config: { access: 'admin' }, schema: { tags, params: submissionParams, response: { 200: submissionPage.shape.items.element } } },
    async (request) => getSubmission(db, staffOf(request).tenantId, request.params.id, request.params.submissionId, request.lang),
  );
  app.post(
    '/api/v1/channels/:id/submissions/:submissionId/replay',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Process a logged submission again, now (no rate limit, honeypot or 5-minute window): a new log row', params: submissionParams, response: { 200: replayResult } },
    },
    async (request) => {
      const { tenantId } = staffOf(request);
      const row = await channelOfTenant(db, tenantId, request.params.id);
      const result = await replay(db, row, request.params.submissionId);
      return { submission: await getSubmission(db, tenantId, row.id, result.submissionId, request.lang), reply: result.reply };
    },
  );
  app.get(
    '/api/v1/channels/:id/submissions/:submissionId/files/:fileId',
    { config: { access: 'admin' }, schema: { tags, summary: 'A file that came with a submission', params: submissionParams.extend({ fileId: uuid }) } },
    async (request, reply) => sendFile(reply, await submissionFile(db, staffOf(request).tenantId, request.params.id, request.params.submissionId, request.params.fileId)),
  );

  app.get(
    '/api/v1/customers/:id/files',
    {
      config: { access: 'staff' },
      schema: { tags: ['customers'], summary: 'Files on the card (uploaded with Web Data Port submissions)', params: idParams, response: { 200: z.object({ items: z.array(submissionPage.shape.items.element.shape.files.element.extend({ createdAt: z.string() })) }) } },
    },
    async (request) => ({ items: await listCustomerFiles(db, staffOf(request).tenantId, request.params.id) }),
  );
  app.get(
    '/api/v1/customers/:id/files/:fileId',
    { config: { access: 'staff' }, schema: { tags: ['customers'], summary: 'Download a file of the card', params: idParams.extend({ fileId: uuid }) } },
    async (request, reply) => sendFile(reply, await customerFile(db, staffOf(request).tenantId, request.params.id, request.params.fileId)),
  );
};

function sendFile(reply: FastifyReply, file: { fileName: string; data: Buffer }) {
  // Always a download, never rendered here: the content came from the outside.
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(file.data);
}

// ---- the intake ----

/** The CORS origin a reply may name, decided per request. */
const corsOrigin = new WeakMap<FastifyRequest, string>();

function originAllowed(row: ChannelRow, origin: string | undefined): boolean {
  if (!origin) return true; // not a browser's cross-site request: the token authenticates
  if (row.allowedOrigins.length === 0) return true;
  return row.allowedOrigins.includes(origin.toLowerCase());
}

const intakeRoutes = (db: Db) => async (app: FastifyInstance) => {
  // Concurrent requests share their queries (group commit, jobs/batcher.ts): the channel lookup,
  // the rate counters and the intake itself each cost one round per batch, not per request.
  const intake = new Intake(db);
  // Admission: the channel (with its tenant) and the per-address counter, for a batch of requests.
  // Every request counts against its address (wrong tokens too: no guessing at speed); only what
  // passed the token check counts against the channel's budget (below), so a flood of wrong
  // tokens from one address cannot lock the channel's real leads out.
  const admission = new Batcher<{ slug: string; ip: string }, (Admitted & { byIp: number }) | null>(
    async (requests) => {
      const found = await channelsForIntake(
        db,
        requests.map((r) => r.slug),
      );
      const keys = requests.flatMap((r) => {
        const f = found.get(r.slug);
        return f ? [`in:ip:${f.channel.id}:${r.ip}`] : [];
      });
      const counted = await throttle.hitMany(db, keys, RATE_WINDOW_SECONDS);
      let at = 0;
      return requests.map((r) => {
        const f = found.get(r.slug);
        if (!f) return settled(null);
        return settled({ ...f, byIp: counted[at++] ?? 0 });
      });
    },
    { maxBatch: 500 },
  );
  // The channel's budget, taken by authenticated submissions only.
  const budget = new Batcher<string, number>(
    async (channelIds) => (await throttle.hitMany(db, channelIds.map((id) => `in:ch:${id}`), RATE_WINDOW_SECONDS)).map((n) => settled(n)),
    { maxBatch: 500 },
  );
  const limit = MAX_SUBMISSION_FIELDS_BYTES;
  await app.register(multipart, { limits: { fileSize: MAX_CHANNEL_FILE_BYTES, files: MAX_FILES, fields: 200, fieldSize: limit, parts: 220 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => done(null, fromSearch(body as string)));
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      done(err as Error);
    }
  });
  // text/plain: what a browser may send without a CORS preflight; JSON or a query string.
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => {
    const text = (body as string).trim();
    try {
      done(null, text.startsWith('{') ? parseJson(text) : fromSearch(text));
    } catch (err) {
      done(err as Error);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (req, _body, done) =>
    done(new AppError('validation', 'channel.unsupported_type', { type: String(req.headers['content-type'] ?? '').split(';')[0] ?? '' })),
  );

  app.setErrorHandler((error: FastifyError | AppError, _request, _reply) => {
    if (error instanceof AppError) throw error;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw new AppError('payload_too_large', 'channel.too_large', { kb: limit / 1024 });
    throw error;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = corsOrigin.get(request);
    if (origin) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    return payload;
  });

  app.route({
    method: 'OPTIONS',
    url: '/in/:slug',
    config: { access: 'public' },
    schema: { hide: true },
    handler: async (request, reply) => {
      const slug = (request.params as { slug: string }).slug;
      const row = (await channelsForIntake(db, [slug])).get(slug)?.channel;
      const origin = request.headers.origin;
      if (!row) throw new AppError('not_found', 'not_found.channel');
      if (!originAllowed(row, origin)) throw new AppError('forbidden', 'channel.origin_not_allowed', { origin: origin ?? '' });
      if (origin) corsOrigin.set(request, origin);
      return reply
        .status(204)
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'Content-Type, X-Kesher-Token')
        .header('access-control-max-age', '600')
        .send();
    },
  });

  app.route({
    method: ['GET', 'POST'],
    url: '/in/:slug',
    // No automatic HEAD: a link checker's HEAD must not file a lead.
    exposeHeadRoute: false,
    config: { access: 'public' },
    schema: {
      tags: ['web data port'],
      summary:
        'Web Data Port intake: query string, form-urlencoded, multipart (files) or JSON; token in X-Kesher-Token or `token`. JSON reply `{ id, customerNumber, duplicate }`, or 303 to the thank-you page',
      params: z.object({ slug: z.string().max(100) }),
    },
    handler: async (request, reply) => {
      const { slug } = request.params as { slug: string };
      const ip = request.ip;
      const found = await admission.submit({ slug, ip });
      if (!found) throw new AppError('not_found', 'not_found.channel');
      const row = found.channel;
      const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
      if (origin && originAllowed(row, origin)) corsOrigin.set(request, origin);
      const tooMany = () => {
        reply.header('retry-after', String(RATE_WINDOW_SECONDS));
        return new AppError('too_many_requests', 'channel.too_many');
      };

      const params: Params = {};
      for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, string | string[]>)) for (const s of Array.isArray(v) ? v : [v]) add(params, k, s);
      // The token of the header or the query string is checked before any of the body is read.
      const early = givenToken(request, params);
      const authenticate = (given: string | undefined) => {
        if (!tokenMatches(given, channelToken(row))) throw new AppError('unauthorized', 'channel.bad_token');
      };
      // Over the address's limit: 429 whatever the token (no guessing at speed), before the body is
      // read — unless the header's or query's token shows a real lead: that one is read and logged.
      const overIp = found.byIp > row.ratePerIpPerMinute;
      if (overIp && (early === undefined || !tokenMatches(early, channelToken(row)))) throw tooMany();
      if (early !== undefined) authenticate(early);

      // A multipart body's file parts are read only once the token is checked (header, query, or a field before the files).
      const files = request.isMultipart() ? await readMultipart(request, row, params, () => authenticate(early ?? givenToken(request, params))) : [];
      if (!request.isMultipart() && request.body && typeof request.body === 'object') {
        for (const [k, v] of Object.entries(request.body as Params)) for (const s of Array.isArray(v) ? v : [v]) add(params, k, s);
      }
      authenticate(early ?? givenToken(request, params));
      if (!row.active) throw new AppError('forbidden', 'channel.inactive');
      if (!originAllowed(row, origin)) throw new AppError('forbidden', 'channel.origin_not_allowed', { origin: origin ?? '' });
      for (const k of Object.keys(params)) if (k.toLowerCase() === 'token') delete params[k];
      const read = {
        params,
        files,
        ip,
        origin: origin ?? null,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
        contentType: request.method === 'GET' ? null : (request.headers['content-type'] ?? null),
      };
      const incoming = request.isMultipart() ? cleanMultipart(read) : read;
      // Authenticated: the channel's budget. A lead refused for rate is logged (replayable), not lost.
      if (overIp || (await budget.submit(row.id)) > row.ratePerMinute) {
        await logRateLimited(db, { channel: row, tenant: found.tenant, incoming });
        throw tooMany();
      }

      const result: IntakeResult = await intake.receive({ channel: row, tenant: found.tenant, incoming });
      if (result.rejected) {
        const named = result.rejected.filter((p) => p.path);
        throw new AppError('validation', 'channel.nothing_to_identify', {}, { fields: named, body: { submissionId: result.submissionId } });
      }
      if (row.replyMode === 'redirect' && row.redirectUrl) return reply.redirect(row.redirectUrl, 303);
      return reply.header('cache-control', 'no-store').send(result.reply);
    },
  });
};
