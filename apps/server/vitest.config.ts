import { defineConfig } from 'vitest/config';

const label = process.env.KESHER_TEST_LABEL ?? 'server';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each test file boots one database (PGlite in memory, or a fresh PostgreSQL database).
    pool: 'forks',
    reporters: process.env.CI ? ['default', ['json', { outputFile: `../../test-output/vitest-${label}.json` }]] : ['default'],
  },
});
