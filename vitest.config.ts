import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Mock servers bind ephemeral ports on 127.0.0.1. Vitest's default on 2 cores is one fork, but
    // much of the suite waits (child processes, Chromium, PostgreSQL, Prometheus): three overlap it.
    pool: 'forks',
    maxWorkers: 3,
    // A safety net for a hung test, never a speed check: tests pass on a machine at load 10.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
