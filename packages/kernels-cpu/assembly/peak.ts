/**
 * peak: a register-resident multiply-add loop that measures this engine's f32x4 peak
 * (apps/bench/scripts/wasm-peak.ts). Twelve independent accumulators hide the latency of
 * the multiply-add, as a GEMM micro-kernel would, and nothing touches memory, so the loop
 * runs at the rate the core retires vector multiply-adds: 12 x 4 x 2 flops per iteration.
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';

export function peakLoop(iterations: i32, seed: f32): f32 {
  const a = f32x4.splat(seed);
  const b = f32x4.splat(0.999);
  let c0 = f32x4.splat(1);
  let c1 = f32x4.splat(2);
  let c2 = f32x4.splat(3);
  let c3 = f32x4.splat(4);
  let c4 = f32x4.splat(5);
  let c5 = f32x4.splat(6);
  let c6 = f32x4.splat(7);
  let c7 = f32x4.splat(8);
  let c8 = f32x4.splat(9);
  let c9 = f32x4.splat(10);
  let c10 = f32x4.splat(11);
  let c11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    c0 = fma(c0, b, a);
    c1 = fma(c1, b, a);
    c2 = fma(c2, b, a);
    c3 = fma(c3, b, a);
    c4 = fma(c4, b, a);
    c5 = fma(c5, b, a);
    c6 = fma(c6, b, a);
    c7 = fma(c7, b, a);
    c8 = fma(c8, b, a);
    c9 = fma(c9, b, a);
    c10 = fma(c10, b, a);
    c11 = fma(c11, b, a);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)),
    f32x4.add(
      f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)),
      f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)),
    ),
  );
  return (
    f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)
  );
}
