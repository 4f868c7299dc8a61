import { defineConfig } from 'vitest/config';

// The end-to-end suite: the built site (apps/docs/.vitepress/dist) in Debian's Chromium.
// The numbers it compares against come from the same package builds (dist/) the site bundled.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
