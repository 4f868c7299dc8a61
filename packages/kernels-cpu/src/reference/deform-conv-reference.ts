/**
 * Reference forward kernel of 2-D deformable convolution, DCN v1 (Dai et al. 2017,
 * arXiv 1703.06211) and v2 (Zhu et al. 2019, arXiv 1811.11168), with the semantics of
 * torchvision.ops.deform_conv2d (0.14):
 *
 *   out[n, o, p, q] = bias[o] + sum_{c in group(o)} sum_{i, j}
 *       weight[o, c - group start, i, j] * mask[n, g, i, j, p, q]
 *       * sample(input[n, c], p * sh - ph + i * dh + dy[n, g, i, j, p, q],
 *                             q * sw - pw + j * dw + dx[n, g, i, j, p, q])
 *
 * where g = floor(c / (C_in / offsetGroups)) is the offset group of input channel c, the
 * offset holds (dy, dx) at channels 2 * (g * kh * kw + i * kw + j) and the one after, the
 * mask (1 when absent) sits at channel g * kh * kw + i * kw + j, ph/pw are the padding
 * before, and `sample` is torchvision's bilinear rule (./deform-bilinear). The kernel only
 * computes: the op (../deform-conv) validates and hands it a geometry and contiguous buffers.
 * Sums run in float64; `out` may be float32 storage or a float64 buffer (for tests).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { deformBilinearSample, type PlaneData } from './deform-bilinear';

/** Contiguous channels-first buffers of one deformable convolution. */
export interface DeformConvBuffers {
  /** [N, C_in, H, W] */
  input: PlaneData;
  /** [C_out, C_in / groups, kh, kw] */
  weight: PlaneData;
  /** [N, 2 * offsetGroups * kh * kw, H_out, W_out] */
  offset: PlaneData;
  /** [N, offsetGroups * kh * kw, H_out, W_out], or null for DCN v1 (a mask of ones). */
  mask: PlaneData | null;
  /** [C_out], or null. */
  bias: PlaneData | null;
}

/** Writes the deformable convolution of `buffers` into `out` ([N, C_out, H_out, W_out]). */
export function deformConvReference(
  geometry: ConvGeometry,
  buffers: DeformConvBuffers,
  out: Float32Array | Float64Array,
): void {
  const { input, weight, offset, mask, bias } = buffers;
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup, offsetGroups } = geometry;
  const [height, width] = geometry.inputSpatial as [number, number];
  const [outHeight, outWidth] = geometry.outputSpatial as [number, number];
  const [kernelHeight, kernelWidth] = geometry.kernelSize as [number, number];
  const [strideH, strideW] = geometry.stride as [number, number];
  const [dilationH, dilationW] = geometry.dilation as [number, number];
  const [padH, padW] = geometry.padBefore as [number, number];
  const taps = kernelHeight * kernelWidth;
  const planeSize = height * width;
  const outPlane = outHeight * outWidth;
  const channelsPerOffsetGroup = inChannels / offsetGroups;
  const weightRow = inChannelsPerGroup * taps;

  // The deformed patch under one output position: columns[c * taps + tap] = mask * sample.
  const columns = new Float64Array(inChannels * taps);

  // n: sample, p/q: output row/column, g: offset group, i/j: kernel row/column, c: input channel.
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < outHeight; p++) {
      for (let q = 0; q < outWidth; q++) {
        const at = p * outWidth + q;
        for (let g = 0; g < offsetGroups; g++) {
          for (let i = 0; i < kernelHeight; i++) {
            for (let j = 0; j < kernelWidth; j++) {
              const tap = i * kernelWidth + j;
              const dyChannel = (n * offsetGroups + g) * 2 * taps + 2 * tap;
              const y = p * strideH - padH + i * dilationH + offset[dyChannel * outPlane + at]!;
              const x = q * strideW - padW + j * dilationW + offset[(dyChannel + 1) * outPlane + at]!;
              const modulation = mask ? mask[((n * offsetGroups + g) * taps + tap) * outPlane + at]! : 1;
              for (let c = g * channelsPerOffsetGroup; c < (g + 1) * channelsPerOffsetGroup; c++) {
                const plane = (n * inChannels + c) * planeSize;
                columns[c * taps + tap] =
                  modulation * deformBilinearSample(input, plane, height, width, y, x);
              }
            }
          }
        }
        // A grouped matrix-vector product: output channel o reads its group's columns.
        for (let o = 0; o < outChannels; o++) {
          const columnBase = Math.floor(o / outChannelsPerGroup) * weightRow;
          const weightBase = o * weightRow;
          let sum = bias ? bias[o]! : 0;
          for (let t = 0; t < weightRow; t++) sum += weight[weightBase + t]! * columns[columnBase + t]!;
          out[(n * outChannels + o) * outPlane + at] = sum;
        }
      }
    }
  }
}
