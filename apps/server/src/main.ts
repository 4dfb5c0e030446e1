import { parseArgs } from 'node:util';
import { readConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { rows } from './db/client.js';
import { configureSecrets } from './modules/secrets/index.js';
import type { WorkerLog } from './modules/mail/index.js';
import { sql } from 'drizzle-orm';

// Each command loads only the modules it uses (dynamic imports below): `kesher import` then stays
// clear of the web server, the mail worker and their dependencies (≈ 20 MB of a small process).

const USAGE = `kesher <command>

  start            server (API + back office) on PORT, embedded database by default
  serve            the same server (a worker-less process for scaling out)
  worker           the mail worker and run preparer alone (any number of them on one PostgreSQL database)
  migrate          apply database migrations and exit
  user create      --email E --name N [--password P] [--role admin|staff]
  demo             load demo customers [--count 300]
  import FILE      import customers from an .xlsx / .csv file into the first database [--policy skip|fill|renew]

Environment: PORT (3000), KESHER_DATA_DIR (./data), DATABASE_URL (PostgreSQL instead of the
embedded database), KESHER_ADMIN_EMAIL / KESHER_ADMIN_PASSWORD (first start only),
SMTP_URL / MAIL_FROM (the server's default mailbox), KESHER_PUBLIC_URL (links in emails).`;

async function open(config: Config): Promise<Database> {
  configureSecrets({ secretKey: config.secretKey, dataDir: config.dataDir });
  return openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
}

async function firstTenantId(database: Database): Promise<string> {
  const [t] = await rows<{ id: string }>(database.db, sql`select id from tenants order by created_at limit 1`);
  if (!t) throw new Error('No tenant yet: run `kesher start` once first.');
  return t.id;
}

/**
 * The background work of a process: the mail worker (sends the outbox) and the run preparer
 * (turns confirmed invitation / bulk runs into outbox messages). stop() lets both finish what is
 * in flight.
 */
async function startBackground(database: Database, config: Config, log: WorkerLog): Promise<{ stop(): Promise<void> }> {
  const [{ mailSettings, startMailWorker }, { startRunPreparer }, { startImportRunner }] = await Promise.all([
    import('./modules/mail/index.js'),
    import('./modules/invitations/index.js'),
    import('./modules/imports/runner.js'),
  ]);
  const mail = { publicUrl: config.publicUrl, smtpUrl: config.smtpUrl, mailFrom: config.mailFrom };
  const worker = startMailWorker(database.db, { ...mail, log });
  const preparer = startRunPreparer(database.db, { settings: mailSettings(mail), log, ...(config.runPageSize ? { pageSize: config.runPageSize } : {}) });
  const importer = startImportRunner(database.db, { log });
  return { stop: async () => void (await Promise.all([preparer.stop(), worker.stop(), importer.stop()])) };
}

/** Prints a login; `password` is null when the person chose it (environment or --password). */
function printLogin(title: string, email: string, password: string | null, chosenIn: string): void {
  const line = '─'.repeat(60);
  console.log(`\n${line}\n ${title}\n   email:    ${email}`);
  console.log(password ? `   password: ${password}\n (shown once — change it after logging in)` : `   password: the one given in ${chosenIn}`);
  console.log(`${line}\n`);
}

const printAdminLogin = (email: string, password: string | null) =>
  printLogin('Kesher is set up. Log in as the first administrator:', email, password, 'KESHER_ADMIN_PASSWORD');

async function serve(config: Config, withWorker: boolean): Promise<void> {
  const database = await open(config);
  const { bootstrap } = await import('./modules/tenants/bootstrap.js');
  const first = await bootstrap(database.db, { email: config.adminEmail, password: config.adminPassword });
  if (first) printAdminLogin(first.email, first.password);
  const { buildApp } = await import('./app.js');
  const app = await buildApp({ db: database.db, trustProxy: config.trustProxy, logLevel: config.logLevel, publicUrl: config.publicUrl, smtpUrl: config.smtpUrl, mailFrom: config.mailFrom });
  let background: { stop(): Promise<void> } | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await Promise.all([app.close(), background?.stop()]);
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  if (withWorker) background = await startBackground(database, config, app.log);
  if (database.kind === 'pglite') {
    // In the background: the server answers meanwhile (queries wait their turn for a moment).
    const { analyzeStale } = await import('./db/statistics.js');
    void analyzeStale(database.db).catch((err: unknown) => app.log.warn({ err }, 'analyze failed'));
  }
  console.log(`Kesher is running: http://localhost:${config.port}  (database: ${database.kind === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'})`);
}

/** `kesher worker`: the mail worker and run preparer alone; SIGTERM / SIGINT finish the messages in flight, then exit. */
async function runWorker(config: Config): Promise<void> {
  const database = await open(config);
  const { default: pino } = await import('pino');
  const log = pino({ level: config.logLevel });
  const worker = await startBackground(database, config, log);
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'mail worker: stopping after the messages in flight');
    await worker.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  console.log(`Kesher mail worker is running (database: ${database.kind === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'})`);
}

/** `kesher import FILE [--policy skip|fill|renew]`: imports into the first database, in this process, and prints the counts. */
async function importCommand(config: Config, file: string | undefined, policyArg: string | undefined): Promise<void> {
  const policy = policyArg ?? 'skip';
  if (!file || !['skip', 'fill', 'renew'].includes(policy)) throw new Error(USAGE);
  const { createReadStream } = await import('node:fs');
  const { basename } = await import('node:path');
  const database = await open(config);
  const [{ startImport, getImport }, { ImportRunner }] = await Promise.all([import('./modules/imports/service.js'), import('./modules/imports/runner.js')]);
  try {
    const tenantId = await firstTenantId(database);
    const started = Date.now();
    const { id } = await startImport(database.db, { tenantId, userId: null }, createReadStream(file), { fileName: basename(file), policy: policy as 'skip' | 'fill' | 'renew' });
    const runner = new ImportRunner(database.db, {
      onBatch: async () => {
        const s = await getImport(database.db, tenantId, id);
        process.stdout.write(`\r${s.rowsDone}${s.rowsTotal === null ? '' : ` of ${s.rowsTotal}`} rows…`);
      },
    });
    while (await runner.runOnce()) {}
    const s = await getImport(database.db, tenantId, id);
    const seconds = (Date.now() - started) / 1000;
    console.log(`\rImport ${s.state}: ${s.total} rows in ${seconds.toFixed(1)} s — created ${s.created}, filled ${s.filled}, renewed ${s.renewed}, skipped ${s.skipped}, rejected ${s.rejected}`);
    if (s.error) console.log(`Error: ${s.error}`);
    console.log(`Report: GET /api/v1/imports/${id}/report.xlsx`);
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const config = readConfig();
  const [command, sub] = argv;
  const { values } = parseArgs({
    args: argv.slice(command === 'user' ? 2 : 1),
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, count: { type: 'string' }, policy: { type: 'string' } },
    allowPositionals: true,
  });
  switch (command) {
    case 'start':
    case 'serve':
      return serve(config, command === 'start');
    case 'worker':
      return runWorker(config);
    case 'migrate': {
      const database = await open(config);
      await database.close();
      console.log('Migrations applied.');
      return;
    }
    case 'user': {
      if (sub !== 'create' || !values.email) throw new Error(USAGE);
      const database = await open(config);
      const [{ bootstrap }, { createUser }] = await Promise.all([import('./modules/tenants/bootstrap.js'), import('./modules/users/service.js')]);
      const first = await bootstrap(database.db, {});
      const tenantId = first?.tenantId ?? (await firstTenantId(database));
      const password = values.password ?? (await import('./modules/auth/passwords.js')).generateAdminPassword();
      const role = values.role === 'staff' ? 'staff' : 'admin';
      await createUser(database.db, tenantId, { email: values.email, name: values.name ?? values.email, password, role, language: 'he' });
      printLogin(`User created (${role}):`, values.email, values.password ? null : password, '--password');
      await database.close();
      return;
    }
    case 'demo': {
      const database = await open(config);
      const [{ bootstrap }, { loadDemo }] = await Promise.all([import('./modules/tenants/bootstrap.js'), import('./modules/demo/index.js')]);
      const first = await bootstrap(database.db, { email: config.adminEmail, password: config.adminPassword });
      if (first) printAdminLogin(first.email, first.password);
      const n = await loadDemo(database.db, first?.tenantId ?? (await firstTenantId(database)), Number(values.count ?? 300));
      console.log(`Loaded ${n} demo customers.`);
      await database.close();
      return;
    }
    case 'import':
      return importCommand(config, sub, values.policy);
    default:
      console.log(USAGE);
      process.exitCode = command ? 1 : 0;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
