import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.config.base';

// Two builds run side by side, so neither cleans: the old dist goes once, here.
rmSync('dist', { recursive: true, force: true });

// ESM: the package and the worker of createCpuContext's pool (dist/cpu-worker.js, which the
// package finds as `new URL('./cpu-worker.js', import.meta.url)`; a module worker must be ESM).
// The code both use is one shared chunk, so the worker adds a few hundred bytes, not a second
// copy of the kernels. CommonJS: the package alone (its workers load the ESM worker file).
export default defineConfig([
  packageConfig({
    entry: { index: 'src/index.ts', 'cpu-worker': 'src/pool/cpu-worker.ts' },
    format: ['esm'],
    splitting: true,
    clean: false,
    dts: { entry: { index: 'src/index.ts' } },
  }),
  packageConfig({ format: ['cjs'], clean: false }),
]);
