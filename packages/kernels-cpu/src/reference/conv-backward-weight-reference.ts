/**
 * convBackwardWeightReference: the gradient of convolution with respect to its weight,
 *   gw[co, ci, k] = sum_{n, o} gy[n, co, o] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 * with g = floor(co / (C_out/groups)) and xpad read through `paddedIndex` (tabulated by
 * `tapSources`; a zero of the padding is multiplied in, as im2col with explicit padding does).
 * Sums in float64.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { tapSources } from './tap-sources';

/** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_out, C_in/groups, ...k]. */
export function convBackwardWeightReference(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup } = geometry;
  const { inputVolume, outputVolume, kernelVolume } = geometry;
  const sources = tapSources(geometry);
  const gradWeight = new Float32Array(outChannels * inChannelsPerGroup * kernelVolume);

  // co: output channel; ci: input channel within co's group (c global); t: kernel tap;
  // n: sample; o: output position; sources[o * prod(k) + t]: the input position the tap read
  // there, -1 where it read a zero of the padding.
  let gwIndex = 0;
  for (let co = 0; co < outChannels; co++) {
    const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
    for (let ci = 0; ci < inChannelsPerGroup; ci++) {
      for (let t = 0; t < kernelVolume; t++) {
        let sum = 0;
        for (let n = 0; n < batch; n++) {
          const inputBase = (n * inChannels + firstInChannel + ci) * inputVolume;
          const gradOutputBase = (n * outChannels + co) * outputVolume;
          for (let o = 0; o < outputVolume; o++) {
            const source = sources[o * kernelVolume + t]!;
            const x = source < 0 ? 0 : input[inputBase + source]!;
            sum += gradOutput[gradOutputBase + o]! * x;
          }
        }
        gradWeight[gwIndex++] = sum;
      }
    }
  }
  return gradWeight;
}
