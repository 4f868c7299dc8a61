/** The layer ops in chunks: the pieces tile the array in the kernels' order, and chunked calls give one call's bits. */
import { createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  layerBatchNormApply,
  layerBatchNormBackward,
  layerBatchNormForward,
  layerBatchNormStats,
} from './layer-batch-norm';
import { LAYER_CHUNK_BYTES, layerChunks, longestChunk, setLayerChunkBytesForTest } from './layer-chunks';
import { layerMaxPool2x2, layerMaxPool2x2Backward } from './layer-max-pool';
import { initWasmSync, wasmInfo, wasmSupport } from './wasm-runtime';

afterEach(() => setLayerChunkBytesForTest(null));

function randoms(rng: ReturnType<typeof createRng>, length: number, offset = 0): Float32Array {
  return Float32Array.from({ length }, () => offset + rng.normal());
}

const bits = (a: Float32Array | Float64Array | Int32Array) =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('layerChunks', () => {
  it('tile [batch, channels, inner] once, in order: whole samples when one fits, else runs of one sample’s channels', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 4, max: 2000 }),
        (N, C, inner, budget) => {
          setLayerChunkBytesForTest(budget);
          const chunks = layerChunks(N, C, inner, 4);
          let next = 0;
          for (const k of chunks) {
            expect(k.offset).toBe(next);
            expect(k.length).toBe(k.batch * k.channels * inner);
            expect(k.length).toBeGreaterThan(0);
            // Within the budget, unless one plane alone is over it.
            if (inner * 4 <= budget) expect(k.length * 4).toBeLessThanOrEqual(budget);
            else expect(k.length).toBe(inner);
            if (k.batch > 1 || k.channels === C) expect(k.channel).toBe(0);
            if (k.batch > 1) expect(k.channels).toBe(C);
            // The channel run sits where its offset says.
            expect(Math.floor(k.offset / inner) % Math.max(C, 1)).toBe(k.channel);
            next += k.length;
          }
          expect(next).toBe(N * C * inner);
          expect(longestChunk(chunks)).toBe(Math.max(0, ...chunks.map((k) => k.length)));
        },
      ),
      { numRuns: 300, seed: 61 },
    );
  });

  it('keep a large activation to one chunk of the default budget', () => {
    const chunks = layerChunks(128, 32, 28 * 28, 8);
    expect(chunks.length).toBeGreaterThan(1);
    expect(longestChunk(chunks) * 8).toBeLessThanOrEqual(LAYER_CHUNK_BYTES);
  });
});

for (const build of ['simd', 'relaxed-simd'] as const) {
  const supported = build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd;
  describe.skipIf(!supported)(`layer ops in chunks [${build}]`, () => {
    it('batch norm: chunks of samples, of channels and of single planes give the bits of one piece', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 1, max: 90 }),
          fc.integer({ min: 4, max: 3000 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (N, C, inner, budget, training, s) => {
            if (N * inner < 2) return;
            const rng = createRng(s);
            const x = randoms(rng, N * C * inner, 5);
            const g = randoms(rng, x.length);
            const w = randoms(rng, C);
            const b = randoms(rng, C);
            const shape = [N, C, inner] as const;
            const run = () => {
              const stats = layerBatchNormStats(x, shape);
              const fwd = layerBatchNormForward(x, shape, { weight: w, bias: b });
              const applied = layerBatchNormApply(x, shape, {
                mean: fwd.mean,
                invstd: fwd.invstd,
                weight: w,
                bias: b,
              });
              const grads = layerBatchNormBackward(g, x, shape, {
                mean: fwd.mean,
                invstd: fwd.invstd,
                weight: w,
                training,
              });
              return [
                stats.mean,
                stats.variance,
                fwd.output,
                fwd.invstd,
                applied,
                grads.gradInput,
                grads.gradWeight,
                grads.gradBias,
              ];
            };
            const whole = run();
            setLayerChunkBytesForTest(budget);
            const chunked = run();
            setLayerChunkBytesForTest(null);
            for (let i = 0; i < whole.length; i++) expect(bits(chunked[i]!)).toEqual(bits(whole[i]!));
          },
        ),
        { numRuns: 150, seed: 62 },
      );
    });

    it('batch norm in place (out = x, out = gradOutput) in chunks', () => {
      initWasmSync({ build });
      const rng = createRng(63);
      const shape = [3, 4, 50] as const;
      const x = randoms(rng, 600, 2);
      const g = randoms(rng, 600);
      const want = layerBatchNormForward(x, shape);
      const wantGrads = layerBatchNormBackward(g, x, shape, { mean: want.mean, invstd: want.invstd });
      setLayerChunkBytesForTest(256);
      const y = x.slice();
      expect(layerBatchNormForward(y, shape, { out: y }).output).toBe(y);
      expect(bits(y)).toEqual(bits(want.output));
      const gx = g.slice();
      expect(
        layerBatchNormBackward(gx, x, shape, { mean: want.mean, invstd: want.invstd, out: gx }).gradInput,
      ).toBe(gx);
      expect(bits(gx)).toEqual(bits(wantGrads.gradInput));
    });

    it('max pooling: chunks of planes give the bits and argmax of one piece', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 4, max: 2000 }),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (planes, halfH, halfW, budget, s) => {
            const rng = createRng(s);
            const shape = [planes, 2 * halfH, 2 * halfW] as const;
            const x = randoms(rng, planes * 4 * halfH * halfW);
            const g = randoms(rng, planes * halfH * halfW);
            const whole = layerMaxPool2x2(x, shape);
            const wholeGx = layerMaxPool2x2Backward(g, whole.argmax, shape);
            setLayerChunkBytesForTest(budget);
            const chunked = layerMaxPool2x2(x, shape);
            const chunkedGx = layerMaxPool2x2Backward(g, chunked.argmax, shape);
            setLayerChunkBytesForTest(null);
            expect(bits(chunked.output)).toEqual(bits(whole.output));
            expect(chunked.argmax).toEqual(whole.argmax);
            expect(bits(chunkedGx)).toEqual(bits(wholeGx));
          },
        ),
        { numRuns: 150, seed: 64 },
      );
    });

    it('a large activation takes about one chunk of WebAssembly memory, not its size', () => {
      initWasmSync({ build });
      const rng = createRng(65);
      const shape = [64, 32, 28 * 28] as const; // 6.4 MB, twice for the backward pass
      const x = randoms(rng, shape[0] * shape[1] * shape[2]);
      const before = wasmInfo().memoryBytes;
      const fwd = layerBatchNormForward(x, shape);
      layerBatchNormBackward(x, x, shape, { mean: fwd.mean, invstd: fwd.invstd });
      layerMaxPool2x2(x, [shape[0] * shape[1], 28, 28]);
      expect(wasmInfo().memoryBytes - before).toBeLessThanOrEqual(2 * LAYER_CHUNK_BYTES);
    });
  });
}
