import { defineConfig } from 'vitest/config';

// One workspace config: every package's tests run against its TypeScript sources, found
// through the `convkit-source` export condition, so tests never need a build.
export default defineConfig({
  resolve: { conditions: ['convkit-source'] },
  ssr: { resolve: { conditions: ['convkit-source'] } },
  test: {
    // Compiles the WebAssembly kernels into kernels-cpu's src/wasm/generated when they are
    // missing or stale (a no-op otherwise), so tests run from a fresh clone without a build.
    globalSetup: ['./tooling/vitest-global-setup.ts'],
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
