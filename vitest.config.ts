import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'portal/src/**/*.test.ts', 'portal/e2e/**/*.test.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
