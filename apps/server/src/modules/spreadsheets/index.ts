import { Readable, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { declaredSize } from './zip.js';

export { BrokenZip, bufferRange, checkXlsx, IMPORT_XLSX_LIMITS, MAIL_LIST_XLSX_LIMITS, type ByteRange, type XlsxCheck, type XlsxLimits } from './zip.js';

export type Cell = string | number | boolean | Date | null;

/**
 * Reads the first worksheet of an .xlsx stream row by row, with bounded memory (exceljs's
 * streaming reader, patched in patches/exceljs+*.patch to decode UTF-8 across chunk boundaries).
 * Yields each row's cell values (1-based columns become a 0-based array) with its row number.
 */
export async function* readXlsxRows(input: Readable): AsyncGenerator<{ rowNumber: number; values: Cell[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  // exceljs#3064: a workbook whose xl/workbook.xml comes after its sheets (every workbook exceljs
  // writes) can reach a sheet before the workbook's model is read, and the reader then throws
  // "Cannot read properties of undefined (reading 'sheets')" now and then. An empty model until
  // the real one is read only leaves the sheet's name unknown; the rows are what we read.
  const early = reader as unknown as { model?: { sheets?: unknown[] } };
  early.model ??= { sheets: [] };
  for await (const sheet of reader) {
    for await (const row of sheet) {
      const raw = (row.values as unknown[]).slice(1);
      yield { rowNumber: row.number, values: raw.map(cellValue) };
    }
    return; // the first worksheet only
  }
}

/**
 * The first worksheet of an .xlsx held in memory, row by row: exceljs's whole-file reader (for
 * small files, where memory is no concern and the streaming reader's races — exceljs#3064 — are
 * best avoided). Rows without values are passed over.
 */
export async function* readXlsxBuffer(file: Buffer): AsyncGenerator<{ rowNumber: number; values: Cell[] }> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(file as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  if (!sheet) return;
  for (let n = 1; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (!row.hasValues) continue;
    yield { rowNumber: n, values: Array.from((row.values as unknown[]).slice(1), cellValue) };
  }
}

function cellValue(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; text?: unknown; result?: unknown; formula?: string; error?: string; sharedString?: number };
    if (o.richText) return o.richText.map((r) => r.text ?? '').join('');
    if (o.text !== undefined) return cellValue(o.text);
    if (o.result !== undefined) return cellValue(o.result);
    if (o.formula !== undefined) return null; // a formula never calculated: no value
    if (o.error !== undefined) return String(o.error); // #N/A, #REF! …
    // A text cell whose shared string was never read (the table missing from the file): refuse
    // the file rather than read every such cell as "[object Object]".
    if (o.sharedString !== undefined) throw new Error(`the shared string ${o.sharedString} is missing from the file`);
  }
  return String(v);
}

/**
 * Writes rows to an .xlsx stream as they come (bounded memory). Text cells that a spreadsheet
 * would run as a formula (= + - @, tab, CR, NUL first) get a leading apostrophe so they stay text.
 */
export interface SheetColumn {
  width?: number;
  /** Excel number format, e.g. 'yyyy-mm-dd hh:mm' for a date column. */
  numFmt?: string;
}

export async function writeXlsx(
  output: Writable,
  sheetName: string,
  header: string[],
  rows: AsyncIterable<Cell[]> | Iterable<Cell[]>,
  opts: { rtl?: boolean; columns?: SheetColumn[] } = {},
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet(sheetName, { views: [{ rightToLeft: !!opts.rtl, state: 'frozen', ySplit: 1 }] });
  if (opts.columns) sheet.columns = opts.columns.map((c) => ({ width: c.width, style: c.numFmt ? { numFmt: c.numFmt } : {} }));
  const head = sheet.addRow(header.map(neutralize));
  head.font = { bold: true };
  head.commit();
  for await (const row of rows) sheet.addRow(row.map((c) => (typeof c === 'string' ? neutralize(c) : c))).commit();
  sheet.commit();
  await workbook.commit();
}

/** CSV/Excel formula injection: a text cell must not start with a formula trigger. */
export function neutralize(text: string): string {
  return /^[=+\-@\t\r\0]/.test(text) ? `'${text}` : text;
}

/** An .xlsx up to this size is read whole (exceljs's in-memory reader) — when it unpacks to at most SMALL_XLSX_UNPACKED; a larger one is streamed. */
export const SMALL_XLSX_BYTES = 2 * 1024 * 1024;
/** The in-memory reader takes about ten times the XML's size: only small workbooks go to it. */
export const SMALL_XLSX_UNPACKED = 16 * 1024 * 1024;

/**
 * The first sheet's rows of an .xlsx given as a stream, or whole: a small file whole is read
 * without the streaming reader, whose races (exceljs#3064: a sheet reached before the workbook
 * and its shared strings) can otherwise give a cell as an unresolved object now and then. "Small"
 * is judged on what it unpacks to (its central directory; callers check it with `checkXlsx`
 * first), never on the compressed size alone: a 1 MB file can unpack to hundreds of MB.
 */
export async function* readXlsx(input: Readable | Buffer): AsyncGenerator<{ rowNumber: number; values: Cell[] }> {
  if (!Buffer.isBuffer(input)) return yield* readXlsxRows(input);
  const unpacked = input.length <= SMALL_XLSX_BYTES ? await declaredSize(input) : null;
  if (unpacked !== null && unpacked <= SMALL_XLSX_UNPACKED) return yield* readXlsxBuffer(input);
  return yield* readXlsxRows(Readable.from([input]));
}
