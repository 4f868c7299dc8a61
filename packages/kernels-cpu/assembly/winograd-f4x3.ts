/**
 * winograd-f4x3: stride-1, kernel-3 convolution by Winograd's minimal filtering, F(4x4, 3x3) in
 * 2-D and F(6, 3) in 1-D (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016), for one sample at a time, channels-first, with groups, bias and dilation.
 *
 *   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A     (2-D; 1-D drops the right-hand factors)
 *
 * d: a 6x6 (1-D: 8) input tile, g: the 3x3 (3) filter, Y: a 4x4 (1-D: 6) output tile. The
 * 2-D points are 0, ±1, ±2 and ∞, whose transforms have small integer entries (F(6x6, 3x3)
 * adds ±1/2; simulated in float32 it was 1.5-2x less accurate again, for 1.8x fewer
 * multiplications, so the 1e-4 contract keeps F(4x4, 3x3)). 1-D is about 5x more exact than
 * 2-D at the same size, so it affords F(6, 3) (points 0, ±1, ±2, ±1/2, ∞): 8 multiplications
 * per 6 outputs instead of 6 per 4.
 *
 * Dilation d: a dilated stride-1 convolution is d^dims undilated ones, one per phase of the
 * input (every d-th row and column from an offset): `winogradPackInput` de-interleaves the
 * zero-padded input into per-phase planes, and the output transform writes each phase's tiles
 * back with a step of d. Padding is realised in those planes (zeros around the data, the
 * planes sized so that every tile reads inside them), so the transforms never test bounds.
 *
 * Blocking, per sample and group, in blocks of `blockTiles` tiles (a multiple of 8, chosen by
 * the caller so that one block's transformed input and products stay in L2):
 *   1. input transform, vectorised over four tiles (f32x4 lanes = tiles): each lane loads its
 *      tile's rows (two vectors), a 4x4 transpose turns them into lanes-over-tiles, and the
 *      B^T row and column passes are multiply-adds on whole vectors. The result is written
 *      straight into the GEMM's packed B layout, V[point][8-tile panel][C_in/g][8], both
 *      groups of four tiles of a panel per channel in turn (whole 32-byte rows), so the
 *      product needs no packing copy;
 *   2. per transform point (36 in 2-D, 8 in 1-D) one GEMM M[C_out/g x tiles] = U[C_out/g x
 *      C_in/g] V[C_in/g x tiles] on the packed GEMM's micro-kernel (gemm-4x8.ts macroKernel,
 *      MR x 8 tiles), U prepacked once per call by `winogradTransformWeights` in the packed A
 *      layout (float32, four output channels per vector), each 8-tile V panel reused from L1
 *      by every MR-row U panel;
 *   3. output transform, vectorised over four tiles again: A^T passes, the bias, a transpose
 *      back to rows of each tile; four whole tiles are stored straight from the transpose
 *      (vector stores), edges through the tile table. With dilation 2 along w the tiles are
 *      ordered so that each pair holds the two column phases of one place, whose rows
 *      interleave into eight consecutive outputs: two whole vector stores per pair and row
 *      (they were a read-blend-write of every other float per tile).
 * The points' panels of V, U (and of the weight gradient's X, GY and float64 sums) lie an
 * odd number of 64-byte lines apart (`spread`): a transform writes one vector to each point
 * in turn, and at the natural stride (a multiple of 4 KiB at 64 channels) all 36 fell in one
 * L1 set. The packing returns the sum of squares of what it copies, from which the caller
 * refuses non-finite data and estimates the error, with no pass of its own.
 *
 * Measured (min of 40, one thread, relaxed SIMD, stage by stage on the shared 2-core Xeon
 * with AVX-512, load 3-4; 67 GFLOP/s is this engine's f32x4 multiply-add peak there):
 *   c3x3 (C64 56x56 -> 64, p1, 196 tiles, blocks of 24): input transform 0.11 ms (0.29
 *   before the odd strides), GEMMs 1.04-1.10 ms = 55 GFLOP/s of transform-domain products
 *   (82% of peak; 58 MFLOP), output transform 0.09 ms, packing 0.035 ms, weight transform
 *   0.03 ms (0.10 before the vector path); the call around them adds the copy in (0.02 ms)
 *   and the copy out into a fresh array (0.3-0.4 ms: its first touch of new pages). dil3x3
 *   (d2 p2, four 28x28 phases): the same GEMMs, packing 0.07 ms (a pass per column phase
 *   reading each source row once for both was 0.057 ms, not worth its 1.8 KB of code),
 *   output transform 0.08 ms (0.13 with read-blend-write stores). conv1d
 *   (C256 L1024 -> 256, F(6, 3)), 8 samples, each sample's 171 tiles in one block: input
 *   transform 0.97 ms, GEMMs 26.3-26.9 ms (54.6 GFLOP/s, 81%), output transform 0.79 ms.
 *   The micro-kernel is the limit (83-85% of peak even in L1): unrolling its k loop made V8
 *   spill (44 GFLOP/s), and a 3x12 tile was no faster on these operands.
 * NNPACK and XNNPACK follow the same three stages; this code is written from the paper.
 *
 * Accuracy against the float64 reference (measured, see the package README): every stride-1
 * kernel-3 PyTorch golden within 27% of the 1e-4 + 1e-4 |ref| tolerance; at PyTorch's default
 * weight scale (outputs of order 1) at most 6e-6 absolute at 64 channels and 3.4e-5 at 2048
 * (2-D; 1-D about 5x less). The error grows with the output's magnitude.
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';
import { MR, macroKernel, NR } from './gemm-4x8';

/** Transform points: 6x6 in 2-D, 8 in 1-D. */
// @ts-expect-error: decorator
@inline function pointsOf(dims: i32): i32 {
  return dims == 2 ? 36 : 8;
}

/** Output tile width: 4 (F(4x4, 3x3)) in 2-D, 6 (F(6, 3)) in 1-D. */
// @ts-expect-error: decorator
@inline function tileOf(dims: i32): i32 {
  return dims == 2 ? 4 : 6;
}

/**
 * `bytes` rounded up to an odd number of 64-byte lines: the stride between the transform
 * points' panels. A transform writes one vector to each of its 36 (16, 8) points in turn; with
 * a stride that is a multiple of 4 KiB (64 channels x 64 tiles x 4 bytes is) all of them fall
 * in one L1 set and evict each other (input transform of c3x3 0.29 ms, with odd strides 0.12).
 */
// @ts-expect-error: decorator
@inline function spread(bytes: i32): i32 {
  const s = (bytes + 63) & ~63;
  return (s & 64) != 0 ? s : s + 64;
}

/** Bytes of one tile-table entry: input offset, output offset, valid rows, valid columns. */
const TILE_ENTRY: i32 = 16;
/** Bytes of the small scratch of the transforms (36 vectors + 16 vectors + one MR x 8 tail tile). */
const SMALL_SCRATCH: i32 = 36 * 16 + 16 * 16 + MR * NR * 4;

/** Bytes of the transformed weights of all groups (`winogradTransformWeights`). */
export function winogradWeightBytes(dims: i32, groups: i32, coutG: i32, cinG: i32): i32 {
  const coutPad = ((coutG + MR - 1) / MR) * MR;
  return groups * pointsOf(dims) * spread(coutPad * cinG * 4);
}

/** Bytes of scratch `winogradConv` needs for blocks of `blockTiles` tiles. */
export function winogradWorkBytes(dims: i32, cinG: i32, coutG: i32, blockTiles: i32): i32 {
  const points = pointsOf(dims);
  const v = points * spread(blockTiles * cinG * 4);
  const m = coutG * points * blockTiles * 4;
  return ((v + 63) & ~63) + ((m + 63) & ~63) + blockTiles * TILE_ENTRY + SMALL_SCRATCH;
}

/**
 * Transformed weights U = G g G^T (1-D: G g) of every group, in the packed A layout of
 * gemm-4x8: u[group][point][MR-row panel of C_out/g][C_in/g][MR], rows past C_out/g zero.
 * Element (group, co, ci, kh, kw) of the source is at w + 4 * (base + group * sG + co * sCo +
 * ci * sCi + kh * sKh + kw * sKw), so flipped and channel-transposed weights (the gradient and
 * transposed convolutions) are read in place. 1-D ignores kh. scratch: 288 bytes. With a
 * panel height MR that is a multiple of 4 the transform runs on four output channels at a time
 * in float32, else one at a time in float64.
 */
export function winogradTransformWeights(
  dims: i32,
  w: usize,
  base: i32,
  sG: i32,
  sCo: i32,
  sCi: i32,
  sKh: i32,
  sKw: i32,
  groups: i32,
  coutG: i32,
  cinG: i32,
  u: usize,
  scratch: usize,
): void {
  const points = pointsOf(dims);
  const coutPad = ((coutG + MR - 1) / MR) * MR;
  const pointBytes = <usize>spread(coutPad * cinG * 4);
  const groupBytes = pointBytes * <usize>points;
  if (MR % 4 == 0) {
    // Four output channels per vector: one store fills four rows of a panel.
    for (let g = 0; g < groups; g++) {
      for (let co = 0; co < coutPad; co += 4) {
        for (let ci = 0; ci < cinG; ci++) {
          const at = base + g * sG + co * sCo + ci * sCi;
          const lanes = coutG - co;
          const dst = u + <usize>g * groupBytes + <usize>((co / MR) * cinG * MR * 4 + ci * MR * 4 + (co % MR) * 4);
          if (dims == 1) {
            gColumn8V(
              weightsAt(w, at, sCo, lanes),
              weightsAt(w, at + sKw, sCo, lanes),
              weightsAt(w, at + 2 * sKw, sCo, lanes),
              dst,
              pointBytes,
            );
            continue;
          }
          for (let c = 0; c < 3; c++) {
            const e = at + c * sKw;
            gColumnV(
              weightsAt(w, e, sCo, lanes),
              weightsAt(w, e + sKh, sCo, lanes),
              weightsAt(w, e + 2 * sKh, sCo, lanes),
              scratch + <usize>(c * 16),
              48,
            );
          }
          for (let i = 0; i < 6; i++) {
            const t = scratch + <usize>(i * 48);
            gColumnV(v128.load(t), v128.load(t, 16), v128.load(t, 32), dst + <usize>(i * 6) * pointBytes, pointBytes);
          }
        }
      }
    }
    return;
  }
  memory.fill(u, 0, groupBytes * <usize>groups);
  for (let g = 0; g < groups; g++) {
    for (let co = 0; co < coutG; co++) {
      for (let ci = 0; ci < cinG; ci++) {
        const at = base + g * sG + co * sCo + ci * sCi;
        const dst = u + <usize>g * groupBytes + <usize>((co / MR) * cinG * MR * 4 + ci * MR * 4 + (co % MR) * 4);
        if (dims == 1) {
          gColumn8(weightAt(w, at), weightAt(w, at + sKw), weightAt(w, at + 2 * sKw), dst, pointBytes);
          continue;
        }
        // scratch[i][c] = (G g)[i][c]: G along kh, one kernel column c at a time (f32, 6 x 3).
        for (let c = 0; c < 3; c++) {
          const e = at + c * sKw;
          gColumn(weightAt(w, e), weightAt(w, e + sKh), weightAt(w, e + 2 * sKh), scratch + <usize>(c * 4), 12);
        }
        // U[i][j] = (G g G^T)[i][j]: G along kw for each row i.
        for (let i = 0; i < 6; i++) {
          const t = scratch + <usize>(i * 12);
          gColumn(
            <f64>load<f32>(t),
            <f64>load<f32>(t, 4),
            <f64>load<f32>(t, 8),
            dst + <usize>(i * 6) * pointBytes,
            pointBytes,
          );
        }
      }
    }
  }
}

/** Four output channels' weights at element `at` (channel stride sCo), zero past `lanes`. */
// @ts-expect-error: decorator
@inline function weightsAt(w: usize, at: i32, sCo: i32, lanes: i32): v128 {
  let v = f32x4.splat(load<f32>(w + <usize>(at << 2)));
  v = f32x4.replace_lane(v, 1, lanes > 1 ? load<f32>(w + <usize>((at + sCo) << 2)) : 0);
  v = f32x4.replace_lane(v, 2, lanes > 2 ? load<f32>(w + <usize>((at + 2 * sCo) << 2)) : 0);
  return f32x4.replace_lane(v, 3, lanes > 3 ? load<f32>(w + <usize>((at + 3 * sCo) << 2)) : 0);
}

/** gColumn on four lanes in float32, stored as six vectors `step` bytes apart. */
// @ts-expect-error: decorator
@inline function gColumnV(g0: v128, g1: v128, g2: v128, dst: usize, step: usize): void {
  const minusSixth = f32x4.splat(-1.0 / 6.0);
  const outer = f32x4.add(g0, g2);
  const even = fma(g0, f32x4.splat(1.0 / 24.0), f32x4.mul(g2, f32x4.splat(1.0 / 6.0)));
  const odd = f32x4.mul(g1, f32x4.splat(1.0 / 12.0));
  v128.store(dst, f32x4.mul(g0, f32x4.splat(0.25)));
  v128.store(dst + step, f32x4.mul(f32x4.add(outer, g1), minusSixth));
  v128.store(dst + 2 * step, f32x4.mul(f32x4.sub(outer, g1), minusSixth));
  v128.store(dst + 3 * step, f32x4.add(even, odd));
  v128.store(dst + 4 * step, f32x4.sub(even, odd));
  v128.store(dst + 5 * step, g2);
}

// @ts-expect-error: decorator
@inline function weightAt(w: usize, element: i32): f64 {
  return <f64>load<f32>(w + <usize>(element << 2));
}

/**
 * G (g0, g1, g2) for G's rows [1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6],
 * [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1], computed in float64 and stored as six
 * float32 values `step` bytes apart.
 */
// @ts-expect-error: decorator
@inline function gColumn(g0: f64, g1: f64, g2: f64, dst: usize, step: usize): void {
  const sixth: f64 = 1.0 / 6.0;
  const outer = g0 + g2;
  const even = g0 * (1.0 / 24.0) + g2 * sixth;
  const odd = g1 * (1.0 / 12.0);
  store<f32>(dst, <f32>(g0 * 0.25));
  store<f32>(dst + step, <f32>(-(outer + g1) * sixth));
  store<f32>(dst + 2 * step, <f32>(-(outer - g1) * sixth));
  store<f32>(dst + 3 * step, <f32>(even + odd));
  store<f32>(dst + 4 * step, <f32>(even - odd));
  store<f32>(dst + 5 * step, <f32>g2);
}

/**
 * The sum of squares of `count` floats at x, in float32 lanes summed in float64 at the end:
 * a NaN, an infinity or a value too large to square gives a non-finite result. The caller
 * estimates the scale of the transforms' rounding error from it (and refuses non-finite data).
 */
export function winogradSumSquares(x: usize, count: i32): f64 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let folded: f64 = 0;
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const v0 = v128.load(x + <usize>(i << 2));
    const v1 = v128.load(x + <usize>(i << 2), 16);
    a0 = fma(v0, v0, a0);
    a1 = fma(v1, v1, a1);
    // Keep each partial sum short: fold into float64 every 4096 vectors.
    if ((i & 32767) == 32760) {
      const t = f32x4.add(a0, a1);
      folded += <f64>f32x4.extract_lane(t, 0) + <f64>f32x4.extract_lane(t, 1);
      folded += <f64>f32x4.extract_lane(t, 2) + <f64>f32x4.extract_lane(t, 3);
      a0 = f32x4.splat(0);
      a1 = f32x4.splat(0);
    }
  }
  const t = f32x4.add(a0, a1);
  let sum = folded + <f64>f32x4.extract_lane(t, 0) + <f64>f32x4.extract_lane(t, 1);
  sum += <f64>f32x4.extract_lane(t, 2) + <f64>f32x4.extract_lane(t, 3);
  for (; i < count; i++) {
    const v = <f64>load<f32>(x + <usize>(i << 2));
    sum += v * v;
  }
  return sum;
}

/**
 * The bias gradient: sums[c] = the float64 sum of `volume` floats of channel c over `batch`
 * samples of [batch][channels][volume] floats at y, rounded to float32 once. Two float64
 * lanes and two vectors (four partial sums) per channel, so the additions do not wait on
 * each other.
 */
export function winogradChannelSums(y: usize, batch: i32, channels: i32, volume: i32, sums: usize): void {
  for (let c = 0; c < channels; c++) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let tail: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const row = y + (<usize>n * <usize>channels + <usize>c) * <usize>volume * 4;
      let o = 0;
      for (; o + 4 <= volume; o += 4) {
        const v = v128.load(row + <usize>(o << 2));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
      }
      for (; o < volume; o++) tail += <f64>load<f32>(row + <usize>(o << 2));
    }
    const a = f64x2.add(a0, a1);
    store<f32>(sums + <usize>(c << 2), <f32>(f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + tail));
  }
}

/**
 * Zeroes `count` floats at dst with vector stores: the pads of a row are a few floats, and
 * memory.fill is a call out of the compiled code (dil3x3's packing, 7,680 rows: 0.15 ms with
 * memory.fill for the pads, 0.10 with these stores).
 */
// @ts-expect-error: decorator
@inline function zeroFloats(dst: usize, count: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= count; j += 4) v128.store(dst + <usize>(j << 2), zero);
  for (; j < count; j++) store<f32>(dst + <usize>(j << 2), 0);
}

/**
 * Copies `count` floats from src to dst and returns the sum of their squares (float32 lanes,
 * summed in float64 at the end: a NaN, an infinity or a value too large to square gives a
 * non-finite sum).
 */
// @ts-expect-error: decorator
@inline function copySquares(dst: usize, src: usize, count: i32): f64 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= count; j += 8) {
    const v0 = v128.load(src + <usize>(j << 2));
    const v1 = v128.load(src + <usize>(j << 2), 16);
    v128.store(dst + <usize>(j << 2), v0);
    v128.store(dst + <usize>(j << 2), v1, 16);
    a0 = fma(v0, v0, a0);
    a1 = fma(v1, v1, a1);
  }
  const t = f32x4.add(a0, a1);
  let sum = <f64>f32x4.extract_lane(t, 0) + <f64>f32x4.extract_lane(t, 1);
  sum += <f64>f32x4.extract_lane(t, 2) + <f64>f32x4.extract_lane(t, 3);
  for (; j < count; j++) {
    const v = load<f32>(src + <usize>(j << 2));
    store<f32>(dst + <usize>(j << 2), v);
    sum += <f64>v * <f64>v;
  }
  return sum;
}

/**
 * De-interleaves and zero-pads one sample's channels into per-phase planes:
 * planes[phase][c][i][j] = x[c][ph + i * dH - padH][pw + j * dW - padW] (zero outside the
 * input), phase = ph * dW + pw. Negative padding crops. 1-D: inH = planeH = dH = 1, padH = 0.
 * Returns the sum of squares of the values it copied (the inputs the convolution reads), so
 * the caller needs no pass of its own to refuse non-finite data or to estimate the error.
 */
export function winogradPackInput(
  x: usize,
  channels: i32,
  inH: i32,
  inW: i32,
  padH: i32,
  padW: i32,
  dH: i32,
  dW: i32,
  planes: usize,
  planeH: i32,
  planeW: i32,
): f64 {
  const rowBytes = <usize>(planeW * 4);
  let dst = planes;
  let squares: f64 = 0;
  for (let ph = 0; ph < dH; ph++) {
    for (let pw = 0; pw < dW; pw++) {
      // Columns j whose source pw + j * dW - padW lies in [0, inW).
      const lo = pw - padW;
      let j0 = lo >= 0 ? 0 : (-lo + dW - 1) / dW;
      let j1 = inW - lo <= 0 ? 0 : (inW - lo + dW - 1) / dW;
      j1 = min(j1, planeW);
      j0 = min(j0, j1);
      for (let c = 0; c < channels; c++) {
        const plane = x + <usize>c * <usize>(inH * inW * 4);
        for (let i = 0; i < planeH; i++) {
          const sh = ph + i * dH - padH;
          if (sh < 0 || sh >= inH || j0 == j1) {
            zeroFloats(dst, planeW);
          } else {
            const src = plane + <usize>((sh * inW + lo) * 4);
            zeroFloats(dst, j0);
            if (dW == 1) {
              squares += copySquares(dst + <usize>(j0 * 4), src + <usize>(j0 * 4), j1 - j0);
            } else {
              const step = <usize>(dW * 4);
              let s = src + <usize>(j0 * dW * 4);
              let j = j0;
              if (dW == 2) {
                // The even floats of two vectors (the odd lane past the last reads one float
                // past the row, inside the memory; it is neither stored nor summed).
                let acc = f32x4.splat(0);
                for (; j + 4 <= j1; j += 4) {
                  const v = v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
                  v128.store(dst + <usize>(j * 4), v);
                  acc = fma(v, v, acc);
                  s += 32;
                }
                squares += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1);
                squares += <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
              }
              for (; j < j1; j++) {
                const v = load<f32>(s);
                store<f32>(dst + <usize>(j * 4), v);
                squares += <f64>v * <f64>v;
                s += step;
              }
            }
            zeroFloats(dst + <usize>(j1 * 4), planeW - j1);
          }
          dst += rowBytes;
        }
      }
    }
  }
  return squares;
}

/**
 * Loads each lane's tile row (six values at a_l), transposes them to lanes-over-tiles and
 * applies B^T along the row; the six results go to s, s + step, ...
 */
// @ts-expect-error: decorator
@inline function transposeRow(a0: usize, a1: usize, a2: usize, a3: usize, s: usize, step: usize): void {
  const lo0 = v128.load(a0);
  const lo1 = v128.load(a1);
  const lo2 = v128.load(a2);
  const lo3 = v128.load(a3);
  const hi0 = v128.load(a0, 16);
  const hi1 = v128.load(a1, 16);
  const hi2 = v128.load(a2, 16);
  const hi3 = v128.load(a3, 16);
  const p = v128.shuffle<f32>(lo0, lo1, 0, 4, 1, 5);
  const q = v128.shuffle<f32>(lo0, lo1, 2, 6, 3, 7);
  const r = v128.shuffle<f32>(lo2, lo3, 0, 4, 1, 5);
  const t = v128.shuffle<f32>(lo2, lo3, 2, 6, 3, 7);
  const ph = v128.shuffle<f32>(hi0, hi1, 0, 4, 1, 5);
  const rh = v128.shuffle<f32>(hi2, hi3, 0, 4, 1, 5);
  const d0 = v128.shuffle<f64>(p, r, 0, 2);
  const d1 = v128.shuffle<f64>(p, r, 1, 3);
  const d2 = v128.shuffle<f64>(q, t, 0, 2);
  const d3 = v128.shuffle<f64>(q, t, 1, 3);
  const d4 = v128.shuffle<f64>(ph, rh, 0, 2);
  const d5 = v128.shuffle<f64>(ph, rh, 1, 3);
  inputRow(d0, d1, d2, d3, d4, d5, s, step);
}

/** B^T x over six vectors; the results go to s, s + step, ..., s + 5 * step. */
// @ts-expect-error: decorator
@inline function inputRow(x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, s: usize, step: usize): void {
  const four = f32x4.splat(4);
  const minusFour = f32x4.splat(-4);
  const minusFive = f32x4.splat(-5);
  const two = f32x4.splat(2);
  const minusTwo = f32x4.splat(-2);
  const q = f32x4.sub(x4, x2);
  const r = f32x4.sub(x3, x1);
  v128.store(s, fma(x0, four, fma(x2, minusFive, x4)));
  v128.store(s + step, fma(f32x4.add(x1, x2), minusFour, f32x4.add(x3, x4)));
  v128.store(s + 2 * step, fma(f32x4.sub(x1, x2), four, f32x4.sub(x4, x3)));
  v128.store(s + 3 * step, fma(r, two, q));
  v128.store(s + 4 * step, fma(r, minusTwo, q));
  v128.store(s + 5 * step, fma(x1, four, fma(x3, minusFive, x5)));
}

/**
 * G8 (g0, g1, g2) of F(6, 3) (points 0, ±1, ±2, ±1/2, ∞): rows [1, 0, 0], -2/9 (1, 1, 1),
 * -2/9 (1, -1, 1), (1/90, 1/45, 2/45), (1/90, -1/45, 2/45), (32/45, 16/45, 8/45),
 * (32/45, -16/45, 8/45), [0, 0, 1]; float64, stored as eight float32 values `step` bytes apart.
 */
// @ts-expect-error: decorator
@inline function gColumn8(g0: f64, g1: f64, g2: f64, dst: usize, step: usize): void {
  const outer = g0 + g2;
  const a = g0 * (1.0 / 90.0) + g2 * (2.0 / 45.0);
  const b = g1 * (1.0 / 45.0);
  const c = g0 * (32.0 / 45.0) + g2 * (8.0 / 45.0);
  const d = g1 * (16.0 / 45.0);
  store<f32>(dst, <f32>g0);
  store<f32>(dst + step, <f32>((outer + g1) * (-2.0 / 9.0)));
  store<f32>(dst + 2 * step, <f32>((outer - g1) * (-2.0 / 9.0)));
  store<f32>(dst + 3 * step, <f32>(a + b));
  store<f32>(dst + 4 * step, <f32>(a - b));
  store<f32>(dst + 5 * step, <f32>(c + d));
  store<f32>(dst + 6 * step, <f32>(c - d));
  store<f32>(dst + 7 * step, <f32>g2);
}

/** gColumn8 on four lanes in float32. */
// @ts-expect-error: decorator
@inline function gColumn8V(g0: v128, g1: v128, g2: v128, dst: usize, step: usize): void {
  const outer = f32x4.add(g0, g2);
  const minusTwoNinths = f32x4.splat(-2.0 / 9.0);
  const a = fma(g0, f32x4.splat(1.0 / 90.0), f32x4.mul(g2, f32x4.splat(2.0 / 45.0)));
  const b = f32x4.mul(g1, f32x4.splat(1.0 / 45.0));
  const c = fma(g0, f32x4.splat(32.0 / 45.0), f32x4.mul(g2, f32x4.splat(8.0 / 45.0)));
  const d = f32x4.mul(g1, f32x4.splat(16.0 / 45.0));
  v128.store(dst, g0);
  v128.store(dst + step, f32x4.mul(f32x4.add(outer, g1), minusTwoNinths));
  v128.store(dst + 2 * step, f32x4.mul(f32x4.sub(outer, g1), minusTwoNinths));
  v128.store(dst + 3 * step, f32x4.add(a, b));
  v128.store(dst + 4 * step, f32x4.sub(a, b));
  v128.store(dst + 5 * step, f32x4.add(c, d));
  v128.store(dst + 6 * step, f32x4.sub(c, d));
  v128.store(dst + 7 * step, g2);
}

/**
 * F(6, 3)'s input transform of four tiles (one row each, eight values at a_l): a transpose to
 * lanes-over-tiles, then B8^T; the eight results go to s, s + step, ...
 */
// @ts-expect-error: decorator
@inline function transposeRow8(a0: usize, a1: usize, a2: usize, a3: usize, s: usize, step: usize): void {
  const lo0 = v128.load(a0);
  const lo1 = v128.load(a1);
  const lo2 = v128.load(a2);
  const lo3 = v128.load(a3);
  const hi0 = v128.load(a0, 16);
  const hi1 = v128.load(a1, 16);
  const hi2 = v128.load(a2, 16);
  const hi3 = v128.load(a3, 16);
  let p = v128.shuffle<f32>(lo0, lo1, 0, 4, 1, 5);
  let q = v128.shuffle<f32>(lo0, lo1, 2, 6, 3, 7);
  let r = v128.shuffle<f32>(lo2, lo3, 0, 4, 1, 5);
  let t = v128.shuffle<f32>(lo2, lo3, 2, 6, 3, 7);
  const x0 = v128.shuffle<f64>(p, r, 0, 2);
  const x1 = v128.shuffle<f64>(p, r, 1, 3);
  const x2 = v128.shuffle<f64>(q, t, 0, 2);
  const x3 = v128.shuffle<f64>(q, t, 1, 3);
  p = v128.shuffle<f32>(hi0, hi1, 0, 4, 1, 5);
  q = v128.shuffle<f32>(hi0, hi1, 2, 6, 3, 7);
  r = v128.shuffle<f32>(hi2, hi3, 0, 4, 1, 5);
  t = v128.shuffle<f32>(hi2, hi3, 2, 6, 3, 7);
  const x4 = v128.shuffle<f64>(p, r, 0, 2);
  const x5 = v128.shuffle<f64>(p, r, 1, 3);
  const x6 = v128.shuffle<f64>(q, t, 0, 2);
  const x7 = v128.shuffle<f64>(q, t, 1, 3);
  // B8^T rows: [1 0 -21/4 0 21/4 0 -1 0], [0 1 1 -17/4 -17/4 1 1 0], [0 -1 1 17/4 -17/4 -1 1 0],
  // [0 1/2 1/4 -5/2 -5/4 2 1 0], [0 -1/2 1/4 5/2 -5/4 -2 1 0], [0 2 4 -5/2 -5 1/2 1 0],
  // [0 -2 4 5/2 -5 -1/2 1 0], [0 -1 0 21/4 0 -21/4 0 1].
  const a = fma(x4, f32x4.splat(-4.25), f32x4.add(x2, x6));
  const b = fma(x3, f32x4.splat(-4.25), f32x4.add(x1, x5));
  const c = fma(x4, f32x4.splat(-1.25), fma(x2, f32x4.splat(0.25), x6));
  const d = fma(x3, f32x4.splat(-2.5), fma(x1, f32x4.splat(0.5), f32x4.add(x5, x5)));
  const e = fma(x4, f32x4.splat(-5), fma(x2, f32x4.splat(4), x6));
  const f = fma(x3, f32x4.splat(-2.5), fma(x5, f32x4.splat(0.5), f32x4.add(x1, x1)));
  v128.store(s, fma(f32x4.sub(x4, x2), f32x4.splat(5.25), f32x4.sub(x0, x6)));
  v128.store(s + step, f32x4.add(a, b));
  v128.store(s + 2 * step, f32x4.sub(a, b));
  v128.store(s + 3 * step, f32x4.add(c, d));
  v128.store(s + 4 * step, f32x4.sub(c, d));
  v128.store(s + 5 * step, f32x4.add(e, f));
  v128.store(s + 6 * step, f32x4.sub(e, f));
  v128.store(s + 7 * step, fma(f32x4.sub(x3, x5), f32x4.splat(5.25), f32x4.sub(x7, x1)));
}

/**
 * F(6, 3)'s output transform of four tiles: A8^T over the eight points at m, m + step, ...,
 * plus the bias, transposed back to each tile's six outputs and stored (vector and 64-bit
 * stores where the tile is whole and undilated).
 */
// @ts-expect-error: decorator
@inline function outputRow8(m: usize, step: usize, bias: v128, table: usize, y: usize, colStep: usize, scratch: usize): void {
  const m0 = v128.load(m);
  const m1 = v128.load(m + step);
  const m2 = v128.load(m + 2 * step);
  const m3 = v128.load(m + 3 * step);
  const m4 = v128.load(m + 4 * step);
  const m5 = v128.load(m + 5 * step);
  const m6 = v128.load(m + 6 * step);
  const m7 = v128.load(m + 7 * step);
  const s1 = f32x4.add(m1, m2);
  const d1 = f32x4.sub(m1, m2);
  const s2 = f32x4.add(m3, m4);
  const d2 = f32x4.sub(m3, m4);
  const s3 = f32x4.add(m5, m6);
  const d3 = f32x4.sub(m5, m6);
  // A8^T rows: [1 1 1 1 1 1 1 0], [0 1 -1 2 -2 1/2 -1/2 0], [0 1 1 4 4 1/4 1/4 0],
  // [0 1 -1 8 -8 1/8 -1/8 0], [0 1 1 16 16 1/16 1/16 0], [0 1 -1 32 -32 1/32 -1/32 1].
  const y0 = f32x4.add(f32x4.add(f32x4.add(m0, bias), s1), f32x4.add(s2, s3));
  const y1 = fma(d3, f32x4.splat(0.5), fma(d2, f32x4.splat(2), f32x4.add(d1, bias)));
  const y2 = fma(s3, f32x4.splat(0.25), fma(s2, f32x4.splat(4), f32x4.add(s1, bias)));
  const y3 = fma(d3, f32x4.splat(0.125), fma(d2, f32x4.splat(8), f32x4.add(d1, bias)));
  const y4 = fma(s3, f32x4.splat(0.0625), fma(s2, f32x4.splat(16), f32x4.add(s1, bias)));
  const y5 = fma(d3, f32x4.splat(0.03125), fma(d2, f32x4.splat(32), f32x4.add(f32x4.add(d1, m7), bias)));
  const p = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
  const q = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
  const r = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
  const t = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
  const u = v128.shuffle<f32>(y4, y5, 0, 4, 1, 5);
  const w = v128.shuffle<f32>(y4, y5, 2, 6, 3, 7);
  if (
    colStep == 4 &&
    load<i32>(table, 12) == 6 &&
    load<i32>(table, TILE_ENTRY + 12) == 6 &&
    load<i32>(table, 2 * TILE_ENTRY + 12) == 6 &&
    load<i32>(table, 3 * TILE_ENTRY + 12) == 6
  ) {
    // Four whole undilated tiles (the common case): stored straight from the transpose.
    const d0 = y + <usize>load<i32>(table, 4);
    const d1 = y + <usize>load<i32>(table, TILE_ENTRY + 4);
    const d2 = y + <usize>load<i32>(table, 2 * TILE_ENTRY + 4);
    const d3 = y + <usize>load<i32>(table, 3 * TILE_ENTRY + 4);
    v128.store(d0, v128.shuffle<f64>(p, r, 0, 2));
    v128.store64_lane(d0 + 16, u, 0);
    v128.store(d1, v128.shuffle<f64>(p, r, 1, 3));
    v128.store64_lane(d1 + 16, u, 1);
    v128.store(d2, v128.shuffle<f64>(q, t, 0, 2));
    v128.store64_lane(d2 + 16, w, 0);
    v128.store(d3, v128.shuffle<f64>(q, t, 1, 3));
    v128.store64_lane(d3 + 16, w, 1);
    return;
  }
  // scratch[l]: tile l's six outputs (32 bytes apart).
  v128.store(scratch, v128.shuffle<f64>(p, r, 0, 2));
  v128.store(scratch, v128.shuffle<f64>(p, r, 1, 3), 32);
  v128.store(scratch, v128.shuffle<f64>(q, t, 0, 2), 64);
  v128.store(scratch, v128.shuffle<f64>(q, t, 1, 3), 96);
  v128.store64_lane(scratch + 16, u, 0);
  v128.store64_lane(scratch + 48, u, 1);
  v128.store64_lane(scratch + 80, w, 0);
  v128.store64_lane(scratch + 112, w, 1);
  for (let l = 0; l < 4; l++) {
    const e = table + <usize>(l * TILE_ENTRY);
    if (load<i32>(e, 8) <= 0) continue;
    const validW = load<i32>(e, 12);
    const dst = y + <usize>load<i32>(e, 4);
    const src = scratch + <usize>(l * 32);
    if (validW == 6 && colStep == 4) {
      v128.store(dst, v128.load(src));
      store<u64>(dst, load<u64>(src, 16), 16);
    } else {
      for (let j = 0; j < validW; j++) store<f32>(dst + <usize>j * colStep, load<f32>(src + <usize>(j * 4)));
    }
  }
}

/** A^T m over six vectors at m, m + step, ...; the four results go to s, s + 16, ... */
// @ts-expect-error: decorator
@inline function outputRow(m: usize, step: usize, s: usize, sStep: usize): void {
  const m0 = v128.load(m);
  const m1 = v128.load(m + step);
  const m2 = v128.load(m + 2 * step);
  const m3 = v128.load(m + 3 * step);
  const m4 = v128.load(m + 4 * step);
  const m5 = v128.load(m + 5 * step);
  const a = f32x4.add(m1, m2);
  const b = f32x4.sub(m1, m2);
  const c = f32x4.add(m3, m4);
  const e = f32x4.sub(m3, m4);
  v128.store(s, f32x4.add(f32x4.add(m0, a), c));
  v128.store(s + sStep, fma(e, f32x4.splat(2), b));
  v128.store(s + 2 * sStep, fma(c, f32x4.splat(4), a));
  v128.store(s + 3 * sStep, f32x4.add(fma(e, f32x4.splat(8), b), m5));
}

/**
 * Stores one whole tile's output row (four values) at dst: one vector store undilated
 * (colStep 4); with dilation 2 (colStep 8) the values are every other float, and the floats
 * between belong to the other column phase (or, after the last, the next row), so they are
 * read and written back unchanged around ours.
 */
// @ts-expect-error: decorator
@inline function storeTileRow(r: v128, dst: usize, colStep: usize): void {
  if (colStep == 4) {
    v128.store(dst, r);
  } else {
    v128.store(dst, v128.shuffle<f32>(r, v128.load(dst), 0, 5, 1, 7));
    v128.store(dst, v128.shuffle<f32>(r, v128.load(dst, 16), 2, 5, 3, 7), 16);
  }
}

/**
 * Stores four tiles' output rows: r0..r3 hold row `row` of the tiles as lanes-over-tiles
 * (element ow of each lane in r_ow); transposed back so each vector is one tile's row.
 */
// @ts-expect-error: decorator
@inline function storeRows(
  r0: v128,
  r1: v128,
  r2: v128,
  r3: v128,
  row: i32,
  table: usize,
  y: usize,
  rowStep: usize,
  colStep: usize,
  scratch: usize,
): void {
  const p = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const q = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const r = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(scratch, v128.shuffle<f64>(p, r, 0, 2));
  v128.store(scratch, v128.shuffle<f64>(p, r, 1, 3), 16);
  v128.store(scratch, v128.shuffle<f64>(q, t, 0, 2), 32);
  v128.store(scratch, v128.shuffle<f64>(q, t, 1, 3), 48);
  for (let l = 0; l < 4; l++) {
    const e = table + <usize>(l * TILE_ENTRY);
    const validH = load<i32>(e, 8);
    const validW = load<i32>(e, 12);
    if (row >= validH) continue;
    const dst = y + <usize>load<i32>(e, 4) + <usize>row * rowStep;
    const src = scratch + <usize>(l * 16);
    if (validW == 4 && colStep == 4) {
      v128.store(dst, v128.load(src));
    } else if (validW == 4 && colStep == 8) {
      // Dilation 2: the tile's outputs are every other float, and the floats between belong to
      // the other column phase (or, after the last, the next row): read them and write them
      // back unchanged around ours.
      const r = v128.load(src);
      v128.store(dst, v128.shuffle<f32>(r, v128.load(dst), 0, 5, 1, 7));
      v128.store(dst, v128.shuffle<f32>(r, v128.load(dst, 16), 2, 5, 3, 7), 16);
    } else {
      for (let j = 0; j < validW; j++) store<f32>(dst + <usize>j * colStep, load<f32>(src + <usize>(j * 4)));
    }
  }
}

/**
 * The 2-D input transform of four tiles (one lane each, rows `rowBytes` apart from a0..a3):
 * B^T along w for each of the six rows into scratch[r][j], then B^T along h; point (i, j) =
 * i * 6 + j goes to dst + (i * 6 + j) * step.
 */
// @ts-expect-error: decorator
@inline function inputTiles4(a0: usize, a1: usize, a2: usize, a3: usize, rowBytes: usize, dst: usize, step: usize, scratch: usize): void {
  let off: usize = 0;
  for (let r = 0; r < 6; r++) {
    transposeRow(a0 + off, a1 + off, a2 + off, a3 + off, scratch + <usize>(r * 96), 16);
    off += rowBytes;
  }
  for (let j = 0; j < 6; j++) {
    const s = scratch + <usize>(j * 16);
    inputRow(
      v128.load(s),
      v128.load(s, 96),
      v128.load(s, 192),
      v128.load(s, 288),
      v128.load(s, 384),
      v128.load(s, 480),
      dst + <usize>j * step,
      6 * step,
    );
  }
}

/**
 * `batch` samples of a stride-1, kernel-3 convolution (see the header), their tiles in one
 * sequence so that small samples share blocks. planes: the samples' packed inputs
 * (`winogradPackInput`, all C_in channels, `sampleInBytes` apart); u:
 * `winogradTransformWeights`; y: the outputs [C_out][outH][outW], `sampleOutBytes` apart
 * (overwritten); bias: C_out floats when hasBias. Tiles: tilesH x tilesW per phase (phase
 * 0's output, the largest), dH * dW phases per sample. Byte offsets within the planes and the
 * outputs must fit an i32. Only the tiles [tileFirst, tileEnd) of that sequence are computed
 * (threads sharing the memory each take a range, with their own `work`; every tile's outputs
 * are the same bits whichever range and block it falls in).
 */
export function winogradConv(
  dims: i32,
  planes: usize,
  inChannels: i32,
  planeH: i32,
  planeW: i32,
  u: usize,
  bias: usize,
  hasBias: bool,
  y: usize,
  outH: i32,
  outW: i32,
  dH: i32,
  dW: i32,
  tilesH: i32,
  tilesW: i32,
  batch: i32,
  sampleInBytes: i32,
  sampleOutBytes: i32,
  groups: i32,
  cinG: i32,
  coutG: i32,
  blockTiles: i32,
  work: usize,
  tileFirst: i32,
  tileEnd: i32,
): void {
  const points = pointsOf(dims);
  const tile_ = tileOf(dims);
  const v = work;
  const vBytes = points * spread(blockTiles * cinG * 4);
  const m = v + <usize>((vBytes + 63) & ~63);
  const mBytes = coutG * points * blockTiles * 4;
  const table = m + <usize>((mBytes + 63) & ~63);
  const scratch = table + <usize>(blockTiles * TILE_ENTRY);
  const outScratch = scratch + 36 * 16;
  const tail = outScratch + 16 * 16;
  const planeBytes = planeH * planeW * 4;
  const rowBytes = <usize>(planeW * 4);
  const outPlaneBytes = <usize>(outH * outW * 4);
  const rowStep = <usize>(dH * outW * 4);
  const colStep = <usize>(dW * 4);
  const coutPad = ((coutG + MR - 1) / MR) * MR;
  const uPointBytes = <usize>spread(coutPad * cinG * 4);
  const phaseTiles = tilesH * tilesW;
  const sampleTiles = dH * dW * phaseTiles;
  const lastTile = min(tileEnd, batch * sampleTiles);
  for (let t0 = tileFirst; t0 < lastTile; t0 += blockTiles) {
    const nt = min(blockTiles, lastTile - t0);
    const ntp = (nt + NR - 1) & ~(NR - 1);
    // The tile table: where each tile reads (phase plane, channel 0) and writes (channel 0).
    // Tiles in the order sample, row phase, tile row, tile column, column phase: with dilation
    // 2 along w the tiles k and k + 1 of an even k are the two column phases of one place,
    // whose outputs interleave (stored together below).
    for (let k = 0; k < ntp; k++) {
      const tile = k < nt ? t0 + k : t0;
      const sample = tile / sampleTiles;
      const inSample = tile - sample * sampleTiles;
      const ph = inSample / (phaseTiles * dW);
      const rest = inSample - ph * phaseTiles * dW;
      const place = rest / dW;
      const pw = rest - place * dW;
      const th = place / tilesW;
      const tw = place - th * tilesW;
      const phase = ph * dW + pw;
      const phaseH = (outH - ph + dH - 1) / dH;
      const phaseW = (outW - pw + dW - 1) / dW;
      const e = table + <usize>(k * TILE_ENTRY);
      store<i32>(e, sample * sampleInBytes + phase * inChannels * planeBytes + (4 * th * planeW + tile_ * tw) * 4);
      store<i32>(e, sample * sampleOutBytes + ((ph + 4 * th * dH) * outW + pw + tile_ * tw * dW) * 4, 4);
      store<i32>(e, k < nt ? min(4, phaseH - 4 * th) : 0, 8);
      store<i32>(e, k < nt ? min(tile_, phaseW - tile_ * tw) : 0, 12);
    }
    const vPointBytes = <usize>spread(ntp * cinG * 4);
    const ldc = <usize>(points * ntp * 4);
    for (let g = 0; g < groups; g++) {
      const groupPlanes = planes + <usize>(g * cinG * planeBytes);
      // 1. Input transform into V[point][panel][ci][8], a panel of eight tiles (two groups of
      //    four lanes) per channel, so that each channel's 32 bytes of a point's panel are
      //    written together.
      for (let k = 0; k < ntp; k += 8) {
        const e = table + <usize>(k * TILE_ENTRY);
        let a0 = groupPlanes + <usize>load<i32>(e);
        let a1 = groupPlanes + <usize>load<i32>(e, TILE_ENTRY);
        let a2 = groupPlanes + <usize>load<i32>(e, 2 * TILE_ENTRY);
        let a3 = groupPlanes + <usize>load<i32>(e, 3 * TILE_ENTRY);
        let a4 = groupPlanes + <usize>load<i32>(e, 4 * TILE_ENTRY);
        let a5 = groupPlanes + <usize>load<i32>(e, 5 * TILE_ENTRY);
        let a6 = groupPlanes + <usize>load<i32>(e, 6 * TILE_ENTRY);
        let a7 = groupPlanes + <usize>load<i32>(e, 7 * TILE_ENTRY);
        let dst = v + <usize>((k >> 3) * cinG * 32);
        for (let ci = 0; ci < cinG; ci++) {
          if (dims == 1) {
            transposeRow8(a0, a1, a2, a3, dst, vPointBytes);
            transposeRow8(a4, a5, a6, a7, dst + 16, vPointBytes);
          } else {
            inputTiles4(a0, a1, a2, a3, rowBytes, dst, vPointBytes, scratch);
            inputTiles4(a4, a5, a6, a7, rowBytes, dst + 16, vPointBytes, scratch);
          }
          a0 += <usize>planeBytes;
          a1 += <usize>planeBytes;
          a2 += <usize>planeBytes;
          a3 += <usize>planeBytes;
          a4 += <usize>planeBytes;
          a5 += <usize>planeBytes;
          a6 += <usize>planeBytes;
          a7 += <usize>planeBytes;
          dst += 32;
        }
      }
      // 2. One GEMM per transform point: M[co][point][tile] = U[point] V[point].
      const ug = u + <usize>g * uPointBytes * <usize>points;
      for (let p = 0; p < points; p++) {
        macroKernel(
          coutG,
          ntp,
          cinG,
          ug + <usize>p * uPointBytes,
          v + <usize>p * vPointBytes,
          m + <usize>(p * ntp * 4),
          ldc,
          false,
          tail,
        );
      }
      // 3. Output transform, bias, stores.
      const pointStep = <usize>(ntp * 4);
      for (let co = 0; co < coutG; co++) {
        const channel = g * coutG + co;
        const b = hasBias ? f32x4.splat(load<f32>(bias + <usize>(channel * 4))) : f32x4.splat(0);
        const yc = y + <usize>channel * outPlaneBytes;
        const mc = m + <usize>co * ldc;
        for (let k = 0; k < nt; k += 4) {
          const e = table + <usize>(k * TILE_ENTRY);
          const mk = mc + <usize>(k * 4);
          if (dims == 1) {
            outputRow8(mk, pointStep, b, e, yc, colStep, scratch);
            continue;
          }
          // Along w: scratch[i][ow] = A^T over points (i, 0..5).
          for (let i = 0; i < 6; i++) {
            outputRow(mk + <usize>(i * 6) * pointStep, pointStep, scratch + <usize>(i * 64), 16);
          }
          // Along h: outScratch[oh][ow] = A^T over scratch[0..5][ow].
          for (let ow = 0; ow < 4; ow++) {
            outputRow(scratch + <usize>(ow * 16), 64, outScratch + <usize>(ow * 16), 64);
          }
          const whole =
            load<i32>(e, 8) == 4 &&
            load<i32>(e, 12) == 4 &&
            load<i32>(e, TILE_ENTRY + 8) == 4 &&
            load<i32>(e, TILE_ENTRY + 12) == 4 &&
            load<i32>(e, 2 * TILE_ENTRY + 8) == 4 &&
            load<i32>(e, 2 * TILE_ENTRY + 12) == 4 &&
            load<i32>(e, 3 * TILE_ENTRY + 8) == 4 &&
            load<i32>(e, 3 * TILE_ENTRY + 12) == 4;
          if (
            whole &&
            colStep == 8 &&
            load<i32>(e, TILE_ENTRY + 4) == load<i32>(e, 4) + 4 &&
            load<i32>(e, 3 * TILE_ENTRY + 4) == load<i32>(e, 2 * TILE_ENTRY + 4) + 4
          ) {
            // Dilation 2 along w, tiles 0, 1 and 2, 3 the two column phases of one place each:
            // their rows interleave into eight consecutive outputs, stored whole (no read of
            // the other phase's floats between ours).
            const y0 = yc + <usize>load<i32>(e, 4);
            const y2 = yc + <usize>load<i32>(e, 2 * TILE_ENTRY + 4);
            let off: usize = 0;
            for (let oh = 0; oh < 4; oh++) {
              const s = outScratch + <usize>(oh * 64);
              const r0 = f32x4.add(v128.load(s), b);
              const r1 = f32x4.add(v128.load(s, 16), b);
              const r2 = f32x4.add(v128.load(s, 32), b);
              const r3 = f32x4.add(v128.load(s, 48), b);
              v128.store(y0 + off, v128.shuffle<f64>(r0, r1, 0, 2));
              v128.store(y0 + off, v128.shuffle<f64>(r2, r3, 0, 2), 16);
              v128.store(y2 + off, v128.shuffle<f64>(r0, r1, 1, 3));
              v128.store(y2 + off, v128.shuffle<f64>(r2, r3, 1, 3), 16);
              off += rowStep;
            }
            continue;
          }
          if (whole && colStep <= 8) {
            // Four whole tiles (the common case): each tile's rows stored straight from the
            // transpose, no table reads per row.
            const y0 = yc + <usize>load<i32>(e, 4);
            const y1 = yc + <usize>load<i32>(e, TILE_ENTRY + 4);
            const y2 = yc + <usize>load<i32>(e, 2 * TILE_ENTRY + 4);
            const y3 = yc + <usize>load<i32>(e, 3 * TILE_ENTRY + 4);
            let off: usize = 0;
            for (let oh = 0; oh < 4; oh++) {
              const s = outScratch + <usize>(oh * 64);
              const r0 = f32x4.add(v128.load(s), b);
              const r1 = f32x4.add(v128.load(s, 16), b);
              const r2 = f32x4.add(v128.load(s, 32), b);
              const r3 = f32x4.add(v128.load(s, 48), b);
              const p = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
              const q = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
              const r = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
              const t = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
              storeTileRow(v128.shuffle<f64>(p, r, 0, 2), y0 + off, colStep);
              storeTileRow(v128.shuffle<f64>(p, r, 1, 3), y1 + off, colStep);
              storeTileRow(v128.shuffle<f64>(q, t, 0, 2), y2 + off, colStep);
              storeTileRow(v128.shuffle<f64>(q, t, 1, 3), y3 + off, colStep);
              off += rowStep;
            }
            continue;
          }
          for (let oh = 0; oh < 4; oh++) {
            const s = outScratch + <usize>(oh * 64);
            storeRows(
              f32x4.add(v128.load(s), b),
              f32x4.add(v128.load(s, 16), b),
              f32x4.add(v128.load(s, 32), b),
              f32x4.add(v128.load(s, 48), b),
              oh,
              e,
              yc,
              rowStep,
              colStep,
              scratch + 36 * 16 - 64,
            );
          }
        }
      }
    }
  }
}

/*
 * The weight gradient by Winograd: gradWeight[co][ci] = Σ_n Σ_tiles correlation of an input
 * tile d with a gradOutput tile g, a 3x3 (1-D: 3) result, by F(3x3, 2x2) on the points 0, ±1
 * and ∞: B2^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1], G2 = [1 0; 1/2 1/2; 1/2 -1/2; 0 1],
 * A2^T = [1 1 1 0; 0 1 -1 0; 0 1 1 1], on 4x4 input tiles at a step of 2: 16 multiplications
 * per channel pair and tile instead of 36. (F(3x3, 4x4), the larger tile, was measured 10x
 * less exact: its transforms grow the terms that the sum over thousands of tiles then
 * cancels, up to 1.6x the 1e-4 tolerance on c3x3.) Summed over tiles, every transform point
 * is one GEMM with the tiles as its depth, M[point][co][ci] = GY[point][co][tiles]
 * X[point][tiles][ci], per block of tiles in float32, and the blocks are summed in float64.
 * The transforms run on four channels per vector (the lanes of a 4x4 transpose are four
 * channels of one tile), so they write the packed A (GY: MR-row panels) and B (X: 8-column
 * panels) layouts directly, four channels over every tile of a block at a time (each point's
 * panel one write stream, the channels' rows in L1 from tile to tile), in registers.
 * Simulated in float32 on c3x3 data (uniform ±1, gradWeight up to 79), the largest error over
 * the tolerance: F(3x3, 2x2) 0.23, F(3x3, 3x3) 1.4-2.0, F(3x3, 4x4) 2.9-3.6, F(3, 2) along h
 * with F(3, 3) along w 0.70; blocks of 784 tiles instead of 240 doubled F(3x3, 2x2)'s to 0.49.
 * Measured on c3x3 (one thread, relaxed SIMD, min of 30, load 5-7): input transform 0.16 ms
 * (0.77 ms with the points at a 4 KiB stride and every channel per tile, 1.5 before either),
 * gradOutput transform 0.115 ms, GEMMs 1.77 ms (58 GFLOP/s of 103 MFLOP, 87% of peak),
 * float64 block sums 0.07 ms, output transform 0.03 ms.
 */

/** Transform points of the weight gradient: 4x4 in 2-D, 4 in 1-D. */
// @ts-expect-error: decorator
@inline function gradPointsOf(dims: i32): i32 {
  return dims == 2 ? 16 : 4;
}

/** Bytes of scratch `winogradWeightGradAccumulate` needs for blocks of `blockTiles` tiles. */
export function winogradWeightGradWorkBytes(dims: i32, cinG: i32, coutG: i32, blockTiles: i32): i32 {
  const points = gradPointsOf(dims);
  const cinPad = (cinG + 7) & ~7;
  const coutPad = ((coutG + MR - 1) / MR) * MR;
  const x = points * spread(blockTiles * cinPad * 4);
  const gy = points * spread(blockTiles * (coutPad + 4) * 4);
  const m = points * coutG * cinG * 4;
  return ((x + 63) & ~63) + ((gy + 63) & ~63) + ((m + 63) & ~63) + blockTiles * 8 + SMALL_SCRATCH;
}

/** B2^T on four vectors; results at dst, dst + step, ... */
// @ts-expect-error: decorator
@inline function gradInputRow(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize, step: usize): void {
  v128.store(dst, f32x4.sub(x0, x2));
  v128.store(dst + step, f32x4.add(x1, x2));
  v128.store(dst + 2 * step, f32x4.sub(x2, x1));
  v128.store(dst + 3 * step, f32x4.sub(x3, x1));
}

/**
 * Stores four output channels' values (lanes: rows co .. co + 3) of tile k into one point's
 * packed A block (MR-row panels of `depth` tiles), rows past the padded count dropped.
 */
// @ts-expect-error: decorator
@inline function storeGradLanes(v: v128, point: usize, k: i32, co: i32, coutPad: i32, depth: i32, scratch: usize): void {
  if (MR % 4 == 0) {
    // co is a multiple of 4, so the four rows sit in one panel.
    v128.store(point + <usize>((co / MR) * depth * MR * 4 + k * MR * 4 + (co % MR) * 4), v);
    return;
  }
  v128.store(scratch, v);
  for (let l = 0; l < 4; l++) {
    const row = co + l;
    if (row >= coutPad) break;
    const at = point + <usize>((row / MR) * depth * MR * 4 + k * MR * 4 + (row % MR) * 4);
    store<f32>(at, load<f32>(scratch + <usize>(l * 4)));
  }
}

/**
 * One row i of the 2-D B2^T d B2 for four channels (channel c's tile at a0 + o_c): row rA of
 * each tile plus (or, with `sub`, minus) its row rB, transposed so that the lanes are the
 * channels, then B2^T along the row; points (i, 0..3) go to dst, dst + step, ...
 */
// @ts-expect-error: decorator
@inline function gradInputPoints(a0: usize, o1: usize, o2: usize, o3: usize, rA: usize, rB: usize, sub: bool, dst: usize, step: usize): void {
  const l0 = sub ? f32x4.sub(v128.load(a0 + rA), v128.load(a0 + rB)) : f32x4.add(v128.load(a0 + rA), v128.load(a0 + rB));
  const l1 = sub ? f32x4.sub(v128.load(a0 + o1 + rA), v128.load(a0 + o1 + rB)) : f32x4.add(v128.load(a0 + o1 + rA), v128.load(a0 + o1 + rB));
  const l2 = sub ? f32x4.sub(v128.load(a0 + o2 + rA), v128.load(a0 + o2 + rB)) : f32x4.add(v128.load(a0 + o2 + rA), v128.load(a0 + o2 + rB));
  const l3 = sub ? f32x4.sub(v128.load(a0 + o3 + rA), v128.load(a0 + o3 + rB)) : f32x4.add(v128.load(a0 + o3 + rA), v128.load(a0 + o3 + rB));
  const p = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5);
  const q = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7);
  const u = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
  const t = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
  gradInputRow(
    v128.shuffle<f64>(p, u, 0, 2),
    v128.shuffle<f64>(p, u, 1, 3),
    v128.shuffle<f64>(q, t, 0, 2),
    v128.shuffle<f64>(q, t, 1, 3),
    dst,
    step,
  );
}

/**
 * G2 along a column of the gradOutput tile, top value t and bottom value v (four channels):
 * points j, 4 + j, 8 + j, 12 + j (`point` is point j, the points `step` bytes apart) get t,
 * (t + v) / 2, (t - v) / 2 and v.
 */
// @ts-expect-error: decorator
@inline function gradColumn(t: v128, v: v128, point: usize, step: usize, k: i32, co: i32, coutPad: i32, depth: i32, scratch: usize): void {
  const half = f32x4.splat(0.5);
  storeGradLanes(t, point, k, co, coutPad, depth, scratch);
  storeGradLanes(f32x4.mul(f32x4.add(t, v), half), point + 4 * step, k, co, coutPad, depth, scratch);
  storeGradLanes(f32x4.mul(f32x4.sub(t, v), half), point + 8 * step, k, co, coutPad, depth, scratch);
  storeGradLanes(v, point + 12 * step, k, co, coutPad, depth, scratch);
}

/**
 * Adds `batch` samples' contributions to the float64 sums M[group][point][co][ci], the points
 * `spread(coutG * cinG * 8)` bytes apart (overwrites them when `overwrite`), their tiles in
 * one sequence. xPlanes: the samples'
 * inputs packed as for winogradConv (planeH x planeW per phase and channel, planeH >= 2
 * tilesH + 2, planeW >= 2 tilesW + 2; `sampleXBytes` apart); gyPlanes: their gradOutputs
 * packed the same way without padding (gyPlaneH x gyPlaneW, at least 2 tilesH x 2 tilesW;
 * `sampleGyBytes` apart). Tiles: tilesH x tilesW gradOutput tiles of 2x2 (1-D: 2) per phase,
 * dH * dW phases per sample. Only the tiles [tileFirst, tileEnd) of the sequence are summed
 * (`overwrite`: into m64 as it is at the first of them), so that threads sharing the memory
 * can each sum a range into their own m64, in their own work area.
 */
export function winogradWeightGradAccumulate(
  dims: i32,
  xPlanes: usize,
  inChannels: i32,
  planeH: i32,
  planeW: i32,
  gyPlanes: usize,
  outChannels: i32,
  gyPlaneH: i32,
  gyPlaneW: i32,
  dH: i32,
  dW: i32,
  tilesH: i32,
  tilesW: i32,
  batch: i32,
  sampleXBytes: i32,
  sampleGyBytes: i32,
  groups: i32,
  cinG: i32,
  coutG: i32,
  blockTiles: i32,
  m64: usize,
  overwrite: bool,
  work: usize,
  tileFirst: i32,
  tileEnd: i32,
): void {
  const points = gradPointsOf(dims);
  const cinPad = (cinG + 7) & ~7;
  const coutPad = ((coutG + MR - 1) / MR) * MR;
  const xb = work;
  const gb = xb + <usize>(points * spread(blockTiles * cinPad * 4));
  const mb = gb + <usize>(points * spread(blockTiles * (coutPad + 4) * 4));
  const table = mb + <usize>((points * coutG * cinG * 4 + 63) & ~63);
  const scratch = table + <usize>(blockTiles * 8);
  const tail = scratch + 36 * 16 + 16 * 16;
  const planeBytes = planeH * planeW * 4;
  const gyPlaneBytes = gyPlaneH * gyPlaneW * 4;
  const rowBytes = <usize>(planeW * 4);
  const gyRowBytes = <usize>(gyPlaneW * 4);
  const phaseTiles = tilesH * tilesW;
  const sampleTiles = dH * dW * phaseTiles;
  const lastTile = min(tileEnd, batch * sampleTiles);
  const pairs = coutG * cinG;
  const mPointBytes = <usize>spread(pairs * 8);
  for (let t0 = tileFirst; t0 < lastTile; t0 += blockTiles) {
    const nt = min(blockTiles, lastTile - t0);
    const xPointBytes = <usize>spread(cinPad * nt * 4);
    const gPointBytes = <usize>spread(coutPad * nt * 4);
    // The tile table: each tile's input and gradOutput tile (channel 0 of its phase), as
    // offsets from xPlanes and gyPlanes.
    for (let k = 0; k < nt; k++) {
      const tile = t0 + k;
      const sample = tile / sampleTiles;
      const inSample = tile - sample * sampleTiles;
      const phase = inSample / phaseTiles;
      const rest = inSample - phase * phaseTiles;
      const th = rest / tilesW;
      const tw = rest - th * tilesW;
      const e = table + <usize>(k * 8);
      store<u32>(
        e,
        <u32>sample * <u32>sampleXBytes +
          <u32>(phase * inChannels) * <u32>planeBytes +
          <u32>((2 * th * planeW + 2 * tw) * 4),
      );
      store<u32>(
        e,
        <u32>sample * <u32>sampleGyBytes +
          <u32>(phase * outChannels) * <u32>gyPlaneBytes +
          <u32>((2 * th * gyPlaneW + 2 * tw) * 4),
        4,
      );
    }
    for (let g = 0; g < groups; g++) {
      // 1. Four input channels at a time, every tile of the block: the 4x4 input tiles ->
      //    X[point][ci panel][k][8]. Channels outer, tiles inner: each point's panel is
      //    written as one stream, and the channels' rows stay in L1 from tile to tile.
      for (let ci = 0; ci < cinG; ci += 4) {
        const c0 = xPlanes + <usize>(g * cinG + ci) * <usize>planeBytes;
        const o1 = <usize>((min(ci + 1, cinG - 1) - ci) * planeBytes);
        const o2 = <usize>((min(ci + 2, cinG - 1) - ci) * planeBytes);
        const o3 = <usize>((min(ci + 3, cinG - 1) - ci) * planeBytes);
        let dst = xb + <usize>((ci >> 3) * nt * 32 + (ci & 7) * 4);
        for (let k = 0; k < nt; k++) {
          const a0 = c0 + <usize>load<u32>(table + <usize>(k * 8));
          if (dims == 1) {
            // B2^T along the row, straight into X.
            const l0 = v128.load(a0);
            const l1 = v128.load(a0 + o1);
            const l2 = v128.load(a0 + o2);
            const l3 = v128.load(a0 + o3);
            const p = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5);
            const q = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7);
            const u = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
            const t = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
            gradInputRow(
              v128.shuffle<f64>(p, u, 0, 2),
              v128.shuffle<f64>(p, u, 1, 3),
              v128.shuffle<f64>(q, t, 0, 2),
              v128.shuffle<f64>(q, t, 1, 3),
              dst,
              xPointBytes,
            );
          } else {
            // B2^T along the column first, on the rows as loaded (row i of B2^T: r0 - r2,
            // r1 + r2, r2 - r1, r3 - r1), then along the row: point (i, j) = i * 4 + j. All
            // in registers.
            gradInputPoints(a0, o1, o2, o3, 0, 2 * rowBytes, true, dst, xPointBytes);
            gradInputPoints(a0, o1, o2, o3, rowBytes, 2 * rowBytes, false, dst + 4 * xPointBytes, xPointBytes);
            gradInputPoints(a0, o1, o2, o3, 2 * rowBytes, rowBytes, true, dst + 8 * xPointBytes, xPointBytes);
            gradInputPoints(a0, o1, o2, o3, 3 * rowBytes, rowBytes, true, dst + 12 * xPointBytes, xPointBytes);
          }
          dst += 32;
        }
      }
      // 2. Four gradOutput channels at a time, every tile: the 2x2 gradOutput tiles ->
      //    GY[point][co panel][k][MR].
      for (let co = 0; co < coutG; co += 4) {
        const c0 = gyPlanes + <usize>(g * coutG + co) * <usize>gyPlaneBytes;
        const o1 = <usize>((min(co + 1, coutG - 1) - co) * gyPlaneBytes);
        const o2 = <usize>((min(co + 2, coutG - 1) - co) * gyPlaneBytes);
        const o3 = <usize>((min(co + 3, coutG - 1) - co) * gyPlaneBytes);
        const half = f32x4.splat(0.5);
        for (let k = 0; k < nt; k++) {
          const b0 = c0 + <usize>load<u32>(table + <usize>(k * 8), 4);
          // Row 0 of the four channels' tiles as columns a, b (lanes: channels), G2 along the
          // row: r0 = [a, (a + b) / 2, (a - b) / 2, b]. All in registers.
          let p = v128.shuffle<f32>(v128.load64_zero(b0), v128.load64_zero(b0 + o1), 0, 4, 1, 5);
          let u = v128.shuffle<f32>(v128.load64_zero(b0 + o2), v128.load64_zero(b0 + o3), 0, 4, 1, 5);
          const a = v128.shuffle<f64>(p, u, 0, 2);
          const b = v128.shuffle<f64>(p, u, 1, 3);
          const r01 = f32x4.mul(f32x4.add(a, b), half);
          const r02 = f32x4.mul(f32x4.sub(a, b), half);
          if (dims == 1) {
            storeGradLanes(a, gb, k, co, coutPad, nt, tail);
            storeGradLanes(r01, gb + gPointBytes, k, co, coutPad, nt, tail);
            storeGradLanes(r02, gb + 2 * gPointBytes, k, co, coutPad, nt, tail);
            storeGradLanes(b, gb + 3 * gPointBytes, k, co, coutPad, nt, tail);
            continue;
          }
          // Row 1 as columns c, d: r1 = [c, (c + d) / 2, (c - d) / 2, d].
          p = v128.shuffle<f32>(v128.load64_zero(b0 + gyRowBytes), v128.load64_zero(b0 + o1 + gyRowBytes), 0, 4, 1, 5);
          u = v128.shuffle<f32>(v128.load64_zero(b0 + o2 + gyRowBytes), v128.load64_zero(b0 + o3 + gyRowBytes), 0, 4, 1, 5);
          const c = v128.shuffle<f64>(p, u, 0, 2);
          const d = v128.shuffle<f64>(p, u, 1, 3);
          const r11 = f32x4.mul(f32x4.add(c, d), half);
          const r12 = f32x4.mul(f32x4.sub(c, d), half);
          // G2 along the column, point (i, j) = i * 4 + j: [r0j, (r0j + r1j) / 2, (r0j - r1j) / 2, r1j].
          gradColumn(a, c, gb, gPointBytes, k, co, coutPad, nt, tail);
          gradColumn(r01, r11, gb + gPointBytes, gPointBytes, k, co, coutPad, nt, tail);
          gradColumn(r02, r12, gb + 2 * gPointBytes, gPointBytes, k, co, coutPad, nt, tail);
          gradColumn(b, d, gb + 3 * gPointBytes, gPointBytes, k, co, coutPad, nt, tail);
        }
      }
      // 3. One GEMM per point, the block's tiles as depth, into float32 block sums.
      for (let p = 0; p < points; p++) {
        macroKernel(
          coutG,
          cinG,
          nt,
          gb + <usize>p * gPointBytes,
          xb + <usize>p * xPointBytes,
          mb + <usize>(p * coutG * cinG * 4),
          <usize>(cinG * 4),
          false,
          tail,
        );
      }
      // 4. The block sums into the float64 sums (points `mPointBytes` apart).
      const first = overwrite && t0 == tileFirst;
      for (let p = 0; p < points; p++) {
        const mg = m64 + <usize>(g * points + p) * mPointBytes;
        const src = mb + <usize>(p * pairs * 4);
        let i = 0;
        for (; i + 4 <= pairs; i += 4) {
          const v = v128.load(src + <usize>(i * 4));
          const lo = f64x2.promote_low_f32x4(v);
          const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
          const at = mg + <usize>(i * 8);
          v128.store(at, first ? lo : f64x2.add(v128.load(at), lo));
          v128.store(at, first ? hi : f64x2.add(v128.load(at, 16), hi), 16);
        }
        for (; i < pairs; i++) {
          const at = mg + <usize>(i * 8);
          const v = <f64>load<f32>(src + <usize>(i * 4));
          store<f64>(at, first ? v : load<f64>(at) + v);
        }
      }
    }
  }
}

/**
 * gradWeight[g * coutG + co][ci][kh][kw] (1-D: [..][kw]) = A2^T M[g][.][co][ci] A2 (float64,
 * rounded once), from the sums of `winogradWeightGradAccumulate`.
 */
export function winogradWeightGradOutput(dims: i32, m64: usize, groups: i32, coutG: i32, cinG: i32, gw: usize): void {
  const points = gradPointsOf(dims);
  const pointBytes = <usize>spread(coutG * cinG * 8);
  const taps = dims == 2 ? 9 : 3;
  let dst = gw;
  for (let g = 0; g < groups; g++) {
    const mg = m64 + <usize>g * pointBytes * <usize>points;
    for (let co = 0; co < coutG; co++) {
      let ci = 0;
      if (dims == 2) {
        // Two input channels per f64x2 (the same operations as the scalar loop below).
        for (; ci + 2 <= cinG; ci += 2) {
          const mc = mg + <usize>((co * cinG + ci) * 8);
          for (let kw = 0; kw < 3; kw++) {
            const c0 = gradOutputRow2(mc, pointBytes, kw);
            const c1 = gradOutputRow2(mc + 4 * pointBytes, pointBytes, kw);
            const c2 = gradOutputRow2(mc + 8 * pointBytes, pointBytes, kw);
            const c3 = gradOutputRow2(mc + 12 * pointBytes, pointBytes, kw);
            storeTwo(f64x2.add(f64x2.add(c0, c1), c2), dst + <usize>(kw * 4), taps);
            storeTwo(f64x2.sub(c1, c2), dst + <usize>((3 + kw) * 4), taps);
            storeTwo(f64x2.add(f64x2.add(c1, c2), c3), dst + <usize>((6 + kw) * 4), taps);
          }
          dst += <usize>(2 * taps * 4);
        }
      }
      for (; ci < cinG; ci++) {
        const mc = mg + <usize>((co * cinG + ci) * 8);
        if (dims == 1) {
          const m0 = load<f64>(mc);
          const m1 = load<f64>(mc + pointBytes);
          const m2 = load<f64>(mc + 2 * pointBytes);
          const m3 = load<f64>(mc + 3 * pointBytes);
          store<f32>(dst, <f32>(m0 + m1 + m2));
          store<f32>(dst, <f32>(m1 - m2), 4);
          store<f32>(dst, <f32>(m1 + m2 + m3), 8);
          dst += 12;
          continue;
        }
        // Rows i of A2^T along j (three columns kw), then along i.
        for (let kw = 0; kw < 3; kw++) {
          let c0: f64 = 0;
          let c1: f64 = 0;
          let c2: f64 = 0;
          let c3: f64 = 0;
          for (let i = 0; i < 4; i++) {
            const row = mc + <usize>(i * 4) * pointBytes;
            const m0 = load<f64>(row);
            const m1 = load<f64>(row + pointBytes);
            const m2 = load<f64>(row + 2 * pointBytes);
            const m3 = load<f64>(row + 3 * pointBytes);
            const v = kw == 0 ? m0 + m1 + m2 : kw == 1 ? m1 - m2 : m1 + m2 + m3;
            if (i == 0) c0 = v;
            else if (i == 1) c1 = v;
            else if (i == 2) c2 = v;
            else c3 = v;
          }
          store<f32>(dst + <usize>(kw * 4), <f32>(c0 + c1 + c2));
          store<f32>(dst + <usize>((3 + kw) * 4), <f32>(c1 - c2));
          store<f32>(dst + <usize>((6 + kw) * 4), <f32>(c1 + c2 + c3));
        }
        dst += <usize>(taps * 4);
      }
    }
  }
}

/** Column kw of A2^T along one row of points (row at `row`, points `step` apart), two channels. */
// @ts-expect-error: decorator
@inline function gradOutputRow2(row: usize, step: usize, kw: i32): v128 {
  const m1 = v128.load(row + step);
  const m2 = v128.load(row + 2 * step);
  if (kw == 0) return f64x2.add(f64x2.add(v128.load(row), m1), m2);
  if (kw == 1) return f64x2.sub(m1, m2);
  return f64x2.add(f64x2.add(m1, m2), v128.load(row + 3 * step));
}

/** Rounds two float64 lanes to float32 and stores them `taps` floats apart (two channels). */
// @ts-expect-error: decorator
@inline function storeTwo(v: v128, dst: usize, taps: i32): void {
  const f = f32x4.demote_f64x2_zero(v);
  v128.store32_lane(dst, f, 0);
  v128.store32_lane(dst + <usize>(taps * 4), f, 1);
}
