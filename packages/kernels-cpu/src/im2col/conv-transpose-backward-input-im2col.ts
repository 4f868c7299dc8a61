/**
 * convTransposeBackwardInputIm2col: the input gradient of transposed convolution, which is
 * the convolution it is the adjoint of (adjointConvGeometry) applied to gradOutput:
 *   gradInput[n, g] = W_g (C_in/g x C_out/g * prod(k)) * im2col_A(gradOutput[n, g])
 * The weight [C_in, C_out/g, ...k] is already that row-major matrix per group; zeros of the
 * padding are multiplied in, as PyTorch's convolution of gradOutput does. See ./lowered-product.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { adjointConvGeometry, type ConvGeometry } from '@convkit/tensor';
import { loweredProduct } from './lowered-product';

/** gradOutput [N, C_out, ...out], weight [C_in, C_out/groups, ...k] -> gradInput [N, C_in, ...in]. */
export function convTransposeBackwardInputIm2col(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const gradInput = new Float32Array(geometry.batch * geometry.inChannels * geometry.inputVolume);
  const adjoint = adjointConvGeometry(geometry);
  // null: no tap reached the output, so the input had no effect on it.
  if (adjoint !== null) {
    loweredProduct({
      geometry: adjoint,
      input: gradOutput,
      inputSpatial: geometry.outputSpatial,
      weight,
      output: gradInput,
      accumulate: false,
      maxTileBytes,
    });
  }
  return gradInput;
}
