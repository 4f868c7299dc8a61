/**
 * Convolutions whose results live in recycled memory: the output of the forward pass and
 * the input gradient of the backward pass (the two activation-sized results of a conv
 * layer, a fresh 1-13 MB array each per training step otherwise) are taken from
 * recycled-buffers and written there by kernels-cpu's into-forms (`convInto`,
 * convBackward's `gradients.inputGradientInto`). The autograd engine gives them back
 * through the backend's `release` once nothing reads them (see recycled-buffers.ts), so the
 * next step writes into the same pages. The weight and bias gradients stay fresh: a
 * parameter keeps its gradient as its `.grad`.
 *
 * The results are the ops' own bits; only where they are stored changes. A call the op
 * rejects is passed to it as it came, so the errors are the op's.
 */
import type { ConvBackwardGradientOptions, ConvOptions, PartialConvGradients } from '@convkit/kernels-cpu';
import { isTensor, resolveConvCall, Tensor } from '@convkit/tensor';
import { releaseBuffer, takeBuffer } from './recycled-buffers';

/**
 * The synchronous ops a recycled convolution runs on: kernels-cpu's module ops or a
 * context's `ctx.sync`, with the into-forms.
 */
export interface ConvIntoOps {
  conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  convInto(out: Tensor, input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: ConvOptions | undefined,
    gradients: ConvBackwardGradientOptions,
  ): PartialConvGradients;
}

/** The output's shape when the op accepts the call; null for a call it rejects (it throws then). */
function outputShapeOf(input: unknown, weight: unknown, options: ConvOptions): readonly number[] | null {
  try {
    return resolveConvCall('conv', input, weight, options).geometry.outputShape;
  } catch {
    return null;
  }
}

/** conv(input, weight, options) through `ops`, its output in a recycled buffer. */
export function recycledConv(ops: ConvIntoOps, input: Tensor, weight: Tensor, options: ConvOptions): Tensor {
  const shape = outputShapeOf(input, weight, options);
  if (shape === null) return ops.conv(input, weight, options);
  const out = new Tensor(takeBuffer(shape.reduce((a, b) => a * b, 1)), shape);
  try {
    return ops.convInto(out, input, weight, options);
  } catch (error) {
    releaseBuffer(out.data);
    throw error;
  }
}

/** convBackward through `ops`, the input gradient (when asked for) in a recycled buffer. */
export function recycledConvBackward(
  ops: ConvIntoOps,
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options: ConvOptions,
  gradients?: ConvBackwardGradientOptions,
): PartialConvGradients {
  const plain =
    gradients !== undefined &&
    (typeof gradients !== 'object' || gradients === null || gradients.inputGradient === false);
  if (plain || !isTensor(input) || outputShapeOf(input, weight, options) === null) {
    return ops.convBackward(gradOutput, input, weight, options, gradients ?? {});
  }
  const into = new Tensor(takeBuffer(input.size), input.shape);
  try {
    return ops.convBackward(gradOutput, input, weight, options, { ...gradients, inputGradientInto: into });
  } catch (error) {
    releaseBuffer(into.data);
    throw error;
  }
}
