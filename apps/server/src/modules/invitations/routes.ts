import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { bulkEmailBody, invitationBody, mailListUpload, MAX_MAIL_LIST_BYTES, runCreated, runList, runPreview, runStatus, uuid } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { sendXlsx } from '../../http/downloads.js';
import { AppError } from '../../http/errors.js';
import type { MailSettings } from '../mail/index.js';
import { matchMailList } from './mail-list.js';
import { runReport } from './report.js';
import { getRun, listRuns, previewRun, resetAndResend, startRun, type RunKindOfWizard } from './service.js';

const idParams = z.object({ id: uuid });
/** A list of up to 200k customer ids is ~8 MB of JSON. */
const RUN_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * Invitation runs (/api/v1/invitations) and bulk emails (/api/v1/bulk-emails): the same wizard
 * — preview, confirm, progress, report — with and without portal passwords; the .xlsx list
 * upload both use; and staff "reset and resend" on a card.
 */
export const invitationRoutes = (db: Db, settings: MailSettings) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  await app.register(multipart, { limits: { fileSize: MAX_MAIL_LIST_BYTES, files: 1, fields: 10, parts: 20 } });

  const wizards: { kind: RunKindOfWizard; path: string; tag: string; body: typeof invitationBody | typeof bulkEmailBody; what: string }[] = [
    { kind: 'invitation', path: '/api/v1/invitations', tag: 'invitations', body: invitationBody, what: 'Invitation run (portal passwords, then Invite_to_Website_Email)' },
    { kind: 'bulk', path: '/api/v1/bulk-emails', tag: 'bulk emails', body: bulkEmailBody, what: 'Bulk email (marketing, filed on the cards, no passwords; default template Bulk_Email)' },
  ];

  for (const { kind, path, tag, body, what } of wizards) {
    const tags = [tag];
    app.post(
      path,
      {
        bodyLimit: RUN_BODY_LIMIT,
        config: { access: 'admin' },
        schema: { tags, summary: `${what}: starts in the background; 202 with its id. A list with no customers is refused.`, body, response: { 202: runCreated } },
      },
      async (request, reply) => reply.status(202).send(await startRun(db, staffOf(request), kind, request.body)),
    );
    app.post(
      `${path}/preview`,
      { bodyLimit: RUN_BODY_LIMIT, config: { access: 'staff' }, schema: { tags, summary: 'What a run on this list would do (nothing is written)', body, response: { 200: runPreview } } },
      async (request) => previewRun(db, staffOf(request), kind, request.body, settings),
    );
    app.get(
      path,
      {
        config: { access: 'staff' },
        schema: { tags, summary: 'Recent runs, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: runList } },
      },
      async (request) => ({ items: await listRuns(db, staffOf(request).tenantId, kind, request.query.limit) }),
    );
    app.get(`${path}/:id`, { config: { access: 'staff' }, schema: { tags, summary: 'Progress of a run', params: idParams, response: { 200: runStatus } } }, async (request) =>
      getRun(db, staffOf(request).tenantId, kind, request.params.id),
    );
    app.get(
      `${path}/:id/report.xlsx`,
      { config: { access: 'staff' }, schema: { tags, summary: 'Per-recipient report (.xlsx; Hebrew for Accept-Language: he)', params: idParams } },
      async (request, reply) => {
        const report = await runReport(db, staffOf(request).tenantId, kind, request.params.id, request.lang);
        return sendXlsx(request, reply, report);
      },
    );
  }

  app.post(
    '/api/v1/mail-lists/xlsx',
    {
      config: { access: 'staff' },
      schema: {
        tags: ['invitations', 'bulk emails'],
        summary: `Customers from an .xlsx list (multipart, field "file", at most ${MAX_MAIL_LIST_BYTES / 1024 / 1024} MB): matched by customer number, ID number or email`,
        consumes: ['multipart/form-data'],
        response: { 200: mailListUpload },
      },
    },
    async (request) => {
      const mb = MAX_MAIL_LIST_BYTES / 1024 / 1024;
      // Refuse an upload that says it is too large before reading it.
      if (Number(request.headers['content-length'] ?? 0) > MAX_MAIL_LIST_BYTES + 64 * 1024) throw new AppError('payload_too_large', 'mail_list.too_large', { mb });
      if (!request.isMultipart()) throw new AppError('validation', 'mail_list.no_file');
      let file: Buffer | null = null;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file' && part.fieldname === 'file' && !file) file = await part.toBuffer();
          else if (part.type === 'file') part.file.resume();
        }
      } catch (err) {
        const { code, statusCode } = err as { code?: string; statusCode?: number };
        // More than one file (or a flood of parts) is a malformed request, not a large file.
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new AppError('validation', 'mail_list.one_file');
        if (statusCode === 413) throw new AppError('payload_too_large', 'mail_list.too_large', { mb });
        throw err;
      }
      if (!file) throw new AppError('validation', 'mail_list.no_file');
      return matchMailList(db, staffOf(request).tenantId, file);
    },
  );

  app.post(
    '/api/v1/customers/:id/portal-password/resend',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['customers', 'invitations'],
        summary: 'Reset the portal password and send a new invitation (a one-customer run); 202 with the run id',
        params: idParams,
        response: { 202: runCreated },
      },
    },
    async (request, reply) => reply.status(202).send(await resetAndResend(db, staffOf(request), request.params.id, settings)),
  );
};
