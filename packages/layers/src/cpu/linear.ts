/**
 * Linear (y = x W^T + b) on the CPU as three matrix products through kernels-cpu's
 * `layerGemm` (the packed WebAssembly GEMM where it is loaded), whose transposes are strides,
 * so neither x, W nor a gradient is copied into another layout:
 *   y = x W^T (+ b per row),  gx = gy W,  gW = gy^T x,  gb = the column sums of gy.
 * (A channels-last 1x1 convolution, which this replaces, converted the layouts on each call.)
 * y and gx are written into recycled buffers (layerGemm's `into`), which the engine gives
 * back when nothing reads them; gW and gb are fresh, as a parameter keeps its gradient.
 */
import { layerGemm } from '@convkit/kernels-cpu';
import { Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import { takeBuffer } from './recycled-buffers';

/** x [rows, in], weight [out, in], bias [out] or null -> [rows, out]. */
export function linearForward(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [rows, inFeatures] = x.shape as [number, number];
  const outFeatures = weight.shape[0]!;
  const y = layerGemm(rows, outFeatures, inFeatures, flatValues(x), flatValues(weight), {
    transB: true,
    into: takeBuffer(rows * outFeatures),
  });
  if (bias !== null) {
    const b = bias.toFloat32Array();
    for (let r = 0, at = 0; r < rows; r++) for (let o = 0; o < outFeatures; o++, at++) y[at]! += b[o]!;
  }
  return new Tensor(y, [rows, outFeatures]);
}

export interface LinearGradients {
  gradInput: Tensor;
  gradWeight: Tensor;
  gradBias: Tensor;
}

/** Gradients of linearForward given gradOutput [rows, out]. */
export function linearBackward(gradOutput: Tensor, x: Tensor, weight: Tensor): LinearGradients {
  const [rows, inFeatures] = x.shape as [number, number];
  const outFeatures = weight.shape[0]!;
  const g = flatValues(gradOutput);
  const gradInput = layerGemm(rows, inFeatures, outFeatures, g, flatValues(weight), {
    into: takeBuffer(rows * inFeatures),
  });
  const gradWeight = layerGemm(outFeatures, inFeatures, rows, g, flatValues(x), { transA: true });
  const sums = new Float64Array(outFeatures);
  for (let r = 0, at = 0; r < rows; r++) for (let o = 0; o < outFeatures; o++, at++) sums[o]! += g[at]!;
  return {
    gradInput: new Tensor(gradInput, [rows, inFeatures]),
    gradWeight: new Tensor(gradWeight, [outFeatures, inFeatures]),
    gradBias: new Tensor(Float32Array.from(sums), [outFeatures]),
  };
}
