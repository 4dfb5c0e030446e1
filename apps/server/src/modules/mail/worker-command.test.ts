import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run kesher -- worker`: the mail worker alone, stopped gracefully by SIGTERM.
const main = resolve(import.meta.dirname, '../../main.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'kesher-worker-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kesher worker', () => {
  it('starts on its own and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'worker'], {
      env: { ...process.env, KESHER_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', SMTP_URL: 'smtp://127.0.0.1:2', MAIL_FROM: 'Kesher <k@example.com>' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const deadline = Date.now() + 90_000;
    while (!out.includes('mail worker is running') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('Kesher mail worker is running');
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code, out).toBe(0);
  });
});
