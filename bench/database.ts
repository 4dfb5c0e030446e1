import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../apps/server/src/db/client.js';
import { createBenchTenant, findBenchTenant, generateCustomers, printLoad, progressPrinter, vacuumAnalyze, type BenchTenant } from './generate.js';

/**
 * A bench database holding exactly N synthetic customers: a database `name` on the PostgreSQL
 * server at `url` (created, or reused with `reuse`), else an embedded PGlite in a temp dir
 * ($TMPDIR/<name>-pglite-N when reused). Loaded by generate.ts when it is not already there.
 */
export interface BenchDatabase {
  database: Database;
  tenant: BenchTenant;
  label: string;
  /** Environment for a `kesher` process on this database. */
  serverEnv: Record<string, string>;
  /** The database's connection URL (PostgreSQL only). */
  url: string | null;
  /** Throws the data away, unless reused. */
  discard(): Promise<void>;
}

export interface BenchDatabaseOptions {
  name: string;
  count: number;
  url?: string | undefined;
  reuse?: boolean;
  /** Skip the VACUUM (ANALYZE) after loading. */
  noAnalyze?: boolean;
}

const fmt = (n: number) => n.toLocaleString('en');

async function onServer(url: string, statement: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function openBenchDatabase(opts: BenchDatabaseOptions): Promise<BenchDatabase> {
  const { name, count, url, reuse = false } = opts;
  let dir: string | null = null;
  let target: string | null = null;
  if (url) {
    const u = new URL(url);
    u.pathname = `/${name}`;
    target = u.toString();
  }
  const reset = async () => {
    if (target) {
      await onServer(url!, `drop database if exists ${name} with (force)`);
      await onServer(url!, `create database ${name}`);
    } else {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = reuse ? join(tmpdir(), `${name}-pglite-${count}`) : mkdtempSync(join(tmpdir(), `${name}-`));
    }
  };
  const open = async () => {
    if (target) {
      const probe = new pg.Client({ connectionString: target });
      const exists = await probe.connect().then(
        () => true,
        () => false,
      );
      await probe.end().catch(() => undefined);
      if (!exists) await reset();
      return openDatabase({ url: target, poolSize: 4 });
    }
    dir ??= reuse ? join(tmpdir(), `${name}-pglite-${count}`) : mkdtempSync(join(tmpdir(), `${name}-`));
    return openDatabase({ dataDir: dir });
  };

  if (!reuse) await reset();
  let database = await open();
  let tenant: BenchTenant;
  const found = await findBenchTenant(database.db);
  if (found && found.customers >= count && found.customers < count * 1.05) {
    console.log(`Reusing ${fmt(found.customers)} customers already loaded.`);
    tenant = found;
  } else {
    if (found) {
      await database.close();
      await reset();
      database = await open();
    }
    console.log(`Loading ${fmt(count)} customers …`);
    tenant = await createBenchTenant(database.db);
    printLoad(await generateCustomers(database.db, tenant, { count, onProgress: progressPrinter(count) }), database.kind);
    if (!opts.noAnalyze) console.log(await vacuumAnalyze(database.db));
  }
  return {
    database,
    tenant,
    label: target ? `PostgreSQL (${name})` : `PGlite (${dir})`,
    serverEnv: target ? { DATABASE_URL: target } : { KESHER_DATA_DIR: dir!, DATABASE_URL: '' },
    url: target,
    discard: async () => {
      if (reuse) return;
      if (target) await onServer(url!, `drop database if exists ${name} with (force)`);
      else if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The secret key of a bench's server processes: KESHER_SECRET_KEY, else one derived from the bench's name. */
export const benchSecretKey = (bench: string): string => process.env.KESHER_SECRET_KEY || `k1:${createHash('sha256').update(`kesher ${bench} bench`).digest('base64')}`;
