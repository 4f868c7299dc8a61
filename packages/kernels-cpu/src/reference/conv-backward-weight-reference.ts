/**
 * convBackwardWeightReference: the gradient of convolution with respect to its weight,
 *   gw[co, ci, k] = sum_{n, o} gy[n, co, o] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 * with g = floor(co / (C_out/groups)) and xpad read through `paddedIndex` (a zero of the
 * padding is multiplied in, as im2col with explicit padding does). Sums in float64.
 */
import { type ConvGeometry, paddedIndex } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_out, C_in/groups, ...k]. */
export function convBackwardWeightReference(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup, paddingMode } = geometry;
  const { inputSize, outputSize, kernelSize, stride, dilation, padBefore } = liftTo3d(geometry);
  const [ID, IH, IW] = inputSize;
  const [OD, OH, OW] = outputSize;
  const [KD, KH, KW] = kernelSize;
  const [SD, SH, SW] = stride;
  const [DD, DH, DW] = dilation;
  const [PD, PH, PW] = padBefore;
  const gradWeight = new Float32Array(outChannels * inChannelsPerGroup * KD * KH * KW);

  // co: output channel; ci: input channel within co's group (c global); (kd, kh, kw): kernel
  // tap; n: sample; (od, oh, ow): output position; (id, ih, iw): the input position the tap
  // read there, -1 where it read a zero of the padding.
  let gwIndex = 0;
  for (let co = 0; co < outChannels; co++) {
    const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
    for (let ci = 0; ci < inChannelsPerGroup; ci++) {
      const c = firstInChannel + ci;
      for (let kd = 0; kd < KD; kd++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            let sum = 0;
            for (let n = 0; n < batch; n++) {
              for (let od = 0; od < OD; od++) {
                const id = paddedIndex(od * SD - PD + kd * DD, ID, paddingMode);
                for (let oh = 0; oh < OH; oh++) {
                  const ih = paddedIndex(oh * SH - PH + kh * DH, IH, paddingMode);
                  for (let ow = 0; ow < OW; ow++) {
                    const iw = paddedIndex(ow * SW - PW + kw * DW, IW, paddingMode);
                    const x =
                      id < 0 || ih < 0 || iw < 0
                        ? 0
                        : input[(((n * inChannels + c) * ID + id) * IH + ih) * IW + iw]!;
                    sum += gradOutput[(((n * outChannels + co) * OD + od) * OH + oh) * OW + ow]! * x;
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
