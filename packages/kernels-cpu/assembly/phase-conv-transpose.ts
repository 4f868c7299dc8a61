/**
 * phase-conv-transpose: transposed convolution by phase (sub-pixel) decomposition, on the
 * packed GEMM of ./gemm-4x8.ts (its MR x NR register tile). A stride-s transposed
 * convolution writes output position o from the input positions i with
 * o = i * s - padBefore + t * dilation for some tap t; the outputs of one phase
 * (o mod s = rho, per dim) are reached by a fixed subset of the taps, each from input
 * i = a + delta_t where a indexes the phase's outputs (o = rho + s * a). So every phase
 * is a stride-1 correlation with its own sub-kernel and offsets (Shi et al., "Real-Time
 * Single Image and Video Super-Resolution Using an Efficient Sub-Pixel CNN", 2016; the
 * "sub-pixel" view of transposed convolution in Dumoulin & Visin, arXiv 1603.07285),
 * written interleaved into the output: no col2im scatter of a column matrix, no zero-stuffed
 * input. The TypeScript side (src/wasm/phase-plan.ts) works out the phases and their taps.
 *
 * Per phase, one sample and one group (rows k = (input channel, phase tap), columns = the
 * phase's output positions, cols[k][a] = x[channel, a + delta_tap], zero outside the input):
 *
 *   phaseProduct:             y[rho + s * a] = bias + (W_phase[m x depth] * cols)[a]  (forward)
 *   phaseCorrelationVirtual:  T[m x depth] (+)= gyPhase * cols^T                   (gradWeight)
 *   phaseGatherVirtual:       gyPhase[m x n] = gy[rho + s * a], 0 in the padding   (its operand)
 *
 * Blocking is the GEMM's: KC = 256 rows of cols per block, NC = 512 positions, the weight
 * packed MR rows at a time. The forward reads a zero-padded copy of the input (phasePad,
 * halos wide enough for every phase's taps) and runs over the phase's *virtual* positions:
 * the padded plane's row pitch, so that position p of every row k reads the padded input at
 * p + offset_k and each 8-position B panel row is two unaligned vector copies with no bounds
 * test (the positions in the padding's columns are computed and dropped: (wP - nW) / wP of
 * the flops, 7% on tconv4x4, against a branchy gather; this is the indirection-free form of
 * implicit GEMM, as in XNNPACK's and ONNX Runtime's convolutions over padded inputs). The
 * product of a block lands in an [m x NC] scratch and is stored once, interleaved, with the
 * bias. The weight gradient runs over the same virtual positions with a zero gradOutput in
 * the padding's (the caller sends non-finite inputs elsewhere: 0 * Inf would be NaN).
 *
 * The parameter block (i32 slots in the caller's memory; see loadParams): 0-2 the phase's
 * output counts per dim (nD, nH, nW), 3-5 the input's spatial dims, 6-8 the full output's,
 * 9-11 the phase's first output position, 12-14 the stride, 15-16 the padded input's hP, wP.
 */
// @ts-nocheck: AssemblyScript source.
import { KC, MC, MR, macroKernel, NC, NR, packA } from './gemm-4x8';

/** Bytes of the parameter block. */
export const PHASE_PARAMS_BYTES: i32 = 128;
/** Bytes of scratch the drivers need: packed A block, packed B block, tail tile. */
export const PHASE_WORK_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;
/** Phase positions per block: phaseProduct also needs m * this many floats after its work. */
export const PHASE_BLOCK_POSITIONS: i32 = NC;

let nD: i32 = 1;
let nH: i32 = 1;
let nW: i32 = 1;
let inD: i32 = 1;
let inH: i32 = 1;
let inW: i32 = 1;
let outD: i32 = 1;
let outH: i32 = 1;
let outW: i32 = 1;
let rD: i32 = 0;
let rH: i32 = 0;
let rW: i32 = 0;
let sD: i32 = 1;
let sH: i32 = 1;
let sW: i32 = 1;
let hP: i32 = 1;
let wP: i32 = 1;

function loadParams(params: usize): void {
  nD = load<i32>(params);
  nH = load<i32>(params, 4);
  nW = load<i32>(params, 8);
  inD = load<i32>(params, 12);
  inH = load<i32>(params, 16);
  inW = load<i32>(params, 20);
  outD = load<i32>(params, 24);
  outH = load<i32>(params, 28);
  outW = load<i32>(params, 32);
  rD = load<i32>(params, 36);
  rH = load<i32>(params, 40);
  rW = load<i32>(params, 44);
  sD = load<i32>(params, 48);
  sH = load<i32>(params, 52);
  sW = load<i32>(params, 56);
  hP = load<i32>(params, 60);
  wP = load<i32>(params, 64);
}

/**
 * Packs the forward's implicit columns over virtual positions [p0, p0 + nc) into B panels of
 * 8 positions, [panel][kc][8]. Virtual position p reads the padded input at p + ktab[k]
 * (ktab: one flat i32 offset per row), so every panel row is two vector copies; columns past
 * nc (the last panel's) read the buffer's slack and are never stored.
 */
function packVirtualB(x: usize, ktab: usize, kc: i32, p0: i32, nc: i32, bpack: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const at = x + (<usize>(p0 + jr) << 2);
    let dst = bpack + <usize>(jr * kc * 4);
    for (let kk = 0; kk < kc; kk++) {
      const s = at + (<usize>load<i32>(ktab + (<usize>kk << 2)) << 2);
      v128.store(dst, v128.load(s));
      v128.store(dst, v128.load(s, 16), 16);
      dst += <usize>(NR * 4);
    }
  }
}

/** The output index (within one channel) of phase position (ad, ah, aw). */
// @ts-expect-error: decorator
@inline function outputIndex(ad: i32, ah: i32, aw: i32): i32 {
  return ((rD + ad * sD) * outH + rH + ah * sH) * outW + rW + aw * sW;
}

/**
 * y[co][rho + s * a] = bias[co] + block[co][p - p0] for the real phase positions a among the
 * block's virtual positions [p0, p0 + nc) (virtual rows are hP x wP; columns past nW and rows
 * past nH are the padding's and are dropped). y: the group's first output channel; bias:
 * the group's first bias value, or 0 for none.
 */
function storeInterleaved(block: usize, ldb: usize, m: i32, p0: i32, nc: i32, bias: usize, y: usize): void {
  const outVolume = <usize>(outD * outH * outW) << 2;
  const step = <usize>sW << 2;
  const p1 = p0 + nc;
  for (let co = 0; co < m; co++) {
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
    const yc = y + <usize>co * outVolume;
    const bc = block + <usize>co * ldb;
    for (let row = p0 / wP; row * wP < p1; row++) {
      const ad = row / hP;
      const ah = row - ad * hP;
      if (ah >= nH) continue;
      const rowStart = row * wP;
      const a0 = max(p0, rowStart);
      const a1 = min(p1, rowStart + nW);
      let src = bc + (<usize>(a0 - p0) << 2);
      let d = yc + (<usize>outputIndex(ad, ah, a0 - rowStart) << 2);
      for (let a = a0; a < a1; a++) {
        store<f32>(d, load<f32>(src) + b);
        src += 4;
        d += step;
      }
    }
  }
}

/**
 * Forward of one phase, sample and group: y[rho + s * a] = bias + W_phase * cols. params: the
 * phase's parameter block; x: the group's first channel in the padded input (phasePad);
 * ktab: depth flat offsets; w: the phase's weight [m x depth] row-major; bias: the group's
 * bias or 0; y: the group's first output channel (only the phase's positions are written).
 * The GEMM runs over the virtual positions of the padded grid (the padding's columns cost
 * (wP - nW) / wP of the flops and buy branch-free vector packing).
 * work: PHASE_WORK_BYTES + m * PHASE_BLOCK_POSITIONS * 4.
 */
export function phaseProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  ktab: usize,
  w: usize,
  bias: usize,
  y: usize,
  work: usize,
): void {
  loadParams(params);
  const count = ((nD - 1) * hP + nH - 1) * wP + nW;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const block = tail + <usize>(MR * NR * 4);
  const ldb = <usize>NC << 2;
  for (let jc = 0; jc < count; jc += NC) {
    const nc = min(NC, count - jc);
    for (let pc = 0; pc < depth; pc += KC) {
      const kc = min(KC, depth - pc);
      packVirtualB(x, ktab + (<usize>pc << 2), kc, jc, nc, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, w + (<usize>(ic * depth + pc) << 2), depth, 1, apack);
        macroKernel(mc, nc, kc, apack, bpack, block + <usize>ic * ldb, ldb, pc > 0, tail);
      }
    }
    storeInterleaved(block, ldb, m, jc, nc, bias, y);
  }
}

/** The phase's outputs of m channels = the bias (or 0): a phase that no tap reaches. */
export function phaseFill(params: usize, m: i32, bias: usize, y: usize): void {
  loadParams(params);
  const outVolume = <usize>(outD * outH * outW) << 2;
  const step = <usize>sW << 2;
  for (let co = 0; co < m; co++) {
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
    const yc = y + <usize>co * outVolume;
    for (let ad = 0; ad < nD; ad++) {
      for (let ah = 0; ah < nH; ah++) {
        let d = yc + (<usize>outputIndex(ad, ah, 0) << 2);
        for (let aw = 0; aw < nW; aw++) {
          store<f32>(d, b);
          d += step;
        }
      }
    }
  }
}

/**
 * Copies `planes` planes [inD][inH][inW] from src into dst with zero halos: planes of
 * [dP][hP][wP], the input at (loD, loH, loW). Also zeroes `slack` bytes after the last plane
 * (what the packer's last panel may read).
 */
export function phasePad(
  src: usize,
  planes: i32,
  inD: i32,
  inH: i32,
  inW: i32,
  dst: usize,
  dP: i32,
  hP: i32,
  wP: i32,
  loD: i32,
  loH: i32,
  loW: i32,
  slack: i32,
): void {
  const padded = <usize>(dP * hP * wP) << 2;
  memory.fill(dst, 0, <usize>planes * padded + <usize>slack);
  const rowBytes = <usize>inW << 2;
  let s = src;
  for (let c = 0; c < planes; c++) {
    const plane = dst + <usize>c * padded;
    for (let d = 0; d < inD; d++) {
      for (let h = 0; h < inH; h++) {
        memory.copy(plane + (<usize>(((d + loD) * hP + h + loH) * wP + loW) << 2), s, rowBytes);
        s += rowBytes;
      }
    }
  }
}

/**
 * gyPhase over the forward's virtual positions: gyV[co][p] = gy[co][rho + s * a] at the real
 * positions, 0 in the padding's columns and rows (so they add nothing to a weight gradient).
 */
export function phaseGatherVirtual(params: usize, m: i32, gy: usize, dst: usize): void {
  loadParams(params);
  const count = ((nD - 1) * hP + nH - 1) * wP + nW;
  const outVolume = <usize>(outD * outH * outW) << 2;
  const step = <usize>sW << 2;
  memory.fill(dst, 0, <usize>(m * count) << 2);
  for (let co = 0; co < m; co++) {
    const yc = gy + <usize>co * outVolume;
    const dc = dst + (<usize>(co * count) << 2);
    for (let ad = 0; ad < nD; ad++) {
      for (let ah = 0; ah < nH; ah++) {
        let s = yc + (<usize>outputIndex(ad, ah, 0) << 2);
        let d = dc + (<usize>((ad * hP + ah) * wP) << 2);
        for (let aw = 0; aw < nW; aw++) {
          store<f32>(d, load<f32>(s));
          s += step;
          d += 4;
        }
      }
    }
  }
}

/**
 * Weight gradient of one phase, sample and group over the virtual positions of the padded
 * input: T[m x depth] (+)= gyV * cols^T (A = gyV, m rows; B = cols^T, 8 rows of cols per
 * panel). A B panel row is one position of eight cols rows: read as eight vectors of four
 * positions from the padded input and transposed in registers (two 4x4 blocks), so the
 * packing is all vector loads and stores; the wide dimension (depth) runs along the GEMM's
 * columns, where each packed weight-gradient panel is reused by every row panel of gyV. gyV
 * is zero at the padding's positions, so they add nothing (the caller keeps non-finite
 * inputs away: 0 * Inf would be NaN). x: the group's first padded channel;
 * ktab: depth flat offsets (as phaseProduct's). work: PHASE_WORK_BYTES.
 */
export function phaseCorrelationVirtual(
  params: usize,
  m: i32,
  depth: i32,
  gyV: usize,
  x: usize,
  ktab: usize,
  t: usize,
  accumulate: bool,
  work: usize,
): void {
  loadParams(params);
  const count = ((nD - 1) * hP + nH - 1) * wP + nW;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ldt = <usize>depth << 2;
  for (let jc = 0; jc < depth; jc += NC) {
    const nc = min(NC, depth - jc);
    for (let pc = 0; pc < count; pc += KC) {
      const kc = min(KC, count - pc);
      for (let jr = 0; jr < nc; jr += NR) {
        const last = nc - jr - 1;
        // Rows past nc repeat the last one (finite); the kernel never stores their columns.
        const k = jc + jr;
        const s0 = x + (<usize>(load<i32>(ktab + (<usize>k << 2)) + pc) << 2);
        const s1 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(1, last)) << 2)) + pc) << 2);
        const s2 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(2, last)) << 2)) + pc) << 2);
        const s3 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(3, last)) << 2)) + pc) << 2);
        const s4 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(4, last)) << 2)) + pc) << 2);
        const s5 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(5, last)) << 2)) + pc) << 2);
        const s6 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(6, last)) << 2)) + pc) << 2);
        const s7 = x + (<usize>(load<i32>(ktab + (<usize>(k + min(7, last)) << 2)) + pc) << 2);
        const panel = bpack + <usize>(jr * kc * 4);
        for (let p = 0; p < kc; p += 4) {
          const at = <usize>p << 2;
          const d = panel + (<usize>p << 5);
          let r0 = v128.load(s0 + at);
          let r1 = v128.load(s1 + at);
          let r2 = v128.load(s2 + at);
          let r3 = v128.load(s3 + at);
          let lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          let hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          let lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          let hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
          v128.store(d, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), 32);
          v128.store(d, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), 64);
          v128.store(d, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), 96);
          r0 = v128.load(s4 + at);
          r1 = v128.load(s5 + at);
          r2 = v128.load(s6 + at);
          r3 = v128.load(s7 + at);
          lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5), 16);
          v128.store(d, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), 48);
          v128.store(d, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), 80);
          v128.store(d, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), 112);
        }
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, gyV + (<usize>(ic * count + pc) << 2), count, 1, apack);
        macroKernel(mc, nc, kc, apack, bpack, t + <usize>ic * ldt + (<usize>jc << 2), ldt, accumulate || pc > 0, tail);
      }
    }
  }
}

/** 1 when the `count` floats at `data` are all finite (no NaN, no infinity), else 0. */
export function phaseAllFinite(data: usize, count: i32): i32 {
  // v - v is 0 for a finite v and NaN for NaN or an infinity.
  let bad = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(data + (<usize>i << 2));
    bad = f32x4.add(bad, f32x4.sub(v, v));
  }
  let tailBad: f32 = 0;
  for (; i < count; i++) {
    const v = load<f32>(data + (<usize>i << 2));
    tailBad += v - v;
  }
  const sum = f32x4.extract_lane(bad, 0) + f32x4.extract_lane(bad, 1) + f32x4.extract_lane(bad, 2) + f32x4.extract_lane(bad, 3);
  return sum + tailBad == 0 ? 1 : 0;
}
