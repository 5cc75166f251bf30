import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Real engines are CPU-heavy on a 2-core machine: one test file at a time keeps timings sane.
    fileParallelism: false,
    reporters: ['default'],
  },
});
