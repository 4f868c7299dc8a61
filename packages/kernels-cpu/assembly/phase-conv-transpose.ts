/**
 * phase-conv-transpose: transposed convolution by phase (sub-pixel) decomposition, on the
 * packed GEMM of ./gemm-6x8.ts (its MR x NR register tile). A stride-s transposed
 * convolution writes output position o from the input positions i with
 * o = i * s - padBefore + t * dilation for some tap t; the outputs of one phase
 * (o mod s = rho, per dim) are reached by a fixed subset of the taps, each from input
 * i = a + delta_t where a indexes the phase's outputs (o = rho + s * a). So every phase is a stride-1 correlation with its own sub-kernel and offsets (Shi et al.,
 * "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel CNN", 2016;
 * the "sub-pixel" view of transposed convolution in Dumoulin & Visin, arXiv 1603.07285),
 * written interleaved into the output: no col2im scatter of a column matrix, no zero-stuffed
 * input. The TypeScript side (src/wasm/phase-plan.ts) works out the phases and their taps.
 *
 * Per phase, one sample and one group (rows k = (input channel, phase tap), columns = the
 * phase's output positions, cols[k][a] = x[channel, a + delta_tap], zero outside the input):
 *
 *   phaseProduct:      y[rho + s * a] = bias + (W_phase[m x depth] * cols)[a]   (forward)
 *   phaseCorrelation:  T[depth x m] (+)= cols * gyPhase^T                        (gradWeight)
 *   phaseGather:       gyPhase[m x n] = gy[rho + s * a]                          (its operand)
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
 * bias. The weight gradient sums over real positions only (bounds-tested gather), so the
 * padding never multiplies a gradient.
 *
 * The parameter block (i32 slots in the caller's memory; see loadParams): 0-2 the phase's
 * output counts per dim (nD, nH, nW), 3-5 the input's spatial dims, 6-8 the full output's,
 * 9-11 the phase's first output position, 12-14 the stride, 15-16 the padded input's hP, wP.
 */
// @ts-nocheck: AssemblyScript source.
import { KC, MC, MR, macroKernel, NC, NR, packA, packB } from './gemm-6x8';

/**
 * Bytes of one gradWeight k-table entry: channel offset (elements), then the tap's d, h, w
 * deltas. (The forward's k-table holds one flat i32 offset into the padded input per row.)
 */
export const PHASE_KTAB_ENTRY_BYTES: i32 = 16;
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
 * Writes cols[k][p .. p + count) (k: the k-table entry `e`; p: the phase position
 * (ad, ah, aw)) to dst, one value every `dstStep` bytes; stride-1 runs inside the input copy
 * whole vectors when dst is contiguous.
 */
function gatherRow(x: usize, e: usize, ad: i32, ah: i32, aw: i32, count: i32, dst: usize, dstStep: usize): void {
  const channelOffset = load<i32>(e);
  const deltaD = load<i32>(e, 4);
  const deltaH = load<i32>(e, 8);
  const deltaW = load<i32>(e, 12);
  let j = 0;
  while (j < count) {
    const run = min(count - j, nW - aw);
    const id = ad + deltaD;
    const ih = ah + deltaH;
    if (id >= 0 && id < inD && ih >= 0 && ih < inH) {
      const row = x + (<usize>(channelOffset + (id * inH + ih) * inW) << 2);
      const iw0 = aw + deltaW;
      if (iw0 >= 0 && iw0 + run <= inW) {
        let s = row + (<usize>iw0 << 2);
        if (dstStep == 4) {
          let t = 0;
          for (; t + 4 <= run; t += 4) {
            v128.store(dst, v128.load(s));
            s += 16;
            dst += 16;
          }
          for (; t < run; t++) {
            store<f32>(dst, load<f32>(s));
            s += 4;
            dst += 4;
          }
        } else {
          for (let t = 0; t < run; t++) {
            store<f32>(dst, load<f32>(s));
            s += 4;
            dst += dstStep;
          }
        }
      } else {
        let iw = iw0;
        for (let t = 0; t < run; t++) {
          store<f32>(dst, iw >= 0 && iw < inW ? load<f32>(row + (<usize>iw << 2)) : 0);
          iw++;
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
    aw += run;
    if (aw == nW) {
      aw = 0;
      ah++;
      if (ah == nH) {
        ah = 0;
        ad++;
      }
    }
  }
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
 * gyPhase[co][a] = gy[co][rho + s * a] for m channels (gy: the group's first gradOutput
 * channel): the phase's part of the output gradient, contiguous.
 */
export function phaseGather(params: usize, m: i32, gy: usize, dst: usize): void {
  loadParams(params);
  const outVolume = <usize>(outD * outH * outW) << 2;
  const step = <usize>sW << 2;
  let d = dst;
  for (let co = 0; co < m; co++) {
    const yc = gy + <usize>co * outVolume;
    for (let ad = 0; ad < nD; ad++) {
      for (let ah = 0; ah < nH; ah++) {
        let s = yc + (<usize>outputIndex(ad, ah, 0) << 2);
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
 * Weight gradient of one phase, sample and group: T[depth x m] (+)= cols * gyPhase^T
 * (A = cols gathered MR rows at a time along the phase positions, B = gyPhase^T), T row k =
 * (channel, phase tap). gyPhase: [m x count] from phaseGather. accumulate: add to T (later
 * samples). work: PHASE_WORK_BYTES.
 */
export function phaseCorrelation(
  params: usize,
  m: i32,
  depth: i32,
  gyPhase: usize,
  x: usize,
  ktab: usize,
  t: usize,
  accumulate: bool,
  work: usize,
): void {
  loadParams(params);
  const count = nD * nH * nW;
  const plane = nH * nW;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const ldt = <usize>m << 2;
  for (let jc = 0; jc < m; jc += NC) {
    const nc = min(NC, m - jc);
    for (let pc = 0; pc < count; pc += KC) {
      const kc = min(KC, count - pc);
      packB(kc, nc, gyPhase + (<usize>(jc * count + pc) << 2), 1, count, bpack);
      const ad = pc / plane;
      const rest = pc - ad * plane;
      const ah = rest / nW;
      const aw = rest - ah * nW;
      for (let ic = 0; ic < depth; ic += MC) {
        const mc = min(MC, depth - ic);
        let dst = apack;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          for (let i = 0; i < MR; i++) {
            if (i < mr) {
              const e = ktab + <usize>((ic + ir + i) * PHASE_KTAB_ENTRY_BYTES);
              gatherRow(x, e, ad, ah, aw, kc, dst + <usize>(i << 2), <usize>(MR * 4));
            } else {
              let d = dst + <usize>(i << 2);
              for (let p = 0; p < kc; p++) {
                store<f32>(d, 0);
                d += <usize>(MR * 4);
              }
            }
          }
          dst += <usize>(kc * MR * 4);
        }
        macroKernel(mc, nc, kc, apack, bpack, t + <usize>ic * ldt + (<usize>jc << 2), ldt, accumulate || pc > 0, tail);
      }
    }
  }
}
