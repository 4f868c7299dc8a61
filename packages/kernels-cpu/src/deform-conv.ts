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
import { type ConvGeometry, checkAllocation, resolveDeformConvCall, Tensor } from '@convkit/tensor';
import { resolveAlgorithm } from './algorithms';
import { DEFORM_CONV_ALGORITHMS, deformConvKernelsFor } from './deform-algorithms';
import type { DeformConvOptions } from './options';

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
  /** The algorithm name as given (checked against DEFORM_CONV_ALGORITHMS), or undefined. */
  algorithm: string | undefined;
}

/**
 * Checks the arguments of deformConv / deformConvBackward (`resolveDeformConvCall` in
 * @convkit/tensor, shared by every backend) and the algorithm name, and returns contiguous
 * data. Internal to kernels-cpu (the backward op shares it); not exported from the package.
 */
export function checkDeformConvArgs(
  op: string,
  input: unknown,
  weight: unknown,
  offset: unknown,
  options: unknown,
): CheckedDeformConv {
  const call = resolveDeformConvCall(op, input, weight, offset, options);
  // Only the name is checked here, early; the op resolves 'auto' once it runs.
  resolveAlgorithm(op, call.algorithm, DEFORM_CONV_ALGORITHMS, DEFORM_CONV_ALGORITHMS[0]!);
  return {
    geometry: call.geometry,
    input: call.input.contiguous().data,
    weight: call.weight.contiguous().data,
    offset: call.offset.contiguous().data,
    mask: call.mask ? call.mask.contiguous().data : null,
    bias: call.bias ? call.bias.contiguous().data : null,
    algorithm: call.algorithm,
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
  const out = new Float32Array(checkAllocation(OP, 'output', geometry.outputShape));
  deformConvKernelsFor(OP, checked.algorithm, geometry, 'forward').forward(geometry, checked, out);
  return new Tensor(out, geometry.outputShape);
}
