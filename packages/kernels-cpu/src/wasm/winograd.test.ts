import {
  assertClose,
  type ConvGeometry,
  convGeometry,
  createRng,
  getMemoryLimit,
  LAYOUTS,
  PADDING_MODES,
  type Padding,
  type PaddingMode,
  ResourceError,
  setMemoryLimit,
  type Tensor,
  tensor,
  UnsupportedError,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../../tooling/goldens/load';
import { convAlgorithmLimit, selectConvAlgorithm } from '../algorithms';
import { conv, conv1d, conv2d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import type { ConvAlgorithm, ConvOptions, ConvTransposeOptions } from '../options';
import { type ConvCase, convCaseTensors } from '../reference/random-conv-case';
import { initWasmSync, type WasmBuild, wasmInfo, wasmSupport } from './wasm-runtime';
import { winogradBlockTiles } from './winograd-block-tiles';
import { winogradLimit } from './winograd-limit';
import { prefersWinograd } from './winograd-preference';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);
const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

afterAll(() => {
  initWasmSync();
});

/**
 * Random problems inside the algorithm's limits: 1-D and 2-D, kernel 3, stride 1, dilation
 * 1-3, every padding form and mode, groups, 1-12 channels per group, sizes from 1 up to a few
 * tiles (partial tiles on every edge), batch, bias, both layouts.
 */
function winogradCase(transposed: boolean): fc.Arbitrary<ConvCase> {
  return fc
    .integer({ min: 1, max: 2 })
    .chain((dims) => {
      const perDim = (min: number, max: number) =>
        fc.array(fc.integer({ min, max }), { minLength: dims, maxLength: dims });
      const amount = fc.integer({ min: 0, max: 4 });
      const paddingForms: fc.Arbitrary<Padding>[] = [
        amount,
        fc.array(amount, { minLength: dims, maxLength: dims }),
        fc.constant('valid' as const),
      ];
      if (!transposed) {
        paddingForms.push(fc.array(fc.tuple(amount, amount), { minLength: dims, maxLength: dims }));
        paddingForms.push(fc.constant('same' as const));
      }
      return fc.record({
        dims: fc.constant(dims),
        batch: fc.integer({ min: 1, max: 3 }),
        groups: fc.integer({ min: 1, max: 3 }),
        inPerGroup: fc.integer({ min: 1, max: 12 }),
        outPerGroup: fc.integer({ min: 1, max: 12 }),
        inputSpatial: perDim(1, dims === 1 ? 40 : 14),
        dilation: perDim(1, 3),
        padding: fc.oneof(...paddingForms),
        paddingMode: transposed ? fc.constant<PaddingMode>('zeros') : fc.constantFrom(...PADDING_MODES),
        outputPaddingDraw: perDim(0, 2),
        layout: fc.constantFrom(...LAYOUTS),
        hasBias: fc.boolean(),
        seed: fc.integer({ min: 0, max: 0x7fffffff }),
      });
    })
    .map((draw): ConvCase | null => {
      const base = {
        stride: draw.inputSpatial.map(() => 1),
        dilation: draw.dilation,
        groups: draw.groups,
        layout: draw.layout,
      };
      const options = transposed
        ? {
            ...base,
            padding: draw.padding as Exclude<Padding, 'same'>,
            outputPadding: draw.outputPaddingDraw.map((v, d) => v % draw.dilation[d]!),
          }
        : { ...base, padding: draw.padding, paddingMode: draw.paddingMode };
      try {
        const geometry = convGeometry({
          ...options,
          transposed,
          batch: draw.batch,
          inChannels: draw.groups * draw.inPerGroup,
          outChannels: draw.groups * draw.outPerGroup,
          inputSpatial: draw.inputSpatial,
          kernelSize: 3,
        });
        return { transposed, options, geometry, hasBias: draw.hasBias, seed: draw.seed };
      } catch {
        return null; // an empty output or too much reflect padding
      }
    })
    .filter((c): c is ConvCase => c !== null);
}

/**
 * A case's tensors with the weight at PyTorch's scale (1/sqrt(fan-in), fan-in over the larger
 * channel side), where the kernels run Winograd rather than falling back to the direct sum
 * (unit-variance weights with many channels would put the transforms' rounding near the
 * tolerance; that fallback has its own test).
 */
function scaledTensors(c: ConvCase) {
  const tensors = convCaseTensors(c);
  const g = c.geometry;
  const fanIn = Math.max(g.inChannelsPerGroup, g.outChannelsPerGroup) * g.kernelVolume;
  const w = tensors.weight.contiguous();
  const data = Float32Array.from(w.data, (v) => v / Math.sqrt(fanIn));
  return { ...tensors, weight: tensor(data, [...w.shape]) };
}

function expectConvMatches(c: ConvCase): void {
  const { input, weight, bias, gradOutput } = scaledTensors(c);
  const options = { ...c.options, bias };
  const run = c.transposed
    ? (algorithm: ConvAlgorithm) => {
        const o = { ...options, algorithm } as ConvTransposeOptions;
        return [convTranspose(input, weight, o), convTransposeBackward(gradOutput, input, weight, o)];
      }
    : (algorithm: ConvAlgorithm) => {
        const o = { ...options, algorithm } as ConvOptions;
        return [conv(input, weight, o), convBackward(gradOutput, input, weight, o)];
      };
  const [gotY, got] = run('winograd') as [
    Tensor,
    { gradInput: Tensor; gradWeight: Tensor; gradBias: Tensor },
  ];
  const [wantY, want] = run('reference') as [
    Tensor,
    { gradInput: Tensor; gradWeight: Tensor; gradBias: Tensor },
  ];
  assertClose(gotY, wantY, { ...TOLERANCE, label: 'output' });
  assertClose(got.gradInput, want.gradInput, { ...TOLERANCE, label: 'gradInput' });
  assertClose(got.gradWeight, want.gradWeight, { ...TOLERANCE, label: 'gradWeight' });
  assertClose(got.gradBias, want.gradBias, { ...TOLERANCE, label: 'gradBias' });
}

/** [N, C, ...spatial] <-> [N, ...spatial, C] for the channels-last golden runs. */
const toChannelsLast = (t: Tensor) =>
  t.permute([0, ...Array.from({ length: t.shape.length - 2 }, (_, i) => i + 2), 1]).contiguous();
const fromChannelsLast = (t: Tensor) =>
  t.permute([0, t.shape.length - 1, ...Array.from({ length: t.shape.length - 2 }, (_, i) => i + 1)]);

function goldenGeometry(c: GoldenCase): ConvGeometry {
  const weight = c.tensors.weight!;
  const input = c.tensors.input!;
  const transposed = c.op === 'convTranspose';
  const o = c.options as Record<string, never>;
  return convGeometry({
    transposed,
    batch: input.shape[0]!,
    inChannels: input.shape[1]!,
    outChannels: transposed ? weight.shape[1]! * (o.groups ?? 1) : weight.shape[0]!,
    inputSpatial: input.shape.slice(2),
    kernelSize: weight.shape.slice(2),
    stride: o.stride,
    padding: o.padding,
    dilation: o.dilation,
    groups: o.groups,
    outputPadding: o.outputPadding,
    paddingMode: o.paddingMode,
  });
}

/** Runs a golden case (forward and gradients) with 'winograd' in one layout; false if outside the limits. */
function runGolden(c: GoldenCase, layout: 'channels-first' | 'channels-last'): boolean {
  if (winogradLimit(goldenGeometry(c)) !== null) return false;
  const transposed = c.op === 'convTranspose';
  const last = layout === 'channels-last';
  const x = last ? toChannelsLast(c.tensors.input!) : c.tensors.input!;
  const back = (t: Tensor) => (last ? fromChannelsLast(t) : t);
  const options = { ...c.options, bias: c.tensors.bias ?? null, layout, algorithm: 'winograd' };
  const weight = c.tensors.weight!;
  const y = transposed ? convTranspose(x, weight, options) : conv(x, weight, options);
  assertClose(back(y), c.tensors.output!, { ...TOLERANCE, label: `${c.name} output` });
  const gy = c.tensors.gradOutput;
  if (!gy) return true;
  const gyl = last ? toChannelsLast(gy) : gy;
  const grads = transposed
    ? convTransposeBackward(gyl, x, weight, options)
    : convBackward(gyl, x, weight, options);
  assertClose(back(grads.gradInput), c.tensors.gradInput!, { ...TOLERANCE, label: `${c.name} gradInput` });
  assertClose(grads.gradWeight, c.tensors.gradWeight!, { ...TOLERANCE, label: `${c.name} gradWeight` });
  if (c.tensors.gradBias) {
    assertClose(grads.gradBias, c.tensors.gradBias, { ...TOLERANCE, label: `${c.name} gradBias` });
  }
  return true;
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`winograd [${build}]`, () => {
    it('convolution (forward, gradInput, gradWeight, gradBias) matches the reference on random geometries', () => {
      initWasmSync({ build });
      fc.assert(fc.property(winogradCase(false), expectConvMatches), { numRuns: 200, seed: 8101 });
    });

    it('stride-1 transposed convolution (forward and backward) matches the reference on random geometries', () => {
      initWasmSync({ build });
      fc.assert(fc.property(winogradCase(true), expectConvMatches), { numRuns: 120, seed: 8102 });
    });

    it('reproduces every stride-1 kernel-3 PyTorch golden in both layouts', () => {
      initWasmSync({ build });
      let ran = 0;
      for (const c of [...loadGoldens('conv').cases, ...loadGoldens('conv-transpose').cases]) {
        for (const layout of ['channels-first', 'channels-last'] as const) if (runGolden(c, layout)) ran++;
      }
      expect(ran).toBeGreaterThanOrEqual(10);
    });

    it('keeps NaN and infinities where the direct sum has them (those calls run the direct sum)', () => {
      initWasmSync({ build });
      const rng = createRng(83);
      const x = rng.normalTensor([1, 3, 12, 13]);
      const w = rng.normalTensor([4, 3, 3, 3]);
      const poisoned = x.contiguous().data.slice();
      poisoned[5 * 13 + 6] = Number.NaN;
      poisoned[2 * 12 * 13 + 1] = Number.POSITIVE_INFINITY;
      const xp = tensor(poisoned, [1, 3, 12, 13]);
      const got = conv2d(xp, w, { padding: 1, algorithm: 'winograd' });
      const want = conv2d(xp, w, { padding: 1, algorithm: 'reference' });
      assertClose(got, want, TOLERANCE);
      expect(Array.from(got.data).filter(Number.isFinite).length).toBe(
        Array.from(want.data).filter(Number.isFinite).length,
      );
      const wp = w.contiguous().data.slice();
      wp[4] = Number.NEGATIVE_INFINITY;
      const gy = rng.normalTensor([1, 4, 12, 13]);
      const wInf = tensor(wp, [4, 3, 3, 3]);
      assertClose(
        convBackward(gy, x, wInf, { padding: 1, algorithm: 'winograd' }).gradInput,
        convBackward(gy, x, wInf, { padding: 1, algorithm: 'reference' }).gradInput,
        TOLERANCE,
      );
      assertClose(
        convBackward(gy, xp, w, { padding: 1, algorithm: 'winograd' }).gradWeight,
        convBackward(gy, xp, w, { padding: 1, algorithm: 'reference' }).gradWeight,
        TOLERANCE,
      );
    });

    it('sums the weight gradient over thousands of tiles as exactly as the direct sum needs', () => {
      initWasmSync({ build });
      const rng = createRng(84);
      const cases: [number[], number[], Record<string, unknown>][] = [
        [[2, 24, 48, 48], [24, 24, 3, 3], { padding: 1 }],
        [[1, 16, 45, 47], [16, 16, 3, 3], { padding: 2, dilation: 2 }],
        // Several runs of samples packed together (about 2 MiB of planes each).
        [[5, 64, 40, 40], [16, 64, 3, 3], { padding: 1 }],
        [[4, 32, 700], [48, 32, 3], { padding: 1 }],
        // Few channels over many tiles: float32 blocks as deep as 2 MiB allowed (819 tiles)
        // put this at 1.1-1.2x the tolerance.
        [[4, 16, 112, 112], [16, 16, 3, 3], { padding: 1 }],
      ];
      for (const [xs, ws, options] of cases) {
        const input = rng.uniformTensor(xs, -1, 1);
        const weight = rng.uniformTensor(ws, -0.1, 0.1);
        const gradOutput = rng.uniformTensor(
          [xs[0]!, ws[0]!, ...conv(input, weight, options).shape.slice(2)],
          -1,
          1,
        );
        const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'winograd' });
        const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradWeight, want.gradWeight, {
          ...TOLERANCE,
          label: `gradWeight ${JSON.stringify(xs)}`,
        });
        assertClose(got.gradInput, want.gradInput, {
          ...TOLERANCE,
          label: `gradInput ${JSON.stringify(xs)}`,
        });
      }
    });

    it('runs the direct sum where the data would put the transforms near the tolerance', () => {
      initWasmSync({ build });
      const rng = createRng(88);
      const same = (a: Tensor, b: Tensor) => Array.from(a.data).every((v, i) => v === b.data[i]);
      // Unit-variance weights over 256 channels: outputs near 30, Winograd's rounding near 1e-4.
      const x = rng.normalTensor([4, 256, 40]);
      const unit = rng.normalTensor([64, 256, 3]);
      const got = conv1d(x, unit, { padding: 1, algorithm: 'winograd' });
      expect(same(got, conv1d(x, unit, { padding: 1, algorithm: 'wasm' }))).toBe(true);
      assertClose(got, conv1d(x, unit, { padding: 1, algorithm: 'reference' }), TOLERANCE);
      // The same at PyTorch's weight scale runs Winograd (it differs from the GEMM's rounding).
      const scaled = rng.uniformTensor([64, 256, 3], -1 / Math.sqrt(768), 1 / Math.sqrt(768));
      const fast = conv1d(x, scaled, { padding: 1, algorithm: 'winograd' });
      expect(same(fast, conv1d(x, scaled, { padding: 1, algorithm: 'wasm' }))).toBe(false);
      assertClose(fast, conv1d(x, scaled, { padding: 1, algorithm: 'reference' }), TOLERANCE);
    });

    it('handles one channel, many channels, long rows and every partial tile', () => {
      initWasmSync({ build });
      const rng = createRng(81);
      // Weights at PyTorch's default scale (uniform in ±1/sqrt(fan-in)), as a trained network has.
      const scaled = (shape: number[], fanIn: number) =>
        rng.uniformTensor(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
      const cases2d: [number[], number[], Record<string, unknown>][] = [
        [[1, 1, 1, 1], [1, 1, 3, 3], { padding: 1 }],
        [[1, 1, 9, 10], [1, 1, 3, 3], {}],
        [[2, 300, 6, 5], [70, 300, 3, 3], { padding: 1 }],
        [[1, 64, 30, 29], [64, 64, 3, 3], { padding: 1 }],
        [[1, 64, 23, 25], [64, 64, 3, 3], { padding: 2, dilation: 2 }],
        // 156 tiles in blocks of 24 (the last one of 12).
        [[1, 64, 45, 50], [64, 64, 3, 3], { padding: 1 }],
        [[1, 8, 5, 7], [200, 4, 3, 3], { padding: [3, 0], dilation: [3, 1], groups: 2 }],
      ];
      for (const [x, w, options] of cases2d) {
        const input = rng.uniformTensor(x, -1, 1);
        const weight = scaled(w, w[1]! * 9);
        const bias = rng.uniformTensor([w[0]!], -1, 1);
        assertClose(
          conv2d(input, weight, { ...options, bias, algorithm: 'winograd' }),
          conv2d(input, weight, { ...options, bias, algorithm: 'reference' }),
          { ...TOLERANCE, label: JSON.stringify([x, w, options]) },
        );
      }
      for (const length of [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 1001]) {
        const input = rng.uniformTensor([2, 96, length], -1, 1);
        const weight = scaled([40, 96, 3], 96 * 3);
        for (const options of [{ padding: 1 }, { padding: 2, dilation: 2 }]) {
          assertClose(
            conv1d(input, weight, { ...options, algorithm: 'winograd' }),
            conv1d(input, weight, { ...options, algorithm: 'reference' }),
            { ...TOLERANCE, label: `L ${length} ${JSON.stringify(options)}` },
          );
        }
      }
    });
  });
}

describe('winograd blocks of tiles', () => {
  const perTile2d = (cin: number, cout: number) => 36 * (cin + cout) * 4;
  const weight2d = (cin: number, cout: number) => 36 * Math.ceil(cout / 4) * 4 * cin * 4;

  it('splits the tiles evenly into blocks of a multiple of 8', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 8 }),
        (dims, tiles, cin, cout, groups) => {
          const points = dims === 2 ? 36 : 8;
          const perTile = points * (cin + cout) * 4;
          const block = winogradBlockTiles(
            dims as 1 | 2,
            tiles,
            perTile,
            groups * points * cin * cout * 4,
            groups,
          );
          expect(block % 8).toBe(0);
          expect(block).toBeGreaterThanOrEqual(8);
          expect(block).toBeLessThanOrEqual(Math.max(512, 8));
          const blocks = Math.ceil(tiles / block);
          // Even: every block but the last is full, and the last is more than a block less 8 per block.
          expect(block - tiles / blocks).toBeLessThan(8);
        },
      ),
      { numRuns: 500, seed: 8110 },
    );
  });

  it('keeps small filters in L2 with small blocks and amortises large ones over large blocks', () => {
    // c3x3 (64 -> 64, 196 tiles): 9 blocks of 24 (the last of 4), not 3 of 64 and one of 4.
    expect(winogradBlockTiles(2, 196, perTile2d(64, 64), weight2d(64, 64), 1)).toBe(24);
    // C256 -> 256 over 14x14 (12 MiB of transformed weights): all 16 tiles in one block.
    expect(winogradBlockTiles(2, 16, perTile2d(256, 256), weight2d(256, 256), 1)).toBe(16);
    // C128 -> 128 over 56x56 (784 tiles, 2.3 MiB of weights): 7 blocks of 112, not 6 of 128 and one of 16.
    expect(winogradBlockTiles(2, 784, perTile2d(128, 128), weight2d(128, 128), 1)).toBe(112);
    // conv1d (C256 -> 256, one sample: 171 tiles of F(6, 3)): one block.
    expect(winogradBlockTiles(1, 171, 8 * 512 * 4, 8 * 256 * 256 * 4, 1)).toBe(176);
  });
});

describe('winograd memory', () => {
  it('keeps WebAssembly memory flat over 1000 calls of one shape, forward and backward', () => {
    initWasmSync();
    const rng = createRng(85);
    const x = rng.normalTensor([1, 8, 12, 12]);
    const w = rng.normalTensor([8, 8, 3, 3]);
    const gy = rng.normalTensor([1, 8, 12, 12]);
    conv2d(x, w, { padding: 1, algorithm: 'winograd' });
    convBackward(gy, x, w, { padding: 1, algorithm: 'winograd' });
    const before = wasmInfo().memoryBytes;
    for (let i = 0; i < 1000; i++) {
      conv2d(x, w, { padding: 1, algorithm: 'winograd' });
      if (i % 10 === 0) convBackward(gy, x, w, { padding: 1, algorithm: 'winograd' });
    }
    expect(wasmInfo().memoryBytes).toBe(before);
  });

  it('refuses a working set over the memory budget with a ResourceError naming the op', () => {
    const limit = getMemoryLimit();
    setMemoryLimit(1 << 20);
    try {
      const x = createRng(86).normalTensor([1, 64, 64, 64]);
      const w = createRng(87).normalTensor([8, 64, 3, 3]);
      let error: unknown;
      try {
        conv2d(x, w, { algorithm: 'winograd' });
      } catch (e) {
        error = e;
      }
      expect(ResourceError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/^conv2d: .*WebAssembly working memory/);
    } finally {
      setMemoryLimit(limit);
    }
  });
});

describe('winograd limits', () => {
  const geometry = (args: Record<string, unknown>) =>
    convGeometry({ inChannels: 4, outChannels: 4, inputSpatial: [8, 8], kernelSize: 3, ...args });

  it('accepts stride-1 kernel-3 1-D and 2-D convolutions of every padding, dilation and grouping', () => {
    expect(winogradLimit(geometry({}))).toBeNull();
    expect(
      winogradLimit(geometry({ inputSpatial: [9], padding: 'same', dilation: 3, groups: 2 })),
    ).toBeNull();
    expect(
      winogradLimit(
        geometry({
          padding: [
            [0, 2],
            [1, 1],
          ],
          paddingMode: 'circular',
          groups: 4,
        }),
      ),
    ).toBeNull();
    expect(winogradLimit(geometry({ transposed: true, dilation: 2, outputPadding: 1 }))).toBeNull();
    expect(convAlgorithmLimit('winograd', geometry({}), 'backward')).toBeNull();
  });

  it('names the stride, kernel size or dimensionality it does not run', () => {
    expect(winogradLimit(geometry({ stride: [1, 2] }))).toBe(
      'runs stride-1 convolutions only, got stride [1, 2]',
    );
    expect(winogradLimit(geometry({ kernelSize: [3, 5] }))).toBe(
      'runs kernel size 3 only, got kernel [3, 5]',
    );
    expect(winogradLimit(geometry({ inputSpatial: [4, 4, 4] }))).toBe(
      'runs 1-D and 2-D convolutions only, got 3-D',
    );
    expect(winogradLimit(geometry({ transposed: true, stride: 2 }))).toBe(
      'runs stride-1 convolutions only, got stride [2, 2]',
    );
  });

  it('refuses a call outside its limits with an UnsupportedError naming the op and the reason', () => {
    const rng = createRng(82);
    const x = rng.normalTensor([1, 2, 8, 8]);
    expect(() => conv2d(x, rng.normalTensor([2, 2, 3, 3]), { stride: 2, algorithm: 'winograd' })).toThrow(
      "conv2d: algorithm 'winograd' runs stride-1 convolutions only, got stride [2, 2]",
    );
    expect(() => conv2d(x, rng.normalTensor([2, 2, 1, 1]), { algorithm: 'winograd' })).toThrow(
      UnsupportedError,
    );
    expect(() =>
      convBackward(rng.normalTensor([1, 2, 4, 4]), x, rng.normalTensor([2, 2, 5, 5]), {
        algorithm: 'winograd',
      }),
    ).toThrow("algorithm 'winograd' runs kernel size 3 only, got kernel [5, 5]");
  });
});

describe("where 'auto' runs winograd", () => {
  const geometry = (args: Record<string, unknown>) =>
    convGeometry({
      inChannels: 64,
      outChannels: 64,
      inputSpatial: [56, 56],
      kernelSize: 3,
      padding: 1,
      ...args,
    });

  it('picks it for the dense, dilated and 1-D 3-tap convolutions it measured faster (a table)', () => {
    const table: [string, Record<string, unknown>, boolean][] = [
      ['c3x3', {}, true],
      ['dil3x3', { padding: 2, dilation: 2 }, true],
      ['conv1d', { batch: 8, inChannels: 256, outChannels: 256, inputSpatial: [1024] }, true],
      ['stride-1 transposed', { transposed: true }, true],
      [
        'grouped, 16 channels per group',
        { inChannels: 128, outChannels: 128, inputSpatial: [28, 28], groups: 8 },
        true,
      ],
      ['4 channels each side', { inChannels: 4, outChannels: 4 }, true],
      ['3 input channels (an RGB stem)', { inChannels: 3 }, false],
      ['depthwise', { groups: 64 }, false],
      ['16 tiles', { inChannels: 256, outChannels: 256, inputSpatial: [14, 14] }, true],
      ['4 tiles', { inChannels: 256, outChannels: 256, inputSpatial: [7, 7] }, false],
      ['9 tiles', { inChannels: 128, outChannels: 128, inputSpatial: [10, 10] }, false],
      [
        '4 tiles per sample, batch 4',
        { batch: 4, inChannels: 256, outChannels: 256, inputSpatial: [7, 7] },
        true,
      ],
      [
        '4 tiles per sample, batch 2',
        { batch: 2, inChannels: 256, outChannels: 256, inputSpatial: [7, 7] },
        false,
      ],
      ['1-D, 32 channels, 32 tiles', { inChannels: 32, outChannels: 32, inputSpatial: [128] }, true],
      ['1-D, 16 channels', { inChannels: 16, outChannels: 16, inputSpatial: [4096] }, false],
      ['1-D, 16 tiles', { inputSpatial: [64] }, false],
      ['1-D, 16 tiles per sample, batch 2', { batch: 2, inputSpatial: [64] }, true],
      ['stride 2', { stride: 2 }, false],
      ['kernel 5', { kernelSize: 5, padding: 2 }, false],
      ['3-D', { inChannels: 16, outChannels: 16, inputSpatial: [16, 16, 16] }, false],
      ['more channels than measured', { inChannels: 8192, outChannels: 8, inputSpatial: [16, 16] }, false],
    ];
    for (const [name, args, want] of table) {
      const g = geometry(args);
      expect(prefersWinograd(g), name).toBe(want);
      for (const pass of ['forward', 'backward'] as const) {
        if (want) expect(selectConvAlgorithm(g, pass, { wasm: true }), `${name} ${pass}`).toBe('winograd');
        else expect(selectConvAlgorithm(g, pass, { wasm: true }), `${name} ${pass}`).not.toBe('winograd');
      }
    }
  });

  it('never picks it without the WebAssembly kernels', () => {
    expect(selectConvAlgorithm(geometry({}), 'forward', { wasm: false })).not.toBe('winograd');
  });
});
