import { defineConfig } from 'vitest/config';

// Tests drive real processes, sockets and worker threads: generous timeouts, and files run in
// parallel only as far as two cores allow.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/remove-temp-dirs.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
