import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../db/client.js';
import { DataDirBusy, lockDataDir, lockPath } from '../db/data-dir-lock.js';

// One process owns an embedded data directory; the CLI's data commands run through the server
// that owns it (ADR 0015). Everything here runs the kesher command as a user does, in processes.
const main = resolve(import.meta.dirname, '../main.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'kesher-lock-'));
const env = { ...process.env, KESHER_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', KESHER_ADMIN_EMAIL: '', KESHER_ADMIN_PASSWORD: '' };

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function kesher(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('exit', (status) => done({ status, stdout, stderr })));
}

async function startServer(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'start'], { env: { ...env, PORT: String(port) } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Kesher is running') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(out).toContain('Kesher is running');
  return {
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

async function login(port: number, email: string, password: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status, `login of ${email}`).toBe(200);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

const describeEmbedded = process.env.TEST_DATABASE_URL ? describe.skip : describe;

describe('the data directory lock', () => {
  it('refuses a second owner in the same process, and is free again once released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kesher-lock-unit-'));
    try {
      const lock = lockDataDir(dir, 'start');
      expect(() => lockDataDir(dir, 'demo')).toThrow(DataDirBusy);
      expect(() => lockDataDir(dir, 'demo')).toThrow(`\`kesher start\` (pid ${process.pid}`);
      lock.release();
      expect(existsSync(lockPath(dir))).toBe(false);
      lockDataDir(dir, 'demo').release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a stale lock: its process is gone, or the pid now belongs to another process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kesher-lock-unit-'));
    try {
      writeFileSync(lockPath(dir), JSON.stringify({ pid: 2 ** 22 + 17, pidStart: '1', host: hostname(), command: 'start', startedAt: 'then' }));
      lockDataDir(dir, 'demo').release();
      // pid 1 runs, but not since the lock's start time: a reused pid.
      writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, pidStart: 'not-its-start', host: hostname(), command: 'start', startedAt: 'then' }));
      lockDataDir(dir, 'demo').release();
      writeFileSync(lockPath(dir), 'half a line');
      lockDataDir(dir, 'demo').release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Several server starts and CLI processes (each loads TypeScript through tsx): minutes on a loaded machine.
describeEmbedded('commands beside the running server (embedded database)', { timeout: 240_000 }, () => {
  it('demo, import FILE and user create go through the server; a second server is refused; after a restart every row is there', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const csv = join(dataDir, 'leads.csv');
    writeFileSync(csv, 'שם פרטי,שם משפחה,טלפון,דוא"ל\nדנה,כהן,0501234567,dana@example.com\nיוסי,לוי,0527654321,yossi@example.com\nרות,מזרחי,0541112233,ruth@example.com\n');
    let server = await startServer(port);
    const adminPassword = server.output().match(/password: (\S+)/)?.[1] ?? '';
    try {
      // Side by side, as a person with two terminals would.
      const [demo, imported, user, tenant] = await Promise.all([
        kesher('demo', '--count', '40'),
        kesher('import', csv),
        kesher('user', 'create', '--email', 'noa@example.com', '--name', 'Noa', '--password', 'noa-password-12', '--role', 'staff'),
        kesher('tenant', 'create', '--name', 'סניף הצפון', '--admin-email', 'north@example.com', '--admin-password', 'north-password-1'),
      ]);
      expect(tenant.status, tenant.stderr).toBe(0);
      expect(tenant.stdout).toContain('Database "סניף הצפון" created');
      expect(tenant.stdout).not.toContain('north-password-1');
      expect(demo.status, demo.stderr).toBe(0);
      expect(demo.stdout).toContain('Loaded 40 demo customers.');
      expect(imported.status, imported.stderr).toBe(0);
      expect(imported.stdout).toContain('created 3');
      expect(user.status, user.stderr).toBe(0);
      expect(user.stdout).toContain('noa@example.com');

      const second = await kesher('start');
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/in use by another Kesher process: `kesher start` \(pid \d+/);
      const worker = await kesher('worker');
      expect(worker.status).toBe(1);
      expect(worker.stderr).toContain('`kesher worker` is for PostgreSQL');

      await server.stop();
      expect(existsSync(lockPath(dataDir)), 'the lock is released on stop').toBe(false);
      server = await startServer(port);
      const cookie = await login(port, 'admin@kesher.local', adminPassword);
      const count = await fetch(`http://127.0.0.1:${port}/api/v1/customers/count`, { headers: { cookie } });
      expect(((await count.json()) as { count: number }).count).toBe(43);
      await login(port, 'noa@example.com', 'noa-password-12');
      const north = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'north@example.com', password: 'north-password-1' }),
      });
      expect(((await north.json()) as { tenant: { name: string } }).tenant.name).toBe('סניף הצפון');
    } finally {
      await server.stop();
    }

    // No dangling reference: read with the database's own eyes, now that nobody holds it.
    const database = await openDatabase({ dataDir, owner: 'test' });
    try {
      const [check] = await rows<{ customers: number; branches: number; lost_branch: number; lost_tenant: number; timeline: number; lost_card: number }>(
        database.db,
        sql`select (select count(*)::int from customers) as customers,
                   (select count(*)::int from branches) as branches,
                   (select count(*)::int from customers c where c.branch_id is not null and not exists (select 1 from branches b where b.id = c.branch_id)) as lost_branch,
                   (select count(*)::int from customers c where not exists (select 1 from tenants t where t.id = c.tenant_id)) as lost_tenant,
                   (select count(*)::int from interactions) as timeline,
                   (select count(*)::int from interactions i where not exists (select 1 from customers c where c.id = i.customer_id)) as lost_card`,
      );
      expect(check).toMatchObject({ customers: 43, branches: 3, lost_branch: 0, lost_tenant: 0, lost_card: 0 });
    } finally {
      await database.close();
    }
  });

  it('a command after the server was killed takes over its stale lock', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', main, 'start'], { env: { ...env, PORT: String(20_000 + Math.floor(Math.random() * 20_000)) } });
    let out = '';
    server.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Kesher is running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    expect(existsSync(lockPath(dataDir))).toBe(true);
    const migrate = await kesher('migrate');
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('Migrations applied.');
  });
});
