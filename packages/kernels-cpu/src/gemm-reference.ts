/**
 * gemmReference: C = alpha * op(A) * op(B) + beta * C, row-major, written as the textbook
 * triple loop with a float64 sum. The oracle `gemm` is tested against; slow on purpose.
 * Same arguments and meaning as `gemm` (see gemm.ts), including beta = 0 ignoring C.
 */
import type { GemmOptions } from './gemm';

export function gemmReference(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  b: Float32Array,
  bOffset: number,
  ldb: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  options: GemmOptions = {},
): void {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = options;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOffset + p * lda + i]! : a[aOffset + i * lda + p]!;
        const bv = transB ? b[bOffset + j * ldb + p]! : b[bOffset + p * ldb + j]!;
        sum += av * bv;
      }
      const at = cOffset + i * ldc + j;
      c[at] = beta === 0 ? alpha * sum : alpha * sum + beta * c[at]!;
    }
  }
}
