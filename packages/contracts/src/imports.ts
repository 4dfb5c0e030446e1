import { z } from 'zod';
import { importTarget } from './columns.js';
import { duplicateMatch } from './customers.js';
import { uuid } from './ids.js';

// ---- Excel / CSV import (SPEC §2, issue 4 item 6) ----

/** What happens to a row that matches an existing customer (one policy per import). */
export const IMPORT_POLICIES = ['skip', 'fill', 'renew'] as const;
export const importPolicy = z.enum(IMPORT_POLICIES);
export type ImportPolicy = z.infer<typeof importPolicy>;

/** A per-row choice in the preview: a policy, or `create` (only where the database allows duplicates). */
export const IMPORT_ROW_ACTIONS = ['skip', 'fill', 'renew', 'create'] as const;
export const importRowAction = z.enum(IMPORT_ROW_ACTIONS);
export type ImportRowAction = z.infer<typeof importRowAction>;

/** What became of a row. */
export const IMPORT_OUTCOMES = ['created', 'filled', 'renewed', 'skipped', 'rejected'] as const;
export const importOutcome = z.enum(IMPORT_OUTCOMES);
export type ImportOutcome = z.infer<typeof importOutcome>;

/** At most this large an upload (.xlsx or .csv). */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

/** `{ "<header as in the file>": "<card field>" }`; a header left out (or mapped to "") is not imported. */
export const importMapping = z.record(z.string().max(200), z.union([importTarget, z.literal('')]));
export type ImportMapping = z.infer<typeof importMapping>;

/** Per-row overrides: `{ "<row number>": action }`. */
export const importOverrides = z.record(z.string().regex(/^\d{1,9}$/), importRowAction);
export type ImportOverrides = z.infer<typeof importOverrides>;

/**
 * POST /api/v1/imports, multipart/form-data: `file` (.xlsx or .csv — UTF-8 or Windows-1255),
 * `policy`, and optionally `mapping` (JSON; without it the recognised headers are used) and
 * `overrides` (JSON, per row). These are the text fields, as parsed.
 */
export const importStartFields = z.object({
  policy: importPolicy,
  mapping: importMapping.optional(),
  overrides: importOverrides.optional(),
});
export type ImportStartFields = z.infer<typeof importStartFields>;

export const importCreated = z.object({ id: uuid });

export const IMPORT_STATES = ['pending', 'running', 'done', 'failed', 'undone'] as const;
export const importState = z.enum(IMPORT_STATES);
export type ImportState = z.infer<typeof importState>;

/**
 * An import's progress. `total` is the data rows read so far (all of them once `done`);
 * `progress` 0..1 is how much of the file has been read.
 */
export const importStatus = z.object({
  id: uuid,
  state: importState,
  fileName: z.string(),
  policy: importPolicy,
  total: z.number().int(),
  created: z.number().int(),
  filled: z.number().int(),
  renewed: z.number().int(),
  skipped: z.number().int(),
  rejected: z.number().int(),
  /** Rows done over rows in the file (0 … 1; 1 when done). */
  progress: z.number(),
  /** Data rows done (the same as `total`). */
  rowsDone: z.number().int(),
  /** Data rows in the file: counted on upload (a CSV's line breaks: an estimate, corrected as the import goes), exact when done; null: not known. */
  rowsTotal: z.number().int().nullable(),
  /** The runner stopped (crash, restart) and the import is being taken over: it will go on after the last row done. */
  resuming: z.boolean(),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  undoneAt: z.string().nullable(),
});
export type ImportStatus = z.infer<typeof importStatus>;
export const importList = z.object({ items: z.array(importStatus) });

/** A problem of a row: the file's column (header), the field, a code and its message. */
export const importProblem = z.object({ column: z.string().nullable(), field: z.string().nullable(), code: z.string(), message: z.string() });
export type ImportProblem = z.infer<typeof importProblem>;

/** A header of the file, what it is mapped to, and its first values. */
export const importHeader = z.object({ index: z.number().int(), header: z.string(), target: z.union([importTarget, z.literal('')]), samples: z.array(z.string()) });

/** One row of the preview: its cells, problems, duplicate matches and what the import would do. */
export const importPreviewRow = z.object({
  row: z.number().int(),
  values: z.record(z.string(), z.string()),
  problems: z.array(importProblem),
  matches: z.array(duplicateMatch),
  /** An earlier row of the file with the same phone / email / ID number. */
  duplicateOfRow: z.number().int().nullable(),
  /** What the import would do with the chosen policy and no override. */
  outcome: z.enum(['create', 'skip', 'fill', 'renew', 'reject']),
});
export type ImportPreviewRow = z.infer<typeof importPreviewRow>;

export const importPreview = z.object({
  fileName: z.string(),
  format: z.enum(['xlsx', 'csv']),
  encoding: z.string().nullable(),
  headers: z.array(importHeader),
  /** The mapping used: the one sent, else the one saved for these headers, else the recognised one. */
  mapping: importMapping,
  /** A mapping was saved for this set of headers (and is the one offered). */
  savedMapping: z.boolean(),
  /** The mapping has a column that identifies a person (name, phone, email or ID number). */
  identifying: z.boolean(),
  allowDuplicates: z.boolean(),
  rows: z.array(importPreviewRow),
});
export type ImportPreview = z.infer<typeof importPreview>;

/** PUT /api/v1/imports/mappings: remember a mapping for files with these headers. */
export const importMappingSave = z.object({ headers: z.array(z.string().max(200)).min(1).max(500), mapping: importMapping });
export type ImportMappingSave = z.infer<typeof importMappingSave>;

/** POST /api/v1/imports/:id/undo */
export const importUndone = z.object({ id: uuid, deleted: z.number().int(), restored: z.number().int() });
export type ImportUndone = z.infer<typeof importUndone>;
