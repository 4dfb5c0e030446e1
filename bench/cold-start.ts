import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Cold start: spawns `kesher start` on a database that already holds the bench data and times
 * how long until the login page (GET /, served from apps/web/dist) answers 200. Without a web
 * build the server has no `/`, so `/health` is timed instead and the result says so.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_BUILT = existsSync(join(REPO_ROOT, 'apps/web/dist/index.html'));

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ColdStart {
  seconds: number;
  path: '/' | '/health';
}

/** One cold start. `env` selects the database: KESHER_DATA_DIR (PGlite) or DATABASE_URL. */
export async function coldStart(env: Record<string, string>, timeoutMs = 60_000): Promise<ColdStart> {
  const port = await freePort();
  const path = WEB_BUILT ? '/' : '/health';
  const output: string[] = [];
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: '', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  try {
    while (performance.now() - started < timeoutMs) {
      if (exitCode !== undefined) throw new Error(`server exited with ${exitCode} before answering:\n${output.join('')}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) return { seconds: (performance.now() - started) / 1000, path };
      } catch {
        // not listening yet
      }
      await sleep(20);
    }
    throw new Error(`no 200 on ${path} within ${timeoutMs} ms:\n${output.join('')}`);
  } finally {
    if (exitCode === undefined) {
      child.kill('SIGTERM'); // the server closes its database on SIGTERM
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }
}
