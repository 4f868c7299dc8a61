/**
 * gemm-4x8: the packed single-precision GEMM every WebAssembly convolution kernel ends in,
 * C (+)= A * B, after Goto & van de Geijn ("Anatomy of High-Performance Matrix Multiplication",
 * 2008) with an XNNPACK-style register tile for 128-bit SIMD.
 *
 * Blocking: the K dimension in blocks of KC = 256, B packed per (KC x NC = 512) block into
 * panels of 8 columns ([kc][8], 8 KiB per panel: one stays in L1 while it is reused by every
 * row panel of A), A packed per (MC = 96 x KC) block into panels of MR = 4 rows ([kc][4], the
 * block stays in L2). The micro-kernel keeps the 4x8 tile in 8 f32x4 accumulators; per k it
 * splat-loads 4 values of A and loads 2 vectors of B: 8 multiply-adds for 6 loads.
 *
 * Why 4x8 and not XNNPACK's 6x8: V8's register allocator (TurboFan, x64) hands a function
 * about 13 of the 16 xmm registers, so the 12 accumulators of a 6x8 tile plus its 3 operand
 * registers spill three accumulators to the stack on every k step (seen in --print-wasm-code).
 * Measured on the AVX-512 Xeon of the bench machine, relaxed build, 64x3136x576 (the c3x3
 * GEMM), best of 30: 6x8 30-32 GFLOP/s, 5x8 29-30, 4x8 41-43; unrolling the 4x8 k loop by 4
 * made V8 spill again (6-10 GFLOP/s). Tails (m % 4, n % 8) run the same kernel on
 * zero-padded panels and store only the valid part, so no tile is wasted beyond its padding.
 *
 * Where it stands (relaxed build, one thread, the shared 2-core Xeon whose relaxed-madd peak
 * is ~67 GFLOP/s, best of 30): 256x784x128 (pw1x1) 0.92 ms = 56 GFLOP/s (84%), 64x3136x576
 * (c3x3) 4.27 ms = 54 (81%). The k step is 6 loads, 8 FMAs and 3 loop ops; V8 already peels
 * it by 2 (with an interrupt check every other step), and its 8 accumulators exactly cover
 * FMA latency x throughput, so there is no slack left to hide a stall. Tried and dropped:
 * unrolling by 2 by hand (V8 spills: 56 -> 41 GFLOP/s on 256x784x128), a pointer-bounded
 * loop without the counter (no change).
 *
 * Operands are described by pointers (bytes) and element strides (row, column), so the
 * kernels multiply transposes and sub-matrices in place. A packer may also produce panels
 * from a convolution's implicit im2col matrix (./im2col-gemm.ts): the drivers there reuse
 * `macroKernel` and the panel layouts defined here. `macroKernelBias` starts each tile from a
 * per-row bias instead of zero (a convolution's bias at no extra pass), and `packAUnit` packs
 * a row-major A with 4x4 register transposes (the convolution driver packs its whole weight
 * once per call with it).
 */
// @ts-nocheck: AssemblyScript source (v128, f32x4, load/store are compiler builtins).
import { fma } from './fma';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 96;
export const NC: i32 = 512;

/** Bytes of scratch `sgemm` needs: packed A block, packed B block, one 4x8 tail tile. */
export const GEMM_WORK_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

/**
 * The 4x8 tile C (+)= Ap * Bp over kc; stores its top-left mr x nr (ldc in bytes). With
 * `bias` (a pointer to the tile's first row's value, 0 for none) the tile starts from the
 * rows' bias instead of zero, so a convolution's bias costs no pass of its own.
 */
// @ts-expect-error: decorator
@inline
export function microKernel(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: usize,
  mr: i32,
  nr: i32,
  accumulate: bool,
  tail: usize,
  bias: usize,
): void {
  let c00 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  if (bias != 0) {
    // The accumulators start at the rows' bias (rows past mr stay 0: never stored).
    c00 = v128.load32_splat(bias);
    if (mr > 1) c10 = v128.load32_splat(bias, 4);
    if (mr > 2) c20 = v128.load32_splat(bias, 8);
    if (mr > 3) c30 = v128.load32_splat(bias, 12);
  }
  let c01 = c00;
  let c11 = c10;
  let c21 = c20;
  let c31 = c30;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = fma(a, b0, c00);
    c01 = fma(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = fma(a, b0, c10);
    c11 = fma(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = fma(a, b0, c20);
    c21 = fma(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = fma(a, b0, c30);
    c31 = fma(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  if (mr == MR && nr == NR) {
    let r = c;
    if (accumulate) {
      c00 = f32x4.add(c00, v128.load(r));
      c01 = f32x4.add(c01, v128.load(r, 16));
      c10 = f32x4.add(c10, v128.load(r + ldc));
      c11 = f32x4.add(c11, v128.load(r + ldc, 16));
      c20 = f32x4.add(c20, v128.load(r + 2 * ldc));
      c21 = f32x4.add(c21, v128.load(r + 2 * ldc, 16));
      c30 = f32x4.add(c30, v128.load(r + 3 * ldc));
      c31 = f32x4.add(c31, v128.load(r + 3 * ldc, 16));
    }
    v128.store(r, c00);
    v128.store(r, c01, 16);
    r += ldc;
    v128.store(r, c10);
    v128.store(r, c11, 16);
    r += ldc;
    v128.store(r, c20);
    v128.store(r, c21, 16);
    r += ldc;
    v128.store(r, c30);
    v128.store(r, c31, 16);
    return;
  }
  v128.store(tail, c00);
  v128.store(tail, c01, 16);
  v128.store(tail, c10, 32);
  v128.store(tail, c11, 48);
  v128.store(tail, c20, 64);
  v128.store(tail, c21, 80);
  v128.store(tail, c30, 96);
  v128.store(tail, c31, 112);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    const src = tail + <usize>(i * 32);
    for (let j = 0; j < nr; j++) {
      let v = load<f32>(src + <usize>(j << 2));
      if (accumulate) v += load<f32>(row + <usize>(j << 2));
      store<f32>(row + <usize>(j << 2), v);
    }
  }
}

/**
 * Runs the micro-kernel over a packed block: C[mc x nc] (+)= Apack[mc x kc] * Bpack[kc x nc]
 * (c: the block's top-left element, ldc in bytes). Column panels outside, row panels inside,
 * so each B panel is reused from L1 by every row panel.
 */
export function macroKernel(
  mc: i32,
  nc: i32,
  kc: i32,
  apack: usize,
  bpack: usize,
  c: usize,
  ldc: usize,
  accumulate: bool,
  tail: usize,
): void {
  macroKernelBias(mc, nc, kc, apack, bpack, c, ldc, accumulate, tail, 0);
}

/**
 * macroKernel whose tiles start from a per-row bias when `bias` is not 0 (a pointer to the
 * block's first row's value; only read when `accumulate` is false).
 */
// @ts-expect-error: decorator
@inline
export function macroKernelBias(
  mc: i32,
  nc: i32,
  kc: i32,
  apack: usize,
  bpack: usize,
  c: usize,
  ldc: usize,
  accumulate: bool,
  tail: usize,
  bias: usize,
): void {
  const rowBias = accumulate ? 0 : bias;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = bpack + <usize>(jr * kc * 4);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      microKernel(
        kc,
        apack + <usize>(ir * kc * 4),
        bp,
        c + <usize>ir * ldc + <usize>(jr * 4),
        ldc,
        mr,
        nr,
        accumulate,
        tail,
        rowBias == 0 ? 0 : rowBias + <usize>(ir * 4),
      );
    }
  }
}

/**
 * Packs A[mc x kc] (element (i, p) at a + (i * rsa + p * csa) * 4) into panels of MR rows,
 * [panel][p][MR], rows past mc zero.
 */
export function packA(mc: i32, kc: i32, a: usize, rsa: i32, csa: i32, apack: usize): void {
  let dst = apack;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    for (let i = 0; i < MR; i++) {
      let d = dst + <usize>(i * 4);
      if (i < mr) {
        let s = a + <usize>((ir + i) * rsa) * 4;
        const step = <usize>csa * 4;
        for (let p = 0; p < kc; p++) {
          store<f32>(d, load<f32>(s));
          s += step;
          d += MR * 4;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          store<f32>(d, 0);
          d += MR * 4;
        }
      }
    }
    dst += <usize>(kc * MR * 4);
  }
}

/**
 * packA for a row-major A (unit column stride): four rows at a time, four columns per step
 * moved as a 4x4 transpose in registers (4 vector loads, 8 shuffles, 4 stores) instead of
 * 16 scalar moves. Same panels as packA.
 */
export function packAUnit(mc: i32, kc: i32, a: usize, rsa: i32, apack: usize): void {
  const rowBytes = <usize>rsa * 4;
  const zero = f32x4.splat(0);
  let dst = apack;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const r0 = a + <usize>ir * rowBytes;
    // Rows past mc read row 0 and are zeroed by `keep` (no load outside A).
    const r1 = mr > 1 ? r0 + rowBytes : r0;
    const r2 = mr > 2 ? r0 + 2 * rowBytes : r0;
    const r3 = mr > 3 ? r0 + 3 * rowBytes : r0;
    const keep1 = mr > 1;
    const keep2 = mr > 2;
    const keep3 = mr > 3;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const off = <usize>p << 2;
      const x0 = v128.load(r0 + off);
      const x1 = keep1 ? v128.load(r1 + off) : zero;
      const x2 = keep2 ? v128.load(r2 + off) : zero;
      const x3 = keep3 ? v128.load(r3 + off) : zero;
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      dst += 64;
    }
    for (; p < kc; p++) {
      const off = <usize>p << 2;
      store<f32>(dst, load<f32>(r0 + off));
      store<f32>(dst, keep1 ? load<f32>(r1 + off) : 0, 4);
      store<f32>(dst, keep2 ? load<f32>(r2 + off) : 0, 8);
      store<f32>(dst, keep3 ? load<f32>(r3 + off) : 0, 12);
      dst += 16;
    }
  }
}

/**
 * Packs B[kc x nc] (element (p, j) at b + (p * rsb + j * csb) * 4) into panels of 8 columns,
 * [panel][p][8], columns past nc zero. Unit column stride copies whole vectors.
 */
export function packB(kc: i32, nc: i32, b: usize, rsb: i32, csb: i32, bpack: usize): void {
  let dst = bpack;
  const rowStep = <usize>rsb * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let s = b + <usize>(jr * csb) * 4;
    if (nr == NR && csb == 1) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        s += rowStep;
        dst += 32;
      }
    } else {
      const colStep = <usize>csb * 4;
      for (let p = 0; p < kc; p++) {
        let e = s;
        for (let j = 0; j < NR; j++) {
          store<f32>(dst + <usize>(j * 4), j < nr ? load<f32>(e) : 0);
          e += colStep;
        }
        s += rowStep;
        dst += 32;
      }
    }
  }
}

/**
 * C[m x n] (+)= A[m x k] * B[k x n]: row-major C with row stride ldc (elements); A and B by
 * element strides. `accumulate` adds to C, else C is overwritten (never read: NaN in it does
 * not leak). `work`: GEMM_WORK_BYTES of scratch.
 */
export function sgemm(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsa: i32,
  csa: i32,
  b: usize,
  rsb: i32,
  csb: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  work: usize,
): void {
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ldcBytes = <usize>ldc * 4;
  if (k == 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, <usize>n * 4);
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(kc, nc, b + <usize>(pc * rsb + jc * csb) * 4, rsb, csb, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, a + <usize>(ic * rsa + pc * csa) * 4, rsa, csa, apack);
        macroKernel(
          mc,
          nc,
          kc,
          apack,
          bpack,
          c + <usize>ic * ldcBytes + <usize>(jc * 4),
          ldcBytes,
          accumulate || pc > 0,
          tail,
        );
      }
    }
  }
}
