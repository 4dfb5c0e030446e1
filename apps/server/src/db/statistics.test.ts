import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../testing/index.js';
import { rows } from './client.js';
import { GrowthWatch } from './statistics.js';

/** A long bulk load keeps the planner's picture of the table it grows (no autovacuum on PGlite). */
describe('GrowthWatch', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase();
    await database.db.execute(sql`create table growth_probe (n int)`);
  });
  afterAll(async () => {
    await database.db.execute(sql`drop table if exists growth_probe`);
    await database.close();
  });
  const estimate = async () => Number((await rows<{ n: number }>(database.db, sql`select reltuples::float8 as n from pg_class where oid = 'growth_probe'::regclass`))[0]!.n);

  it('analyzes the table once it has grown by 10,000 rows (from empty), then by a fifth', async () => {
    const watch = new GrowthWatch(database.db, 'growth_probe');
    await database.db.execute(sql`insert into growth_probe select generate_series(1, 6000)`);
    expect(await watch.grew(6000)).toBe(false);
    await database.db.execute(sql`insert into growth_probe select generate_series(1, 6000)`);
    expect(await watch.grew(6000)).toBe(true);
    expect(await estimate()).toBe(12_000);
    // Now a fifth of 12,000 is less than the 10,000 floor: 9,000 more are not yet enough.
    await database.db.execute(sql`insert into growth_probe select generate_series(1, 9000)`);
    expect(await watch.grew(9000)).toBe(false);
    expect(await estimate()).toBe(12_000);
  });
});
