import type { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import {
  CARD_COLUMN_LABELS,
  DEFAULT_EXPORT_COLUMNS,
  ID_TYPE_LABELS,
  STATUS_LABELS,
  type CardColumn,
  type CustomerExportQuery,
  type CustomFieldDefinition,
  type StatusId,
} from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError, invalid } from '../../http/errors.js';
import { listDefinitions } from '../custom-fields/service.js';
import { writeXlsx, type Cell, type SheetColumn } from '../spreadsheets/index.js';
import { customersInOrder, type CustomerRecordRow } from './list.js';

/**
 * The Excel export of a list (SPEC §6): the list's filters and sort, chosen columns, headers and
 * values in the user's language, streamed page by page (bounded memory at any size). Dates are
 * the tenant's wall-clock time (its first branch's time zone) as real Excel dates. Every text
 * cell that a spreadsheet would run as a formula is neutralised by `writeXlsx`.
 */
type Lang = 'he' | 'en';

interface Column {
  header: string;
  sheet?: SheetColumn;
  value(row: CustomerRecordRow): Cell;
}

const text = (v: unknown): Cell => (v === null || v === undefined || v === '' ? null : String(v));
const list = (v: unknown): Cell => (Array.isArray(v) && v.length ? v.join(', ') : null);
/** A timestamp already turned into wall-clock text by the query ('YYYY-MM-DDTHH:MI:SS'): an Excel date. */
const wallClock = (v: unknown): Cell => (typeof v === 'string' ? new Date(`${v}Z`) : null);
const DATE_TIME: SheetColumn = { numFmt: 'yyyy-mm-dd hh:mm', width: 17 };

/** The card columns, each reading its value from a row of `customersInOrder`. */
function cardColumn(key: CardColumn, lang: Lang, branchNames: Map<string, string>): Column {
  const header = CARD_COLUMN_LABELS[key][lang];
  const col = (value: (r: CustomerRecordRow) => Cell, sheet?: SheetColumn): Column => ({ header, value, sheet });
  switch (key) {
    case 'customerNumber':
      return col((r) => Number(r.customer_number), { width: 12 });
    case 'status':
      return col((r) => STATUS_LABELS[r.status as StatusId]?.[lang] ?? text(r.status), { width: 18 });
    case 'fullName':
      return col((r) => text([r.first_name, r.last_name].filter(Boolean).join(' ')), { width: 24 });
    case 'branch':
      return col((r) => (r.branch_id ? (branchNames.get(r.branch_id as string) ?? null) : null), { width: 14 });
    case 'idType':
      return col((r) => (r.id_type ? (ID_TYPE_LABELS[r.id_type as string]?.[lang] ?? text(r.id_type)) : null));
    case 'phones':
      return col((r) => list(r.phones), { width: 20 });
    case 'emails':
      return col((r) => list(r.emails), { width: 24 });
    case 'latitude':
    case 'longitude':
      return col((r) => (r[key] === null || r[key] === undefined ? null : Number(r[key])));
    case 'parentNumber':
      return col((r) => (r.parent_number === null || r.parent_number === undefined ? null : Number(r.parent_number)));
    case 'createdAt':
      return col((r) => wallClock(r.created_local), DATE_TIME);
    case 'updatedAt':
      return col((r) => wallClock(r.updated_local), DATE_TIME);
    default: {
      const column = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const width = key === 'email' ? 26 : key === 'phone' || key === 'firstName' || key === 'lastName' ? 16 : undefined;
      return col((r) => text(r[column]), width ? { width } : undefined);
    }
  }
}

function spareColumn(def: CustomFieldDefinition, lang: Lang): Column {
  const header = lang === 'he' ? def.labelHe : def.labelEn;
  return {
    header,
    sheet: def.type === 'date' ? { numFmt: 'yyyy-mm-dd', width: 12 } : undefined,
    value: (r) => {
      const v = (r.custom as Record<string, unknown> | null)?.[def.key];
      if (v === null || v === undefined || v === '') return null;
      if (def.type === 'number') return Number(v);
      if (def.type === 'checkbox') return v === true ? (lang === 'he' ? 'כן' : 'Yes') : lang === 'he' ? 'לא' : 'No';
      if (def.type === 'date' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return new Date(`${v}T00:00:00Z`);
      return String(v);
    },
  };
}

export interface CustomerExport {
  fileName: string;
  /** Writes the workbook to `out`; resolves when the last byte is written. */
  write(out: Writable): Promise<void>;
  /** The download was dropped: stop reading and free the export's place. */
  abort(): void;
}

/** Full exports running at once, per user and per database (this process). */
export const EXPORT_LIMITS = { perUser: 2, perTenant: 4 };

/**
 * Places for running exports: an export reads the whole list page by page and writes a workbook,
 * so a few of them at once would hold the database and the event loop away from everyone else's
 * searches. A caller over its share is told to wait (429) rather than slowing every user.
 */
class ExportPlaces {
  private readonly running = new Map<string, number>();
  take(userKey: string, tenantId: string): () => void {
    const keys = [`u:${userKey}`, `t:${tenantId}`];
    if ((this.running.get(keys[0]!) ?? 0) >= EXPORT_LIMITS.perUser) throw new AppError('too_many_requests', 'export.too_many_user', { n: EXPORT_LIMITS.perUser });
    if ((this.running.get(keys[1]!) ?? 0) >= EXPORT_LIMITS.perTenant) throw new AppError('too_many_requests', 'export.too_many_tenant', { n: EXPORT_LIMITS.perTenant });
    for (const k of keys) this.running.set(k, (this.running.get(k) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      for (const k of keys) {
        const n = (this.running.get(k) ?? 1) - 1;
        if (n > 0) this.running.set(k, n);
        else this.running.delete(k);
      }
    };
  }
}
const places = new ExportPlaces();

/** Who exports: the database, its phone region, and the user (or API key) the place is counted for. */
export interface Exporter {
  tenantId: string;
  region: string;
  userKey: string;
}

/** Rows per page of an export: small pages keep each query short, so other users' queries get their turn between them. */
const EXPORT_PAGE = 1000;
/** Rows written between two turns of the event loop. */
const YIELD_EVERY = 200;

/**
 * Prepares an export: a place taken (429 over the limits), the columns and the filter checked and
 * the first page read before the first byte, so a bad column or filter is a 400, never a cut download.
 */
export async function exportCustomers(db: Db, who: Exporter, query: CustomerExportQuery, lang: Lang): Promise<CustomerExport> {
  const release = places.take(who.userKey, who.tenantId);
  try {
    return await prepare(db, who, query, lang, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function prepare(db: Db, { tenantId, region }: Exporter, query: CustomerExportQuery, lang: Lang, release: () => void): Promise<CustomerExport> {
  const wanted = query.columns ?? DEFAULT_EXPORT_COLUMNS;
  const [definitions, branches] = await Promise.all([
    listDefinitions(db, tenantId),
    rows<{ id: string; name: string; timezone: string }>(db, sql`select id, name, timezone from branches where tenant_id = ${tenantId} order by created_at`),
  ]);
  const branchNames = new Map(branches.map((b) => [b.id, b.name]));
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const unknown = wanted.filter((c) => c.startsWith('cf.') && !byKey.has(c.slice(3)));
  if (unknown.length) throw invalid([{ path: 'columns', code: 'unknown_column', params: { field: unknown.join(', ') } }]);
  const columns = wanted.map((c) => (c.startsWith('cf.') ? spareColumn(byKey.get(c.slice(3))!, lang) : cardColumn(c as CardColumn, lang, branchNames)));

  // The tenant's wall clock: its first branch's time zone.
  const timezone = branches[0]?.timezone ?? 'Asia/Jerusalem';
  const local = (col: string) => sql.raw(`to_char(c.${col} at time zone `);
  const extra = sql.join(
    [
      sql`${local('created_at')}${timezone}, 'YYYY-MM-DD"T"HH24:MI:SS') as created_local`,
      sql`${local('updated_at')}${timezone}, 'YYYY-MM-DD"T"HH24:MI:SS') as updated_local`,
      ...(wanted.includes('parentNumber') ? [sql`(select p.customer_number from customers p where p.id = c.parent_id) as parent_number`] : []),
    ],
    sql`, `,
  );

  const read = new Set<string>();
  for (const c of wanted) {
    if (c.startsWith('cf.')) read.add('custom');
    else if (c === 'fullName') read.add('first_name').add('last_name');
    else if (c === 'branch') read.add('branch_id');
    else if (!['createdAt', 'updatedAt', 'parentNumber'].includes(c)) read.add(c.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`));
  }

  const pages = customersInOrder(db, tenantId, region, query, { extra, columns: [...read], pageSize: EXPORT_PAGE });
  // The first page before the first byte: the filter's errors (an unknown spare field …) are a 400 here.
  let page = await pages.next();
  let aborted = false;
  async function* cells(): AsyncGenerator<Cell[]> {
    try {
      let n = 0;
      while (!page.done && !aborted) {
        for (const row of page.value) {
          yield columns.map((c) => c.value(row));
          // Every few hundred rows, the event loop's other work (other users' requests) comes first.
          if (++n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        page = await pages.next();
      }
    } finally {
      await pages.return(undefined);
    }
  }
  const day = new Date().toISOString().slice(0, 10);
  return {
    fileName: `customers-${day}.xlsx`,
    write: (out) =>
      writeXlsx(out, lang === 'he' ? 'לקוחות' : 'Customers', columns.map((c) => c.header), cells(), { rtl: lang === 'he', columns: columns.map((c) => c.sheet ?? {}) }).finally(release),
    abort: () => {
      aborted = true;
      release();
    },
  };
}
