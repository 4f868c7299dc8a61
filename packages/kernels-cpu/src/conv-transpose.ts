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
import { type ConvGeometry, checkAllocation, convGeometryFromShapes, type Tensor } from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type { ConvTransposeOptions } from './options';
import { checkBias, checkOptionKeys, checkTensor, checkWeightRank, opNameForWeight } from './validate';

/** The keys a convTranspose options object may hold. */
export const CONV_TRANSPOSE_OPTION_KEYS: readonly (keyof ConvTransposeOptions)[] = [
  'bias',
  'stride',
  'padding',
  'outputPadding',
  'dilation',
  'groups',
  'paddingMode',
  'layout',
  'algorithm',
];

/**
 * Checks convTranspose's arguments and builds their geometry; shared by the forward and
 * backward ops so that both accept exactly the same calls.
 */
export function convTransposeGeometryForOp(
  op: string,
  input: unknown,
  weight: unknown,
  options: ConvTransposeOptions | undefined,
  dims?: 1 | 2 | 3,
): ConvGeometry {
  checkTensor(op, 'input', input);
  checkTensor(op, 'weight', weight);
  checkOptionKeys(op, options, CONV_TRANSPOSE_OPTION_KEYS);
  if (dims !== undefined) checkWeightRank(op, weight, dims, true);
  const { stride, padding, outputPadding, dilation, groups, paddingMode, layout } = options ?? {};
  const geometry = convGeometryFromShapes({
    op,
    transposed: true,
    inputShape: input.shape,
    weightShape: weight.shape,
    stride,
    padding,
    outputPadding,
    dilation,
    groups,
    paddingMode,
    layout,
  });
  // Refused before any buffer is allocated (a typed array this large fails inside V8).
  checkAllocation(op, 'output', geometry.outputShape);
  return geometry;
}

function runConvTranspose(
  op: string,
  input: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions | undefined,
  dims?: 1 | 2 | 3,
): Tensor {
  const geometry = convTransposeGeometryForOp(op, input, weight, options, dims);
  const bias = checkBias(op, options?.bias, geometry.outChannels);
  const kernels = convKernelsFor(op, options?.algorithm, geometry, 'forward');
  const output = kernels.convTranspose(
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
