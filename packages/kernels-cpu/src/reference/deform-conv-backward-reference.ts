/**
 * Reference backward kernel of 2-D deformable convolution (DCN v1/v2), the gradients of
 * ./deform-conv-reference with torchvision's rules (deform_conv2d_kernel.cpp, 0.14).
 *
 * With cols[c, i, j] = sum_{o in group(c)} weight[o, c - group start, i, j] * gradOut[n, o, p, q]
 * (the gradient of the deformed patch under output position (p, q)), sample position
 * (y, x) and modulation m of tap (i, j) in offset group g = group of c:
 *   gradInput[n, c]         += m * cols[c, i, j] * (bilinear weights of (y, x))   (adjoint)
 *   gradWeight[o, c', i, j] += gradOut[n, o, p, q] * m * sample(input[n, c], y, x)
 *   gradOffset[n, g, i, j, dy | dx, p, q] = sum_{c in g} m * cols[c, i, j] * d sample / d(y | x)
 *   gradMask[n, g, i, j, p, q]            = sum_{c in g} cols[c, i, j] * sample(input[n, c], y, x)
 *   gradBias[o]              = sum_{n, p, q} gradOut[n, o, p, q]
 * d sample / d(y | x) is torchvision's `get_coordinate_weight` (./deform-bilinear), which
 * also fixes the gradient at integer positions and on the border. Sums run in float64.
 */
import type { ConvGeometry } from '@convkit/tensor';
import {
  deformBilinearCoordinateGradient,
  deformBilinearSample,
  deformBilinearScatter,
  type PlaneData,
} from './deform-bilinear';
import type { DeformConvBuffers } from './deform-conv-reference';

type Storage = Float32Array | Float64Array;

/** Caller-owned outputs, contiguous, in the shapes of input, weight, [C_out], offset and mask. */
export interface DeformConvGradientBuffers {
  gradInput: Storage;
  gradWeight: Storage;
  gradBias: Storage;
  gradOffset: Storage;
  /** Required exactly when the forward had a mask. */
  gradMask: Storage | null;
}

/** Writes every gradient of the deformable convolution given `gradOutput` [N, C_out, H_out, W_out]. */
export function deformConvBackwardReference(
  geometry: ConvGeometry,
  gradOutput: PlaneData,
  buffers: Omit<DeformConvBuffers, 'bias'>,
  out: DeformConvGradientBuffers,
): void {
  const { input, weight, offset, mask } = buffers;
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

  // gradInput and gradWeight gather from many output positions: accumulate them in float64.
  const gradInput = new Float64Array(batch * inChannels * planeSize);
  const gradWeight = new Float64Array(outChannels * weightRow);
  const gradBias = new Float64Array(outChannels);
  // Per output position: the patch gradient and the modulated samples, [c * taps + tap].
  const columnGrad = new Float64Array(inChannels * taps);
  const columns = new Float64Array(inChannels * taps);
  const coordinate = new Float64Array(2);

  // n: sample, p/q: output row/column, o: output channel, g: offset group, i/j: kernel
  // row/column, c: input channel.
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < outHeight; p++) {
      for (let q = 0; q < outWidth; q++) {
        const at = p * outWidth + q;
        columnGrad.fill(0);
        for (let o = 0; o < outChannels; o++) {
          const go = gradOutput[(n * outChannels + o) * outPlane + at]!;
          gradBias[o]! += go;
          const columnBase = Math.floor(o / outChannelsPerGroup) * weightRow;
          const weightBase = o * weightRow;
          for (let t = 0; t < weightRow; t++) columnGrad[columnBase + t]! += weight[weightBase + t]! * go;
        }

        for (let g = 0; g < offsetGroups; g++) {
          for (let i = 0; i < kernelHeight; i++) {
            for (let j = 0; j < kernelWidth; j++) {
              const tap = i * kernelWidth + j;
              const dyChannel = (n * offsetGroups + g) * 2 * taps + 2 * tap;
              const dyAt = dyChannel * outPlane + at;
              const dxAt = (dyChannel + 1) * outPlane + at;
              const y = p * strideH - padH + i * dilationH + offset[dyAt]!;
              const x = q * strideW - padW + j * dilationW + offset[dxAt]!;
              const maskAt = ((n * offsetGroups + g) * taps + tap) * outPlane + at;
              const modulation = mask ? mask[maskAt]! : 1;
              let gradDy = 0;
              let gradDx = 0;
              let gradModulation = 0;
              for (let c = g * channelsPerOffsetGroup; c < (g + 1) * channelsPerOffsetGroup; c++) {
                const plane = (n * inChannels + c) * planeSize;
                const cg = columnGrad[c * taps + tap]!;
                const sample = deformBilinearSample(input, plane, height, width, y, x);
                columns[c * taps + tap] = modulation * sample;
                deformBilinearScatter(gradInput, plane, height, width, y, x, modulation * cg);
                deformBilinearCoordinateGradient(input, plane, height, width, y, x, coordinate);
                gradDy += modulation * cg * coordinate[0]!;
                gradDx += modulation * cg * coordinate[1]!;
                gradModulation += cg * sample;
              }
              out.gradOffset[dyAt] = gradDy;
              out.gradOffset[dxAt] = gradDx;
              if (mask && out.gradMask) out.gradMask[maskAt] = gradModulation;
            }
          }
        }

        for (let o = 0; o < outChannels; o++) {
          const go = gradOutput[(n * outChannels + o) * outPlane + at]!;
          const columnBase = Math.floor(o / outChannelsPerGroup) * weightRow;
          const weightBase = o * weightRow;
          for (let t = 0; t < weightRow; t++) gradWeight[weightBase + t]! += go * columns[columnBase + t]!;
        }
      }
    }
  }
  out.gradInput.set(gradInput);
  out.gradWeight.set(gradWeight);
  out.gradBias.set(gradBias);
}
