/**
 * Differentiable convolutions: conv (1-3-D), convTranspose (1-3-D) and deformConv (2-D, v1
 * and v2). Forward and backward are the kernels of the active backend (kernels-cpu's
 * conv/convBackward... with their 'auto' algorithm on the CPU); the options are theirs.
 */
import type { ConvOptions, ConvTransposeOptions, DeformConvOptions } from '@convkit/kernels-cpu';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export type ConvOpOptions = Omit<ConvOptions, 'bias'>;
export type ConvTransposeOpOptions = Omit<ConvTransposeOptions, 'bias'>;
export type DeformConvOpOptions = Omit<DeformConvOptions, 'bias' | 'mask'>;

/** Convolution of x with weight (+ bias), 1-3-D from the weight's rank. */
export function conv(
  x: Input,
  weight: Input,
  bias: Input | null = null,
  options: ConvOpOptions = {},
): Variable {
  const vx = asVariable('conv', 'input', x);
  const vw = asVariable('conv', 'weight', weight);
  const vb = bias === null ? null : asVariable('conv', 'bias', bias);
  const be = getBackend();
  const y = be.conv(vx.data, vw.data, { ...options, bias: vb?.data ?? null });
  const inputs = vb ? [vx, vw, vb] : [vx, vw];
  return record('conv', y, inputs, (g) => {
    // An input that needs no gradient (a network's first layer) skips that transposed convolution.
    const grads = vx.requiresGrad
      ? be.convBackward(g, vx.data, vw.data, options)
      : be.convBackward(g, vx.data, vw.data, options, { inputGradient: false });
    return [grads.gradInput, grads.gradWeight, grads.gradBias];
  });
}

/** Transposed convolution of x with weight [C_in, C_out/groups, ...k] (+ bias). */
export function convTranspose(
  x: Input,
  weight: Input,
  bias: Input | null = null,
  options: ConvTransposeOpOptions = {},
): Variable {
  const vx = asVariable('convTranspose', 'input', x);
  const vw = asVariable('convTranspose', 'weight', weight);
  const vb = bias === null ? null : asVariable('convTranspose', 'bias', bias);
  const be = getBackend();
  const y = be.convTranspose(vx.data, vw.data, { ...options, bias: vb?.data ?? null });
  const inputs = vb ? [vx, vw, vb] : [vx, vw];
  return record('convTranspose', y, inputs, (g) => {
    const grads = be.convTransposeBackward(g, vx.data, vw.data, options);
    return [grads.gradInput, grads.gradWeight, grads.gradBias];
  });
}

/**
 * Deformable convolution (torchvision.ops.deform_conv2d): offset [N, 2 * G * kh * kw, H_out,
 * W_out] as (dy, dx) pairs, optional mask [N, G * kh * kw, H_out, W_out] (DCN v2); all four of
 * input, weight, offset and mask receive gradients.
 */
export function deformConv(
  x: Input,
  weight: Input,
  offset: Input,
  mask: Input | null = null,
  bias: Input | null = null,
  options: DeformConvOpOptions = {},
): Variable {
  const vx = asVariable('deformConv', 'input', x);
  const vw = asVariable('deformConv', 'weight', weight);
  const vo = asVariable('deformConv', 'offset', offset);
  const vm = mask === null ? null : asVariable('deformConv', 'mask', mask);
  const vb = bias === null ? null : asVariable('deformConv', 'bias', bias);
  const be = getBackend();
  const kernelOptions = { ...options, mask: vm?.data ?? null };
  const y = be.deformConv(vx.data, vw.data, vo.data, { ...kernelOptions, bias: vb?.data ?? null });
  const inputs = [vx, vw, vo, ...(vm ? [vm] : []), ...(vb ? [vb] : [])];
  return record('deformConv', y, inputs, (g) => {
    const grads = be.deformConvBackward(g, vx.data, vw.data, vo.data, kernelOptions);
    return [
      grads.gradInput,
      grads.gradWeight,
      grads.gradOffset,
      ...(vm ? [grads.gradMask] : []),
      ...(vb ? [grads.gradBias] : []),
    ];
  });
}
