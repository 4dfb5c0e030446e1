import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import type { TestClient } from '../../testing/index.js';
import type { MailSettings } from '../mail/index.js';
import { RunPreparer, type PreparerOptions } from './preparer.js';

/** Helpers for the invitation / bulk email tests (tests only). */

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Prepares every run waiting, deterministically (no background loop): returns how many runs it took. */
export async function prepareAll(db: Db, settings: Pick<MailSettings, 'serverMailbox'>, extra: Partial<PreparerOptions> = {}): Promise<number> {
  const preparer = new RunPreparer(db, { settings, idleMs: 20, ...extra });
  let n = 0;
  while (await preparer.runOnce()) n++;
  return n;
}

/** An .xlsx workbook (one sheet) built with exceljs. */
export async function workbook(rowsOf: (string | number | null)[][], sheetName = 'רשימה'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  for (const r of rowsOf) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A multipart/form-data body with one file part. */
export function multipartBody(file: Buffer, opts: { field?: string; filename?: string; type?: string } = {}) {
  const boundary = `----kesher${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${opts.field ?? 'file'}"; filename="${opts.filename ?? 'list.xlsx'}"\r\nContent-Type: ${opts.type ?? XLSX}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, file, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads an .xlsx list as a logged-in client would. */
export async function uploadList(app: FastifyInstance, client: TestClient, file: Buffer, opts: { filename?: string; lang?: string; field?: string } = {}) {
  const { payload, contentType } = multipartBody(file, opts);
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/mail-lists/xlsx',
    headers: { 'content-type': contentType, cookie: client.cookie ?? '', 'accept-language': opts.lang ?? 'en' },
    payload,
  });
  return { status: res.statusCode, body: res.json() };
}

/** Downloads an .xlsx (a run report) and reads its first sheet back: rows of cell texts. */
export async function downloadSheet(app: FastifyInstance, client: TestClient, url: string, lang = 'he') {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: client.cookie ?? '', 'accept-language': lang } });
  if (res.statusCode !== 200) return { status: res.statusCode, headers: res.headers, rows: [] as string[][], rtl: false, body: res.body };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const out: string[][] = [];
  ws.eachRow({ includeEmpty: true }, (row, n) => {
    const values = Array.from((row.values as unknown[]).slice(1), (v) => (v === null || v === undefined ? '' : String(v)));
    out[n - 1] = values;
  });
  return { status: res.statusCode, headers: res.headers, rows: Array.from(out, (r) => r ?? []), rtl: !!ws.views[0]?.rightToLeft, sheetName: ws.name, body: '' };
}

/** How many rows of each table the invitation module writes (to show that something changed nothing). */
export async function footprint(db: Db) {
  const [row] = await rows<{ runs: number; outbox: number; credentials: number; interactions: number }>(
    db,
    sql`select (select count(*)::int from mail_runs) as runs, (select count(*)::int from outbox) as outbox,
               (select count(*)::int from portal_credentials) as credentials, (select count(*)::int from interactions) as interactions`,
  );
  return row!;
}

/** The password of an invitation's plain-text part (Hebrew or English template). */
export const passwordIn = (text: string | undefined) => text?.match(/(?:סיסמה|Password): (\S{8})/)?.[1];
