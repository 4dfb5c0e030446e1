import { EventEmitter } from 'node:events';
import { and, desc, eq, sql } from 'drizzle-orm';
import {
  importMapping as importMappingShape,
  normalizeHeader,
  type ImportMapping,
  type ImportPolicy,
  type ImportPreview,
  type ImportRowAction,
  type ImportStatus,
  type ImportUndone,
} from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { updateCustomers } from '../customers/bulk.js';
import { listDefinitions } from '../custom-fields/service.js';
import { defaultBranchId, getTenant } from '../tenants/service.js';
import { runBatch, type EngineContext } from './engine.js';
import { problemMessage } from './report.js';
import { NotASpreadsheet, type TableRow } from './read.js';
import { bindMapping, findHeaderRow, headerKey, isIdentifying, prepareRow, recognizedMapping, type RowContext } from './rows.js';
import { bufferTable, firstRows, sniffBuffer, storedTable, storeFile, type StoredFile } from './source.js';
import { importMappings, imports } from './tables.js';

/** Import runners listen here: an import was created (wake up now rather than at the next poll). */
export const importEvents = new EventEmitter();

/** Who starts an import. */
export interface ImportActor {
  tenantId: string;
  userId: string | null;
}

/** Rows the preview shows. */
export const PREVIEW_ROWS = 50;
/** Rows read to find the header row (title lines above it). */
const HEAD_ROWS = 8;

export async function rowContext(db: Db, tenantId: string): Promise<RowContext & { allowDuplicates: boolean; defaultBranchId: string | null; language: 'he' | 'en' }> {
  const [tenant, definitions, branchList, branchId] = await Promise.all([
    getTenant(db, tenantId),
    listDefinitions(db, tenantId),
    rows<{ id: string; name: string }>(db, sql`select id, name from branches where tenant_id = ${tenantId}`),
    defaultBranchId(db, tenantId),
  ]);
  return {
    region: tenant.defaultRegion,
    definitions,
    branches: new Map(branchList.map((b) => [normalizeHeader(b.name), b.id])),
    allowDuplicates: tenant.allowDuplicates,
    defaultBranchId: branchId,
    language: tenant.defaultLanguage,
  };
}

export const notASpreadsheet = (err: NotASpreadsheet) =>
  new AppError('validation', err.reason === 'xls' ? 'import.xls' : 'import.not_spreadsheet', {}, { body: { detail: err.message } });

/** The header row and the rows under it, or a clear refusal (empty sheet, header only). */
function headOf(first: TableRow[], definitions: RowContext['definitions'], mapping?: ImportMapping) {
  const header = findHeaderRow(first, definitions, mapping);
  if (!header) throw new AppError('validation', 'import.empty');
  const data = first.filter((r) => r.rowNumber > header.rowNumber && r.cells.some(Boolean));
  return { header, data };
}

/** Checks a mapping against the file's headers and the tenant's spare fields. */
function checkMapping(mapping: ImportMapping, headers: string[], definitions: RowContext['definitions']) {
  const keys = new Set(definitions.map((d) => `cf.${d.key}`));
  const unknownTargets = Object.values(mapping).filter((t) => t.startsWith('cf.') && !keys.has(t));
  if (unknownTargets.length) throw new AppError('validation', 'import.unknown_field', { field: unknownTargets.join(', ') });
  const present = Object.fromEntries(Object.entries(mapping).filter(([h, t]) => t && headers.includes(h)));
  if (!isIdentifying(present)) {
    throw new AppError('validation', 'import.no_identifying_column', { found: headers.filter(Boolean).map((h) => `"${h}"`).join(', ') || '—' });
  }
  return present;
}

async function savedMappingFor(db: Db, tenantId: string, headers: string[]): Promise<ImportMapping | null> {
  const [row] = await db
    .select({ mapping: importMappings.mapping })
    .from(importMappings)
    .where(and(eq(importMappings.tenantId, tenantId), eq(importMappings.headerKey, headerKey(headers))));
  if (!row) return null;
  const parsed = importMappingShape.safeParse(row.mapping);
  return parsed.success ? parsed.data : null;
}

export async function saveMapping(db: Db, tenantId: string, headers: string[], mapping: ImportMapping): Promise<void> {
  const key = headerKey(headers);
  await db
    .insert(importMappings)
    .values({ tenantId, headerKey: key, headers, mapping })
    .onConflictDoUpdate({ target: [importMappings.tenantId, importMappings.headerKey], set: { headers, mapping, updatedAt: sql`now()` } });
}

/**
 * The wizard's preview: the headers with what they map to (the mapping sent, else the one saved
 * for these headers, else the recognised one), and the first rows as the import would see them —
 * problems, duplicate matches (existing cards and earlier rows of the file) and what would happen.
 * Nothing is written.
 */
export async function previewImport(
  db: Db,
  actor: ImportActor,
  file: Buffer,
  fileName: string,
  opts: { mapping?: ImportMapping; policy?: ImportPolicy; lang: string },
): Promise<ImportPreview> {
  let stored: StoredFile;
  let first: TableRow[];
  const ctx = await rowContext(db, actor.tenantId);
  try {
    stored = await sniffBuffer(file);
    first = await firstRows(bufferTable(file, stored.format, stored.encoding), HEAD_ROWS + PREVIEW_ROWS);
  } catch (err) {
    if (err instanceof NotASpreadsheet) throw notASpreadsheet(err);
    throw err;
  }
  const { header, data } = headOf(first, ctx.definitions, opts.mapping);
  const headers = header.cells;
  const saved = opts.mapping ? null : await savedMappingFor(db, actor.tenantId, headers);
  const mapping = opts.mapping ?? saved ?? recognizedMapping(headers, ctx.definitions);
  const rowsShown = data.slice(0, PREVIEW_ROWS);
  const bound = bindMapping(headers, mapping);
  const identifying = isIdentifying(Object.fromEntries(bound.columns.map((c) => [c.header, c.target])));
  const policy = opts.policy ?? 'skip';
  const engine: EngineContext = {
    ...ctx,
    tenantId: actor.tenantId,
    importId: null,
    engineName: '',
    userId: actor.userId,
    policy,
    overrides: {},
  };
  const decisions = identifying ? await runBatch(db, engine, rowsShown.map((r) => prepareRow(r, bound, ctx)), { dryRun: true }) : [];
  const prepared = new Map(rowsShown.map((r) => [r.rowNumber, r]));
  return {
    fileName,
    format: stored.format,
    encoding: stored.encoding,
    headers: headers.map((h, index) => ({
      index,
      header: h,
      target: (h && mapping[h]) || '',
      samples: data.slice(0, 3).map((r) => r.cells[index] ?? ''),
    })),
    mapping: Object.fromEntries(Object.entries(mapping).filter(([h]) => headers.includes(h))),
    savedMapping: saved !== null,
    identifying,
    allowDuplicates: ctx.allowDuplicates,
    rows: identifying
      ? decisions.map((d) => ({
          row: d.row,
          values: Object.fromEntries(headers.map((h, i) => [h, prepared.get(d.row)?.cells[i] ?? '']).filter(([h]) => h)),
          problems: d.problems.map((p) => ({ column: p.column, field: p.field, code: p.code, message: problemMessage(opts.lang, p.code, p.params) })),
          matches: d.matches,
          duplicateOfRow: d.duplicateOfRow,
          outcome: OUTCOME_IN_PREVIEW[d.outcome],
        }))
      : [],
  };
}

const OUTCOME_IN_PREVIEW = { rejected: 'reject', created: 'create', filled: 'fill', renewed: 'renew', skipped: 'skip' } as const;

export interface StartImport {
  fileName: string;
  policy: ImportPolicy;
  mapping?: ImportMapping;
  overrides?: Record<string, ImportRowAction>;
}

/** Creates the import row in state 'uploading' (invisible to runners) and stores the file under it. */
export async function receiveFile(db: Db, actor: ImportActor, fileName: string, source: AsyncIterable<Buffer | Uint8Array>): Promise<{ id: string; file: StoredFile }> {
  const [row] = await db
    .insert(imports)
    .values({ tenantId: actor.tenantId, userId: actor.userId, engineName: '', fileName, format: 'csv', policy: 'skip', mapping: {}, state: 'uploading' })
    .returning({ id: imports.id });
  const id = row!.id;
  try {
    return { id, file: await storeFile(db, id, source) };
  } catch (err) {
    await discard(db, id);
    if (err instanceof NotASpreadsheet) throw notASpreadsheet(err);
    throw err;
  }
}

export const discard = (db: Db, id: string) => db.delete(imports).where(eq(imports.id, id)).then(() => undefined);

/**
 * Checks a received file (a sheet with a header and rows, a mapping with an identifying column)
 * and releases it to the runners ('pending'). Refused: the import row and its file are deleted.
 */
export async function confirmImport(db: Db, actor: ImportActor, id: string, file: StoredFile, start: StartImport): Promise<{ id: string }> {
  try {
    const ctx = await rowContext(db, actor.tenantId);
    if (start.overrides && !ctx.allowDuplicates && Object.values(start.overrides).includes('create')) {
      throw new AppError('duplicates_not_allowed', 'duplicates_not_allowed');
    }
    let first: TableRow[];
    try {
      first = await firstRows(storedTable(db, id, file), HEAD_ROWS + 1);
    } catch (err) {
      if (err instanceof NotASpreadsheet) throw notASpreadsheet(err);
      throw err;
    }
    const { header, data } = headOf(first, ctx.definitions, start.mapping);
    if (data.length === 0) throw new AppError('validation', 'import.no_rows');
    const mapping = checkMapping(start.mapping ?? recognizedMapping(header.cells, ctx.definitions), header.cells, ctx.definitions);
    const engineName = ctx.language === 'he' ? `ייבוא מאקסל: ${start.fileName}` : `Excel import: ${start.fileName}`;
    await db
      .update(imports)
      .set({
        state: 'pending',
        engineName: engineName.slice(0, 300),
        fileName: start.fileName,
        format: file.format,
        encoding: file.encoding,
        bytes: file.bytes,
        policy: start.policy,
        mapping,
        overrides: start.overrides ?? {},
        headerRow: header.rowNumber,
        rowsTotal: file.rows === null ? null : Math.max(file.rows - header.rowNumber, 0),
      })
      .where(eq(imports.id, id));
  } catch (err) {
    await discard(db, id);
    throw err;
  }
  importEvents.emit('created');
  return { id };
}

/** Receives and confirms in one go (the CLI, tests). */
export async function startImport(db: Db, actor: ImportActor, source: AsyncIterable<Buffer | Uint8Array>, start: StartImport): Promise<{ id: string }> {
  const { id, file } = await receiveFile(db, actor, start.fileName, source);
  return confirmImport(db, actor, id, file, start);
}

type ImportRow = typeof imports.$inferSelect;

/**
 * A running import whose lease has not been renewed for this long is shown as resuming: every
 * batch (a second or less) renews it, so its runner has stopped, and another takes it over once
 * the lease runs out.
 */
export const STALLED_SECONDS = 30;

function present(row: ImportRow): ImportStatus {
  const finished = row.state === 'done' || row.state === 'undone';
  // Rows, not bytes: a count made on upload, never below what is done (a CSV's count is an estimate).
  const rowsTotal = finished ? row.total : row.rowsTotal === null ? null : Math.max(row.rowsTotal, row.total);
  const progress = finished ? 1 : rowsTotal ? Math.min(row.total / rowsTotal, 0.99) : rowsTotal === 0 ? 0 : Math.min(row.progress, 0.99);
  const stalled = row.claimedAt !== null && Date.now() - row.claimedAt.getTime() > STALLED_SECONDS * 1000;
  return {
    id: row.id,
    state: row.state as ImportStatus['state'],
    fileName: row.fileName,
    policy: row.policy as ImportPolicy,
    total: row.total,
    created: row.created,
    filled: row.filled,
    renewed: row.renewed,
    skipped: row.skipped,
    rejected: row.rejected,
    progress,
    rowsDone: row.total,
    rowsTotal,
    resuming: row.state === 'running' && (row.resuming || stalled),
    error: row.error,
    createdBy: row.engineName,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    undoneAt: row.undoneAt?.toISOString() ?? null,
  };
}

export async function loadImport(db: Db, tenantId: string, id: string): Promise<ImportRow> {
  const [row] = await db.select().from(imports).where(and(eq(imports.tenantId, tenantId), eq(imports.id, id)));
  if (!row || row.state === 'uploading') throw new AppError('not_found', 'not_found.import');
  return row;
}

export async function getImport(db: Db, tenantId: string, id: string): Promise<ImportStatus> {
  return present(await loadImport(db, tenantId, id));
}

export async function listImports(db: Db, tenantId: string, limit: number): Promise<ImportStatus[]> {
  const list = await db
    .select()
    .from(imports)
    .where(and(eq(imports.tenantId, tenantId), sql`${imports.state} <> 'uploading'`))
    .orderBy(desc(imports.createdAt))
    .limit(limit);
  return list.map(present);
}

const UNDO_PAGE = 2000;

/**
 * Undo: deletes the cards the import created and puts back the previous values of the columns it
 * filled or renewed (latest row first, so a card changed by several rows ends as it was before
 * the first). One transaction: all or nothing.
 */
export async function undoImport(db: Db, tenantId: string, id: string): Promise<ImportUndone> {
  return db.transaction(async (tx) => {
    const [row] = await rows<{ state: string }>(tx, sql`select state from imports where id = ${id} and tenant_id = ${tenantId} and state <> 'uploading' for update`);
    if (!row) throw new AppError('not_found', 'not_found.import');
    if (row.state === 'undone') throw new AppError('conflict', 'import.already_undone');
    if (row.state !== 'done' && row.state !== 'failed') throw new AppError('conflict', 'import.not_finished');
    const deleted = await rows<{ id: string }>(
      tx,
      sql`delete from customers c using import_rows r
           where r.import_id = ${id} and r.outcome = 'created' and c.id = r.customer_id and c.tenant_id = ${tenantId}
          returning c.id`,
    );
    let restored = 0;
    let before: number | null = null;
    for (;;) {
      const page: { row_number: number; customer_id: string; previous: Record<string, unknown> }[] = await rows(
        tx,
        sql`select row_number, customer_id, previous from import_rows
             where import_id = ${id} and outcome in ('filled', 'renewed') and previous is not null
               ${before === null ? sql`` : sql`and row_number < ${before}`}
             order by row_number desc limit ${UNDO_PAGE}`,
      );
      if (page.length === 0) break;
      // Within a page, later rows first: the earliest row's previous values win.
      const merged = new Map<string, Record<string, unknown>>();
      for (const r of page) merged.set(r.customer_id, { ...(merged.get(r.customer_id) ?? {}), ...r.previous });
      restored += await updateCustomers(tx, tenantId, [...merged].map(([cid, values]) => ({ id: cid, values })));
      before = page[page.length - 1]!.row_number;
      if (page.length < UNDO_PAGE) break;
    }
    await tx.update(imports).set({ state: 'undone', undoneAt: sql`now()` }).where(eq(imports.id, id));
    return { id, deleted: deleted.length, restored };
  });
}
