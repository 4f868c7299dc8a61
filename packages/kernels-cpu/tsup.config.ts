import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.config.base';

// The builds run side by side, so none cleans: the old dist goes once, here.
rmSync('dist', { recursive: true, force: true });

// ESM: the package, then the worker of createCpuContext's pool (dist/cpu-worker.js, which the
// package finds as `new URL('./cpu-worker.js', import.meta.url)`; a module worker must be ESM)
// as a file of its own without the kernels' binaries (./src/wasm/no-kernel-binaries.ts stands
// in for ./src/wasm/generated/kernels-wasm.ts): its caller posts it the compiled modules, so a
// bundler that copies the worker for the browser (Vite does) does not ship the base64 twice.
// CommonJS: the package alone (its workers load the ESM worker file).
const noKernelBinaries: Plugin = {
  name: 'no-kernel-binaries',
  setup(build) {
    build.onResolve({ filter: /\/generated\/kernels-wasm$/ }, () => ({
      path: resolve('src/wasm/no-kernel-binaries.ts'),
    }));
  },
};

export default defineConfig([
  packageConfig({
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    clean: false,
    dts: { entry: { index: 'src/index.ts' } },
  }),
  packageConfig({
    entry: { 'cpu-worker': 'src/pool/cpu-worker.ts' },
    format: ['esm'],
    clean: false,
    dts: false,
    sourcemap: false,
    esbuildPlugins: [noKernelBinaries],
  }),
  packageConfig({ format: ['cjs'], clean: false }),
]);
