/**
 * deformConvBackward: every gradient of 2-D deformable convolution (./deform-conv) with
 * torchvision's rules (torchvision/csrc/ops/cpu/deform_conv2d_kernel.cpp, 0.14): gradInput
 * is the adjoint of the bilinear sampling, gradWeight correlates gradOutput with the sampled
 * patches, gradOffset uses `get_coordinate_weight` (the derivative from the right at integer
 * sample positions, and torchvision's values on the border), gradMask is the unmodulated
 * sample times the patch gradient, and gradBias sums gradOutput over batch and space. The
 * formulas are in ./reference/deform-conv-backward-reference; the algorithms are in
 * ./deform-algorithms.
 */
import { checkAllocation, checkGradOutput, Tensor } from '@convkit/tensor';
import { deformConvKernelsFor } from './deform-algorithms';
import { checkDeformConvArgs } from './deform-conv';
import type { DeformConvGradients, DeformConvOptions } from './options';

/** Op name in error messages. */
const OP = 'deformConv2dBackward';

/** The gradients of deformable convolution; gradBias is always computed (bias or not). */
export interface DeformConvBackwardResult extends DeformConvGradients {
  gradBias: Tensor;
}

/**
 * Gradients of `deformConv(input, weight, offset, options)` given `gradOutput`
 * [N, C_out, H_out, W_out]: gradInput, gradWeight, gradBias [C_out], gradOffset in the
 * offset's shape, and gradMask in the mask's shape (null without a mask). `options` are the
 * forward's (its bias does not change any gradient). Inputs are never mutated.
 */
export function deformConvBackward(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  offset: Tensor,
  options?: DeformConvOptions,
): DeformConvBackwardResult {
  const checked = checkDeformConvArgs(OP, input, weight, offset, options);
  const { geometry } = checked;
  const gradOut = checkGradOutput(OP, gradOutput, geometry.outputShape, 'deformConv2d');

  const gradInput = new Float32Array(checkAllocation(OP, 'gradInput', geometry.inputShape));
  const gradWeight = new Float32Array(checkAllocation(OP, 'gradWeight', geometry.weightShape));
  const gradBias = new Float32Array(geometry.outChannels);
  const gradOffset = new Float32Array(checkAllocation(OP, 'gradOffset', geometry.offsetShape!));
  const gradMask = checked.mask
    ? new Float32Array(checkAllocation(OP, 'gradMask', geometry.maskShape!))
    : null;
  const kernels = deformConvKernelsFor(OP, checked.algorithm, geometry, 'backward');
  kernels.backward(geometry, gradOut.contiguous().data, checked, {
    gradInput,
    gradWeight,
    gradBias,
    gradOffset,
    gradMask,
  });
  return {
    gradInput: new Tensor(gradInput, geometry.inputShape),
    gradWeight: new Tensor(gradWeight, geometry.weightShape),
    gradBias: new Tensor(gradBias, [geometry.outChannels]),
    gradOffset: new Tensor(gradOffset, geometry.offsetShape!),
    gradMask: gradMask ? new Tensor(gradMask, geometry.maskShape!) : null,
  };
}
