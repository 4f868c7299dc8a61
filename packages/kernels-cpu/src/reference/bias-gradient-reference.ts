/**
 * biasGradientReference: the gradient of a per-output-channel bias, the same for convolution
 * and transposed convolution: gb[co] = sum_{n, o} gy[n, co, o] over the batch and every
 * output position. Sums in float64.
 */
import type { ConvGeometry } from '@convkit/tensor';

/** gradOutput [N, C_out, ...out] -> gradBias [C_out]. */
export function biasGradientReference(gradOutput: Float32Array, geometry: ConvGeometry): Float32Array {
  const { batch, outChannels, outputVolume } = geometry;
  const gradBias = new Float32Array(outChannels);
  // co: output channel; n: sample; o: flat output position.
  for (let co = 0; co < outChannels; co++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const start = (n * outChannels + co) * outputVolume;
      for (let o = 0; o < outputVolume; o++) sum += gradOutput[start + o]!;
    }
    gradBias[co] = sum;
  }
  return gradBias;
}
