// The server's modules are type-checked here without app.ts, which brings @fastify/cookie's request / reply types.
import type {} from '@fastify/cookie';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { rows } from '../apps/server/src/db/client.js';
import { createChannel } from '../apps/server/src/modules/channels/service.js';
import { exportCustomers } from '../apps/server/src/modules/customers/export.js';
import { configureSecrets } from '../apps/server/src/modules/secrets/index.js';
import { benchSecretKey, openBenchDatabase } from './database.js';
import { vacuumAnalyze } from './generate.js';

/**
 * The intake bench (issue 4 "Performance"), part of `npm run bench` (alone: `npm run bench:intake`):
 *
 *   export   the Excel export of the whole customer base (default columns, Hebrew), streamed to
 *            nowhere: rows/s and the process's peak RSS growth. Target: 1M rows ≤ 60 s, bounded memory.
 *   port     the Web Data Port: the real server (`kesher serve`) on the loaded database, a channel,
 *            and a load generator in another process (bench/load.ts) posting form-urlencoded leads
 *            at a fixed concurrency for BENCH_PORT_SECONDS; a fifth of them carry an existing
 *            customer's phone (the duplicate path). Target ≥ 1,000 leads/s, p99 ≤ 50 ms.
 *
 *   BENCH_DATABASE_URL       PostgreSQL server (a database kesher_bench_intake is created there);
 *                            unset: embedded PGlite in a temp dir
 *   BENCH_INTAKE_CUSTOMERS   N customers (1,000,000 on PostgreSQL, 100,000 on PGlite)
 *   BENCH_INTAKE_PARTS       export,port (both)
 *   BENCH_PORT_CONCURRENCY   requests in flight (32)
 *   BENCH_PORT_SECONDS       how long the load runs (15)
 *   BENCH_REUSE=1            reuse (and keep) the loaded database
 *   BENCH_PORT_PROFILE=DIR   write the server's CPU profile (.cpuprofile) into DIR
 */
const env = process.env;
const url = env.BENCH_DATABASE_URL || undefined;
const count = Number(env.BENCH_INTAKE_CUSTOMERS ?? (url ? 1_000_000 : 100_000));
const parts = (env.BENCH_INTAKE_PARTS ?? 'export,port').split(',');
const concurrency = Number(env.BENCH_PORT_CONCURRENCY ?? 32);
const portSeconds = Number(env.BENCH_PORT_SECONDS ?? 15);
const SECRET_KEY = benchSecretKey('intake');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;

configureSecrets({ secretKey: SECRET_KEY, dataDir: tmpdir() });
console.log(`\nKesher intake bench — ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const bench = await openBenchDatabase({ name: 'kesher_bench_intake', count, url, reuse: env.BENCH_REUSE === '1' });
const { tenant } = bench;
let database = bench.database;
console.log(`Database: ${bench.label}, ${fmt(count)} customers\n`);

const lines: string[] = [];

if (parts.includes('export')) {
  for (let run = 1; run <= 2; run++) {
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done();
      },
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    const file = await exportCustomers(database.db, { tenantId: tenant.tenantId, region: 'IL', userKey: 'bench' }, { sort: 'created_desc' }, 'he');
    await file.write(sink);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const line = `export ${fmt(count)} rows (10 columns, he): ${fmt(seconds, 1)} s = ${fmt(count / seconds)} rows/s, ${mb(bytes)} .xlsx, RSS +${mb(peak - before)} (peak ${mb(peak)})  [target ≤ 60 s for 1M]`;
    console.log(line);
    lines.push(line);
  }
}

if (parts.includes('port')) {
  const channel = await createChannel(
    database.db,
    tenant.tenantId,
    null,
    { name: `Bench landing page ${Date.now()}`, mapping: { name: 'fullName', phone: 'phone', email: 'email', message: 'note' }, ratePerMinute: 1_000_000, ratePerIpPerMinute: 1_000_000 },
    'http://localhost',
  );
  const phones = (await rows<{ phone: string }>(database.db, sql`select phone from customers where tenant_id = ${tenant.tenantId} and phone is not null order by random() limit 20000`)).map((r) => r.phone);
  const phonesFile = join(tmpdir(), `kesher-bench-phones-${process.pid}.txt`);
  writeFileSync(phonesFile, phones.join('\n'));
  // Every run starts from vacuumed tables: the last runs left dead rows (log outcomes, filled cards,
  // the rate counters' one hot row), and the bench server runs without autovacuum.
  if (database.kind === 'postgres') await vacuumAnalyze(database.db, ['channel_submissions', 'interactions', 'rate_counters', 'tenants']);
  const [before] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from customers where tenant_id = ${tenant.tenantId}`);
  // An embedded database is one process's: hand it to the server for the run.
  if (database.kind === 'pglite') await database.close();

  const port = await freePort();
  const server = spawn(process.execPath, [...(env.BENCH_PORT_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_PORT_PROFILE}`] : []), '--import', 'tsx', 'apps/server/src/main.ts', 'serve'], {
    cwd: root,
    env: { ...process.env, ...bench.serverEnv, PORT: String(port), HOST: '127.0.0.1', KESHER_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d));
  server.stderr.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + 120_000;
  while (!out.includes('Kesher is running') && server.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('Kesher is running')) throw new Error(`the server did not start:\n${out}`);

  const load = (seconds: number) =>
    new Promise<{ requests: number; perSecond: number; p50: number; p95: number; p99: number; max: number; statuses: Record<string, number> }>((resolveLoad, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', `http://127.0.0.1:${port}/in/${channel.slug}`, channel.token, String(concurrency), String(seconds), phonesFile], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d));
      child.on('exit', (code) => (code === 0 ? resolveLoad(JSON.parse(text.trim().split('\n').at(-1)!)) : reject(new Error(`load.ts exited ${code}`))));
    });
  await load(3); // warm-up: JIT, connection pools, plan caches
  for (let run = 1; run <= 2; run++) {
    const r = await load(portSeconds);
    const line =
      `web data port, ${concurrency} in flight, ${portSeconds} s: ${fmt(r.perSecond)} leads/s, p50 ${fmt(r.p50, 1)} ms, p95 ${fmt(r.p95, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms` +
      `, answers ${JSON.stringify(r.statuses)}  [target ≥ 1,000/s, p99 ≤ 50 ms]`;
    console.log(line);
    lines.push(line);
  }
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(phonesFile, { force: true });
  if (database.kind === 'pglite') database = await (await import('../apps/server/src/db/client.js')).openDatabase({ dataDir: bench.serverEnv.KESHER_DATA_DIR! });
  const [after] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from customers where tenant_id = ${tenant.tenantId}`);
  console.log(`(${fmt((after?.n ?? 0) - (before?.n ?? 0))} new cards were created by the port runs)`);
}

await database.close();
await bench.discard();
console.log(`\nSummary\n${lines.map((l) => `  ${l}`).join('\n')}`);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
