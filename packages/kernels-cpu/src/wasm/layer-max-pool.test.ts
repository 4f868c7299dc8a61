import { ArgumentError, createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { layerMaxPool2x2, layerMaxPool2x2Backward } from './layer-max-pool';
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

/** The scan of PyTorch's kernel: window order, `v > best || isnan(v)` replaces, the first NaN stops. */
function reference(x: Float32Array, planes: number, IH: number, IW: number) {
  const OH = IH >> 1;
  const OW = IW >> 1;
  const out = new Float32Array(planes * OH * OW);
  const argmax = new Int32Array(out.length);
  for (let p = 0, q = 0; p < planes; p++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++, q++) {
        let best = Number.NEGATIVE_INFINITY;
        let at = -1;
        scan: for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            const k = (2 * oh + dy) * IW + 2 * ow + dx;
            const v = x[p * IH * IW + k]!;
            if (at < 0 || v > best || Number.isNaN(v)) {
              best = v;
              at = k;
              if (Number.isNaN(v)) break scan;
            }
          }
        out[q] = best;
        argmax[q] = at;
      }
  return { out, argmax };
}

/** Values with many ties, signed zeros, infinities and NaNs among normal ones. */
function values(rng: ReturnType<typeof createRng>, length: number, special: boolean): Float32Array {
  const pool = [0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 2];
  return Float32Array.from({ length }, () => {
    const r = rng.uniform();
    return special && r < 0.3 ? pool[Math.floor(rng.uniform() * pool.length)]! : rng.normal();
  });
}

function check(seed: number, numRuns: number): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 37 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (planes, IH, IW, special, s) => {
        const rng = createRng(s);
        const x = values(rng, planes * IH * IW, special);
        const want = reference(x, planes, IH, IW);
        const got = layerMaxPool2x2(x, [planes, IH, IW]);
        // Bit for bit, -0 and NaN included.
        expect(new Uint32Array(got.output.buffer)).toEqual(new Uint32Array(want.out.buffer));
        expect(got.argmax).toEqual(want.argmax);
        if (IH % 2 !== 0 || IW % 2 !== 0) return;
        const g = values(rng, want.out.length, false);
        const wantGx = new Float32Array(x.length);
        for (let q = 0; q < g.length; q++) {
          const p = Math.floor(q / ((IH >> 1) * (IW >> 1)));
          wantGx[p * IH * IW + want.argmax[q]!] = g[q]!;
        }
        const out = new Float32Array(x.length).fill(7); // stale contents are overwritten
        expect(layerMaxPool2x2Backward(g, got.argmax, [planes, IH, IW], { out })).toBe(out);
        expect(out).toEqual(wantGx);
      },
    ),
    { numRuns, seed },
  );
}

describe('layerMaxPool2x2, layerMaxPool2x2Backward', () => {
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it.skipIf(!supported(build))(`match the scan's values and argmax, ties, -0 and NaN [${build}]`, () => {
      initWasmSync({ build });
      check(51, 200);
    });
  }

  it('match it through the TypeScript loops when WebAssembly is not loaded', () => {
    state.hideWasm = true;
    try {
      check(52, 80);
    } finally {
      state.hideWasm = false;
    }
  });

  it("cover the Fashion-MNIST model's 28x28 and 14x14 planes (7 windows a row: an overlapping last four)", () => {
    for (const [IH, IW] of [
      [28, 28],
      [14, 14],
    ] as const) {
      const x = values(createRng(IH), 3 * IH * IW, true);
      const want = reference(x, 3, IH, IW);
      const got = layerMaxPool2x2(x, [3, IH, IW]);
      expect(new Uint32Array(got.output.buffer)).toEqual(new Uint32Array(want.out.buffer));
      expect(got.argmax).toEqual(want.argmax);
    }
  });

  it('refuse bad arguments with typed errors naming them', () => {
    const x = new Float32Array(16);
    expect(() => layerMaxPool2x2(x, [1, 4] as never)).toThrow(/layerMaxPool2x2: shape must be/);
    expect(() => layerMaxPool2x2(x, [1, 4, -4])).toThrow(ArgumentError);
    expect(() => layerMaxPool2x2(new Float32Array(15), [1, 4, 4])).toThrow(
      /layerMaxPool2x2: x must be a Float32Array of planes \* height \* width = 16 values, got Float32Array of length 15/,
    );
    expect(() => layerMaxPool2x2(x, [1, 4, 4], { out: new Float32Array(3) })).toThrow(
      /out must be a Float32Array of 4/,
    );
    expect(() => layerMaxPool2x2(x, [1, 4, 4], { argmax: new Float32Array(4) as never })).toThrow(
      /argmax must be an Int32Array/,
    );
    expect(() => layerMaxPool2x2(x, [1, 4, 4], { stride: 2 } as never)).toThrow(ArgumentError);
    const g = new Float32Array(4);
    const argmax = new Int32Array(4);
    expect(() => layerMaxPool2x2Backward(g, argmax, [1, 4, 5])).toThrow(/height and width even/);
    expect(() => layerMaxPool2x2Backward(new Float32Array(3), argmax, [1, 4, 4])).toThrow(
      /layerMaxPool2x2Backward: gradOutput must be a Float32Array of 4 values/,
    );
    expect(() => layerMaxPool2x2Backward(g, new Int32Array(5), [1, 4, 4])).toThrow(
      /argmax must be an Int32Array/,
    );
    expect(() => layerMaxPool2x2Backward(g, argmax, [1, 4, 4], { out: new Float32Array(4) })).toThrow(
      /out must be/,
    );
    expect(() => layerMaxPool2x2Backward(g, argmax, [1, 4, 4], { zero: true } as never)).toThrow(
      ArgumentError,
    );
  });
});
