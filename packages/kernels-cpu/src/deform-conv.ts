/**
 * deformConv: 2-D deformable convolution, DCN v1 (Dai et al. 2017, arXiv 1703.06211) and,
 * with a mask, DCN v2 (Zhu et al. 2019, arXiv 1811.11168), with the semantics of
 * torchvision.ops.deform_conv2d (0.14). Each kernel tap (i, j) at output position (p, q)
 * reads the input at the fractional position
 *   (p * stride_h - padBefore_h + i * dilation_h + dy,  q * stride_w - padBefore_w + j * dilation_w + dx)
 * by bilinear interpolation with zeros outside, times the mask (v2); the sampled patch then
 * meets the weight as in a grouped convolution. This file is the op: it checks and normalises
 * the arguments, resolves the geometry with `convGeometryFromShapes` and hands contiguous
 * buffers to the kernels of an algorithm (./deform-algorithms: the reference loop, or
 * deformable im2col + GEMM).
 */
import {
  ArgumentError,
  type ConvGeometry,
  checkAllocation,
  convGeometryFromShapes,
  formatShape,
  ShapeError,
  shapeSize,
  Tensor,
  UnsupportedError,
} from '@convkit/tensor';
import { resolveAlgorithm } from './algorithms';
import { DEFORM_CONV_ALGORITHMS, deformConvKernelsFor } from './deform-algorithms';
import type { DeformConvOptions } from './options';
import { checkBias, checkOptionKeys, checkTensor, checkWeightRank } from './validate';

/** Op name in error messages (torchvision's deform_conv2d). */
const OP = 'deformConv2d';

/** Arguments of a deformable convolution after checking: the geometry and contiguous data. */
export interface CheckedDeformConv {
  geometry: ConvGeometry;
  input: Float32Array;
  weight: Float32Array;
  offset: Float32Array;
  mask: Float32Array | null;
  bias: Float32Array | null;
}

function checkRank4(op: string, name: string, t: Tensor, layout: string): void {
  if (t.shape.length !== 4) {
    throw new ShapeError(`${op}: ${name} must have rank 4 (${layout}), got shape ${formatShape(t.shape)}`);
  }
}

/** The options deformable convolution reads; layout, paddingMode and offsetGroups only to refuse other values. */
const DEFORM_CONV_OPTION_KEYS: readonly string[] = [
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
];

/**
 * Checks the arguments of deformConv / deformConvBackward and resolves the geometry. Every
 * bad argument gets a typed error naming `op`, the argument, what was expected and what came.
 * Internal to kernels-cpu (the backward op shares it); not exported from the package.
 */
export function checkDeformConvArgs(
  op: string,
  input: unknown,
  weight: unknown,
  offset: unknown,
  options: unknown,
): CheckedDeformConv {
  checkOptionKeys(op, options, DEFORM_CONV_OPTION_KEYS);
  const opts = (options ?? {}) as DeformConvOptions & Record<string, unknown>;
  checkTensor(op, 'input', input);
  checkTensor(op, 'weight', weight);
  checkTensor(op, 'offset', offset);
  checkWeightRank(op, weight, 2, false);
  checkRank4(op, 'input', input, '[N, C_in, H, W]');
  checkRank4(op, 'offset', offset, '[N, 2 * offsetGroups * kh * kw, H_out, W_out]');

  // Options other ops take that would change the meaning here: refuse them rather than ignore.
  if (opts.layout !== undefined && opts.layout !== 'channels-first') {
    throw new UnsupportedError(
      `${op}: layout must be 'channels-first' (input [N, C, H, W], offset and mask channels-first, as torchvision), got '${String(opts.layout)}'`,
    );
  }
  if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
    throw new UnsupportedError(
      `${op}: paddingMode must be 'zeros' (bilinear sampling reads zeros outside the input), got '${String(opts.paddingMode)}'`,
    );
  }

  // Only the name is checked here, early; the op resolves 'auto' once the geometry is known.
  resolveAlgorithm(op, opts.algorithm, DEFORM_CONV_ALGORITHMS, DEFORM_CONV_ALGORITHMS[0]!);

  const geometry = convGeometryFromShapes({
    op,
    inputShape: input.shape,
    weightShape: weight.shape,
    offsetShape: offset.shape,
    stride: opts.stride,
    padding: opts.padding,
    dilation: opts.dilation,
    groups: opts.groups,
  });
  checkAllocation(op, 'output', geometry.outputShape);
  const [kernelHeight, kernelWidth] = geometry.kernelSize;

  if (opts.offsetGroups !== undefined && opts.offsetGroups !== geometry.offsetGroups) {
    throw new ArgumentError(
      `${op}: offset groups are read from the offset's channel count: offset ${formatShape(offset.shape)} with a ${kernelHeight}x${kernelWidth} kernel has ${geometry.offsetGroups}, but options.offsetGroups is ${String(opts.offsetGroups)}`,
    );
  }

  let mask: Float32Array | null = null;
  if (opts.mask !== undefined && opts.mask !== null) {
    checkTensor(op, 'mask', opts.mask);
    const expected = geometry.maskShape!;
    const actual = opts.mask.shape;
    if (actual.length !== 4 || actual.some((d, k) => d !== expected[k])) {
      throw new ShapeError(
        `${op}: mask must be [N, offsetGroups * kh * kw, H_out, W_out] = ${formatShape(expected)} (offsetGroups = ${geometry.offsetGroups} from the offset's ${offset.shape[1]} channels, ${kernelHeight}x${kernelWidth} kernel, output ${formatShape(geometry.outputShape)}), got ${formatShape(actual)}`,
      );
    }
    mask = opts.mask.contiguous().data;
  }

  return {
    geometry,
    input: input.contiguous().data,
    weight: weight.contiguous().data,
    offset: offset.contiguous().data,
    mask,
    bias: checkBias(op, opts.bias, geometry.outChannels),
  };
}

/**
 * Deformable convolution of `input` [N, C_in, H, W] with `weight` [C_out, C_in/groups, kh, kw]
 * at the sampling offsets `offset` [N, 2 * offsetGroups * kh * kw, H_out, W_out] ((dy, dx)
 * pairs per tap), optionally modulated by `options.mask` [N, offsetGroups * kh * kw, H_out, W_out].
 * Returns [N, C_out, H_out, W_out]. Inputs are never mutated.
 */
export function deformConv(
  input: Tensor,
  weight: Tensor,
  offset: Tensor,
  options?: DeformConvOptions,
): Tensor {
  const checked = checkDeformConvArgs(OP, input, weight, offset, options);
  const { geometry } = checked;
  const out = new Float32Array(shapeSize(geometry.outputShape));
  deformConvKernelsFor(OP, options?.algorithm, geometry, 'forward').forward(geometry, checked, out);
  return new Tensor(out, geometry.outputShape);
}
