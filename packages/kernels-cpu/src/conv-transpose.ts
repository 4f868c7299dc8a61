/**
 * convTranspose: transposed convolution ("deconvolution", the gradient of convolution with
 * respect to its input) in 1, 2 or 3 spatial dims with PyTorch's semantics
 * (torch.nn.functional.conv_transpose{1,2,3}d; Dumoulin & Visin, arXiv 1603.07285, sec. 4):
 *   out = (in - 1) * stride - padBefore - padAfter + dilation * (k - 1) + 1 + outputPadding
 * Each input element adds x * w[ci, co, k] at i * stride + k * dilation of the full output;
 * padBefore crops its start, padAfter its end, outputPadding adds positions at the end. It
 * equals convolution of the stride-dilated, (extent - 1 - padding)-padded input with the
 * kernel rotated by 180 degrees and its channel axes swapped.
 */
import {
  CONV_TRANSPOSE_OPTION_KEYS,
  type ConvGeometry,
  resolveConvTransposeCall,
  type Tensor,
} from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type { ConvTransposeOptions } from './options';
import { opNameForWeight } from './validate';

/** The keys a convTranspose options object may hold (shared with every backend, from @convkit/tensor). */
export { CONV_TRANSPOSE_OPTION_KEYS };

/**
 * Checks convTranspose's arguments and builds their geometry (`resolveConvTransposeCall` in
 * @convkit/tensor, shared by every backend, the forward and the backward ops).
 */
export function convTransposeGeometryForOp(
  op: string,
  input: unknown,
  weight: unknown,
  options: ConvTransposeOptions | undefined,
  dims?: 1 | 2 | 3,
): ConvGeometry {
  return resolveConvTransposeCall(op, input, weight, options, dims).geometry;
}

function runConvTranspose(
  op: string,
  input: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions | undefined,
  dims?: 1 | 2 | 3,
): Tensor {
  const call = resolveConvTransposeCall(op, input, weight, options, dims);
  const { geometry } = call;
  const kernels = convKernelsFor(op, call.algorithm, geometry, 'forward');
  const output = kernels.convTranspose(
    toChannelsFirst(call.input, geometry.layout),
    call.weight.contiguous().data,
    call.bias ? call.bias.contiguous().data : null,
    geometry,
  );
  return fromChannelsFirst(
    output,
    [geometry.batch, geometry.outChannels, ...geometry.outputSpatial],
    geometry.layout,
  );
}

/**
 * Transposed convolution of `input` ([N, C_in, ...spatial], or [N, ...spatial, C_in] with
 * `layout: 'channels-last'`) with `weight` ([C_in, C_out/groups, ...kernel], always PyTorch's
 * layout); 1-D, 2-D or 3-D from the weight's rank. Returns a fresh tensor in the input's layout.
 */
export function convTranspose(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return runConvTranspose(opNameForWeight('convTranspose', weight), input, weight, options);
}

/** `convTranspose` for a 3-D weight [C_in, C_out/groups, kL]. */
export function convTranspose1d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return runConvTranspose('convTranspose1d', input, weight, options, 1);
}

/** `convTranspose` for a 4-D weight [C_in, C_out/groups, kH, kW]. */
export function convTranspose2d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return runConvTranspose('convTranspose2d', input, weight, options, 2);
}

/** `convTranspose` for a 5-D weight [C_in, C_out/groups, kD, kH, kW]. */
export function convTranspose3d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return runConvTranspose('convTranspose3d', input, weight, options, 3);
}
