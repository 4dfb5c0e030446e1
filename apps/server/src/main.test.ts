import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The kesher command as a user runs it: a fresh data directory, no configuration.
const main = resolve(import.meta.dirname, 'main.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'kesher-cli-'));
const env = { ...process.env, KESHER_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', KESHER_ADMIN_EMAIL: '', KESHER_ADMIN_PASSWORD: '' };
const kesher = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { env, encoding: 'utf8', timeout: 120_000 });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the kesher command', () => {
  it('first start on an empty data directory: creates the admin, prints a one-time login, serves', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'start'], { env: { ...env, PORT: String(port) } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      const deadline = Date.now() + 90_000;
      while (!out.includes('Kesher is running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain('admin@kesher.local');
      const password = out.match(/password: (\S+)/)?.[1];
      expect(password).toMatch(/^[\w-]{20}$/);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@kesher.local', password }),
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { tenant: { name: string } }).tenant.name).toBe('Kesher');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('user create and demo work on the same data directory, and a restart prints no password', () => {
    const user = kesher('user', 'create', '--email', 'dana@example.com', '--name', 'Dana', '--password', 'dana-password-1', '--role', 'staff');
    expect(user.status, user.stderr).toBe(0);
    expect(user.stdout).toContain('dana@example.com');
    expect(user.stdout).not.toContain('dana-password-1');
    const demo = kesher('demo', '--count', '50');
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('Loaded 50 demo customers.');
    expect(demo.stdout).not.toContain('password:');
  });
});
