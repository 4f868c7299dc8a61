/**
 * convBackwardInputIm2col: the input gradient of convolution by GEMM + col2im:
 *   gradInput[n, g] = col2im(W_g^T * gradOutput[n, g])
 * col2imAccumulate is the exact adjoint of the forward's im2col, padding modes included (a
 * value read from a mirrored, clamped or wrapped position goes back to its source); see
 * ./folded-product.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { foldedProduct } from './folded-product';

/** gradOutput [N, C_out, ...out], weight [C_out, C_in/groups, ...k] -> gradInput [N, C_in, ...in]. */
export function convBackwardInputIm2col(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const gradInput = new Float32Array(geometry.batch * geometry.inChannels * geometry.inputVolume);
  foldedProduct({
    geometry,
    output: gradOutput,
    weight,
    input: gradInput,
    inputSpatial: geometry.inputSpatial,
    maxTileBytes,
  });
  return gradInput;
}
