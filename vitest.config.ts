import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker threads and real servers: generous limits for a slow, shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
