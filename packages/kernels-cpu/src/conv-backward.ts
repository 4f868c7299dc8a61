/**
 * convBackward: the gradients of `conv` (torch.nn.grad.conv{1,2,3}d_input/_weight and the
 * bias gradient), for the same input, weight and options as the forward call:
 *   gradInput  = the adjoint of x -> conv(x, w) applied to gradOutput (a transposed
 *                convolution; with reflect/replicate/circular padding the gradient that
 *                reaches a padded position is added to the input element it copied)
 *   gradWeight[co, ci, k] = sum_{n, o} gradOutput[n, co, o] * xpad[n, c, o * stride - padBefore + k * dilation]
 *   gradBias[co] = sum_{n, o} gradOutput[n, co, o]
 */
import { checkGradOutput, optionBoolean, readOptions, resolveConvCall, Tensor } from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type {
  ConvBackwardGradientOptions,
  ConvGradients,
  ConvOptions,
  PartialConvGradients,
} from './options';

/**
 * Gradients of `conv(input, weight, options)` given the gradient of its output. `gradOutput`
 * and the returned gradInput are in `options.layout`; gradWeight has the weight's shape;
 * gradBias ([C_out]) is always returned, whether or not the forward call had a bias.
 * `gradients: { inputGradient: false }` skips the input gradient (a network's first layer,
 * whose input needs none: that transposed convolution is a third of the backward work); the
 * result's gradInput is then null.
 */
export function convBackward(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options: ConvOptions | undefined,
  gradients: ConvBackwardGradientOptions,
): PartialConvGradients;
// Last, so that ReturnType<typeof convBackward> is the full result.
export function convBackward(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options?: ConvOptions,
): ConvGradients;
export function convBackward(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options?: ConvOptions,
  gradients?: ConvBackwardGradientOptions,
): PartialConvGradients {
  const op = 'convBackward';
  const call = resolveConvCall(op, input, weight, options);
  const which = readOptions(op, gradients, ['inputGradient'], 'gradients');
  const wantInput = optionBoolean(op, 'inputGradient', which.inputGradient, true);
  const { geometry } = call;
  const gradOut = checkGradOutput(op, gradOutput, geometry.outputShape, `conv${geometry.dims}d`);
  const kernels = convKernelsFor(op, call.algorithm, geometry, 'backward');
  const gy = toChannelsFirst(gradOut, geometry.layout);
  const gradWeight = kernels.convBackwardWeight(gy, toChannelsFirst(call.input, geometry.layout), geometry);
  return {
    gradInput: wantInput
      ? fromChannelsFirst(
          kernels.convBackwardInput(gy, call.weight.contiguous().data, geometry),
          [geometry.batch, geometry.inChannels, ...geometry.inputSpatial],
          geometry.layout,
        )
      : null,
    gradWeight: new Tensor(gradWeight, geometry.weightShape),
    gradBias: new Tensor(kernels.biasGradient(gy, geometry), [geometry.outChannels]),
  };
}
