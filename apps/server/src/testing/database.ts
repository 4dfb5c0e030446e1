import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../db/client.js';

/**
 * One database per test file: an in-memory PGlite, or — when TEST_DATABASE_URL is set — a fresh
 * database created on that PostgreSQL server for this file and dropped at the end. Tests call
 * `reset()` between cases instead of booting a new database.
 */
export async function openTestDatabase(): Promise<Database & { reset(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  let database: Database;
  if (url) {
    const { default: pg } = await import('pg');
    const name = `kesher_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const target = new URL(url);
    target.pathname = `/${name}`;
    const inner = await openDatabase({ url: target.toString(), poolSize: 8 });
    database = {
      ...inner,
      close: async () => {
        await inner.close();
        const again = new pg.Client({ connectionString: url });
        await again.connect();
        await again.query(`drop database if exists ${name} with (force)`);
        await again.end();
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
