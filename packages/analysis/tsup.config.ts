import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.config.base';

// Two entries: the library, and the `convkit-analyze` executable (node:fs stays an import).
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/cli.ts'], external: [/^node:/] }));
