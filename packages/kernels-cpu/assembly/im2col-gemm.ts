/**
 * im2col-gemm: the three products of the im2col algorithm, run on the packed 4x8 GEMM with
 * the im2col matrix kept implicit: its panels are gathered straight from the input into the
 * GEMM's packed layout, so no column matrix is ever materialised (one copy, the packing the
 * GEMM needs anyway, instead of two). For one sample and one group of a convolution geometry
 * (1-3-D; 1-D and 2-D as 3-D with unit leading dims), with `cols = im2col(x)` of shape
 * [C_in/g * prod(k), L] (row k = (channel, tap), column = output position):
 *
 *   loweredProduct:     y[m x L] (+)= W[m x depth] * cols               (conv forward)
 *   foldedProduct:      x += col2im(W^T * y)                            (conv gradInput)
 *   columnCorrelation:  gW[m x depth] += y * cols^T                     (conv gradWeight)
 *
 * Transposed convolution runs the same three on its adjoint convolution. Only zero padding is
 * handled here (other modes pad the input explicitly first). The geometry is read from a
 * parameter block the caller writes and passes as `params` (i32 slots, order below; each
 * call has its own, so instances on threads sharing one memory never collide); positions outside the
 * geometry's input (padding, or a cropped tail of a larger buffer) read as zero and are never
 * written.
 *
 * The forward product's B packer (packColsB) gathers a panel's 8 output positions as two
 * vectors per row of cols (a plain load at stride 1, two loads and an even-lane shuffle at
 * stride 2, padding lanes masked by one compare) with the geometry held in locals, one input
 * row address and row check per run of kernel taps along a row (the k-table carries the run
 * length); the first version went value by value with a branch and parameter loads per value.
 * The weight is packed once per call (it was repacked for every block of columns), K and N
 * blocks are balanced, and a 1x1 stride-1 convolution packs its input as B directly.
 * Measured A/B in one process against that first version (relaxed build, one thread, the
 * shared 2-core Xeon at load 6, best of 40; the dense-B sgemm of the same M x N x K, whose B
 * packing is a plain copy, is the bound the gather is held to; peak ~67 GFLOP/s):
 *   c3x3 (64 x 3136 x 576)     5.75 -> 4.82 ms (40.2 -> 48.0 GFLOP/s; dense B 4.43 ms, 52.2)
 *   stem7x7 (64 x 12544 x 147) 6.67 -> 4.93 ms (35.4 -> 47.8 GFLOP/s; dense B 4.60 ms, 51.3)
 *   pw1x1 (256 x 784 x 128)    1.00 -> 0.96 ms (51.2 -> 53.6 GFLOP/s; dense B 0.92 ms, 55.7)
 * The gather alone (the GEMM switched off) takes ~0.42 ms on c3x3 and ~0.36 ms on stem7x7
 * (with 2 loads + a shuffle per quad at stride 2; plain loads would save ~0.05 ms only).
 */
// @ts-nocheck: AssemblyScript source.
import { KC, MC, MR, macroKernel, macroKernelBias, NC, NR, packAUnit, packB, sgemm } from './gemm-4x8';

/** Bytes of the parameter block. */
export const IM2COL_PARAMS_BYTES: i32 = 21 * 4;

/** The parameter block of the running call (a global: one per instance, so per thread). */
let paramsBase: usize = 0;
// Slots: 0 inD 1 inH 2 inW (the geometry's input, bounds) 3 bufD 4 bufH 5 bufW (the buffer's
// spatial dims, strides) 6 outD 7 outH 8 outW 9 kD 10 kH 11 kW 12 sD 13 sH 14 sW 15 pD 16 pH
// 17 pW (padding before) 18 dD 19 dH 20 dW.

// @ts-expect-error: decorator
@inline function param(slot: i32): i32 {
  return load<i32>(paramsBase + <usize>(slot << 2));
}

/**
 * Bytes of one k-table entry: channel offset (elements), the tap's d, h, w deltas, and the
 * number of taps left in its kernel row (kW - kw: this entry and the next ones that read the
 * same input row, one dilation step apart), padded to 32 bytes.
 */
export const KTAB_ENTRY_BYTES: i32 = 32;

/**
 * Fills the k-table for rows [k0, k0 + count) of cols: row k = (channel, tap) in C order,
 * channel relative to `channelStart`.
 */
function fillKTable(k0: i32, count: i32, channelStart: i32, ktab: usize): void {
  const kD = param(9);
  const kH = param(10);
  const kW = param(11);
  const kernelVolume = kD * kH * kW;
  const bufVolume = param(3) * param(4) * param(5);
  for (let i = 0; i < count; i++) {
    const k = k0 + i;
    const channel = k / kernelVolume;
    let tap = k - channel * kernelVolume;
    const kw = tap % kW;
    tap /= kW;
    const kh = tap % kH;
    const kd = tap / kH;
    const e = ktab + <usize>(i * KTAB_ENTRY_BYTES);
    store<i32>(e, (channelStart + channel) * bufVolume);
    store<i32>(e, kd * param(18) - param(15), 4);
    store<i32>(e, kh * param(19) - param(16), 8);
    store<i32>(e, kw * param(20) - param(17), 12);
    store<i32>(e, kW - kw, 16);
  }
}

/**
 * Writes cols[k][p .. p + count) (k: the k-table entry `e`; p: output position (od, oh, ow))
 * to dst, one value every `dstStep` bytes (the interleaved rows of a packed A panel; the B
 * panels have their own vector packer, packColsB with rowQuad). Walks the output positions row by row.
 */
function gatherRow(x: usize, e: usize, od: i32, oh: i32, ow: i32, count: i32, dst: usize, dstStep: usize): void {
  const inD = param(0);
  const inH = param(1);
  const inW = param(2);
  const bufH = param(4);
  const bufW = param(5);
  const outH = param(7);
  const outW = param(8);
  const sD = param(12);
  const sH = param(13);
  const sW = param(14);
  const channelOffset = load<i32>(e);
  const deltaD = load<i32>(e, 4);
  const deltaH = load<i32>(e, 8);
  const deltaW = load<i32>(e, 12);
  let j = 0;
  while (j < count) {
    const run = min(count - j, outW - ow);
    const id = od * sD + deltaD;
    const ih = oh * sH + deltaH;
    if (id >= 0 && id < inD && ih >= 0 && ih < inH) {
      const row = x + (<usize>(channelOffset + (id * bufH + ih) * bufW) << 2);
      const iw0 = ow * sW + deltaW;
      if (sW == 1 && iw0 >= 0 && iw0 + run <= inW) {
        let s = row + (<usize>iw0 << 2);
        for (let t = 0; t < run; t++) {
          store<f32>(dst, load<f32>(s));
          s += 4;
          dst += dstStep;
        }
      } else {
        let iw = iw0;
        for (let t = 0; t < run; t++) {
          store<f32>(dst, iw >= 0 && iw < inW ? load<f32>(row + (<usize>iw << 2)) : 0);
          iw += sW;
          dst += dstStep;
        }
      }
    } else {
      for (let t = 0; t < run; t++) {
        store<f32>(dst, 0);
        dst += dstStep;
      }
    }
    j += run;
    ow += run;
    if (ow == outW) {
      ow = 0;
      oh++;
      if (oh == outH) {
        oh = 0;
        od++;
      }
    }
  }
}

/** x[k][p .. p + count) += src (one value every 4 bytes): the adjoint of gatherRow. */
function scatterRow(x: usize, e: usize, od: i32, oh: i32, ow: i32, count: i32, src: usize): void {
  const inD = param(0);
  const inH = param(1);
  const inW = param(2);
  const bufH = param(4);
  const bufW = param(5);
  const outH = param(7);
  const outW = param(8);
  const sD = param(12);
  const sH = param(13);
  const sW = param(14);
  const channelOffset = load<i32>(e);
  const deltaD = load<i32>(e, 4);
  const deltaH = load<i32>(e, 8);
  const deltaW = load<i32>(e, 12);
  let j = 0;
  while (j < count) {
    const run = min(count - j, outW - ow);
    const id = od * sD + deltaD;
    const ih = oh * sH + deltaH;
    if (id >= 0 && id < inD && ih >= 0 && ih < inH) {
      const row = x + (<usize>(channelOffset + (id * bufH + ih) * bufW) << 2);
      const iw = ow * sW + deltaW;
      // The positions t of the run whose column iw + t * sW lies inside the row: [t0, t1).
      const t0 = iw >= 0 ? 0 : (sW - 1 - iw) / sW;
      const t1 = iw >= inW ? 0 : min(run, (inW - iw + sW - 1) / sW);
      let t = t0;
      let s = src + (<usize>t0 << 2);
      let d = row + <usize>((iw + t0 * sW) << 2);
      if (sW == 1) {
        for (; t + 4 <= t1; t += 4) {
          v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
          s += 16;
          d += 16;
        }
      } else if (sW == 2) {
        // Four values onto the even lanes of two vectors of the row (the odd lanes get +0),
        // while those 8 columns stay inside the row.
        const zero = f32x4.splat(0);
        for (; t + 4 <= t1 && iw + 2 * t + 8 <= inW; t += 4) {
          const v = v128.load(s);
          v128.store(d, f32x4.add(v128.load(d), v128.shuffle<f32>(v, zero, 0, 4, 1, 4)));
          v128.store(d, f32x4.add(v128.load(d, 16), v128.shuffle<f32>(v, zero, 2, 4, 3, 4)), 16);
          s += 16;
          d += 32;
        }
      }
      const step = <usize>(sW << 2);
      for (; t < t1; t++) {
        store<f32>(d, load<f32>(d) + load<f32>(s));
        s += 4;
        d += step;
      }
    }
    src += <usize>run << 2;
    j += run;
    ow += run;
    if (ow == outW) {
      ow = 0;
      oh++;
      if (oh == outH) {
        oh = 0;
        od++;
      }
    }
  }
}

/**
 * Four values of one input row (the row at byte address `row`) for four consecutive output
 * positions: input columns iw, iw + sW, iw + 2 sW, iw + 3 sW, zero outside [0, inW). At
 * stride 1 one vector load, at stride 2 two loads and a shuffle of the even lanes; lanes in
 * the padding are cleared by an unsigned compare of their column against inW (a negative
 * column is a large unsigned one), so an edge costs no branch per lane. The loads of an edge
 * quad reach at most 7 floats past either end of the row: the caller leaves that much slack
 * after the input buffer (before it lies the parameter area).
 */
// @ts-expect-error: decorator
@inline
function rowQuad(row: usize, iw: i32, inW: i32, sW: i32): v128 {
  const at = row + <usize>(iw << 2);
  if (sW == 1) {
    if (iw >= 0 && iw + 4 <= inW) return v128.load(at);
    if (iw + 4 <= 0 || iw >= inW) return f32x4.splat(0);
    return v128.and(v128.load(at), i32x4.lt_u(i32x4.add(i32x4.splat(iw), i32x4(0, 1, 2, 3)), i32x4.splat(inW)));
  }
  if (sW == 2) {
    if (iw >= 0 && iw + 7 <= inW) return v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
    if (iw + 7 <= 0 || iw >= inW) return f32x4.splat(0);
    const even = v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
    return v128.and(even, i32x4.lt_u(i32x4.add(i32x4.splat(iw), i32x4(0, 2, 4, 6)), i32x4.splat(inW)));
  }
  let v = f32x4.splat(0);
  if (<u32>iw < <u32>inW) v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (<u32>(iw + sW) < <u32>inW) v = f32x4.replace_lane(v, 1, load<f32>(at + <usize>(sW << 2)));
  if (<u32>(iw + 2 * sW) < <u32>inW) v = f32x4.replace_lane(v, 2, load<f32>(at + <usize>(sW << 3)));
  if (<u32>(iw + 3 * sW) < <u32>inW) v = f32x4.replace_lane(v, 3, load<f32>(at + <usize>(sW * 12)));
  return v;
}

/** cols[k][p] for one output position (given as idBase = od * sD, ...) of the k-table entry e; 0 in the padding. */
// @ts-expect-error: decorator
@inline
function entryOne(
  x: usize,
  e: usize,
  idBase: i32,
  ihBase: i32,
  iwBase: i32,
  inD: i32,
  inH: i32,
  inW: i32,
  bufH: i32,
  bufW: i32,
): f32 {
  const id = idBase + load<i32>(e, 4);
  const ih = ihBase + load<i32>(e, 8);
  const iw = iwBase + load<i32>(e, 12);
  if (<u32>id >= <u32>inD || <u32>ih >= <u32>inH || <u32>iw >= <u32>inW) return 0;
  return load<f32>(x + (<usize>(load<i32>(e) + (id * bufH + ih) * bufW + iw) << 2));
}

/**
 * The rows of one B panel whose 8 output positions lie in one output row (given as
 * idBase = od * sD, ihBase = oh * sH, iwBase = ow * sW), for the kc k-table entries at ktab,
 * from dst on (32 bytes per row of cols). One input row per run of taps (c, kd, kh): its
 * address and row check once per run, then per tap two quads one dilation step further along
 * the row. Inlined three times into packColsB, with the column stride a constant for 1 and 2
 * (only this loop: the rarer paths exist once, which keeps the module small).
 */
// @ts-expect-error: decorator
@inline
function panelInRowRuns(
  x: usize,
  ktab: usize,
  kc: i32,
  dst: usize,
  idBase: i32,
  ihBase: i32,
  iwBase: i32,
  sW: i32,
  inD: i32,
  inH: i32,
  inW: i32,
  bufH: i32,
  bufW: i32,
  dW: i32,
): void {
  let e = ktab;
  let d = dst;
  let kk = 0;
  while (kk < kc) {
    const run = min(load<i32>(e, 16), kc - kk);
    const id = idBase + load<i32>(e, 4);
    const ih = ihBase + load<i32>(e, 8);
    const runEnd = d + <usize>(run << 5);
    if (<u32>id < <u32>inD && <u32>ih < <u32>inH) {
      const row = x + (<usize>(load<i32>(e) + (id * bufH + ih) * bufW) << 2);
      let iw = iwBase + load<i32>(e, 12);
      if (iw >= 0 && iw + (run - 1) * dW + 7 * sW < inW) {
        // Every tap of the run inside the row (most runs): plain loads, no test per tap.
        let at = row + <usize>(iw << 2);
        const step = <usize>(dW << 2);
        while (d < runEnd) {
          if (sW == 1) {
            v128.store(d, v128.load(at));
            v128.store(d, v128.load(at, 16), 16);
          } else if (sW == 2) {
            v128.store(d, v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
            v128.store(d, v128.shuffle<f32>(v128.load(at, 32), v128.load(at, 48), 0, 2, 4, 6), 16);
          } else {
            const s1 = <usize>(sW << 2);
            let v = f32x4.splat(load<f32>(at));
            v = f32x4.replace_lane(v, 1, load<f32>(at + s1));
            v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * s1));
            v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * s1));
            v128.store(d, v);
            v = f32x4.splat(load<f32>(at + 4 * s1));
            v = f32x4.replace_lane(v, 1, load<f32>(at + 5 * s1));
            v = f32x4.replace_lane(v, 2, load<f32>(at + 6 * s1));
            v = f32x4.replace_lane(v, 3, load<f32>(at + 7 * s1));
            v128.store(d, v, 16);
          }
          at += step;
          d += 32;
        }
      }
      while (d < runEnd) {
        if (iw >= 0 && iw + 7 * sW < inW) {
          // The whole panel inside the row: no edge to mask.
          const at = row + <usize>(iw << 2);
          if (sW == 1) {
            v128.store(d, v128.load(at));
            v128.store(d, v128.load(at, 16), 16);
          } else if (sW == 2) {
            v128.store(d, v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
            v128.store(d, v128.shuffle<f32>(v128.load(at, 32), v128.load(at, 48), 0, 2, 4, 6), 16);
          } else {
            v128.store(d, rowQuad(row, iw, inW, sW));
            v128.store(d, rowQuad(row, iw + 4 * sW, inW, sW), 16);
          }
        } else {
          v128.store(d, rowQuad(row, iw, inW, sW));
          v128.store(d, rowQuad(row, iw + 4 * sW, inW, sW), 16);
        }
        iw += dW;
        d += 32;
      }
    } else {
      while (d < runEnd) {
        v128.store(d, f32x4.splat(0));
        v128.store(d, f32x4.splat(0), 16);
        d += 32;
      }
    }
    e += <usize>(run * KTAB_ENTRY_BYTES);
    kk += run;
  }
}

/**
 * Packs columns [p0, p0 + nc) of cols rows (the kc k-table entries at ktab) into B panels of
 * 8 output positions, [panel][kc][8], positions past nc zero. The loops walk the kc rows
 * with a panel's positions fixed, so its stores run straight through the panel:
 *  - a panel inside one output row (every panel when the width is a multiple of 8): one
 *    input row per run of taps (c, kd, kh), two quads of it per tap (rowQuad);
 *  - otherwise each half on its own: a quad inside one output row by runs of taps as above
 *    (one quad per tap: every panel when the width is a multiple of 4), any other quad (a row
 *    break inside it, the tail past nc) one value at a time.
 * The column stride is a compile-time constant of the whole-panel loop in the two common cases
 * (1 and 2), so that loop carries no stride branch.
 */
function packColsB(x: usize, ktab: usize, kc: i32, p0: i32, nc: i32, bpack: usize): void {
  // The geometry in locals: a parameter load in the loops would not be hoisted past the stores.
  const sW = param(14);
  const inD = param(0);
  const inH = param(1);
  const inW = param(2);
  const bufH = param(4);
  const bufW = param(5);
  const sD = param(12);
  const sH = param(13);
  const dW = param(20);
  const outH = param(7);
  const outW = param(8);
  const plane = outH * outW;
  let od = p0 / plane;
  let oh = (p0 - od * plane) / outW;
  let ow = p0 - od * plane - oh * outW;
  const panelStride = <usize>(kc * NR * 4);
  for (let jp = 0; jp < nc; jp += NR) {
    const dst = bpack + <usize>(jp >> 3) * panelStride;
    // The second half's first position.
    let od1 = od;
    let oh1 = oh;
    let ow1 = ow + 4;
    while (ow1 >= outW) {
      ow1 -= outW;
      if (++oh1 == outH) {
        oh1 = 0;
        od1++;
      }
    }
    const full = jp + NR <= nc;
    if (full && ow + NR <= outW) {
      if (sW == 1) panelInRowRuns(x, ktab, kc, dst, od * sD, oh * sH, ow, 1, inD, inH, inW, bufH, bufW, dW);
      else if (sW == 2) {
        panelInRowRuns(x, ktab, kc, dst, od * sD, oh * sH, ow * 2, 2, inD, inH, inW, bufH, bufW, dW);
      } else panelInRowRuns(x, ktab, kc, dst, od * sD, oh * sH, ow * sW, sW, inD, inH, inW, bufH, bufW, dW);
    } else {
      // Each half (quad) on its own: inside one output row it is gathered by runs of taps
      // like a whole panel (one quad per tap), otherwise (a row break inside it, the tail
      // past nc) lane by lane.
      for (let half = 0; half < 2; half++) {
        const hod = half == 0 ? od : od1;
        const hoh = half == 0 ? oh : oh1;
        const how = half == 0 ? ow : ow1;
        const hdst = dst + <usize>(half << 4);
        if (jp + (half << 2) + 4 <= nc && how + 4 <= outW) {
          let e = ktab;
          let d = hdst;
          let kk = 0;
          while (kk < kc) {
            const run = min(load<i32>(e, 16), kc - kk);
            const id = hod * sD + load<i32>(e, 4);
            const ih = hoh * sH + load<i32>(e, 8);
            const runEnd = d + <usize>(run << 5);
            if (<u32>id < <u32>inD && <u32>ih < <u32>inH) {
              const row = x + (<usize>(load<i32>(e) + (id * bufH + ih) * bufW) << 2);
              let iw = how * sW + load<i32>(e, 12);
              while (d < runEnd) {
                v128.store(d, rowQuad(row, iw, inW, sW));
                iw += dW;
                d += 32;
              }
            } else {
              while (d < runEnd) {
                v128.store(d, f32x4.splat(0));
                d += 32;
              }
            }
            e += <usize>(run * KTAB_ENTRY_BYTES);
            kk += run;
          }
        } else {
          let lod = hod;
          let loh = hoh;
          let low = how;
          for (let lane = half << 2; lane < (half << 2) + 4; lane++) {
            let d = dst + <usize>(lane << 2);
            if (jp + lane < nc) {
              let e = ktab;
              for (let kk = 0; kk < kc; kk++) {
                store<f32>(d, entryOne(x, e, lod * sD, loh * sH, low * sW, inD, inH, inW, bufH, bufW));
                e += KTAB_ENTRY_BYTES;
                d += 32;
              }
            } else {
              for (let kk = 0; kk < kc; kk++) {
                store<f32>(d, 0);
                d += 32;
              }
            }
            if (++low == outW) {
              low = 0;
              if (++loh == outH) {
                loh = 0;
                lod++;
              }
            }
          }
        }
      }
    }
    ow += NR;
    while (ow >= outW) {
      ow -= outW;
      if (++oh == outH) {
        oh = 0;
        od++;
      }
    }
  }
}

/** Bytes of loweredProduct's work area besides the packed weight (loweredWorkBytes). */
const LOWERED_FIXED_BYTES: i32 = (KC * NC + MR * NR) * 4 + KC * KTAB_ENTRY_BYTES;

/**
 * Bytes of loweredProduct's `work` for m output channels of `depth` (C_in/g * prod(k)) each:
 * the whole packed weight (every row panel, every K block), one packed B block, a tail tile
 * and a k-table. A float, so a huge geometry is refused by the caller, not wrapped.
 */
export function loweredWorkBytes(m: i32, depth: i32): f64 {
  return <f64>((m + MR - 1) / MR) * <f64>MR * <f64>depth * 4 + <f64>LOWERED_FIXED_BYTES;
}

/** Whether the geometry's columns are the input itself: 1x1 kernel, stride 1, no padding, no crop. */
function columnsAreInput(): bool {
  for (let d = 0; d < 3; d++) {
    if (param(9 + d) != 1 || param(12 + d) != 1 || param(15 + d) != 0) return false;
    if (param(d) != param(3 + d) || param(d) != param(6 + d)) return false;
  }
  return true;
}

/**
 * y[m x L] = bias + W[m x depth] * cols (ldy = L): forward convolution of one sample and
 * group. x: the sample's buffer (with 32 bytes of readable slack after it); channelStart: the
 * group's first channel in it; w: the group's weight rows [m, depth] row-major; bias: the
 * group's m values, or 0 for none. y is only written. work: loweredWorkBytes(m, depth).
 *
 * Blocking: the weight is packed once per call into MR-row panels of every K block (packAUnit;
 * it used to be repacked for every NC block of columns: 7 times for c3x3); then per NC block
 * of output positions and K block, the columns are gathered into B panels (packColsB, or the
 * plain packB when the columns are the input itself: a 1x1 stride-1 convolution, whose x
 * is already the K x L matrix) and the macro-kernel runs over the MC blocks of rows. The K
 * and N blocks are balanced (576 = 3 x 192, not 256 + 256 + 64; 784 = 2 x 392, not 512 + 272),
 * so no block is a thin remainder that reloads C for little work. Only the output positions
 * [colFirst, colEnd) are computed (threads sharing the memory each take a range, with their
 * own `work`; the K blocks, so the bits, do not depend on the range).
 */
export function loweredProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  channelStart: i32,
  w: usize,
  bias: usize,
  y: usize,
  work: usize,
  colFirst: i32,
  colEnd: i32,
): void {
  paramsBase = params;
  const outputVolume = param(6) * param(7) * param(8);
  const colStop = min(colEnd, outputVolume);
  const bufVolume = param(3) * param(4) * param(5);
  const mPad = (m + MR - 1) & ~(MR - 1);
  const apack = work;
  const bpack = apack + <usize>mPad * <usize>depth * 4;
  const tail = bpack + <usize>(KC * NC * 4);
  const ktab = tail + <usize>(MR * NR * 4);
  const ldy = <usize>outputVolume << 2;
  const kBlocks = (depth + KC - 1) / KC;
  const kStep = (depth + kBlocks - 1) / kBlocks;
  const nBlocks = (colStop - colFirst + NC - 1) / NC;
  const nStep = min(NC, ((colStop - colFirst + nBlocks - 1) / nBlocks + NR - 1) & ~(NR - 1));
  for (let pc = 0; pc < depth; pc += kStep) {
    packAUnit(m, min(kStep, depth - pc), w + (<usize>pc << 2), depth, apack + <usize>pc * <usize>mPad * 4);
  }
  const direct = columnsAreInput();
  for (let jc = colFirst; jc < colStop; jc += nStep) {
    const nc = min(nStep, colStop - jc);
    for (let pc = 0; pc < depth; pc += kStep) {
      const kc = min(kStep, depth - pc);
      if (direct) {
        packB(kc, nc, x + (<usize>((channelStart + pc) * bufVolume + jc) << 2), bufVolume, 1, bpack);
      } else {
        fillKTable(pc, kc, channelStart, ktab);
        packColsB(x, ktab, kc, jc, nc, bpack);
      }
      const ablock = apack + <usize>pc * <usize>mPad * 4;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        macroKernelBias(
          mc,
          nc,
          kc,
          ablock + <usize>(ic * kc * 4),
          bpack,
          y + <usize>ic * ldy + (<usize>jc << 2),
          ldy,
          pc > 0,
          tail,
          bias == 0 ? 0 : bias + (<usize>ic << 2),
        );
      }
    }
  }
}

/**
 * x += col2im(W^T * y): the input gradient of one sample and group. y: [m x L] rows of the
 * group (ldy = L); w: the group's weight rows [m, depth]. The columns are formed in tiles of
 * `tileColumns` output positions in `tile` (depth * tileColumns floats), then scattered
 * (scatterRow: vector adds at stride 1 and 2 over the part of each row inside the input, the
 * padding edges cut off up front; it was value by value at stride 2 and on any padded edge:
 * c3x3 gradInput 6.97 -> 5.89 ms, stem7x7 11.95 -> 9.81 ms, A/B in one process at load 11,
 * bit-identical). work: GEMM_WORK_BYTES; ktab: depth entries.
 */
export function foldedProduct(
  params: usize,
  m: i32,
  depth: i32,
  y: usize,
  w: usize,
  x: usize,
  channelStart: i32,
  tileColumns: i32,
  tile: usize,
  ktab: usize,
  work: usize,
): void {
  paramsBase = params;
  const outH = param(7);
  const outW = param(8);
  const plane = outH * outW;
  const outputVolume = param(6) * plane;
  fillKTable(0, depth, channelStart, ktab);
  for (let p0 = 0; p0 < outputVolume; p0 += tileColumns) {
    const count = min(tileColumns, outputVolume - p0);
    sgemm(depth, count, m, w, 1, depth, y + (<usize>p0 << 2), outputVolume, 1, tile, count, false, work);
    const od = p0 / plane;
    const rest = p0 - od * plane;
    const oh = rest / outW;
    const ow = rest - oh * outW;
    for (let k = 0; k < depth; k++) {
      scatterRow(x, ktab + <usize>(k * KTAB_ENTRY_BYTES), od, oh, ow, count, tile + (<usize>(k * count) << 2));
    }
  }
}

/**
 * One A panel of columnCorrelation: the 4 rows of cols at the k-table entries e .. e + 3
 * along `count` output positions from (od, oh, ow), as [count][4] at dst. Per output row
 * segment each entry's input row is found once; then four positions at a time, each entry's
 * four values come as one quad (rowQuad: any stride, padding masked) and a 4x4 register
 * transpose stores them position by position; a segment's last 1-3 positions go one by one.
 */
function packColsAPanel(x: usize, e: usize, od: i32, oh: i32, ow: i32, count: i32, dst: usize): void {
  const inD = param(0);
  const inH = param(1);
  const inW = param(2);
  const bufH = param(4);
  const bufW = param(5);
  const outH = param(7);
  const outW = param(8);
  const sD = param(12);
  const sH = param(13);
  const sW = param(14);
  let j = 0;
  let d = dst;
  while (j < count) {
    const run = min(count - j, outW - ow);
    // Each entry's input row for this output row (0: outside the input, reads as zeros).
    let row0: usize = 0;
    let row1: usize = 0;
    let row2: usize = 0;
    let row3: usize = 0;
    for (let i = 0; i < 4; i++) {
      const ei = e + <usize>(i * KTAB_ENTRY_BYTES);
      const id = od * sD + load<i32>(ei, 4);
      const ih = oh * sH + load<i32>(ei, 8);
      let row: usize = 0;
      if (<u32>id < <u32>inD && <u32>ih < <u32>inH) {
        row = x + (<usize>(load<i32>(ei) + (id * bufH + ih) * bufW) << 2);
      }
      if (i == 0) row0 = row;
      else if (i == 1) row1 = row;
      else if (i == 2) row2 = row;
      else row3 = row;
    }
    let iw0 = ow * sW + load<i32>(e, 12);
    let iw1 = ow * sW + load<i32>(e, KTAB_ENTRY_BYTES + 12);
    let iw2 = ow * sW + load<i32>(e, 2 * KTAB_ENTRY_BYTES + 12);
    let iw3 = ow * sW + load<i32>(e, 3 * KTAB_ENTRY_BYTES + 12);
    const step = 4 * sW;
    let t = 0;
    for (; t + 4 <= run; t += 4) {
      const v0 = row0 != 0 ? rowQuad(row0, iw0, inW, sW) : f32x4.splat(0);
      const v1 = row1 != 0 ? rowQuad(row1, iw1, inW, sW) : f32x4.splat(0);
      const v2 = row2 != 0 ? rowQuad(row2, iw2, inW, sW) : f32x4.splat(0);
      const v3 = row3 != 0 ? rowQuad(row3, iw3, inW, sW) : f32x4.splat(0);
      const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      iw0 += step;
      iw1 += step;
      iw2 += step;
      iw3 += step;
      d += 64;
    }
    for (; t < run; t++) {
      store<f32>(d, row0 != 0 && <u32>iw0 < <u32>inW ? load<f32>(row0 + <usize>(iw0 << 2)) : 0);
      store<f32>(d, row1 != 0 && <u32>iw1 < <u32>inW ? load<f32>(row1 + <usize>(iw1 << 2)) : 0, 4);
      store<f32>(d, row2 != 0 && <u32>iw2 < <u32>inW ? load<f32>(row2 + <usize>(iw2 << 2)) : 0, 8);
      store<f32>(d, row3 != 0 && <u32>iw3 < <u32>inW ? load<f32>(row3 + <usize>(iw3 << 2)) : 0, 12);
      iw0 += sW;
      iw1 += sW;
      iw2 += sW;
      iw3 += sW;
      d += 16;
    }
    j += run;
    ow += run;
    if (ow == outW) {
      ow = 0;
      oh++;
      if (oh == outH) {
        oh = 0;
        od++;
      }
    }
  }
}

/**
 * gW[m x depth] += y[m x L] * cols^T for one sample and group, computed as
 * gW^T = cols * y^T (A = cols gathered MR rows at a time along output positions, B = y^T) into
 * `temp` [depth x m], then added transposed into gw, float64 sums (so a batch's samples add
 * up in float64: in float32 a smooth N64 C3 32x32 -> 16 gradient reached 1.5x the 1e-4
 * tolerance). work: GEMM_WORK_BYTES; ktab: depth entries;
 * temp: depth * m floats; x: with 32 bytes of readable slack after it. Full A panels come from
 * packColsAPanel (quads and 4x4 transposes), which took the gradient of weight from 5.98 to
 * 5.25 ms on c3x3 and 7.20 to 6.23 ms on stem7x7 (value-by-value before; relaxed build, best of
 * 30, A/B in one process at load 9, bit-identical sums).
 */
export function columnCorrelation(
  params: usize,
  m: i32,
  depth: i32,
  y: usize,
  x: usize,
  channelStart: i32,
  gw: usize,
  temp: usize,
  ktab: usize,
  work: usize,
): void {
  paramsBase = params;
  const outH = param(7);
  const outW = param(8);
  const plane = outH * outW;
  const outputVolume = param(6) * plane;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ldt = <usize>m << 2;
  fillKTable(0, depth, channelStart, ktab);
  for (let jc = 0; jc < m; jc += NC) {
    const nc = min(NC, m - jc);
    for (let pc = 0; pc < outputVolume; pc += KC) {
      const kc = min(KC, outputVolume - pc);
      packB(kc, nc, y + (<usize>(jc * outputVolume + pc) << 2), 1, outputVolume, bpack);
      const od = pc / plane;
      const rest = pc - od * plane;
      const oh = rest / outW;
      const ow = rest - oh * outW;
      for (let ic = 0; ic < depth; ic += MC) {
        const mc = min(MC, depth - ic);
        // A panels: MR rows of cols (k-table entries) along the kc output positions.
        let dst = apack;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          if (mr == MR) {
            packColsAPanel(x, ktab + <usize>((ic + ir) * KTAB_ENTRY_BYTES), od, oh, ow, kc, dst);
            dst += <usize>(kc * MR * 4);
            continue;
          }
          for (let i = 0; i < MR; i++) {
            if (i < mr) {
              gatherRow(x, ktab + <usize>((ic + ir + i) * KTAB_ENTRY_BYTES), od, oh, ow, kc, dst + <usize>(i << 2), MR * 4);
            } else {
              let d = dst + <usize>(i << 2);
              for (let p = 0; p < kc; p++) {
                store<f32>(d, 0);
                d += MR * 4;
              }
            }
          }
          dst += <usize>(kc * MR * 4);
        }
        macroKernel(mc, nc, kc, apack, bpack, temp + <usize>ic * ldt + (<usize>jc << 2), ldt, pc > 0, tail);
      }
    }
  }
  for (let co = 0; co < m; co++) {
    const row = gw + (<usize>(co * depth) << 3);
    for (let k = 0; k < depth; k++) {
      const d = row + (<usize>k << 3);
      store<f64>(d, load<f64>(d) + <f64>load<f32>(temp + (<usize>(k * m + co) << 2)));
    }
  }
}
