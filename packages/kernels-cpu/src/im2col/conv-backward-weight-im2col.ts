/**
 * convBackwardWeightIm2col: the weight gradient of convolution by GEMM with the columns:
 *   gradWeight_g = sum_n gradOutput[n, g] (C_out/g x L) * im2col(x[n, g])^T
 * summed over samples and column tiles; see ./column-correlation.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { columnCorrelation } from './column-correlation';

/** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_out, C_in/groups, ...k]. */
export function convBackwardWeightIm2col(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const gradWeight = new Float32Array(
    geometry.outChannels * geometry.inChannelsPerGroup * geometry.kernelVolume,
  );
  columnCorrelation({
    geometry,
    output: gradOutput,
    input,
    inputSpatial: geometry.inputSpatial,
    weight: gradWeight,
    maxTileBytes,
  });
  return gradWeight;
}
