/**
 * depthwise-conv: depthwise convolution (one input channel per group, any channel multiplier)
 * on channels-first planes, vectorised over the output width: one f32x4 holds four
 * consecutive output columns of one output row.
 *
 * The padded, phase-split plane. Except on the direct 3x3 path (below), before a source plane
 * is used it is copied once into a scratch "padded plane" that holds every input position
 * the convolution reads, zeros where the geometry pads, and, per row, the columns split by the width stride into `sW` phase rows
 * (phase p holds padded columns p, p + sW, p + 2 sW, ...). Output column ow, tap kw then reads
 * phase (kw dW) mod sW at index ow + floor(kw dW / sW): four consecutive output columns are
 * four consecutive floats for every stride, so each tap of a vector of outputs is one plain
 * v128.load and no lane ever needs a bounds check (XNNPACK's dwconv2d-chw kernels do the same
 * over width with masked edge loads; here the copy absorbs the edges, the strides and the
 * zero-insertion below, and costs one pass over the input against kernelVolume passes of
 * compute). Rows (and depth slices) need no split: a row of taps is a row offset.
 *
 * The source may also be zero-upsampled by (uD, uH, uW) and padded by a negative amount
 * (a crop), which turns the transposed passes into the same forward loop: the gradient of a
 * stride-s convolution with respect to its input (and a transposed convolution's forward) is
 * a stride-1 convolution of the s-upsampled gradient with the flipped kernel and padding
 * (k - 1) d - p (Dumoulin & Visin, arXiv 1603.07285, section 4). The caller flips the kernel.
 *
 * Three exports, driven by a geometry block of i32 slots the caller writes (order below):
 *
 *   depthwiseConv        y = bias + conv(x, w) per plane. Mode 0 (fan-out): source plane
 *                        (n, c) feeds output planes (n, c m + j) with filters c m + j
 *                        (forward, transposed forward). Mode 1 (fan-in): source planes
 *                        (n, c m + j) with filters c m + j sum into output plane (n, c)
 *                        (both gradInputs).
 *   depthwiseWeightGrad  gw[c m + j, tap] += sum over n and output positions of
 *                        gy-role[pos] * x-role[pos s + tap d - p]: f32x4 partial sums over
 *                        blocks of at most ~64 vectors per chain, folded into float64
 *                        accumulators (the caller's gw64) so that sums over large planes and
 *                        batches hold the 1e-4 tolerance. Mode 0: x-role plane (n, c), gy-role
 *                        (n, c m + j) (convolution); mode 1: x-role (n, c m + j), gy-role
 *                        (n, c) (transposed convolution).
 *   depthwiseConvChannelsLast  the forward on N [D] H W C data without multiplier,
 *                        vectorised over channels instead (see its comment).
 *
 * Paths of depthwiseConv: the 2-D 3x3 kernel at stride 1 without dilation and with at most
 * 4 of padding a side (MobileNet's depthwise layers, and their gradInputs) skips the padded
 * plane and reads the source planes in place (convPlane3x3Direct, slot 30 = 1): a padding row
 * is a row of zeros, and the one or two vectors per row whose taps reach past the row's ends
 * mask those lanes to exact zeros (so 0 * Inf still gives NaN there, as with real padding);
 * it keeps its nine splatted weights in registers (V8 gives a function about 13 xmm
 * registers) and computes two output rows per step from four source rows (12 loads for 18
 * multiply-adds), in two copies of the loop, with and without accumulation, so that neither
 * holds a branch. dw3x3 (C256 28x28): 0.11 ms, 33 GFLOP/s (relaxed SIMD), against 0.17 ms
 * through the padded plane. At width stride 2 (any height stride; MobileNet's downsampling
 * layers) convPlane3x3DirectS2 (slot 30 = 3) reads the source in place as well, splitting the
 * even and odd columns of two loaded vectors with shuffles: C256 28x28 stride 2 0.13 ms
 * against 0.22 with the phase-split padded plane, whose filling cost more than the products.
 * The other 3x3 planes (dilated, width stride 1 with a height stride, stride 3 or more, wider
 * padding) run convPlane3x3 over the padded plane (two rows per step at height stride 1); a
 * source upsampled 2x along the width runs its even and odd output columns as two phases over
 * the plain source (convPlanePhased: no product with an inserted zero); everything else takes
 * the row loop (any kernel, 1-3-D; 8 output columns per step, 5-wide kernels unrolled), which
 * skips the kernel rows that read only zeros when the caller allows it (slot 29). depthwiseWeightGrad:
 * nine taps at once for 2-D 3x3 (one gy load per nine multiply-adds), else four at a time.
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';

// Geometry block slots (i32), written by src/wasm/depthwise-kernels.ts.
// 0 batch, 1 channels (groups), 2 multiplier, 3 mode, 4-6 source D H W, 7-9 output D H W,
// 10-12 kernel D H W, 13-15 stride, 16-18 padding before (negative: a crop), 19-21 dilation,
// 22-24 source upsampling, 25 padded-plane depth slices, 26 padded-plane rows per slice,
// 27 phase-row length (floats), 28 has bias, 29 skip zero rows (see activeRows), 30 output
// width phases (2: see convPlanePhased; 1 and 3: the direct 3x3 paths at width stride 1 and 2,
// convPlane3x3Direct and convPlane3x3DirectS2, which read the source itself; else 0), 31 the
// width padding of the upsampled source.
/** Bytes of the geometry block: 32 i32 slots, then 32 bytes of lane scratch. */
export const DW_GEOMETRY_BYTES: i32 = 32 * 4 + 32;

// @ts-expect-error: decorator
@inline function slot(geo: usize, i: i32): i32 {
  return load<i32>(geo + (<usize>i << 2));
}

// @ts-expect-error: decorator
@inline function bytes(elements: i32): usize {
  return <usize>elements << 2;
}

/** dst[0 .. count) = 0. */
function zeroFloats(dst: usize, count: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + bytes(i), z);
  for (; i < count; i++) store<f32>(dst + bytes(i), 0);
}

/**
 * One padded row: all sW phase rows of length L from source row `src` (inW floats), padded
 * by pW before (negative: cropped), upsampled by uW.
 */
function fillRow(src: usize, dst: usize, inW: i32, sW: i32, pW: i32, uW: i32, L: i32): void {
  if (uW == 1 && sW == 1) {
    // Padded column j reads source column j - pW.
    const lo = min(max(pW, 0), L);
    const hi = max(min(pW + inW, L), lo);
    zeroFloats(dst, lo);
    let s = src + bytes(lo - pW);
    let d = dst + bytes(lo);
    let j = lo;
    for (; j + 4 <= hi; j += 4) {
      v128.store(d, v128.load(s));
      s += 16;
      d += 16;
    }
    for (; j < hi; j++) {
      store<f32>(d, load<f32>(s));
      s += 4;
      d += 4;
    }
    zeroFloats(dst + bytes(hi), L - hi);
    return;
  }
  if (uW == 1 && sW == 2) {
    // Phase 0 index j reads source column 2j - pW, phase 1 the next one: de-interleave four
    // pairs at a time where all eight lie inside the row.
    const odd = dst + bytes(L);
    let j = 0;
    for (; j < L; j++) {
      const t = 2 * j - pW;
      if (t >= 0 && j + 4 <= L && t + 8 <= inW) {
        const a = v128.load(src + bytes(t));
        const b = v128.load(src + bytes(t + 4));
        v128.store(dst + bytes(j), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
        v128.store(odd + bytes(j), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
        j += 3;
        continue;
      }
      store<f32>(dst + bytes(j), t >= 0 && t < inW ? load<f32>(src + bytes(t)) : 0);
      store<f32>(odd + bytes(j), t + 1 >= 0 && t + 1 < inW ? load<f32>(src + bytes(t + 1)) : 0);
    }
    return;
  }
  for (let p = 0; p < sW; p++) {
    const row = dst + bytes(p * L);
    for (let j = 0; j < L; j++) {
      const t = p + sW * j - pW;
      let v: f32 = 0;
      if (t >= 0) {
        const i = t / uW;
        if (i * uW == t && i < inW) v = load<f32>(src + bytes(i));
      }
      store<f32>(row + bytes(j), v);
    }
  }
}

/** Source index of padded position q (padding `pad`, upsampling `up`, size `size`), or -1. */
// @ts-expect-error: decorator
@inline function sourceIndex(q: i32, pad: i32, up: i32, size: i32): i32 {
  const t = q - pad;
  if (t < 0) return -1;
  const i = t / up;
  return i * up == t && i < size ? i : -1;
}

/** Copies source plane `src` into the padded, phase-split plane at `scratch`. */
function fillScratch(geo: usize, src: usize, scratch: usize): void {
  const inD = slot(geo, 4);
  const inH = slot(geo, 5);
  const inW = slot(geo, 6);
  const sW = slot(geo, 15);
  const pD = slot(geo, 16);
  const pH = slot(geo, 17);
  const pW = slot(geo, 18);
  const uD = slot(geo, 22);
  const uH = slot(geo, 23);
  const uW = slot(geo, 24);
  const rowsD = slot(geo, 25);
  const rowsH = slot(geo, 26);
  const L = slot(geo, 27);
  const rowFloats = sW * L;
  let dst = scratch;
  for (let rd = 0; rd < rowsD; rd++) {
    const id = sourceIndex(rd, pD, uD, inD);
    for (let rh = 0; rh < rowsH; rh++) {
      const ih = sourceIndex(rh, pH, uH, inH);
      if (id < 0 || ih < 0) zeroFloats(dst, rowFloats);
      else fillRow(src + bytes((id * inH + ih) * inW), dst, inW, sW, pW, uW, L);
      dst += bytes(rowFloats);
    }
  }
}

/**
 * Byte offset of every tap (kd, kh, kw in C order) from an output position's padded origin,
 * then of every kernel column (kW more i32).
 */
function fillTaps(geo: usize, taps: usize): void {
  const kD = slot(geo, 10);
  const kH = slot(geo, 11);
  const kW = slot(geo, 12);
  const sW = slot(geo, 15);
  const dD = slot(geo, 19);
  const dH = slot(geo, 20);
  const dW = slot(geo, 21);
  const rowsH = slot(geo, 26);
  const L = slot(geo, 27);
  const rowFloats = sW * L;
  let t = taps;
  for (let kd = 0; kd < kD; kd++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        store<i32>(t, <i32>bytes((kd * dD * rowsH + kh * dH) * rowFloats) + columnOffset(kw * dW, sW, L));
        t += 4;
      }
    }
  }
  for (let kw = 0; kw < kW; kw++) {
    store<i32>(t, columnOffset(kw * dW, sW, L));
    t += 4;
  }
  if (slot(geo, 30) != 2) return;
  // Output width phases of a 2x-upsampled source (convPlanePhased): after room for the
  // active-row list, per phase r a count and (byte offset in the source row, byte offset of
  // the weight) for each kernel column that reads a source sample, not an inserted zero.
  t += bytes(2 * kD * kH);
  const padUp = slot(geo, 31);
  const padRow = slot(geo, 18);
  for (let r = 0; r < 2; r++) {
    const countAt = t;
    t += 4;
    let count = 0;
    for (let kw = 0; kw < kW; kw++) {
      const u = r + kw * dW - padUp;
      if ((u & 1) != 0) continue;
      store<i32>(t, <i32>bytes((u >> 1) + padRow));
      store<i32>(t, <i32>bytes(kw), 4);
      t += 8;
      count++;
    }
    store<i32>(countAt, count);
    t = countAt + bytes(1 + 2 * kW);
  }
}

/** Byte offset of padded column `column` from column 0 of its row: its phase row, then its index. */
// @ts-expect-error: decorator
@inline function columnOffset(column: i32, sW: i32, L: i32): i32 {
  return <i32>bytes((column % sW) * L + column / sW);
}

/**
 * Stores the first `count` (< 4) lanes of `acc` at `out`, each plus `init` or, when
 * accumulating, plus what is there. `lanes` is 16 bytes of scratch.
 */
function storeTail(out: usize, acc: v128, count: i32, init: f32, accumulate: bool, lanes: usize): void {
  v128.store(lanes, acc);
  for (let l = 0; l < count; l++) {
    const at = out + bytes(l);
    store<f32>(at, (accumulate ? load<f32>(at) : init) + load<f32>(lanes + bytes(l)));
  }
}

/** Byte offset of output row (od, oh)'s origin in the padded plane. */
// @ts-expect-error: decorator
@inline function rowOrigin(od: i32, oh: i32, sD: i32, sH: i32, rowsH: i32, rowFloats: i32): usize {
  return bytes((od * sD * rowsH + oh * sH) * rowFloats);
}

/**
 * For output row (od, oh), the kernel rows to run: pairs (row offset in bytes from the output
 * row's origin, byte offset of the kernel row's weights) at `rows`; returns their count. With
 * slot 29 set, rows that hold only zeros (padding, or rows the upsampling inserted) are left
 * out: the caller sets it only where its weights are finite (0 * Inf would be NaN) or where
 * those zeros are no taps of the op at all (the transposed passes).
 */
function activeRows(geo: usize, od: i32, oh: i32, rows: usize): i32 {
  const inD = slot(geo, 4);
  const inH = slot(geo, 5);
  const kD = slot(geo, 10);
  const kH = slot(geo, 11);
  const kW = slot(geo, 12);
  const sD = slot(geo, 13);
  const sH = slot(geo, 14);
  const pD = slot(geo, 16);
  const pH = slot(geo, 17);
  const dD = slot(geo, 19);
  const dH = slot(geo, 20);
  const uD = slot(geo, 22);
  const uH = slot(geo, 23);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  const skip = slot(geo, 29) != 0;
  let count = 0;
  for (let kd = 0; kd < kD; kd++) {
    if (skip && sourceIndex(od * sD + kd * dD, pD, uD, inD) < 0) continue;
    for (let kh = 0; kh < kH; kh++) {
      if (skip && sourceIndex(oh * sH + kh * dH, pH, uH, inH) < 0) continue;
      const e = rows + (<usize>count << 3);
      store<i32>(e, <i32>bytes((kd * dD * rowsH + kh * dH) * rowFloats));
      store<i32>(e, <i32>bytes((kd * kH + kh) * kW), 4);
      count++;
    }
  }
  return count;
}

/**
 * One output plane from the padded plane, any kernel: per output row, only the kernel rows
 * that read data (an upsampled source has s - 1 zero rows in s, padding rows hold zeros);
 * two chains per vector (even and odd kernel columns). `taps` holds the flat tap table
 * (kernelVolume i32), the column offsets (kW i32), then room for the active-row list.
 */
function convPlaneRows(geo: usize, scratch: usize, taps: usize, w: usize, dst: usize, init: f32, accumulate: bool): void {
  const outD = slot(geo, 7);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const kW = slot(geo, 12);
  const kernelVolume = slot(geo, 10) * slot(geo, 11) * kW;
  const sD = slot(geo, 13);
  const sH = slot(geo, 14);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  const cols = taps + bytes(kernelVolume);
  const rows = cols + bytes(kW);
  const c1 = kW == 5 ? <usize>load<i32>(cols, 4) : 0;
  const c2 = kW == 5 ? <usize>load<i32>(cols, 8) : 0;
  const c3 = kW == 5 ? <usize>load<i32>(cols, 12) : 0;
  const c4 = kW == 5 ? <usize>load<i32>(cols, 16) : 0;
  const initV = f32x4.splat(init);
  let out = dst;
  for (let od = 0; od < outD; od++) {
    for (let oh = 0; oh < outH; oh++) {
      const origin = scratch + rowOrigin(od, oh, sD, sH, rowsH, rowFloats);
      const active = activeRows(geo, od, oh, rows);
      let ow = 0;
      // Eight output columns per step: each splatted weight serves two vectors.
      for (; ow + 8 <= outW; ow += 8) {
        const p = origin + bytes(ow);
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let b0 = f32x4.splat(0);
        let b1 = f32x4.splat(0);
        for (let r = 0; r < active; r++) {
          const e = rows + (<usize>r << 3);
          const row = p + <usize>load<i32>(e);
          const wr = w + <usize>load<i32>(e, 4);
          if (kW == 5) {
            // The common large kernel: its column offsets stay in registers.
            const x0 = v128.load32_splat(wr);
            a0 = fma(x0, v128.load(row), a0);
            b0 = fma(x0, v128.load(row, 16), b0);
            const x1 = v128.load32_splat(wr, 4);
            a1 = fma(x1, v128.load(row + c1), a1);
            b1 = fma(x1, v128.load(row + c1, 16), b1);
            const x2 = v128.load32_splat(wr, 8);
            a0 = fma(x2, v128.load(row + c2), a0);
            b0 = fma(x2, v128.load(row + c2, 16), b0);
            const x3 = v128.load32_splat(wr, 12);
            a1 = fma(x3, v128.load(row + c3), a1);
            b1 = fma(x3, v128.load(row + c3, 16), b1);
            const x4 = v128.load32_splat(wr, 16);
            a0 = fma(x4, v128.load(row + c4), a0);
            b0 = fma(x4, v128.load(row + c4, 16), b0);
            continue;
          }
          let kw = 0;
          for (; kw + 2 <= kW; kw += 2) {
            const c = cols + bytes(kw);
            const x0 = v128.load32_splat(wr + bytes(kw));
            const x1 = v128.load32_splat(wr + bytes(kw + 1));
            const q0 = row + <usize>load<i32>(c);
            const q1 = row + <usize>load<i32>(c, 4);
            a0 = fma(x0, v128.load(q0), a0);
            b0 = fma(x0, v128.load(q0, 16), b0);
            a1 = fma(x1, v128.load(q1), a1);
            b1 = fma(x1, v128.load(q1, 16), b1);
          }
          if (kw < kW) {
            const x0 = v128.load32_splat(wr + bytes(kw));
            const q0 = row + <usize>load<i32>(cols + bytes(kw));
            a0 = fma(x0, v128.load(q0), a0);
            b0 = fma(x0, v128.load(q0, 16), b0);
          }
        }
        const o = out + bytes(ow);
        v128.store(o, f32x4.add(f32x4.add(a0, a1), accumulate ? v128.load(o) : initV));
        v128.store(o, f32x4.add(f32x4.add(b0, b1), accumulate ? v128.load(o, 16) : initV), 16);
      }
      for (; ow < outW; ow += 4) {
        const p = origin + bytes(ow);
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        for (let r = 0; r < active; r++) {
          const e = rows + (<usize>r << 3);
          const row = p + <usize>load<i32>(e);
          const wr = w + <usize>load<i32>(e, 4);
          let kw = 0;
          for (; kw + 2 <= kW; kw += 2) {
            const c = cols + bytes(kw);
            a0 = fma(v128.load32_splat(wr + bytes(kw)), v128.load(row + <usize>load<i32>(c)), a0);
            a1 = fma(v128.load32_splat(wr + bytes(kw + 1)), v128.load(row + <usize>load<i32>(c, 4)), a1);
          }
          if (kw < kW) a0 = fma(v128.load32_splat(wr + bytes(kw)), v128.load(row + <usize>load<i32>(cols + bytes(kw))), a0);
        }
        const acc = f32x4.add(a0, a1);
        const o = out + bytes(ow);
        if (ow + 4 <= outW) v128.store(o, f32x4.add(acc, accumulate ? v128.load(o) : initV));
        else storeTail(o, acc, outW - ow, init, accumulate, geo + 128);
      }
      out += bytes(outW);
    }
  }
}

/** The 3x3 taps of one output vector whose kernel rows start at r0, r1, r2. */
// @ts-expect-error: decorator
@inline function dot3x3Rows(r0: usize, r1: usize, r2: usize, col1: usize, col2: usize, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128): v128 {
  let a = f32x4.mul(w0, v128.load(r0));
  a = fma(w1, v128.load(r0 + col1), a);
  a = fma(w2, v128.load(r0 + col2), a);
  a = fma(w3, v128.load(r1), a);
  a = fma(w4, v128.load(r1 + col1), a);
  a = fma(w5, v128.load(r1 + col2), a);
  a = fma(w6, v128.load(r2), a);
  a = fma(w7, v128.load(r2 + col1), a);
  return fma(w8, v128.load(r2 + col2), a);
}

/** dot3x3Rows with kernel rows `step` bytes apart. */
// @ts-expect-error: decorator
@inline function dot3x3(r0: usize, step: usize, col1: usize, col2: usize, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128): v128 {
  return dot3x3Rows(r0, r0 + step, r0 + 2 * step, col1, col2, w0, w1, w2, w3, w4, w5, w6, w7, w8);
}

/**
 * One output plane where the source is upsampled 2x along the width (the adjoint passes of a
 * width-stride-2 convolution): output columns 2q and 2q + 1 read the source itself at q plus
 * a per-column offset, each through its own half of the kernel columns (the other half falls
 * on inserted zeros), so the two phases run as two stride-1 chains over the plain padded
 * source (slot 18 its padding) and are interleaved on the store: no multiplication by an
 * inserted zero. Rows: as convPlaneRows (the height may be upsampled too).
 */
function convPlanePhased(geo: usize, scratch: usize, taps: usize, w: usize, dst: usize, init: f32, accumulate: bool): void {
  const outD = slot(geo, 7);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const kD = slot(geo, 10);
  const kH = slot(geo, 11);
  const kW = slot(geo, 12);
  const sD = slot(geo, 13);
  const sH = slot(geo, 14);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  const rows = taps + bytes(kD * kH * kW + kW);
  const phase0 = rows + bytes(2 * kD * kH);
  const phase1 = phase0 + bytes(1 + 2 * kW);
  const n0 = load<i32>(phase0);
  const n1 = load<i32>(phase1);
  const initV = f32x4.splat(init);
  const lanes = geo + 128;
  let out = dst;
  for (let od = 0; od < outD; od++) {
    for (let oh = 0; oh < outH; oh++) {
      const origin = scratch + rowOrigin(od, oh, sD, sH, rowsH, rowFloats);
      const active = activeRows(geo, od, oh, rows);
      // q: output column pair; one step covers output columns 2q .. 2q + 7.
      for (let q = 0; 2 * q < outW; q += 4) {
        const p = origin + bytes(q);
        let a = f32x4.splat(0);
        let b = f32x4.splat(0);
        for (let r = 0; r < active; r++) {
          const e = rows + (<usize>r << 3);
          const row = p + <usize>load<i32>(e);
          const wr = w + <usize>load<i32>(e, 4);
          for (let i = 0; i < n0; i++) {
            const t = phase0 + 4 + (<usize>i << 3);
            a = fma(v128.load32_splat(wr + <usize>load<i32>(t, 4)), v128.load(row + <usize>load<i32>(t)), a);
          }
          for (let i = 0; i < n1; i++) {
            const t = phase1 + 4 + (<usize>i << 3);
            b = fma(v128.load32_splat(wr + <usize>load<i32>(t, 4)), v128.load(row + <usize>load<i32>(t)), b);
          }
        }
        const lo = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
        const hi = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
        const o = out + bytes(2 * q);
        const count = outW - 2 * q;
        if (count >= 8) {
          v128.store(o, f32x4.add(lo, accumulate ? v128.load(o) : initV));
          v128.store(o, f32x4.add(hi, accumulate ? v128.load(o, 16) : initV), 16);
        } else {
          v128.store(lanes, lo);
          v128.store(lanes, hi, 16);
          for (let l = 0; l < count; l++) {
            const at = o + bytes(l);
            store<f32>(at, (accumulate ? load<f32>(at) : init) + load<f32>(lanes + bytes(l)));
          }
        }
      }
      out += bytes(outW);
    }
  }
}

/** One output plane of a 2-D 3x3 kernel: nine weights in registers, one chain per kernel row. */
function convPlane3x3(geo: usize, scratch: usize, taps: usize, w: usize, dst: usize, init: f32, accumulate: bool): void {
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const sH = slot(geo, 14);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  // Kernel rows are whole padded rows apart; kernel columns 1 and 2 are the same offsets in every row.
  const row1 = <usize>load<i32>(taps, 12);
  const row2 = <usize>load<i32>(taps, 24);
  const col1 = <usize>load<i32>(taps, 4);
  const col2 = <usize>load<i32>(taps, 8);
  const w0 = v128.load32_splat(w);
  const w1 = v128.load32_splat(w, 4);
  const w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12);
  const w4 = v128.load32_splat(w, 16);
  const w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24);
  const w7 = v128.load32_splat(w, 28);
  const w8 = v128.load32_splat(w, 32);
  const initV = f32x4.splat(init);
  let out = dst;
  let oh = 0;
  if (sH == 1 && row1 == bytes(rowFloats) && row2 == bytes(2 * rowFloats)) {
    // Stride 1, no dilation in height: two output rows share two of their four input rows,
    // and each input vector is loaded once for both (12 loads, 18 multiply-adds, 2 stores).
    const step = bytes(rowFloats);
    for (; oh + 2 <= outH; oh += 2) {
      let r0 = scratch + rowOrigin(0, oh, 0, 1, rowsH, rowFloats);
      let o = out;
      const end = out + bytes(outW & ~3);
      while (o < end) {
        let v = v128.load(r0);
        let a = f32x4.mul(w0, v);
        v = v128.load(r0 + col1);
        a = fma(w1, v, a);
        v = v128.load(r0 + col2);
        a = fma(w2, v, a);
        const r1 = r0 + step;
        v = v128.load(r1);
        a = fma(w3, v, a);
        let b = f32x4.mul(w0, v);
        v = v128.load(r1 + col1);
        a = fma(w4, v, a);
        b = fma(w1, v, b);
        v = v128.load(r1 + col2);
        a = fma(w5, v, a);
        b = fma(w2, v, b);
        const r2 = r1 + step;
        v = v128.load(r2);
        a = fma(w6, v, a);
        b = fma(w3, v, b);
        v = v128.load(r2 + col1);
        a = fma(w7, v, a);
        b = fma(w4, v, b);
        v = v128.load(r2 + col2);
        a = fma(w8, v, a);
        b = fma(w5, v, b);
        const r3 = r2 + step;
        v = v128.load(r3);
        b = fma(w6, v, b);
        v = v128.load(r3 + col1);
        b = fma(w7, v, b);
        v = v128.load(r3 + col2);
        b = fma(w8, v, b);
        const o2 = o + bytes(outW);
        v128.store(o, f32x4.add(a, accumulate ? v128.load(o) : initV));
        v128.store(o2, f32x4.add(b, accumulate ? v128.load(o2) : initV));
        r0 += 16;
        o += 16;
      }
      const rest = outW & 3;
      if (rest != 0) {
        storeTail(o, dot3x3(r0, step, col1, col2, w0, w1, w2, w3, w4, w5, w6, w7, w8), rest, init, accumulate, geo + 128);
        storeTail(o + bytes(outW), dot3x3(r0 + step, step, col1, col2, w0, w1, w2, w3, w4, w5, w6, w7, w8), rest, init, accumulate, geo + 128);
      }
      out += bytes(2 * outW);
    }
  }
  for (; oh < outH; oh++) {
    let r0 = scratch + rowOrigin(0, oh, 0, sH, rowsH, rowFloats);
    let o = out;
    const end = out + bytes(outW & ~3);
    while (o < end) {
      const r1 = r0 + row1;
      const r2 = r0 + row2;
      let a0 = f32x4.mul(w0, v128.load(r0));
      let a1 = f32x4.mul(w3, v128.load(r1));
      let a2 = f32x4.mul(w6, v128.load(r2));
      a0 = fma(w1, v128.load(r0 + col1), a0);
      a1 = fma(w4, v128.load(r1 + col1), a1);
      a2 = fma(w7, v128.load(r2 + col1), a2);
      a0 = fma(w2, v128.load(r0 + col2), a0);
      a1 = fma(w5, v128.load(r1 + col2), a1);
      a2 = fma(w8, v128.load(r2 + col2), a2);
      const acc = f32x4.add(f32x4.add(a0, a1), a2);
      v128.store(o, f32x4.add(acc, accumulate ? v128.load(o) : initV));
      r0 += 16;
      o += 16;
    }
    const rest = outW & 3;
    if (rest != 0) {
      const a0 = dot3x3Rows(r0, r0 + row1, r0 + row2, col1, col2, w0, w1, w2, w3, w4, w5, w6, w7, w8);
      storeTail(o, a0, rest, init, accumulate, geo + 128);
    }
    out += bytes(outW);
  }
}

/** Lanes whose source column col0 + lane lies in [0, inW): all ones, the rest zero. */
// @ts-expect-error: decorator
@inline function columnMask(col0: i32, inW: i32): v128 {
  return i32x4.lt_u(i32x4.add(i32x4.splat(col0), i32x4(0, 1, 2, 3)), i32x4.splat(inW));
}

/**
 * Stores `acc` (plus init, or plus what is there) at output column ow of row `out`. A row's
 * tail vector is stored whole when not accumulating: its extra lanes land on the first
 * columns of the next row (or the next plane, or the output's slack), which the caller
 * writes afterwards (convPlane3x3Direct's order); accumulating, only the row's lanes.
 */
// @ts-expect-error: decorator
@inline function storeOutput(out: usize, ow: i32, outW: i32, acc: v128, initV: v128, init: f32, accumulate: bool, lanes: usize): void {
  const o = out + bytes(ow);
  if (!accumulate) v128.store(o, f32x4.add(acc, initV));
  else if (ow + 4 <= outW) v128.store(o, f32x4.add(acc, v128.load(o)));
  else storeTail(o, acc, outW - ow, init, true, lanes);
}

/**
 * The output vectors at column ow of two rows (source rows r0 .. r3) where some lanes of some
 * taps fall outside the source row (the first and last vectors of a row, or all of a narrow
 * one): source columns ow - pW .. ow - pW + 5, the lanes outside [0, inW) replaced by exact
 * zeros (the padding, multiplied in as PyTorch does). `second` false: the first row only.
 */
// @ts-expect-error: decorator
@inline function edgePair3x3(r0: usize, r1: usize, r2: usize, r3: usize, out: usize, outRow: usize, ow: i32, pW: i32, inW: i32, outW: i32, second: bool, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128, initV: v128, init: f32, accumulate: bool, lanes: usize): void {
  const col0 = ow - pW;
  const m0 = columnMask(col0, inW);
  const m1 = columnMask(col0 + 1, inW);
  const m2 = columnMask(col0 + 2, inW);
  const q = <usize>(col0 << 2);
  let v = v128.and(v128.load(r0 + q), m0);
  let a = f32x4.mul(w0, v);
  v = v128.and(v128.load(r0 + q, 4), m1);
  a = fma(w1, v, a);
  v = v128.and(v128.load(r0 + q, 8), m2);
  a = fma(w2, v, a);
  v = v128.and(v128.load(r1 + q), m0);
  a = fma(w3, v, a);
  let b = f32x4.mul(w0, v);
  v = v128.and(v128.load(r1 + q, 4), m1);
  a = fma(w4, v, a);
  b = fma(w1, v, b);
  v = v128.and(v128.load(r1 + q, 8), m2);
  a = fma(w5, v, a);
  b = fma(w2, v, b);
  v = v128.and(v128.load(r2 + q), m0);
  a = fma(w6, v, a);
  b = fma(w3, v, b);
  v = v128.and(v128.load(r2 + q, 4), m1);
  a = fma(w7, v, a);
  b = fma(w4, v, b);
  v = v128.and(v128.load(r2 + q, 8), m2);
  a = fma(w8, v, a);
  b = fma(w5, v, b);
  storeOutput(out, ow, outW, a, initV, init, accumulate, lanes);
  if (!second) return;
  v = v128.and(v128.load(r3 + q), m0);
  b = fma(w6, v, b);
  v = v128.and(v128.load(r3 + q, 4), m1);
  b = fma(w7, v, b);
  v = v128.and(v128.load(r3 + q, 8), m2);
  b = fma(w8, v, b);
  storeOutput(out + outRow, ow, outW, b, initV, init, accumulate, lanes);
}

/**
 * The direct 3x3 path's inner loop: whole output vectors [o, end) of two rows (the second
 * `outRow` bytes after the first) from source rows r0 .. r3 at byte offset q onwards, every
 * tap inside its row: 12 loads and 18 multiply-adds per step.
 */
// @ts-expect-error: decorator
@inline function rowPair3x3(r0: usize, r1: usize, r2: usize, r3: usize, q: usize, o: usize, end: usize, outRow: usize, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128, initV: v128, accumulate: bool): void {
  while (o < end) {
    let v = v128.load(r0 + q);
    let a = f32x4.mul(w0, v);
    v = v128.load(r0 + q, 4);
    a = fma(w1, v, a);
    v = v128.load(r0 + q, 8);
    a = fma(w2, v, a);
    v = v128.load(r1 + q);
    a = fma(w3, v, a);
    let b = f32x4.mul(w0, v);
    v = v128.load(r1 + q, 4);
    a = fma(w4, v, a);
    b = fma(w1, v, b);
    v = v128.load(r1 + q, 8);
    a = fma(w5, v, a);
    b = fma(w2, v, b);
    v = v128.load(r2 + q);
    a = fma(w6, v, a);
    b = fma(w3, v, b);
    v = v128.load(r2 + q, 4);
    a = fma(w7, v, a);
    b = fma(w4, v, b);
    v = v128.load(r2 + q, 8);
    a = fma(w8, v, a);
    b = fma(w5, v, b);
    v = v128.load(r3 + q);
    b = fma(w6, v, b);
    v = v128.load(r3 + q, 4);
    b = fma(w7, v, b);
    v = v128.load(r3 + q, 8);
    b = fma(w8, v, b);
    const o2 = o + outRow;
    v128.store(o, f32x4.add(a, accumulate ? v128.load(o) : initV));
    v128.store(o2, f32x4.add(b, accumulate ? v128.load(o2) : initV));
    q += 16;
    o += 16;
  }
}

/**
 * One output plane of a stride-1, undilated 2-D 3x3 kernel read straight from the source
 * plane, without the padded copy (slot 30 = 1). A padding row is a row of zeros (`zeros`, at
 * least inW + 8 floats); a vector whose taps reach past either end of its source row masks
 * those lanes to zero (edgePair3x3); the vectors between (all but one or two per row) load the
 * source directly. Two output rows per step from four source rows, so each loaded vector
 * serves both. Reads reach pW floats before a row and (padAfter + 3) floats past its end
 * (masked off): the caller leaves that much memory around the source.
 */
function convPlane3x3Direct(geo: usize, src: usize, zeros: usize, w: usize, dst: usize, init: f32, accumulate: bool): void {
  const inH = slot(geo, 5);
  const inW = slot(geo, 6);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const pH = slot(geo, 17);
  const pW = slot(geo, 18);
  const lanes = geo + 128;
  const w0 = v128.load32_splat(w);
  const w1 = v128.load32_splat(w, 4);
  const w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12);
  const w4 = v128.load32_splat(w, 16);
  const w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24);
  const w7 = v128.load32_splat(w, 28);
  const w8 = v128.load32_splat(w, 32);
  const initV = f32x4.splat(init);
  // Vectors [lo, hi) (multiples of 4) read source columns ow - pW .. ow - pW + 5, all inside
  // the row, and store four whole outputs; the others are edges.
  const lo = min((pW + 3) & ~3, outW);
  const last = min(inW - 6 + pW, outW - 4);
  const hi = last >= lo ? lo + ((last - lo) & ~3) + 4 : lo;
  const rowBytes = bytes(inW);
  const outRow = bytes(outW);
  let out = dst;
  for (let oh = 0; oh < outH; oh += 2) {
    // The last row of an odd count runs alone, every vector through the masked path.
    const second = oh + 1 < outH;
    const ih = oh - pH;
    const r0 = <u32>ih < <u32>inH ? src + <usize>ih * rowBytes : zeros;
    const r1 = <u32>(ih + 1) < <u32>inH ? src + <usize>(ih + 1) * rowBytes : zeros;
    const r2 = <u32>(ih + 2) < <u32>inH ? src + <usize>(ih + 2) * rowBytes : zeros;
    const r3 = <u32>(ih + 3) < <u32>inH ? src + <usize>(ih + 3) * rowBytes : zeros;
    // The edges from the last vector down: a whole tail store spills onto the next row's first
    // columns (storeOutput), which every later store of this step or the next one overwrites.
    for (let ow = (outW - 1) & ~3; ow >= 0; ow -= 4) {
      if (second && ow >= lo && ow < hi) {
        ow = lo; // past the vectors the loop below runs
        continue;
      }
      edgePair3x3(r0, r1, r2, r3, out, outRow, ow, pW, inW, outW, second, w0, w1, w2, w3, w4, w5, w6, w7, w8, initV, init, accumulate, lanes);
    }
    if (!second) break;
    // Two copies of the loop, so that neither holds a branch.
    const q = bytes(lo - pW);
    if (accumulate) rowPair3x3(r0, r1, r2, r3, q, out + bytes(lo), out + bytes(hi), outRow, w0, w1, w2, w3, w4, w5, w6, w7, w8, initV, true);
    else rowPair3x3(r0, r1, r2, r3, q, out + bytes(lo), out + bytes(hi), outRow, w0, w1, w2, w3, w4, w5, w6, w7, w8, initV, false);
    out += bytes(2 * outW);
  }
}

/** Lanes whose source column col0 + 2 lane lies in [0, inW): all ones, the rest zero. */
// @ts-expect-error: decorator
@inline function columnMask2(col0: i32, inW: i32): v128 {
  return i32x4.lt_u(i32x4.add(i32x4.splat(col0), i32x4(0, 2, 4, 6)), i32x4.splat(inW));
}

/**
 * acc + one kernel row of four width-stride-2 outputs from the source row at p (its column
 * c = 2 ow - pW): columns c + 2l (weight wa), c + 1 + 2l (wb), c + 2 + 2l (wc), split from two
 * vectors and one splatted float by three shuffles, each lane and'ed with its mask.
 */
// @ts-expect-error: decorator
@inline function rowStride2(p: usize, wa: v128, wb: v128, wc: v128, acc: v128, m0: v128, m1: v128, m2: v128): v128 {
  const lo = v128.load(p);
  const hi = v128.load(p, 16);
  const even = v128.shuffle<f32>(lo, hi, 0, 2, 4, 6);
  const odd = v128.shuffle<f32>(lo, hi, 1, 3, 5, 7);
  const next = v128.shuffle<f32>(even, v128.load32_splat(p, 32), 1, 2, 3, 4);
  acc = fma(wa, v128.and(even, m0), acc);
  acc = fma(wb, v128.and(odd, m1), acc);
  return fma(wc, v128.and(next, m2), acc);
}

/**
 * One output plane of an undilated 2-D 3x3 kernel at width stride 2 (any height stride) read
 * straight from the source plane (slot 30 = 3), as convPlane3x3Direct does at stride 1: four
 * outputs read source columns c .. c + 8 of each kernel row (c = 2 ow - pW), de-interleaved
 * in registers (XNNPACK's dwconv2d-chw 3x3s2 kernels do the same), instead of a phase-split
 * padded copy whose filling cost more than the products. Padding rows read the row of zeros;
 * the first and last vectors of a row mask their lanes outside the row. Reads reach pW floats
 * before a row and (padAfter + 9) past its end.
 */
function convPlane3x3DirectS2(geo: usize, src: usize, zeros: usize, w: usize, dst: usize, init: f32, accumulate: bool): void {
  const inH = slot(geo, 5);
  const inW = slot(geo, 6);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const sH = slot(geo, 14);
  const pH = slot(geo, 17);
  const pW = slot(geo, 18);
  const lanes = geo + 128;
  const w0 = v128.load32_splat(w);
  const w1 = v128.load32_splat(w, 4);
  const w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12);
  const w4 = v128.load32_splat(w, 16);
  const w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24);
  const w7 = v128.load32_splat(w, 28);
  const w8 = v128.load32_splat(w, 32);
  const initV = f32x4.splat(init);
  const all = i32x4.splat(-1);
  const rowBytes = bytes(inW);
  let out = dst;
  for (let oh = 0; oh < outH; oh++) {
    const ih = oh * sH - pH;
    const r0 = <u32>ih < <u32>inH ? src + <usize>ih * rowBytes : zeros;
    const r1 = <u32>(ih + 1) < <u32>inH ? src + <usize>(ih + 1) * rowBytes : zeros;
    const r2 = <u32>(ih + 2) < <u32>inH ? src + <usize>(ih + 2) * rowBytes : zeros;
    for (let ow = 0; ow < outW; ow += 4) {
      const col0 = 2 * ow - pW;
      const q = <usize>(col0 << 2);
      let acc: v128;
      if (col0 >= 0 && col0 + 8 < inW) {
        acc = rowStride2(r0 + q, w0, w1, w2, f32x4.splat(0), all, all, all);
        acc = rowStride2(r1 + q, w3, w4, w5, acc, all, all, all);
        acc = rowStride2(r2 + q, w6, w7, w8, acc, all, all, all);
      } else {
        const m0 = columnMask2(col0, inW);
        const m1 = columnMask2(col0 + 1, inW);
        const m2 = columnMask2(col0 + 2, inW);
        acc = rowStride2(r0 + q, w0, w1, w2, f32x4.splat(0), m0, m1, m2);
        acc = rowStride2(r1 + q, w3, w4, w5, acc, m0, m1, m2);
        acc = rowStride2(r2 + q, w6, w7, w8, acc, m0, m1, m2);
      }
      // A whole tail store spills onto the next row, written after this one.
      storeOutput(out, ow, outW, acc, initV, init, accumulate, lanes);
    }
    out += bytes(outW);
  }
}

/**
 * Depthwise convolution of all planes (see the header for modes). `w` holds one filter of
 * kernelVolume floats per output plane c m + j; `bias` (if slot 28) one float per filter.
 * `scratch` holds one padded plane, `taps` kernelVolume + kW + 2 kD kH i32.
 */
export function depthwiseConv(geo: usize, x: usize, w: usize, bias: usize, y: usize, scratch: usize, taps: usize): void {
  const batch = slot(geo, 0);
  const channels = slot(geo, 1);
  const multiplier = slot(geo, 2);
  const fanIn = slot(geo, 3) == 1;
  const sourceVolume = slot(geo, 4) * slot(geo, 5) * slot(geo, 6);
  const outputVolume = slot(geo, 7) * slot(geo, 8) * slot(geo, 9);
  const kernelVolume = slot(geo, 10) * slot(geo, 11) * slot(geo, 12);
  const hasBias = slot(geo, 28) != 0;
  // The 3x3 path reads all three kernel rows; an upsampled source skips its zero rows instead.
  // The 3x3 paths walk one output slice (2-D planes; a 1x3x3 kernel over depth takes the row loop).
  const is3x3 =
    slot(geo, 7) == 1 && slot(geo, 10) == 1 && slot(geo, 11) == 3 && slot(geo, 12) == 3 && slot(geo, 23) == 1 && slot(geo, 30) != 2;
  const phased = slot(geo, 30) == 2;
  const direct = slot(geo, 30) == 1 || slot(geo, 30) == 3;
  if (direct) {
    const stride2 = slot(geo, 30) == 3;
    // The padding rows of the direct 3x3 path: a row of zeros in the scratch.
    zeroFloats(scratch, slot(geo, 6) + 16);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        for (let j = 0; j < multiplier; j++) {
          const filter = c * multiplier + j;
          const wide = (n * channels + c) * multiplier + j;
          const src = x + bytes((fanIn ? wide : n * channels + c) * sourceVolume);
          const dst = y + bytes((fanIn ? n * channels + c : wide) * outputVolume);
          const init: f32 = hasBias ? load<f32>(bias + bytes(filter)) : 0;
          const wf = w + bytes(filter * kernelVolume);
          if (stride2) convPlane3x3DirectS2(geo, src, scratch, wf, dst, init, fanIn && j > 0);
          else convPlane3x3Direct(geo, src, scratch, wf, dst, init, fanIn && j > 0);
        }
      }
    }
    return;
  }
  fillTaps(geo, taps);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      if (!fanIn) fillScratch(geo, x + bytes((n * channels + c) * sourceVolume), scratch);
      for (let j = 0; j < multiplier; j++) {
        const filter = c * multiplier + j;
        const wide = (n * channels + c) * multiplier + j;
        if (fanIn) fillScratch(geo, x + bytes(wide * sourceVolume), scratch);
        const dst = y + bytes((fanIn ? n * channels + c : wide) * outputVolume);
        const init: f32 = hasBias ? load<f32>(bias + bytes(filter)) : 0;
        const accumulate = fanIn && j > 0;
        const wf = w + bytes(filter * kernelVolume);
        if (is3x3) convPlane3x3(geo, scratch, taps, wf, dst, init, accumulate);
        else if (phased) convPlanePhased(geo, scratch, taps, wf, dst, init, accumulate);
        else convPlaneRows(geo, scratch, taps, wf, dst, init, accumulate);
      }
    }
  }
}

/** Lanes below `count` all ones, the rest zero. */
// @ts-expect-error: decorator
@inline function laneMask(count: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
}

/** a + the float64 sum of the four lanes of v. */
// @ts-expect-error: decorator
@inline function addLanes(a: v128, v: v128): v128 {
  return f64x2.add(
    a,
    f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))),
  );
}

/**
 * gw64[tap] += sum over output positions of gy[pos] * padded[pos origin + tap], for one
 * (padded x-role plane, gy-role plane) pair: four taps at a time, then the last taps one by
 * one with two f32x4 chains; every chain is folded into float64 after at most ~64 vectors.
 */
function weightGradPlane(geo: usize, scratch: usize, taps: usize, gy: usize, gw64: usize): void {
  const outD = slot(geo, 7);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const kernelVolume = slot(geo, 10) * slot(geo, 11) * slot(geo, 12);
  const sD = slot(geo, 13);
  const sH = slot(geo, 14);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  const full = outW & ~3;
  const rest = outW & 3;
  const mask = laneMask(rest);
  const blockRows = max(1, 128 / ((outW + 3) >> 2));
  // Four taps at a time: each gy vector is loaded once for four multiply-adds, one chain
  // per tap, folded into float64 every block of at most ~64 vectors.
  const quadRows = max(1, 64 / ((outW + 3) >> 2));
  let t = 0;
  for (; t + 4 <= kernelVolume; t += 4) {
    const o0 = <usize>load<i32>(taps + bytes(t));
    const o1 = <usize>load<i32>(taps + bytes(t + 1));
    const o2 = <usize>load<i32>(taps + bytes(t + 2));
    const o3 = <usize>load<i32>(taps + bytes(t + 3));
    const at = gw64 + (<usize>t << 3);
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let rowsInBlock = 0;
    let g = gy;
    for (let od = 0; od < outD; od++) {
      for (let oh = 0; oh < outH; oh++) {
        const p = scratch + rowOrigin(od, oh, sD, sH, rowsH, rowFloats);
        for (let ow = 0; ow < full; ow += 4) {
          const gv = v128.load(g + bytes(ow));
          const q = p + bytes(ow);
          a0 = fma(gv, v128.load(q + o0), a0);
          a1 = fma(gv, v128.load(q + o1), a1);
          a2 = fma(gv, v128.load(q + o2), a2);
          a3 = fma(gv, v128.load(q + o3), a3);
        }
        if (rest != 0) {
          const gv = v128.and(v128.load(g + bytes(full)), mask);
          const q = p + bytes(full);
          a0 = fma(gv, v128.and(v128.load(q + o0), mask), a0);
          a1 = fma(gv, v128.and(v128.load(q + o1), mask), a1);
          a2 = fma(gv, v128.and(v128.load(q + o2), mask), a2);
          a3 = fma(gv, v128.and(v128.load(q + o3), mask), a3);
        }
        g += bytes(outW);
        if (++rowsInBlock == quadRows) {
          foldInto(at, a0);
          foldInto(at + 8, a1);
          foldInto(at + 16, a2);
          foldInto(at + 24, a3);
          a0 = f32x4.splat(0);
          a1 = f32x4.splat(0);
          a2 = f32x4.splat(0);
          a3 = f32x4.splat(0);
          rowsInBlock = 0;
        }
      }
    }
    foldInto(at, a0);
    foldInto(at + 8, a1);
    foldInto(at + 16, a2);
    foldInto(at + 24, a3);
  }
  for (; t < kernelVolume; t++) {
    const tap = <usize>load<i32>(taps + bytes(t));
    let total = f64x2.splat(0);
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let rowsInBlock = 0;
    let g = gy;
    for (let od = 0; od < outD; od++) {
      for (let oh = 0; oh < outH; oh++) {
        const p = scratch + rowOrigin(od, oh, sD, sH, rowsH, rowFloats) + tap;
        let ow = 0;
        for (; ow + 8 <= full; ow += 8) {
          a0 = fma(v128.load(g + bytes(ow)), v128.load(p + bytes(ow)), a0);
          a1 = fma(v128.load(g + bytes(ow + 4)), v128.load(p + bytes(ow + 4)), a1);
        }
        if (ow < full) a0 = fma(v128.load(g + bytes(ow)), v128.load(p + bytes(ow)), a0);
        if (rest != 0) {
          const gv = v128.and(v128.load(g + bytes(full)), mask);
          const xv = v128.and(v128.load(p + bytes(full)), mask);
          a1 = fma(gv, xv, a1);
        }
        g += bytes(outW);
        if (++rowsInBlock == blockRows) {
          total = addLanes(total, f32x4.add(a0, a1));
          a0 = f32x4.splat(0);
          a1 = f32x4.splat(0);
          rowsInBlock = 0;
        }
      }
    }
    total = addLanes(total, f32x4.add(a0, a1));
    const at = gw64 + (<usize>t << 3);
    store<f64>(at, load<f64>(at) + f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1));
  }
}

/** *at (float64) += the sum of the four lanes of v, in float64. */
// @ts-expect-error: decorator
@inline function foldInto(at: usize, v: v128): void {
  const pair = addLanes(f64x2.splat(0), v);
  store<f64>(at, load<f64>(at) + f64x2.extract_lane(pair, 0) + f64x2.extract_lane(pair, 1));
}

/**
 * weightGradPlane for a 2-D 3x3 kernel: the nine taps at once, one f32x4 accumulator each,
 * so every gy vector is loaded once for nine multiply-adds; folded into float64 every block
 * of at most ~64 vectors.
 */
function weightGradPlane3x3(geo: usize, scratch: usize, taps: usize, gy: usize, gw64: usize): void {
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const sH = slot(geo, 14);
  const rowsH = slot(geo, 26);
  const rowFloats = slot(geo, 15) * slot(geo, 27);
  const row1 = <usize>load<i32>(taps, 12);
  const row2 = <usize>load<i32>(taps, 24);
  const col1 = <usize>load<i32>(taps, 4);
  const col2 = <usize>load<i32>(taps, 8);
  const full = outW & ~3;
  const rest = outW & 3;
  const mask = laneMask(rest);
  const blockRows = max(1, 64 / ((outW + 3) >> 2));
  let g = gy;
  for (let oh0 = 0; oh0 < outH; oh0 += blockRows) {
    const ohEnd = min(outH, oh0 + blockRows);
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0);
    let a5 = f32x4.splat(0);
    let a6 = f32x4.splat(0);
    let a7 = f32x4.splat(0);
    let a8 = f32x4.splat(0);
    for (let oh = oh0; oh < ohEnd; oh++) {
      let r0 = scratch + rowOrigin(0, oh, 0, sH, rowsH, rowFloats);
      let gp = g;
      const end = g + bytes(full);
      while (gp < end) {
        const gv = v128.load(gp);
        const r1 = r0 + row1;
        const r2 = r0 + row2;
        a0 = fma(gv, v128.load(r0), a0);
        a1 = fma(gv, v128.load(r0 + col1), a1);
        a2 = fma(gv, v128.load(r0 + col2), a2);
        a3 = fma(gv, v128.load(r1), a3);
        a4 = fma(gv, v128.load(r1 + col1), a4);
        a5 = fma(gv, v128.load(r1 + col2), a5);
        a6 = fma(gv, v128.load(r2), a6);
        a7 = fma(gv, v128.load(r2 + col1), a7);
        a8 = fma(gv, v128.load(r2 + col2), a8);
        gp += 16;
        r0 += 16;
      }
      if (rest != 0) {
        const gv = v128.and(v128.load(gp), mask);
        const r1 = r0 + row1;
        const r2 = r0 + row2;
        a0 = fma(gv, v128.and(v128.load(r0), mask), a0);
        a1 = fma(gv, v128.and(v128.load(r0 + col1), mask), a1);
        a2 = fma(gv, v128.and(v128.load(r0 + col2), mask), a2);
        a3 = fma(gv, v128.and(v128.load(r1), mask), a3);
        a4 = fma(gv, v128.and(v128.load(r1 + col1), mask), a4);
        a5 = fma(gv, v128.and(v128.load(r1 + col2), mask), a5);
        a6 = fma(gv, v128.and(v128.load(r2), mask), a6);
        a7 = fma(gv, v128.and(v128.load(r2 + col1), mask), a7);
        a8 = fma(gv, v128.and(v128.load(r2 + col2), mask), a8);
      }
      g += bytes(outW);
    }
    foldInto(gw64, a0);
    foldInto(gw64 + 8, a1);
    foldInto(gw64 + 16, a2);
    foldInto(gw64 + 24, a3);
    foldInto(gw64 + 32, a4);
    foldInto(gw64 + 40, a5);
    foldInto(gw64 + 48, a6);
    foldInto(gw64 + 56, a7);
    foldInto(gw64 + 64, a8);
  }
}

/**
 * Weight gradient of all planes (see the header for modes): gw64 (float64, one row of
 * kernelVolume per filter c m + j, zeroed by the caller) accumulates over the batch. The
 * geometry's source dims are the x-role plane's, its output dims the gy-role plane's.
 */
export function depthwiseWeightGrad(geo: usize, x: usize, gy: usize, gw64: usize, scratch: usize, taps: usize): void {
  const batch = slot(geo, 0);
  const channels = slot(geo, 1);
  const multiplier = slot(geo, 2);
  const xPerFilter = slot(geo, 3) == 1;
  const sourceVolume = slot(geo, 4) * slot(geo, 5) * slot(geo, 6);
  const outputVolume = slot(geo, 7) * slot(geo, 8) * slot(geo, 9);
  const kernelVolume = slot(geo, 10) * slot(geo, 11) * slot(geo, 12);
  const is3x3 = slot(geo, 7) == 1 && slot(geo, 10) == 1 && slot(geo, 11) == 3 && slot(geo, 12) == 3;
  fillTaps(geo, taps);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const narrow = n * channels + c;
      if (!xPerFilter) fillScratch(geo, x + bytes(narrow * sourceVolume), scratch);
      for (let j = 0; j < multiplier; j++) {
        const filter = c * multiplier + j;
        const wide = narrow * multiplier + j;
        if (xPerFilter) fillScratch(geo, x + bytes(wide * sourceVolume), scratch);
        const g = gy + bytes((xPerFilter ? narrow : wide) * outputVolume);
        const gw = gw64 + (<usize>(filter * kernelVolume) << 3);
        if (is3x3) weightGradPlane3x3(geo, scratch, taps, g, gw);
        else weightGradPlane(geo, scratch, taps, g, gw);
      }
    }
  }
}

/**
 * The channels-last 2-D 3x3 path (slot 30 = 1): per output pixel the nine input pixels it
 * reads, a padding tap pointing at a pixel of zeros (`zeros`, channels + 4 floats, zeroed
 * here), so every pixel runs all nine taps with no test and the padding is multiplied in as
 * PyTorch does (XNNPACK's indirection buffer with its zero buffer). Weights packed per block
 * of four channels ([C/4][9][4], zero past the last channel): a block's nine weight vectors
 * are nine loads at constant offsets. Four channels per step: 18 loads, 9 multiply-adds.
 */
function channelsLast3x3(geo: usize, x: usize, w: usize, bias: usize, y: usize, zeros: usize): void {
  const batch = slot(geo, 0);
  const channels = slot(geo, 1);
  const inH = slot(geo, 5);
  const inW = slot(geo, 6);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const sH = slot(geo, 14);
  const sW = slot(geo, 15);
  const pH = slot(geo, 17);
  const pW = slot(geo, 18);
  const dH = slot(geo, 20);
  const dW = slot(geo, 21);
  const hasBias = slot(geo, 28) != 0;
  const lanes = geo + 128;
  const pixelBytes = bytes(channels);
  const full = channels & ~3;
  const rest = channels & 3;
  zeroFloats(zeros, channels + 4);
  let out = y;
  for (let n = 0; n < batch; n++) {
    const sample = x + <usize>(n * inH * inW) * pixelBytes;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - pH;
      const ih1 = ih0 + dH;
      const ih2 = ih1 + dH;
      // Row starts, or -1 for a padding row.
      const row0 = <u32>ih0 < <u32>inH ? ih0 * inW : -1;
      const row1 = <u32>ih1 < <u32>inH ? ih1 * inW : -1;
      const row2 = <u32>ih2 < <u32>inH ? ih2 * inW : -1;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - pW;
        const iw1 = iw0 + dW;
        const iw2 = iw1 + dW;
        const c0 = <u32>iw0 < <u32>inW;
        const c1 = <u32>iw1 < <u32>inW;
        const c2 = <u32>iw2 < <u32>inW;
        const p0 = row0 >= 0 && c0 ? sample + <usize>(row0 + iw0) * pixelBytes : zeros;
        const p1 = row0 >= 0 && c1 ? sample + <usize>(row0 + iw1) * pixelBytes : zeros;
        const p2 = row0 >= 0 && c2 ? sample + <usize>(row0 + iw2) * pixelBytes : zeros;
        const p3 = row1 >= 0 && c0 ? sample + <usize>(row1 + iw0) * pixelBytes : zeros;
        const p4 = row1 >= 0 && c1 ? sample + <usize>(row1 + iw1) * pixelBytes : zeros;
        const p5 = row1 >= 0 && c2 ? sample + <usize>(row1 + iw2) * pixelBytes : zeros;
        const p6 = row2 >= 0 && c0 ? sample + <usize>(row2 + iw0) * pixelBytes : zeros;
        const p7 = row2 >= 0 && c1 ? sample + <usize>(row2 + iw1) * pixelBytes : zeros;
        const p8 = row2 >= 0 && c2 ? sample + <usize>(row2 + iw2) * pixelBytes : zeros;
        let wb = w;
        let cb: usize = 0;
        const end = bytes(full);
        for (; cb < end; cb += 16) {
          let a = hasBias ? v128.load(bias + cb) : f32x4.splat(0);
          a = fma(v128.load(wb), v128.load(p0 + cb), a);
          a = fma(v128.load(wb, 16), v128.load(p1 + cb), a);
          a = fma(v128.load(wb, 32), v128.load(p2 + cb), a);
          a = fma(v128.load(wb, 48), v128.load(p3 + cb), a);
          a = fma(v128.load(wb, 64), v128.load(p4 + cb), a);
          a = fma(v128.load(wb, 80), v128.load(p5 + cb), a);
          a = fma(v128.load(wb, 96), v128.load(p6 + cb), a);
          a = fma(v128.load(wb, 112), v128.load(p7 + cb), a);
          a = fma(v128.load(wb, 128), v128.load(p8 + cb), a);
          v128.store(out + cb, a);
          wb += 144;
        }
        if (rest != 0) {
          // The lanes past the last channel read the next pixel (or the operands' slack)
          // times zero weights, and are not stored.
          let a = hasBias ? v128.load(bias + cb) : f32x4.splat(0);
          a = fma(v128.load(wb), v128.load(p0 + cb), a);
          a = fma(v128.load(wb, 16), v128.load(p1 + cb), a);
          a = fma(v128.load(wb, 32), v128.load(p2 + cb), a);
          a = fma(v128.load(wb, 48), v128.load(p3 + cb), a);
          a = fma(v128.load(wb, 64), v128.load(p4 + cb), a);
          a = fma(v128.load(wb, 80), v128.load(p5 + cb), a);
          a = fma(v128.load(wb, 96), v128.load(p6 + cb), a);
          a = fma(v128.load(wb, 112), v128.load(p7 + cb), a);
          a = fma(v128.load(wb, 128), v128.load(p8 + cb), a);
          storeTail(out + cb, a, rest, 0, false, lanes);
        }
        out += pixelBytes;
      }
    }
  }
}

/**
 * Channels-last depthwise convolution without multiplier, vectorised over channels (XNNPACK's
 * dwconv layout): x [N, D, H, W, C], weights tap-major [kD kH kW, C], y [N, oD, oH, oW, C].
 * Per output pixel the taps that land inside the input are listed once (`taps`: byte offsets
 * of the input pixel and of the tap's weight row), then every block of 8, then 4 channels
 * runs those taps as f32x4 multiply-adds; the last C mod 4 channels go through a masked
 * vector. Padding is skipped, not multiplied: the caller runs this only with finite weights.
 * Geometry slots as depthwiseConv (mode, multiplier, upsampling and the padded-plane slots
 * unused); with slot 30 = 1 it runs channelsLast3x3 instead (`w` packed, `taps` its zeros).
 */
export function depthwiseConvChannelsLast(geo: usize, x: usize, w: usize, bias: usize, y: usize, taps: usize): void {
  if (slot(geo, 30) == 1) {
    channelsLast3x3(geo, x, w, bias, y, taps);
    return;
  }
  const batch = slot(geo, 0);
  const channels = slot(geo, 1);
  const inD = slot(geo, 4);
  const inH = slot(geo, 5);
  const inW = slot(geo, 6);
  const outD = slot(geo, 7);
  const outH = slot(geo, 8);
  const outW = slot(geo, 9);
  const kD = slot(geo, 10);
  const kH = slot(geo, 11);
  const kW = slot(geo, 12);
  const sD = slot(geo, 13);
  const sH = slot(geo, 14);
  const sW = slot(geo, 15);
  const pD = slot(geo, 16);
  const pH = slot(geo, 17);
  const pW = slot(geo, 18);
  const dD = slot(geo, 19);
  const dH = slot(geo, 20);
  const dW = slot(geo, 21);
  const hasBias = slot(geo, 28) != 0;
  const pixelBytes = bytes(channels);
  const full8 = channels & ~7;
  const full4 = channels & ~3;
  const rest = channels & 3;
  const mask = laneMask(rest);
  const zero = f32x4.splat(0);
  let out = y;
  for (let n = 0; n < batch; n++) {
    const sample = x + <usize>(n * inD * inH * inW) * pixelBytes;
    for (let od = 0; od < outD; od++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          // The taps of this pixel that land inside the input.
          let count = 0;
          for (let kd = 0; kd < kD; kd++) {
            const id = od * sD + kd * dD - pD;
            if (id < 0 || id >= inD) continue;
            for (let kh = 0; kh < kH; kh++) {
              const ih = oh * sH + kh * dH - pH;
              if (ih < 0 || ih >= inH) continue;
              for (let kw = 0; kw < kW; kw++) {
                const iw = ow * sW + kw * dW - pW;
                if (iw < 0 || iw >= inW) continue;
                const e = taps + (<usize>count << 3);
                store<i32>(e, <i32>(<usize>((id * inH + ih) * inW + iw) * pixelBytes));
                store<i32>(e, <i32>(<usize>((kd * kH + kh) * kW + kw) * pixelBytes), 4);
                count++;
              }
            }
          }
          let c = 0;
          for (; c < full8; c += 8) {
            const cb = bytes(c);
            let a0 = hasBias ? v128.load(bias + cb) : zero;
            let a1 = hasBias ? v128.load(bias + cb, 16) : zero;
            for (let t = 0; t < count; t++) {
              const e = taps + (<usize>t << 3);
              const xp = sample + <usize>load<i32>(e) + cb;
              const wp = w + <usize>load<i32>(e, 4) + cb;
              a0 = fma(v128.load(wp), v128.load(xp), a0);
              a1 = fma(v128.load(wp, 16), v128.load(xp, 16), a1);
            }
            v128.store(out + cb, a0);
            v128.store(out + cb, a1, 16);
          }
          for (; c < full4; c += 4) {
            const cb = bytes(c);
            let a0 = hasBias ? v128.load(bias + cb) : zero;
            for (let t = 0; t < count; t++) {
              const e = taps + (<usize>t << 3);
              a0 = fma(v128.load(w + <usize>load<i32>(e, 4) + cb), v128.load(sample + <usize>load<i32>(e) + cb), a0);
            }
            v128.store(out + cb, a0);
          }
          if (rest != 0) {
            // Reads past the last channel stay inside the operands' slack and are masked off.
            const cb = bytes(c);
            let a0 = hasBias ? v128.and(v128.load(bias + cb), mask) : zero;
            for (let t = 0; t < count; t++) {
              const e = taps + (<usize>t << 3);
              const wv = v128.and(v128.load(w + <usize>load<i32>(e, 4) + cb), mask);
              const xv = v128.and(v128.load(sample + <usize>load<i32>(e) + cb), mask);
              a0 = fma(wv, xv, a0);
            }
            storeTail(out + cb, a0, rest, 0, false, geo + 128);
          }
          out += pixelBytes;
        }
      }
    }
  }
}
