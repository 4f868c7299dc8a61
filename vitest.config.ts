import { defineConfig } from 'vitest/config';

// One workspace config: every package's tests run against its TypeScript sources, found
// through the `convkit-source` export condition, so tests never need a build.
export default defineConfig({
  resolve: { conditions: ['convkit-source'] },
  ssr: { resolve: { conditions: ['convkit-source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'tooling/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
