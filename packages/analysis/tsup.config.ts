import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.config.base';

// Two entries: the library, and the `convkit-analyze` executable (node:fs stays an import).
// Code splitting lets the executable import the library's chunk instead of carrying a copy.
export default defineConfig(
  packageConfig({ entry: ['src/index.ts', 'src/cli.ts'], splitting: true, external: [/^node:/] }),
);
