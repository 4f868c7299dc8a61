/**
 * The argument checks every backend's convolution ops make before they compute, in one place
 * so that the CPU and GPU kernels accept and refuse exactly the same calls: `resolveConvCall`,
 * `resolveConvTransposeCall` and `resolveDeformConvCall` read the options (readOptions: own
 * keys only, null means default), check the tensors (readTensor), the bias, the mask and the
 * ranks, build the geometry (convGeometryFromShapes) and check the output against the memory
 * budget. A backend then only resolves its algorithm name and runs its kernels. Each throws a
 * typed error naming the op, the argument, what was expected and what came.
 */
import { checkAllocation } from './check-allocation';
import { checkTensor, readTensor } from './check-arguments';
import { type ConvGeometry, convGeometryFromShapes, type Layout, type PaddingMode } from './conv-geometry';
import { describeValue, formatValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError, UnsupportedError } from './errors';
import { type OptionRecord, optionString, readOptions } from './read-options';
import { sameShape } from './shape';
import type { Tensor } from './tensor';

/** The keys a conv options object may hold. */
export const CONV_OPTION_KEYS = [
  'bias',
  'stride',
  'padding',
  'dilation',
  'groups',
  'paddingMode',
  'layout',
  'algorithm',
] as const;

/** The keys a convTranspose options object may hold. */
export const CONV_TRANSPOSE_OPTION_KEYS = [
  'bias',
  'stride',
  'padding',
  'outputPadding',
  'dilation',
  'groups',
  'paddingMode',
  'layout',
  'algorithm',
] as const;

/**
 * The keys a deformConv options object may hold; layout, paddingMode and offsetGroups only
 * to refuse values other than the one deformable convolution has.
 */
export const DEFORM_CONV_OPTION_KEYS = [
  'bias',
  'mask',
  'stride',
  'padding',
  'dilation',
  'groups',
  'algorithm',
  'layout',
  'paddingMode',
  'offsetGroups',
] as const;

/** A checked convolution call: what a backend needs to run it. */
export interface ConvCall {
  /** The op name used in messages (`conv2d`, `convTranspose3d`, `convBackward`...). */
  readonly op: string;
  readonly geometry: ConvGeometry;
  /** This package's Tensors (a foreign tensor-like is re-described), checked. */
  readonly input: Tensor;
  readonly weight: Tensor;
  /** [C_out], or null when none was given. */
  readonly bias: Tensor | null;
  /** The algorithm name as given (a string), or undefined: each backend checks its own names. */
  readonly algorithm: string | undefined;
}

/** A checked deformable convolution call. */
export interface DeformConvCall extends ConvCall {
  readonly offset: Tensor;
  /** [N, offsetGroups * kh * kw, H_out, W_out], or null without modulation. */
  readonly mask: Tensor | null;
}

/**
 * The op name PyTorch users know for a weight of this rank (`conv2d` for a 4-D weight), or
 * the bare kind when the rank is out of range (the geometry then reports the rank).
 */
export function opNameForWeight(kind: string, weight: unknown): string {
  if (typeof weight !== 'object' || weight === null) return kind;
  let shape: unknown;
  try {
    shape = (weight as { shape?: unknown }).shape;
  } catch {
    return kind;
  }
  if (!Array.isArray(shape)) return kind;
  const dims = shape.length - 2;
  return dims >= 1 && dims <= 3 ? `${kind}${dims}d` : kind;
}

const KERNEL_NAMES: Record<number, string> = { 1: 'kL', 2: 'kH, kW', 3: 'kD, kH, kW' };

/**
 * For the rank-specific aliases (conv2d...): throws a ShapeError unless the weight has rank
 * dims + 2, so that `conv2d` never silently runs a 1-D or 3-D convolution.
 */
export function checkWeightRank(op: string, weight: Tensor, dims: 1 | 2 | 3, transposed: boolean): void {
  checkTensor(op, 'weight', weight);
  if (dims !== 1 && dims !== 2 && dims !== 3) {
    throw new ArgumentError(`${op}: dims must be 1, 2 or 3, got ${formatValue(dims)}`);
  }
  if (weight.shape.length !== dims + 2) {
    const channels = transposed ? 'C_in, C_out/groups' : 'C_out, C_in/groups';
    throw new ShapeError(
      `${op}: weight must have rank ${dims + 2} ([${channels}, ${KERNEL_NAMES[dims]}]), got shape ${formatShape(weight.shape)}`,
    );
  }
}

/**
 * The bias as a checked Tensor, or null when there is none (undefined or null). It must be a
 * Tensor of shape [outChannels]: `conv2d: bias must have shape [64] (one value per output
 * channel), got [3]`.
 */
export function checkBias(op: string, bias: unknown, outChannels: number): Tensor | null {
  if (bias === undefined || bias === null) return null;
  if (typeof bias !== 'object') {
    throw new ArgumentError(`${op}: bias must be a Tensor or null, got ${describeValue(bias)}`);
  }
  let checked: Tensor;
  try {
    checked = readTensor(op, 'bias', bias);
  } catch (error) {
    if (ArgumentError.isInstance(error) && /bias must be a Tensor/.test(error.message)) {
      throw new ArgumentError(`${op}: bias must be a Tensor or null, got ${describeValue(bias)}`);
    }
    throw error;
  }
  if (checked.shape.length !== 1 || checked.shape[0] !== outChannels) {
    throw new ShapeError(
      `${op}: bias must have shape [${outChannels}] (one value per output channel), got ${formatShape(checked.shape)}`,
    );
  }
  return checked;
}

/**
 * Throws unless `gradOutput` is a Tensor of the shape the forward op returns:
 * `convBackward: gradOutput must have shape [2, 8, 5, 5] (the output of conv2d), got [2, 8, 4, 4]`.
 * Returns it as one of this package's Tensors.
 */
export function checkGradOutput(
  op: string,
  gradOutput: unknown,
  expectedShape: readonly number[],
  forwardOp: string,
): Tensor {
  const checked = readTensor(op, 'gradOutput', gradOutput);
  if (!sameShape(checked.shape, expectedShape)) {
    throw new ShapeError(
      `${op}: gradOutput must have shape ${formatShape(expectedShape)} (the output of ${forwardOp}), got ${formatShape(checked.shape)}`,
    );
  }
  checkAllocation(op, 'gradOutput', checked.shape);
  return checked;
}

/** Every tensor argument may be copied once (contiguous, layout): each must fit the budget. */
function checkCopies(op: string, tensors: readonly [string, Tensor][]): void {
  for (const [name, t] of tensors) checkAllocation(op, name, t.shape);
}

function resolveCall(
  op: string,
  input: unknown,
  weight: unknown,
  options: unknown,
  dims: 1 | 2 | 3 | undefined,
  transposed: boolean,
): ConvCall {
  const keys = transposed ? CONV_TRANSPOSE_OPTION_KEYS : CONV_OPTION_KEYS;
  const opts: OptionRecord<(typeof keys)[number]> = readOptions(op, options, keys);
  const x = readTensor(op, 'input', input);
  const w = readTensor(op, 'weight', weight);
  if (dims !== undefined) checkWeightRank(op, w, dims, transposed);
  const algorithm = optionString(op, 'algorithm', opts.algorithm, undefined);
  const geometry = convGeometryFromShapes({
    op,
    transposed,
    inputShape: x.shape,
    weightShape: w.shape,
    stride: opts.stride as number | number[] | undefined,
    padding: opts.padding as number | undefined,
    outputPadding: (opts as OptionRecord<'outputPadding'>).outputPadding as number | undefined,
    dilation: opts.dilation as number | number[] | undefined,
    groups: opts.groups as number | undefined,
    paddingMode: opts.paddingMode as PaddingMode | undefined,
    layout: opts.layout as Layout | undefined,
  });
  const bias = checkBias(op, opts.bias, geometry.outChannels);
  // Refused before any buffer is allocated (a typed array this large fails inside V8).
  checkAllocation(op, 'output', geometry.outputShape);
  checkCopies(op, [
    ['input', x],
    ['weight', w],
  ]);
  return Object.freeze({ op, geometry, input: x, weight: w, bias, algorithm });
}

/**
 * Checks a convolution's arguments (conv, conv1d/2d/3d, convBackward) and returns the call:
 * options read once, tensors checked, geometry built, bias checked, output within the memory
 * budget. `dims` makes the rank-specific aliases refuse a weight of another rank.
 */
export function resolveConvCall(
  op: string,
  input: unknown,
  weight: unknown,
  options: unknown,
  dims?: 1 | 2 | 3,
): ConvCall {
  return resolveCall(op, input, weight, options, dims, false);
}

/** `resolveConvCall` for transposed convolution (convTranspose*, convTransposeBackward). */
export function resolveConvTransposeCall(
  op: string,
  input: unknown,
  weight: unknown,
  options: unknown,
  dims?: 1 | 2 | 3,
): ConvCall {
  return resolveCall(op, input, weight, options, dims, true);
}

function checkRank4(op: string, name: string, t: Tensor, layout: string): void {
  if (t.shape.length !== 4) {
    throw new ShapeError(`${op}: ${name} must have rank 4 (${layout}), got shape ${formatShape(t.shape)}`);
  }
}

/**
 * Checks a 2-D deformable convolution's arguments (torchvision.ops.deform_conv2d semantics):
 * input [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], offset
 * [N, 2 * offsetGroups * kh * kw, H_out, W_out] (offset groups read from its channels),
 * options.mask [N, offsetGroups * kh * kw, H_out, W_out]. Options other ops have that would
 * change the meaning here (a layout other than channels-first, a paddingMode other than
 * zeros) are refused with an UnsupportedError rather than ignored.
 */
export function resolveDeformConvCall(
  op: string,
  input: unknown,
  weight: unknown,
  offset: unknown,
  options: unknown,
): DeformConvCall {
  const opts = readOptions(op, options, DEFORM_CONV_OPTION_KEYS);
  const x = readTensor(op, 'input', input);
  const w = readTensor(op, 'weight', weight);
  const off = readTensor(op, 'offset', offset);
  checkWeightRank(op, w, 2, false);
  checkRank4(op, 'input', x, '[N, C_in, H, W]');
  checkRank4(op, 'offset', off, '[N, 2 * offsetGroups * kh * kw, H_out, W_out]');
  if (opts.layout !== undefined && opts.layout !== 'channels-first') {
    throw new UnsupportedError(
      `${op}: layout must be 'channels-first' (input [N, C, H, W], offset and mask channels-first, as torchvision), got ${formatValue(opts.layout)}`,
    );
  }
  if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
    throw new UnsupportedError(
      `${op}: paddingMode must be 'zeros' (bilinear sampling reads zeros outside the input), got ${formatValue(opts.paddingMode)}`,
    );
  }
  const algorithm = optionString(op, 'algorithm', opts.algorithm, undefined);
  const geometry = convGeometryFromShapes({
    op,
    inputShape: x.shape,
    weightShape: w.shape,
    offsetShape: off.shape,
    stride: opts.stride as number | number[] | undefined,
    padding: opts.padding as number | undefined,
    dilation: opts.dilation as number | number[] | undefined,
    groups: opts.groups as number | undefined,
  });
  checkAllocation(op, 'output', geometry.outputShape);
  const [kernelHeight, kernelWidth] = geometry.kernelSize;
  if (opts.offsetGroups !== undefined && opts.offsetGroups !== geometry.offsetGroups) {
    throw new ArgumentError(
      `${op}: offset groups are read from the offset's channel count: offset ${formatShape(off.shape)} with a ${kernelHeight}x${kernelWidth} kernel has ${geometry.offsetGroups}, but options.offsetGroups is ${formatValue(opts.offsetGroups)}`,
    );
  }
  let mask: Tensor | null = null;
  if (opts.mask !== undefined) {
    checkTensor(op, 'mask', opts.mask);
    mask = readTensor(op, 'mask', opts.mask);
    const expected = geometry.maskShape!;
    if (!sameShape(mask.shape, expected)) {
      throw new ShapeError(
        `${op}: mask must be [N, offsetGroups * kh * kw, H_out, W_out] = ${formatShape(expected)} (offsetGroups = ${geometry.offsetGroups} from the offset's ${off.shape[1]} channels, ${kernelHeight}x${kernelWidth} kernel, output ${formatShape(geometry.outputShape)}), got ${formatShape(mask.shape)}`,
      );
    }
  }
  const bias = checkBias(op, opts.bias, geometry.outChannels);
  checkCopies(op, [
    ['input', x],
    ['weight', w],
    ['offset', off],
  ]);
  return Object.freeze({ op, geometry, input: x, weight: w, offset: off, mask, bias, algorithm });
}
