import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import type { CustomerFields, StatusId } from '@kesher/contracts';
import { openDatabase, rows, type Db } from '../apps/server/src/db/client.js';
import { createBranch, createTenant } from '../apps/server/src/modules/tenants/service.js';
import { demoCustomer, israeliMobile, rng } from '../apps/server/src/modules/demo/builders.js';
import { cardValues, type CustomerValues } from '../apps/server/src/modules/customers/card.js';
import { insertCustomers } from '../apps/server/src/modules/customers/bulk.js';
import { pickName } from './names.js';

/**
 * The synthetic customer base for the benchmarks: N customers in a fresh tenant with four
 * branches (three Israeli, one American), Hebrew and English names, valid IL / US phones and
 * IDs, mixed statuses, created over two years. Batches are built while the previous one is being
 * inserted (one batch in flight, one being built), so memory stays bounded at any N.
 *
 *   node --import tsx bench/generate.ts --count 100000 (--url postgres://… | --data-dir DIR)
 *
 * adds a tenant "Kesher bench" with N customers to that database (a PGlite data dir as the
 * server's KESHER_DATA_DIR uses it, or PostgreSQL), e.g. to try the back office on a big list.
 */

export const BENCH_TENANT = 'Kesher bench';

export interface BenchBranch {
  id: string;
  name: string;
  country: 'IL' | 'US';
}

export interface BenchTenant {
  tenantId: string;
  branches: BenchBranch[];
}

const EXTRA_BRANCHES = [
  { name: 'תל אביב', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' },
  { name: 'חיפה', country: 'IL', language: 'he', timezone: 'Asia/Jerusalem' },
  { name: 'USA', country: 'US', language: 'en', timezone: 'America/New_York' },
] as const;

/** Creates the bench tenant (its default branch is Israeli) and three more branches. */
export async function createBenchTenant(db: Db): Promise<BenchTenant> {
  const { tenant, branch } = await createTenant(db, { name: BENCH_TENANT });
  const branches: BenchBranch[] = [{ id: branch.id, name: branch.name, country: 'IL' }];
  for (const b of EXTRA_BRANCHES) {
    const created = await createBranch(db, tenant.id, b);
    branches.push({ id: created.id, name: created.name, country: b.country });
  }
  return { tenantId: tenant.id, branches };
}

/** The bench tenant of an earlier run and how many customers it holds, or null. */
export async function findBenchTenant(db: Db): Promise<(BenchTenant & { customers: number }) | null> {
  const [tenant] = await rows<{ id: string }>(db, sql`select id from tenants where name = ${BENCH_TENANT} order by created_at limit 1`);
  if (!tenant) return null;
  const branches = await rows<BenchBranch>(
    db,
    sql`select id, name, country from branches where tenant_id = ${tenant.id} order by created_at, name`,
  );
  const [count] = await rows<{ n: number }>(db, sql`select count(*)::int as n from customers where tenant_id = ${tenant.id}`);
  return { tenantId: tenant.id, branches, customers: count?.n ?? 0 };
}

/** Status mix of a lived-in customer base: mostly leads, a fifth real customers. */
const STATUS_WEIGHTS: [StatusId, number][] = [
  ['new', 0.33], ['follow_up', 0.2], ['follow_up_meeting_quote', 0.1], ['real', 0.15],
  ['real_club_contract', 0.05], ['not_interested', 0.1], ['fictitious', 0.02], ['frozen', 0.05],
];

function pickStatus(x: number): StatusId {
  for (const [status, w] of STATUS_WEIGHTS) if ((x -= w) < 0) return status;
  return 'new';
}

const DAY = 86_400_000;
type Card = CustomerValues & { createdBy: string };

export interface GenerateOptions {
  count: number;
  seed?: number;
  batchSize?: number;
  /** Customers are spread over this many days before now, oldest first (customer number order). */
  days?: number;
  onProgress?: (done: number, elapsedMs: number) => void;
}

export interface GenerateResult {
  rows: number;
  rejected: number;
  seconds: number;
  rowsPerSecond: number;
  /** Time spent building cards in JS (faker, phone parsing, normalisation). */
  buildSeconds: number;
  /** Sum over batches of the time the insert transaction took (overlaps with building). */
  insertSeconds: number;
  /** Time the generator sat idle waiting for an insert: > 0 means the database is the bottleneck. */
  waitSeconds: number;
}

/** One customer: the demo builder's card with names from the wider pools, a second phone now and then. */
export function benchFields(r: () => number, n: number, branch: BenchBranch): CustomerFields {
  const fields = demoCustomer(r, n, { id: branch.id, country: branch.country });
  if (branch.country === 'US') {
    const first = pickName.enFirst(r);
    const last = pickName.enLast(r);
    return { ...fields, firstName: first, lastName: last, email: `${first}.${last}.${n}@example.com`.toLowerCase() };
  }
  if (fields.idType === 'company') return fields; // a company keeps its name
  const extra = r() < 0.1 ? { phones: [israeliMobile(r)] } : {};
  return { ...fields, firstName: pickName.heFirst(r), lastName: pickName.heLast(r), ...extra };
}

/** Israeli branches get 70 % of the customers (the default branch the most), the American one 30 %. */
function pickBranch(branches: BenchBranch[], x: number): BenchBranch {
  const il = branches.filter((b) => b.country === 'IL');
  const us = branches.find((b) => b.country === 'US') ?? il[0]!;
  if (x >= 0.7) return us;
  return il[x < 0.35 ? 0 : x < 0.55 ? 1 : 2] ?? il[0]!;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Inserts `opts.count` customers through the product's bulk insert, one transaction per batch. */
export async function generateCustomers(db: Db, tenant: BenchTenant, opts: GenerateOptions): Promise<GenerateResult> {
  const r = rng(opts.seed ?? 42);
  const batchSize = opts.batchSize ?? 10_000;
  const span = (opts.days ?? 730) * DAY;
  const origin = Date.now() - span;
  const started = performance.now();
  let buildMs = 0;
  let insertMs = 0;
  let waitMs = 0;
  let rejected = 0;
  let done = 0;
  let failure: unknown = null;
  let inFlight: Promise<void> | null = null;

  const insertBatch = (cards: Card[]) => {
    const t0 = performance.now();
    return db
      .transaction(async (tx) => {
        await insertCustomers(tx, tenant.tenantId, cards);
      })
      .then(
        () => {
          insertMs += performance.now() - t0;
          done += cards.length;
          opts.onProgress?.(done, performance.now() - started);
        },
        (err: unknown) => {
          failure = err;
        },
      );
  };

  for (let offset = 0; offset < opts.count; offset += batchSize) {
    const size = Math.min(batchSize, opts.count - offset);
    const cards: Card[] = [];
    for (let i = 0; i < size; i++) {
      if (i % 1000 === 0) await yieldToIo(); // let the in-flight insert's replies through
      const t0 = performance.now();
      const n = offset + i;
      const branch = pickBranch(tenant.branches, r());
      const { values, errors } = cardValues(benchFields(r, n, branch), null, 'IL');
      const status = pickStatus(r());
      const createdAt = new Date(origin + (n / opts.count) * span + (r() - 0.5) * 2 * 3_600_000);
      if (errors.length) rejected++;
      else cards.push({ ...values, status, createdBy: 'bench', createdAt });
      buildMs += performance.now() - t0;
    }
    const t1 = performance.now();
    if (inFlight) await inFlight;
    waitMs += performance.now() - t1;
    if (failure) throw failure;
    inFlight = insertBatch(cards);
  }
  const t1 = performance.now();
  if (inFlight) await inFlight;
  waitMs += performance.now() - t1;
  if (failure) throw failure;

  const seconds = (performance.now() - started) / 1000;
  return {
    rows: done,
    rejected,
    seconds,
    rowsPerSecond: done / seconds,
    buildSeconds: buildMs / 1000,
    insertSeconds: insertMs / 1000,
    waitSeconds: waitMs / 1000,
  };
}

/**
 * What autovacuum would do soon after a big load or a bench run (PGlite and the bench server have
 * no autovacuum: done by hand): the cards, their identity keys, and the tables in `also`. Returns
 * the line to print ("vacuum (analyze) customers, …: 1.2 s").
 */
export async function vacuumAnalyze(db: Db, also: string[] = []): Promise<string> {
  const tables = ['customers', 'customer_keys', ...also].join(', ');
  const t0 = performance.now();
  await db.execute(sql.raw(`vacuum (analyze) ${tables}`));
  return `vacuum (analyze) ${tables}: ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

export function printLoad(result: GenerateResult, kind: string): void {
  const f = (s: number) => `${s.toFixed(1)} s`;
  console.log(
    `Loaded ${result.rows.toLocaleString('en')} customers into ${kind} in ${f(result.seconds)}: ` +
      `${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s ` +
      `(building cards ${f(result.buildSeconds)}, insert transactions ${f(result.insertSeconds)}, ` +
      `generator waiting on the database ${f(result.waitSeconds)}${result.rejected ? `, ${result.rejected} rejected` : ''})`,
  );
}

export const progressPrinter = (count: number) => {
  let last = { done: 0, ms: 0 };
  return (done: number, ms: number) => {
    if (done - last.done < 100_000 && done !== count) return;
    const rate = (n: number, t: number) => Math.round((n / t) * 1000).toLocaleString('en');
    console.log(`  ${done.toLocaleString('en')} / ${count.toLocaleString('en')}  ${rate(done, ms)} rows/s overall, ${rate(done - last.done, ms - last.ms)} rows/s for the last ${(done - last.done).toLocaleString('en')}`);
    last = { done, ms };
  };
};

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: 'string' }, url: { type: 'string' }, 'data-dir': { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' } },
  });
  const url = values.url ?? process.env.BENCH_DATABASE_URL;
  if (!url && !values['data-dir']) {
    console.error('usage: node --import tsx bench/generate.ts [--count N] (--url postgres://… | --data-dir DIR) [--seed S] [--batch B]');
    process.exit(2);
  }
  const count = Number(values.count ?? process.env.BENCH_CUSTOMERS ?? (url ? 1_000_000 : 100_000));
  const database = await openDatabase({ url, dataDir: values['data-dir'], poolSize: 2 });
  try {
    const tenant = await createBenchTenant(database.db);
    const result = await generateCustomers(database.db, tenant, {
      count,
      seed: Number(values.seed ?? 42),
      batchSize: Number(values.batch ?? 10_000),
      onProgress: progressPrinter(count),
    });
    printLoad(result, database.kind);
    console.log(await vacuumAnalyze(database.db));
  } finally {
    await database.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
