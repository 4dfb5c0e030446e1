import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import type { PoolClient, PoolConfig } from 'pg';
import * as schema from './schema.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';

export type Schema = typeof schema;
/** A database handle or a transaction: services take either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** The embedded data directory's lock, held while the database is open (none on PostgreSQL or in memory). */
  lock?: DataDirLock;
  close(): Promise<void>;
}

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * Opens the product's database: PostgreSQL when a URL is given, else embedded PGlite in
 * `dataDir` (or in memory when dataDir is 'memory://'), and applies the committed migrations.
 * An embedded data directory is locked for this process (`owner` names the command in the lock):
 * a second process is refused with DataDirBusy naming the holder.
 */
export async function openDatabase(opts: { url?: string; dataDir?: string; poolSize?: number; owner?: string }): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? 10) : openPglite(opts.dataDir ?? './data', opts.owner ?? 'kesher');
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  // bigint comes back as a string by default; customer numbers and counts fit a JS number.
  pg.types.setTypeParser(20, (v) => Number(v));
  await migratePostgres(url);
  // No JIT (ADR 0010): a misestimated duplicate check crossed jit_above_cost and spent ~340 ms
  // compiling a query that runs in 15 ms. Our queries are short and index-driven; JIT only adds
  // latency. Set by pg-pool's onConnect hook, which runs
  // before the connection is handed out (a query from the 'connect' event raced the first one).
  const config: PoolConfig & { onConnect(client: PoolClient): Promise<void> } = {
    connectionString: url,
    max,
    onConnect: async (client) => {
      await client.query('set jit = off').catch(() => undefined);
    },
  };
  const pool = new pg.Pool(config);
  // An idle connection dropped by the server (restart, failover, a dropped test database) must not
  // crash the process: the pool replaces it on the next query.
  pool.on('error', (err) => console.warn(`database connection lost: ${err.message}`));
  const db = drizzle(pool, { schema }) as unknown as Db;
  return { db, kind: 'postgres', close: () => pool.end() };
}

const MIGRATION_LOCK = 7_300_001;

/** Several servers may start at once: one applies the migrations while the others wait on the lock. */
async function migratePostgres(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder, migrationsSchema: 'public' });
  } finally {
    await client.end();
  }
}

async function openPglite(dataDir: string, owner: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { drizzle } = await import('drizzle-orm/pglite');
  let dir: string | undefined;
  let lock: DataDirLock | undefined;
  if (dataDir !== 'memory://') {
    mkdirSync(resolve(dataDir), { recursive: true });
    lock = lockDataDir(resolve(dataDir), owner);
    dir = join(resolve(dataDir), 'pg');
    mkdirSync(dir, { recursive: true });
  }
  try {
    const client = await PGlite.create({ dataDir: dir, extensions: { pg_trgm } });
    const db = drizzle(client, { schema }) as unknown as Db;
    singleConnection.add(db);
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(drizzle(client), { migrationsFolder, migrationsSchema: 'public' });
    const close = async () => {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    };
    return { db, kind: 'pglite', ...(lock ? { lock } : {}), close };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

const singleConnection = new WeakSet<Db>();

/**
 * Whether the database has one connection (embedded PGlite): a statement outside an open
 * transaction waits for it to end, so work must not wait on such a statement from inside one.
 */
export const hasOneConnection = (db: Db): boolean => singleConnection.has(db);

/** Rows of a raw SQL query, the same on both drivers. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
