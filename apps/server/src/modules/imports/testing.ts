import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import type { TestClient } from '../../testing/index.js';
import { ImportRunner, type ImportRunnerOptions } from './runner.js';

/** Helpers for the import tests (tests only). */

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** An .xlsx workbook (one sheet) built with exceljs. */
export async function xlsx(rowsOf: (string | number | Date | null)[][], sheetName = 'לקוחות'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  for (const r of rowsOf) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A multipart/form-data body: one file part and text fields. */
export function multipart(file: Buffer | null, fields: Record<string, string> = {}, opts: { filename?: string; type?: string } = {}) {
  const boundary = `----kesher${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    const name = opts.filename ?? 'customers.xlsx';
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${opts.type ?? (name.endsWith('.csv') ? 'text/csv' : XLSX)}\r\n\r\n`,
      ),
      file,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs a multipart upload as a logged-in client. */
export async function upload(
  app: FastifyInstance,
  client: TestClient,
  url: string,
  file: Buffer | null,
  fields: Record<string, string> = {},
  opts: { filename?: string; lang?: string } = {},
) {
  const { payload, contentType } = multipart(file, fields, opts);
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType, cookie: client.cookie ?? '', 'accept-language': opts.lang ?? 'en' },
    payload,
  });
  return { status: res.statusCode, body: res.json() };
}

/** Runs every waiting import to the end, deterministically (no background loop). */
export async function runAll(db: Db, extra: ImportRunnerOptions = {}): Promise<number> {
  const errors: unknown[] = [];
  const log = {
    info: () => {},
    warn: (o: object, m?: string) => void errors.push(new Error(`${m ?? ''} ${JSON.stringify(o)}`)),
    error: (o: object) => void errors.push((o as { err?: unknown }).err ?? o),
  };
  const runner = new ImportRunner(db, { idleMs: 10, log, ...extra });
  let n = 0;
  while (await runner.runOnce()) n++;
  if (errors.length && !extra.onBatch) throw new Error(`the import runner failed: ${String((errors[0] as Error)?.stack ?? errors[0])}`);
  return n;
}

/** Downloads an .xlsx and reads its first sheet back: rows of cell texts. */
export async function sheetOf(app: FastifyInstance, client: TestClient, url: string, lang = 'he') {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: client.cookie ?? '', 'accept-language': lang } });
  if (res.statusCode !== 200) return { status: res.statusCode, rows: [] as string[][], rtl: false, headers: res.headers };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const out: string[][] = [];
  ws.eachRow({ includeEmpty: true }, (row, n) => {
    out[n - 1] = Array.from((row.values as unknown[]).slice(1), (v) => (v === null || v === undefined ? '' : String(v)));
  });
  return { status: res.statusCode, rows: Array.from(out, (r) => r ?? []), rtl: !!ws.views[0]?.rightToLeft, headers: res.headers };
}
