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
import type { ConvGeometry } from '@convkit/tensor';
import { tapSources } from './tap-sources';

/** gradOutput [N, C_out, ...out], weight [C_out, C_in/groups, ...k] -> gradInput [N, C_in, ...in]. */
export function convBackwardInputReference(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup } = geometry;
  const { inputVolume, outputVolume, kernelVolume } = geometry;
  const sources = tapSources(geometry);
  // The float64 accumulator of the output: the scatter adds into each element many times.
  const gradInput = new Float64Array(batch * inChannels * inputVolume);

  // The forward loop nest with the roles of read and write swapped. n: sample; co: output
  // channel; o: output position; ci: input channel within co's group (c global); t: kernel
  // tap; sources[o * prod(k) + t]: the input position that tap read, -1 for padding.
  let gyIndex = 0;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const firstInChannel = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
      for (let o = 0; o < outputVolume; o++) {
        const gy = gradOutput[gyIndex++]!;
        for (let ci = 0; ci < inChannelsPerGroup; ci++) {
          const inputBase = (n * inChannels + firstInChannel + ci) * inputVolume;
          const weightBase = (co * inChannelsPerGroup + ci) * kernelVolume;
          for (let t = 0; t < kernelVolume; t++) {
            const source = sources[o * kernelVolume + t]!;
            if (source < 0) continue;
            gradInput[inputBase + source] += weight[weightBase + t]! * gy;
          }
        }
      }
    }
  }
  return Float32Array.from(gradInput);
}
