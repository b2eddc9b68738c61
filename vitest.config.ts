import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Mock servers bind ephemeral ports on 127.0.0.1; two cores run two forks comfortably.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
