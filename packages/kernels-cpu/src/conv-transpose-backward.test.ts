import {
  ArgumentError,
  assertClose,
  createRng,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import { convTransposeBackward } from './conv-transpose-backward';
import type { ConvTransposeOptions } from './options';
import { finiteDifference } from './reference/finite-difference';
import { type ConvCase, convCaseTensors, dot, randomConvCase } from './reference/random-conv-case';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

function expectSameDot(a: { value: number; scale: number }, b: { value: number; scale: number }): void {
  expect(Math.abs(a.value - b.value)).toBeLessThanOrEqual(1e-5 * (a.scale + b.scale) + 1e-12);
}

/** The view of `t` with each spatial dim cut to `sizes` (from the start), in `layout`. */
function cropSpatial(t: Tensor, sizes: readonly number[], layout: string): Tensor {
  const first = layout === 'channels-last' ? 1 : 2;
  return sizes.reduce((view, size, d) => view.slice(first + d, 0, size), t);
}

/** The convolution options with the same stride, padding, dilation, groups and layout as a transposed case. */
function forwardOptions(c: ConvCase) {
  const { stride, padding, dilation, groups, layout } = c.options;
  return { stride, padding, dilation, groups, layout };
}

describe('convTransposeBackward: hand-computed values', () => {
  it('1-D stride 2: gradInput correlates gradOutput with the kernel, gradWeight with the input', () => {
    const x = tensor([1, 2], [1, 1, 2]);
    const w = tensor([1, 10, 100], [1, 1, 3]);
    // y = [x0, 10 x0, 100 x0 + x1, 10 x1, 100 x1] (see convTranspose's tests).
    const gy = tensor([1, 2, 3, 4, 5], [1, 1, 5]);
    const { gradInput, gradWeight, gradBias } = convTransposeBackward(gy, x, w, { stride: 2 });
    expect(Array.from(gradInput.data)).toEqual([1 + 20 + 300, 3 + 40 + 500]);
    expect(Array.from(gradWeight.data)).toEqual([1 + 2 * 3, 2 + 2 * 4, 3 + 2 * 5]);
    expect(Array.from(gradBias.data)).toEqual([15]);
    // With padding 1 the output is [10 x0, 100 x0 + x1, 10 x1]: cropped taps get no gradient.
    const cropped = convTransposeBackward(tensor([1, 2, 3], [1, 1, 3]), x, w, { stride: 2, padding: 1 });
    expect(Array.from(cropped.gradInput.data)).toEqual([10 + 200, 2 + 30]);
    // y0 = w1 x0, y1 = w2 x0 + w0 x1, y2 = w1 x1.
    expect(Array.from(cropped.gradWeight.data)).toEqual([2 * 2, 1 + 3 * 2, 2 * 1]);
  });
});

describe('convTransposeBackward: properties over random geometries', () => {
  it('adjoint in x: <convTranspose(x, w), y> = <x, gradInput(y)>', () => {
    fc.assert(
      fc.property(randomConvCase(true), (c) => {
        const { input, weight, gradOutput } = convCaseTensors(c);
        const { gradInput } = convTransposeBackward(gradOutput, input, weight, c.options);
        expect(gradInput.shape).toEqual(input.shape);
        expectSameDot(dot(convTranspose(input, weight, c.options), gradOutput), dot(input, gradInput));
      }),
      { numRuns: 150, seed: 401 },
    );
  });

  it('adjoint in w: <convTranspose(x, w), y> = <w, gradWeight(y, x)>, and gradBias = sums of y', () => {
    fc.assert(
      fc.property(randomConvCase(true), (c) => {
        const { input, weight, bias, gradOutput } = convCaseTensors(c);
        const { gradWeight, gradBias } = convTransposeBackward(gradOutput, input, weight, {
          ...c.options,
          bias,
        });
        expect(gradWeight.shape).toEqual(weight.shape);
        expectSameDot(dot(convTranspose(input, weight, c.options), gradOutput), dot(weight, gradWeight));
        // gradBias[co] = <y, e_co>: the sum over everything but the channel.
        const channelAxis = c.options.layout === 'channels-last' ? gradOutput.shape.length - 1 : 1;
        const sums = new Array<number>(c.geometry.outChannels).fill(0);
        const flat = gradOutput.toFloat32Array();
        for (let i = 0; i < flat.length; i++) {
          const co =
            channelAxis === 1
              ? Math.floor(i / c.geometry.outputVolume) % c.geometry.outChannels
              : i % c.geometry.outChannels;
          sums[co]! += flat[i]!;
        }
        assertClose(gradBias, sums);
      }),
      { numRuns: 150, seed: 402 },
    );
  });

  it('gradInput equals conv(gradOutput, w) with the same hyper-parameters (cut to the input size)', () => {
    fc.assert(
      fc.property(randomConvCase(true), (c) => {
        const { input, weight, gradOutput } = convCaseTensors(c);
        const { gradInput } = convTransposeBackward(gradOutput, input, weight, c.options);
        // conv's output has one more position where outputPadding >= stride (allowed when dilation > stride).
        const forward = conv(gradOutput, weight, forwardOptions(c));
        assertClose(gradInput, cropSpatial(forward, c.geometry.inputSpatial, c.options.layout));
      }),
      { numRuns: 100, seed: 403 },
    );
  });

  it('gradWeight equals convBackward with the roles of input and gradOutput swapped', () => {
    fc.assert(
      fc.property(randomConvCase(true), (c) => {
        const { input, weight, gradOutput } = convCaseTensors(c);
        // Needs conv(gradOutput) to have the input's size: outputPadding < stride in every dim.
        fc.pre(c.geometry.outputPadding.every((p, d) => p < c.geometry.stride[d]!));
        const { gradWeight } = convTransposeBackward(gradOutput, input, weight, c.options);
        const swapped = convBackward(input, gradOutput, weight, forwardOptions(c));
        assertClose(gradWeight, swapped.gradWeight);
      }),
      { numRuns: 100, seed: 404 },
    );
  });
});

describe('convTransposeBackward: central finite differences', () => {
  const setups: { name: string; input: number[]; weight: number[]; options: ConvTransposeOptions }[] = [
    {
      name: '1-D stride 3, pairs, outputPadding 2',
      input: [2, 2, 3],
      weight: [2, 2, 3],
      options: { stride: 3, padding: [[2, 1]], outputPadding: 2 },
    },
    {
      name: '2-D groups 2, dilation 2, channels-last',
      input: [1, 4, 3, 2],
      weight: [4, 1, 2, 2],
      options: { groups: 2, dilation: [2, 1], stride: [1, 2], padding: 1, layout: 'channels-last' },
    },
    {
      name: '3-D stride 2, dilation > stride with outputPadding',
      input: [1, 1, 2, 2, 2],
      weight: [1, 2, 2, 2, 1],
      options: { stride: [2, 1, 1], dilation: [1, 3, 1], outputPadding: [1, 2, 0] },
    },
  ];
  for (const s of setups) {
    it(`matches the gradients of <convTranspose(x, w, b), y>: ${s.name}`, () => {
      const rng = createRng(41);
      const isLast = s.options.layout === 'channels-last';
      const x = rng.normalTensor(isLast ? [s.input[0]!, ...s.input.slice(2), s.input[1]!] : s.input);
      const w = rng.normalTensor(s.weight);
      const groups = s.options.groups ?? 1;
      const b = rng.normalTensor([s.weight[1]! * groups]);
      const gy = rng.normalTensor(convTranspose(x, w, { ...s.options, bias: b }).shape);
      const loss = (xx: Tensor, ww: Tensor, bb: Tensor) =>
        dot(convTranspose(xx, ww, { ...s.options, bias: bb }), gy).value;
      const grads = convTransposeBackward(gy, x, w, { ...s.options, bias: b });
      assertClose(
        grads.gradInput,
        finiteDifference((t) => loss(t, w, b), x),
        { label: 'gradInput' },
      );
      assertClose(
        grads.gradWeight,
        finiteDifference((t) => loss(x, t, b), w),
        { label: 'gradWeight' },
      );
      assertClose(
        grads.gradBias,
        finiteDifference((t) => loss(x, w, t), b),
        { label: 'gradBias' },
      );
    });
  }
});

describe('convTransposeBackward: memory and errors', () => {
  it('never modifies its inputs and returns fresh tensors', () => {
    const rng = createRng(42);
    const x = rng.normalTensor([1, 2, 3]);
    const w = rng.normalTensor([2, 3, 2]);
    const gy = rng.normalTensor([1, 3, 6]);
    const copies = [gy, x, w].map((t) => t.toFloat32Array());
    const grads = convTransposeBackward(gy, x, w, { stride: 2 });
    for (const [i, t] of [gy, x, w].entries()) expect(t.data).toEqual(copies[i]);
    expect(grads.gradInput.shape).toEqual([1, 2, 3]);
    expect(grads.gradWeight.shape).toEqual([2, 3, 2]);
    expect(grads.gradBias.shape).toEqual([3]);
  });

  it('rejects a gradOutput of the wrong shape, and checks its other arguments like convTranspose', () => {
    const x = zeros([1, 4, 3, 3]);
    const w = zeros([4, 2, 3, 3]);
    let e = thrown(() => convTransposeBackward(zeros([1, 2, 5, 5]), x, w, { stride: 2 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTransposeBackward: gradOutput must have shape [1, 2, 7, 7] (the output of convTranspose2d), got [1, 2, 5, 5]',
    );
    e = thrown(() => convTransposeBackward(undefined as unknown as Tensor, x, w));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('convTransposeBackward: gradOutput must be a Tensor, got undefined undefined');
    e = thrown(() => convTransposeBackward(zeros([1, 2, 5, 5]), x, w, { outputPadding: 1 }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain(
      'convTransposeBackward: outputPadding 1 in spatial dim 0 must be smaller than max(stride, dilation) = 1',
    );
    e = thrown(() => convTransposeBackward(zeros([1, 2, 5, 5]), x, w, { padding: 'same' as never }));
    expect(e.name).toBe('UnsupportedError');
    e = thrown(() => convTransposeBackward(zeros([1, 2, 5, 5]), x, zeros([3, 2, 3, 3])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain(
      'convTransposeBackward: input has 4 channels but weight [3, 2, 3, 3] expects 3',
    );
  });
});
