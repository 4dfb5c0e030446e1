import { createHash, timingSafeEqual } from 'node:crypto';
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
import { Intake, replay, type IncomingFile, type IntakeResult, type IntakeTenant, type Params } from './intake.js';
import { channelOfTenant, channelsForIntake, channelToken, createChannel, deleteChannel, getChannel, listChannels, renewToken, updateChannel, type ChannelRow } from './service.js';
import { customerFile, getSubmission, listCustomerFiles, listSubmissions, submissionFile } from './submissions.js';

type Admitted = { channel: ChannelRow; tenant: IntakeTenant };

const idParams = z.object({ id: uuid });
const submissionParams = z.object({ id: uuid, submissionId: uuid });
const RATE_WINDOW_SECONDS = 60;
/** At most this many files in one submission. */
const MAX_FILES = 5;

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

function flatten(value: unknown, prefix: string, out: Params): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const list = value.filter((v) => v !== null && typeof v !== 'object').map(String);
    if (list.length) out[prefix] = list;
    for (const v of value) if (v && typeof v === 'object') flatten(v, prefix, out);
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out[prefix] = String(value);
}

function fromSearch(text: string): Params {
  const out: Params = {};
  for (const [k, v] of new URLSearchParams(text)) add(out, k, v);
  return out;
}

function add(out: Params, key: string, value: string): void {
  if (key === '__proto__') return;
  const had = out[key];
  out[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
}

const malformed = (type: string) => new AppError('validation', 'channel.malformed_body', { type });

function parseJson(text: string): Params {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw malformed('JSON');
  const out: Params = {};
  flatten(value, '', out);
  return out;
}

/** Compares the token in constant time (both sides hashed to one length first). */
function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function originAllowed(row: ChannelRow, origin: string | undefined): boolean {
  if (!origin) return true; // not a browser's cross-site request: the token authenticates
  if (row.allowedOrigins.length === 0) return true;
  return row.allowedOrigins.includes(origin.toLowerCase());
}

const intakeRoutes = (db: Db) => async (app: FastifyInstance) => {
  // Concurrent requests share their queries (group commit, jobs/batcher.ts): the channel lookup,
  // the rate counters and the intake itself each cost one round per batch, not per request.
  const intake = new Intake(db);
  // Admission: the channel (with its tenant) and the rate counters, for a batch of requests.
  const admission = new Batcher<{ slug: string; ip: string }, (Admitted & { byIp: number; byChannel: number }) | null>(
    async (requests) => {
      const found = await channelsForIntake(
        db,
        requests.map((r) => r.slug),
      );
      const keys = requests.map((r) => {
        const f = found.get(r.slug);
        return f ? [`in:ip:${f.channel.id}:${r.ip}`, `in:ch:${f.channel.id}`] : [];
      });
      const counted = await throttle.hitMany(db, keys.flat(), RATE_WINDOW_SECONDS);
      let at = 0;
      return requests.map((r) => {
        const f = found.get(r.slug);
        if (!f) return settled(null);
        const [byIp = 0, byChannel = 0] = counted.slice(at, (at += 2));
        return settled({ ...f, byIp, byChannel });
      });
    },
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
      // Rate limits first: wrong tokens count too (no guessing at speed).
      const ip = request.ip;
      const found = await admission.submit({ slug, ip });
      if (!found) throw new AppError('not_found', 'not_found.channel');
      const row = found.channel;
      const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
      if (origin && originAllowed(row, origin)) corsOrigin.set(request, origin);

      if (found.byIp > row.ratePerIpPerMinute || found.byChannel > row.ratePerMinute) {
        reply.header('retry-after', String(RATE_WINDOW_SECONDS));
        throw new AppError('too_many_requests', 'channel.too_many');
      }

      const params: Params = {};
      for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, string | string[]>)) for (const s of Array.isArray(v) ? v : [v]) add(params, k, s);
      const files = request.isMultipart() ? await readMultipart(request, row, params) : [];
      if (!request.isMultipart() && request.body && typeof request.body === 'object') {
        for (const [k, v] of Object.entries(request.body as Params)) for (const s of Array.isArray(v) ? v : [v]) add(params, k, s);
      }

      const headerToken = request.headers['x-kesher-token'];
      const paramToken = Object.entries(params).find(([k]) => k.toLowerCase() === 'token')?.[1];
      const given = typeof headerToken === 'string' ? headerToken : Array.isArray(paramToken) ? paramToken[0] : paramToken;
      if (!tokenMatches(given, channelToken(row))) throw new AppError('unauthorized', 'channel.bad_token');
      if (!row.active) throw new AppError('forbidden', 'channel.inactive');
      if (!originAllowed(row, origin)) throw new AppError('forbidden', 'channel.origin_not_allowed', { origin: origin ?? '' });
      for (const k of Object.keys(params)) if (k.toLowerCase() === 'token') delete params[k];

      const result: IntakeResult = await intake.receive({
        channel: row,
        tenant: found.tenant,
        incoming: {
          params,
          files,
          ip,
          origin: origin ?? null,
          userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
          contentType: request.method === 'GET' ? null : (request.headers['content-type'] ?? null),
        },
      });
      if (result.rejected) {
        const named = result.rejected.filter((p) => p.path);
        throw new AppError('validation', 'channel.nothing_to_identify', {}, { fields: named, body: { submissionId: result.submissionId } });
      }
      if (row.replyMode === 'redirect' && row.redirectUrl) return reply.redirect(row.redirectUrl, 303);
      return reply.header('cache-control', 'no-store').send(result.reply);
    },
  });
};

/** Reads a multipart body: fields into `params`, files (size-capped per channel) into memory. */
async function readMultipart(request: FastifyRequest, row: ChannelRow, params: Params): Promise<IncomingFile[]> {
  const cap = row.maxFileBytes;
  const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);
  const size = sizeText(cap);
  // Refuse a body that says it is too large before reading it.
  const total = MAX_FILES * cap + MAX_SUBMISSION_FIELDS_BYTES + 64 * 1024;
  if (Number(request.headers['content-length'] ?? 0) > total) {
    throw new AppError('payload_too_large', 'channel.body_too_large', { size: sizeText(total) });
  }
  const files: IncomingFile[] = [];
  let fieldBytes = 0;
  try {
    for await (const part of request.parts({ limits: { fileSize: cap } })) {
      if (part.type === 'file') {
        if (cap === 0) {
          part.file.resume();
          throw new AppError('payload_too_large', 'channel.files_not_allowed');
        }
        const data = await part.toBuffer();
        if (data.length === 0 && !part.filename) continue; // an empty file input
        files.push({ field: part.fieldname, fileName: part.filename, contentType: part.mimetype, data });
      } else {
        if (part.valueTruncated) throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
        const value = String(part.value ?? '');
        fieldBytes += part.fieldname.length + value.length;
        if (fieldBytes > MAX_SUBMISSION_FIELDS_BYTES) throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
        add(params, part.fieldname, value);
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('payload_too_large', 'channel.file_too_large', { size });
    if (code === 'FST_FILES_LIMIT') throw new AppError('payload_too_large', 'channel.too_many_files', { count: MAX_FILES });
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new AppError('payload_too_large', 'channel.too_large', { kb: MAX_SUBMISSION_FIELDS_BYTES / 1024 });
    if (err instanceof AppError) throw err;
    if ((err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500) throw malformed('multipart/form-data');
    throw err;
  }
  return files;
}

