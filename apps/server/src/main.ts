import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { DataDirBusy, liveHolder, type LockHolder } from './db/data-dir-lock.js';
import { openAdminChannel, sendToServer } from './cli/admin-channel.js';
import { commands, loginLines, type CommandContext, type CommandName } from './cli/commands.js';
import { configureSecrets } from './modules/secrets/index.js';
import type { WorkerLog } from './modules/mail/index.js';

// Each command loads only the modules it uses (dynamic imports below): `kesher import` then stays
// clear of the web server, the mail worker and their dependencies (≈ 20 MB of a small process).

const USAGE = `kesher <command>

  start            server (API + back office) on PORT, embedded database by default
  serve            the same server (a worker-less process for scaling out)
  worker           the mail worker and run preparer alone (any number of them on one PostgreSQL database)
  migrate          apply database migrations and exit
  user create      --email E --name N [--password P] [--role admin|staff]
  tenant create    --name NAME --admin-email E [--admin-password P] [--language he|en]   a new database
  demo             load demo customers [--count 300]
  import FILE      import customers from an .xlsx / .csv file into the first database [--policy skip|fill|renew]

Environment: PORT (3000), KESHER_DATA_DIR (./data), DATABASE_URL (PostgreSQL instead of the
embedded database), KESHER_ADMIN_EMAIL / KESHER_ADMIN_PASSWORD (first start only),
SMTP_URL / MAIL_FROM (the server's default mailbox), KESHER_PUBLIC_URL (links in emails).`;

async function open(config: Config, owner: string): Promise<Database> {
  configureSecrets({ secretKey: config.secretKey, dataDir: config.dataDir });
  try {
    return await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, owner });
  } catch (err) {
    if (err instanceof DataDirBusy) throw new Error(`${err.message}\n${busyHint(owner, err)}`);
    throw err;
  }
}

const isServer = (command: string) => command === 'start' || command === 'serve';

function busyHint(owner: string, err: DataDirBusy): string {
  if (isServer(owner) && !isServer(err.holder.command)) return `Start the server when \`kesher ${err.holder.command}\` has finished.`;
  if (isServer(owner)) return `Kesher already runs on this data directory. Stop it first (Ctrl+C in its terminal, or kill ${err.holder.pid}), or set another KESHER_DATA_DIR.`;
  if (owner === 'worker') return 'On the embedded database the server runs the background work itself: `kesher worker` is for PostgreSQL (DATABASE_URL).';
  return 'Wait until it has finished, then run this command again.';
}

/**
 * The running server that owns the embedded data directory, once its admin channel listens (a
 * server still starting is waited for); null when no server holds it.
 */
async function runningServer(dataDir: string): Promise<LockHolder | null> {
  const deadline = Date.now() + 120_000;
  let said = false;
  for (;;) {
    const holder = liveHolder(dataDir);
    if (!holder || !isServer(holder.command)) return null;
    if (holder.adminPort) return holder;
    if (Date.now() > deadline) throw new Error(`The server (pid ${holder.pid}) holds ${dataDir} but has not finished starting.`);
    if (!said) console.error(`Waiting for the server (pid ${holder.pid}) to finish starting …`);
    said = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A terminal for a command's output: progress lines replace each other, the next line starts clean. */
function terminal(): Pick<CommandContext, 'print' | 'progress'> {
  let progressShown = false;
  return {
    print: (line) => {
      console.log(progressShown ? `\r\x1b[K${line}` : line);
      progressShown = false;
    },
    progress: (text) => {
      process.stdout.write(`\r${text}`);
      progressShown = true;
    },
  };
}

/**
 * A command that changes data: on the embedded database while the server runs, it runs inside the
 * server (the local admin channel); otherwise here, holding the data directory (or on PostgreSQL,
 * beside any number of other processes).
 */
async function dataCommand(config: Config, name: CommandName, rawArgs: object, filePath?: string): Promise<void> {
  const command = commands[name];
  const parsed = command.args.safeParse(rawArgs);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('\n')}\n\n${USAGE}`);
  if (filePath) await access(filePath).catch(() => Promise.reject(new Error(`Cannot read ${filePath}.`)));
  if (!config.databaseUrl) {
    const server = await runningServer(config.dataDir);
    if (server) {
      console.error(`(run by the server that holds ${config.dataDir}, pid ${server.pid})`);
      return sendToServer(config.dataDir, server, name, parsed.data as object, filePath);
    }
  }
  const database = await open(config, name);
  try {
    const run = command.run as (c: CommandContext, a: unknown, f?: AsyncIterable<Buffer>) => Promise<void>;
    await run({ db: database.db, background: false, ...terminal() }, parsed.data, filePath ? createReadStream(filePath) : undefined);
  } finally {
    await database.close();
  }
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

const printAdminLogin = (email: string, password: string | null) =>
  loginLines('Kesher is set up. Log in as the first administrator:', email, password, 'KESHER_ADMIN_PASSWORD').forEach((l) => console.log(l));

async function serve(config: Config, withWorker: boolean): Promise<void> {
  const database = await open(config, withWorker ? 'start' : 'serve');
  const { bootstrap } = await import('./modules/tenants/bootstrap.js');
  const first = await bootstrap(database.db, { email: config.adminEmail, password: config.adminPassword });
  if (first) printAdminLogin(first.email, first.password);
  const { buildApp } = await import('./app.js');
  const app = await buildApp({ db: database.db, trustProxy: config.trustProxy, logLevel: config.logLevel, publicUrl: config.publicUrl, smtpUrl: config.smtpUrl, mailFrom: config.mailFrom });
  let background: { stop(): Promise<void> } | undefined;
  let channel: { close(): Promise<void> } | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await Promise.all([app.close(), background?.stop(), channel?.close()]);
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  if (withWorker) background = await startBackground(database, config, app.log);
  if (database.lock) channel = await openAdminChannel({ dataDir: config.dataDir, lock: database.lock, db: database.db, background: withWorker, log: app.log });
  if (database.kind === 'pglite') {
    // In the background: the server answers meanwhile (queries wait their turn for a moment).
    const { analyzeStale } = await import('./db/statistics.js');
    void analyzeStale(database.db).catch((err: unknown) => app.log.warn({ err }, 'analyze failed'));
  }
  console.log(`Kesher is running: http://localhost:${config.port}  (database: ${database.kind === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'})`);
}

/** `kesher worker`: the mail worker and run preparer alone; SIGTERM / SIGINT finish the messages in flight, then exit. */
async function runWorker(config: Config): Promise<void> {
  const database = await open(config, 'worker');
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

async function main(argv: string[]): Promise<void> {
  const config = readConfig();
  const [command, sub] = argv;
  const { values } = parseArgs({
    args: argv.slice(command === 'user' || command === 'tenant' ? 2 : 1),
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      count: { type: 'string' },
      policy: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password': { type: 'string' },
      language: { type: 'string' },
    },
    allowPositionals: true,
  });
  switch (command) {
    case 'start':
    case 'serve':
      return serve(config, command === 'start');
    case 'worker':
      return runWorker(config);
    case 'migrate':
      return dataCommand(config, 'migrate', {});
    case 'user':
      if (sub !== 'create') throw new Error(USAGE);
      return dataCommand(config, 'user create', values);
    case 'tenant':
      if (sub !== 'create') throw new Error(USAGE);
      return dataCommand(config, 'tenant create', { name: values.name, adminEmail: values['admin-email'], adminPassword: values['admin-password'], language: values.language });
    case 'demo':
      return dataCommand(config, 'demo', { ...values, adminEmail: config.adminEmail, adminPassword: config.adminPassword });
    case 'import':
      if (!sub) throw new Error(USAGE);
      return dataCommand(config, 'import', { fileName: basename(sub), policy: values.policy }, sub);
    default:
      console.log(USAGE);
      process.exitCode = command ? 1 : 0;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
