import { defineConfig } from 'vitest/config';

// Browser tests drive a real server and a real Chromium: one file at a time, one process, long timeouts.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ['verbose', ['json', { outputFile: '../test-output/vitest-e2e.json' }]] : ['verbose'],
  },
});
