/**
 * biasGradientWinograd: the bias gradient of the `winograd` algorithm, gb[co] = the sum of
 * gradOutput over the batch and every output position, in float64 like the reference
 * (../reference/bias-gradient-reference.ts), rounded to float32 once. On the WebAssembly
 * kernels (`winogradChannelSums`: two float64 lanes and four partial sums per channel, so the
 * additions do not wait on each other); without them, the reference. c3x3's 200,704 values,
 * min of 50 on the shared 2-core Xeon: 0.17 ms for the reference's single sum in TypeScript,
 * 0.05 in WebAssembly including the copy in.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { biasGradientReference } from '../reference/bias-gradient-reference';
import { planHeap, readFloats, writeFloats } from './wasm-heap';
import { wasmKernels } from './wasm-runtime';

interface ChannelSumsExports {
  winogradChannelSums(y: number, batch: number, channels: number, volume: number, sums: number): void;
}

/** gradOutput [N, C_out, ...out] -> gradBias [C_out]. */
export function biasGradientWinograd(gradOutput: Float32Array, geometry: ConvGeometry): Float32Array {
  const { batch, outChannels, outputVolume } = geometry;
  const kernels = wasmKernels();
  if (kernels !== null) {
    const heap = planHeap(geometry.op, kernels, { gy: gradOutput.length * 4, sums: outChannels * 4 });
    writeFloats(kernels, heap.gy, gradOutput);
    (kernels.exports as unknown as ChannelSumsExports).winogradChannelSums(
      heap.gy,
      batch,
      outChannels,
      outputVolume,
      heap.sums,
    );
    return readFloats(kernels, heap.sums, outChannels);
  }
  return biasGradientReference(gradOutput, geometry);
}
