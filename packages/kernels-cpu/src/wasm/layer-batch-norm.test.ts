import { ArgumentError, createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  layerBatchNormApply,
  layerBatchNormBackward,
  layerBatchNormForward,
  layerBatchNormStats,
} from './layer-batch-norm';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm-runtime';

// A switch that hides the WebAssembly kernels, to test the TypeScript fallback.
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

/** Values with a channel offset and spread (offset up to 20 spreads: the shifted sums matter). */
function activation(rng: ReturnType<typeof createRng>, N: number, C: number, inner: number): Float32Array {
  const x = new Float32Array(N * C * inner);
  const offset = Array.from({ length: C }, () => rng.normal() * 20);
  const spread = Array.from({ length: C }, () => 0.1 + Math.abs(rng.normal()) * 3);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < inner; i++) x[(n * C + c) * inner + i] = offset[c]! + spread[c]! * rng.normal();
  return x;
}

function randoms(rng: ReturnType<typeof createRng>, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

/** The float64 reference: two-pass statistics, and the textbook gradient with xhat. */
function reference(
  g: Float32Array,
  x: Float32Array,
  N: number,
  C: number,
  inner: number,
  w: Float32Array,
  b: Float32Array,
  training: boolean,
) {
  const M = N * inner;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const at = (n: number, c: number, i: number) => (n * C + c) * inner + i;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) s += x[at(n, c, i)]!;
    mean[c] = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) q += (x[at(n, c, i)]! - mean[c]!) ** 2;
    variance[c] = q / M;
  }
  const invstd = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
  const y = new Float64Array(x.length);
  const gx = new Float64Array(x.length);
  const gw = new Float64Array(C);
  const gb = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let sumG = 0;
    let sumGH = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < inner; i++) {
        const k = at(n, c, i);
        const xhat = (x[k]! - mean[c]!) * invstd[c]!;
        y[k] = xhat * w[c]! + b[c]!;
        sumG += g[k]!;
        sumGH += g[k]! * xhat;
      }
    gb[c] = sumG;
    gw[c] = sumGH;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < inner; i++) {
        const k = at(n, c, i);
        const xhat = (x[k]! - mean[c]!) * invstd[c]!;
        gx[k] = training
          ? ((w[c]! * invstd[c]!) / M) * (M * g[k]! - sumG - xhat * sumGH)
          : w[c]! * invstd[c]! * g[k]!;
      }
  }
  return { mean, variance, invstd, y, gx, gw, gb };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (err > 1e-4 + 1e-4 * Math.abs(want[i]!)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]} (error ${err})`);
    }
  }
}

function checkAgainstReference(seed: number, numRuns: number): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 300 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (N, C, inner, training, inPlace, s) => {
        if (N * inner < 2) return;
        const rng = createRng(s);
        const x = activation(rng, N, C, inner);
        const g = randoms(rng, x.length);
        const w = randoms(rng, C);
        const b = randoms(rng, C);
        const want = reference(g, x, N, C, inner, w, b, training);
        const stats = layerBatchNormStats(x, [N, C, inner]);
        expectClose(stats.mean, want.mean, 'mean');
        expectClose(stats.variance, want.variance, 'variance');
        const y = layerBatchNormApply(x, [N, C, inner], {
          mean: want.mean,
          invstd: want.invstd,
          weight: w,
          bias: b,
        });
        expectClose(y, want.y, 'y');
        const fwd = layerBatchNormForward(x, [N, C, inner], {
          weight: w,
          bias: b,
          ...(inPlace ? { out: x.slice() } : {}),
        });
        expectClose(fwd.mean, want.mean, 'forward mean');
        expectClose(fwd.variance, want.variance, 'forward variance');
        expectClose(fwd.invstd, want.invstd, 'forward invstd');
        expectClose(fwd.output, want.y, 'forward y');
        // The same statistics and output as the two separate calls.
        expect(fwd.mean).toEqual(stats.mean);
        expect(fwd.output).toEqual(
          layerBatchNormApply(x, [N, C, inner], { mean: fwd.mean, invstd: fwd.invstd, weight: w, bias: b }),
        );
        const gCopy = g.slice();
        const grads = layerBatchNormBackward(gCopy, x, [N, C, inner], {
          mean: want.mean,
          invstd: want.invstd,
          weight: w,
          training,
          ...(inPlace ? { out: gCopy } : {}),
        });
        if (inPlace) expect(grads.gradInput).toBe(gCopy);
        expectClose(grads.gradInput, want.gx, 'gradInput');
        expectClose(grads.gradWeight, want.gw, 'gradWeight');
        expectClose(grads.gradBias, want.gb, 'gradBias');
      },
    ),
    { numRuns, seed },
  );
}

describe('layerBatchNormStats, layerBatchNormApply, layerBatchNormForward, layerBatchNormBackward', () => {
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(`match the float64 reference on random shapes [${build}]`, () => {
      initWasmSync({ build });
      checkAgainstReference(41, 150);
    });

    it.skipIf(!supported(build))(
      `match it on the Fashion-MNIST model's second layer shape [${build}]`,
      () => {
        initWasmSync({ build });
        const rng = createRng(5);
        const [N, C, inner] = [16, 64, 196];
        const x = activation(rng, N, C, inner);
        const g = randoms(rng, x.length);
        const w = randoms(rng, C);
        const b = randoms(rng, C);
        const want = reference(g, x, N, C, inner, w, b, true);
        const stats = layerBatchNormStats(x, [N, C, inner]);
        expectClose(stats.mean, want.mean, 'mean');
        expectClose(stats.variance, want.variance, 'variance');
        const grads = layerBatchNormBackward(g, x, [N, C, inner], {
          mean: want.mean,
          invstd: want.invstd,
          weight: w,
        });
        expectClose(grads.gradInput, want.gx, 'gradInput');
        expectClose(grads.gradWeight, want.gw, 'gradWeight');
      },
    );
  }

  it('match the reference through the TypeScript loops when WebAssembly is not loaded', () => {
    state.hideWasm = true;
    try {
      checkAgainstReference(42, 60);
    } finally {
      state.hideWasm = false;
    }
  });

  it('default weight 1, bias 0, and take empty tensors in the element-wise maps', () => {
    const x = Float32Array.from([1, 2, 3, 5]);
    const mean = Float64Array.from([2.75]);
    const invstd = Float64Array.from([0.5]);
    expect(Array.from(layerBatchNormApply(x, [1, 1, 4], { mean, invstd }))).toEqual([
      -0.875, -0.375, 0.125, 1.125,
    ]);
    const y = new Float32Array(4);
    expect(layerBatchNormApply(x, [1, 1, 4], { mean, invstd, out: y })).toBe(y);
    const eval_ = layerBatchNormBackward(x, x, [1, 1, 4], { mean, invstd, training: false });
    expect(Array.from(eval_.gradInput)).toEqual([0.5, 1, 1.5, 2.5]);
    const empty = new Float32Array(0);
    expect(
      layerBatchNormApply(empty, [0, 2, 3], { mean: new Float64Array(2), invstd: new Float64Array(2) })
        .length,
    ).toBe(0);
  });

  it('refuse bad arguments with typed errors naming them', () => {
    const x = new Float32Array(6);
    const mean = new Float64Array(2);
    const invstd = new Float64Array(2);
    expect(() => layerBatchNormStats(x, [1, 2] as never)).toThrow(/layerBatchNormStats: shape must be/);
    expect(() => layerBatchNormStats(x, [0, 2, 3])).toThrow(/batch \* inner > 0/);
    expect(() => layerBatchNormStats(x, [1, 2, 2.5])).toThrow(ArgumentError);
    expect(() => layerBatchNormStats(new Float32Array(5), [1, 2, 3])).toThrow(
      /layerBatchNormStats: x must be a Float32Array of 6 values, got Float32Array of length 5/,
    );
    expect(() => layerBatchNormStats([0, 0, 0, 0, 0, 0] as never, [1, 2, 3])).toThrow(
      /x must be a Float32Array/,
    );
    expect(() => layerBatchNormApply(x, [1, 2, 3], { mean, invstd, scale: 1 } as never)).toThrow(
      ArgumentError,
    );
    expect(() => layerBatchNormApply(x, [1, 2, 3], { mean: new Float32Array(2), invstd } as never)).toThrow(
      /layerBatchNormApply: mean must be a Float64Array of 2 values/,
    );
    expect(() => layerBatchNormApply(x, [1, 2, 3], { mean, invstd, weight: new Float32Array(3) })).toThrow(
      /layerBatchNormApply: weight must be a Float32Array of 2 values/,
    );
    expect(() => layerBatchNormApply(x, [1, 2, 3], { mean, invstd, out: new Float32Array(5) })).toThrow(
      /out must be/,
    );
    expect(() => layerBatchNormApply(x, [1, 2, 3], undefined as never)).toThrow(ArgumentError);
    expect(() => layerBatchNormBackward(new Float32Array(5), x, [1, 2, 3], { mean, invstd })).toThrow(
      /layerBatchNormBackward: gradOutput must be a Float32Array of 6 values/,
    );
    expect(() => layerBatchNormBackward(x, x, [1, 2, 3], { mean, invstd, training: 'yes' } as never)).toThrow(
      /training/,
    );
    expect(() => layerBatchNormBackward(x, x, [1, 2, 3], { invstd } as never)).toThrow(/mean must be/);
    expect(() => layerBatchNormForward(x, [0, 2, 3])).toThrow(/layerBatchNormForward: shape must be/);
    expect(() => layerBatchNormForward(x, [1, 2, 3], { eps: -1 })).toThrow(
      /layerBatchNormForward: eps must be a finite number >= 0, got number -1/,
    );
    expect(() => layerBatchNormForward(x, [1, 2, 3], { eps: '1e-5' } as never)).toThrow(/eps must be/);
    expect(() => layerBatchNormForward(x, [1, 2, 3], { momentum: 0.1 } as never)).toThrow(ArgumentError);
    expect(() => layerBatchNormForward(x, [1, 2, 3], { bias: new Float32Array(1) })).toThrow(/bias must be/);
    expect(layerBatchNormForward(x, [1, 2, 3]).output.length).toBe(6);
  });
});
