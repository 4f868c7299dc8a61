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
import { columnTiles, im2colInto, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { gemm } from '../gemm';
import { loweredBuffer } from './lowered-buffer';
import { tileScratch } from './tile-scratch';

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
  const { geometry, output, input, weight, maxTileBytes } = args;
  const { batch, inChannels, outChannels, groups, kernelVolume, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = inPerGroup * kernelVolume;
  const source = loweredBuffer(geometry, inChannels, args.inputSpatial);
  const outputSample = outChannels * outputVolume;
  const gemmOptions = { transB: true, beta: 1 };

  if (source.identity) {
    for (let n = 0; n < batch; n++) {
      for (let g = 0; g < groups; g++) {
        gemm(
          outPerGroup,
          inPerGroup,
          outputVolume,
          output,
          n * outputSample + g * outPerGroup * outputVolume,
          outputVolume,
          input,
          n * source.sampleSize + g * inPerGroup * outputVolume,
          outputVolume,
          weight,
          g * outPerGroup * depth,
          depth,
          gemmOptions,
        );
      }
    }
    return;
  }

  const tileOptions = { maxBytes: maxTileBytes, channels: inPerGroup };
  const plan = planColumnTiles(geometry, tileOptions);
  const tile = tileScratch(0, plan.rows * plan.columnsPerTile);
  for (const { sample, columnStart, columnCount } of columnTiles(geometry, tileOptions)) {
    for (let g = 0; g < groups; g++) {
      im2colInto({
        geometry,
        input,
        inputOffset: sample * source.sampleSize,
        inputStrides: source.strides,
        columns: tile,
        columnStart,
        columnCount,
        channelStart: g * inPerGroup,
        channelCount: inPerGroup,
      });
      gemm(
        outPerGroup,
        depth,
        columnCount,
        output,
        sample * outputSample + g * outPerGroup * outputVolume + columnStart,
        outputVolume,
        tile,
        0,
        columnCount,
        weight,
        g * outPerGroup * depth,
        depth,
        gemmOptions,
      );
    }
  }
}
