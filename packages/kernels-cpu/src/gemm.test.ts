import { ArgumentError, assertClose, createRng, type Rng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { type GemmOptions, gemm } from './gemm';
import { gemmReference } from './gemm-reference';

interface Case {
  m: number;
  n: number;
  k: number;
  options: GemmOptions;
  /** Extra elements before each matrix and extra columns per row (leading dimension slack). */
  aOffset: number;
  bOffset: number;
  cOffset: number;
  aSlack: number;
  bSlack: number;
  cSlack: number;
}

function buffers(rng: Rng, t: Case) {
  const { m, n, k, options } = t;
  const [aRows, aCols] = options.transA ? [k, m] : [m, k];
  const [bRows, bCols] = options.transB ? [n, k] : [k, n];
  const lda = Math.max(1, aCols + t.aSlack);
  const ldb = Math.max(1, bCols + t.bSlack);
  const ldc = Math.max(1, n + t.cSlack);
  const a = rng.uniformTensor([t.aOffset + aRows * lda + 2], -1, 1).data;
  const b = rng.uniformTensor([t.bOffset + bRows * ldb + 2], -1, 1).data;
  const c = rng.uniformTensor([t.cOffset + m * ldc + 2], -1, 1).data;
  return { a, b, c, lda, ldb, ldc };
}

/** Runs gemm and gemmReference on copies of the same buffers and compares all of C's buffer. */
function check(rng: Rng, t: Case, label: string): void {
  const { a, b, c, lda, ldb, ldc } = buffers(rng, t);
  const aCopy = a.slice();
  const bCopy = b.slice();
  const expected = c.slice();
  gemmReference(t.m, t.n, t.k, a, t.aOffset, lda, b, t.bOffset, ldb, expected, t.cOffset, ldc, t.options);
  gemm(t.m, t.n, t.k, a, t.aOffset, lda, b, t.bOffset, ldb, c, t.cOffset, ldc, t.options);
  // The whole buffer: the m x n block must match and every element outside it stay untouched.
  assertClose(c, expected, { label });
  expect(a).toEqual(aCopy);
  expect(b).toEqual(bCopy);
}

function randomCase(rng: Rng, maxSize: number): Case {
  const size = () => (rng.next() < 0.15 ? 1 : rng.int(1, maxSize));
  return {
    m: size(),
    n: size(),
    k: size(),
    options: {
      transA: rng.next() < 0.5,
      transB: rng.next() < 0.5,
      alpha: rng.pick([1, 1, -0.5, 2.25]),
      beta: rng.pick([0, 0, 1, -1.5]),
    },
    aOffset: rng.int(0, 3),
    bOffset: rng.int(0, 3),
    cOffset: rng.int(0, 3),
    aSlack: rng.pick([0, 0, 3]),
    bSlack: rng.pick([0, 0, 5]),
    cSlack: rng.pick([0, 0, 2]),
  };
}

const plain = { aOffset: 0, bOffset: 0, cOffset: 0, aSlack: 0, bSlack: 0, cSlack: 0 };

describe('gemm', () => {
  it('multiplies a small known product', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 x 3
    const b = Float32Array.from([7, 8, 9, 10, 11, 12]); // 3 x 2
    const c = new Float32Array(4);
    gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
    gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { alpha: 0.5, beta: 1 });
    expect(Array.from(c)).toEqual([87, 96, 208.5, 231]);
  });

  it('matches the reference on 300 random shapes (sizes 1-20, transposes, offsets, leading dims, alpha, beta)', () => {
    const rng = createRng(101);
    for (let trial = 0; trial < 300; trial++) check(rng, randomCase(rng, 20), `trial ${trial}`);
  });

  it('matches the reference across the cache blocks (m > 64, n > 1024, k > 256, edges everywhere)', () => {
    const rng = createRng(102);
    for (const [m, n, k, transA, transB] of [
      [67, 1031, 259, false, false],
      [130, 9, 513, true, false],
      [130, 9, 513, false, true],
      [5, 2050, 3, true, true],
      [65, 5, 257, false, true],
      [65, 5, 257, true, false],
    ] as const) {
      const options = { transA, transB, beta: 1, alpha: 0.75 };
      check(rng, { ...plain, m, n, k, options, aSlack: 1, cSlack: 3, cOffset: 2 }, `${m}x${n}x${k}`);
    }
  });

  it('covers every tile remainder: m and n from 1 to 9 with k 1, 2 and 7', () => {
    const rng = createRng(103);
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 9; n++) {
        for (const k of [1, 2, 7]) check(rng, { ...plain, m, n, k, options: {} }, `${m}x${n}x${k}`);
      }
    }
  });

  it('ignores C when beta = 0 (NaN in C does not leak), and scales it otherwise', () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([3, 4]);
    const c = Float32Array.from([Number.NaN, Number.NaN, 5, Number.NaN]);
    gemm(2, 2, 1, a, 0, 1, b, 0, 2, c, 0, 2);
    expect(Array.from(c)).toEqual([3, 4, 6, 8]);
    gemm(2, 2, 1, a, 0, 1, b, 0, 2, c, 0, 2, { beta: 2, alpha: -1 });
    expect(Array.from(c)).toEqual([3, 4, 6, 8]);
  });

  it('k = 0 or alpha = 0 gives C = beta * C; m = 0 or n = 0 touches nothing', () => {
    const c = Float32Array.from([1, 2, 3, 4]);
    gemm(2, 2, 0, new Float32Array(0), 0, 1, new Float32Array(0), 0, 2, c, 0, 2, { beta: 3 });
    expect(Array.from(c)).toEqual([3, 6, 9, 12]);
    gemm(2, 2, 1, Float32Array.from([1, 1]), 0, 1, Float32Array.from([1, 1]), 0, 2, c, 0, 2, {
      alpha: 0,
      beta: 0,
    });
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    const untouched = Float32Array.from([7, 7]);
    gemm(0, 2, 3, new Float32Array(0), 0, 3, new Float32Array(6), 0, 2, untouched, 0, 2);
    gemm(2, 0, 3, new Float32Array(6), 0, 3, new Float32Array(0), 0, 1, untouched, 0, 1);
    expect(Array.from(untouched)).toEqual([7, 7]);
  });

  it('writes into a sub-block of a larger C through cOffset and ldc', () => {
    // C is 3 x 5; write the 2 x 2 block at row 1, column 2.
    const c = new Float32Array(15);
    gemm(2, 2, 1, Float32Array.from([1, 2]), 0, 1, Float32Array.from([10, 20]), 0, 2, c, 7, 5);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0, 0, 10, 20, 0, 0, 0, 20, 40, 0]);
  });

  it('multiplies subarray views of one buffer that do not overlap C', () => {
    const buffer = new Float32Array(12);
    buffer.set([1, 2, 3, 4], 0); // A 2 x 2
    buffer.set([5, 6, 7, 8], 4); // B 2 x 2
    gemm(2, 2, 2, buffer.subarray(0, 4), 0, 2, buffer.subarray(4, 8), 0, 2, buffer.subarray(8), 0, 2);
    expect(Array.from(buffer.subarray(8))).toEqual([19, 22, 43, 50]);
  });

  describe('refuses bad arguments with ArgumentErrors naming them', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(4);
    it('negative or fractional sizes and offsets', () => {
      expect(() => gemm(-1, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2)).toThrow(
        /^gemm: m must be a non-negative integer, got -1/,
      );
      expect(() => gemm(2, 2.5, 3, a, 0, 3, b, 0, 2, c, 0, 2)).toThrow(/gemm: n must be/);
      expect(() => gemm(2, 2, 3, a, -1, 3, b, 0, 2, c, 0, 2)).toThrow(/gemm: aOffset must be/);
    });
    it('leading dimensions smaller than a row', () => {
      expect(() => gemm(2, 2, 3, a, 0, 2, b, 0, 2, c, 0, 2)).toThrow(
        /gemm: lda must be an integer >= max\(1, 3\) \(the columns of A\), got 2/,
      );
      expect(() => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { transB: true })).toThrow(
        /ldb .* \(the columns of B\^T\), got 2/,
      );
      expect(() => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 1)).toThrow(/ldc/);
    });
    it('buffers too short for the matrices', () => {
      expect(() => gemm(2, 2, 3, a, 1, 3, b, 0, 2, c, 0, 2)).toThrow(
        /gemm: a holds 6 elements but A \(2 x 3, lda = 3\) at offset 1 reaches index 6/,
      );
      expect(() => gemm(2, 2, 3, a, 0, 3, b, 0, 2, new Float32Array(3), 0, 2)).toThrow(
        /gemm: c holds 3 elements/,
      );
      expect(() => gemm(2, 2, 3, a, 1, 2, b, 0, 2, c, 0, 2, { transA: true })).toThrow(
        /a holds 6 elements but A\^T \(3 x 2, lda = 2\) at offset 1 reaches index 6/,
      );
    });
    it('an output that aliases an input', () => {
      const shared = new Float32Array(8);
      expect(() => gemm(2, 2, 2, shared, 0, 2, b, 0, 2, shared, 2, 2)).toThrow(
        /gemm: c overlaps a in memory/,
      );
      expect(() => gemm(2, 2, 2, a, 0, 2, shared.subarray(2), 0, 2, shared.subarray(0, 4), 0, 2)).toThrow(
        /c overlaps b/,
      );
    });
    it('non-Float32Array buffers and non-numeric scalars', () => {
      expect(() => gemm(1, 1, 1, [1] as unknown as Float32Array, 0, 1, b, 0, 1, c, 0, 1)).toThrow(
        /gemm: a must be a Float32Array/,
      );
      expect(() => gemm(1, 1, 1, a, 0, 1, b, 0, 1, c, 0, 1, { alpha: '2' as unknown as number })).toThrow(
        ArgumentError,
      );
    });
  });
});
