/**
 * Vitest global setup: generates the inlined WebAssembly kernels of @convkit/kernels-cpu
 * (packages/kernels-cpu/scripts/build-wasm.mjs, cached by a hash of their sources) before any
 * test imports them. Tests read the packages' TypeScript sources, so this is the only build
 * step they need.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../packages/kernels-cpu/scripts/build-wasm.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
