import {
  ArgumentError,
  assertClose,
  type ConvGeometry,
  convGeometry,
  createRng,
  type Rng,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convBackward } from './conv-backward';
import { deformConv } from './deform-conv';
import { deformConvBackward } from './deform-conv-backward';
import type { DeformConvOptions } from './options';
import { deformConvReference } from './reference/deform-conv-reference';

// ---------------------------------------------------------------------------------------
// Random small geometries with random fractional offsets and masks.

interface Problem {
  geometry: ConvGeometry;
  options: DeformConvOptions;
  input: Tensor;
  weight: Tensor;
  offset: Tensor;
  mask: Tensor | null;
  gradOutput: Tensor;
  rng: Rng;
}

const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));

/**
 * Offsets whose fractional part lies in [0.01, 0.99]. Kernel taps sit at integer positions,
 * so every sample position keeps at least 0.0099 (after rounding to float32) from the integer
 * lines where the bilinear sample has kinks (cell edges and the -1 / H borders): a central
 * difference with step 1e-4 never crosses one, and is exact up to rounding there because the
 * sample is bilinear inside a cell.
 */
function fractionalOffsets(rng: Rng, shape: readonly number[]): Tensor {
  const t = zeros(shape);
  for (let k = 0; k < t.data.length; k++) t.data[k] = rng.int(-3, 2) + rng.uniform(0.01, 0.99);
  return t;
}

const problemArb: fc.Arbitrary<Problem> = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    offsetGroups: fc.integer({ min: 1, max: 2 }),
    channelUnit: fc.integer({ min: 1, max: 2 }),
    outPerGroup: fc.integer({ min: 1, max: 2 }),
    kernel: pair(1, 3),
    stride: pair(1, 2),
    dilation: pair(1, 2),
    padding: fc.tuple(pair(0, 2), pair(0, 2)),
    extra: pair(0, 3),
    withMask: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((r) => {
    const inChannels = (r.groups === r.offsetGroups ? r.groups : r.groups * r.offsetGroups) * r.channelUnit;
    const inputSpatial = [0, 1].map((d) => {
      const extent = r.dilation[d]! * (r.kernel[d]! - 1) + 1;
      return Math.max(1, extent - r.padding[d]![0] - r.padding[d]![1]) + r.extra[d]!;
    });
    const geometry = convGeometry({
      op: 'deformConv2d',
      batch: r.batch,
      inChannels,
      outChannels: r.groups * r.outPerGroup,
      inputSpatial,
      kernelSize: r.kernel,
      stride: r.stride,
      dilation: r.dilation,
      padding: r.padding,
      groups: r.groups,
      offsetGroups: r.offsetGroups,
    });
    const rng = createRng(r.seed);
    const mask = r.withMask ? rng.uniformTensor(geometry.maskShape!, -0.5, 1.5) : null;
    return {
      geometry,
      options: { stride: r.stride, dilation: r.dilation, padding: r.padding, groups: r.groups, mask },
      input: rng.normalTensor(geometry.inputShape),
      weight: rng.normalTensor(geometry.weightShape),
      offset: fractionalOffsets(rng, geometry.offsetShape!),
      mask,
      gradOutput: rng.normalTensor(geometry.outputShape),
      rng,
    };
  });

/** Sum of products in float64, and the sum of their magnitudes (the scale of its rounding error). */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } {
  let value = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    value += a[k]! * b[k]!;
    scale += Math.abs(a[k]! * b[k]!);
  }
  return { value, scale };
}

/**
 * The loss <deformConv(...), gradOutput> evaluated entirely in float64 by the reference
 * kernel on float64 copies (with `replace` swapping one buffer): finite differences of the
 * float32 op would drown in its output rounding (~1e-7 relative) divided by the step.
 */
function loss64(p: Problem, replace: { offset?: Float64Array; mask?: Float64Array }): number {
  const out = new Float64Array(p.gradOutput.size);
  deformConvReference(
    p.geometry,
    {
      input: Float64Array.from(p.input.toFloat32Array()),
      weight: Float64Array.from(p.weight.toFloat32Array()),
      offset: replace.offset ?? Float64Array.from(p.offset.toFloat32Array()),
      mask: replace.mask ?? (p.mask ? Float64Array.from(p.mask.toFloat32Array()) : null),
      bias: null,
    },
    out,
  );
  return dot(out, p.gradOutput.toFloat32Array()).value;
}

const STEP = 1e-4;

/** Central difference of loss64 along `direction` in the offset (or mask). */
function centralDifference(p: Problem, which: 'offset' | 'mask', direction: Float64Array): number {
  const base = Float64Array.from((which === 'offset' ? p.offset : p.mask!).toFloat32Array());
  const plus = base.map((v, k) => v + STEP * direction[k]!);
  const minus = base.map((v, k) => v - STEP * direction[k]!);
  return (loss64(p, { [which]: plus }) - loss64(p, { [which]: minus })) / (2 * STEP);
}

function randomDirection(rng: Rng, size: number): Float64Array {
  return Float64Array.from({ length: size }, () => rng.uniform(-1, 1));
}

/**
 * Checks a float32 gradient against central differences of the float64 loss: along a random
 * direction over all elements (float32 storage of the gradient bounds the error by
 * 2^-24 * sum |g_k v_k|; 1e-6 of it is a rigorous, still sharp, tolerance) and element by
 * element at a few random indices with the convkit contract (1e-4 abs + rel).
 */
function checkAgainstDifferences(p: Problem, which: 'offset' | 'mask', gradient: Tensor): void {
  const values = gradient.toFloat32Array();
  const direction = randomDirection(p.rng, values.length);
  const { value, scale } = dot(values, direction);
  const numeric = centralDifference(p, which, direction);
  expect(Math.abs(numeric - value)).toBeLessThanOrEqual(1e-6 * scale + 1e-9);
  for (let probe = 0; probe < 4; probe++) {
    const k = p.rng.int(0, values.length - 1);
    const unit = new Float64Array(values.length);
    unit[k] = 1;
    const fd = centralDifference(p, which, unit);
    expect(Math.abs(values[k]! - fd)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(fd));
  }
}

// ---------------------------------------------------------------------------------------

describe('deformConvBackward: property tests over random geometries and fractional offsets', () => {
  it('satisfies the adjoint identity <deformConv(x), y> = <x, gradInput>', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const forward = deformConv(p.input, p.weight, p.offset, p.options);
        const { gradInput } = deformConvBackward(p.gradOutput, p.input, p.weight, p.offset, p.options);
        expect(gradInput.shape).toEqual(p.input.shape);
        const lhs = dot(forward.toFloat32Array(), p.gradOutput.toFloat32Array());
        const rhs = dot(p.input.toFloat32Array(), gradInput.toFloat32Array());
        // Each side's only error is float32 storage of one factor: <= 2^-24 of its scale.
        expect(Math.abs(lhs.value - rhs.value)).toBeLessThanOrEqual(1e-6 * (lhs.scale + rhs.scale) + 1e-12);
      }),
      { numRuns: 40, seed: 21 },
    );
  });

  it('satisfies the adjoint identity <deformConv(w), y> = <w, gradWeight>', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const forward = deformConv(p.input, p.weight, p.offset, p.options);
        const { gradWeight } = deformConvBackward(p.gradOutput, p.input, p.weight, p.offset, p.options);
        expect(gradWeight.shape).toEqual(p.weight.shape);
        const lhs = dot(forward.toFloat32Array(), p.gradOutput.toFloat32Array());
        const rhs = dot(p.weight.toFloat32Array(), gradWeight.toFloat32Array());
        expect(Math.abs(lhs.value - rhs.value)).toBeLessThanOrEqual(1e-6 * (lhs.scale + rhs.scale) + 1e-12);
      }),
      { numRuns: 40, seed: 22 },
    );
  });

  it('gives gradOffset equal to central finite differences', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const { gradOffset } = deformConvBackward(p.gradOutput, p.input, p.weight, p.offset, p.options);
        expect(gradOffset.shape).toEqual(p.offset.shape);
        checkAgainstDifferences(p, 'offset', gradOffset);
      }),
      { numRuns: 40, seed: 23 },
    );
  });

  it('gives gradMask equal to central finite differences, and null without a mask', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const { gradMask } = deformConvBackward(p.gradOutput, p.input, p.weight, p.offset, p.options);
        if (p.mask === null) {
          expect(gradMask).toBeNull();
          return;
        }
        expect(gradMask!.shape).toEqual(p.mask.shape);
        checkAgainstDifferences(p, 'mask', gradMask!);
      }),
      { numRuns: 40, seed: 24 },
    );
  });

  it('gives gradBias = the sums of gradOutput over batch and space, with or without a bias', () => {
    fc.assert(
      fc.property(problemArb, fc.boolean(), (p, withBias) => {
        const bias = withBias ? p.rng.normalTensor([p.geometry.outChannels]) : null;
        const { gradBias } = deformConvBackward(p.gradOutput, p.input, p.weight, p.offset, {
          ...p.options,
          bias,
        });
        const [n, c, h, w] = p.gradOutput.shape as [number, number, number, number];
        const expected = new Float64Array(c);
        for (let b = 0; b < n; b++)
          for (let o = 0; o < c; o++)
            for (let y = 0; y < h; y++)
              for (let x = 0; x < w; x++) expected[o]! += p.gradOutput.get(b, o, y, x);
        assertClose(gradBias, expected);
      }),
      { numRuns: 20, seed: 25 },
    );
  });
});

describe('deformConvBackward: fixed cases', () => {
  it('with zero offsets and no mask gives the gradients of plain convolution', () => {
    const rng = createRng(31);
    const input = rng.normalTensor([2, 4, 6, 5]);
    const weight = rng.normalTensor([6, 2, 3, 2]);
    const options = { groups: 2, stride: [2, 1], padding: [1, 0], dilation: [1, 2] };
    const geometry = convGeometry({
      op: 'deformConv2d',
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      inputSpatial: [6, 5],
      kernelSize: [3, 2],
      ...options,
      offsetGroups: 1,
    });
    const gradOutput = rng.normalTensor(geometry.outputShape);
    const got = deformConvBackward(gradOutput, input, weight, zeros(geometry.offsetShape!), options);
    const expected = convBackward(gradOutput, input, weight, options);
    assertClose(got.gradInput, expected.gradInput);
    assertClose(got.gradWeight, expected.gradWeight);
    assertClose(got.gradBias, expected.gradBias!);
    expect(got.gradMask).toBeNull();
  });

  // Image [[1, 2], [3, 4]], a 1x1 kernel of weight 1, gradOutput of ones: gradOffset is the
  // coordinate gradient of the sample at each position.
  const image = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const one = tensor([1], [1, 1, 1, 1]);
  const ones = tensor([1, 1, 1, 1], [1, 1, 2, 2]);

  it('takes the derivative from the right at integer sample positions (torchvision)', () => {
    // Zero offsets: position (p, q) samples v(p, q); d/dy = v(p+1, q) - v(p, q), zeros outside.
    const { gradOffset, gradInput } = deformConvBackward(ones, image, one, zeros([1, 2, 2, 2]));
    expect(Array.from(gradOffset.toFloat32Array())).toEqual([2, 2, -3, -4, 1, -2, 1, -4]);
    expect(Array.from(gradInput.toFloat32Array())).toEqual([1, 1, 1, 1]);
  });

  it('follows torchvision at y = -1, where the sample is 0 but the coordinate gradient is not', () => {
    // Position (0, 0) moved to (-1, 0.5): rows -1 (zeros) and 0 -> d/dy = 0.5 * 1 + 0.5 * 2.
    const offset = tensor([-1, 0, 0, 0, 0.5, 0, 0, 0], [1, 2, 2, 2]);
    const gradOutput = tensor([1, 0, 0, 0], [1, 1, 2, 2]);
    expect(deformConv(image, one, offset).get(0, 0, 0, 0)).toBe(0);
    const { gradOffset, gradInput, gradWeight } = deformConvBackward(gradOutput, image, one, offset);
    expect(gradOffset.get(0, 0, 0, 0)).toBeCloseTo(1.5, 6);
    expect(gradOffset.get(0, 1, 0, 0)).toBe(0);
    expect(Array.from(gradInput.toFloat32Array())).toEqual([0, 0, 0, 0]);
    expect(gradWeight.get(0, 0, 0, 0)).toBe(0);
  });

  it('gives zero gradients (but gradBias) for offsets far outside the image', () => {
    const rng = createRng(32);
    const input = rng.normalTensor([1, 2, 4, 4]);
    const weight = rng.normalTensor([3, 2, 3, 3]);
    const offset = zeros([1, 18, 4, 4]);
    offset.data.fill(-50);
    const mask = rng.uniformTensor([1, 9, 4, 4]);
    const gradOutput = rng.normalTensor([1, 3, 4, 4]);
    const got = deformConvBackward(gradOutput, input, weight, offset, { padding: 1, mask });
    for (const t of [got.gradInput, got.gradWeight, got.gradOffset, got.gradMask!]) {
      expect(t.toFloat32Array().every((v) => v === 0)).toBe(true);
    }
    expect(got.gradBias.toFloat32Array().some((v) => v !== 0)).toBe(true);
  });

  it('mixes hand-checked fractional gradients (one tap, one position)', () => {
    // 1x1 kernel, weight 2, mask 0.5, position (0.25, 0.5) in [[1, 2], [3, 4]], gradOutput 1 at (0, 0).
    const offset = tensor([0.25, 0, 0, 0, 0.5, 0, 0, 0], [1, 2, 2, 2]);
    const mask = tensor([0.5, 0, 0, 0], [1, 1, 2, 2]);
    const weight = tensor([2], [1, 1, 1, 1]);
    const gradOutput = tensor([1, 0, 0, 0], [1, 1, 2, 2]);
    const got = deformConvBackward(gradOutput, image, weight, offset, { mask });
    // sample = 0.75 * (0.5 * 1 + 0.5 * 2) + 0.25 * (0.5 * 3 + 0.5 * 4) = 2
    // d/dy = 0.5 * (3 - 1) + 0.5 * (4 - 2) = 2; d/dx = 0.75 * (2 - 1) + 0.25 * (4 - 3) = 1
    expect(got.gradOffset.get(0, 0, 0, 0)).toBeCloseTo(2 * 0.5 * 2, 6);
    expect(got.gradOffset.get(0, 1, 0, 0)).toBeCloseTo(2 * 0.5 * 1, 6);
    expect(got.gradMask!.get(0, 0, 0, 0)).toBeCloseTo(2 * 2, 6);
    expect(got.gradWeight.get(0, 0, 0, 0)).toBeCloseTo(0.5 * 2, 6);
    // gradInput: weight * mask = 1 spread with bilinear weights 0.375, 0.375, 0.125, 0.125.
    assertClose(got.gradInput, [0.375, 0.375, 0.125, 0.125]);
  });

  it('never mutates its inputs', () => {
    const rng = createRng(33);
    const input = rng.normalTensor([1, 2, 4, 4]);
    const weight = rng.normalTensor([2, 2, 2, 2]);
    const offset = rng.uniformTensor([1, 8, 3, 3], -1, 1);
    const mask = rng.uniformTensor([1, 4, 3, 3]);
    const bias = rng.normalTensor([2]);
    const gradOutput = rng.normalTensor([1, 2, 3, 3]);
    const all = [input, weight, offset, mask, bias, gradOutput];
    const copies = all.map((t) => Array.from(t.data));
    deformConvBackward(gradOutput, input, weight, offset, { mask, bias });
    all.forEach((t, k) => {
      expect(Array.from(t.data)).toEqual(copies[k]);
    });
  });
});

describe('deformConvBackward: errors', () => {
  const x = zeros([2, 4, 5, 5]);
  const w = zeros([6, 4, 3, 3]);
  const offset = zeros([2, 18, 3, 3]);

  it('rejects a gradOutput that is not a tensor or not the output shape', () => {
    const run = (gradOutput: unknown) => () => deformConvBackward(gradOutput as Tensor, x, w, offset);
    expect(run(null)).toThrow(/^deformConv2dBackward: gradOutput must be a Tensor, got null/);
    for (const shape of [
      [2, 6, 3, 4],
      [1, 6, 3, 3],
      [2, 5, 3, 3],
      [6, 3, 3],
    ]) {
      let caught: unknown;
      try {
        run(zeros(shape))();
      } catch (error) {
        caught = error;
      }
      expect(ShapeError.isInstance(caught)).toBe(true);
      expect((caught as Error).message).toBe(
        `deformConv2dBackward: gradOutput must have shape [2, 6, 3, 3] (the output of deformConv2d), got [${shape.join(', ')}]`,
      );
    }
  });

  it('checks the forward arguments like deformConv, naming the backward op', () => {
    const gradOutput = zeros([2, 6, 3, 3]);
    expect(() => deformConvBackward(gradOutput, x, w, offset, { mask: zeros([2, 9, 3, 4]) })).toThrow(
      /^deformConv2dBackward: mask must be .* = \[2, 9, 3, 3\].*got \[2, 9, 3, 4\]/,
    );
    expect(() => deformConvBackward(gradOutput, x, w, zeros([2, 18, 2, 3]))).toThrow(
      /^deformConv2dBackward: offset has shape \[2, 18, 2, 3\]/,
    );
    expect(() => deformConvBackward(gradOutput, x, zeros([6, 4, 3]), offset)).toThrow(
      /^deformConv2dBackward: weight must have rank 4/,
    );
    expect(() => deformConvBackward(gradOutput, x, w, offset, { bias: zeros([2]) })).toThrow(
      /^deformConv2dBackward: bias must have shape \[6\]/,
    );
    let caught: unknown;
    try {
      deformConvBackward(gradOutput, x, w, offset, { algorithm: 'winograd' });
    } catch (error) {
      caught = error;
    }
    expect(ArgumentError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(
      /^deformConv2dBackward: algorithm must be 'auto' or one of 'reference', 'im2col', 'wasm', got 'winograd'/,
    );
  });
});
