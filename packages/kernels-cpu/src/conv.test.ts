import {
  ArgumentError,
  arange,
  assertClose,
  convGeometry,
  createRng,
  ones,
  type PaddingMode,
  ResourceError,
  ShapeError,
  Tensor,
  tensor,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineCaps, selectConvAlgorithm } from './algorithms';
import { conv, conv1d, conv2d, conv3d } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import { channelsFirstToLastOrder, channelsLastToFirstOrder } from './layout';
import { convCaseTensors, randomConvCase } from './reference/random-conv-case';

/** Pads the spatial dims of a channels-first tensor explicitly, like torch.nn.functional.pad. */
function explicitPad(x: Tensor, padBefore: number[], padAfter: number[], mode: PaddingMode): Tensor {
  const [n, c, ...spatial] = x.shape as number[];
  const padded = spatial.map((s, d) => s + padBefore[d]! + padAfter[d]!);
  const out = zeros([n!, c!, ...padded]);
  const source = (p: number, size: number): number => {
    if (p >= 0 && p < size) return p;
    if (mode === 'zeros') return -1;
    if (mode === 'replicate') return p < 0 ? 0 : size - 1;
    if (mode === 'circular') return (p + size) % size;
    return p < 0 ? -p : 2 * (size - 1) - p; // reflect
  };
  const volume = padded.reduce((a, b) => a * b, 1);
  for (let nc = 0; nc < n! * c!; nc++) {
    for (let flat = 0; flat < volume; flat++) {
      // Decode the padded position, map each coordinate back to the input.
      let rest = flat;
      const idx: number[] = [];
      for (let d = padded.length - 1; d >= 0; d--) {
        idx.unshift(rest % padded[d]!);
        rest = Math.floor(rest / padded[d]!);
      }
      const src = idx.map((p, d) => source(p - padBefore[d]!, spatial[d]!));
      if (src.some((s) => s < 0)) continue;
      out.data[nc * volume + flat] = x.get(Math.floor(nc / c!), nc % c!, ...src);
    }
  }
  return out;
}

/** Runs fn and returns what it threw (failing the test if it did not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

describe('conv: hand-computed values', () => {
  it('1-D: a difference kernel, with bias, padding, stride and dilation', () => {
    const x = tensor([1, 2, 3, 4, 5], [1, 1, 5]);
    const w = tensor([1, 0, -1], [1, 1, 3]);
    // y[o] = x[o] - x[o + 2] (cross-correlation, as in PyTorch: the kernel is not flipped).
    expect(Array.from(conv(x, w).data)).toEqual([-2, -2, -2]);
    expect(Array.from(conv(x, w, { bias: tensor([0.5], [1]) }).data)).toEqual([-1.5, -1.5, -1.5]);
    // Zero padding 1: xpad = [0, 1, 2, 3, 4, 5, 0].
    expect(Array.from(conv(x, w, { padding: 1 }).data)).toEqual([-2, -2, -2, -2, 4]);
    expect(Array.from(conv(x, w, { padding: 1, stride: 2 }).data)).toEqual([-2, -2, 4]);
    // Dilation 2: the taps are x[o], x[o + 2], x[o + 4]; extent 5 leaves one output.
    expect(Array.from(conv(x, w, { dilation: 2 }).data)).toEqual([-4]);
    // [before, after] pairs: xpad = [0, 0, 1, 2, 3, 4, 5].
    expect(Array.from(conv(x, w, { padding: [[2, 0]] }).data)).toEqual([-1, -2, -2, -2, -2]);
  });

  it('2-D: a 2x2 box filter over arange(16)', () => {
    const x = arange(16).reshape([1, 1, 4, 4]);
    const y = conv2d(x, ones([1, 1, 2, 2]));
    // Window sum at (i, j) = 4 * (4i + j) + (0 + 1 + 4 + 5) = 16i + 4j + 10.
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.data)).toEqual([10, 14, 18, 26, 30, 34, 42, 46, 50]);
  });

  it('TOPICS 7: Conv2d(1, 1, 3, dilation=2) on 5x5 gives 1x1 (dilation 1 gives 3x3)', () => {
    const x = arange(25).reshape([1, 1, 5, 5]);
    const w = ones([1, 1, 3, 3]);
    const dilated = conv2d(x, w, { dilation: 2 });
    expect(dilated.shape).toEqual([1, 1, 1, 1]);
    // Taps at rows and columns {0, 2, 4}: sum of 5r + c = 3 * 5 * 6 + 3 * 6 = 108.
    expect(dilated.data[0]).toBe(108);
    const plain = conv2d(x, w);
    expect(plain.shape).toEqual([1, 1, 3, 3]);
    // Centre of the 3x3 window at (r, c) = 5 (r + 1) + (c + 1), times 9.
    expect(Array.from(plain.data)).toEqual([54, 63, 72, 99, 108, 117, 144, 153, 162]);
  });

  it('TOPICS 2: Conv1d(256 -> 128, k=3) on text (32, 15, 256) gives (32, 13, 128)', () => {
    const rng = createRng(2);
    const text = rng.normalTensor([32, 15, 256]); // (B, L, C): tokens with features
    const w = rng.normalTensor([128, 256, 3]);
    const b = rng.normalTensor([128]);
    const y = conv1d(text, w, { bias: b, layout: 'channels-last' });
    expect(y.shape).toEqual([32, 13, 128]);
    // A few outputs by hand (the channels-first run on the permuted input is the property test
    // 'channels-last equals channels-first' below): y[n, o, co] = b[co] + sum_{c, k} w[co, c, k] x[n, o + k, c].
    for (const [n, o, co] of [
      [0, 0, 0],
      [7, 4, 5],
      [31, 12, 127],
    ] as const) {
      let expected = b.get(co);
      for (let c = 0; c < 256; c++)
        for (let k = 0; k < 3; k++) expected += w.get(co, c, k) * text.get(n, o + k, c);
      // The package's contract: within 1e-4 (absolute + relative) of a float64 sum.
      expect(Math.abs(y.get(n, o, co) - expected)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(expected));
    }
  });

  it('3-D: a 2x2x2 box filter with a channel of ones and one of twos', () => {
    const x = new Tensor(
      Float32Array.from({ length: 2 * 27 }, (_, i) => (i < 27 ? 1 : 2)),
      [1, 2, 3, 3, 3],
    );
    const y = conv3d(x, ones([1, 2, 2, 2, 2]), { bias: tensor([-1], [1]) });
    expect(y.shape).toEqual([1, 1, 2, 2, 2]);
    expect(Array.from(y.data)).toEqual(new Array(8).fill(8 + 16 - 1));
  });

  it('1x1 convolution mixes channels and leaves the spatial size (TOPICS 3)', () => {
    const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const w = tensor([1, 1, 2, -1], [2, 2, 1, 1]); // out0 = c0 + c1, out1 = 2 c0 - c1
    const y = conv2d(x, w);
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(y.data)).toEqual([11, 22, 33, 44, -8, -16, -24, -32]);
  });

  it("'same' keeps the size with the extra padding after; 'valid' is no padding", () => {
    const x = ones([1, 1, 5]);
    // k = 4: total padding 3, split 1 before and 2 after (PyTorch and SAME_UPPER).
    const same = conv1d(x, ones([1, 1, 4]), { padding: 'same' });
    // xpad = [0, 1, 1, 1, 1, 1, 0, 0]: window sums 3, 4, 4, 3, 2.
    expect(Array.from(same.data)).toEqual([3, 4, 4, 3, 2]);
    expect(Array.from(conv1d(x, ones([1, 1, 4]), { padding: 'valid' }).data)).toEqual([4, 4]);
    // With stride 2, 'same' gives ceil(5 / 2) = 3 outputs (TensorFlow SAME_UPPER).
    expect(conv1d(x, ones([1, 1, 3]), { padding: 'same', stride: 2 }).shape).toEqual([1, 1, 3]);
  });

  it('padding modes: a 1x1 identity kernel returns the padded signal', () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 4]);
    const id = ones([1, 1, 1]);
    const padded = (mode: PaddingMode) => Array.from(conv1d(x, id, { padding: 2, paddingMode: mode }).data);
    expect(padded('zeros')).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    expect(padded('reflect')).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
    expect(padded('replicate')).toEqual([1, 1, 1, 2, 3, 4, 4, 4]);
    expect(padded('circular')).toEqual([3, 4, 1, 2, 3, 4, 1, 2]);
    // Circular padding may be as wide as the input; reflect must stay below it.
    expect(Array.from(conv1d(x, id, { padding: 4, paddingMode: 'circular' }).data)).toEqual([
      1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4,
    ]);
    expect(Array.from(conv1d(x, id, { padding: [[3, 0]], paddingMode: 'reflect' }).data)).toEqual([
      4, 3, 2, 1, 2, 3, 4,
    ]);
  });
});

describe('conv: against explicit constructions', () => {
  it('every padding mode equals explicit padding followed by an unpadded convolution', () => {
    const rng = createRng(11);
    const shapes: {
      input: number[];
      weight: number[];
      padding: [number, number][];
      stride: number[];
      dilation: number[];
      groups: number;
    }[] = [
      { input: [2, 2, 7], weight: [3, 2, 3], padding: [[2, 1]], stride: [2], dilation: [2], groups: 1 },
      {
        input: [1, 4, 5, 6],
        weight: [4, 2, 3, 2],
        padding: [
          [1, 2],
          [0, 3],
        ],
        stride: [1, 2],
        dilation: [1, 2],
        groups: 2,
      },
      {
        input: [1, 3, 4, 3, 5],
        weight: [3, 1, 2, 3, 2],
        padding: [
          [1, 1],
          [2, 0],
          [0, 2],
        ],
        stride: [2, 1, 1],
        dilation: [1, 1, 2],
        groups: 3,
      },
    ];
    for (const s of shapes) {
      const x = rng.normalTensor(s.input);
      const w = rng.normalTensor(s.weight);
      const b = rng.normalTensor([s.weight[0]!]);
      for (const mode of ['zeros', 'reflect', 'replicate', 'circular'] as const) {
        const options = { bias: b, stride: s.stride, dilation: s.dilation, groups: s.groups };
        const y = conv(x, w, { ...options, padding: s.padding, paddingMode: mode });
        const expected = conv(
          explicitPad(
            x,
            s.padding.map((p) => p[0]),
            s.padding.map((p) => p[1]),
            mode,
          ),
          w,
          options,
        );
        expect(y.shape).toEqual(expected.shape);
        assertClose(y, expected, { label: `${mode} ${JSON.stringify(s.input)}` });
      }
    }
  });

  it('groups: equals separate convolutions of each channel slice, concatenated', () => {
    const rng = createRng(5);
    const x = rng.normalTensor([2, 6, 5, 5]);
    const w = rng.normalTensor([4, 3, 3, 3]);
    const y = conv2d(x, w, { groups: 2, padding: 1 });
    for (let g = 0; g < 2; g++) {
      const part = conv2d(x.slice(1, 3 * g, 3 * g + 3), w.slice(0, 2 * g, 2 * g + 2), { padding: 1 });
      assertClose(y.slice(1, 2 * g, 2 * g + 2), part);
    }
  });

  it('depthwise with channel multiplier 2: output channel co reads input channel floor(co / 2)', () => {
    const rng = createRng(6);
    const x = rng.normalTensor([1, 3, 4, 4]);
    const w = rng.normalTensor([6, 1, 3, 3]);
    const y = conv2d(x, w, { groups: 3, padding: 1 });
    expect(y.shape).toEqual([1, 6, 4, 4]);
    for (let co = 0; co < 6; co++) {
      const single = conv2d(x.slice(1, co >> 1, (co >> 1) + 1), w.slice(0, co, co + 1), { padding: 1 });
      assertClose(y.slice(1, co, co + 1), single);
    }
  });

  it('channels-last equals channels-first with permuted input and output (random geometries)', () => {
    fc.assert(
      fc.property(randomConvCase(false), (c) => {
        const { input, weight, bias } = convCaseTensors(c);
        const y = conv(input, weight, { ...c.options, bias });
        const rank = input.shape.length;
        const [toFirst, toLast] = [channelsLastToFirstOrder(rank), channelsFirstToLastOrder(rank)];
        const otherLayout = c.options.layout === 'channels-last' ? 'channels-first' : 'channels-last';
        const otherInput = input.permute(c.options.layout === 'channels-last' ? toFirst : toLast);
        const other = conv(otherInput, weight, { ...c.options, bias, layout: otherLayout });
        expect(y.shape).toEqual([...c.geometry.outputShape]);
        assertClose(y, other.permute(c.options.layout === 'channels-last' ? toLast : toFirst));
      }),
      { numRuns: 60, seed: 101 },
    );
  });

  it('reads strided views (slices, permutations) like their contiguous copies', () => {
    const rng = createRng(8);
    const big = rng.normalTensor([2, 5, 7, 6]);
    const view = big.slice(1, 1, 4).slice(2, 0, 7, 2); // [2, 3, 4, 6], non-contiguous
    const w = rng.normalTensor([2, 3, 2, 2]);
    assertClose(conv2d(view, w, { stride: [1, 2] }), conv2d(view.contiguous(), w, { stride: [1, 2] }));
    const wView = rng.normalTensor([3, 2, 2, 2]).permute([1, 0, 2, 3]); // [2, 3, 2, 2]
    assertClose(conv2d(view, wView), conv2d(view, wView.contiguous()));
  });
});

describe('conv: numbers and memory', () => {
  it('NaN and Infinity propagate as in PyTorch (a zero of the padding times Inf is NaN)', () => {
    // torch.nn.functional.conv1d(ones(1,1,4), [inf, 1, 1], padding=1) -> [nan, inf, inf, inf]
    const y = conv1d(ones([1, 1, 4]), tensor([Number.POSITIVE_INFINITY, 1, 1], [1, 1, 3]), { padding: 1 });
    expect(Array.from(y.data)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
    // A zero weight does not hide an infinite input: 0 * Inf = NaN, as in PyTorch.
    const x = ones([1, 1, 4, 4]);
    x.data[0] = Number.POSITIVE_INFINITY;
    const z = conv2d(x, zeros([1, 1, 3, 3]), { padding: 1 });
    expect(Array.from(z.data)).toEqual([
      Number.NaN,
      Number.NaN,
      0,
      0,
      Number.NaN,
      Number.NaN,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    const withNan = conv1d(tensor([1, Number.NaN, 1], [1, 1, 3]), ones([1, 1, 1]));
    expect(Array.from(withNan.data)).toEqual([1, Number.NaN, 1]);
  });

  it('never modifies its inputs and returns a fresh tensor', () => {
    const rng = createRng(9);
    const x = rng.normalTensor([1, 2, 4, 4]);
    const w = rng.normalTensor([2, 2, 1, 1]);
    const b = rng.normalTensor([2]);
    const copies = [x, w, b].map((t) => t.toFloat32Array());
    const y = conv2d(x, w, { bias: b });
    const y2 = conv2d(x.permute([0, 2, 3, 1]), w, { bias: b, layout: 'channels-last' });
    for (const [i, t] of [x, w, b].entries()) expect(t.data).toEqual(copies[i]);
    for (const out of [y, y2]) {
      expect(out.data).not.toBe(x.data);
      expect(out.isContiguous).toBe(true);
    }
    // Identity 1x1 kernel: the output equals the input but is a different buffer.
    const id = conv2d(x, tensor([1, 0, 0, 1], [2, 2, 1, 1]));
    assertClose(id, x);
    expect(id.data).not.toBe(x.data);
  });

  it('an empty batch gives an empty output of the right shape', () => {
    const y = conv2d(zeros([0, 3, 5, 5]), ones([4, 3, 3, 3]), { padding: 1 });
    expect(y.shape).toEqual([0, 4, 5, 5]);
    expect(y.size).toBe(0);
  });

  it("runs under 'auto' exactly the algorithm selectConvAlgorithm names, close to 'reference'", () => {
    const rng = createRng(10);
    const x = rng.normalTensor([1, 2, 5]);
    const w = rng.normalTensor([3, 2, 2]);
    const selected = selectConvAlgorithm(
      convGeometry({ inChannels: 2, outChannels: 3, inputSpatial: [5], kernelSize: 2, batch: 1 }),
      'forward',
      engineCaps(),
    );
    const auto = conv1d(x, w, { algorithm: 'auto' });
    assertClose(auto, conv1d(x, w, { algorithm: selected }), { atol: 0, rtol: 0 });
    assertClose(auto, conv1d(x, w, { algorithm: 'reference' }), { atol: 1e-6, rtol: 1e-6 });
  });
});

describe('conv: errors', () => {
  const x = zeros([1, 4, 8, 8]);
  const w = zeros([2, 4, 3, 3]);

  it('rejects non-Tensor arguments and options that are not an object', () => {
    let e = thrown(() => conv2d([1, 2, 3] as unknown as Tensor, w));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: input must be a Tensor, got array of length 3');
    e = thrown(() => conv(x, 3 as unknown as Tensor));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv: weight must be a Tensor, got number 3');
    e = thrown(() => conv2d(x, w, 'same' as never));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain("conv2d: options must be a plain object ({ key: value }), got string 'same'");
  });

  it('rejects unknown option names instead of ignoring them', () => {
    const e = thrown(() => conv2d(x, w, { padding_mode: 'reflect' } as never));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toContain("conv2d: unknown option 'padding_mode'");
    expect(e.message).toContain("'paddingMode'");
    expect(thrown(() => conv2d(x, w, { outputPadding: 1 } as never)).message).toContain(
      "unknown option 'outputPadding'",
    );
  });

  it('rejects wrong ranks: weight rank out of 3-5, input vs weight, the alias vs the weight', () => {
    let e = thrown(() => conv(x, zeros([2, 4])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('conv: weight must have rank 3, 4 or 5');
    expect(e.message).toContain('[2, 4]');
    e = thrown(() => conv(zeros([4, 8, 8]), w));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('conv2d: input must have rank 4 ([N, C, H, W])');
    expect(e.message).toContain('got shape [4, 8, 8]; add a batch dimension');
    e = thrown(() => conv2d(zeros([1, 4, 8]), zeros([2, 4, 3])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'conv2d: weight must have rank 4 ([C_out, C_in/groups, kH, kW]), got shape [2, 4, 3]',
    );
    e = thrown(() => conv1d(x, w));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('conv1d: weight must have rank 3');
    expect(thrown(() => conv3d(x, w)).message).toContain('conv3d: weight must have rank 5');
    // The same tensors with the channel axis last are accepted.
    expect(conv2d(zeros([1, 8, 8, 4]), w, { layout: 'channels-last' }).shape).toEqual([1, 6, 6, 2]);
  });

  it('rejects channel and group mismatches with the numbers in the message', () => {
    let e = thrown(() => conv2d(zeros([1, 4, 16, 16]), zeros([64, 3, 7, 7])));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: input has 4 channels but weight [64, 3, 7, 7] with groups=1 expects 3');
    e = thrown(() => conv2d(x, zeros([2, 2, 3, 3]), { groups: 3 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: groups=3 must divide the 4 input channels');
    e = thrown(() => conv2d(x, zeros([5, 2, 3, 3]), { groups: 2 }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: groups=2 must divide the 5 output channels');
    e = thrown(() => conv2d(zeros([1, 8, 8, 3]), w, { layout: 'channels-last' }));
    expect(e.message).toBe('conv2d: input has 3 channels but weight [2, 4, 3, 3] with groups=1 expects 4');
  });

  it('rejects non-integer or non-positive stride, dilation and groups, and negative padding', () => {
    const cases: [object, string][] = [
      [{ stride: 0 }, 'conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got 0'],
      [
        { stride: [1, 1.5] },
        'conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got [1, 1.5]',
      ],
      [
        { stride: [1, 1, 1] },
        'conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got [1, 1, 1]',
      ],
      [
        { dilation: -1 },
        'conv2d: dilation must be a positive integer or 2 of them (one per spatial dim), got -1',
      ],
      [{ groups: 0 }, 'conv2d: groups must be a positive integer, got 0'],
      [{ groups: 1.5 }, 'conv2d: groups must be a positive integer, got 1.5'],
      [
        { padding: -1 },
        "conv2d: padding must be a non-negative integer, 2 of them (one per spatial dim), 2 [before, after] pairs, 'same' or 'valid', got -1",
      ],
      [
        {
          padding: [
            [1, -1],
            [0, 0],
          ],
        },
        "conv2d: padding must be a non-negative integer, 2 of them (one per spatial dim), 2 [before, after] pairs, 'same' or 'valid', got [[1, -1], [0, 0]]",
      ],
      [
        { padding: 'full' },
        "conv2d: padding must be a non-negative integer, 2 of them (one per spatial dim), 2 [before, after] pairs, 'same' or 'valid', got 'full'",
      ],
    ];
    for (const [options, message] of cases) {
      const e = thrown(() => conv2d(x, w, options));
      expect(ArgumentError.isInstance(e), message).toBe(true);
      expect(e.message).toContain(message);
    }
  });

  it('refuses an output over the memory limit with a ResourceError before allocating', () => {
    const one = tensor([1], [1, 1, 1, 1]);
    const call = () => conv(one, one, { padding: 100000 });
    expect(call).toThrow(ResourceError);
    expect(call).toThrow(
      /conv2d: output \[1, 1, 200001, 200001\] needs 149\.0 GiB \(4\.000e\+10 float32 elements\), above the memory limit of 2\.0 GiB per buffer; .*setMemoryLimit/,
    );
    expect(() =>
      convTranspose(one, one, { stride: 1, padding: 0, dilation: 1, outputPadding: 0 }),
    ).not.toThrow();
    expect(() =>
      convTranspose(tensor([1, 1], [1, 1, 2]), tensor([1], [1, 1, 1]), { stride: 2 ** 31 }),
    ).toThrow(ResourceError);
    expect(() => convBackward(one, one, one, { padding: 100000 })).toThrow(ResourceError);
  });

  it('rejects a kernel larger than the padded input (empty output)', () => {
    const e = thrown(() => conv2d(zeros([1, 4, 2, 8]), w));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toContain('conv2d: output would be empty in spatial dim 0: padded input 2');
    expect(e.message).toContain('kernel extent 3');
    expect(thrown(() => conv2d(zeros([1, 4, 5, 8]), w, { dilation: 3 })).message).toContain(
      'kernel extent 7 (kernel 3, dilation 3)',
    );
  });

  it('rejects a bias of the wrong shape or type', () => {
    let e = thrown(() => conv2d(x, w, { bias: zeros([3]) }));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: bias must have shape [2] (one value per output channel), got [3]');
    e = thrown(() => conv2d(x, w, { bias: zeros([1, 2]) }));
    expect(e.message).toContain('got [1, 2]');
    e = thrown(() => conv2d(x, w, { bias: [0, 0] as unknown as Tensor }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: bias must be a Tensor or null, got array of length 2');
  });

  it('rejects reflect or circular padding wider than the input allows', () => {
    let e = thrown(() => conv1d(zeros([1, 1, 3]), ones([1, 1, 1]), { padding: 3, paddingMode: 'reflect' }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      "conv1d: paddingMode 'reflect' needs padding < the input size, but spatial dim 0 has size 3 and padding 3",
    );
    e = thrown(() =>
      conv1d(zeros([1, 1, 3]), ones([1, 1, 1]), { padding: [[0, 4]], paddingMode: 'circular' }),
    );
    expect(e.message).toContain("paddingMode 'circular' needs padding <= the input size");
  });

  it('rejects unknown layout, paddingMode and algorithm, listing the known ones', () => {
    let e = thrown(() => conv2d(x, w, { layout: 'NHWC' as never }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe("conv2d: layout must be 'channels-first' or 'channels-last', got 'NHWC'");
    e = thrown(() => conv2d(x, w, { paddingMode: 'mirror' as never }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      "conv2d: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'",
    );
    e = thrown(() => conv2d(x, w, { algorithm: 'fft' }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      "conv2d: algorithm must be 'auto' or one of 'reference', 'im2col', 'wasm', 'phase', 'depthwise', 'winograd', got 'fft'",
    );
  });
});

describe('conv: property', () => {
  it('linear in the input: conv(a x + y) = a conv(x) + conv(y) without bias', () => {
    fc.assert(
      fc.property(randomConvCase(false), fc.double({ min: -2, max: 2, noNaN: true }), (c, a) => {
        const { input, weight } = convCaseTensors(c);
        const other = createRng(c.seed + 1).normalTensor(input.shape);
        const xa = input.toFloat32Array();
        const xb = other.toFloat32Array();
        const mixed = new Tensor(
          Float32Array.from(xa, (v, i) => a * v + xb[i]!),
          input.shape,
        );
        const lhs = conv(mixed, weight, c.options).toFloat32Array();
        const ya = conv(input, weight, c.options).toFloat32Array();
        const yb = conv(other, weight, c.options).toFloat32Array();
        // Rounding of the mixed input and of each output: bounded by the terms' magnitude.
        const scale = conv(
          new Tensor(
            Float32Array.from(xa, (v, i) => Math.abs(a * v) + Math.abs(xb[i]!)),
            input.shape,
          ),
          new Tensor(weight.toFloat32Array().map(Math.abs), weight.shape),
          c.options,
        ).toFloat32Array();
        for (let i = 0; i < lhs.length; i++) {
          expect(Math.abs(lhs[i]! - (a * ya[i]! + yb[i]!))).toBeLessThanOrEqual(1e-5 * (scale[i]! + 1));
        }
      }),
      { numRuns: 40, seed: 102 },
    );
  });
});
