/**
 * fma: the one multiply-add every SIMD kernel uses, c + a * b on four float lanes. One source
 * compiles twice (scripts/build-wasm.mjs): with relaxed SIMD it is `f32x4.relaxed_madd`, a
 * fused multiply-add in one instruction where the CPU has one (x86 FMA3, Arm NEON), else the
 * separate mul and add of plain SIMD 128. `ASC_FEATURE_RELAXED_SIMD` is a compile-time
 * constant, so each build carries only its own branch.
 */
// @ts-nocheck: AssemblyScript source (v128, f32x4 and ASC_* are compiler builtins).

@inline
export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
