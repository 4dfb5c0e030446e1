import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { countingStream, EncodingProbe, NotASpreadsheet, readTable, sniffFormat, type CsvEncoding, type FileFormat, type TableRow } from './read.js';
import { BrokenZip, bufferRange, checkXlsx, IMPORT_XLSX_LIMITS, SMALL_XLSX_BYTES, type ByteRange } from '../spreadsheets/index.js';

/**
 * The uploaded file lives in the database (import_chunks, 1 MB pieces): any server of a
 * PostgreSQL installation can run the import, and it survives a restart. Stored as it streams
 * in, read back piece by piece.
 */
export const CHUNK_BYTES = 1024 * 1024;

export interface StoredFile {
  format: FileFormat;
  encoding: CsvEncoding | null;
  bytes: number;
  /**
   * Rows in the file, counted on upload: a CSV's line breaks (a quoted line break counts too: an
   * estimate the import corrects as it goes), an .xlsx's first sheet's rows. Null: not counted.
   */
  rows: number | null;
}

/** Counts a text's line breaks as it streams by (LF, CRLF or a lone CR). */
class LineCounter {
  private lf = 0;
  private cr = 0;
  private last = -1;
  push(chunk: Uint8Array): void {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.lf++;
    for (let i = chunk.indexOf(13); i >= 0; i = chunk.indexOf(13, i + 1)) this.cr++;
    if (chunk.length) this.last = chunk[chunk.length - 1]!;
  }
  finish(): number {
    const breaks = Math.max(this.lf, this.cr);
    return this.last === -1 ? 0 : breaks + (this.last === 10 || this.last === 13 ? 0 : 1);
  }
}

/** What an .xlsx unpacks to, checked before it is parsed (413 when too much); its first sheet's rows. */
async function checkedXlsx(range: ByteRange, bytes: number): Promise<number | null> {
  try {
    return (await checkXlsx(range, bytes, IMPORT_XLSX_LIMITS)).rows;
  } catch (err) {
    if (err instanceof BrokenZip) throw new NotASpreadsheet('corrupt', err.message);
    throw err;
  }
}

/** Bytes of a stored upload, from its 1 MB pieces (those the range touches). */
const storedRange =
  (db: Db, importId: string): ByteRange =>
  async function* (start, end) {
    let offset = Math.floor(start / CHUNK_BYTES) * CHUNK_BYTES;
    for await (const data of chunksOf(db, importId, offset / CHUNK_BYTES)) {
      if (offset >= end) return;
      yield data.subarray(Math.max(0, start - offset), Math.min(data.length, end - offset));
      offset += data.length;
    }
  };

/** Stores an upload under an import row (which must exist), sniffing its format and a CSV's encoding on the way. */
export async function storeFile(db: Db, importId: string, source: AsyncIterable<Buffer | Uint8Array>): Promise<StoredFile> {
  let format: FileFormat | null = null;
  const probe = new EncodingProbe();
  const lines = new LineCounter();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let bytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    await db.execute(sql`insert into import_chunks (import_id, seq, data) values (${importId}, ${seq++}, ${data})`);
  };
  // The format is judged on the first 8 KB (a stream may hand over its first bytes in tiny pieces).
  let head: Buffer[] = [];
  let headBytes = 0;
  const take = async (chunk: Buffer) => {
    if (format === 'csv') {
      probe.push(chunk);
      lines.push(chunk);
    }
    bytes += chunk.length;
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(CHUNK_BYTES - pendingBytes, chunk.length - at);
      // A copy: a stream may reuse the memory of a chunk it has handed over.
      pending.push(Buffer.from(chunk.subarray(at, at + n)));
      pendingBytes += n;
      at += n;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
  };
  const decide = async () => {
    const first = Buffer.concat(head);
    head = [];
    format = sniffFormat(first);
    await take(first);
  };
  for await (const raw of source) {
    if (raw.length === 0) continue;
    if (format === null) {
      head.push(Buffer.from(raw));
      headBytes += raw.length;
      if (headBytes >= 8192) await decide();
      continue;
    }
    await take(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  }
  if (format === null && headBytes > 0) await decide();
  await flush();
  if (format === null) throw new NotASpreadsheet('binary', 'the file is empty');
  if (format === 'xlsx') return { format, encoding: null, bytes, rows: await checkedXlsx(storedRange(db, importId), bytes) };
  return { format, encoding: probe.finish(), bytes, rows: lines.finish() };
}

/** The stored file's pieces from piece `fromSeq` on, one query each (bounded memory). */
export async function* chunksOf(db: Db, importId: string, fromSeq = 0): AsyncGenerator<Buffer> {
  for (let seq = fromSeq; ; seq++) {
    const [row] = await rows<{ data: Buffer | Uint8Array }>(db, sql`select data from import_chunks where import_id = ${importId} and seq = ${seq}`);
    if (!row) return;
    // A copy: the embedded database may hand over a view of memory its next query reuses.
    yield Buffer.from(row.data);
  }
}

/** The stored file as rows; `onBytes` sees how much of it has been read. A small .xlsx is read whole. */
export async function* storedTable(db: Db, importId: string, file: Pick<StoredFile, 'format' | 'encoding' | 'bytes'>, onBytes: (n: number) => void = () => {}): AsyncGenerator<TableRow> {
  if (file.format === 'xlsx' && file.bytes <= SMALL_XLSX_BYTES) {
    const parts: Buffer[] = [];
    for await (const chunk of chunksOf(db, importId)) parts.push(chunk);
    const whole = Buffer.concat(parts);
    onBytes(whole.length);
    yield* readTable(whole, file.format, file.encoding);
    return;
  }
  yield* readTable(countingStream(chunksOf(db, importId), onBytes), file.format, file.encoding);
}

/** The first `n` rows of a table (stops reading after them). */
export async function firstRows(table: AsyncGenerator<TableRow>, n: number): Promise<TableRow[]> {
  const out: TableRow[] = [];
  try {
    for await (const row of table) {
      out.push(row);
      if (out.length >= n) break;
    }
  } finally {
    await table.return(undefined);
  }
  return out;
}

/** A file held in memory (the preview) as rows. */
export function bufferTable(file: Buffer, format: FileFormat, encoding: CsvEncoding | null): AsyncGenerator<TableRow> {
  return readTable(file, format, encoding);
}

/** The format and encoding of a file held in memory; an .xlsx is checked for what it unpacks to. */
export async function sniffBuffer(file: Buffer): Promise<StoredFile> {
  if (file.length === 0) throw new NotASpreadsheet('binary', 'the file is empty');
  const format = sniffFormat(file);
  if (format === 'xlsx') return { format, encoding: null, bytes: file.length, rows: await checkedXlsx(bufferRange(file), file.length) };
  const probe = new EncodingProbe();
  probe.push(file);
  const lines = new LineCounter();
  lines.push(file);
  return { format, encoding: probe.finish(), bytes: file.length, rows: lines.finish() };
}
