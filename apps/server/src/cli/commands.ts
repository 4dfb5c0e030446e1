import { z } from 'zod';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';

/**
 * The CLI's commands that change data. Each runs the same way in its own process (when it holds
 * the embedded data directory, or on PostgreSQL) and inside the running server (sent over the local
 * admin channel, cli/admin-channel.ts): one implementation, its output through `print`.
 */
export interface CommandContext {
  db: Db;
  /** A line for the person at the terminal. */
  print(line: string): void;
  /** A progress line that replaces the previous one. */
  progress(text: string): void;
  /** The server's background import runner runs in this process (the server), else the command runs the import itself. */
  background: boolean;
}

export interface DataCommand<A extends z.ZodType> {
  args: A;
  /** Reads a file (the import): locally from disk, through the channel as the request's body. */
  takesFile?: boolean;
  run(ctx: CommandContext, args: z.infer<A>, file?: AsyncIterable<Buffer | Uint8Array>): Promise<void>;
}

const define = <A extends z.ZodType>(command: DataCommand<A>) => command;

async function firstTenantId(db: Db): Promise<string> {
  const [t] = await rows<{ id: string }>(db, sql`select id from tenants order by created_at limit 1`);
  if (!t) throw new Error('No tenant yet: run `kesher start` once first.');
  return t.id;
}

/** Prints a login; `password` is null when the person chose it (environment or --password). */
export function loginLines(title: string, email: string, password: string | null, chosenIn: string): string[] {
  const line = '─'.repeat(60);
  return [
    `\n${line}\n ${title}\n   email:    ${email}`,
    password ? `   password: ${password}\n (shown once — change it after logging in)` : `   password: the one given in ${chosenIn}`,
    `${line}\n`,
  ];
}

/** The first start on an empty database (a command run before `start`): tenant, branch and admin. */
async function bootstrapFirst(ctx: CommandContext, admin: { email?: string | undefined; password?: string | undefined }): Promise<string> {
  const { bootstrap } = await import('../modules/tenants/bootstrap.js');
  const first = await bootstrap(ctx.db, admin);
  if (first) for (const l of loginLines('Kesher is set up. Log in as the first administrator:', first.email, first.password, 'KESHER_ADMIN_PASSWORD')) ctx.print(l);
  return first?.tenantId ?? (await firstTenantId(ctx.db));
}

const adminFromEnv = z.object({ adminEmail: z.string().optional(), adminPassword: z.string().optional() });

export const commands = {
  demo: define({
    args: adminFromEnv.extend({ count: z.coerce.number().int().min(1).max(1_000_000).default(300) }),
    async run(ctx, args) {
      const { loadDemo } = await import('../modules/demo/index.js');
      const tenantId = await bootstrapFirst(ctx, { email: args.adminEmail, password: args.adminPassword });
      const n = await loadDemo(ctx.db, tenantId, args.count);
      ctx.print(`Loaded ${n} demo customers.`);
    },
  }),

  'user create': define({
    args: z.object({ email: z.string().min(3), name: z.string().optional(), password: z.string().optional(), role: z.enum(['admin', 'staff']).default('admin') }),
    async run(ctx, args) {
      const [{ createUser }, { generateAdminPassword }] = await Promise.all([import('../modules/users/service.js'), import('../modules/auth/passwords.js')]);
      const tenantId = await bootstrapFirst(ctx, {});
      const password = args.password ?? generateAdminPassword();
      await createUser(ctx.db, tenantId, { email: args.email, name: args.name ?? args.email, password, role: args.role, language: 'he' });
      for (const l of loginLines(`User created (${args.role}):`, args.email, args.password ? null : password, '--password')) ctx.print(l);
    },
  }),

  'tenant create': define({
    args: z.object({
      name: z.string().trim().min(1).max(200),
      adminEmail: z.string().trim().email(),
      adminPassword: z.string().min(10).optional(),
      language: z.enum(['he', 'en']).default('he'),
    }),
    async run(ctx, args) {
      const [{ createDatabase }, { generateAdminPassword }] = await Promise.all([import('../modules/tenants/index.js'), import('../modules/auth/passwords.js')]);
      const password = args.adminPassword ?? generateAdminPassword();
      const made = await createDatabase(ctx.db, { name: args.name, adminEmail: args.adminEmail, adminPassword: password, language: args.language });
      ctx.print(`Database "${args.name}" created (${made.tenantId}).`);
      if (made.admin === 'created') {
        for (const l of loginLines(`Its administrator:`, args.adminEmail, args.adminPassword ? null : password, '--admin-password')) ctx.print(l);
      } else {
        ctx.print(`${args.adminEmail} already has an account: it was invited by email to administer this database (its password is unchanged).`);
      }
    },
  }),

  import: define({
    args: z.object({ fileName: z.string().min(1), policy: z.enum(['skip', 'fill', 'renew']).default('skip') }),
    takesFile: true,
    async run(ctx, args, file) {
      if (!file) throw new Error('No file.');
      const [{ startImport, getImport }, { ImportRunner }] = await Promise.all([import('../modules/imports/service.js'), import('../modules/imports/runner.js')]);
      const tenantId = await firstTenantId(ctx.db);
      const started = Date.now();
      const { id } = await startImport(ctx.db, { tenantId, userId: null }, file, { fileName: args.fileName, policy: args.policy });
      const report = async () => {
        const s = await getImport(ctx.db, tenantId, id);
        ctx.progress(`${s.rowsDone}${s.rowsTotal === null ? '' : ` of ${s.rowsTotal}`} rows…`);
        return s;
      };
      const runner = new ImportRunner(ctx.db, { onBatch: async () => void (await report()) });
      let s = await getImport(ctx.db, tenantId, id);
      // In the server its own runner may hold the job: this loop then waits for it, printing progress.
      while (s.state === 'pending' || s.state === 'running') {
        if (!(await runner.runOnce())) await new Promise((r) => setTimeout(r, ctx.background ? 500 : 50));
        s = await report();
      }
      const seconds = (Date.now() - started) / 1000;
      ctx.print(`Import ${s.state}: ${s.total} rows in ${seconds.toFixed(1)} s — created ${s.created}, filled ${s.filled}, renewed ${s.renewed}, skipped ${s.skipped}, rejected ${s.rejected}`);
      if (s.error) ctx.print(`Error: ${s.error}`);
      ctx.print(`Report: GET /api/v1/imports/${id}/report.xlsx`);
    },
  }),

  migrate: define({
    args: z.object({}),
    async run(ctx) {
      // Opening the database applied them (here, or in the running server when it started).
      ctx.print('Migrations applied.');
    },
  }),
};

export type CommandName = keyof typeof commands;
export const isCommandName = (name: string): name is CommandName => Object.hasOwn(commands, name);
