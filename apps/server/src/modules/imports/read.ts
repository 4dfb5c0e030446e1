import { Readable } from 'node:stream';
import { readXlsx, type Cell } from '../spreadsheets/index.js';

/**
 * Reading an uploaded spreadsheet row by row with bounded memory: .xlsx through exceljs's
 * streaming reader (readXlsxRows), .csv through the streaming parser below (quotes, commas /
 * semicolons / tabs, CRLF; UTF-8 with or without BOM, or Windows-1255).
 */
export type FileFormat = 'xlsx' | 'csv';
export type CsvEncoding = 'utf-8' | 'windows-1255';

export interface TableRow {
  /** The row as a spreadsheet numbers it (1-based; the header is usually row 1). */
  rowNumber: number;
  cells: string[];
}

/** Why a file cannot be read as a spreadsheet. */
export class NotASpreadsheet extends Error {
  constructor(readonly reason: 'xls' | 'binary' | 'corrupt', detail = '') {
    super(`not a spreadsheet (${reason})${detail ? `: ${detail}` : ''}`);
  }
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0];
const startsWith = (head: Uint8Array, magic: number[]) => magic.every((b, i) => head[i] === b);

/** What the first bytes of a file say it is. */
export function sniffFormat(head: Uint8Array): FileFormat {
  if (startsWith(head, ZIP)) return 'xlsx';
  if (startsWith(head, OLE)) throw new NotASpreadsheet('xls');
  // Text has no NUL bytes (a UTF-16 export would, too: refused as not readable).
  const sample = head.subarray(0, 8192);
  if (sample.includes(0)) throw new NotASpreadsheet('binary');
  if (/^%PDF|^\x89PNG|^\xFF\xD8\xFF|^GIF8/.test(Buffer.from(sample.subarray(0, 4)).toString('latin1'))) throw new NotASpreadsheet('binary');
  return 'csv';
}

/**
 * Decides a CSV's encoding as it streams by: UTF-8 unless some bytes are not valid UTF-8, then
 * Windows-1255 (Hebrew exports of older Excel and accounting software).
 */
export class EncodingProbe {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private valid = true;
  push(chunk: Uint8Array): void {
    if (!this.valid) return;
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.valid = false;
    }
  }
  finish(): CsvEncoding {
    if (this.valid) {
      try {
        this.decoder.decode();
      } catch {
        this.valid = false;
      }
    }
    return this.valid ? 'utf-8' : 'windows-1255';
  }
}

export function cellText(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
  }
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  return String(v).trim();
}

/**
 * Every row of the file's first sheet (or the CSV), cells as trimmed text. `input` is a stream,
 * or the whole file when it is at hand (a small .xlsx is then read without the streaming reader).
 */
export async function* readTable(input: Readable | Buffer, format: FileFormat, encoding: CsvEncoding | null): AsyncGenerator<TableRow> {
  if (format === 'xlsx') {
    const source = readXlsx(input);
    try {
      for await (const { rowNumber, values } of source) yield { rowNumber, cells: Array.from(values, cellText) };
    } catch (err) {
      if (err instanceof NotASpreadsheet) throw err;
      throw new NotASpreadsheet('corrupt', (err as Error).message);
    }
    return;
  }
  let n = 0;
  for await (const cells of parseCsv(decodeStream(Buffer.isBuffer(input) ? Readable.from([input]) : input, encoding ?? 'utf-8'))) {
    n++;
    yield { rowNumber: n, cells: cells.map((c) => c.trim()) };
  }
}

async function* decodeStream(input: AsyncIterable<Buffer | Uint8Array | string>, encoding: CsvEncoding): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { ignoreBOM: false });
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter of a CSV: the one that appears most often outside quotes in its first line. */
function detectDelimiter(firstLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * A streaming CSV parser (RFC 4180 and what spreadsheets write): fields in double quotes may
 * hold delimiters, line breaks and doubled quotes; records end at LF, CRLF or CR. The delimiter
 * (comma, semicolon or tab) is taken from the first line. Yields one array of fields per record.
 */
export async function* parseCsv(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let delimiter: string | null = null;
  let head = '';
  let field = '';
  let record: string[] = [];
  let quoted = false;
  /** The last character was a quote inside a quoted field (a doubled quote or the closing one). */
  let quoteSeen = false;
  let afterCr = false;
  let started = false;
  const out: string[][] = [];

  const endField = () => {
    record.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    out.push(record);
    record = [];
    started = false;
  };

  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (afterCr) {
        afterCr = false;
        if (ch === '\n') continue;
      }
      if (quoted) {
        if (quoteSeen) {
          quoteSeen = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          quoted = false; // the closing quote: fall through to the unquoted handling
        } else if (ch === '"') {
          quoteSeen = true;
          continue;
        } else {
          field += ch;
          continue;
        }
      }
      if (ch === '"' && field === '' && !quoteSeen) {
        quoted = true;
        started = true;
        continue;
      }
      if (ch === delimiter) {
        started = true;
        endField();
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') afterCr = true;
        endRecord();
      } else {
        started = true;
        field += ch;
      }
    }
  };

  for await (let text of chunks) {
    if (delimiter === null) {
      head += text;
      const eol = head.search(/[\r\n]/);
      if (eol < 0 && head.length < 64 * 1024) continue;
      head = head.replace(/^\uFEFF/, '');
      delimiter = detectDelimiter(eol < 0 ? head : head.slice(0, head.search(/[\r\n]/)));
      text = head;
      head = '';
    }
    feed(text);
    if (out.length) yield* out.splice(0);
  }
  if (delimiter === null) {
    head = head.replace(/^\uFEFF/, '');
    delimiter = detectDelimiter(head);
    feed(head);
  }
  if (quoted && quoteSeen) quoted = false;
  if (started || field !== '' || record.length) endRecord();
  yield* out.splice(0);
}

/** A readable over async chunks, counting the bytes handed on (the import's progress). */
export function countingStream(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): Readable {
  async function* counted() {
    for await (const chunk of source) {
      onBytes(chunk.length);
      yield chunk;
    }
  }
  return Readable.from(counted(), { objectMode: false });
}
