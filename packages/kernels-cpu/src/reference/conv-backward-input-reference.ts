/**
 * convBackwardInputReference: the gradient of convolution with respect to its input, written
 * as the adjoint of the forward loop (`convReference`): every product w * xpad[p] the forward
 * formed sends w * gy back to the input element that p reads,
 *   gx[n, c, paddedIndex(o * stride - padBefore + k * dilation)] += w[co, ci, k] * gy[n, co, o],
 * and a product that read a zero of the padding sends nothing. With reflect, replicate or
 * circular padding one input element is read from several padded positions and gathers all
 * their gradients (the adjoint of torch.nn.functional.pad). Because of that scatter the sums
 * are accumulated in a float64 image of the output and rounded to float32 once at the end.
 */
import { type ConvGeometry, paddedIndex } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/** gradOutput [N, C_out, ...out], weight [C_out, C_in/groups, ...k] -> gradInput [N, C_in, ...in]. */
export function convBackwardInputReference(
  gradOutput: Float32Array,
  weight: Float32Array,
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
  // The float64 accumulator of the output: the scatter adds into each element many times.
  const gradInput = new Float64Array(batch * inChannels * ID * IH * IW);

  // The forward loop nest with the roles of read and write swapped. n: sample; co: output
  // channel; (od, oh, ow): output position; ci: input channel within co's group (c global);
  // (kd, kh, kw): kernel tap; (id, ih, iw): the input position that tap read, -1 for padding.
  let gyIndex = 0;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const gy = gradOutput[gyIndex++]!;
            for (let ci = 0; ci < inChannelsPerGroup; ci++) {
              const c = firstInChannel + ci;
              for (let kd = 0; kd < KD; kd++) {
                const id = paddedIndex(od * SD - PD + kd * DD, ID, paddingMode);
                for (let kh = 0; kh < KH; kh++) {
                  const ih = paddedIndex(oh * SH - PH + kh * DH, IH, paddingMode);
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = paddedIndex(ow * SW - PW + kw * DW, IW, paddingMode);
                    if (id < 0 || ih < 0 || iw < 0) continue;
                    gradInput[(((n * inChannels + c) * ID + id) * IH + ih) * IW + iw] +=
                      weight[(((co * inChannelsPerGroup + ci) * KD + kd) * KH + kh) * KW + kw]! * gy;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(gradInput);
}
