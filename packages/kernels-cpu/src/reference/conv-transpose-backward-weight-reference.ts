/**
 * convTransposeBackwardWeightReference: the gradient of transposed convolution with respect
 * to its weight,
 *   gw[c, col, k] = sum_{n, i} x[n, c, i] * gypad[n, g * C_out/groups + col, i * stride - padBefore + k * dilation]
 * with g = floor(c / (C_in/groups)) and gypad gradOutput with zero padding (a zero of the
 * padding is multiplied in, as PyTorch's im2col of gradOutput does). Sums in float64.
 */
import { type ConvGeometry, paddedIndex } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_in, C_out/groups, ...k]. */
export function convTransposeBackwardWeightReference(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup } = geometry;
  const { inputSize, outputSize, kernelSize, stride, dilation, padBefore } = liftTo3d(geometry);
  const [ID, IH, IW] = inputSize;
  const [OD, OH, OW] = outputSize;
  const [KD, KH, KW] = kernelSize;
  const [SD, SH, SW] = stride;
  const [DD, DH, DW] = dilation;
  const [PD, PH, PW] = padBefore;
  const gradWeight = new Float32Array(inChannels * outChannelsPerGroup * KD * KH * KW);

  // c: input channel; col: output channel within c's group (co global); (kd, kh, kw): kernel
  // tap; n: sample; (id, ih, iw): input position; (od, oh, ow): the output position the tap
  // reached from there, -1 where it fell outside the (cropped) output.
  let gwIndex = 0;
  for (let c = 0; c < inChannels; c++) {
    const firstOutChannel = Math.floor(c / inChannelsPerGroup) * outChannelsPerGroup;
    for (let col = 0; col < outChannelsPerGroup; col++) {
      const co = firstOutChannel + col;
      for (let kd = 0; kd < KD; kd++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            let sum = 0;
            for (let n = 0; n < batch; n++) {
              for (let id = 0; id < ID; id++) {
                const od = paddedIndex(id * SD - PD + kd * DD, OD, 'zeros');
                for (let ih = 0; ih < IH; ih++) {
                  const oh = paddedIndex(ih * SH - PH + kh * DH, OH, 'zeros');
                  for (let iw = 0; iw < IW; iw++) {
                    const ow = paddedIndex(iw * SW - PW + kw * DW, OW, 'zeros');
                    const gy =
                      od < 0 || oh < 0 || ow < 0
                        ? 0
                        : gradOutput[(((n * outChannels + co) * OD + od) * OH + oh) * OW + ow]!;
                    sum += input[(((n * inChannels + c) * ID + id) * IH + ih) * IW + iw]! * gy;
                  }
                }
              }
            }
            gradWeight[gwIndex++] = sum;
          }
        }
      }
    }
  }
  return gradWeight;
}
