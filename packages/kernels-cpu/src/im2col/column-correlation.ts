/**
 * columnCorrelation: the weight-gradient GEMM of the im2col algorithm. For each sample n and
 * group g of a (non-transposed) geometry, summed over samples and column tiles:
 *
 *   weight_g (C_out/g x C_in/g * prod(k)) += output[n, g] (C_out/g x L) * im2col(input[n, g])^T
 *
 * The GEMM reads the column tile transposed in place (transB) and accumulates with beta = 1;
 * tiles of at most maxTileBytes go through one reused buffer, and an identity lowering (1x1,
 * stride 1, no padding) reads the input itself. Zeros of the padding are multiplied in like
 * any value (0 * Inf = NaN, as PyTorch's im2col does).
 *
 * Runs the weight gradient of convolution (output: gradOutput, input: the input) and of
 * transposed convolution (geometry: its adjointConvGeometry, output: the transposed
 * convolution's input, input: its gradOutput), whose weight [C_in, C_out/g, ...k] is exactly
 * [adjoint C_out, adjoint C_in/g * prod(k)].
 */
import type { ConvGeometry } from '@convkit/tensor';
import { gemm } from '../gemm';
import { forEachLoweredTile } from './for-each-lowered-tile';

export interface ColumnCorrelationArgs {
  /** The convolution (never a transposed geometry: pass its adjointConvGeometry). */
  geometry: ConvGeometry;
  /** [N, geometry.outChannels, prod(outputSpatial)], channels-first. Only read. */
  output: Float32Array;
  /** [N, geometry.inChannels, ...inputSpatial], channels-first. Only read. */
  input: Float32Array;
  /** Spatial shape of `input`'s buffer: geometry.inputSpatial, or larger per dim (cropped tail). */
  inputSpatial: readonly number[];
  /** [geometry.outChannels, C_in/g * prod(k)]: added to (never cleared). */
  weight: Float32Array;
  /** Byte budget of the column tile buffer. */
  maxTileBytes: number;
}

/** weight += sum over samples of output * im2col(input)^T, per group. */
export function columnCorrelation(args: ColumnCorrelationArgs): void {
  const { geometry, output, weight } = args;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const outputSample = geometry.outChannels * geometry.outputVolume;
  const gemmOptions = { transB: true, beta: 1 };
  forEachLoweredTile(geometry, args.input, args.inputSpatial, args.maxTileBytes, (tile) => {
    gemm(
      outPerGroup,
      tile.rowCount,
      tile.columnCount,
      output,
      tile.sample * outputSample + tile.group * outPerGroup * geometry.outputVolume + tile.columnStart,
      geometry.outputVolume,
      tile.columns,
      tile.offset,
      tile.ld,
      weight,
      tile.group * outPerGroup * depth + tile.rowStart,
      depth,
      gemmOptions,
    );
  });
}
