import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../db/client.js';

/** A fresh database on the PostgreSQL server at `url` (for one test file), and how to drop it. */
export async function createScratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `kesher_t_${randomBytes(6).toString('hex')}`;
  const onServer = async (statement: string) => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(statement);
    } finally {
      await admin.end();
    }
  };
  await onServer(`create database ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return { url: target.toString(), drop: () => onServer(`drop database if exists ${name} with (force)`) };
}

/**
 * One database per test file: an in-memory PGlite, or — when TEST_DATABASE_URL is set — a fresh
 * database created on that PostgreSQL server for this file and dropped at the end. Tests call
 * `reset()` between cases instead of booting a new database.
 */
export async function openTestDatabase(): Promise<Database & { reset(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  let database: Database;
  if (url) {
    const scratch = await createScratchDatabase(url);
    const inner = await openDatabase({ url: scratch.url, poolSize: 8 });
    database = {
      ...inner,
      close: async () => {
        await inner.close();
        await scratch.drop();
      },
    };
  } else {
    database = await openDatabase({ dataDir: 'memory://' });
  }
  return {
    ...database,
    reset: async () => {
      await database.db.execute(sql`truncate tenants, users, rate_counters cascade`);
    },
  };
}
