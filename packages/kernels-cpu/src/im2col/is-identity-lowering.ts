/**
 * isIdentityLowering: a convolution whose im2col is the input itself. With a 1x1 kernel,
 * stride 1 and no padding, unfold's column matrix [C * 1, L] is the input [C, L] row for row
 * (L = prod(in) = prod(out)), so the im2col kernels skip the copy and run the GEMM straight on
 * the input (a pointwise convolution is one matrix product per sample and group). Dilation
 * does nothing to a 1x1 kernel, and the padding mode needs padding to matter.
 */
import type { ConvGeometry } from '@convkit/tensor';

/** True when unfold(input) == input for this (non-transposed) geometry. */
export function isIdentityLowering(geometry: ConvGeometry): boolean {
  return (
    !geometry.transposed &&
    geometry.kernelVolume === 1 &&
    geometry.stride.every((s) => s === 1) &&
    geometry.padBefore.every((p) => p === 0) &&
    geometry.padAfter.every((p) => p === 0)
  );
}
