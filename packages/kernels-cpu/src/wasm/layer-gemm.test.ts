import {
  ArgumentError,
  assertClose,
  createRng,
  getMemoryLimit,
  ResourceError,
  setMemoryLimit,
  tensor,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { gemmReference } from '../gemm-reference';
import { layerGemm } from './layer-gemm';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm-runtime';

// A switch that hides the WebAssembly kernels from layerGemm, to test its TypeScript fallback.
const state = vi.hoisted(() => ({ hideWasm: false }));
vi.mock('./wasm-runtime', async (importOriginal) => {
  const original = await importOriginal<typeof import('./wasm-runtime')>();
  return { ...original, wasmKernels: () => (state.hideWasm ? null : original.wasmKernels()) };
});

const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  state.hideWasm = false;
  initWasmSync();
});

function randomArray(rng: ReturnType<typeof createRng>, length: number): Float32Array {
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.normal();
  return data;
}

function checkAgainstReference(seed: number, numRuns: number): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 37 }),
      fc.integer({ min: 1, max: 41 }),
      fc.integer({ min: 1, max: 290 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (m, n, k, transA, transB, s) => {
        const rng = createRng(s);
        const a = randomArray(rng, m * k);
        const b = randomArray(rng, k * n);
        const got = layerGemm(m, n, k, a, b, { transA, transB });
        const want = new Float32Array(m * n);
        gemmReference(m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, want, 0, n, { transA, transB });
        assertClose(tensor(got, [m, n]), tensor(want, [m, n]), { atol: 1e-4, rtol: 1e-4 });
      },
    ),
    { numRuns, seed },
  );
}

describe('layerGemm', () => {
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(`matches gemmReference on random shapes and transposes [${build}]`, () => {
      initWasmSync({ build });
      checkAgainstReference(31, 150);
    });
  }

  it('matches gemmReference through the TypeScript gemm when WebAssembly is not loaded', () => {
    state.hideWasm = true;
    try {
      checkAgainstReference(32, 60);
    } finally {
      state.hideWasm = false;
    }
  });

  /** options.into against the fresh product, bit for bit, on random shapes. */
  function checkInto(seed: number, numRuns: number): void {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 41 }),
        fc.integer({ min: 0, max: 290 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (m, n, k, transA, transB, offset, s) => {
          const rng = createRng(s);
          const a = randomArray(rng, m * k);
          const b = randomArray(rng, k * n);
          // A recycled block inside a larger buffer, full of NaN: never read.
          const backing = new Float32Array(offset + m * n + 2).fill(Number.NaN);
          const into = backing.subarray(offset, offset + m * n);
          const got = layerGemm(m, n, k, a, b, { transA, transB, into });
          expect(got).toBe(into);
          const want = layerGemm(m, n, k, a, b, { transA, transB });
          expect(Array.from(new Uint32Array(got.slice().buffer))).toEqual(
            Array.from(new Uint32Array(want.buffer)),
          );
          expect(Number.isNaN(backing[offset + m * n]!)).toBe(true);
          if (offset > 0) expect(Number.isNaN(backing[offset - 1]!)).toBe(true);
        },
      ),
      { numRuns, seed },
    );
  }

  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(`writes into options.into the bits of the fresh product [${build}]`, () => {
      initWasmSync({ build });
      checkInto(33, 80);
    });
  }

  it('writes into options.into through the TypeScript gemm too', () => {
    state.hideWasm = true;
    try {
      checkInto(34, 40);
    } finally {
      state.hideWasm = false;
    }
  });

  it('refuses a bad options.into: wrong length or type, memory shared with a or b', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(9);
    expect(() => layerGemm(2, 3, 3, a, b, { into: new Float32Array(5) })).toThrow(
      /layerGemm: options.into must be a Float32Array of m \* n = 6 values, got Float32Array of length 5/,
    );
    expect(() => layerGemm(2, 3, 3, a, b, { into: new Float64Array(6) as never })).toThrow(
      /layerGemm: options.into must be a Float32Array of m \* n = 6 values, got Float64Array object/,
    );
    expect(() => layerGemm(2, 3, 3, a, b, { into: [0, 0, 0, 0, 0, 0] as never })).toThrow(ArgumentError);
    const shared = new Float32Array(20);
    const a2 = shared.subarray(0, 6);
    const b2 = shared.subarray(6, 15);
    expect(() => layerGemm(2, 3, 3, a2, b2, { into: shared.subarray(4, 10) })).toThrow(
      /layerGemm: options.into must not share memory with a/,
    );
    expect(() => layerGemm(2, 3, 3, a2, b2, { into: shared.subarray(14, 20) })).toThrow(
      /layerGemm: options.into must not share memory with b/,
    );
    // Right after b in the same buffer: fine.
    const wider = new Float32Array(21);
    const next = wider.subarray(15, 21);
    expect(layerGemm(2, 3, 3, wider.subarray(0, 6), wider.subarray(6, 15), { into: next })).toBe(next);
  });

  it('zeros options.into for an empty inner dimension', () => {
    const into = new Float32Array(6).fill(Number.NaN);
    expect(layerGemm(2, 3, 0, new Float32Array(0), new Float32Array(0), { into })).toBe(into);
    expect(Array.from(into)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('covers the Linear layer shapes of the Fashion-MNIST model (all three products)', () => {
    const rng = createRng(4);
    const [rows, inF, outF] = [9, 3136, 13];
    const x = randomArray(rng, rows * inF);
    const w = randomArray(rng, outF * inF);
    const g = randomArray(rng, rows * outF);
    const products: [number, number, number, Float32Array, Float32Array, boolean, boolean][] = [
      [rows, outF, inF, x, w, false, true], // y = x W^T
      [rows, inF, outF, g, w, false, false], // gx = g W
      [outF, inF, rows, g, x, true, false], // gW = g^T x
    ];
    for (const [m, n, k, a, b, transA, transB] of products) {
      const want = new Float32Array(m * n);
      gemmReference(m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, want, 0, n, { transA, transB });
      assertClose(tensor(layerGemm(m, n, k, a, b, { transA, transB }), [m, n]), tensor(want, [m, n]), {
        atol: 1e-4,
        rtol: 1e-4,
      });
    }
  });

  it('returns zeros for an empty inner dimension and an empty matrix for m or n = 0', () => {
    expect(Array.from(layerGemm(2, 3, 0, new Float32Array(0), new Float32Array(0)))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect(layerGemm(0, 3, 2, new Float32Array(0), new Float32Array(6)).length).toBe(0);
  });

  it('refuses bad arguments with typed errors naming them', () => {
    // m = 2, n = 3, k = 3: a holds 6 values, b 9.
    const a = new Float32Array(6);
    const b = new Float32Array(9);
    expect(layerGemm(2, 3, 3, a, b).length).toBe(6);
    expect(() => layerGemm(-1, 3, 3, a, b)).toThrow(ArgumentError);
    expect(() => layerGemm(2, 3.5, 3, a, b)).toThrow(
      /layerGemm: n must be a non-negative integer, got number 3.5/,
    );
    expect(() => layerGemm(2, 3, 3, a, new Float32Array(5))).toThrow(
      /layerGemm: b must be a Float32Array of k \* n = 9 values, got Float32Array of length 5/,
    );
    expect(() => layerGemm(2, 3, 3, [1, 2, 3, 4, 5, 6] as never, b)).toThrow(
      /layerGemm: a must be a Float32Array/,
    );
    expect(() => layerGemm(2, 3, 3, a, b, { transa: true } as never)).toThrow(ArgumentError);
    expect(() => layerGemm(2, 3, 3, a, b, { transA: 'yes' } as never)).toThrow(/transA/);
    const previous = getMemoryLimit();
    setMemoryLimit(1024);
    try {
      expect(() => layerGemm(100, 100, 1, new Float32Array(100), new Float32Array(100))).toThrow(
        ResourceError,
      );
    } finally {
      setMemoryLimit(previous);
    }
  });
});
