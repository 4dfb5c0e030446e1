import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';
import { makeXlsx } from '../spreadsheets/testing.js';
import { runAll, upload } from './testing.js';

/**
 * A decompression bomb (an .xlsx of ~400 KB whose sheet unpacks to 400 MB of XML) posted to every
 * route that reads spreadsheets: refused with 413 and a clear message within seconds, the server's
 * memory barely moves, and /health answers meanwhile. Also when the zip lies about the sheet's size.
 */
const t = useApp();
const MB = 1024 * 1024;

/** Posts `file` to `url` while sampling memory and asking /health every 50 ms. */
async function underLoad(url: string, file: Buffer) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const health: number[] = [];
  let busy = true;
  const sampler = (async () => {
    while (busy) {
      peak = Math.max(peak, process.memoryUsage().rss);
      const at = Date.now();
      const h = await t.app.inject({ method: 'GET', url: '/health' });
      expect(h.statusCode).toBe(200);
      health.push(Date.now() - at);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const started = Date.now();
  const r = await upload(t.app, t.staff, url, file, url === '/api/v1/imports' ? { policy: 'skip' } : {}, { filename: 'bomb.xlsx' });
  const took = Date.now() - started;
  busy = false;
  await sampler;
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ...r, took, growth: (peak - before) / MB, slowestHealth: Math.max(0, ...health), healthChecks: health.length };
}

describe('spreadsheet decompression bombs', () => {
  it('refused with 413 on preview, import and mail list: fast, bounded memory, /health answering', async () => {
    const bomb = await makeXlsx({ rows: 3, padding: 400 * MB });
    const liar = await makeXlsx({ rows: 3, padding: 400 * MB, lie: true });
    expect(bomb.file.length).toBeLessThan(2 * MB);
    expect(bomb.unpacked).toBeGreaterThan(400 * MB);
    for (const [name, file] of [['declared', bomb.file], ['lying', liar.file]] as const) {
      for (const url of ['/api/v1/imports/preview', '/api/v1/imports', '/api/v1/mail-lists/xlsx']) {
        const r = await underLoad(url, file);
        console.log(`${name} bomb → ${url}: ${r.status} in ${r.took} ms, memory +${r.growth.toFixed(0)} MB, slowest /health ${r.slowestHealth} ms of ${r.healthChecks}`);
        expect(r.status, JSON.stringify(r.body)).toBe(413);
        expect(r.body).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/^The spreadsheet unpacks to more than \d+ MB/) });
        expect(r.took).toBeLessThan(10_000);
        expect(r.growth).toBeLessThan(200);
        expect(r.slowestHealth).toBeLessThan(1000);
      }
    }
    // Nothing left behind: no import, no stored piece.
    expect((await rows(t.db, sql`select id from imports`)).length).toBe(0);
    expect((await rows(t.db, sql`select import_id from import_chunks`)).length).toBe(0);
  }, 120_000);

  it('a workbook within the bounds is read as before (preview and import)', async () => {
    const fine = await makeXlsx({ rows: 3, padding: 10 * MB });
    const r = await upload(t.app, t.staff, '/api/v1/imports/preview', fine.file, {}, { filename: 'fine.xlsx' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rows.map((x: { values: Record<string, string> }) => x.values.email)).toEqual(['person2@example.com', 'person3@example.com', 'person4@example.com']);
    const started = await upload(t.app, t.staff, '/api/v1/imports', fine.file, { policy: 'skip' }, { filename: 'fine.xlsx' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    await runAll(t.db);
    expect((await t.staff.get(`/api/v1/imports/${started.body.id}`)).body).toMatchObject({ state: 'done', created: 3 });
  });
});
