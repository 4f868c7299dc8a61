import {
  ArgumentError,
  assertClose,
  type ConvGeometry,
  convGeometry,
  createRng,
  ones,
  type Rng,
  ShapeError,
  Tensor,
  tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv } from './conv';
import { deformConv } from './deform-conv';
import type { DeformConvOptions } from './options';

// ---------------------------------------------------------------------------------------
// Random small geometries. C_in is a multiple of both groups and offset groups.

interface Case {
  batch: number;
  groups: number;
  offsetGroups: number;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: [[number, number], [number, number]];
  spatial: [number, number];
  seed: number;
}

const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));

const caseArb: fc.Arbitrary<Case> = fc
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
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((r) => {
    const lcm = r.groups === r.offsetGroups ? r.groups : r.groups * r.offsetGroups;
    const spatial = [0, 1].map((d) => {
      const extent = r.dilation[d]! * (r.kernel[d]! - 1) + 1;
      return Math.max(1, extent - r.padding[d]![0] - r.padding[d]![1]) + r.extra[d]!;
    }) as [number, number];
    return {
      batch: r.batch,
      groups: r.groups,
      offsetGroups: r.offsetGroups,
      inChannels: lcm * r.channelUnit,
      outChannels: r.groups * r.outPerGroup,
      kernel: r.kernel,
      stride: r.stride,
      dilation: r.dilation,
      padding: r.padding,
      spatial,
      seed: r.seed,
    };
  });

function geometryOf(c: Case): ConvGeometry {
  return convGeometry({
    op: 'deformConv2d',
    batch: c.batch,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    inputSpatial: c.spatial,
    kernelSize: c.kernel,
    stride: c.stride,
    dilation: c.dilation,
    padding: c.padding,
    groups: c.groups,
    offsetGroups: c.offsetGroups,
  });
}

function optionsOf(c: Case, extra: DeformConvOptions = {}): DeformConvOptions {
  return { stride: c.stride, dilation: c.dilation, padding: c.padding, groups: c.groups, ...extra };
}

/** Offsets from a per-tap function, laid out as documented: channel 2 * (g * kh * kw + i * kw + j) is dy. */
function offsetsFrom(
  g: ConvGeometry,
  shift: (n: number, og: number, i: number, j: number, p: number, q: number) => [number, number],
): Tensor {
  const out = zeros(g.offsetShape!);
  const [kh, kw] = g.kernelSize as [number, number];
  const [oh, ow] = g.outputSpatial as [number, number];
  for (let n = 0; n < g.batch; n++)
    for (let og = 0; og < g.offsetGroups; og++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let p = 0; p < oh; p++)
            for (let q = 0; q < ow; q++) {
              const [dy, dx] = shift(n, og, i, j, p, q);
              const channel = 2 * (og * kh * kw + i * kw + j);
              out.data[out.index([n, channel, p, q])] = dy;
              out.data[out.index([n, channel + 1, p, q])] = dx;
            }
  return out;
}

/**
 * The test's oracle for integer offsets: a direct convolution loop whose tap (i, j) reads the
 * input shifted by the tap's integer offset, zeros outside, times the mask value.
 */
function shiftedConv(
  g: ConvGeometry,
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  shift: (n: number, og: number, i: number, j: number, p: number, q: number) => [number, number],
  maskAt: (n: number, og: number, i: number, j: number, p: number, q: number) => number = () => 1,
): Tensor {
  const out = zeros(g.outputShape);
  const [kh, kw] = g.kernelSize as [number, number];
  const [oh, ow] = g.outputSpatial as [number, number];
  const [h, wd] = g.inputSpatial as [number, number];
  const perOffsetGroup = g.inChannels / g.offsetGroups;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++)
      for (let p = 0; p < oh; p++)
        for (let q = 0; q < ow; q++) {
          let sum = bias ? bias.get(o) : 0;
          const group = Math.floor(o / g.outChannelsPerGroup);
          for (let ci = 0; ci < g.inChannelsPerGroup; ci++) {
            const c = group * g.inChannelsPerGroup + ci;
            const og = Math.floor(c / perOffsetGroup);
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const [dy, dx] = shift(n, og, i, j, p, q);
                const y = p * g.stride[0]! - g.padBefore[0]! + i * g.dilation[0]! + dy;
                const xx = q * g.stride[1]! - g.padBefore[1]! + j * g.dilation[1]! + dx;
                if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
                sum += w.get(o, ci, i, j) * maskAt(n, og, i, j, p, q) * x.get(n, c, y, xx);
              }
          }
          out.data[out.index([n, o, p, q])] = sum;
        }
  return out;
}

function randomTensors(c: Case, rng: Rng) {
  const g = geometryOf(c);
  return {
    g,
    input: rng.normalTensor(g.inputShape),
    weight: rng.normalTensor(g.weightShape),
    bias: rng.normalTensor([g.outChannels]),
  };
}

// ---------------------------------------------------------------------------------------

describe('deformConv: reduces to plain convolution', () => {
  it('with zero offsets and no mask equals conv, over random geometries', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const rng = createRng(c.seed);
        const { g, input, weight, bias } = randomTensors(c, rng);
        const got = deformConv(input, weight, zeros(g.offsetShape!), optionsOf(c, { bias }));
        expect(got.shape).toEqual(g.outputShape);
        assertClose(got, conv(input, weight, optionsOf(c, { bias })));
      }),
      { numRuns: 40, seed: 1 },
    );
  });

  it('with a mask of ones equals DCN v1 (no mask) exactly', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const rng = createRng(c.seed);
        const { g, input, weight, bias } = randomTensors(c, rng);
        const offset = rng.uniformTensor(g.offsetShape!, -2, 2);
        const v1 = deformConv(input, weight, offset, optionsOf(c, { bias }));
        const v2 = deformConv(input, weight, offset, optionsOf(c, { bias, mask: ones(g.maskShape!) }));
        expect(Array.from(v2.toFloat32Array())).toEqual(Array.from(v1.toFloat32Array()));
      }),
      { numRuns: 25, seed: 2 },
    );
  });

  it('with integer offsets (per tap, position and offset group) and a mask equals the shifted-input convolution', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, withMask) => {
        const rng = createRng(c.seed);
        const { g, input, weight, bias } = randomTensors(c, rng);
        const shifts = new Map<string, [number, number]>();
        const shift = (
          n: number,
          og: number,
          i: number,
          j: number,
          p: number,
          q: number,
        ): [number, number] => {
          const key = `${n},${og},${i},${j},${p},${q}`;
          if (!shifts.has(key)) shifts.set(key, [rng.int(-3, 3), rng.int(-3, 3)]);
          return shifts.get(key)!;
        };
        const masks = new Map<string, number>();
        const maskAt = (n: number, og: number, i: number, j: number, p: number, q: number) => {
          const key = `${n},${og},${i},${j},${p},${q}`;
          if (!masks.has(key)) masks.set(key, withMask ? Math.fround(rng.uniform(-1, 2)) : 1);
          return masks.get(key)!;
        };
        const offset = offsetsFrom(g, shift);
        let mask: Tensor | null = null;
        if (withMask) {
          mask = zeros(g.maskShape!);
          const [kh, kw] = g.kernelSize as [number, number];
          for (let n = 0; n < g.batch; n++)
            for (let og = 0; og < g.offsetGroups; og++)
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++)
                  for (let p = 0; p < g.outputSpatial[0]!; p++)
                    for (let q = 0; q < g.outputSpatial[1]!; q++)
                      mask.data[mask.index([n, og * kh * kw + i * kw + j, p, q])] = maskAt(n, og, i, j, p, q);
        }
        const got = deformConv(input, weight, offset, optionsOf(c, { bias, mask }));
        assertClose(got, shiftedConv(g, input, weight, bias, shift, maskAt));
      }),
      { numRuns: 40, seed: 3 },
    );
  });

  it('with zero offsets and groups = C_in (depthwise) equals grouped conv', () => {
    const rng = createRng(4);
    const input = rng.normalTensor([2, 4, 6, 5]);
    const weight = rng.normalTensor([8, 1, 3, 3]);
    const options = { groups: 4, padding: 1, stride: 2 };
    const offset = zeros([2, 18, 3, 3]);
    assertClose(deformConv(input, weight, offset, options), conv(input, weight, options));
  });

  it('with [before, after] padding pairs samples from padBefore and sizes the output from both', () => {
    const rng = createRng(5);
    const input = rng.normalTensor([1, 2, 5, 6]);
    const weight = rng.normalTensor([3, 2, 2, 3]);
    const padding = [
      [2, 0],
      [0, 3],
    ] as const;
    // H_out = 5 + 2 + 0 - 2 + 1 = 6, W_out = 6 + 0 + 3 - 3 + 1 = 7.
    const offset = zeros([1, 2 * 6, 6, 7]);
    const got = deformConv(input, weight, offset, { padding });
    expect(got.shape).toEqual([1, 3, 6, 7]);
    assertClose(got, conv(input, weight, { padding }));
  });

  it("accepts 'same' and 'valid' padding from JavaScript callers, as conv resolves them", () => {
    const rng = createRng(6);
    const input = rng.normalTensor([1, 2, 5, 5]);
    const weight = rng.normalTensor([2, 2, 2, 2]);
    for (const padding of ['same', 'valid'] as const) {
      const expected = conv(input, weight, { padding });
      const offset = zeros([1, 8, ...expected.shape.slice(2)]);
      assertClose(deformConv(input, weight, offset, { padding } as unknown as DeformConvOptions), expected);
    }
  });
});

describe('deformConv: fractional offsets', () => {
  // Input [[1, 2], [3, 4]], a 2x2 kernel, no padding: one output position whose four taps
  // start at (0,0), (0,1), (1,0), (1,1).
  const input = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const weight = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const bias = tensor([0.5], [1]);
  // (dy, dx) per tap, channels [dy00, dx00, dy01, dx01, dy10, dx10, dy11, dx11].
  const offset = tensor([0.5, 0.5, 0, -0.5, -0.25, 0, 0.5, 0.5], [1, 8, 1, 1]);

  it('samples bilinearly with zeros outside (hand-checked)', () => {
    // tap (0,0) at (0.5, 0.5): mean of all four = 2.5
    // tap (0,1) at (0, 0.5): between 1 and 2 = 1.5
    // tap (1,0) at (0.75, 0): 0.25 * 1 + 0.75 * 3 = 2.5
    // tap (1,1) at (1.5, 1.5): only (1,1) = 4 is inside, weight 0.25 -> 1
    // 1 * 2.5 + 2 * 1.5 + 3 * 2.5 + 4 * 1 + 0.5 = 17.5
    const got = deformConv(input, weight, offset, { bias });
    expect(got.shape).toEqual([1, 1, 1, 1]);
    expect(got.get(0, 0, 0, 0)).toBeCloseTo(17.5, 5);
  });

  it('multiplies the mask in raw, per tap (DCN v2, hand-checked)', () => {
    // Mask [1, 0.5, 2, 0] (also values outside [0, 1]: no sigmoid is applied).
    const mask = tensor([1, 0.5, 2, 0], [1, 4, 1, 1]);
    // 1 * 2.5 + 2 * 0.5 * 1.5 + 3 * 2 * 2.5 + 0 + 0.5 = 19.5
    expect(deformConv(input, weight, offset, { bias, mask }).get(0, 0, 0, 0)).toBeCloseTo(19.5, 5);
    const negative = tensor([-1, -1, -1, -1], [1, 4, 1, 1]);
    expect(deformConv(input, weight, offset, { mask: negative }).get(0, 0, 0, 0)).toBeCloseTo(-17, 5);
  });

  it('gives zero contribution for offsets far outside the image, and at exactly -1 or H', () => {
    const rng = createRng(8);
    const x = rng.normalTensor([2, 3, 4, 5]);
    const w = rng.normalTensor([2, 3, 3, 3]);
    const b = tensor([0.25, -1.5], [2]);
    // Padding 1 keeps the output 4 x 5; every tap is pushed 100 rows up or 1e4 columns right.
    for (const far of [
      [-100, 0],
      [0, 1e4],
      [1e6, -1e6],
    ] as const) {
      const offset = offsetsFrom(
        convGeometry({
          op: 'deformConv2d',
          batch: 2,
          inChannels: 3,
          outChannels: 2,
          inputSpatial: [4, 5],
          kernelSize: 3,
          padding: 1,
          offsetGroups: 1,
        }),
        () => [far[0], far[1]],
      );
      const got = deformConv(x, w, offset, { bias: b, padding: 1 });
      for (let n = 0; n < 2; n++)
        for (let p = 0; p < 4; p++)
          for (let q = 0; q < 5; q++) {
            expect(got.get(n, 0, p, q)).toBe(0.25);
            expect(got.get(n, 1, p, q)).toBe(-1.5);
          }
    }
    // 1x1 kernel on a 2x2 image: dy = -1 puts row 0 at y = -1 (zero), dy = +1 puts row 1 at y = H.
    const image = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const one = tensor([1], [1, 1, 1, 1]);
    const up = tensor([-1, -1, -1, -1, 0, 0, 0, 0], [1, 2, 2, 2]);
    expect(Array.from(deformConv(image, one, up).toFloat32Array())).toEqual([0, 0, 1, 2]);
    const down = tensor([1, 1, 1, 1, 0, 0, 0, 0], [1, 2, 2, 2]);
    expect(Array.from(deformConv(image, one, down).toFloat32Array())).toEqual([3, 4, 0, 0]);
  });

  it('reads each input channel with its own offset group (two offset groups, groups = 2)', () => {
    const rng = createRng(9);
    const x = rng.normalTensor([1, 4, 5, 5]);
    const w = rng.normalTensor([4, 2, 3, 3]);
    // Offset group 0 (channels 0, 1) has zero offsets; group 1 (channels 2, 3) looks far away,
    // so the result is the convolution of the input with channels 2 and 3 zeroed.
    const g = convGeometry({
      op: 'deformConv2d',
      inChannels: 4,
      outChannels: 4,
      inputSpatial: [5, 5],
      kernelSize: 3,
      groups: 2,
      offsetGroups: 2,
    });
    const offset = offsetsFrom(g, (_n, og) => (og === 0 ? [0, 0] : [50, 50]));
    const zeroed = x.toFloat32Array();
    zeroed.fill(0, 2 * 25);
    const expected = conv(new Tensor(zeroed, [1, 4, 5, 5]), w, { groups: 2 });
    assertClose(deformConv(x, w, offset, { groups: 2 }), expected);
    // Swapping the roles zeroes channels 0 and 1 instead.
    const swapped = offsetsFrom(g, (_n, og) => (og === 1 ? [0, 0] : [50, 50]));
    const zeroedFirst = x.toFloat32Array();
    zeroedFirst.fill(0, 0, 2 * 25);
    assertClose(
      deformConv(x, w, swapped, { groups: 2 }),
      conv(new Tensor(zeroedFirst, [1, 4, 5, 5]), w, { groups: 2 }),
    );
  });
});

describe('deformConv: tensors', () => {
  it('never mutates its inputs and accepts strided views', () => {
    const rng = createRng(10);
    const input = rng.normalTensor([2, 3, 4, 5]);
    const weight = rng.normalTensor([4, 3, 2, 2]);
    const offset = rng.uniformTensor([2, 8, 3, 4], -1.5, 1.5);
    const mask = rng.uniformTensor([2, 4, 3, 4]);
    const bias = rng.normalTensor([4]);
    const copies = [input, weight, offset, mask, bias].map((t) => t.toFloat32Array());
    const expected = deformConv(input, weight, offset, { mask, bias });
    [input, weight, offset, mask, bias].forEach((t, k) => {
      expect(Array.from(t.data)).toEqual(Array.from(copies[k]!));
    });
    // The same values as non-contiguous views: stored transposed, then viewed back.
    const view = (t: Tensor) =>
      new Tensor(t.permute([3, 2, 1, 0]).toFloat32Array(), [...t.shape].reverse()).permute([3, 2, 1, 0]);
    const inputView = view(input);
    expect(inputView.isContiguous).toBe(false);
    const got = deformConv(inputView, view(weight), view(offset), { mask: view(mask), bias });
    expect(Array.from(got.toFloat32Array())).toEqual(Array.from(expected.toFloat32Array()));
    // A view with an offset into a larger buffer.
    const padded = new Float32Array(7 + input.size);
    padded.set(input.toFloat32Array(), 7);
    const shifted = new Tensor(padded, input.shape, undefined, 7);
    expect(Array.from(deformConv(shifted, weight, offset, { mask, bias }).toFloat32Array())).toEqual(
      Array.from(expected.toFloat32Array()),
    );
  });

  it('returns an empty batch for an empty batch', () => {
    const got = deformConv(zeros([0, 2, 4, 4]), zeros([3, 2, 3, 3]), zeros([0, 18, 2, 2]));
    expect(got.shape).toEqual([0, 3, 2, 2]);
  });
});

// ---------------------------------------------------------------------------------------

type ErrorClass = { isInstance(value: unknown): boolean; name: string };

function expectError(run: () => unknown, kind: ErrorClass, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeDefined();
  expect(kind.isInstance(caught), `expected ${kind.name}, got ${String(caught)}`).toBe(true);
  const message = (caught as Error).message;
  expect(message).toMatch(/^deformConv2d: /);
  for (const pattern of patterns) expect(message).toMatch(pattern);
}

describe('deformConv: errors', () => {
  const x = zeros([2, 4, 5, 5]);
  const w = zeros([6, 4, 3, 3]);
  // 3x3 kernel, no padding: output 3x3; 2 offset groups -> 36 offset channels, 18 mask channels.
  const offset = zeros([2, 36, 3, 3]);
  const mask = zeros([2, 18, 3, 3]);

  it('rejects arguments that are not tensors', () => {
    expectError(
      () => deformConv([1, 2] as unknown as Tensor, w, offset),
      ArgumentError,
      /input must be a Tensor/,
      /array/,
    );
    expectError(
      () => deformConv(x, w, null as unknown as Tensor),
      ArgumentError,
      /offset must be a Tensor/,
      /null/,
    );
    expectError(
      () => deformConv(x, w, offset, { mask: 3 as unknown as Tensor }),
      ArgumentError,
      /mask must be a Tensor/,
      /number 3/,
    );
    expectError(
      () => deformConv(x, w, offset, { bias: [1] as unknown as Tensor }),
      ArgumentError,
      /bias must be a Tensor/,
    );
    expectError(
      () => deformConv(x, w, offset, 5 as unknown as DeformConvOptions),
      ArgumentError,
      /options must be a plain object/,
      /number 5/,
    );
  });

  it('rejects ranks other than 4', () => {
    expectError(
      () => deformConv(x, zeros([6, 4, 3]), offset),
      ShapeError,
      /weight must have rank 4/,
      /\[6, 4, 3\]/,
    );
    expectError(
      () => deformConv(x, zeros([6, 4, 3, 3, 3]), offset),
      ShapeError,
      /weight must have rank 4/,
      /\[6, 4, 3, 3, 3\]/,
    );
    expectError(
      () => deformConv(zeros([4, 5, 5]), w, offset),
      ShapeError,
      /input must have rank 4/,
      /\[N, C_in, H, W\]/,
      /\[4, 5, 5\]/,
    );
    expectError(
      () => deformConv(x, w, zeros([36, 3, 3])),
      ShapeError,
      /offset must have rank 4/,
      /\[36, 3, 3\]/,
    );
    expectError(
      () => deformConv(x, w, offset, { mask: zeros([18, 3, 3]) }),
      ShapeError,
      /mask must be/,
      /\[2, 18, 3, 3\]/,
      /got \[18, 3, 3\]/,
    );
  });

  it('rejects offsets of the wrong channel count, spatial size or batch', () => {
    // 35 channels is not a multiple of 2 * 9.
    expectError(
      () => deformConv(x, w, zeros([2, 35, 3, 3])),
      ShapeError,
      /offset must be \[N, 2 \* offsetGroups \* 9, H_out, W_out\]/,
      /\[2, 35, 3, 3\]/,
    );
    expectError(
      () => deformConv(x, w, zeros([2, 36, 4, 3])),
      ShapeError,
      /offset has shape \[2, 36, 4, 3\]/,
      /must be \[2, 36, 3, 3\]/,
    );
    expectError(
      () => deformConv(x, w, zeros([1, 36, 3, 3])),
      ShapeError,
      /offset has shape \[1, 36, 3, 3\]/,
      /must be \[2, 36, 3, 3\]/,
    );
  });

  it('rejects offset groups that do not divide the input channels', () => {
    // 54 channels = 3 offset groups, which do not divide 4 input channels.
    expectError(
      () => deformConv(x, w, zeros([2, 54, 3, 3])),
      ShapeError,
      /3 offset groups must divide the 4 input channels/,
    );
    expectError(
      () => deformConv(x, w, offset, { offsetGroups: 1 } as unknown as DeformConvOptions),
      ArgumentError,
      /offset groups are read from the offset's channel count/,
      /has 2, but options.offsetGroups is 1/,
    );
  });

  it('rejects masks of the wrong channel count, spatial size or batch', () => {
    for (const shape of [
      [2, 9, 3, 3],
      [2, 18, 3, 4],
      [1, 18, 3, 3],
    ]) {
      expectError(
        () => deformConv(x, w, offset, { mask: zeros(shape) }),
        ShapeError,
        /mask must be \[N, offsetGroups \* kh \* kw, H_out, W_out\] = \[2, 18, 3, 3\]/,
        new RegExp(`got \\[${shape.join(', ')}\\]`),
      );
    }
    // The right mask passes.
    expect(deformConv(x, w, offset, { mask }).shape).toEqual([2, 6, 3, 3]);
  });

  it('rejects a bias of the wrong shape', () => {
    expectError(
      () => deformConv(x, w, offset, { bias: zeros([5]) }),
      ShapeError,
      /bias must have shape \[6\]/,
      /got \[5\]/,
    );
    expectError(
      () => deformConv(x, w, offset, { bias: zeros([1, 6]) }),
      ShapeError,
      /bias must have shape \[6\]/,
      /got \[1, 6\]/,
    );
  });

  it('rejects bad groups', () => {
    expectError(
      () => deformConv(x, w, offset, { groups: 0 }),
      ArgumentError,
      /groups must be a positive integer, got 0/,
    );
    expectError(
      () => deformConv(x, w, offset, { groups: 1.5 }),
      ArgumentError,
      /groups must be a positive integer, got 1.5/,
    );
    expectError(
      () => deformConv(x, w, offset, { groups: 3 }),
      ShapeError,
      /groups=3 must divide the 4 input channels/,
    );
    // groups = 2 needs weight [C_out, 2, ...].
    expectError(
      () => deformConv(x, w, offset, { groups: 2 }),
      ShapeError,
      /input has 4 channels but weight \[6, 4, 3, 3\] with groups=2 expects 8/,
    );
    // groups must also divide the output channels.
    expectError(
      () => deformConv(x, zeros([5, 2, 3, 3]), offset, { groups: 2 }),
      ShapeError,
      /groups=2 must divide the 5 output channels/,
    );
  });

  it('rejects bad stride, dilation and padding', () => {
    expectError(
      () => deformConv(x, w, offset, { stride: 0 }),
      ArgumentError,
      /stride must be a positive integer or 2 of them \(one per spatial dim\), got 0/,
    );
    expectError(
      () => deformConv(x, w, offset, { stride: [1, 1, 1] }),
      ArgumentError,
      /stride must be a positive integer or 2 of them/,
      /\[1, 1, 1\]/,
    );
    expectError(
      () => deformConv(x, w, offset, { dilation: -1 }),
      ArgumentError,
      /dilation must be a positive integer or 2 of them \(one per spatial dim\), got -1/,
    );
    expectError(
      () => deformConv(x, w, offset, { padding: -1 }),
      ArgumentError,
      /padding must be a non-negative integer, 2 of them .*, got -1/,
    );
    expectError(
      () => deformConv(x, w, offset, { padding: [[1, 1]] }),
      ArgumentError,
      /padding must be a non-negative integer, 2 of them \(one per spatial dim\), 2 \[before, after\] pairs, 'same' or 'valid', got \[\[1, 1\]\]/,
    );
    expectError(
      () => deformConv(x, w, offset, { padding: 'full' } as unknown as DeformConvOptions),
      ArgumentError,
      /padding must be/,
      /'full'/,
    );
    // A kernel larger than the padded input.
    expectError(
      () => deformConv(x, w, offset, { dilation: 3 }),
      ShapeError,
      /output would be empty/,
      /kernel extent 7/,
    );
  });

  it('rejects unknown algorithms, layouts, padding modes and options', () => {
    expectError(
      () => deformConv(x, w, offset, { algorithm: 'winograd' }),
      ArgumentError,
      /algorithm must be 'auto' or one of 'reference', 'im2col', 'wasm', got 'winograd'/,
    );
    expectError(
      () => deformConv(x, w, offset, { algorithm: 3 } as unknown as DeformConvOptions),
      ArgumentError,
      /algorithm/,
      /number 3/,
    );
    expectError(
      () => deformConv(x, w, offset, { layout: 'channels-last' } as unknown as DeformConvOptions),
      UnsupportedError,
      /layout must be 'channels-first'/,
      /'channels-last'/,
    );
    expectError(
      () => deformConv(x, w, offset, { paddingMode: 'reflect' } as unknown as DeformConvOptions),
      UnsupportedError,
      /paddingMode must be 'zeros'/,
      /'reflect'/,
    );
    expectError(
      () => deformConv(x, w, offset, { outputPadding: 1 } as unknown as DeformConvOptions),
      ArgumentError,
      /unknown option 'outputPadding'/,
    );
    // The explicit defaults are accepted.
    const options = {
      algorithm: 'reference',
      layout: 'channels-first',
      paddingMode: 'zeros',
      offsetGroups: 2,
    } as DeformConvOptions;
    expect(deformConv(x, w, offset, options).shape).toEqual([2, 6, 3, 3]);
    expect(deformConv(x, w, offset, { algorithm: 'auto' }).shape).toEqual([2, 6, 3, 3]);
  });
});
