import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useApp } from '../../testing/index.js';
import { makeXlsx } from '../spreadsheets/testing.js';
import { ImportRunner } from './runner.js';
import { STALLED_SECONDS } from './service.js';
import { runAll, upload } from './testing.js';

/**
 * An import's progress tells the truth: rows done over rows in the file (counted on upload), not
 * bytes read; a run that stopped half way says it is resuming while its lease is recovered.
 */
const t = useApp();

const csv = (n: number) => Buffer.from(['שם,טלפון,דוא"ל', ...Array.from({ length: n }, (_, i) => `אדם ${i},05${String(20_000_000 + i)},p${i}@example.com`)].join('\r\n') + '\r\n');
const status = async (id: string) => (await t.staff.get(`/api/v1/imports/${id}`)).body;

describe('import progress', () => {
  it('a CSV: rows done of rows counted on upload; after a crash, "resuming" until the run is taken over; exact at the end', async () => {
    const r = await upload(t.app, t.staff, '/api/v1/imports', csv(5000), { policy: 'skip' }, { filename: 'people.csv' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(await status(r.body.id)).toMatchObject({ state: 'pending', rowsDone: 0, rowsTotal: 5000, progress: 0, resuming: false });

    // The runner dies after its first batch of 1,000 (of a 1 MB-ish file read well ahead).
    await runAll(t.db, {
      batchSize: 1000,
      onBatch: ({ index }) => {
        if (index === 0) throw new Error('crash after the first batch');
      },
    });
    // A run that failed is retried once its lease runs out: resuming meanwhile.
    expect(await status(r.body.id)).toMatchObject({ state: 'running', rowsDone: 1000, rowsTotal: 5000, progress: 0.2, resuming: true });
    // A runner killed right after a batch: running, until nothing has renewed its lease for a while.
    await t.db.execute(sql`update imports set claimed_at = now()`);
    expect(await status(r.body.id)).toMatchObject({ state: 'running', rowsDone: 1000, progress: 0.2, resuming: false });
    await t.db.execute(sql`update imports set claimed_at = now() - make_interval(secs => ${STALLED_SECONDS + 5})`);
    expect(await status(r.body.id)).toMatchObject({ state: 'running', rowsDone: 1000, progress: 0.2, resuming: true });
    // Taken over (the lease ran out), before its first batch: still resuming.
    await t.db.execute(sql`update imports set claimed_at = now() - interval '1 hour'`);
    let seen: unknown = null;
    await runAll(t.db, {
      batchSize: 1000,
      onBatch: async ({ index }) => {
        if (index === 0) seen = await status(r.body.id);
      },
    });
    expect(seen).toMatchObject({ state: 'running', rowsDone: 2000, progress: 0.4, resuming: false });
    expect(await status(r.body.id)).toMatchObject({ state: 'done', rowsDone: 5000, rowsTotal: 5000, progress: 1, resuming: false, total: 5000, created: 5000 });
  });

  it('a claim taken over says resuming until its first batch is in', async () => {
    const r = await upload(t.app, t.staff, '/api/v1/imports', csv(30), { policy: 'skip' }, { filename: 'few.csv' });
    // Stopped half way: 10 rows done, the lease long gone.
    await t.db.execute(sql`update imports set state = 'running', cursor = 11, total = 10, claimed_at = now() - interval '1 hour' where id = ${r.body.id}`);
    const runner = new ImportRunner(t.db, {});
    await (runner as unknown as { claim(): Promise<unknown> }).claim();
    expect(await status(r.body.id)).toMatchObject({ state: 'running', resuming: true, rowsDone: 10, rowsTotal: 30 });
    await t.db.execute(sql`update imports set claimed_at = now() - interval '1 hour' where id = ${r.body.id}`);
    await runAll(t.db);
    expect(await status(r.body.id)).toMatchObject({ state: 'done', resuming: false, rowsDone: 30, rowsTotal: 30, progress: 1 });
  });

  it('an .xlsx: its first sheet’s rows counted on upload; the estimate of a CSV with quoted line breaks is corrected at the end', async () => {
    const book = await makeXlsx({ rows: 40 });
    const x = await upload(t.app, t.staff, '/api/v1/imports', book.file, { policy: 'skip' }, { filename: 'people.xlsx' });
    expect(x.status, JSON.stringify(x.body)).toBe(202);
    expect(await status(x.body.id)).toMatchObject({ rowsTotal: 40, rowsDone: 0, progress: 0 });
    const quoted = Buffer.from('name,email,note\r\nA,a@example.com,"two\r\nlines"\r\nB,b@example.com,x\r\n');
    const q = await upload(t.app, t.staff, '/api/v1/imports', quoted, { policy: 'skip' }, { filename: 'quoted.csv' });
    expect(await status(q.body.id)).toMatchObject({ rowsTotal: 3 }); // an estimate: 3 line breaks after the header
    await runAll(t.db);
    expect(await status(x.body.id)).toMatchObject({ state: 'done', rowsDone: 40, rowsTotal: 40, progress: 1 });
    expect(await status(q.body.id)).toMatchObject({ state: 'done', rowsDone: 2, rowsTotal: 2, progress: 1 });
  });
});
