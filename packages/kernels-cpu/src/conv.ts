/**
 * conv: convolution in 1, 2 or 3 spatial dims with PyTorch's semantics
 * (torch.nn.functional.conv{1,2,3}d; the layer's padding_mode included):
 *   y[n, co, o] = bias[co] + sum_{ci, k} w[co, ci, k] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 *   out = floor((in + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1
 * The op checks its arguments, builds the geometry, converts a channels-last input to
 * channels-first, runs the algorithm's kernel and converts back; the kernels compute.
 */
import { type ConvGeometry, checkAllocation, convGeometryFromShapes, type Tensor } from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type { ConvOptions } from './options';
import { checkBias, checkOptionKeys, checkTensor, checkWeightRank, opNameForWeight } from './validate';

/** The keys a conv options object may hold. */
export const CONV_OPTION_KEYS: readonly (keyof ConvOptions)[] = [
  'bias',
  'stride',
  'padding',
  'dilation',
  'groups',
  'paddingMode',
  'layout',
  'algorithm',
];

/**
 * Checks conv's arguments and builds their geometry; shared by the forward and backward ops
 * so that both accept exactly the same calls.
 */
export function convGeometryForOp(
  op: string,
  input: unknown,
  weight: unknown,
  options: ConvOptions | undefined,
  dims?: 1 | 2 | 3,
): ConvGeometry {
  checkTensor(op, 'input', input);
  checkTensor(op, 'weight', weight);
  checkOptionKeys(op, options, CONV_OPTION_KEYS);
  if (dims !== undefined) checkWeightRank(op, weight, dims, false);
  const { stride, padding, dilation, groups, paddingMode, layout } = options ?? {};
  const geometry = convGeometryFromShapes({
    op,
    inputShape: input.shape,
    weightShape: weight.shape,
    stride,
    padding,
    dilation,
    groups,
    paddingMode,
    layout,
  });
  // Refused before any buffer is allocated (a typed array this large fails inside V8).
  checkAllocation(op, 'output', geometry.outputShape);
  return geometry;
}

function runConv(
  op: string,
  input: Tensor,
  weight: Tensor,
  options: ConvOptions | undefined,
  dims?: 1 | 2 | 3,
): Tensor {
  const geometry = convGeometryForOp(op, input, weight, options, dims);
  const bias = checkBias(op, options?.bias, geometry.outChannels);
  const kernels = convKernelsFor(op, options?.algorithm, geometry, 'forward');
  const output = kernels.conv(
    toChannelsFirst(input, geometry.layout),
    weight.contiguous().data,
    bias,
    geometry,
  );
  return fromChannelsFirst(
    output,
    [geometry.batch, geometry.outChannels, ...geometry.outputSpatial],
    geometry.layout,
  );
}

/**
 * Convolution of `input` ([N, C_in, ...spatial], or [N, ...spatial, C_in] with
 * `layout: 'channels-last'`) with `weight` ([C_out, C_in/groups, ...kernel], always PyTorch's
 * layout); 1-D, 2-D or 3-D from the weight's rank. Returns a fresh tensor in the input's layout.
 */
export function conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv(opNameForWeight('conv', weight), input, weight, options);
}

/** `conv` for a 3-D weight [C_out, C_in/groups, kL]; input [N, C_in, L] (or [N, L, C_in]). */
export function conv1d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv1d', input, weight, options, 1);
}

/** `conv` for a 4-D weight [C_out, C_in/groups, kH, kW]; input [N, C_in, H, W] (or [N, H, W, C_in]). */
export function conv2d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv2d', input, weight, options, 2);
}

/** `conv` for a 5-D weight [C_out, C_in/groups, kD, kH, kW]; input [N, C_in, D, H, W] (or [N, D, H, W, C_in]). */
export function conv3d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv3d', input, weight, options, 3);
}
