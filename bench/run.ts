import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../apps/server/src/db/client.js';
import { AppError } from '../apps/server/src/http/errors.js';
import { createCustomer } from '../apps/server/src/modules/customers/service.js';
import { rng } from '../apps/server/src/modules/demo/builders.js';
import { buildCases, explain, loadSample, type Sample } from './cases.js';
import { coldStart, WEB_BUILT } from './cold-start.js';
import { benchFields, createBenchTenant, findBenchTenant, generateCustomers, printLoad, progressPrinter, vacuumAnalyze, type BenchTenant } from './generate.js';
import { measure, summarize, table, verdict, type Result } from './stats.js';

/**
 * `npm run bench`: loads (or reuses) the synthetic customer base and times the search box, the
 * duplicate check, filtered lists, single creates and a cold start. See docs/benchmarks.md.
 *
 *   BENCH_DATABASE_URL  PostgreSQL server to use (a database `kesher_bench` is created there);
 *                       unset: embedded PGlite in a temp dir
 *   BENCH_CUSTOMERS     N (default 1,000,000 on PostgreSQL, 100,000 on PGlite)
 *   BENCH_REUSE=1       keep the loaded database after the run and reuse it next time
 *   BENCH_ITERATIONS    timed iterations per measure (300), BENCH_WARMUP (30)
 *   BENCH_ONLY          only the measures whose group or name contains this text
 *   BENCH_EXPLAIN       1: print EXPLAIN (ANALYZE, BUFFERS) of the slowest input of each miss; all: of every measure
 *   BENCH_COLD_RUNS     cold starts to time (3), 0 to skip
 *   BENCH_SQL           a SQL file to run on the loaded database before measuring (to try an index change)
 *   BENCH_ANALYZE=0     skip the VACUUM (ANALYZE) after loading
 *   BENCH_JSON          write the raw results to this file
 */
const env = process.env;
const url = env.BENCH_DATABASE_URL || undefined;
const count = Number(env.BENCH_CUSTOMERS ?? (url ? 1_000_000 : 100_000));
const reuse = env.BENCH_REUSE === '1';
const iterations = Number(env.BENCH_ITERATIONS ?? 300);
const warmup = Number(env.BENCH_WARMUP ?? 30);
const only = env.BENCH_ONLY?.toLowerCase();
const explainMode = env.BENCH_EXPLAIN ?? '';
const coldRuns = Number(env.BENCH_COLD_RUNS ?? 3);
const BENCH_DB = 'kesher_bench';
/** File names are relative to where `npm run bench` was typed (npm runs the script inside bench/). */
const userPath = (file: string) => resolve(env.INIT_CWD ?? process.cwd(), file);

interface Target {
  label: string;
  open: () => Promise<Database>;
  /** Environment for `kesher start` on this database. */
  serverEnv: Record<string, string>;
  /** Throws the data away (unless reused). */
  discard: () => Promise<void>;
  /** Starts over empty. */
  reset: () => Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const admin = new URL(url!);
  if (admin.pathname === `/${BENCH_DB}`) admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function databaseExists(): Promise<boolean> {
  const client = new pg.Client({ connectionString: benchUrl() });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function benchUrl(): string {
  const u = new URL(url!);
  u.pathname = `/${BENCH_DB}`;
  return u.toString();
}

function postgresTarget(): Target {
  const reset = async () => {
    await adminQuery(`drop database if exists ${BENCH_DB} with (force)`);
    await adminQuery(`create database ${BENCH_DB}`);
  };
  return {
    label: `PostgreSQL (${new URL(url!).host}/${BENCH_DB})`,
    open: async () => {
      if (!(await databaseExists())) await reset();
      return openDatabase({ url: benchUrl(), poolSize: 4 });
    },
    serverEnv: { DATABASE_URL: benchUrl() },
    reset,
    discard: () => adminQuery(`drop database if exists ${BENCH_DB} with (force)`),
  };
}

function pgliteTarget(): Target {
  const dir = reuse ? join(tmpdir(), `kesher-bench-pglite-${count}`) : mkdtempSync(join(tmpdir(), 'kesher-bench-'));
  return {
    label: `PGlite (${dir})`,
    open: () => openDatabase({ dataDir: dir }),
    serverEnv: { KESHER_DATA_DIR: dir },
    reset: async () => rmSync(dir, { recursive: true, force: true }),
    discard: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Opens the target with exactly N bench customers loaded: reused when asked and present, else loaded now. */
async function prepare(target: Target): Promise<{ database: Database; tenant: BenchTenant }> {
  if (!reuse) await target.reset();
  let database = await target.open();
  const found = await findBenchTenant(database.db);
  if (found && found.customers >= count && found.customers < count * 1.05) {
    console.log(`Reusing ${found.customers.toLocaleString('en')} customers already loaded.`);
    return { database, tenant: found };
  }
  if (found || !reuse) {
    await database.close();
    await target.reset();
    database = await target.open();
  }
  console.log(`Loading ${count.toLocaleString('en')} customers …`);
  const tenant = await createBenchTenant(database.db);
  const load = await generateCustomers(database.db, tenant, { count, onProgress: progressPrinter(count) });
  printLoad(load, database.kind);
  if (env.BENCH_ANALYZE !== '0') console.log(await vacuumAnalyze(database.db));
  return { database, tenant };
}

/** Statements of a SQL file (split at a `;` that ends a line), run one by one. */
async function applySqlFile(database: Database, file: string): Promise<void> {
  const text = readFileSync(file, 'utf8').replace(/^\s*--.*$/gm, '');
  for (const statement of text.split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)) {
    const t0 = performance.now();
    await database.db.execute(sql.raw(statement));
    console.log(`  ${statement.split('\n')[0]}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

async function runCases(database: Database, tenant: BenchTenant, sample: Sample[]): Promise<{ results: Result[]; explains: string[] }> {
  const results: Result[] = [];
  const explains: string[] = [];
  for (const c of buildCases(tenant, sample)) {
    if (only && !`${c.group} ${c.name}`.toLowerCase().includes(only)) continue;
    let misses = 0;
    const { samples, slowest } = await measure(iterations, warmup, (i) => {
      const call = c.input(i).run;
      return async () => {
        const result = await call(database.db);
        if (c.found && !c.found(i, result)) misses++;
      };
    });
    const note = c.found ? `found ${iterations + warmup - misses}/${iterations + warmup}` : undefined;
    const result: Result = { group: c.group, name: c.name, unit: 'ms', samples, target: c.target, note, slowest: c.input(slowest).label };
    results.push(result);
    const s = summarize(samples);
    console.log(`  ${c.group}: ${c.name}  p50 ${s.p50.toFixed(2)}  p95 ${s.p95.toFixed(2)}  p99 ${s.p99.toFixed(2)} ms ${verdict(result)}`);
    if (explainMode === 'all' || (explainMode && verdict(result) === 'MISS')) {
      explains.push(`### ${c.group}: ${c.name}\nslowest input: ${result.slowest}\n\n${await explain(database.db, c.input(slowest))}\n`);
    }
  }
  return { results, explains };
}

/** Single-row creates through the product's create path (validation, duplicate check, numbering). */
async function runCreates(database: Database, tenant: BenchTenant): Promise<Result> {
  const actor = { tenantId: tenant.tenantId, region: 'IL', userId: null, actorName: 'bench' };
  const r = rng(Date.now() >>> 0);
  let duplicates = 0;
  const n = Math.max(50, Math.round(iterations * 0.7));
  const started = performance.now();
  const { samples } = await measure(n, Math.min(warmup, 20), (i) => {
    const branch = tenant.branches[i % tenant.branches.length]!;
    const fields = benchFields(r, 10_000_000 + Math.floor(r() * 1e9), branch);
    return async () => {
      try {
        await createCustomer(database.db, actor, fields);
      } catch (err) {
        if (err instanceof AppError && err.code === 'duplicate') duplicates++;
        else throw err;
      }
    };
  });
  const seconds = (performance.now() - started) / 1000;
  const perSecond = (n + Math.min(warmup, 20)) / seconds;
  return {
    group: 'create', name: 'createCustomer, one at a time (with duplicate check)', unit: 'ms', samples,
    note: `${perSecond.toFixed(0)} creates/s sequential; ${duplicates} refused as duplicates`,
  };
}

async function runColdStarts(target: Target): Promise<Result | null> {
  if (coldRuns <= 0) return null;
  const samples: number[] = [];
  for (let i = 0; i < coldRuns; i++) {
    const run = await coldStart(target.serverEnv);
    samples.push(run.seconds);
    console.log(`  cold start ${i + 1}: ${run.seconds.toFixed(2)} s to 200 on ${run.path}`);
  }
  const what = WEB_BUILT ? 'GET / (login page)' : 'GET /health (web not built: run `npm run build` to time the login page)';
  return { group: 'cold start', name: `kesher start → ${what}`, unit: 's', samples, target: 5, note: `${coldRuns} runs, ${count.toLocaleString('en')} customers in the database` };
}

async function main(): Promise<void> {
  if (only?.includes('mail')) return console.log('BENCH_ONLY=mail: only the mail bench (mail.ts) runs.');
  const target = url ? postgresTarget() : pgliteTarget();
  console.log(`Kesher bench: ${target.label}, ${count.toLocaleString('en')} customers, ${iterations} iterations (+${warmup} warm-up) per measure`);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const { database, tenant } = await prepare(target);
  const results: Result[] = [];
  const explains: string[] = [];
  let closed = false;
  try {
    if (env.BENCH_SQL) {
      console.log(`Applying ${env.BENCH_SQL}:`);
      await applySqlFile(database, userPath(env.BENCH_SQL));
    }
    const sample = await loadSample(database.db, tenant.tenantId, count);
    console.log(`Measuring (sample of ${sample.length} customers) …`);
    const cases = await runCases(database, tenant, sample);
    results.push(...cases.results);
    explains.push(...cases.explains);
    if (!only || 'create'.includes(only)) {
      results.push(await runCreates(database, tenant));
      console.log(`  create: ${results[results.length - 1]!.note}`);
    }
    await database.close();
    closed = true;
    if (!only || 'cold start'.includes(only)) {
      const cold = await runColdStarts(target);
      if (cold) results.push(cold);
    }
  } finally {
    if (!closed) await database.close();
    if (!reuse) await target.discard();
  }

  console.log(`\n## Kesher bench — ${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${count.toLocaleString('en')} customers`);
  console.log(`(${cpus().length} cores; load average after the run ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  console.log(table(results));
  const missed = results.filter((r) => verdict(r) === 'MISS');
  console.log(missed.length ? `\n${missed.length} measure(s) over target.` : '\nAll measures within target.');
  if (explains.length) console.log(`\n## EXPLAIN (ANALYZE, BUFFERS)\n\n${explains.join('\n')}`);
  if (env.BENCH_JSON) {
    const out = results.map((r) => ({ ...r, ...summarize(r.samples), samples: undefined }));
    writeFileSync(userPath(env.BENCH_JSON), JSON.stringify({ database: database.kind, customers: count, iterations, results: out }, null, 2));
  }
  if (reuse && existsSync(join(tmpdir(), `kesher-bench-pglite-${count}`)) && !url) console.log(`\nKept for BENCH_REUSE=1: ${target.label}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
