import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: a few files at once keeps the real servers busy without starving them.
    maxWorkers: 3,
    fileParallelism: true,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
