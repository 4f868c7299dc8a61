/**
 * measureWasmPeak: this engine's f32x4 multiply-add peak, in GFLOP/s, for one WebAssembly
 * build: 'simd' counts a mul and an add per lane, 'relaxed-simd' a relaxed_madd (a fused
 * multiply-add where the CPU has one). The loop (assembly/peak.ts) keeps twelve independent
 * accumulators in registers and touches no memory, so it runs at the rate the core retires
 * vector multiply-adds; every kernel's GFLOP/s is reported as a share of it. The loop is run
 * in short calls (V8 compiles a wasm function with its baseline compiler first and only a
 * later call runs the optimised code), and the best rate over `milliseconds` is returned.
 * `build` 'auto' (the default) measures the build the ops would load here.
 */
import { ArgumentError, describeValue } from '@convkit/tensor';
import { type WasmBuild, wasmKernelsOfBuild } from './wasm-runtime';

/** 12 accumulators x 4 lanes x 2 flops per loop iteration. */
const FLOPS_PER_ITERATION = 96;

export function measureWasmPeak(build: WasmBuild | 'auto' = 'auto', milliseconds = 300): number {
  if (typeof milliseconds !== 'number' || !(milliseconds > 0) || !Number.isFinite(milliseconds)) {
    throw new ArgumentError(
      `measureWasmPeak: milliseconds must be a positive finite number, got ${describeValue(milliseconds)}`,
    );
  }
  const kernels = wasmKernelsOfBuild(build);
  const peakLoop = kernels.exports.peakLoop;
  const iterations = 200_000;
  let best = 0;
  const end = performance.now() + milliseconds;
  do {
    const start = performance.now();
    peakLoop(iterations, 0.5);
    const elapsed = performance.now() - start;
    if (elapsed > 0) best = Math.max(best, (iterations * FLOPS_PER_ITERATION) / elapsed / 1e6);
  } while (performance.now() < end);
  return best;
}
