import { randomBytes } from 'node:crypto';
import type { Db } from './client.js';

/**
 * Bulk writes with COPY FROM STDIN (text format), on both drivers: node-postgres through its
 * copy-in protocol messages (no extra dependency), PGlite through `COPY … FROM '/dev/blob'`.
 * `db` may be a transaction (the COPY is part of it) or the database handle.
 *
 * Values: null / undefined → NULL; string, number, bigint; Date (ISO); a string[] → a text[]
 * literal; any other object → JSON (for jsonb columns; give a JSON array as its JSON text).
 */
export type CopyValue = string | number | bigint | boolean | Date | string[] | object | null | undefined;

interface PgLikeClient {
  connection: unknown;
  query(q: unknown): unknown;
}
interface PgPool {
  connect(): Promise<PgLikeClient & { release(): void }>;
}
interface PgliteLike {
  query(sql: string, params?: unknown[], opts?: { blob?: Blob }): Promise<unknown>;
}

/** Copies rows into `table (columns)`; returns how many were sent. */
export async function copyRows(db: Db, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): Promise<number> {
  const lines: string[] = [];
  for (const row of rows) lines.push(copyLine(row));
  if (lines.length === 0) return 0;
  const text = `${lines.join('\n')}\n`;
  const statement = `copy ${table} (${columns.join(', ')}) from `;
  const client = (db as unknown as { session: { client: unknown } }).session.client;
  if (isPgClient(client)) {
    await copyPg(client, `${statement}stdin`, text);
  } else if (isPgPool(client)) {
    const c = await client.connect();
    try {
      await copyPg(c, `${statement}stdin`, text);
    } finally {
      c.release();
    }
  } else {
    await (client as PgliteLike).query(`${statement}'/dev/blob'`, [], { blob: new Blob([text]) });
  }
  return lines.length;
}

const isPgClient = (c: unknown): c is PgLikeClient => typeof c === 'object' && c !== null && 'connection' in c && typeof (c as PgLikeClient).query === 'function';
const isPgPool = (c: unknown): c is PgPool => typeof c === 'object' && c !== null && 'totalCount' in c && typeof (c as unknown as PgPool).connect === 'function';

async function copyPg(client: PgLikeClient, statement: string, text: string): Promise<void> {
  const { default: pg } = await import('pg');
  const Query = (pg as unknown as { Query: new (text: string, values?: unknown[], cb?: (err: Error | null) => void) => object }).Query;
  await new Promise<void>((resolve, reject) => {
    const query = new Query(statement, undefined, (err) => (err ? reject(err) : resolve()));
    // The server answers COPY FROM STDIN with CopyInResponse: send the data, then CopyDone.
    (query as { handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }): void }).handleCopyInResponse = (connection) => {
      const data = Buffer.from(text, 'utf8');
      const piece = 256 * 1024;
      for (let at = 0; at < data.length; at += piece) connection.sendCopyFromChunk(data.subarray(at, at + piece));
      connection.endCopyFrom();
    };
    client.query(query);
  });
}

/** One row as a line of COPY's text format (tab-separated values, no newline; no array per row to join). */
function copyLine(row: readonly CopyValue[]): string {
  let line = row.length ? copyText(row[0]) : '';
  for (let i = 1; i < row.length; i++) line += `\t${copyText(row[i])}`;
  return line;
}

/** One value in COPY's text format. */
export function copyText(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return escapeCopy(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return escapeCopy(`{${v.map((e) => (e === null || e === undefined ? 'NULL' : `"${String(e).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`);
  return escapeCopy(JSON.stringify(v));
}

const SPECIAL = /[\\\t\n\r]/;
function escapeCopy(s: string): string {
  if (!SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

let pool = Buffer.alloc(0);
let poolAt = 0;
/** `n` random bytes from a pool filled 4 KB at a time (one call into the CSPRNG per 512 ids, not per id). */
function randomPool(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

let lastMs = 0;
let seq = 0;
/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, a 12-bit sequence,
 * 62 random bits. New rows then land at the right edge of a uuid primary key's b-tree instead
 * of on a random page of it (a bulk insert of new customers costs about half as much).
 */
export function uuidv7(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    seq++;
    if (seq > 0xfff) {
      lastMs++;
      seq = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    seq = 0;
  }
  const r = randomPool(8);
  const hex = ms.toString(16).padStart(12, '0');
  const a = (0x7000 | seq).toString(16);
  const b = ((r[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0') + r[1]!.toString(16).padStart(2, '0');
  const c = r.subarray(2, 8).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${a}-${b}-${c}`;
}
