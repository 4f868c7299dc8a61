/**
 * The one tsup configuration every package builds with: ESM only, .d.ts, source maps,
 * no bundling of workspace dependencies (they stay imports of the published packages).
 */
import type { Options } from 'tsup';

export function packageConfig(overrides: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'es2022',
    platform: 'neutral',
    dts: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    splitting: false,
    ...overrides,
  };
}
