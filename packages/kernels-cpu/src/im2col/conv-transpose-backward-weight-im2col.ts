/**
 * convTransposeBackwardWeightIm2col: the weight gradient of transposed convolution,
 *   gradWeight_g (C_in/g x C_out/g * prod(k)) = sum_n x[n, g] (C_in/g x L) * im2col_A(gradOutput[n, g])^T
 * with A the convolution it is the adjoint of (adjointConvGeometry); the result is the weight's
 * own layout [C_in, C_out/g, ...k]. See ./column-correlation.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { adjointConvGeometry, type ConvGeometry } from '@convkit/tensor';
import { columnCorrelation } from './column-correlation';

/** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_in, C_out/groups, ...k]. */
export function convTransposeBackwardWeightIm2col(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const gradWeight = new Float32Array(
    geometry.inChannels * geometry.outChannelsPerGroup * geometry.kernelVolume,
  );
  const adjoint = adjointConvGeometry(geometry);
  // null: no tap reached the output, so the weight had no effect on it.
  if (adjoint !== null) {
    columnCorrelation({
      geometry: adjoint,
      output: input,
      input: gradOutput,
      inputSpatial: geometry.outputSpatial,
      weight: gradWeight,
      maxTileBytes,
    });
  }
  return gradWeight;
}
