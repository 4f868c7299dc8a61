/**
 * convTransposeReference: the direct transposed convolution (torch.nn.functional.
 * conv_transpose{1,2,3}d), the adjoint of convolution with the same hyper-parameters
 * (Dumoulin & Visin, arXiv 1603.07285, section 4). Each input element spreads
 * x * w over the full output at i * stride + k * dilation; padBefore crops the start of that
 * full output and padAfter its end, and outputPadding adds positions at the end that only
 * the bias reaches. Written as a gather so each output is one float64 sum:
 *   y[n, co, o] = bias[co] + sum_{ci, k : (o + padBefore - k * dilation) = i * stride, 0 <= i < in}
 *                 x[n, g * C_in/groups + ci, i] * w[g * C_in/groups + ci, co mod (C_out/groups), k]
 * where g = floor(co / (C_out/groups)). Only taps that land on the output contribute (stride
 * holes and cropped positions add nothing, as in PyTorch's col2im).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/**
 * The input index whose taps reach output position `position` through kernel tap offset
 * `tapOffset` (= k * dilation): (position + padBefore - tapOffset) / stride when that is an
 * integer inside [0, size), else -1.
 */
function sourceIndex(
  position: number,
  padBefore: number,
  tapOffset: number,
  stride: number,
  size: number,
): number {
  const full = position + padBefore - tapOffset;
  if (full < 0 || full % stride !== 0) return -1;
  const i = full / stride;
  return i < size ? i : -1;
}

/** input [N, C_in, ...in], weight [C_in, C_out/groups, ...k], bias [C_out] or null -> [N, C_out, ...out]. */
export function convTransposeReference(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
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
  const output = new Float32Array(batch * outChannels * OD * OH * OW);

  // n: sample; co: output channel (col: its index within its group); (od, oh, ow): output
  // position; ci: input channel within the group (c global); (kd, kh, kw): kernel tap;
  // (id, ih, iw): the input position whose tap lands on (od, oh, ow), -1 when none does.
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
      const col = co % outChannelsPerGroup;
      const start = bias === null ? 0 : bias[co]!;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let sum = start;
            for (let ci = 0; ci < inChannelsPerGroup; ci++) {
              const c = firstInChannel + ci;
              for (let kd = 0; kd < KD; kd++) {
                const id = sourceIndex(od, PD, kd * DD, SD, ID);
                if (id < 0) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = sourceIndex(oh, PH, kh * DH, SH, IH);
                  if (ih < 0) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = sourceIndex(ow, PW, kw * DW, SW, IW);
                    if (iw < 0) continue;
                    sum +=
                      input[(((n * inChannels + c) * ID + id) * IH + ih) * IW + iw]! *
                      weight[(((c * outChannelsPerGroup + col) * KD + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            output[out++] = sum;
          }
        }
      }
    }
  }
  return output;
}
