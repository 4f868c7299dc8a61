/**
 * layerGemmInto: kernels-cpu's `layerGemm` with its product written into the caller's array
 * (a recycled buffer), so the linear layers make no fresh result array per call.
 */
import { type LayerGemmOptions, layerGemm } from '@convkit/kernels-cpu';

/** op(a) op(b) (m x n, row-major) written into `into` (length m * n), which it returns. */
export function layerGemmInto(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  options: LayerGemmOptions,
  into: Float32Array,
): Float32Array {
  into.set(layerGemm(m, n, k, a, b, options));
  return into;
}
