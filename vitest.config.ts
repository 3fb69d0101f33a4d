import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests start real daemons, git repos and servers: keep the 2-core machine from thrashing.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
