import {
  ArgumentError,
  assertClose,
  createRng,
  getMemoryLimit,
  ResourceError,
  setMemoryLimit,
  tensor,
  UnsupportedError,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { conv, conv2d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { gemmReference } from '../gemm-reference';
import { convCaseTensors, randomConvCase } from '../reference/random-conv-case';
import { wasmGemm } from './wasm-gemm';
import { measureWasmPeak } from './wasm-peak';
import { initWasmSync, type WasmBuild, wasmInfo, wasmKernelsOfBuild, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

/**
 * Convolutions with output rows from 1 to ~44 wide (1-3-D, strides 1-4, dilation 1-2,
 * padding up to 3, groups, bias): the cases that reach every path of the column gathers.
 */
function wideRowCase() {
  return fc
    .record({
      dims: fc.integer({ min: 1, max: 3 }),
      batch: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      inPerGroup: fc.integer({ min: 1, max: 12 }),
      outPerGroup: fc.integer({ min: 1, max: 13 }),
      inH: fc.integer({ min: 1, max: 4 }),
      inW: fc.integer({ min: 1, max: 44 }),
      k: fc.integer({ min: 1, max: 5 }),
      stride: fc.integer({ min: 1, max: 4 }),
      pad: fc.integer({ min: 0, max: 3 }),
      dilation: fc.integer({ min: 1, max: 2 }),
      hasBias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .filter(({ k, pad, dilation, inW, inH }) => {
      const padding = Math.min(pad, k - 1);
      const span = dilation * (k - 1) + 1;
      return inW + 2 * padding >= span && inH + 2 * padding >= span;
    })
    .map(
      ({
        dims,
        batch,
        groups,
        inPerGroup,
        outPerGroup,
        inH,
        inW,
        k,
        stride,
        pad,
        dilation,
        hasBias,
        seed,
      }) => {
        const rng = createRng(seed);
        const spatial = dims === 1 ? [inW] : dims === 2 ? [inH, inW] : [2, inH, inW];
        const kernel = dims === 1 ? [k] : dims === 2 ? [k, k] : [Math.min(k, 2), k, k];
        const input = rng.normalTensor([batch, groups * inPerGroup, ...spatial]);
        const weight = rng.normalTensor([groups * outPerGroup, inPerGroup, ...kernel]);
        const bias = hasBias ? rng.normalTensor([groups * outPerGroup]) : null;
        const options = {
          stride,
          padding: Math.min(pad, k - 1),
          dilation: dims === 3 ? [1, dilation, dilation] : dilation,
          groups,
          bias,
        };
        return { input, weight, options, seed };
      },
    );
}

function randomArray(rng: ReturnType<typeof createRng>, length: number): Float32Array {
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.normal();
  return data;
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`wasm kernels [${build}]`, () => {
    it('the packed 4x8 GEMM matches gemmReference on random shapes, transposes and tails', () => {
      const kernels = wasmKernelsOfBuild(build);
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 300 }),
          fc.boolean(),
          fc.boolean(),
          fc.constantFrom(0 as const, 1 as const),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (m, n, k, transA, transB, beta, seed) => {
            const rng = createRng(seed);
            const a = randomArray(rng, m * k);
            const b = randomArray(rng, k * n);
            const c = randomArray(rng, m * n);
            const want = c.slice();
            wasmGemm(kernels, m, n, k, a, b, c, { transA, transB, beta });
            gemmReference(m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, want, 0, n, {
              transA,
              transB,
              beta,
            });
            assertClose(tensor(c, [m, n]), tensor(want, [m, n]), { atol: 1e-4, rtol: 1e-4 });
          },
        ),
        { numRuns: 200, seed: 801 },
      );
    });

    it('the GEMM crosses every block boundary (m > 96, n > 512, k > 256) and never reads C when beta = 0', () => {
      const kernels = wasmKernelsOfBuild(build);
      const rng = createRng(5);
      const [m, n, k] = [103, 530, 517];
      const a = randomArray(rng, m * k);
      const b = randomArray(rng, k * n);
      const c = new Float32Array(m * n).fill(Number.NaN);
      const want = new Float32Array(m * n);
      wasmGemm(kernels, m, n, k, a, b, c);
      gemmReference(m, n, k, a, 0, k, b, 0, n, want, 0, n);
      assertClose(tensor(c, [m, n]), tensor(want, [m, n]), { atol: 1e-4, rtol: 1e-4 });
    });

    it('convolution (forward and backward) matches the reference on random geometries', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(randomConvCase(false), (c) => {
          const { input, weight, bias, gradOutput } = convCaseTensors(c);
          const options = { ...c.options, bias };
          assertClose(
            conv(input, weight, { ...options, algorithm: 'wasm' }),
            conv(input, weight, { ...options, algorithm: 'reference' }),
          );
          const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'wasm' });
          const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
          assertClose(got.gradInput, want.gradInput);
          assertClose(got.gradWeight, want.gradWeight);
          assertClose(got.gradBias, want.gradBias);
        }),
        { numRuns: 300, seed: 802 },
      );
    });

    it('transposed convolution (forward and backward) matches the reference on random geometries', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(randomConvCase(true), (c) => {
          const { input, weight, bias, gradOutput } = convCaseTensors(c);
          const options = { ...c.options, bias };
          assertClose(
            convTranspose(input, weight, { ...options, algorithm: 'wasm' }),
            convTranspose(input, weight, { ...options, algorithm: 'reference' }),
          );
          const got = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'wasm' });
          const want = convTransposeBackward(gradOutput, input, weight, {
            ...options,
            algorithm: 'reference',
          });
          assertClose(got.gradInput, want.gradInput);
          assertClose(got.gradWeight, want.gradWeight);
          assertClose(got.gradBias, want.gradBias);
        }),
        { numRuns: 200, seed: 803 },
      );
    });

    it('the forward gather matches the reference on wide rows: every panel path, strides 1-4, edges, K blocks', () => {
      initWasmSync({ build });
      // Output widths from 1 to ~40 reach each way the B panels are gathered: a panel inside one
      // output row (vector quads), a half inside one row, value by value (row breaks, tails);
      // stride 1 and 2 have vector paths, 3 and 4 the general one; padding up to 3 makes edges.
      fc.assert(
        fc.property(wideRowCase(), ({ input, weight, options }) => {
          assertClose(
            conv(input, weight, { ...options, algorithm: 'wasm' }),
            conv(input, weight, { ...options, algorithm: 'reference' }),
          );
        }),
        { numRuns: 150, seed: 804 },
      );
    });

    it('the weight gradient matches the reference on wide rows (A panels gathered four positions at a time)', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(wideRowCase(), ({ input, weight, options, seed }) => {
          const reference = conv(input, weight, { ...options, algorithm: 'reference' });
          const gradOutput = createRng(seed + 1).normalTensor([...reference.shape]);
          const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'wasm' });
          const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
          assertClose(got.gradWeight, want.gradWeight);
          assertClose(got.gradInput, want.gradInput);
        }),
        { numRuns: 60, seed: 805 },
      );
    });

    it('applies the bias once across K blocks and row blocks (depth > 256, C_out > 96, tails)', () => {
      initWasmSync({ build });
      const rng = createRng(11);
      const cases = [
        { x: [1, 35, 9, 21], w: [101, 35, 3, 3], options: { padding: 1 } },
        { x: [2, 300, 5, 7], w: [99, 300, 1, 1], options: {} },
        { x: [1, 3, 30, 30], w: [13, 3, 7, 7], options: { padding: 3, stride: 2 } },
      ];
      for (const { x, w, options } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        const bias = rng.normalTensor([w[0]!]);
        assertClose(
          conv2d(input, weight, { ...options, bias, algorithm: 'wasm' }),
          conv2d(input, weight, { ...options, bias, algorithm: 'reference' }),
        );
      }
    });

    it('the input gradient crosses column tiles (depth 576: tiles of 256 positions; depth 45: 2912)', () => {
      initWasmSync({ build });
      const rng = createRng(12);
      const cases = [
        { x: [1, 64, 20, 21], w: [8, 64, 3, 3], options: { padding: 1 } },
        { x: [2, 5, 61, 60], w: [6, 5, 3, 3], options: { padding: 1, stride: 1 } },
      ];
      for (const { x, w, options } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        const gradOutput = rng.normalTensor([...conv2d(input, weight, options).shape]);
        const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'wasm' });
        const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradInput, want.gradInput);
      }
    });

    it('handles one channel, many channels and odd sizes', () => {
      initWasmSync({ build });
      const rng = createRng(9);
      const cases = [
        { x: [1, 1, 7, 5], w: [1, 1, 3, 3], options: { padding: 1 } },
        { x: [2, 300, 3, 4], w: [70, 300, 2, 2], options: { stride: 1 } },
        {
          x: [1, 13, 11, 9],
          w: [29, 13, 5, 3],
          options: { padding: [2, 1], stride: [2, 1], dilation: [1, 2] },
        },
        { x: [3, 8, 1, 1], w: [5, 8, 1, 1], options: {} },
      ];
      for (const { x, w, options } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        assertClose(
          conv2d(input, weight, { ...options, algorithm: 'wasm' }),
          conv2d(input, weight, { ...options, algorithm: 'reference' }),
        );
      }
    });
  });
}

describe('wasm runtime', () => {
  it('reports the builds this engine validates and the one it runs', () => {
    const info = initWasmSync();
    expect(info.supported.simd).toBe(true);
    expect(info.build).toBe(info.supported.relaxedSimd ? 'relaxed-simd' : 'simd');
    expect(wasmInfo().memoryBytes).toBeGreaterThan(0);
  });

  it('keeps memory flat over 1000 calls of one shape', () => {
    initWasmSync();
    const rng = createRng(3);
    const x = rng.normalTensor([1, 8, 12, 12]);
    const w = rng.normalTensor([16, 8, 3, 3]);
    conv2d(x, w, { padding: 1, algorithm: 'wasm' });
    const before = wasmInfo().memoryBytes;
    for (let i = 0; i < 1000; i++) conv2d(x, w, { padding: 1, algorithm: 'wasm' });
    expect(wasmInfo().memoryBytes).toBe(before);
  });

  it('refuses a working set over the memory budget with a ResourceError', () => {
    const limit = getMemoryLimit();
    setMemoryLimit(1 << 20);
    try {
      const x = createRng(1).normalTensor([1, 64, 64, 64]);
      const w = createRng(2).normalTensor([8, 64, 3, 3]);
      let error: unknown;
      try {
        conv2d(x, w, { algorithm: 'wasm' });
      } catch (e) {
        error = e;
      }
      expect(ResourceError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/conv2d: .*WebAssembly working memory.*setMemoryLimit/);
    } finally {
      setMemoryLimit(limit);
    }
  });

  it('names the build options it accepts', () => {
    expect(() => initWasmSync({ build: 'avx' as never })).toThrow(
      "initWasmSync: build must be 'auto', 'simd' or 'relaxed-simd', got avx",
    );
    if (!wasmSupport().relaxedSimd) {
      expect(() => initWasmSync({ build: 'relaxed-simd' })).toThrow(UnsupportedError);
      expect(() => wasmKernelsOfBuild('relaxed-simd')).toThrow(UnsupportedError);
    }
    expect(() => wasmKernelsOfBuild('avx' as never)).toThrow(
      "wasmKernelsOfBuild: build must be 'auto', 'simd' or 'relaxed-simd', got avx",
    );
    // No argument or 'auto': the build the ops load here.
    expect(wasmKernelsOfBuild(undefined as never)).toBe(wasmKernelsOfBuild('auto'));
  });

  it('measures the peak of the build asked, or of the preferred one, and checks its arguments', () => {
    expect(measureWasmPeak(undefined, 20)).toBeGreaterThan(0);
    expect(measureWasmPeak('simd', 20)).toBeGreaterThan(0);
    expect(() => measureWasmPeak('avx' as never, 20)).toThrow(ArgumentError);
    expect(() => measureWasmPeak('simd', 0)).toThrow(
      'measureWasmPeak: milliseconds must be a positive finite number, got number 0',
    );
    expect(() => measureWasmPeak('simd', Number.NaN)).toThrow(ArgumentError);
  });
});
