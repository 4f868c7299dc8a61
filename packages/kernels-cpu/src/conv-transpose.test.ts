import {
  ArgumentError,
  assertClose,
  createRng,
  ones,
  ShapeError,
  Tensor,
  tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv } from './conv';
import { convTranspose, convTranspose1d, convTranspose2d, convTranspose3d } from './conv-transpose';
import { channelsFirstToLastOrder, channelsLastToFirstOrder } from './layout';
import { convCaseTensors, randomConvCase } from './reference/random-conv-case';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

/** Flat row-major index helpers for small test tensors. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

/**
 * The convolution weight equivalent to a transposed-convolution weight: channel axes swapped
 * within each group and the kernel rotated by 180 degrees, [C_in, C_out/g, k] -> [C_out, C_in/g, k].
 */
function rotatedConvWeight(w: Tensor, groups: number): Tensor {
  const [cin, coutPerGroup, ...k] = w.shape as number[];
  const cinPerGroup = cin! / groups;
  const shape = [coutPerGroup! * groups, cinPerGroup, ...k];
  const out = zeros(shape);
  for (let flat = 0; flat < out.size; flat++) {
    const [co, ci, ...taps] = unravel(flat, shape);
    const g = Math.floor(co! / coutPerGroup!);
    out.data[flat] = w.get(g * cinPerGroup + ci!, co! % coutPerGroup!, ...taps.map((t, d) => k[d]! - 1 - t));
  }
  return out;
}

/** Inserts stride - 1 zeros between neighbouring input elements along every spatial dim. */
function zeroUpsample(x: Tensor, stride: number[]): Tensor {
  const [n, c, ...spatial] = x.shape as number[];
  const shape = [n!, c!, ...spatial.map((s, d) => (s - 1) * stride[d]! + 1)];
  const out = zeros(shape);
  for (let flat = 0; flat < x.size; flat++) {
    const [ni, ci, ...pos] = unravel(flat, x.shape);
    out.data[out.index([ni!, ci!, ...pos.map((p, d) => p * stride[d]!)])] = x.get(ni!, ci!, ...pos);
  }
  return out;
}

describe('convTranspose: hand-computed values', () => {
  it('1-D: stride 2 spreads each input over the full output; padding crops it', () => {
    const x = tensor([1, 2], [1, 1, 2]);
    const w = tensor([1, 10, 100], [1, 1, 3]);
    // x0 * w lands at 0..2, x1 * w at 2..4: full = [1, 10, 100 + 2, 20, 200].
    expect(Array.from(convTranspose1d(x, w, { stride: 2 }).data)).toEqual([1, 10, 102, 20, 200]);
    // Padding 1 crops one element from each end; pairs crop the start and the end separately.
    expect(Array.from(convTranspose1d(x, w, { stride: 2, padding: 1 }).data)).toEqual([10, 102, 20]);
    expect(Array.from(convTranspose1d(x, w, { stride: 2, padding: [[2, 0]] }).data)).toEqual([102, 20, 200]);
    expect(Array.from(convTranspose1d(x, w, { stride: 2, padding: [[0, 3]] }).data)).toEqual([1, 10]);
    // outputPadding adds positions at the end: a cropped tap comes back, or only the bias.
    expect(Array.from(convTranspose1d(x, w, { stride: 2, padding: 1, outputPadding: 1 }).data)).toEqual([
      10, 102, 20, 200,
    ]);
    const b = tensor([0.5], [1]);
    expect(Array.from(convTranspose1d(x, w, { stride: 2, outputPadding: 1, bias: b }).data)).toEqual([
      1.5, 10.5, 102.5, 20.5, 200.5, 0.5,
    ]);
    // Dilation 2: x0 at 0, 2, 4 and x1 at 2, 4, 6.
    expect(Array.from(convTranspose1d(x, w, { stride: 2, dilation: 2 }).data)).toEqual([
      1, 0, 12, 0, 120, 0, 200,
    ]);
  });

  it('TOPICS 6: ConvTranspose2d(1 -> 3, k=2) maps 3x3 to 4x4 with stride 1 and to 6x6 with stride 2', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = new Tensor(Float32Array.from([1, 2, 3, 4, 1, 1, 1, 1, 0, 0, 0, 1]), [1, 3, 2, 2]);
    const y1 = convTranspose2d(x, w);
    expect(y1.shape).toEqual([1, 3, 4, 4]);
    // Channel 1 has an all-ones kernel: each output sums the inputs whose 2x2 footprint covers it.
    expect(Array.from(y1.slice(1, 1, 2).toFloat32Array())).toEqual([
      1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9,
    ]);
    // Channel 2 only has w[1][1] = 1: the input shifted by one row and one column.
    expect(Array.from(y1.slice(1, 2, 3).toFloat32Array())).toEqual([
      0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9,
    ]);
    const y2 = convTranspose2d(x, w, { stride: 2 });
    expect(y2.shape).toEqual([1, 3, 6, 6]);
    // No overlap at stride 2: the block at (2a, 2b) is x[a, b] times the kernel [[1, 2], [3, 4]].
    for (let a = 0; a < 3; a++) {
      for (let bIdx = 0; bIdx < 3; bIdx++) {
        const v = x.get(0, 0, a, bIdx);
        expect([
          y2.get(0, 0, 2 * a, 2 * bIdx),
          y2.get(0, 0, 2 * a, 2 * bIdx + 1),
          y2.get(0, 0, 2 * a + 1, 2 * bIdx),
          y2.get(0, 0, 2 * a + 1, 2 * bIdx + 1),
        ]).toEqual([v, 2 * v, 3 * v, 4 * v]);
      }
    }
  });

  it('3-D: a ones kernel counts how many input footprints cover each output', () => {
    const y = convTranspose3d(ones([1, 1, 2, 2, 2]), ones([1, 1, 2, 2, 2]));
    expect(y.shape).toEqual([1, 1, 3, 3, 3]);
    // Per dim the cover count is [1, 2, 1]; the 3-D count is the product.
    const cover = [1, 2, 1];
    const expected: number[] = [];
    for (const a of cover) for (const b of cover) for (const c of cover) expected.push(a * b * c);
    expect(Array.from(y.data)).toEqual(expected);
  });

  it('groups: output channels of group g read only the input channels of group g', () => {
    // 2 groups, 1 input and 2 output channels each; input channel 1 is all zeros.
    const x = new Tensor(Float32Array.from([1, 2, 0, 0]), [1, 2, 2]);
    const w = tensor([1, 1, 2, 2, 5, 5, 7, 7], [2, 2, 2]);
    const y = convTranspose1d(x, w, { groups: 2 });
    expect(y.shape).toEqual([1, 4, 3]);
    expect(Array.from(y.data)).toEqual([1, 3, 2, 2, 6, 4, 0, 0, 0, 0, 0, 0]);
  });
});

describe('convTranspose: against convolution', () => {
  it('stride 1: equals the full convolution with the kernel rotated by 180 degrees', () => {
    const rng = createRng(21);
    const setups = [
      { x: [2, 3, 5], w: [3, 2, 3], padding: [0], dilation: [1], groups: 1 },
      { x: [1, 2, 4, 5], w: [2, 3, 3, 2], padding: [1, 0], dilation: [2, 1], groups: 1 },
      { x: [1, 4, 3, 3, 4], w: [4, 1, 2, 2, 3], padding: [0, 1, 2], dilation: [1, 1, 1], groups: 2 },
    ];
    for (const s of setups) {
      const x = rng.normalTensor(s.x);
      const w = rng.normalTensor(s.w);
      const b = rng.normalTensor([s.w[1]! * s.groups]);
      const y = convTranspose(x, w, { padding: s.padding, dilation: s.dilation, groups: s.groups, bias: b });
      // Full convolution: pad by extent - 1 - padding on both sides.
      const extent = s.w.slice(2).map((k, d) => s.dilation[d]! * (k - 1) + 1);
      const expected = conv(x, rotatedConvWeight(w, s.groups), {
        padding: extent.map((e, d) => e - 1 - s.padding[d]!),
        dilation: s.dilation,
        groups: s.groups,
        bias: b,
      });
      expect(y.shape).toEqual(expected.shape);
      assertClose(y, expected, { label: JSON.stringify(s) });
    }
  });

  it('any stride: equals the rotated-kernel convolution of the zero-upsampled input (padding pairs, outputPadding)', () => {
    const rng = createRng(22);
    const setups = [
      {
        x: [1, 2, 4],
        w: [2, 3, 3],
        stride: [2],
        padding: [[1, 0]] as [number, number][],
        outputPadding: [1],
        dilation: [1],
      },
      {
        x: [2, 1, 3, 4],
        w: [1, 2, 3, 2],
        stride: [3, 2],
        padding: [
          [2, 1],
          [0, 1],
        ] as [number, number][],
        outputPadding: [2, 1],
        dilation: [1, 2],
      },
      {
        x: [1, 2, 2, 3, 2],
        w: [2, 1, 2, 3, 2],
        stride: [2, 1, 3],
        padding: [
          [0, 0],
          [1, 2],
          [1, 0],
        ] as [number, number][],
        outputPadding: [1, 0, 0],
        dilation: [1, 1, 1],
      },
    ];
    for (const s of setups) {
      const x = rng.normalTensor(s.x);
      const w = rng.normalTensor(s.w);
      const y = convTranspose(x, w, {
        stride: s.stride,
        padding: s.padding,
        outputPadding: s.outputPadding,
        dilation: s.dilation,
      });
      const extent = s.w.slice(2).map((k, d) => s.dilation[d]! * (k - 1) + 1);
      // Before: extent - 1 - padBefore; after: extent - 1 - padAfter + outputPadding.
      const expected = conv(zeroUpsample(x, s.stride), rotatedConvWeight(w, 1), {
        padding: extent.map(
          (e, d) =>
            [e - 1 - s.padding[d]![0], e - 1 - s.padding[d]![1] + s.outputPadding[d]!] as [number, number],
        ),
        dilation: s.dilation,
      });
      expect(y.shape).toEqual(expected.shape);
      assertClose(y, expected, { label: JSON.stringify(s) });
    }
  });

  it('channels-last equals channels-first with permuted input and output (random geometries)', () => {
    fc.assert(
      fc.property(randomConvCase(true), (c) => {
        const { input, weight, bias } = convCaseTensors(c);
        const y = convTranspose(input, weight, { ...c.options, bias });
        const rank = input.shape.length;
        const [toFirst, toLast] = [channelsLastToFirstOrder(rank), channelsFirstToLastOrder(rank)];
        const isLast = c.options.layout === 'channels-last';
        const other = convTranspose(input.permute(isLast ? toFirst : toLast), weight, {
          ...c.options,
          bias,
          layout: isLast ? 'channels-first' : 'channels-last',
        });
        expect(y.shape).toEqual([...c.geometry.outputShape]);
        assertClose(y, other.permute(isLast ? toLast : toFirst));
      }),
      { numRuns: 60, seed: 201 },
    );
  });
});

describe('convTranspose: numbers and memory', () => {
  it('NaN and Infinity propagate as in PyTorch (only taps that land on the output count)', () => {
    // torch conv_transpose2d(ones(1,1,3,3), w=ones with w[0,0]=inf, padding=1, stride=2)
    const w = ones([1, 1, 3, 3]);
    w.data[0] = Number.POSITIVE_INFINITY;
    const y = convTranspose2d(ones([1, 1, 3, 3]), w, { padding: 1, stride: 2 });
    const inf = Number.POSITIVE_INFINITY;
    expect(Array.from(y.data)).toEqual([
      1,
      2,
      1,
      2,
      1,
      2,
      inf,
      2,
      inf,
      2,
      1,
      2,
      1,
      2,
      1,
      2,
      inf,
      2,
      inf,
      2,
      1,
      2,
      1,
      2,
      1,
    ]);
  });

  it('never modifies its inputs; returns contiguous fresh tensors in the input layout', () => {
    const rng = createRng(23);
    const x = rng.normalTensor([1, 3, 2, 2]); // [N, H, W, C]
    const w = rng.normalTensor([2, 2, 2, 2]);
    const b = rng.normalTensor([2]);
    const copies = [x, w, b].map((t) => t.toFloat32Array());
    const y = convTranspose2d(x, w, { bias: b, stride: 2, layout: 'channels-last' });
    for (const [i, t] of [x, w, b].entries()) expect(t.data).toEqual(copies[i]);
    expect(y.shape).toEqual([1, 6, 4, 2]);
    expect(y.isContiguous).toBe(true);
  });

  it('an empty batch gives an empty output of the right shape', () => {
    expect(convTranspose2d(zeros([0, 2, 3, 3]), ones([2, 5, 2, 2]), { stride: 2 }).shape).toEqual([
      0, 5, 6, 6,
    ]);
  });
});

describe('convTranspose: errors', () => {
  const x = zeros([1, 4, 3, 3]);
  const w = zeros([4, 2, 3, 3]);

  it("rejects 'same' padding and non-zeros padding modes (UnsupportedError, as PyTorch)", () => {
    let e = thrown(() => convTranspose2d(x, w, { padding: 'same' as never }));
    expect(UnsupportedError.isInstance(e)).toBe(true);
    expect(e.message).toContain(
      "convTranspose2d: padding 'same' is not supported for transposed convolution",
    );
    e = thrown(() => convTranspose2d(x, w, { paddingMode: 'reflect' as never }));
    expect(UnsupportedError.isInstance(e)).toBe(true);
    expect(e.message).toContain(
      "convTranspose2d: paddingMode 'reflect' is not defined for transposed convolution",
    );
    // 'zeros' is accepted, as in PyTorch's ConvTranspose layers.
    expect(convTranspose2d(x, w, { paddingMode: 'zeros' }).shape).toEqual([1, 2, 5, 5]);
  });

  it('rejects outputPadding >= max(stride, dilation)', () => {
    let e = thrown(() => convTranspose2d(x, w, { stride: 2, outputPadding: 2 }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTranspose2d: outputPadding 2 in spatial dim 0 must be smaller than max(stride, dilation) = 2',
    );
    e = thrown(() => convTranspose2d(x, w, { outputPadding: [0, 1] }));
    expect(e.message).toContain(
      'outputPadding 1 in spatial dim 1 must be smaller than max(stride, dilation) = 1',
    );
    // Dilation also allows it (PyTorch's rule).
    expect(convTranspose2d(x, w, { dilation: 2, outputPadding: 1 }).shape).toEqual([1, 2, 8, 8]);
  });

  it('rejects channel mismatches, ranks and groups with the numbers in the message', () => {
    let e = thrown(() => convTranspose2d(zeros([1, 3, 3, 3]), w));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTranspose2d: input has 3 channels but weight [4, 2, 3, 3] expects 4 (weight is [C_in, C_out/groups, ...kernel])',
    );
    e = thrown(() => convTranspose2d(zeros([1, 4, 3]), zeros([4, 2, 3])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTranspose2d: weight must have rank 4 ([C_in, C_out/groups, kH, kW]), got shape [4, 2, 3]',
    );
    e = thrown(() => convTranspose(zeros([1, 4, 3]), w));
    expect(e.message).toContain('convTranspose2d: input must have rank 4');
    e = thrown(() => convTranspose2d(x, w, { groups: 3 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('convTranspose2d: groups=3 must divide the 4 input channels');
    e = thrown(() => convTranspose2d(x, w, { groups: -2 }));
    expect(ArgumentError.isInstance(e)).toBe(true);
  });

  it('rejects an empty output, a wrong bias, unknown options and non-Tensor arguments', () => {
    let e = thrown(() => convTranspose1d(zeros([1, 1, 1]), ones([1, 1, 1]), { padding: 1 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('convTranspose1d: output would be empty in spatial dim 0');
    e = thrown(() => convTranspose2d(x, w, { bias: zeros([4]) }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTranspose2d: bias must have shape [2] (one value per output channel), got [4]',
    );
    e = thrown(() => convTranspose2d(x, w, { output_padding: 1 } as never));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain("convTranspose2d: unknown option 'output_padding'");
    e = thrown(() => convTranspose2d(x, null as unknown as Tensor));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('convTranspose2d: weight must be a Tensor, got null');
    e = thrown(() => convTranspose2d(x, w, { algorithm: 'fft' }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      "convTranspose2d: algorithm must be 'auto' or one of 'reference', 'im2col', 'wasm', 'phase', 'depthwise', 'winograd', got 'fft'",
    );
    e = thrown(() => convTranspose2d(x, w, { layout: 'nchw' as never }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain("layout must be 'channels-first' or 'channels-last', got 'nchw'");
  });
});
