/**
 * phase-conv-transpose: transposed convolution by phase (sub-pixel) decomposition, on the
 * packed GEMM of ./gemm-6x8.ts (its MR x NR register tile). A stride-s transposed
 * convolution writes output position o from the input positions i with
 * o = i * s - padBefore + t * dilation for some tap t; the outputs of one phase (o mod s = rho, per dim) are reached by a fixed subset of the taps,
 * each from input i = a + delta_t where a indexes the phase's outputs (o = rho + s * a). So
 * every phase is a stride-1 correlation with its own sub-kernel and offsets (Shi et al.,
 * "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel CNN", 2016;
 * the "sub-pixel" view of transposed convolution in Dumoulin & Visin, arXiv 1603.07285),
 * written interleaved into the output: no col2im scatter of a column matrix, no zero-stuffed
 * input. The TypeScript side (src/wasm/phase-plan.ts) works out the phases and their taps.
 *
 * Per phase, one sample and one group (rows k = (input channel, phase tap), columns = the
 * phase's output positions, cols[k][a] = x[channel, a + delta_tap], zero outside the input):
 *
 *   phaseProduct:      y[rho + s * a] += (W_phase[m x depth] * cols)[a]   (forward)
 *   phaseCorrelation:  T[depth x m] (+)= cols * gyPhase^T                  (gradWeight)
 *   phaseGather:       gyPhase[m x n] = gy[rho + s * a]                    (its operand)
 *
 * Blocking is the GEMM's: KC = 256 rows of cols per block, NC = 512 phase positions, the
 * weight packed MR rows at a time, the implicit columns gathered straight into the packed
 * 8-position B panels (whole rows of 8 are two vector copies: a phase reads the input at
 * stride 1, which is why this beats the strided gather of the col2im route). The product of
 * a block lands in a [m x NC] scratch and is added into the interleaved output once per
 * block. The parameter block (i32 slots, the caller's memory; see loadParams) describes the
 * phase: 0-2 its output counts per dim (nD, nH, nW), 3-5 the input's spatial dims, 6-8 the
 * full output's, 9-11 the phase's first output position, 12-14 the stride.
 */
// @ts-nocheck: AssemblyScript source.
import { KC, MC, MR, macroKernel, NC, NR, packA, packB } from './gemm-6x8';

/** Bytes of one k-table entry: channel offset (elements), then the tap's d, h, w deltas. */
export const PHASE_KTAB_ENTRY_BYTES: i32 = 16;
/** Bytes of the parameter block. */
export const PHASE_PARAMS_BYTES: i32 = 64;
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
 * Packs cols rows [k0, k0 + kc) (k-table entries from ktab) over phase positions
 * [p0, p0 + nc) into B panels of 8 positions, [panel][kc][8], positions past nc zero.
 */
function packColsB(x: usize, ktab: usize, kc: i32, p0: i32, nc: i32, bpack: usize): void {
  const plane = nH * nW;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const p = p0 + jr;
    const ad = p / plane;
    const rest = p - ad * plane;
    const ah = rest / nW;
    const aw = rest - ah * nW;
    const panel = bpack + <usize>(jr * kc * 4);
    // The common case: 8 positions on one phase row.
    const oneRow = nr == NR && aw + NR <= nW;
    for (let kk = 0; kk < kc; kk++) {
      const e = ktab + <usize>(kk * PHASE_KTAB_ENTRY_BYTES);
      const dst = panel + <usize>(kk * NR * 4);
      if (oneRow) {
        const id = ad + load<i32>(e, 4);
        const ih = ah + load<i32>(e, 8);
        const iw = aw + load<i32>(e, 12);
        if (id >= 0 && id < inD && ih >= 0 && ih < inH && iw >= 0 && iw + NR <= inW) {
          const s = x + (<usize>(load<i32>(e) + (id * inH + ih) * inW + iw) << 2);
          v128.store(dst, v128.load(s));
          v128.store(dst, v128.load(s, 16), 16);
          continue;
        }
      }
      gatherRow(x, e, ad, ah, aw, nr, dst, 4);
      for (let j = nr; j < NR; j++) store<f32>(dst + <usize>(j << 2), 0);
    }
  }
}

/** The output index (within one channel) of phase position p. */
// @ts-expect-error: decorator
@inline function outputIndex(ad: i32, ah: i32, aw: i32): i32 {
  return ((rD + ad * sD) * outH + rH + ah * sH) * outW + rW + aw * sW;
}

/**
 * y[co][rho + s * a] += block[co][a - p0] for the block's nc phase positions from p0 and m
 * output channels (y: the group's first output channel, outVolume floats per channel).
 */
function addInterleaved(block: usize, ldb: usize, m: i32, p0: i32, nc: i32, y: usize): void {
  const plane = nH * nW;
  const outVolume = <usize>(outD * outH * outW) << 2;
  for (let co = 0; co < m; co++) {
    const yc = y + <usize>co * outVolume;
    let src = block + <usize>co * ldb;
    const ad0 = p0 / plane;
    const rest = p0 - ad0 * plane;
    let ad = ad0;
    let ah = rest / nW;
    let aw = rest - ah * nW;
    let j = 0;
    while (j < nc) {
      const run = min(nc - j, nW - aw);
      let d = yc + (<usize>outputIndex(ad, ah, aw) << 2);
      const step = <usize>sW << 2;
      for (let t = 0; t < run; t++) {
        store<f32>(d, load<f32>(d) + load<f32>(src));
        src += 4;
        d += step;
      }
      j += run;
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
 * Forward of one phase, sample and group: y[rho + s * a] += W_phase * cols. params: the
 * phase's parameter block; x: the group's first input channel; ktab: depth entries; w: the
 * phase's weight [m x depth] row-major; y: the group's first output channel (holds the bias
 * or zeros; every phase adds its own positions). work: PHASE_WORK_BYTES + m * NC * 4.
 */
export function phaseProduct(
  params: usize,
  m: i32,
  depth: i32,
  x: usize,
  ktab: usize,
  w: usize,
  y: usize,
  work: usize,
): void {
  loadParams(params);
  const count = nD * nH * nW;
  const apack = work;
  const bpack = apack + <usize>(MC * KC * 4);
  const tail = bpack + <usize>(KC * NC * 4);
  const block = tail + <usize>(MR * NR * 4);
  const ldb = <usize>NC << 2;
  for (let jc = 0; jc < count; jc += NC) {
    const nc = min(NC, count - jc);
    for (let pc = 0; pc < depth; pc += KC) {
      const kc = min(KC, depth - pc);
      packColsB(x, ktab + <usize>(pc * PHASE_KTAB_ENTRY_BYTES), kc, jc, nc, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, w + (<usize>(ic * depth + pc) << 2), depth, 1, apack);
        if (false) macroKernel(mc, nc, kc, apack, bpack, block + <usize>ic * ldb, ldb, pc > 0, tail);
      }
    }
    if (false) addInterleaved(block, ldb, m, jc, nc, y);
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
