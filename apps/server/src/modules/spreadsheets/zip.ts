import { createInflateRaw } from 'node:zlib';
import { AppError } from '../../http/errors.js';

/**
 * Bounds on what an .xlsx (a zip) may unpack to, checked before any spreadsheet parser sees it:
 * a 1.4 MB file can hold a sheet of 400 MB of XML (a decompression bomb), which exceljs would
 * read into gigabytes of memory for a minute. The central directory gives the entry count and the
 * declared sizes; the entries are then inflated once (zlib's streaming inflater: the work runs on
 * libuv's thread pool, off the event loop), their bytes counted and thrown away, since a declared
 * size can lie. On the way the first sheet's rows are counted (the import's rows to do).
 */
export interface XlsxLimits {
  /** Entries in the zip. */
  maxEntries: number;
  /** Uncompressed bytes of all entries, at most … */
  maxBytes: number;
  /** … and at most this many times the file's own size (but `floorBytes` is always allowed). */
  maxRatio: number;
  floorBytes: number;
}

const MB = 1024 * 1024;

/** An upload to import (up to 200 MB): generous, since real sheets unpack to 5–20 times their size. */
export const IMPORT_XLSX_LIMITS: XlsxLimits = { maxEntries: 2000, maxBytes: 2048 * MB, maxRatio: 100, floorBytes: 64 * MB };
/** A mailing list (up to 20 MB), read whole in memory: tighter. */
export const MAIL_LIST_XLSX_LIMITS: XlsxLimits = { maxEntries: 2000, maxBytes: 256 * MB, maxRatio: 100, floorBytes: 32 * MB };

/** Bytes of the file from `start` to `end` (exclusive), in pieces. */
export type ByteRange = (start: number, end: number) => AsyncIterable<Buffer>;

export const bufferRange =
  (file: Buffer): ByteRange =>
  async function* (start, end) {
    yield file.subarray(start, end);
  };

interface Entry {
  name: string;
  method: number;
  compressed: number;
  uncompressed: number;
  offset: number;
}

const tooLarge = (limit: number) => new AppError('payload_too_large', 'spreadsheet.unpacks_too_large', { mb: Math.round(limit / MB) });
const tooManyEntries = (n: number) => new AppError('payload_too_large', 'spreadsheet.too_many_parts', { n });
/** Not a readable zip: each caller answers with its own "not a spreadsheet" refusal. */
export class BrokenZip extends Error {}
const broken = (detail: string) => new BrokenZip(`not a readable .xlsx: ${detail}`);

async function collect(range: ByteRange, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of range(start, end)) parts.push(p);
  return Buffer.concat(parts);
}

/** The entries of the zip's central directory (its end record is in the last 64 KB). */
async function centralDirectory(range: ByteRange, size: number, limits: XlsxLimits): Promise<Entry[]> {
  const tailStart = Math.max(0, size - (65_535 + 22));
  const tail = await collect(range, tailStart, size);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw broken('no end of central directory');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  // Zip64 (0xFFFF / 0xFFFFFFFF markers): no spreadsheet within our limits needs it.
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw tooManyEntries(count);
  if (count > limits.maxEntries) throw tooManyEntries(count);
  if (cdOffset + cdSize > size) throw broken('central directory out of the file');
  const cd = await collect(range, cdOffset, cdOffset + cdSize);
  const entries: Entry[] = [];
  for (let at = 0; at + 46 <= cd.length && entries.length < count; ) {
    if (cd.readUInt32LE(at) !== 0x02014b50) throw broken('bad central directory entry');
    const nameLength = cd.readUInt16LE(at + 28);
    const extra = cd.readUInt16LE(at + 30);
    const comment = cd.readUInt16LE(at + 32);
    entries.push({
      method: cd.readUInt16LE(at + 10),
      compressed: cd.readUInt32LE(at + 20),
      uncompressed: cd.readUInt32LE(at + 24),
      offset: cd.readUInt32LE(at + 42),
      name: cd.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extra + comment;
  }
  if (entries.length > limits.maxEntries) throw tooManyEntries(entries.length);
  return entries;
}

/** Counts `<row` (and `<x:row`) starts in XML that comes in pieces. */
class RowCounter {
  rows = 0;
  private carry = '';
  push(chunk: Buffer): void {
    const text = this.carry + chunk.toString('latin1');
    const found = text.match(/<(?:\w+:)?row[\s>/]/g);
    if (found) this.rows += found.length;
    // A tag cut at the end of the piece is counted with the next one.
    const lt = text.lastIndexOf('<');
    this.carry = lt >= 0 && text.length - lt < 16 ? text.slice(lt) : '';
    if (this.carry && /^<(?:\w+:)?row[\s>/]/.test(this.carry)) this.rows--;
  }
}

/** Inflates one entry, counting its bytes (thrown away); refuses once it passes `allowed`. */
async function inflatedSize(range: ByteRange, entry: Entry, size: number, allowed: number, limit: number, counter: RowCounter | null): Promise<number> {
  const head = await collect(range, entry.offset, Math.min(entry.offset + 30, size));
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) throw broken(`bad local header of ${entry.name}`);
  const start = entry.offset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const end = start + entry.compressed;
  if (end > size) throw broken(`${entry.name} goes past the end of the file`);
  if (entry.method === 0) {
    if (entry.compressed > allowed) throw tooLarge(limit);
    if (counter) for await (const piece of range(start, end)) counter.push(piece);
    return entry.compressed;
  }
  if (entry.method !== 8) throw broken(`${entry.name}: compression method ${entry.method}`);
  const inflater = createInflateRaw();
  let out = 0;
  let failure: Error | null = null;
  inflater.on('data', (piece: Buffer) => {
    out += piece.length;
    if (out > allowed && !failure) {
      failure = tooLarge(limit);
      inflater.destroy();
    } else counter?.push(piece);
  });
  const done = new Promise<void>((resolve, reject) => {
    inflater.on('end', resolve);
    inflater.on('close', () => (failure ? reject(failure) : resolve()));
    inflater.on('error', (err) => reject(failure ?? broken(`${entry.name}: ${err.message}`)));
  });
  done.catch(() => undefined);
  for await (const piece of range(start, end)) {
    if (failure) break;
    if (!inflater.write(piece)) await new Promise((resolve) => inflater.once('drain', resolve).once('close', resolve));
  }
  if (!failure) inflater.end();
  await done;
  if (failure) throw failure;
  return out;
}

export interface XlsxCheck {
  /** Uncompressed bytes of all entries (counted, not declared). */
  unpacked: number;
  /** Rows in the first worksheet's XML (rows without values included), or null when it was not found. */
  rows: number | null;
}

/** Checks an .xlsx against `limits` before it is parsed: 413 with a clear message when it unpacks to too much. */
export async function checkXlsx(range: ByteRange, size: number, limits: XlsxLimits): Promise<XlsxCheck> {
  const limit = Math.min(limits.maxBytes, Math.max(limits.floorBytes, size * limits.maxRatio));
  const entries = await centralDirectory(range, size, limits);
  const declared = entries.reduce((n, e) => n + e.uncompressed, 0);
  if (declared > limit) throw tooLarge(limit);
  const sheets = entries.filter((e) => /^xl\/worksheets\/[^/]+\.xml$/i.test(e.name)).map((e) => e.name);
  const first = sheets.find((n) => /sheet1\.xml$/i.test(n)) ?? sheets.sort()[0];
  let unpacked = 0;
  let rows: number | null = null;
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const counter = entry.name === first ? new RowCounter() : null;
    // An entry may unpack to what it declared (a little more is a lie) and never past the whole's limit.
    const allowed = Math.min(limit - unpacked, entry.uncompressed + 64 * 1024);
    unpacked += await inflatedSize(range, entry, size, allowed, limit, counter);
    if (counter) rows = counter.rows;
  }
  return { unpacked, rows };
}

/** The uncompressed size the zip's central directory declares (null when it cannot be read): to choose a reader. */
export async function declaredSize(file: Buffer): Promise<number | null> {
  try {
    const entries = await centralDirectory(bufferRange(file), file.length, { maxEntries: Infinity, maxBytes: Infinity, maxRatio: Infinity, floorBytes: 0 });
    return entries.reduce((n, e) => n + e.uncompressed, 0);
  } catch {
    return null;
  }
}
