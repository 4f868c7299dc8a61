import {
  ArgumentError,
  assertClose,
  createRng,
  ones,
  ShapeError,
  type Tensor,
  tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONV_ALGORITHMS } from './algorithms';
import { conv, conv1d } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import type { ConvOptions } from './options';
import { finiteDifference } from './reference/finite-difference';
import { convCaseTensors, dot, randomConvCase } from './reference/random-conv-case';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

/** |a - b| within float32 rounding of the terms: 1e-5 of sum |terms| (rounding is ~1e-7 of it). */
function expectSameDot(a: { value: number; scale: number }, b: { value: number; scale: number }): void {
  expect(Math.abs(a.value - b.value)).toBeLessThanOrEqual(1e-5 * (a.scale + b.scale) + 1e-12);
}

/** Sums of a tensor over every axis but the channel axis. */
function channelSums(t: Tensor, channelAxis: number): number[] {
  const sums = new Array<number>(t.shape[channelAxis]!).fill(0);
  const moved = t
    .permute([channelAxis, ...t.shape.map((_, i) => i).filter((i) => i !== channelAxis)])
    .toFloat32Array();
  const per = moved.length / sums.length;
  for (let i = 0; i < moved.length; i++) sums[Math.floor(i / per)]! += moved[i]!;
  return sums;
}

describe('convBackward: hand-computed values', () => {
  it('1-D difference kernel: gradInput scatters, gradWeight correlates, gradBias sums', () => {
    const x = tensor([1, 2, 3, 4, 5], [1, 1, 5]);
    const w = tensor([1, 0, -1], [1, 1, 3]);
    const gy = tensor([1, 1, 1], [1, 1, 3]);
    const { gradInput, gradWeight, gradBias } = convBackward(gy, x, w);
    // y[o] = x[o] - x[o + 2]: gx[o] += gy[o], gx[o + 2] -= gy[o].
    expect(Array.from(gradInput.data)).toEqual([1, 1, 0, -1, -1]);
    // gw[k] = sum_o gy[o] x[o + k].
    expect(Array.from(gradWeight.data)).toEqual([6, 9, 12]);
    expect(gradWeight.shape).toEqual([1, 1, 3]);
    expect(Array.from(gradBias.data)).toEqual([3]);
    expect(gradBias.shape).toEqual([1]);
  });

  it('padding modes send the gradient of a padded position to the element it copied', () => {
    const x = tensor([1, 2, 3], [1, 1, 3]);
    const w = ones([1, 1, 1]);
    const gy = tensor([1, 10, 100, 1000, 10000], [1, 1, 5]);
    const grads = (paddingMode: ConvOptions['paddingMode']) =>
      convBackward(gy, x, w, { padding: 1, paddingMode });
    // Padded signals: zeros [0 1 2 3 0], reflect [2 1 2 3 2], replicate [1 1 2 3 3], circular [3 1 2 3 1].
    expect(Array.from(grads('zeros').gradInput.data)).toEqual([10, 100, 1000]);
    expect(Array.from(grads('reflect').gradInput.data)).toEqual([10, 1 + 100 + 10000, 1000]);
    expect(Array.from(grads('replicate').gradInput.data)).toEqual([1 + 10, 100, 1000 + 10000]);
    expect(Array.from(grads('circular').gradInput.data)).toEqual([10 + 10000, 100, 1 + 1000]);
    // gw = sum_o gy[o] * xpad[o].
    expect(Array.from(grads('zeros').gradWeight.data)).toEqual([10 + 200 + 3000]);
    expect(Array.from(grads('reflect').gradWeight.data)).toEqual([2 + 10 + 200 + 3000 + 20000]);
    expect(Array.from(grads('circular').gradWeight.data)).toEqual([3 + 10 + 200 + 3000 + 10000]);
  });
});

describe('convBackward: properties over random geometries', () => {
  it('adjoint in x: <conv(x, w), y> = <x, gradInput(y)>, for every padding mode', () => {
    fc.assert(
      fc.property(randomConvCase(false), (c) => {
        const { input, weight, gradOutput } = convCaseTensors(c);
        const { gradInput } = convBackward(gradOutput, input, weight, c.options);
        expect(gradInput.shape).toEqual(input.shape);
        expectSameDot(dot(conv(input, weight, c.options), gradOutput), dot(input, gradInput));
      }),
      { numRuns: 150, seed: 301 },
    );
  });

  it('adjoint in w: <conv(x, w), y> = <w, gradWeight(y, x)>, and gradBias = sums of y', () => {
    fc.assert(
      fc.property(randomConvCase(false), (c) => {
        const { input, weight, bias, gradOutput } = convCaseTensors(c);
        const { gradWeight, gradBias } = convBackward(gradOutput, input, weight, { ...c.options, bias });
        expect(gradWeight.shape).toEqual(weight.shape);
        expectSameDot(dot(conv(input, weight, c.options), gradOutput), dot(weight, gradWeight));
        const channelAxis = c.options.layout === 'channels-last' ? gradOutput.shape.length - 1 : 1;
        assertClose(gradBias, channelSums(gradOutput, channelAxis));
      }),
      { numRuns: 150, seed: 302 },
    );
  });

  it('gradInput equals convTranspose(gradOutput, w) with the outputPadding that restores the input size', () => {
    fc.assert(
      fc.property(randomConvCase(false, ['zeros']), (c) => {
        const { input, weight, gradOutput } = convCaseTensors(c);
        const g = c.geometry;
        const { gradInput } = convBackward(gradOutput, input, weight, c.options);
        // The input positions past the last window are the remainder of the output-size division.
        const outputPadding = g.inputSpatial.map(
          (s, d) => (s + g.padBefore[d]! + g.padAfter[d]! - g.kernelExtent[d]!) % g.stride[d]!,
        );
        const transposed = convTranspose(gradOutput, weight, {
          stride: c.options.stride,
          padding: g.padBefore.map((p, d) => [p, g.padAfter[d]!] as [number, number]),
          outputPadding,
          dilation: c.options.dilation,
          groups: c.options.groups,
          layout: c.options.layout,
        });
        expect(transposed.shape).toEqual(gradInput.shape);
        assertClose(gradInput, transposed);
      }),
      { numRuns: 100, seed: 303 },
    );
  });
});

describe('convBackward: central finite differences', () => {
  const setups: { name: string; input: number[]; weight: number[]; options: ConvOptions }[] = [
    {
      name: '1-D reflect, stride 2, dilation 2',
      input: [2, 2, 6],
      weight: [3, 2, 2],
      options: { padding: [[2, 1]], stride: 2, dilation: 2, paddingMode: 'reflect' },
    },
    {
      name: '2-D circular, groups 2, channels-last',
      input: [1, 4, 4, 4],
      weight: [2, 2, 3, 2],
      options: { padding: [1, 2], groups: 2, paddingMode: 'circular', layout: 'channels-last' },
    },
    {
      name: '3-D replicate',
      input: [1, 1, 3, 3, 2],
      weight: [2, 1, 2, 2, 2],
      options: { padding: 1, stride: [1, 2, 1], paddingMode: 'replicate' },
    },
    {
      name: "2-D 'same' zeros, depthwise",
      input: [1, 2, 3, 4],
      weight: [4, 1, 2, 3],
      options: { padding: 'same', groups: 2 },
    },
  ];
  for (const s of setups) {
    it(`matches the gradients of <conv(x, w, b), y>: ${s.name}`, () => {
      const rng = createRng(31);
      const layoutLast = s.options.layout === 'channels-last';
      const inputShape = layoutLast ? [s.input[0]!, ...s.input.slice(2), s.input[1]!] : s.input;
      const x = rng.normalTensor(inputShape);
      const w = rng.normalTensor(s.weight);
      const b = rng.normalTensor([s.weight[0]!]);
      const y0 = conv(x, w, { ...s.options, bias: b });
      const gy = rng.normalTensor(y0.shape);
      const loss = (xx: Tensor, ww: Tensor, bb: Tensor) =>
        dot(conv(xx, ww, { ...s.options, bias: bb }), gy).value;
      const grads = convBackward(gy, x, w, { ...s.options, bias: b });
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

describe('convBackward: layout, memory and errors', () => {
  it('channels-last: gradOutput and gradInput in the layout, gradWeight in PyTorch layout', () => {
    const rng = createRng(32);
    const x = rng.normalTensor([2, 3, 5, 4]);
    const w = rng.normalTensor([4, 3, 2, 2]);
    const gy = rng.normalTensor([2, 4, 5, 4]);
    const first = convBackward(gy, x, w, {
      padding: [
        [1, 0],
        [0, 1],
      ],
    });
    const last = convBackward(gy.permute([0, 2, 3, 1]), x.permute([0, 2, 3, 1]), w, {
      padding: [
        [1, 0],
        [0, 1],
      ],
      layout: 'channels-last',
    });
    expect(last.gradInput.shape).toEqual([2, 5, 4, 3]);
    expect(last.gradInput.isContiguous).toBe(true);
    assertClose(last.gradInput, first.gradInput.permute([0, 2, 3, 1]));
    assertClose(last.gradWeight, first.gradWeight);
    assertClose(last.gradBias, first.gradBias);
  });

  it('never modifies its inputs; gradBias comes without a bias too', () => {
    const rng = createRng(33);
    const x = rng.normalTensor([1, 2, 4]);
    const w = rng.normalTensor([2, 2, 3]);
    const gy = rng.normalTensor([1, 2, 4]);
    const copies = [gy, x, w].map((t) => t.toFloat32Array());
    const grads = convBackward(gy, x, w, { padding: 1, paddingMode: 'reflect' });
    for (const [i, t] of [gy, x, w].entries()) expect(t.data).toEqual(copies[i]);
    expect(grads.gradBias.shape).toEqual([2]);
    for (const g of [grads.gradInput, grads.gradWeight, grads.gradBias]) {
      expect([gy.data, x.data, w.data]).not.toContain(g.data);
    }
  });

  it('rejects a gradOutput of the wrong shape or type', () => {
    const x = zeros([2, 3, 5, 5]);
    const w = zeros([8, 3, 3, 3]);
    let e = thrown(() => convBackward(zeros([2, 8, 4, 4]), x, w, { padding: 1 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convBackward: gradOutput must have shape [2, 8, 5, 5] (the output of conv2d), got [2, 8, 4, 4]',
    );
    e = thrown(() => convBackward(zeros([2, 5, 5, 8]), x, w, { padding: 1 }));
    expect(e.message).toContain('got [2, 5, 5, 8]');
    e = thrown(() => convBackward(new Float32Array(8) as unknown as Tensor, x, w));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('convBackward: gradOutput must be a Tensor, got Float32Array of length 8');
  });

  it('checks its other arguments like conv', () => {
    const gy = zeros([1, 2, 3]);
    let e = thrown(() => convBackward(gy, zeros([1, 3, 5]), zeros([2, 2, 3])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('convBackward: input has 3 channels but weight [2, 2, 3] with groups=1 expects 2');
    e = thrown(() => convBackward(gy, zeros([1, 2, 5]), zeros([2, 2, 3]), { bias: zeros([3]) }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('convBackward: bias must have shape [2]');
    e = thrown(() => convBackward(gy, zeros([1, 2, 5]), zeros([2, 2, 3]), { algorithm: 'im2col-typo' }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain("convBackward: algorithm must be 'auto' or one of 'reference'");
    e = thrown(() => convBackward(gy, zeros([1, 2, 5]), zeros([2, 2, 3]), { stride: 0 }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    // A valid call for contrast.
    expect(convBackward(gy, zeros([1, 2, 5]), zeros([2, 2, 3])).gradInput.shape).toEqual([1, 2, 5]);
    expect(conv1d(zeros([1, 2, 5]), zeros([2, 2, 3])).shape).toEqual(gy.shape);
  });
});

describe('convBackward: { inputGradient: false }', () => {
  /** Geometries to try per algorithm, the first within its limits is used: dense, depthwise, strided. */
  const candidates: { x: number[]; w: number[]; options: ConvOptions }[] = [
    { x: [2, 4, 9, 11], w: [6, 4, 3, 3], options: { padding: 1 } },
    { x: [2, 4, 9, 11], w: [4, 1, 3, 3], options: { padding: 1, groups: 4 } },
    { x: [2, 4, 9, 11], w: [6, 4, 3, 3], options: { padding: 1, stride: 2 } },
    { x: [2, 4, 9, 11], w: [6, 4, 1, 1], options: {} },
  ];

  // 'phase' runs transposed convolution only: convBackward refuses it on every geometry.
  for (const algorithm of CONV_ALGORITHMS.filter((a) => a !== 'phase')) {
    it(`skips gradInput (null) and returns the same weight and bias gradients [${algorithm}]`, () => {
      const rng = createRng(7);
      let ran = false;
      for (const c of candidates) {
        const x = tensor(
          Float32Array.from({ length: c.x.reduce((a, b) => a * b) }, () => rng.normal()),
          c.x,
        );
        const w = tensor(
          Float32Array.from({ length: c.w.reduce((a, b) => a * b) }, () => rng.normal()),
          c.w,
        );
        const options = { ...c.options, algorithm };
        let full: ReturnType<typeof convBackward>;
        try {
          full = convBackward(conv(x, w, options), x, w, options);
        } catch (e) {
          if (UnsupportedError.isInstance(e)) continue; // outside this algorithm's limits
          throw e;
        }
        const gy = conv(x, w, options);
        const part = convBackward(gy, x, w, options, { inputGradient: false });
        expect(part.gradInput).toBeNull();
        expect(part.gradWeight.toFloat32Array()).toEqual(full.gradWeight.toFloat32Array());
        expect(part.gradBias.toFloat32Array()).toEqual(full.gradBias.toFloat32Array());
        const all = convBackward(gy, x, w, options, { inputGradient: true });
        expect(all.gradInput?.toFloat32Array()).toEqual(full.gradInput.toFloat32Array());
        ran = true;
        break;
      }
      expect(ran).toBe(true);
    });
  }

  it("is checked before the algorithm's limits: 'phase' still refuses plain convolution", () => {
    const x = zeros([1, 2, 5, 5]);
    const w = zeros([3, 2, 3, 3]);
    const e = thrown(() =>
      convBackward(zeros([1, 3, 3, 3]), x, w, { algorithm: 'phase' }, { inputGradient: false }),
    );
    expect(UnsupportedError.isInstance(e)).toBe(true);
  });

  it('works in the channels-last layout and refuses bad gradient options with typed errors', () => {
    const x = tensor(
      Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)),
      [2, 5, 5, 3],
    );
    const w = tensor(
      Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)),
      [4, 3, 3, 3],
    );
    const gy = conv(x, w, { layout: 'channels-last', padding: 1 });
    const full = convBackward(gy, x, w, { layout: 'channels-last', padding: 1 });
    const part = convBackward(gy, x, w, { layout: 'channels-last', padding: 1 }, { inputGradient: false });
    expect(part.gradInput).toBeNull();
    expect(part.gradWeight.toFloat32Array()).toEqual(full.gradWeight.toFloat32Array());
    let e = thrown(() =>
      convBackward(gy, x, w, { layout: 'channels-last', padding: 1 }, { inputGradient: 'no' } as never),
    );
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain('convBackward: inputGradient');
    e = thrown(() =>
      convBackward(gy, x, w, { layout: 'channels-last', padding: 1 }, { input: false } as never),
    );
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain('input');
    e = thrown(() => convBackward(gy, x, w, { layout: 'channels-last', padding: 1 }, 5 as never));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain('gradients');
  });
});
