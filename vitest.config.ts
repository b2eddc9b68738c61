import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Mock servers bind ephemeral ports on 127.0.0.1. Vitest's default on 2 cores is one fork, but
    // much of the suite waits (child processes, Chromium, PostgreSQL, Prometheus): three overlap it.
    pool: 'forks',
    maxWorkers: 3,
    // A safety net for a hung test, never a speed check: under stress-ng a demo audit alone takes
    // minutes, so the net is wide; a test that needs it has hung, and fails the run's time limit too.
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
