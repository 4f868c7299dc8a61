/**
 * loweredProduct: the forward GEMM of the im2col algorithm (Chellapilla, Puri & Simard, "High
 * Performance Convolutional Neural Networks for Document Processing", 2006; Caffe's and
 * PyTorch's CPU convolution). For each sample n and group g of a (non-transposed) geometry:
 *
 *   output[n, g] (C_out/g x L) = W_g (C_out/g x C_in/g * prod(k)) * im2col(input[n, g]) (C_in/g * prod(k) x L)
 *
 * with L = prod(outputSpatial). The column matrix is lowered one tile of columns at a time
 * (planColumnTiles: at most maxTileBytes) into one buffer reused by every tile and group, so
 * a large convolution never allocates its whole column matrix. When the lowering is the
 * identity (1x1, stride 1, no padding) the GEMM reads the input directly.
 *
 * Runs convolution forward (W: the conv weight) and the input gradient of transposed
 * convolution (W: the transposed weight [C_in, C_out/g, ...k], which is [rows of the adjoint
 * convolution, C_in/g * prod(k)] per group, so the same product with no transpose).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { gemm } from '../gemm';
import { forEachLoweredTile } from './for-each-lowered-tile';

export interface LoweredProductArgs {
  /** The convolution (never a transposed geometry: pass its adjointConvGeometry). */
  geometry: ConvGeometry;
  /** [N, geometry.inChannels, ...inputSpatial], channels-first. */
  input: Float32Array;
  /** Spatial shape of `input`'s buffer: geometry.inputSpatial, or larger per dim (cropped tail). */
  inputSpatial: readonly number[];
  /** [geometry.outChannels, C_in/g * prod(k)] row-major (group g owns rows g * C_out/g ...). */
  weight: Float32Array;
  /** [N, geometry.outChannels, prod(outputSpatial)]: written, or added to when `accumulate`. */
  output: Float32Array;
  /** Add to `output` (it holds the bias) instead of overwriting it. */
  accumulate: boolean;
  /** Byte budget of the column tile buffer. */
  maxTileBytes: number;
}

/** output (+)= W * im2col(input), per sample and group. */
export function loweredProduct(args: LoweredProductArgs): void {
  const { geometry, weight, output } = args;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const outputSample = geometry.outChannels * geometry.outputVolume;
  // The first block of rows sets (or adds to) the output; tap tiles after it add.
  const first = { beta: args.accumulate ? 1 : 0 };
  const rest = { beta: 1 };
  forEachLoweredTile(geometry, args.input, args.inputSpatial, args.maxTileBytes, (tile) => {
    gemm(
      outPerGroup,
      tile.columnCount,
      tile.rowCount,
      weight,
      tile.group * outPerGroup * depth + tile.rowStart,
      depth,
      tile.columns,
      tile.offset,
      tile.ld,
      output,
      tile.sample * outputSample + tile.group * outPerGroup * geometry.outputVolume + tile.columnStart,
      geometry.outputVolume,
      tile.rowStart === 0 ? first : rest,
    );
  });
}
