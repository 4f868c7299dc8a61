/**
 * convBackward: the gradients of `conv` (torch.nn.grad.conv{1,2,3}d_input/_weight and the
 * bias gradient), for the same input, weight and options as the forward call:
 *   gradInput  = the adjoint of x -> conv(x, w) applied to gradOutput (a transposed
 *                convolution; with reflect/replicate/circular padding the gradient that
 *                reaches a padded position is added to the input element it copied)
 *   gradWeight[co, ci, k] = sum_{n, o} gradOutput[n, co, o] * xpad[n, c, o * stride - padBefore + k * dilation]
 *   gradBias[co] = sum_{n, o} gradOutput[n, co, o]
 */
import {
  ArgumentError,
  checkGradOutput,
  describeValue,
  optionBoolean,
  readOptions,
  resolveConvCall,
  Tensor,
} from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { checkOutTensor } from './check-out-tensor';
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
 * result's gradInput is then null. `gradients: { inputGradientInto: t }` writes the input
 * gradient into `t` (a contiguous float32 Tensor of the input's shape, sharing no memory with
 * gradOutput, the input, the weight or the bias) and returns it as gradInput: the same bits.
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
  const which = readOptions(op, gradients, ['inputGradient', 'inputGradientInto'], 'gradients');
  const wantInput = optionBoolean(op, 'inputGradient', which.inputGradient, true);
  const { geometry } = call;
  const gradOut = checkGradOutput(op, gradOutput, geometry.outputShape, `conv${geometry.dims}d`);
  let into: Float32Array | undefined;
  if (which.inputGradientInto !== undefined) {
    if (!wantInput) {
      throw new ArgumentError(
        `${op}: gradients.inputGradientInto must be left out with gradients.inputGradient false (no input gradient is computed), got ${describeValue(which.inputGradientInto)}; drop one of the two`,
      );
    }
    into = checkOutTensor(
      op,
      'gradients.inputGradientInto',
      which.inputGradientInto,
      geometry.inputShape,
      "the input's shape",
      { gradOutput: gradOut, input: call.input, weight: call.weight, bias: call.bias },
    );
  }
  const kernels = convKernelsFor(op, call.algorithm, geometry, 'backward');
  const gy = toChannelsFirst(gradOut, geometry.layout);
  const gradWeight = kernels.convBackwardWeight(gy, toChannelsFirst(call.input, geometry.layout), geometry);
  let gradInput: Tensor | null = null;
  if (wantInput) {
    const weightData = call.weight.contiguous().data;
    const channelsFirstShape = [geometry.batch, geometry.inChannels, ...geometry.inputSpatial];
    if (into === undefined) {
      gradInput = fromChannelsFirst(
        kernels.convBackwardInput(gy, weightData, geometry),
        channelsFirstShape,
        geometry.layout,
      );
    } else {
      // A channels-last gradient goes through one transpose into the caller's tensor.
      const direct = geometry.layout === 'channels-first' ? into : undefined;
      const result = kernels.convBackwardInput(gy, weightData, geometry, direct);
      gradInput = fromChannelsFirst(
        result,
        channelsFirstShape,
        geometry.layout,
        which.inputGradientInto as Tensor,
        into,
      );
    }
  }
  return {
    gradInput,
    gradWeight: new Tensor(gradWeight, geometry.weightShape),
    gradBias: new Tensor(kernels.biasGradient(gy, geometry), [geometry.outChannels]),
  };
}
