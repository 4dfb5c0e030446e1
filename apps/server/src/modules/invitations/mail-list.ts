import { sql } from 'drizzle-orm';
import { MAIL_LIST_KEYS, type MailListUpload } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { normalizeEmail, normalizeIdNumber } from '../customers/normalize.js';
import { BrokenZip, bufferRange, checkXlsx, MAIL_LIST_XLSX_LIMITS, readXlsx, type Cell } from '../spreadsheets/index.js';

/**
 * A list of customers from an uploaded .xlsx (the invitation / bulk email wizard): the header
 * row says which column holds the customer number, the email or the ID number; every row is
 * matched to a card of the tenant by the first of those it fills that names exactly one card
 * (customer number → ID number → email: a number from another system falls back to the email),
 * set-based, a few thousand rows per query. Rows that match nothing (or several cards) are
 * listed with their row number; a customer named twice is listed as a duplicate.
 */
type Key = (typeof MAIL_LIST_KEYS)[number];

/** Headers as people write them, normalised (lower case, no quotes / dots / dashes / extra spaces). */
const HEADERS: Record<Key, string[]> = {
  customer_number: ['customer number', 'customer no', 'customer num', 'customer #', 'client number', 'client no', 'מספר לקוח', 'מס לקוח', 'לקוח מספר', 'קוד לקוח', 'מספר הלקוח'],
  email: ['email', 'e mail', 'mail', 'email address', 'e mail address', 'דואל', 'דואר אלקטרוני', 'אימייל', 'מייל', 'כתובת דואל', 'כתובת מייל', 'כתובת אימייל'],
  id_number: ['id number', 'id no', 'id', 'company number', 'passport', 'passport number', 'תז', 'תעודת זהות', 'מספר זהות', 'מס זהות', 'חפ', 'מספר חפ', 'תז חפ', 'תז / חפ', 'מספר תז', 'דרכון', 'עוסק מורשה'],
};
const NAME_HEADERS = ['name', 'full name', 'customer name', 'client name', 'שם', 'שם מלא', 'שם לקוח', 'שם הלקוח'];
const FIRST_NAME = ['first name', 'שם פרטי'];
const LAST_NAME = ['last name', 'surname', 'family name', 'שם משפחה', 'משפחה'];
const ORDER: Key[] = ['customer_number', 'id_number', 'email'];
const BATCH = 5000;
const MAX_TITLE_LINES = 3;
const noKeyColumn = (cells: string[]) =>
  new AppError('validation', 'mail_list.no_key_column', { found: cells.filter(Boolean).map((c) => `"${c}"`).join(', ') });

export function normalizeHeader(text: string): string {
  return text
    .toLowerCase()
    .replace(/["'`״׳.:]/g, '')
    .replace(/[_\-–]/g, ' ')
    .replace(/\s*\/\s*/g, ' / ')
    .replace(/\s+/g, ' ')
    .trim();
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const notXlsx = (detail: string) => new AppError('validation', 'mail_list.not_xlsx', {}, { body: { detail } });

const text = (v: Cell | undefined): string => {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).trim();
};

/** A filled key cell of a row, as the lookup wants it. */
interface Candidate {
  key: Key;
  raw: string;
  /** Normalised values to look up (an ID number may be stored padded or not). */
  values: string[];
}

interface Pending {
  row: number;
  /** The row's usable key cells, in the order they are tried (customer number → ID number → email). */
  candidates: Candidate[];
  name: string | null;
}

/** A key cell as the lookup wants it, or null when it cannot name a card (invalid_value). */
function lookupValues(key: Key, raw: string): string[] | null {
  if (key === 'customer_number') {
    const digits = raw.replace(/[\s,]/g, '').replace(/\.0+$/, '');
    return /^\d{1,15}$/.test(digits) ? [String(Number(digits))] : null;
  }
  if (key === 'email') {
    const e = normalizeEmail(raw);
    return e && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e) ? [e] : null;
  }
  if (/[A-Za-z]/.test(raw)) {
    const passport = raw.replace(/[\s-]/g, '').toUpperCase();
    return /^[A-Z0-9]{4,20}$/.test(passport) ? [passport] : null;
  }
  const digits = raw.replace(/\D/g, '');
  if (!digits || digits.length > 20) return null;
  return [...new Set([normalizeIdNumber(digits, null)!, digits])];
}

/** Reads and matches an uploaded workbook (the whole file is in `file`: uploads are capped). */
export async function matchMailList(db: Db, tenantId: string, file: Buffer): Promise<MailListUpload> {
  if (file.length < 4 || !file.subarray(0, 4).equals(ZIP_MAGIC)) throw notXlsx('it is not a zip archive (an .xlsx file is one)');
  // Entry names are stored in clear in a zip: a workbook has xl/workbook.xml (a .docx, say, has not).
  if (!file.includes('xl/workbook.xml')) throw notXlsx('the archive has no workbook (xl/workbook.xml)');
  // What it unpacks to is bounded before it is parsed (a decompression bomb is refused with 413).
  try {
    await checkXlsx(bufferRange(file), file.length, MAIL_LIST_XLSX_LIMITS);
  } catch (err) {
    if (err instanceof BrokenZip) throw notXlsx(err.message);
    throw err;
  }

  const out: MailListUpload = { customerIds: [], matched: 0, rows: 0, keyColumns: [], unmatched: [], duplicates: [] };
  const firstRowOf = new Map<string, number>();
  let columns: { key: Key; column: number }[] | null = null;
  let nameOf: (values: Cell[]) => string | null = () => null;
  let sawAnything = false;
  const titles: string[] = [];
  let pending: Pending[] = [];

  const flush = async () => {
    if (pending.length === 0) return;
    const found = await lookup(db, tenantId, pending);
    for (const [i, p] of pending.entries()) {
      // The first key that names exactly one card wins; a number from another system falls back to the email.
      const tried = p.candidates.map((c, j) => ({ raw: c.raw, ids: found.get(`${i}:${j}`) ?? [] }));
      const hit = tried.find((r) => r.ids.length === 1);
      if (!hit) {
        const several = tried.find((r) => r.ids.length > 1);
        out.unmatched.push({ row: p.row, value: (several ?? tried[0]!).raw, reason: several ? 'ambiguous' : 'not_found', name: p.name });
        continue;
      }
      const id = hit.ids[0]!;
      const first = firstRowOf.get(id);
      if (first !== undefined) out.duplicates.push({ row: p.row, value: hit.raw, firstRow: first });
      else {
        firstRowOf.set(id, p.row);
        out.customerIds.push(id);
      }
    }
    pending = [];
  };

  try {
    for await (const { rowNumber, values } of readXlsx(file)) {
      const cells = values.map(text);
      if (!cells.some(Boolean)) continue;
      sawAnything = true;
      if (!columns) {
        const headers = cells.map(normalizeHeader);
        columns = [];
        for (const key of ORDER) {
          const column = headers.findIndex((h) => HEADERS[key].includes(h));
          if (column >= 0) {
            columns.push({ key, column });
            out.keyColumns.push({ key, header: cells[column]!, column: column + 1 });
          }
        }
        if (columns.length === 0) {
          // A title line above the header ("רשימת לקוחות לדיוור": one filled cell) is passed over, a few at most.
          titles.push(...cells.filter(Boolean));
          if (cells.filter(Boolean).length === 1 && titles.length <= MAX_TITLE_LINES) {
            columns = null;
            continue;
          }
          throw noKeyColumn(cells);
        }
        const full = headers.findIndex((h) => NAME_HEADERS.includes(h));
        const first = headers.findIndex((h) => FIRST_NAME.includes(h));
        const last = headers.findIndex((h) => LAST_NAME.includes(h));
        if (full >= 0) nameOf = (v) => text(v[full]) || null;
        else if (first >= 0 || last >= 0) nameOf = (v) => [first, last].filter((c) => c >= 0).map((c) => text(v[c])).filter(Boolean).join(' ') || null;
        continue;
      }
      out.rows++;
      const filled = columns.filter((c) => cells[c.column]);
      const name = nameOf(values);
      if (filled.length === 0) {
        out.unmatched.push({ row: rowNumber, value: '', reason: 'no_key', name });
        continue;
      }
      const candidates = filled.flatMap(({ key, column }): Candidate[] => {
        const raw = cells[column]!;
        const lookupAs = lookupValues(key, raw);
        return lookupAs ? [{ key, raw, values: lookupAs }] : [];
      });
      if (candidates.length === 0) {
        out.unmatched.push({ row: rowNumber, value: cells[filled[0]!.column]!, reason: 'invalid_value', name });
        continue;
      }
      pending.push({ row: rowNumber, candidates, name });
      if (pending.length >= BATCH) await flush();
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw notXlsx(`it could not be read: ${(err as Error).message}`);
  }
  if (!sawAnything) throw new AppError('validation', 'mail_list.empty');
  if (!columns) throw noKeyColumn(titles);
  if (out.rows === 0) throw new AppError('validation', 'mail_list.no_rows');
  await flush();
  out.unmatched.sort((a, b) => a.row - b.row);
  out.matched = out.customerIds.length;
  return out;
}

/** The cards each key cell of the pending rows names (by `<row index>:<candidate index>`), one query per batch. */
async function lookup(db: Db, tenantId: string, batch: Pending[]): Promise<Map<string, string[]>> {
  const input = JSON.stringify(batch.flatMap((p, i) => p.candidates.flatMap((c, j) => c.values.map((v) => ({ i, j, k: c.key, v })))));
  const found = await rows<{ i: number; j: number; id: string }>(
    db,
    sql`with x as (select * from jsonb_to_recordset(${input}::jsonb) as x(i int, j int, k text, v text))
        select x.i, x.j, c.id from x join customers c on c.tenant_id = ${tenantId} and c.customer_number = (case when x.k = 'customer_number' then x.v::bigint end) where x.k = 'customer_number'
        union
        select x.i, x.j, c.customer_id as id from x join customer_keys c on c.tenant_id = ${tenantId} and c.kind = x.k and c.value = x.v where x.k in ('email', 'id_number')`,
  );
  const out = new Map<string, string[]>();
  for (const r of found) out.set(`${r.i}:${r.j}`, [...(out.get(`${r.i}:${r.j}`) ?? []), r.id]);
  return out;
}
