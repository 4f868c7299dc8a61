/**
 * deformConvIm2col: deformable convolution forward by deformable im2col + GEMM, as the DCN
 * implementations (torchvision's deform_conv2d CPU kernel, mmcv) run it:
 *   columns = deformIm2col(input[n], offset[n], mask[n])    [C_in * kh * kw, L]
 *   out[n, g] = bias + W_g (C_out/g x C_in/g * kh * kw) * columns[rows of group g]
 * The columns of every input channel are sampled once per tile (a weight group's rows are a
 * contiguous block of them) into one buffer of at most `maxTileBytes`, reused by every tile.
 */
import { columnTiles, DEFAULT_TILE_BYTES, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import type { DeformConvData } from '../deform-algorithms';
import { gemm } from '../gemm';
import { deformIm2colInto } from './deform-columns';
import { fillBias } from './fill-bias';
import { tileScratch } from './tile-scratch';

/** Writes the deformable convolution of `data` into `out` ([N, C_out, H_out, W_out]). */
export function deformConvIm2col(
  geometry: ConvGeometry,
  data: DeformConvData,
  out: Float32Array,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): void {
  const { weight, bias } = data;
  const { batch, inChannels, outChannels, groups, kernelVolume, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = inPerGroup * kernelVolume;
  fillBias(out, bias, batch, outChannels, outputVolume);
  const gemmOptions = { beta: bias === null ? 0 : 1 };

  const tileOptions = { maxBytes: maxTileBytes, channels: inChannels };
  const plan = planColumnTiles(geometry, tileOptions);
  const columns = tileScratch(0, plan.rows * plan.columnsPerTile);
  for (const { sample, columnStart, columnCount } of columnTiles(geometry, tileOptions)) {
    deformIm2colInto({ ...data, geometry, sample, columns, columnStart, columnCount });
    for (let g = 0; g < groups; g++) {
      gemm(
        outPerGroup,
        columnCount,
        depth,
        weight,
        g * outPerGroup * depth,
        depth,
        columns,
        g * depth * columnCount,
        columnCount,
        out,
        (sample * outChannels + g * outPerGroup) * outputVolume + columnStart,
        outputVolume,
        gemmOptions,
      );
    }
  }
}
