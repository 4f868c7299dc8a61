/**
 * gemm: C = alpha * op(A) * op(B) + beta * C on row-major Float32Arrays, op(X) = X or X^T,
 * op(A) m x k, op(B) k x n, C m x n (the BLAS sgemm contract, row-major, with offsets and
 * leading dimensions so callers multiply sub-matrices in place).
 *
 * The portable TypeScript fallback the WebAssembly SIMD kernels must beat. Structure after
 * Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS 2008),
 * as in BLIS:
 *   for jc in steps of NC over n:
 *     for pc in steps of KC over k:      pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels
 *       for ic in steps of MC over m:    pack alpha * op(A)[ic:ic+MC, pc:pc+KC] into MR-tall panels
 *         for each MR x NR micro-tile:   KC rank-1 updates of a register tile, added to C
 * KC = 256, MC = 64, NC = 1024, MR = NR = 4. On the shared 2-core AMD EPYC (variants of this file,
 * timed like apps/bench/scripts/gemm-speed.ts) 4 x 4 register tiles with float64 panels won over 4x8,
 * 8x4, 6x4, 4x6, 3x8, 2x8, 3x4, 4x3, a 2x-unrolled k loop and float32 panels: V8 has 16 XMM
 * registers, so bigger tiles spill, and float32 panels pay a conversion per load. The panels
 * are fixed-size buffers created once and closed over, which lets V8 treat them as constants
 * and drop their length and base-pointer reloads from the inner loop. Nothing is allocated
 * per call. Products are summed in float64 and rounded to float32 once per KC-deep block,
 * when added to C.
 */
import {
  ArgumentError,
  describeValue,
  formatValue,
  optionBoolean,
  optionNumber,
  readOptions,
} from '@convkit/tensor';

/** The keys a gemm options object may hold. */
const GEMM_OPTION_KEYS = ['transA', 'transB', 'alpha', 'beta'] as const;

export interface GemmOptions {
  /** Use A^T: `a` then holds a k x m matrix (default false). */
  transA?: boolean;
  /** Use B^T: `b` then holds an n x k matrix (default false). */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of the old C (default 0: C is overwritten and never read, NaNs in it included). */
  beta?: number;
}

/** Register tile (rows x columns of C held in locals) and cache blocks (see the header). */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;

interface Workspace {
  /** An edge tile's results land here first, then only its valid part is added to C. */
  edgeTile: Float32Array;
  packA(
    a: Float32Array,
    aOffset: number,
    lda: number,
    transA: boolean,
    alpha: number,
    row0: number,
    rows: number,
    p0: number,
    depth: number,
  ): void;
  packB(
    b: Float32Array,
    bOffset: number,
    ldb: number,
    transB: boolean,
    p0: number,
    depth: number,
    col0: number,
    cols: number,
  ): void;
  /** C[ic + i * ldc + j] += sum_p A-panel[ia + p*MR + i] * B-panel[ib + p*NR + j], i < MR, j < NR. */
  kernel(depth: number, ia: number, ib: number, c: Float32Array, ic: number, ldc: number): void;
}

let workspace: Workspace | null = null;

/**
 * The packing buffers and the loops that touch them, created on first use (not at import:
 * the package is side-effect free) and reused by every call: 64 x 256 + 256 x 1024 doubles,
 * 2.1 MiB.
 */
function createWorkspace(): Workspace {
  const panelA = new Float64Array(MC * KC);
  const panelB = new Float64Array(KC * NC);

  return {
    edgeTile: new Float32Array(MR * NR),

    packA(a, aOffset, lda, transA, alpha, row0, rows, p0, depth) {
      // Rows row0..row0+rows of alpha * op(A), columns p0..p0+depth, as MR-row panels
      // [panel][p][i]; rows past the end are zero so every tile is a full MR x NR.
      for (let ir = 0, q = 0; ir < rows; ir += MR) {
        const mr = Math.min(MR, rows - ir);
        for (let i = 0; i < MR; i++) {
          let at = q + i;
          if (i >= mr) {
            for (let p = 0; p < depth; p++, at += MR) panelA[at] = 0;
          } else if (transA) {
            let src = aOffset + p0 * lda + row0 + ir + i;
            for (let p = 0; p < depth; p++, at += MR, src += lda) panelA[at] = alpha * a[src]!;
          } else {
            let src = aOffset + (row0 + ir + i) * lda + p0;
            for (let p = 0; p < depth; p++, at += MR, src++) panelA[at] = alpha * a[src]!;
          }
        }
        q += MR * depth;
      }
    },

    packB(b, bOffset, ldb, transB, p0, depth, col0, cols) {
      // Rows p0..p0+depth of op(B), columns col0..col0+cols, as NR-column panels [panel][p][j].
      for (let jr = 0, q = 0; jr < cols; jr += NR) {
        const nr = Math.min(NR, cols - jr);
        for (let j = 0; j < NR; j++) {
          let at = q + j;
          if (j >= nr) {
            for (let p = 0; p < depth; p++, at += NR) panelB[at] = 0;
          } else if (transB) {
            let src = bOffset + (col0 + jr + j) * ldb + p0;
            for (let p = 0; p < depth; p++, at += NR, src++) panelB[at] = b[src]!;
          } else {
            let src = bOffset + p0 * ldb + col0 + jr + j;
            for (let p = 0; p < depth; p++, at += NR, src += ldb) panelB[at] = b[src]!;
          }
        }
        q += NR * depth;
      }
    },

    kernel(depth, ia, ib, c, ic, ldc) {
      // cij: the register tile; one rank-1 update (4 A values x 4 B values) per step.
      let c00 = 0;
      let c01 = 0;
      let c02 = 0;
      let c03 = 0;
      let c10 = 0;
      let c11 = 0;
      let c12 = 0;
      let c13 = 0;
      let c20 = 0;
      let c21 = 0;
      let c22 = 0;
      let c23 = 0;
      let c30 = 0;
      let c31 = 0;
      let c32 = 0;
      let c33 = 0;
      for (let p = depth; p > 0; p--) {
        const a0 = panelA[ia]!;
        const a1 = panelA[ia + 1]!;
        const a2 = panelA[ia + 2]!;
        const a3 = panelA[ia + 3]!;
        const b0 = panelB[ib]!;
        const b1 = panelB[ib + 1]!;
        const b2 = panelB[ib + 2]!;
        const b3 = panelB[ib + 3]!;
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
        ia += MR;
        ib += NR;
      }
      let r = ic;
      c[r] += c00;
      c[r + 1] += c01;
      c[r + 2] += c02;
      c[r + 3] += c03;
      r += ldc;
      c[r] += c10;
      c[r + 1] += c11;
      c[r + 2] += c12;
      c[r + 3] += c13;
      r += ldc;
      c[r] += c20;
      c[r + 1] += c21;
      c[r + 2] += c22;
      c[r + 3] += c23;
      r += ldc;
      c[r] += c30;
      c[r + 1] += c31;
      c[r + 2] += c32;
      c[r + 3] += c33;
    },
  };
}

function checkIndex(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError(`gemm: ${name} must be a non-negative integer, got ${formatValue(value)}`);
  }
}

/** [first, last] element index a rows x cols row-major block with leading dimension ld reaches. */
function checkMatrix(
  name: string,
  data: Float32Array,
  offset: number,
  ld: number,
  rows: number,
  cols: number,
  what: string,
): [number, number] {
  if (!(data instanceof Float32Array))
    throw new ArgumentError(`gemm: ${name} must be a Float32Array, got ${describeValue(data)}`);
  checkIndex(`${name}Offset`, offset);
  if (typeof ld !== 'number' || !Number.isSafeInteger(ld) || ld < Math.max(1, cols)) {
    throw new ArgumentError(
      `gemm: ld${name} must be an integer >= max(1, ${cols}) (the columns of ${what}), got ${formatValue(ld)}`,
    );
  }
  if (rows === 0 || cols === 0) return [offset, offset - 1];
  const last = offset + (rows - 1) * ld + cols - 1;
  if (last >= data.length) {
    throw new ArgumentError(
      `gemm: ${name} holds ${data.length} elements but ${what} (${rows} x ${cols}, ld${name} = ${ld}) at offset ${offset} reaches index ${last}`,
    );
  }
  return [offset, last];
}

/** Throws when C's block shares memory with an input's block: the result would depend on the order of writes. */
function checkNoAlias(
  name: string,
  x: Float32Array,
  range: [number, number],
  c: Float32Array,
  cRange: [number, number],
): void {
  if (x.buffer !== c.buffer || range[1] < range[0] || cRange[1] < cRange[0]) return;
  const bytes = Float32Array.BYTES_PER_ELEMENT;
  const xStart = x.byteOffset + range[0] * bytes;
  const xEnd = x.byteOffset + (range[1] + 1) * bytes;
  const cStart = c.byteOffset + cRange[0] * bytes;
  const cEnd = c.byteOffset + (cRange[1] + 1) * bytes;
  if (xStart < cEnd && cStart < xEnd) {
    throw new ArgumentError(`gemm: c overlaps ${name} in memory; the output must not alias an input`);
  }
}

/**
 * C = alpha * op(A) * op(B) + beta * C, row-major. `a` holds op(A) (m x k) at aOffset with
 * row stride lda, or A^T's storage (k x m) when transA; likewise `b` (k x n, or n x k when
 * transB) and `c` (m x n, row stride ldc). Only the m x n block of C is written.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  b: Float32Array,
  bOffset: number,
  ldb: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  options?: GemmOptions,
): void {
  checkIndex('m', m);
  checkIndex('n', n);
  checkIndex('k', k);
  // Own keys only, typed: { transa: true } is refused (did you mean 'transA'?), { transA: 'no' } too.
  const opts = readOptions('gemm', options, GEMM_OPTION_KEYS);
  const transA = optionBoolean('gemm', 'transA', opts.transA, false);
  const transB = optionBoolean('gemm', 'transB', opts.transB, false);
  const alpha = optionNumber('gemm', 'alpha', opts.alpha, 1);
  const beta = optionNumber('gemm', 'beta', opts.beta, 0);
  const aRange = transA
    ? checkMatrix('a', a, aOffset, lda, k, m, 'A^T')
    : checkMatrix('a', a, aOffset, lda, m, k, 'A');
  const bRange = transB
    ? checkMatrix('b', b, bOffset, ldb, n, k, 'B^T')
    : checkMatrix('b', b, bOffset, ldb, k, n, 'B');
  const cRange = checkMatrix('c', c, cOffset, ldc, m, n, 'C');
  checkNoAlias('a', a, aRange, c, cRange);
  checkNoAlias('b', b, bRange, c, cRange);
  if (m === 0 || n === 0) return;

  // beta first, once over C: the tiles below only add into it.
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const row = cOffset + i * ldc;
      if (beta === 0) c.fill(0, row, row + n);
      else for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
    }
  }
  if (k === 0 || alpha === 0) return;

  workspace ??= createWorkspace();
  const { packA, packB, kernel, edgeTile } = workspace;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(b, bOffset, ldb, transB, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, aOffset, lda, transA, alpha, ic, mc, pc, kc);
        // jr, ir: the micro-tile's first column and row inside this block.
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const at = cOffset + (ic + ir) * ldc + jc + jr;
            if (mr === MR && nr === NR) {
              kernel(kc, ir * kc, jr * kc, c, at, ldc);
            } else {
              edgeTile.fill(0);
              kernel(kc, ir * kc, jr * kc, edgeTile, 0, NR);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) c[at + i * ldc + j] += edgeTile[i * NR + j]!;
              }
            }
          }
        }
      }
    }
  }
}
