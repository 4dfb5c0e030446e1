import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parseKeyring, useKeyring } from '../modules/secrets/index.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { buildApp } from '../app.js';
import type { Db } from '../db/client.js';
import { openTestDatabase } from './database.js';
import { seedTenant, type TenantFixture } from './fixtures.js';
import { TestClient } from './http.js';

export interface AppContext {
  app: FastifyInstance;
  db: Db;
  /** Tenant A: fresh before each test, with an admin and a staff user. */
  fx: TenantFixture;
  admin: TestClient;
  staff: TestClient;
}

/** The usual test file: one database and one app for the file, tables reset before each test. */
export function useApp(): AppContext {
  const ctx = {} as AppContext;
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    useKeyring(parseKeyring(`test:${randomBytes(32).toString('base64')}`));
    database = await openTestDatabase();
    ctx.db = database.db;
    ctx.app = await buildApp({ db: database.db, logLevel: 'silent', webDist: null });
  });
  afterAll(async () => {
    await ctx.app?.close();
    await database?.close();
  });
  beforeEach(async () => {
    await database.reset();
    ctx.fx = await seedTenant(database.db);
    [ctx.admin, ctx.staff] = await Promise.all([TestClient.login(ctx.app, ctx.fx.admin.email), TestClient.login(ctx.app, ctx.fx.staff.email)]);
  });
  return ctx;
}
