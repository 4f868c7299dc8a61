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
 */
// @ts-nocheck: AssemblyScript source.
import { GEMM_WORK_BYTES, KC, MC, MR, macroKernel, NC, NR, packA, packB, sgemm } from './gemm-4x8';

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

/** Bytes of one k-table entry: channel offset (elements), then the tap's d, h, w deltas. */
export const KTAB_ENTRY_BYTES: i32 = 16;

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
  }
}

/**
 * Writes cols[k][p .. p + count) (k: the k-table entry `e`; p: output position (od, oh, ow))
 * to dst, one value every `dstStep` bytes (the interleaved rows of a packed A panel; the B
 * panels have their own vector packer, gatherRowPanels). Walks the output positions row by row.
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
      let iw = ow * sW + deltaW;
      let s = src;
      if (sW == 1 && iw >= 0 && iw + run <= inW) {
        let d = row + (<usize>iw << 2);
        let t = 0;
        for (; t + 4 <= run; t += 4) {
          v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
          s += 16;
          d += 16;
        }
        for (; t < run; t++) {
          store<f32>(d, load<f32>(d) + load<f32>(s));
          s += 4;
          d += 4;
        }
      } else {
        for (let t = 0; t < run; t++) {
          if (iw >= 0 && iw < inW) {
            const d = row + (<usize>iw << 2);
            store<f32>(d, load<f32>(d) + load<f32>(s));
          }
          iw += sW;
          s += 4;
        }
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
 * Writes cols[k][p .. p + count) (k: the k-table entry `e`) into its row of the packed B
 * panels: value j goes to dst + (j / 8) * panelStride + (j % 8) * 4, where dst is the row's
 * place in the first panel. One call per row of a block, so the geometry is read once per
 * NC values; a row inside the input at stride 1 moves in whole vectors once j is 4-aligned.
 */
function gatherRowPanels(
  x: usize,
  e: usize,
  od: i32,
  oh: i32,
  ow: i32,
  count: i32,
  dst: usize,
  panelStride: usize,
): void {
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
  const jump = panelStride - 28;
  let j = 0;
  let d = dst;
  while (j < count) {
    const run = min(count - j, outW - ow);
    const end = j + run;
    const id = od * sD + deltaD;
    const ih = oh * sH + deltaH;
    if (id >= 0 && id < inD && ih >= 0 && ih < inH) {
      const row = x + (<usize>(channelOffset + (id * bufH + ih) * bufW) << 2);
      let iw = ow * sW + deltaW;
      if (sW == 1 && iw >= 0 && iw + run <= inW) {
        let s = row + (<usize>iw << 2);
        // Scalars up to a 4-aligned j, then vectors (a vector never straddles a panel), then the rest.
        while (j < end && (j & 3) != 0) {
          store<f32>(d, load<f32>(s));
          s += 4;
          j++;
          d += (j & 7) == 0 ? jump : 4;
        }
        while (j + 4 <= end) {
          v128.store(d, v128.load(s));
          s += 16;
          j += 4;
          d += (j & 7) == 0 ? jump + 12 : 16;
        }
        while (j < end) {
          store<f32>(d, load<f32>(s));
          s += 4;
          j++;
          d += (j & 7) == 0 ? jump : 4;
        }
      } else {
        while (j < end) {
          store<f32>(d, iw >= 0 && iw < inW ? load<f32>(row + (<usize>iw << 2)) : 0);
          iw += sW;
          j++;
          d += (j & 7) == 0 ? jump : 4;
        }
      }
    } else {
      while (j < end) {
        store<f32>(d, 0);
        j++;
        d += (j & 7) == 0 ? jump : 4;
      }
    }
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
 * Packs columns [p0, p0 + nc) of cols rows (the kc k-table entries at ktab) into B panels of
 * 8 output positions, [panel][kc][8], positions past nc zero.
 */
function packColsB(x: usize, ktab: usize, kc: i32, p0: i32, nc: i32, bpack: usize): void {
  const outH = param(7);
  const outW = param(8);
  const plane = outH * outW;
  const od = p0 / plane;
  const rest = p0 - od * plane;
  const oh = rest / outW;
  const ow = rest - oh * outW;
  const panelStride = <usize>(kc * NR * 4);
  for (let kk = 0; kk < kc; kk++) {
    gatherRowPanels(x, ktab + <usize>(kk * KTAB_ENTRY_BYTES), od, oh, ow, nc, bpack + <usize>(kk * NR * 4), panelStride);
  }
  const tail = nc & (NR - 1);
  if (tail != 0) {
    const last = bpack + <usize>(nc >> 3) * panelStride;
    for (let kk = 0; kk < kc; kk++) {
      for (let j = tail; j < NR; j++) store<f32>(last + <usize>(kk * NR * 4 + j * 4), 0);
    }
  }
}

/**
 * y[m x L] (+)= W[m x depth] * cols (ldy = L): forward convolution of one sample and group.
 * x: the sample's buffer; channelStart: the group's first channel in it; w: the group's
 * weight rows [m, depth] row-major. work: GEMM_WORK_BYTES + KC * KTAB_ENTRY_BYTES.
 */
export function loweredProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  channelStart: i32,
  w: usize,
  y: usize,
  accumulate: bool,
  work: usize,
): void {
  paramsBase = params;
  const outputVolume = param(6) * param(7) * param(8);
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ktab = work + <usize>GEMM_WORK_BYTES;
  const ldy = <usize>outputVolume << 2;
  for (let jc = 0; jc < outputVolume; jc += NC) {
    const nc = min(NC, outputVolume - jc);
    for (let pc = 0; pc < depth; pc += KC) {
      const kc = min(KC, depth - pc);
      fillKTable(pc, kc, channelStart, ktab);
      packColsB(x, ktab, kc, jc, nc, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, w + (<usize>(ic * depth + pc) << 2), depth, 1, apack);
        macroKernel(mc, nc, kc, apack, bpack, y + <usize>ic * ldy + (<usize>jc << 2), ldy, accumulate || pc > 0, tail);
      }
    }
  }
}

/**
 * x += col2im(W^T * y): the input gradient of one sample and group. y: [m x L] rows of the
 * group (ldy = L); w: the group's weight rows [m, depth]. The columns are formed in tiles of
 * `tileColumns` output positions in `tile` (depth * tileColumns floats), then scattered.
 * work: GEMM_WORK_BYTES; ktab: depth entries.
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
 * gW[m x depth] += y[m x L] * cols^T for one sample and group, computed as
 * gW^T = cols * y^T (A = cols gathered 6 rows at a time along output positions, B = y^T) into
 * `temp` [depth x m], then added transposed. work: GEMM_WORK_BYTES; ktab: depth entries;
 * temp: depth * m floats.
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
        // A panels: 6 rows of cols (k-table entries) along the kc output positions.
        let dst = apack;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
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
    const row = gw + (<usize>(co * depth) << 2);
    for (let k = 0; k < depth; k++) {
      const d = row + (<usize>k << 2);
      store<f32>(d, load<f32>(d) + load<f32>(temp + (<usize>(k * m + co) << 2)));
    }
  }
}
