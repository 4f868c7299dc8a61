/**
 * convReference: the direct convolution loop, the oracle every faster conv kernel is tested
 * against. Channels-first data, PyTorch semantics (torch.nn.functional.conv{1,2,3}d, which is
 * cross-correlation):
 *   y[n, co, o] = bias[co] + sum_{ci, k} w[co, ci, k] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 * over ci < C_in/groups and every kernel tap k, per spatial dim, where g = floor(co / (C_out/groups))
 * is the output channel's group and xpad reads the padding through `paddedIndex`. A zero of the
 * padding is multiplied in like any value (0 * Inf = NaN, as with explicit padding). Sums are
 * taken in float64 and rounded to float32 once.
 */
import { type ConvGeometry, paddedIndex } from '@convkit/tensor';
import { liftTo3d } from './lift-to-3d';

/** input [N, C_in, ...in], weight [C_out, C_in/groups, ...k], bias [C_out] or null -> [N, C_out, ...out]. */
export function convReference(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
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
  const output = new Float32Array(batch * outChannels * OD * OH * OW);

  // n: sample; co: output channel; (od, oh, ow): output position; ci: input channel within
  // co's group (c is its global index); (kd, kh, kw): kernel tap; (id, ih, iw): the input
  // position the tap reads, -1 where it reads a zero of the padding.
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
      const start = bias === null ? 0 : bias[co]!;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let sum = start;
            for (let ci = 0; ci < inChannelsPerGroup; ci++) {
              const c = firstInChannel + ci;
              for (let kd = 0; kd < KD; kd++) {
                const id = paddedIndex(od * SD - PD + kd * DD, ID, paddingMode);
                for (let kh = 0; kh < KH; kh++) {
                  const ih = paddedIndex(oh * SH - PH + kh * DH, IH, paddingMode);
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = paddedIndex(ow * SW - PW + kw * DW, IW, paddingMode);
                    const x =
                      id < 0 || ih < 0 || iw < 0
                        ? 0
                        : input[(((n * inChannels + c) * ID + id) * IH + ih) * IW + iw]!;
                    sum += x * weight[(((co * inChannelsPerGroup + ci) * KD + kd) * KH + kh) * KW + kw]!;
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
