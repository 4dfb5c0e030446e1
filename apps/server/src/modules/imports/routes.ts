import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import {
  importCreated,
  importList,
  importMapping,
  importMappingSave,
  importOverrides,
  importPolicy,
  importPreview,
  importStatus,
  importUndone,
  MAX_IMPORT_BYTES,
  uuid,
} from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { staffOf } from '../../http/access.js';
import { sendXlsx } from '../../http/downloads.js';
import { AppError, invalid } from '../../http/errors.js';
import { withoutBidiControls } from '../../http/input.js';
import { importReport } from './report.js';
import { confirmImport, discard, getImport, listImports, previewImport, receiveFile, saveMapping, undoImport, type StartImport } from './service.js';

const idParams = z.object({ id: uuid });
const MB = MAX_IMPORT_BYTES / 1024 / 1024;

/** A JSON text field of the multipart body, checked by `shape`. */
function jsonField<T>(fields: Map<string, string>, name: string, shape: z.ZodType<T>): T | undefined {
  const raw = fields.get(name);
  if (raw === undefined || raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid([{ path: name, code: 'invalid' }]);
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) throw invalid([{ path: name, code: 'invalid' }]);
  return parsed.data;
}

function startFields(fields: Map<string, string>, fileName: string): StartImport {
  const policy = importPolicy.safeParse(fields.get('policy') ?? '');
  if (!policy.success) throw invalid([{ path: 'policy', code: 'invalid_option' }]);
  return { fileName, policy: policy.data, mapping: jsonField(fields, 'mapping', importMapping), overrides: jsonField(fields, 'overrides', importOverrides) };
}

const fileName = (part: MultipartFile) => withoutBidiControls(part.filename || 'import').replace(/[\\/]/g, '_').slice(0, 200);

/** Multipart trouble as the caller should hear it. */
function multipartError(err: unknown): unknown {
  const { code, statusCode } = err as { code?: string; statusCode?: number };
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new AppError('validation', 'import.one_file');
  if (statusCode === 413 || code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('payload_too_large', 'import.too_large', { mb: MB });
  return err;
}

function checkUpload(request: FastifyRequest) {
  if (Number(request.headers['content-length'] ?? 0) > MAX_IMPORT_BYTES + 64 * 1024) throw new AppError('payload_too_large', 'import.too_large', { mb: MB });
  if (!request.isMultipart()) throw new AppError('validation', 'import.no_file');
}

/**
 * Excel / CSV import (SPEC §2): preview, start (a background job), progress, report, undo, and
 * mappings saved per set of headers.
 */
export const importRoutes = (db: Db) => async (plain: FastifyInstance) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 20, fieldSize: 1024 * 1024 } });
  const tags = ['imports'];

  app.post(
    '/api/v1/imports',
    {
      config: { access: 'staff' },
      schema: {
        tags,
        summary: `Start an import (multipart: "file" .xlsx or .csv up to ${MB} MB, "policy" skip | fill | renew, optional "mapping" and "overrides" as JSON); 202 with its id`,
        consumes: ['multipart/form-data'],
        response: { 202: importCreated },
      },
    },
    async (request, reply) => {
      checkUpload(request);
      const actor = staffOf(request);
      const fields = new Map<string, string>();
      let received: Awaited<ReturnType<typeof receiveFile>> | null = null;
      let name = 'import';
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || received) {
              part.file.resume();
              continue;
            }
            name = fileName(part);
            received = await receiveFile(db, { tenantId: actor.tenantId, userId: actor.userId }, name, part.file);
          } else fields.set(part.fieldname, String(part.value));
        }
      } catch (err) {
        if (received) await discard(db, received.id);
        throw multipartError(err);
      }
      if (!received) throw new AppError('validation', 'import.no_file');
      let start: StartImport;
      try {
        start = startFields(fields, name);
      } catch (err) {
        await discard(db, received.id);
        throw err;
      }
      const created = await confirmImport(db, { tenantId: actor.tenantId, userId: actor.userId }, received.id, received.file, start);
      return reply.status(202).send(created);
    },
  );

  app.post(
    '/api/v1/imports/preview',
    {
      config: { access: 'staff' },
      schema: {
        tags,
        summary: 'What an import of this file would do (multipart: "file", optional "mapping" JSON and "policy"): headers, mapping, first rows with problems and matches. Nothing is written.',
        consumes: ['multipart/form-data'],
        response: { 200: importPreview },
      },
    },
    async (request) => {
      checkUpload(request);
      const actor = staffOf(request);
      const fields = new Map<string, string>();
      let file: Buffer | null = null;
      let name = 'import';
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname === 'file' && !file) {
              name = fileName(part);
              file = await part.toBuffer();
            } else part.file.resume();
          } else fields.set(part.fieldname, String(part.value));
        }
      } catch (err) {
        throw multipartError(err);
      }
      if (!file) throw new AppError('validation', 'import.no_file');
      const policyRaw = fields.get('policy');
      const policy = policyRaw ? importPolicy.safeParse(policyRaw) : null;
      if (policy && !policy.success) throw invalid([{ path: 'policy', code: 'invalid_option' }]);
      return previewImport(db, { tenantId: actor.tenantId, userId: actor.userId }, file, name, {
        mapping: jsonField(fields, 'mapping', importMapping),
        policy: policy?.data,
        lang: request.lang,
      });
    },
  );

  app.put(
    '/api/v1/imports/mappings',
    { config: { access: 'staff' }, schema: { tags, summary: 'Save a mapping for files with these headers (offered again by the preview)', body: importMappingSave, response: { 204: z.null() } } },
    async (request, reply) => {
      await saveMapping(db, staffOf(request).tenantId, request.body.headers, request.body.mapping);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/imports',
    {
      config: { access: 'staff' },
      schema: { tags, summary: 'Recent imports, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: importList } },
    },
    async (request) => ({ items: await listImports(db, staffOf(request).tenantId, request.query.limit) }),
  );

  app.get('/api/v1/imports/:id', { config: { access: 'staff' }, schema: { tags, summary: 'Progress and counts of an import', params: idParams, response: { 200: importStatus } } }, async (request) =>
    getImport(db, staffOf(request).tenantId, request.params.id),
  );

  app.get(
    '/api/v1/imports/:id/report.xlsx',
    { config: { access: 'staff' }, schema: { tags, summary: 'Per-row report (.xlsx; Hebrew for Accept-Language: he)', params: idParams } },
    async (request, reply) => {
      const report = await importReport(db, staffOf(request).tenantId, request.params.id, request.lang);
      return sendXlsx(request, reply, report);
    },
  );

  app.post(
    '/api/v1/imports/:id/undo',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Undo an import: delete the cards it created, restore the fields it filled and the statuses it renewed', params: idParams, response: { 200: importUndone } },
    },
    async (request) => undoImport(db, staffOf(request).tenantId, request.params.id),
  );
};
