import { createRequire } from 'node:module';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/errors.js';
import { bufferRange, checkXlsx, IMPORT_XLSX_LIMITS, neutralize, readXlsx, readXlsxRows, writeXlsx, type Cell } from './index.js';
import { makeXlsx } from './testing.js';
import { HEBREW_FIRST, HEBREW_LAST, rng } from '../demo/builders.js';

async function roundTrip(header: string[], rows: Cell[][]): Promise<Cell[][]> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeXlsx(out, 'רשימה', header, rows, { rtl: true });
  const back: Cell[][] = [];
  // Feed the reader in small, odd-sized chunks so that multi-byte characters straddle chunk borders.
  const file = Buffer.concat(chunks);
  const pieces = function* () {
    for (let i = 0; i < file.length; i += 4099) yield file.subarray(i, i + 4099);
  };
  for await (const row of readXlsxRows(Readable.from(pieces()))) back.push(row.values);
  return back;
}

describe('spreadsheets', () => {
  it('round-trips 100k Hebrew rows with zero damaged cells', async () => {
    const r = rng(42);
    const rows: Cell[][] = Array.from({ length: 100_000 }, (_, i) => [
      `${HEBREW_FIRST[Math.floor(r() * HEBREW_FIRST.length)]} ${HEBREW_LAST[Math.floor(r() * HEBREW_LAST.length)]}`,
      `רחוב ${HEBREW_LAST[i % HEBREW_LAST.length]} ${i}, תל אביב-יפו — דירה ״${i % 97}״`,
      i,
    ]);
    const back = await roundTrip(['שם', 'כתובת', 'מספר'], rows);
    expect(back[0]).toEqual(['שם', 'כתובת', 'מספר']);
    const data = back.slice(1);
    expect(data).toHaveLength(rows.length);
    let damaged = 0;
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < 3; j++) if (data[i]![j] !== rows[i]![j]) damaged++;
    }
    expect(JSON.stringify(data).includes('\uFFFD')).toBe(false);
    expect(damaged).toBe(0);
  }, 120_000);

  it('neutralises formula triggers in text cells', async () => {
    for (const bad of ['=1+1', '+972', '-5', '@SUM(A1)', '\tx', '\rx', '\0x']) expect(neutralize(bad)).toBe(`'${bad}`);
    expect(neutralize('שלום')).toBe('שלום');
    const back = await roundTrip(['a'], [['=HYPERLINK("http://evil")'], [5]]);
    expect(back[1]).toEqual(['\'=HYPERLINK("http://evil")']);
    expect(back[2]).toEqual([5]);
  });
});

describe('streaming reader: the entries after a large sheet', () => {
  /** An .xlsx as Excel lays it out: the sheet first, its shared strings (and xl/workbook.xml) after it. */
  async function excelLikeFile(rows: number): Promise<Buffer> {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('לקוחות');
    sheet.addRow(['שם', 'טלפון', 'עיר']);
    const cities = ['תל אביב', 'ירושלים', 'חיפה'];
    for (let i = 0; i < rows; i++) sheet.addRow([`לקוח ${i % 7}`, 500_000_000 + i, cities[i % 3]]);
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  it('hands over every zip entry even when the consumer is slow (unzipper ends early; the cause of "[object Object]" cells)', async () => {
    const file = await excelLikeFile(20_000);
    const require = createRequire(import.meta.url);
    const unzip = require('unzipper') as { Parse(o: object): NodeJS.ReadWriteStream };
    const iterateZip = require('exceljs/lib/utils/iterate-zip') as (zip: NodeJS.ReadWriteStream) => AsyncIterable<{ path: string; autodrain(): void; pipe<T extends NodeJS.WritableStream>(w: T): T }>;
    const zip = unzip.Parse({ forceStream: true });
    Readable.from([file]).pipe(zip);
    const seen: string[] = [];
    for await (const entry of iterateZip(zip)) {
      seen.push(entry.path);
      if (entry.path === 'xl/worksheets/sheet1.xml') {
        // Busy with the sheet (as exceljs is, spooling it to a temporary file) while unzipper reads on to the end.
        await finished(entry.pipe(new PassThrough()).resume());
        await new Promise((r) => setTimeout(r, 100));
      }
      entry.autodrain();
    }
    expect(seen.indexOf('xl/sharedStrings.xml')).toBeGreaterThan(seen.indexOf('xl/worksheets/sheet1.xml'));
    expect(seen).toContain('xl/workbook.xml');
  });

  it('reads a file whose shared strings come after a sheet of more than 2 MB, streamed', async () => {
    const file = await excelLikeFile(150_000);
    expect(file.length).toBeGreaterThan(2 * 1024 * 1024);
    const back: Cell[][] = [];
    for await (const row of readXlsxRows(Readable.from([file]))) back.push(row.values);
    expect(back[0]).toEqual(['שם', 'טלפון', 'עיר']);
    expect(back).toHaveLength(150_001);
    expect(back[150_000]).toEqual(['לקוח 3', 500_149_999, 'חיפה']);
    expect(back.flat().some((v) => typeof v === 'string' && v.includes('[object'))).toBe(false);
  }, 60_000);

  describe('bounds checked before parsing', () => {
    const check = (file: Buffer) => checkXlsx(bufferRange(file), file.length, IMPORT_XLSX_LIMITS);
    const refusal = async (file: Buffer) => {
      try {
        await check(file);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        return { status: (err as AppError).status, key: (err as AppError).key };
      }
      throw new Error('not refused');
    };

    it('counts what a workbook unpacks to and its first sheet’s rows; reads it as before', async () => {
      const book = await makeXlsx({ rows: 25 });
      const checked = await check(book.file);
      expect(checked).toEqual({ unpacked: book.unpacked, rows: 26 });
      const rows: Cell[][] = [];
      for await (const r of readXlsx(book.file)) rows.push(r.values);
      expect(rows.length).toBe(26);
      expect(rows[25]).toEqual(['Person 26', 'person26@example.com']);
    });

    it('refuses a bomb by its declared size, a lying one by the bytes it really inflates to, and too many parts', async () => {
      expect(await refusal((await makeXlsx({ rows: 1, padding: 200 * 1024 * 1024 })).file)).toEqual({ status: 413, key: 'spreadsheet.unpacks_too_large' });
      expect(await refusal((await makeXlsx({ rows: 1, padding: 2 * 1024 * 1024, lie: true })).file)).toEqual({ status: 413, key: 'spreadsheet.unpacks_too_large' });
      expect(await refusal((await makeXlsx({ rows: 1, extraParts: 2001 })).file)).toEqual({ status: 413, key: 'spreadsheet.too_many_parts' });
      expect((await check((await makeXlsx({ rows: 1, extraParts: 1500 })).file)).rows).toBe(2);
    });
  });
});
