/**
 * convTransposeBackward: the gradients of `convTranspose`, for the same input, weight and
 * options as the forward call:
 *   gradInput  = conv(gradOutput, weight) with the same stride, padding, dilation and groups
 *                (transposed convolution is the adjoint of that convolution)
 *   gradWeight[ci, co, k] = sum_{n, i} x[n, ci, i] * gypad[n, co, i * stride - padBefore + k * dilation]
 *   gradBias[co] = sum_{n, o} gradOutput[n, co, o]
 */
import { checkGradOutput, resolveConvTransposeCall, Tensor } from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type { ConvGradients, ConvTransposeOptions } from './options';

/**
 * Gradients of `convTranspose(input, weight, options)` given the gradient of its output.
 * `gradOutput` and the returned gradInput are in `options.layout`; gradWeight has the
 * weight's shape [C_in, C_out/groups, ...k]; gradBias ([C_out]) is always returned.
 */
export function convTransposeBackward(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options?: ConvTransposeOptions,
): ConvGradients {
  const op = 'convTransposeBackward';
  const call = resolveConvTransposeCall(op, input, weight, options);
  const { geometry } = call;
  const gradOut = checkGradOutput(op, gradOutput, geometry.outputShape, `convTranspose${geometry.dims}d`);
  const kernels = convKernelsFor(op, call.algorithm, geometry, 'backward');
  const gy = toChannelsFirst(gradOut, geometry.layout);
  const gradInput = kernels.convTransposeBackwardInput(gy, call.weight.contiguous().data, geometry);
  const gradWeight = kernels.convTransposeBackwardWeight(
    gy,
    toChannelsFirst(call.input, geometry.layout),
    geometry,
  );
  return {
    gradInput: fromChannelsFirst(
      gradInput,
      [geometry.batch, geometry.inChannels, ...geometry.inputSpatial],
      geometry.layout,
    ),
    gradWeight: new Tensor(gradWeight, geometry.weightShape),
    gradBias: new Tensor(kernels.biasGradient(gy, geometry), [geometry.outChannels]),
  };
}
