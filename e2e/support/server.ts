import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningServer {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  srv.close();
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface ServerOptions {
  /** More environment for the server (and the demo loader), e.g. SMTP_URL and MAIL_FROM. */
  env?: Record<string, string>;
  /** Load this many demo customers (`kesher demo --count N`) into the fresh database before starting. */
  demoCustomers?: number;
}

/** Runs a `kesher` command to its end (the embedded database is single-process: before `start`). */
async function runKesher(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`kesher ${args.join(' ')} exited with ${code}:\n${log}`);
}

/**
 * Starts the real server (`kesher start`) on a free port with a fresh embedded database,
 * and waits for GET /health. The back office must already be built (apps/web/dist).
 */
export async function startServer(admin: { email: string; password: string }, options: ServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(join(repoRoot, 'apps/web/dist/index.html'))) {
    throw new Error('apps/web/dist is missing: run `npm run build` (npm run test:e2e does it) first');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'kesher-e2e-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    KESHER_DATA_DIR: dataDir,
    KESHER_ADMIN_EMAIL: admin.email,
    KESHER_ADMIN_PASSWORD: admin.password,
    KESHER_PUBLIC_URL: baseUrl,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  if (options.demoCustomers) {
    try {
      await runKesher(['demo', '--count', String(options.demoCustomers)], env);
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  let log = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'start'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the server exited (${child.exitCode}) before it was up:\n${log}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.ok) return { baseUrl, output: () => log, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the server did not answer /health within 120 s:\n${log}`);
}
