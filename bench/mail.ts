// The server's modules are type-checked here without app.ts, which brings @fastify/cookie's request / reply types.
import type {} from '@fastify/cookie';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../apps/server/src/db/client.js';
import type { StaffContext } from '../apps/server/src/http/access.js';
import { customers } from '../apps/server/src/modules/customers/tables.js';
import { RunPreparer } from '../apps/server/src/modules/invitations/preparer.js';
import { startRun } from '../apps/server/src/modules/invitations/service.js';
import { composeBatch, TemplateCache, type Composed } from '../apps/server/src/modules/mail/compose.js';
import { mailSettings, runCounts } from '../apps/server/src/modules/mail/index.js';
import type { MergeContext } from '../apps/server/src/modules/mail/merge-fields.js';
import type { ClaimedMessage } from '../apps/server/src/modules/mail/outbox.js';
import { compileTemplate, renderMessage } from '../apps/server/src/modules/mail/render.js';
import { findTemplate, INVITE_TEMPLATE } from '../apps/server/src/modules/mail/templates.js';
import { TransportCache } from '../apps/server/src/modules/mail/transport.js';
import { portalLoginUrl } from '../apps/server/src/modules/portal/service.js';
import { configureSecrets } from '../apps/server/src/modules/secrets/index.js';
import { benchSecretKey, openBenchDatabase } from './database.js';
import type { BenchTenant } from './generate.js';

/**
 * The mail bench (issue 3 "Performance"), part of `npm run bench` (alone: `npm run bench:mail`,
 * or `BENCH_ONLY=mail npm run bench`). On a database of its own (`kesher_bench_mail`, N customers
 * loaded by generate.ts) it times, BENCH_MAIL_RUNS times each:
 *
 *   prepare   an invitation run on every customer, confirmed with `startRun` and prepared by the
 *             product's `RunPreparer`: claim → passwords generated, encrypted, committed →
 *             outbox rows enqueued → 'sending'. Target ≤ 10 s for 100k.
 *   render    the Hebrew Invite_to_Website_Email: renderMessage alone (the sent copy + the filed
 *             copy, as the worker does it), and composeBatch as the worker calls it (cards,
 *             mailboxes, decrypted passwords read from the database). Target ≥ 20k messages/s.
 *   ceiling   the product's pooled transport (TransportCache: nodemailer pool) → the sink, no
 *             database: what this machine can send at all.
 *   worker    the real `kesher worker` process (DATABASE_URL, KESHER_SECRET_KEY, SMTP_URL = the
 *             sink) sending the run: from the worker's "running" line until N rows are 'sent' in
 *             the database (claims, state changes and filing included), its peak RSS (VmHWM) and
 *             CPU time. Target ≥ 1,500 messages/s. PostgreSQL only (PGlite is embedded in one
 *             process: a second process cannot open it).
 *
 * The sink (bench/smtp-sink.ts) runs in a process of its own, as the issue asks.
 *
 *   BENCH_DATABASE_URL    PostgreSQL server (a database kesher_bench_mail is created there);
 *                         unset: embedded PGlite in a temp dir (no worker measure)
 *   BENCH_MAIL_CUSTOMERS  N customers (100,000)
 *   BENCH_MAIL_RUNS       repetitions of each measure (2)
 *   BENCH_MAIL_SEND       messages the worker sends per run (all the run's messages)
 *   BENCH_MAIL_CEILING    messages for the ceiling (20,000)
 *   BENCH_MAIL_CONNECTIONS pool sizes for the ceiling, comma-separated (5,10)
 *   BENCH_MAIL_PARTS      which measures: prepare,render,ceiling,worker (all)
 *   BENCH_REUSE=1         reuse (and keep) kesher_bench_mail when it already holds N customers
 *   BENCH_MAIL_WORKER_PROFILE  a directory: the worker process writes a V8 CPU profile there (--cpu-prof)
 *   BENCH_MAIL_WORKER_ROOT     run the worker from another checkout (with node_modules), e.g. to compare with an older commit
 */
const env = process.env;
const url = env.BENCH_DATABASE_URL || undefined;
const count = Number(env.BENCH_MAIL_CUSTOMERS ?? 100_000);
const runs = Number(env.BENCH_MAIL_RUNS ?? 2);
const sendCount = env.BENCH_MAIL_SEND ? Number(env.BENCH_MAIL_SEND) : null;
const ceilingCount = Number(env.BENCH_MAIL_CEILING ?? 20_000);
const ceilingPools = (env.BENCH_MAIL_CONNECTIONS ?? '5,10').split(',').map(Number).filter((n) => n > 0);
const parts = new Set((env.BENCH_MAIL_PARTS ?? 'prepare,render,ceiling,worker').split(',').map((p) => p.trim()));
const reuse = env.BENCH_REUSE === '1';
const only = env.BENCH_ONLY?.toLowerCase();
const BENCH_DB = 'kesher_bench_mail';
/** The bench database's URL (PostgreSQL), for the worker process. */
let benchUrl: string | null = null;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** A fixed key, so the worker process decrypts what this process encrypted (and a reused database stays readable). */
const SECRET_KEY = benchSecretKey('mail');
const PUBLIC_URL = 'https://crm.example.com';
const MAIL_FROM = 'Kesher bench <noreply@example.com>';

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const lines: string[] = [];
/** Prints a result line now and again in the summary at the end. */
const report = (line: string) => {
  console.log(`  ${line}`);
  lines.push(line);
};

// ---- the sink, in its own process ----

interface SinkStats {
  messages: number;
  bytes: number;
  distinctKeys: number;
  connections: number;
}

class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static start(): Promise<Sink> {
    const child = fork(join(ROOT, 'bench/smtp-sink.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolvePort, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`smtp sink exited (${code})`)));
      child.once('message', (m: { type: string; port: number }) => resolvePort(new Sink(child, m.port)));
    });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}?tls=none`;
  }

  private ask<T>(type: string): Promise<T> {
    return new Promise((resolveAnswer) => {
      const on = (m: { type: string }) => {
        if (m.type !== type) return;
        this.child.off('message', on);
        resolveAnswer(m as T);
      };
      this.child.on('message', on);
      this.child.send({ type });
    });
  }

  stats = () => this.ask<SinkStats>('stats');
  reset = () => this.ask<unknown>('reset');

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.disconnect();
  }
}

// ---- the database ----

/** Forgets earlier runs: outbox, runs, filed emails and portal credentials of the bench tenant. */
async function clearRuns(db: Db, tenantId: string): Promise<void> {
  await db.execute(sql`delete from interactions where tenant_id = ${tenantId} and outbox_id is not null`);
  await db.execute(sql`delete from outbox where tenant_id = ${tenantId}`);
  await db.execute(sql`delete from mail_runs where tenant_id = ${tenantId}`);
  await db.execute(sql`delete from portal_credentials where tenant_id = ${tenantId}`);
  await db.execute(sql`vacuum (analyze) outbox, mail_runs, interactions, portal_credentials`);
}

/** Puts the messages of the bench tenant's last prepared run back to 'queued' (its filed copies deleted); its id, or null. */
async function requeueLastRun(db: Db, tenantId: string): Promise<string | null> {
  const [run] = await rows<{ id: string }>(
    db,
    sql`select id from mail_runs where tenant_id = ${tenantId} and kind = 'invitation' and state in ('sending', 'done') order by created_at desc limit 1`,
  );
  if (!run) return null;
  await db.execute(sql`delete from interactions where tenant_id = ${tenantId} and outbox_id is not null`);
  await db.execute(
    sql`update outbox set state = 'queued', attempts = 0, last_error = null, message_id = null, sent_at = null, next_attempt_at = now()
         where run_id = ${run.id} and state in ('sending', 'sent', 'failed', 'queued')`,
  );
  await db.execute(sql`update mail_runs set state = 'sending', finished_at = null where id = ${run.id}`);
  await db.execute(sql`vacuum (analyze) outbox, interactions`);
  console.log(`  (run ${run.id}: its messages queued again; BENCH_MAIL_PARTS has no 'prepare')`);
  return run.id;
}

// ---- a: preparation ----

async function measurePrepare(db: Db, tenant: BenchTenant, serverSmtpUrl: string, i: number): Promise<string> {
  const staff: StaffContext = { tenantId: tenant.tenantId, region: 'IL', userId: null, actorName: 'bench', role: 'admin', via: 'api_key' };
  const t0 = performance.now();
  const { id } = await startRun(db, staff, 'invitation', { filter: {} });
  const confirmed = performance.now();
  let passwordsDone = confirmed;
  let firstMessagePage = 0;
  let pages = 0;
  const preparer = new RunPreparer(db, {
    settings: mailSettings({ smtpUrl: serverSmtpUrl, mailFrom: MAIL_FROM }),
    onPage: ({ phase }) => {
      pages++;
      if (phase === 'passwords') passwordsDone = performance.now();
      else if (!firstMessagePage) firstMessagePage = performance.now();
    },
  });
  const started = performance.now();
  const worked = await preparer.runOnce();
  const done = performance.now();
  if (!worked) throw new Error('the preparer found no run to prepare');
  const [run] = await rows<{ state: string; notes: { prepare?: { newPasswords?: number; existingPasswords?: number; setPasswordLinks?: number } } }>(
    db,
    sql`select state, notes from mail_runs where id = ${id}`,
  );
  if (run?.state !== 'sending' && run?.state !== 'done') throw new Error(`run ${id} is ${run?.state} after preparing`);
  const counts = await runCounts(db, tenant.tenantId, id);
  const p = run.notes.prepare ?? {};
  const s = (a: number, b: number) => ((b - a) / 1000).toFixed(2);
  const skipped = Object.entries(counts.skippedBy).map(([k, v]) => `${k} ${fmt(v ?? 0)}`).join(', ');
  report(
    `a. prepare #${i}: ${s(started, done)} s claim → 'sending' for ${fmt(counts.total)} customers ` +
      `(passwords phase ${s(started, passwordsDone)} s: ${fmt(p.newPasswords ?? 0)} generated + encrypted + committed; ` +
      `messages phase ${s(passwordsDone, done)} s: ${fmt(counts.queued)} queued, ${fmt(counts.skipped)} skipped [${skipped}]; ` +
      `${pages} pages; startRun ${s(t0, confirmed)} s) → ${fmt(counts.total / ((done - started) / 1000))} customers/s; target ≤ 10 s`,
  );
  return id;
}

// ---- b: rendering ----

async function claimedOf(db: Db, runId: string, limit: number): Promise<ClaimedMessage[]> {
  const list = await rows<{ id: string; tenant_id: string; run_id: string; customer_id: string | null; to_address: string | null; mailbox_id: string | null; template_key: string; language: string; credential: ClaimedMessage['credential']; idempotency_key: string }>(
    db,
    sql`select id, tenant_id, run_id, customer_id, to_address, mailbox_id, template_key, language, credential, idempotency_key
          from outbox where run_id = ${runId} and state = 'queued' and language = 'he' order by next_attempt_at, id limit ${limit}`,
  );
  return list.map((r) => ({
    id: r.id, tenantId: r.tenant_id, runId: r.run_id, customerId: r.customer_id, toAddress: r.to_address, mailboxId: r.mailbox_id,
    templateKey: r.template_key, language: r.language, credential: r.credential, attempts: 1, idempotencyKey: r.idempotency_key,
  }));
}

/** Repeats `fn` (one call = `per` messages) for about `ms`, returns messages/s. */
async function rate(ms: number, per: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await fn();
    n += per;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function measureRender(db: Db, tenant: BenchTenant, runId: string, serverSmtpUrl: string, i: number): Promise<Composed[]> {
  const template = await findTemplate(db, tenant.tenantId, INVITE_TEMPLATE, 'he');
  if (!template) throw new Error('no Hebrew Invite_to_Website_Email');
  const compiled = compileTemplate({ subject: template.subject, html: template.html, language: 'he' });
  const cards = await db.select().from(customers).where(sql`${customers.tenantId} = ${tenant.tenantId}`).limit(2000);
  const tenantRow = { id: tenant.tenantId, portalUrl: null };
  const branchName = new Map(tenant.branches.map((b) => [b.id, b.name]));
  const contexts: MergeContext[] = cards.map((c) => ({
    customer: c,
    branchName: c.branchId ? (branchName.get(c.branchId) ?? null) : null,
    companyName: 'Kesher bench',
    language: 'he',
    portalUrl: portalLoginUrl(tenantRow, PUBLIC_URL),
    password: 'Ab3dEf7h',
    setPasswordLink: portalLoginUrl(tenantRow, PUBLIC_URL),
    unsubscribeUrl: '',
  }));
  let k = 0;
  const renderOnly = await rate(2000, 1, () => {
    const c = contexts[k++ % contexts.length]!;
    renderMessage(compiled, c);
    renderMessage(compiled, { ...c, password: '••••••••' });
  });
  const sample = renderMessage(compiled, contexts[0]!);

  const settings = mailSettings({ publicUrl: PUBLIC_URL, smtpUrl: serverSmtpUrl, mailFrom: MAIL_FROM });
  const claimed = await claimedOf(db, runId, 5000);
  const batches: ClaimedMessage[][] = [];
  for (let j = 0; j < claimed.length; j += 100) batches.push(claimed.slice(j, j + 100));
  const cache = new TemplateCache();
  let b = 0;
  const composed: Composed[] = [];
  const composeRate = await rate(3000, 100, async () => {
    const out = await composeBatch(db, settings, batches[b++ % batches.length]!, cache);
    if (composed.length < 500) for (const c of out.values()) if ('smtp' in c) composed.push(c);
  });
  report(
    `b. render #${i}: renderMessage ${fmt(renderOnly)} messages/s (sent copy + filed copy each; ${fmt(Buffer.byteLength(sample.html))} B html, ` +
      `${fmt(Buffer.byteLength(sample.text))} B text); composeBatch as the worker calls it (100 a batch, cards + passwords read and decrypted) ` +
      `${fmt(composeRate)} messages/s; target ≥ 20,000`,
  );
  return composed;
}

// ---- d: the ceiling ----

/**
 * The pooled transport alone, no database: `composer` is nodemailer as it is used out of the box
 * (sendMail with html + text: its MailComposer builds the MIME); `prebuilt` is the worker's way
 * (TransportCache.send: the message written by buildMime, sent as raw).
 */
async function measureCeiling(sink: Sink, samples: Composed[], serverSmtpUrl: string, connections: number, mode: 'composer' | 'prebuilt', i: number): Promise<void> {
  const settings = mailSettings({ smtpUrl: serverSmtpUrl, mailFrom: MAIL_FROM }).serverMailbox!;
  const cache = new TransportCache({ maxConnections: connections, serverMaxConnections: connections });
  const transport = cache.get(settings);
  await sink.reset();
  const window = 200;
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (;;) {
      const n = next++;
      if (n >= ceilingCount) return;
      const c = samples[n % samples.length]!;
      try {
        const mail = { ...c.mail, messageId: `<ceiling-${i}-${n}@example.com>`, headers: { ...c.mail.headers, 'X-Kesher-Message-Id': `ceiling-${i}-${n}` } };
        if (mode === 'composer') await transport.sendMail(mail);
        else await cache.send(settings, mail);
      } catch {
        failed++;
      }
    }
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: window }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  cache.closeAll();
  const st = await sink.stats();
  report(
    `d. ceiling #${i}, nodemailer pool ${mode === 'composer' ? 'with its composer' : 'with pre-built MIME (the worker\'s way)'}, ${connections} connections: ${fmt(ceilingCount / seconds)} messages/s (${fmt(ceilingCount)} in ${seconds.toFixed(2)} s, ` +
      `sink got ${fmt(st.messages)}, ${fmt(st.bytes / Math.max(st.messages, 1))} B each, ${failed} failed; ` +
      `sender CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of a core)`,
  );
}

// ---- c: the worker process ----

function procStatus(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by all processes of a name (e.g. every PostgreSQL backend), living ones only. */
function cpuOfAll(comm: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === comm) total += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function measureWorker(db: Db, sink: Sink, runId: string, i: number): Promise<void> {
  const [q] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox where run_id = ${runId} and state = 'queued'`);
  const target = Math.min(sendCount ?? q!.n, q!.n);
  await sink.reset();
  const dataDir = mkdtempSync(join(tmpdir(), 'kesher-bench-worker-'));
  const profile = env.BENCH_MAIL_WORKER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(env.BENCH_MAIL_WORKER_PROFILE)}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'apps/server/src/main.ts', 'worker'], {
    cwd: env.BENCH_MAIL_WORKER_ROOT ? resolve(env.BENCH_MAIL_WORKER_ROOT) : ROOT,
    env: {
      ...process.env,
      DATABASE_URL: benchUrl!,
      KESHER_SECRET_KEY: SECRET_KEY,
      SMTP_URL: sink.url,
      MAIL_FROM,
      KESHER_PUBLIC_URL: PUBLIC_URL,
      LOG_LEVEL: 'warn',
      KESHER_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = child.pid!;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const spawned = performance.now();
  await new Promise<void>((ready, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('mail worker is running')) ready();
    });
    void exited.then((code) => reject(new Error(`the worker exited (${code}) before it ran: ${out}`)));
  });
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const sinkCpu0 = cpuSeconds(sink.pid);
  const pgCpu0 = cpuOfAll('postgres');
  const benchCpu0 = process.cpuUsage();
  const rssAtStart = procStatus(pid)?.rss ?? 0;
  let peakRss = 0;
  const sampleRss = () => {
    const s = procStatus(pid);
    if (s) peakRss = Math.max(peakRss, s.rss);
  };
  let lastPrint = t0;
  let lastSeen = 0;
  // Follow the sink (cheap) until it has N, then the database until N rows are recorded 'sent'.
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    sampleRss();
    const st = await sink.stats();
    if (performance.now() - lastPrint > 10_000) {
      console.log(`    … ${fmt(st.messages)} at the sink after ${((performance.now() - t0) / 1000).toFixed(0)} s, worker RSS ${fmt(procStatus(pid)?.rss ?? 0)} MB`);
      lastPrint = performance.now();
      if (st.messages === lastSeen) throw new Error('the worker sends nothing');
      lastSeen = st.messages;
    }
    if (st.messages >= target) break;
  }
  let sent = 0;
  for (;;) {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from outbox where run_id = ${runId} and state = 'sent'`);
    sent = r!.n;
    if (sent >= target) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - t0) / 1000;
  // All of the run sent: the worker marks the run 'done' (the run's own state change).
  let runState = '';
  for (let k = 0; k < 100; k++) {
    const [r] = await rows<{ state: string }>(db, sql`select state from mail_runs where id = ${runId}`);
    runState = r!.state;
    if (runState === 'done' || target < q!.n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const doneAfter = (performance.now() - t0) / 1000 - seconds;
  const cpu = cpuSeconds(pid) - cpu0;
  const sinkCpu = cpuSeconds(sink.pid) - sinkCpu0;
  const pgCpu = cpuOfAll('postgres') - pgCpu0;
  const b = process.cpuUsage(benchCpu0);
  const benchCpu = (b.user + b.system) / 1e6;
  const pct = (c: number) => `${((c / seconds) * 100).toFixed(0)} %`;
  sampleRss();
  const hwm = procStatus(pid)?.hwm ?? 0;
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
  const st = await sink.stats();
  const [filed] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from interactions i join outbox o on o.id = i.outbox_id where o.run_id = ${runId}`,
  );
  const [states] = await rows<{ sent: number; queued: number; sending: number; failed: number }>(
    db,
    sql`select count(*) filter (where state = 'sent')::int as sent, count(*) filter (where state = 'queued')::int as queued,
               count(*) filter (where state = 'sending')::int as sending, count(*) filter (where state = 'failed')::int as failed
          from outbox where run_id = ${runId}`,
  );
  report(
    `c. worker #${i}: ${fmt(target / seconds)} messages/s (${fmt(target)} recorded 'sent' in ${seconds.toFixed(1)} s from the worker's start line; ` +
      `process start ${((t0 - spawned) / 1000).toFixed(1)} s before it) ; sink got ${fmt(st.messages)} (${fmt(st.distinctKeys)} distinct keys, ${st.connections} connections); ` +
      `run ${runState}${runState === 'done' ? ` ${doneAfter.toFixed(2)} s after the last 'sent'` : ''}; after SIGTERM: ${fmt(states!.sent)} sent, ${fmt(states!.queued)} queued, ${states!.sending} sending, ${states!.failed} failed; ${fmt(filed!.n)} filed on cards; ` +
      `worker peak RSS ${fmt(hwm)} MB (VmHWM; sampled max ${fmt(peakRss)} MB, ${fmt(rssAtStart)} MB when it started), CPU ${pct(cpu)} of a core (${fmt((cpu * 1e6) / target)} µs/message); ` +
      `meanwhile the sink ${pct(sinkCpu)}, PostgreSQL ${pct(pgCpu)}, this bench ${pct(benchCpu)}, load average ${load()}; target ≥ 1,500`,
  );
}

// ---- main ----

async function main(): Promise<void> {
  if (only && !only.includes('mail')) {
    console.log(`Mail bench skipped (BENCH_ONLY=${env.BENCH_ONLY}).`);
    return;
  }
  configureSecrets({ secretKey: SECRET_KEY, dataDir: tmpdir() });
  console.log(`\nKesher mail bench: ${url ? `PostgreSQL (${new URL(url).host}/${BENCH_DB})` : 'PGlite'}, ${fmt(count)} customers, ${runs} run(s) of each measure`);
  console.log(`machine: ${cpus().length} cores, load average ${load()}`);
  const sink = await Sink.start();
  const target = await openBenchDatabase({ name: BENCH_DB, count, url, reuse });
  const { database, tenant } = target;
  benchUrl = target.url;
  try {
    for (let i = 1; i <= runs; i++) {
      console.log(`Run ${i} (load average ${load()}):`);
      // Without 'prepare' (to measure the rest again quickly) the last run's messages are queued again.
      let runId = parts.has('prepare') ? null : await requeueLastRun(database.db, tenant.tenantId);
      if (!runId) {
        await clearRuns(database.db, tenant.tenantId);
        runId = await measurePrepare(database.db, tenant, sink.url, i);
        if (!parts.has('prepare')) lines.pop();
      }
      const samples = await measureRender(database.db, tenant, runId!, sink.url, i);
      if (!parts.has('render')) lines.pop();
      if (parts.has('ceiling')) {
        for (const mode of ['composer', 'prebuilt'] as const) for (const n of ceilingPools) await measureCeiling(sink, samples, sink.url, n, mode, i);
      }
      if (parts.has('worker')) {
        if (database.kind === 'postgres') await measureWorker(database.db, sink, runId!, i);
        else if (i === 1) report('c. worker: skipped on PGlite: the embedded database lives inside one process, so a worker process cannot share it (run with BENCH_DATABASE_URL)');
      }
    }
  } finally {
    await database.close();
    await target.discard();
    sink.stop();
  }
  console.log(`\n## Kesher mail bench: ${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${fmt(count)} customers`);
  console.log(`(${cpus().length} cores; load average after the run ${load()})\n`);
  for (const l of lines) console.log(`- ${l}`);
  if (reuse) console.log(`\nKept for BENCH_REUSE=1: ${target.label}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
