/**
 * convReference: the direct convolution loop, the oracle every faster conv kernel is tested
 * against. Channels-first data, PyTorch semantics (torch.nn.functional.conv{1,2,3}d, which is
 * cross-correlation):
 *   y[n, co, o] = bias[co] + sum_{ci, k} w[co, ci, k] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 * over ci < C_in/groups and every kernel tap k, per spatial dim, where g = floor(co / (C_out/groups))
 * is the output channel's group and xpad reads the padding through `paddedIndex` (tabulated
 * by `tapSources`). A zero of the padding is multiplied in like any value (0 * Inf = NaN, as
 * with explicit padding). Sums are taken in float64 and rounded to float32 once.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { tapSources } from './tap-sources';

/** input [N, C_in, ...in], weight [C_out, C_in/groups, ...k], bias [C_out] or null -> [N, C_out, ...out]. */
export function convReference(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup } = geometry;
  const { inputVolume, outputVolume, kernelVolume } = geometry;
  const sources = tapSources(geometry);
  const output = new Float32Array(batch * outChannels * outputVolume);

  // n: sample; co: output channel; o: output position; ci: input channel within co's group
  // (c is its global index); t: kernel tap; sources[o * prod(k) + t]: the input position the
  // tap reads at o, -1 where it reads a zero of the padding.
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
      const start = bias === null ? 0 : bias[co]!;
      for (let o = 0; o < outputVolume; o++) {
        let sum = start;
        for (let ci = 0; ci < inChannelsPerGroup; ci++) {
          const inputBase = (n * inChannels + firstInChannel + ci) * inputVolume;
          const weightBase = (co * inChannelsPerGroup + ci) * kernelVolume;
          for (let t = 0; t < kernelVolume; t++) {
            const source = sources[o * kernelVolume + t]!;
            const x = source < 0 ? 0 : input[inputBase + source]!;
            sum += x * weight[weightBase + t]!;
          }
        }
        output[out++] = sum;
      }
    }
  }
  return output;
}
