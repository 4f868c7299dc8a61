/**
 * foldedProduct: the transposed GEMM of the im2col algorithm, then col2im (the C^T route).
 * For each sample n and group g of a (non-transposed) geometry:
 *
 *   columns = W_g^T (C_in/g * prod(k) x C_out/g) * output[n, g] (C_out/g x L)
 *   input[n, g] += col2im(columns)
 *
 * col2imAccumulate sends every column entry back to the input element its tap read (summing
 * overlaps; with reflect/replicate/circular padding, to the mirrored/clamped/wrapped source),
 * so this is the adjoint of loweredProduct in `input`. The GEMM reads W transposed in place
 * (transA). Columns go one tile at a time through one reused buffer of at most maxTileBytes;
 * with an identity lowering (1x1, stride 1, no padding) the GEMM adds into `input` directly.
 *
 * Runs the input gradient of convolution (output: gradOutput) and transposed convolution
 * forward (geometry: its adjointConvGeometry, output: the transposed convolution's input,
 * input: its output, which holds the bias).
 */
import { col2imAccumulate, columnTiles, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { gemm } from '../gemm';
import { loweredBuffer } from './lowered-buffer';
import { needsTapTiles, planTapTiles } from './tap-tile-plan';
import { tileScratch } from './tile-scratch';

export interface FoldedProductArgs {
  /** The convolution (never a transposed geometry: pass its adjointConvGeometry). */
  geometry: ConvGeometry;
  /** [N, geometry.outChannels, prod(outputSpatial)], channels-first. Only read. */
  output: Float32Array;
  /** [geometry.outChannels, C_in/g * prod(k)] row-major (group g owns rows g * C_out/g ...). */
  weight: Float32Array;
  /** [N, geometry.inChannels, ...inputSpatial], channels-first: added to (never cleared). */
  input: Float32Array;
  /** Spatial shape of `input`'s buffer: geometry.inputSpatial, or larger per dim (cropped tail). */
  inputSpatial: readonly number[];
  /** Byte budget of the column tile buffer. */
  maxTileBytes: number;
}

/** input += col2im(W^T * output), per sample and group. */
export function foldedProduct(args: FoldedProductArgs): void {
  const { geometry, output, weight, input, maxTileBytes } = args;
  const { batch, inChannels, outChannels, groups, kernelVolume, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = inPerGroup * kernelVolume;
  const target = loweredBuffer(geometry, inChannels, args.inputSpatial);
  const outputSample = outChannels * outputVolume;

  if (target.identity) {
    for (let n = 0; n < batch; n++) {
      for (let g = 0; g < groups; g++) {
        gemm(
          inPerGroup,
          outputVolume,
          outPerGroup,
          weight,
          g * outPerGroup * depth,
          depth,
          output,
          n * outputSample + g * outPerGroup * outputVolume,
          outputVolume,
          input,
          n * target.sampleSize + g * inPerGroup * outputVolume,
          outputVolume,
          { transA: true, beta: 1 },
        );
      }
    }
    return;
  }

  if (needsTapTiles(inPerGroup, kernelVolume, maxTileBytes)) {
    // One column does not fit: tiles of a tap range of one channel (see planTapTiles).
    const { tapsPerTile, columnsPerTile } = planTapTiles(
      geometry.op,
      kernelVolume,
      outputVolume,
      maxTileBytes,
    );
    const tile = tileScratch(0, tapsPerTile * columnsPerTile);
    for (let sample = 0; sample < batch; sample++) {
      for (let columnStart = 0; columnStart < outputVolume; columnStart += columnsPerTile) {
        const columnCount = Math.min(columnsPerTile, outputVolume - columnStart);
        for (let g = 0; g < groups; g++) {
          for (let c = 0; c < inPerGroup; c++) {
            for (let tapStart = 0; tapStart < kernelVolume; tapStart += tapsPerTile) {
              const tapCount = Math.min(tapsPerTile, kernelVolume - tapStart);
              gemm(
                tapCount,
                columnCount,
                outPerGroup,
                weight,
                g * outPerGroup * depth + c * kernelVolume + tapStart,
                depth,
                output,
                sample * outputSample + g * outPerGroup * outputVolume + columnStart,
                outputVolume,
                tile,
                0,
                columnCount,
                { transA: true },
              );
              col2imAccumulate({
                geometry,
                input,
                inputOffset: sample * target.sampleSize,
                inputStrides: target.strides,
                columns: tile,
                columnStart,
                columnCount,
                channelStart: g * inPerGroup + c,
                channelCount: 1,
                tapStart,
                tapCount,
              });
            }
          }
        }
      }
    }
    return;
  }

  const tileOptions = { maxBytes: maxTileBytes, channels: inPerGroup };
  const plan = planColumnTiles(geometry, tileOptions);
  const tile = tileScratch(0, plan.rows * plan.columnsPerTile);
  for (const { sample, columnStart, columnCount } of columnTiles(geometry, tileOptions)) {
    for (let g = 0; g < groups; g++) {
      gemm(
        depth,
        columnCount,
        outPerGroup,
        weight,
        g * outPerGroup * depth,
        depth,
        output,
        sample * outputSample + g * outPerGroup * outputVolume + columnStart,
        outputVolume,
        tile,
        0,
        columnCount,
        { transA: true },
      );
      col2imAccumulate({
        geometry,
        input,
        inputOffset: sample * target.sampleSize,
        inputStrides: target.strides,
        columns: tile,
        columnStart,
        columnCount,
        channelStart: g * inPerGroup,
        channelCount: inPerGroup,
      });
    }
  }
}
