import {
  ArgumentError,
  type ConvGeometry,
  convGeometry,
  createRng,
  ShapeError,
  Tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CONV_ALGORITHMS, type ConvAlgorithmName, convAlgorithmLimit, convKernelsFor } from './algorithms';
import { conv, convInto } from './conv';
import { convBackward } from './conv-backward';
import {
  type ConvCase,
  type ConvCaseOptions,
  convCaseTensors,
  randomConvCase,
} from './reference/random-conv-case';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm/wasm-runtime';

const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

/** The bit patterns of a tensor's logical elements (so -0, NaN payloads and all count). */
function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array(t.toFloat32Array().buffer));
}

/**
 * A caller's buffer of `shape` full of NaN (the op must never read it), placed at `offset`
 * inside a larger Float32Array, as a recycled block of a pool would be.
 */
function nanTensor(shape: readonly number[], offset: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(offset + size + 3).fill(Number.NaN);
  return new Tensor(data, shape, undefined, offset);
}

/** The same case with kernel 3 and stride 1 in every dim (the geometries Winograd runs). */
function winogradCase(): fc.Arbitrary<ConvCase<ConvCaseOptions>> {
  return fc
    .record({
      dims: fc.integer({ min: 1, max: 2 }),
      batch: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      inPerGroup: fc.integer({ min: 1, max: 3 }),
      outPerGroup: fc.integer({ min: 1, max: 3 }),
      size: fc.integer({ min: 3, max: 11 }),
      padding: fc.integer({ min: 0, max: 1 }),
      layout: fc.constantFrom('channels-first' as const, 'channels-last' as const),
      hasBias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map((d) => {
      const options: ConvCaseOptions = {
        stride: Array(d.dims).fill(1),
        dilation: Array(d.dims).fill(1),
        groups: d.groups,
        layout: d.layout,
        padding: d.padding,
        paddingMode: 'zeros',
      };
      const geometry: ConvGeometry = convGeometry({
        ...options,
        batch: d.batch,
        inChannels: d.groups * d.inPerGroup,
        outChannels: d.groups * d.outPerGroup,
        inputSpatial: Array(d.dims).fill(d.size),
        kernelSize: Array(d.dims).fill(3),
      });
      return { transposed: false, options, geometry, hasBias: d.hasBias, seed: d.seed };
    });
}

/** convInto and convBackward's inputGradientInto against the plain ops, bit for bit. */
function checkCase(
  c: ConvCase<ConvCaseOptions>,
  algorithm: ConvAlgorithmName | 'auto',
  offset: number,
  ran: Set<string>,
): void {
  const { input, weight, bias, gradOutput } = convCaseTensors(c);
  const options = { ...c.options, bias, algorithm };
  const forwardLimit = algorithm === 'auto' ? null : convAlgorithmLimit(algorithm, c.geometry, 'forward');
  const out = nanTensor(c.geometry.outputShape, offset);
  if (forwardLimit !== null) {
    expect(() => convInto(out, input, weight, options)).toThrow(UnsupportedError);
  } else {
    const want = conv(input, weight, options);
    const got = convInto(out, input, weight, options);
    expect(got).toBe(out);
    expect(bits(got)).toEqual(bits(want));
    // The elements around the block are never touched.
    expect(Number.isNaN(out.data[offset - 1] ?? Number.NaN)).toBe(true);
    expect(Number.isNaN(out.data[out.data.length - 1]!)).toBe(true);
    ran.add(algorithm);
  }
  const backwardLimit = algorithm === 'auto' ? null : convAlgorithmLimit(algorithm, c.geometry, 'backward');
  if (backwardLimit !== null) return;
  const gradInto = nanTensor(c.geometry.inputShape, offset);
  const want = convBackward(gradOutput, input, weight, options);
  const got = convBackward(gradOutput, input, weight, options, { inputGradientInto: gradInto });
  expect(got.gradInput).toBe(gradInto);
  expect(bits(gradInto)).toEqual(bits(want.gradInput));
  expect(bits(got.gradWeight)).toEqual(bits(want.gradWeight));
  expect(bits(got.gradBias)).toEqual(bits(want.gradBias));
}

describe('convInto and convBackward inputGradientInto: the plain ops bit for bit', () => {
  const algorithms = ['auto', ...CONV_ALGORITHMS] as const;
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(`every algorithm, random 1-3-D problems (${build})`, () => {
      initWasmSync({ build });
      const ran = new Set<string>();
      fc.assert(
        fc.property(
          randomConvCase(false),
          fc.constantFrom(...algorithms),
          fc.integer({ min: 0, max: 9 }),
          (c, algorithm, offset) => checkCase(c, algorithm, offset, ran),
        ),
        { numRuns: 100, seed: build === 'simd' ? 1101 : 1102 },
      );
      // Every algorithm that runs plain convolution ran (phase runs transposed ones only).
      expect([...ran].sort()).toEqual(['auto', 'depthwise', 'im2col', 'reference', 'wasm']);
    });

    it.skipIf(!supported(build))(`every algorithm, 3x3 stride-1 problems (${build})`, () => {
      initWasmSync({ build });
      const ran = new Set<string>();
      fc.assert(
        fc.property(
          winogradCase(),
          fc.constantFrom(...algorithms),
          fc.integer({ min: 0, max: 9 }),
          (c, algorithm, offset) => checkCase(c, algorithm, offset, ran),
        ),
        { numRuns: 40, seed: build === 'simd' ? 1103 : 1104 },
      );
      expect(ran).toContain('winograd');
    });

    it.skipIf(!supported(build))(
      `channels-last depthwise through its channels-last kernel (${build})`,
      () => {
        initWasmSync({ build });
        const rng = createRng(1105);
        const x = rng.normalTensor([2, 7, 6, 8]);
        const w = rng.normalTensor([8, 1, 3, 3]);
        const b = rng.normalTensor([8]);
        for (const algorithm of ['depthwise', 'auto'] as const) {
          const options = { groups: 8, padding: 1, layout: 'channels-last' as const, bias: b, algorithm };
          const out = nanTensor([2, 7, 6, 8], 3);
          expect(convInto(out, x, w, options)).toBe(out);
          expect(bits(out)).toEqual(bits(conv(x, w, options)));
        }
      },
    );
  }

  it('runs 1-D, 2-D and 3-D from the weight and takes a weight that is a view', () => {
    const rng = createRng(1106);
    for (const spatial of [[9], [5, 6], [3, 4, 5]]) {
      const x = rng.normalTensor([2, 3, ...spatial]);
      const w = rng.normalTensor([4, 3, ...spatial.map(() => 2)]);
      const out = zeros([2, 4, ...spatial.map((s) => s - 1)]);
      expect(bits(convInto(out, x, w))).toEqual(bits(conv(x, w)));
    }
    const x = rng.normalTensor([1, 2, 5, 5]);
    const wT = rng.normalTensor([2, 3, 3, 3]).permute([1, 0, 2, 3]); // [3, 2, 3, 3], strided
    expect(bits(convInto(zeros([1, 3, 3, 3]), x, wT))).toEqual(bits(conv(x, wT)));
  });
});

describe('the WebAssembly kernels write into out themselves (no fresh result to copy)', () => {
  const rng = createRng(1107);
  // [name, geometry] pairs each algorithm runs, through its direct (not fallback) route.
  const cases: [ConvAlgorithmName, ConvGeometry][] = [
    // The implicit product (output rows of 32) and its stride-1 input gradient; then a
    // strided one: the packed lowered product (rows of 5, too short) and the folded gradient.
    [
      'wasm',
      convGeometry({ batch: 2, inChannels: 3, outChannels: 8, inputSpatial: [6, 34], kernelSize: [3, 3] }),
    ],
    [
      'wasm',
      convGeometry({
        batch: 2,
        inChannels: 5,
        outChannels: 6,
        inputSpatial: [9, 9],
        kernelSize: [3, 3],
        stride: 2,
        padding: 1,
      }),
    ],
    [
      'winograd',
      convGeometry({
        batch: 2,
        inChannels: 4,
        outChannels: 8,
        inputSpatial: [10, 10],
        kernelSize: [3, 3],
        padding: 1,
      }),
    ],
    [
      'depthwise',
      convGeometry({
        batch: 2,
        inChannels: 6,
        outChannels: 6,
        groups: 6,
        inputSpatial: [9, 9],
        kernelSize: [3, 3],
        padding: 1,
      }),
    ],
  ];
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(
      `wasm, winograd and depthwise return out, forward and input gradient (${build})`,
      () => {
        initWasmSync({ build });
        for (const [name, g] of cases) {
          const kernels = convKernelsFor('conv2d', name, g, 'forward');
          const x = rng.normalTensor(g.inputShape).data;
          const w = rng.normalTensor(g.weightShape).data;
          const b = rng.normalTensor([g.outChannels]).data;
          const gy = rng.normalTensor(g.outputShape).data;
          const out = new Float32Array(g.batch * g.outChannels * g.outputVolume).fill(Number.NaN);
          expect(kernels.conv(x, w, b, g, out)).toBe(out);
          expect(Array.from(out)).toEqual(Array.from(kernels.conv(x, w, b, g)));
          const gradIn = new Float32Array(g.batch * g.inChannels * g.inputVolume).fill(Number.NaN);
          expect(kernels.convBackwardInput(gy, w, g, gradIn)).toBe(gradIn);
          expect(Array.from(gradIn)).toEqual(Array.from(kernels.convBackwardInput(gy, w, g)));
        }
        // The channels-last depthwise kernel too.
        const g = convGeometry({
          batch: 2,
          inChannels: 8,
          outChannels: 8,
          groups: 8,
          inputSpatial: [7, 7],
          kernelSize: [3, 3],
          padding: 1,
          layout: 'channels-last',
        });
        const kernels = convKernelsFor('conv2d', 'depthwise', g, 'forward');
        const x = rng.normalTensor(g.inputShape).data;
        const w = rng.normalTensor(g.weightShape).data;
        const out = new Float32Array(2 * 7 * 7 * 8).fill(Number.NaN);
        expect(kernels.convChannelsLast?.(x, w, null, g, out)).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(kernels.convChannelsLast?.(x, w, null, g) ?? []));
      },
    );
  }
});

/** What fn threw (failing the test when it did not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('convInto: bad out', () => {
  const rng = createRng(1201);
  const x = rng.normalTensor([2, 3, 6, 6]);
  const w = rng.normalTensor([4, 3, 3, 3]);
  const bias = rng.normalTensor([4]);

  it('wrong shape: names the op, the argument, the expected and the given shape', () => {
    const e = thrown(() => convInto(zeros([2, 4, 4, 5]), x, w));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/^convInto: out must be a contiguous float32 Tensor of shape \[2, 4, 4, 4\]/);
    expect(e.message).toContain('got a Tensor of shape [2, 4, 4, 5]');
    // The shape in the call's layout: [N, H, W, C] for channels-last.
    const xLast = x.permute([0, 2, 3, 1]).contiguous();
    const w5 = rng.normalTensor([5, 3, 3, 3]);
    const last = thrown(() => convInto(zeros([2, 5, 4, 4]), xLast, w5, { layout: 'channels-last' }));
    expect(last.message).toContain('of shape [2, 4, 4, 5]');
    expect(last.message).toContain('got a Tensor of shape [2, 5, 4, 4]');
    const outLast = zeros([2, 4, 4, 5]);
    expect(convInto(outLast, xLast, w5, { layout: 'channels-last' })).toBe(outLast);
    const flat = thrown(() => convInto(zeros([128]), x, w));
    expect(flat.message).toContain('got a Tensor of shape [128]');
  });

  it('a non-contiguous view', () => {
    const view = zeros([2, 4, 4, 4]).permute([0, 1, 3, 2]);
    const e = thrown(() => convInto(view, x, w));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('convInto: out must be a contiguous float32 Tensor');
    expect(e.message).toContain('non-contiguous view');
    const sliced = zeros([2, 4, 4, 8]);
    const strided = new Tensor(sliced.data, [2, 4, 4, 4], [128, 32, 8, 2]);
    expect(thrown(() => convInto(strided, x, w)).message).toContain('non-contiguous view');
  });

  it('float64 or not a tensor', () => {
    const f64 = thrown(() => convInto(new Float64Array(128) as unknown as Tensor, x, w));
    expect(f64).toBeInstanceOf(ArgumentError);
    expect(f64.message).toContain('got Float64Array object');
    expect(f64.message).toContain('the kernels write float32');
    const fake = { data: new Float64Array(128), shape: [2, 4, 4, 4], strides: [64, 16, 4, 1], offset: 0 };
    const e = thrown(() => convInto(fake as unknown as Tensor, x, w));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('an object whose data is Float64Array object');
    for (const bad of [null, undefined, 3, new Float32Array(128), 'out']) {
      expect(() => convInto(bad as unknown as Tensor, x, w)).toThrow(ArgumentError);
    }
    expect(thrown(() => convInto(null as unknown as Tensor, x, w)).message).toContain('got null');
  });

  it('memory shared with the input, the weight or the bias', () => {
    const shared = new Float32Array(800);
    const input = new Tensor(shared, [2, 3, 6, 6]); // elements 0..215
    const weight = new Tensor(shared.subarray(216), [4, 3, 3, 3]); // 216..323
    const b = new Tensor(shared.subarray(324), [4]); // 324..327
    for (const [name, offset] of [
      ['input', 100],
      ['weight', 250],
      ['bias', 327],
    ] as const) {
      const out = new Tensor(shared, [2, 4, 4, 4], undefined, offset);
      const e = thrown(() => convInto(out, input, weight, { bias: b }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toContain(`convInto: out must not share memory with ${name}`);
    }
    // Right after the bias in the same buffer: fine.
    const after = new Float32Array(1000);
    after.set(shared);
    const input2 = new Tensor(after, [2, 3, 6, 6]);
    const out = new Tensor(after, [2, 4, 4, 4], undefined, 328);
    expect(convInto(out, input2, w, { bias })).toBe(out);
    expect(bits(out)).toEqual(bits(conv(input2, w, { bias })));
    // Through another view of the same memory (a Float32Array over the ArrayBuffer).
    const alias = new Tensor(new Float32Array(input2.data.buffer, 0, 128), [2, 4, 4, 4]);
    expect(thrown(() => convInto(alias, input2, w)).message).toContain('must not share memory with input');
  });

  it('the arguments of conv are checked as conv checks them, named convInto', () => {
    const e = thrown(() => convInto(zeros([2, 4, 4, 4]), x, rng.normalTensor([4, 2, 3, 3])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/^convInto/);
    expect(() => convInto(zeros([2, 4, 4, 4]), x, w, { algorithm: 'nope' })).toThrow(/^convInto/);
  });
});

describe('convBackward gradients.inputGradientInto: bad values', () => {
  const rng = createRng(1301);
  const x = rng.normalTensor([2, 3, 6, 6]);
  const w = rng.normalTensor([4, 3, 3, 3]);
  const gy = rng.normalTensor([2, 4, 4, 4]);

  it('with inputGradient: false', () => {
    const e = thrown(() =>
      convBackward(gy, x, w, {}, { inputGradient: false, inputGradientInto: zeros([2, 3, 6, 6]) }),
    );
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('convBackward: gradients.inputGradientInto must be left out');
  });

  it('wrong shape, non-contiguous, float64, overlapping', () => {
    const shape = thrown(() => convBackward(gy, x, w, {}, { inputGradientInto: zeros([2, 3, 6, 5]) }));
    expect(shape).toBeInstanceOf(ArgumentError);
    expect(shape.message).toContain(
      "convBackward: gradients.inputGradientInto must be a contiguous float32 Tensor of shape [2, 3, 6, 6] (the input's shape), got a Tensor of shape [2, 3, 6, 5]",
    );
    const view = zeros([2, 3, 6, 6]).permute([0, 1, 3, 2]);
    expect(thrown(() => convBackward(gy, x, w, {}, { inputGradientInto: view })).message).toContain(
      'non-contiguous view',
    );
    const f64 = new Float64Array(216) as unknown as Tensor;
    expect(() => convBackward(gy, x, w, {}, { inputGradientInto: f64 })).toThrow(ArgumentError);
    // Each operand moved into a buffer that the gradient's block shares.
    const roles = ['gradOutput', 'input', 'weight'] as const;
    for (const role of roles) {
      const shared = new Float32Array(400);
      const operands = { gradOutput: gy, input: x, weight: w };
      const moved = operands[role];
      shared.set(moved.data);
      operands[role] = new Tensor(shared, moved.shape);
      const into = new Tensor(shared, [2, 3, 6, 6], undefined, 100);
      const e = thrown(() =>
        convBackward(operands.gradOutput, operands.input, operands.weight, {}, { inputGradientInto: into }),
      );
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toContain(`gradients.inputGradientInto must not share memory with ${role}`);
    }
  });
});
