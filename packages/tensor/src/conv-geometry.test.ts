import { describe, expect, it } from 'vitest';
import { adjointConvGeometry, convGeometry, convGeometryFromShapes } from './conv-geometry';
import { ArgumentError, ShapeError, UnsupportedError } from './errors';

/** Output size of one spatial dim of a square conv, through convGeometry. */
function out(i: number, k: number, opts: { s?: number; p?: number; d?: number } = {}): number {
  return convGeometry({
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [i, i],
    kernelSize: k,
    stride: opts.s,
    padding: opts.p,
    dilation: opts.d,
  }).outputSpatial[0]!;
}

/** Output size of the transposed conv (p, s are the forward conv's; a is the output padding). */
function outT(i: number, k: number, opts: { s?: number; p?: number; a?: number } = {}): number {
  return convGeometry({
    transposed: true,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [i, i],
    kernelSize: k,
    stride: opts.s,
    padding: opts.p,
    outputPadding: opts.a,
  }).outputSpatial[0]!;
}

// Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (arXiv 1603.07285),
// the 15 numbered relationships, each with the paper's example (figure numbers in brackets).
describe('Dumoulin & Visin relationships', () => {
  it('1: no padding, unit stride: o = (i - k) + 1 [fig 2.1: i=4, k=3 -> 2]', () => {
    expect(out(4, 3)).toBe(2);
    expect(out(4, 3)).toBe(4 - 3 + 1);
  });
  it('2: zero padding, unit stride: o = (i - k) + 2p + 1 [fig 2.2: i=5, k=4, p=2 -> 6]', () => {
    expect(out(5, 4, { p: 2 })).toBe(6);
  });
  it('3: half padding (k = 2n + 1, p = n): o = i [fig 2.3: i=5, k=3, p=1 -> 5]', () => {
    expect(out(5, 3, { p: 1 })).toBe(5);
    for (const k of [1, 3, 5, 7]) expect(out(9, k, { p: (k - 1) / 2 })).toBe(9);
  });
  it('4: full padding (p = k - 1): o = i + (k - 1) [fig 2.4: i=5, k=3, p=2 -> 7]', () => {
    expect(out(5, 3, { p: 2 })).toBe(7);
  });
  it('5: no padding, stride s: o = floor((i - k) / s) + 1 [fig 2.5: i=5, k=3, s=2 -> 2]', () => {
    expect(out(5, 3, { s: 2 })).toBe(2);
  });
  it('6: padding p, stride s: o = floor((i + 2p - k) / s) + 1 [figs 2.6, 2.7: i=5 and 6, k=3, s=2, p=1 -> 3]', () => {
    expect(out(5, 3, { s: 2, p: 1 })).toBe(3);
    expect(out(6, 3, { s: 2, p: 1 })).toBe(3);
  });
  it('7: pooling: o = floor((i - k) / s) + 1 [i=5, k=3, s=1 -> 3]', () => {
    const pool = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [5, 5],
      kernelSize: 3,
      stride: 1,
    });
    expect(pool.outputSpatial).toEqual([3, 3]);
  });
  it("8: transpose of no padding, unit stride: o' = i' + (k - 1) [fig 4.1: i'=2, k=3 -> 4]", () => {
    expect(outT(2, 3)).toBe(4);
  });
  it("9: transpose of padding p, unit stride: o' = i' + (k - 1) - 2p [fig 4.2: i'=6, k=4, p=2 -> 5]", () => {
    expect(outT(6, 4, { p: 2 })).toBe(5);
  });
  it("10: transpose of half padding: o' = i' [fig 4.3: i'=5, k=3, p=1 -> 5]", () => {
    expect(outT(5, 3, { p: 1 })).toBe(5);
  });
  it("11: transpose of full padding: o' = i' - (k - 1) [fig 4.4: i'=7, k=3, p=2 -> 5]", () => {
    expect(outT(7, 3, { p: 2 })).toBe(5);
  });
  it("12: transpose of no padding, stride s: o' = s(i' - 1) + k [fig 4.5: i'=2, k=3, s=2 -> 5]", () => {
    expect(outT(2, 3, { s: 2 })).toBe(5);
  });
  it("13: transpose of padding p, stride s: o' = s(i' - 1) + k - 2p [fig 4.6: i'=3, k=3, s=2, p=1 -> 5]", () => {
    expect(outT(3, 3, { s: 2, p: 1 })).toBe(5);
  });
  it("14: transpose with a = (i + 2p - k) mod s: o' = s(i' - 1) + a + k - 2p [fig 4.7: i=6 -> i'=3, a=1 -> 6]", () => {
    const a = (6 + 2 * 1 - 3) % 2;
    expect(a).toBe(1);
    expect(out(6, 3, { s: 2, p: 1 })).toBe(3);
    expect(outT(3, 3, { s: 2, p: 1, a })).toBe(6);
  });
  it('15: dilation d: o = floor((i + 2p - k - (k - 1)(d - 1)) / s) + 1 [fig 5.1: i=7, k=3, d=2 -> 3]', () => {
    expect(out(7, 3, { d: 2 })).toBe(3);
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [7, 7],
      kernelSize: 3,
      dilation: 2,
    });
    expect(g.kernelExtent).toEqual([5, 5]);
  });
});

describe('convGeometry', () => {
  it('resolves every padding form', () => {
    const base = { inChannels: 2, outChannels: 4, inputSpatial: [10, 9], kernelSize: [3, 2] };
    expect(convGeometry({ ...base, padding: 1 }).padBefore).toEqual([1, 1]);
    expect(convGeometry({ ...base, padding: [2, 0] }).padAfter).toEqual([2, 0]);
    const pairs = convGeometry({
      ...base,
      padding: [
        [1, 2],
        [0, 3],
      ],
    });
    expect(pairs.padBefore).toEqual([1, 0]);
    expect(pairs.padAfter).toEqual([2, 3]);
    expect(pairs.outputSpatial).toEqual([11, 11]);
    expect(convGeometry({ ...base, padding: 'valid' }).outputSpatial).toEqual([8, 8]);
  });

  it("'same' is SAME_UPPER: out = ceil(in / stride), the extra padding after", () => {
    const stride1 = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [7, 8],
      kernelSize: [4, 3],
      padding: 'same',
    });
    expect(stride1.outputSpatial).toEqual([7, 8]);
    expect(stride1.padBefore).toEqual([1, 1]);
    expect(stride1.padAfter).toEqual([2, 1]);
    const stride2 = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [7, 8],
      kernelSize: 3,
      stride: 2,
      padding: 'same',
    });
    expect(stride2.outputSpatial).toEqual([4, 4]);
    // total padding (out - 1) * s + k - in: 6 + 3 - 7 = 2 and 6 + 3 - 8 = 1
    expect(stride2.padBefore).toEqual([1, 0]);
    expect(stride2.padAfter).toEqual([1, 1]);
    const dilated = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [6],
      kernelSize: 3,
      dilation: 3,
      padding: 'same',
    });
    expect(dilated.outputSpatial).toEqual([6]);
    expect([dilated.padBefore[0], dilated.padAfter[0]]).toEqual([3, 3]);
  });

  it('computes transposed shapes, weight layout and MACs', () => {
    const g = convGeometry({
      transposed: true,
      inChannels: 64,
      outChannels: 32,
      inputSpatial: [28, 28],
      kernelSize: 4,
      stride: 2,
      padding: 1,
    });
    expect(g.outputShape).toEqual([1, 32, 56, 56]);
    expect(g.weightShape).toEqual([64, 32, 4, 4]);
    expect(g.macsPerSample).toBe(64 * 28 * 28 * 32 * 16);
    const grouped = convGeometry({
      inChannels: 128,
      outChannels: 128,
      inputSpatial: [28, 28],
      kernelSize: 3,
      padding: 1,
      groups: 8,
    });
    expect(grouped.weightShape).toEqual([128, 16, 3, 3]);
    expect(grouped.macsPerSample).toBe(128 * 28 * 28 * 16 * 9);
  });

  it('puts channels last in channels-last shapes', () => {
    const g = convGeometry({
      batch: 2,
      inChannels: 3,
      outChannels: 8,
      inputSpatial: [4, 5, 6],
      kernelSize: 3,
      padding: 1,
      layout: 'channels-last',
    });
    expect(g.inputShape).toEqual([2, 4, 5, 6, 3]);
    expect(g.outputShape).toEqual([2, 4, 5, 6, 8]);
    expect(g.dims).toBe(3);
  });

  it('follows PyTorch ceil_mode for pooling windows', () => {
    const pool = (i: number, k: number, s: number, p: number) =>
      convGeometry({
        inChannels: 1,
        outChannels: 1,
        inputSpatial: [i],
        kernelSize: k,
        stride: s,
        padding: p,
        ceilMode: true,
      }).outputSpatial[0];
    expect(pool(5, 2, 2, 0)).toBe(3); // floor gives 2
    expect(pool(6, 2, 2, 0)).toBe(3);
    expect(pool(5, 3, 2, 1)).toBe(3); // the window starting in the right padding is dropped
    expect(pool(112, 3, 2, 1)).toBe(57); // floor mode gives 56
  });

  it('gives deformable offset and mask shapes', () => {
    const g = convGeometry({
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      inputSpatial: [8, 8],
      kernelSize: 3,
      stride: 2,
      padding: 1,
      offsetGroups: 2,
    });
    expect(g.offsetShape).toEqual([2, 2 * 2 * 9, 4, 4]);
    expect(g.maskShape).toEqual([2, 2 * 9, 4, 4]);
  });

  it('returns a frozen object', () => {
    const g = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [3], kernelSize: 1 });
    expect(Object.isFrozen(g)).toBe(true);
    expect(Object.isFrozen(g.outputSpatial)).toBe(true);
  });

  const base = { inChannels: 4, outChannels: 8, inputSpatial: [6, 6], kernelSize: 3 };
  it.each([
    [
      'stride 0',
      { stride: 0 },
      ArgumentError,
      /stride must be a positive integer or 2 of them \(one per spatial dim\), got 0/,
    ],
    [
      'fractional stride',
      { stride: 1.5 },
      ArgumentError,
      /stride must be a positive integer or 2 of them .*got 1.5/,
    ],
    [
      'dilation list of wrong length',
      { dilation: [1, 2, 3] },
      ArgumentError,
      /dilation must be a positive integer or 2 of them \(one per spatial dim\), got \[1, 2, 3\]/,
    ],
    [
      'negative padding',
      { padding: -1 },
      ArgumentError,
      /padding must be a non-negative integer, 2 of them .*got -1/,
    ],
    [
      'negative padding pair',
      {
        padding: [
          [0, -1],
          [0, 0],
        ],
      },
      ArgumentError,
      /padding must be a non-negative integer, 2 of them \(one per spatial dim\), 2 \[before, after\] pairs, 'same' or 'valid', got \[\[0, -1\], \[0, 0\]\]/,
    ],
    ['unknown padding string', { padding: 'full' }, ArgumentError, /'same' or 'valid', got 'full'/],
    ['groups 0', { groups: 0 }, ArgumentError, /groups must be a positive integer, got 0/],
    [
      'groups not dividing input channels',
      { groups: 3 },
      ShapeError,
      /groups=3 must divide the 4 input channels/,
    ],
    [
      'groups not dividing output channels',
      { groups: 4, outChannels: 6 },
      ShapeError,
      /groups=4 must divide the 6 output channels/,
    ],
    [
      'empty output',
      { kernelSize: 7 },
      ShapeError,
      /output would be empty in spatial dim 0: padded input 6 .* kernel extent 7/,
    ],
    ['empty output by dilation', { dilation: 3 }, ShapeError, /kernel extent 7 \(kernel 3, dilation 3\)/],
    [
      'reflect padding too large',
      { padding: 6, paddingMode: 'reflect' },
      ArgumentError,
      /'reflect' needs padding < the input size/,
    ],
    [
      'circular padding too large',
      { padding: 7, paddingMode: 'circular' },
      ArgumentError,
      /'circular' needs padding <= the input size/,
    ],
    [
      'unknown padding mode',
      { paddingMode: 'mirror' },
      ArgumentError,
      /paddingMode must be one of .* got 'mirror'/,
    ],
    [
      'unknown layout',
      { layout: 'NHWC' },
      ArgumentError,
      /layout must be 'channels-first' or 'channels-last', got 'NHWC'/,
    ],
    [
      'outputPadding on a forward conv',
      { outputPadding: 1 },
      ArgumentError,
      /outputPadding applies to transposed convolution only/,
    ],
    ['4 spatial dims', { inputSpatial: [2, 2, 2, 2] }, ShapeError, /1 to 3 spatial dims/],
    [
      'zero input size',
      { inputSpatial: [0, 4] },
      ShapeError,
      /input spatial sizes must be positive integers/,
    ],
  ] as const)('rejects %s', (_, change, type, message) => {
    const call = () => convGeometry({ ...base, ...(change as object) } as Parameters<typeof convGeometry>[0]);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('names the argument when inputSpatial is missing or NaN sneaks into padding', () => {
    const noSpatial = { inChannels: 1, outChannels: 1, kernelSize: 3 } as unknown as Parameters<
      typeof convGeometry
    >[0];
    expect(() => convGeometry(noSpatial)).toThrow(
      'convGeometry: inputSpatial must be an array of spatial sizes (e.g. [H, W]), got undefined',
    );
    expect(() =>
      convGeometry({
        ...base,
        padding: [
          [Number.NaN, 1],
          [0, 0],
        ],
      }),
    ).toThrow(
      "padding must be a non-negative integer, 2 of them (one per spatial dim), 2 [before, after] pairs, 'same' or 'valid', got [[NaN, 1], [0, 0]]",
    );
  });

  it('rejects transposed-only mistakes', () => {
    const t = { ...base, transposed: true };
    expect(() => convGeometry({ ...t, padding: 'same' })).toThrow(UnsupportedError);
    expect(() => convGeometry({ ...t, paddingMode: 'reflect' })).toThrow(
      /not defined for transposed convolution/,
    );
    expect(() => convGeometry({ ...t, stride: 2, outputPadding: 2 })).toThrow(
      /outputPadding 2 in spatial dim 0 must be smaller than max\(stride, dilation\) = 2/,
    );
    expect(convGeometry({ ...t, stride: 1, dilation: 2, outputPadding: 1 }).outputSpatial).toEqual([11, 11]);
    expect(() => convGeometry({ ...t, inputSpatial: [1, 1], kernelSize: 1, padding: 1 })).toThrow(
      /output would be empty/,
    );
  });
});

describe('convGeometryFromShapes', () => {
  it('reads channels and kernel from the tensors', () => {
    const g = convGeometryFromShapes({
      inputShape: [2, 6, 10, 12],
      weightShape: [9, 2, 3, 5],
      groups: 3,
      padding: 1,
    });
    expect(g.op).toBe('conv2d');
    expect(g.inChannels).toBe(6);
    expect(g.outChannels).toBe(9);
    expect(g.kernelSize).toEqual([3, 5]);
    expect(g.outputShape).toEqual([2, 9, 10, 10]);
    const last = convGeometryFromShapes({
      inputShape: [2, 10, 12, 6],
      weightShape: [9, 2, 3, 5],
      groups: 3,
      padding: 1,
      layout: 'channels-last',
    });
    expect(last.outputShape).toEqual([2, 10, 10, 9]);
    const t = convGeometryFromShapes({
      transposed: true,
      inputShape: [1, 4, 5],
      weightShape: [4, 3, 2],
      groups: 2,
      stride: 2,
    });
    expect(t.op).toBe('convTranspose1d');
    expect(t.outChannels).toBe(6);
    expect(t.outputShape).toEqual([1, 6, 10]);
  });

  it('names the op, the argument and both sides in its errors', () => {
    expect(() => convGeometryFromShapes({ inputShape: [1, 4, 8, 8], weightShape: [64, 3, 7, 7] })).toThrow(
      'conv2d: input has 4 channels but weight [64, 3, 7, 7] with groups=1 expects 3',
    );
    expect(() => convGeometryFromShapes({ inputShape: [3, 8, 8], weightShape: [64, 3, 3, 3] })).toThrow(
      /conv2d: input must have rank 4 \(\[N, C, H, W\]\) .* got shape \[3, 8, 8\]; add a batch dimension/,
    );
    expect(() =>
      convGeometryFromShapes({ inputShape: [1, 3, 8, 8, 8, 8], weightShape: [1, 3, 1, 1, 1, 1] }),
    ).toThrow(/weight must have rank 3, 4 or 5/);
    expect(() =>
      convGeometryFromShapes({ transposed: true, inputShape: [1, 5, 8], weightShape: [4, 3, 2] }),
    ).toThrow(
      'convTranspose1d: input has 5 channels but weight [4, 3, 2] expects 4 (weight is [C_in, C_out/groups, ...kernel])',
    );
    expect(() =>
      convGeometryFromShapes({ inputShape: [1, 6, 8, 8], weightShape: [4, 2, 3, 3], groups: 4 }),
    ).toThrow(/groups=4 must divide the 6 input channels/);
  });

  it('reads offset groups from the offset and checks its shape', () => {
    const g = convGeometryFromShapes({
      inputShape: [1, 4, 6, 6],
      weightShape: [2, 4, 3, 3],
      padding: 1,
      offsetShape: [1, 36, 6, 6],
    });
    expect(g.op).toBe('deformConv2d');
    expect(g.offsetGroups).toBe(2);
    expect(() =>
      convGeometryFromShapes({
        inputShape: [1, 4, 6, 6],
        weightShape: [2, 4, 3, 3],
        padding: 1,
        offsetShape: [1, 17, 6, 6],
      }),
    ).toThrow(/offset must be \[N, 2 \* offsetGroups \* 9, H_out, W_out\]/);
    expect(() =>
      convGeometryFromShapes({
        inputShape: [1, 4, 6, 6],
        weightShape: [2, 4, 3, 3],
        padding: 1,
        offsetShape: [1, 18, 5, 6],
      }),
    ).toThrow(
      'deformConv2d: offset has shape [1, 18, 5, 6] but the output is [1, 2, 6, 6], so it must be [1, 18, 6, 6]',
    );
    expect(() =>
      convGeometryFromShapes({
        inputShape: [1, 4, 6, 6],
        weightShape: [2, 4, 3, 3],
        offsetShape: [1, 54, 4, 4],
      }),
    ).toThrow(/3 offset groups must divide the 4 input channels/);
  });
});

describe('adjointConvGeometry', () => {
  it('swaps the channels and maps the output back onto the input exactly, outputPadding included', () => {
    // Exhaustive over small 1-D problems: the adjoint convolution's output is the transposed
    // convolution's input, the taps reach exactly the positions below its (cropped) input
    // size, and every position past it is reached by no tap.
    let cropped = 0;
    for (let input = 1; input <= 4; input++)
      for (let kernel = 1; kernel <= 3; kernel++)
        for (let stride = 1; stride <= 3; stride++)
          for (let dilation = 1; dilation <= 3; dilation++)
            for (let before = 0; before <= 3; before++)
              for (let after = 0; after <= 3; after++)
                for (let outputPadding = 0; outputPadding < Math.max(stride, dilation); outputPadding++) {
                  let t: ReturnType<typeof convGeometry>;
                  try {
                    t = convGeometry({
                      transposed: true,
                      batch: 2,
                      inChannels: 6,
                      outChannels: 4,
                      groups: 2,
                      inputSpatial: [input],
                      kernelSize: kernel,
                      stride,
                      dilation,
                      padding: [[before, after]],
                      outputPadding,
                    });
                  } catch {
                    continue; // an empty output
                  }
                  const reached = new Set<number>();
                  for (let i = 0; i < input; i++)
                    for (let k = 0; k < kernel; k++) reached.add(i * stride - before + k * dilation);
                  const last = Math.max(...reached);
                  const g = adjointConvGeometry(t);
                  if (g === null) {
                    expect(last).toBeLessThan(0);
                    continue;
                  }
                  expect(g.transposed).toBe(false);
                  expect([g.batch, g.inChannels, g.outChannels, g.groups]).toEqual([2, 4, 6, 2]);
                  expect(g.outputSpatial).toEqual([input]);
                  expect(g.weightShape).toEqual(t.weightShape);
                  expect(g.padBefore).toEqual([before]);
                  const size = g.inputSpatial[0]!;
                  expect(size).toBeLessThanOrEqual(t.outputSpatial[0]!);
                  expect(last).toBeLessThan(t.outputSpatial[0]! + Math.max(0, after - outputPadding));
                  if (size < t.outputSpatial[0]!) {
                    cropped++;
                    expect(last).toBe(size - 1);
                  }
                }
    expect(cropped).toBeGreaterThan(0);
  });

  it('returns null when no tap reaches the output, and refuses a geometry that is not transposed', () => {
    // in 1, k 1, stride 2, padding [1, 0], outputPadding 1: out = 1, and the one tap lands at -1.
    const t = convGeometry({
      transposed: true,
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [1],
      kernelSize: 1,
      stride: 2,
      padding: [[1, 0]],
      outputPadding: 1,
    });
    expect(t.outputSpatial).toEqual([1]);
    expect(adjointConvGeometry(t)).toBeNull();
    const plain = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [4], kernelSize: 2 });
    expect(() => adjointConvGeometry(plain)).toThrow(ArgumentError);
    expect(() => adjointConvGeometry(plain)).toThrow(
      "adjointConvGeometry: expected a transposed convolution's geometry, got conv1d's (not transposed)",
    );
  });

  it('keeps 2-D and 3-D geometries per dim, the layout included', () => {
    const t = convGeometry({
      transposed: true,
      inChannels: 2,
      outChannels: 3,
      inputSpatial: [3, 4, 5],
      kernelSize: [2, 3, 1],
      stride: [2, 1, 3],
      dilation: [1, 3, 1],
      padding: [1, 0, 0],
      outputPadding: [1, 2, 0],
      layout: 'channels-last',
    });
    const g = adjointConvGeometry(t)!;
    expect(g.layout).toBe('channels-last');
    expect(g.outputSpatial).toEqual([3, 4, 5]);
    // dim 0: out = 2 * 2 - 2 + 2 + 1 = 5, outputPadding 1 <= padAfter 1: no crop, padAfter 0.
    // dim 1: out = 3 * 1 + 7 + 2 = 12, outputPadding 2 > padAfter 0: 2 positions cropped.
    expect(t.outputSpatial).toEqual([5, 12, 13]);
    expect(g.inputSpatial).toEqual([5, 10, 13]);
    expect(g.padAfter).toEqual([0, 0, 0]);
  });
});
