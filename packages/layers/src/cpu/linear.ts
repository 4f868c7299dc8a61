/**
 * Linear (y = x W^T + b) on the CPU as what it is, a 1x1 convolution: the rows of x are the
 * positions of a 1-D signal in channels-last layout ([1, rows, in]), W [out, in] the weight
 * [out, in, 1]. So the product and both gradients run on kernels-cpu's fast convolution
 * ('auto': the WebAssembly GEMM where it is loaded) with no copy of x, y or the gradients.
 */
import { conv1d, convBackward } from '@convkit/kernels-cpu';
import type { Tensor } from '@convkit/tensor';

const LAST = { layout: 'channels-last' } as const;

/** x [rows, in], weight [out, in], bias [out] or null -> [rows, out]. */
export function linearForward(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [rows, inFeatures] = x.shape as [number, number];
  const outFeatures = weight.shape[0]!;
  const y = conv1d(x.reshape([1, rows, inFeatures]), weight.reshape([outFeatures, inFeatures, 1]), {
    ...LAST,
    bias,
  });
  return y.reshape([rows, outFeatures]);
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
  const g = convBackward(
    gradOutput.reshape([1, rows, outFeatures]),
    x.reshape([1, rows, inFeatures]),
    weight.reshape([outFeatures, inFeatures, 1]),
    LAST,
  );
  return {
    gradInput: g.gradInput.reshape([rows, inFeatures]),
    gradWeight: g.gradWeight.reshape([outFeatures, inFeatures]),
    gradBias: g.gradBias,
  };
}
