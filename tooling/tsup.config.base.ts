/**
 * The one tsup configuration every package builds with: ESM (`.js`) and CommonJS (`.cjs`) with
 * their declarations (`.d.ts`, `.d.cts`), no bundling of dependencies (other convkit packages
 * stay imports of the published packages), and source maps that point into the package's
 * shipped `src/` instead of carrying a second copy of it (`sourcesContent: false`).
 */
import type { Options } from 'tsup';

export function packageConfig(overrides: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    target: 'es2022',
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    clean: true,
    // esbuild already drops unused code when it bundles; tsup's extra Rollup pass would add a
    // second sourceMappingURL line to every file.
    treeshake: false,
    splitting: false,
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    ...overrides,
  };
}
