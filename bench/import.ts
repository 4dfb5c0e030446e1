import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import { rows } from '../apps/server/src/db/client.js';
import { rng } from '../apps/server/src/modules/demo/builders.js';
import { ImportRunner, startImport, undoImport } from '../apps/server/src/modules/imports/index.js';
import { writeXlsx, type Cell } from '../apps/server/src/modules/spreadsheets/index.js';
import { benchSecretKey, openBenchDatabase } from './database.js';
import { vacuumAnalyze } from './generate.js';

/**
 * Excel import bench (issue 4 item 6): an .xlsx of N rows — Hebrew names, phones, emails,
 * cities, 10 % of them existing customers (by phone or email) and 2 % invalid phones — imported
 * with the "fill" policy through the product's own path (upload stored in import_chunks, the
 * runner streaming it in batches of 2,000 with set-based matching and bulk writes), against a
 * database of M customers. Prints rows/s end to end (upload + run) and the peak RSS.
 *
 *   BENCH_DATABASE_URL        PostgreSQL server (else embedded PGlite)
 *   BENCH_IMPORT_CUSTOMERS    M existing customers (1,000,000 on PostgreSQL, 100,000 on PGlite)
 *   BENCH_IMPORT_ROWS         N rows in the file (100,000; 1,000,000 for the large-file target: ≤ 120 s, peak RSS ≤ 400 MB)
 *   BENCH_REUSE=1             reuse (and keep) the loaded database
 *   BENCH_IMPORT_NODE_ARGS    extra node flags for the import process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
 */
const env = process.env;
const url = env.BENCH_DATABASE_URL || undefined;
const count = Number(env.BENCH_IMPORT_CUSTOMERS ?? (url ? 1_000_000 : 100_000));
const size = Number(env.BENCH_IMPORT_ROWS ?? 100_000);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;

console.log(`\nKesher import bench — ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const bench = await openBenchDatabase({ name: 'kesher_bench_import', count, url, reuse: env.BENCH_REUSE === '1' });
const db = bench.database.db;
console.log(`Database: ${bench.label}, ${fmt(count)} customers`);

// Existing customers to repeat in the file (by their phone or email).
const known = await rows<{ phone: string | null; email: string | null }>(
  db,
  sql`select phone, email from customers where tenant_id = ${bench.tenant.tenantId} order by random() limit ${Math.ceil(size / 10)}`,
);

const dir = mkdtempSync(join(tmpdir(), 'kesher-import-bench-'));
const file = join(dir, 'customers.xlsx');
const FIRST = ['דנה', 'יוסי', 'רון', 'מיכל', 'אבי', 'נועה', 'איתי', 'שירה', 'עומר', 'תמר'];
const LAST = ['לוי', 'כהן', 'מזרחי', 'פרץ', 'ביטון', 'דהן', 'אברהם', 'פרידמן', 'אזולאי', 'כץ'];
const CITY = ['תל אביב', 'ירושלים', 'חיפה', 'באר שבע', 'חולון', 'נתניה'];
const r = rng(11);
const pick = <T>(list: T[]) => list[Math.floor(r() * list.length)]!;
function* lines(): Generator<Cell[]> {
  for (let i = 0; i < size; i++) {
    const existing = i % 10 === 5 ? known[(i / 10) | 0] : undefined;
    const phone = existing ? existing.phone : i % 50 === 7 ? '12' : `05${2 + (i % 7)}-${String(1_000_000 + ((i * 7919) % 8_999_999)).padStart(7, '0')}`;
    const email = existing ? existing.email : `import.${i}@example.com`;
    yield [pick(FIRST), pick(LAST), phone, email, pick(CITY), null];
  }
}
const t0 = performance.now();
const out = createWriteStream(file);
await writeXlsx(out, 'לקוחות', ['שם פרטי', 'שם משפחה', 'טלפון נייד', 'דוא"ל', 'עיר', 'כתובת'], lines());
await finished(out);
console.log(`File: ${fmt(size)} rows, ${mb(statSync(file).size)} (written in ${fmt((performance.now() - t0) / 1000, 1)} s)\n`);

// Every run starts from a vacuumed table (the last run's undo left dead rows and index entries;
// the bench server runs without autovacuum).
if (bench.label.startsWith('PostgreSQL')) {
  console.log(`${await vacuumAnalyze(db, ['import_rows'])}\n`);
}

let id: string;
let seconds: number;
if (bench.url) {
  // As a user runs it: `npm run kesher -- import FILE --policy fill` in a process of its own, whose peak RSS
  // (VmHWM) is the import's memory — the bench process and the file's writer are not in it.
  const started = performance.now();
  // The command line of `npm run kesher` (root package.json), without npm in between.
  const kesher = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { kesher: string } }).scripts.kesher.split(/\s+/).slice(1);
  const nodeArgs = (env.BENCH_IMPORT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...kesher, 'import', file, '--policy', 'fill'], {
    cwd: root,
    env: { ...process.env, ...bench.serverEnv, KESHER_SECRET_KEY: benchSecretKey('import') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  let peakKb = 0;
  const sampler = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // exited
    }
  }, 50);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(sampler);
  seconds = (performance.now() - started) / 1000;
  const found = /imports\/([0-9a-f-]{36})\/report/.exec(out);
  if (code !== 0 || !found) throw new Error(`kesher import failed (${code}):\n${out}`);
  id = found[1]!;
  console.log(`  kesher import (its own process): ${out.split(/\r|\n/).find((l) => l.startsWith('Import ')) ?? ''}`);
  console.log(`  peak RSS of the import process: ${mb(peakKb * 1024)}  [target ≤ 400 MB for a 1M-row file]`);
} else {
  // Embedded PGlite belongs to this process: the import runs here (RSS includes the database).
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = performance.now();
  ({ id } = await startImport(db, { tenantId: bench.tenant.tenantId, userId: null }, createReadStream(file), { fileName: 'customers.xlsx', policy: 'fill' }));
  const runner = new ImportRunner(db);
  while (await runner.runOnce()) {}
  seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(`  peak RSS ${mb(peak)} (${mb(rssBefore)} before the import: the bench process with its embedded database)`);
}
const [s] = await rows<Record<string, number | string>>(db, sql`select state, total, created, filled, renewed, skipped, rejected from imports where id = ${id}`);
console.log(`Import (${bench.label.startsWith('PostgreSQL') ? 'PostgreSQL' : 'PGlite'}, policy fill): ${s!.state} — ${fmt(Number(s!.total))} rows in ${fmt(seconds, 1)} s = ${fmt(Number(s!.total) / seconds)} rows/s end to end  [target ≥ 20,000 rows/s; 1M rows ≤ 120 s]`);
console.log(`  created ${fmt(Number(s!.created))}, filled ${fmt(Number(s!.filled))}, skipped ${fmt(Number(s!.skipped))}, rejected ${fmt(Number(s!.rejected))}`);

// Leave the bench database as it was (the import undone), unless it is thrown away anyway.
const t1 = performance.now();
const undone = await undoImport(db, bench.tenant.tenantId, id);
console.log(`  undo: ${fmt(undone.deleted)} deleted, ${fmt(undone.restored)} restored in ${fmt((performance.now() - t1) / 1000, 1)} s`);
await db.execute(sql`delete from imports where id = ${id}`);
rmSync(dir, { recursive: true, force: true });
await bench.database.close();
await bench.discard();
