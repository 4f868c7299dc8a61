/**
 * deform-conv: deformable convolution (DCN v1/v2: Dai et al. 2017, arXiv 1703.06211; Zhu et
 * al. 2019, arXiv 1811.11168) on the packed GEMM of ./gemm-4x8.ts, with torchvision's
 * sampling rule (deform_conv2d_kernel.cpp, 0.14; src/reference/deform-bilinear.ts is the
 * readable oracle). For one sample:
 *
 *   deformSampleTable:   per (offset group, tap, output position) the bilinear cell of the
 *                        sample: its top-left corner in the zero-bordered input plane, the
 *                        four corner weights (zero when the sample is outside: y <= -1,
 *                        y >= H, x <= -1 or x >= W), the mask, and for the coordinate
 *                        gradient the corner (or -1) and the fractions ly, lx
 *   deformProduct:       y[m x L] (+)= W_g * cols, the columns gathered from the table
 *                        straight into the GEMM's packed B panels (no column matrix)
 *   deformColumns:       a tile of cols [rows x count] as a matrix (for gradWeight)
 *   deformScatter:       the adjoints of the sampling for a tile of gradColumns: the bilinear
 *                        scatter into the (bordered) input gradient, and the coordinate and
 *                        mask gradients summed over each offset group's channels
 *
 * cols[(c, tap)][l] = mask * (w00 v00 + w01 v01 + w10 v10 + w11 v11) with v the corners of
 * channel c's plane. The input is read from a copy with a zero border (made by phasePad):
 * every corner of a sample inside the range is then
 * inside the copy, and a corner outside the image reads a real zero, as torchvision's
 * bilinear_interpolate treats it (so no bounds test). A sample outside the range points at
 * a 2x2 cell of the border's zeros (the copy is (H + 3) x (W + 3), the image at (1, 1)), so
 * it neither reads nor receives anything of the image, even an infinite value. The
 * gather runs four output positions at a time: four corner indices, sixteen scalar loads
 * into f32x4 lanes, and vector arithmetic with the table's weight vectors; the table is
 * shared by every channel of an offset group, so the positions and weights are computed once
 * per sample, not once per channel. Positions are in blocks of NC = 512, rows (c, tap) in
 * blocks of KC = 256, as in the GEMM.
 *
 * Parameter block (i32 slots, the caller's memory): 0 H 1 W 2 outH 3 outW 4 kh 5 kw 6 strideH
 * 7 strideW 8 padH 9 padW 10 dilationH 11 dilationW 12 offsetGroups 13 L4 (positions rounded
 * up to 8: the table's row pitch) 14 channelsPerOffsetGroup.
 */
// @ts-nocheck: AssemblyScript source.
import { KC, MC, MR, macroKernel, NC, NR, packA } from './gemm-4x8';

/** Bytes of the parameter block. */
export const DEFORM_PARAMS_BYTES: i32 = 64;
/** Fields per table row: sIdx, w00, w01, w10, w11, mask, cIdx, ly, lx. */
export const DEFORM_TABLE_FIELDS: i32 = 9;
/** Scratch deformProduct needs: packed A block, packed B block, tail tile. */
export const DEFORM_WORK_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

let H: i32 = 0;
let W: i32 = 0;
let outH: i32 = 0;
let outW: i32 = 0;
let kh: i32 = 0;
let kw: i32 = 0;
let strideH: i32 = 1;
let strideW: i32 = 1;
let padH: i32 = 0;
let padW: i32 = 0;
let dilationH: i32 = 1;
let dilationW: i32 = 1;
let offsetGroups: i32 = 1;
let L4: i32 = 0;
let channelsPerOffsetGroup: i32 = 1;

function loadParams(params: usize): void {
  H = load<i32>(params);
  W = load<i32>(params, 4);
  outH = load<i32>(params, 8);
  outW = load<i32>(params, 12);
  kh = load<i32>(params, 16);
  kw = load<i32>(params, 20);
  strideH = load<i32>(params, 24);
  strideW = load<i32>(params, 28);
  padH = load<i32>(params, 32);
  padW = load<i32>(params, 36);
  dilationH = load<i32>(params, 40);
  dilationW = load<i32>(params, 44);
  offsetGroups = load<i32>(params, 48);
  L4 = load<i32>(params, 52);
  channelsPerOffsetGroup = load<i32>(params, 56);
}

/** Byte address of field `field` of table row `row` (row = offset group * taps + tap). */
// @ts-expect-error: decorator
@inline function tableField(table: usize, row: i32, field: i32): usize {
  return table + (<usize>((row * DEFORM_TABLE_FIELDS + field) * L4) << 2);
}

/**
 * Fills the sampling table of one sample from its offsets [2 * G * taps, L] ((dy, dx) per
 * tap) and mask [G * taps, L] (mask = 0: none, every modulation 1). Positions L .. L4 get a
 * sample of zero weight at corner 0 and no coordinate gradient.
 */
export function deformSampleTable(params: usize, offset: usize, mask: usize, table: usize): void {
  loadParams(params);
  const taps = kh * kw;
  const L = outH * outW;
  const pitch = W + 3;
  // A 2x2 cell of the border, all zeros: where samples outside the range point.
  const zeroCell = (H + 1) * pitch + W + 1;
  for (let g = 0; g < offsetGroups; g++) {
    for (let tap = 0; tap < taps; tap++) {
      const i = tap / kw;
      const j = tap - i * kw;
      const row = g * taps + tap;
      const dyPlane = offset + (<usize>((g * taps + tap) * 2 * L) << 2);
      const dxPlane = dyPlane + (<usize>L << 2);
      const maskPlane = mask + (<usize>(row * L) << 2);
      for (let l = 0; l < L4; l++) {
        let sIdx = zeroCell;
        let w00: f32 = 0;
        let w01: f32 = 0;
        let w10: f32 = 0;
        let w11: f32 = 0;
        let modulation: f32 = 0;
        let cIdx = -1;
        let fy: f32 = 0;
        let fx: f32 = 0;
        if (l < L) {
          const p = l / outW;
          const q = l - p * outW;
          const y = <f64>(p * strideH - padH + i * dilationH) + <f64>load<f32>(dyPlane + (<usize>l << 2));
          const x = <f64>(q * strideW - padW + j * dilationW) + <f64>load<f32>(dxPlane + (<usize>l << 2));
          modulation = mask != 0 ? load<f32>(maskPlane + (<usize>l << 2)) : 1;
          const y0 = Math.floor(y);
          const x0 = Math.floor(x);
          const ly = y - y0;
          const lx = x - x0;
          // The coordinate gradient reads the cell's corners with no range test (torchvision's
          // get_coordinate_weight): non-zero only while a corner is inside the image.
          if (y0 >= -1 && y0 <= <f64>(H - 1) && x0 >= -1 && x0 <= <f64>(W - 1)) {
            cIdx = (<i32>y0 + 1) * pitch + <i32>x0 + 1;
            fy = <f32>ly;
            fx = <f32>lx;
          }
          if (isNaN(y) || isNaN(x)) {
            // torchvision's range tests let NaN through: each coordinate gradient is NaN where
            // the other coordinate's fraction is (its corners all read zero), nothing is
            // scattered, and the sample is NaN unless the other coordinate is out of range.
            cIdx = zeroCell;
            fy = <f32>ly;
            fx = <f32>lx;
            if (!(y <= -1 || y >= <f64>H || x <= -1 || x >= <f64>W)) {
              w00 = NaN;
              w01 = NaN;
              w10 = NaN;
              w11 = NaN;
            }
          } else if (y > -1 && y < <f64>H && x > -1 && x < <f64>W) {
            sIdx = cIdx;
            w00 = <f32>((1 - ly) * (1 - lx));
            w01 = <f32>((1 - ly) * lx);
            w10 = <f32>(ly * (1 - lx));
            w11 = <f32>(ly * lx);
          }
        }
        const at = <usize>l << 2;
        store<i32>(tableField(table, row, 0) + at, sIdx);
        store<f32>(tableField(table, row, 1) + at, w00);
        store<f32>(tableField(table, row, 2) + at, w01);
        store<f32>(tableField(table, row, 3) + at, w10);
        store<f32>(tableField(table, row, 4) + at, w11);
        store<f32>(tableField(table, row, 5) + at, modulation);
        store<i32>(tableField(table, row, 6) + at, cIdx);
        store<f32>(tableField(table, row, 7) + at, fy);
        store<f32>(tableField(table, row, 8) + at, fx);
      }
    }
  }
}

/**
 * cols[(c, tap)][l .. l + 4) as one vector: the modulated bilinear samples of plane `plane`
 * (bordered, byte address) at the table row's four positions from l.
 */
// @ts-expect-error: decorator
@inline function sample4(plane: usize, table: usize, row: i32, l: i32): v128 {
  const at = <usize>l << 2;
  const idx = v128.load(tableField(table, row, 0) + at);
  const pitch = <usize>(W + 3) << 2;
  const c0 = plane + (<usize>i32x4.extract_lane(idx, 0) << 2);
  const c1 = plane + (<usize>i32x4.extract_lane(idx, 1) << 2);
  const c2 = plane + (<usize>i32x4.extract_lane(idx, 2) << 2);
  const c3 = plane + (<usize>i32x4.extract_lane(idx, 3) << 2);
  let v00 = f32x4.splat(load<f32>(c0));
  v00 = f32x4.replace_lane(v00, 1, load<f32>(c1));
  v00 = f32x4.replace_lane(v00, 2, load<f32>(c2));
  v00 = f32x4.replace_lane(v00, 3, load<f32>(c3));
  let v01 = f32x4.splat(load<f32>(c0, 4));
  v01 = f32x4.replace_lane(v01, 1, load<f32>(c1, 4));
  v01 = f32x4.replace_lane(v01, 2, load<f32>(c2, 4));
  v01 = f32x4.replace_lane(v01, 3, load<f32>(c3, 4));
  let v10 = f32x4.splat(load<f32>(c0 + pitch));
  v10 = f32x4.replace_lane(v10, 1, load<f32>(c1 + pitch));
  v10 = f32x4.replace_lane(v10, 2, load<f32>(c2 + pitch));
  v10 = f32x4.replace_lane(v10, 3, load<f32>(c3 + pitch));
  let v11 = f32x4.splat(load<f32>(c0 + pitch, 4));
  v11 = f32x4.replace_lane(v11, 1, load<f32>(c1 + pitch, 4));
  v11 = f32x4.replace_lane(v11, 2, load<f32>(c2 + pitch, 4));
  v11 = f32x4.replace_lane(v11, 3, load<f32>(c3 + pitch, 4));
  let s = f32x4.mul(v128.load(tableField(table, row, 1) + at), v00);
  s = f32x4.add(s, f32x4.mul(v128.load(tableField(table, row, 2) + at), v01));
  s = f32x4.add(s, f32x4.mul(v128.load(tableField(table, row, 3) + at), v10));
  s = f32x4.add(s, f32x4.mul(v128.load(tableField(table, row, 4) + at), v11));
  return f32x4.mul(v128.load(tableField(table, row, 5) + at), s);
}

/**
 * y[m x L] (+)= W[m x depth] * cols for one sample and weight group: rows k of cols are
 * (channel channelStart + k / taps, tap k % taps). x: the sample's bordered planes (all
 * channels); w: the group's weight rows [m, depth]; y: the group's first output row (row
 * pitch L). work: DEFORM_WORK_BYTES.
 */
export function deformProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  channelStart: i32,
  table: usize,
  w: usize,
  y: usize,
  accumulate: bool,
  work: usize,
): void {
  loadParams(params);
  const taps = kh * kw;
  const L = outH * outW;
  const planeBytes = <usize>((H + 3) * (W + 3)) << 2;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ldy = <usize>L << 2;
  for (let jc = 0; jc < L; jc += NC) {
    const nc = min(NC, L - jc);
    for (let pc = 0; pc < depth; pc += KC) {
      const kc = min(KC, depth - pc);
      // B panels [panel][kc][8]: rows (c, tap) of cols at 8 positions, two vectors each.
      for (let kk = 0; kk < kc; kk++) {
        const k = pc + kk;
        const c = channelStart + k / taps;
        const tap = k - (k / taps) * taps;
        const row = (c / channelsPerOffsetGroup) * taps + tap;
        const plane = x + <usize>c * planeBytes;
        let dst = bpack + <usize>(kk * NR * 4);
        for (let jr = 0; jr < nc; jr += NR) {
          v128.store(dst, sample4(plane, table, row, jc + jr));
          v128.store(dst, sample4(plane, table, row, jc + jr + 4), 16);
          dst += <usize>(kc * NR * 4);
        }
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, w + (<usize>(ic * depth + pc) << 2), depth, 1, apack);
        macroKernel(mc, nc, kc, apack, bpack, y + <usize>ic * ldy + (<usize>jc << 2), ldy, accumulate || pc > 0, tail);
      }
    }
  }
}

/**
 * Writes cols rows [0, rows) (channels from 0, every tap) at positions [l0, l0 + count) into
 * `dst` [rows x count] row-major. count: a multiple of 4 or the tile's end (the table's
 * rows are padded to L4, so a last partial vector reads zero-weight samples and its extra
 * lanes are not stored).
 */
export function deformColumns(params: usize, rows: i32, x: usize, table: usize, l0: i32, count: i32, dst: usize): void {
  loadParams(params);
  const taps = kh * kw;
  const planeBytes = <usize>((H + 3) * (W + 3)) << 2;
  for (let k = 0; k < rows; k++) {
    const c = k / taps;
    const tap = k - c * taps;
    const row = (c / channelsPerOffsetGroup) * taps + tap;
    const plane = x + <usize>c * planeBytes;
    let d = dst + (<usize>(k * count) << 2);
    let t = 0;
    for (; t + 4 <= count; t += 4) {
      v128.store(d, sample4(plane, table, row, l0 + t));
      d += 16;
    }
    if (t < count) {
      const v = sample4(plane, table, row, l0 + t);
      store<f32>(d, f32x4.extract_lane(v, 0));
      if (t + 1 < count) store<f32>(d, f32x4.extract_lane(v, 1), 4);
      if (t + 2 < count) store<f32>(d, f32x4.extract_lane(v, 2), 8);
    }
  }
}

/**
 * The adjoints of the sampling for positions [l0, l0 + count) of one sample, given
 * gradCols [C_in * taps x count] (row (c, tap)):
 *   gradX[c] (bordered planes, added to) += bilinear scatter of mask * gradCols at the sample
 *   gradOffset[g, tap, dy | dx, l] = sum over g's channels of mask * gradCols * d sample / d(y | x)
 *   gradMask[g, tap, l]            = sum over g's channels of gradCols * sample (unmodulated)
 * gradOffset: the sample's [2 * G * taps, L]; gradMask: its [G * taps, L] or 0. Positions
 * outer, channels inner: a position's cell and weights are read once, and its three sums
 * stay in float64 registers.
 */
export function deformScatter(
  params: usize,
  x: usize,
  gradCols: usize,
  table: usize,
  l0: i32,
  count: i32,
  gradX: usize,
  gradOffset: usize,
  gradMask: usize,
): void {
  loadParams(params);
  const taps = kh * kw;
  const L = outH * outW;
  const planeBytes = <usize>((H + 3) * (W + 3)) << 2;
  const pitch = <usize>(W + 3) << 2;
  const channelStep = <usize>(taps * count) << 2;
  for (let g = 0; g < offsetGroups; g++) {
    const c0 = g * channelsPerOffsetGroup;
    for (let tap = 0; tap < taps; tap++) {
      const row = g * taps + tap;
      const dyPlane = gradOffset + (<usize>(row * 2 * L + l0) << 2);
      const dxPlane = dyPlane + (<usize>L << 2);
      const maskPlane = gradMask + (<usize>(row * L + l0) << 2);
      for (let t = 0; t < count; t++) {
        const at = <usize>(l0 + t) << 2;
        const modulation = <f64>load<f32>(tableField(table, row, 5) + at);
        const w00 = <f64>load<f32>(tableField(table, row, 1) + at);
        const w01 = <f64>load<f32>(tableField(table, row, 2) + at);
        const w10 = <f64>load<f32>(tableField(table, row, 3) + at);
        const w11 = <f64>load<f32>(tableField(table, row, 4) + at);
        const s = <usize>load<i32>(tableField(table, row, 0) + at) << 2;
        const cIdx = load<i32>(tableField(table, row, 6) + at);
        const ly = <f64>load<f32>(tableField(table, row, 7) + at);
        const lx = <f64>load<f32>(tableField(table, row, 8) + at);
        const q = <usize>max(cIdx, 0) << 2;
        const shared = cIdx >= 0 && <usize>cIdx << 2 == s;
        let gradDy: f64 = 0;
        let gradDx: f64 = 0;
        let gradModulation: f64 = 0;
        let src = gradCols + (<usize>((c0 * taps + tap) * count + t) << 2);
        let plane = x + <usize>c0 * planeBytes;
        let gradPlane = gradX + <usize>c0 * planeBytes;
        for (let c = 0; c < channelsPerOffsetGroup; c++) {
          const columnGrad = <f64>load<f32>(src);
          const scaled = modulation * columnGrad;
          // Outside the range the weights are zero and the cell is the border's: nothing lands.
          const g00 = gradPlane + s;
          store<f32>(g00, load<f32>(g00) + <f32>(scaled * w00));
          store<f32>(g00, load<f32>(g00, 4) + <f32>(scaled * w01), 4);
          store<f32>(g00 + pitch, load<f32>(g00 + pitch) + <f32>(scaled * w10));
          store<f32>(g00 + pitch, load<f32>(g00 + pitch, 4) + <f32>(scaled * w11), 4);
          if (shared) {
            // The sample's cell is the coordinate gradient's: four loads serve both.
            const p = plane + s;
            const v00 = <f64>load<f32>(p);
            const v01 = <f64>load<f32>(p, 4);
            const v10 = <f64>load<f32>(p + pitch);
            const v11 = <f64>load<f32>(p + pitch, 4);
            gradModulation += columnGrad * (w00 * v00 + w01 * v01 + w10 * v10 + w11 * v11);
            gradDy += scaled * ((1 - lx) * (v10 - v00) + lx * (v11 - v01));
            gradDx += scaled * ((1 - ly) * (v01 - v00) + ly * (v11 - v10));
          } else {
            const p00 = plane + s;
            gradModulation +=
              columnGrad *
              (w00 * <f64>load<f32>(p00) +
                w01 * <f64>load<f32>(p00, 4) +
                w10 * <f64>load<f32>(p00 + pitch) +
                w11 * <f64>load<f32>(p00 + pitch, 4));
            if (cIdx >= 0) {
              const p = plane + q;
              const v00 = <f64>load<f32>(p);
              const v01 = <f64>load<f32>(p, 4);
              const v10 = <f64>load<f32>(p + pitch);
              const v11 = <f64>load<f32>(p + pitch, 4);
              gradDy += scaled * ((1 - lx) * (v10 - v00) + lx * (v11 - v01));
              gradDx += scaled * ((1 - ly) * (v01 - v00) + ly * (v11 - v10));
            }
          }
          src += channelStep;
          plane += planeBytes;
          gradPlane += planeBytes;
        }
        store<f32>(dyPlane + (<usize>t << 2), <f32>gradDy);
        store<f32>(dxPlane + (<usize>t << 2), <f32>gradDx);
        if (gradMask != 0) store<f32>(maskPlane + (<usize>t << 2), <f32>gradModulation);
      }
    }
  }
}
