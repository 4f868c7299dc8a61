/**
 * convTransposeBackwardInputReference: the gradient of transposed convolution with respect to
 * its input, which is the forward convolution of gradOutput with the same weight and
 * hyper-parameters (the adjoint of an adjoint):
 *   gx[n, c, i] = sum_{col, k} gypad[n, g * C_out/groups + col, i * stride - padBefore + k * dilation] * w[c, col, k]
 * over col < C_out/groups and every tap k, g = floor(c / (C_in/groups)); gypad is gradOutput
 * with zero padding, and a zero of the padding is multiplied in (PyTorch computes this
 * gradient with a forward convolution). Sums in float64.
 */
import { type ConvGeometry, paddedIndex } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/** gradOutput [N, C_out, ...out], weight [C_in, C_out/groups, ...k] -> gradInput [N, C_in, ...in]. */
export function convTransposeBackwardInputReference(
  gradOutput: Float32Array,
  weight: Float32Array,
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
  const gradInput = new Float32Array(batch * inChannels * ID * IH * IW);

  // n: sample; c: input channel; (id, ih, iw): input position; col: output channel within
  // c's group (co global); (kd, kh, kw): kernel tap; (od, oh, ow): the output position that
  // tap reached in the forward pass, -1 where it fell outside the (cropped) output.
  let gxIndex = 0;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < inChannels; c++) {
      const firstOutChannel = Math.floor(c / inChannelsPerGroup) * outChannelsPerGroup;
      for (let id = 0; id < ID; id++) {
        for (let ih = 0; ih < IH; ih++) {
          for (let iw = 0; iw < IW; iw++) {
            let sum = 0;
            for (let col = 0; col < outChannelsPerGroup; col++) {
              const co = firstOutChannel + col;
              for (let kd = 0; kd < KD; kd++) {
                const od = paddedIndex(id * SD - PD + kd * DD, OD, 'zeros');
                for (let kh = 0; kh < KH; kh++) {
                  const oh = paddedIndex(ih * SH - PH + kh * DH, OH, 'zeros');
                  for (let kw = 0; kw < KW; kw++) {
                    const ow = paddedIndex(iw * SW - PW + kw * DW, OW, 'zeros');
                    const gy =
                      od < 0 || oh < 0 || ow < 0
                        ? 0
                        : gradOutput[(((n * outChannels + co) * OD + od) * OH + oh) * OW + ow]!;
                    sum += gy * weight[(((c * outChannelsPerGroup + col) * KD + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            gradInput[gxIndex++] = sum;
          }
        }
      }
    }
  }
  return gradInput;
}
