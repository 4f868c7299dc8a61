/**
 * implicit-gemm: convolution as a GEMM whose B operand is never packed: on channels-first
 * data the column matrix's row k = (channel, kd, kh, kw) restricted to one output row is a
 * run of consecutive floats of the (zero-padded) input at unit width stride: output columns
 * ow .. ow + 7 of tap k read input columns ow + kw dW .. ow + kw dW + 7 of one input row. At
 * width stride s the padded copy splits each row into s phase rows (column j at phase j % s,
 * index j / s), and the same 8 outputs read phase (kw dW) % s at index ow + (kw dW) / s:
 * consecutive again. So once the input sits in WebAssembly memory with its padding made
 * explicit (one pass, `implicitPad`), the 4x8 micro-kernel of ./gemm-4x8.ts can load its two
 * B vectors per k step straight from that buffer at `row + offset[k]`, with one i32 byte
 * offset per k from a small table (the idea of XNNPACK's indirect convolution, Dukhan 2019,
 * "The Indirect Convolution Algorithm", arXiv 1907.02129, with a table of offsets per K step
 * instead of a pointer per output pixel and tap: at unit width stride 8 outputs share one).
 * An unpadded input is read in place; where output rows are contiguous in it (1-wide kernel
 * rows at unit height stride) whole planes run as one row, so short rows leave no panel tails.
 *
 * What this saves against loweredProduct (./im2col-gemm.ts): the B panels, which there are
 * gathered per call (c3x3: 576 x 3136 floats, 7 MB of stores, ~0.4 ms). What it costs:
 * one more load per k step (the offset), and B rows that are 32 bytes of a cache line instead
 * of a dense 8 KiB panel, which is why a plain 1x1 convolution (whose panels are a plain copy
 * of its input) stays on the packed path. The micro-kernel is a function of its own, not
 * inlined into the driver: inlined, V8 spilled its accumulators (36 against 56 GFLOP/s on
 * the same tiles).
 *
 * Blocking (Goto & van de Geijn, as ./gemm-4x8.ts): the K dimension in blocks of at most KC,
 * balanced; the weight packed once per call into MR-row panels of every K block (packAUnit);
 * per K block, per output row, per 8-column panel, the micro-kernel runs over all row panels
 * of A (the B rows of one panel stay in L1 while the m / 4 tiles reuse them; the packed A
 * block stays in L2). The first K block starts its tiles from the bias (or zero), the later
 * ones add to the stored tile.
 *
 * Register pressure (see ./gemm-4x8.ts's header: V8 gives a function about 13 xmm registers):
 * the k step keeps the same 8 accumulators, 2 B vectors and 1 A splat as the packed
 * micro-kernel; the table pointer and the B address are general-purpose registers.
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';
import { KC, MR, NR, packAUnit } from './gemm-4x8';

/** Bytes of the parameter block: i32 slots, order below. */
export const IMPLICIT_PARAMS_BYTES: i32 = 16 * 4;
// Slots: 0 rows (output rows: outD * outH, or 1 when flattened) 1 cols (output columns per
// row) 2 rowStep (bytes between the input rows of consecutive output rows) 3 planeRows
// (output rows per depth slice, outH) 4 sliceStep (bytes between the input rows of
// consecutive depth slices' first rows) 5 ldy (bytes between output channels' planes).

// @ts-expect-error: decorator
@inline function param(params: usize, slot: i32): i32 {
  return load<i32>(params + (<usize>slot << 2));
}

/**
 * The 4x8 tile C (+)= Ap * B over kc, B row p being the 8 floats at b + table[p]; stores the
 * top-left mr x nr of the tile (ldc in bytes); `bias` as in gemm-4x8's microKernel.
 */
function tableKernel(
  kc: i32,
  ap: usize,
  b: usize,
  table: usize,
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
    c00 = v128.load32_splat(bias);
    if (mr > 1) c10 = v128.load32_splat(bias, 4);
    if (mr > 2) c20 = v128.load32_splat(bias, 8);
    if (mr > 3) c30 = v128.load32_splat(bias, 12);
  }
  let c01 = c00;
  let c11 = c10;
  let c21 = c20;
  let c31 = c30;
  let t = table;
  for (let p = 0; p < kc; p++) {
    const bp = b + <usize>load<u32>(t);
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
    t += 4;
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

/** Bytes of implicitProduct's `work`: the packed weight (m rows rounded up to MR) and a tail tile. */
export function implicitWorkBytes(m: i32, depth: i32): f64 {
  return <f64>((m + MR - 1) / MR) * <f64>MR * <f64>depth * 4 + <f64>(MR * NR * 4);
}

/**
 * y[m x (rows * cols)] = bias + W[m x depth] * B for one sample and group, where B's row k at
 * output row r, column j is the float at x + rowBase(r) + table[k] + 4 j, with rowBase(r) =
 * (r / planeRows) * sliceStep + (r % planeRows) * rowStep. table: depth u32 byte offsets;
 * w: the group's weight [m, depth] row-major; bias: m floats or 0; y: written only (its
 * channel planes ldy bytes apart, rows cols floats apart). Reads may reach 7 floats past the
 * last B row's used columns (the caller leaves that much readable slack). work:
 * implicitWorkBytes(m, depth). Only output rows [rowFirst, rowEnd) are computed (threads sharing
 * the memory each take a band, with their own `work`; the bits do not depend on the band).
 */
export function implicitProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  table: usize,
  w: usize,
  bias: usize,
  y: usize,
  work: usize,
  rowFirst: i32,
  rowEnd: i32,
): void {
  const rows = min(rowEnd, param(params, 0));
  const cols = param(params, 1);
  const rowStep = <usize>param(params, 2);
  const planeRows = param(params, 3);
  const sliceStep = <usize>param(params, 4);
  const ldy = <usize>param(params, 5);
  const mPad = (m + MR - 1) & ~(MR - 1);
  const apack = work;
  const tail = apack + <usize>mPad * <usize>depth * 4;
  const kBlocks = (depth + KC - 1) / KC;
  const kStep = (depth + kBlocks - 1) / kBlocks;
  for (let pc = 0; pc < depth; pc += kStep) {
    packAUnit(m, min(kStep, depth - pc), w + (<usize>pc << 2), depth, apack + <usize>pc * <usize>mPad * 4);
  }
  for (let pc = 0; pc < depth; pc += kStep) {
    const kc = min(kStep, depth - pc);
    const ablock = apack + <usize>pc * <usize>mPad * 4;
    const tab = table + (<usize>pc << 2);
    const accumulate = pc > 0;
    let out = y + (<usize>rowFirst * <usize>cols << 2);
    for (let r = rowFirst; r < rows; r++) {
      const slice = r / planeRows;
      const inRow = x + <usize>slice * sliceStep + <usize>(r - slice * planeRows) * rowStep;
      for (let jr = 0; jr < cols; jr += NR) {
        const nr = min(NR, cols - jr);
        const b = inRow + (<usize>jr << 2);
        const c = out + (<usize>jr << 2);
        for (let ir = 0; ir < m; ir += MR) {
          const mr = min(MR, m - ir);
          tableKernel(
            kc,
            ablock + <usize>(ir * kc * 4),
            b,
            tab,
            c + <usize>ir * ldy,
            ldy,
            mr,
            nr,
            accumulate,
            tail,
            accumulate || bias == 0 ? 0 : bias + (<usize>ir << 2),
          );
        }
      }
      out += <usize>cols << 2;
    }
  }
}

/**
 * Writes `count` source floats (from s) as padded columns pW .. pW + count - 1 of one row
 * split by the width stride into `phases` phase rows of `phaseLen` floats at o: padded column
 * j goes to phase j % phases, index j / phases. The row must be zeroed first. At stride 2
 * eight source floats at a time are split into their even and odd lanes by two shuffles.
 */
function splitRow(s: usize, o: usize, count: i32, pW: i32, phases: i32, phaseLen: i32): void {
  let i = 0;
  if (phases == 2) {
    // Source i even lands in phase pW % 2 at index (pW + i) / 2; odd i in the other phase.
    const evenPhase = pW & 1;
    let even = o + (<usize>(evenPhase * phaseLen + (pW >> 1)) << 2);
    let odd = o + (<usize>((1 - evenPhase) * phaseLen + ((pW + 1) >> 1)) << 2);
    for (; i + 8 <= count; i += 8) {
      const lo = v128.load(s + (<usize>i << 2));
      const hi = v128.load(s + (<usize>i << 2), 16);
      v128.store(even, v128.shuffle<f32>(lo, hi, 0, 2, 4, 6));
      v128.store(odd, v128.shuffle<f32>(lo, hi, 1, 3, 5, 7));
      even += 16;
      odd += 16;
    }
  }
  for (; i < count; i++) {
    const j = pW + i;
    const phase = j % phases;
    store<f32>(o + (<usize>(phase * phaseLen + j / phases) << 2), load<f32>(s + (<usize>i << 2)));
  }
}

/**
 * Copies the [d, h, w] corner of `planes` source planes of a buffer [bufD, bufH, bufW]
 * (row-major, contiguous planes) into padded planes [dp, hp, wp] at dst, the copied corner at
 * (pD, pH, pW) and zeros everywhere else; source positions that fall past the padded plane
 * are left out. With `phases` (the width stride) above 1 each padded row is stored split
 * into that many phase rows of `phaseLen` floats (padded column j at phase j % phases, index
 * j / phases; phaseLen * phases >= wp), so that a strided output row's taps are consecutive
 * floats too. dst is only written.
 */
export function implicitPad(
  src: usize,
  planes: i32,
  d: i32,
  h: i32,
  w: i32,
  bufH: i32,
  bufW: i32,
  bufPlane: i32,
  pD: i32,
  pH: i32,
  pW: i32,
  dp: i32,
  hp: i32,
  wp: i32,
  phases: i32,
  phaseLen: i32,
  dst: usize,
): void {
  const rowLen = phases == 1 ? wp : phases * phaseLen;
  const rowBytes = <usize>rowLen << 2;
  const sliceBytes = <usize>hp * rowBytes;
  const copyW = max(0, min(w, wp - pW));
  const before = <usize>pW << 2;
  const inner = <usize>copyW << 2;
  const after = <usize>(wp - pW - copyW) << 2;
  const rowsIn = max(0, min(h, hp - pH));
  const below = hp - pH - rowsIn;
  let o = dst;
  for (let p = 0; p < planes; p++) {
    const plane = src + (<usize>p * <usize>bufPlane << 2);
    for (let z = 0; z < dp; z++) {
      const zIn = z - pD;
      if (zIn < 0 || zIn >= d) {
        memory.fill(o, 0, sliceBytes);
        o += sliceBytes;
        continue;
      }
      if (pH > 0) memory.fill(o, 0, <usize>pH * rowBytes);
      o += <usize>pH * rowBytes;
      let s = plane + (<usize>(zIn * bufH) * <usize>bufW << 2);
      for (let r = 0; r < rowsIn; r++) {
        if (phases == 1) {
          if (before > 0) memory.fill(o, 0, before);
          memory.copy(o + before, s, inner);
          if (after > 0) memory.fill(o + before + inner, 0, after);
        } else {
          memory.fill(o, 0, rowBytes);
          splitRow(s, o, copyW, pW, phases, phaseLen);
        }
        s += <usize>bufW << 2;
        o += rowBytes;
      }
      if (below > 0) memory.fill(o, 0, <usize>below * rowBytes);
      o += <usize>below * rowBytes;
    }
  }
}
