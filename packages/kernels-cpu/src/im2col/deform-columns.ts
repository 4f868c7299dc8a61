/**
 * Deformable im2col and its adjoints: the column matrix of DCN v1/v2 (Dai et al. 2017, arXiv
 * 1703.06211; Zhu et al. 2019, arXiv 1811.11168) as torchvision builds it
 * (`deformable_im2col_kernel` / `deformable_col2im_kernel` /
 * `deformable_col2im_coord_kernel` in torchvision/csrc/ops/cpu/deform_conv2d_kernel.cpp):
 *
 *   columns[c * kh * kw + tap, l] = mask[n, g, tap, l] * sample(input[n, c], y, x)
 *   y = p * stride_h - pad_h + i * dilation_h + dy[n, g, tap, l],   x likewise with q, j, dx
 *
 * for input channel c of offset group g = floor(c / (C_in / offsetGroups)), kernel tap
 * (i, j), output position l = p * W_out + q. The output is then W_g * columns per weight
 * group, as for a regular convolution. The sampling rule (bilinear, zeros outside, the
 * coordinate gradient's border behaviour) is the one in ../reference/deform-bilinear, called
 * here, not copied. A call fills one tile of columns [columnStart, columnStart + columnCount)
 * of one sample, for every input channel; rows are columnCount apart.
 */
import type { ConvGeometry } from '@convkit/tensor';
import {
  deformBilinearCoordinateGradient,
  deformBilinearSample,
  deformBilinearScatter,
} from '../reference/deform-bilinear';

export interface DeformColumnArgs {
  /** A deformable convolution's geometry (offsetGroups >= 1). */
  geometry: ConvGeometry;
  sample: number;
  /** [N, C_in, H, W] */
  input: Float32Array;
  /** [N, 2 * offsetGroups * kh * kw, H_out, W_out], (dy, dx) per tap. */
  offset: Float32Array;
  /** [N, offsetGroups * kh * kw, H_out, W_out], or null (DCN v1: ones). */
  mask: Float32Array | null;
  /** The tile [C_in * kh * kw, columnCount], row-major. */
  columns: Float32Array;
  columnStart: number;
  columnCount: number;
}

/** Sampling positions and modulations of one (offset group, tap) row of a tile. */
interface TapRow {
  ys: Float64Array;
  xs: Float64Array;
  modulations: Float64Array;
}

function createTapRow(columnCount: number): TapRow {
  return {
    ys: new Float64Array(columnCount),
    xs: new Float64Array(columnCount),
    modulations: new Float64Array(columnCount),
  };
}

/** Fills `row` with y, x and the mask of tap `tap` of offset group `g` over the tile's columns. */
function fillTapRow(args: DeformColumnArgs, g: number, tap: number, row: TapRow): void {
  const { geometry, sample, offset, mask, columnStart, columnCount } = args;
  const outWidth = geometry.outputSpatial[1]!;
  const kernelWidth = geometry.kernelSize[1]!;
  const [strideH, strideW] = geometry.stride as [number, number];
  const [dilationH, dilationW] = geometry.dilation as [number, number];
  const [padH, padW] = geometry.padBefore as [number, number];
  const { offsetGroups, kernelVolume: taps, outputVolume: outPlane } = geometry;
  const i = Math.floor(tap / kernelWidth);
  const j = tap % kernelWidth;
  const dyPlane = ((sample * offsetGroups + g) * 2 * taps + 2 * tap) * outPlane;
  const dxPlane = dyPlane + outPlane;
  const maskPlane = ((sample * offsetGroups + g) * taps + tap) * outPlane;
  // p, q: the output row and column of column l, stepped along with it.
  let p = Math.floor(columnStart / outWidth);
  let q = columnStart % outWidth;
  for (let k = 0; k < columnCount; k++) {
    const l = columnStart + k;
    row.ys[k] = p * strideH - padH + i * dilationH + offset[dyPlane + l]!;
    row.xs[k] = q * strideW - padW + j * dilationW + offset[dxPlane + l]!;
    row.modulations[k] = mask ? mask[maskPlane + l]! : 1;
    if (++q === outWidth) {
      q = 0;
      p++;
    }
  }
}

/**
 * Writes the deformable column tile described by `args` (every element of it). With
 * `mask: null` the columns hold the unmodulated samples (what the backward pass needs).
 */
export function deformIm2colInto(args: DeformColumnArgs): void {
  const { geometry, sample, input, columns, columnCount } = args;
  const { inChannels, offsetGroups, kernelVolume: taps } = geometry;
  const [height, width] = geometry.inputSpatial as [number, number];
  const plane = height * width;
  const channelsPerOffsetGroup = inChannels / offsetGroups;
  const row = createTapRow(columnCount);
  const { ys, xs, modulations } = row;
  // g: offset group; tap: kernel tap; c: input channel; k: column within the tile.
  for (let g = 0; g < offsetGroups; g++) {
    for (let tap = 0; tap < taps; tap++) {
      fillTapRow(args, g, tap, row);
      for (let c = g * channelsPerOffsetGroup; c < (g + 1) * channelsPerOffsetGroup; c++) {
        const base = (sample * inChannels + c) * plane;
        const at = (c * taps + tap) * columnCount;
        for (let k = 0; k < columnCount; k++) {
          columns[at + k] =
            modulations[k]! * deformBilinearSample(input, base, height, width, ys[k]!, xs[k]!);
        }
      }
    }
  }
}

export interface DeformColumnGradientArgs extends DeformColumnArgs {
  /**
   * The tile's unmodulated samples, `deformIm2colInto` with `mask: null` (only read, and only
   * for gradMask: the samples are not taken twice).
   */
  columns: Float32Array;
  /** The gradient of the tile, [C_in * kh * kw, columnCount]. */
  gradColumns: Float32Array;
  /** One sample's input gradient [C_in, H, W], float64: added to. */
  gradInput: Float64Array;
  /** [N, 2 * offsetGroups * kh * kw, H_out, W_out]: the tile's entries are written. */
  gradOffset: Float32Array;
  /** [N, offsetGroups * kh * kw, H_out, W_out] when there is a mask: the tile's entries are written. */
  gradMask: Float32Array | null;
}

/**
 * The adjoints of deformIm2colInto for one tile, given the gradient of its columns:
 *   gradInput[c]  += bilinear scatter of mask * gradColumns[c, tap, l] at (y, x)
 *   gradOffset[g, tap, dy | dx, l] = sum_{c in g} mask * gradColumns[c, tap, l] * d sample / d(y | x)
 *   gradMask[g, tap, l]            = sum_{c in g} gradColumns[c, tap, l] * sample(input[c], y, x)
 * with the samples read from `columns` (unmodulated). Every input channel is in the tile, so
 * each offset and mask gradient is one float64 sum, written once.
 */
export function deformCol2imAccumulate(args: DeformColumnGradientArgs): void {
  const { geometry, sample, input, columns, gradColumns, gradInput, gradOffset, gradMask } = args;
  const { columnStart, columnCount } = args;
  const { inChannels, offsetGroups, kernelVolume: taps, outputVolume: outPlane } = geometry;
  const [height, width] = geometry.inputSpatial as [number, number];
  const plane = height * width;
  const channelsPerOffsetGroup = inChannels / offsetGroups;
  const row = createTapRow(columnCount);
  const { ys, xs, modulations } = row;
  const coordinate = new Float64Array(2);
  // g: offset group; tap: kernel tap; k: column within the tile; c: input channel.
  for (let g = 0; g < offsetGroups; g++) {
    for (let tap = 0; tap < taps; tap++) {
      fillTapRow(args, g, tap, row);
      const dyPlane = ((sample * offsetGroups + g) * 2 * taps + 2 * tap) * outPlane + columnStart;
      const dxPlane = dyPlane + outPlane;
      const maskPlane = ((sample * offsetGroups + g) * taps + tap) * outPlane + columnStart;
      for (let k = 0; k < columnCount; k++) {
        const y = ys[k]!;
        const x = xs[k]!;
        const modulation = modulations[k]!;
        let gradDy = 0;
        let gradDx = 0;
        let gradModulation = 0;
        for (let c = g * channelsPerOffsetGroup; c < (g + 1) * channelsPerOffsetGroup; c++) {
          const base = (sample * inChannels + c) * plane;
          const at = (c * taps + tap) * columnCount + k;
          const columnGrad = gradColumns[at]!;
          deformBilinearScatter(gradInput, c * plane, height, width, y, x, modulation * columnGrad);
          deformBilinearCoordinateGradient(input, base, height, width, y, x, coordinate);
          gradDy += modulation * columnGrad * coordinate[0]!;
          gradDx += modulation * columnGrad * coordinate[1]!;
          gradModulation += columnGrad * columns[at]!;
        }
        gradOffset[dyPlane + k] = gradDy;
        gradOffset[dxPlane + k] = gradDx;
        if (gradMask) gradMask[maskPlane + k] = gradModulation;
      }
    }
  }
}

/**
 * Multiplies unmodulated columns (deformIm2colInto with `mask: null`) by the mask in place,
 * giving exactly the forward's columns up to one float32 rounding: row (c, tap) by
 * mask[g(c), tap, l] over the tile's columns.
 */
export function modulateColumns(args: DeformColumnArgs & { mask: Float32Array }): void {
  const { geometry, sample, mask, columns, columnStart, columnCount } = args;
  const { inChannels, offsetGroups, kernelVolume: taps, outputVolume: outPlane } = geometry;
  const channelsPerOffsetGroup = inChannels / offsetGroups;
  // c: input channel; tap: kernel tap; k: column within the tile.
  for (let c = 0; c < inChannels; c++) {
    const g = Math.floor(c / channelsPerOffsetGroup);
    for (let tap = 0; tap < taps; tap++) {
      const maskAt = ((sample * offsetGroups + g) * taps + tap) * outPlane + columnStart;
      const at = (c * taps + tap) * columnCount;
      for (let k = 0; k < columnCount; k++) columns[at + k]! *= mask[maskAt + k]!;
    }
  }
}
